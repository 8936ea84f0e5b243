// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the hypercall dispatcher with arbitrary registers from
 * the MVM or a guest, over a VM whose RAM is a canary-filled buffer. Only
 * calls that write into the caller's RAM may change it, and only inside;
 * the bytes around it (guard areas) must never change.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/state.h>
#include <hv/vgic.h>
#include "fake.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (128 * 1024)
#define GUARD 4096

static uint8_t area[GUARD + RAM_SIZE + GUARD] __attribute__((aligned(4096)));
static uint8_t *pool;
static struct hv_state *state;

static void init(void)
{
	state = calloc(1, sizeof(*state));
	state_create(state, sizeof(*state));
	fake_reset();
	fake_heap_create(256);
	pool = aligned_alloc(2 << 20, 8 << 20);
	galloc_init(&state->pool, (uint64_t)(uintptr_t)pool, 8 << 20, 2 << 20);
	state->pcpu_online_mask = 0xf;
	memset(area, 0x5a, sizeof(area));
}

static void vm_setup(struct vm *vm, unsigned id, enum vm_type type)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = (uint16_t)id;
	vm->type = type;
	vm->state = VM_STATE_RUNNING;
	vm->name[0] = type == VM_TYPE_MVM ? 'm' : 'g';
	vm->board.mem_count = 1;
	vm->board.mem[0] = (struct mem_region){
		.ipa = ipa_init(RAM_IPA), .pa = hv_pa(area + GUARD), .size = RAM_SIZE
	};
	vm->vcpu_count = 1;
	vm->vcpus[0].vm_id = (uint16_t)id;
	vgic_vm_init(vm, 64);
	vgic_vcpu_init(&vm->vcpus[0]);
}

static uint64_t take(const uint8_t **p, size_t *left)
{
	uint64_t v = 0;
	size_t n = *left < 8 ? *left : 8;

	memcpy(&v, *p, n);
	*p += n;
	*left -= n;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;

	if (!state)
		init();
	/* Fresh VMs every run; guest VMs created by earlier runs are dropped. */
	for (unsigned i = 0; i < MAX_VMS; i++)
		memset(&state->vms[i], 0, sizeof(state->vms[i]));
	fake_heap_destroy();
	fake_heap_create(256);
	galloc_init(&state->pool, (uint64_t)(uintptr_t)pool, 8 << 20, 2 << 20);
	memset(&state->events, 0, sizeof(state->events));
	vm_setup(&state->vms[0], 0, VM_TYPE_MVM);
	vm_setup(&state->vms[3], 3, VM_TYPE_GVM);

	while (left >= 8) {
		uint8_t sel = *p++;
		struct vcpu *v = (sel & 1) ? &state->vms[3].vcpus[0] : &state->vms[0].vcpus[0];
		uint64_t fid;

		left--;
		fid = take(&p, &left);
		/* Mostly Shyper's own range, so the interesting paths are reached. */
		if (sel & 2)
			fid = 0xc6000000u | (fid & 0x1f);
		v->regs.x[0] = fid;
		for (int r = 1; r <= 4; r++) {
			uint64_t a = take(&p, &left);

			/* Nudge some addresses into (and around) guest RAM. */
			if (sel & (4 << (r - 1)))
				a = RAM_IPA - 64 + (a % (RAM_SIZE + 128));
			v->regs.x[r] = a;
		}
		hypercall_handle(v);
		for (unsigned i = 0; i < GUARD; i++)
			if (area[i] != 0x5a || area[GUARD + RAM_SIZE + i] != 0x5a)
				abort();
	}
	return 0;
}
