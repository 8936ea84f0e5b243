// SPDX-License-Identifier: GPL-2.0
/*
 * Board devices handed from the MVM to a guest (devices/passthrough.c): every
 * check of SHYPER_DEV_PASSTHROUGH, that a refused request changes nothing,
 * and the take / give-back bookkeeping of stage-2 maps and SPI ownership
 * through the guest's life (start, destroy).
 */
#include <stdlib.h>
#include <hv/arch.h>
#include <hv/irq.h>
#include <hv/heap.h>
#include <hv/passthrough.h>
#include <hv/state.h>
#include <hv/vgic.h>
#include <hv/vm_lifecycle.h>
#include <shyper/abi.h>
#include "unit.h"

#define POOL_SIZE (16 * MiB)
#define MVM_SPIS 256

/* QEMU virt's devices as the MVM gets them (the test's board). */
#define UART_BASE 0x09000000ULL
#define RTC_BASE 0x09010000ULL
#define RTC_SPI 2
#define FWCFG_BASE 0x09020000ULL
#define PLATFORM_BUS 0x0c000000ULL
#define HV_SPI 5       /* one the hypervisor keeps */

static struct vm *mvm;
static uint8_t *pool;

static const struct mmio_range board_devices[] = {
	{ UART_BASE, 0x1000 },
	{ RTC_BASE, 0x1000 },
	{ FWCFG_BASE, 0x1000 },
	{ 0x0a000000, 0x4000 },        /* virtio-mmio: where the guests' virtio window is */
	{ PLATFORM_BUS, 0x2000000 },   /* a large one, mapped with blocks */
	{ SHYPER_GUEST_RAM_BASE + 0x100000, 0x1000 }, /* (not on virt) inside guest RAM */
};

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new() || !fake_heap_create(2048))
		return -1;
	if (posix_memalign((void **)&pool, 2 * MiB, POOL_SIZE))
		return -1;
	if (!galloc_init(&hv_state->pool, (uint64_t)(uintptr_t)pool, POOL_SIZE, 2 * MiB))
		return -1;
	hv_state->pcpu_online_mask = 0xf;
	hv_state->board.uart_base = UART_BASE;
	hv_state->board.gicd_base = 0x08000000;
	hv_state->board.gicd_size = 0x10000;
	hv_state->board.gicr_base = 0x080a0000;
	hv_state->board.gicr_size = 0xf60000;
	for (unsigned i = 0; i < MAX_PCPUS; i++)
		pcpus[i].mpidr = 0x100 + i;

	mvm = &hv_state->vms[0];
	mvm->type = VM_TYPE_MVM;
	mvm->state = VM_STATE_RUNNING;
	mvm->board.vmid = 1;
	mvm->vcpu_count = 2;
	mvm->vcpus[1].pcpu = 1;
	mvm->vcpus[1].index = 1;
	if (arch_stage2_init(&mvm->board.s2, 1ULL << 32, mvm->board.vmid))
		return -1;
	mvm->board.dev_count = ARRAY_SIZE(board_devices);
	for (unsigned i = 0; i < ARRAY_SIZE(board_devices); i++) {
		mvm->board.dev[i] = board_devices[i];
		if (pgtable_map(&mvm->board.s2, board_devices[i].base, board_devices[i].base,
				board_devices[i].size, arch_stage2_attrs(MEM_DEVICE)))
			return -1;
	}
	vgic_vm_init(mvm, MVM_SPIS);
	for (uint32_t spi = 0; spi < MVM_SPIS; spi++)
		if (spi != HV_SPI)
			irq_assign_spi(32 + spi, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_heap_destroy(); /* every table with it */
	free(pool);
	unit_state_free();
	return 0;
}

static struct vm *new_guest(const char *name)
{
	struct shyper_vm_config c;
	uint16_t id;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = SHYPER_VM_GVM;
	strcpy(c.name, name);
	c.vcpu_count = 2;
	c.vcpu_pcpu[0] = 3;
	c.vcpu_pcpu[1] = 2;
	c.memory = 2 * MiB;
	c.entry_ipa = SHYPER_GUEST_RAM_BASE;
	assert_int_equal(vm_create(&c, &id), SHYPER_OK);
	return vm_get(id);
}

static struct shyper_device_config rtc(void)
{
	struct shyper_device_config d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.kind = SHYPER_DEV_PASSTHROUGH;
	d.base = RTC_BASE;
	d.length = 0x1000;
	d.spi = RTC_SPI;
	return d;
}

static bool mvm_maps(uint64_t ipa)
{
	uint64_t pa = 0;

	return pgtable_lookup(&mvm->board.s2, ipa, &pa, NULL) && pa == ipa;
}

