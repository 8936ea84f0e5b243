#!/usr/bin/python3
"""I/O benchmark: a guest's virtio disks and NIC against the MVM doing the
same directly, side by side on one board.

The board (4 pCPUs, 2G) gets a scratch disk of its own (a raw file on the
host, ext4, mounted in the MVM at /mnt/bench). A Linux guest from the
shipped example (one vCPU pinned to pCPU 3, 512 MiB) gets two raw images
of 64 MiB as virtio disks, served by shyperd:

  vda  /mnt/bench/iobench.img, on the MVM's disk: every read starts with
       cold caches in the guest and in the MVM, so both sides read from
       the (emulated) disk, and writes end in fsync;
  vdb  /tmp/iobench.img, in the MVM's memory (tmpfs): no disk at all, the
       ratio is the whole cost of the virtio path against a memory copy;

and a NIC on network "default". The guest keeps both disks open (see
hold_disks_open). Then, N times, alternating which side
goes first, it times in the guest (on /dev/vdX) and in the MVM (on the
image file):

  - read: `dd` of the whole disk to /dev/null, caches dropped first;
  - write: `dd` of zeroes over the whole disk, with fsync, once after
    reading the disk untimed (warm caches), once with caches dropped;
  - TCP: the MVM fetches a file of zeroes with wget from a busybox httpd
    in the guest (guest to MVM) and from one in the MVM (loopback).

Each side times itself with its own /proc/uptime. The ratios are of
medians: guest throughput / MVM throughput. Writes the section "Guest
I/O" of docs/benchmarks.md (replacing an older one).

Run: /usr/bin/python3 tests/bench/io_bench.py [--runs N] [--out docs/benchmarks.md]
"""

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile

from guest_bench import (REPO_ROOT, DEFAULT_OUT, ELAPSED_RE, TIMED, describe, detach,  # noqa: F401
                         elapsed, write_section)
import guest_bench

sys.path.insert(0, "%s/tests/system" % REPO_ROOT)
from conftest import Board, BOOT_TIMEOUT  # noqa: E402

SECTION_TITLE = "## Guest I/O"
EXAMPLE = "/usr/share/shyper/examples/linux-guest.xml"
GUEST = "iobench"
GUEST_PCPU = 3
# Room for the guest to keep both disks in its page cache, as the MVM does
# with the images.
GUEST_MIB = 512
DISK_MIB = 64
NET_MIB = 16
SCRATCH_MIB = 256
SCRATCH_LABEL = "shyperbench"
IMAGES = {"vda": "/mnt/bench/iobench.img", "vdb": "/tmp/iobench.img"}
DROP = "sync; echo 3 > /proc/sys/vm/drop_caches"

GUEST_WRITE = "dd if=/dev/zero of=/dev/%%s bs=1M count=%d conv=fsync 2>/dev/null" % DISK_MIB
MVM_WRITE = "dd if=/dev/zero of=%%s bs=1M count=%d conv=notrunc,fsync 2>/dev/null" % DISK_MIB
GUEST_READ = "dd if=/dev/%%s of=/dev/null bs=1M count=%d 2>/dev/null" % DISK_MIB
MVM_READ = "dd if=%%s of=/dev/null bs=1M count=%d 2>/dev/null" % DISK_MIB
# Counts what arrived: a fetch that failed would look fast.
FETCH = "wget -q -O - http://%s/big | wc -c > /tmp/fetched"


