// SPDX-License-Identifier: GPL-2.0
/*
 * Guest VMs through the hypercalls the MVM makes (core/vm_lifecycle.c via
 * core/hypercall.c) and the guest console (devices/vpl011.c): what works,
 * and that every refused request changes nothing.
 */
#include <stdlib.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/log.h>
#include <hv/psci.h>
#include <hv/rt.h>
#include <hv/state.h>
#include <hv/vconsole.h>
#include <hv/vgic.h>
#include <hv/vgpio.h>
#include <shyper/abi.h>
#include "mvm_fixture.h"
#include "unit.h"

#define BUF_IPA (MVM_RAM_IPA + 0x10000)

static uint64_t pool_free_at_start, heap_free_at_start;

static int setup(void **state)
{
	(void)state;
	if (mvm_fixture_setup(1024))
		return -1;
	pool_free_at_start = galloc_free_bytes(&hv_state->pool);
	heap_free_at_start = heap_free_bytes();
	return 0;
}

static struct shyper_vm_config *cfg_in_mvm(void)
{
	return in_mvm(CFG_IPA);
}

static void good_config(const char *name)
{
	struct shyper_vm_config *c = guest_config(name, 2, 4 * MiB);

	c->entry_ipa = SHYPER_GUEST_RAM_BASE + 0x80000;
	c->dtb_ipa = SHYPER_GUEST_RAM_BASE + 0x200000;
}

static int64_t create(void)
{
	return call(SHYPER_HC_VM_CREATE, CFG_IPA, sizeof(struct shyper_vm_config), 0, 0);
}

static unsigned vms_in_use(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_VMS; i++)
		n += hv_state->vms[i].state != VM_STATE_FREE;
	return n;
}

static void test_create_defines_zeroed_vm(void **state)
{
	struct vm *vm;
	const uint8_t *ram;

	(void)state;
	good_config("web-1");
	assert_int_equal(create(), SHYPER_OK);
	assert_int_equal(caller->regs.x[1], 1);
	vm = &hv_state->vms[1];
	assert_int_equal(vm->state, VM_STATE_DEFINED);
	assert_int_equal(vm->type, VM_TYPE_GVM);
	assert_string_equal(vm->name, "web-1");
	assert_int_equal(vm->vcpu_count, 2);
	assert_int_equal(vm->vcpus[1].pcpu, 2);
	assert_int_equal(ipa_addr(vm->board.mem[0].ipa), SHYPER_GUEST_RAM_BASE);
	assert_int_equal(galloc_free_bytes(&hv_state->pool), pool_free_at_start - 4 * MiB);
	/* The pool held 0xee: the guest sees zeroes, and its stage 2 maps exactly its RAM. */
	ram = (const uint8_t *)hv_ptr(vm->board.mem[0].pa);
	for (uint64_t i = 0; i < 4 * MiB; i += 4099)
		assert_int_equal(ram[i], 0);
	assert_true(pgtable_lookup(&vm->board.s2, SHYPER_GUEST_RAM_BASE + 4 * MiB - 1, NULL, NULL));
	assert_false(pgtable_lookup(&vm->board.s2, SHYPER_GUEST_RAM_BASE + 4 * MiB, NULL, NULL));
	assert_false(pgtable_lookup(&vm->board.s2, SHYPER_GUEST_RAM_BASE - 1, NULL, NULL));
}

