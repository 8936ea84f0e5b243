// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the split-virtqueue walker on arbitrary ring contents.
 * The input is laid out as guest RAM (descriptor table, avail and used
 * rings, data); the first bytes choose the queue size and position. Any
 * buffer the walker hands out must lie inside guest RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hv/state.h>
#include <hv/virtq.h>
#include "fake.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (64 * 1024)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct hv_state *state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq_chain chain;
	struct virtq vq;
	struct vm *vm;

	if (!state) {
		state = calloc(1, sizeof(*state));
		state_create(state, sizeof(*state));
	}
	if (size < 8)
		return 0;
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data + 8, size - 8 < RAM_SIZE ? size - 8 : RAM_SIZE);
	vm = &state->vms[1];
	vm->board.mem_count = 1;
	vm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = hv_pa(ram), .size = RAM_SIZE };
	vq = (struct virtq){
		.size = (uint16_t)(1u << (data[0] % 11)),   /* 1..1024 */
		.ready = true,
		.desc = RAM_IPA + (uint64_t)(data[1] & 0x3) * 0x4000,
		.avail = RAM_IPA + 0x8000 + (uint64_t)data[2] * 2,
		.used = RAM_IPA + 0xc000 + (uint64_t)data[3] * 4,
		.last_avail = (uint16_t)(data[4] | data[5] << 8),
	};
	for (int n = 0; n < 8; n++) {
		int rc = virtq_pop(vm, &vq, &chain);

		if (rc != VIRTQ_OK)
			break;
		if (chain.count == 0 || chain.count > VIRTQ_MAX_SEGMENTS)
			abort();
		for (unsigned s = 0; s < chain.count; s++) {
			const uint8_t *p = chain.seg[s].ptr;

			if (chain.seg[s].len && (p < ram || p + chain.seg[s].len > ram + RAM_SIZE))
				abort();
		}
		virtq_push(vm, &vq, &chain, data[6]);
	}
	return 0;
}
