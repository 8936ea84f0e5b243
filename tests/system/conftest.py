"""System tests on the emulated board: shared fixtures and the Board driver.

Boots go through packaging/shyper-board, like a person would run them.
By default the board runs the hypervisor (build/hypervisor/shyper.bin, or
$SHYPER_TEST_HYPERVISOR); SHYPER_TEST_DIRECT=1 boots the MVM kernel straight
under QEMU instead, for working on the MVM side without a hypervisor.

Run: /usr/bin/python3 -m pytest tests/system [-v]
"""

import os
import re
import shutil
import subprocess
import tempfile

import sys

import pexpect
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "packaging"))
import qemu_board  # noqa: E402  (packaging/qemu_board.py: how QEMU is started)
BOARD = os.path.join(REPO_ROOT, "packaging", "shyper-board")
HYPERVISOR_IMAGE = os.environ.get(
    "SHYPER_TEST_HYPERVISOR", os.path.join(REPO_ROOT, "build", "hypervisor", "shyper.bin"))
DIRECT = os.environ.get("SHYPER_TEST_DIRECT", "") not in ("", "0")

# Generous for TCG on a loaded 2-core machine; a direct boot takes ~2 s.
BOOT_TIMEOUT = float(os.environ.get("SHYPER_TEST_BOOT_TIMEOUT", "180"))
COMMAND_TIMEOUT = 60

PROMPT_RE = r"root@(?:mvm|board-\d+):[^\r\n]*# "
USER_SPACE_LINE = "shyper-mvm: user space reached"
CONSOLE_TAIL_CHARS = 4000

# Kernel log lines that mean something went wrong underneath the MVM.
DMESG_BAD_RE = re.compile(r"[Uu]nhandled|WARNING:|BUG:|Oops")

requires_hypervisor = pytest.mark.skipif(
    DIRECT, reason="needs the hypervisor (SHYPER_TEST_DIRECT is set)")


def board_mode_args():
    """shyper-board arguments selecting the boot mode under test."""
    if DIRECT:
        return ["--direct"]
    if not os.path.isfile(HYPERVISOR_IMAGE):
        pytest.fail("hypervisor image %s not built (or set SHYPER_TEST_DIRECT=1)"
                    % HYPERVISOR_IMAGE)
    return ["--hypervisor", HYPERVISOR_IMAGE]


# Set to a folder, every board's console is also written there as it comes
# (board-N.log), to watch a long test or one that hangs.
CONSOLE_DIR = os.environ.get("SHYPER_TEST_CONSOLE_DIR", "")


class ConsoleLog:
    """pexpect logfile that keeps the whole console for failure reports."""

    boards = 0

    def __init__(self):
        self.parts = []
        self.file = None
        if CONSOLE_DIR:
            ConsoleLog.boards += 1
            self.file = open(os.path.join(CONSOLE_DIR, "board-%d.log" % ConsoleLog.boards),
                             "w", encoding="utf-8")

    def write(self, text):
        self.parts.append(text)
        if self.file:
            self.file.write(text)
            self.file.flush()

    def flush(self):
        pass

    def text(self):
        return "".join(self.parts)

    def tail(self, chars=CONSOLE_TAIL_CHARS):
        """The end of the console, without carriage returns and escapes."""
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.text()).replace("\r", "")
        return text[-chars:]