/* Each way a config can be wrong, and what the hypervisor must answer. */
static const struct {
	const char *what;
	int64_t want;
} bad_configs[] = {
	{ "size", SHYPER_E_INVALID },
	{ "type mvm", SHYPER_E_INVALID },
	{ "type 7", SHYPER_E_INVALID },
	{ "empty name", SHYPER_E_INVALID },
	{ "name with space", SHYPER_E_INVALID },
	{ "name with slash", SHYPER_E_INVALID },
	{ "unterminated name", SHYPER_E_INVALID },
	{ "0 vcpus", SHYPER_E_INVALID },
	{ "9 vcpus", SHYPER_E_INVALID },
	{ "offline pcpu", SHYPER_E_INVALID },
	{ "pcpu 200", SHYPER_E_INVALID },
	{ "no memory", SHYPER_E_INVALID },
	{ "1M", SHYPER_E_INVALID },
	{ "3M", SHYPER_E_INVALID },
	{ "huge", SHYPER_E_INVALID },
	{ "more than the pool", SHYPER_E_NO_MEMORY },
	{ "entry below RAM", SHYPER_E_INVALID },
	{ "entry past RAM", SHYPER_E_INVALID },
	{ "entry misaligned", SHYPER_E_INVALID },
	{ "dtb past RAM", SHYPER_E_INVALID },
	{ "flags", SHYPER_E_INVALID },
	{ "size larger than the buffer", SHYPER_E_INVALID },
};

static void spoil(struct shyper_vm_config *c, unsigned which)
{
	switch (which) {
	case 0: c->size = 8; break;
	case 1: c->type = SHYPER_VM_MVM; break;
	case 2: c->type = 7; break;
	case 3: c->name[0] = 0; break;
	case 4: strcpy(c->name, "a b"); break;
	case 5: strcpy(c->name, "../x"); break;
	case 6: memset(c->name, 'x', sizeof(c->name)); break;
	case 7: c->vcpu_count = 0; break;
	case 8: c->vcpu_count = 9; break;
	case 9: c->vcpu_pcpu[1] = 5; break;
	case 10: c->vcpu_pcpu[0] = 200; break;
	case 11: c->memory = 0; break;
	case 12: c->memory = 1 * MiB; break;
	case 13: c->memory = 3 * MiB; break;
	case 14: c->memory = 1ULL << 40; break;
	case 15: c->memory = POOL_SIZE + 2 * MiB; break;
	case 16: c->entry_ipa = 0x1000; break;
	case 17: c->entry_ipa = SHYPER_GUEST_RAM_BASE + 4 * MiB; break;
	case 18: c->entry_ipa += 2; break;
	case 19: c->dtb_ipa = SHYPER_GUEST_RAM_BASE + 64 * MiB; break;
	case 20: c->flags = 1; break;
	case 21: c->size = sizeof(*c) + 1; break;
	}
}

static void test_bad_configs_change_nothing(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		good_config("ok-name");
		spoil(cfg_in_mvm(), i);
		if (create() != bad_configs[i].want)
			fail_msg("%s: got %ld, want %ld", bad_configs[i].what,
				 (long)caller->regs.x[0], (long)bad_configs[i].want);
		assert_int_equal(vms_in_use(), 1);
		assert_int_equal(galloc_free_bytes(&hv_state->pool), pool_free_at_start);
		assert_int_equal(heap_free_bytes(), heap_free_at_start);
	}
	/* The config itself must be in the caller's RAM. */
	good_config("ok-name");
	assert_int_equal(call(SHYPER_HC_VM_CREATE, MVM_RAM_IPA + MVM_RAM_SIZE - 16,
			      sizeof(struct shyper_vm_config), 0, 0), SHYPER_E_BAD_ADDRESS);
	assert_int_equal(vms_in_use(), 1);
}

static void test_duplicates_and_slots(void **state)
{
	(void)state;
	good_config("dup");
	cfg_in_mvm()->uuid[3] = 7;
	assert_int_equal(create(), SHYPER_OK);
	assert_int_equal(create(), SHYPER_E_EXISTS); /* same name */
	strcpy(cfg_in_mvm()->name, "other");
	assert_int_equal(create(), SHYPER_E_EXISTS); /* same UUID */
	/* The MVM's name is taken too. */
	good_config("mvm");
	assert_int_equal(create(), SHYPER_E_EXISTS);
	/* Fill every slot: seven guests, then no more. */
	for (int i = 0; i < MAX_VMS - 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "g%d", i);
		good_config(name);
		cfg_in_mvm()->memory = 2 * MiB;
		cfg_in_mvm()->dtb_ipa = 0;
		assert_int_equal(create(), SHYPER_OK);
	}
	good_config("one-too-many");
	cfg_in_mvm()->memory = 2 * MiB;
	cfg_in_mvm()->dtb_ipa = 0;
	assert_int_equal(create(), SHYPER_E_TOO_MANY);
	assert_int_equal(vms_in_use(), MAX_VMS);
}

