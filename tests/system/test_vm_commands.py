"""shyperctl's guest commands on the session board, end to end: definitions
in libvirt domain XML, every state a VM goes through, the console, shyperd
settling guests that power off or reset themselves, and every bad input
refused with one clear line and nothing changed.

Guests are the bare-metal test guest (tests/guests, its mode in <cmdline>)
and the shipped examples. Definitions made here go into the host share
(/mnt/share in the MVM) so that each test writes exactly what it needs.
"""

import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import requires_hypervisor

pytestmark = requires_hypervisor

TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"
EXAMPLES = "/usr/share/shyper/examples"
SHARE = "/mnt/share"


def guest_xml(name, mode, memory_mib=4, vcpus=1, pins=None, extra_os="", uuid=None,
              kernel=TESTGUEST):
    pins = pins if pins is not None else [1 + v for v in range(vcpus)]
    cputune = "".join("<vcpupin vcpu='%d' cpuset='%d'/>" % (v, p) for v, p in enumerate(pins))
    return ("<domain type='shyper'>\n"
            "  <name>%s</name>\n%s"
            "  <memory unit='MiB'>%d</memory>\n"
            "  <vcpu>%d</vcpu>\n"
            "  <cputune>%s</cputune>\n"
            "  <os>\n"
            "    <kernel>%s</kernel>\n"
            "    <cmdline>%s</cmdline>%s\n"
            "  </os>\n"
            "  <devices><console type='pty'><target type='serial'/></console></devices>\n"
            "</domain>\n"
            % (name, "  <uuid>%s</uuid>\n" % uuid if uuid else "", memory_mib, vcpus,
               cputune, kernel, mode, extra_os))


@pytest.fixture
def defs(share_dir, board):
    """Writes definitions into the share; undefines what the test left."""
    written = []

    def write(filename, text):
        with open(os.path.join(share_dir, filename), "w") as f:
            f.write(text)
        written.append(filename)
        return "%s/%s" % (SHARE, filename)

    yield write
    for vm in vm_list(board):
        if vm["type"] != "mvm":
            board.run("shyperctl vm destroy %s >/dev/null 2>&1; "
                      "shyperctl vm undefine %s >/dev/null 2>&1" % (vm["name"], vm["name"]))
    for filename in written:
        os.unlink(os.path.join(share_dir, filename))


def ctl(board, args, timeout=60):
    """shyperctl ARGS with stderr folded in: (status, output)."""
    return board.run("shyperctl %s 2>&1" % args, timeout)


def ctl_json(board, args, timeout=60):
    return json.loads(board.check("shyperctl --json %s" % args, timeout))


def vm_list(board):
    return ctl_json(board, "vm list")["vms"]


def vm(board, name):
    return ctl_json(board, "vm info %s" % name)


def hv_info(board):
    return ctl_json(board, "hv info")


def console_text(board, name, seconds=2):
    """What `vm console` shows in SECONDS with no input (then SIGTERM)."""
    status, output = board.run("timeout %d shyperctl vm console %s </dev/null 2>&1"
                               % (seconds, name), seconds + 30)
    return output


