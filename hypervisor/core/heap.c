// SPDX-License-Identifier: GPL-2.0
/* The hypervisor heap (see hv/heap.h), a thin layer over a granule allocator. */
#include <hv/galloc.h>
#include <hv/heap.h>
#include <hv/panic.h>
#include <string.h>

static struct galloc *heap;

void heap_init(struct galloc *h)
{
	heap = h;
}

void *heap_alloc_pages(uint32_t n, uint32_t align_pages)
{
	uint64_t pa = galloc_alloc(heap, n, align_pages);
	void *p;

	if (!pa)
		return NULL;
	p = hv_ptr(pa_init(pa));
	memset(p, 0, (size_t)n * PAGE_SIZE);
	return p;
}

void heap_free_pages(void *p, uint32_t n)
{
	if (!galloc_free(heap, pa_addr(hv_pa(p)), n))
		panic("heap: bad free of %u pages at %p", n, p);
}

uint64_t heap_free_bytes(void)
{
	return heap ? galloc_free_bytes(heap) : 0;
}