static void test_take_maps_into_guest_and_out_of_mvm(void **state)
{
	struct shyper_device_config d = rtc();
	struct vm *g = new_guest("rtc-guest");
	struct vgic_irq *mvm_irq = &mvm->vgic.spi[RTC_SPI];
	uint64_t pa = 0, attrs = 0;
	unsigned flushes = fake_vmid_flushes;

	(void)state;
	/* The MVM had the RTC interrupt enabled and one latched for vCPU 1. */
	fake_phys_enabled[32 + RTC_SPI] = true;
	fake_phys_pending[32 + RTC_SPI] = true;
	mvm_irq->target = 1;
	virq_flags_set(mvm_irq, VIRQ_ENABLED | VIRQ_PENDING);
	mvm->vcpus[1].vgic.queued = 1;

	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_OK);

	assert_true(pgtable_lookup(&g->board.s2, RTC_BASE + 0x10, &pa, &attrs));
	assert_int_equal(pa, RTC_BASE + 0x10);
	assert_int_equal(attrs & PTE_ATTR_MASK, arch_stage2_attrs(MEM_DEVICE) & PTE_ATTR_MASK);
	assert_false(pgtable_lookup(&g->board.s2, RTC_BASE + 0x1000, NULL, NULL));
	assert_false(pgtable_lookup(&mvm->board.s2, RTC_BASE, NULL, NULL));
	assert_true(mvm_maps(UART_BASE) && mvm_maps(FWCFG_BASE)); /* the neighbours stay */
	assert_true(fake_vmid_flushes > flushes);

	assert_int_equal(irq_spi_owner(32 + RTC_SPI), g->id);
	assert_false(fake_phys_enabled[32 + RTC_SPI]);
	assert_false(fake_phys_pending[32 + RTC_SPI]);
	assert_int_equal(fake_phys_route[32 + RTC_SPI], 0x103); /* guest vCPU 0 on pCPU 3 */
	assert_false(mvm_irq->flags & (VIRQ_ENABLED | VIRQ_PENDING));
	assert_int_equal(mvm->vcpus[1].vgic.queued, 0);

	assert_int_equal(g->board.passthrough_count, 1);
	assert_int_equal(g->board.passthrough[0].base, RTC_BASE);
	assert_int_equal(g->board.passthrough[0].length, 0x1000);
	assert_int_equal(g->board.passthrough[0].spi, RTC_SPI);
}

static void test_destroy_gives_everything_back(void **state)
{
	struct shyper_device_config d = rtc();
	struct vm *g = new_guest("rtc-guest");
	uint16_t id = g->id;

	(void)state;
	mvm->vgic.spi[RTC_SPI].target = 1;
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_OK);
	assert_int_equal(vm_start(g), SHYPER_OK);
	fake_phys_enabled[32 + RTC_SPI] = true; /* the guest's driver enabled it */
	assert_int_equal(vm_stop(g), SHYPER_OK);
	assert_int_equal(vm_destroy(g), SHYPER_OK);

	assert_true(mvm_maps(RTC_BASE));
	assert_int_equal(irq_spi_owner(32 + RTC_SPI), 0);
	assert_false(fake_phys_enabled[32 + RTC_SPI]);
	assert_int_equal(fake_phys_route[32 + RTC_SPI], 0x101); /* back where the MVM wants it */
	assert_int_equal(hv_state->vms[id].board.passthrough_count, 0);

	/* Free again: the next guest may have it. */
	g = new_guest("next");
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_OK);
	assert_int_equal(irq_spi_owner(32 + RTC_SPI), g->id);
}

static void test_start_masks_the_physical_spi(void **state)
{
	struct shyper_device_config d = rtc();
	struct vm *g = new_guest("rtc-guest");

	(void)state;
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_OK);
	fake_phys_enabled[32 + RTC_SPI] = true;
	fake_phys_route[32 + RTC_SPI] = 0;
	assert_int_equal(vm_start(g), SHYPER_OK);
	assert_false(fake_phys_enabled[32 + RTC_SPI]);
	assert_int_equal(fake_phys_route[32 + RTC_SPI], 0x103);
}

static void test_no_irq_and_large_range(void **state)
{
	struct shyper_device_config d = rtc();
	struct vm *g = new_guest("bus");

	(void)state;
	d.base = PLATFORM_BUS + 0x200000;
	d.length = 0x201000; /* splits the MVM's blocks on both ends */
	d.spi = SHYPER_DEV_NO_IRQ;
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_OK);
	assert_true(mvm_maps(PLATFORM_BUS + 0x1ff000));
	assert_false(pgtable_lookup(&mvm->board.s2, PLATFORM_BUS + 0x200000, NULL, NULL));
	assert_false(pgtable_lookup(&mvm->board.s2, PLATFORM_BUS + 0x400fff, NULL, NULL));
	assert_true(mvm_maps(PLATFORM_BUS + 0x401000));
	assert_int_equal(g->board.passthrough[0].spi, SHYPER_DEV_NO_IRQ);
	assert_int_equal(vm_destroy(g), SHYPER_OK);
	assert_true(mvm_maps(PLATFORM_BUS + 0x200000) && mvm_maps(PLATFORM_BUS + 0x400fff));
}

