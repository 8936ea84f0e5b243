// SPDX-License-Identifier: GPL-2.0
/*
 * The translation-table builder (core/pgtable.c) on a heap of host pages.
 * Output addresses are made up: the builder never touches what it maps.
 */
#include <hv/arch.h>
#include <hv/heap.h>
#include <hv/pgtable.h>
#include "unit.h"

static struct pgtable pt;
static uint64_t normal, device;
static uint64_t heap_after_init;

static void expect_mapped(uint64_t va, uint64_t pa, uint64_t attrs)
{
	uint64_t got_pa = 0, got_attrs = 0;

	if (!pgtable_lookup(&pt, va, &got_pa, &got_attrs))
		fail_msg("va 0x%lx is not mapped", (unsigned long)va);
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_attrs, attrs);
}

static void expect_unmapped(uint64_t va)
{
	if (pgtable_lookup(&pt, va, NULL, NULL))
		fail_msg("va 0x%lx is mapped", (unsigned long)va);
}

static int heap_setup(uint32_t pages)
{
	fake_reset();
	if (!fake_heap_create(pages))
		return -1;
	normal = arch_stage2_attrs(MEM_NORMAL);
	device = arch_stage2_attrs(MEM_DEVICE);
	return 0;
}

/* The EL2 shape: 48-bit input, four levels, one root page. */
static int setup(void **state)
{
	(void)state;
	if (heap_setup(256) || pgtable_init(&pt, 48, 0, 512) != PGT_OK)
		return -1;
	heap_after_init = heap_free_bytes();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_heap_destroy();
	return 0;
}

static void test_fake_attrs_are_plausible(void **state)
{
	(void)state;
	assert_int_not_equal(normal, device);
	assert_int_equal(normal & ~PTE_ATTR_MASK, 0);
	assert_int_equal(device & ~PTE_ATTR_MASK, 0);
	assert_true(normal & PTE_AF);
	assert_true(device & PTE_AF);
}

static void test_map_then_lookup(void **state)
{
	uint64_t va = 0x10003000, pa = 0x900005000ULL;

	(void)state;
	assert_int_equal(pgtable_map(&pt, va, pa, 3 * PAGE_SIZE, normal), PGT_OK);
	expect_mapped(va, pa, normal);
	expect_mapped(va + 0x1234, pa + 0x1234, normal);
	expect_mapped(va + 3 * PAGE_SIZE - 1, pa + 3 * PAGE_SIZE - 1, normal);
	expect_unmapped(va - 1);
	expect_unmapped(va + 3 * PAGE_SIZE);
	/* Another type elsewhere keeps its own attributes. */
	assert_int_equal(pgtable_map(&pt, 0x9000000, 0x9000000, PAGE_SIZE, device), PGT_OK);
	expect_mapped(0x9000abc, 0x9000abc, device);
	expect_mapped(va, pa, normal);
}

static void test_block_when_aligned_pages_when_not(void **state)
{
	(void)state;
	/* 4 MiB, both sides 2 MiB aligned: two L2 blocks under root, L1, L2. */
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 4 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 3);
	expect_mapped(0x40000000 + 3 * MiB + 5, 0x80000000 + 3 * MiB + 5, normal);

	/* Same size, output only 4 KiB aligned: pages, one L3 table per 2 MiB. */
	assert_int_equal(pgtable_map(&pt, 0x60000000, 0x90001000, 4 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 5);
	expect_mapped(0x60000000, 0x90001000, normal);
	expect_mapped(0x60000000 + 4 * MiB - 1, 0x90001000 + 4 * MiB - 1, normal);

	/* A 1 GiB-aligned gigabyte is one level-1 block: no new table. */
	assert_int_equal(pgtable_map(&pt, 0x100000000ULL, 0x200000000ULL, 1 * GiB, device),
			 PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 5);
	expect_mapped(0x100000000ULL + 0x12345678, 0x200000000ULL + 0x12345678, device);
}

