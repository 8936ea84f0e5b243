/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Granule allocator: hands out naturally aligned runs of fixed-size granules
 * from one physical range, tracked in a bitmap. It backs the hypervisor heap
 * (4 KiB granules: page tables, VM objects) and the guest memory pool
 * (2 MiB granules). Its whole state is plain data, so it lives in the
 * persistent state area and survives a live update unchanged.
 */
#ifndef HV_GALLOC_H
#define HV_GALLOC_H

#include <hv/spinlock.h>
#include <hv/types.h>

#define GALLOC_MAX_GRANULES 16384

struct galloc {
	struct spinlock lock;
	uint64_t base;
	uint64_t granule;
	uint32_t count;
	uint32_t free;
	uint64_t used[GALLOC_MAX_GRANULES / 64];
};

/* Returns false if the range does not fit the bitmap or is misaligned. */
bool galloc_init(struct galloc *a, uint64_t base, uint64_t size, uint64_t granule);
/* Allocate n granules aligned to align_granules (a power of two); 0 on failure. */
uint64_t galloc_alloc(struct galloc *a, uint32_t n, uint32_t align_granules);
/* Free n granules at addr. Returns false (and changes nothing) if any of
 * them is outside the range or not allocated. */
bool galloc_free(struct galloc *a, uint64_t addr, uint32_t n);
uint64_t galloc_free_bytes(struct galloc *a);
uint64_t galloc_total_bytes(const struct galloc *a);

#endif
