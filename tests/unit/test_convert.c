// SPDX-License-Identifier: GPL-2.0
/*
 * State layout conversion (core/state_convert.c): records described as
 * tools/state-layout.py describes them, converted field by field by name;
 * malformed or inconsistent descriptions refused before anything is
 * written; and the state area itself through its own description.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hv/state.h>
#include <hv/state_convert.h>
#include <state_layout.h>
#include "unit.h"

/* An old record, and a new one: a field added first, two swapped, an array
 * shortened whose elements grew a field and a longer array inside, one
 * field dropped, one widened. */
struct old_item {
	uint16_t x;
	uint8_t y[3];
};

struct old_rec {
	uint32_t a;
	uint64_t b;
	struct old_item items[4];
	uint32_t gone;
	uint32_t wide;
	uint8_t grid[2][3];
};

struct new_item {
	uint8_t y[5];
	uint16_t x;
	uint32_t z;
};

struct new_rec {
	uint64_t added;
	uint64_t b;
	uint32_t a;
	struct new_item items[2];
	uint64_t wide;
	uint8_t grid[3][2];
};

static char old_desc[512], new_desc[512];

static void describe(void)
{
	snprintf(old_desc, sizeof(old_desc),
		 "s%zu{a@%zu:b4,b@%zu:b8,items@%zu:a[4]s%zu{x@%zu:b2,y@%zu:a[3]b1},gone@%zu:b4,"
		 "wide@%zu:b4,grid@%zu:a[2][3]b1}",
		 sizeof(struct old_rec), offsetof(struct old_rec, a), offsetof(struct old_rec, b),
		 offsetof(struct old_rec, items), sizeof(struct old_item),
		 offsetof(struct old_item, x), offsetof(struct old_item, y),
		 offsetof(struct old_rec, gone), offsetof(struct old_rec, wide),
		 offsetof(struct old_rec, grid));
	snprintf(new_desc, sizeof(new_desc),
		 "s%zu{added@%zu:b8,b@%zu:b8,a@%zu:b4,items@%zu:a[2]s%zu{y@%zu:a[5]b1,x@%zu:b2,"
		 "z@%zu:b4},wide@%zu:b8,grid@%zu:a[3][2]b1}",
		 sizeof(struct new_rec), offsetof(struct new_rec, added), offsetof(struct new_rec, b),
		 offsetof(struct new_rec, a), offsetof(struct new_rec, items), sizeof(struct new_item),
		 offsetof(struct new_item, y), offsetof(struct new_item, x),
		 offsetof(struct new_item, z), offsetof(struct new_rec, wide),
		 offsetof(struct new_rec, grid));
}

static void test_fields_by_name(void **state)
{
	struct old_rec o = { .a = 0x11111111, .b = 0x2222222222222222ULL, .gone = 7,
			     .wide = 0xfeedf00d, .grid = { { 1, 2, 3 }, { 4, 5, 6 } } };
	struct new_rec n;

	(void)state;
	describe();
	for (unsigned i = 0; i < 4; i++)
		o.items[i] = (struct old_item){ .x = (uint16_t)(0x100 + i), .y = { 1, 2, (uint8_t)i } };
	memset(&n, 0, sizeof(n));
	assert_int_equal(layout_convert(&n, sizeof(n), new_desc, &o, sizeof(o), old_desc),
			 CONVERT_OK);
	assert_int_equal(n.added, 0);
	assert_int_equal(n.a, 0x11111111);
	assert_int_equal(n.b, 0x2222222222222222ULL);
	assert_int_equal(n.wide, 0xfeedf00d);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(n.items[i].x, 0x100 + i);
		assert_int_equal(n.items[i].y[0], 1);
		assert_int_equal(n.items[i].y[1], 2);
		assert_int_equal(n.items[i].y[2], i);
		assert_int_equal(n.items[i].y[3], 0);
		assert_int_equal(n.items[i].y[4], 0);
		assert_int_equal(n.items[i].z, 0);
	}
	/* Element [i][j] goes to [i][j] where both have it. */
	assert_int_equal(n.grid[0][0], 1);
	assert_int_equal(n.grid[0][1], 2);
	assert_int_equal(n.grid[1][0], 4);
	assert_int_equal(n.grid[1][1], 5);
	assert_int_equal(n.grid[2][0], 0);
	assert_int_equal(n.grid[2][1], 0);

	/* And back: the fields the old record has, nothing else. */
	memset(&o, 0, sizeof(o));
	n.added = 99;
	assert_int_equal(layout_convert(&o, sizeof(o), old_desc, &n, sizeof(n), new_desc),
			 CONVERT_OK);
	assert_int_equal(o.a, 0x11111111);
	assert_int_equal(o.items[1].x, 0x101);
	assert_int_equal(o.items[2].x, 0);
	assert_int_equal(o.gone, 0);
	assert_int_equal(o.wide, 0xfeedf00d); /* narrowed: its low bytes */
}

