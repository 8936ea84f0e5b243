"""A Linux guest boots to user space beside the MVM and powers itself off.

The guest is Debian's arm64 kernel (the MVM's own) with a one-file busybox
initramfs and a hand-written device tree of the guest machine docs/abi.md
describes, loaded by tests/mvm/shyper-guest-run. Its vCPU shares pCPU 1
with the MVM's vCPU 1, so this also exercises time slicing, WFI blocking,
the emulated GICv3 and PL011, the timer and guest PSCI.
"""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO_ROOT, requires_hypervisor

pytestmark = requires_hypervisor

sys.path.insert(0, os.path.join(REPO_ROOT, "packaging"))
import newc  # noqa: E402  (the project's own cpio writer)

GUEST_RUN = "/usr/lib/shyper/tests/shyper-guest-run"
INITRD_IPA = 0x44000000
GUEST_MEM = 128 << 20

GUEST_INIT = b"""#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "guest user space reached on $(/bin/busybox grep -c ^processor /proc/cpuinfo) CPU"
/bin/busybox poweroff -f
"""

GUEST_DTS = """/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	compatible = "linux,dummy-virt";
	model = "shyper test guest";
	interrupt-parent = <&gic>;
	chosen {
		bootargs = "console=ttyAMA0 rdinit=/init";
		stdout-path = "/pl011@9000000";
		linux,initrd-start = <0x0 %(initrd_start)#x>;
		linux,initrd-end = <0x0 %(initrd_end)#x>;
	};
	memory@40000000 {
		device_type = "memory";
		reg = <0x0 0x40000000 0x0 %(mem)#x>;
	};
	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
		cpu@0 { device_type = "cpu"; compatible = "arm,cortex-a57"; reg = <0>;
			enable-method = "psci"; };
	};
	psci { compatible = "arm,psci-1.0", "arm,psci-0.2", "arm,psci"; method = "hvc"; };
	gic: intc@8000000 {
		compatible = "arm,gic-v3";
		#interrupt-cells = <3>;
		interrupt-controller;
		#redistributor-regions = <1>;
		reg = <0x0 0x08000000 0x0 0x10000>, <0x0 0x080a0000 0x0 0x20000>;
	};
	timer { compatible = "arm,armv8-timer"; always-on;
		interrupts = <1 13 4>, <1 14 4>, <1 11 4>, <1 10 4>; };
	apb_pclk: apb-pclk { compatible = "fixed-clock"; #clock-cells = <0>;
		clock-frequency = <24000000>; };
	pl011@9000000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0x0 0x09000000 0x0 0x1000>;
		interrupts = <0 1 4>;
		clocks = <&apb_pclk>, <&apb_pclk>;
		clock-names = "uartclk", "apb_pclk";
	};
};
"""


def make_guest_files(share):
    """Kernel, initramfs and device tree of the guest, in the host share."""
    shutil.copy(os.path.join(REPO_ROOT, "build", "mvm", "Image"),
                os.path.join(share, "guest-Image"))
    writer = newc.NewcWriter()
    writer.add_dir("bin")
    writer.add_dir("proc")
    writer.add_dir("dev")
    writer.add_node("dev/console", 0o600, "c", 5, 1)
    with open(os.path.join(REPO_ROOT, "build", "deps", "busybox", "bin", "busybox"), "rb") as f:
        writer.add_file("bin/busybox", f.read(), 0o755)
    writer.add_symlink("bin/sh", "busybox")
    writer.add_file("init", GUEST_INIT, 0o755)
    initrd = os.path.join(share, "guest-initrd.cpio.gz")
    with open(initrd, "wb") as f:
        f.write(newc.gzip_bytes(writer.finish()))
    dts = GUEST_DTS % {"initrd_start": INITRD_IPA,
                       "initrd_end": INITRD_IPA + os.path.getsize(initrd),
                       "mem": GUEST_MEM}
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb",
                    "-o", os.path.join(share, "guest.dtb"), "-"],
                   input=dts.encode(), check=True)


def test_linux_guest_boots_and_powers_off(board, share_dir):
    make_guest_files(share_dir)
    status, output = board.run(
        "%s --memory %d --timeout 150 --dtb /mnt/share/guest.dtb "
        "--initrd /mnt/share/guest-initrd.cpio.gz --initrd-ipa %#x "
        "/mnt/share/guest-Image 2>&1 | grep -E 'Machine model|GICv3: CPU0|user space|shut off'"
        % (GUEST_RUN, GUEST_MEM, INITRD_IPA), timeout=200)
    assert "Machine model: shyper test guest" in output, output
    assert "GICv3: CPU0: found redistributor 0" in output, output
    assert "guest user space reached on 1 CPU" in output, output
    assert "shut off and destroyed" in output, output
    # The MVM carries on, and the guest's memory went back to the pool.
    assert board.check("shyperctl vm list").count("\n") == 2
