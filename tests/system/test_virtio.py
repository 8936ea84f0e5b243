"""Virtio devices of guests on the session board, end to end: the shipped
Linux guest with its console on a virtio console (emulated in the
hypervisor, virtio-mmio slot 0) instead of the PL011. `shyperctl vm
console` shows and types into its hvc0 exactly as it does with a PL011.
"""

import os
import re
import time

from conftest import requires_hypervisor
# Fixtures and helpers of the guest command tests (imported by name only,
# so that their tests are not collected twice).
from test_vm_commands import console_text, defs, vm  # noqa: F401

pytestmark = requires_hypervisor

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "linux-guest.xml")


def virtio_console_guest(name):
    """The shipped Linux guest, with a virtio console, 1 vCPU on pCPU 2, 128 MiB."""
    with open(EXAMPLE) as f:
        text = f.read()
    text = re.sub(r"<name>[^<]*</name>", "<name>%s</name>" % name, text)
    text = re.sub(r"<cputune>.*?</cputune>",
                  "<cputune><vcpupin vcpu='0' cpuset='2'/></cputune>", text, flags=re.S)
    text = re.sub(r"<vcpu[^>]*>\d+</vcpu>", "<vcpu>1</vcpu>", text)
    text = re.sub(r"<memory unit='MiB'>\d+</memory>", "<memory unit='MiB'>128</memory>", text)
    text = re.sub(r"<currentMemory[^>]*>\d+</currentMemory>", "", text)
    text = re.sub(r"<cmdline>[^<]*</cmdline>", "<cmdline>console=hvc0 quiet rdinit=/init</cmdline>",
                  text)
    text = text.replace("<target type='serial' port='0'/>", "<target type='virtio'/>")
    assert "<target type='virtio'/>" in text and "console=hvc0" in text
    return text


def test_linux_guest_on_a_virtio_console(board, defs):  # noqa: F811
    board.check("shyperctl vm create %s" % defs("vcon.xml", virtio_console_guest("vcon")))
    deadline = time.time() + 240
    seen = ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console_text(board, "vcon", 3)
    assert "user space reached" in seen, seen
    # The definition keeps its console.
    assert '<target type="virtio"' in board.check("shyperctl vm dumpxml vcon")

    # Interactive, as a person would: what is typed reaches the guest's shell on hvc0.
    board.child.sendline("shyperctl vm console vcon")
    board.expect(r"Escape character is \^\]", 30, "the console banner")
    board.child.send("\r")
    board.expect(r"root@guest:[^\r\n]*# ", 60, "the guest's shell prompt")
    board.child.send("echo hi-$((6*7))\r")
    board.expect("hi-42", 60, "the guest's answer")
    board.child.send("awk '/virtio/ { print \"IRQ-\" $NF }' /proc/interrupts; tty\r")
    board.expect("IRQ-virtio0", 60, "the virtio console's interrupt in /proc/interrupts")
    board.expect("/dev/hvc0", 60, "the shell on hvc0")
    # Output made while nobody is attached is kept, as with the PL011.
    board.child.send("sleep 3; echo later-$((2*3))\r")
    board.child.send("\x1d")
    board.expect(r"detached from VM 'vcon'", 30, "the detach message")
    board.check("true")  # the MVM's shell is back
    time.sleep(5)
    assert "later-6" in console_text(board, "vcon", 3)
    assert vm(board, "vcon")["state"] == "running"

    out = board.check("shyperctl vm stop --timeout 60 vcon", 120)
    assert out.strip() == "VM 'vcon' shut down", out
