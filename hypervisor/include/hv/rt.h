/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real-time VMs' exclusive pCPUs (core/rt.c). An RTVM that runs (or is
 * paused) has the pCPUs its vCPUs are pinned to to itself: it starts only
 * when nothing else may run there (the MVM has taken its own CPU there
 * offline with PSCI CPU_OFF, no other started VM is pinned there), and
 * while it has them, no other vCPU may come on there (the MVM's CPU_ON is
 * denied, another VM's start is refused). The scheduler then finds one
 * vCPU on such a pCPU: no tick, WFI not trapped.
 */
#ifndef HV_RT_H
#define HV_RT_H

#include <hv/vm.h>

/* The started (running or paused) RTVM that has pCPU PCPU, or NULL. */
struct vm *rt_owner(unsigned pcpu);

/* The vCPU of that RTVM pinned to PCPU, or NULL. */
struct vcpu *rt_vcpu_on(unsigned pcpu);

/* May VM start: SHYPER_OK, or SHYPER_E_BUSY (another vCPU may run on a pCPU
 * it would have, or, for any VM, one of its pCPUs is a started RTVM's). */
int64_t rt_start_check(const struct vm *vm);

/* May VCPU come on (PSCI CPU_ON)? Not on another VM's RT pCPU. */
bool rt_may_power_on(const struct vcpu *vcpu);

#endif
