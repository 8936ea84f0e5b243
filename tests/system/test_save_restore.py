"""shyperctl vm save / vm restore: a guest into a migration stream file and
back (docs/migration.md). The whole path a migration takes, on one board:
its pages read out of the hypervisor, its state saved, both checked and
loaded into a new guest that resumes where the first one stopped.
"""

import json
import os
import re
import time

from conftest import requires_hypervisor

pytestmark = requires_hypervisor

SHARE = "/mnt/share"
TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"


def guest_xml(name, cmdline, pcpu=2):
    return ("<domain type='shyper'><name>%s</name><memory unit='MiB'>16</memory>"
            "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='%d'/></cputune>"
            "<os><kernel>%s</kernel><cmdline>%s</cmdline></os>"
            "<devices><console type='pty'><target type='serial' port='0'/></console>"
            "</devices></domain>" % (name, pcpu, TESTGUEST, cmdline))


def console(board, name, seconds=3):
    return board.run("timeout %d shyperctl vm console %s </dev/null 2>&1"
                     % (seconds, name), seconds + 30)[1]


def rechecks(text):
    """The pattern guest's rechecks so far, which must have no gap."""
    assert "BAD" not in text, text
    seen = sorted(set(int(n) for n in re.findall(r"pattern still ok \(recheck (\d+)\)", text)))
    assert seen == list(range(seen[0], seen[-1] + 1)) if seen else True, text
    return seen[-1] if seen else 0


def vm_info(board, name):
    return json.loads(board.check("shyperctl vm info --json %s" % name))


def pool_free(board):
    return json.loads(board.check("shyperctl hv info --json"))["pool_free_bytes"]


def start_pattern_guest(board, share_dir, name):
    with open(os.path.join(share_dir, name + ".xml"), "w") as f:
        f.write(guest_xml(name, "pattern=0x3c then=recheck"))
    board.check("shyperctl vm create %s/%s.xml" % (SHARE, name))
    deadline = time.time() + 60
    while rechecks(console(board, name)) < 2:
        assert time.time() < deadline, console(board, name)


def test_save_then_restore_resumes_the_guest(board, share_dir):
    name = "sr-pattern"
    start_pattern_guest(board, share_dir, name)
    try:
        before = rechecks(console(board, name))
        uptime = vm_info(board, name)["uptime_ns"]
        free = pool_free(board)
        out = board.check("shyperctl vm save %s /tmp/sr.stream" % name, 120)
        assert "saved to /tmp/sr.stream" in out and "it is stopped" in out, out
        # 16 MiB of guest, mostly its pattern: the file holds it, not much more.
        size = int(board.check("stat -c %s /tmp/sr.stream"))
        assert 15 << 20 < size < 18 << 20, size
        assert vm_info(board, name)["state"] in ("shut off", "shutoff"), vm_info(board, name)
        assert pool_free(board) == free + (16 << 20)

        out = board.check("shyperctl vm restore /tmp/sr.stream", 120)
        assert re.search(r"VM 'sr-pattern' restored from /tmp/sr.stream \(id \d+\)", out), out
        info = vm_info(board, name)
        assert info["state"] == "running", info
        # It counted on from where it was: no recheck lost, none repeated,
        # memory as it left it, and its uptime went on from before.
        time.sleep(3)
        text = console(board, name)
        assert rechecks(text) > before, text
        assert info["uptime_ns"] >= uptime, (uptime, info)
        assert "resumed from another board" in board.check("shyperctl hv log | tail -5")
        assert pool_free(board) == free
    finally:
        board.run("shyperctl vm destroy %s; shyperctl vm undefine %s; rm -f /tmp/sr.stream"
                  % (name, name), 60)


