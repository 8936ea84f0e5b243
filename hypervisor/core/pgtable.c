// SPDX-License-Identifier: GPL-2.0
/*
 * Translation table walker shared by the EL2 stage-1 map and guest stage-2
 * maps (see hv/pgtable.h).
 *
 * Every change runs the same recursive walk twice: a dry run that finds
 * conflicts and counts the table pages the change needs, then the real run
 * that takes those pages from a list allocated up front. So a call either
 * succeeds whole or fails having changed nothing.
 */
#include <hv/arch.h>
#include <hv/heap.h>
#include <hv/pgtable.h>
#include <string.h>

#define ENTRIES_PER_TABLE 512

struct walk {
	bool apply;            /* false: dry run */
	bool unmap;
	uint64_t attrs;
	uint32_t tables_needed; /* dry run: pages the change will take */
	uint64_t *spare;        /* apply: preallocated zeroed pages, linked */
	const struct pgtable *pt;
};

static unsigned level_shift(int level)
{
	return 12 + 9 * (unsigned)(3 - level);
}

static uint64_t *table_ptr(uint64_t entry)
{
	return hv_ptr(pa_init(entry & PTE_ADDR_MASK));
}

static bool entry_is_table(uint64_t entry, int level)
{
	return (entry & PTE_VALID) && (entry & PTE_TABLE) && level < 3;
}

static uint64_t leaf_entry(uint64_t pa, uint64_t attrs, int level)
{
	return (pa & PTE_ADDR_MASK) | (attrs & PTE_ATTR_MASK) | PTE_VALID |
	       (level == 3 ? PTE_TABLE : 0);
}

static uint64_t *take_spare(struct walk *w)
{
	uint64_t *page = w->spare;

	w->spare = (uint64_t *)(uintptr_t)page[0];
	page[0] = 0;
	return page;
}

static unsigned table_index(const struct walk *w, int level, uint64_t va)
{
	unsigned entries = level == w->pt->start_level ? w->pt->root_entries : ENTRIES_PER_TABLE;

	return (unsigned)((va >> level_shift(level)) & (entries - 1));
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < ENTRIES_PER_TABLE; i++)
		if (t[i] & PTE_VALID)
			return false;
	return true;
}

/* Replace a block by a table of next-level leaves that map the same. */
static uint64_t *split_block(struct walk *w, uint64_t *slot, int level, uint64_t block_va)
{
	uint64_t entry = *slot;
	uint64_t child_size = 1ULL << level_shift(level + 1);
	uint64_t *child = take_spare(w);

	for (unsigned i = 0; i < ENTRIES_PER_TABLE; i++)
		child[i] = leaf_entry((entry & PTE_ADDR_MASK) + i * child_size,
				      entry & PTE_ATTR_MASK, level + 1);
	/* Break before make: the block goes away everywhere before the table appears. */
	*slot = 0;
	arch_pgtable_sync();
	arch_pgtable_flush_range(w->pt, block_va, 1ULL << level_shift(level));
	*slot = pa_addr(hv_pa(child)) | PTE_VALID | PTE_TABLE;
	return child;
}

static int walk_level(struct walk *w, uint64_t *table, int level, uint64_t va, uint64_t pa,
		      uint64_t size)
{
	uint64_t blk = 1ULL << level_shift(level);

	/* Dry run over a table that does not exist yet: its leaves need nothing. */
	if (!table && !w->apply && level == 3)
		return PGT_OK;

	while (size) {
		uint64_t chunk_end = MIN(ALIGN_DOWN(va, blk) + blk, va + size);
		uint64_t n = chunk_end - va;
		unsigned idx = table_index(w, level, va);
		uint64_t *slot = table ? &table[idx] : NULL;
		uint64_t entry = slot ? *slot : 0;
		bool whole = n == blk;
		int rc;

		if (w->unmap) {
			if (!(entry & PTE_VALID)) {
				/* hole: nothing to remove */
			} else if (entry_is_table(entry, level)) {
				uint64_t *child = table_ptr(entry);

				rc = walk_level(w, child, level + 1, va, 0, n);
				if (rc)
					return rc;
				if (w->apply && table_empty(child)) {
					*slot = 0;
					heap_free_pages(child, 1);
				}
			} else if (whole) {
				if (w->apply)
					*slot = 0;
			} else if (!w->apply) {
				/*
				 * Splitting this block may split a block at each level
				 * below it at both edges of the range: reserve enough.
				 */
				w->tables_needed += 1 + 2 * (unsigned)(2 - level);
			} else {
				uint64_t *child = split_block(w, slot, level, ALIGN_DOWN(va, blk));

				rc = walk_level(w, child, level + 1, va, 0, n);
				if (rc)
					return rc;
			}
		} else if (whole && IS_ALIGNED(pa, blk) && level >= 1 &&
			   (!w->pt->max_block || blk <= w->pt->max_block) &&
			   !entry_is_table(entry, level)) {
			uint64_t leaf = leaf_entry(pa, w->attrs, level);

			if (entry & PTE_VALID) {
				if (entry != leaf)
					return PGT_EEXIST;
			} else if (w->apply) {
				*slot = leaf;
			}
		} else if (entry_is_table(entry, level)) {
			rc = walk_level(w, table_ptr(entry), level + 1, va, pa, n);
			if (rc)
				return rc;
		} else if (entry & PTE_VALID) {
			/* An existing block: fine only if it already maps this the same way. */
			uint64_t block_pa = (entry & PTE_ADDR_MASK) + (va - ALIGN_DOWN(va, blk));

			if (block_pa != pa || (entry & PTE_ATTR_MASK) != (w->attrs & PTE_ATTR_MASK))
				return PGT_EEXIST;
		} else if (level == 3) {
			return PGT_EINVAL; /* unreachable: sizes are page-aligned */
		} else if (!w->apply) {
			w->tables_needed++;
			rc = walk_level(w, NULL, level + 1, va, pa, n);
			if (rc)
				return rc;
		} else {
			uint64_t *child = take_spare(w);

			rc = walk_level(w, child, level + 1, va, pa, n);
			if (rc)
				return rc;
			/* Filled before it is linked in: no walker sees it half-made. */
			arch_pgtable_sync();
			*slot = pa_addr(hv_pa(child)) | PTE_VALID | PTE_TABLE;
		}
		va += n;
		pa += n;
		size -= n;
	}
	return PGT_OK;
}

