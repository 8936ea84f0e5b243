/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry points of the hypervisor image.
 *
 * The image is an arm64 Linux-style `Image` (so QEMU's -kernel and U-Boot's
 * booti load it), linked position-independent at 0: it applies its own
 * R_AARCH64_RELATIVE relocations first, so it runs wherever it was loaded.
 * The boot CPU enters at _head with x0 = device tree; secondaries enter at
 * secondary_entry through PSCI CPU_ON with x0 = their pCPU index.
 */
#include <hv/update.h>
#include "asm.h"

/* Apply our own relocations, *(base + off) = base + addend (idempotent),
 * then zero bss. Clobbers x1-x5, x20 = our base. */
.macro relocate_and_clear_bss
	adr	x20, _head
	adr_l	x1, __rela_start
	adr_l	x2, __rela_end
1:	cmp	x1, x2
	b.hs	2f
	ldp	x3, x4, [x1], #24	/* r_offset, r_info */
	ldr	x5, [x1, #-8]		/* r_addend */
	cmp	w4, #1027		/* R_AARCH64_RELATIVE */
	b.ne	1b
	add	x5, x5, x20
	str	x5, [x20, x3]
	b	1b
2:	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b
4:
.endm

	.section .text.head, "ax"
	.global _head
_head:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0x80000			/* text_offset from a 2 MiB boundary */
	.quad	_image_size		/* image_size, including bss */
	.quad	0xa			/* flags: LE, 4 KiB pages, anywhere in RAM */
	.quad	0, 0, 0			/* reserved */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* reserved (PE header offset) */

	/*
	 * struct shyper_image_header (shyper/image.h), at byte 64: filled in
	 * and sealed with its SHA-256 after linking by tools/seal-image.py, so
	 * that a running hypervisor can check this image before it hands over
	 * to it (live update). Only the offset of update_entry is ours.
	 */
	.global	shyper_image_header
shyper_image_header:
	.quad	0			/* magic */
	.long	0, 0, 0, 0, 0		/* header_size, arch, abi, state versions */
	.long	update_entry - _head	/* handover_entry */
	.space	112 - 32

	/*
	 * Live update: the running image calls here, on the pCPU that hands
	 * over, MMU on (identity map), interrupts masked, x0 = its struct
	 * shyper_handover. Make ourselves runnable, then take over in C; on
	 * failure C gives control back through handover_return.
	 */
update_entry:
	mov	x19, x0
	relocate_and_clear_bss
	ldr	w0, [x19, #HANDOVER_PCPU]
	bl	set_cpu_stack
	adr_l	x1, el2_vectors
	msr	vbar_el2, x1
	isb
	mov	x0, x19
	bl	update_takeover		/* never returns */
	b	.

	.text
primary_entry:
	mov	x19, x0			/* device tree */
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2

	relocate_and_clear_bss
	mov	x0, #0
	bl	set_cpu_stack
	adr_l	x1, el2_vectors
	msr	vbar_el2, x1
	isb
	mov	x0, x19
	bl	boot_early		/* MMU off: builds the first EL2 map */
	bl	mmu_enable
	mov	x0, x19
	bl	hv_main			/* never returns */
	b	.

not_el2:
	/* Not at EL2: nothing can be virtualised. Spin; there is no console yet. */
	wfe
	b	not_el2

	.global secondary_entry
secondary_entry:
	mov	x19, x0			/* pCPU index */
	bl	set_cpu_stack
	adr_l	x1, el2_vectors
	msr	vbar_el2, x1
	isb
	bl	mmu_enable
	mov	x0, x19
	bl	hv_secondary_main	/* never returns */
	b	.

/*
 * Live update, the new image: a pCPU the running image stopped comes here
 * once the takeover succeeded, x0 = its index. Our own stack, vectors and
 * EL2 map (update_takeover built it), then its vCPU again.
 */
	.global	update_secondary_entry
update_secondary_entry:
	mov	x19, x0
	bl	set_cpu_stack
	adr_l	x1, el2_vectors
	msr	vbar_el2, x1
	isb
	bl	mmu_enable
	mov	x0, x19
	bl	update_secondary	/* never returns */
	b	.

/*
 * Live update, the running image: handover_call(entry, h) saves what
 * handover_return needs into h->ctx and jumps to the new image's entry
 * with x0 = h. It returns only if the new image gives control back.
 */
	.global	handover_call
handover_call:
	add	x2, x1, #HANDOVER_CTX
	stp	x19, x20, [x2]
	stp	x21, x22, [x2, #16]
	stp	x23, x24, [x2, #32]
	stp	x25, x26, [x2, #48]
	stp	x27, x28, [x2, #64]
	stp	x29, x30, [x2, #80]
	mov	x3, sp
	str	x3, [x2, #HANDOVER_CTX_SP]
	mrs	x3, vbar_el2
	str	x3, [x2, #HANDOVER_CTX_VBAR]
	mrs	x3, tpidr_el2
	str	x3, [x2, #HANDOVER_CTX_TPIDR]
	mrs	x3, ttbr0_el2
	str	x3, [x2, #HANDOVER_CTX_TTBR0]
	dsb	ish
	mov	x4, x0
	mov	x0, x1
	br	x4

/* The new image gives control back: h->ctx as saved, x0 = code. */
	.global	handover_return
handover_return:
	add	x2, x0, #HANDOVER_CTX
	ldr	x3, [x2, #HANDOVER_CTX_TTBR0]
	msr	ttbr0_el2, x3
	isb
	tlbi	alle2
	dsb	nsh
	ldr	x3, [x2, #HANDOVER_CTX_VBAR]
	msr	vbar_el2, x3
	ldr	x3, [x2, #HANDOVER_CTX_TPIDR]
	msr	tpidr_el2, x3
	ldr	x3, [x2, #HANDOVER_CTX_SP]
	mov	sp, x3
	isb
	ldp	x19, x20, [x2]
	ldp	x21, x22, [x2, #16]
	ldp	x23, x24, [x2, #32]
	ldp	x25, x26, [x2, #48]
	ldp	x27, x28, [x2, #64]
	ldp	x29, x30, [x2, #80]
	mov	x0, x1
	ret

/* A stopped pCPU leaves for the new image: x0 = entry, x1 = its index. */
	.global	handover_jump
handover_jump:
	mov	x3, x0
	mov	x0, x1
	br	x3

/* x0 = pCPU index: sp = top of its stack, tpidr_el2 = its pcpu record. */
set_cpu_stack:
	mov	x2, #PCPU_STACK_SIZE
	madd	x1, x0, x2, x2		/* (index + 1) * size */
	adr_l	x3, pcpu_stacks
	add	sp, x3, x1
	adr_l	x1, pcpus
	mov	x2, #PCPU_RECORD_SIZE
	madd	x1, x0, x2, x1
	msr	tpidr_el2, x1
	ret