/* Each way a request can be wrong, and what the hypervisor must answer. */
enum tweak {
	T_BASE_UNALIGNED, T_LENGTH_UNALIGNED, T_LENGTH_ZERO, T_WRAPS, T_NOT_MVMS, T_STRADDLES,
	T_UART, T_GIC, T_GUEST_RAM, T_GUEST_VIRTIO, T_FLAGS, T_RESERVED, T_KIND, T_SPI_NOT_REAL,
	T_SPI_HYPERVISOR, T_SPI_BEYOND_GUEST, T_SPI_GUEST_UART, T_SPI_GUEST_GPIO,
	T_SPI_GUEST_VIRTIO,
};

static const struct {
	const char *what;
	enum tweak tweak;
	int64_t rc;
} bad_requests[] = {
	{ "base not page-aligned", T_BASE_UNALIGNED, SHYPER_E_INVALID },
	{ "length not a page multiple", T_LENGTH_UNALIGNED, SHYPER_E_INVALID },
	{ "length 0", T_LENGTH_ZERO, SHYPER_E_INVALID },
	{ "range wraps around", T_WRAPS, SHYPER_E_INVALID },
	{ "not a device the MVM got", T_NOT_MVMS, SHYPER_E_INVALID },
	{ "straddles two of the MVM's ranges", T_STRADDLES, SHYPER_E_INVALID },
	{ "the hypervisor's UART", T_UART, SHYPER_E_DENIED },
	{ "the GIC", T_GIC, SHYPER_E_DENIED },
	{ "inside the guest's RAM", T_GUEST_RAM, SHYPER_E_INVALID },
	{ "the guest's virtio window", T_GUEST_VIRTIO, SHYPER_E_INVALID },
	{ "flags set", T_FLAGS, SHYPER_E_INVALID },
	{ "reserved field set", T_RESERVED, SHYPER_E_INVALID },
	{ "not a passthrough", T_KIND, SHYPER_E_INVALID },
	{ "SPI the board does not have", T_SPI_NOT_REAL, SHYPER_E_INVALID },
	{ "SPI the hypervisor keeps", T_SPI_HYPERVISOR, SHYPER_E_DENIED },
	{ "SPI beyond the guest's vGIC", T_SPI_BEYOND_GUEST, SHYPER_E_INVALID },
	{ "SPI of the guest's PL011", T_SPI_GUEST_UART, SHYPER_E_INVALID },
	{ "SPI of the guest's PL061", T_SPI_GUEST_GPIO, SHYPER_E_INVALID },
	{ "SPI of a guest virtio slot", T_SPI_GUEST_VIRTIO, SHYPER_E_INVALID },
};

static void apply(struct shyper_device_config *d, enum tweak t)
{
	switch (t) {
	case T_BASE_UNALIGNED: d->base += 0x10; break;
	case T_LENGTH_UNALIGNED: d->length = 0x800; break;
	case T_LENGTH_ZERO: d->length = 0; break;
	case T_WRAPS: d->base = 0xfffffffffffff000ULL; d->length = 0x2000; break;
	case T_NOT_MVMS: d->base = 0x09050000; break;
	case T_STRADDLES: d->length = 0x11000; break; /* RTC .. fw-cfg, with a hole */
	case T_UART: d->base = UART_BASE; break;
	case T_GIC: d->base = 0x08000000; d->length = 0x10000; break;
	case T_GUEST_RAM: d->base = SHYPER_GUEST_RAM_BASE + 0x100000; break;
	case T_GUEST_VIRTIO: d->base = 0x0a000000; break;
	case T_FLAGS: d->flags = SHYPER_DEV_F_READONLY; break;
	case T_RESERVED: d->reserved1 = 1; break;
	case T_KIND: d->kind = SHYPER_DEV_VIRTIO_CONSOLE; break;
	case T_SPI_NOT_REAL: d->spi = 1020; break;
	case T_SPI_HYPERVISOR: d->spi = HV_SPI; break;
	case T_SPI_BEYOND_GUEST: d->spi = SHYPER_GUEST_NR_SPIS; break;
	case T_SPI_GUEST_UART: d->spi = SHYPER_GUEST_UART_SPI; break;
	case T_SPI_GUEST_GPIO: d->spi = SHYPER_GUEST_GPIO_SPI; break;
	case T_SPI_GUEST_VIRTIO: d->spi = SHYPER_GUEST_VIRTIO_SPI + 3; break;
	}
}