/* Give back preallocated pages the change did not use (splits are over-counted). */
static void free_spares(struct walk *w)
{
	while (w->spare) {
		uint64_t *next = (uint64_t *)(uintptr_t)w->spare[0];

		heap_free_pages(w->spare, 1);
		w->spare = next;
	}
}

/* Allocate the table pages a dry run counted, all or none: true if there
 * were not enough (none are kept then). */
static bool take_spares(struct walk *w)
{
	for (uint32_t i = 0; i < w->tables_needed; i++) {
		uint64_t *page = heap_alloc_pages(1, 1);

		if (!page) {
			free_spares(w);
			return true;
		}
		page[0] = (uint64_t)(uintptr_t)w->spare;
		w->spare = page;
	}
	return false;
}

static int walk_run(struct pgtable *pt, bool unmap, uint64_t va, uint64_t pa, uint64_t size,
		    uint64_t attrs)
{
	struct walk w = { .unmap = unmap, .attrs = attrs, .pt = pt };
	uint64_t *root = hv_ptr(pt->root);
	int rc;

	if (size == 0 || !IS_ALIGNED(va | pa | size, PAGE_SIZE) || va + size < va ||
	    (pt->va_bits < 64 && va + size > (1ULL << pt->va_bits)) ||
	    (!unmap && (pa + size < pa || pa + size > (1ULL << 48))))
		return PGT_EINVAL;

	rc = walk_level(&w, root, pt->start_level, va, pa, size);
	if (rc)
		return rc;
	if (take_spares(&w))
		return PGT_ENOMEM;

	w.apply = true;
	/* The dry run saw every conflict, so the real run cannot fail. */
	rc = walk_level(&w, root, pt->start_level, va, pa, size);
	arch_pgtable_sync();
	free_spares(&w);
	return rc;
}

/* Tables it takes to split a block at LEVEL down to pages over [va, va+size). */
static uint32_t split_tables(int level, uint64_t va, uint64_t size)
{
	uint64_t child = 1ULL << level_shift(level + 1);
	uint32_t n = 1;

	if (level + 1 == 3)
		return 1;
	for (uint64_t a = ALIGN_DOWN(va, child); a < va + size; a += child) {
		uint64_t lo = MAX(a, va), hi = MIN(a + child, va + size);

		n += split_tables(level + 1, lo, hi - lo);
	}
	return n;
}

/* pgtable_set_attrs(): pages over the range, then their bits changed. */
static void attrs_level(struct walk *w, uint64_t *table, int level, uint64_t va, uint64_t size,
			uint64_t set, uint64_t clear)
{
	uint64_t blk = 1ULL << level_shift(level);

	while (size) {
		uint64_t chunk_end = MIN(ALIGN_DOWN(va, blk) + blk, va + size);
		uint64_t n = chunk_end - va;
		uint64_t *slot = &table[table_index(w, level, va)];
		uint64_t entry = *slot;

		if (!(entry & PTE_VALID)) {
			/* a hole: nothing to change */
		} else if (entry_is_table(entry, level)) {
			attrs_level(w, table_ptr(entry), level + 1, va, n, set, clear);
		} else if (level < 3) {
			if (!w->apply)
				w->tables_needed += split_tables(level, va, n);
			else
				attrs_level(w, split_block(w, slot, level, ALIGN_DOWN(va, blk)),
					    level + 1, va, n, set, clear);
		} else if (w->apply) {
			__atomic_store_n(slot, (entry & ~clear) | set, __ATOMIC_RELAXED);
		}
		va += n;
		size -= n;
	}
}

