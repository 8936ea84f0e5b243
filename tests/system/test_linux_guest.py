"""The example Linux guest the MVM ships (examples/linux-guest.xml): its
files are in the MVM, its initramfs handles the power button, it boots to
user space beside the MVM under Shyper and powers itself off, and, as
shipped, it runs from `shyperctl vm create` and shuts down when
`shyperctl vm stop` presses its power button.

The guest is Debian's arm64 kernel (the MVM's own) with the initramfs of
packaging/mkguestinitramfs.sh, both from /usr/share/shyper/examples/ on the
MVM's system disk. One test loads it with tests/mvm/shyper-guest-run and a
hand-written device tree of the guest machine docs/abi.md describes; its
vCPU shares pCPU 1 with the MVM's vCPU 1, so this also exercises time
slicing, WFI blocking, the emulated GICv3 and PL011, the timer and guest
PSCI.
"""

import json
import os
import re
import subprocess
import time

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, REPO_ROOT, ConsoleLog, qemu_board, requires_hypervisor
from test_vm_commands import defs  # noqa: F401

GUEST_RUN = "/usr/lib/shyper/tests/shyper-guest-run"
EXAMPLES = "/usr/share/shyper/examples"
GUEST_KERNEL = EXAMPLES + "/guest-Image"
GUEST_INITRD = EXAMPLES + "/guest-initramfs.cpio.gz"
# The same files on the host, as the build installed them into the MVM.
HOST_EXAMPLES = os.path.join(REPO_ROOT, "build", "mvm-root", "usr", "share", "shyper",
                             "examples")
INITRD_IPA = 0x44000000
GUEST_MEM = 128 << 20

USER_SPACE_LINE = "shyper-guest: user space reached"
POWER_BUTTON_LINE = "shyper-guest: power button pressed, powering off"

GUEST_DTS = """/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	compatible = "linux,dummy-virt";
	model = "shyper test guest";
	interrupt-parent = <&gic>;
	chosen {
		bootargs = "console=ttyAMA0 rdinit=/init shyper_selftest";
		stdout-path = "/pl011@9000000";
		linux,initrd-start = <0x0 %(initrd_start)#x>;
		linux,initrd-end = <0x0 %(initrd_end)#x>;
	};
	memory@40000000 {
		device_type = "memory";
		reg = <0x0 0x40000000 0x0 %(mem)#x>;
	};
	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
		cpu@0 { device_type = "cpu"; compatible = "arm,cortex-a57"; reg = <0>;
			enable-method = "psci"; };
	};
	psci { compatible = "arm,psci-1.0", "arm,psci-0.2", "arm,psci"; method = "hvc"; };
	gic: intc@8000000 {
		compatible = "arm,gic-v3";
		#interrupt-cells = <3>;
		interrupt-controller;
		#redistributor-regions = <1>;
		reg = <0x0 0x08000000 0x0 0x10000>, <0x0 0x080a0000 0x0 0x20000>;
	};
	timer { compatible = "arm,armv8-timer"; always-on;
		interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>; };
	apb_pclk: apb-pclk { compatible = "fixed-clock"; #clock-cells = <0>;
		clock-frequency = <24000000>; };
	pl011@9000000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0x0 0x09000000 0x0 0x1000>;
		interrupts = <0 1 4>;
		clocks = <&apb_pclk>, <&apb_pclk>;
		clock-names = "uartclk", "apb_pclk";
	};
};
"""


def host_example(name):
    path = os.path.join(HOST_EXAMPLES, name)
    if not os.path.isfile(path):
        pytest.fail("%s not built (make all)" % path)
    return path


def test_examples_are_shipped_in_the_mvm(board):
    # Every file the shipped definitions name is there, on the read-only
    # system disk, and is the one the build made.
    listing = board.check("ls %s" % EXAMPLES).split()
    for name in ("linux-guest.xml", "baremetal.xml", "baremetal-hello.bin",
                 "guest-Image", "guest-initramfs.cpio.gz"):
        assert name in listing, listing
    for xml in ("linux-guest.xml", "baremetal.xml"):
        paths = re.findall(r"<(?:kernel|initrd)>([^<]+)<",
                           board.check("cat %s/%s" % (EXAMPLES, xml)))
        assert paths, xml
        for path in paths:
            board.check("test -f %s" % path)
    for name in ("guest-Image", "guest-initramfs.cpio.gz"):
        size = board.check("stat -c %%s %s/%s" % (EXAMPLES, name)).strip()
        assert int(size) == os.path.getsize(host_example(name)), name
    mounts = board.check("grep ' /system ' /proc/mounts")
    assert " ext4 ro" in mounts, mounts
    # The tools' libraries come from the same disk.
    assert board.check("readlink /lib/aarch64-linux-gnu").strip() == \
        "/system/lib/aarch64-linux-gnu"


