// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's emulated PL061 GPIO controller (devices/vpl061.c): its
 * registers as Linux's gpio-pl061 and gpio-keys program them, interrupt
 * detection on every kind of edge and level, the level line it drives into
 * the vGIC, the power button, and accesses a hostile guest might make.
 */
#include <hv/state.h>
#include <hv/vgic.h>
#include <hv/vgpio.h>
#include <shyper/abi.h>
#include "unit.h"

#define BASE SHYPER_GUEST_GPIO_BASE
#define INTID (32 + SHYPER_GUEST_GPIO_SPI)
#define DIR 0x400
#define IS 0x404
#define IBE 0x408
#define IEV 0x40c
#define IE 0x410
#define RIS 0x414
#define MIS 0x418
#define IC 0x41c
#define AFSEL 0x420
/* GPIODATA with address bits [9:2] = mask */
#define DATA(mask) ((uint64_t)(mask) << 2)

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
	vgpio_init(&vm->gpio, BASE, INTID);
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

	assert_true(vgpio_mmio(vcpu, BASE + off, 1, false, &v));
	return v;
}

static void wr(uint64_t off, uint64_t v)
{
	assert_true(vgpio_mmio(vcpu, BASE + off, 1, true, &v));
}

/* Is the PL061's interrupt line to the vGIC asserted? */
static bool line_high(void)
{
	return vm->vgic.spi[INTID - 32].flags & VIRQ_LINE_HIGH;
}

static void test_identification(void **state)
{
	static const uint8_t want[8] = { 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(0xfe0 + 4 * i), want[i]);
	/* Read-only: a write changes nothing. */
	wr(0xfe0, 0x12);
	assert_int_equal(rd(0xfe0), 0x61);
	/* Out of reset everything is zero, every line low. */
	for (uint64_t off = DIR; off <= AFSEL; off += 4)
		assert_int_equal(rd(off), 0);
	assert_int_equal(rd(DATA(0xff)), 0);
	assert_false(line_high());
}

static void test_direction_and_masked_data(void **state)
{
	(void)state;
	wr(DIR, 0x0f);
	assert_int_equal(rd(DIR), 0x0f);
	/* All eight bits addressed: only the four outputs take the value. */
	wr(DATA(0xff), 0xff);
	assert_int_equal(rd(DATA(0xff)), 0x0f);
	/* The address masks writes: only line 0 changes. */
	wr(DATA(0x01), 0x00);
	assert_int_equal(rd(DATA(0xff)), 0x0e);
	wr(DATA(0x03), 0xff);
	assert_int_equal(rd(DATA(0xff)), 0x0f);
	wr(DATA(0x00), 0x00);
	assert_int_equal(rd(DATA(0xff)), 0x0f);
	/* ...and reads: bits outside the mask read as zero. */
	assert_int_equal(rd(DATA(0x06)), 0x06);
	assert_int_equal(rd(DATA(0xf0)), 0x00);
	assert_int_equal(rd(DATA(0x00)), 0x00);

	/* Inputs show what the outside drives; outputs ignore it. */
	assert_true(vgpio_set_input(vm, 5, true));
	assert_true(vgpio_set_input(vm, 1, false));
	assert_int_equal(rd(DATA(0xff)), 0x2f);
	assert_int_equal(rd(DATA(0x20)), 0x20);
	assert_int_equal(rd(DATA(0x1f)), 0x0f);
	/* Turning an output into an input shows its input level instead. */
	wr(DIR, 0x0e);
	assert_int_equal(rd(DATA(0xff)), 0x2e);
	assert_false(vgpio_set_input(vm, 8, true));
	assert_int_equal(rd(DATA(0xff)), 0x2e);
	/* Sized accesses see the eight-bit register in the low byte. */
	{
		uint64_t v = 0;

		assert_true(vgpio_mmio(vcpu, BASE + DATA(0xff), 4, false, &v));
		assert_int_equal(v, 0x2e);
		v = 0xffffff00;
		assert_true(vgpio_mmio(vcpu, BASE + DATA(0xff), 8, true, &v));
		assert_int_equal(rd(DATA(0xff)), 0x20);
	}
	/* A value written to an input line is not kept for when it turns
	 * output (Linux's direction_output writes it again for that reason). */
	wr(DATA(0x80), 0x80);
	wr(DIR, 0x8e);
	assert_int_equal(rd(DATA(0x80)), 0x00);
	wr(AFSEL, 0x81);
	assert_int_equal(rd(AFSEL), 0x81);
}

