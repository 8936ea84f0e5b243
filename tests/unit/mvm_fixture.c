// SPDX-License-Identifier: GPL-2.0
/* The MVM and its guest pool for the management-call tests (mvm_fixture.h). */
#include <stdlib.h>
#include <hv/galloc.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/state.h>
#include "mvm_fixture.h"
#include "unit.h"

struct vm *mvm;
struct vcpu *caller;
uint8_t *mvm_ram, *pool;

int mvm_fixture_setup(unsigned heap_pages)
{
	fake_reset();
	if (!unit_state_new() || !fake_heap_create(heap_pages))
		return -1;
	if (posix_memalign((void **)&pool, 2 * MiB, POOL_SIZE) ||
	    posix_memalign((void **)&mvm_ram, 4096, MVM_RAM_SIZE))
		return -1;
	memset(pool, 0xee, POOL_SIZE); /* what a previous owner left */
	memset(mvm_ram, 0, MVM_RAM_SIZE);
	if (!galloc_init(&hv_state->pool, (uint64_t)(uintptr_t)pool, POOL_SIZE, 2 * MiB))
		return -1;
	hv_state->pcpu_online_mask = 0xf;
	mvm = &hv_state->vms[0];
	mvm->type = VM_TYPE_MVM;
	mvm->state = VM_STATE_RUNNING;
	strcpy(mvm->name, "mvm");
	mvm->board.mem_count = 1;
	mvm->board.mem[0] = (struct mem_region){
		.ipa = ipa_init(MVM_RAM_IPA), .pa = hv_pa(mvm_ram), .size = MVM_RAM_SIZE
	};
	mvm->vcpu_count = 1;
	caller = &mvm->vcpus[0];
	return 0;
}

int mvm_fixture_teardown(void **state)
{
	(void)state;
	fake_heap_destroy();
	free(pool);
	free(mvm_ram);
	pool = mvm_ram = NULL;
	unit_state_free();
	return 0;
}

int64_t call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	caller->regs.x[0] = fid;
	caller->regs.x[1] = a1;
	caller->regs.x[2] = a2;
	caller->regs.x[3] = a3;
	caller->regs.x[4] = a4;
	hypercall_handle(caller);
	return (int64_t)caller->regs.x[0];
}

void *in_mvm(uint64_t ipa)
{
	return mvm_ram + (ipa - MVM_RAM_IPA);
}

struct shyper_vm_config *guest_config(const char *name, unsigned vcpus, uint64_t memory)
{
	struct shyper_vm_config *c = in_mvm(CFG_IPA);

	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->type = SHYPER_VM_GVM;
	strncpy(c->name, name, sizeof(c->name) - 1);
	c->vcpu_count = vcpus;
	for (unsigned i = 0; i < vcpus && i < SHYPER_MAX_VCPUS; i++)
		c->vcpu_pcpu[i] = (uint8_t)(1 + i);
	c->memory = memory;
	c->entry_ipa = SHYPER_GUEST_RAM_BASE;
	return c;
}

struct vm *guest_create(void)
{
	if (call(SHYPER_HC_VM_CREATE, CFG_IPA, sizeof(struct shyper_vm_config), 0, 0) != SHYPER_OK)
		return NULL;
	return &hv_state->vms[caller->regs.x[1]];
}