def wait_state(board, name, state, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = vm(board, name)
        if info["state"] == state:
            return info
        time.sleep(0.5)
    pytest.fail("VM %s did not reach %s within %ds: %r" % (name, state, timeout, info))


def assert_refused(board, args, message_re):
    """ARGS fails with exit 1 and exactly one 'shyperctl: ' line matching MESSAGE_RE."""
    status, output = ctl(board, args)
    lines = [line for line in output.splitlines() if line.strip()]
    assert status == 1, output
    assert len(lines) == 1 and lines[0].startswith("shyperctl: "), output
    assert re.search(message_re, lines[0]), lines[0]
    return lines[0]


def snapshot(board):
    info = hv_info(board)
    return ([(v["id"], v["name"], v["state"]) for v in vm_list(board)],
            info["pool_free_bytes"], info["vm_count"])


def test_lifecycle_of_one_guest(board, defs):
    pool = hv_info(board)["pool_free_bytes"]
    path = defs("life.xml", guest_xml("life", "mode=wait"))
    out = board.check("shyperctl vm define %s" % path)
    assert re.search(r"VM 'life' defined from .*life.xml \(UUID [0-9a-f-]{36}\)", out), out
    info = vm(board, "life")
    assert (info["state"], info["id"], info["defined"], info["active"]) == \
        ("defined", None, True, False), info
    assert "life" in board.check("shyperctl vm list")

    out = board.check("shyperctl vm start life")
    assert re.search(r"VM 'life' started \(id \d+\)", out), out
    info = vm(board, "life")
    assert info["state"] == "running" and info["active"], info
    assert info["vcpus"] == [{"vcpu": 0, "pcpu": 1}], info
    assert info["memory_bytes"] == 4 << 20
    assert hv_info(board)["pool_free_bytes"] == pool - (4 << 20)
    plain = board.check("shyperctl vm info life")
    assert re.search(r"vCPU 0:\s+pCPU 1", plain), plain
    assert re.search(r"State:\s+running", plain), plain
    assert "waiting" in console_text(board, "life")

    board.check("shyperctl vm pause life")
    assert vm(board, "life")["state"] == "paused"
    assert_refused(board, "vm pause life", r"is paused, not running")
    board.check("shyperctl vm resume life")
    assert vm(board, "life")["state"] == "running"

    before = vm(board, "life")["id"]
    board.check("shyperctl vm reboot life")
    after = vm(board, "life")
    assert after["id"] == before and after["state"] == "running", after
    # The guest ran again from the start: a second "waiting".
    assert console_text(board, "life").count("waiting") >= 1

    board.check("shyperctl vm destroy life")
    info = vm(board, "life")
    assert (info["state"], info["active"]) == ("shutoff", False), info
    assert hv_info(board)["pool_free_bytes"] == pool
    board.check("shyperctl vm undefine life")
    assert_refused(board, "vm info life", r"no VM with id or name 'life'")


def test_json_of_every_command(board, defs):
    path = defs("js.xml", guest_xml("js", "mode=wait"))
    doc = ctl_json(board, "vm define %s" % path)
    assert doc["schema"] == 1 and doc["name"] == "js" and doc["state"] == "defined"
    uuid = doc["uuid"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        uuid), uuid
    for command, state in [("start", "running"), ("pause", "paused"), ("resume", "running"),
                           ("reboot", "running"), ("destroy", "shutoff")]:
        doc = ctl_json(board, "vm %s js" % command)
        assert (doc["name"], doc["state"], doc["uuid"]) == ("js", state, uuid), (command, doc)
    doc = ctl_json(board, "vm dumpxml js")
    assert "<uuid>%s</uuid>" % uuid in doc["xml"]
    names = [v["name"] for v in ctl_json(board, "vm list")["vms"]]
    assert names[0] == "mvm" and "js" in names
    doc = ctl_json(board, "vm undefine js")
    assert doc["name"] == "js" and doc["defined"] is False


def test_dumpxml_round_trips_and_libvirt_validates_it(board, defs, share_dir):
    path = defs("rt.xml", guest_xml("rt", "mode=wait", vcpus=2, pins=[2, 3]))
    board.check("shyperctl vm define %s" % path)
    first = board.check("shyperctl vm dumpxml rt")
    board.check("shyperctl vm dumpxml rt > %s/rt-dump.xml" % SHARE)
    board.check("shyperctl vm undefine rt && shyperctl vm define %s/rt-dump.xml" % SHARE)
    assert board.check("shyperctl vm dumpxml rt") == first
    dump = os.path.join(share_dir, "rt-dump.xml")
    try:
        if shutil.which("virt-xml-validate"):
            # libvirt's schema does not know type='shyper': everything else must pass.
            with open(dump) as f:
                text = f.read().replace("type='shyper'", "type='kvm'", 1) \
                    .replace('type="shyper"', 'type="kvm"', 1)
            kvm = dump + ".kvm.xml"
            with open(kvm, "w") as f:
                f.write(text)
            result = subprocess.run(["virt-xml-validate", kvm, "domain"], capture_output=True,
                                    text=True)
            os.unlink(kvm)
            assert result.returncode == 0, result.stdout + result.stderr
    finally:
        os.unlink(dump)


def test_console_attach_detach_and_buffering(board, defs):
    path = defs("con.xml", guest_xml("con", "mode=wait"))
    board.check("shyperctl vm create %s" % path)
    # Interactive, on the MVM's terminal: the buffered output first, then ^] detaches.
    board.child.sendline("shyperctl vm console con")
    board.expect(r"Escape character is \^\]", 30, "the console banner")
    board.expect("waiting", 30, "the guest's buffered output")
    board.child.send("\x1d")
    board.expect(r"detached from VM 'con'", 30, "the detach message")
    board.check("true")  # the shell is back
    # Attaching again shows nothing old: the first reader took it.
    assert "waiting" not in console_text(board, "con", 2)
    # A reboot makes new output while nobody is attached: it is kept.
    board.check("shyperctl vm reboot con")
    assert "waiting" in console_text(board, "con", 2)


def test_graceful_stop_of_a_guest_that_ignores_the_button_is_forced(board, defs):
    path = defs("deaf.xml", guest_xml("deaf", "mode=wait"))
    board.check("shyperctl vm create %s" % path)
    start = time.time()
    out = board.check("shyperctl vm stop --timeout 2 deaf", 60)
    assert "powered off by force" in out, out
    assert time.time() - start >= 2
    assert vm(board, "deaf")["state"] == "shutoff"
    board.check("shyperctl vm start deaf")
    out = board.check("shyperctl vm stop --force deaf")
    assert out.strip() == "VM 'deaf' powered off", out


def test_guest_power_off_is_settled_by_shyperd(board, defs):
    pool = hv_info(board)["pool_free_bytes"]
    path = defs("bye.xml", guest_xml("bye", "mode=hello"))
    board.check("shyperctl vm create %s" % path)
    info = wait_state(board, "bye", "shutoff", 30)
    assert not info["active"], info  # shyperd gave its memory back
    deadline = time.time() + 30
    while hv_info(board)["pool_free_bytes"] != pool and time.time() < deadline:
        time.sleep(0.5)
    assert hv_info(board)["pool_free_bytes"] == pool


def test_guest_reset_is_rebooted_by_shyperd(board, defs):
    path = defs("again.xml", guest_xml("again", "mode=reset"))
    board.check("shyperctl vm create %s" % path)
    vm_id = vm(board, "again")["id"]
    # It resets itself each time it boots: shyperd keeps rebooting it.
    deadline = time.time() + 60
    seen = ""
    while time.time() < deadline:
        seen += console_text(board, "again", 2)
        if seen.count("reset") >= 3:
            break
    assert seen.count("reset") >= 3, seen
    assert vm(board, "again")["id"] == vm_id
    board.check("shyperctl vm destroy again")


def test_bad_inputs_are_refused_and_change_nothing(board, defs):
    running = defs("busy.xml", guest_xml("busy", "mode=wait"))
    board.check("shyperctl vm create %s" % running)
    uuid = vm(board, "busy")["uuid"]
    before = snapshot(board)
    pool_total = hv_info(board)["pool_total_bytes"]
    cases = [
        ("bad-xml.xml", "<domain type='shyper'>\n<name>x</name>\n<memory>4096</memory\n",
         r"bad-xml.xml:\d+: error"),
        ("unknown.xml", guest_xml("unk", "mode=wait").replace("<devices>",
                                                              "<devices><sound model='ich9'/>"),
         r"unknown.xml:\d+: error: .*sound"),
        ("nokernel.xml", guest_xml("nok", "mode=wait", kernel="/nonexistent/Image"),
         r"kernel /nonexistent/Image: No such file"),
        ("noinitrd.xml", guest_xml("noi", "mode=wait",
                                   extra_os="<initrd>/nonexistent/initrd</initrd>"),
         r"initrd /nonexistent/initrd: No such file"),
        ("huge.xml", guest_xml("huge", "mode=wait",
                               memory_mib=(pool_total >> 20) + 2), r"more than the whole guest pool"),
        ("zero.xml", guest_xml("zero", "mode=wait", vcpus=0, pins=[]), r"vcpu"),
        ("nine.xml", guest_xml("nine", "mode=wait", vcpus=9, pins=[]), r"vcpu"),
        ("badpin.xml", guest_xml("badpin", "mode=wait", pins=[7]), r"pinned to pCPU 7"),
        ("dupname.xml", guest_xml("busy", "mode=wait"),
         r"'busy' (is already defined|already exists)"),
        ("dupuuid.xml", guest_xml("other", "mode=wait", uuid=uuid),
         r"UUID %s already belongs to VM 'busy'" % uuid),
        ("mvmname.xml", guest_xml("mvm", "mode=wait"), r"'mvm' already exists"),
    ]
    for filename, text, message in cases:
        path = defs(filename, text)
        for command in ("define", "create"):
            assert_refused(board, "vm %s %s" % (command, path), message)
    assert_refused(board, "vm define /mnt/share/missing.xml", r"missing.xml")
    # Fits the pool, but not what is free of it while 'busy' runs.
    whole = defs("whole.xml", guest_xml("whole", "mode=wait", memory_mib=pool_total >> 20))
    board.check("shyperctl vm define %s" % whole)
    assert_refused(board, "vm start whole", r"not enough free guest memory")
    assert vm(board, "whole")["state"] == "defined"
    board.check("shyperctl vm undefine whole")
    assert_refused(board, "vm start busy", r"already running")
    assert_refused(board, "vm undefine busy", r"is running: stop or destroy it")
    assert_refused(board, "vm destroy mvm", r"management VM")
    assert_refused(board, "vm stop mvm", r"management VM")
    assert_refused(board, "vm undefine mvm", r"management VM")
    assert_refused(board, "vm pause mvm", r"management VM")
    assert_refused(board, "vm start ../../etc/passwd", r"no VM")
    assert_refused(board, "vm console nosuch", r"no VM")
    assert snapshot(board) == before
    board.check("shyperctl vm destroy busy")
    assert_refused(board, "vm stop busy", r"not running")
    assert_refused(board, "vm destroy busy", r"not running")
    assert_refused(board, "vm pause busy", r"not running")
    assert_refused(board, "vm console busy", r"not running")
    status, output = ctl(board, "vm stop --timeout=abc busy")
    assert status == 2, output


def test_many_create_destroy_cycles_leave_nothing_behind(board, defs):
    path = defs("cycle.xml", guest_xml("cycle", "mode=wait"))
    before = snapshot(board)
    heap = hv_info(board)
    cycles = 200
    out = board.check("ok=0; i=0; while [ $i -lt %d ]; do "
                      "shyperctl vm create %s >/dev/null && shyperctl vm destroy cycle >/dev/null "
                      "&& shyperctl vm undefine cycle >/dev/null && ok=$((ok+1)); i=$((i+1)); done; "
                      "echo cycles ok: $ok" % (cycles, path), 900)
    assert "cycles ok: %d" % cycles in out, out
    assert snapshot(board) == before
    assert hv_info(board)["pool_free_bytes"] == heap["pool_free_bytes"]


def test_linux_guests_and_baremetal_side_by_side(board, defs):
    """Three Linux guests from the shipped example and the bare-metal
    example at once on the 4 pCPUs, then a graceful stop of each Linux
    guest through its power button."""
    pool = hv_info(board)["pool_free_bytes"]
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                           "linux-guest.xml")) as f:
        example = f.read()
    names = ["lin1", "lin2", "lin3"]
    for n, name in enumerate(names):
        text = re.sub(r"<name>[^<]*</name>", "<name>%s</name>" % name, example)
        text = re.sub(r"<cputune>.*?</cputune>", "", text, flags=re.S)
        text = text.replace("<os>", "<cputune><vcpupin vcpu='0' cpuset='%d'/></cputune>\n"
                            "  <os>" % (n + 1), 1)
        text = re.sub(r"<vcpu[^>]*>\d+</vcpu>", "<vcpu>1</vcpu>", text)
        board.check("shyperctl vm create %s" % defs("%s.xml" % name, text))
    board.check("shyperctl vm create %s/baremetal.xml" % EXAMPLES)
    for name in names:
        deadline = time.time() + 240
        seen = ""
        while "user space reached" not in seen and time.time() < deadline:
            seen += console_text(board, name, 3)
        assert "user space reached" in seen, seen
    assert wait_state(board, "baremetal", "shutoff", 60)
    for name in names:
        out = board.check("shyperctl vm stop --timeout 60 %s" % name, 120)
        assert out.strip() == "VM '%s' shut down" % name, out
    board.check("shyperctl vm undefine baremetal")
    deadline = time.time() + 30
    while hv_info(board)["pool_free_bytes"] != pool and time.time() < deadline:
        time.sleep(0.5)
    assert hv_info(board)["pool_free_bytes"] == pool


