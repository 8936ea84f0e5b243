/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Basic types and the three address spaces the hypervisor juggles.
 *
 * A guest-physical address (IPA) passed where a host-physical one is meant is
 * the classic hypervisor bug, so each has its own wrapper type. The EL2 map is
 * an identity map of RAM, so a host-physical address is also the hypervisor's
 * virtual address for it (hv_ptr()).
 */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t pa;
} paddr_t;

typedef struct {
	uint64_t ipa;
} ipaddr_t;

static inline paddr_t pa_init(uint64_t pa)
{
	return (paddr_t){ .pa = pa };
}

static inline uint64_t pa_addr(paddr_t p)
{
	return p.pa;
}

static inline paddr_t pa_add(paddr_t p, uint64_t off)
{
	return pa_init(p.pa + off);
}

static inline ipaddr_t ipa_init(uint64_t ipa)
{
	return (ipaddr_t){ .ipa = ipa };
}

static inline uint64_t ipa_addr(ipaddr_t i)
{
	return i.ipa;
}

static inline ipaddr_t ipa_add(ipaddr_t i, uint64_t off)
{
	return ipa_init(i.ipa + off);
}

/* The hypervisor's own pointer to host-physical memory (identity map). */
static inline void *hv_ptr(paddr_t p)
{
	return (void *)(uintptr_t)p.pa;
}

static inline paddr_t hv_pa(const void *ptr)
{
	return pa_init((uint64_t)(uintptr_t)ptr);
}

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
#define BLOCK_2M (2 * MiB)

#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define BIT(n) (1ULL << (n))

/* Does [a, a+alen) overlap [b, b+blen)? Both lengths non-zero, no wrap. */
static inline bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Is [a, a+alen) wholly inside [b, b+blen)? Rejects wrap-around. */
static inline bool range_within(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen != 0 && a + alen > a && a >= b && a + alen <= b + blen;
}

#endif
