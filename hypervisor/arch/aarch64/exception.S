/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EL2 exception vectors, and the switch between hypervisor and guest.
 *
 * A trap from a guest saves x0-x30, ELR and SPSR into the register record of
 * the vCPU running on this pCPU (pcpu->current_regs, first word of the pcpu
 * record in tpidr_el2) and calls C with a pointer to it. C returns the
 * record to resume, which may belong to another vCPU after a switch; the
 * hypervisor stack starts empty again on every return to a guest.
 *
 * The hypervisor runs with interrupts masked: it only takes exceptions from
 * guests, and its own faults, which are fatal.
 */
#include "asm.h"

#define REGS_ELR (31 * 8)

.macro guest_exit handler
	stp	x0, x1, [sp, #-16]!
	mrs	x0, tpidr_el2
	ldr	x0, [x0]		/* pcpu->current_regs */
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
	stp	x20, x21, [x0, #160]
	stp	x22, x23, [x0, #176]
	stp	x24, x25, [x0, #192]
	stp	x26, x27, [x0, #208]
	stp	x28, x29, [x0, #224]
	ldp	x2, x3, [sp], #16	/* the guest's x0, x1 */
	stp	x2, x3, [x0]
	str	x30, [x0, #240]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [x0, #REGS_ELR]
	bl	\handler
	b	guest_enter
.endm

/* Hypervisor fault: save everything on the stack, report, never return. */
.macro hyp_fault kind
	sub	sp, sp, #(34 * 8)
	stp	x0, x1, [sp]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el2
	stp	x30, x1, [sp, #240]
	mrs	x1, spsr_el2
	add	x2, sp, #(34 * 8)
	stp	x1, x2, [sp, #256]	/* spsr, sp before the fault */
	mov	x0, sp
	mov	x1, #\kind
	bl	hyp_fault_report
	b	.
.endm

.macro vector target
	.balign	128
	b	\target
.endm

	.text
	.balign	2048
	.global	el2_vectors
el2_vectors:
	vector	hyp_sync_sp0		/* current EL, SP_EL0 */
	vector	hyp_irq
	vector	hyp_fiq
	vector	hyp_serror
	vector	hyp_sync		/* current EL, SP_EL2 */
	vector	hyp_irq
	vector	hyp_fiq
	vector	hyp_serror
	vector	lower_sync		/* lower EL, AArch64 */
	vector	lower_irq
	vector	lower_fiq
	vector	lower_serror
	vector	lower32			/* lower EL, AArch32: not supported */
	vector	lower32
	vector	lower32
	vector	lower32

hyp_sync_sp0:	hyp_fault 0
hyp_sync:	hyp_fault 0
hyp_irq:	hyp_fault 1
hyp_fiq:	hyp_fault 2
hyp_serror:	hyp_fault 3

lower_sync:	guest_exit exception_lower_sync
lower_irq:	guest_exit exception_lower_irq
/* The hypervisor's own interrupts are group 0 (FIQs): the same handler. */
lower_fiq:	guest_exit exception_lower_irq
lower_serror:	guest_exit exception_lower_serror
lower32:	guest_exit exception_lower_aarch32

/*
 * guest_enter(struct vcpu_regs *regs): enter the guest with these registers.
 * The pcpu record must already point at regs (vcpu load does that).
 */
	.global	guest_enter
guest_enter:
	mrs	x1, tpidr_el2
	ldr	x1, [x1, #8]		/* pcpu->stack_top */
	mov	sp, x1
	ldp	x2, x3, [x0, #REGS_ELR]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0]
	eret
	dsb	nsh			/* no straight-line speculation past eret */
	isb

/* Firmware call through SMC: x0..x3 in, x0 out. */
	.global	arch_smc_call
arch_smc_call:
	smc	#0
	ret

	.global	arch_hvc_call
arch_hvc_call:
	hvc	#0
	ret
