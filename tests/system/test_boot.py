"""The MVM boots with every CPU count and its kernel log stays clean."""

import pytest

from conftest import DMESG_BAD_RE, SESSION_SMP


def board_with_cpus(count, board, new_board):
    # The shared session board already has SESSION_SMP CPUs: reuse it.
    if count == SESSION_SMP:
        return board
    return new_board("--smp", str(count), "--mem", "1G")


@pytest.mark.parametrize("count", [1, 2, 4])
def test_cpu_count_and_clean_dmesg(count, board, new_board):
    mvm = board_with_cpus(count, board, new_board)

    nproc = mvm.check("nproc").strip()
    assert nproc == str(count), "nproc says %s, board has %d CPUs" % (nproc, count)

    processors = int(mvm.check("grep -c ^processor /proc/cpuinfo").strip())
    assert processors == count, "/proc/cpuinfo lists %d CPUs, board has %d" % (processors, count)

    online = mvm.check("cat /sys/devices/system/cpu/online").strip()
    expected_online = "0" if count == 1 else "0-%d" % (count - 1)
    assert online == expected_online, "CPUs online: %s" % online

    dmesg = mvm.check("dmesg")
    bad = [line for line in dmesg.splitlines() if DMESG_BAD_RE.search(line)]
    assert not bad, "suspicious kernel log lines:\n" + "\n".join(bad)
