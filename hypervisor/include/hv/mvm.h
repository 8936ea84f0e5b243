/* SPDX-License-Identifier: GPL-2.0 */
/* Building the management VM at boot (see core/mvm.c, core/mvm_fdt.c). */
#ifndef HV_MVM_H
#define HV_MVM_H

#include <hv/state.h>

#define MVM_FDT_MAX (2 * MiB)
#define MVM_MIN_MEMORY (64 * MiB)

struct mvm_fdt_params {
	const struct mem_region *mem;
	unsigned mem_count;
	uint64_t initrd_start, initrd_size; /* size 0: no initrd */
	const char *bootargs;
	const uint64_t *cpu_mpidr;           /* the CPUs the MVM gets */
	unsigned cpu_count;
	const char *hv_version;
	uint32_t notify_intid;               /* SPI for events, 0: none */
};

/*
 * Write the MVM's device tree into out: the board's, with memory limited to
 * p->mem, CPUs limited to p->cpu_mpidr, the boot modules and the devices the
 * hypervisor keeps removed, /chosen set up for Linux, and a
 * "shyper,hypervisor" node added. Returns 0 or -1 with err filled in.
 */
int mvm_fdt_build(const void *board_fdt, const struct mvm_fdt_params *p, void *out,
		  size_t out_size, char *err, size_t err_len);

/*
 * The MMIO ranges of the devices a device tree describes (every enabled
 * node with reg under the root or a plain simple-bus, except memory, CPUs
 * and the interrupt controller), page-aligned. Returns the count, or -1
 * if there are more than max.
 */
int fdt_collect_devices(const void *fdt, struct mmio_range *out, unsigned max);

/* Create and start the MVM. Returns 0, or -1 after logging why. */
int mvm_create(const struct board_info *b, const struct mmio_range *ram, unsigned ram_count,
	       uint32_t pcpu_mask);

#endif
