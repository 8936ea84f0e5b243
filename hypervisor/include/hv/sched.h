/* SPDX-License-Identifier: GPL-2.0 */
/* Choosing what each pCPU runs (see core/sched.c). */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/vm.h>

/*
 * Pick the vCPU this pCPU runs next, waiting (and serving interrupts) while
 * there is none, load it, and return the registers to enter it with.
 */
struct vcpu_regs *sched_resume(void);
/* Start running guests on this pCPU. Never returns. */
void sched_start(void) __attribute__((noreturn));
/* Wake the pCPU of a vCPU whose state changed (power on, VM start/stop). */
void sched_kick(struct vcpu *vcpu);

/* Enter a guest with these registers (exception.S). */
void guest_enter(struct vcpu_regs *regs) __attribute__((noreturn));

#endif