/* Nothing of the MVM's or the guest's changed. */
static void assert_untouched(const struct vm *g)
{
	assert_int_equal(g->board.passthrough_count, 0);
	assert_true(mvm_maps(RTC_BASE) && mvm_maps(UART_BASE) && mvm_maps(0x0a000000));
	assert_false(pgtable_lookup(&g->board.s2, RTC_BASE, NULL, NULL));
	assert_false(pgtable_lookup(&g->board.s2, UART_BASE, NULL, NULL));
	for (uint32_t spi = 0; spi < SHYPER_GUEST_NR_SPIS; spi++)
		assert_int_equal(irq_spi_owner(32 + spi), spi == HV_SPI ? -1 : 0);
}

static void test_bad_requests_change_nothing(void **state)
{
	struct vm *g = new_guest("victim");

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad_requests); i++) {
		struct shyper_device_config d = rtc();

		apply(&d, bad_requests[i].tweak);
		if (passthrough_add(mvm, g, &d) != bad_requests[i].rc)
			fail_msg("%s: got %ld, want %ld", bad_requests[i].what,
				 (long)passthrough_add(mvm, g, &d), (long)bad_requests[i].rc);
		assert_untouched(g);
	}
}

static void test_only_the_mvm_gives_only_to_unstarted_guests(void **state)
{
	struct shyper_device_config d = rtc();
	struct vm *g = new_guest("a"), *h = new_guest("b");

	(void)state;
	assert_int_equal(passthrough_add(h, g, &d), SHYPER_E_DENIED);   /* a guest calling */
	assert_int_equal(passthrough_add(mvm, mvm, &d), SHYPER_E_DENIED); /* to the MVM */
	assert_int_equal(vm_start(g), SHYPER_OK);
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_E_BUSY);   /* running */
	assert_int_equal(vm_stop(g), SHYPER_OK);
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_E_BUSY);   /* has run */
	assert_untouched(g);
	assert_untouched(h);
}

static void test_one_owner_at_a_time(void **state)
{
	struct shyper_device_config d = rtc(), other_range = rtc(), other_spi = rtc();
	struct vm *g = new_guest("a"), *h = new_guest("b");

	(void)state;
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_OK);
	assert_int_equal(passthrough_add(mvm, h, &d), SHYPER_E_BUSY);
	assert_int_equal(passthrough_add(mvm, g, &d), SHYPER_E_BUSY); /* twice to the same one */
	other_range.base = FWCFG_BASE;       /* its range is free, its SPI is not */
	assert_int_equal(passthrough_add(mvm, h, &other_range), SHYPER_E_BUSY);
	other_spi.base = FWCFG_BASE;
	other_spi.spi = 9;
	assert_int_equal(passthrough_add(mvm, h, &other_spi), SHYPER_OK);
	assert_int_equal(irq_spi_owner(32 + 9), h->id);
	assert_int_equal(h->board.passthrough_count, 1);
	assert_int_equal(g->board.passthrough_count, 1);
}

static void test_at_most_max_devices(void **state)
{
	struct vm *g = new_guest("many");

	(void)state;
	for (unsigned i = 0; i <= MAX_VM_PASSTHROUGH; i++) {
		struct shyper_device_config d = rtc();

		d.base = PLATFORM_BUS + i * 0x1000;
		d.spi = 40 + i;
		assert_int_equal(passthrough_add(mvm, g, &d),
				 i < MAX_VM_PASSTHROUGH ? SHYPER_OK : SHYPER_E_TOO_MANY);
	}
	assert_int_equal(g->board.passthrough_count, MAX_VM_PASSTHROUGH);
	assert_int_equal(irq_spi_owner(32 + 40 + MAX_VM_PASSTHROUGH), 0);
}

/* SHYPER_HC_VM_ADD_DEVICE's dispatch (core/vm_device.c) leads here. */
static void test_vm_add_device_dispatches_passthrough(void **state)
{
	struct shyper_device_config d = rtc();
	struct vm *g = new_guest("via-dispatch");

	(void)state;
	assert_int_equal(vm_add_device(g, &d), SHYPER_OK);
	assert_int_equal(g->board.passthrough_count, 1);
	assert_int_equal(irq_spi_owner(32 + RTC_SPI), g->id);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_take_maps_into_guest_and_out_of_mvm),
		T(test_destroy_gives_everything_back),
		T(test_start_masks_the_physical_spi),
		T(test_no_irq_and_large_range),
		T(test_bad_requests_change_nothing),
		T(test_only_the_mvm_gives_only_to_unstarted_guests),
		T(test_one_owner_at_a_time),
		T(test_at_most_max_devices),
		T(test_vm_add_device_dispatches_passthrough),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
