/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HV_TRAP_H
#define HV_TRAP_H
#include <hv/vm.h>
/* A trap the hypervisor cannot handle: log it with the registers, stop the VM. */
void trap_unhandled(struct vcpu *vcpu, const char *what, uint64_t esr, uint64_t far);
#endif
