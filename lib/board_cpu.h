/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The board's CPU models, read from the MVM (board_cpu.c). */
#ifndef SHYPER_LIB_BOARD_CPU_H
#define SHYPER_LIB_BOARD_CPU_H

#include <stdint.h>

/* QEMU's and libvirt's name of the CPU MIDR_EL1 describes, or NULL. */
const char *board_cpu_model_name(uint64_t midr);

/* pCPU PCPU's MIDR_EL1, as the MVM's sysfs shows it: 0, or -1 when it
 * cannot be read (an offline CPU, an older kernel). */
int board_cpu_midr(unsigned int pcpu, uint64_t *midr);

#endif
