"""Guests that misbehave or probe, on the session board: the bare-metal test
guest of tests/guests/ (/usr/lib/shyper/tests/testguest.bin in the MVM).

The guest reads its mode from /chosen/bootargs. Until `shyperctl vm create`
runs guests from their XML definitions (tests/guests/testguest-*.xml),
each guest here is run by tests/mvm/shyper-guest-run with a device tree
compiled on the host with dtc, which reaches the MVM through the host share
(/mnt/share). shyper-guest-run creates one vCPU; it exits 0 when the guest
shut off by itself within its --timeout, else 1, and always destroys it.
"""

import json
import os
import re
import subprocess

import pytest

from conftest import DMESG_BAD_RE, REPO_ROOT, requires_hypervisor

pytestmark = requires_hypervisor

GUEST_RUN = "/usr/lib/shyper/tests/shyper-guest-run"
TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"
TESTS_DIR = "/usr/lib/shyper/tests"
ABI_H = os.path.join(REPO_ROOT, "include", "shyper", "abi.h")
GUEST_MEM = 4 << 20
RAM_BASE = 0x40000000

GUEST_DTS = """/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	compatible = "linux,dummy-virt";
	model = "shyper test guest";
	chosen { bootargs = "%(bootargs)s"; };
	memory@40000000 {
		device_type = "memory";
		reg = <0x0 0x40000000 0x0 %(mem)#x>;
	};
	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
%(cpus)s
	};
	psci { compatible = "arm,psci-1.0", "arm,psci-0.2", "arm,psci"; method = "hvc"; };
};
"""
CPU_DTS = """		cpu@%(n)d { device_type = "cpu"; compatible = "arm,cortex-a57"; reg = <%(n)d>;
			enable-method = "psci"; };"""

# What the guest prints for each access that faulted: the hypervisor must
# inject a synchronous external abort taken at EL1 (EC 0x25, DFSC 0x10).
FAULT_RE = re.compile(r"^fault: (read|write) (0x[0-9a-f]+) ESR=(0x[0-9a-f]+)", re.M)
EC_DABT_CUR = 0x25
DFSC_SYNC_EXTERNAL = 0x10


def guest_dtb(share_dir, name, bootargs, memory=GUEST_MEM, cpus=1):
    """Compiles the guest's device tree into the share; returns its MVM path."""
    dts = GUEST_DTS % {"bootargs": bootargs, "mem": memory,
                       "cpus": "\n".join(CPU_DTS % {"n": n} for n in range(cpus))}
    name = "testguest-%s.dtb" % name
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", os.path.join(share_dir, name),
                    "-"], input=dts.encode(), check=True)
    return "/mnt/share/" + name


def guest_run_command(share_dir, name, bootargs, memory=GUEST_MEM, cpus=1, pcpu=1, timeout=30):
    """The MVM command that runs one test guest (its output not redirected)."""
    dtb = guest_dtb(share_dir, name, bootargs, memory, cpus)
    return "%s --name tg-%s --memory %d --pcpu %d --timeout %d --dtb %s %s" % (
        GUEST_RUN, name, memory, pcpu, timeout, dtb, TESTGUEST)


def run_testguest(board, share_dir, name, bootargs, **kwargs):
    """Runs one test guest to its end; returns (status, output).

    The output goes through a file: the hypervisor's own warnings (about a
    guest's faults, say) reach the board's console as they happen and would
    cut into the guest's lines."""
    out = "/tmp/testguest-%s.out" % name
    return board.run("%s >%s 2>&1; rc=$?; cat %s; (exit $rc)"
                     % (guest_run_command(share_dir, name, bootargs, **kwargs), out, out),
                     timeout=180)


def abi_constants():
    """The management hypercalls ({function ID: name}) and SHYPER_E_DENIED."""
    with open(ABI_H) as f:
        text = f.read()
    calls = {int(fid, 16) | 0xc6000000: name
             for name, fid in re.findall(r"#define SHYPER_HC_(\w+) SHYPER_HC\((0x[0-9a-f]+)\)",
                                         text)
             if name != "NOP"}
    denied = int(re.search(r"#define SHYPER_E_DENIED \((-\d+)\)", text).group(1))
    return calls, denied


def assert_only_mvm_and_pool_full(board):
    vms = json.loads(board.check("shyperctl vm list --json"))["vms"]
    running = [vm for vm in vms if vm["type"] != "mvm" and vm.get("state") != "defined"]
    assert not running, vms
    info = json.loads(board.check("shyperctl hv info --json"))
    assert info["pool_free_bytes"] == info["pool_total_bytes"], info