static void test_max_block_limits_leaf_size(void **state)
{
	(void)state;
	/* 2 MiB of aligned memory with 4 KiB leaves forced: an L3 table appears. */
	pt.max_block = PAGE_SIZE;
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 2 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 4);
	expect_mapped(0x40000000 + 2 * MiB - 1, 0x80000000 + 2 * MiB - 1, normal);
	/* A 2 MiB limit takes blocks again, but not 1 GiB ones. */
	pt.max_block = 2 * MiB;
	assert_int_equal(pgtable_map(&pt, 0x100000000ULL, 0x100000000ULL, 1 * GiB, normal), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 5);
	expect_mapped(0x100000000ULL + 1 * GiB - 1, 0x100000000ULL + 1 * GiB - 1, normal);
}

static void test_identical_remap_succeeds(void **state)
{
	uint32_t tables;
	uint64_t heap;

	(void)state;
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 4 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_map(&pt, 0x50000000, 0x90001000, 64 * KiB, normal), PGT_OK);
	tables = pgtable_table_count(&pt);
	heap = heap_free_bytes();
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 4 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_map(&pt, 0x50000000, 0x90001000, 64 * KiB, normal), PGT_OK);
	/* A page inside a block, mapped the way the block maps it. */
	assert_int_equal(pgtable_map(&pt, 0x40203000, 0x80203000, PAGE_SIZE, normal), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), tables);
	assert_int_equal(heap_free_bytes(), heap);
	expect_mapped(0x40203000, 0x80203000, normal);
}

static void test_conflict_changes_nothing(void **state)
{
	uint32_t tables;
	uint64_t heap;

	(void)state;
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 2 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_map(&pt, 0x40400000, 0x90000000, 8 * PAGE_SIZE, device), PGT_OK);
	tables = pgtable_table_count(&pt);
	heap = heap_free_bytes();

	/* Same place, other output address / other attributes. */
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0xa0000000, 2 * MiB, normal), PGT_EEXIST);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 2 * MiB, device), PGT_EEXIST);
	/* A page inside the block, mapped elsewhere. */
	assert_int_equal(pgtable_map(&pt, 0x40100000, 0x70100000, PAGE_SIZE, normal), PGT_EEXIST);
	/* A page among the pages, other attributes. */
	assert_int_equal(pgtable_map(&pt, 0x40403000, 0x90003000, PAGE_SIZE, normal), PGT_EEXIST);
	/* Starts in empty space that would need new tables, ends on the block. */
	assert_int_equal(pgtable_map(&pt, 0x40000000 - 8 * MiB, 0xc0000000, 8 * MiB + 4 * PAGE_SIZE,
				     normal),
			 PGT_EEXIST);
	/* Mostly fresh pages, the last one over the page mapping. */
	assert_int_equal(pgtable_map(&pt, 0x40408000 - 64 * KiB, 0x90000000, 64 * KiB + PAGE_SIZE,
				     device),
			 PGT_EEXIST);

	assert_int_equal(pgtable_table_count(&pt), tables);
	assert_int_equal(heap_free_bytes(), heap);
	expect_mapped(0x40000000, 0x80000000, normal);
	expect_mapped(0x401fffff, 0x801fffff, normal);
	for (unsigned i = 0; i < 8; i++)
		expect_mapped(0x40400000 + i * PAGE_SIZE, 0x90000000 + i * PAGE_SIZE, device);
	expect_unmapped(0x40408000);
	expect_unmapped(0x40000000 - 8 * MiB);
	expect_unmapped(0x40000000 - PAGE_SIZE);
	expect_unmapped(0x40400000 - PAGE_SIZE);
}

