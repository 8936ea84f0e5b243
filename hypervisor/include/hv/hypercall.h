/* SPDX-License-Identifier: GPL-2.0 */
/* Shyper's own hypercalls, the vendor-specific hypervisor service (see core/hypercall.c). */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <hv/vm.h>

static inline bool hypercall_is_vendor(uint32_t fid)
{
	/* SMCCC owning entity 6, fast calls, SMC32 or SMC64 */
	return (fid & 0xbfff0000U) == 0x86000000U;
}

/* Serve the call in vcpu's x0..x3; status in x0, results in x1..x3. */
void hypercall_handle(struct vcpu *vcpu);

#endif
