"""Virtio devices of guests on the session board, end to end: the shipped
Linux guest with its console on a virtio console (emulated in the
hypervisor, virtio-mmio slot 0) instead of the PL011. `shyperctl vm
console` shows and types into its hvc0 exactly as it does with a PL011.
"""

import os
import random
import re
import shutil
import subprocess
import time

from conftest import requires_hypervisor
# Fixtures and helpers of the guest command tests (imported by name only,
# so that their tests are not collected twice).
from test_vm_commands import console_text, defs, guest_xml, hv_info, vm  # noqa: F401

pytestmark = requires_hypervisor

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "linux-guest.xml")


def virtio_console_guest(name):
    """The shipped Linux guest, with a virtio console, 1 vCPU on pCPU 2, 128 MiB."""
    with open(EXAMPLE) as f:
        text = f.read()
    text = re.sub(r"<name>[^<]*</name>", "<name>%s</name>" % name, text)
    text = re.sub(r"<cputune>.*?</cputune>",
                  "<cputune><vcpupin vcpu='0' cpuset='2'/></cputune>", text, flags=re.S)
    text = re.sub(r"<vcpu[^>]*>\d+</vcpu>", "<vcpu>1</vcpu>", text)
    text = re.sub(r"<memory unit='MiB'>\d+</memory>", "<memory unit='MiB'>128</memory>", text)
    text = re.sub(r"<currentMemory[^>]*>\d+</currentMemory>", "", text)
    text = re.sub(r"<cmdline>[^<]*</cmdline>", "<cmdline>console=hvc0 quiet rdinit=/init</cmdline>",
                  text)
    text = text.replace("<target type='serial' port='0'/>", "<target type='virtio'/>")
    assert "<target type='virtio'/>" in text and "console=hvc0" in text
    return text


def test_linux_guest_on_a_virtio_console(board, defs):  # noqa: F811
    board.check("shyperctl vm create %s" % defs("vcon.xml", virtio_console_guest("vcon")))
    deadline = time.time() + 240
    seen = ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console_text(board, "vcon", 3)
    assert "user space reached" in seen, seen
    # The definition keeps its console.
    assert '<target type="virtio"' in board.check("shyperctl vm dumpxml vcon")

    # Interactive, as a person would: what is typed reaches the guest's shell on hvc0.
    board.child.sendline("shyperctl vm console vcon")
    board.expect(r"Escape character is \^\]", 30, "the console banner")
    board.child.send("\r")
    board.expect(r"root@guest:[^\r\n]*# ", 60, "the guest's shell prompt")
    board.child.send("echo hi-$((6*7))\r")
    board.expect("hi-42", 60, "the guest's answer")
    board.child.send("awk '/virtio/ { print \"IRQ-\" $NF }' /proc/interrupts; tty\r")
    board.expect("IRQ-virtio0", 60, "the virtio console's interrupt in /proc/interrupts")
    board.expect("/dev/hvc0", 60, "the shell on hvc0")
    # Output made while nobody is attached is kept, as with the PL011.
    board.child.send("sleep 3; echo later-$((2*3))\r")
    board.child.send("\x1d")
    board.expect(r"detached from VM 'vcon'", 30, "the detach message")
    board.check("true")  # the MVM's shell is back
    time.sleep(5)
    assert "later-6" in console_text(board, "vcon", 3)
    assert vm(board, "vcon")["state"] == "running"

    out = board.check("shyperctl vm stop --timeout 60 vcon", 120)
    assert out.strip() == "VM 'vcon' shut down", out


def disk_guest(name, disks):
    """The shipped Linux guest on its PL011, 1 vCPU on pCPU 2, 128 MiB, with DISKS."""
    text = virtio_console_guest(name)
    text = text.replace("<target type='virtio'/>", "<target type='serial' port='0'/>")
    text = text.replace("console=hvc0", "console=ttyAMA0")
    return text.replace("</devices>", disks + "</devices>")


def guest_shell(board, name, command, expect, timeout=120):
    """Types COMMAND into guest NAME's shell; returns the console text up to EXPECT."""
    board.child.sendline("shyperctl vm console %s" % name)
    board.expect(r"Escape character is \^\]", 30, "the console banner")
    board.child.send("\r")
    board.expect(r"root@guest:[^\r\n]*# ", 60, "the guest's shell prompt")
    board.child.send(command + "\r")
    board.expect(expect, timeout, "the guest's answer to: " + command)
    text = board.child.before + board.child.after
    board.child.send("\x1d")
    board.expect(r"detached from VM", 30, "the detach message")
    board.check("true")
    return text