def test_guest_initramfs_powers_off_on_the_power_button():
    # Plain QEMU virt, no hypervisor: it has the same PL061 and gpio-keys
    # power button as Shyper's guest machine, and its monitor's
    # system_powerdown presses it.
    cmd = qemu_board.board_command("virt,gic-version=3", 2, "256M") + [
        "-no-reboot",
        "-kernel", host_example("guest-Image"),
        "-initrd", host_example("guest-initramfs.cpio.gz"),
        "-append", "console=ttyAMA0 quiet rdinit=/init"]
    child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", codec_errors="replace",
                          timeout=BOOT_TIMEOUT, dimensions=(50, 200))
    log = ConsoleLog()
    child.logfile_read = log
    prompt = r"root@guest:[^\r\n]*# "
    try:
        child.expect_exact(USER_SPACE_LINE)
        child.expect_exact("shyper-guest: ready")
        child.expect(prompt)
        child.sendline("cat /sys/class/input/event*/device/name; lsmod | cut -d' ' -f1")
        child.expect(prompt)
        listed = child.before
        assert "gpio-keys" in listed
        for module in ("gpio_keys", "evdev", "virtio_mmio", "virtio_blk", "virtio_net",
                       "virtio_console"):
            assert module in listed, module
        # Ctrl-A c: QEMU's monitor and back.
        child.send("\x01c")
        child.expect_exact("(qemu)")
        child.sendline("system_powerdown")
        child.send("\x01c")
        child.expect_exact(POWER_BUTTON_LINE, timeout=60)
        child.expect_exact("shyper-guest: poweroff", timeout=60)
        # PSCI SYSTEM_OFF ends QEMU.
        child.expect(pexpect.EOF, timeout=60)
    except (pexpect.TIMEOUT, pexpect.EOF) as err:
        pytest.fail("%s\n--- console tail ---\n%s" % (type(err).__name__, log.tail()),
                    pytrace=False)
    finally:
        child.close(force=True)


@requires_hypervisor
def test_linux_guest_boots_and_powers_off(board, share_dir):
    initrd_size = os.path.getsize(host_example("guest-initramfs.cpio.gz"))
    dts = GUEST_DTS % {"initrd_start": INITRD_IPA, "initrd_end": INITRD_IPA + initrd_size,
                       "mem": GUEST_MEM}
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb",
                    "-o", os.path.join(share_dir, "linux-guest.dtb"), "-"],
                   input=dts.encode(), check=True)
    status, output = board.run(
        "%s --memory %d --timeout 150 --dtb /mnt/share/linux-guest.dtb "
        "--initrd %s --initrd-ipa %#x %s 2>&1 "
        "| grep -E 'Machine model|GICv3: CPU0|shyper-guest|shut off'"
        % (GUEST_RUN, GUEST_MEM, GUEST_INITRD, INITRD_IPA, GUEST_KERNEL), timeout=200)
    assert "Machine model: shyper test guest" in output, output
    assert "GICv3: CPU0: found redistributor 0" in output, output
    assert USER_SPACE_LINE in output, output
    assert "shyper-guest: 1 CPUs, power button: none" in output, output
    assert "shyper-guest: poweroff" in output, output
    assert "shut off and destroyed" in output, output
    # The MVM carries on, and the guest's memory went back to the pool.
    assert board.check("shyperctl vm list").count("\n") == 2


def guest_console(board, name, seconds, keys=None):
    """What `shyperctl vm console` shows in SECONDS (then SIGTERM), after
    typing KEYS (a line) into the guest's console if given."""
    feed = "printf '%s\\n' |" % keys if keys else ""
    _, output = board.run("%s timeout %d shyperctl vm console %s %s 2>&1"
                          % (feed, seconds, name, "" if keys else "</dev/null"),
                          timeout=seconds + 30)
    return output


@requires_hypervisor
def test_shipped_linux_guest_runs_and_shuts_down_on_its_power_button(board):
    # What a user does after `make run`, with the definition as shipped:
    # two vCPUs on pCPUs 2 and 3, the device tree from libshyper.
    status, _ = board.run("shyperctl vm create --help >/dev/null 2>&1")
    if status != 0:
        pytest.skip("shyperctl vm create is not there yet")
    name = "linux-guest"
    try:
        board.check("shyperctl vm create %s/linux-guest.xml" % EXAMPLES, timeout=120)
        deadline = time.time() + 240
        seen = ""
        while "shyper-guest: ready" not in seen and time.time() < deadline:
            seen += guest_console(board, name, 3)
        assert USER_SPACE_LINE in seen, seen
        assert "shyper-guest: ready" in seen, seen
        assert "cannot load" not in seen, seen
        seen = guest_console(board, name, 8,
                             "echo cpus=$(nproc); cat /sys/class/input/event*/device/name")
        assert "cpus=2" in seen, seen
        assert "gpio-keys" in seen, seen
        # A graceful stop presses the power button; the guest's /init
        # powers it off.
        board.check("(timeout 90 shyperctl vm console %s </dev/null >/tmp/linux-guest.out 2>&1 &)"
                    % name)
        out = board.check("shyperctl vm stop --timeout 60 %s" % name, timeout=120)
        assert out.strip() == "VM '%s' shut down" % name, out
        time.sleep(1)
        seen = board.check("cat /tmp/linux-guest.out")
        assert POWER_BUTTON_LINE in seen, seen
    finally:
        board.run("shyperctl vm destroy %s >/dev/null 2>&1; shyperctl vm undefine %s "
                  ">/dev/null 2>&1" % (name, name))


