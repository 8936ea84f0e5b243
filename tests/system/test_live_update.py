"""Live update of the hypervisor (issue 12), on a board of its own: the
running hypervisor is replaced by another build while the MVM, a guest and
a real-time guest keep running; a build made to fail at the takeover rolls
back; bad images are refused with nothing changed.

The images: build/hypervisor/shyper.bin (the board boots it),
build/hypervisor-alt/shyper.bin (the same sources, version suffix +alt)
build/hypervisor-failtest/shyper.bin (UPDATE_TEST=fail-takeover) and
build/hypervisor-next/shyper.bin (STATE_TEST=next: the next state layout, a
field more in every vCPU, converting the current one), made by the top-level Makefile's
hypervisor-test-images.
"""

import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import time

import pytest

from conftest import REPO_ROOT, boot_board, requires_hypervisor
from test_network import MVM_IP, wait_address
from test_virtio import disk_guest, guest_shell

pytestmark = requires_hypervisor

BUILD = os.path.join(REPO_ROOT, "build")
IMAGES = {
    "main": os.path.join(BUILD, "hypervisor", "shyper.bin"),
    "alt": os.path.join(BUILD, "hypervisor-alt", "shyper.bin"),
    "failtest": os.path.join(BUILD, "hypervisor-failtest", "shyper.bin"),
    "next": os.path.join(BUILD, "hypervisor-next", "shyper.bin"),
}
ELF = os.path.join(BUILD, "hypervisor", "shyper.elf")
LINUX_IMAGE = os.path.join(BUILD, "mvm", "Image")
SHARE = "/mnt/share"
TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"

HEADER_AT = 64
HEADER_FORMAT = "<QIIIIIIQQ32s32s"  # struct shyper_image_header
DIGEST_AT = HEADER_AT + struct.calcsize(HEADER_FORMAT) - 32
SLOT_SIZE = 2 << 20


def reseal(image):
    """Seal IMAGE (bytearray) as the build does: size field, then SHA-256."""
    fields = list(struct.unpack_from(HEADER_FORMAT, image, HEADER_AT))
    fields[8] = len(image)
    fields[10] = bytes(32)
    struct.pack_into(HEADER_FORMAT, image, HEADER_AT, *fields)
    image[DIGEST_AT:DIGEST_AT + 32] = hashlib.sha256(image).digest()
    return image


def guest_xml(name, cmdline, pcpu, rt=False):
    sched = "<vcpusched vcpus='0' scheduler='fifo' priority='10'/>" if rt else ""
    return ("<domain type='shyper'><name>%s</name><memory unit='MiB'>16</memory>"
            "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='%d'/>%s</cputune>"
            "<os><kernel>%s</kernel><cmdline>%s</cmdline></os>"
            "<devices><console type='pty'><target type='serial' port='0'/></console>"
            "</devices></domain>" % (name, pcpu, sched, TESTGUEST, cmdline))