class Board:
    """One QEMU board in interactive mode, driven over its serial console."""

    def __init__(self, args):
        self.args = [BOARD] + board_mode_args() + list(args)
        self.log = ConsoleLog()
        self.serial = 0
        self.child = pexpect.spawn(
            self.args[0], self.args[1:], encoding="utf-8", codec_errors="replace",
            timeout=COMMAND_TIMEOUT, dimensions=(50, 200))
        self.child.logfile_read = self.log

    def fail(self, message):
        pytest.fail("%s\ncommand: %s\n--- console tail ---\n%s"
                    % (message, " ".join(self.args), self.log.tail()), pytrace=False)

    def expect(self, pattern, timeout=COMMAND_TIMEOUT, what=None):
        try:
            return self.child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            self.fail("timed out after %gs waiting for %s" % (timeout, what or pattern))
        except pexpect.EOF:
            self.fail("board exited while waiting for %s" % (what or pattern))

    def wait_for_shell(self):
        self.expect(re.escape(USER_SPACE_LINE), BOOT_TIMEOUT, "MVM user space")
        self.expect(PROMPT_RE, BOOT_TIMEOUT, "the MVM shell prompt")
        # A wide terminal keeps the shell's line editor from wrapping what we type.
        self.run("stty cols 1000 rows 50")

    def run(self, command, timeout=COMMAND_TIMEOUT):
        """Runs one-line COMMAND in the MVM shell; returns (status, output)."""
        self.serial += 1
        n = self.serial
        # The markers are split by quotes in what is typed, so that the
        # shell's echo of the command line never matches them.
        # One line: what is typed is echoed before the start marker appears.
        if "\n" in command:
            raise ValueError("Board.run takes a one-line command: %r" % command)
        self.child.sendline('echo "@@S""%d@@"; %s; echo "@@E""%d:$?@@"' % (n, command, n))
        self.expect(r"@@S%d@@\r*\n" % n, timeout, "start of output of: %s" % command)
        self.expect(r"@@E%d:(\d+)@@" % n, timeout, "end of: %s" % command)
        status = int(self.child.match.group(1))
        output = self.child.before.replace("\r", "")
        return status, output

    def check(self, command, timeout=COMMAND_TIMEOUT):
        """Runs COMMAND, fails the test unless it exits 0; returns its output."""
        status, output = self.run(command, timeout)
        if status != 0:
            self.fail("`%s` exited %d; output:\n%s" % (command, status, output))
        return output

    def close(self):
        if self.child.isalive():
            self.child.send("\x01x")  # QEMU monitor escape: quit
            try:
                self.child.expect(pexpect.EOF, timeout=10)
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
        self.child.close(force=True)


def boot_board(args):
    board = Board(args)
    try:
        board.wait_for_shell()
    except BaseException:
        board.close()
        raise
    return board


@pytest.fixture(scope="session")
def share_dir():
    path = tempfile.mkdtemp(prefix="shyper-share.")
    yield path
    shutil.rmtree(path, ignore_errors=True)


# The board most tests share: 4 CPUs, 2G, with a host share.
SESSION_SMP = 4
SESSION_MEM = "2G"
SESSION_RAM_BYTES = 2 << 30


@pytest.fixture(scope="session")
def board(share_dir):
    b = boot_board(["--smp", str(SESSION_SMP), "--mem", SESSION_MEM, "--share", share_dir])
    yield b
    b.close()


@pytest.fixture
def new_board():
    """Factory: boots a board of its own with the given shyper-board args."""
    boards = []

    def boot(*args):
        b = boot_board(args)
        boards.append(b)
        return b

    yield boot
    for b in boards:
        b.close()


def run_board_script(script_text, *args):
    """Runs shyper-board --script; returns the CompletedProcess (text)."""
    args = list(args)
    if "--timeout" not in args:
        args += ["--timeout", str(BOOT_TIMEOUT)]
    board_timeout = float(args[args.index("--timeout") + 1])
    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="shyper-test.") as f:
        f.write(script_text)
        f.flush()
        cmd = [BOARD] + board_mode_args() + ["--script", f.name] + args
        # shyper-board enforces its own --timeout (and stops QEMU); the
        # margin here only guards against the launcher itself hanging.
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, errors="replace", timeout=board_timeout + 30)


class LinkedBoards:
    """Boards on one lab link (packaging/lab.py), sharing one host folder."""

    def __init__(self, boards, link, share):
        self.boards = boards
        self.link = link
        self.share = share

    def __getitem__(self, n):
        """Board number N (1-based, as its name board-N)."""
        return self.boards[n - 1]


def boot_linked_boards(count, link, share, extra_args=()):
    """Boots COUNT boards numbered 1.. on link folder LINK, all at once."""
    boards = []
    try:
        for n in range(1, count + 1):
            boards.append(Board(["--smp", "4", "--mem", "2G", "--board", str(n),
                                 "--link", link, "--share", share] + list(extra_args)))
        for b in boards:
            b.wait_for_shell()
    except BaseException:
        for b in boards:
            b.close()
        raise
    return boards


@pytest.fixture(scope="module")
def linked_boards():
    """Two boards, board-1 and board-2, on one link, with one shared folder
    (shared storage at /mnt/share on both)."""
    # Short paths: the link's UNIX sockets live in it (108 bytes at most).
    link = tempfile.mkdtemp(prefix="shyper-link.", dir="/tmp")
    share = tempfile.mkdtemp(prefix="shyper-lab-share.")
    boards = boot_linked_boards(2, link, share)
    try:
        yield LinkedBoards(boards, link, share)
    finally:
        for b in boards:
            b.close()
        shutil.rmtree(link, ignore_errors=True)
        shutil.rmtree(share, ignore_errors=True)
