// SPDX-License-Identifier: GPL-2.0
/*
 * Granule allocator (see hv/galloc.h). First fit over a bitmap; allocation
 * sizes here are few and coarse (tables, VM memory), so simplicity wins over
 * a buddy system.
 */
#include <hv/galloc.h>
#include <string.h>

static bool bit_test(const struct galloc *a, uint32_t i)
{
	return a->used[i / 64] & BIT(i % 64);
}

static void bits_assign(struct galloc *a, uint32_t first, uint32_t n, bool set)
{
	for (uint32_t i = first; i < first + n; i++) {
		if (set)
			a->used[i / 64] |= BIT(i % 64);
		else
			a->used[i / 64] &= ~BIT(i % 64);
	}
}

bool galloc_init(struct galloc *a, uint64_t base, uint64_t size, uint64_t granule)
{
	memset(a, 0, sizeof(*a));
	if (granule == 0 || (granule & (granule - 1)) || !IS_ALIGNED(base, granule) ||
	    !IS_ALIGNED(size, granule) || size / granule > GALLOC_MAX_GRANULES)
		return false;
	a->base = base;
	a->granule = granule;
	a->count = (uint32_t)(size / granule);
	a->free = a->count;
	return true;
}

uint64_t galloc_alloc(struct galloc *a, uint32_t n, uint32_t align_granules)
{
	uint64_t addr = 0;

	if (n == 0 || align_granules == 0 || (align_granules & (align_granules - 1)))
		return 0;
	spin_lock(&a->lock);
	if (n <= a->free) {
		/* Alignment is of the physical address, not of the index. */
		uint64_t align_bytes = (uint64_t)align_granules * a->granule;
		uint64_t off = (ALIGN_UP(a->base, align_bytes) - a->base) / a->granule;
		uint64_t i = off;

		while (i + n <= a->count) {
			uint32_t run = 0;

			while (run < n && !bit_test(a, (uint32_t)(i + run)))
				run++;
			if (run == n) {
				bits_assign(a, (uint32_t)i, n, true);
				a->free -= n;
				addr = a->base + i * a->granule;
				break;
			}
			/* Skip past the used granule to the next aligned start. */
			i = off + ALIGN_UP(i + run + 1 - off, align_granules);
		}
	}
	spin_unlock(&a->lock);
	return addr;
}

bool galloc_free(struct galloc *a, uint64_t addr, uint32_t n)
{
	bool ok = false;

	spin_lock(&a->lock);
	if (n && addr >= a->base && IS_ALIGNED(addr - a->base, a->granule)) {
		uint64_t first = (addr - a->base) / a->granule;

		if (first + n <= a->count) {
			ok = true;
			for (uint32_t i = 0; i < n; i++)
				ok = ok && bit_test(a, (uint32_t)first + i);
			if (ok) {
				bits_assign(a, (uint32_t)first, n, false);
				a->free += n;
			}
		}
	}
	spin_unlock(&a->lock);
	return ok;
}

uint64_t galloc_free_bytes(struct galloc *a)
{
	uint64_t v;

	spin_lock(&a->lock);
	v = (uint64_t)a->free * a->granule;
	spin_unlock(&a->lock);
	return v;
}

uint64_t galloc_total_bytes(const struct galloc *a)
{
	return (uint64_t)a->count * a->granule;
}
