"""Two boards of the lab, and migration between them (docs/migration.md).

First the lab itself: the boards reach each other by name, hold their
certificates and share storage. Then a guest that dirties every page is
moved back and forth while it runs; the refusals; and the link cut at
several points, after which the guest runs on the source with its memory
right and the destination has nothing left. One pair of boards serves the
whole module: booting two boards is the slowest part of it.
"""

import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BOARD, REPO_ROOT, board_mode_args, requires_hypervisor
from test_network import MVM_IP, wait_address
from test_virtio import disk_guest, guest_shell

SHARE = "/mnt/share"
TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"


# ---- The lab: two boards on one link ----

def test_two_boards_reach_each_other_by_name(linked_boards):
    one, two = linked_boards[1], linked_boards[2]
    assert one.check("hostname").strip() == "board-1"
    assert two.check("hostname").strip() == "board-2"
    out = one.check("ip -4 addr show dev link0")
    assert "10.99.0.1/24" in out, out
    out = one.check("ping -c 3 -W 5 board-2", 60)
    assert re.search(r"3 packets transmitted, 3 (packets )?received", out), out
    out = two.check("ping -c 1 -W 5 board-1", 60)
    assert "1 packets transmitted, 1" in out, out
    # Nothing of the link is on the guests' bridge: the two are apart.
    assert "link0" not in one.check("ls /sys/class/net/virbr0/brif/")


