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
#include <state_layouts.h> /* generated: the recorded descriptions */
#include <hv/vm.h>
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
	/* A member whose kind changed (bytes to a record) starts at zero... */
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{a@0:s16{x@0:b8,y@8:b8}}", src, 16,
					"s16{a@0:b8}"), CONVERT_OK);
	assert_int_equal(dst[0], 0);
	/* ... unless the record only wraps one value of its size (paddr_t): then
	 * the value comes across, both ways. */
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{a@0:s8{x@0:b8}}", src, 16,
					"s16{a@0:b8}"), CONVERT_OK);
	assert_int_equal(dst[0], 0x5a);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{a@0:b8}", src, 16,
					"s16{a@0:s8{x@0:s8{y@0:b8}}}"), CONVERT_OK);
	assert_int_equal(dst[0], 0x5a);
	memset(dst, 0, sizeof(dst));
	/* A record made of a parent's members (a grouping a layout version
	 * names, as layout 6 grouped each VM's board part) takes them from the
	 * parent, and back. */
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{vms@0:s16{board@0:s8{s2@0:b8},id@8:b8}}",
					src, 16, "s16{vms@0:s16{id@0:b8,s2@8:b8}}"), CONVERT_OK);
	assert_int_equal(dst[0], 0x5a);
	assert_int_equal(dst[8], 0x5a);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{vms@0:s16{s2@0:b8,id@8:b8}}", src, 16,
					"s16{vms@0:s16{board@0:s8{s2@0:b8},id@8:b8}}"), CONVERT_OK);
	assert_int_equal(dst[0], 0x5a);
	assert_int_equal(dst[8], 0x5a);
	memset(dst, 0, sizeof(dst));
	/* Another record of that name is not a grouping: new, so zero. */
	assert_int_equal(layout_convert(dst, sizeof(dst), "s16{x@0:s16{board@0:s8{s2@0:b8},id@8:b8}}",
					src, 16, "s16{x@0:s16{id@0:b8,s2@8:b8}}"), CONVERT_OK);
	assert_int_equal(dst[0], 0);
	assert_int_equal(dst[8], 0x5a);
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
	old->version = HV_STATE_VERSION_MIN - 1;
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

/* Bytes that say where they are: a field copied from the wrong place shows. */
static void fill(void *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(seed + i * 7);
}

/*
 * Our area, converted to the previous recorded layout and back: what both
 * layouts have survives, wherever the newer one moved it (the VM's board
 * part grouped, its addresses typed); what is new comes back zero. The
 * descriptions are the recorded ones, so the older layout is the one a
 * running older image really has.
 */
