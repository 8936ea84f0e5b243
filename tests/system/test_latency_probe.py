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
from test_vm_commands import (console_text, ctl, defs, guest_xml, vm, vm_list,  # noqa: F401
                              wait_state)

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
    count = 8000  # 8 s at least: long enough to look at it while it runs
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
    # Direct delivery: while it runs, its timer interrupts reach its EL1
    # without an exit; pCPU 3 takes almost none at EL2, not one per sample
    # as the guest above did. (Counted while it runs: once it has powered
    # off, CPU 3 is the MVM's again, whose interrupts go through EL2.)
    irqs_before, t_before = pcpu_stats(board, 3)["irqs"], time.time()
    # The MVM cannot take CPU 3 back while the RTVM has it (PSCI CPU_ON denied).
    status, out = board.run("echo 1 > /sys/devices/system/cpu/cpu3/online")
    assert status != 0, out
    assert cpu_online(board, 3) == "0"
    time.sleep(2)
    irqs_during, window = pcpu_stats(board, 3)["irqs"] - irqs_before, time.time() - t_before
    assert vm(board, "latency-probe-rt")["state"] == "running", "the window outlasted its run"
    # At least one sample per millisecond of the window went by.
    assert irqs_during < window * 1000 / 20, (irqs_during, window)
    deadline = time.time() + 180
    while time.time() < deadline and vm(board, "latency-probe-rt")["state"] != "shutoff":
        time.sleep(1)
    assert vm(board, "latency-probe-rt")["state"] == "shutoff"
    parse_result(console_text(board, "latency-probe-rt", 3), count)
    # The VM's exits are its console output and set-up.
    assert vm_exits(board, "latency-probe-rt") < count // 2
    # Powered off and kept (preserve): its pCPU is the MVM's again.
    deadline = time.time() + 30
    while time.time() < deadline and cpu_online(board, 3) != "1":
        time.sleep(1)
    assert cpu_online(board, 3) == "1"
    board.check("shyperctl vm destroy latency-probe-rt >/dev/null 2>&1; true")
    assert cpu_online(board, 3) == "1"


def rt_xml(name, mode, pcpu=3, extra=""):
    """A testguest as a real-time VM alone on PCPU."""
    text = guest_xml(name, mode, pins=[pcpu])
    text = text.replace("</cputune>",
                        "<vcpusched vcpus='0' scheduler='fifo' priority='10'/></cputune>")
    return text.replace("</domain>", extra + "</domain>")


def probe_rt_xml(count):
    with open(os.path.join(REPO_ROOT, "examples", "latency-probe",
                           "latency-probe-rt.xml")) as f:
        return f.read().replace("count=1000", "count=%d" % count)


