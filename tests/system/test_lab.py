"""The lab: boards on one machine linked like real boards on a switch.

The switch (packaging/shyper-link) is checked here on its own, with plain
UNIX sockets standing in for boards, and so is the launcher's refusal of bad
numbers and links. Two emulated boards on one link are checked in
test_migration.py, which boots them once for both purposes.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import BOARD, REPO_ROOT, board_mode_args

SWITCH = os.path.join(REPO_ROOT, "packaging", "shyper-link")


def frame(dst, src, payload=b"x" * 50):
    return bytes(dst) + bytes(src) + b"\x08\x00" + payload


BROADCAST = b"\xff" * 6
MAC1 = bytes.fromhex("5254005e0001")
MAC2 = bytes.fromhex("5254005e0002")
MAC3 = bytes.fromhex("5254005e0003")


@pytest.fixture
def switch_folder():
    folder = tempfile.mkdtemp(prefix="shyper-sw.", dir="/tmp")
    # The switch ends once no board process is alive: this test is one.
    with open(os.path.join(folder, "board-9.pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    proc = subprocess.Popen([sys.executable, SWITCH, "--foreground", folder],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 10
    while not os.path.exists(os.path.join(folder, "switch.sock")):
        assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
        time.sleep(0.05)
    yield folder
    proc.terminate()
    proc.wait(timeout=10)
    subprocess.run(["rm", "-rf", folder])


def port(folder, name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(os.path.join(folder, name))
    s.settimeout(2)
    return s


def received(sock):
    try:
        return sock.recv(65536)
    except socket.timeout:
        return None


def test_switch_floods_then_learns(switch_folder):
    to_switch = os.path.join(switch_folder, "switch.sock")
    b1, b2, b3 = (port(switch_folder, "board-%d.sock" % n) for n in (1, 2, 3))
    # A broadcast from board 1 reaches every other board, not itself.
    hello = frame(BROADCAST, MAC1)
    b1.sendto(hello, to_switch)
    assert received(b2) == hello and received(b3) == hello
    b1.settimeout(0.5)
    assert received(b1) is None
    # Board 2 answers board 1: board 1 only (learned), board 3 sees nothing.
    answer = frame(MAC1, MAC2, b"answer")
    b2.sendto(answer, to_switch)
    assert received(b1) == answer
    b3.settimeout(0.5)
    assert received(b3) is None
    # A unicast to an address nobody announced is flooded.
    unknown = frame(MAC3, MAC1, b"who")
    b1.sendto(unknown, to_switch)
    assert received(b2) == unknown and received(b3) == unknown


def test_switch_ignores_strangers_and_runts(switch_folder):
    to_switch = os.path.join(switch_folder, "switch.sock")
    b1 = port(switch_folder, "board-1.sock")
    b1.settimeout(0.5)
    stranger = port(switch_folder, "intruder.sock")
    stranger.sendto(frame(BROADCAST, MAC3), to_switch)
    outside = tempfile.mkdtemp(prefix="shyper-out.", dir="/tmp")
    try:
        elsewhere = port(outside, "board-2.sock")
        elsewhere.sendto(frame(BROADCAST, MAC2), to_switch)
        assert received(b1) is None
    finally:
        subprocess.run(["rm", "-rf", outside])
    b2 = port(switch_folder, "board-2.sock")
    b2.sendto(b"short", to_switch)
    assert received(b1) is None
    # ... and still switches what is right.
    b2.sendto(frame(BROADCAST, MAC2), to_switch)
    assert received(b1) == frame(BROADCAST, MAC2)


def test_bad_board_numbers_and_links_are_refused(tmp_path):
    for bad in ("0", "255", "-1", "x", "1.5"):
        proc = subprocess.run([BOARD] + board_mode_args() + ["--board", bad, "--dry-run"],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and "bad board number" in proc.stderr, (bad, proc.stderr)
    deep = tmp_path / ("d" * 120)
    proc = subprocess.run([BOARD] + board_mode_args() + ["--link", str(deep), "--dry-run"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "too deep" in proc.stderr, proc.stderr
    assert not deep.exists()
