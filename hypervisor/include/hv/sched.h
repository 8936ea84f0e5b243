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
/* Put this pCPU's vCPU (its state all in the state area) and stop its
 * timer; the next sched_resume() chooses afresh. */
void sched_park(void);
/* Wake the pCPU of a vCPU whose state changed (power on, VM start/stop). */
void sched_kick(struct vcpu *vcpu);

/* The vCPU executed WFI (trapped): block it unless it has work. */
void sched_wfi(struct vcpu *vcpu);
/* An interrupt was queued for vcpu: unblock it if it sleeps in WFI. */
void sched_wake(struct vcpu *vcpu);
/* The hypervisor timer fired on this pCPU (slice end or a wake-up). */
void sched_tick(void);

/* Enter a guest with these registers (exception.S). */
void guest_enter(struct vcpu_regs *regs) __attribute__((noreturn));

#endif
