// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page logging and the migration calls (core/dirty.c, core/migrate.c,
 * through core/hypercall.c as the MVM makes them): the guest's RAM goes
 * read-only page by page, a write fault marks its page and lets the write
 * through, the hypervisor's own writes are marked, a fetch reads and clears
 * and protects again; and every bad argument is refused with nothing
 * changed.
 */
#include <stdlib.h>
#include <hv/dirty.h>
#include <hv/guest_mem.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/stage2.h>
#include <hv/state.h>
#include <shyper/abi.h>
#include "mvm_fixture.h"
#include "unit.h"

#define LIST_IPA (MVM_RAM_IPA + 0x4000)
#define BITMAP_IPA (MVM_RAM_IPA + 0x8000)
#define DATA_IPA (MVM_RAM_IPA + 0x100000)
#define GUEST_MEM (4 * MiB)
#define GUEST_PAGES (GUEST_MEM / PAGE_SIZE)

static struct vm *vm;
static uint64_t heap_free_at_start;

static uint8_t *guest_page(uint64_t page)
{
	return hv_ptr(pa_add(vm->board.mem[0].pa, page * PAGE_SIZE));
}

static ipaddr_t page_ipa(uint64_t page)
{
	return ipa_init(SHYPER_GUEST_RAM_BASE + page * PAGE_SIZE);
}

static bool writable(uint64_t page)
{
	uint64_t attrs = 0;

	assert_true(stage2_lookup(&vm->board.s2, page_ipa(page), NULL, &attrs));
	return attrs & PTE_S2_WRITE;
}

static int setup(void **state)
{
	struct shyper_vm_config *c;

	(void)state;
	if (mvm_fixture_setup(1024))
		return -1;
	c = guest_config("moving", 1, GUEST_MEM);
	c->dtb_ipa = SHYPER_GUEST_RAM_BASE + 0x200000;
	vm = guest_create();
	if (!vm)
		return -1;
	heap_free_at_start = heap_free_bytes();
	return 0;
}

static uint64_t start(void)
{
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, vm->id, SHYPER_DIRTY_START, 0, 0), SHYPER_OK);
	return caller->regs.x[1];
}

/* Fetch the whole bitmap into the MVM; returns the dirty count. */
static uint64_t fetch(void)
{
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_FETCH, vm->id, 0, BITMAP_IPA, GUEST_PAGES / 8),
			 SHYPER_OK);
	return caller->regs.x[1];
}

static bool bit(uint64_t page)
{
	const uint8_t *map = in_mvm(BITMAP_IPA);

	return map[page / 8] & (1U << (page % 8));
}

static void test_start_protects_every_page_and_stop_undoes_it(void **state)
{
	uint32_t tables_before = pgtable_table_count(&vm->board.s2);

	(void)state;
	assert_true(writable(0) && writable(GUEST_PAGES - 1));
	assert_int_equal(start(), GUEST_PAGES);
	for (uint64_t p = 0; p < GUEST_PAGES; p += 97)
		assert_false(writable(p));
	assert_false(writable(GUEST_PAGES - 1));
	/* Split into pages: two 2 MiB blocks became two tables of pages. */
	assert_int_equal(pgtable_table_count(&vm->board.s2), tables_before + 2);
	assert_true(fake_vmid_flushes > 0);
	/* Twice is refused. */
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, vm->id, SHYPER_DIRTY_START, 0, 0),
			 SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, vm->id, SHYPER_DIRTY_STOP, 0, 0), SHYPER_OK);
	for (uint64_t p = 0; p < GUEST_PAGES; p += 97)
		assert_true(writable(p));
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, vm->id, SHYPER_DIRTY_STOP, 0, 0),
			 SHYPER_E_BUSY);
	/* The bitmap went back to the heap (the split tables stay with the map). */
	assert_int_equal(heap_free_bytes(), heap_free_at_start - 2 * PAGE_SIZE);
}