static void test_unmap_page_splits_block(void **state)
{
	uint64_t va = 0x40000000, pa = 0x80000000, hole = va + 5 * PAGE_SIZE;

	(void)state;
	assert_int_equal(pgtable_map(&pt, va, pa, 2 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 3);
	assert_int_equal(pgtable_unmap(&pt, hole, PAGE_SIZE), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 4);
	expect_unmapped(hole);
	expect_unmapped(hole + PAGE_SIZE - 1);
	expect_mapped(hole - 1, pa + 5 * PAGE_SIZE - 1, normal);
	expect_mapped(hole + PAGE_SIZE, pa + 6 * PAGE_SIZE, normal);
	expect_mapped(va, pa, normal);
	expect_mapped(va + 2 * MiB - 1, pa + 2 * MiB - 1, normal);
	assert_true(fake_tlb_flushes > 0); /* break-before-make flushed the block */
	/* Unused spare pages went back: only the one new table is gone. */
	assert_int_equal(heap_free_bytes(), heap_after_init - 3 * PAGE_SIZE);
}

static void test_unmap_page_splits_gigabyte_block(void **state)
{
	uint64_t va = 0x40000000, pa = 0x40000000, hole = va + 300 * MiB + 7 * PAGE_SIZE;

	(void)state;
	assert_int_equal(pgtable_map(&pt, va, pa, 1 * GiB, normal), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 2);
	assert_int_equal(pgtable_unmap(&pt, hole, 2 * PAGE_SIZE), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 4);
	expect_unmapped(hole);
	expect_unmapped(hole + PAGE_SIZE);
	expect_mapped(hole - PAGE_SIZE, hole - PAGE_SIZE, normal);
	expect_mapped(hole + 2 * PAGE_SIZE, hole + 2 * PAGE_SIZE, normal);
	expect_mapped(va, pa, normal);
	expect_mapped(va + GiB - 1, pa + GiB - 1, normal);
	assert_int_equal(heap_free_bytes(), heap_after_init - 3 * PAGE_SIZE);
}

static void test_unmap_across_blocks_and_holes(void **state)
{
	(void)state;
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 6 * MiB, normal), PGT_OK);
	/* From inside the first block to inside the third, through a whole one. */
	assert_int_equal(pgtable_unmap(&pt, 0x40000000 + 1 * MiB, 4 * MiB), PGT_OK);
	expect_mapped(0x40000000 + 1 * MiB - 1, 0x80000000 + 1 * MiB - 1, normal);
	expect_unmapped(0x40000000 + 1 * MiB);
	expect_unmapped(0x40000000 + 3 * MiB);
	expect_unmapped(0x40000000 + 5 * MiB - 1);
	expect_mapped(0x40000000 + 5 * MiB, 0x80000000 + 5 * MiB, normal);
	/* Unmapping holes is fine. */
	assert_int_equal(pgtable_unmap(&pt, 0x40000000 + 1 * MiB, 4 * MiB), PGT_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x700000000ULL, 1 * GiB), PGT_OK);
}

static void test_unmap_everything_frees_tables(void **state)
{
	(void)state;
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 6 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_map(&pt, 0x50001000, 0x90001000, 3 * MiB, device), PGT_OK);
	assert_int_equal(pgtable_map(&pt, 0x8000000000ULL, 0x1000, PAGE_SIZE, device), PGT_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x40203000, PAGE_SIZE), PGT_OK);
	assert_true(heap_free_bytes() < heap_after_init);

	assert_int_equal(pgtable_unmap(&pt, 0x40000000, 6 * MiB), PGT_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x50001000, 3 * MiB), PGT_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x8000000000ULL, PAGE_SIZE), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), 1);
	assert_int_equal(heap_free_bytes(), heap_after_init);
	expect_unmapped(0x40000000);
	expect_unmapped(0x50001000);
}

