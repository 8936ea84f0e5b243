/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry and exception vectors of the latency probe. The image starts with
 * an arm64 Linux `Image` header, so QEMU's -kernel and Shyper both load it
 * at RAM + 2 MiB (0x40200000): the same binary runs on the bare board and
 * as a guest. The MMU stays off; one CPU measures, IRQs are the only
 * exception it expects (anything else halts it with a message); others,
 * if started (spin=N), only spin in spin_entry.
 */
#define STACK_SIZE 0x4000
#define FRAME_SIZE (32 * 8)	/* x0..x30 and a pad */

	.section .text.head, "ax"
	.global _head
_head:
	b	entry			/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset: at a 2 MiB boundary */
	.quad	_image_size		/* image_size, including bss */
	.quad	0x2			/* flags: LE, 4 KiB pages, near the start of RAM */
	.quad	0, 0, 0			/* reserved */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* reserved (PE header offset) */

	.text
entry:
	mov	x19, x0			/* the device tree */
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	ldr	x1, =stack + STACK_SIZE
	mov	sp, x1
	ldr	x1, =vectors
	msr	vbar_el1, x1
	isb
	mov	x0, x19
	bl	probe_main
3:	wfi
	b	3b

/* A CPU started to load the board: it spins, touching nothing. */
	.global spin_entry
spin_entry:
	b	spin_entry

.macro vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	exception_entry
.endm

	.balign	0x800
vectors:
	.irp	kind, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector	\kind
	.endr

/* Caller-saved registers only: the C handler keeps the rest. */
exception_entry:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x30, [sp, #144]
	bl	probe_exception		/* (kind) */
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x30, [sp, #144]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	eret

	.ltorg

	.section .bss
	.balign	16
stack:
	.space	STACK_SIZE
