/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bare-metal guest for Shyper: prints a greeting and its vCPU's MPIDR on
 * the PL011 UART of the guest machine, then powers its VM off with PSCI
 * SYSTEM_OFF over HVC. It needs no stack, no MMU and nothing else; it runs
 * unchanged on QEMU's virt board at EL1 too (same UART, PSCI over HVC).
 *
 * Entered at its load address with x0 = device tree (unused).
 */
#define UART_BASE 0x09000000
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1 << 5)
#define PSCI_SYSTEM_OFF 0x84000008

	.section .text.entry, "ax"
	.global	_start
_start:
	ldr	x19, =UART_BASE
	adr	x20, greeting
	bl	puts
	mrs	x21, mpidr_el1
	and	x21, x21, #0xff
	adr	x20, vcpu_msg
	bl	puts
	add	x0, x21, #'0'
	bl	putc
	mov	x0, #'\n'
	bl	putc
	adr	x20, bye
	bl	puts
	ldr	x0, =PSCI_SYSTEM_OFF
	hvc	#0
	/* SYSTEM_OFF does not return; if it did, wait forever. */
1:	wfi
	b	1b

/* x20 = NUL-terminated string; clobbers x0, x1, x20 */
puts:
	mov	x22, x30
2:	ldrb	w0, [x20], #1
	cbz	w0, 3f
	bl	putc
	b	2b
3:	mov	x30, x22
	ret

/* w0 = character; waits while the TX FIFO is full */
putc:
	ldr	w1, [x19, #UART_FR]
	tst	w1, #UART_FR_TXFF
	b.ne	putc
	strb	w0, [x19, #UART_DR]
	ret

	.section .rodata
greeting:
	.asciz	"Hello from a bare-metal Shyper guest!\n"
vcpu_msg:
	.asciz	"running on vCPU "
bye:
	.asciz	"powering off through PSCI\n"
