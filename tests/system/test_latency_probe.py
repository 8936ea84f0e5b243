"""The latency probe (examples/latency-probe): the same binary on the bare
emulated board (the floor) and as a guest under Shyper. Its figures are
checked for sense, not against a time: under emulation they say how fast
the host is, not how good the path is (docs/benchmarks.md compares them).
"""

import json
import os
import re
import subprocess
import time

from conftest import BOARD, REPO_ROOT, requires_hypervisor
from test_vm_commands import console_text, ctl, defs, vm  # noqa: F401

PROBE = os.path.join(REPO_ROOT, "build", "examples", "latency-probe.bin")
COUNT = 200


def parse_result(text, count):
    """The probe's JSON line, checked for sense."""
    match = re.search(r"latency-probe: (\{.*\})", text)
    assert match, "no result line in:\n" + text[-2000:]
    r = json.loads(match.group(1))
    assert r["count"] == count, r
    assert r["early"] == 0, r  # no handler ever ran before its deadline
    assert 0 <= r["min_ns"] <= r["p99_ns"] <= r["max_ns"], r
    assert r["min_ns"] <= r["mean_ns"] <= r["max_ns"], r
    assert sum(r["hist"]) == count, r
    assert len(r["hist"]) == len(r["hist_edges_ns"]) + 1, r
    assert "latency-probe: done: min %d ns" % r["min_ns"] in text, text[-500:]
    return r


def test_probe_on_the_bare_board():
    """No hypervisor: the probe at EL1 of QEMU's own board, as the floor."""
    result = subprocess.run(
        [BOARD, "--direct", "--kernel", PROBE, "--sysdisk", "none", "--smp", "1",
         "--mem", "256M", "--bootargs", "period_us=1000 count=%d" % COUNT],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
        timeout=120)
    # It powers the board off when done: QEMU exits by itself.
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    parse_result(result.stdout, COUNT)


@requires_hypervisor
def test_probe_as_a_guest(board, defs):  # noqa: F811
    """As an ordinary guest sharing its pCPU with the MVM's vCPU 3."""
    with open(os.path.join(REPO_ROOT, "examples", "latency-probe", "latency-probe.xml")) as f:
        text = f.read()
    text = text.replace("count=1000", "count=%d" % COUNT)
    # Kept once it powers itself off (libvirt's preserve), console and all.
    text = text.replace("<on_poweroff>destroy</on_poweroff>",
                        "<on_poweroff>preserve</on_poweroff>")
    assert "count=%d" % COUNT in text and "preserve" in text
    status, out = ctl(board, "vm create %s" % defs("probe.xml", text))
    assert status == 0, out
    deadline = time.time() + 120
    while time.time() < deadline and vm(board, "latency-probe")["state"] != "shutoff":
        time.sleep(1)
    info = vm(board, "latency-probe")
    assert info["state"] == "shutoff" and info["active"], info
    parse_result(console_text(board, "latency-probe", 3), COUNT)
    # The emulated path: every timer interrupt was taken at EL2 and injected.
    assert vm_exits(board, "latency-probe") >= COUNT
    board.check("shyperctl vm destroy latency-probe >/dev/null 2>&1; true")


def vm_exits(board, name):
    return json.loads(board.check("shyperctl --json vm info %s" % name))["exits"]


def pcpu_stats(board, pcpu):
    return json.loads(board.check("shyperctl --json hv stats"))["pcpus"][pcpu]


def cpu_online(board, pcpu):
    return board.check("cat /sys/devices/system/cpu/cpu%d/online" % pcpu).strip()


@requires_hypervisor
def test_probe_as_an_rtvm(board, defs):  # noqa: F811
    """As a real-time VM on pCPU 3: the MVM's CPU 3 goes offline while it
    runs (Linux's hotplug, PSCI CPU_OFF), pCPU 3 runs only its vCPU, and
    CPU 3 comes back once the probe has powered itself off."""
    count = 5000  # 5 s at least: long enough to look at it while it runs
    with open(os.path.join(REPO_ROOT, "examples", "latency-probe",
                           "latency-probe-rt.xml")) as f:
        text = f.read()
    text = text.replace("count=1000", "count=%d" % count)
    text = text.replace("<on_poweroff>destroy</on_poweroff>",
                        "<on_poweroff>preserve</on_poweroff>")
    assert cpu_online(board, 3) == "1"
    status, out = ctl(board, "vm create %s" % defs("probe-rt.xml", text))
    assert status == 0, out
    info = vm(board, "latency-probe-rt")
    # Its samples take at least count ms of real time: it is still running.
    assert info["type"] == "rtvm" and info["state"] == "running", info
    assert cpu_online(board, 3) == "0"
    stats = json.loads(board.check("shyperctl --json hv stats"))["pcpus"][3]
    assert stats["vm_id"] in (info["id"], None), stats
    irqs_before = pcpu_stats(board, 3)["irqs"]
    # The MVM cannot take CPU 3 back while the RTVM has it (PSCI CPU_ON denied).
    status, out = board.run("echo 1 > /sys/devices/system/cpu/cpu3/online")
    assert status != 0, out
    assert cpu_online(board, 3) == "0"
    deadline = time.time() + 180
    while time.time() < deadline and vm(board, "latency-probe-rt")["state"] != "shutoff":
        time.sleep(1)
    assert vm(board, "latency-probe-rt")["state"] == "shutoff"
    parse_result(console_text(board, "latency-probe-rt", 3), count)
    # Direct delivery: its timer interrupts reached its EL1 without an exit;
    # pCPU 3 took almost none at EL2 (the stop), not one per sample as the
    # guest above did, and the VM's exits are its console output and set-up.
    irqs_during = pcpu_stats(board, 3)["irqs"] - irqs_before
    assert irqs_during < count // 20, irqs_during
    assert vm_exits(board, "latency-probe-rt") < count // 2
    # Powered off and kept (preserve): its pCPU is the MVM's again.
    deadline = time.time() + 30
    while time.time() < deadline and cpu_online(board, 3) != "1":
        time.sleep(1)
    assert cpu_online(board, 3) == "1"
    board.check("shyperctl vm destroy latency-probe-rt >/dev/null 2>&1; true")
    assert cpu_online(board, 3) == "1"