def test_virtio_disk_served_by_shyperd(board, defs):  # noqa: F811
    """A <disk> is a virtio-blk device whose backend is shyperd in the MVM:
    the guest reads what the MVM wrote, its writes land in the image file
    after sync and survive a reboot, and a <readonly/> disk refuses writes."""
    board.check("dd if=/dev/zero of=/tmp/rw.img bs=1M count=8 2>/dev/null && "
                "printf HELLO-FROM-MVM | dd of=/tmp/rw.img conv=notrunc 2>/dev/null && "
                "dd if=/dev/zero of=/tmp/ro.img bs=1M count=1 2>/dev/null")
    disks = ("<disk type='file' device='disk'><source file='/tmp/rw.img'/>"
             "<target dev='vda' bus='virtio'/></disk>"
             "<disk type='file' device='disk'><source file='/tmp/ro.img'/>"
             "<target dev='vdb' bus='virtio'/><readonly/></disk>")
    board.check("shyperctl vm create %s" % defs("disk.xml", disk_guest("disk", disks)))
    deadline = time.time() + 240
    seen = ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console_text(board, "disk", 3)
    assert "user space reached" in seen, seen

    text = guest_shell(board, "disk",
                       "head -c 14 /dev/vda; echo; printf GUEST-WROTE-THIS | "
                       "dd of=/dev/vda bs=512 seek=8 conv=sync 2>/dev/null; sync; "
                       "echo wr=$?; dd if=/dev/zero of=/dev/vdb bs=512 count=1 2>/dev/null; "
                       "echo ro=$?; cat /sys/block/vdb/ro",
                       r"ro=\d+\s+\d")
    assert "HELLO-FROM-MVM" in text, text
    assert "wr=0" in text, text
    assert re.search(r"ro=[1-9]\d*\s+1", text), text
    # After the guest's sync the data is in the image file in the MVM.
    out = board.check("dd if=/tmp/rw.img bs=512 skip=8 count=1 2>/dev/null | head -c 16")
    assert out.strip() == "GUEST-WROTE-THIS", out
    # And the read-only image is untouched (still zeroes).
    assert board.check("tr -d '\\000' < /tmp/ro.img | wc -c").strip() == "0"

    board.check("shyperctl vm reboot disk")
    deadline = time.time() + 240
    seen = ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console_text(board, "disk", 3)
    text = guest_shell(board, "disk", "dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | "
                       "head -c 16; echo ' end'", r"\w+ end")
    assert "GUEST-WROTE-THIS end" in text, text
    board.check("shyperctl vm stop --timeout 60 disk", 120)


def disk_xml(source, dev, readonly=False):
    return ("<disk type='file' device='disk'><source file='%s'/>"
            "<target dev='%s' bus='virtio'/>%s</disk>"
            % (source, dev, "<readonly/>" if readonly else ""))


def disk_testguest(name, cmdline, disks, pin, memory_mib=8):
    """The bare-metal test guest on its PL011 with DISKS (virtio slots 0, 1...)."""
    return guest_xml(name, cmdline, memory_mib=memory_mib, pins=[pin]).replace(
        "</devices>", disks + "</devices>")


def wait_console(board, name, pattern, timeout=120):
    """Guest NAME's console, read until PATTERN appears in it."""
    deadline = time.time() + timeout
    seen = ""
    while not re.search(pattern, seen) and time.time() < deadline:
        seen += console_text(board, name, 2)
    assert re.search(pattern, seen), "no %r on %s's console:\n%s" % (pattern, name, seen)
    return seen


def fnv1a(data):
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xffffffff
    return h


def mvm_health_mark(board):
    """What assert_mvm_healthy compares with: shyperd's pid (checked three
    ways: its pid file, pidof, alive) and the length of the kernel log."""
    pid = board.check("cat /run/shyperd.pid").strip()
    assert pid in board.check("pidof shyperd").split(), pid
    board.check("kill -0 %s" % pid)
    return pid, int(board.check("dmesg | wc -l").strip())


