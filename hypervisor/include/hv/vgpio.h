/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's GPIO controller: an emulated ARM PL061 (devices/vpl061.c) with
 * eight lines, one of which is wired to the guest's power button, as on
 * QEMU virt. Its registers live here, in the VM's record in the persistent
 * state area (plain data), so migration and live update carry them.
 */
#ifndef HV_VGPIO_H
#define HV_VGPIO_H

#include <hv/spinlock.h>
#include <hv/types.h>

#define VGPIO_LINES 8

struct vgpio {
	struct spinlock lock;
	uint64_t base;         /* IPA of the PL061, 0: none */
	uint32_t intid;        /* its SPI, level-sensitive */
	/* PL061 registers the guest programs (each 8 bits, one per line) */
	uint8_t dir, is, ibe, iev, ie, afsel;
	uint8_t out;           /* GPIODATA as written, driven on output lines */
	uint8_t edge_ris;      /* edge-detected interrupts, latched until GPIOIC */
	/* The outside world */
	uint8_t in;            /* levels driven onto the lines (inputs) */
	uint8_t pins;          /* line levels as the edge detector last saw them */
	uint8_t momentary;     /* lines held high only until the guest reads them high */
	uint8_t reserved;
	uint64_t presses;      /* vgpio_press() calls that succeeded */
};

struct vm;
struct vcpu;

void vgpio_init(struct vgpio *gpio, uint64_t base, uint32_t intid);
/* The PL061 as out of reset, every line low (a restarted guest). */
void vgpio_reset(struct vgpio *gpio);
/* Emulate an access to the PL061; false if ipa is not the VM's PL061. */
bool vgpio_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val);
/* Drive an input line from outside (false for a VM without a PL061 or a bad line). */
bool vgpio_set_input(struct vm *vm, unsigned line, bool high);
/*
 * Press a push button wired to `line`: the line goes high (a rising edge).
 * If it is high already (the guest has not looked since the last press), it
 * first goes low, so every press is a new edge. The button is released (the
 * line goes low, a falling edge) as soon as the guest has read the line high
 * from GPIODATA, so the guest sees a whole press and release, as gpio-keys
 * expects, however long it takes to look.
 */
bool vgpio_press(struct vm *vm, unsigned line);

#endif