static void test_invalid_arguments(void **state)
{
	struct pgtable s2;

	(void)state;
	assert_int_equal(pgtable_map(&pt, 0x40000800, 0x80000000, PAGE_SIZE, normal), PGT_EINVAL);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000800, PAGE_SIZE, normal), PGT_EINVAL);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, PAGE_SIZE + 1, normal),
			 PGT_EINVAL);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 0, normal), PGT_EINVAL);
	assert_int_equal(pgtable_map(&pt, (1ULL << 48) - PAGE_SIZE, 0, 2 * PAGE_SIZE, normal),
			 PGT_EINVAL);
	assert_int_equal(pgtable_map(&pt, 1ULL << 48, 0, PAGE_SIZE, normal), PGT_EINVAL);
	assert_int_equal(pgtable_map(&pt, 0, (1ULL << 48) - PAGE_SIZE, 2 * PAGE_SIZE, normal),
			 PGT_EINVAL);
	assert_int_equal(pgtable_map(&pt, -PAGE_SIZE, 0, 2 * PAGE_SIZE, normal), PGT_EINVAL);
	assert_int_equal(pgtable_unmap(&pt, 0x40000000, 0), PGT_EINVAL);
	assert_int_equal(pgtable_unmap(&pt, 0x40000800, PAGE_SIZE), PGT_EINVAL);
	assert_int_equal(pgtable_unmap(&pt, 1ULL << 48, PAGE_SIZE), PGT_EINVAL);
	assert_int_equal(pgtable_table_count(&pt), 1);
	assert_int_equal(heap_free_bytes(), heap_after_init);
	expect_unmapped(1ULL << 48);

	/* The top page of a 40-bit space is fine, the next is not. */
	assert_int_equal(pgtable_init(&s2, 40, 1, 1024), PGT_OK);
	assert_int_equal(pgtable_map(&s2, (1ULL << 40) - PAGE_SIZE, 0x1000, PAGE_SIZE, normal),
			 PGT_OK);
	assert_int_equal(pgtable_map(&s2, 1ULL << 40, 0x1000, PAGE_SIZE, normal), PGT_EINVAL);
	assert_false(pgtable_lookup(&s2, 1ULL << 40, NULL, NULL));
	pgtable_destroy(&s2);

	assert_int_equal(pgtable_init(&s2, 40, 3, 512), PGT_EINVAL);
	assert_int_equal(pgtable_init(&s2, 40, 1, 1536), PGT_EINVAL);
	assert_int_equal(pgtable_init(&s2, 40, 1, 256), PGT_EINVAL);
	assert_int_equal(heap_free_bytes(), heap_after_init);
}

/* A heap of 3 pages: the root takes one, two are left. */
static int tiny_setup(void **state)
{
	(void)state;
	if (heap_setup(3) || pgtable_init(&pt, 48, 0, 512) != PGT_OK)
		return -1;
	heap_after_init = heap_free_bytes();
	return 0;
}

static void test_out_of_heap_changes_nothing(void **state)
{
	struct pgtable other;

	(void)state;
	assert_int_equal(heap_after_init, 2 * PAGE_SIZE);
	/* Pages need L1, L2 and L3 tables: one too many. */
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80001000, PAGE_SIZE, normal), PGT_ENOMEM);
	assert_int_equal(heap_free_bytes(), heap_after_init);
	assert_int_equal(pgtable_table_count(&pt), 1);
	expect_unmapped(0x40000000);

	/* A block needs only L1 and L2. */
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 2 * MiB, normal), PGT_OK);
	assert_int_equal(heap_free_bytes(), 0);
	/* Splitting it needs a page that is not there: the block stays whole. */
	assert_int_equal(pgtable_unmap(&pt, 0x40001000, PAGE_SIZE), PGT_ENOMEM);
	expect_mapped(0x40001000, 0x80001000, normal);
	assert_int_equal(pgtable_table_count(&pt), 3);
	/* Inside existing tables, a block needs nothing new. */
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x80200000, 2 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_init(&other, 48, 0, 512), PGT_ENOMEM);

	/* Whole blocks go without a split; the empty tables come back. */
	assert_int_equal(pgtable_unmap(&pt, 0x40000000, 4 * MiB), PGT_OK);
	assert_int_equal(heap_free_bytes(), heap_after_init);
}