static void test_rising_and_falling_edges(void **state)
{
	(void)state;
	/* Line 4 on its rising edge, line 2 on its falling edge. */
	wr(IEV, 0x10);
	wr(IE, 0x14);
	vgpio_set_input(vm, 4, true);
	assert_int_equal(rd(RIS), 0x10);
	assert_int_equal(rd(MIS), 0x10);
	assert_true(line_high());
	/* Latched: still there after the line drops (a falling edge it ignores). */
	vgpio_set_input(vm, 4, false);
	assert_int_equal(rd(RIS), 0x10);
	/* Cleared by GPIOIC, and with it the line to the vGIC. */
	wr(IC, 0x10);
	assert_int_equal(rd(RIS), 0);
	assert_false(line_high());
	/* Raising the same level again is no edge. */
	vgpio_set_input(vm, 2, true);
	vgpio_set_input(vm, 2, true);
	assert_int_equal(rd(RIS), 0);
	assert_false(line_high());
	vgpio_set_input(vm, 2, false);
	assert_int_equal(rd(RIS), 0x04);
	assert_true(line_high());
	/* IC only clears the bits written. */
	vgpio_set_input(vm, 4, true);
	wr(IC, 0x04);
	assert_int_equal(rd(RIS), 0x10);
	assert_true(line_high());
	wr(IC, 0xff);
	assert_false(line_high());
	/* An output line's edges count too. */
	wr(DIR, 0x01);
	wr(IEV, 0x11);
	wr(IE, 0x01);
	wr(DATA(0x01), 0x01);
	assert_int_equal(rd(RIS), 0x01);
	assert_true(line_high());
}

static void test_both_edges(void **state)
{
	(void)state;
	/* As gpio-keys asks for line 3: both edges; IBE makes IEV irrelevant. */
	wr(IBE, 0x08);
	wr(IEV, 0x00);
	wr(IE, 0x08);
	vgpio_set_input(vm, 3, true);
	assert_int_equal(rd(MIS), 0x08);
	assert_true(line_high());
	wr(IC, 0x08);
	assert_false(line_high());
	vgpio_set_input(vm, 3, false);
	assert_int_equal(rd(MIS), 0x08);
	assert_true(line_high());
	wr(IC, 0x08);
	assert_int_equal(rd(RIS), 0);
	assert_false(line_high());
}

static void test_levels(void **state)
{
	(void)state;
	/* Line 6 level-high, line 7 level-low (asserted at once: it is low). */
	wr(IS, 0xc0);
	wr(IEV, 0x40);
	assert_int_equal(rd(RIS), 0x80);
	assert_false(line_high()); /* nothing enabled yet */
	wr(IE, 0xc0);
	assert_true(line_high());
	vgpio_set_input(vm, 7, true);
	assert_int_equal(rd(RIS), 0);
	assert_false(line_high());
	vgpio_set_input(vm, 6, true);
	assert_int_equal(rd(RIS), 0x40);
	assert_true(line_high());
	/* A level interrupt lasts as long as its level: IC cannot clear it. */
	wr(IC, 0xff);
	assert_int_equal(rd(RIS), 0x40);
	assert_true(line_high());
	vgpio_set_input(vm, 6, false);
	assert_int_equal(rd(RIS), 0);
	assert_false(line_high());
	/* Flipping IEV flips which level asserts. */
	wr(IEV, 0x00);
	assert_int_equal(rd(RIS), 0x40);
	/* An edge latched before a line turns level-sensitive is dropped. */
	wr(IS, 0x00);
	wr(IEV, 0x00);
	wr(IE, 0x00);
	vgpio_set_input(vm, 1, true);
	vgpio_set_input(vm, 1, false);
	assert_int_equal(rd(RIS), 0x02);
	wr(IS, 0x02);
	wr(IEV, 0x02);
	assert_int_equal(rd(RIS), 0x00);
	/* ...and does not come back when it turns edge-sensitive again. */
	wr(IS, 0x00);
	assert_int_equal(rd(RIS), 0x00);
}

static void test_mis_is_ris_and_ie(void **state)
{
	(void)state;
	wr(IBE, 0xff);
	for (unsigned line = 0; line < 8; line += 2)
		vgpio_set_input(vm, line, true);
	assert_int_equal(rd(RIS), 0x55);
	assert_int_equal(rd(MIS), 0);
	assert_false(line_high());
	wr(IE, 0x0f);
	assert_int_equal(rd(IE), 0x0f);
	assert_int_equal(rd(MIS), 0x05);
	assert_true(line_high());
	/* Clearing only the enabled ones drops the line; RIS keeps the rest. */
	wr(IC, 0x05);
	assert_int_equal(rd(RIS), 0x50);
	assert_int_equal(rd(MIS), 0);
	assert_false(line_high());
	/* Enabling a pending one raises it; masking lowers it again. */
	wr(IE, 0x10);
	assert_true(line_high());
	wr(IE, 0x00);
	assert_false(line_high());
	/* Read-only RIS and MIS ignore writes. */
	wr(RIS, 0xff);
	wr(MIS, 0xff);
	assert_int_equal(rd(RIS), 0x50);
}

