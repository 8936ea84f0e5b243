"""shyper-top, the dashboard, on the session board.

Its curses screen cannot be read over the serial console, so it runs on a
pseudo-terminal of its own in the MVM (tests/mvm/shyper-pty.c): what it
writes goes to a file in the host share, which pyte renders here as a
terminal would; keys and resizes go in through FIFOs; when it ends, a status
file says how, and whether the terminal's modes are as they were before.

Two test guests run throughout (bare-metal test guest, tests/guests): one
spinning on pCPU 2, one idle in WFI on pCPU 3 (it prints "waiting").
"""

import json
import os
import re
import time

import pyte
import pytest

from conftest import requires_hypervisor

pytestmark = requires_hypervisor

TESTGUEST = "/usr/lib/shyper/tests/testguest.bin"
PTY = "/usr/lib/shyper/tests/shyper-pty"
SHARE = "/mnt/share"
SPIN = "top-spin"
IDLE = "top-idle"
WAIT = 60  # seconds for the screen to show something, under TCG

# Keys as printf(1) writes them.
KEY_DOWN = r"\033OB"  # keypad transmit mode (smkx), as curses asks
KEY_HOME = r"\033OH"
KEY_ESC = r"\033"
KEY_ENTER = r"\r"


def guest_xml(name, mode, pcpu):
    return ("<domain type='shyper'>\n"
            "  <name>%s</name>\n"
            "  <memory unit='MiB'>4</memory>\n"
            "  <vcpu>1</vcpu>\n"
            "  <cputune><vcpupin vcpu='0' cpuset='%d'/></cputune>\n"
            "  <os><kernel>%s</kernel><cmdline>mode=%s</cmdline></os>\n"
            "  <devices><console type='pty'><target type='serial'/></console></devices>\n"
            "</domain>\n" % (name, pcpu, TESTGUEST, mode))


@pytest.fixture(scope="module")
def guests(board, share_dir):
    for name, mode, pcpu in ((SPIN, "spin", 2), (IDLE, "wait", 3)):
        with open(os.path.join(share_dir, name + ".xml"), "w") as f:
            f.write(guest_xml(name, mode, pcpu))
        board.check("shyperctl vm create %s/%s.xml" % (SHARE, name))
    yield
    for name in (SPIN, IDLE):
        board.run("shyperctl vm destroy %s >/dev/null 2>&1; "
                  "shyperctl vm undefine %s >/dev/null 2>&1" % (name, name))
        os.unlink(os.path.join(share_dir, name + ".xml"))


class Screen(pyte.Screen):
    """pyte's screen with xterm's REP (CSI n b: the last character drawn, n
    more times), which ncurses uses for runs of one character where the
    terminfo entry has `rep` (xterm-256color does) and pyte 0.8 lacks."""

    last = " "

    def draw(self, data):
        super().draw(data)
        if data:
            self.last = data[-1]

    def repeat_last(self, count=1, **_):
        self.draw(self.last * max(count, 1))


class Stream(pyte.ByteStream):
    csi = dict(pyte.ByteStream.csi, b="repeat_last")