def define_guest(board):
    board.check("mkdir -p /mnt/bench && mount $(findfs LABEL=%s) /mnt/bench" % SCRATCH_LABEL)
    devices = ""
    for dev, image in sorted(IMAGES.items()):
        board.check("dd if=/dev/zero of=%s bs=1M count=%d 2>/dev/null" % (image, DISK_MIB))
        devices += ("<disk type='file' device='disk'><source file='%s'/>"
                    "<target dev='%s' bus='virtio'/></disk>" % (image, dev))
    devices += "<interface type='network'><source network='default'/></interface>"
    board.check("sed -e 's|<name>[^<]*</name>|<name>%s</name>|' "
                "-e 's|<vcpu[^>]*>[0-9]*</vcpu>|<vcpu>1</vcpu>|' "
                "-e 's|<memory unit=.MiB.>[0-9]*</memory>|<memory unit=\"MiB\">%d</memory>|' "
                "-e 's|<currentMemory[^>]*>[0-9]*</currentMemory>||' "
                "-e '/<vcpupin/d' -e '/cputune/d' "
                "-e 's|<os>|<cputune><vcpupin vcpu=\"0\" cpuset=\"%d\"/></cputune><os>|' "
                "-e \"s|</devices>|%s</devices>|\" "
                "%s > /tmp/iobench.xml" % (GUEST, GUEST_MIB, GUEST_PCPU, devices, EXAMPLE))
    board.check("shyperctl vm define /tmp/iobench.xml")


def start_guest(board):
    """Starts the guest, waits for its address; leaves its console attached."""
    board.child.sendline("shyperctl vm start %s && shyperctl vm console %s" % (GUEST, GUEST))
    # The line's end too: pexpect matches what has arrived so far.
    board.expect(r"shyper-guest: eth0 has (\d+\.\d+\.\d+\.\d+)[\r\n]", BOOT_TIMEOUT,
                 "the guest's address")
    address = board.child.match.group(1)
    board.child.sendline("")
    board.expect(r"# ", 60, "the guest's shell prompt")
    return address


def in_guest(board, command, before=None):
    """Seconds COMMAND takes in the guest; BEFORE runs first, untimed."""
    guest_bench.attach(board, GUEST)
    if before:
        board.child.sendline(before)
        board.expect(r"# ", 120, "the guest's shell prompt")
    board.child.sendline(TIMED % command)
    board.expect(ELAPSED_RE, 600, "the guest's timing")
    seconds = elapsed(board.child.match)
    board.expect(r"# ", 60, "the guest's shell prompt")
    detach(board)
    assert seconds >= 0, board.child.match.group(0)
    return seconds


def in_mvm(board, command, before=None):
    if before:
        board.check(before, 120)
    out = board.check("sh -c '%s'" % (TIMED % command).replace("'", "'\\''"), 600)
    return elapsed(re.search(ELAPSED_RE, out))


def fetch(board, where):
    seconds = in_mvm(board, FETCH % where)
    got = int(board.check("cat /tmp/fetched").strip())
    assert got == NET_MIB << 20, "fetching from %s: %d bytes" % (where, got)
    return seconds


def hold_disks_open(board):
    """The guest's shell keeps its disks open for the whole benchmark. The
    last close of a Linux block device writes it back and drops its page
    cache, which a dd on an image file in the MVM never does: without this,
    every guest dd would end by freeing its 64 MiB of page cache, and a warm
    run would find nothing cached."""
    in_guest(board, "exec %s" % " ".join(
        "%d</dev/%s" % (3 + i, dev) for i, dev in enumerate(sorted(IMAGES))))


def side_by_side(board, run, guest, mvm, cold):
    """(guest seconds, MVM seconds) for the commands GUEST and MVM, the
    order alternating with RUN. COLD: each starts with empty page caches:
    the guest's and the MVM's (shyperd reads the image through it) before
    the guest's command, the MVM's before its own. Otherwise each side
    first reads the whole disk, untimed, into its own page cache."""
    dev, image = guest[1], mvm[1]

    def on_guest():
        if cold:
            board.check(DROP)
        return in_guest(board, guest[0] % dev, DROP if cold else GUEST_READ % dev)

    def on_mvm():
        return in_mvm(board, mvm[0] % image, DROP if cold else MVM_READ % image)

    if run % 2:
        m = on_mvm()
        g = on_guest()
    else:
        g = on_guest()
        m = on_mvm()
    return g, m


