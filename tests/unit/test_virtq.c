// SPDX-License-Identifier: GPL-2.0
/*
 * The split-virtqueue walker (devices/virtq.c) against hostile drivers:
 * loops, indexes out of range, buffers outside guest RAM, bad ordering,
 * bad indirect tables, runaway avail indexes, and random garbage.
 */
#include <stdlib.h>
#include <hv/state.h>
#include <hv/virtq.h>
#include "unit.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (256 * 1024ULL)
#define DESC_IPA (RAM_IPA + 0x0000)
#define AVAIL_IPA (RAM_IPA + 0x4000)
#define USED_IPA (RAM_IPA + 0x5000)
#define DATA_IPA (RAM_IPA + 0x10000)
#define QSIZE 128

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static struct vm *vm;
static uint8_t *ram;
static struct virtq vq;
static struct virtq_chain chain;

static void *at(uint64_t ipa)
{
	return ram + (ipa - RAM_IPA);
}

static struct desc *desc_table(void)
{
	return at(DESC_IPA);
}

/* Fresh rings and queue state, the same guest RAM. */
static void reset_rings(void)
{
	memset(ram, 0, RAM_SIZE);
	vq = (struct virtq){ .size = QSIZE, .ready = true, .desc = DESC_IPA, .avail = AVAIL_IPA,
			     .used = USED_IPA };
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	if (posix_memalign((void **)&ram, 4096, RAM_SIZE))
		return -1;
	memset(ram, 0, RAM_SIZE);
	vm = &hv_state->vms[1];
	vm->state = VM_STATE_RUNNING;
	vm->board.mem_count = 1;
	vm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = hv_pa(ram), .size = RAM_SIZE };
	vq = (struct virtq){ .size = QSIZE, .ready = true, .desc = DESC_IPA, .avail = AVAIL_IPA,
			     .used = USED_IPA };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	unit_state_free();
	return 0;
}

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_table()[i] = (struct desc){ addr, len, flags, next };
}

/* Offer the chain starting at head as the next available entry. */
static void offer(uint16_t head)
{
	uint16_t *avail = at(AVAIL_IPA);
	uint16_t idx = avail[1];

	avail[2 + idx % QSIZE] = head;
	avail[1] = (uint16_t)(idx + 1);
}

static int pop(void)
{
	return virtq_pop(vm, &vq, &chain);
}

static void test_simple_chain_and_push(void **state)
{
	uint16_t *used_idx = at(USED_IPA + 2);
	uint32_t *used_elem = at(USED_IPA + 4);

	(void)state;
	assert_int_equal(virtq_validate(vm, &vq), VIRTQ_OK);
	assert_int_equal(pop(), VIRTQ_EMPTY);
	set_desc(5, DATA_IPA, 16, VIRTQ_DESC_F_NEXT, 9);
	set_desc(9, DATA_IPA + 512, 512, VIRTQ_DESC_F_WRITE, 0);
	offer(5);
	assert_int_equal(pop(), VIRTQ_OK);
	assert_int_equal(chain.head, 5);
	assert_int_equal(chain.count, 2);
	assert_int_equal(chain.readable, 1);
	assert_ptr_equal(chain.seg[0].ptr, at(DATA_IPA));
	assert_int_equal(chain.seg[1].len, 512);
	assert_true(chain.seg[1].device_writes);
	assert_int_equal(pop(), VIRTQ_EMPTY);

	assert_int_equal(virtq_push(vm, &vq, &chain, 100), VIRTQ_OK);
	assert_int_equal(*used_idx, 1);
	assert_int_equal(used_elem[0], 5);
	assert_int_equal(used_elem[1], 100);
	/* The guest scribbling the used index does not move ours. */
	*used_idx = 77;
	chain.head = 9;
	assert_int_equal(virtq_push(vm, &vq, &chain, 1), VIRTQ_OK);
	assert_int_equal(*used_idx, 2);
	assert_int_equal(used_elem[2], 9);
}

static void expect_broken(int want)
{
	assert_int_equal(pop(), want);
	assert_true(vq.broken);
	/* A broken queue serves nothing until the device is reset. */
	assert_int_equal(pop(), VIRTQ_EMPTY);
}