class Top:
    """One shyper-top on a pseudo-terminal in the MVM."""

    count = 0

    def __init__(self, board, share_dir, cols=100, rows=30, term="xterm-256color", args=""):
        Top.count += 1
        n = Top.count
        self.board = board
        self.out = os.path.join(share_dir, "top-%d.out" % n)
        self.status_path = os.path.join(share_dir, "top-%d.status" % n)
        self.keys = "/tmp/top-%d.keys" % n
        self.ctl = "/tmp/top-%d.ctl" % n
        pid = "/tmp/top-%d.pid" % n
        # Each size from a byte offset of the output on.
        self.sizes = [(0, cols, rows)]
        board.check("(%s -o %s/top-%d.out -s %dx%d -t %s -k %s -c %s -S %s/top-%d.status "
                    "-p %s -T 600 -- shyper-top %s </dev/null >/dev/null 2>&1 &)"
                    % (PTY, SHARE, n, cols, rows, term, self.keys, self.ctl, SHARE, n, pid,
                       args))
        board.check("for i in $(seq 100); do [ -s %s ] && break; sleep 0.1; done; [ -s %s ]"
                    % (pid, pid))

    def kill(self):
        """Ends it (SIGKILL) if it is still running."""
        if not os.path.exists(self.status_path):
            self.control("signal 9")

    def data(self):
        with open(self.out, "rb") as f:
            return f.read()

    def screen(self):
        data = self.data()
        _, cols, rows = self.sizes[0]
        screen = Screen(cols, rows)
        stream = Stream(screen)
        done = 0
        for offset, cols, rows in self.sizes[1:]:
            stream.feed(data[done:offset])
            screen.resize(rows, cols)
            done = offset
        stream.feed(data[done:])
        return screen

    def lines(self):
        return [line.rstrip() for line in self.screen().display]

    def wait_for(self, what, predicate, timeout=WAIT):
        deadline = time.time() + timeout
        while True:
            lines = self.lines()
            if predicate(lines):
                return lines
            if time.time() > deadline:
                pytest.fail("shyper-top never showed %s; screen:\n%s" % (what, "\n".join(lines)))
            time.sleep(0.5)

    def key(self, keys):
        self.board.check("printf '%s' > %s" % (keys, self.keys))

    def control(self, line):
        self.board.check("echo '%s' > %s" % (line, self.ctl))

    def resize(self, cols, rows):
        self.sizes.append((len(self.data()), cols, rows))
        self.control("resize %d %d" % (cols, rows))

    def status(self, timeout=WAIT):
        deadline = time.time() + timeout
        while not os.path.exists(self.status_path):
            if time.time() > deadline:
                pytest.fail("shyper-top did not end; screen:\n%s" % "\n".join(self.lines()))
            time.sleep(0.5)
        with open(self.status_path) as f:
            return dict(line.split("=", 1) for line in f.read().split("\n") if "=" in line)


def table(lines):
    """The VM table's rows: (line index, tokens), below the ID NAME header."""
    for i, line in enumerate(lines):
        if re.match(r"\s*ID\s+NAME\s", line):
            rows = []
            for j in range(i + 1, len(lines)):
                tokens = lines[j].split()
                if len(tokens) >= 4 and re.match(r"^(\d+|-)$", tokens[0]):
                    rows.append((j, tokens))
            return rows
    return []


def row_of(lines, name):
    for _, tokens in table(lines):
        if tokens[1] == name:
            return tokens
    return None


def shows_guests(lines):
    return row_of(lines, SPIN) is not None and row_of(lines, IDLE) is not None


@pytest.fixture(scope="module")
def top(board, share_dir, guests):
    t = Top(board, share_dir)
    t.wait_for("the test guests", shows_guests)
    yield t
    t.kill()


def test_table_shows_the_vms(top):
    lines = top.wait_for("the test guests", shows_guests)
    assert lines[0].startswith("shyper-top")
    assert any("Guest pool:" in line for line in lines)
    assert any(line.startswith("VMs: ") for line in lines)
    assert any(line.startswith("Live updates: ") for line in lines)
    # A load bar per pCPU: "0 [|||...] 12.3% name"
    assert any(re.match(r"^0\s*\[.*\]\s*\d+\.\d%", line) for line in lines)
    mvm = [tokens for _, tokens in table(lines) if tokens[2] == "mvm"]
    assert mvm and mvm[0][0] == "0"
    assert row_of(lines, SPIN)[2:4] == ["gvm", "running"]


def test_pause_shows_paused(top, board):
    board.check("shyperctl vm pause %s" % IDLE)
    try:
        top.wait_for("%s paused" % IDLE, lambda l: (row_of(l, IDLE) or [""] * 4)[3] == "paused")
    finally:
        board.check("shyperctl vm resume %s" % IDLE)
    top.wait_for("%s running" % IDLE, lambda l: (row_of(l, IDLE) or [""] * 4)[3] == "running")


def names_order(lines):
    return [tokens[1] for _, tokens in table(lines) if tokens[1] in (SPIN, IDLE)]