def test_runaway_guest_does_not_starve_its_neighbours(board, defs):
    """A guest spinning forever on pCPU 1 shares it: a worker guest pinned
    to the same pCPU, and the MVM's own work on its vCPU 1, still finish;
    the MVM answers throughout. (How fair the share is, is a benchmark's
    business, not a timed test's.)"""
    board.check("shyperctl vm create %s" % defs("spin.xml", guest_xml("spin", "mode=spin")))
    board.check("shyperctl vm create %s" % defs("worker.xml",
                                                guest_xml("worker", "work=2000000 then=wait")))
    deadline = time.time() + 180
    seen = ""
    while "rounds in" not in seen and time.time() < deadline:
        seen += console_text(board, "worker", 3)
    assert re.search(r"work: 2000000 rounds in \d+ ticks", seen), seen
    out = board.check("taskset 2 sh -c 'dd if=/dev/zero bs=64k count=200 2>/dev/null "
                      "| sha256sum'", 180)
    assert re.search(r"^[0-9a-f]{64}", out.strip()), out
    assert vm(board, "spin")["state"] == "running"
    board.check("shyperctl vm destroy spin && shyperctl vm destroy worker")


def test_elf_guest_boots(board, defs):
    """A bare-metal guest as an ELF executable: its segments are loaded
    where its program headers say and it is entered at its entry point."""
    path = defs("elf.xml", guest_xml("elf", "mode=hello then=wait",
                                     kernel="/usr/lib/shyper/tests/testguest.elf"))
    board.check("shyperctl vm create %s" % path)
    assert "testguest: hello from vCPU 0" in console_text(board, "elf")
    board.check("shyperctl vm destroy elf")
    bad = defs("notelf.xml", guest_xml("notelf", "mode=hello",
                                       kernel="/usr/lib/shyper/tests/testguest.elf"))
    # The same file cut short is refused before anything is created.
    board.check("head -c 100 /usr/lib/shyper/tests/testguest.elf > /tmp/cut.elf")
    board.check("sed -i 's|/usr/lib/shyper/tests/testguest.elf|/tmp/cut.elf|' %s" % bad)
    before = snapshot(board)
    assert_refused(board, "vm create %s" % bad, r"ELF file /tmp/cut.elf: .*outside the file")
    assert snapshot(board) == before


def test_shyperd_command_line(board):
    """shyperd's options: --help, and bad values refused with exit 2 before
    anything starts (the running daemon is not disturbed)."""
    pid = board.check("cat /run/shyperd.pid").strip()
    status, out = board.run("shyperd --help")
    assert status == 0 and "--poll-us" in out, out
    for bad in ("--poll-us", "--poll-us -1", "--poll-us 10x", "--poll-us 1000001", "--frob"):
        status, out = board.run("shyperd %s" % bad)
        assert status == 2, (bad, status, out)
        assert out.startswith("shyperd: "), (bad, out)
    assert board.check("cat /run/shyperd.pid").strip() == pid
    board.check("kill -0 %s" % pid)
