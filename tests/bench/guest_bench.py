#!/usr/bin/python3
"""Guest benchmark: a Linux guest's boot time, and the same CPU-bound
workload in a guest and in the MVM.

On one board (4 pCPUs, 2G) it defines a Linux guest from the shipped
example (one vCPU pinned to pCPU 3, 128 MiB) and then, N times:

  - boot: `shyperctl vm start` until the guest's console says
    "shyper-guest: user space reached" (wall time on the host, which
    includes loading the 30 MB kernel through /dev/shyper), then a
    graceful `vm stop`;
  - workload: the same busybox pipeline (hashing zeroes) timed with the
    guest's /proc/uptime in the guest, and pinned to CPU 3 (`taskset 8`)
    in the MVM, runs alternating between the two.

The MVM's vCPU 3 and the guest's vCPU share pCPU 3; whichever is not
working is idle (WFI) and gives the pCPU away. Writes the section "Guest
VMs" of docs/benchmarks.md (replacing an older one).

Run: /usr/bin/python3 tests/bench/guest_bench.py [--runs N] [--out docs/benchmarks.md]
"""

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "system"))
from conftest import Board, BOOT_TIMEOUT, qemu_board  # noqa: E402  (the system tests' board driver)

DEFAULT_OUT = os.path.join(REPO_ROOT, "docs", "benchmarks.md")
SECTION_TITLE = "## Guest VMs"
EXAMPLE = "/usr/share/shyper/examples/linux-guest.xml"
GUEST = "bench"
GUEST_PCPU = 3
# Hashing this many 64 KiB blocks of zeroes takes a few seconds under TCG.
WORK = "dd if=/dev/zero bs=64k count=%d 2>/dev/null | sha256sum >/dev/null"
TIMED = ("a=$(cut -d' ' -f1 /proc/uptime); %s; b=$(cut -d' ' -f1 /proc/uptime); "
         "echo \"bench-ela\"\"psed $a $b end\"")
# "end" matters: pexpect matches what has arrived so far, and without it
# "bench-elapsed 30.06 30.45" could match as soon as "30.06 3" was in.
ELAPSED_RE = r"bench-elapsed ([0-9.]+) ([0-9.]+) end"


def elapsed(match):
    return float(match.group(2)) - float(match.group(1))


def define_guest(board):
    board.check("sed -e 's|<name>[^<]*</name>|<name>%s</name>|' "
                "-e 's|<vcpu[^>]*>[0-9]*</vcpu>|<vcpu>1</vcpu>|' "
                "-e 's|<memory unit=.MiB.>[0-9]*</memory>|<memory unit=\"MiB\">128</memory>|' "
                "-e 's|<currentMemory[^>]*>[0-9]*</currentMemory>||' "
                "-e '/<vcpupin/d' -e '/cputune/d' "
                "-e 's|<os>|<cputune><vcpupin vcpu=\"0\" cpuset=\"%d\"/></cputune><os>|' "
                "%s > /tmp/bench.xml" % (GUEST, GUEST_PCPU, EXAMPLE))
    board.check("shyperctl vm define /tmp/bench.xml")


def boot_guest(board):
    """Starts the guest and attaches to its console; returns the seconds
    until its user-space line. Leaves the console attached."""
    start = time.monotonic()
    board.child.sendline("shyperctl vm start %s && shyperctl vm console %s" % (GUEST, GUEST))
    board.expect("shyper-guest: user space reached", BOOT_TIMEOUT, "the guest's user space")
    seconds = time.monotonic() - start
    board.expect(r"# ", 60, "the guest's shell prompt")
    return seconds


def detach(board):
    board.child.send("\x1d")
    board.expect(r"detached from VM", 30, "the console to detach")
    board.check("true")


def attach(board, name=GUEST):
    board.child.sendline("shyperctl vm console %s" % name)
    board.expect(r"Escape character", 30, "the console")
    board.child.sendline("")
    board.expect(r"# ", 60, "the guest's shell prompt")


def guest_work(board, count):
    board.child.sendline(TIMED % (WORK % count))
    board.expect(ELAPSED_RE, 600, "the guest's workload")
    return elapsed(board.child.match)


