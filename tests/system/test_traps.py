"""A VM exception the hypervisor cannot handle stops that VM, not the board."""

import pexpect

from conftest import BOOT_TIMEOUT, Board, requires_hypervisor

pytestmark = requires_hypervisor


def test_unhandled_trap_stops_only_the_vm():
    board = Board(["--smp", "2", "--mem", "1G"])
    try:
        board.wait_for_shell()
        board.child.sendline("insmod /lib/modules/$(uname -r)/extra/shyper_trap.ko")
        # The hypervisor names the exception with its syndrome and stops the VM...
        board.expect(r"vm 0 \(mvm\) vcpu \d: system register access: ESR 0x62[0-9a-f]+ "
                     r"\(EC 0x18\) FAR 0x[0-9a-f]+ ELR 0x[0-9a-f]+", BOOT_TIMEOUT,
                     "the report of the unhandled trap")
        board.expect(r"vm 0 \(mvm\) stopped: unhandled system register access", 30,
                     "the VM being stopped")
        # ...and does not stop itself: QEMU keeps running, the MVM no longer answers.
        board.child.sendline("echo still-here")
        try:
            board.child.expect("still-here\r?\n.*still-here", timeout=10)
            board.fail("the MVM kept running after the unhandled trap")
        except pexpect.TIMEOUT:
            pass
        assert board.child.isalive(), "the board (hypervisor) went away"
    finally:
        board.close()
