# SPDX-License-Identifier: GPL-2.0
# Shyper: the two commands users type, and what they need.
#
#   make run     set up, build, boot the emulated board with Shyper and the MVM
#   make check   set up, build, run every test; ends with "N passed, N failed"
#   make bench   boot-time benchmark (Shyper vs. no hypervisor), into docs/
#
# Board knobs: SMP=4 MEM=2G SCRIPT=FILE SHARE=DIR HVARGS="pool=512M"

SMP ?= 4
MEM ?= 2G
SCRIPT ?=
SHARE ?=
HVARGS ?=

BUILD := $(CURDIR)/build
PYTHON := /usr/bin/python3
HV_IMAGE := $(BUILD)/hypervisor/shyper.bin
MVM_KERNEL := $(BUILD)/mvm/Image
MVM_INITRD := $(BUILD)/mvm/initramfs.cpio.gz
SETUP_STAMP := $(BUILD)/.setup-done

.PHONY: all setup hypervisor initramfs run check unit-test system-test bench clean distclean

all: hypervisor initramfs

# Set-up runs every time (it is fast when nothing is missing), so that a
# removed package or a new kernel in the archive is noticed.
setup:
	@packaging/setup.sh

hypervisor: setup
	@$(MAKE) --no-print-directory -C hypervisor O=$(BUILD)/hypervisor \
		SYSROOT=$(BUILD)/deps/sysroot-arm64

initramfs: setup
	@packaging/mkinitramfs.sh $(MVM_INITRD)

run: all
	@packaging/shyper-board --hypervisor $(HV_IMAGE) --smp $(SMP) --mem $(MEM) \
		$(if $(HVARGS),--hv-args "$(HVARGS)") \
		$(if $(SCRIPT),--script "$(SCRIPT)") \
		$(if $(SHARE),--share "$(SHARE)")

unit-test: setup
	@$(MAKE) --no-print-directory -C tests/unit O=$(BUILD)/unit run

system-test: all
	@$(PYTHON) -m pytest -q -p no:cacheprovider tests/system \
		--junitxml=$(BUILD)/results/system.xml

check: all
	@rm -rf $(BUILD)/results && mkdir -p $(BUILD)/results
	@rc=0; \
	$(MAKE) --no-print-directory -C tests/unit O=$(BUILD)/unit run \
		JUNIT=$(BUILD)/results/unit.xml || rc=1; \
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/system \
		--junitxml=$(BUILD)/results/system.xml || rc=1; \
	$(PYTHON) tests/summary.py $(BUILD)/results/*.xml || rc=1; \
	exit $$rc

bench: all
	@$(PYTHON) tests/bench/boot_ratio.py --runs 7 --out docs/benchmarks.md

clean:
	@$(MAKE) --no-print-directory -C hypervisor O=$(BUILD)/hypervisor clean
	@rm -rf $(BUILD)/unit $(BUILD)/results $(MVM_INITRD)

# Also forgets the downloaded kernel, busybox and libfdt.
distclean:
	rm -rf $(BUILD)