def test_sorting_changes_the_order(top):
    top.key("N")  # by name: top-idle before top-spin
    top.wait_for("the rows by name", lambda l: names_order(l) == [IDLE, SPIN])
    top.key("r")  # reversed
    top.wait_for("the rows by name reversed", lambda l: names_order(l) == [SPIN, IDLE])
    top.key("P")  # CPU%, busiest first: the spinning guest first
    top.wait_for("the rows by CPU%", lambda l: names_order(l) == [SPIN, IDLE])
    top.key("I")  # back to ids


def test_help_screen(top):
    top.key("?")
    lines = top.wait_for("the help", lambda l: any("Actions on the selected VM" in x for x in l))
    text = "\n".join(lines)
    for words in ("start", "destroy", "pause/resume", "reboot", "console", "quit", "reverse"):
        assert words in text
    top.key("x")
    top.wait_for("the table again", shows_guests)


def selected_name(top):
    """The name on the highlighted (reverse video) table row."""
    screen = top.screen()
    rows = dict(table([line.rstrip() for line in screen.display]))
    for y, tokens in rows.items():
        if screen.buffer[y][0].reverse:
            return tokens[1]
    return None


def test_detail_view(top):
    top.key("N")
    lines = top.wait_for("the rows by name", lambda l: names_order(l) == [IDLE, SPIN])
    index = [tokens[1] for _, tokens in table(lines)].index(IDLE)
    top.key(KEY_HOME + KEY_DOWN * index)
    deadline = time.time() + WAIT
    while selected_name(top) != IDLE:
        assert time.time() < deadline, "the selection never reached %s" % IDLE
        time.sleep(0.5)
    top.key(KEY_ENTER)
    lines = top.wait_for("the detail view",
                         lambda l: any(x.startswith("VM ") and IDLE in x for x in l)
                         and any("waiting" in x for x in l))
    text = "\n".join(lines)
    assert re.search(r"VCPU PCPU STATE", text)
    vcpu = [x for x in lines if re.match(r"^\s+0\s+3\s+(running|blocked)", x)]
    assert vcpu, text
    assert "No virtio devices." in text or "SLOT KIND" in text
    assert "Console (latest lines):" in text
    top.key(KEY_ESC)
    top.wait_for("the table again", shows_guests)
    top.key("I")


def test_resize_redraws(top):
    top.resize(80, 24)
    lines = top.wait_for("the table at 80x24",
                         lambda l: shows_guests(l) and len(l) == 24 and len(l[0]) <= 80)
    header = [x for x in lines if re.match(r"\s*ID\s+NAME\s", x)][0]
    assert "CPU%" in header and "MEM" in header
    assert "q:quit" in lines[-1] or lines[-1].strip()
    top.resize(100, 30)
    top.wait_for("the table at 100x30", lambda l: shows_guests(l) and len(l) == 30)


def test_quit_restores_the_terminal(top):
    top.key("q")
    status = top.status()
    assert status["exit"].strip() == "0"
    assert status["termios"].strip() == "same"


@pytest.mark.parametrize("sig", [3, 11])
def test_signal_restores_the_terminal(board, share_dir, guests, sig):
    t = Top(board, share_dir)
    t.wait_for("the test guests", shows_guests)
    t.control("signal %d" % sig)
    status = t.status()
    assert status.get("signal", "").strip() == str(sig), status
    assert status["termios"].strip() == "same"
    # It left the alternate screen (xterm's rmcup) on its way out.
    assert b"\x1b[?1049l" in t.data()[-200:]


def test_vt100_80x24(board, share_dir, guests):
    t = Top(board, share_dir, cols=80, rows=24, term="vt100")
    lines = t.wait_for("the test guests on a vt100", shows_guests)
    assert len(lines) == 24 and all(len(x) <= 80 for x in lines)
    screen = t.screen()  # no colours on a terminal that has none
    assert all(cell.fg == "default" and cell.bg == "default"
               for row in screen.buffer.values() for cell in row.values())
    t.key("q")
    status = t.status()
    assert status["exit"].strip() == "0" and status["termios"].strip() == "same"


def frames(text):
    return [f for f in re.split(r"(?m)^(?=shyper-top - frame \d+)", text) if f.strip()]