def assert_mvm_healthy(board):
    assert board.check("echo still-here").strip() == "still-here"
    dmesg = board.check("dmesg")
    bad = [line for line in dmesg.splitlines() if DMESG_BAD_RE.search(line)]
    assert not bad, "suspicious kernel log lines:\n" + "\n".join(bad)
    # The system disk (a virtio device the guest tried to touch) still reads.
    board.check("cat /usr/share/shyper/examples/baremetal.xml >/dev/null")


def test_hello(board, share_dir):
    status, output = run_testguest(board, share_dir, "hello", "mode=hello")
    assert status == 0, output
    assert "testguest: hello from vCPU 0" in output, output
    assert re.search(r"shyper-guest-run: VM \d+ shut off and destroyed", output), output
    assert_only_mvm_and_pool_full(board)


def test_unknown_mode_powers_off(board, share_dir):
    status, output = run_testguest(board, share_dir, "unknown", "console=ttyAMA0 mode=bogus")
    assert status == 0, output
    assert "unknown mode: mode=bogus" in output, output


def test_management_hypercalls_are_denied(board, share_dir):
    calls, denied = abi_constants()
    status, output = run_testguest(board, share_dir, "hvc", "mode=hvc-mgmt")
    assert status == 0, output
    assert "testguest: on Shyper: yes" in output, output
    assert "hvc-mgmt done" in output, output
    seen = {int(fid, 16): int(rc)
            for fid, rc in re.findall(r"^hvc (0x[0-9a-f]+) -> (-?\d+)", output, re.M)}
    # Every call of the ABI was made (a new one needs adding to testguest.c),
    # and every one was refused.
    assert set(seen) == set(calls), (sorted(map(hex, seen)), sorted(map(hex, calls)))
    allowed = {calls[fid]: rc for fid, rc in seen.items() if rc != denied}
    assert not allowed, "management calls a guest got through: %s" % allowed
    assert_only_mvm_and_pool_full(board)


def test_touching_memory_outside_its_ram_faults(board, share_dir):
    addresses = [
        RAM_BASE + GUEST_MEM,    # right after its RAM
        0x40800000,              # the hypervisor's memory in physical addresses
        0x48000000,              # the MVM's RAM (identity-mapped)
        0x48200000,              # the MVM's kernel
        0x09010000,              # the board's RTC
        0x09020000,              # the board's fw_cfg
        0x0a003e00,              # a virtio-mmio slot of the board (the MVM's disk)
        0x100000000,             # beyond the board's RAM
    ]
    bootargs = "touch=" + ",".join("%#x" % a for a in addresses)
    status, output = run_testguest(board, share_dir, "touch", bootargs)
    assert status == 0, output
    assert "touch done" in output, output
    assert "no fault" not in output, output
    faults = FAULT_RE.findall(output)
    assert sorted((kind, int(addr, 16)) for kind, addr, _ in faults) == \
        sorted((kind, a) for kind in ("read", "write") for a in addresses), output
    for kind, addr, esr in faults:
        esr = int(esr, 16)
        assert esr >> 26 == EC_DABT_CUR and esr & 0x3f == DFSC_SYNC_EXTERNAL, \
            "%s %s: ESR %#x" % (kind, addr, esr)
    assert_mvm_healthy(board)
    assert_only_mvm_and_pool_full(board)


def test_cpu_on_of_a_vcpu_it_does_not_have_is_refused(board, share_dir):
    # shyper-guest-run gives the guest one vCPU; its device tree lists two.
    status, output = run_testguest(board, share_dir, "smp1", "mode=smp", cpus=2)
    assert status == 0, output
    assert "testguest: 2 vCPUs in the device tree" in output, output
    assert "vCPU 0 up" in output, output
    assert re.search(r"vCPU 1: CPU_ON -> -2\b", output), output  # PSCI INVALID_PARAMETERS
    assert "smp: 1 of 2 vCPUs up" in output, output
    assert_only_mvm_and_pool_full(board)


def shyperctl_can_create(board):
    status, _ = board.run("shyperctl vm create --help >/dev/null 2>&1")
    return status == 0