static unsigned root_valid_entries(const struct vm *vm)
{
	const uint64_t *root = hv_ptr(vm->board.s2.root);
	unsigned n = 0;

	for (unsigned i = 0; i < vm->board.s2.root_entries; i++)
		n += (root[i] & PTE_VALID) != 0;
	return n;
}

static void test_load_start_stop_destroy(void **state)
{
	unsigned valid;
	struct vm *vm;
	uint8_t *src = mvm_ram + (BUF_IPA - MVM_RAM_IPA);
	const uint8_t *guest;

	(void)state;
	good_config("life");
	assert_int_equal(create(), SHYPER_OK);
	vm = &hv_state->vms[caller->regs.x[1]];
	guest = (const uint8_t *)hv_ptr(vm->board.mem[0].pa);

	memcpy(src, "\x1f\x20\x03\xd5kernel", 10);
	assert_int_equal(call(SHYPER_HC_VM_LOAD, vm->id, SHYPER_GUEST_RAM_BASE + 0x80000, BUF_IPA,
			      10), SHYPER_OK);
	assert_memory_equal(guest + 0x80000, src, 10);
	/* Bad ranges on either side, zero length: refused, nothing copied. */
	assert_int_equal(call(SHYPER_HC_VM_LOAD, vm->id, SHYPER_GUEST_RAM_BASE + 4 * MiB - 4,
			      BUF_IPA, 10), SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(SHYPER_HC_VM_LOAD, vm->id, SHYPER_GUEST_RAM_BASE, MVM_RAM_IPA +
			      MVM_RAM_SIZE - 4, 10), SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(SHYPER_HC_VM_LOAD, vm->id, SHYPER_GUEST_RAM_BASE, BUF_IPA, 0),
			 SHYPER_E_INVALID);
	assert_int_equal(call(SHYPER_HC_VM_LOAD, vm->id, 0x1000, BUF_IPA, 10),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(guest[4 * MiB - 4], 0);
	assert_int_equal(guest[0], 0);

	assert_int_equal(call(SHYPER_HC_VM_START, vm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(vm->state, VM_STATE_RUNNING);
	assert_int_equal(vm->vcpus[0].power, VCPU_ON);
	assert_int_equal(vm->vcpus[0].regs.elr, SHYPER_GUEST_RAM_BASE + 0x80000);
	assert_int_equal(vm->vcpus[0].regs.x[0], SHYPER_GUEST_RAM_BASE + 0x200000);
	assert_int_equal(vm->vcpus[1].power, VCPU_OFF);
	/* Running: no second start, no loading, no destroy. */
	assert_int_equal(call(SHYPER_HC_VM_START, vm->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_LOAD, vm->id, SHYPER_GUEST_RAM_BASE, BUF_IPA, 4),
			 SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_DESTROY, vm->id, 0, 0, 0), SHYPER_E_BUSY);

	assert_int_equal(call(SHYPER_HC_VM_PAUSE, vm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(vm->state, VM_STATE_PAUSED);
	assert_int_equal(call(SHYPER_HC_VM_PAUSE, vm->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_RESUME, vm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(vm->state, VM_STATE_RUNNING);

	assert_int_equal(call(SHYPER_HC_VM_STOP, vm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(vm->state, VM_STATE_SHUTOFF);
	assert_int_equal(call(SHYPER_HC_VM_STOP, vm->id, 0, 0, 0), SHYPER_E_BUSY);
	/* A vCPU still loaded somewhere holds the destroy back, and has its
	 * stage-2 map cut (every root entry invalid, TLBs flushed) so that it
	 * must leave; a start in between puts the map back. */
	assert_true(root_valid_entries(vm) > 0);
	valid = root_valid_entries(vm);
	vm->vcpus[0].loaded = true;
	assert_int_equal(call(SHYPER_HC_VM_DESTROY, vm->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_true(vm->board.s2_suspended);
	assert_int_equal(fake_vmid_flushes, 1);
	assert_int_equal(root_valid_entries(vm), 0);
	assert_int_equal(call(SHYPER_HC_VM_DESTROY, vm->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(fake_vmid_flushes, 1); /* once is enough */
	vm->vcpus[0].loaded = false;
	assert_int_equal(call(SHYPER_HC_VM_START, vm->id, 0, 0, 0), SHYPER_OK);
	assert_false(vm->board.s2_suspended);
	assert_int_equal(root_valid_entries(vm), valid);
	assert_int_equal(call(SHYPER_HC_VM_STOP, vm->id, 0, 0, 0), SHYPER_OK);
	vm->vcpus[0].loaded = true;
	assert_int_equal(call(SHYPER_HC_VM_DESTROY, vm->id, 0, 0, 0), SHYPER_E_BUSY);
	vm->vcpus[0].loaded = false;
	assert_int_equal(call(SHYPER_HC_VM_DESTROY, vm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(vm->state, VM_STATE_FREE);
	assert_int_equal(fake_vmid_flushes, 3);
	/* Its memory went back zeroed; the pool and the heap are as before. */
	for (uint64_t i = 0; i < 4 * MiB; i += 4099)
		assert_int_equal(guest[i], 0);
	assert_int_equal(guest[0x80000], 0);
	assert_int_equal(galloc_free_bytes(&hv_state->pool), pool_free_at_start);
	assert_int_equal(heap_free_bytes(), heap_free_at_start);
}

/* An RTVM has its pCPUs to itself: it starts only once the MVM gave its CPU
 * there up (PSCI CPU_OFF); meanwhile the MVM cannot take it back (CPU_ON
 * is denied) and no other VM starts on it; stopped, it gives it back. */
static void test_rtvm_has_its_pcpu_to_itself(void **state)
{
	struct vcpu *mvm1 = &mvm->vcpus[1];
	struct vm *rt, *gvm;
	unsigned valid;

	(void)state;
	mvm->vcpu_count = 2;
	*mvm1 = (struct vcpu){ .vm_id = 0, .index = 1, .pcpu = 1, .vmpidr = 1, .power = VCPU_ON };
	good_config("rt");
	cfg_in_mvm()->type = SHYPER_VM_RTVM;
	cfg_in_mvm()->vcpu_count = 1;
	cfg_in_mvm()->vcpu_pcpu[0] = 1;
	assert_int_equal(create(), SHYPER_OK);
	rt = &hv_state->vms[caller->regs.x[1]];
	good_config("gvm");
	cfg_in_mvm()->vcpu_count = 1;
	cfg_in_mvm()->vcpu_pcpu[0] = 1;
	assert_int_equal(create(), SHYPER_OK);
	gvm = &hv_state->vms[caller->regs.x[1]];

	/* The MVM still has its CPU on pCPU 1: not yet. */
	assert_int_equal(call(SHYPER_HC_VM_START, rt->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(rt->state, VM_STATE_DEFINED);
	/* Nor while a started guest is pinned there. */
	mvm1->power = VCPU_OFF;
	assert_int_equal(call(SHYPER_HC_VM_START, gvm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(call(SHYPER_HC_VM_START, rt->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_STOP, gvm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(call(SHYPER_HC_VM_START, rt->id, 0, 0, 0), SHYPER_OK);
	assert_ptr_equal(rt_owner(1), rt);
	assert_null(rt_owner(2));

	/* Its pCPU is its own: the MVM's CPU_ON there is denied, a guest's
	 * start refused, while it runs and while it is paused. */
	assert_int_equal(psci_call(caller, PSCI_CPU_ON_64, 1, MVM_RAM_IPA, 0), PSCI_RET_DENIED);
	assert_int_equal(mvm1->power, VCPU_OFF);
	assert_int_equal(call(SHYPER_HC_VM_START, gvm->id, 0, 0, 0), SHYPER_E_BUSY);
	/* Paused, its stage-2 map is suspended too (its guest may hold off
	 * the hypervisor's IPI): it faults out at its next access. Resumed,
	 * the map is back. */
	valid = root_valid_entries(rt);
	assert_true(valid > 0);
	assert_false(vm_fault_retried(rt));
	assert_int_equal(call(SHYPER_HC_VM_PAUSE, rt->id, 0, 0, 0), SHYPER_OK);
	assert_true(rt->board.s2_suspended);
	assert_int_equal(root_valid_entries(rt), 0);
	/* Its vCPU faulting on the cut map finds it marked already (not
	 * answered with an abort, which its guest would take for a bus error
	 * and power off over), and finds it paused even before. */
	assert_true(fake_vmid_flush_saw_suspended);
	assert_true(vm_fault_retried(rt));
	rt->board.s2_suspended = false;
	assert_true(vm_fault_retried(rt));
	rt->board.s2_suspended = true;
	assert_int_equal(psci_call(caller, PSCI_CPU_ON_64, 1, MVM_RAM_IPA, 0), PSCI_RET_DENIED);
	assert_int_equal(call(SHYPER_HC_VM_RESUME, rt->id, 0, 0, 0), SHYPER_OK);
	assert_false(rt->board.s2_suspended);
	assert_false(vm_fault_retried(rt));
	assert_int_equal(root_valid_entries(rt), valid);
	assert_int_equal(call(SHYPER_HC_VM_PAUSE, rt->id, 0, 0, 0), SHYPER_OK);

	/* Stopped (or crashed), it gives the pCPU back. */
	assert_int_equal(call(SHYPER_HC_VM_STOP, rt->id, 0, 0, 0), SHYPER_OK);
	assert_null(rt_owner(1));
	assert_int_equal(psci_call(caller, PSCI_CPU_ON_64, 1, MVM_RAM_IPA, 0), PSCI_RET_SUCCESS);
	assert_int_equal(mvm1->power, VCPU_ON_PENDING);
	assert_int_equal(call(SHYPER_HC_VM_START, gvm->id, 0, 0, 0), SHYPER_OK);
	mvm->vcpu_count = 1;
}

static void test_mvm_and_missing_vms(void **state)
{
	const uint32_t calls[] = { SHYPER_HC_VM_START, SHYPER_HC_VM_STOP, SHYPER_HC_VM_DESTROY,
				   SHYPER_HC_VM_PAUSE, SHYPER_HC_VM_RESUME, SHYPER_HC_VM_LOAD,
				   SHYPER_HC_VM_SHUTDOWN };

	(void)state;
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		assert_int_equal(call(calls[i], 0, SHYPER_GUEST_RAM_BASE, BUF_IPA, 4),
				 SHYPER_E_DENIED);
		assert_int_equal(call(calls[i], 5, SHYPER_GUEST_RAM_BASE, BUF_IPA, 4),
				 SHYPER_E_NO_ENTRY);
		assert_int_equal(call(calls[i], 1ULL << 33, SHYPER_GUEST_RAM_BASE, BUF_IPA, 4),
				 SHYPER_E_NO_ENTRY);
	}
	assert_int_equal(mvm->state, VM_STATE_RUNNING);
	/* The MVM has no emulated power button to press. */
	assert_int_equal(mvm->gpio.base, 0);
}

static void test_create_destroy_200_times(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		good_config("cycle");
		assert_int_equal(create(), SHYPER_OK);
		assert_int_equal(call(SHYPER_HC_VM_DESTROY, caller->regs.x[1], 0, 0, 0), SHYPER_OK);
	}
	assert_int_equal(vms_in_use(), 1);
	assert_int_equal(galloc_free_bytes(&hv_state->pool), pool_free_at_start);
	assert_int_equal(heap_free_bytes(), heap_free_at_start);
}

static void uart(struct vm *vm, uint64_t off, bool write, uint64_t *val)
{
	assert_true(vconsole_mmio(&vm->vcpus[0], SHYPER_GUEST_UART_BASE + off, 4, write, val));
}

static void test_console(void **state)
{
	struct vm *vm;
	uint64_t v;
	char *buf = (char *)mvm_ram + (BUF_IPA - MVM_RAM_IPA);

	(void)state;
	good_config("talker");
	assert_int_equal(create(), SHYPER_OK);
	vm = &hv_state->vms[caller->regs.x[1]];

	/* The guest identifies a PL011 and prints. */
	uart(vm, 0xfe0, false, &v);
	assert_int_equal(v, 0x11);
	uart(vm, 0xff0, false, &v);
	assert_int_equal(v, 0x0d);
	for (const char *p = "hello\n"; *p; p++) {
		v = (uint8_t)*p;
		uart(vm, 0x000, true, &v);
	}
	assert_int_equal(call(SHYPER_HC_CONSOLE_READ, vm->id, BUF_IPA, 64, 0), SHYPER_OK);
	assert_int_equal(caller->regs.x[1], 6);
	assert_int_equal(caller->regs.x[2], 0);
	assert_int_equal(caller->regs.x[3], 6);
	assert_memory_equal(buf, "hello\n", 6);
	/* From an offset; past the end gives nothing. */
	assert_int_equal(call(SHYPER_HC_CONSOLE_READ, vm->id, BUF_IPA, 64, 2), SHYPER_OK);
	assert_int_equal(caller->regs.x[1], 4);
	assert_int_equal(call(SHYPER_HC_CONSOLE_READ, vm->id, BUF_IPA, 64, 6), SHYPER_OK);
	assert_int_equal(caller->regs.x[1], 0);

	/* More than the ring holds: the newest bytes survive, and the reader learns
	 * where its copy really starts. */
	for (unsigned i = 0; i < VCONSOLE_OUT_SIZE + 100; i++) {
		v = 'a' + i % 26;
		uart(vm, 0x000, true, &v);
	}
	assert_int_equal(call(SHYPER_HC_CONSOLE_READ, vm->id, BUF_IPA, 16, 0), SHYPER_OK);
	/* 6 + 16384 + 100 bytes written, 16384 kept: the oldest kept is byte 106,
	 * which was the 100th of the alphabet run. */
	assert_int_equal(caller->regs.x[2], 6 + 100);
	assert_int_equal(buf[0], 'a' + 100 % 26);

	/* Input: the guest reads what the MVM wrote; the FIFO takes 32 at most. */
	memset(buf, 'k', 40);
	assert_int_equal(call(SHYPER_HC_CONSOLE_WRITE, vm->id, BUF_IPA, 40, 0), SHYPER_OK);
	assert_int_equal(caller->regs.x[1], VCONSOLE_RX_SIZE);
	uart(vm, 0x018, false, &v);
	assert_false(v & BIT(4)); /* RXFE clear */
	uart(vm, 0x000, false, &v);
	assert_int_equal(v, 'k');
	/* Bad buffers and lengths are refused. */
	assert_int_equal(call(SHYPER_HC_CONSOLE_WRITE, vm->id, 0x10, 4, 0), SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(SHYPER_HC_CONSOLE_READ, vm->id, BUF_IPA, 1 * MiB, 0),
			 SHYPER_E_INVALID);
	assert_int_equal(call(SHYPER_HC_CONSOLE_READ, vm->id, MVM_RAM_IPA + MVM_RAM_SIZE - 4, 64,
			      0), SHYPER_E_BAD_ADDRESS);
}

static uint64_t gpio(struct vm *vm, uint64_t off, bool write, uint64_t val)
{
	assert_true(vgpio_mmio(&vm->vcpus[0], SHYPER_GUEST_GPIO_BASE + off, 1, write, &val));
	return val;
}

#define GPIO_IBE 0x408
#define GPIO_IEV 0x40c
#define GPIO_IE 0x410
#define GPIO_RIS 0x414
#define GPIO_IC 0x41c
#define POWER BIT(SHYPER_GUEST_POWER_GPIO)
/* GPIODATA addressed with only the power button's bit in the mask */
#define POWER_DATA (POWER << 2)

static bool gpio_line_high(struct vm *vm)
{
	return vm->vgic.spi[SHYPER_GUEST_GPIO_SPI].flags & VIRQ_LINE_HIGH;
}

static void test_shutdown_presses_power_button(void **state)
{
	struct vm *vm;
	uint16_t id;

	(void)state;
	good_config("polite");
	assert_int_equal(create(), SHYPER_OK);
	id = (uint16_t)caller->regs.x[1];
	vm = &hv_state->vms[id];
	/* Only a running guest can be asked. */
	assert_int_equal(call(SHYPER_HC_VM_SHUTDOWN, id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(vm->gpio.presses, 0);
	assert_int_equal(call(SHYPER_HC_VM_START, id, 0, 0, 0), SHYPER_OK);

	/* The guest's gpio-keys: line 3 on both edges, enabled. */
	gpio(vm, GPIO_IBE, true, POWER);
	gpio(vm, GPIO_IE, true, POWER);
	assert_false(gpio_line_high(vm));
	assert_int_equal(call(SHYPER_HC_VM_SHUTDOWN, id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(vm->state, VM_STATE_RUNNING); /* the guest decides when */
	assert_int_equal(gpio(vm, GPIO_RIS, false, 0), POWER);
	assert_true(gpio_line_high(vm));
	assert_contains(hv_state->log_ring, "power button pressed");
	/* The guest acknowledges, then reads the key down: the button comes up. */
	gpio(vm, GPIO_IC, true, POWER);
	assert_false(gpio_line_high(vm));
	assert_int_equal(gpio(vm, POWER_DATA, false, 0), POWER);
	assert_true(gpio_line_high(vm));
	gpio(vm, GPIO_IC, true, POWER);
	assert_int_equal(gpio(vm, POWER_DATA, false, 0), 0);

	/* A second request is a second press. */
	assert_int_equal(call(SHYPER_HC_VM_SHUTDOWN, id, 0, 0, 0), SHYPER_OK);
	assert_true(gpio_line_high(vm));
	gpio(vm, GPIO_IC, true, POWER);
	/* And a third before the guest looked: still a new edge. */
	assert_int_equal(call(SHYPER_HC_VM_SHUTDOWN, id, 0, 0, 0), SHYPER_OK);
	assert_true(gpio_line_high(vm));
	assert_int_equal(gpio(vm, POWER_DATA, false, 0), POWER);
	assert_int_equal(vm->gpio.presses, 3);

	/* Paused or shut off: not running, refused, nothing pressed. */
	assert_int_equal(call(SHYPER_HC_VM_PAUSE, id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(call(SHYPER_HC_VM_SHUTDOWN, id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_STOP, id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(call(SHYPER_HC_VM_SHUTDOWN, id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(vm->gpio.presses, 3);

	/* A restarted guest finds its PL061 out of reset, button up. */
	assert_int_equal(call(SHYPER_HC_VM_START, id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(gpio(vm, GPIO_IE, false, 0), 0);
	assert_int_equal(gpio(vm, GPIO_RIS, false, 0), 0);
	assert_int_equal(gpio(vm, 0x3fc, false, 0), 0);
	assert_false(gpio_line_high(vm));
	/* Interrupt masked (rising edges only, GPIOIE clear): the press is
	 * latched in RIS but the vGIC line stays low. */
	gpio(vm, GPIO_IEV, true, POWER);
	assert_int_equal(call(SHYPER_HC_VM_SHUTDOWN, id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(gpio(vm, GPIO_RIS, false, 0), POWER);
	assert_false(gpio_line_high(vm));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, mvm_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_defines_zeroed_vm),
		T(test_bad_configs_change_nothing),
		T(test_duplicates_and_slots),
		T(test_load_start_stop_destroy),
		T(test_mvm_and_missing_vms),
		T(test_rtvm_has_its_pcpu_to_itself),
		T(test_create_destroy_200_times),
		T(test_console),
		T(test_shutdown_presses_power_button),
	};

	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
