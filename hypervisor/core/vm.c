// SPDX-License-Identifier: GPL-2.0
/* The VM table: lookups, memory checks, and stopping a VM. */
#include <hv/arch.h>
#include <hv/events.h>
#include <hv/log.h>
#include <hv/pcpu.h>
#include <hv/psci.h>
#include <hv/sched.h>
#include <hv/state.h>
#include <shyper/abi.h>

static const char *const state_names[] = {
	[VM_STATE_FREE] = "free",       [VM_STATE_DEFINED] = "defined",
	[VM_STATE_RUNNING] = "running", [VM_STATE_PAUSED] = "paused",
	[VM_STATE_SHUTOFF] = "shut off", [VM_STATE_CRASHED] = "crashed",
};

const char *vm_state_name(enum vm_state state)
{
	return (unsigned)state < ARRAY_SIZE(state_names) ? state_names[state] : "unknown";
}

struct vm *vm_get(uint16_t id)
{
	if (id >= MAX_VMS || hv_state->vms[id].state == VM_STATE_FREE)
		return NULL;
	return &hv_state->vms[id];
}

struct vcpu *vcpu_get(struct vm *vm, unsigned index)
{
	return index < vm->vcpu_count ? &vm->vcpus[index] : NULL;
}

struct vm *vcpu_vm(const struct vcpu *vcpu)
{
	return &hv_state->vms[vcpu->vm_id];
}

struct vcpu *vm_find_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffULL;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if ((vm->vcpus[i].vmpidr & 0xff00ffffffULL) == mpidr)
			return &vm->vcpus[i];
	return NULL;
}

bool vm_ipa_range_is_ram(const struct vm *vm, ipaddr_t ipa, uint64_t size)
{
	for (unsigned i = 0; i < vm->board.mem_count; i++)
		if (range_within(ipa_addr(ipa), size, ipa_addr(vm->board.mem[i].ipa), vm->board.mem[i].size))
			return true;
	return false;
}

void vm_set_state(struct vm *vm, enum vm_state state, enum shyper_stop_reason why)
{
	vm->state = (uint8_t)state;
	vm->stop_reason = why;
	/* Every pCPU with one of its vCPUs chooses again, this one included. */
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		sched_kick(&vm->vcpus[i]);
	events_post(SHYPER_EVENT_VM_STATE, vm->id, vm->state, why);
}

bool vm_fault_retried(const struct vm *vm)
{
	/* The state is set before a map is suspended, the flag before its
	 * entries go: whoever faults on a cut map sees one or the other. */
	return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STATE_RUNNING ||
	       __atomic_load_n(&vm->board.s2_suspended, __ATOMIC_ACQUIRE);
}

void vm_crash(struct vm *vm, const char *why)
{
	pr_err("vm %u (%s) stopped: %s", vm->id, vm->name, why);
	vm_set_state(vm, VM_STATE_CRASHED, SHYPER_STOP_BY_MVM);
}

void vm_log_exits(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		const uint64_t *e = vm->vcpus[i].exits;

		pr_info("vm %u vcpu %u exits: hvc %lu smc %lu dabt %lu iabt %lu sysreg %lu wfx %lu "
			"irq %lu other %lu", vm->id, i, e[EXIT_HVC], e[EXIT_SMC], e[EXIT_DABT],
			e[EXIT_IABT], e[EXIT_SYSREG], e[EXIT_WFX], e[EXIT_IRQ], e[EXIT_OTHER]);
	}
}

void vm_system_event(struct vm *vm, bool reset)
{
	vm_log_exits(vm);
	if (vm->type == VM_TYPE_MVM) {
		pr_info("the MVM asked for a system %s", reset ? "reset" : "power-off");
		if (reset)
			arch_fw_system_reset();
		arch_fw_system_off();
	}
	/* A guest shuts off alone; a reset is left to the MVM, which reloads it. */
	pr_info("vm %u (%s) %s", vm->id, vm->name, reset ? "asked for a reset" : "powered off");
	vm_set_state(vm, VM_STATE_SHUTOFF,
		     reset ? SHYPER_STOP_GUEST_RESET : SHYPER_STOP_GUEST_POWEROFF);
}