static void test_write_fault_marks_and_unprotects_one_page(void **state)
{
	unsigned flushes;

	(void)state;
	start();
	flushes = fake_ipa_flushes;
	assert_true(dirty_log_fault(vm, ipa_add(page_ipa(5), 0x123)));
	assert_true(writable(5));
	assert_false(writable(4) || writable(6));
	assert_int_equal(fake_ipa_flushes, flushes + 1);
	/* Outside its RAM: not the log's fault. */
	assert_false(dirty_log_fault(vm, ipa_init(SHYPER_GUEST_RAM_BASE + GUEST_MEM)));
	assert_false(dirty_log_fault(vm, ipa_init(0x1000)));

	assert_int_equal(fetch(), 1);
	assert_true(bit(5));
	assert_false(bit(4) || bit(6));
	/* Read and cleared, and read-only again before the MVM copies it. */
	assert_false(writable(5));
	assert_int_equal(fetch(), 0);
	assert_false(bit(5));
	/* Written again after the fetch: marked again. */
	assert_true(dirty_log_fault(vm, page_ipa(5)));
	assert_int_equal(fetch(), 1);
	assert_int_equal(vm->board.dirty.faults, 2);
}

/* A translation fault in its RAM while logging starts is the split's:
 * retried once the entry is back; one that is really missing is not. */
static void test_translation_fault_while_blocks_split(void **state)
{
	(void)state;
	assert_true(dirty_log_remapped(vm, ipa_add(page_ipa(7), 8)));
	start();
	assert_true(dirty_log_remapped(vm, page_ipa(7)));
	/* Outside its RAM: a real abort. */
	assert_false(dirty_log_remapped(vm, ipa_init(SHYPER_GUEST_RAM_BASE + GUEST_MEM)));
	assert_false(dirty_log_remapped(vm, ipa_init(0x1000)));
	/* A page of its RAM that is not mapped (never, for a real guest). */
	assert_int_equal(stage2_unmap(&vm->board.s2, page_ipa(9), PAGE_SIZE), 0);
	assert_false(dirty_log_remapped(vm, page_ipa(9)));
	assert_true(dirty_log_remapped(vm, page_ipa(10)));
}

static void test_hypervisor_writes_are_marked(void **state)
{
	uint8_t bytes[PAGE_SIZE + 2] = { 1 };

	(void)state;
	start();
	/* Across a page boundary: both pages. */
	assert_true(guest_mem_write(vm, ipa_add(page_ipa(9), PAGE_SIZE - 1), bytes, 2));
	dirty_mark(vm, page_ipa(300), sizeof(bytes)); /* three pages, from the start of 300 */
	assert_int_equal(fetch(), 2 + 2);
	assert_true(bit(9) && bit(10) && bit(300) && bit(301));
	assert_false(bit(302) || bit(8));
	/* Off: marking does nothing (and must not touch a bitmap that is gone). */
	call(SHYPER_HC_VM_DIRTY_LOG, vm->id, SHYPER_DIRTY_STOP, 0, 0);
	dirty_mark(vm, page_ipa(9), 1);
	/* Every page writable again; a fault a pCPU still takes on one (a TLB
	 * entry from before) is retried after a flush, not injected. */
	assert_true(writable(9));
	unsigned flushes = fake_ipa_flushes;
	assert_true(dirty_log_fault(vm, page_ipa(9)));
	assert_int_equal(fake_ipa_flushes, flushes + 1);
	assert_false(dirty_log_fault(vm, ipa_init(SHYPER_GUEST_RAM_BASE + GUEST_MEM)));
}

