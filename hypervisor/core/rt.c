// SPDX-License-Identifier: GPL-2.0
/* Real-time VMs' exclusive pCPUs: the placement rules (see hv/rt.h). */
#include <hv/rt.h>
#include <hv/state.h>

static bool started(const struct vm *vm)
{
	return vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED;
}

/* Does a vCPU of VM sit on PCPU in a way that lets it run there? A started
 * guest's every vCPU counts (it may turn the others on); the MVM's only
 * while it is not powered off. */
static bool may_run_on(const struct vm *vm, unsigned pcpu)
{
	if (!started(vm))
		return false;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		if (v->pcpu == pcpu && (vm->type != VM_TYPE_MVM || v->power != VCPU_OFF))
			return true;
	}
	return false;
}

struct vm *rt_owner(unsigned pcpu)
{
	for (unsigned i = 0; i < MAX_VMS; i++) {
		struct vm *vm = &hv_state->vms[i];

		if (vm->type == VM_TYPE_RTVM && started(vm))
			for (unsigned k = 0; k < vm->vcpu_count; k++)
				if (vm->vcpus[k].pcpu == pcpu)
					return vm;
	}
	return NULL;
}

struct vcpu *rt_vcpu_on(unsigned pcpu)
{
	struct vm *vm = rt_owner(pcpu);

	for (unsigned k = 0; vm && k < vm->vcpu_count; k++)
		if (vm->vcpus[k].pcpu == pcpu)
			return &vm->vcpus[k];
	return NULL;
}

int64_t rt_start_check(const struct vm *vm)
{
	for (unsigned k = 0; k < vm->vcpu_count; k++) {
		unsigned pcpu = vm->vcpus[k].pcpu;
		struct vm *owner = rt_owner(pcpu);

		if (owner && owner != vm)
			return SHYPER_E_BUSY;
		if (vm->type != VM_TYPE_RTVM)
			continue;
		for (unsigned i = 0; i < MAX_VMS; i++) {
			const struct vm *other = &hv_state->vms[i];

			if (other != vm && other->state != VM_STATE_FREE && may_run_on(other, pcpu))
				return SHYPER_E_BUSY;
		}
	}
	return SHYPER_OK;
}

bool rt_may_power_on(const struct vcpu *vcpu)
{
	const struct vm *owner = rt_owner(vcpu->pcpu);

	return !owner || owner->id == vcpu->vm_id;
}
