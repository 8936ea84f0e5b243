# SPDX-License-Identifier: GPL-2.0
# Shyper: the two commands users type, and what they need.
#
#   make run     set up, build, boot the emulated board with Shyper and the MVM
#   make check   set up, build, run every test; ends with "N passed, N failed"
#   make bench   benchmarks into docs/benchmarks.md: MVM boot (Shyper vs. none),
#                guest boot and a workload in a guest vs. in the MVM, guest disk
#                and TCP throughput vs. the MVM, timer-interrupt latency (the
#                latency probe) bare, as an RTVM and as a guest, live update's
#                phases and the pause guests see, migration between two boards
#                beside the link's rate and QEMU's own migration, and the
#                dashboard's CPU use beside its batch modes and top
#   make fuzz    run the libFuzzer targets (FUZZ_SECONDS each)
#
# Board knobs: SMP=4 MEM=2G SCRIPT=FILE SHARE=DIR HVARGS="pool=512M"
#   BOARD=N LINK=DIR   board N (1-254, hostname board-N) on the private
#                      Ethernet of every board started with the same LINK
#                      folder: two terminals, `make run BOARD=1 LINK=/tmp/lab`
#                      and `make run BOARD=2 LINK=/tmp/lab`, give two boards
#                      that reach each other as board-1 and board-2

SMP ?= 4
MEM ?= 2G
SCRIPT ?=
SHARE ?=
HVARGS ?=
BOARD ?=
LINK ?=

BUILD := $(CURDIR)/build
PYTHON := /usr/bin/python3
HV_IMAGE := $(BUILD)/hypervisor/shyper.bin
MVM_KERNEL := $(BUILD)/mvm/Image
MVM_INITRD := $(BUILD)/mvm/initramfs.cpio.gz
# Everything installed into the MVM's initramfs on top of busybox.
MVM_ROOT := $(BUILD)/mvm-root
SETUP_STAMP := $(BUILD)/.setup-done

.PHONY: all setup hypervisor hypervisor-test-images kernel-module mvm-tools examples test-guests initramfs run check \
	unit-test system-test setup-test fuzz bench clean distclean

all: hypervisor initramfs

# Set-up runs every time (it is fast when nothing is missing), so that a
# removed package or a new kernel in the archive is noticed.
setup:
	@packaging/setup.sh

hypervisor: setup
	@$(MAKE) --no-print-directory -C hypervisor O=$(BUILD)/hypervisor \
		SYSROOT=$(BUILD)/deps/sysroot-arm64

# More builds for the live-update tests: the same sources with another
# version string, one made to fail when it takes over (the rollback), and
# the next state layout version, which converts this one.
hypervisor-test-images: hypervisor
	@$(MAKE) --no-print-directory -C hypervisor O=$(BUILD)/hypervisor-alt \
		SYSROOT=$(BUILD)/deps/sysroot-arm64 VERSION_SUFFIX=+alt
	@$(MAKE) --no-print-directory -C hypervisor O=$(BUILD)/hypervisor-failtest \
		SYSROOT=$(BUILD)/deps/sysroot-arm64 VERSION_SUFFIX=+failtest UPDATE_TEST=fail-takeover
	@$(MAKE) --no-print-directory -C hypervisor O=$(BUILD)/hypervisor-next \
		SYSROOT=$(BUILD)/deps/sysroot-arm64 VERSION_SUFFIX=+next STATE_TEST=next

# The MVM's side: /dev/shyper's kernel module, libshyper and the tools,
# cross-built for arm64 and installed into $(MVM_ROOT).
kernel-module: setup
	@$(MAKE) --no-print-directory -C kernel-module O=$(BUILD)/kernel-module \
		DEPS=$(BUILD)/deps install DESTDIR=$(MVM_ROOT)

mvm-tools: setup
	@$(MAKE) --no-print-directory -C mvm-tools O=$(BUILD)/mvm-tools install DESTDIR=$(MVM_ROOT)

# The examples of /usr/share/shyper/examples (VM definitions, the guest
# kernel and the guest initramfs), installed into $(MVM_ROOT).
examples: setup
	@$(MAKE) --no-print-directory -C examples O=$(BUILD)/examples GUEST_KERNEL=$(MVM_KERNEL) \
		install DESTDIR=$(MVM_ROOT)

# The bare-metal test guest and its VM definitions (/usr/lib/shyper/tests).
test-guests: setup
	@$(MAKE) --no-print-directory -C tests/guests O=$(BUILD)/guests install DESTDIR=$(MVM_ROOT)