def assert_mvm_healthy(board, mark):
    """shyperd is the same process as at MARK, its log shows no crash, the
    MVM's kernel logged nothing bad since, and the hypervisor answers."""
    pid, dmesg_lines = mark
    assert mvm_health_mark(board)[0] == pid
    log = board.check("cat /run/shyperd.log")
    assert not re.search(r"(?i)segfault|segmentation|abort|assert", log), log
    dmesg = board.check("dmesg | tail -n +%d" % (dmesg_lines + 1))
    assert not re.search(r"(?i)segfault|unhandled|WARNING:|BUG:|Oops", dmesg), dmesg
    assert hv_info(board)["vm_count"] >= 1


# Which status each request of the hostile test guest (tests/guests/blk.c) must get.
BLK_IOERR, BLK_UNSUPP = 1, 2
HOSTILE_STATUS = {
    "legit-write": 0, "ro-read": 0, "flush-wide-status": 0, "unknown-type": BLK_UNSUPP,
    "read-beyond-end": BLK_IOERR, "read-straddle-end": BLK_IOERR,
    "write-beyond-end": BLK_IOERR, "write-straddle-end": BLK_IOERR,
    "read-sector-max": BLK_IOERR, "write-sector-max": BLK_IOERR,
    "write-sector-wraps-to-0": BLK_IOERR, "read-sector-wraps-to-0": BLK_IOERR,
    "write-sector-wraps-to-16": BLK_IOERR, "write-len-100": BLK_IOERR,
    "read-len-100": BLK_IOERR, "write-len-513": BLK_IOERR, "write-too-long": BLK_IOERR,
    "write-short-header": BLK_IOERR, "read-data-readable": BLK_IOERR,
    "get-id-short": BLK_IOERR, "write-wide-status": BLK_IOERR, "flush-with-data": BLK_IOERR,
    "flush-far-status": BLK_IOERR,
    "ro-write": BLK_IOERR, "ro-write-overflow": BLK_IOERR,
}
HOSTILE_RESETS = ["desc-outside-ram", "desc-straddles-ram-end", "write-desc-straddles-ram-end",
                  "desc-at-mmio", "desc-huge-len", "loop-chain", "next-out-of-range",
                  "head-out-of-range", "avail-idx-jump", "queue-size-3", "ring-outside-ram"]
# What the legitimate write puts at sectors 8 and 9.
HOSTILE_MARK = (b"HOSTILE-GUEST-LEGIT-WRITE." * 40)[:1024]