def wait_online(board, pcpu, want, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline and cpu_online(board, pcpu) != want:
        time.sleep(1)
    return cpu_online(board, pcpu)


@requires_hypervisor
def test_rtvm_beside_two_guests_and_its_pcpu_comes_back(board, defs):  # noqa: F811
    """An RTVM on pCPU 3 and two ordinary guests on pCPUs 1 and 2 run side by
    side; destroyed in mid-run, or crashed, the RTVM gives pCPU 3 back."""
    try:
        for name, pcpu in (("worker-1", 1), ("worker-2", 2)):
            board.check("shyperctl vm create %s" % defs(
                name + ".xml", guest_xml(name, "work=3000000 then=wait", pins=[pcpu])))
        board.check("shyperctl vm create %s" % defs("probe-rt.xml", probe_rt_xml(60000)))
        assert cpu_online(board, 3) == "0"
        for name in ("worker-1", "worker-2"):
            seen, deadline = "", time.time() + 180
            while "rounds in" not in seen and time.time() < deadline:
                seen += console_text(board, name, 3)
            assert re.search(r"work: 3000000 rounds in \d+ ticks", seen), seen
        states = {v["name"]: v["state"] for v in vm_list(board)}
        assert states["latency-probe-rt"] == "running", states
        assert states["worker-1"] == states["worker-2"] == "running", states
        # Destroyed while it runs: its pCPU goes back to the MVM.
        board.check("shyperctl vm destroy latency-probe-rt")
        assert wait_online(board, 3, "1") == "1"

        # A crash (an access the hypervisor cannot emulate), kept for a look.
        board.check("shyperctl vm create %s" % defs(
            "crash-rt.xml", rt_xml("crash-rt", "mode=crash",
                                   extra="<on_crash>preserve</on_crash>")))
        wait_state(board, "crash-rt", "crashed")
        assert vm(board, "crash-rt")["type"] == "rtvm"
        assert wait_online(board, 3, "1") == "1"
        board.check("shyperctl vm destroy crash-rt")
        assert cpu_online(board, 3) == "1"
    finally:
        board.run("for n in worker-1 worker-2 latency-probe-rt crash-rt; do "
                  "shyperctl vm destroy $n; shyperctl vm undefine $n; done >/dev/null 2>&1")


MVM_LOAD = ("for c in 0 1 2; do taskset -c $c sh -c 'while :; do :; done' & done; "
            "(while :; do dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null; done) & true")


@requires_hypervisor
def test_rt_pcpu_takes_nothing_foreign_while_the_mvm_is_busy(board, defs):  # noqa: F811
    """The MVM busy on every CPU it has left (and reading its disk) and a
    CPU-bound guest beside it: pCPU 3, the RTVM's, takes no interrupt at EL2
    while the probe samples there, and runs nothing but the RTVM."""
    try:
        board.check("shyperctl vm create %s" % defs(
            "spin.xml", guest_xml("spin", "mode=spin", pins=[2])))
        board.check(MVM_LOAD)
        board.check("shyperctl vm create %s" % defs("probe-rt.xml", probe_rt_xml(60000)))
        info = vm(board, "latency-probe-rt")
        time.sleep(2)
        first = pcpu_stats(board, 3)
        time.sleep(5)
        last = pcpu_stats(board, 3)
        assert first["vm_id"] == last["vm_id"] == info["id"], (first, last)
        # Some 5,000 timer interrupts of its own in that time; none at EL2.
        assert last["irqs"] - first["irqs"] <= 2, (first, last)
        assert last["exits"] - first["exits"] <= 2, (first, last)
        assert vm(board, "latency-probe-rt")["state"] == "running"
    finally:
        board.run("kill $(jobs -p) 2>/dev/null; pkill -f 'while :'; pkill dd; true")
        board.run("for n in spin latency-probe-rt; do shyperctl vm destroy $n; "
                  "shyperctl vm undefine $n; done >/dev/null 2>&1")


@requires_hypervisor
def test_rtvm_that_holds_off_the_hypervisor_is_still_paused_and_destroyed(board, defs):  # noqa: F811
    """A hostile RTVM writes an active priority of 0 into the real
    ICC_AP1R0_EL1: no interrupt, the hypervisor's group 0 IPI included,
    reaches its pCPU any more. Pause, resume and destroy still work: the
    hypervisor suspends its stage-2 map and its next instruction fetch
    exits."""
    def on_pcpu3():
        return pcpu_stats(board, 3)["vm_id"]

    try:
        board.check("shyperctl vm create %s" % defs(
            "hold-rt.xml", rt_xml("hold-rt", "mode=hold-off")))
        seen, deadline = "", time.time() + 60
        while "holding off" not in seen and time.time() < deadline:
            seen += console_text(board, "hold-rt", 2)
        assert "holding off" in seen, seen
        rt_id = vm(board, "hold-rt")["id"]
        assert on_pcpu3() == rt_id
        board.check("shyperctl vm pause hold-rt")
        deadline = time.time() + 10
        while time.time() < deadline and on_pcpu3() is not None:
            time.sleep(0.5)
        assert on_pcpu3() is None  # it left pCPU 3
        board.check("shyperctl vm resume hold-rt")
        deadline = time.time() + 10
        while time.time() < deadline and on_pcpu3() != rt_id:
            time.sleep(0.5)
        assert on_pcpu3() == rt_id, board.run(
            "shyperctl hv stats; shyperctl vm list; cat /sys/devices/system/cpu/online; "
            "shyperctl hv log | tail -40; dmesg | tail -30", 60)[1]
        assert vm(board, "hold-rt")["state"] == "running"
        board.check("shyperctl vm destroy hold-rt", 120)
        info = vm(board, "hold-rt")  # defined still, no longer running
        assert info["state"] == "shutoff" and not info["active"], info
        assert wait_online(board, 3, "1") == "1"
    finally:
        board.run("shyperctl vm destroy hold-rt; shyperctl vm undefine hold-rt >/dev/null 2>&1")