def test_batch_mode(board, guests):
    out = board.check("shyper-top -b -n 2 -d 1", timeout=60)
    got = frames(out)
    assert len(got) == 2, out
    assert got[0].startswith("shyper-top - frame 1") and got[1].startswith("shyper-top - frame 2")
    last = got[1].split("\n")
    spin, idle = row_of(last, SPIN), row_of(last, IDLE)
    assert spin and idle, got[1]
    assert float(spin[5]) > 70, got[1]
    assert float(idle[5]) < 10, got[1]


def test_json_mode(board, guests):
    out = board.check("shyper-top --json -n 2 -d 1", timeout=60)
    objects = [json.loads(line) for line in out.strip().split("\n")]
    assert len(objects) == 2
    last = objects[1]
    assert last["schema"] == 1 and last["hypervisor"] and last["pcpus"]
    vms = {vm["name"]: vm for vm in last["vms"]}
    assert vms[SPIN]["cpu_percent"] > 70, vms[SPIN]
    assert vms[IDLE]["cpu_percent"] < 10, vms[IDLE]
    for vm in last["vms"]:
        for key, value in vm.items():
            if key.endswith("_per_s") or key == "cpu_percent":
                assert value >= 0, (vm["name"], key, value)
    for pcpu in last["pcpus"]:
        for key in ("guest_percent", "el2_percent", "idle_percent", "exits_per_s", "irqs_per_s"):
            assert pcpu[key] >= 0


@pytest.mark.parametrize("args", ["-d 0.05", "-d abc", "-d ''", "-n 0", "-n x", "--bogus", "extra"])
def test_bad_command_line(board, args):
    status, out = board.run("shyper-top -b %s 2>&1" % args)
    assert status == 2, out
    assert out.startswith("shyper-top: ") and len(out.strip().split("\n")) == 1, out


def test_help_lists_options_and_keys(board):
    out = board.check("shyper-top --help")
    for word in ("-d, --delay", "-n, --frames", "-b, --batch", "--json", "Enter", "destroy"):
        assert word in out


ACT = "top-act"


def select(top, name):
    """Moves the highlight to NAME's row."""
    deadline = time.time() + WAIT
    while selected_name(top) != name:
        assert time.time() < deadline, "the selection never reached %s" % name
        names = [tokens[1] for _, tokens in table(top.lines())]
        if name in names:
            top.key(KEY_HOME + KEY_DOWN * names.index(name))
        time.sleep(1)


def status_line(top, pattern):
    """Waits for the last line (the status line) to match PATTERN."""
    return top.wait_for("a status line like %r" % pattern,
                        lambda l: re.search(pattern, l[-1]) is not None)[-1]


def answer(top, key, reply, outcome, prompt=r"\(y/n\)"):
    """KEY, its question (PROMPT) on the status line, REPLY, then OUTCOME."""
    top.key(key)
    status_line(top, prompt)
    top.key(reply)
    status_line(top, outcome)


def vm_state(board, name):
    return json.loads(board.check("shyperctl --json vm info %s" % name))["state"]


