#!/usr/bin/python3
"""Live update: each phase's duration, and the pause guests see, beside the
same guests' figures without an update, in one run.

On one board (4 CPUs, 2G), the latency probe (examples/latency-probe) runs
twice side by side: as a real-time VM with pCPU 3 to itself and as an
ordinary guest on pCPU 2 (sharing it with the MVM's vCPU 2, which idles).
First with nothing else happening, then while the MVM updates the
hypervisor again and again, alternating two builds that differ in their
version string. The probe's worst sample during the updates is the pause it
saw (its timer interrupt waits while its pCPU is stopped); beside it, its
worst sample without updates. The phases are the updates' own reports.

Under `-icount shift=0,sleep=off` figures are guest time (1 ns per
instruction); in wall-clock time they are what the emulated board shows on
this host. Writes the section "## Live update" of docs/benchmarks.md.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "system"))
from conftest import Board  # noqa: E402  (the system tests' board driver)
from guest_bench import DEFAULT_OUT, describe, write_section  # noqa: E402

SECTION_TITLE = "## Live update"
IMAGES = {"main": os.path.join(REPO_ROOT, "build", "hypervisor", "shyper.bin"),
          "alt": os.path.join(REPO_ROOT, "build", "hypervisor-alt", "shyper.bin")}
EXAMPLES = "/usr/share/shyper/examples"
RESULT_RE = re.compile(r"latency-probe: (\{.*\})")
PROBES = (("latency-probe-rt.xml", "latency-probe-rt", "3", "RTVM, pCPU 3 its own"),
          ("latency-probe.xml", "latency-probe", "2", "GVM on pCPU 2"))


def start_probes(board, count, period_us):
    for example, name, pcpu, _ in PROBES:
        board.check("sed -e 's/count=1000/count=%d/' -e 's/period_us=1000/period_us=%d/' "
                    "-e \"s/cpuset='3'/cpuset='%s'/\" "
                    "-e 's|<on_poweroff>destroy|<on_poweroff>preserve|' %s/%s > /tmp/%s.xml"
                    % (count, period_us, pcpu, EXAMPLES, example, name))
        board.check("shyperctl vm create /tmp/%s.xml" % name, 300)


def probe_results(board, timeout):
    results = {}
    deadline = time.time() + timeout
    for _, name, _, label in PROBES:
        while time.time() < deadline:
            state = json.loads(board.check("shyperctl --json vm info %s" % name, 120))["state"]
            if state == "shutoff":
                break
            time.sleep(2)
        status, out = board.run("timeout 5 shyperctl vm console %s </dev/null" % name, 120)
        match = RESULT_RE.search(out)
        if not match:
            sys.exit("update_bench: no result from %s:\n%s" % (name, out[-2000:]))
        results[label] = json.loads(match.group(1))
        board.check("shyperctl vm destroy %s >/dev/null 2>&1; shyperctl vm undefine %s"
                    % (name, name), 120)
    return results


def update_once(board, image):
    out = board.check("shyperctl hv update --json /mnt/share/%s.bin 2>/dev/null" % image, 300)
    return json.loads(out[out.find("{\n"):out.rfind("}") + 1])


def run_mode(label, clock_args, count, period_us, updates):
    share = tempfile.mkdtemp(prefix="shyper-bench.")
    for name, path in IMAGES.items():
        if not os.path.isfile(path):
            sys.exit("update_bench: %s not built (make hypervisor-test-images)" % path)
        shutil.copy(path, os.path.join(share, name + ".bin"))
    board = Board(["--smp", "4", "--mem", "2G", "--share", share] + clock_args)
    try:
        board.wait_for_shell()
        update_once(board, "main")  # the first update frees the boot map's extra table
        start_probes(board, count, period_us)
        quiet = probe_results(board, 600 + count * period_us / 1e6 * 60)
        print("%s without updates: %s" % (label, quiet), flush=True)
        start_probes(board, count, period_us)
        reports = [update_once(board, "alt" if i % 2 == 0 else "main") for i in range(updates)]
        busy = probe_results(board, 600 + count * period_us / 1e6 * 60)
        print("%s with %d updates: %s" % (label, updates, busy), flush=True)
    finally:
        board.close()
        shutil.rmtree(share, ignore_errors=True)
    return quiet, busy, reports


def us(ns):
    return "%.1f" % (ns / 1000.0)


def phase_table(reports):
    out = ("| phase | median (us) | max (us) |\n|---|---:|---:|\n")
    rows = [("stage (copying the image in; MVM)", [r["phases_ns"]["stage"] for r in reports]),
            ("check (header, SHA-256; guests run)", [r["phases_ns"]["check"] for r in reports]),
            ("rendezvous (until every pCPU stopped)",
             [r["phases_ns"]["rendezvous"] for r in reports]),
            ("takeover (the new image, every pCPU stopped)",
             [r["phases_ns"]["takeover"] for r in reports]),
            ("resume (until every pCPU was back)", [r["phases_ns"]["resume"] for r in reports]),
            ("**pause** (longest any pCPU was away)", [r["pause_ns"] for r in reports])]
    for name, values in rows:
        out += "| %s | %s | %s |\n" % (name, us(statistics.median(values)), us(max(values)))
    return out


def probe_table(quiet, busy):
    out = ("| guest | max without updates (us) | max during updates (us) | ratio |\n"
           "|---|---:|---:|---:|\n")
    for _, _, _, label in PROBES:
        q, b = quiet[label]["max_ns"], busy[label]["max_ns"]
        out += "| %s | %s | %s | %s |\n" % (label, us(q), us(b),
                                             "%.2f" % (b / q) if q else "-")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--period-us", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    icount = run_mode("icount", ["--icount", "0"], args.count, args.period_us, args.updates)
    wall = run_mode("wall", [], args.count, args.period_us, args.updates)
    qemu, cpu = describe()
    text = (SECTION_TITLE + "\n\n"
            "`shyperctl hv update`, alternating two builds of the same sources\n"
            "(version suffix `+alt`) on a board with the MVM and two latency\n"
            "probes (examples/latency-probe, %d timer interrupts %d us apart): one\n"
            "as a real-time VM alone on pCPU 3, one as an ordinary guest on pCPU 2.\n"
            "The probes ran once without an update and once while the MVM made\n"
            "%d updates; a probe's worst sample during the updates is the pause its\n"
            "vCPU saw. The phases are the updates' own reports (docs/live-update.md).\n"
            "The ordinary guest shares pCPU 2 with the MVM's vCPU 2, which runs the\n"
            "updates' commands: its worst sample then includes waiting for its turn\n"
            "on a shared pCPU (10 ms slices), not only the pause. Goals (the issue):\n"
            "no vCPU paused for more than 1 ms of guest time, and the RTVM's worst\n"
            "latency during updates at most twice its worst without.\n\n"
            "- Date: %s\n- QEMU: %s (TCG), host CPU: %s\n\n"
            "### Guest time: `-icount shift=0,sleep=off`\n\n"
            "1 ns per instruction, idle time skipped: path lengths. QEMU runs the\n"
            "four CPUs in turn on one thread, so a pCPU waiting at the rendezvous\n"
            "costs guest time while the others run.\n\n%s\n%s\n"
            "### Wall clock (the default board)\n\n"
            "Four emulated CPUs on %d host cores: the rendezvous waits for QEMU to\n"
            "give each stopped CPU's thread a core; compare within this table.\n\n"
            "%s\n%s\n"
            "How it was measured: `tests/bench/update_bench.py` (`make bench`).\n\n"
            % (args.count, args.period_us, args.updates, datetime.date.today().isoformat(),
               qemu, cpu, phase_table(icount[2]), probe_table(icount[0], icount[1]),
               os.cpu_count() or 0, phase_table(wall[2]), probe_table(wall[0], wall[1])))
    write_section(args.out, text, SECTION_TITLE)
    print("written to %s" % args.out)


if __name__ == "__main__":
    main()
