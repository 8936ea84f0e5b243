/* SPDX-License-Identifier: GPL-2.0 */
/* PSCI 1.1 as the hypervisor offers it to VMs (see core/psci.c). */
#ifndef HV_PSCI_H
#define HV_PSCI_H

#include <hv/vm.h>

#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_SUSPEND_32 0x84000001U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON_32 0x84000003U
#define PSCI_AFFINITY_INFO_32 0x84000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU
#define PSCI_CPU_SUSPEND_64 0xc4000001U
#define PSCI_CPU_ON_64 0xc4000003U
#define PSCI_AFFINITY_INFO_64 0xc4000004U

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_RET_DENIED (-3)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_ON_PENDING (-5)
#define PSCI_RET_INTERNAL_FAILURE (-6)
#define PSCI_RET_INVALID_ADDRESS (-9)

#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1
#define PSCI_AFFINITY_ON_PENDING 2

static inline bool psci_is_function(uint32_t fid)
{
	return (fid & 0xbfffffe0U) == 0x84000000U;
}

/* Handle PSCI call fid from vcpu with arguments a1..a3; returns x0. */
int64_t psci_call(struct vcpu *vcpu, uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3);

/* What SYSTEM_OFF / SYSTEM_RESET from a VM do: the MVM's act on the board. */
void vm_system_event(struct vm *vm, bool reset);

#endif
