"""Domain XML as libvirt's own tools write it, run on the session board.

The files under tests/fixtures/libvirt were written by `virt-install
--print-xml` and `virsh dumpxml` (see their README). A libvirt user takes
such a file, changes type='qemu' to type='shyper', and runs it: here the
example guest's kernel, initramfs and a disk image fill the placeholders,
and nothing else changes. The guest must start and reach its console, know
the date from its real-time clock, have its entropy device, and the file's
warnings must be counted in the last line of `vm create`.
"""

import os
import re
import time

from conftest import requires_hypervisor
from test_virtio import guest_shell, wait_user_space
# Fixtures and helpers of the guest command tests (imported by name only,
# so that their tests are not collected twice).
from test_vm_commands import ctl, defs, vm  # noqa: F401

pytestmark = requires_hypervisor

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "libvirt")
EXAMPLES = "/usr/share/shyper/examples"
SHARE = "/mnt/share"


def libvirt_file(fixture, share_dir, disk_name):
    """FIXTURE with only its type changed and the placeholders filled in."""
    with open(os.path.join(FIXTURES, fixture)) as f:
        text = f.read()
    with open(os.path.join(share_dir, disk_name), "wb") as f:
        f.truncate(16 << 20)
    text, count = re.subn(r"<domain type=(['\"])qemu\1", r"<domain type=\1shyper\1", text)
    assert count == 1, "no <domain type='qemu'> in " + fixture
    return (text.replace("@KERNEL@", EXAMPLES + "/guest-Image")
            .replace("@INITRD@", EXAMPLES + "/guest-initramfs.cpio.gz")
            .replace("@DISK@", "%s/%s" % (SHARE, disk_name)))


def test_virt_install_output_runs(board, defs, share_dir):  # noqa: F811
    """virt-install's file for a guest with an entropy device and a balloon,
    a virtio console, disk and NIC: created as it is, the guest boots to its
    shell on hvc0, reads the MVM's date from its PL031 and has virtio-rng."""
    path = defs("vi-rng.xml", libvirt_file("virt-install-aarch64-rng.xml", share_dir,
                                            "vi-rng.img"))
    status, out = ctl(board, "vm create %s" % path, 120)
    assert status == 0, out
    warnings = re.findall(r"vi-rng\.xml:\d+: warning: (.*)", out)
    # Each piece of QEMU's plumbing, once, each saying why it does not apply.
    for part in ("<emulator> is ignored", "<controller> is ignored", "<channel> is ignored",
                 "<acpi> is ignored", "<memballoon> is ignored"):
        assert any(w.startswith(part) for w in warnings), (part, out)
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"VM 'debian-guest-rng' created and started \(id \d+, UUID [0-9a-f-]+\); "
                        r"%d warnings above: those parts were ignored" % len(warnings), last), out
    wait_user_space(board, "debian-guest-rng")

    mvm_now = int(board.check("date +%s"))
    text = guest_shell(board, "debian-guest-rng",
                       "echo T=$(date +%s) R=$(cat /sys/class/misc/hw_random/rng_current) "
                       "B=$(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \\n') E=$((6*7))",
                       r"E=42")
    match = re.search(r"T=(\d+) R=(\S+) B=([0-9a-f]*) E=42", text)
    assert match, text
    # Its clock was set from the MVM's at start and has run since.
    assert abs(int(match.group(1)) - mvm_now) < 120, (match.group(1), mvm_now)
    assert match.group(2).startswith("virtio_rng"), match.group(2)
    assert len(match.group(3)) == 32 and match.group(3) != "0" * 32, match.group(3)

    # dumpxml writes back what define takes without a warning.
    dumped = board.check("shyperctl vm dumpxml debian-guest-rng")
    assert "<rng model=\"virtio\">" in dumped and "<emulator>" not in dumped, dumped
    with open(os.path.join(share_dir, "vi-rng-dump.xml"), "w") as f:
        f.write(dumped)
    status, out = ctl(board, "vm define %s/vi-rng-dump.xml" % SHARE)
    assert status == 0 and "warning" not in out, out
    os.unlink(os.path.join(share_dir, "vi-rng-dump.xml"))
    out = board.check("shyperctl vm stop --timeout 60 debian-guest-rng", 120)
    assert out.strip() == "VM 'debian-guest-rng' shut down", out
    os.unlink(os.path.join(share_dir, "vi-rng.img"))


def test_virsh_dumpxml_with_a_serial_console_runs(board, defs, share_dir):  # noqa: F811
    """virsh's canonical form: <serial> beside the serial <console>, a GICv2
    libvirt chose for TCG, PCI addresses and root ports: the guest runs on
    its PL011, and its definition says what libvirt's lifecycle elements do."""
    path = defs("vd-serial.xml", libvirt_file("virsh-dumpxml-aarch64-serial.xml", share_dir,
                                               "vd-serial.img"))
    status, out = ctl(board, "vm create %s" % path, 120)
    assert status == 0, out
    assert "<gic version='2'> is taken as version 3" in out, out
    assert "<address> is ignored" in out, out
    wait_user_space(board, "debian-guest-serial")
    text = guest_shell(board, "debian-guest-serial", "tty; echo Y=$(date +%Y)", r"Y=\d{4}")
    assert "/dev/ttyAMA0" in text, text
    assert re.search(r"Y=%s" % time.strftime("%Y", time.gmtime()), text), text
    info = vm(board, "debian-guest-serial")
    assert info["state"] == "running" and info["vcpu_count"] == 2, info
    out = board.check("shyperctl vm stop --timeout 60 debian-guest-serial", 120)
    assert out.strip() == "VM 'debian-guest-serial' shut down", out
    os.unlink(os.path.join(share_dir, "vd-serial.img"))
