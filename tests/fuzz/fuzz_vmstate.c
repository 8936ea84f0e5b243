// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: loading a guest's state from another board
 * (core/vmstate.c, SHYPER_HC_VM_STATE_LOAD) from arbitrary bytes. Two
 * shapes of input: raw bytes as the string itself, and (first byte 0xa5)
 * a list of patches (offset, value) applied to a string saved from a real
 * paused guest, which takes the fuzzer past the header into every record,
 * description and check. Whatever comes in, the load answers, reads no
 * byte past the input, and what it accepts holds the rules: a vCPU
 * returns to EL1 or EL0, list registers name nothing physical but the
 * virtual timer, SPIs target vCPUs that exist, FIFOs are within bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hv/heap.h>
#include <hv/state.h>
#include <hv/vconsole.h>
#include <hv/vgic.h>
#include <hv/vgpio.h>
#include <hv/vmstate.h>
#include "fake.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (2 << 20)

static struct hv_state *state;
static uint8_t *saved;
static uint64_t saved_len;
static uint8_t *ram;

static void vm_setup(struct vm *vm, unsigned id, enum vm_state st)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = (uint16_t)id;
	vm->type = VM_TYPE_GVM;
	vm->state = st;
	vm->name[0] = 'g';
	vm->board.mem_count = 1;
	vm->board.mem[0] = (struct mem_region){
		.ipa = ipa_init(RAM_IPA), .pa = hv_pa(ram), .size = RAM_SIZE
	};
	vm->vcpu_count = 2;
	for (unsigned i = 0; i < 2; i++) {
		vm->vcpus[i].vm_id = (uint16_t)id;
		vm->vcpus[i].index = (uint8_t)i;
		vgic_vcpu_init(&vm->vcpus[i]);
	}
	vgic_vm_init(vm, SHYPER_GUEST_NR_SPIS);
	vconsole_init(&vm->console, SHYPER_GUEST_UART_BASE, 32 + SHYPER_GUEST_UART_SPI);
	vgpio_init(&vm->gpio, SHYPER_GUEST_GPIO_BASE, 32 + SHYPER_GUEST_GPIO_SPI);
}

static void init(void)
{
	struct vm *src;

	state = calloc(1, sizeof(*state));
	state_create(state, sizeof(*state));
	fake_reset();
	fake_heap_create(1024);
	ram = aligned_alloc(4096, RAM_SIZE);
	src = &state->vms[2];
	vm_setup(src, 2, VM_STATE_PAUSED);
	src->vcpus[0].regs.spsr = 0x3c5;
	src->vcpus[1].regs.spsr = 0x3c4;
	src->vcpus[1].power = VCPU_ON;
	src->vcpus[1].sys.ich_lr[1] = (1ULL << 62) | 40;
	src->vgic.spi[3].flags |= VIRQ_ENABLED | VIRQ_PENDING;
	src->vgic.spi[3].target = 1;
	memcpy(src->console.out, "console", 7);
	src->console.out_written = 7;
	saved = malloc(SHYPER_VM_STATE_MAX);
	if (vmstate_save(src, saved, SHYPER_VM_STATE_MAX, &saved_len) != VMSTATE_OK)
		abort();
}

static void check_accepted(const struct vm *vm)
{
	for (unsigned v = 0; v < vm->vcpu_count; v++) {
		const struct vcpu *c = &vm->vcpus[v];
		uint64_t mode = c->regs.spsr & 0x1f;

		if ((mode != 0 && mode != 4 && mode != 5) || c->power > VCPU_ON)
			abort();
		for (unsigned l = 0; l < ARRAY_SIZE(c->sys.ich_lr); l++) {
			uint64_t lr = c->sys.ich_lr[l];

			if ((lr >> 62) && ((uint32_t)lr >= 1020 ||
					   ((lr & (1ULL << 61)) && (uint32_t)lr != 27)))
				abort();
		}
		for (unsigned i = 0; i < VGIC_NR_PRIVATE; i++)
			if (c->vgic.priv[i].flags & VIRQ_HW)
				abort();
	}
	for (unsigned s = 0; s < vm->vgic.nr_spis; s++)
		if (vm->vgic.spi[s].target >= vm->vcpu_count || (vm->vgic.spi[s].flags & VIRQ_HW))
			abort();
	if (vm->console.rx_head - vm->console.rx_tail > VCONSOLE_RX_SIZE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm *dst;
	uint8_t *copy;
	uint64_t len;
	int rc;

	if (!state)
		init();
	dst = &state->vms[3];
	vm_setup(dst, 3, VM_STATE_DEFINED);
	if (size && data[0] == 0xa5) {
		/* Patches to a real string: (offset: 3 bytes, value: 1 byte)... */
		len = saved_len;
		copy = malloc(len);
		memcpy(copy, saved, len);
		for (size_t i = 1; i + 4 <= size; i += 4) {
			uint32_t off = data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16;

			copy[off % len] = data[i + 3];
		}
	} else {
		/* An exact-size copy: ASan catches any read past the end. */
		len = size;
		copy = malloc(size ? size : 1);
		memcpy(copy, data, size);
	}
	rc = vmstate_load(dst, copy, len);
	if (rc > VMSTATE_OK || rc < VMSTATE_E_NO_MEMORY || !strcmp(vmstate_error_name(rc), "?"))
		abort();
	if (rc == VMSTATE_OK) {
		if (!dst->state_loaded)
			abort();
		check_accepted(dst);
	} else if (dst->state_loaded) {
		abort(); /* refused, yet changed */
	}
	free(copy);
	return 0;
}