/* Stage-2 shape: 40-bit IPA, start at level 1, two concatenated root pages. */
static void test_concatenated_root(void **state)
{
	struct pgtable s2;
	const uint64_t *root;

	(void)state;
	assert_int_equal(pgtable_init(&s2, 40, 1, 1024), PGT_OK);
	assert_true(IS_ALIGNED(pa_addr(s2.root), 2 * PAGE_SIZE));
	assert_int_equal(heap_free_bytes(), heap_after_init - 2 * PAGE_SIZE);
	root = hv_ptr(s2.root);

	assert_int_equal(pgtable_map(&s2, 0x40000000, 0x80000000, 2 * MiB, normal), PGT_OK);
	/* 513 GiB: entry 513, in the second root page. */
	assert_int_equal(pgtable_map(&s2, 513 * GiB, 0x100000000ULL, 2 * MiB, device), PGT_OK);
	assert_int_equal(pgtable_map(&s2, 1023 * GiB + 5 * PAGE_SIZE, 0x7000, PAGE_SIZE, normal),
			 PGT_OK);
	assert_true(root[1] & PTE_VALID);
	assert_true(root[513] & PTE_VALID);
	assert_true(root[1023] & PTE_VALID);
	assert_int_not_equal(root[513], root[1]);
	assert_false(root[512] & PTE_VALID);

	uint64_t got;

	assert_true(pgtable_lookup(&s2, 0x40000000 + 0x123, &got, NULL));
	assert_int_equal(got, 0x80000000 + 0x123);
	assert_true(pgtable_lookup(&s2, 513 * GiB + 0x1234, &got, NULL));
	assert_int_equal(got, 0x100000000ULL + 0x1234);
	assert_true(pgtable_lookup(&s2, 1023 * GiB + 5 * PAGE_SIZE + 8, &got, NULL));
	assert_int_equal(got, 0x7008);
	/* Neighbours in the other root page stay empty. */
	assert_false(pgtable_lookup(&s2, 512 * GiB + 0x123, NULL, NULL));
	assert_false(pgtable_lookup(&s2, 511 * GiB + 0x123, NULL, NULL));
	/* The root counts once; an L2 table per gigabyte used, one L3. */
	assert_int_equal(pgtable_table_count(&s2), 1 + 3 + 1);
	pgtable_destroy(&s2);
	assert_int_equal(heap_free_bytes(), heap_after_init);
}

static void test_destroy_returns_every_page(void **state)
{
	(void)state;
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80001000, 5 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_map(&pt, 0x8000000000ULL, 0x80000000, 4 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_map(&pt, 0xff8000000000ULL, 0x1000, PAGE_SIZE, device), PGT_OK);
	assert_true(pgtable_table_count(&pt) > 6);
	pgtable_destroy(&pt);
	assert_int_equal(pa_addr(pt.root), 0);
	assert_int_equal(heap_free_bytes(), 256 * PAGE_SIZE);
	pgtable_destroy(&pt); /* a second destroy is harmless */
	assert_int_equal(heap_free_bytes(), 256 * PAGE_SIZE);
}