def measure_disk(board, run, results, dev, suffix=""):
    image = IMAGES[dev]
    results[dev + " read" + suffix].append(side_by_side(
        board, run, (GUEST_READ, dev), (MVM_READ, image), cold=True))
    results[dev + " write warm" + suffix].append(side_by_side(
        board, run, (GUEST_WRITE, dev), (MVM_WRITE, image), cold=False))
    results[dev + " write" + suffix].append(side_by_side(
        board, run, (GUEST_WRITE, dev), (MVM_WRITE, image), cold=True))


def measure(board, run, results):
    for dev in sorted(IMAGES):
        measure_disk(board, run, results, dev)
    if run % 2:
        loop = fetch(board, "127.0.0.1:8082")
        net = fetch(board, results["address"] + ":8080")
    else:
        net = fetch(board, results["address"] + ":8080")
        loop = fetch(board, "127.0.0.1:8082")
    results["tcp"].append((net, loop))


POLL_US = 1000
SHYPERD = "shyperd --daemon --pidfile /run/shyperd.pid %s </dev/null >>/run/shyperd.log 2>&1"


def restart_shyperd(board, args=""):
    board.check("kill $(cat /run/shyperd.pid); while [ -e /run/shyperd.pid ]; do sleep 0.1; "
                "done; " + SHYPERD % args)