# cyclictest (Debian's rt-tests) as docs/rtvm.md runs it: memory locked,
# clock_nanosleep, SCHED_FIFO 80, one thread per CPU pinned to it, every
# one at 1 ms, N loops (it stops all threads when the first is done); -q
# prints one summary line per thread at the end.
CYCLICTEST = "cyclictest -q -m -p80 -i1000 -d0 -t%d -a -l%d"
CYCLICTEST_LINE = re.compile(r"T:\s*(\d+) \(\s*\d+\) P:80 I:1000 C:\s*(\d+) "
                             r"Min:\s*(\d+) Act:\s*(\d+) Avg:\s*(\d+) Max:\s*(\d+)")


def check_cyclictest(text, threads, loops):
    """cyclictest's summary lines, checked for sense (not for speed)."""
    lines = CYCLICTEST_LINE.findall(text)
    assert sorted(int(t[0]) for t in lines) == list(range(threads)), text
    for _, count, low, _, avg, high in lines:
        assert loops - 5 <= int(count) <= loops, text
        assert 0 <= int(low) <= int(avg) <= int(high), text


@requires_hypervisor
def test_cyclictest_runs_in_the_mvm(board):
    out = board.check(CYCLICTEST % (1, 200) + " 2>&1", timeout=120)
    check_cyclictest(out, 1, 200)


def timer_and_ipi_counts(text):
    """Per-CPU counts of the arch timer and IPI0 lines of /proc/interrupts."""
    counts = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if "arch_timer" in fields:
            counts["timer"] = [int(f) for f in fields[1:3]]
        elif fields[0] == "IPI0:":
            counts["ipi0"] = [int(f) for f in fields[1:3]]
    return counts


@requires_hypervisor
def test_linux_rtvm_takes_its_interrupts_without_exits(board, defs):  # noqa: F811
    """The shipped Linux guest, made a real-time VM on pCPUs 2 and 3. Its
    timer interrupts and its IPIs between its two CPUs are physical and
    reach its EL1 directly; its console and power button (emulated devices)
    still work, through the list registers for as long as each interrupt
    lasts. The hypervisor's counters for pCPUs 2 and 3 show it: a handful of
    interrupts taken at EL2 against hundreds the guest handled."""
    with open(os.path.join(REPO_ROOT, "examples", "linux-guest.xml")) as f:
        text = f.read()
    text = text.replace("<name>linux-guest</name>", "<name>linux-rt</name>")
    text = text.replace("<shyper:type>gvm</shyper:type>", "<shyper:type>rtvm</shyper:type>")
    text = text.replace("</cputune>", "  <vcpusched vcpus='0-1' scheduler='fifo' priority='50'/>\n"
                        "  </cputune>")
    assert "rtvm" in text and "vcpusched" in text
    name = "linux-rt"

    def stats():
        pcpus = json.loads(board.check("shyperctl --json hv stats"))["pcpus"]
        return [(p["irqs"], p["ipis"]) for p in pcpus[2:4]]

    try:
        board.check("shyperctl vm create %s" % defs("linux-rt.xml", text), timeout=120)
        start = stats()
        deadline = time.time() + 240
        seen = ""
        while "shyper-guest: ready" not in seen and time.time() < deadline:
            seen += guest_console(board, name, 3)
        assert "shyper-guest: ready" in seen, seen
        # Typing into its console: the PL011's interrupt is emulated.
        seen = guest_console(board, name, 8, "echo cpus=$(nproc); sleep 2; cat /proc/interrupts")
        assert "cpus=2" in seen, seen
        counts = timer_and_ipi_counts(seen)
        assert min(counts["timer"]) > 0 and min(counts["ipi0"]) > 0, seen
        end = stats()
        # Interrupts pCPUs 2 and 3 took at EL2 other than the hypervisor's
        # own IPIs: its timer's while an emulated interrupt was in flight.
        at_el2 = sum((e[0] - e[1]) - (s[0] - s[1]) for s, e in zip(start, end))
        assert at_el2 * 4 < sum(counts["timer"]), (at_el2, counts)
        # docs/rtvm.md's recipe: cyclictest on both of its CPUs.
        seen = guest_console(board, name, 20, CYCLICTEST % (2, 300))
        check_cyclictest(seen, 2, 300)
        # Its power button (an emulated GPIO) still reaches it.
        out = board.check("shyperctl vm stop --timeout 60 %s" % name, timeout=120)
        assert out.strip() == "VM '%s' shut down" % name, out
        deadline = time.time() + 30
        while time.time() < deadline and "0" in board.check(
                "cat /sys/devices/system/cpu/cpu[23]/online"):
            time.sleep(1)
        assert board.check("cat /sys/devices/system/cpu/cpu[23]/online").split() == ["1", "1"]
    finally:
        board.run("shyperctl vm destroy %s >/dev/null 2>&1; shyperctl vm undefine %s "
                  ">/dev/null 2>&1" % (name, name))