int pgtable_set_attrs(struct pgtable *pt, uint64_t va, uint64_t size, uint64_t set, uint64_t clear)
{
	struct walk w = { .pt = pt };
	uint64_t *root = hv_ptr(pt->root);

	if (size == 0 || !IS_ALIGNED(va | size, PAGE_SIZE) || va + size < va ||
	    (pt->va_bits < 64 && va + size > (1ULL << pt->va_bits)) ||
	    ((set | clear) & ~PTE_ATTR_MASK))
		return PGT_EINVAL;
	attrs_level(&w, root, pt->start_level, va, size, set, clear);
	if (take_spares(&w))
		return PGT_ENOMEM;
	w.apply = true;
	attrs_level(&w, root, pt->start_level, va, size, set, clear);
	arch_pgtable_sync();
	free_spares(&w);
	return PGT_OK;
}

int pgtable_init(struct pgtable *pt, uint8_t va_bits, uint8_t start_level, uint16_t root_entries)
{
	uint32_t pages = root_entries / ENTRIES_PER_TABLE;
	void *root;

	if (start_level > 2 || pages == 0 || (pages & (pages - 1)) ||
	    root_entries % ENTRIES_PER_TABLE)
		return PGT_EINVAL;
	root = heap_alloc_pages(pages, pages);
	if (!root)
		return PGT_ENOMEM;
	pt->root = hv_pa(root);
	pt->max_block = 0;
	pt->stage2 = false; /* arch_stage2_init() says otherwise */
	pt->vmid = 0;
	pt->va_bits = va_bits;
	pt->start_level = start_level;
	pt->root_entries = root_entries;
	return PGT_OK;
}

static void free_tables(uint64_t *table, int level, unsigned entries)
{
	for (unsigned i = 0; i < entries; i++) {
		if (entry_is_table(table[i], level)) {
			uint64_t *child = table_ptr(table[i]);

			free_tables(child, level + 1, ENTRIES_PER_TABLE);
			heap_free_pages(child, 1);
		}
	}
}

void pgtable_destroy(struct pgtable *pt)
{
	if (!pa_addr(pt->root))
		return;
	pgtable_resume(pt); /* its tables are freed by walking them */
	free_tables(hv_ptr(pt->root), pt->start_level, pt->root_entries);
	heap_free_pages(hv_ptr(pt->root), pt->root_entries / ENTRIES_PER_TABLE);
	pt->root = pa_init(0);
}

/* A root entry made invalid by pgtable_suspend(): the hardware ignores
 * every bit of an invalid descriptor; this one says it was valid. */
#define PTE_SUSPENDED BIT(55)

/* Every root entry with bit FROM set gets bit TO instead. */
static void root_entries_move_bit(struct pgtable *pt, uint64_t from, uint64_t to)
{
	uint64_t *root = hv_ptr(pt->root);

	for (unsigned i = 0; pa_addr(pt->root) && i < pt->root_entries; i++)
		if (root[i] & from)
			__atomic_store_n(&root[i], (root[i] & ~from) | to, __ATOMIC_RELEASE);
	arch_pgtable_sync();
}

void pgtable_suspend(struct pgtable *pt)
{
	root_entries_move_bit(pt, PTE_VALID, PTE_SUSPENDED);
}

void pgtable_resume(struct pgtable *pt)
{
	root_entries_move_bit(pt, PTE_SUSPENDED, PTE_VALID);
}

int pgtable_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs)
{
	return walk_run(pt, false, va, pa, size, attrs);
}

int pgtable_unmap(struct pgtable *pt, uint64_t va, uint64_t size)
{
	return walk_run(pt, true, va, 0, size, 0);
}

bool pgtable_lookup(const struct pgtable *pt, uint64_t va, uint64_t *pa, uint64_t *attrs)
{
	const uint64_t *table = hv_ptr(pt->root);
	unsigned entries = pt->root_entries;

	if (pt->va_bits < 64 && va >= (1ULL << pt->va_bits))
		return false;
	for (int level = pt->start_level; level <= 3; level++) {
		unsigned shift = level_shift(level);
		uint64_t entry = table[(va >> shift) & (entries - 1)];

		if (!(entry & PTE_VALID))
			return false;
		if (entry_is_table(entry, level)) {
			table = table_ptr(entry);
			entries = ENTRIES_PER_TABLE;
			continue;
		}
		if (level == 3 && !(entry & PTE_TABLE))
			return false;
		if (pa)
			*pa = (entry & PTE_ADDR_MASK) + (va & ((1ULL << shift) - 1));
		if (attrs)
			*attrs = entry & PTE_ATTR_MASK;
		return true;
	}
	return false;
}

static uint32_t count_tables(const uint64_t *table, int level, unsigned entries)
{
	uint32_t n = 1;

	for (unsigned i = 0; i < entries; i++)
		if (entry_is_table(table[i], level))
			n += count_tables(table_ptr(table[i]), level + 1, ENTRIES_PER_TABLE);
	return n;
}

uint32_t pgtable_table_count(const struct pgtable *pt)
{
	return count_tables(hv_ptr(pt->root), pt->start_level, pt->root_entries);
}
