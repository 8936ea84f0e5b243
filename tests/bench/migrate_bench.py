#!/usr/bin/python3
"""Migration: total time, downtime, rounds and bytes of `shyperctl vm
migrate` between two boards of the lab, beside the link's own rate and
QEMU's own migration of the same guest, in one run.

Two linked boards (4 CPUs, 2G each) as the system tests boot them. First
the link: raw TCP from board-1's MVM to board-2's (tests/mvm/shyper-tcp-rate),
the most a migration could use. Then three guests of 256 MiB are moved from board-1
to board-2 with the default options (--max-downtime 300, TLS):

- the shipped Linux guest, idle at its shell;
- the test guest (mode=dirty) writing one byte of every page of a region
  of its RAM, page after page, as fast as it can, in two region sizes.
  Its console says the longest it ever waited between two pages in its own
  virtual time: the pause as the guest sees it (its virtual counter does not
  count the time it was stopped; docs/migration.md).

Beside them, QEMU's own migration (`migrate` over a UNIX socket, its
defaults: 300 ms downtime limit, 128 MiB/s bandwidth limit) of the same
Linux kernel and initramfs with 256 MiB, between two QEMU processes on this
host: the figure a user would compare with. Wall clock; writes the section
"## Migration" of docs/benchmarks.md.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "system"))
sys.path.insert(0, os.path.join(REPO_ROOT, "packaging"))
from conftest import boot_linked_boards  # noqa: E402  (the system tests' boards)
from guest_bench import DEFAULT_OUT, describe, write_section  # noqa: E402
from test_virtio import disk_guest  # noqa: E402
import qemu_board  # noqa: E402

SECTION_TITLE = "## Migration"
SHARE = "/mnt/share"
TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"
TCP_RATE = "/usr/lib/shyper/tests/shyper-tcp-rate"
GUEST_KERNEL = os.path.join(REPO_ROOT, "build", "mvm", "Image")
GUEST_INITRD = os.path.join(REPO_ROOT, "build", "examples", "guest-initramfs.cpio.gz")
MEM_MIB = 256
LINK_MIB = 32
QEMU_BANDWIDTH = 128 << 20  # QEMU 7.2's default max-bandwidth, bytes/s


def linux_xml(name):
    """The shipped Linux guest on its PL011 (the system tests' own), with
    MEM_MIB and pCPU 1."""
    return disk_guest(name, "").replace(
        "<memory unit='MiB'>128</memory>", "<memory unit='MiB'>%d</memory>" % MEM_MIB).replace(
        "cpuset='2'", "cpuset='1'")


def dirty_xml(name, region_mib):
    return ("<domain type='shyper'><name>%s</name><memory unit='MiB'>%d</memory>"
            "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='1'/></cputune>"
            "<os><kernel>%s</kernel><cmdline>mode=dirty dirtymib=%d</cmdline></os>"
            "<devices><console type='pty'><target type='serial' port='0'/></console>"
            "</devices></domain>" % (name, MEM_MIB, TESTGUEST, region_mib))


def console(board, name, seconds=3):
    return board.run("timeout %d shyperctl vm console %s </dev/null 2>&1" % (seconds, name),
                     seconds + 60)[1]


def link_rate(one, two, runs):
    """MB/s of raw TCP from board-1's MVM to board-2's over the lab link
    (tests/mvm/shyper-tcp-rate: 256 KiB a call, timed to the receiver's
    close)."""
    rates = []
    for _ in range(runs):
        two.check("%s recv 7001 >/tmp/rate.log 2>&1 & true" % TCP_RATE)
        time.sleep(1)
        out = one.check("%s send 10.99.0.2 7001 %d" % (TCP_RATE, LINK_MIB), 600)
        m = re.search(r"in ([\d.]+) s: ([\d.]+) MB/s", out)
        if not m:
            sys.exit("migrate_bench: no rate from the link run:\n%s" % out)
        rates.append(float(m.group(2)))
    return statistics.median(rates)


def migrate(one, name):
    out = one.check("shyperctl vm migrate --json %s board-2 2>&1" % name, 1800)
    return json.loads(out[out.find("{"):out.rfind("}") + 1])


def shyper_runs(one, two, share, dirty_regions):
    results = []
    # The idle Linux guest: booted to its shell, then left alone.
    with open(os.path.join(share, "bench-linux.xml"), "w") as f:
        f.write(linux_xml("bench-linux"))
    one.check("shyperctl vm create %s/bench-linux.xml" % SHARE, 300)
    deadline, seen = time.time() + 300, ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console(one, "bench-linux")
    time.sleep(5)
    report = migrate(one, "bench-linux")
    results.append(("Linux guest, idle", report, None))
    print("idle Linux guest: %s" % report, flush=True)
    two.check("shyperctl vm destroy bench-linux; shyperctl vm undefine bench-linux", 120)

    for region in dirty_regions:
        name = "bench-dirty-%d" % region
        with open(os.path.join(share, name + ".xml"), "w") as f:
            f.write(dirty_xml(name, region))
        one.check("shyperctl vm create %s/%s.xml" % (SHARE, name), 120)
        deadline, seen = time.time() + 120, ""
        while len(re.findall(r"dirty ok pass", seen)) < 2 and time.time() < deadline:
            seen += console(one, name)
        before = max([int(g) for g in re.findall(r"gap (\d+) us", seen)] or [0])
        report = migrate(one, name)
        deadline, after = time.time() + 120, ""
        while len(re.findall(r"dirty ok pass", after)) < 2 and time.time() < deadline:
            after += console(two, name)
        if "BAD" in after or "dirty ok" not in after:
            sys.exit("migrate_bench: %s did not go on right:\n%s" % (name, after[-2000:]))
        gap = max(int(g) for g in re.findall(r"gap (\d+) us", after))
        results.append(("test guest dirtying %d MiB" % region, report, (before, gap)))
        print("dirtying %d MiB: %s, gap %d -> %d us" % (region, report, before, gap), flush=True)
        two.check("shyperctl vm destroy %s; shyperctl vm undefine %s" % (name, name), 120)
    return results


class Qmp:
    """A QMP connection (QEMU's JSON monitor), enough for migration."""

    def __init__(self, path):
        deadline = time.time() + 30
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # the greeting
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        self.file.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError("QMP %s: %s" % (name, reply["error"]))
            return reply["return"]

    def close(self):
        self.sock.close()


def qemu_run():
    """QEMU's own migration of the Linux guest between two QEMU processes."""
    folder = tempfile.mkdtemp(prefix="shyper-qmig.", dir="/tmp")
    procs = []
    try:
        def start(role, extra):
            log = open(os.path.join(folder, role + ".log"), "w")
            cmd = qemu_board.board_command("virt", 1, MEM_MIB)
            cmd[cmd.index("mon:stdio")] = "file:" + os.path.join(folder, role + ".serial")
            cmd += ["-kernel", GUEST_KERNEL, "-initrd", GUEST_INITRD,
                    "-append", "console=ttyAMA0 quiet rdinit=/init",
                    "-qmp", "unix:%s,server=on,wait=off" % os.path.join(folder, role + ".qmp")]
            procs.append(subprocess.Popen(qemu_board.check_command(cmd + extra),
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=log))
            return Qmp(os.path.join(folder, role + ".qmp"))

        src = start("src", [])
        deadline = time.time() + 300
        serial = os.path.join(folder, "src.serial")
        while time.time() < deadline:
            with open(serial, errors="replace") as f:
                if "user space reached" in f.read():
                    break
            time.sleep(1)
        else:
            sys.exit("migrate_bench: QEMU's guest did not boot")
        time.sleep(5)
        dst = start("dst", ["-incoming", "defer"])
        sock = os.path.join(folder, "migration.sock")
        dst.command("migrate-incoming", uri="unix:" + sock)
        src.command("migrate", uri="unix:" + sock)
        while True:
            info = src.command("query-migrate")
            if info.get("status") in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.2)
        if info["status"] != "completed":
            sys.exit("migrate_bench: QEMU's migration %s" % info)
        ram = info["ram"]
        report = {"total_ns": info["total-time"] * 1000000,
                  "downtime_ns": info["downtime"] * 1000000,
                  "rounds": ram.get("dirty-sync-count", 0),
                  "bytes": ram["transferred"],
                  "rate_mbps": ram.get("mbps", 0.0)}
        print("QEMU: %s" % report, flush=True)
        src.close()
        dst.close()
        return report
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(folder, ignore_errors=True)


def table(results, rate):
    out = ("| guest | total (s) | downtime (ms) | rounds | MiB sent | over the link's rate "
           "| guest's longest wait between two pages, before / after (us) |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n")
    for label, r, gap in results:
        need = r["bytes"] / 1e6 / rate
        out += "| %s | %.1f | %.0f | %d | %.1f | %.2fx | %s |\n" % (
            label, r["total_ns"] / 1e9, r["downtime_ns"] / 1e6, r["rounds"],
            r["bytes"] / 1048576.0, r["total_ns"] / 1e9 / need if need else 0,
            "%d / %d" % gap if gap else "-")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link-runs", type=int, default=3)
    parser.add_argument("--regions", default="4,32",
                        help="MiB dirtied by the test guest, one run each")
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    for path in (GUEST_KERNEL, GUEST_INITRD):
        if not os.path.isfile(path):
            sys.exit("migrate_bench: %s not built (make all)" % path)

    link = tempfile.mkdtemp(prefix="shyper-link.", dir="/tmp")
    share = tempfile.mkdtemp(prefix="shyper-lab-share.")
    boards = boot_linked_boards(2, link, share)
    try:
        one, two = boards
        rate = link_rate(one, two, args.link_runs)
        print("link: %.2f MB/s" % rate, flush=True)
        results = shyper_runs(one, two, share,
                              [int(x) for x in args.regions.split(",") if x])
    finally:
        for b in boards:
            b.close()
        shutil.rmtree(link, ignore_errors=True)
        shutil.rmtree(share, ignore_errors=True)
    qemu = qemu_run()
    qemu_version, cpu = describe()
    qemu_need = qemu["bytes"] / float(QEMU_BANDWIDTH)
    text = (SECTION_TITLE + "\n\n"
            "`shyperctl vm migrate NAME board-2` with its defaults (300 ms downtime\n"
            "limit, TLS) between two boards of the lab (4 emulated CPUs and 2G each, on\n"
            "one host), for %d MiB guests. *over the link's rate* is the total time\n"
            "divided by the time the stream's bytes need at the link's raw TCP rate\n"
            "between the two MVMs, measured in the same run (%d MiB with\n"
            "tests/mvm/shyper-tcp-rate, median of %d): %.2f MB/s. The test guest's\n"
            "longest wait is in its own virtual time, which stands still while it is\n"
            "stopped (CNTVOFF): a jump there would be a clock the guest sees jump.\n"
            "Goals (the issue): a downtime of at most 30 ms of guest time for the idle\n"
            "guest, and a total time of at most 1.5x what its bytes need at the\n"
            "link's rate.\n\n"
            "- Date: %s\n- QEMU: %s (TCG), host CPU: %s\n\n%s\n"
            "Beside it, QEMU's own migration of the same Linux kernel and initramfs\n"
            "with %d MiB, between two QEMU processes on this host over a UNIX socket\n"
            "(its defaults: 300 ms downtime limit, 128 MiB/s bandwidth limit):\n"
            "total %.2f s, downtime %.0f ms, %d rounds, %.1f MiB sent at %.0f Mbit/s:\n"
            "%.2fx what its bytes need at its bandwidth limit. Its stream runs at host\n"
            "speed, ours through two emulated boards' network stacks and TLS: the\n"
            "ratio to each one's own link is the fair comparison.\n\n"
            "How it was measured: `tests/bench/migrate_bench.py` (`make bench`).\n\n"
            % (MEM_MIB, LINK_MIB, args.link_runs, rate, datetime.date.today().isoformat(),
               qemu_version, cpu, table(results, rate), MEM_MIB, qemu["total_ns"] / 1e9,
               qemu["downtime_ns"] / 1e6, qemu["rounds"], qemu["bytes"] / 1048576.0,
               qemu["rate_mbps"], qemu["total_ns"] / 1e9 / qemu_need))
    write_section(args.out, text, SECTION_TITLE)
    print("written to %s" % args.out)


if __name__ == "__main__":
    main()
