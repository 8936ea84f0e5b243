// SPDX-License-Identifier: GPL-2.0
/*
 * Shyper's hypercalls as the MVM and guests make them (core/hypercall.c,
 * core/events.c, core/guest_mem.c): results, and above all that bad
 * arguments are refused before anything is written.
 */
#include <stdlib.h>
#include <hv/events.h>
#include <hv/hypercall.h>
#include <hv/log.h>
#include <hv/pcpu.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/vgic.h>
#include <hv/vgpio.h>
#include <shyper/abi.h>
#include "unit.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (64 * 4096ULL)
#define CANARY 0xa5

static struct vm *mvm, *gvm;
static uint8_t *ram;

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	if (posix_memalign((void **)&ram, 4096, RAM_SIZE))
		return -1;
	memset(ram, CANARY, RAM_SIZE);
	hv_state->pcpu_online_mask = 0xf;
	hv_state->board.mem_count = 1;
	hv_state->board.mem[0] = (struct mmio_range){ 0x40000000, 2 * GiB };
	strcpy(hv_state->board.model, "test board");
	hv_state->board.gic_version = 3;

	mvm = &hv_state->vms[0];
	mvm->type = VM_TYPE_MVM;
	mvm->state = VM_STATE_RUNNING;
	strcpy(mvm->name, "mvm");
	mvm->board.mem_count = 1;
	mvm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = hv_pa(ram), .size = RAM_SIZE };
	mvm->vcpu_count = 2;
	for (unsigned i = 0; i < 2; i++) {
		mvm->vcpus[i].vm_id = 0;
		mvm->vcpus[i].index = (uint8_t)i;
		mvm->vcpus[i].pcpu = (uint8_t)i;
		mvm->vcpus[i].power = VCPU_ON;
		mvm->vcpus[i].exits[EXIT_HVC] = 10 + i;
	}
	vgic_vm_init(mvm, 64);
	for (unsigned i = 0; i < 2; i++)
		vgic_vcpu_init(&mvm->vcpus[i]);
	mvm->notify_intid = 32 + 63;

	gvm = &hv_state->vms[3];
	gvm->type = VM_TYPE_GVM;
	gvm->state = VM_STATE_RUNNING;
	strcpy(gvm->name, "guest");
	gvm->board.mem_count = 1;
	gvm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = hv_pa(ram), .size = RAM_SIZE };
	gvm->vcpu_count = 1;
	gvm->vcpus[0].vm_id = 3;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	events_setup(mvm, ipa_init(0), 0);
	free(ram);
	unit_state_free();
	return 0;
}

/* Make the call from vcpu; returns x0 as a signed status. */
static int64_t call(struct vcpu *vcpu, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	vcpu->regs.x[0] = fid;
	vcpu->regs.x[1] = a1;
	vcpu->regs.x[2] = a2;
	vcpu->regs.x[3] = a3;
	hypercall_handle(vcpu);
	return (int64_t)vcpu->regs.x[0];
}

static void *at(uint64_t ipa)
{
	return ram + (ipa - RAM_IPA);
}

static bool untouched(uint64_t ipa, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (((uint8_t *)at(ipa))[i] != CANARY)
			return false;
	return true;
}

static void test_identity_calls_for_anyone(void **state)
{
	struct vcpu *g = &gvm->vcpus[0];

	(void)state;
	assert_int_equal(call(g, SHYPER_HC_CALL_UID, 0, 0, 0), (int64_t)SHYPER_UID_W0);
	assert_int_equal(g->regs.x[1], SHYPER_UID_W1);
	assert_int_equal(g->regs.x[2], SHYPER_UID_W2);
	assert_int_equal(g->regs.x[3], SHYPER_UID_W3);
	assert_int_equal(call(g, SHYPER_HC_REVISION, 0, 0, 0), SHYPER_ABI_MAJOR);
	assert_int_equal(g->regs.x[1], SHYPER_ABI_MINOR);
	assert_int_equal(call(g, SHYPER_HC_NOP, 1, 2, 3), SHYPER_OK);
}