def test_hostile_block_requests_stay_inside_the_image(board, defs, share_dir):  # noqa: F811
    """A guest that sends every kind of bad block request (outside its disk,
    offsets that overflow, odd lengths, writes to its read-only disk, chains
    outside its RAM or looping, a bad queue size) gets an error status or a
    device that asks for a reset, and works again after one; its image
    changes only where its one legitimate write went, the read-only image
    and a neighbour guest's image not at all; shyperd and the MVM live on,
    and another guest reads its disk."""
    rng = random.Random(1234)
    # Guest A's disk is larger than the largest request the backend takes
    # (2 MiB), so that the one too long is refused for that alone.
    images = {"a": rng.randbytes(4 << 20), "b": rng.randbytes(1 << 20),
              "ro": rng.randbytes(256 << 10)}
    for key, content in images.items():
        with open(os.path.join(share_dir, "hostile-%s.img" % key), "wb") as f:
            f.write(content)
    board.check("for i in a b ro; do cp /mnt/share/hostile-$i.img /tmp/hostile-$i.img; done")
    mark = mvm_health_mark(board)

    # The neighbour: a running guest whose disk is open in shyperd.
    board.check("shyperctl vm create %s" % defs("neighbour.xml", disk_testguest(
        "neighbour", "mode=wait", disk_xml("/tmp/hostile-b.img", "vda"), pin=3)))
    wait_console(board, "neighbour", "waiting")
    board.check("shyperctl vm create %s" % defs("hostile.xml", disk_testguest(
        "hostile", "blk=0,1 then=wait",
        disk_xml("/tmp/hostile-a.img", "vda") + disk_xml("/tmp/hostile-ro.img", "vdb", True),
        pin=1)))
    text = wait_console(board, "hostile", r"blk done", 180).replace("\r", "")

    statuses = dict(re.findall(r"^blk: (\S+) status=(\S+)$", text, re.M))
    for name, want in HOSTILE_STATUS.items():
        assert statuses.get(name) == str(want), "%s: %s\n%s" % (name, statuses.get(name), text)
    assert "blk: legit-read status=0 match=yes" in text, text
    for name in HOSTILE_RESETS:
        assert re.search(r"^blk: %s needs-reset=yes" % name, text, re.M), name + "\n" + text
        assert "blk: %s after-reset status=0 match=yes" % name in text, name + "\n" + text
    assert "blk: queue-size-3 ready=0" in text and "blk: ring-outside-ram ready=0" in text
    assert "blk: final-read status=0 match=yes" in text, text

    board.check("for i in a b ro; do cp /tmp/hostile-$i.img /mnt/share/hostile-$i.out; done")
    out = {}
    for key in images:
        with open(os.path.join(share_dir, "hostile-%s.out" % key), "rb") as f:
            out[key] = f.read()
        os.unlink(os.path.join(share_dir, "hostile-%s.out" % key))
        os.unlink(os.path.join(share_dir, "hostile-%s.img" % key))
    a = images["a"]
    assert len(out["a"]) == len(a)
    assert out["a"][:8 * 512] == a[:8 * 512], "guest A's image changed before its write"
    assert out["a"][8 * 512:10 * 512] == HOSTILE_MARK, "guest A's legitimate write is missing"
    assert out["a"][10 * 512:] == a[10 * 512:], "guest A's image changed after its write"
    assert out["b"] == images["b"], "the neighbour's image changed"
    assert out["ro"] == images["ro"], "the read-only image changed"
    assert_mvm_healthy(board, mark)

    # Another guest still gets its disk served: the neighbour's image, read.
    board.check("shyperctl vm destroy hostile && shyperctl vm destroy neighbour")
    board.check("shyperctl vm create %s" % defs("reader.xml", disk_testguest(
        "reader", "blkread=0 then=wait", disk_xml("/tmp/hostile-b.img", "vda"), pin=2)))
    text = wait_console(board, "reader", r"blkread: status=\S+ capacity=\d+ fnv=\w+")
    assert ("blkread: status=0 capacity=2048 fnv=%08x" % fnv1a(images["b"][:64 << 10])
            in text), text
    board.check("shyperctl vm destroy reader; rm -f /tmp/hostile-*.img")
    assert_mvm_healthy(board, mark)


def wait_user_space(board, name, timeout=240):
    deadline = time.time() + timeout
    seen = ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console_text(board, name, 3)
    assert "user space reached" in seen, seen