def test_actions_on_the_selected_vm(board, share_dir, guests):
    with open(os.path.join(share_dir, ACT + ".xml"), "w") as f:
        f.write(guest_xml(ACT, "wait", 3))
    board.check("shyperctl vm create %s/%s.xml" % (SHARE, ACT))
    t = Top(board, share_dir)
    try:
        t.wait_for(ACT, lambda l: row_of(l, ACT) is not None)

        # The MVM is not for the dashboard to stop.
        select(t, [tokens[1] for _, tokens in table(t.lines()) if tokens[2] == "mvm"][0])
        t.key("D")
        status_line(t, r"is the MVM: it cannot be controlled from here")

        select(t, ACT)
        t.key("p")
        status_line(t, r"VM '%s' paused" % ACT)
        t.wait_for("%s paused" % ACT, lambda l: (row_of(l, ACT) or [""] * 4)[3] == "paused")
        assert vm_state(board, ACT) == "paused"
        t.key("p")
        status_line(t, r"VM '%s' resumed" % ACT)
        assert vm_state(board, ACT) == "running"

        # What loses work asks first, and "n" leaves the VM alone.
        for key, verb in (("D", r"Destroy \(power off at once\)"), ("t", "Shut down"),
                         ("R", "Reboot")):
            answer(t, key, "n", r"Cancelled", prompt=r"(%s) VM '%s'\? \(y/n\)" % (verb, ACT))
            assert vm_state(board, ACT) == "running"

        answer(t, "R", "y", r"VM '%s' rebooted" % ACT)
        assert vm_state(board, ACT) == "running"

        # The console: shyperctl takes the terminal, Ctrl-] gives it back.
        t.key("c")
        t.wait_for("the console", lambda l: any("Connected to VM '%s'" % ACT in x for x in l))
        t.wait_for("the guest's output", lambda l: any("waiting" in x for x in l))
        t.key(r"\035")
        status_line(t, r"Back from the console of '%s'" % ACT)
        t.wait_for("the table again", lambda l: row_of(l, ACT) is not None)

        answer(t, "D", "y", r"VM '%s' destroyed" % ACT)
        assert vm_state(board, ACT) == "shutoff"
        t.wait_for("%s shut off" % ACT, lambda l: (row_of(l, ACT) or [""] * 4)[3] == "shutoff")
        t.key("t")
        status_line(t, r"nothing to stop")
        t.key("s")
        status_line(t, r"VM '%s' started" % ACT)
        assert vm_state(board, ACT) == "running"
        t.key("q")
        assert t.status()["termios"].strip() == "same"
    finally:
        t.kill()
        board.run("shyperctl vm destroy %s >/dev/null 2>&1; "
                  "shyperctl vm undefine %s >/dev/null 2>&1" % (ACT, ACT))
        os.unlink(os.path.join(share_dir, ACT + ".xml"))


DISKY = "top-disk"


def test_disk_traffic_shows_in_the_table_and_the_detail_view(board, share_dir, guests):
    board.check("dd if=/dev/zero of=/tmp/top-disk.img bs=1M count=4 2>/dev/null")
    xml = guest_xml(DISKY, "wait", 1).replace(
        "mode=wait", "blkstorm=0").replace(
        "</devices>", "<disk type='file' device='disk'><source file='/tmp/top-disk.img'/>"
        "<target dev='vda' bus='virtio'/></disk></devices>")
    with open(os.path.join(share_dir, DISKY + ".xml"), "w") as f:
        f.write(xml)
    board.check("shyperctl vm create %s/%s.xml" % (SHARE, DISKY))
    t = Top(board, share_dir, cols=132, rows=40)
    try:
        def busy_disk(lines):
            row = row_of(lines, DISKY)
            return row is not None and re.match(r"^[1-9][\d.]*[KMG]?/[1-9][\d.]*[KMG]?$", row[-2])

        lines = t.wait_for("%s's disk busy both ways" % DISKY, busy_disk)
        header = [x for x in lines if re.match(r"\s*ID\s+NAME\s", x)][0]
        assert header.split()[-4:] == ["DISK", "R/W", "NET", "RX/TX"], header
        assert row_of(lines, DISKY)[-1] == "0/0", lines

        select(t, DISKY)
        t.key(KEY_ENTER)

        def disk_row(lines):
            for x in lines:
                m = re.match(r"^\s+0 disk\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)", x)
                if m and int(m.group(1)) > 0 and m.group(4) != "0":
                    return True
            return False

        lines = t.wait_for("the disk's counters in the detail view", disk_row)
        assert any(re.match(r"^SLOT KIND\s+REQUESTS", x) for x in lines), "\n".join(lines)
        t.key("q")
        t.wait_for("the table again", lambda l: row_of(l, DISKY) is not None)
        t.key("q")
        assert t.status()["exit"].strip() == "0"
    finally:
        t.kill()
        board.run("shyperctl vm destroy %s >/dev/null 2>&1; shyperctl vm undefine %s "
                  ">/dev/null 2>&1; rm -f /tmp/top-disk.img" % (DISKY, DISKY))
        os.unlink(os.path.join(share_dir, DISKY + ".xml"))
