// SPDX-License-Identifier: GPL-2.0
/*
 * The granule allocator (core/galloc.c). It never touches the memory it
 * hands out, so the tests use made-up physical ranges.
 */
#include <hv/galloc.h>
#include "unit.h"

#define BASE 0x40000000ULL
#define G PAGE_SIZE

static struct galloc a;

static int setup(void **state)
{
	(void)state;
	assert_true(galloc_init(&a, BASE, 64 * G, G));
	return 0;
}

static void test_init_rejects_bad_ranges(void **state)
{
	(void)state;
	assert_false(galloc_init(&a, BASE + 0x800, 64 * G, G));   /* base misaligned */
	assert_false(galloc_init(&a, BASE, 64 * G + 1, G));       /* size misaligned */
	assert_false(galloc_init(&a, BASE, 64 * G, 0));           /* no granule */
	assert_false(galloc_init(&a, BASE, 48 * 3 * G, 3 * G));   /* granule not 2^n */
	assert_false(galloc_init(&a, BASE, (GALLOC_MAX_GRANULES + 1) * G, G));
	assert_true(galloc_init(&a, BASE, (uint64_t)GALLOC_MAX_GRANULES * G, G));
	assert_int_equal(galloc_total_bytes(&a), (uint64_t)GALLOC_MAX_GRANULES * G);
	assert_int_equal(galloc_free_bytes(&a), (uint64_t)GALLOC_MAX_GRANULES * G);
	/* 2 MiB granules, as for the guest pool */
	assert_true(galloc_init(&a, 0x80000000ULL, 1 * GiB, BLOCK_2M));
	assert_int_equal(galloc_free_bytes(&a), 1 * GiB);
	assert_false(galloc_init(&a, 0x80100000ULL, 1 * GiB, BLOCK_2M));
}

static void test_alloc_free_round_trip(void **state)
{
	uint64_t p, q;

	(void)state;
	p = galloc_alloc(&a, 3, 1);
	q = galloc_alloc(&a, 5, 1);
	assert_int_equal(p, BASE);
	assert_int_equal(q, BASE + 3 * G);
	assert_int_equal(galloc_free_bytes(&a), 56 * G);
	assert_true(galloc_free(&a, p, 3));
	assert_true(galloc_free(&a, q, 5));
	assert_int_equal(galloc_free_bytes(&a), 64 * G);
	/* Everything free again: the same first fit comes back. */
	assert_int_equal(galloc_alloc(&a, 64, 1), BASE);
	assert_int_equal(galloc_free_bytes(&a), 0);
}

static void test_alignment_is_physical(void **state)
{
	uint64_t p;

	(void)state;
	/* Base 1 MiB past a 2 MiB boundary: index 0 is not 2 MiB aligned. */
	assert_true(galloc_init(&a, BASE + 1 * MiB, 8 * MiB, G));
	p = galloc_alloc(&a, 1, 512);
	assert_int_equal(p, BASE + 2 * MiB);
	assert_true(IS_ALIGNED(p, 2 * MiB));
	p = galloc_alloc(&a, 1, 512);
	assert_int_equal(p, BASE + 4 * MiB);
	/* The unaligned head is still there for small requests. */
	assert_int_equal(galloc_alloc(&a, 1, 1), BASE + 1 * MiB);
	/* Alignment that no granule of the range meets. */
	assert_true(galloc_init(&a, BASE + 1 * MiB, 1 * MiB, G));
	assert_int_equal(galloc_alloc(&a, 1, 512), 0);
	assert_int_equal(galloc_free_bytes(&a), 1 * MiB);
}

static void test_first_fit_skips_used_runs(void **state)
{
	uint64_t p0, p1, p2, big;

	(void)state;
	p0 = galloc_alloc(&a, 2, 1);
	p1 = galloc_alloc(&a, 2, 1);
	p2 = galloc_alloc(&a, 2, 1);
	assert_true(galloc_free(&a, p1, 2));
	/* A 3-granule request does not fit the 2-granule hole. */
	big = galloc_alloc(&a, 3, 1);
	assert_int_equal(big, p2 + 2 * G);
	/* A 2-granule one does, first. */
	assert_int_equal(galloc_alloc(&a, 2, 1), p1);
	/* Aligned request after used granules lands on the next aligned start. */
	assert_int_equal(galloc_alloc(&a, 4, 4), BASE + 12 * G);
	(void)p0;
}

static void test_bad_requests(void **state)
{
	(void)state;
	assert_int_equal(galloc_alloc(&a, 0, 1), 0);
	assert_int_equal(galloc_alloc(&a, 1, 0), 0);
	assert_int_equal(galloc_alloc(&a, 1, 3), 0);
	assert_int_equal(galloc_alloc(&a, 1, 6), 0);
	assert_int_equal(galloc_alloc(&a, 65, 1), 0);
	assert_int_equal(galloc_free_bytes(&a), 64 * G);
}

static void test_bad_frees_change_nothing(void **state)
{
	uint64_t p, used[64 / 64];

	(void)state;
	p = galloc_alloc(&a, 4, 1);
	assert_int_equal(p, BASE);
	memcpy(used, a.used, sizeof(used));

	assert_false(galloc_free(&a, p + 4 * G, 1));          /* never allocated */
	assert_false(galloc_free(&a, p + 2 * G, 4));          /* runs into free ones */
	assert_false(galloc_free(&a, p, 0));                  /* nothing */
	assert_false(galloc_free(&a, p + 1, 1));              /* not a granule start */
	assert_false(galloc_free(&a, BASE - G, 1));           /* below the range */
	assert_false(galloc_free(&a, BASE + 64 * G, 1));      /* past the end */
	assert_false(galloc_free(&a, BASE + 63 * G, 2));      /* straddles the end */
	assert_false(galloc_free(&a, 0, 1));
	assert_int_equal(galloc_free_bytes(&a), 60 * G);
	assert_memory_equal(used, a.used, sizeof(used));

	assert_true(galloc_free(&a, p + G, 2));
	/* Double free of the middle, and of a run that includes it. */
	assert_false(galloc_free(&a, p + G, 2));
	assert_false(galloc_free(&a, p, 4));
	assert_int_equal(galloc_free_bytes(&a), 62 * G);
	assert_true(galloc_free(&a, p, 1));
	assert_true(galloc_free(&a, p + 3 * G, 1));
	assert_int_equal(galloc_free_bytes(&a), 64 * G);
}

static void test_exhaustion(void **state)
{
	unsigned n = 0;

	(void)state;
	while (galloc_alloc(&a, 1, 1))
		n++;
	assert_int_equal(n, 64);
	assert_int_equal(galloc_free_bytes(&a), 0);
	assert_int_equal(galloc_alloc(&a, 1, 1), 0);
	assert_true(galloc_free(&a, BASE + 17 * G, 1));
	assert_int_equal(galloc_alloc(&a, 1, 1), BASE + 17 * G);
	assert_int_equal(galloc_alloc(&a, 1, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_ranges),
		cmocka_unit_test_setup(test_alloc_free_round_trip, setup),
		cmocka_unit_test(test_alignment_is_physical),
		cmocka_unit_test_setup(test_first_fit_skips_used_runs, setup),
		cmocka_unit_test_setup(test_bad_requests, setup),
		cmocka_unit_test_setup(test_bad_frees_change_nothing, setup),
		cmocka_unit_test_setup(test_exhaustion, setup),
	};

	return cmocka_run_group_tests_name("galloc", tests, NULL, NULL);
}
