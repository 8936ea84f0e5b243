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
#include "asm.h"

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
	 * struct shyper_image_header (shyper/image.h), at byte 64: zeroed here,
	 * filled in and sealed with its SHA-256 after linking by
	 * tools/seal-image.py, so that a running hypervisor can check this
	 * image before it hands over to it (live update).
	 */
	.global	shyper_image_header
shyper_image_header:
	.space	112

	.text
primary_entry:
	mov	x19, x0			/* device tree */
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2

	/* Apply our own relocations: *(base + off) = base + addend. */
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
2:
	/* Zero bss. */
	adr_l	x1, __bss_start
	adr_l	x2, __bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b
4:
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