def test_damaged_files_are_refused_and_leave_nothing(board, share_dir):
    name = "sr-damaged"
    start_pattern_guest(board, share_dir, name)
    try:
        board.check("shyperctl vm save %s /tmp/sd.stream" % name, 120)
        board.check("shyperctl vm undefine %s" % name)
        free = pool_free(board)
        size = int(board.check("stat -c %s /tmp/sd.stream"))
        cases = {
            "empty": ": > /tmp/bad.stream",
            "cut in the header": "head -c 10 /tmp/sd.stream > /tmp/bad.stream",
            "cut in the pages": "head -c %d /tmp/sd.stream > /tmp/bad.stream" % (size // 2),
            "cut before END": "head -c %d /tmp/sd.stream > /tmp/bad.stream" % (size - 20),
            "a byte changed in the pages": (
                "cp /tmp/sd.stream /tmp/bad.stream && printf 'Z' | dd of=/tmp/bad.stream "
                "bs=1 seek=%d conv=notrunc 2>/dev/null" % (size // 3)),
            "bytes after the end": "cp /tmp/sd.stream /tmp/bad.stream && echo more >> /tmp/bad.stream",
            "not a stream": "head -c 4096 /usr/lib/shyper/tests/testguest.bin > /tmp/bad.stream",
        }
        for what, make in cases.items():
            board.check(make)
            status, out = board.run("shyperctl vm restore /tmp/bad.stream 2>&1", 120)
            assert status != 0, (what, out)
            assert "shyperctl:" in out, (what, out)
            # Nothing left behind: no VM, no definition, the memory free.
            assert name not in board.check("shyperctl vm list"), (what, out)
            assert pool_free(board) == free, what
        # The file itself still restores.
        board.check("shyperctl vm restore /tmp/sd.stream", 120)
        time.sleep(2)
        assert rechecks(console(board, name)) > 0
    finally:
        board.run("shyperctl vm destroy %s; shyperctl vm undefine %s; "
                  "rm -f /tmp/sd.stream /tmp/bad.stream" % (name, name), 60)


def test_refusals(board, share_dir):
    # The MVM, a VM that does not run, a file that cannot be written.
    status, out = board.run("shyperctl vm save mvm /tmp/x.stream 2>&1")
    assert status != 0 and "management VM" in out, out
    status, out = board.run("shyperctl vm save no-such-vm /tmp/x.stream 2>&1")
    assert status != 0, out
    name = "sr-refusals"
    start_pattern_guest(board, share_dir, name)
    try:
        status, out = board.run("shyperctl vm save %s /proc/x.stream 2>&1" % name)
        assert status != 0 and "/proc/x.stream" in out, out
        # Not saved: it runs on, as before.
        assert vm_info(board, name)["state"] == "running"
        board.check("shyperctl vm save %s /tmp/r.stream" % name, 120)
        board.check("shyperctl vm restore /tmp/r.stream", 120)
        # A second copy of a guest that is here already: refused.
        status, out = board.run("shyperctl vm restore /tmp/r.stream 2>&1", 120)
        assert status != 0 and "already here" in out, out
        assert vm_info(board, name)["state"] == "running"
    finally:
        board.run("shyperctl vm destroy %s; shyperctl vm undefine %s; rm -f /tmp/r.stream"
                  % (name, name), 60)


def dirty_passes(text):
    assert "dirty BAD" not in text, text
    return [int(n) for n in re.findall(r"dirty ok pass (\d+)", text)]


def test_live_save_tracks_every_write(board, share_dir):
    """A guest that adds one to every page, pass after pass, saved while it
    runs: its pages are copied once while it writes them and again, as the
    dirty log says, once it is paused. Restored, every page holds the pass
    count it should (a write the log missed would leave one behind)."""
    name = "sr-dirty"
    with open(os.path.join(share_dir, name + ".xml"), "w") as f:
        f.write(guest_xml(name, "mode=dirty"))
    board.check("shyperctl vm create %s/%s.xml" % (SHARE, name))
    try:
        deadline = time.time() + 60
        while len(dirty_passes(console(board, name))) < 2:
            assert time.time() < deadline, console(board, name)
        before = dirty_passes(console(board, name))[-1]
        out = board.check("shyperctl vm save --live --max-downtime 5000 --json %s "
                          "/tmp/live.stream" % name, 180)
        report = json.loads(out[out.find("{"):out.rfind("}") + 1])
        # Every page once while it ran, the dirty ones again once paused.
        assert report["rounds"] >= 2, report
        assert report["pages"] > 4000, report
        assert report["downtime_ns"] < report["total_ns"], report
        board.check("shyperctl vm restore /tmp/live.stream", 120)
        deadline = time.time() + 60
        while True:
            passes = dirty_passes(console(board, name))
            if passes[-1] > before + 2:
                break
            assert time.time() < deadline, console(board, name)
        # It went on counting from where it was: no pass repeated.
        assert passes == sorted(set(passes)), passes
    finally:
        board.run("shyperctl vm destroy %s; shyperctl vm undefine %s; rm -f /tmp/live.stream"
                  % (name, name), 60)
