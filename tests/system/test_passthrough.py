"""Passthrough of a board device to a guest (issue 5): QEMU virt's PL031 RTC
(0x09010000, SPI 2), which the MVM's Linux has as /dev/rtc0 with rtc-pl031.

A Linux guest defined with <hostdev> for it gets the device: the MVM's
driver is unbound and the MVM no longer has the RTC, the guest's kernel
finds a PL031 in its device tree and registers rtc0, and after the guest is
destroyed the MVM's rtc-pl031 binds again.
"""

import os
import re
import time

import pytest

from conftest import requires_hypervisor

pytestmark = requires_hypervisor

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = "/usr/share/shyper/examples"
SHARE = "/mnt/share"
RTC_SYSFS = "/sys/bus/amba/devices/9010000.pl031"


RTC_GUEST = """<domain type='shyper'>
  <name>rtc-guest</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>1</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='2'/></cputune>
  <os>
    <kernel>%(examples)s/guest-Image</kernel>
    <initrd>%(examples)s/guest-initramfs.cpio.gz</initrd>
    <cmdline>console=ttyAMA0 earlycon rdinit=/init</cmdline>
  </os>
  <devices>
    <console type='pty'><target type='serial' port='0'/></console>
    <hostdev mode='capabilities' type='misc'>
      <source><char>/pl031@9010000</char></source>
    </hostdev>
  </devices>
  <metadata>
    <shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>
      <shyper:hostdev node='/pl031@9010000' base='0x9010000' size='0x1000' irq='2'/>
    </shyper:vm>
  </metadata>
</domain>
""" % {"examples": EXAMPLES}


def console_until(board, name, pattern, timeout=120):
    """The guest's console from its start until PATTERN shows (or TIMEOUT)."""
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        _, text = board.run("timeout 3 shyperctl vm console %s </dev/null 2>&1" % name, 40)
        if re.search(pattern, text):
            return text
    pytest.fail("no %r on %s's console within %ds:\n%s" % (pattern, name, timeout, text))


def rtc_driver(board):
    status, output = board.run("readlink %s/driver" % RTC_SYSFS)
    return os.path.basename(output.strip()) if status == 0 else None


def test_mvm_has_the_rtc_today(board):
    assert rtc_driver(board) == "rtc-pl031"
    board.check("test -e /dev/rtc0")


def test_rtc_goes_to_the_guest_and_comes_back(board, share_dir):
    with open(os.path.join(share_dir, "rtc-guest.xml"), "w") as f:
        f.write(RTC_GUEST)
    try:
        board.check("shyperctl vm define %s/rtc-guest.xml" % SHARE)
        board.check("shyperctl vm start rtc-guest", timeout=120)

        # The MVM let go of it: no driver, nothing rebinds it, no /dev/rtc0.
        assert rtc_driver(board) is None
        assert board.check("cat %s/driver_override" % RTC_SYSFS).strip() == \
            "shyper-passthrough"
        board.check("! test -e /dev/rtc0")
        # The MVM's Linux freed its interrupt with the driver.
        assert "rtc-pl031" not in board.check("cat /proc/interrupts")

        # The guest's kernel found a PL031 at the board's address and uses it.
        # Asked of its kernel log, not read off the console: each attach shows
        # only what came after the last one, so the RTC line may have gone by.
        console_until(board, "rtc-guest", r"shyper-guest: user space reached")
        _, reply = board.run("printf 'dmesg | grep pl031\\n' | "
                             "timeout 5 shyperctl vm console rtc-guest 2>&1", 40)
        assert re.search(r"9010000\.pl031: registered as rtc0", reply), reply
        _, reply = board.run("printf 'cat /sys/class/rtc/rtc0/name\\n' | "
                             "timeout 5 shyperctl vm console rtc-guest 2>&1", 40)
        assert "pl031" in reply, reply
        # Its interrupt reaches the guest: an alarm one second ahead fires.
        _, reply = board.run("printf 'echo +1 > /sys/class/rtc/rtc0/wakealarm; sleep 3; "
                             "grep pl031 /proc/interrupts\\n' | "
                             "timeout 8 shyperctl vm console rtc-guest 2>&1", 40)
        counts = re.search(r"^\s*\d+:\s+(\d+)\s.*pl031", reply, re.M)
        assert counts and int(counts.group(1)) >= 1, reply

        dumped = board.check("shyperctl vm dumpxml rtc-guest")
        assert "<char>/pl031@9010000</char>" in dumped, dumped
        assert "base=\"0x9010000\"" in dumped and "irq=\"2\"" in dumped, dumped

        board.check("shyperctl vm destroy rtc-guest", timeout=60)
        # Back in the MVM: driver bound again, /dev/rtc0 readable.
        deadline = time.time() + 10
        while rtc_driver(board) != "rtc-pl031" and time.time() < deadline:
            time.sleep(0.5)
        assert rtc_driver(board) == "rtc-pl031"
        # Linux may number it rtc1 now: the old rtc0 can outlive its unbind.
        board.check("ls /dev/rtc*")
        assert int(board.check("cat /sys/class/rtc/rtc*/since_epoch").split()[0]) > 0
    finally:
        board.run("shyperctl vm destroy rtc-guest >/dev/null 2>&1; "
                  "shyperctl vm undefine rtc-guest >/dev/null 2>&1")
        os.unlink(os.path.join(share_dir, "rtc-guest.xml"))


def test_a_device_the_mvm_does_not_have_is_refused(board, share_dir):
    bad = RTC_GUEST.replace("0x9010000", "0x9050000").replace("pl031@9010000", "x@9050000")
    with open(os.path.join(share_dir, "bad-hostdev.xml"), "w") as f:
        f.write(bad.replace("rtc-guest", "bad-hostdev"))
    try:
        board.check("shyperctl vm define %s/bad-hostdev.xml" % SHARE)
        status, output = board.run("shyperctl vm start bad-hostdev 2>&1", 120)
        assert status != 0
        assert output.count("\n") == 1, output
        # Nothing changed: the MVM still has its RTC.
        assert rtc_driver(board) == "rtc-pl031"
    finally:
        board.run("shyperctl vm undefine bad-hostdev >/dev/null 2>&1")
        os.unlink(os.path.join(share_dir, "bad-hostdev.xml"))