static void test_management_calls_denied_to_guests(void **state)
{
	struct vcpu *g = &gvm->vcpus[0];
	const uint32_t calls[] = { SHYPER_HC_HV_INFO, SHYPER_HC_LOG_READ, SHYPER_HC_VM_LIST,
				   SHYPER_HC_VM_INFO, SHYPER_HC_EVENT_SETUP, SHYPER_HC_EVENT_PING,
				   SHYPER_HC_VM_SHUTDOWN, SHYPER_HC_HV_STATS };

	(void)state;
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		assert_int_equal(call(g, calls[i], RAM_IPA, 4096, 0), SHYPER_E_DENIED);
		assert_true(untouched(RAM_IPA, RAM_SIZE));
	}
	assert_int_equal(hv_state->events.ring_ipa, 0);
	/* Not even for itself, nor for the MVM: a guest presses no power buttons. */
	vgpio_init(&gvm->gpio, SHYPER_GUEST_GPIO_BASE, 32 + SHYPER_GUEST_GPIO_SPI);
	assert_int_equal(call(g, SHYPER_HC_VM_SHUTDOWN, 3, 0, 0), SHYPER_E_DENIED);
	assert_int_equal(call(g, SHYPER_HC_VM_SHUTDOWN, 0, 0, 0), SHYPER_E_DENIED);
	assert_int_equal(gvm->gpio.presses, 0);
	assert_int_equal(gvm->gpio.in, 0);
}

static void test_unknown_functions(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	const uint64_t ids[] = { SHYPER_HC(SHYPER_HC_LAST + 1), SHYPER_HC(0xffff), 0x8600ff00,
				 0x8600ff02, 0x86000001, 0xc600ff01 };

	(void)state;
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(call(v, ids[i], RAM_IPA, 4096, 0), SHYPER_E_NOT_SUPPORTED);
	assert_true(untouched(RAM_IPA, RAM_SIZE));
}

static void test_hv_info(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	struct shyper_hv_info *info = at(RAM_IPA + 8);

	(void)state;
	assert_int_equal(call(v, SHYPER_HC_HV_INFO, RAM_IPA + 8, 4096, 0), SHYPER_OK);
	assert_int_equal(v->regs.x[1], sizeof(*info));
	assert_int_equal(info->size, sizeof(*info));
	assert_int_equal(info->abi_version, SHYPER_ABI_MAJOR << 16 | SHYPER_ABI_MINOR);
	assert_string_equal(info->board, "test board");
	assert_int_equal(info->pcpu_count, 4);
	assert_int_equal(info->gic_version, 3);
	assert_int_equal(info->mem_total, 2 * GiB);
	assert_int_equal(info->vm_count, 2);
	assert_int_equal(info->vm_max, MAX_VMS);
	assert_true(strlen(info->version) > 0);
	/* Only sizeof(info) bytes were written, nothing after. */
	assert_true(untouched(RAM_IPA + 8 + sizeof(*info), 64));
	assert_true(untouched(RAM_IPA, 8));
}

static void test_bad_buffers_write_nothing(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	const uint64_t size = sizeof(struct shyper_hv_info);
	const struct {
		uint64_t ipa, size;
		int64_t want;
	} cases[] = {
		{ RAM_IPA, SHYPER_HV_INFO_SIZE_V1 - 1, SHYPER_E_INVALID }, /* too small */
		{ RAM_IPA, 0, SHYPER_E_INVALID },
		{ RAM_IPA - 4096, size, SHYPER_E_BAD_ADDRESS },          /* below RAM */
		{ RAM_IPA + RAM_SIZE - 8, size, SHYPER_E_BAD_ADDRESS },  /* straddles the end */
		{ RAM_IPA + RAM_SIZE, size, SHYPER_E_BAD_ADDRESS },      /* just past */
		{ 0x0, size, SHYPER_E_BAD_ADDRESS },
		{ ~0ULL - 16, size, SHYPER_E_BAD_ADDRESS },              /* wraps */
		{ 0x40000000000ULL, size, SHYPER_E_BAD_ADDRESS },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(call(v, SHYPER_HC_HV_INFO, cases[i].ipa, cases[i].size, 0),
				 cases[i].want);
		assert_true(untouched(RAM_IPA, RAM_SIZE));
	}
	/* Buffers that run past the end of RAM, for each call that takes one. */
	assert_int_equal(call(v, SHYPER_HC_VM_INFO, 0, RAM_IPA + RAM_SIZE - 16, 4096),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(v, SHYPER_HC_LOG_READ, RAM_IPA + 100, RAM_SIZE, 0),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(v, SHYPER_HC_VM_LIST, RAM_IPA + RAM_SIZE - 100, 2, 0),
			 SHYPER_E_BAD_ADDRESS);
	assert_true(untouched(RAM_IPA, RAM_SIZE));
}

