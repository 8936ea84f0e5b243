/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry points, exception vectors and fault probes of the test guest.
 *
 * The image starts with an arm64 Linux `Image` header, so QEMU's -kernel
 * loads it at RAM + 2 MiB exactly as Shyper does (0x40200000): the same
 * binary runs on the bare board at EL1 for comparison. The MMU stays off,
 * so every data access is Device memory: the C code is built with
 * -mstrict-align and uses no exclusives.
 *
 *   _head            vCPU 0, x0 = device tree (or 0)
 *   secondary_entry  PSCI CPU_ON, x0 = stack slot (context id)
 */
#define STACK_SIZE 0x4000
#define MAX_CPUS 8
#define FRAME_SIZE (34 * 8)	/* x0..x30, elr, spsr, pad: struct exception_frame */
#define CPACR_FPEN (3 << 20)

	.section .text.head, "ax"
	.global _head
_head:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset: at a 2 MiB boundary */
	.quad	_image_size		/* image_size, including bss */
	.quad	0x2			/* flags: LE, 4 KiB pages, near the start of RAM */
	.quad	0, 0, 0			/* reserved */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* reserved (PE header offset) */

	.text
primary_entry:
	mov	x19, x0
	/* Zero bss (the stacks are in it, so before the first one is used). */
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, #0
	bl	cpu_setup
	mov	x0, x19
	bl	testguest_main
	b	halt

	.global secondary_entry
secondary_entry:
	mov	x19, x0
	bl	cpu_setup
	mov	x0, x19
	bl	testguest_secondary
	b	halt

/* x0 = stack slot: stack, vectors, FP/SIMD access (no trap on a stray use). */
cpu_setup:
	ldr	x1, =stacks + STACK_SIZE
	mov	x2, #STACK_SIZE
	madd	x1, x0, x2, x1
	mov	sp, x1
	ldr	x1, =vectors
	msr	vbar_el1, x1
	mov	x1, #CPACR_FPEN
	msr	cpacr_el1, x1
	isb
	ret

halt:
	wfi
	b	halt

/*
 * probe_read(addr) -> value, probe_write(addr, value): one access each.
 * When it faults, exception_handle() steps over that one instruction, so
 * probe_read then returns 0.
 */
	.global probe_read
probe_read:
	mov	x1, x0
	mov	x0, #0
	ldr	x0, [x1]
	ret

	.global probe_write
probe_write:
	str	x1, [x0]
	ret

/* ---- Exception vectors: every entry saves a frame and calls C. ---------- */

.macro vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	exception_entry
.endm

	.balign	0x800
vectors:
	vector	0	/* current EL, SP_EL0: sync */
	vector	1	/* irq */
	vector	2	/* fiq */
	vector	3	/* serror */
	vector	4	/* current EL, SP_ELx: sync */
	vector	5
	vector	6
	vector	7
	vector	8	/* lower EL, AArch64 */
	vector	9
	vector	10
	vector	11
	vector	12	/* lower EL, AArch32 */
	vector	13
	vector	14
	vector	15

exception_entry:
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
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x30, x2, [sp, #240]
	str	x3, [sp, #256]
	mov	x1, sp
	bl	exception_handle	/* (kind, frame); may change frame->elr */
	ldp	x30, x2, [sp, #240]
	ldr	x3, [sp, #256]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	add	sp, sp, #FRAME_SIZE
	eret

	.ltorg

	.section .bss
	.balign	16
stacks:
	.space	STACK_SIZE * MAX_CPUS
