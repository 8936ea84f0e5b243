#!/usr/bin/python3
"""Timer-interrupt latency: the latency probe on the bare board, as an RTVM
and as a guest sharing its pCPU, side by side in one run.

The probe (examples/latency-probe) arms its virtual timer at a deadline and
reads the counter on entry to its handler. The same binary runs (a) at EL1
of QEMU's own board with no hypervisor, the floor; (b) under Shyper as a
real-time VM with pCPU 3 to itself; (c) as an ordinary guest sharing pCPU 3
with the MVM's vCPU 3; (b) and (c) with the board idle and under load. All
of it twice: under `-icount shift=0,sleep=off`, where figures are
repeatable path lengths, and in wall-clock time, where they are noisy.

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


def floor(count, period_us, clock_args, spin=0):
    """The probe on the bare board; SPIN more CPUs busy beside it."""
    out = subprocess.run([BOARD, "--direct", "--kernel", PROBE, "--sysdisk", "none",
                          "--smp", str(1 + spin), "--mem", "256M", "--bootargs",
                          "period_us=%d count=%d spin=%d" % (period_us, count, spin)]
                         + clock_args,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         errors="replace", timeout=1200).stdout
    return result_of(out)


def as_guest(board, example, name, count, period_us):
    """Runs EXAMPLE (its probe kept once it powers off) and reads its result."""
    board.check("sed -e 's/count=1000/count=%d/' -e 's/period_us=1000/period_us=%d/' "
                "-e 's|<on_poweroff>destroy|<on_poweroff>preserve|' %s/%s > /tmp/%s.xml"
                % (count, period_us, EXAMPLES, example, name))
    board.check("shyperctl vm create /tmp/%s.xml" % name, 300)
    deadline = time.time() + 120 + count * period_us / 1e6 * 60
    while time.time() < deadline:
        state = json.loads(board.check("shyperctl --json vm info %s" % name, 120))["state"]
        if state == "shutoff":
            break
        time.sleep(2)
    status, out = board.run("timeout 5 shyperctl vm console %s </dev/null" % name, 120)
    board.check("shyperctl vm destroy %s >/dev/null 2>&1; shyperctl vm undefine %s" %
                (name, name), 120)
    return result_of(out)


# The load: a CPU-bound guest sharing pCPU 2 with the MVM, a busy loop on
# each CPU the MVM has left (0 to 2; CPU 3 is the RTVM's or the probe
# guest's), and its system disk read over and over.
SPIN_XML = ('<domain type="shyper"><name>spin</name><memory unit="MiB">4</memory>'
            '<vcpu>1</vcpu><cputune><vcpupin vcpu="0" cpuset="2"/></cputune><os>'
            "<kernel>/usr/lib/shyper/tests/testguest.bin</kernel><cmdline>mode=spin</cmdline>"
            "</os></domain>")
LOAD_ON = ("for c in 0 1 2; do taskset -c $c sh -c 'while :; do :; done' & done; "
           "(while :; do dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null; done) & true")
LOAD_OFF = "kill $(jobs -p) 2>/dev/null; pkill -f 'while :' ; pkill dd; true"


def load(board, on):
    if on:
        board.check("echo '%s' > /tmp/spin.xml" % SPIN_XML)
        board.check("shyperctl vm create /tmp/spin.xml", 300)
        board.check(LOAD_ON, 60)
    else:
        board.check(LOAD_OFF, 120)
        board.check("shyperctl vm destroy spin; shyperctl vm undefine spin", 120)


def run_mode(label, clock_args, count, period_us, loaded_floor_count):
    bare = floor(count, period_us, clock_args)
    print("%s floor: %s" % (label, bare), flush=True)
    busy = floor(loaded_floor_count, period_us, clock_args, spin=3)
    print("%s floor, 3 CPUs spinning: %s" % (label, busy), flush=True)
    results = [("bare board (floor), idle", bare)]
    board = Board(["--smp", "4", "--mem", "2G"] + clock_args)
    try:
        board.wait_for_shell()
        for loaded in (False, True):
            if loaded:
                load(board, True)
            for example, name, what in (("latency-probe-rt.xml", "latency-probe-rt", "RTVM"),
                                        ("latency-probe.xml", "latency-probe",
                                         "GVM sharing its pCPU")):
                r = as_guest(board, example, name, count, period_us)
                print("%s %s%s: %s" % (label, what, " loaded" if loaded else "", r), flush=True)
                results.append(("%s, %s" % (what, "under load" if loaded else "idle"), r))
            if loaded:
                load(board, False)
            else:
                results.append(("bare board, 3 other CPUs spinning", busy))
    finally:
        board.close()
    return results


def table(results, unit_ns):
    """Ratios are to the floor above each row: idle, then the busy one."""
    base = results[0][1]
    unit = "ns" if unit_ns == 1 else "us"
    out = ("| where | min (%s) | mean (%s) | p99 (%s) | max (%s) | p99 / floor | max / floor |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n" % (unit, unit, unit, unit))
    for label, r in results:
        if label.startswith("bare board, 3"):
            base = r
        cells = [("%d" if unit_ns == 1 else "%.1f") % (r[k] / unit_ns)
                 for k in ("min_ns", "mean_ns", "p99_ns", "max_ns")]
        ratios = ["%.2f" % (r[k] / base[k]) if base[k] else ("1.00" if not r[k] else "-")
                  for k in ("p99_ns", "max_ns")]
        out += "| %s | %s | %s |\n" % (label, " | ".join(cells), " | ".join(ratios))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--period-us", type=int, default=1000)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    # Under icount a busy CPU holds QEMU's one thread for long turns: the
    # busy floor's samples are slow to take, so fewer of them.
    icount = run_mode("icount", ["--icount", "0"], args.count, args.period_us,
                      min(args.count, 100))
    wall = run_mode("wall", [], args.count, args.period_us, args.count)
    qemu, cpu = describe()
    text = (SECTION_TITLE + "\n\n"
            "The latency probe (examples/latency-probe): %d timer interrupts, %d us\n"
            "apart, each measured from its deadline to the entry of the guest's\n"
            "handler, on the bare board (the floor), as a real-time VM with pCPU 3\n"
            "to itself (`latency-probe-rt.xml`: its interrupts reach its EL1 with no\n"
            "exit, docs/rtvm.md) and as an ordinary guest sharing pCPU 3 with the\n"
            "MVM's vCPU 3 (`latency-probe.xml`: every interrupt through EL2).\n"
            "Under load: a CPU-bound guest shares pCPU 2 with the MVM, the MVM\n"
            "runs a busy loop on each CPU it has left and reads its system disk\n"
            "over and over.\n\n"
            "- Date: %s\n- QEMU: %s (TCG), host CPU: %s\n\n"
            "Ratios under load are to the bare board with three other CPUs\n"
            "spinning (the probe's `spin=3`): the same four busy emulated CPUs.\n\n"
            "### Path length: `-icount shift=0,sleep=off`\n\n"
            "Guest time advances 1 ns per instruction and jumps over idle time,\n"
            "so idle figures are repeatable instruction counts, not host noise.\n"
            "The probe reads a 62.5 MHz counter: 16 ns is one tick. Under load\n"
            "they are not path lengths: with icount QEMU runs every emulated CPU\n"
            "in turn on one host thread, and a busy CPU's turn lasts until the\n"
            "next timer event or QEMU's round-robin kick, which is what a sample\n"
            "then waits for (see the bare board's own figure with three CPUs\n"
            "spinning).\n\n%s\n"
            "### Wall clock (the default board)\n\n"
            "Noisy: a measure of the host (%d cores for QEMU's four CPU threads)\n"
            "as much as of the path; compare only within this table. The idle\n"
            "floor is a board with one emulated CPU; Shyper's board has four,\n"
            "the MVM's among them, so even idle the probe's CPU thread waits for\n"
            "a host core now and then, whichever way its interrupt comes. The\n"
            "icount table above is the one that measures the path.\n\n%s\n"
            "How it was measured: `tests/bench/latency_bench.py` (`make bench`).\n"
            "What is left: network traffic to a guest is not part of the load yet.\n\n"
            % (args.count, args.period_us, datetime.date.today().isoformat(), qemu, cpu,
               table(icount, 1), os.cpu_count() or 0, table(wall, 1000)))
    write_section(args.out, text, SECTION_TITLE)
    print("written to %s" % args.out)


if __name__ == "__main__":
    main()