def measure_polling(board, run, results):
    """vda again, with shyperd polling a drained queue for POLL_US."""
    measure_disk(board, run, results, "vda", " poll")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    scratch = tempfile.NamedTemporaryFile(prefix="shyper-bench.", suffix=".img")
    scratch.truncate(SCRATCH_MIB << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", SCRATCH_LABEL, scratch.name], check=True,
                   env=dict(os.environ, PATH=os.environ.get("PATH", "") + ":/sbin:/usr/sbin"))
    board = Board(["--smp", "4", "--mem", "2G", "--disk", scratch.name])
    keys = ["vda write", "vda write warm", "vda read", "vdb write", "vdb write warm",
            "vdb read", "tcp", "vda write poll", "vda write warm poll", "vda read poll"]
    results = {k: [] for k in keys}
    try:
        board.wait_for_shell()
        define_guest(board)
        results["address"] = start_guest(board)
        board.child.sendline("mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/big bs=1M "
                             "count=%d 2>/dev/null && httpd -p 8080 -h /tmp/www && echo "
                             "served''-ok" % NET_MIB)
        board.expect("served-ok", 120, "the guest's httpd")
        board.expect(r"# ", 60, "the guest's shell prompt")
        detach(board)
        board.check("mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/big bs=1M count=%d "
                    "2>/dev/null && httpd -p 8082 -h /tmp/www" % NET_MIB)
        hold_disks_open(board)
        for run in range(args.runs):
            measure(board, run, results)
        restart_shyperd(board, "--poll-us %d" % POLL_US)
        for run in range(args.runs):
            measure_polling(board, run, results)
        restart_shyperd(board)
        for run in range(args.runs):
            print("run %d: %s (guest/MVM s)" % (run + 1, ", ".join(
                "%s %.2f/%.2f" % ((k,) + results[k][run]) for k in keys)), flush=True)
        board.check("kill $(pidof httpd) 2>/dev/null; true")
        board.check("shyperctl vm stop --timeout 60 %s" % GUEST, 120)
        board.check("shyperctl vm undefine %s; rm -f %s" % (GUEST, " ".join(IMAGES.values())))
        board.check("umount /mnt/bench")
    finally:
        board.close()
        scratch.close()

    qemu, cpu = describe()
    labels = {
        "vda write": ("disk write, image on the MVM's disk (cold caches)", DISK_MIB),
        "vda write warm": ("disk write, image on the MVM's disk (warm caches)", DISK_MIB),
        "vda read": ("disk read, image on the MVM's disk (cold caches)", DISK_MIB),
        "vdb write": ("disk write, image in the MVM's memory (cold caches)", DISK_MIB),
        "vdb write warm": ("disk write, image in the MVM's memory (warm caches)", DISK_MIB),
        "vdb read": ("disk read, image in the MVM's memory (cold caches)", DISK_MIB),
        "tcp": ("TCP guest to MVM (MVM: loopback)", NET_MIB),
        "vda write poll": ("disk write, MVM's disk, shyperd --poll-us %d" % POLL_US, DISK_MIB),
        "vda write warm poll": ("disk write (warm), MVM's disk, shyperd --poll-us %d" % POLL_US,
                                DISK_MIB),
        "vda read poll": ("disk read, MVM's disk, shyperd --poll-us %d" % POLL_US, DISK_MIB),
    }
    rows, ratios = "", {}
    for key in keys:
        label, mib = labels[key]
        g = statistics.median(r[0] for r in results[key])
        m = statistics.median(r[1] for r in results[key])
        ratios[key] = m / g
        rows += "| %s | %.1f | %.1f | **%.2f** |\n" % (label, mib / g, mib / m, ratios[key])
    runs = "".join("| %d | %s |\n" % (i + 1, " | ".join(
        "%.2f / %.2f" % results[k][i] for k in keys)) for i in range(args.runs))
    text = (SECTION_TITLE + "\n\n"
            "A Linux guest (the shipped example; 1 vCPU on pCPU 3, %d MiB) with two\n"
            "%d MiB raw images as virtio disks (served by shyperd) and a virtio NIC on\n"
            "network \"default\" (a tap on the MVM's bridge virbr0, served by shyperd),\n"
            "against the MVM (4 vCPUs) doing the same directly.\n\n"
            "- Date: %s\n- QEMU: %s (TCG), host CPU: %s\n\n"
            "| medians of %d runs | guest (MiB/s) | MVM (MiB/s) | guest / MVM |\n"
            "|---|---:|---:|---:|\n%s\n"
            "Target: the guest's disk at least 0.70 of the MVM's.\n\n"
            "| run | %s |\n|---:|%s\n%s\n"
            "How it was measured: `tests/bench/io_bench.py --runs %d`. The board has a\n"
            "scratch disk (QEMU virtio-blk on a host file, ext4) mounted at /mnt/bench.\n"
            "Writes: `%s` in the guest, `%s` in the MVM. Reads: `%s` in the guest,\n"
            "`%s` in the MVM. Cold caches: `%s` just before, in the MVM (whose page\n"
            "cache shyperd goes through) and in the guest for the guest's turn, in\n"
            "the MVM for the MVM's. Warm: each side first reads the whole disk.\n"
            "The guest's shell keeps its disks open throughout: the last close of a\n"
            "Linux block device writes it back and drops its page cache, which a dd\n"
            "on the MVM's image file never does. vda's image is on the scratch disk;\n"
            "vdb's in the MVM's tmpfs, where the MVM's own read or write is a memory\n"
            "copy and the ratio is the whole cost of the virtio path (the guest's\n"
            "data crosses two copies more: the hypervisor's, between guest memory and\n"
            "the buffer shyperd shares with /dev/shyper, and shyperd's pread or\n"
            "pwrite). TCP: the MVM runs `%s` against a busybox httpd in\n"
            "the guest and in the MVM (loopback), a %d MiB file of zeroes. Each side\n"
            "times itself with its own `/proc/uptime` (10 ms); the order alternates.\n"
            "The last three rows repeat vda with shyperd started as `shyperd --poll-us\n"
            "%d`: a queue found empty is asked again for up to that long before\n"
            "shyperd waits for the next event, which saves a wake-up per request while\n"
            "the guest keeps the disk busy, for a spinning MVM CPU (off by default).\n\n"
            % (GUEST_MIB, DISK_MIB, datetime.date.today().isoformat(), qemu, cpu, args.runs, rows,
               " | ".join(k + " s (guest / MVM)" for k in keys), "---:|" * len(keys), runs,
               args.runs, GUEST_WRITE % "vdX", MVM_WRITE % "IMAGE", GUEST_READ % "vdX",
               MVM_READ % "IMAGE", DROP, FETCH % "ADDRESS", NET_MIB, POLL_US))
    write_section(args.out, text, SECTION_TITLE)
    print("guest / MVM: %s; written to %s" % (", ".join(
        "%s %.2f" % (k, ratios[k]) for k in keys), args.out))


if __name__ == "__main__":
    main()
