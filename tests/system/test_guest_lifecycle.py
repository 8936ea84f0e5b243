"""Guest VMs end to end on the session board: the bare-metal example guest
(examples/baremetal) created, loaded, started, followed on its console until
it powers itself off, and destroyed, through /dev/shyper's lifecycle ioctls
(tests/mvm/shyper-guest-run); many such cycles in a row; and refusals of
what the MVM may not do."""

import json
import re

from conftest import requires_hypervisor

pytestmark = requires_hypervisor

GUEST_RUN = "/usr/lib/shyper/tests/shyper-guest-run"
IOCTL_TEST = "/usr/lib/shyper/tests/shyper-ioctl-test"
HELLO = "/usr/share/shyper/examples/baremetal-hello.bin"
GREETING = "Hello from a bare-metal Shyper guest!"
VCPU_LINE = "running on vCPU 0"
CYCLES = 20


def hv_info(board):
    return json.loads(board.check("shyperctl hv info --json"))


def assert_only_mvm_and_pool_full(board):
    vms = json.loads(board.check("shyperctl vm list --json"))["vms"]
    assert [(vm["id"], vm["type"]) for vm in vms] == [(0, "mvm")], vms
    info = hv_info(board)
    assert info["pool_free_bytes"] == info["pool_total_bytes"], info
    assert info["vm_count"] == 1, info


def test_baremetal_guest_runs_and_is_destroyed(board):
    assert_only_mvm_and_pool_full(board)
    output = board.check("%s %s" % (GUEST_RUN, HELLO), timeout=120)
    assert GREETING in output, output
    assert VCPU_LINE in output, output
    assert re.search(r"shyper-guest-run: VM \d+ shut off and destroyed", output), output
    assert_only_mvm_and_pool_full(board)


def test_many_create_run_destroy_cycles(board):
    # One command for all cycles: the serial console round trip is slow.
    # A failed cycle's output is shown.
    command = ('ok=0; i=0; while [ $i -lt %d ]; do if %s %s >/tmp/guest-run.out 2>&1 && '
               'grep -q "%s" /tmp/guest-run.out; then ok=$((ok+1)); '
               'else echo "cycle $i failed:"; cat /tmp/guest-run.out; fi; i=$((i+1)); done; '
               'echo "cycles ok: $ok"'
               % (CYCLES, GUEST_RUN, HELLO, GREETING))
    output = board.check(command, timeout=600)
    assert "cycles ok: %d" % CYCLES in output, output
    assert_only_mvm_and_pool_full(board)


def test_guest_larger_than_free_pool_is_refused(board):
    info = hv_info(board)
    too_big = info["pool_free_bytes"] + (2 << 20)
    status, output = board.run("%s --memory %d %s 2>&1" % (GUEST_RUN, too_big, HELLO))
    assert status == 1, output
    assert "VM_CREATE: ENOMEM" in output, output
    assert_only_mvm_and_pool_full(board)


def test_destroying_the_mvm_is_refused(board):
    status, output = board.run("%s --destroy 0" % GUEST_RUN)
    assert status == 1, output
    assert "destroy 0: EPERM" in output, output
    assert board.check("shyperctl vm list --json").count('"mvm"') >= 1


def test_lifecycle_ioctls_reject_bad_input(board):
    output = board.check(IOCTL_TEST)
    assert re.search(r"shyper-ioctl-test: \d+ checks, 0 failed", output), output
    assert_only_mvm_and_pool_full(board)