/* Permission changes split blocks into pages, skip holes, and touch only the range. */
static void test_set_attrs_splits_and_changes_pages(void **state)
{
	uint64_t va = 0x40000000, pa = 0x80000000;
	uint64_t ro = normal & ~PTE_S2_WRITE;
	uint32_t tables;

	(void)state;
	assert_true(normal & PTE_S2_WRITE);
	assert_int_equal(pgtable_map(&pt, va, pa, 4 * MiB, normal), PGT_OK);
	assert_int_equal(pgtable_map(&pt, va + 6 * MiB, pa + 6 * MiB, 2 * MiB, normal), PGT_OK);
	tables = pgtable_table_count(&pt);
	/* From inside the first block, over a hole, into the last: three split. */
	assert_int_equal(pgtable_set_attrs(&pt, va + 1 * MiB, 6 * MiB, 0, PTE_S2_WRITE), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), tables + 3);
	expect_mapped(va + 1 * MiB - PAGE_SIZE, pa + 1 * MiB - PAGE_SIZE, normal);
	expect_mapped(va + 1 * MiB, pa + 1 * MiB, ro);
	expect_mapped(va + 3 * MiB + 5, pa + 3 * MiB + 5, ro);
	expect_unmapped(va + 5 * MiB);
	expect_mapped(va + 7 * MiB - PAGE_SIZE, pa + 7 * MiB - PAGE_SIZE, ro);
	expect_mapped(va + 7 * MiB, pa + 7 * MiB, normal);
	/* One page back: nothing to allocate any more. */
	assert_int_equal(pgtable_set_attrs(&pt, va + 2 * MiB, PAGE_SIZE, PTE_S2_WRITE, 0), PGT_OK);
	assert_int_equal(pgtable_table_count(&pt), tables + 3);
	expect_mapped(va + 2 * MiB, pa + 2 * MiB, normal);
	expect_mapped(va + 2 * MiB + PAGE_SIZE, pa + 2 * MiB + PAGE_SIZE, ro);
	/* Bits that are not attributes, misaligned or empty ranges: refused. */
	assert_int_equal(pgtable_set_attrs(&pt, va, PAGE_SIZE, PTE_VALID, 0), PGT_EINVAL);
	assert_int_equal(pgtable_set_attrs(&pt, va, PAGE_SIZE, 0, PTE_ADDR_MASK), PGT_EINVAL);
	assert_int_equal(pgtable_set_attrs(&pt, va + 1, PAGE_SIZE, 0, PTE_S2_WRITE), PGT_EINVAL);
	assert_int_equal(pgtable_set_attrs(&pt, va, 0, 0, PTE_S2_WRITE), PGT_EINVAL);
	assert_int_equal(pgtable_set_attrs(&pt, UINT64_MAX & ~0xfffULL, 2 * PAGE_SIZE, 0,
					   PTE_S2_WRITE), PGT_EINVAL);
	expect_mapped(va, pa, normal);
}

/* A gigabyte block: split down to pages over the range only. */
static void test_set_attrs_splits_gigabyte_block(void **state)
{
	uint64_t va = 0x40000000;
	uint32_t tables;

	(void)state;
	assert_int_equal(pgtable_map(&pt, va, va, 1 * GiB, normal), PGT_OK);
	tables = pgtable_table_count(&pt);
	assert_int_equal(pgtable_set_attrs(&pt, va + 10 * MiB, 4 * MiB, 0, PTE_S2_WRITE), PGT_OK);
	/* An L2 table for the gigabyte, two L3 tables for the two 2 MiB blocks. */
	assert_int_equal(pgtable_table_count(&pt), tables + 1 + 2);
	expect_mapped(va + 10 * MiB, va + 10 * MiB, normal & ~PTE_S2_WRITE);
	expect_mapped(va + 14 * MiB, va + 14 * MiB, normal);
	expect_mapped(va + 10 * MiB - 1, va + 10 * MiB - 1, normal);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fake_attrs_are_plausible),
		T(test_map_then_lookup),
		T(test_block_when_aligned_pages_when_not),
		T(test_max_block_limits_leaf_size),
		T(test_identical_remap_succeeds),
		T(test_conflict_changes_nothing),
		T(test_unmap_page_splits_block),
		T(test_unmap_page_splits_gigabyte_block),
		T(test_unmap_across_blocks_and_holes),
		T(test_unmap_everything_frees_tables),
		T(test_invalid_arguments),
		T(test_set_attrs_splits_and_changes_pages),
		T(test_set_attrs_splits_gigabyte_block),
		cmocka_unit_test_setup_teardown(test_out_of_heap_changes_nothing, tiny_setup, teardown),
		T(test_concatenated_root),
		T(test_destroy_returns_every_page),
	};

	return cmocka_run_group_tests_name("pgtable", tests, NULL, NULL);
}
