"""The MVM's kernel module shyper.ko (kernel-module/) on the emulated board:
loaded at boot, /dev/shyper root-only, its ioctls' checks (tests/mvm/
shyper-ioctl-test), events, unloading and reloading, the hypercall fuzz
module (tests/kmod/shyper_fuzz.ko), and refusal to load without Shyper."""

import re

import pytest

import conftest
from conftest import DMESG_BAD_RE, boot_board, requires_hypervisor

IOCTL_TEST = "/usr/lib/shyper/tests/shyper-ioctl-test"
EXTRA = "/lib/modules/$(uname -r)/extra"
REFUSAL_LINE = "shyper: not running under the Shyper hypervisor"
FULL_REFUSAL_TAIL = ' (no "shyper,hypervisor" device-tree node)'
# HV_INFO fields that move on their own.
HV_INFO_VOLATILE = ("uptime_ns", "pool_free")


def hv_info(board):
    out = board.check(IOCTL_TEST + " --hv-info")
    fields = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        if key:
            fields[key] = value
    assert "abi_version" in fields, out
    return fields


def assert_dmesg_clean(board, since_marker):
    """No kernel warnings after the dmesg line containing since_marker."""
    out = board.check("dmesg")
    tail = out[out.rfind(since_marker):] if since_marker in out else out
    bad = [line for line in tail.splitlines() if DMESG_BAD_RE.search(line)]
    assert not bad, "\n".join(bad)


def dmesg_since(board, marker):
    """Kernel log lines after marker's, without their timestamps."""
    out = board.check("dmesg")
    lines = out[out.rfind(marker):].splitlines()[1:]
    return [re.sub(r"^\[[ 0-9.]+\] ", "", l) for l in lines if l.strip()]


def mark_dmesg(board, name):
    marker = "shyper-test-mark-%s" % name
    board.check("echo %s > /dev/kmsg" % marker)
    return marker


# First in the file: it boots a board of its own (without the hypervisor),
# before this file starts using the shared session board.
def test_refuses_to_load_without_shyper(monkeypatch):
    monkeypatch.setattr(conftest, "board_mode_args", lambda: ["--direct"])
    board = boot_board(["--smp", "2", "--mem", "1G"])
    try:
        # /init's modprobe at boot was refused, saying why.
        assert REFUSAL_LINE in board.check("dmesg")
        assert board.run("test -e /sys/module/shyper")[0] != 0
        assert board.run("test -e /dev/shyper")[0] != 0
        # One load attempt (one finit_module call): refused with ENODEV and
        # exactly one line in the kernel log.
        marker = mark_dmesg(board, "direct-load")
        status, output = board.run("%s --load %s/shyper.ko" % (IOCTL_TEST, EXTRA))
        assert status != 0 and "ENODEV" in output, output
        assert dmesg_since(board, marker) == [REFUSAL_LINE + FULL_REFUSAL_TAIL]
        # busybox's modprobe tries twice (finit_module, then init_module):
        # the same line twice, nothing else.
        marker = mark_dmesg(board, "direct-modprobe")
        assert board.run("modprobe shyper")[0] != 0
        assert set(dmesg_since(board, marker)) == {REFUSAL_LINE + FULL_REFUSAL_TAIL}
        assert board.run("test -e /sys/module/shyper")[0] != 0
    finally:
        board.close()


@requires_hypervisor
def test_module_loaded_at_boot(board):
    assert board.run("test -d /sys/module/shyper")[0] == 0
    assert re.search(r"^shyper\s", board.check("lsmod"), re.M)
    assert "/dev/shyper ready" in board.check("dmesg | grep shyper")


@requires_hypervisor
def test_device_is_root_only(board):
    assert board.check("stat -c '%F %a %U %G' /dev/shyper").strip() == \
        "character special file 600 root root"


@requires_hypervisor
def test_non_root_cannot_open(board):
    status, output = board.run(IOCTL_TEST + " --open-as 1000")
    assert status == 0 and "open-as 1000: EACCES" in output, output


@requires_hypervisor
def test_ioctls_reject_bad_input(board):
    marker = mark_dmesg(board, "ioctl-test")
    output = board.check(IOCTL_TEST)
    assert re.search(r"shyper-ioctl-test: \d+ checks, 0 failed", output), output
    # Its overrun check let a reader fall 300 events behind: the driver
    # says so in one line naming the reader. ("shyper-ioctl-te":
    # the kernel keeps 15 characters of a command name.) The flood may
    # outrun shyperd too when the board is busy; it reconciles with the
    # hypervisor's VM list every few seconds, so that is its own line.
    lost = [l for l in dmesg_since(board, marker)
            if "read events too slowly" in l and "shyper-ioctl-te[" in l]
    assert len(lost) == 1 and re.search(
        r"shyper-ioctl-te\[\d+\] read events too slowly: 300 lost \(300 by this file, "
        r"\d+ by all readers\)$", lost[0]), lost
    assert_dmesg_clean(board, marker)


