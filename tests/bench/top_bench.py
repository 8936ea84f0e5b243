#!/usr/bin/python3
"""shyper-top's own CPU use in the MVM, beside its batch and JSON modes and
the MVM's `top`, all running at once on one board.

The board runs the MVM and three bare-metal test guests (tests/guests): on
the wall-clock board one idle in WFI, one keeping its virtio disk's queue
full (so that the rate columns change every frame) and one spinning; under
-icount three idle ones (see ICOUNT_GUESTS). In the MVM,
pinned to vCPU 0 and side by side for the same stretch of time, each at
its default refresh (1 s): shyper-top on a pseudo-terminal (100x30,
xterm-256color: the interactive dashboard as a user sees it), `shyper-top
-b`, `shyper-top --json`, and busybox's `top -b` (the reference a user
knows). Each program's CPU time is read from /proc/PID/schedstat at the
start and end of the stretch; its share of one vCPU is that over the time
the MVM's own clock counts (/proc/uptime). Once with `-icount` (path
lengths), once on the wall clock. Writes the section "## Dashboard" of
docs/benchmarks.md.
"""

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "system"))
from conftest import Board  # noqa: E402  (the system tests' board driver)
from guest_bench import DEFAULT_OUT, describe, write_section  # noqa: E402

SECTION_TITLE = "## Dashboard"
TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"
PTY = "/usr/lib/shyper/tests/shyper-pty"
DISK = ("<disk type='file' device='disk'><source file='/tmp/bench-disk.img'/>"
        "<target dev='vda' bus='virtio'/></disk>")
GUESTS = (("bench-spin", "mode=spin", 2, ""),
          ("bench-idle", "mode=wait", 3, ""),
          ("bench-disk", "blkstorm=0", 1, DISK))
# Under -icount QEMU runs the CPUs in turn on one thread and guest time
# advances with every CPU's instructions: while a busy guest's CPU has its
# turn, whatever is on the MVM's vCPU 0 is charged for it. So only idle
# guests there, the table still full of rows.
ICOUNT_GUESTS = (GUESTS[1], ("bench-idle2", "mode=wait", 2, ""),
                 ("bench-idle3", "mode=wait", 1, ""))


def guest_xml(name, cmdline, pcpu, disks):
    return ("<domain type='shyper'><name>%s</name><memory unit='MiB'>8</memory>"
            "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='%d'/></cputune>"
            "<os><kernel>%s</kernel><cmdline>%s</cmdline></os>"
            "<devices><console type='pty'><target type='serial'/></console>%s</devices>"
            "</domain>\n" % (name, pcpu, TESTGUEST, cmdline, disks))


def programs():
    """(label, shell command that starts it in the background and writes its
    pid to /tmp/bench-LABEL.pid)."""
    # No time limit of its own: under -icount with every CPU idle, guest
    # time runs far ahead of the host's; the board goes when we are done.
    limit = 7 * 86400
    progs = [("shyper-top (curses, 100x30)",
              "(%s -o /tmp/bench-top.out -s 100x30 -t xterm-256color -p /tmp/bench-0.pid "
              "-T %d -- taskset -c 0 shyper-top </dev/null >/dev/null 2>&1 &)" % (PTY, limit)),
             ("shyper-top -b",
              "(taskset -c 0 shyper-top -b >/dev/null 2>&1 & echo $! > /tmp/bench-1.pid)"),
             ("shyper-top --json",
              "(taskset -c 0 shyper-top --json >/dev/null 2>&1 & echo $! > /tmp/bench-2.pid)"),
             ("top -b (busybox, the MVM's own)",
              "(taskset -c 0 top -b -d 1 >/dev/null 2>&1 & echo $! > /tmp/bench-3.pid)")]
    return progs


def cpu_ns(board, pids):
    """Each pid's time on a CPU (/proc/PID/schedstat: the scheduler's own
    count in ns, not a sample of clock ticks) and resident KiB, and the
    MVM's uptime in seconds, in one command."""
    out = board.check("cat /proc/uptime; for p in %s; do cut -d' ' -f1 /proc/$p/schedstat; "
                      "grep VmRSS /proc/$p/status; done" % " ".join(pids))
    lines = out.strip().split("\n")
    uptime = float(lines[0].split()[0])
    ns, rss = [], []
    for i in range(len(pids)):
        ns.append(int(lines[1 + 2 * i]))
        rss.append(int(lines[2 + 2 * i].split()[1]))
    return uptime, ns, rss