static void test_log_read(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	char *buf = at(RAM_IPA);
	uint64_t held;

	(void)state;
	pr_info("first line");
	pr_info("second line");
	assert_int_equal(call(v, SHYPER_HC_LOG_READ, RAM_IPA, 4096, 0), SHYPER_OK);
	held = v->regs.x[2];
	assert_int_equal(v->regs.x[1], held);
	assert_int_equal(v->regs.x[3], held);
	assert_memory_equal(buf, "shyper: first line\nshyper: second line\n", held);
	assert_true(untouched(RAM_IPA + held, 64));
	/* From an offset, and a short buffer. */
	assert_int_equal(call(v, SHYPER_HC_LOG_READ, RAM_IPA + 1024, 6, 8), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 6);
	assert_memory_equal(at(RAM_IPA + 1024), "first ", 6);
	/* Past the end: nothing. Too long a request: refused. */
	assert_int_equal(call(v, SHYPER_HC_LOG_READ, RAM_IPA + 2048, 16, held + 5), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 0);
	assert_int_equal(call(v, SHYPER_HC_LOG_READ, RAM_IPA, 2 * MiB, 0), SHYPER_E_INVALID);
}

/* Per-pCPU counters: what each pCPU did, where its time went, what it runs. */
static void test_hv_stats(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	struct shyper_pcpu_stats *stats = at(RAM_IPA);
	const uint64_t freq = 62500000;

	(void)state;
	hv_state->board.pcpu_count = 4;
	hv_state->pcpu_online_mask = 0x7; /* pCPU 3 never came up */
	for (unsigned p = 0; p < 3; p++) {
		fake_cpu = p;
		stats_pcpu_online(p);
	}
	/* pCPU 1: an exit of 2 ms at EL2, then 10 ms idle with an IPI, then back. */
	fake_cpu = 1;
	pcpu_get(1)->current = &mvm->vcpus[1];
	stats_guest_return(&mvm->vcpus[1]); /* first entry into a guest */
	stats_exit_begin();
	fake_counter_now += 2 * freq / 1000;
	stats_guest_return(&mvm->vcpus[1]);
	stats_exit_begin();
	stats_idle_begin();
	fake_counter_now += 10 * freq / 1000;
	stats_idle_end();
	stats_irq(true);
	stats_irq(false);
	stats_guest_return(&mvm->vcpus[1]);
	fake_cpu = 0;

	assert_int_equal(call(v, SHYPER_HC_HV_STATS, RAM_IPA, 4, 0), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 4);
	assert_int_equal(stats[1].pcpu, 1);
	assert_int_equal(stats[1].online, 1);
	assert_int_equal(stats[1].exits, 2);
	assert_int_equal(stats[1].irqs, 2);
	assert_int_equal(stats[1].ipis, 1);
	/* 2 ms at EL2 and a little (each counter read moves the fake 1 us). */
	assert_in_range(stats[1].el2_ns, 2000000, 2100000);
	assert_in_range(stats[1].idle_ns, 10000000, 10100000);
	assert_true(stats[1].online_ns >= stats[1].el2_ns + stats[1].idle_ns);
	assert_int_equal(stats[1].vm_id, 0);
	assert_int_equal(stats[1].vcpu, 1);
	assert_int_equal(stats[0].vm_id, SHYPER_NO_VM);
	assert_int_equal(stats[0].exits, 0);
	assert_int_equal(stats[3].online, 0);
	assert_int_equal(stats[3].online_ns, 0);
	/* Room for one: only the first is written; the total is still 4. */
	memset(stats, CANARY, 4 * sizeof(*stats));
	assert_int_equal(call(v, SHYPER_HC_HV_STATS, RAM_IPA, 1, 0), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 4);
	assert_true(untouched(RAM_IPA + sizeof(*stats), sizeof(*stats)));
	/* Bad arguments change nothing. */
	assert_int_equal(call(v, SHYPER_HC_HV_STATS, RAM_IPA, SHYPER_PCPU_STATS_MAX + 1, 0),
			 SHYPER_E_INVALID);
	assert_int_equal(call(v, SHYPER_HC_HV_STATS, RAM_IPA + RAM_SIZE - 100, 4, 0),
			 SHYPER_E_BAD_ADDRESS);
	assert_true(untouched(RAM_IPA + sizeof(*stats), 3 * sizeof(*stats)));
	pcpu_get(1)->current = NULL;
}