static void test_round_trip_through_previous_layout(void **state)
{
	const struct state_layout_record *ours = &state_layouts[ARRAY_SIZE(state_layouts) - 1];
	const struct state_layout_record *prev = NULL;
	struct hv_state *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	uint8_t *old = calloc(1, HV_STATE_ROOM);
	struct vm *va, *vb;
	uint64_t prev_size;

	(void)state;
	for (unsigned i = 0; i + 1 < ARRAY_SIZE(state_layouts); i++)
		if (state_layouts[i].version == HV_STATE_VERSION - 1)
			prev = &state_layouts[i];
	if (!prev)
		skip(); /* nothing older is recorded for this build */
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(old);
	va = &a->vms[2];
	va->id = 2;
	va->state = VM_STATE_RUNNING;
	snprintf(va->name, sizeof(va->name), "round-trip");
	fill(va->uuid, sizeof(va->uuid), 3);
	va->vcpu_count = 2;
	va->board.s2.root = pa_init(0x12345000);
	va->board.s2.root_entries = 1024;
	va->board.vmid = 3;
	va->board.mem_count = 1;
	va->board.mem[0] = (struct mem_region){
		.ipa = ipa_init(0x40000000), .pa = pa_init(0x80200000), .size = 64 * MiB
	};
	va->board.dev_count = 2;
	va->board.dev[1] = (struct mmio_range){ 0x9000000, 0x1000 };
	va->board.passthrough_count = 1;
	va->board.passthrough[0] = (struct vm_passthrough){ .base = 0x9010000, .length = 0x1000,
							    .spi = 2 };
	va->board.dirty.pages = 77; /* new in layout 6: does not survive layout 5 */
	va->vcpus[1].run_ticks = 55; /* new in layout 7: do not survive layout 6 */
	va->vcpus[1].irqs = 66;
	va->virtio_counts[3].bytes_in = 88;
	va->board.cntvoff = 99;
	fill(&va->vcpus[1].regs, sizeof(va->vcpus[1].regs), 11);
	fill(&va->vcpus[1].sys, sizeof(va->vcpus[1].sys), 13);
	fill(va->console.out, sizeof(va->console.out), 17);
	fill(va->console.rx, sizeof(va->console.rx), 19);
	va->console.out_written = 123456;
	va->console.rx_tail = 7;
	va->console.dmacr = 3;
	va->console.notify_armed = true;

	/* The recorded record's size is its first number: s<size>{... */
	prev_size = strtoull(prev->description + 1, NULL, 10);
	assert_true(prev_size > 0 && prev_size <= HV_STATE_ROOM);
	assert_int_equal(layout_convert(old, prev_size, prev->description, a, sizeof(*a),
					ours->description), CONVERT_OK);
	assert_int_equal(layout_convert(b, sizeof(*b), ours->description, old, prev_size,
					prev->description), CONVERT_OK);
	vb = &b->vms[2];
	assert_string_equal(vb->name, "round-trip");
	assert_memory_equal(vb->uuid, va->uuid, sizeof(va->uuid));
	assert_int_equal(vb->state, VM_STATE_RUNNING);
	assert_int_equal(vb->vcpu_count, 2);
	assert_int_equal(pa_addr(vb->board.s2.root), 0x12345000);
	assert_int_equal(vb->board.s2.root_entries, 1024);
	assert_int_equal(vb->board.vmid, 3);
	assert_int_equal(vb->board.mem_count, 1);
	assert_int_equal(ipa_addr(vb->board.mem[0].ipa), 0x40000000);
	assert_int_equal(pa_addr(vb->board.mem[0].pa), 0x80200000);
	assert_int_equal(vb->board.mem[0].size, 64 * MiB);
	assert_int_equal(vb->board.dev_count, 2);
	assert_int_equal(vb->board.dev[1].base, 0x9000000);
	assert_int_equal(vb->board.passthrough_count, 1);
	assert_int_equal(vb->board.passthrough[0].spi, 2);
	assert_memory_equal(&vb->vcpus[1].regs, &va->vcpus[1].regs, sizeof(va->vcpus[1].regs));
	assert_memory_equal(&vb->vcpus[1].sys, &va->vcpus[1].sys, sizeof(va->vcpus[1].sys));
	/* (Member by member: the padding between them is not state.) */
	assert_memory_equal(vb->console.out, va->console.out, sizeof(va->console.out));
	assert_memory_equal(vb->console.rx, va->console.rx, sizeof(va->console.rx));
	assert_int_equal(vb->console.out_written, va->console.out_written);
	assert_int_equal(vb->console.rx_tail, va->console.rx_tail);
	assert_int_equal(vb->console.dmacr, va->console.dmacr);
	assert_int_equal(vb->console.notify_armed, va->console.notify_armed);
	if (HV_STATE_VERSION == 6) {
		/* What layout 6 brought starts at zero after a conversion from 5. */
		assert_int_equal(vb->board.dirty.pages, 0);
		assert_int_equal(vb->board.cntvoff, 0);
	}
	if (HV_STATE_VERSION == 7) {
		/* What layout 7 brought starts at zero after a conversion from 6;
		 * what 6 brought survives. */
		assert_int_equal(vb->vcpus[1].run_ticks, 0);
		assert_int_equal(vb->vcpus[1].irqs, 0);
		assert_int_equal(vb->virtio_counts[3].bytes_in, 0);
		assert_int_equal(vb->board.dirty.pages, 77);
		assert_int_equal(vb->board.cntvoff, 99);
	}
	free(a);
	free(b);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_by_name),
		cmocka_unit_test(test_bad_descriptions),
		cmocka_unit_test(test_state_area),
		cmocka_unit_test(test_round_trip_through_previous_layout),
	};

	return cmocka_run_group_tests_name("convert", tests, NULL, NULL);
}