# What is too big for the initramfs (the tools' shared libraries, the
# examples' guest images) goes on a read-only system disk that the MVM
# mounts at /system; the rest of $(MVM_ROOT) goes into the initramfs, with
# links into /system in place of those folders.
MVM_SYSDISK := $(BUILD)/mvm/system.img
MVM_SYSDISK_DIRS := lib/aarch64-linux-gnu usr/share/shyper
initramfs: setup kernel-module mvm-tools examples test-guests
	@packaging/mksysdisk.sh $(MVM_SYSDISK) $(MVM_ROOT) $(MVM_SYSDISK_DIRS)
	@MVM_SYSDISK_DIRS="$(MVM_SYSDISK_DIRS)" packaging/mkinitramfs.sh $(MVM_INITRD) $(MVM_ROOT)

run: all
	@packaging/shyper-board --hypervisor $(HV_IMAGE) --smp $(SMP) --mem $(MEM) \
		$(if $(HVARGS),--hv-args "$(HVARGS)") \
		$(if $(SCRIPT),--script "$(SCRIPT)") \
		$(if $(SHARE),--share "$(SHARE)") \
		$(if $(BOARD),--board "$(BOARD)") \
		$(if $(LINK),--link "$(LINK)")

unit-test: setup
	@$(MAKE) --no-print-directory -C tests/unit O=$(BUILD)/unit run
	@$(MAKE) --no-print-directory -C tests/unit/lib O=$(BUILD)/unit-lib run

# Fuzz each parser of untrusted input for FUZZ_SECONDS (libFuzzer, clang).
FUZZ_SECONDS ?= 15
fuzz: setup
	@$(MAKE) --no-print-directory -C tests/fuzz O=$(BUILD)/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# The set-up installs everything the two commands use (see tests/setup/).
setup-test: all
	@$(PYTHON) -m pytest -q -p no:cacheprovider tests/setup

system-test: all hypervisor-test-images
	@$(PYTHON) -m pytest -q -p no:cacheprovider tests/system \
		--junitxml=$(BUILD)/results/system.xml

check: all hypervisor-test-images
	@rm -rf $(BUILD)/results && mkdir -p $(BUILD)/results
	@rc=0; \
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/setup \
		--junitxml=$(BUILD)/results/setup.xml || rc=1; \
	$(MAKE) --no-print-directory -C tests/unit O=$(BUILD)/unit run \
		JUNIT=$(BUILD)/results/unit.xml || rc=1; \
	$(MAKE) --no-print-directory -C tests/unit/lib O=$(BUILD)/unit-lib run \
		JUNIT=$(BUILD)/results/unit-lib.xml || rc=1; \
	$(MAKE) --no-print-directory -C tests/fuzz O=$(BUILD)/fuzz run \
		FUZZ_SECONDS=$(FUZZ_SECONDS) JUNIT=$(BUILD)/results/fuzz.xml || rc=1; \
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/system \
		--junitxml=$(BUILD)/results/system.xml || rc=1; \
	$(PYTHON) tests/summary.py $(BUILD)/results/*.xml || rc=1; \
	exit $$rc

bench: all hypervisor-test-images
	@$(PYTHON) tests/bench/boot_ratio.py --runs 7 --out docs/benchmarks.md
	@$(PYTHON) tests/bench/guest_bench.py --runs 5 --out docs/benchmarks.md
	@$(PYTHON) tests/bench/io_bench.py --runs 5 --out docs/benchmarks.md
	@$(PYTHON) tests/bench/latency_bench.py --out docs/benchmarks.md
	@$(PYTHON) tests/bench/update_bench.py --out docs/benchmarks.md
	@$(PYTHON) tests/bench/migrate_bench.py --out docs/benchmarks.md
	@$(PYTHON) tests/bench/top_bench.py --out docs/benchmarks.md

clean:
	@$(MAKE) --no-print-directory -C hypervisor O=$(BUILD)/hypervisor clean
	@rm -rf $(BUILD)/hypervisor-alt $(BUILD)/hypervisor-failtest $(BUILD)/hypervisor-next
	@rm -rf $(BUILD)/unit $(BUILD)/unit-lib $(BUILD)/fuzz $(BUILD)/results \
		$(BUILD)/kernel-module $(BUILD)/mvm-tools $(BUILD)/guests $(BUILD)/examples \
		$(MVM_ROOT) $(MVM_INITRD) $(MVM_SYSDISK)

# Also forgets the downloaded kernel, busybox and libfdt.
distclean:
	rm -rf $(BUILD)