/* Every VM's counters in one call; bad arguments write nothing. */
static void test_vm_stats(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	struct shyper_vm_stats *st = at(RAM_IPA);

	(void)state;
	mvm->vcpus[1].irqs = 7;
	mvm->vcpus[1].exits[EXIT_WFX] = 3;
	assert_int_equal(call(v, SHYPER_HC_VM_STATS, RAM_IPA, 1, 0), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 2);
	assert_int_equal(st[0].size, sizeof(*st));
	assert_int_equal(st[0].id, 0);
	assert_int_equal(st[0].vcpu_count, 2);
	assert_int_equal(st[0].vcpus[1].irqs, 7);
	assert_int_equal(st[0].vcpus[1].exits[SHYPER_EXIT_WFX], 3);
	assert_int_equal(st[0].vcpus[1].pcpu, 1);
	assert_true(untouched(RAM_IPA + sizeof(*st), 64));
	assert_int_equal(call(v, SHYPER_HC_VM_STATS, RAM_IPA, 2, 0), SHYPER_OK);
	assert_int_equal(st[1].id, 3);
	memset(st, CANARY, 2 * sizeof(*st));
	assert_int_equal(call(v, SHYPER_HC_VM_STATS, RAM_IPA, SHYPER_VM_STATS_MAX + 1, 0),
			 SHYPER_E_INVALID);
	assert_int_equal(call(v, SHYPER_HC_VM_STATS, RAM_IPA + RAM_SIZE - 100, 1, 0),
			 SHYPER_E_BAD_ADDRESS);
	assert_true(untouched(RAM_IPA, 2 * sizeof(*st)));
	assert_int_equal(call(v, SHYPER_HC_VM_STATS, 0, 0, 0), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 2);
}

static void test_vm_list_and_info(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	struct shyper_vm_info *list = at(RAM_IPA);
	struct shyper_vm_info *one = at(RAM_IPA + 8192);

	(void)state;
	/* Room for one: the first is written, the total says two. */
	assert_int_equal(call(v, SHYPER_HC_VM_LIST, RAM_IPA, 1, 0), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 2);
	assert_int_equal(list[0].id, 0);
	assert_string_equal(list[0].name, "mvm");
	assert_int_equal(list[0].type, SHYPER_VM_MVM);
	assert_int_equal(list[0].state, SHYPER_VM_RUNNING);
	assert_int_equal(list[0].vcpu_count, 2);
	assert_int_equal(list[0].memory, RAM_SIZE);
	assert_int_equal(list[0].exits, 21);
	assert_int_equal(list[0].vcpu_pcpu[1], 1);
	assert_true(untouched(RAM_IPA + sizeof(*list), 64));
	assert_int_equal(call(v, SHYPER_HC_VM_LIST, RAM_IPA, 8, 0), SHYPER_OK);
	assert_int_equal(list[1].id, 3);
	assert_string_equal(list[1].name, "guest");
	assert_int_equal(call(v, SHYPER_HC_VM_LIST, RAM_IPA, 65, 0), SHYPER_E_INVALID);
	/* max = 0 only counts */
	assert_int_equal(call(v, SHYPER_HC_VM_LIST, 0, 0, 0), SHYPER_OK);
	assert_int_equal(v->regs.x[1], 2);

	assert_int_equal(call(v, SHYPER_HC_VM_INFO, 3, RAM_IPA + 8192, sizeof(*one)), SHYPER_OK);
	assert_string_equal(one->name, "guest");
	assert_int_equal(one->type, SHYPER_VM_GVM);
	memset(one, CANARY, sizeof(*one));
	assert_int_equal(call(v, SHYPER_HC_VM_INFO, 2, RAM_IPA + 8192, sizeof(*one)),
			 SHYPER_E_NO_ENTRY);
	assert_int_equal(call(v, SHYPER_HC_VM_INFO, 1ULL << 40, RAM_IPA + 8192, sizeof(*one)),
			 SHYPER_E_NO_ENTRY);
	assert_int_equal(call(v, SHYPER_HC_VM_INFO, 0, RAM_IPA + 8192, sizeof(*one) - 1),
			 SHYPER_E_INVALID);
	assert_true(untouched(RAM_IPA + 8192, sizeof(*one)));
	/* A larger buffer (a newer caller) gets the struct the hypervisor knows, no more. */
	assert_int_equal(call(v, SHYPER_HC_VM_INFO, 0, RAM_IPA + 8192, ~0ULL), SHYPER_OK);
	assert_int_equal(one->size, sizeof(*one));
	assert_true(untouched(RAM_IPA + 8192 + sizeof(*one), 64));
}