static void test_loop(void **state)
{
	(void)state;
	set_desc(0, DATA_IPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA_IPA, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_broken(VIRTQ_E_LOOP);
}

static void test_self_loop(void **state)
{
	(void)state;
	set_desc(3, DATA_IPA, 8, VIRTQ_DESC_F_NEXT, 3);
	offer(3);
	expect_broken(VIRTQ_E_LOOP);
}

static void test_index_out_of_range(void **state)
{
	(void)state;
	set_desc(0, DATA_IPA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	offer(0);
	expect_broken(VIRTQ_E_INDEX);
}

static void test_head_out_of_range(void **state)
{
	(void)state;
	offer(QSIZE + 7);
	expect_broken(VIRTQ_E_INDEX);
}

static void test_buffer_outside_ram(void **state)
{
	const uint64_t bad[][2] = {
		{ RAM_IPA + RAM_SIZE - 4, 8 },   /* runs past the end */
		{ RAM_IPA - 4096, 16 },          /* below */
		{ 0xfffffffffffffff0ULL, 0x20 }, /* wraps */
		{ 0x08000000, 4 },               /* the GIC: not RAM */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset_rings();
		set_desc(0, bad[i][0], (uint32_t)bad[i][1], 0, 0);
		offer(0);
		expect_broken(VIRTQ_E_BUFFER);
	}
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	set_desc(0, DATA_IPA, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(1, DATA_IPA, 8, 0, 0);
	offer(0);
	expect_broken(VIRTQ_E_ORDER);
}

/* An indirect table of N descriptors, each 8 bytes of DATA_IPA, chained in
 * order; the queue's descriptor 5 points at it. (The queue itself is
 * smaller than VIRTQ_MAX_SEGMENTS.) */
static void offer_indirect_run(uint16_t n)
{
	struct desc *ind = at(DATA_IPA + 0x1000);

	for (uint16_t i = 0; i < n; i++)
		ind[i] = (struct desc){ DATA_IPA, 8, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, i + 1 };
	set_desc(5, DATA_IPA + 0x1000, n * sizeof(struct desc), VIRTQ_DESC_F_INDIRECT, 0);
	offer(5);
}

static void test_most_segments(void **state)
{
	(void)state;
	offer_indirect_run(VIRTQ_MAX_SEGMENTS);
	assert_int_equal(pop(), VIRTQ_OK);
	assert_int_equal(chain.count, VIRTQ_MAX_SEGMENTS);
}

static void test_too_many_segments(void **state)
{
	(void)state;
	offer_indirect_run(VIRTQ_MAX_SEGMENTS + 1);
	expect_broken(VIRTQ_E_TOO_MANY);
}

static void test_indirect(void **state)
{
	struct desc *ind = at(DATA_IPA + 0x1000);

	(void)state;
	ind[0] = (struct desc){ DATA_IPA, 4, VIRTQ_DESC_F_NEXT, 2 };
	ind[2] = (struct desc){ DATA_IPA + 64, 64, VIRTQ_DESC_F_WRITE, 0 };
	set_desc(7, DATA_IPA + 0x1000, 3 * sizeof(struct desc), VIRTQ_DESC_F_INDIRECT, 0);
	offer(7);
	assert_int_equal(pop(), VIRTQ_OK);
	assert_int_equal(chain.head, 7);
	assert_int_equal(chain.count, 2);
	assert_int_equal(chain.readable, 1);
	assert_ptr_equal(chain.seg[1].ptr, at(DATA_IPA + 64));
}

static void test_bad_indirect_tables(void **state)
{
	struct desc *ind = at(DATA_IPA + 0x1000);

	(void)state;
	/* Nested indirect */
	ind[0] = (struct desc){ DATA_IPA + 0x1000, 16, VIRTQ_DESC_F_INDIRECT, 0 };
	set_desc(0, DATA_IPA + 0x1000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(VIRTQ_E_INDIRECT);

	/* Size not a whole number of descriptors */
	reset_rings();
	set_desc(0, DATA_IPA + 0x1000, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(VIRTQ_E_INDIRECT);

	/* Indirect with NEXT set */
	reset_rings();
	set_desc(0, DATA_IPA + 0x1000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(0);
	expect_broken(VIRTQ_E_INDIRECT);

	/* Loop inside the indirect table */
	reset_rings();
	ind = at(DATA_IPA + 0x1000);
	ind[0] = (struct desc){ DATA_IPA, 4, VIRTQ_DESC_F_NEXT, 1 };
	ind[1] = (struct desc){ DATA_IPA, 4, VIRTQ_DESC_F_NEXT, 0 };
	set_desc(0, DATA_IPA + 0x1000, 2 * sizeof(struct desc), VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(VIRTQ_E_LOOP);

	/* Next beyond the indirect table */
	reset_rings();
	ind = at(DATA_IPA + 0x1000);
	ind[0] = (struct desc){ DATA_IPA, 4, VIRTQ_DESC_F_NEXT, 5 };
	set_desc(0, DATA_IPA + 0x1000, 2 * sizeof(struct desc), VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(VIRTQ_E_INDEX);

	/* The table itself outside RAM */
	reset_rings();
	set_desc(0, RAM_IPA + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken(VIRTQ_E_INDIRECT);
}

static void test_bad_rings(void **state)
{
	const uint16_t sizes[] = { 0, 6, 2048, 1023 };

	(void)state;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		vq.size = sizes[i];
		assert_int_equal(virtq_validate(vm, &vq), VIRTQ_E_RING);
	}
	vq.size = QSIZE;
	vq.desc = DESC_IPA + 8; /* misaligned */
	assert_int_equal(virtq_validate(vm, &vq), VIRTQ_E_RING);
	vq.desc = RAM_IPA + RAM_SIZE - 16 * QSIZE + 16; /* runs past RAM */
	assert_int_equal(virtq_validate(vm, &vq), VIRTQ_E_RING);
	vq.desc = DESC_IPA;
	vq.used = 0x1000;
	assert_int_equal(virtq_validate(vm, &vq), VIRTQ_E_RING);
	assert_int_equal(pop(), VIRTQ_E_RING);
	assert_true(vq.broken);
}

static void test_avail_runs_ahead(void **state)
{
	uint16_t *avail = at(AVAIL_IPA);

	(void)state;
	avail[1] = QSIZE + 1;
	expect_broken(VIRTQ_E_AVAIL);
}

/* Random bytes in every ring: whatever comes back must lie in guest RAM
 * (ASan would see any read or write outside the buffer). */
static void test_random_garbage(void **state)
{
	unsigned ok = 0, broken = 0;

	(void)state;
	srand(12345);
	for (int round = 0; round < 3000; round++) {
		for (unsigned i = 0; i < 0x6000; i++)
			ram[i] = (uint8_t)rand();
		/* Most descriptors and heads plausible, the rest pure garbage, so that
		 * chains get walked and every refusal gets hit. */
		for (unsigned i = 0; i < QSIZE; i++) {
			struct desc *d = &desc_table()[i];

			if (rand() % 8 == 0)
				continue;
			d->addr = RAM_IPA + (uint64_t)(rand() % (int)RAM_SIZE);
			d->len = (uint32_t)(rand() % 2048);
			d->next = (uint16_t)(rand() % (QSIZE + 2));
			if (rand() % 4)
				d->flags &= VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE;
			if (rand() % 2)
				d->flags &= (uint16_t)~VIRTQ_DESC_F_NEXT;
		}
		for (unsigned i = 0; i < QSIZE; i++)
			if (rand() % 8)
				((uint16_t *)at(AVAIL_IPA))[2 + i] = (uint16_t)(rand() % QSIZE);
		vq = (struct virtq){ .size = QSIZE, .ready = true, .desc = DESC_IPA,
				     .avail = AVAIL_IPA, .used = USED_IPA,
				     .last_avail = (uint16_t)rand() };
		((uint16_t *)at(AVAIL_IPA))[1] = (uint16_t)(vq.last_avail + 1 + rand() % 4);
		for (int n = 0; n < 4; n++) {
			int rc = pop();

			if (rc == VIRTQ_OK) {
				ok++;
				assert_true(chain.count >= 1 && chain.count <= VIRTQ_MAX_SEGMENTS);
				for (unsigned s = 0; s < chain.count; s++) {
					uint8_t *p = chain.seg[s].ptr;

					if (!chain.seg[s].len)
						continue;
					assert_true(p >= ram && p + chain.seg[s].len <= ram + RAM_SIZE);
				}
				virtq_push(vm, &vq, &chain, 0);
			} else if (rc < 0) {
				broken++;
				break;
			}
		}
	}
	/* Both outcomes were exercised. */
	assert_true(ok > 0);
	assert_true(broken > 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_simple_chain_and_push),
		T(test_loop),
		T(test_self_loop),
		T(test_index_out_of_range),
		T(test_head_out_of_range),
		T(test_buffer_outside_ram),
		T(test_readable_after_writable),
		T(test_most_segments),
		T(test_too_many_segments),
		T(test_indirect),
		T(test_bad_indirect_tables),
		T(test_bad_rings),
		T(test_avail_runs_ahead),
		T(test_random_garbage),
	};

	return cmocka_run_group_tests_name("virtq", tests, NULL, NULL);
}
