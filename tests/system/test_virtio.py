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


def disk_guest(name, disks):
    """The shipped Linux guest on its PL011, 1 vCPU on pCPU 2, 128 MiB, with DISKS."""
    text = virtio_console_guest(name)
    text = text.replace("<target type='virtio'/>", "<target type='serial' port='0'/>")
    text = text.replace("console=hvc0", "console=ttyAMA0")
    return text.replace("</devices>", disks + "</devices>")


def guest_shell(board, name, command, expect, timeout=120):
    """Types COMMAND into guest NAME's shell; returns the console text up to EXPECT."""
    board.child.sendline("shyperctl vm console %s" % name)
    board.expect(r"Escape character is \^\]", 30, "the console banner")
    board.child.send("\r")
    board.expect(r"root@guest:[^\r\n]*# ", 60, "the guest's shell prompt")
    board.child.send(command + "\r")
    board.expect(expect, timeout, "the guest's answer to: " + command)
    text = board.child.before + board.child.after
    board.child.send("\x1d")
    board.expect(r"detached from VM", 30, "the detach message")
    board.check("true")
    return text


def test_virtio_disk_served_by_shyperd(board, defs):  # noqa: F811
    """A <disk> is a virtio-blk device whose backend is shyperd in the MVM:
    the guest reads what the MVM wrote, its writes land in the image file
    after sync and survive a reboot, and a <readonly/> disk refuses writes."""
    board.check("dd if=/dev/zero of=/tmp/rw.img bs=1M count=8 2>/dev/null && "
                "printf HELLO-FROM-MVM | dd of=/tmp/rw.img conv=notrunc 2>/dev/null && "
                "dd if=/dev/zero of=/tmp/ro.img bs=1M count=1 2>/dev/null")
    disks = ("<disk type='file' device='disk'><source file='/tmp/rw.img'/>"
             "<target dev='vda' bus='virtio'/></disk>"
             "<disk type='file' device='disk'><source file='/tmp/ro.img'/>"
             "<target dev='vdb' bus='virtio'/><readonly/></disk>")
    board.check("shyperctl vm create %s" % defs("disk.xml", disk_guest("disk", disks)))
    deadline = time.time() + 240
    seen = ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console_text(board, "disk", 3)
    assert "user space reached" in seen, seen

    text = guest_shell(board, "disk",
                       "head -c 14 /dev/vda; echo; printf GUEST-WROTE-THIS | "
                       "dd of=/dev/vda bs=512 seek=8 conv=sync 2>/dev/null; sync; "
                       "echo wr=$?; dd if=/dev/zero of=/dev/vdb bs=512 count=1 2>/dev/null; "
                       "echo ro=$?; cat /sys/block/vdb/ro",
                       r"ro=\d+\s+\d")
    assert "HELLO-FROM-MVM" in text, text
    assert "wr=0" in text, text
    assert re.search(r"ro=[1-9]\d*\s+1", text), text
    # After the guest's sync the data is in the image file in the MVM.
    out = board.check("dd if=/tmp/rw.img bs=512 skip=8 count=1 2>/dev/null | head -c 16")
    assert out.strip() == "GUEST-WROTE-THIS", out
    # And the read-only image is untouched (still zeroes).
    assert board.check("tr -d '\\000' < /tmp/ro.img | wc -c").strip() == "0"

    board.check("shyperctl vm reboot disk")
    deadline = time.time() + 240
    seen = ""
    while "user space reached" not in seen and time.time() < deadline:
        seen += console_text(board, "disk", 3)
    text = guest_shell(board, "disk", "dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | "
                       "head -c 16; echo ' end'", r"\w+ end")
    assert "GUEST-WROTE-THIS end" in text, text
    board.check("shyperctl vm stop --timeout 60 disk", 120)