static void test_fetch_windows_and_bad_windows(void **state)
{
	uint8_t *map = in_mvm(BITMAP_IPA);

	(void)state;
	/* Not logging: busy. */
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_FETCH, vm->id, 0, BITMAP_IPA, 8), SHYPER_E_BUSY);
	start();
	dirty_mark(vm, page_ipa(64), 1);
	dirty_mark(vm, page_ipa(130), 1);
	/* A window of 64 pages from page 64. */
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_FETCH, vm->id, 64, BITMAP_IPA, 8), SHYPER_OK);
	assert_int_equal(caller->regs.x[1], 1);
	assert_int_equal(map[0], 1);
	memset(map, 0xcc, 64);
	/* Bad windows and buffers: refused, the MVM's buffer and the bitmap as they were. */
	const struct {
		uint64_t first, ipa, bytes;
		int64_t rc;
	} bad[] = {
		{ 63, BITMAP_IPA, 8, SHYPER_E_INVALID },            /* not a multiple of 64 */
		{ 0, BITMAP_IPA, 7, SHYPER_E_INVALID },             /* not whole words */
		{ 0, BITMAP_IPA, 0, SHYPER_E_INVALID },
		{ 0, BITMAP_IPA, SHYPER_DIRTY_FETCH_MAX + 8, SHYPER_E_INVALID },
		{ GUEST_PAGES * 8, BITMAP_IPA, 8, SHYPER_E_INVALID }, /* past the bitmap */
		{ 128, BITMAP_IPA, 4096, SHYPER_E_INVALID },        /* runs past it */
		{ UINT64_MAX - 63, BITMAP_IPA, 8, SHYPER_E_INVALID },
		{ 0, MVM_RAM_IPA + MVM_RAM_SIZE - 4, 8, SHYPER_E_BAD_ADDRESS },
		{ 0, 0x1000, 8, SHYPER_E_BAD_ADDRESS },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(call(SHYPER_HC_VM_DIRTY_FETCH, vm->id, bad[i].first, bad[i].ipa,
				      bad[i].bytes), bad[i].rc);
		for (unsigned k = 0; k < 64; k++)
			assert_int_equal(map[k], 0xcc);
	}
	/* Page 130 is still marked: nothing was cleared by the refusals. */
	assert_int_equal(fetch(), 1);
	assert_true(bit(130));
}

static void test_calls_only_from_the_mvm_about_a_guest(void **state)
{
	struct vcpu *g = &vm->vcpus[0];

	(void)state;
	/* About the MVM itself, or nobody: refused. */
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, 0, SHYPER_DIRTY_START, 0, 0), SHYPER_E_DENIED);
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, 6, SHYPER_DIRTY_START, 0, 0),
			 SHYPER_E_NO_ENTRY);
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, 1000, SHYPER_DIRTY_START, 0, 0),
			 SHYPER_E_NO_ENTRY);
	assert_int_equal(call(SHYPER_HC_VM_DIRTY_LOG, vm->id, 7, 0, 0), SHYPER_E_INVALID);
	assert_true(writable(0));
	/* From a guest: denied, whatever it names. */
	for (uint64_t fid = SHYPER_HC_VM_DIRTY_LOG; fid <= SHYPER_HC_VM_MEM_WRITE; fid++) {
		g->regs.x[0] = fid;
		g->regs.x[1] = vm->id;
		g->regs.x[2] = SHYPER_DIRTY_START;
		hypercall_handle(g);
		assert_int_equal((int64_t)g->regs.x[0], SHYPER_E_DENIED);
	}
	assert_true(writable(0));
	assert_false(pa_addr(vm->board.dirty.bitmap));
}