static void test_button_press_and_release(void **state)
{
	(void)state;
	wr(IBE, 0x08);
	wr(IE, 0x08);
	assert_true(vgpio_press(vm, SHYPER_GUEST_POWER_GPIO));
	assert_int_equal(vm->gpio.presses, 1);
	assert_true(line_high());
	wr(IC, 0x08);
	assert_false(line_high());
	/* Reads that do not look at the button do not release it. */
	assert_int_equal(rd(DATA(0xf7)), 0);
	assert_int_equal(rd(RIS), 0);
	/* The guest sees it pressed; that lets it go: a falling edge. */
	assert_int_equal(rd(DATA(0x08)), 0x08);
	assert_int_equal(rd(RIS), 0x08);
	assert_true(line_high());
	wr(IC, 0x08);
	assert_int_equal(rd(DATA(0x08)), 0);
	assert_false(line_high());

	/* Pressed again: a new rising edge. */
	vgpio_press(vm, SHYPER_GUEST_POWER_GPIO);
	assert_int_equal(rd(RIS), 0x08);
	wr(IC, 0x08);
	/* Pressed once more before the guest looked: the line dips and rises, so
	 * a rising-edge detector sees a new press too. */
	wr(IBE, 0x00);
	wr(IEV, 0x08);
	vgpio_press(vm, SHYPER_GUEST_POWER_GPIO);
	assert_int_equal(rd(RIS), 0x08);
	assert_true(line_high());
	assert_int_equal(vm->gpio.presses, 3);
	/* An input driven from outside stays as driven: reading does not release it. */
	wr(IC, 0xff);
	vgpio_set_input(vm, 3, true);
	assert_int_equal(rd(DATA(0xff)), 0x08);
	assert_int_equal(rd(DATA(0xff)), 0x08);
	/* Out of range, or a VM without the device: refused. */
	assert_false(vgpio_press(vm, 8));
	vm->gpio.base = 0;
	assert_false(vgpio_press(vm, 3));
	assert_false(vgpio_set_input(vm, 3, false));
}

static void test_reset(void **state)
{
	(void)state;
	wr(DIR, 0xff);
	wr(DATA(0xff), 0xff);
	wr(IE, 0xff);
	wr(IBE, 0xff);
	vgpio_press(vm, 3);
	vgpio_reset(&vm->gpio);
	for (uint64_t off = DIR; off <= AFSEL; off += 4)
		assert_int_equal(rd(off), 0);
	assert_int_equal(rd(DATA(0xff)), 0);
	assert_int_equal(vm->gpio.base, BASE);
}

static void test_hostile_accesses(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	uint64_t v;

	(void)state;
	/* Every offset, every width, every value pattern: nothing breaks, and
	 * whatever the guest did, reads stay in eight bits. */
	for (uint64_t off = 0; off < 0x1000; off++) {
		for (unsigned s = 0; s < 4; s++) {
			v = ~0ULL;
			assert_true(vgpio_mmio(vcpu, BASE + off, sizes[s], true, &v));
			v = 0xdeadbeefULL;
			assert_true(vgpio_mmio(vcpu, BASE + off, sizes[s], false, &v));
			assert_true(v <= 0xff);
		}
	}
	/* Misaligned offsets read as zero and ignore writes. */
	wr(IC, 0xff);
	wr(IE, 0);
	v = 0xff;
	assert_true(vgpio_mmio(vcpu, BASE + IE + 1, 1, true, &v));
	assert_int_equal(rd(IE), 0);
	assert_int_equal(rd(0xfe1), 0);
	assert_int_equal(rd(DIR + 2), 0);
	/* Just outside the page, or a VM without a PL061: not ours. */
	assert_false(vgpio_mmio(vcpu, BASE + 0x1000, 4, false, &v));
	assert_false(vgpio_mmio(vcpu, BASE - 4, 4, false, &v));
	vm->gpio.base = 0;
	assert_false(vgpio_mmio(vcpu, BASE, 4, false, &v));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identification),
		T(test_direction_and_masked_data),
		T(test_rising_and_falling_edges),
		T(test_both_edges),
		T(test_levels),
		T(test_mis_is_ris_and_ie),
		T(test_button_press_and_release),
		T(test_reset),
		T(test_hostile_accesses),
	};

	return cmocka_run_group_tests_name("vpl061", tests, NULL, NULL);
}
