// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated ARM PL031 real-time clock (see hv/vrtc.h). Stock Linux
 * (rtc-pl031) reads the date from it at boot and can set alarms on it.
 *
 * The counter (RTCDR) is derived, not stored: the seconds it read at some
 * moment plus the whole seconds the architected counter has counted since.
 * Loading RTCLR moves that moment to now. The match interrupt is raised
 * when the counter reaches RTCMR (at once if a write makes the two equal),
 * stays raised until RTCICR clears it, and drives a level line to the vGIC
 * while it is also enabled in RTCIMSC. A match that falls due while the
 * guest looks elsewhere is caught by the scheduler (vrtc_poll), which
 * wakes for it only while the guest has the interrupt enabled.
 *
 * Registers are 32 bits wide. Narrower reads see their low bytes; narrower
 * writes, misaligned accesses and unknown offsets read as zero and change
 * nothing.
 */
#include <hv/arch.h>
#include <hv/vgic.h>
#include <hv/vm.h>
#include <hv/vrtc.h>
#include <string.h>

#define RTC_SIZE 0x1000
#define DR 0x00
#define MR 0x04
#define LR 0x08
#define CR 0x0c
#define IMSC 0x10
#define RIS 0x14
#define MIS 0x18
#define ICR 0x1c
#define PERIPH_ID0 0xfe0

/* PL031 peripheral and PrimeCell identification, 0xfe0..0xffc */
static const uint8_t id_regs[8] = { 0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

#define WRAP_SECONDS (1ULL << 32)

static uint64_t elapsed_seconds(const struct vrtc *rtc, uint64_t now)
{
	return now > rtc->counter_at ? (now - rtc->counter_at) / arch_counter_freq() : 0;
}

static uint32_t counter_value(const struct vrtc *rtc, uint64_t now)
{
	return rtc->seconds + (uint32_t)elapsed_seconds(rtc, now);
}

/* Work out when the counter next equals the match; raise it now if it does. */
static void arm(struct vrtc *rtc, uint64_t now)
{
	uint64_t elapsed = elapsed_seconds(rtc, now);
	uint64_t ahead = (uint32_t)(rtc->mr - (rtc->seconds + (uint32_t)elapsed));

	if (!ahead) {
		rtc->ris = 1;
		ahead = WRAP_SECONDS;
	}
	rtc->alarm_at = rtc->counter_at + (elapsed + ahead) * arch_counter_freq();
}

static void set_clock(struct vrtc *rtc, uint32_t seconds, uint64_t now)
{
	rtc->seconds = seconds;
	rtc->counter_at = now;
	arm(rtc, now);
}

/* A match that fell due since the last look (the counter went past it). */
static void catch_up(struct vrtc *rtc, uint64_t now)
{
	if (rtc->alarm_at && now >= rtc->alarm_at) {
		rtc->ris = 1;
		/* The next time the counter shows the same value: after it wraps. */
		rtc->alarm_at += WRAP_SECONDS * arch_counter_freq();
	}
}

/* Drive the vGIC line to match; under rtc->lock (the vGIC takes its own below). */
static void line_update(struct vm *vm, struct vrtc *rtc)
{
	vgic_spi_set_line(vm, rtc->intid, rtc->ris && rtc->imsc);
}

void vrtc_init(struct vm *vm, uint64_t base, uint32_t intid, uint32_t seconds)
{
	struct vrtc *rtc = &vm->rtc;

	memset(rtc, 0, sizeof(*rtc));
	rtc->base = base;
	rtc->intid = intid;
	set_clock(rtc, seconds, arch_counter());
	rtc->ris = 0; /* a match of 0 is not a reason to start with an interrupt */
}

void vrtc_reset(struct vm *vm)
{
	struct vrtc *rtc = &vm->rtc;

	if (!rtc->base)
		return;
	spin_lock(&rtc->lock);
	rtc->mr = 0;
	rtc->imsc = 0;
	arm(rtc, arch_counter());
	rtc->ris = 0;
	line_update(vm, rtc);
	spin_unlock(&rtc->lock);
}

static uint32_t reg_read(struct vrtc *rtc, uint64_t off, uint64_t now)
{
	switch (off) {
	case DR:
		return counter_value(rtc, now);
	case MR:
		return rtc->mr;
	case LR:
		return rtc->lr;
	case CR:
		return 1; /* started, and it cannot be stopped */
	case IMSC:
		return rtc->imsc;
	case RIS:
		return rtc->ris;
	case MIS:
		return rtc->ris & rtc->imsc;
	default:
		if (off >= PERIPH_ID0 && off < RTC_SIZE)
			return id_regs[(off - PERIPH_ID0) / 4];
		return 0;
	}
}

static void reg_write(struct vrtc *rtc, uint64_t off, uint32_t v, uint64_t now)
{
	switch (off) {
	case MR:
		rtc->mr = v;
		arm(rtc, now);
		break;
	case LR:
		rtc->lr = v;
		set_clock(rtc, v, now);
		break;
	case IMSC:
		rtc->imsc = v & 1;
		break;
	case ICR:
		if (v & 1)
			rtc->ris = 0;
		break;
	default: /* RTCCR (always started) and read-only registers */
		break;
	}
}

bool vrtc_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);
	struct vrtc *rtc = &vm->rtc;
	uint64_t off, now;

	if (!rtc->base || ipa < rtc->base || ipa >= rtc->base + RTC_SIZE)
		return false;
	off = ipa - rtc->base;
	if (!write)
		*val = 0;
	if (off & 3)
		return true;
	now = arch_counter();
	spin_lock(&rtc->lock);
	catch_up(rtc, now);
	if (!write) {
		uint64_t v = reg_read(rtc, off, now);

		*val = size >= 4 ? v : v & ((1ULL << (8 * size)) - 1);
	} else if (size >= 4) {
		reg_write(rtc, off, (uint32_t)*val, now);
	}
	line_update(vm, rtc);
	spin_unlock(&rtc->lock);
	return true;
}

uint64_t vrtc_poll(struct vm *vm, uint64_t now)
{
	struct vrtc *rtc = &vm->rtc;
	uint64_t next;
	uint8_t raised;

	/* Masked, a match changes no line: the next register access catches
	 * it up. Unlocked read: a concurrent enable does its own catch-up. */
	if (!rtc->base || !__atomic_load_n(&rtc->imsc, __ATOMIC_RELAXED))
		return 0;
	spin_lock(&rtc->lock);
	raised = rtc->ris;
	catch_up(rtc, now);
	if (rtc->ris != raised)
		line_update(vm, rtc);
	next = rtc->imsc && !rtc->ris ? rtc->alarm_at : 0;
	spin_unlock(&rtc->lock);
	return next;
}
