/* SPDX-License-Identifier: GPL-2.0 */
/* Assembler helpers and the constants the assembly shares with C. */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

#define PCPU_STACK_SIZE 16384
#define PCPU_RECORD_SIZE 256	/* checked against struct pcpu in cpu.c */
#define VCPU_REGS_SIZE (33 * 8)

#ifdef __ASSEMBLER__
/* PC-relative address of a symbol anywhere within +-4 GiB. */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm
#endif

#endif
