#!/usr/bin/python3
"""Timer-interrupt latency: the latency probe on the bare board, as an RTVM
and as a guest sharing its pCPU, side by side in one run.

The probe (examples/latency-probe) arms its virtual timer at a deadline and
reads the counter on entry to its handler. The same binary runs (a) at EL1
of QEMU's own board with no hypervisor, the floor; (b) under Shyper as a
real-time VM with pCPU 3 to itself; (c) as an ordinary guest sharing pCPU 3
with the MVM's vCPU 3. Figures are wall-clock under QEMU's emulation (TCG):
they measure the host as much as the path, so only the ratios to the floor
from one run mean anything, and even they are noisy.

Writes the section "## Timer interrupt latency" of docs/benchmarks.md.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "system"))
from conftest import BOARD, Board  # noqa: E402  (the system tests' board driver)
from guest_bench import DEFAULT_OUT, describe, write_section  # noqa: E402

SECTION_TITLE = "## Timer interrupt latency"
PROBE = os.path.join(REPO_ROOT, "build", "examples", "latency-probe.bin")
EXAMPLES = "/usr/share/shyper/examples"
RESULT_RE = re.compile(r"latency-probe: (\{.*\})")


def result_of(text):
    match = RESULT_RE.search(text)
    if not match:
        sys.exit("latency_bench: no result from the probe:\n" + text[-2000:])
    return json.loads(match.group(1))


def floor(count, period_us):
    out = subprocess.run([BOARD, "--direct", "--kernel", PROBE, "--sysdisk", "none",
                          "--smp", "1", "--mem", "256M", "--bootargs",
                          "period_us=%d count=%d" % (period_us, count)],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         errors="replace", timeout=600).stdout
    return result_of(out)


def as_guest(board, example, name, count, period_us):
    """Runs EXAMPLE (its probe kept once it powers off) and reads its result."""
    board.check("sed -e 's/count=1000/count=%d/' -e 's/period_us=1000/period_us=%d/' "
                "-e 's|<on_poweroff>destroy|<on_poweroff>preserve|' %s/%s > /tmp/%s.xml"
                % (count, period_us, EXAMPLES, example, name))
    board.check("shyperctl vm create /tmp/%s.xml" % name, 120)
    deadline = time.time() + 60 + count * period_us / 1e6 * 20
    while time.time() < deadline:
        state = json.loads(board.check("shyperctl --json vm info %s" % name))["state"]
        if state == "shutoff":
            break
        time.sleep(2)
    status, out = board.run("timeout 5 shyperctl vm console %s </dev/null" % name, 60)
    board.check("shyperctl vm destroy %s >/dev/null 2>&1; shyperctl vm undefine %s" %
                (name, name))
    return result_of(out)


def row(label, r, base):
    cells = ["%.1f" % (r[k] / 1000) for k in ("min_ns", "mean_ns", "p99_ns", "max_ns")]
    ratios = ["%.2f" % (r[k] / base[k]) if base[k] else "-" for k in ("p99_ns", "max_ns")]
    return "| %s | %s | %s |\n" % (label, " | ".join(cells), " | ".join(ratios))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--period-us", type=int, default=1000)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    bare = floor(args.count, args.period_us)
    print("floor: %s" % bare, flush=True)
    board = Board(["--smp", "4", "--mem", "2G"])
    try:
        board.wait_for_shell()
        rt = as_guest(board, "latency-probe-rt.xml", "latency-probe-rt", args.count,
                      args.period_us)
        print("rtvm: %s" % rt, flush=True)
        gvm = as_guest(board, "latency-probe.xml", "latency-probe", args.count,
                       args.period_us)
        print("gvm: %s" % gvm, flush=True)
    finally:
        board.close()

    qemu, cpu = describe()
    text = (SECTION_TITLE + "\n\n"
            "The latency probe (examples/latency-probe): %d timer interrupts, %d us\n"
            "apart, each measured from its deadline to the entry of the guest's\n"
            "handler. Wall-clock under QEMU's TCG: noisy, and a measure of the host\n"
            "as much as of the path; only ratios from one run compare.\n\n"
            "- Date: %s\n- QEMU: %s (TCG), host CPU: %s\n\n"
            "| where | min (us) | mean (us) | p99 (us) | max (us) | p99 / floor | max / floor |\n"
            "|---|---:|---:|---:|---:|---:|---:|\n%s%s%s\n"
            "How it was measured: `tests/bench/latency_bench.py` runs the probe on\n"
            "QEMU's board with no hypervisor (the floor), then on one Shyper board\n"
            "as a real-time VM with pCPU 3 to itself (`latency-probe-rt.xml`) and\n"
            "as an ordinary guest sharing pCPU 3 with the MVM's vCPU 3\n"
            "(`latency-probe.xml`), the MVM idle. Interrupts of both guests still\n"
            "come through the hypervisor (EL2); the RTVM's direct path is still to\n"
            "come (docs/rtvm.md), and with it runs under load and under\n"
            "`-icount` for repeatable figures.\n\n"
            % (args.count, args.period_us, datetime.date.today().isoformat(), qemu, cpu,
               row("bare board (floor)", bare, bare), row("RTVM (pCPU to itself)", rt, bare),
               row("GVM sharing its pCPU", gvm, bare)))
    write_section(args.out, text, SECTION_TITLE)
    print("written to %s" % args.out)


if __name__ == "__main__":
    main()