def test_smp_guest_brings_up_its_vcpus(board, share_dir):
    # Two vCPUs (on pCPUs 2 and 3) need the real VM launcher: the shipped
    # definition, told to wait when done so that its console can be read.
    if not shyperctl_can_create(board):
        pytest.skip("shyperctl vm create is not there yet")
    name = "testguest-smp"
    with open(os.path.join(REPO_ROOT, "tests", "guests", name + ".xml")) as f:
        xml = f.read().replace("<cmdline>mode=smp</cmdline>",
                               "<cmdline>mode=smp then=wait</cmdline>")
    assert "then=wait" in xml
    with open(os.path.join(share_dir, name + ".xml"), "w") as f:
        f.write(xml)
    try:
        board.check("shyperctl vm create /mnt/share/%s.xml" % name, timeout=120)
        # Without a terminal, console follows the output until a signal.
        _, output = board.run("timeout 15 shyperctl vm console %s </dev/null" % name,
                              timeout=60)
    finally:
        board.run("shyperctl vm destroy %s >/dev/null 2>&1; "
                  "shyperctl vm undefine %s >/dev/null 2>&1" % (name, name))
    assert "testguest: 2 vCPUs in the device tree" in output, output
    assert "vCPU 0 up" in output, output
    assert "vCPU 1 up" in output, output
    assert "smp: 2 of 2 vCPUs up" in output, output
    assert_only_mvm_and_pool_full(board)


def test_reset_request_ends_the_guest(board, share_dir):
    # A guest's PSCI SYSTEM_RESET shuts it off with "reset requested" in its
    # state event; restarting it is the MVM's business. shyper-guest-run does
    # not restart: for it the guest just shut off.
    status, output = run_testguest(board, share_dir, "reset", "mode=reset")
    assert status == 0, output
    assert "testguest: resetting in a second" in output, output
    assert "SYSTEM_RESET returned" not in output, output
    assert re.search(r"shyper-guest-run: VM \d+ shut off and destroyed", output), output
    log = board.check("shyperctl hv log | grep 'tg-reset' | tail -3")
    assert "asked for a reset" in log, log
    assert_only_mvm_and_pool_full(board)


def test_work_reports_its_ticks(board, share_dir):
    rounds = 2000000
    status, output = run_testguest(board, share_dir, "work", "work=%d" % rounds)
    assert status == 0, output
    match = re.search(r"work: (\d+) rounds in (\d+) ticks at (\d+) Hz", output)
    assert match, output
    assert int(match.group(1)) == rounds
    assert int(match.group(2)) > 0 and int(match.group(3)) > 0, output


@pytest.mark.parametrize("mode, line", [("spin", "testguest: spinning"),
                                        ("wait", "waiting")])
def test_guest_that_never_ends_is_stopped(board, share_dir, mode, line):
    # A runaway (spin) or idle (wait) guest runs until shyper-guest-run's
    # timeout, which stops and destroys it; the MVM carries on.
    status, output = run_testguest(board, share_dir, mode, "mode=" + mode, timeout=5)
    assert status == 1, output
    assert line in output, output
    assert "still running after 5 s" in output, output
    assert_mvm_healthy(board)
    assert_only_mvm_and_pool_full(board)


def test_guests_cannot_see_each_others_memory(board, share_dir):
    # A fills its RAM and checks it every second while B fills its own with
    # another byte, on other pCPUs; each found its memory zeroed to begin
    # with. C, started after both were destroyed, finds fresh memory zeroed
    # too: what A and B left was scrubbed.
    mem = 16 << 20
    first = guest_run_command(share_dir, "pattern-a", "pattern=0xa5 then=recheck",
                              memory=mem, pcpu=2, timeout=15)
    second = guest_run_command(share_dir, "pattern-b", "pattern=0x5a then=off",
                               memory=mem, pcpu=3)
    third = guest_run_command(share_dir, "pattern-c", "pattern=0x11 then=off",
                              memory=mem, pcpu=3)
    output = board.check(
        "%s >/tmp/pattern-a.out 2>&1 & a=$!; sleep 3; %s >/tmp/pattern-b.out 2>&1; wait $a; "
        "%s >/tmp/pattern-c.out 2>&1; cat /tmp/pattern-a.out; echo @@B; cat /tmp/pattern-b.out; "
        "echo @@C; cat /tmp/pattern-c.out" % (first, second, third), timeout=180)
    out_a, rest = output.split("@@B", 1)
    out_b, out_c = rest.split("@@C", 1)
    for out in (out_a, out_b, out_c):
        assert "pattern: fresh memory zero" in out, output
        assert "pattern ok" in out, output
        assert "BAD" not in out, output
    # A kept checking while B ran and after (B runs for a second or two).
    assert len(re.findall(r"pattern still ok", out_a)) >= 3, out_a
    assert re.search(r"shut off and destroyed", out_b), out_b
    assert re.search(r"shut off and destroyed", out_c), out_c
    assert_only_mvm_and_pool_full(board)