def mvm_work(board, count):
    out = board.check("taskset 8 sh -c '%s'" % (TIMED % (WORK % count)).replace("'", "'\\''"),
                      600)
    return elapsed(re.search(ELAPSED_RE, out))


def describe():
    qemu = subprocess.run([qemu_board.QEMU, "--version"], capture_output=True,
                          text=True).stdout.splitlines()[0]
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return qemu, "%s (%d cores)" % (cpu, os.cpu_count())


def write_section(out_path, text, title=SECTION_TITLE):
    """Replaces the section TITLE of OUT_PATH with TEXT (or appends it)."""
    try:
        with open(out_path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = "# Shyper benchmarks\n"
    start = doc.find(title)
    if start >= 0:
        end = doc.find("\n## ", start + len(title))
        doc = doc[:start] + text + (doc[end + 1:] if end >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(out_path, "w") as f:
        f.write(doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=2000, help="64 KiB blocks hashed per run")
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    board = Board(["--smp", "4", "--mem", "2G"])
    boots, guest, mvm = [], [], []
    try:
        board.wait_for_shell()
        define_guest(board)
        for run in range(args.runs):
            boots.append(boot_guest(board))
            # Alternate which side goes first, so drift hits both alike.
            if run % 2:
                detach(board)
                mvm.append(mvm_work(board, args.count))
                attach(board)
                guest.append(guest_work(board, args.count))
                detach(board)
            else:
                guest.append(guest_work(board, args.count))
                detach(board)
                mvm.append(mvm_work(board, args.count))
            board.check("shyperctl vm stop --timeout 60 %s" % GUEST, 120)
            print("run %d: boot %.2fs, work guest %.2fs, MVM %.2fs"
                  % (run + 1, boots[-1], guest[-1], mvm[-1]), flush=True)
        board.check("shyperctl vm undefine %s" % GUEST)
    finally:
        board.close()

    qemu, cpu = describe()
    ratio = statistics.median(guest) / statistics.median(mvm)
    rows = "".join("| %d | %.2f | %.2f | %.2f |\n" % (i + 1, b, g, m)
                   for i, (b, g, m) in enumerate(zip(boots, guest, mvm)))
    text = (SECTION_TITLE + "\n\n"
            "A Linux guest (the shipped example: Debian's arm64 kernel, the busybox\n"
            "guest initramfs; 1 vCPU on pCPU 3, 128 MiB) beside the MVM (4 vCPUs).\n\n"
            "- Date: %s\n- QEMU: %s (TCG), host CPU: %s\n"
            "- Workload: `%s` (%d MiB of zeroes hashed)\n\n"
            "| run | guest boot (s) | workload in the guest (s) | workload in the MVM (s) |\n"
            "|---:|---:|---:|---:|\n%s"
            "| **median** | **%.2f** | **%.2f** | **%.2f** |\n\n"
            "**Median workload ratio (guest / MVM): %.3f** (target: within 5%%)\n\n"
            "How it was measured: `tests/bench/guest_bench.py --runs %d` boots one\n"
            "board, defines the guest from `%s`, and per run: times on the host\n"
            "`shyperctl vm start` until the guest's console shows `shyper-guest: user\n"
            "space reached` (this includes reading and loading the 30 MB kernel and\n"
            "the initramfs through /dev/shyper, and the guest kernel's boot), runs the\n"
            "workload in the guest's shell and in the MVM pinned to CPU 3 with\n"
            "`taskset 8` (alternating which goes first), each timed by its own\n"
            "`/proc/uptime` (10 ms resolution), then stops the guest gracefully.\n"
            "The MVM's vCPU 3 and the guest's vCPU share pCPU 3; the one not working\n"
            "is idle in WFI, which gives the pCPU away.\n\n"
            % (datetime.date.today().isoformat(), qemu, cpu, WORK % args.count,
               args.count * 64 // 1024, rows, statistics.median(boots),
               statistics.median(guest), statistics.median(mvm), ratio, args.runs, EXAMPLE))
    write_section(args.out, text)
    print("median guest boot %.2fs; workload ratio guest/MVM %.3f; written to %s"
          % (statistics.median(boots), ratio, args.out))


if __name__ == "__main__":
    main()