static struct shyper_event_ring *ring_at(uint64_t ipa)
{
	return at(ipa);
}

static void test_event_setup_validation(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];

	(void)state;
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, RAM_IPA + 8, 4096, 0), SHYPER_E_INVALID);
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, RAM_IPA, 0, 0), SHYPER_E_INVALID);
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, RAM_IPA, 4000, 0), SHYPER_E_INVALID);
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, RAM_IPA, 128 * 4096, 0), SHYPER_E_INVALID);
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, RAM_IPA + RAM_SIZE - 4096, 8192, 0),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, 0x1000, 4096, 0), SHYPER_E_BAD_ADDRESS);
	assert_true(untouched(RAM_IPA, RAM_SIZE));
	/* No ring: a ping cannot be delivered. */
	assert_int_equal(call(v, SHYPER_HC_EVENT_PING, 7, 0, 0), SHYPER_E_BUSY);
}

static void test_events(void **state)
{
	struct vcpu *v = &mvm->vcpus[0];
	uint64_t ring_ipa = RAM_IPA + 4 * 4096;
	struct shyper_event_ring *ring = ring_at(ring_ipa);
	uint32_t entries;

	(void)state;
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, ring_ipa, 4096, 0), SHYPER_OK);
	assert_int_equal(ring->magic, SHYPER_EVENT_RING_MAGIC);
	entries = ring->entries;
	/* (4096 - 32) / 32 = 127 slots: the power of two below is 64. */
	assert_int_equal(entries, 64);
	assert_int_equal(ring->head, 0);
	assert_int_equal(ring->tail, 0);

	assert_int_equal(call(v, SHYPER_HC_EVENT_PING, 0xfeed, 0, 0), SHYPER_OK);
	assert_int_equal(ring->head, 1);
	assert_int_equal(ring->ev[0].type, SHYPER_EVENT_PONG);
	assert_int_equal(ring->ev[0].data[0], 0xfeed);
	assert_int_equal(ring->ev[0].seq, 1);
	/* The notification went to the vCPU the SPI is routed to (vCPU 0, on pCPU 0). */
	assert_true(mvm->vcpus[0].vgic.queued == 1 || fake_ipi_count[0] == 1);

	/* Fill it: events beyond the capacity are dropped and counted. */
	for (uint32_t i = 1; i < entries + 3; i++)
		call(v, SHYPER_HC_EVENT_PING, i, 0, 0);
	assert_int_equal(ring->head, entries);
	assert_int_equal(ring->dropped, 3);
	/* The MVM consumes some: there is room again. */
	ring->tail = 10;
	assert_int_equal(call(v, SHYPER_HC_EVENT_PING, 0xabc, 0, 0), SHYPER_OK);
	assert_int_equal(ring->ev[0].data[0], 0xabc);
	assert_int_equal(ring->head, entries + 1);

	/* A hostile tail (ahead of head) or head (ignored) changes nothing outside. */
	ring->tail = ring->head + 5;
	ring->head = 0x7fffffff;
	assert_int_equal(call(v, SHYPER_HC_EVENT_PING, 1, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(ring->dropped, 4);
	assert_true(untouched(ring_ipa + 4096, RAM_SIZE - 5 * 4096));
	assert_true(untouched(RAM_IPA, 4 * 4096));

	/* Dropping the ring stops events. */
	assert_int_equal(call(v, SHYPER_HC_EVENT_SETUP, 0, 0, 0), SHYPER_OK);
	assert_int_equal(call(v, SHYPER_HC_EVENT_PING, 1, 0, 0), SHYPER_E_BUSY);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_calls_for_anyone),
		T(test_management_calls_denied_to_guests),
		T(test_unknown_functions),
		T(test_hv_info),
		T(test_bad_buffers_write_nothing),
		T(test_log_read),
		T(test_vm_list_and_info),
		T(test_vm_stats),
		T(test_hv_stats),
		T(test_event_setup_validation),
		T(test_events),
	};

	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
