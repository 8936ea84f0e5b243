// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's emulated PL031 real-time clock (devices/vpl031.c): the time
 * it was set to and how it counts on, loads, the match interrupt as Linux's
 * rtc-pl031 programs it (also when it falls due unseen, through the
 * scheduler's poll), reset of a restarted guest, the device given through
 * VM_ADD_DEVICE, and accesses a hostile guest might make.
 */
#include <hv/passthrough.h>
#include <hv/state.h>
#include <hv/vgic.h>
#include <hv/vm_lifecycle.h>
#include <hv/vrtc.h>
#include <shyper/abi.h>
#include "unit.h"

#define BASE SHYPER_GUEST_RTC_BASE
#define INTID (32 + SHYPER_GUEST_RTC_SPI)
#define FREQ 62500000ULL
#define DR 0x00
#define MR 0x04
#define LR 0x08
#define CR 0x0c
#define IMSC 0x10
#define RIS 0x14
#define MIS 0x18
#define ICR 0x1c

/* 2026-12-04 04:00:00 UTC */
#define NOW_UNIX 1796356800U

static struct vm *vm;
static struct vcpu *vcpu;

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	vm = &hv_state->vms[2];
	vm->type = VM_TYPE_GVM;
	vm->state = VM_STATE_RUNNING;
	vm->vcpu_count = 1;
	vcpu = &vm->vcpus[0];
	vcpu->vm_id = vm->id;
	vcpu->power = VCPU_ON;
	vgic_vm_init(vm, SHYPER_GUEST_NR_SPIS);
	vgic_vcpu_init(vcpu);
	vrtc_init(vm, BASE, INTID, NOW_UNIX);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_state_free();
	return 0;
}

static uint64_t rd(uint64_t off)
{
	uint64_t v = 0xdeadbeefULL;

	assert_true(vrtc_mmio(vcpu, BASE + off, 4, false, &v));
	return v;
}

static void wr(uint64_t off, uint64_t v)
{
	assert_true(vrtc_mmio(vcpu, BASE + off, 4, true, &v));
}

static void advance_seconds(double seconds)
{
	fake_counter_now += (uint64_t)(seconds * FREQ);
}

static bool line_high(void)
{
	return vm->vgic.spi[INTID - 32].flags & VIRQ_LINE_HIGH;
}

static void test_identification_and_reset_values(void **state)
{
	static const uint8_t want[8] = { 0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(0xfe0 + 4 * i), want[i]);
	wr(0xfe0, 0x12);
	assert_int_equal(rd(0xfe0), 0x31);
	assert_int_equal(rd(CR), 1); /* already started: Linux need not start it */
	assert_int_equal(rd(MR), 0);
	assert_int_equal(rd(IMSC), 0);
	assert_int_equal(rd(RIS), 0);
	assert_int_equal(rd(MIS), 0);
	assert_false(line_high());
}

static void test_counts_from_the_time_it_was_given(void **state)
{
	(void)state;
	assert_int_equal(rd(DR), NOW_UNIX);
	advance_seconds(0.5);
	assert_int_equal(rd(DR), NOW_UNIX);
	advance_seconds(0.6);
	assert_int_equal(rd(DR), NOW_UNIX + 1);
	advance_seconds(3600);
	assert_int_equal(rd(DR), NOW_UNIX + 3601);
	/* Writing the counter register changes nothing; stopping it neither. */
	wr(DR, 5);
	wr(CR, 0);
	assert_int_equal(rd(DR), NOW_UNIX + 3601);
	assert_int_equal(rd(CR), 1);
}

static void test_load(void **state)
{
	(void)state;
	wr(LR, 1000);
	assert_int_equal(rd(DR), 1000);
	assert_int_equal(rd(LR), 1000);
	advance_seconds(2.1);
	assert_int_equal(rd(DR), 1002);
	/* The counter wraps at 32 bits, as the hardware's does. */
	wr(LR, 0xffffffffU);
	advance_seconds(1.01);
	assert_int_equal(rd(DR), 0);
}

static void test_match_interrupt(void **state)
{
	(void)state;
	/* What rtc-pl031 does to set an alarm: match, clear, enable. */
	wr(MR, NOW_UNIX + 10);
	wr(ICR, 1);
	wr(IMSC, 1);
	assert_int_equal(rd(MR), NOW_UNIX + 10);
	advance_seconds(9.5);
	assert_int_equal(rd(RIS), 0);
	assert_false(line_high());
	advance_seconds(0.6);
	assert_int_equal(rd(RIS), 1);
	assert_int_equal(rd(MIS), 1);
	assert_true(line_high());
	/* It stays until cleared, then does not come back a second later. */
	advance_seconds(1);
	assert_true(line_high());
	wr(ICR, 1);
	assert_int_equal(rd(RIS), 0);
	assert_false(line_high());
	advance_seconds(5);
	assert_int_equal(rd(RIS), 0);
}

static void test_masked_match_is_raw_only(void **state)
{
	(void)state;
	wr(MR, NOW_UNIX + 2);
	advance_seconds(3);
	assert_int_equal(rd(RIS), 1);
	assert_int_equal(rd(MIS), 0);
	assert_false(line_high());
	/* Enabling it afterwards asserts the line. */
	wr(IMSC, 1);
	assert_true(line_high());
	wr(IMSC, 0);
	assert_false(line_high());
}

static void test_match_written_equal_to_counter_fires_at_once(void **state)
{
	(void)state;
	wr(IMSC, 1);
	wr(MR, rd(DR));
	assert_int_equal(rd(RIS), 1);
	assert_true(line_high());
}

