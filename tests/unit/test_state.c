// SPDX-License-Identifier: GPL-2.0
/*
 * The state area (core/state.c): what a fresh one holds, and the checks a
 * new hypervisor image makes before it takes over a running one's
 * (state_adopt). The layout fingerprint is tied to the version: a change
 * of struct hv_state, or of any record in it, that does not bump
 * HV_STATE_VERSION fails here.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/sha256.h>
#include <hv/state.h>
#include <state_layout.h>
#include "unit.h"

/*
 * Each state layout version and the fingerprint of its layout on the host
 * (tools/state-layout.py). Changed struct hv_state, or a record in it?
 * Bump HV_STATE_VERSION (hv/state.h, with a line on what changed) and add
 * the new pair here; live update will need a conversion from the old one.
 */
static const struct {
	uint32_t version;
	uint64_t layout;
} known_layouts[] = {
	{ 4, 0xc294e26a7eb45c5aULL },
	{ 5, 0xe36c5ab5740d8790ULL },
	{ 6, 0x8260aea75450831aULL },
	{ 7, 0xd673775c38601a53ULL },
};

static struct hv_state *area;

static int setup(void **state)
{
	(void)state;
	fake_reset();
	area = unit_state_new();
	return area ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unit_state_free();
	return 0;
}

static void test_layout_is_known_for_this_version(void **state)
{
	bool found = false;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(known_layouts); i++) {
		if (known_layouts[i].version != HV_STATE_VERSION)
			continue;
		found = true;
		if (known_layouts[i].layout != HV_STATE_LAYOUT)
			fail_msg("struct hv_state's layout changed (now %#llx) but HV_STATE_VERSION "
				 "is still %u: bump it and record the new layout in test_state.c",
				 (unsigned long long)HV_STATE_LAYOUT, HV_STATE_VERSION);
	}
	if (!found)
		fail_msg("HV_STATE_VERSION %u has no recorded layout: add { %u, %#llxULL } to "
			 "known_layouts in test_state.c", HV_STATE_VERSION, HV_STATE_VERSION,
			 (unsigned long long)HV_STATE_LAYOUT);
	assert_int_equal(area->layout, HV_STATE_LAYOUT);
}

/*
 * A new image converts from older layouts by their descriptions, recorded
 * in hypervisor/state-layouts/vN.txt when N was current (make -C
 * hypervisor record-state-layout): this version's must be there, and be
 * this layout. (SHYPER_STATE_LAYOUTS: the folder, from the Makefile.)
 */
static void test_layout_is_recorded(void **state)
{
	const char *dir = getenv("SHYPER_STATE_LAYOUTS");
	char path[4096], text[16384];
	uint8_t digest[32];
	uint64_t fingerprint = 0;
	size_t len;
	FILE *f;

	(void)state;
	if (!dir || !*dir)
		skip();
	snprintf(path, sizeof(path), "%s/v%u.txt", dir, HV_STATE_VERSION);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s is missing: run 'make -C hypervisor O=build/hypervisor "
			 "record-state-layout' and commit it", path);
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	while (len && text[len - 1] == '\n')
		len--;
	sha256(text, len, digest);
	for (unsigned i = 0; i < 8; i++)
		fingerprint = fingerprint << 8 | digest[i];
	if (fingerprint != HV_STATE_LAYOUT)
		fail_msg("%s describes layout %#llx, not this one (%#llx): the layout changed "
			 "after version %u was recorded; bump HV_STATE_VERSION", path,
			 (unsigned long long)fingerprint, (unsigned long long)HV_STATE_LAYOUT,
			 HV_STATE_VERSION);
}

static void test_fresh_area(void **state)
{
	(void)state;
	assert_int_equal(area->magic, HV_STATE_MAGIC);
	assert_int_equal(area->version, HV_STATE_VERSION);
	assert_int_equal(area->size, sizeof(struct hv_state));
	for (unsigned i = 0; i < MAX_VMS; i++)
		assert_int_equal(area->vms[i].id, i);
	/* No SPI has an owner yet. */
	for (uint32_t intid = 32; intid < 32 + VGIC_MAX_SPIS && intid < irqchip_nr_irqs; intid++)
		assert_int_equal(irq_spi_owner(intid), -1);
}

static void test_adopt_takes_a_matching_area_and_frees_its_locks(void **state)
{
	(void)state;
	hv_state = NULL;
	area->pool.lock.next = 3;
	area->vms[2].vgic.lock.next = 1;
	area->vms[2].vcpus[1].vgic.lock.next = 7;
	area->vms[5].virtio[1].lock.next = 2;
	area->vms[1].name[0] = 'x';
	assert_int_equal(state_adopt(area, sizeof(*area)), STATE_ADOPTED);
	assert_ptr_equal(hv_state, area);
	assert_int_equal(area->pool.lock.next, area->pool.lock.owner);
	assert_int_equal(area->vms[2].vgic.lock.next, area->vms[2].vgic.lock.owner);
	assert_int_equal(area->vms[2].vcpus[1].vgic.lock.next, 0);
	assert_int_equal(area->vms[5].virtio[1].lock.next, 0);
	assert_int_equal(area->vms[1].name[0], 'x'); /* the rest as it was */
}

static void test_adopt_refuses_and_changes_nothing(void **state)
{
	static const struct {
		const char *what;
		size_t offset;
		uint64_t value;
		unsigned width;
		enum state_adopt_result want;
	} bad[] = {
		{ "magic", offsetof(struct hv_state, magic), 0x1234, 8, STATE_NOT_A_STATE },
		{ "newer", offsetof(struct hv_state, version), HV_STATE_VERSION + 1, 4,
		  STATE_VERSION_NEWER },
		{ "older", offsetof(struct hv_state, version), HV_STATE_VERSION - 1, 4,
		  STATE_VERSION_OLDER },
		{ "layout", offsetof(struct hv_state, layout), HV_STATE_LAYOUT ^ 1, 8,
		  STATE_LAYOUT_DIFFERS },
		{ "size", offsetof(struct hv_state, size), sizeof(struct hv_state) - 8, 4,
		  STATE_TOO_SMALL },
	};
	struct hv_state *copy = malloc(sizeof(*copy));

	(void)state;
	assert_non_null(copy);
	area->pool.lock.next = 3;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct hv_state *before = hv_state;

		memcpy((char *)area + bad[i].offset, &bad[i].value, bad[i].width);
		memcpy(copy, area, sizeof(*copy));
		if (state_adopt(area, sizeof(*area)) != bad[i].want)
			fail_msg("%s: got %d", bad[i].what, state_adopt(area, sizeof(*area)));
		assert_string_not_equal(state_adopt_result_name(bad[i].want), "?");
		assert_memory_equal(copy, area, sizeof(*copy)); /* not a byte changed */
		assert_ptr_equal(hv_state, before);
		state_create(area, sizeof(*area));
		area->pool.lock.next = 3;
	}
	/* Too little room for the area, or for its header. */
	assert_int_equal(state_adopt(area, sizeof(*area) - 1), STATE_TOO_SMALL);
	assert_int_equal(state_adopt(area, 8), STATE_NOT_A_STATE);
	free(copy);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_layout_is_known_for_this_version),
		cmocka_unit_test(test_layout_is_recorded),
		T(test_fresh_area),
		T(test_adopt_takes_a_matching_area_and_frees_its_locks),
		T(test_adopt_refuses_and_changes_nothing),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
