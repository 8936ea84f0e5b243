"""PSCI as the MVM uses it: CPU hotplug (CPU_OFF, CPU_ON, AFFINITY_INFO)
and system reset, on the emulated board."""

import pexpect

from conftest import BOOT_TIMEOUT, Board


def cpu_online(board, cpu):
    return board.check("cat /sys/devices/system/cpu/cpu%d/online" % cpu).strip()


def test_cpu_off_and_on_again(board):
    # Linux takes a CPU down with CPU_OFF and waits for AFFINITY_INFO to
    # report it off; bringing it back is a fresh CPU_ON.
    for _ in range(2):
        board.check("echo 0 > /sys/devices/system/cpu/cpu2/online")
        assert cpu_online(board, 2) == "0"
        assert board.check("cat /sys/devices/system/cpu/online").strip() == "0-1,3"
        board.check("echo 1 > /sys/devices/system/cpu/cpu2/online")
        assert cpu_online(board, 2) == "1"
    assert board.check("nproc").strip() == "4"
    # The CPU that came back takes work: run something pinned to it.
    assert board.check("taskset -c 2 sh -c 'echo pinned-ok'").strip() == "pinned-ok"
    dmesg = board.check("dmesg | grep -iE 'psci|cpu2' | tail -5")
    assert "failed" not in dmesg.lower(), dmesg


def test_system_reset_reboots_the_board():
    board = Board(["--smp", "2", "--mem", "1G"])
    try:
        board.wait_for_shell()
        board.child.sendline("reboot -f")
        # SYSTEM_RESET from the MVM resets the board: Shyper starts again
        # and brings the MVM up a second time.
        board.expect(r"shyper: Shyper [^\r\n]*EL2", BOOT_TIMEOUT, "the hypervisor banner again")
        board.wait_for_shell()
        assert board.check("echo second-boot").strip() == "second-boot"
    finally:
        board.close()


def test_poweroff_powers_the_board_off():
    # busybox poweroff -> /init -> SYSTEM_OFF from the MVM -> the board.
    # loglevel=2 keeps the hypervisor's info lines on the console after the
    # MVM starts, so that its own account of the power-off can be seen.
    board = Board(["--smp", "2", "--mem", "1G", "--hv-args", "loglevel=2"])
    try:
        board.wait_for_shell()
        board.child.sendline("poweroff")
        board.expect(r"the MVM asked for a system power-off", BOOT_TIMEOUT, "the power-off")
        board.expect(pexpect.EOF, BOOT_TIMEOUT, "QEMU to exit")
    finally:
        board.close()