static void test_bad_descriptions(void **state)
{
	static const char *const bad[] = {
		"",
		"s16",
		"s16{a@0:b4",
		"s16{a@0:b4,}",
		"s16{a@0:q4}",
		"s16{a@0:b4}x",
		"s16{a0:b4}",
		"s16{a@0/3+1:b4}",               /* a bit-field */
		"s16{a@12:b8}",                 /* past the end of its record */
		"s16{a@0:a[3]b8}",              /* an array past the end */
		"s16{a@0:a[1][1][1][1]b1}",      /* too many bounds */
		"s16{a@0:<recursive>}",
		"a[2]s8{a@0:b8}",               /* not a record */
		"s99999999999999{a@0:b8}",      /* absurd numbers */
		"s8{a@0:s8{b@0:s8{c@0:s8{d@0:s8{e@0:s8{f@0:s8{g@0:s8{h@0:s8{i@0:s8{j@0:s8{k@0:s8{"
		"l@0:s8{m@0:s8{n@0:s8{o@0:s8{p@0:s8{q@0:b8}}}}}}}}}}}}}}}}}", /* too deep */
	};
	uint8_t dst[64], src[64];

	(void)state;
	memset(src, 0x5a, sizeof(src));
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(dst, 0, sizeof(dst));
		if (layout_convert(dst, sizeof(dst), bad[i], src, 16, "s16{a@0:b8,b@8:b8}") !=
		    CONVERT_BAD_DESCRIPTION)
			fail_msg("new description accepted: %s", bad[i]);
		if (layout_convert(dst, sizeof(dst), "s16{a@0:b8,b@8:b8}", src, 16, bad[i]) !=
		    CONVERT_BAD_DESCRIPTION)
			fail_msg("old description accepted: %s", bad[i]);
		for (unsigned k = 0; k < sizeof(dst); k++)
			assert_int_equal(dst[k], 0);
	}
	/* Sizes: the old area must be its description's size, ours must fit. */
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{a@0:b8}", src, 24, "s16{a@0:b8}"),
			 CONVERT_SIZE_MISMATCH);
	assert_int_equal(layout_convert(dst, 8, "s16{a@0:b8}", src, 16, "s16{a@0:b8}"),
			 CONVERT_NO_ROOM);
	assert_int_equal(dst[0], 0);
	/* A member whose kind changed (bytes to a record) starts at zero. */
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{a@0:s8{x@0:b8}}", src, 16,
					"s16{a@0:b8}"), CONVERT_OK);
	assert_int_equal(dst[0], 0);
	/* Unnamed members match in order. */
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{@8:b8,@0:b8}", src, 16,
					"s16{@0:b8,@8:b1}"), CONVERT_OK);
	assert_int_equal(dst[8], 0x5a);
	assert_int_equal(dst[0], 0x5a);
	assert_int_equal(dst[1], 0);
}

/* The state area through its own recorded description: what it holds comes
 * across, and an area of a version this build does not know is refused. */
static void test_state_area(void **state)
{
	struct hv_state *old = calloc(1, sizeof(*old)), *new = calloc(1, sizeof(*new));

	(void)state;
	assert_non_null(old);
	assert_non_null(new);
	old->magic = HV_STATE_MAGIC;
	old->version = HV_STATE_VERSION - 1;
	old->size = sizeof(*old);
	assert_int_equal(state_convert(new, sizeof(*new), old, sizeof(*old)),
			 CONVERT_UNKNOWN_VERSION);
	/* This build converts from nothing older than itself. */
	old->version = HV_STATE_VERSION;
	old->layout = HV_STATE_LAYOUT;
	assert_int_equal(state_convert(new, sizeof(*new), old, sizeof(*old)),
			 CONVERT_UNKNOWN_VERSION);
	assert_int_equal(new->magic, 0);
	free(old);
	free(new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_by_name),
		cmocka_unit_test(test_bad_descriptions),
		cmocka_unit_test(test_state_area),
	};

	return cmocka_run_group_tests_name("convert", tests, NULL, NULL);
}