def test_file_system_on_a_disk_survives_a_reboot(board, defs, share_dir):  # noqa: F811
    """In the Linux guest: mke2fs on its disk, mount, write a file, sync; the
    file is then in the image in the MVM (which mounts it through a loop
    device), and after a reboot the guest reads it back, same checksum. Its
    read-only disk mounts read-only at most, and refuses every write."""
    ro_dir = os.path.join(share_dir, "fs-ro.d")
    os.mkdir(ro_dir)
    with open(os.path.join(ro_dir, "hello.txt"), "w") as f:
        f.write("READ-ONLY-FS-CONTENT\n")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", ro_dir,
                    os.path.join(share_dir, "fs-ro.img"), "4M"], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(ro_dir)
    board.check("dd if=/dev/zero of=/tmp/fs.img bs=1M count=16 2>/dev/null && "
                "cp /mnt/share/fs-ro.img /tmp/fs-ro.img && rm /mnt/share/fs-ro.img")
    ro_sum = board.check("md5sum < /tmp/fs-ro.img").split()[0]
    disks = disk_xml("/tmp/fs.img", "vda") + disk_xml("/tmp/fs-ro.img", "vdb", True)
    board.check("shyperctl vm create %s" % defs("fs.xml", disk_guest("fs", disks)))
    wait_user_space(board, "fs")

    # 384 KiB from urandom: no run of zeroes an empty disk would pass for.
    text = guest_shell(
        board, "fs",
        "modprobe ext4; mke2fs -q /dev/vda >/dev/null; echo mkfs=$?; mkdir -p /mnt/d /mnt/r; "
        "mount -t ext2 /dev/vda /mnt/d; echo mount=$?; "
        "head -c 393216 /dev/urandom > /mnt/d/data.bin; sync; echo sync=$?; "
        "echo sum=$(md5sum < /mnt/d/data.bin); "
        "mount -t ext2 /dev/vdb /mnt/r; cat /mnt/r/hello.txt; "
        "echo ro-$(awk '$1 == \"/dev/vdb\" { print substr($4, 1, 2) }' /proc/mounts); "
        "touch /mnt/r/new 2>/dev/null; echo touch=$?; "
        "mount -o remount,rw /mnt/r 2>/dev/null; echo remount=$?; "
        "umount /mnt/r; mke2fs -q /dev/vdb >/dev/null 2>&1; echo mkfs-ro=$?; "
        "dd if=/dev/zero of=/dev/vdb bs=512 count=1 2>/dev/null; echo dd-ro=$?; "
        "echo FS-DONE-$((6*7))",
        r"FS-DONE-42", 300)
    for want in ("mkfs=0", "mount=0", "sync=0", "READ-ONLY-FS-CONTENT", "ro-ro"):
        assert want in text, want + "\n" + text
    for refused in ("touch", "remount", "mkfs-ro", "dd-ro"):
        assert re.search(r"%s=[1-9]\d*" % refused, text), refused + "\n" + text
    guest_sum = re.search(r"sum=([0-9a-f]{32})", text).group(1)

    # After the guest's sync, the file is in the image: the MVM reads it there.
    out = board.check("modprobe loop; mkdir -p /tmp/fs-check && "
                      "mount -t ext2 -o ro,loop /tmp/fs.img /tmp/fs-check && "
                      "md5sum < /tmp/fs-check/data.bin; umount /tmp/fs-check")
    assert out.split()[0] == guest_sum, out

    board.check("shyperctl vm reboot fs")
    wait_user_space(board, "fs")
    text = guest_shell(board, "fs",
                       "modprobe ext4; mkdir -p /mnt/d; mount -t ext2 /dev/vda /mnt/d; "
                       "echo mount=$?; "
                       "echo sum=$(md5sum < /mnt/d/data.bin); echo FS-DONE-$((6*7))",
                       r"FS-DONE-42", 300)
    assert "mount=0" in text, text
    assert "sum=%s" % guest_sum in text, text
    board.check("shyperctl vm stop --timeout 60 fs", 120)
    assert board.check("md5sum < /tmp/fs-ro.img").split()[0] == ro_sum
    board.check("rm -f /tmp/fs.img /tmp/fs-ro.img")


def test_guest_destroyed_mid_request_leaves_shyperd_serving(board, defs, share_dir):  # noqa: F811
    """A guest keeping its disk's queue full of reads and writes is destroyed
    again and again while requests are in flight: shyperd lives on, without
    a word of a crash, and the next guest on the same image is served."""
    board.check("dd if=/dev/urandom of=/tmp/storm.img bs=1M count=4 2>/dev/null")
    mark = mvm_health_mark(board)
    storm = defs("storm.xml", disk_testguest("storm", "blkstorm=0",
                                             disk_xml("/tmp/storm.img", "vda"), pin=1))
    for round_ in range(4):
        board.check("shyperctl vm create %s" % storm)
        text = wait_console(board, "storm", r"blkstorm: \d+ done")
        assert "stuck" not in text, text
        # A little later each time, so that the destroy lands elsewhere.
        time.sleep(0.3 * round_)
        board.check("shyperctl vm destroy storm && shyperctl vm undefine storm")
        assert_mvm_healthy(board, mark)
    board.check("shyperctl vm create %s" % defs("after-storm.xml", disk_testguest(
        "after-storm", "blkread=0 then=wait", disk_xml("/tmp/storm.img", "vda"), pin=2)))
    text = wait_console(board, "after-storm", r"blkread: status=\S+")
    assert "blkread: status=0 capacity=8192" in text, text
    # What it read is what the image holds.
    board.check("shyperctl vm destroy after-storm")
    board.check("dd if=/tmp/storm.img of=/mnt/share/storm-head.bin bs=64k count=1 2>/dev/null; "
                "rm -f /tmp/storm.img")
    with open(os.path.join(share_dir, "storm-head.bin"), "rb") as f:
        head = f.read()
    os.unlink(os.path.join(share_dir, "storm-head.bin"))
    assert "fnv=%08x" % fnv1a(head) in text, text
    assert_mvm_healthy(board, mark)