@pytest.fixture(scope="module")
def share():
    path = tempfile.mkdtemp(prefix="shyper-update.")
    for name, path_in in IMAGES.items():
        if not os.path.isfile(path_in):
            pytest.fail("%s not built: make hypervisor-test-images" % path_in)
        shutil.copy(path_in, os.path.join(path, name + ".bin"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def board(share):
    b = boot_board(["--smp", "4", "--mem", "2G", "--share", share])
    yield b
    b.close()


def hv_info(board):
    return json.loads(board.check("shyperctl hv info --json"))


def update(board, image, *options):
    """shyperctl hv update --json: (exit status, report)."""
    status, out = board.run("shyperctl hv update --json %s %s/%s 2>/dev/null"
                            % (" ".join(options), SHARE, image), 120)
    # The serial console also carries the hypervisor's warnings (a rollback).
    start, end = out.find("{\n"), out.rfind("}")
    assert start >= 0 and end > start, out
    return status, json.loads(out[start:end + 1])


def console(board, name, seconds=3):
    status, out = board.run("timeout %d shyperctl vm console %s </dev/null 2>&1"
                            % (seconds, name), seconds + 30)
    return out


def consecutive(numbers, text):
    """NUMBERS, as a console shows them, have no gap: no output was lost."""
    seen = sorted(set(numbers))
    assert seen == list(range(seen[0], seen[-1] + 1)) if seen else True, text
    return seen[-1] if seen else 0


def rechecks(text):
    """The guest's pattern rechecks so far (it makes one about every second)."""
    assert "BAD" not in text, text
    return consecutive([int(n) for n in re.findall(r"pattern still ok \(recheck (\d+)\)",
                                                   text)], text)


@pytest.fixture(scope="module")
def guests(board, share):
    """A guest on pCPU 1 and a real-time guest on pCPU 3 that each fill their
    RAM with a pattern and check it about once a second, for ever."""
    for name, byte, pcpu, rt in (("pattern-gvm", "0xa5", 1, False),
                                 ("pattern-rt", "0x5a", 3, True)):
        with open(os.path.join(share, name + ".xml"), "w") as f:
            f.write(guest_xml(name, "pattern=%s then=recheck" % byte, pcpu, rt))
        board.check("shyperctl vm create %s/%s.xml" % (SHARE, name))
    time.sleep(3)
    return ("pattern-gvm", "pattern-rt")


def assert_guests_ran_on(board, guests, before):
    """Every guest still running, its memory intact, rechecking on."""
    vms = {vm["name"]: vm for vm in
           json.loads(board.check("shyperctl vm list --json"))["vms"]}
    for name in guests:
        assert vms[name]["state"] == "running", vms[name]
    time.sleep(2)
    after = {name: rechecks(console(board, name)) for name in guests}
    for name in guests:
        assert after[name] > before.get(name, 0), (name, before, after)
    return after


PROBE_RESULT_RE = re.compile(r"latency-probe: (\{.*\})")
# A Linux guest's loop: a block written to its virtio disk and read back from
# the device (caches dropped), and a ping of the MVM, every second.
DISK_AND_PING_LOOP = (
    "(n=0; while true; do n=$((n+1)); o=$((n%%64*16)); "
    "dd if=/dev/urandom of=/tmp/b bs=4k count=16 2>/dev/null; "
    "dd if=/tmp/b of=/dev/vda bs=4k seek=$o count=16 conv=notrunc 2>/dev/null; sync; "
    "echo 3 > /proc/sys/vm/drop_caches; "
    "dd if=/dev/vda bs=4k skip=$o count=16 2>/dev/null | cmp -s - /tmp/b || echo lu-FAIL disk $n; "
    "ping -c 1 -W 2 %s >/dev/null || echo lu-FAIL ping $n; "
    "echo lu-ok $n; sleep 1; done) >/dev/console 2>&1 &" % MVM_IP)


def lu_rounds(text):
    assert "lu-FAIL" not in text, text
    return consecutive([int(n) for n in re.findall(r"lu-ok (\d+)", text)], text)


def test_linux_guest_probe_and_pattern_guests_survive(board, share, guests):
    """The issue's scene: a Linux guest writing and checking its virtio disk
    and pinging the MVM, the bare-metal guests checking their memory and
    counting seconds, and the latency probe as a real-time VM on pCPU 2,
    through two updates. Afterwards nobody reports an error, and the probe's
    worst latency is within what the updates say their pause was."""
    board.check("dd if=/dev/zero of=/tmp/lu-disk.img bs=1M count=16 2>/dev/null")
    with open(os.path.join(share, "lu-linux.xml"), "w") as f:
        f.write(disk_guest("lu-linux", "<disk type='file' device='disk'>"
                           "<source file='/tmp/lu-disk.img'/><target dev='vda' bus='virtio'/>"
                           "</disk><interface type='network'><source network='default'/>"
                           "</interface>").replace("cpuset='2'", "cpuset='1'"))
    board.check("shyperctl vm create %s/lu-linux.xml" % SHARE, 300)
    try:
        wait_address(board, "lu-linux")
        guest_shell(board, "lu-linux", DISK_AND_PING_LOOP + " echo loop-started",
                    r"loop-started")
        time.sleep(5)
        assert lu_rounds(console(board, "lu-linux")) >= 2
        with open(os.path.join(REPO_ROOT, "examples", "latency-probe",
                               "latency-probe-rt.xml")) as f:
            probe = f.read().replace("count=1000", "count=20000").replace(
                "cpuset='3'", "cpuset='2'").replace(
                "<on_poweroff>destroy", "<on_poweroff>preserve")
        with open(os.path.join(share, "lu-probe.xml"), "w") as f:
            f.write(probe)
        board.check("shyperctl vm create %s/lu-probe.xml" % SHARE, 120)
        before = {name: rechecks(console(board, name)) for name in guests}
        linux_before = lu_rounds(console(board, "lu-linux"))
        time.sleep(2)
        reports = []
        for image in ("alt.bin", "main.bin"):
            status, report = update(board, image)
            assert status == 0, report
            reports.append(report)
            time.sleep(2)
        deadline = time.time() + 240
        result = None
        while result is None and time.time() < deadline:
            match = PROBE_RESULT_RE.search(console(board, "latency-probe-rt", 2))
            result = json.loads(match.group(1)) if match else None
        assert result, "the latency probe gave no result:\n%s\n%s" % (
            console(board, "latency-probe-rt", 2),
            board.run("shyperctl vm info latency-probe-rt 2>&1; shyperctl hv log 2>&1 | tail -30", 60)[1])
        pause = max(r["pause_ns"] for r in reports)
        # Its worst sample is the update's pause at most (and the board's
        # own noise: TCG runs four CPUs on two host cores).
        assert result["max_ns"] <= pause + 50 * 10**6, (result, pause)
        assert_guests_ran_on(board, guests, before)
        text = console(board, "lu-linux", 4)
        assert lu_rounds(text) > linux_before + 3, text
        # Its power button still works: a graceful stop, through its init.
        out = board.check("shyperctl vm stop lu-linux 2>&1", 240)
        assert "shut down" in out, out
    finally:
        board.run("shyperctl vm destroy latency-probe-rt; shyperctl vm destroy lu-linux", 120)


def test_update_keeps_every_vm_running(board, guests):
    info = hv_info(board)
    before = {name: rechecks(console(board, name)) for name in guests}
    status, report = update(board, "alt.bin")
    assert status == 0, report
    assert report["accepted"] and report["update_count"] == info["update_count"] + 1, report
    assert report["new_version"].endswith("+alt"), report
    for phase in ("stage", "check", "rendezvous", "takeover", "resume"):
        assert report["phases_ns"][phase] > 0, report
    assert 0 < report["pause_ns"] < 5 * 10**9, report

    after_info = hv_info(board)
    assert after_info["version"].endswith("+alt"), after_info
    assert after_info["build_id"] == report["new_build_id"] != info["build_id"]
    assert after_info["update_count"] == info["update_count"] + 1
    # Uptime goes on from before; no guest memory moved. (The hypervisor's
    # free memory may change once: the boot's own map has a table or two
    # that a new image's does not need; from then on it stays.)
    assert after_info["uptime_ns"] > info["uptime_ns"], (info, after_info)
    assert after_info["pool_free_bytes"] == info["pool_free_bytes"]
    log = board.check("shyperctl hv log")
    assert re.search(r"live update %d: %s -> %s, pause \d+ us" % (
        after_info["update_count"], re.escape(info["version"]),
        re.escape(after_info["version"])), log), log[-2000:]
    assert_guests_ran_on(board, guests, before)

    # And back, with the plain output: each phase and its duration.
    status, out = board.run("shyperctl hv update %s/main.bin" % SHARE, 120)
    assert status == 0, out
    for phase in ("stage", "check", "hand-over", "resume"):
        assert re.search(r"^  %s +\d+\.\d{3} ms" % phase, out, re.M), out
    assert "Updated: Shyper %s" % after_info["version"] in out, out
    back = hv_info(board)
    assert back["build_id"] == info["build_id"]
    assert back["memory_hypervisor_free_bytes"] == after_info["memory_hypervisor_free_bytes"]


def test_update_from_a_url(board, guests):
    """An http:// URL: served by busybox httpd inside the MVM (loopback)."""
    info = hv_info(board)
    board.check("httpd -p 127.0.0.1:8090 -h %s" % SHARE)
    try:
        status, out = board.run("shyperctl hv update http://127.0.0.1:8090/alt.bin 2>&1", 120)
        assert status == 0, out
        assert "Updated: Shyper %s" % info["version"] in out, out
        assert hv_info(board)["version"].endswith("+alt")
        # A missing file: the server's answer, and nothing changes.
        status, out = board.run("shyperctl hv update http://127.0.0.1:8090/nothing.bin 2>&1",
                                120)
        assert status == 1 and "the server answered 404" in out, out
        status, out = board.run("shyperctl hv update http://127.0.0.1:8090/main.bin 2>&1", 120)
        assert status == 0, out
    finally:
        board.run("pkill -f 'httpd -p 127.0.0.1:8090'")
    assert hv_info(board)["build_id"] == info["build_id"]


def test_many_updates_in_a_row(board, guests):
    """50 updates, alternating two builds: every VM keeps running, nothing
    leaks (the hypervisor's free memory and the guest pool are as before)."""
    start = hv_info(board)
    before = {name: rechecks(console(board, name)) for name in guests}
    script = ("i=0; while [ $i -lt 50 ]; do if [ $((i %% 2)) = 0 ]; then b=alt; else b=main; "
              "fi; shyperctl hv update %s/$b.bin >/dev/null || exit 1; i=$((i + 1)); done"
              % SHARE)
    status, out = board.run("(%s) 2>&1" % script, 900)
    assert status == 0, out
    end = hv_info(board)
    assert end["update_count"] == start["update_count"] + 50
    assert end["build_id"] == start["build_id"]
    assert end["memory_hypervisor_free_bytes"] == start["memory_hypervisor_free_bytes"]
    assert end["pool_free_bytes"] == start["pool_free_bytes"]
    assert_guests_ran_on(board, guests, before)
    assert board.check("echo still-here").strip() == "still-here"


def test_takeover_failure_rolls_back(board, guests):
    info = hv_info(board)
    before = {name: rechecks(console(board, name)) for name in guests}
    status, report = update(board, "failtest.bin")
    assert status == 1, report
    assert report["reason_text"].startswith("the new hypervisor could not take over"), report
    assert "built to fail here" in report["detail"], report
    status, out = board.run("shyperctl hv update %s/failtest.bin 2>&1" % SHARE, 120)
    assert status == 1 and "took control back" in out, out
    after = hv_info(board)
    for key in ("version", "build_id", "update_count", "memory_hypervisor_free_bytes",
                "pool_free_bytes"):
        assert after[key] == info[key], (key, info, after)
    assert "rolled back: built to fail here" in board.check("shyperctl hv log")
    assert_guests_ran_on(board, guests, before)
    # The board still updates afterwards.
    status, report = update(board, "alt.bin")
    assert status == 0, report
    status, report = update(board, "main.bin")
    assert status == 0, report


def bad_images(share):
    """{file name: the reason the hypervisor must give}, written into SHARE."""
    with open(IMAGES["main"], "rb") as f:
        good = bytearray(f.read())
    images = {
        "empty.bin": (b"", "the image is empty"),
        "cut-100.bin": (good[:100], "the image is truncated"),
        "cut-4096.bin": (good[:4096], "the image is truncated"),
        "cut-half.bin": (good[:len(good) // 2], "the image is truncated"),
        "cut-1.bin": (good[:-1], "the image is truncated"),
    }
    code = bytearray(good)
    code[0x2000] ^= 0x10
    images["bit-code.bin"] = (code, "its SHA-256 does not match")
    header = bytearray(good)
    header[HEADER_AT + 50] ^= 0x01  # in the version string
    images["bit-header.bin"] = (header, "its SHA-256 does not match")
    magic = bytearray(good)
    magic[HEADER_AT] ^= 0xff
    images["magic.bin"] = (magic, "not a Shyper hypervisor")
    large = reseal(bytearray(good) + bytes(SLOT_SIZE))
    images["large.bin"] = (large, "larger than the room")
    newer = bytearray(good)
    struct.pack_into("<II", newer, HEADER_AT + 20, 99, 99)  # state_version, _min
    images["layout-99.bin"] = (reseal(newer), "cannot take over the running hypervisor's state")
    with open(ELF, "rb") as f:
        images["shyper.elf"] = (f.read(), "an ELF file")
    with open(LINUX_IMAGE, "rb") as f:
        # Larger than the slot too: refused by its size, and named for what it is.
        images["linux-Image"] = (f.read(), "not a Shyper hypervisor (a Linux kernel?) (and "
                                 "larger than the room")
    for name, (data, _) in images.items():
        with open(os.path.join(share, name), "wb") as f:
            f.write(data)
    return {name: reason for name, (data, reason) in images.items()}


def test_bad_images_are_refused_and_change_nothing(board, guests, share):
    info = hv_info(board)
    before = {name: rechecks(console(board, name)) for name in guests}
    for name, reason in bad_images(share).items():
        for check in ("--check", ""):
            status, out = board.run("shyperctl hv update %s %s/%s 2>&1" % (check, SHARE, name),
                                    120)
            assert status == 1, (name, out)
            assert reason in out and "nothing changed" in out, (name, reason, out)
    after = hv_info(board)
    for key in ("version", "build_id", "update_count", "memory_hypervisor_free_bytes",
                "pool_free_bytes"):
        assert after[key] == info[key], (key, info, after)
    assert_guests_ran_on(board, guests, before)
    # A good image is still accepted (--check changes nothing either).
    status, report = update(board, "alt.bin", "--check")
    assert status == 0 and report["accepted"] and report["check_only"], report
    assert hv_info(board)["update_count"] == info["update_count"]


def test_state_layout_conversion(board, guests):
    """Last: the board goes on in the next layout. A build of the next state layout
    version converts the running area field by field; the older build then
    cannot take it back; the same layout is adopted as it is."""
    info = hv_info(board)
    old = info["state_version"]
    before = {name: rechecks(console(board, name)) for name in guests}
    status, report = update(board, "next.bin")
    assert status == 0, report
    assert report["state_converted"], report
    assert (report["old_state_version"], report["new_state_version"]) == (old, old + 1), report
    after = hv_info(board)
    assert after["state_version"] == old + 1 and after["version"].endswith("+next"), after
    assert after["update_count"] == info["update_count"] + 1
    for key in ("memory_hypervisor_free_bytes", "pool_free_bytes", "vm_count"):
        assert after[key] == info[key], (key, info, after)
    assert ("state area converted from layout %d to %d" % (old, old + 1)
            in board.check("shyperctl hv log"))
    before = assert_guests_ran_on(board, guests, before)

    # The current build does not know the next layout: refused before anything changes.
    status, out = board.run("shyperctl hv update %s/main.bin 2>&1" % SHARE, 120)
    assert status == 1, out
    assert "state layout is newer than the image knows" in out, out
    assert hv_info(board)["build_id"] == after["build_id"]

    # The same layout again: taken over in place, nothing converted.
    status, report = update(board, "next.bin")
    assert status == 0 and not report["state_converted"], report
    assert_guests_ran_on(board, guests, before)