static void test_the_scheduler_catches_a_match_nobody_reads(void **state)
{
	uint64_t next;

	(void)state;
	/* Nothing enabled: nothing to wake for. */
	assert_int_equal(vrtc_poll(vm, fake_counter_now), 0);
	wr(MR, NOW_UNIX + 60);
	assert_int_equal(vrtc_poll(vm, fake_counter_now), 0);
	wr(IMSC, 1);
	next = vrtc_poll(vm, fake_counter_now);
	assert_true(next > fake_counter_now);
	/* When the counter shows the match, to the tick. */
	assert_true(next - fake_counter_now <= 60 * FREQ);
	assert_true(next - fake_counter_now > 59 * FREQ);
	assert_false(line_high());
	assert_int_equal(vrtc_poll(vm, next - 1), next);
	assert_false(line_high());
	assert_int_equal(vrtc_poll(vm, next), 0); /* raised: nothing more to wake for */
	assert_true(line_high());
}

static void test_reset_keeps_the_clock(void **state)
{
	(void)state;
	wr(LR, 5000);
	wr(MR, 5001);
	wr(IMSC, 1);
	advance_seconds(2);
	vrtc_poll(vm, fake_counter_now);
	assert_true(line_high());
	vrtc_reset(vm);
	assert_false(line_high());
	assert_int_equal(rd(MR), 0);
	assert_int_equal(rd(IMSC), 0);
	assert_int_equal(rd(RIS), 0);
	assert_int_equal(rd(DR), 5002);
}

static void test_hostile_accesses(void **state)
{
	uint64_t v;

	(void)state;
	/* Misaligned: reads zero, writes ignored. */
	v = 0;
	assert_true(vrtc_mmio(vcpu, BASE + LR + 1, 4, true, &v));
	assert_int_equal(rd(DR), NOW_UNIX);
	v = 0xff;
	assert_true(vrtc_mmio(vcpu, BASE + DR + 2, 2, false, &v));
	assert_int_equal(v, 0);
	/* Narrow writes are ignored, narrow reads see the low bytes. */
	v = 1;
	assert_true(vrtc_mmio(vcpu, BASE + IMSC, 1, true, &v));
	assert_int_equal(rd(IMSC), 0);
	assert_true(vrtc_mmio(vcpu, BASE + DR, 1, false, &v));
	assert_int_equal(v, NOW_UNIX & 0xff);
	/* Unknown offsets read zero. */
	assert_int_equal(rd(0x20), 0);
	assert_int_equal(rd(0x800), 0);
	/* Outside the page, or a VM without one: not ours. */
	assert_false(vrtc_mmio(vcpu, BASE + 0x1000, 4, false, &v));
	assert_false(vrtc_mmio(vcpu, BASE - 4, 4, false, &v));
	vm->rtc.base = 0;
	assert_false(vrtc_mmio(vcpu, BASE, 4, false, &v));
	assert_int_equal(vrtc_poll(vm, fake_counter_now), 0);
}

static struct shyper_device_config rtc_config(uint64_t seconds)
{
	struct shyper_device_config dev = { .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					    .kind = SHYPER_DEV_RTC };

	dev.rtc_time = seconds;
	return dev;
}

static void test_added_through_the_abi(void **state)
{
	struct shyper_device_config dev;

	(void)state;
	memset(&vm->rtc, 0, sizeof(vm->rtc));
	vm->state = VM_STATE_DEFINED;
	/* Every field it does not use must be zero; the time fits 32 bits. */
	dev = rtc_config(1ULL << 32);
	assert_int_equal(vm_add_device(vm, &dev), SHYPER_E_INVALID);
	dev = rtc_config(NOW_UNIX);
	dev.slot = 1;
	assert_int_equal(vm_add_device(vm, &dev), SHYPER_E_INVALID);
	dev = rtc_config(NOW_UNIX);
	dev.spi = SHYPER_GUEST_RTC_SPI;
	assert_int_equal(vm_add_device(vm, &dev), SHYPER_E_INVALID);
	dev = rtc_config(NOW_UNIX);
	dev.base = BASE;
	assert_int_equal(vm_add_device(vm, &dev), SHYPER_E_INVALID);
	assert_int_equal(vm->rtc.base, 0);
	/* A guest holding the board's own PL031 there does not get a second. */
	vm->board.passthrough_count = 1;
	vm->board.passthrough[0] = (struct vm_passthrough){ .base = BASE, .length = 0x1000, .spi = 2 };
	dev = rtc_config(NOW_UNIX);
	assert_int_equal(vm_add_device(vm, &dev), SHYPER_E_BUSY);
	assert_int_equal(vm->rtc.base, 0);
	vm->board.passthrough_count = 0;

	assert_int_equal(vm_add_device(vm, &dev), SHYPER_OK);
	assert_int_equal(vm->rtc.base, BASE);
	assert_int_equal(rd(DR), NOW_UNIX);
	assert_int_equal(vm_add_device(vm, &dev), SHYPER_E_EXISTS);
	/* Only before the first start. */
	vm->state = VM_STATE_RUNNING;
	memset(&vm->rtc, 0, sizeof(vm->rtc));
	assert_int_equal(vm_add_device(vm, &dev), SHYPER_E_BUSY);
	assert_int_equal(vm->rtc.base, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identification_and_reset_values),
		T(test_counts_from_the_time_it_was_given),
		T(test_load),
		T(test_match_interrupt),
		T(test_masked_match_is_raw_only),
		T(test_match_written_equal_to_counter_fires_at_once),
		T(test_the_scheduler_catches_a_match_nobody_reads),
		T(test_reset_keeps_the_clock),
		T(test_hostile_accesses),
		T(test_added_through_the_abi),
	};

	return cmocka_run_group_tests_name("vpl031", tests, NULL, NULL);
}
