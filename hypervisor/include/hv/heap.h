/* SPDX-License-Identifier: GPL-2.0 */
/* The hypervisor heap: zeroed 4 KiB pages from the hypervisor's own memory. */
#ifndef HV_HEAP_H
#define HV_HEAP_H

#include <hv/types.h>

struct galloc;

void heap_init(struct galloc *heap);
/* n zeroed pages aligned to align_pages, or NULL. */
void *heap_alloc_pages(uint32_t n, uint32_t align_pages);
void heap_free_pages(void *p, uint32_t n);
uint64_t heap_free_bytes(void);

#endif