static void test_mem_read_and_write_pages(void **state)
{
	uint64_t *list = in_mvm(LIST_IPA);
	uint8_t *data = in_mvm(DATA_IPA);

	(void)state;
	for (unsigned p = 0; p < 3; p++)
		memset(guest_page(p * 100), 0x10 + p, PAGE_SIZE);
	list[0] = 200;
	list[1] = 0;
	list[2] = 100;
	assert_int_equal(call(SHYPER_HC_VM_MEM_READ, vm->id, LIST_IPA, 3, DATA_IPA), SHYPER_OK);
	assert_int_equal(data[0], 0x12);
	assert_int_equal(data[PAGE_SIZE], 0x10);
	assert_int_equal(data[3 * PAGE_SIZE - 1], 0x11);

	/* Into a guest that has never run. */
	memset(data, 0x77, PAGE_SIZE);
	list[0] = GUEST_PAGES - 1;
	assert_int_equal(call(SHYPER_HC_VM_MEM_WRITE, vm->id, LIST_IPA, 1, DATA_IPA), SHYPER_OK);
	assert_int_equal(guest_page(GUEST_PAGES - 1)[PAGE_SIZE - 1], 0x77);

	/* Bad lists: nothing written, even the good pages before a bad one. */
	memset(data, 0x99, 2 * PAGE_SIZE);
	list[0] = 7;
	list[1] = GUEST_PAGES;
	assert_int_equal(call(SHYPER_HC_VM_MEM_WRITE, vm->id, LIST_IPA, 2, DATA_IPA),
			 SHYPER_E_INVALID);
	assert_int_equal(guest_page(7)[0], 0);
	list[1] = UINT64_MAX;
	assert_int_equal(call(SHYPER_HC_VM_MEM_WRITE, vm->id, LIST_IPA, 2, DATA_IPA),
			 SHYPER_E_INVALID);
	assert_int_equal(call(SHYPER_HC_VM_MEM_READ, vm->id, LIST_IPA, 0, DATA_IPA),
			 SHYPER_E_INVALID);
	assert_int_equal(call(SHYPER_HC_VM_MEM_READ, vm->id, LIST_IPA, SHYPER_MEM_PAGES_MAX + 1,
			      DATA_IPA), SHYPER_E_INVALID);
	/* Buffers outside the MVM, or running past its end. */
	list[1] = 8;
	assert_int_equal(call(SHYPER_HC_VM_MEM_WRITE, vm->id, 0x1000, 2, DATA_IPA),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(SHYPER_HC_VM_MEM_WRITE, vm->id, LIST_IPA, 2,
			      MVM_RAM_IPA + MVM_RAM_SIZE - PAGE_SIZE), SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(SHYPER_HC_VM_MEM_READ, vm->id, MVM_RAM_IPA + MVM_RAM_SIZE - 8, 2,
			      DATA_IPA), SHYPER_E_BAD_ADDRESS);
	assert_int_equal(guest_page(7)[0], 0);
	assert_int_equal(guest_page(8)[0], 0);

	/* Into a guest that runs (or ran): refused; reading it is fine. */
	vm->state = VM_STATE_RUNNING;
	assert_int_equal(call(SHYPER_HC_VM_MEM_WRITE, vm->id, LIST_IPA, 2, DATA_IPA), SHYPER_E_BUSY);
	assert_int_equal(guest_page(7)[0], 0);
	assert_int_equal(call(SHYPER_HC_VM_MEM_READ, vm->id, LIST_IPA, 2, DATA_IPA), SHYPER_OK);
	vm->state = VM_STATE_DEFINED;
}

static void test_destroy_takes_the_log_along(void **state)
{
	(void)state;
	start();
	assert_true(pa_addr(vm->board.dirty.bitmap));
	assert_int_equal(call(SHYPER_HC_VM_DESTROY, vm->id, 0, 0, 0), SHYPER_OK);
	assert_false(pa_addr(hv_state->vms[1].board.dirty.bitmap));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_protects_every_page_and_stop_undoes_it,
						setup, mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_write_fault_marks_and_unprotects_one_page, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_translation_fault_while_blocks_split, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hypervisor_writes_are_marked, setup, mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fetch_windows_and_bad_windows, setup, mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_calls_only_from_the_mvm_about_a_guest, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mem_read_and_write_pages, setup, mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_takes_the_log_along, setup, mvm_fixture_teardown),
	};

	return cmocka_run_group_tests_name("dirty", tests, NULL, NULL);
}