def test_a_board_number_runs_once_per_link(linked_boards):
    proc = subprocess.run([BOARD] + board_mode_args() + ["--board", "2", "--link",
                                                          linked_boards.link, "--dry-run"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "board-2 already runs" in proc.stderr, proc.stderr


def test_each_board_has_its_certificate_from_the_lab_ca(linked_boards):
    ca = os.path.join(linked_boards.link, "ca", "ca.crt")
    for n in (1, 2):
        board = linked_boards[n]
        out = board.check("ls -l /etc/shyper/")
        for name in ("ca.crt", "board.crt", "board.key"):
            assert name in out, out
        assert re.search(r"-rw------- .* board\.key", out), out
        # The certificate the MVM has is the one the lab made for board-N,
        # signed by the lab's CA, for both ends of a TLS connection.
        pem = board.check("cat /etc/shyper/board.crt")
        cert = os.path.join(linked_boards.link, "board-%d.crt.check" % n)
        with open(cert, "w") as f:
            f.write(pem)
        proc = subprocess.run(["openssl", "verify", "-CAfile", ca, "-purpose", "sslserver",
                               cert], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = subprocess.run(["openssl", "x509", "-noout", "-subject", "-ext",
                               "subjectAltName", "-in", cert], capture_output=True, text=True)
        assert "CN = board-%d" % n in proc.stdout, proc.stdout
        assert "IP Address:10.99.0.%d" % n in proc.stdout, proc.stdout
        # The CA's own key stays on the host.
        assert "ca.key" not in board.run("ls /etc/shyper /run 2>&1")[1]


def test_boards_share_storage(linked_boards):
    one, two = linked_boards[1], linked_boards[2]
    one.check("echo written-on-board-1 > /mnt/share/lab-shared.txt; sync")
    assert two.check("cat /mnt/share/lab-shared.txt").strip() == "written-on-board-1"


# ---- Migration ----


def guest_xml(name, cmdline, pcpu=2, extra=""):
    return ("<domain type='shyper'><name>%s</name><memory unit='MiB'>16</memory>"
            "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='%d'/></cputune>"
            "<os><kernel>%s</kernel><cmdline>%s</cmdline></os>"
            "<devices><console type='pty'><target type='serial' port='0'/></console>%s"
            "</devices></domain>" % (name, pcpu, TESTGUEST, cmdline, extra))


def console(board, name, seconds=3):
    return board.run("timeout %d shyperctl vm console %s </dev/null 2>&1"
                     % (seconds, name), seconds + 30)[1]


def passes(text):
    assert "dirty BAD" not in text, text
    return [int(n) for n in re.findall(r"dirty ok pass (\d+)", text)]


def longest_wait_ns(text):
    """The longest the dirtying guest ever waited between two pages, in its
    own virtual time, as its last line in TEXT says."""
    return int(re.findall(r"dirty ok pass \d+ gap (\d+) us", text)[-1]) * 1000


def names(board):
    return [vm["name"] for vm in json.loads(board.check("shyperctl vm list --json"))["vms"]]


def pool_free(board):
    return json.loads(board.check("shyperctl hv info --json"))["pool_free_bytes"]


def wait_passes(board, name, more_than, timeout=90, text_out=None):
    deadline = time.time() + timeout
    while True:
        text = console(board, name)
        seen = passes(text)
        if seen and seen[-1] > more_than:
            if text_out is not None:
                text_out.append(text)
            return seen
        assert time.time() < deadline, console(board, name)


@pytest.fixture
def dirty_guest(linked_boards):
    name = "mig-dirty"
    with open("%s/%s.xml" % (linked_boards.share, name), "w") as f:
        f.write(guest_xml(name, "mode=dirty"))
    linked_boards[1].check("shyperctl vm create %s/%s.xml" % (SHARE, name))
    wait_passes(linked_boards[1], name, 1)
    yield name
    for n in (1, 2):
        if linked_boards[n].child.isalive():  # the last test powers board 2 off
            linked_boards[n].run("shyperctl vm destroy %s; shyperctl vm undefine %s"
                                 % (name, name), 60)


def migrate(board, name, dest, *options, timeout=300):
    status, out = board.run("shyperctl vm migrate --json %s %s %s 2>&1"
                            % (" ".join(options), name, dest), timeout)
    return status, out


def logs(linked_boards):
    """Both boards' shyperd logs and hypervisor logs' ends, for a failure."""
    return "\n".join("--- board-%d ---\n%s" % (n, linked_boards[n].run(
        "tail -20 /run/shyperd.log; shyperctl hv log | tail -15", 60)[1]) for n in (1, 2))


@requires_hypervisor
def test_back_and_forth_five_times(linked_boards, dirty_guest):
    name = dirty_guest
    one, two = linked_boards[1], linked_boards[2]
    free = {1: pool_free(one), 2: pool_free(two)}
    last = passes(console(one, name))[-1]
    where = 1
    for i in range(5):
        src, dst = (1, 2) if where == 1 else (2, 1)
        # A guest that writes every page all the time never gets under
        # 300 ms of dirty pages on this slow emulated link: a downtime limit
        # that one round's leftovers fit lets it converge after the first
        # round (the rest, all of it dirty again, goes in the stop-and-copy).
        status, out = migrate(linked_boards[src], name, "board-%d" % dst,
                              "--max-downtime", "30000")
        assert status == 0, out + logs(linked_boards)
        report = json.loads(out[out.find("{"):out.rfind("}") + 1])
        assert report["destination"] == "board-%d" % dst, report
        assert report["rounds"] >= 2 and report["pages"] >= 4000, report
        assert report["downtime_ns"] < report["total_ns"], report
        # Gone from the source, definition and all; running on the destination,
        # every page right, counting on from where it was.
        assert name not in names(linked_boards[src]), i
        info = json.loads(linked_boards[dst].check("shyperctl vm info --json %s" % name))
        assert info["state"] == "running" and info["defined"], info
        text = []
        seen = wait_passes(linked_boards[dst], name, last, text_out=text)
        assert seen == sorted(set(seen)), seen
        # Its virtual counter stood still while it was stopped: the
        # longest it saw itself wait is a small part of the downtime.
        assert longest_wait_ns(text[0]) < report["downtime_ns"] / 4, (text[0][-300:], report)
        last = seen[-1]
        where = dst
    # Back on board 2 after an odd number of moves... and memory where it was.
    assert where == 2
    assert pool_free(one) == free[1] + (16 << 20)
    assert pool_free(two) == free[2] - (16 << 20)


@requires_hypervisor
def test_refusals(linked_boards, dirty_guest):
    name = dirty_guest
    one, two = linked_boards[1], linked_boards[2]
    free2 = pool_free(two)
    cases = [
        (("mvm", "board-2"), "management VM"),
        ((name, "board-1"), "this board"),
        ((name, "board-9"), "reaching the destination"),
        ((name, "http://board-2:7979"), "plain HTTP"),
        ((name, "no/such"), "bad destination"),
        (("no-such-vm", "board-2"), "no VM 'no-such-vm'"),
    ]
    for (vm, dest), why in cases:
        status, out = migrate(one, vm, dest, timeout=120)
        assert status != 0 and why in out, (vm, dest, out)
    # A guest of that name on the destination already.
    with open("%s/mig-twin.xml" % linked_boards.share, "w") as f:
        f.write(guest_xml(name, "mode=wait", pcpu=3))
    two.check("shyperctl vm create %s/mig-twin.xml" % SHARE)
    try:
        status, out = migrate(one, name, "board-2", timeout=120)
        assert status != 0 and "already here" in out, out
    finally:
        two.run("shyperctl vm destroy %s; shyperctl vm undefine %s" % (name, name), 60)
    # Every refusal before anything moved: the guest runs on, board 2 unchanged.
    assert json.loads(one.check("shyperctl vm info --json %s" % name))["state"] == "running"
    wait_passes(one, name, passes(console(one, name))[-1])
    assert pool_free(two) == free2


def cut_midway(linked_boards, name, cut, restore, after=3, when=None, options="",
               dest_alive=True):
    """Starts a slow migration, CUTs the link AFTER seconds (or once its
    progress lines match WHEN), waits for it to fail, RESTOREs; the guest
    must run on the source, memory right, and board 2 must have nothing
    left (when it still runs)."""
    one, two = linked_boards[1], linked_boards[2]
    free2 = pool_free(two)
    before = passes(console(one, name))[-1]
    # (In the background: "& true", as the console wrapper adds "; echo".)
    one.check("rm -f /tmp/mig.log; (shyperctl vm migrate %s board-2 --bandwidth 2 %s "
              "> /tmp/mig.log 2>&1; echo rc=$? >> /tmp/mig.log) & true" % (name, options))
    if when:
        deadline = time.time() + 120
        while not re.search(when, one.check("cat /tmp/mig.log")):
            assert time.time() < deadline, one.check("cat /tmp/mig.log")
            time.sleep(0.5)
    else:
        time.sleep(after)
    cut()
    deadline = time.time() + 180
    while "rc=" not in one.check("cat /tmp/mig.log"):
        assert time.time() < deadline, one.check("cat /tmp/mig.log")
        time.sleep(2)
    log = one.check("cat /tmp/mig.log")
    assert "rc=0" not in log, log
    restore()
    info = json.loads(one.check("shyperctl vm info --json %s" % name))
    assert info["state"] == "running", (info, log)
    wait_passes(one, name, before)
    deadline = time.time() + 90
    while dest_alive and (name in names(two) or pool_free(two) != free2):
        # An arrived guest nobody committed goes within a minute.
        assert time.time() < deadline, (names(two), pool_free(two), free2)
        time.sleep(3)
    return log


def link_down(board):
    board.check("ip link set link0 down")


def link_up(board):
    board.check("ip link set link0 up")


def shyperd_kill(board):
    board.check("kill $(cat /run/shyperd.pid)")


def shyperd_start(board):
    board.check("shyperd --daemon --pidfile /run/shyperd.pid </dev/null >>/run/shyperd.log 2>&1")


@requires_hypervisor
def test_link_down_during_the_first_round(linked_boards, dirty_guest):
    one = linked_boards[1]
    cut_midway(linked_boards, dirty_guest, lambda: link_down(one), lambda: link_up(one))


@requires_hypervisor
def test_destination_shyperd_killed_during_the_copy(linked_boards, dirty_guest):
    two = linked_boards[2]
    cut_midway(linked_boards, dirty_guest, lambda: shyperd_kill(two),
               lambda: shyperd_start(two), after=4)


@requires_hypervisor
def test_link_down_in_a_later_round(linked_boards, dirty_guest):
    one = linked_boards[1]
    log = cut_midway(linked_boards, dirty_guest, lambda: link_down(one), lambda: link_up(one),
                     when=r"round 2:")
    assert "(paused)" not in log, log


@requires_hypervisor
def test_destination_shyperd_killed_during_stop_and_copy(linked_boards, dirty_guest):
    two = linked_boards[2]
    cut_midway(linked_boards, dirty_guest, lambda: shyperd_kill(two),
               lambda: shyperd_start(two), when=r"round \d+ \(paused\):",
               options="--max-downtime 30000")


@requires_hypervisor
def test_cancel(linked_boards, dirty_guest):
    one = linked_boards[1]
    log = cut_midway(linked_boards, dirty_guest,
                     lambda: one.check("shyperctl vm migrate --cancel %s" % dirty_guest),
                     lambda: None)
    assert "cancelled" in log, log


def blk_passes(text):
    assert "blkdirty BAD" not in text and "write status" not in text, text
    return [int(n) for n in re.findall(r"blkdirty ok pass (\d+)", text)]


@requires_hypervisor
def test_copy_storage(linked_boards):
    """--copy-storage: a guest that keeps rewriting its disk moves with its
    image, which DEST creates (never over a file); its passes go on there
    with every block as it last wrote it."""
    one, two = linked_boards[1], linked_boards[2]
    name, img = "mig-disk", "/root/mig-disk.img"
    disk = ("<disk type='file' device='disk'><source file='%s'/>"
            "<target dev='vda' bus='virtio'/></disk>" % img)
    with open("%s/%s.xml" % (linked_boards.share, name), "w") as f:
        f.write(guest_xml(name, "blkdirty=0", extra=disk))
    one.check("rm -f %s; truncate -s 1M %s" % (img, img))
    two.check("rm -f %s" % img)
    one.check("shyperctl vm create %s/%s.xml" % (SHARE, name))
    try:
        deadline = time.time() + 90
        while len(blk_passes(console(one, name))) < 2:
            assert time.time() < deadline, console(one, name)
        # Not on shared storage: without --copy-storage DEST lacks the image.
        status, out = migrate(one, name, "board-2", timeout=120)
        assert status != 0 and img in out, out
        # A file at that path on DEST is never written over.
        two.check("truncate -s 1M %s" % img)
        status, out = migrate(one, name, "board-2", "--copy-storage", timeout=120)
        assert status != 0 and "exists here already" in out, out
        two.check("rm %s" % img)
        last = blk_passes(console(one, name))[-1]
        status, out = migrate(one, name, "board-2", "--copy-storage", "--max-downtime",
                              "30000")
        assert status == 0, out + logs(linked_boards)
        report = json.loads(out[out.find("{"):out.rfind("}") + 1])
        # Its 256 KiB of written blocks at least; the rest of the 1 MiB is zeroes.
        assert report["disk_bytes"] >= 256 << 10, report
        assert two.check("stat -c %%s %s" % img).strip() == str(1 << 20)
        deadline = time.time() + 90
        while True:
            seen = blk_passes(console(two, name))
            if seen and seen[-1] > last + 1:
                break
            assert time.time() < deadline, console(two, name)
        assert name not in names(one)
    finally:
        for board in (one, two):
            board.run("shyperctl vm destroy %s; shyperctl vm undefine %s; rm -f %s"
                      % (name, name, img), 60)


@requires_hypervisor
def test_paused_guest_arrives_paused(linked_boards, dirty_guest):
    """A guest its user paused moves paused and stays so on DEST, not
    running a page of its loop there until it is resumed."""
    name = dirty_guest
    one, two = linked_boards[1], linked_boards[2]
    # (The console shows what came since it was last read.)
    seen = passes(console(one, name))
    one.check("shyperctl vm pause %s" % name)
    before = (seen + passes(console(one, name)))[-1]
    status, out = migrate(one, name, "board-2", "--max-downtime", "30000")
    assert status == 0, out + logs(linked_boards)
    info = json.loads(two.check("shyperctl vm info --json %s" % name))
    assert info["state"] == "paused", info
    time.sleep(3)
    assert not [p for p in passes(console(two, name)) if p > before]
    two.check("shyperctl vm resume %s" % name)
    wait_passes(two, name, before)


LINUX_MAC = "52:54:00:5e:00:42"
RX_PORT = 5000
FILLER = "0123456789abcdef" * 4
# The guest's side: a counter on its console every second, and the stream
# from the MVM kept in RAM (/tmp is its initramfs). (What a test waits for
# is computed, so that the typed line's echo does not match it.)
LINUX_LOOPS = (
    "(n=0; while true; do n=$((n+1)); echo mig-count $n; sleep 1; done) >/dev/console 2>&1 & "
    "nc -l -p %d > /tmp/rx 2>/dev/null & echo loops-$((2*3))-started" % RX_PORT)
# The MVM's side: numbered lines, about 30 a second, each its own frame,
# until told to stop. (busybox's nc has no UDP: TCP, whose stream the guest
# must find whole and in order up to where it left.)
SENDER = ("(i=0; while [ ! -e /tmp/mig-stop ]; do i=$((i+1)); echo \"seq $i %s\"; usleep 30000; "
          "done) | nc %%s %d >/dev/null 2>&1 & true" % (FILLER, RX_PORT))


def counts(text):
    return [int(n) for n in re.findall(r"mig-count (\d+)[\r\n]", text)]


def learned(board, mac):
    """Has BOARD's guest bridge learned MAC on one of its ports? (Its
    forwarding table, 16 bytes an entry: the MAC, the port, is_local.)"""
    out = board.check("od -An -v -tx1 /sys/class/net/virbr0/brforward")
    table = bytes.fromhex("".join(out.split()))
    want = bytes.fromhex(mac.replace(":", ""))
    return any(table[i:i + 6] == want and table[i + 7] == 0
               for i in range(0, len(table) - 15, 16))


@requires_hypervisor
def test_linux_guest_moves_with_its_disk_nic_and_traffic(linked_boards):
    """A Linux guest with a disk on shared storage and a NIC, receiving a
    stream while it moves: a block written before is read back after, its
    console counter and uptime go on without a restart, every line it took
    in is there, whole and in order (frames the MVM wrote into its memory
    during the copy were sent again), and DEST's MVM reaches it."""
    one, two = linked_boards[1], linked_boards[2]
    name, img = "mig-linux", SHARE + "/mig-linux.img"
    with open("%s/%s.xml" % (linked_boards.share, name), "w") as f:
        f.write(disk_guest(name, "<disk type='file' device='disk'><source file='%s'/>"
                           "<target dev='vda' bus='virtio'/></disk>"
                           "<interface type='network'><source network='default'/>"
                           "<mac address='%s'/><model type='virtio'/></interface>"
                           % (img, LINUX_MAC)).replace("cpuset='2'", "cpuset='1'"))
    one.check("dd if=/dev/zero of=%s bs=1M count=8 2>/dev/null" % img)
    one.check("rm -f /tmp/mig-stop; shyperctl vm create %s/%s.xml" % (SHARE, name), 300)
    try:
        address = wait_address(one, name)
        guest_shell(one, name, "echo written-before-the-move | dd of=/dev/vda bs=512 seek=7 "
                    "conv=notrunc 2>/dev/null; sync; " + LINUX_LOOPS, r"loops-6-started")
        one.check(SENDER % address)
        time.sleep(3)
        uptime_before, wall_before = float(guest_shell(
            one, name, "echo up=$(cut -d' ' -f1 /proc/uptime)", r"up=[\d.]+")
            .rsplit("up=", 1)[1].split()[0]), time.time()
        before = counts(console(one, name))
        status, out = migrate(one, name, "board-2", "--max-downtime", "30000", timeout=600)
        assert status == 0, out + logs(linked_boards)
        report = json.loads(out[out.find("{"):out.rfind("}") + 1])
        one.check("touch /tmp/mig-stop; killall nc 2>/dev/null; true")
        assert name not in names(one)

        # The counter goes on from where it was: no restart, no gap.
        deadline = time.time() + 60
        while True:
            after = counts(console(two, name))
            if after and after[-1] > before[-1] + 2:
                break
            assert time.time() < deadline, (before, after)
        seen = sorted(set(before + after))
        assert seen == list(range(seen[0], seen[-1] + 1)), seen

        text = guest_shell(
            two, name, "echo 3 > /proc/sys/vm/drop_caches; "
            "echo disk=$(dd if=/dev/vda bs=512 skip=7 count=1 2>/dev/null | head -c 25); "
            "echo up=$(cut -d' ' -f1 /proc/uptime); "
            # Every line but the last, which the move may have cut.
            "awk 'NR > 1 { if (split(p, f, \" \") != 3 || f[1] != \"seq\" || f[3] != \"%s\" "
            "|| (n && f[2] != last + 1)) bad++; last = f[2]; n++ } { p = $0 } "
            "END { print \"rx=\" n \",\" bad + 0 \",\" last }' /tmp/rx; "
            "ping -c 2 -W 5 %s >/dev/null && echo ping=$((1+1))ok" % (FILLER, MVM_IP), r"ping=2ok", 180)
        wall_after = time.time()
        assert "disk=written-before-the-move" in text, text
        uptime_after = float(re.search(r"up=([\d.]+)", text).group(1))
        # Its clock went on (minus the time it was stopped), not from zero.
        assert uptime_before < uptime_after <= uptime_before + (wall_after - wall_before) + 2, (
            uptime_before, uptime_after, wall_after - wall_before, report)
        # Consecutive: none lost, none twice, none out of order.
        received, bad = (int(x) for x in re.search(r"rx=(\d+),(\d+),", text).groups())
        assert received >= 50 and bad == 0, text
        # And DEST's MVM reaches it where it is now.
        assert "1 packets received" in two.check("ping -c 1 -W 5 %s" % address, 60)
    finally:
        one.run("touch /tmp/mig-stop; killall nc", 30)
        for board in (one, two):
            board.run("shyperctl vm destroy %s; shyperctl vm undefine %s" % (name, name), 120)
        one.run("rm -f %s /tmp/mig-stop" % img, 30)


@requires_hypervisor
def test_destination_announces_the_guests_mac(linked_boards):
    """A guest that never sends a frame (the test guest does not drive its
    NIC): no bridge learns its MAC from it. Once it runs on DEST, DEST's
    bridge knows its MAC from shyperd's announcement (RARP), so that
    frames for it go to its new port at once."""
    one, two = linked_boards[1], linked_boards[2]
    name, mac = "mig-quiet", "52:54:00:5e:00:43"
    with open("%s/%s.xml" % (linked_boards.share, name), "w") as f:
        f.write(guest_xml(name, "mode=wait", extra="<interface type='network'>"
                          "<source network='default'/><mac address='%s'/>"
                          "<model type='virtio'/></interface>" % mac))
    one.check("shyperctl vm create %s/%s.xml" % (SHARE, name))
    try:
        time.sleep(3)
        assert not learned(one, mac) and not learned(two, mac)
        status, out = migrate(one, name, "board-2")
        assert status == 0, out + logs(linked_boards)
        deadline = time.time() + 10
        while not learned(two, mac):
            assert time.time() < deadline, logs(linked_boards)
            time.sleep(0.5)
        assert "its MAC announced on 1 NIC" in two.check("cat /run/shyperd.log")
    finally:
        for board in (one, two):
            board.run("shyperctl vm destroy %s; shyperctl vm undefine %s" % (name, name), 60)


@requires_hypervisor
def test_latency_probe_moved_while_it_samples(linked_boards):
    """The latency probe (examples/latency-probe) as an ordinary guest, moved
    while it samples: it finishes on DEST with every sample taken, none
    early, and reports its worst lateness: the pause as the guest saw it."""
    one, two = linked_boards[1], linked_boards[2]
    name = "latency-probe"
    with open(os.path.join(REPO_ROOT, "examples", "latency-probe", "latency-probe.xml")) as f:
        xml = f.read()
    xml = xml.replace("count=1000", "count=30000").replace("cpuset='3'", "cpuset='2'")
    with open("%s/mig-probe.xml" % linked_boards.share, "w") as f:
        f.write(xml.replace("<on_poweroff>destroy", "<on_poweroff>preserve"))
    one.check("shyperctl vm create %s/mig-probe.xml" % SHARE)
    try:
        time.sleep(3)
        status, out = migrate(one, name, "board-2", "--max-downtime", "30000")
        assert status == 0, out + logs(linked_boards)
        report = json.loads(out[out.find("{"):out.rfind("}") + 1])
        deadline, text, match = time.time() + 240, "", None
        while not match and time.time() < deadline:
            text += console(two, name)
            match = re.search(r"latency-probe: (\{.*\})", text)
        assert match, text
        result = json.loads(match.group(1))
        # Every sample, none early (its counter never went back), and its
        # worst lateness, the pause as it saw it, reported. (That the pause
        # it sees is not the downtime: test_back_and_forth_five_times.)
        assert result["count"] == 30000 and result["early"] == 0, result
        assert 0 < result["max_ns"] < 2 * 10**9, (result, report)
    finally:
        for board in (one, two):
            board.run("shyperctl vm destroy %s; shyperctl vm undefine %s" % (name, name), 60)


@requires_hypervisor
def test_destination_powered_off_during_stop_and_copy(linked_boards, dirty_guest):
    """Last, as it leaves board 2 off: its QEMU killed in the stop-and-copy,
    as a board losing power. The guest goes on running on the source."""
    two = linked_boards[2]
    cut_midway(linked_boards, dirty_guest, lambda: os.kill(two.child.pid, signal.SIGKILL),
               lambda: None, when=r"round \d+ \(paused\):", options="--max-downtime 30000",
               dest_alive=False)
