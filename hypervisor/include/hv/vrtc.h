/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's real-time clock: an emulated ARM PL031 (devices/vpl031.c), where
 * QEMU virt has its own, so a guest knows the date from its first
 * instruction. The MVM's tools set it from their own clock when they give
 * the device (SHYPER_DEV_RTC); from then on it counts by the architected
 * counter, across the guest's reboots, as a battery-backed clock would.
 * Plain data in the VM's record (migration and live update carry it).
 */
#ifndef HV_VRTC_H
#define HV_VRTC_H

#include <hv/spinlock.h>
#include <hv/types.h>

struct vrtc {
	struct spinlock lock;
	uint64_t base;         /* IPA of the PL031, 0: none */
	uint32_t intid;        /* its SPI, level-sensitive */
	/* The clock: it read `seconds` when the counter read `counter_at`, and
	 * gains one each counter frequency's worth of ticks since. */
	uint32_t seconds;
	uint64_t counter_at;
	/* Registers the guest programs */
	uint32_t mr;           /* RTCMR: match */
	uint32_t lr;           /* RTCLR: last value loaded */
	uint8_t imsc;          /* RTCIMSC: the match interrupt is enabled */
	uint8_t ris;           /* RTCRIS: the counter has reached the match */
	uint8_t reserved[6];
	/* Counter value at which the counter next reaches the match (it is
	 * raised then, even while masked); 0: not armed. */
	uint64_t alarm_at;
};

struct vm;
struct vcpu;

/* Gives the VM its PL031, reading SECONDS now. */
void vrtc_init(struct vm *vm, uint64_t base, uint32_t intid, uint32_t seconds);
/* The PL031 as out of reset for a restarted guest: match, interrupt and
 * mask cleared; the clock runs on. */
void vrtc_reset(struct vm *vm);
/* Emulate an access to the PL031; false if ipa is not the VM's PL031. */
bool vrtc_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val);
/*
 * Raise the match interrupt if its time has come (NOW is the counter).
 * Returns the counter value at which the scheduler should look again: the
 * next match while the guest has the interrupt enabled, else 0.
 */
uint64_t vrtc_poll(struct vm *vm, uint64_t now);

#endif