def measure(seconds, settle, clock_args, guests):
    share = tempfile.mkdtemp(prefix="shyper-bench.")
    board = Board(["--smp", "4", "--mem", "2G", "--share", share] + clock_args)
    try:
        board.wait_for_shell()
        board.check("dd if=/dev/zero of=/tmp/bench-disk.img bs=1M count=4 2>/dev/null")
        for name, cmdline, pcpu, disks in guests:
            with open(os.path.join(share, name + ".xml"), "w") as f:
                f.write(guest_xml(name, cmdline, pcpu, disks))
            board.check("shyperctl vm create /mnt/share/%s.xml" % name, 120)
        progs = programs()
        for _, command in progs:
            board.check(command)
        pids = []
        for i in range(len(progs)):
            pids.append(board.check("for i in $(seq 100); do [ -s /tmp/bench-%d.pid ] && break; "
                                    "sleep 0.1; done; cat /tmp/bench-%d.pid" % (i, i)).strip())
        time.sleep(settle)
        up0, t0, _ = cpu_ns(board, pids)
        time.sleep(seconds)
        up1, t1, rss = cpu_ns(board, pids)
        # Each is still running: a crash would make its figure meaningless.
        board.check("for p in %s; do kill -0 $p; done" % " ".join(pids))
        board.run("kill %s" % " ".join(pids))
        board.run("cp /tmp/bench-top.out /mnt/share/")
        with open(os.path.join(share, "bench-top.out"), "rb") as f:
            screen = render(f.read(), 100, 30)
    finally:
        board.close()
        shutil.rmtree(share, ignore_errors=True)
    wall = up1 - up0
    return [(label, (b - a) / 1e9 / wall * 100.0, kib)
            for (label, _), a, b, kib in zip(progs, t0, t1, rss)], wall, screen


def render(data, cols, rows):
    """The dashboard's last screen, as a terminal would show it."""
    from test_top import Screen, Stream  # pyte, with xterm's REP
    screen = Screen(cols, rows)
    Stream(screen).feed(data)
    return "\n".join(line.rstrip() for line in screen.display)


def table(results):
    base = results[0][1]
    out = ("| program (refresh 1 s) | CPU, % of one vCPU | ratio to the dashboard "
           "| resident (KiB) |\n|---|---:|---:|---:|\n")
    for label, pct, kib in results:
        out += "| %s | %.2f | %s | %d |\n" % (label, pct,
                                               "%.2f" % (pct / base) if base else "-", kib)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="measured, wall clock")
    parser.add_argument("--icount-seconds", type=int, default=60, help="measured, -icount")
    parser.add_argument("--settle", type=int, default=10)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    runs = []
    for label, clock_args, seconds, guests in (
            ("icount", ["--icount", "0"], args.icount_seconds, ICOUNT_GUESTS),
            ("wall", [], args.seconds, GUESTS)):
        results, wall, screen = measure(seconds, args.settle, clock_args, guests)
        print(screen)
        for name, pct, kib in results:
            print("%s: %-34s %6.2f%% of one vCPU, %d KiB resident" % (label, name, pct, kib),
                  flush=True)
        runs.append((results, wall))
    qemu, cpu = describe()
    text = (SECTION_TITLE + "\n\n"
            "shyper-top's own CPU use in the MVM at its default refresh (1 s),\n"
            "beside its batch and JSON modes and the MVM's own `top -b`, all\n"
            "running at once on the MVM's vCPU 0 (which shares its pCPU with no\n"
            "guest: Linux has no steal time here, so a vCPU's time given to a guest\n"
            "would be charged to whatever ran on it). A share is the program's time\n"
            "on a CPU (/proc/PID/schedstat) over the MVM's elapsed time. The goal\n"
            "(issue 14): under 1%% of one vCPU for the dashboard.\n\n"
            "- Date: %s\n- QEMU: %s (TCG), host CPU: %s\n\n"
            "### Guest time: `-icount shift=0,sleep=off`\n\n"
            "1 ns per instruction, so a share is the program's path length, as\n"
            "on a CPU that retires one instruction per nanosecond. QEMU runs the\n"
            "CPUs in turn and guest time advances with all of them, so the guests\n"
            "(three) idle here: a busy one's turns would be charged to vCPU 0's\n"
            "programs. The rates are then mostly zeros; the wall-clock run below\n"
            "has them moving. %.0f s measured.\n\n%s\n"
            "### Wall clock (the default board)\n\n"
            "Four emulated CPUs on %d host cores, two of them kept busy by guests\n"
            "(one spinning, one keeping its disk busy, one idle); %.0f s measured.\n"
            "Each emulated CPU gets part of a host core, so these shares are\n"
            "larger than the same work on hardware; compare within the table.\n\n%s\n"
            "Resident memory is VmRSS at the end; busybox top's 4 KiB is what\n"
            "/proc says of it and was not looked into.\n\n"
            "How it was measured: `tests/bench/top_bench.py` (`make bench`).\n\n"
            % (datetime.date.today().isoformat(), qemu, cpu, runs[0][1], table(runs[0][0]),
               os.cpu_count() or 0, runs[1][1], table(runs[1][0])))
    write_section(args.out, text, SECTION_TITLE)
    print("written to %s" % args.out)


if __name__ == "__main__":
    main()
