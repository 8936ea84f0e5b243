/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMSAv8-64 translation tables, 4 KiB granule, for both the hypervisor's own
 * stage-1 map (EL2) and the guests' stage-2 maps. The walk is the same; only
 * the leaf attribute bits differ, and the caller passes those ready-made
 * (see arch pte_attrs helpers). Tables come from the hypervisor heap.
 */
#ifndef HV_PGTABLE_H
#define HV_PGTABLE_H

#include <hv/types.h>

#define PTE_VALID BIT(0)
#define PTE_TABLE BIT(1) /* at levels 0-2: table; at level 3: page */
#define PTE_AF BIT(10)
/* Stage 2: S2AP[1], the guest may write (dirty logging clears it). */
#define PTE_S2_WRITE BIT(7)
#define PTE_ADDR_MASK 0x0000fffffffff000ULL
/* Attribute bits a leaf may carry (lower 2..11, upper 50..63). */
#define PTE_ATTR_MASK (0xfff0000000000ffcULL)

struct pgtable {
	paddr_t root;
	uint8_t start_level;   /* 0..2 */
	uint8_t va_bits;       /* size of the input address space */
	uint16_t root_entries; /* 512, or more for concatenated stage-2 roots */
	bool stage2;           /* a guest's stage-2 map (arch_stage2_init) ... */
	uint16_t vmid;         /* ... for this VMID: whose TLB entries to invalidate */
	uint64_t max_block;    /* largest leaf mapping to use; 0 = no limit */
};

enum pgtable_err {
	PGT_OK = 0,
	PGT_ENOMEM = -1,   /* no heap page for a table */
	PGT_EINVAL = -2,   /* misaligned, zero-sized or out of the address space */
	PGT_EEXIST = -3,   /* overlaps a different existing mapping */
};

/* root_entries must be 512 << n; the root is allocated aligned to its size. */
int pgtable_init(struct pgtable *pt, uint8_t va_bits, uint8_t start_level, uint16_t root_entries);
/* Free every table; the mappings are gone. The caller flushes TLBs. */
void pgtable_destroy(struct pgtable *pt);

/*
 * Map [va, va+size) to [pa, pa+size) with leaf attributes attrs (without the
 * valid/table/address bits). Uses the largest blocks alignment allows.
 * Remapping a range to exactly the same place and attributes succeeds; any
 * other overlap fails with PGT_EEXIST and the function leaves the tables as
 * they were before the call.
 */
/*
 * Make every translation of the table fault, keeping it intact (its root
 * entries turn invalid), and undo that. The caller invalidates the TLBs
 * (for a stage-2 table: arch_stage2_flush_vmid). pgtable_destroy() resumes
 * a suspended table first.
 */
void pgtable_suspend(struct pgtable *pt);
void pgtable_resume(struct pgtable *pt);
int pgtable_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs);
/*
 * Remove the mappings of [va, va+size). Blocks that straddle the edges are
 * split. Unmapped holes inside the range are fine. The caller flushes TLBs.
 */
int pgtable_unmap(struct pgtable *pt, uint64_t va, uint64_t size);
/*
 * Set the attribute bits SET and clear CLEAR (both within PTE_ATTR_MASK) in
 * every leaf over [va, va+size), splitting blocks so that every leaf in the
 * range is a page. Holes are skipped. All or nothing (PGT_ENOMEM before
 * any change). The caller invalidates the TLBs.
 */
int pgtable_set_attrs(struct pgtable *pt, uint64_t va, uint64_t size, uint64_t set, uint64_t clear);
/* Translate va; returns false if unmapped. pa and attrs may be NULL. */
bool pgtable_lookup(const struct pgtable *pt, uint64_t va, uint64_t *pa, uint64_t *attrs);
/* Count the table pages in use (for tests and statistics). */
uint32_t pgtable_table_count(const struct pgtable *pt);

#endif
