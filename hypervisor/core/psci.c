// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI for guests: vCPU power states (OFF -> ON_PENDING -> ON -> OFF) and
 * system power. Pure state logic over the VM tables; the scheduler notices
 * the new states.
 */
#include <hv/arch.h>
#include <hv/log.h>
#include <hv/psci.h>
#include <hv/rt.h>
#include <hv/sched.h>

#define PSCI_VERSION_1_1 0x10001

static int64_t cpu_on(struct vcpu *caller, uint64_t mpidr, uint64_t entry, uint64_t context)
{
	struct vm *vm = vcpu_vm(caller);
	struct vcpu *target = vm_find_vcpu_by_mpidr(vm, mpidr);
	int64_t ret = PSCI_RET_SUCCESS;

	if (!target)
		return PSCI_RET_INVALID_PARAMS;
	if (!vm_ipa_range_is_ram(vm, ipa_init(entry), 4) || (entry & 3))
		return PSCI_RET_INVALID_ADDRESS;
	/* A real-time VM has that pCPU to itself (the MVM gave it up). */
	if (!rt_may_power_on(target))
		return PSCI_RET_DENIED;

	spin_lock(&target->vgic.lock);
	if (target->power == VCPU_ON) {
		ret = PSCI_RET_ALREADY_ON;
	} else if (target->power == VCPU_ON_PENDING) {
		ret = PSCI_RET_ON_PENDING;
	} else {
		arch_vcpu_reset(target, entry, context);
		target->power = VCPU_ON_PENDING;
	}
	spin_unlock(&target->vgic.lock);
	if (ret == PSCI_RET_SUCCESS)
		sched_kick(target);
	return ret;
}

static int64_t affinity_info(struct vcpu *caller, uint64_t mpidr, uint64_t level)
{
	struct vcpu *target;

	if (level != 0)
		return PSCI_RET_INVALID_PARAMS;
	target = vm_find_vcpu_by_mpidr(vcpu_vm(caller), mpidr);
	if (!target)
		return PSCI_RET_INVALID_PARAMS;
	switch (target->power) {
	case VCPU_ON:
		return PSCI_AFFINITY_ON;
	case VCPU_ON_PENDING:
		return PSCI_AFFINITY_ON_PENDING;
	default:
		return PSCI_AFFINITY_OFF;
	}
}

static int64_t features(uint32_t fid)
{
	switch (fid) {
	case PSCI_VERSION:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
		return PSCI_RET_SUCCESS;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		return 0; /* original power_state format, no OS-initiated mode */
	case 0x80000000U: /* SMCCC_VERSION */
		return PSCI_RET_SUCCESS;
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}

int64_t psci_call(struct vcpu *vcpu, uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct vm *vm = vcpu_vm(vcpu);

	/* SMC32/HVC32 calls: the upper halves of the argument registers are not part of them. */
	if (!(fid & BIT(30))) {
		a1 = (uint32_t)a1;
		a2 = (uint32_t)a2;
		a3 = (uint32_t)a3;
	}
	switch (fid) {
	case PSCI_VERSION:
		return PSCI_VERSION_1_1;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		/* Standby: returning at once is a valid wake-up. */
		return PSCI_RET_SUCCESS;
	case PSCI_CPU_OFF:
		vcpu->power = VCPU_OFF;
		return PSCI_RET_SUCCESS; /* not seen: the vCPU does not run again */
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		return cpu_on(vcpu, a1, a2, a3);
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		return affinity_info(vcpu, a1, a2);
	case PSCI_MIGRATE_INFO_TYPE:
		return 2; /* no Trusted OS that would need migrating */
	case PSCI_SYSTEM_OFF:
		vm_system_event(vm, false);
		return PSCI_RET_SUCCESS;
	case PSCI_SYSTEM_RESET:
		vm_system_event(vm, true);
		return PSCI_RET_SUCCESS;
	case PSCI_FEATURES:
		return features((uint32_t)a1);
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}
