/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's console: an emulated PL011 UART whose output is kept in a
 * bounded ring (the newest VCONSOLE_OUT_SIZE bytes survive, so what a guest
 * printed while nobody was attached is shown on attach) and whose input
 * comes from the MVM.
 */
#ifndef HV_VCONSOLE_H
#define HV_VCONSOLE_H

#include <hv/spinlock.h>
#include <hv/types.h>

#define VCONSOLE_OUT_SIZE (16 * 1024)
#define VCONSOLE_RX_SIZE 32

struct vconsole {
	struct spinlock lock;
	uint64_t base;          /* IPA of the UART, 0: none */
	uint32_t intid;         /* its SPI */
	/* PL011 registers the guest programs */
	uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, dmacr;
	bool tx_irq_cleared;    /* TX raw interrupt cleared until the next write */
	/* input from the MVM */
	uint8_t rx[VCONSOLE_RX_SIZE];
	uint32_t rx_head, rx_tail;
	/* output */
	bool notify_armed;      /* post a console event at the next output byte */
	uint64_t out_written;   /* bytes ever written */
	uint8_t out[VCONSOLE_OUT_SIZE];
};

struct vm;
struct vcpu;

void vconsole_init(struct vconsole *con, uint64_t base, uint32_t intid);
/* The UART as out of reset, with the output kept (a restarted guest). */
void vconsole_reset(struct vconsole *con);
/* Emulate an access to the UART; false if ipa is not the VM's UART. */
bool vconsole_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val);
/*
 * Copy output from byte `from` of the stream (as counted by out_written)
 * into buf. Returns the bytes copied; *start is where the copy really began
 * (later than `from` if those bytes were overwritten).
 */
size_t vconsole_read(struct vm *vm, uint64_t from, uint8_t *buf, size_t len, uint64_t *start);
/* The MVM has read: tell it about the next output again. */
void vconsole_rearm(struct vm *vm);
/* Append a guest's output from another console device (virtio) to the ring. */
void vconsole_output(struct vm *vm, const uint8_t *buf, size_t len);
/* Queue input for the guest; returns how many bytes fitted. */
size_t vconsole_write(struct vm *vm, const uint8_t *buf, size_t len);

#endif
