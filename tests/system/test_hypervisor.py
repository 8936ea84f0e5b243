"""Hypervisor-only behaviour: boot argument checks, MVM isolation, per-pCPU counters."""

import json
import re

import pexpect
import pytest

from conftest import (BOOT_TIMEOUT, SESSION_RAM_BYTES, SESSION_SMP, USER_SPACE_LINE, Board,
                      requires_hypervisor)

pytestmark = requires_hypervisor

RAM_BASE = 0x40000000
SIGBUS_STATUS = 128 + 7


@pytest.mark.parametrize("hv_args", ["pool=banana", "frobnicate=1"])
def test_bad_boot_argument_powers_off(hv_args):
    board = Board(["--smp", "2", "--mem", "1G", "--hv-args", hv_args])
    try:
        board.expect(r"shyper: error: bad boot argument[^\r\n]*", BOOT_TIMEOUT,
                     "the bad boot argument report")
        # The board must power itself off; a reset would boot again.
        board.expect(pexpect.EOF, BOOT_TIMEOUT, "QEMU to exit (power-off)")
        if USER_SPACE_LINE in board.log.text():
            board.fail("the MVM started despite the bad boot argument")
    finally:
        board.close()


def system_ram_ranges(iomem):
    """Top-level 'System RAM' ranges of /proc/iomem as (start, end) inclusive."""
    ranges = []
    for line in iomem.splitlines():
        match = re.match(r"([0-9a-f]+)-([0-9a-f]+) : System RAM$", line.strip("\r"))
        if match:  # top-level lines only: nested ones are indented
            ranges.append((int(match.group(1), 16), int(match.group(2), 16)))
    if not ranges:
        pytest.fail("no System RAM in /proc/iomem:\n" + iomem)
    return sorted(ranges)


def ram_holes(board):
    """Hypervisor-owned holes: below the MVM's RAM and above it (the pool)."""
    iomem = board.check("cat /proc/iomem")
    ranges = system_ram_ranges(iomem)
    holes = []
    first_start = ranges[0][0]
    if first_start > RAM_BASE:
        holes.append(("hypervisor memory", RAM_BASE, first_start - 1))
    last_end = ranges[-1][1]
    ram_end = RAM_BASE + SESSION_RAM_BYTES - 1
    if last_end < ram_end:
        holes.append(("guest pool", last_end + 1, ram_end))
    return holes, iomem


def probe_addresses(start, end):
    # Near both edges and in the middle. The pages right next to System RAM
    # are left out: Linux itself refuses to map those through /dev/mem
    # (EPERM), which would prove nothing about stage 2.
    page = 0x1000
    middle = (start + (end - start) // 2) & ~0xFFF
    return sorted({start + page, middle, (end - page - 3) & ~3})


def assert_access_faults(board, command):
    status, output = board.run(command)
    if status != SIGBUS_STATUS:
        board.fail("`%s` exited %d (want %d, SIGBUS); output:\n%s"
                   % (command, status, SIGBUS_STATUS, output))
    alive = board.check("echo still-alive").strip()
    assert alive == "still-alive"


def test_hypervisor_memory_below_mvm_ram(board):
    holes, iomem = ram_holes(board)
    below = [h for h in holes if h[0] == "hypervisor memory"]
    if not below:
        pytest.fail("MVM RAM starts at the start of board RAM: the hypervisor's "
                    "own memory is not carved out\n" + iomem)
    _, start, end = below[0]
    for addr in probe_addresses(start, end):
        assert_access_faults(board, "devmem %#x 32" % addr)
        assert_access_faults(board, "devmem %#x 32 0x12345678" % addr)


def test_guest_pool_above_mvm_ram(board):
    holes, _ = ram_holes(board)
    above = [h for h in holes if h[0] == "guest pool"]
    if not above:
        pytest.skip("no RAM above the MVM's (no guest pool carved out)")
    _, start, end = above[0]
    for addr in probe_addresses(start, end):
        assert_access_faults(board, "devmem %#x 32" % addr)
        assert_access_faults(board, "devmem %#x 32 0x12345678" % addr)


MEMCPY_TEST = "/usr/lib/shyper/tests/shyper-memcpy-test"


def test_memcpy_every_alignment(board):
    """The hypervisor's assembly memcpy (it carries every mediated virtio
    request), run on AArch64 in the MVM: every source and destination
    alignment, lengths around each of its paths' edges, nothing outside
    the destination touched."""
    out = board.check(MEMCPY_TEST, 300)
    match = re.search(r"shyper-memcpy-test: (\d+) checks, (\d+) failed", out)
    assert match, out
    assert int(match.group(2)) == 0, out
    assert int(match.group(1)) > 7000, out


def pcpu_stats(board):
    return json.loads(board.check("shyperctl --json hv stats"))["pcpus"]


def test_hv_stats_counts_each_pcpu(board):
    """shyperctl hv stats: every pCPU of the board online and running the
    MVM's vCPU of its number (or nothing), its counters only growing, and
    its time split into EL2, idle and guests that add up."""
    first = pcpu_stats(board)
    assert [p["pcpu"] for p in first] == list(range(SESSION_SMP)), first
    board.check("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done")  # work for the MVM
    second = pcpu_stats(board)
    for before, after in zip(first, second):
        assert after["online"], after
        assert after["vm_id"] in (0, None), after
        if after["vm_id"] == 0:
            assert after["vcpu"] == after["pcpu"], after
        for key in ("exits", "irqs", "ipis", "el2_ns", "idle_ns", "guest_ns", "online_ns"):
            assert after[key] >= before[key] >= 0, (key, before, after)
        assert after["online_ns"] > before["online_ns"], (before, after)
        assert after["el2_ns"] + after["idle_ns"] + after["guest_ns"] == after["online_ns"], after
        assert after["ipis"] <= after["irqs"], after
    # The MVM's own work traps (timer, MMIO, HVC): some pCPU counted exits.
    assert sum(a["exits"] - b["exits"] for b, a in zip(first, second)) > 0
    table = board.check("shyperctl hv stats")
    assert table.splitlines()[0].split() == ["PCPU", "RUNS", "EXITS", "IRQS", "IPIS", "EL2",
                                             "IDLE", "GUESTS"], table
