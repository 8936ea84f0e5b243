// SPDX-License-Identifier: GPL-2.0
/*
 * SMC Calling Convention dispatch for calls a guest makes with HVC or SMC:
 * the Arm architecture calls, PSCI, and Shyper's own hypercalls.
 * Anything else gets SMCCC's NOT_SUPPORTED, whatever its number.
 */
#include <hv/hypercall.h>
#include <hv/psci.h>
#include <hv/smccc.h>

#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define SMCCC_VERSION_1_1 0x10001

void smccc_handle(struct vcpu *vcpu)
{
	struct vcpu_regs *r = &vcpu->regs;
	uint32_t fid = (uint32_t)r->x[0];

	if (psci_is_function(fid)) {
		r->x[0] = (uint64_t)psci_call(vcpu, fid, r->x[1], r->x[2], r->x[3]);
		return;
	}
	if (hypercall_is_vendor(fid)) {
		hypercall_handle(vcpu);
		return;
	}
	switch (fid) {
	case SMCCC_VERSION:
		r->x[0] = SMCCC_VERSION_1_1;
		return;
	case SMCCC_ARCH_FEATURES:
		/* No firmware workarounds (ARCH_WORKAROUND_*) are offered. */
		r->x[0] = (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
		return;
	default:
		r->x[0] = (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED;
		return;
	}
}