@requires_hypervisor
def test_every_reader_gets_every_event(board):
    """Two processes blocked in read() on /dev/shyper are both woken by one
    PONG and both get it (with a single consumer, one would wait in vain)."""
    waiters = " & ".join("%s --wait-pong 0x5a5a > /tmp/wait%d 2>&1" % (IOCTL_TEST, i)
                         for i in (1, 2))
    board.check("rm -f /tmp/wait1 /tmp/wait2; %s & true" % waiters)
    # Both have opened the device before the PING (5 s at most).
    board.check("for i in $(seq 50); do grep -q waiting /tmp/wait1 && grep -q waiting /tmp/wait2"
                " && break; sleep 0.1; done; grep -q waiting /tmp/wait1 && grep -q waiting /tmp/wait2")
    board.check(IOCTL_TEST + " --ping 0x5a5a")
    board.check("wait")
    out = board.check("cat /tmp/wait1 /tmp/wait2")
    seqs = re.findall(r"wait-pong: PONG 0x5a5a \(seq (\d+)\)", out)
    assert len(seqs) == 2 and seqs[0] == seqs[1], out


@requires_hypervisor
def test_ping_event_arrives(board):
    assert "events: PONG" in board.check(IOCTL_TEST + " --events")


@requires_hypervisor
def test_fuzz_leaves_hypervisor_intact(board):
    before = hv_info(board)
    marker = mark_dmesg(board, "fuzz")
    status, output = board.run("insmod %s/shyper_fuzz.ko calls=100000" % EXTRA, timeout=300)
    line = board.check("dmesg | grep 'shyper_fuzz: ' | tail -1")
    assert status == 0, output + line
    assert re.search(r"shyper_fuzz: 100000 calls .*; ok$", line.strip()), line
    board.check("rmmod shyper_fuzz")

    # The hypervisor still answers, and says the same as before.
    after = hv_info(board)
    for key in before:
        if key not in HV_INFO_VOLATILE:
            assert after[key] == before[key], (key, before[key], after[key])
    assert int(after["uptime_ns"]) > int(before["uptime_ns"])
    board.check(IOCTL_TEST)
    assert "events: PONG" in board.check(IOCTL_TEST + " --events")
    # And the MVM is healthy: all CPUs, a working shell, a clean log.
    assert board.check("nproc").strip() == str(conftest.SESSION_SMP)
    assert board.check("echo alive").strip() == "alive"
    assert_dmesg_clean(board, marker)


@requires_hypervisor
def test_unload_and_reload(board):
    marker = mark_dmesg(board, "reload")
    # shyperd holds /dev/shyper open: the module is in use until it stops.
    assert board.run("rmmod shyper")[0] != 0
    board.check("kill $(cat /run/shyperd.pid) && "
                "while [ -e /run/shyperd.pid ]; do sleep 0.1; done")
    board.check("rmmod shyper")
    assert board.run("test -e /dev/shyper")[0] != 0
    assert board.run("test -e /sys/module/shyper")[0] != 0
    assert "shyper-events" not in board.check("cat /proc/interrupts")
    board.check("modprobe shyper")
    assert board.check("stat -c '%a' /dev/shyper").strip() == "600"
    assert "shyper-events" in board.check("cat /proc/interrupts")
    # The new event ring works, and so do the ioctls.
    assert "events: PONG" in board.check(IOCTL_TEST + " --events")
    board.check(IOCTL_TEST)
    board.check("shyperd --daemon --pidfile /run/shyperd.pid </dev/null >>/run/shyperd.log 2>&1")
    assert_dmesg_clean(board, marker)


@requires_hypervisor
def test_benchmark_module_reports(board):
    board.check("insmod %s/shyper_bench.ko calls=10000 batches=3" % EXTRA, timeout=120)
    line = board.check("dmesg | grep 'shyper_bench: ' | tail -1")
    board.check("rmmod shyper_bench")
    assert re.search(r"SHYPER_HC_NOP \(hvc\) [0-9.]+ ticks/call, PSCI_VERSION \((hvc|smc)\) "
                     r"[0-9.]+ ticks/call", line), line
    assert re.search(r"ioctl-bench: 1000 SHYPER_IOC_NOP calls x 5 batches \(median\): [0-9.]+ ticks/call",
                     board.check(IOCTL_TEST + " --bench 1000"))
