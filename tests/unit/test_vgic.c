// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated GICv3 a guest programs (devices/vgicv3.c over core/vgic.c),
 * with the fake irqchip standing in for the physical GIC. One VM of four
 * vCPUs whose MPIDRs spread over Aff0, Aff1 and Aff3, 64 SPIs.
 */
#include <stdlib.h>
#include <hv/arch.h>
#include <hv/irq.h>
#include <hv/mmio.h>
#include <hv/state.h>
#include <hv/vgic.h>
#include <hv/vm_lifecycle.h>
#include "unit.h"

#define GICD 0x08000000ULL
#define GICR 0x080a0000ULL
#define GICR_FRAME 0x20000ULL
#define SGI_FRAME 0x10000ULL

static const uint64_t vmpidr[4] = { 0x0, 0x1, 0x100, 0x100000000ULL };
static struct vm *vm;
static struct vcpu *v[4];

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	vm = &hv_state->vms[0];
	vm->state = VM_STATE_RUNNING;
	vm->vcpu_count = 4;
	vm->gicd_base = GICD;
	vm->gicr_base = GICR;
	vgic_vm_init(vm, 64);
	for (unsigned i = 0; i < 4; i++) {
		v[i] = &vm->vcpus[i];
		v[i]->vm_id = vm->id;
		v[i]->index = (uint8_t)i;
		v[i]->pcpu = (uint8_t)i;
		v[i]->vmpidr = vmpidr[i];
		v[i]->power = VCPU_ON;
		vgic_vcpu_init(v[i]);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_state_free();
	return 0;
}

static uint64_t rd(struct vcpu *vcpu, uint64_t ipa, unsigned size)
{
	uint64_t val = 0xbadbadbadULL;

	assert_true(vgicv3_mmio(vcpu, ipa, size, false, &val));
	return val;
}

static void wr(struct vcpu *vcpu, uint64_t ipa, unsigned size, uint64_t val)
{
	assert_true(vgicv3_mmio(vcpu, ipa, size, true, &val));
}

static void test_id_registers(void **state)
{
	(void)state;
	/* No1N, 10 ID bits, 4 CPUs, 96 INTIDs (ITLinesNumber 2) */
	assert_int_equal(rd(v[0], GICD + 0x4, 4), BIT(25) | (9U << 19) | (3U << 5) | 2);
	assert_int_equal(rd(v[0], GICD + 0xffe8, 4), 0x3b);
	assert_int_equal(rd(v[2], GICR + 2 * GICR_FRAME + 0xffe8, 4), 0x3b);
	/* ARE and DS always read as one. */
	assert_int_equal(rd(v[0], GICD, 4), BIT(4) | BIT(6));
	wr(v[0], GICD, 4, 0xffffffff);
	assert_int_equal(rd(v[0], GICD, 4), BIT(4) | BIT(6) | 3);
}

static int lr_holding(uint32_t intid)
{
	for (int i = 0; i < FAKE_LR_COUNT; i++)
		if (fake_lr[i].state && fake_lr[i].vintid == intid)
			return i;
	return -1;
}

static void test_level_line_redelivered_while_high(void **state)
{
	int lr;

	(void)state;
	/* vCPU 0 runs here; SPI 50 enabled, group 1 on, redistributor awake. */
	this_pcpu()->current = v[0];
	v[0]->loaded = true;
	v[0]->vgic.sleeping = false;
	wr(v[0], GICD, 4, 2);
	wr(v[0], GICD + 0x104, 4, BIT(50 - 32));

	vgic_spi_set_line(vm, 50, true);
	lr = lr_holding(50);
	assert_true(lr >= 0);
	assert_true(fake_lr[lr].eoi_notify);
	assert_false(fake_lr[lr].hw);
	/* Raising a raised line does not deliver twice. */
	vgic_spi_set_line(vm, 50, true);
	assert_int_equal(v[0]->vgic.queued, 0);

	/* The guest deactivates it with the line still high: it comes back. */
	fake_lr[lr].state = 0;
	fake_lr_eoi = BIT(lr);
	vgic_maintenance(v[0]);
	fake_lr_eoi = 0;
	lr = lr_holding(50);
	assert_true(lr >= 0);
	assert_int_equal(fake_lr[lr].state, LR_STATE_PENDING);

	/* The device drops the line; after this deactivation it stays quiet. */
	vgic_spi_set_line(vm, 50, false);
	fake_lr[lr].state = 0;
	fake_lr_eoi = BIT(lr);
	vgic_maintenance(v[0]);
	assert_int_equal(lr_holding(50), -1);
	assert_int_equal(v[0]->vgic.queued, 0);
}

static void test_level_line_dropped_before_delivery(void **state)
{
	(void)state;
	/* vCPU 0 is not running here: the interrupt waits in its queue... */
	wr(v[0], GICD, 4, 2);
	wr(v[0], GICD + 0x104, 4, BIT(51 - 32));
	vgic_spi_set_line(vm, 51, true);
	assert_int_equal(v[0]->vgic.queued, 1);
	/* ...and is withdrawn when the line drops before the guest saw it. */
	vgic_spi_set_line(vm, 51, false);
	assert_int_equal(v[0]->vgic.queued, 0);
	assert_false(vm->vgic.spi[51 - 32].flags & VIRQ_PENDING);
	/* Out-of-range lines are ignored. */
	vgic_spi_set_line(vm, 31, true);
	vgic_spi_set_line(vm, 32 + 64, true);
	assert_int_equal(v[0]->vgic.queued, 0);
}

static void test_enable_round_trip(void **state)
{
	(void)state;
	/* SPI 40: GICD_ISENABLER1 bit 8 */
	assert_int_equal(rd(v[0], GICD + 0x104, 4), 0);
	wr(v[0], GICD + 0x104, 4, BIT(8));
	assert_int_equal(rd(v[0], GICD + 0x104, 4), BIT(8));
	assert_int_equal(rd(v[1], GICD + 0x184, 4), BIT(8));
	wr(v[0], GICD + 0x104, 4, 0); /* zeros do nothing */
	assert_int_equal(rd(v[0], GICD + 0x104, 4), BIT(8));
	wr(v[0], GICD + 0x184, 4, BIT(8));
	assert_int_equal(rd(v[0], GICD + 0x104, 4), 0);
	assert_false(fake_phys_enabled[40]); /* not the VM's physical SPI */

	/* An SPI the VM owns is enabled at the real distributor too. */
	irq_assign_spi(41, vm->id);
	wr(v[0], GICD + 0x104, 4, BIT(9));
	assert_true(fake_phys_enabled[41]);
	wr(v[0], GICD + 0x184, 4, BIT(9));
	assert_false(fake_phys_enabled[41]);

	/* Private interrupts are the redistributors' with ARE: GICD ignores them. */
	assert_int_equal(rd(v[0], GICD + 0x100, 4), 0);
	wr(v[0], GICD + 0x100, 4, BIT(27));
	assert_int_equal(rd(v[0], GICR + SGI_FRAME + 0x100, 4), 0xffff);
	/* Each vCPU's PPIs are its own. */
	wr(v[0], GICR + 1 * GICR_FRAME + SGI_FRAME + 0x100, 4, BIT(27));
	assert_int_equal(rd(v[0], GICR + 1 * GICR_FRAME + SGI_FRAME + 0x100, 4), 0xffff | BIT(27));
	assert_int_equal(rd(v[0], GICR + SGI_FRAME + 0x100, 4), 0xffff);
	/* Beyond the 96 INTIDs: reads as zero, writes go nowhere. */
	wr(v[0], GICD + 0x10c, 4, 0xffffffff);
	assert_int_equal(rd(v[0], GICD + 0x10c, 4), 0);
}

static void test_priority_bytes(void **state)
{
	(void)state;
	wr(v[0], GICD + 0x400 + 41, 1, 0x80);
	assert_int_equal(vm->vgic.spi[41 - 32].priority, 0x80);
	assert_int_equal(rd(v[0], GICD + 0x400 + 40, 4), 0xa0a080a0);
	assert_int_equal(rd(v[0], GICD + 0x400 + 41, 1), 0x80);
	wr(v[0], GICD + 0x400 + 44, 4, 0x11223344);
	assert_int_equal(vm->vgic.spi[44 - 32].priority, 0x44);
	assert_int_equal(vm->vgic.spi[47 - 32].priority, 0x11);
	assert_int_equal(vm->vgic.spi[48 - 32].priority, 0xa0);
	/* Private priorities through GICD: ignored; through the SGI frame: taken. */
	wr(v[0], GICD + 0x400 + 27, 1, 0x10);
	assert_int_equal(v[0]->vgic.priv[27].priority, 0xa0);
	wr(v[0], GICR + SGI_FRAME + 0x400 + 27, 1, 0x10);
	assert_int_equal(v[0]->vgic.priv[27].priority, 0x10);
	assert_int_equal(v[1]->vgic.priv[27].priority, 0xa0);
}

static void test_redistributor_typer(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t typer = rd(v[0], GICR + i * GICR_FRAME + 0x8, 8);
		uint64_t aff = (vmpidr[i] & 0xffffff) | ((vmpidr[i] >> 32 & 0xff) << 24);

		assert_int_equal(typer >> 32, aff);
		assert_int_equal((typer >> 8) & 0xffff, i);
		assert_int_equal(!!(typer & BIT(4)), i == 3); /* Last */
		assert_int_equal(rd(v[0], GICR + i * GICR_FRAME + 0xc, 4), aff);
		assert_int_equal(rd(v[0], GICR + i * GICR_FRAME + 0x8, 4), (uint32_t)typer);
	}
	/* Past the last frame is not the vGIC's. */
	uint64_t val;

	assert_false(vgicv3_mmio(v[0], GICR + 4 * GICR_FRAME + 0x8, 8, false, &val));
	assert_false(vgicv3_mmio(v[0], GICD + 0x10000, 4, false, &val));
	assert_false(vgicv3_mmio(v[0], GICD - 4, 4, false, &val));
}

static bool sgi_pending(unsigned vcpu, unsigned sgi)
{
	return v[vcpu]->vgic.priv[sgi].flags & VIRQ_PENDING;
}

static void test_sgi1r_targeting(void **state)
{
	(void)state;
	/* SGI 5 to Aff1=1, target list bit 0: vCPU 2 (MPIDR 0x100) only. */
	vgicv3_sgi(v[0], (5ULL << 24) | (1ULL << 16) | BIT(0));
	assert_true(sgi_pending(2, 5));
	assert_false(sgi_pending(0, 5) || sgi_pending(1, 5) || sgi_pending(3, 5));
	assert_int_equal(v[2]->vgic.queued, 1);
	assert_int_equal(fake_ipi_count[2], 1); /* it runs elsewhere: kicked */

	/* SGI 6 to Aff0 list {0,1} at Aff1=0: vCPUs 0 and 1. */
	vgicv3_sgi(v[2], (6ULL << 24) | BIT(0) | BIT(1));
	assert_true(sgi_pending(0, 6) && sgi_pending(1, 6));
	assert_false(sgi_pending(2, 6) || sgi_pending(3, 6));

	/* SGI 7 to Aff3=1: vCPU 3. */
	vgicv3_sgi(v[0], (7ULL << 24) | (1ULL << 48) | BIT(0));
	assert_true(sgi_pending(3, 7));
	assert_false(sgi_pending(0, 7) || sgi_pending(1, 7) || sgi_pending(2, 7));

	/* IRM: everyone but the sender; a vCPU that is off gets nothing. */
	v[3]->power = VCPU_OFF;
	vgicv3_sgi(v[1], (3ULL << 24) | BIT(40));
	assert_true(sgi_pending(0, 3) && sgi_pending(2, 3));
	assert_false(sgi_pending(1, 3) || sgi_pending(3, 3));

	/* Range selector: Aff0 16..31 does not contain 0 or 1. */
	vgicv3_sgi(v[0], (9ULL << 24) | (1ULL << 44) | 0xffff);
	for (unsigned i = 0; i < 4; i++)
		assert_false(sgi_pending(i, 9));
}

static void test_irouter(void **state)
{
	(void)state;
	irq_assign_spi(50, vm->id);
	wr(v[0], GICD + 0x6000 + 8 * 50, 8, 0x100);
	assert_int_equal(vm->vgic.spi[50 - 32].target, 2);
	assert_int_equal(rd(v[0], GICD + 0x6000 + 8 * 50, 8), 0x100);
	assert_int_equal(fake_phys_route[50], pcpus[2].mpidr);
	wr(v[0], GICD + 0x6000 + 8 * 50, 8, 0x100000000ULL);
	assert_int_equal(vm->vgic.spi[50 - 32].target, 3);
	/* An affinity no vCPU has leaves the route alone. */
	wr(v[0], GICD + 0x6000 + 8 * 50, 8, 0x7);
	assert_int_equal(vm->vgic.spi[50 - 32].target, 3);
}

static void test_bad_offsets_are_ignored(void **state)
{
	static struct vgic_dist before_dist;
	static struct vgic_vcpu before_vcpu;

	(void)state;
	memcpy(&before_dist, &vm->vgic, sizeof(before_dist));
	memcpy(&before_vcpu, &v[0]->vgic, sizeof(before_vcpu));
	wr(v[0], GICD + 0x9000, 4, 0xffffffff);
	wr(v[0], GICD + 0xfff0, 4, 0xffffffff);
	wr(v[0], GICR + 0x0100, 4, 0xffffffff);
	wr(v[0], GICR + SGI_FRAME + 0x9000, 4, 0xffffffff);
	wr(v[0], GICD + 0x6000, 8, 0x1);          /* IROUTER of an SGI */
	assert_memory_equal(&before_dist, &vm->vgic, sizeof(before_dist));
	assert_memory_equal(&before_vcpu, &v[0]->vgic, sizeof(before_vcpu));
	assert_int_equal(rd(v[0], GICD + 0x9000, 4), 0);
	assert_int_equal(rd(v[0], GICR + SGI_FRAME + 0x9000, 4), 0);
}

/* --- an RTVM: direct delivery ----------------------------------------- */

/* vCPU 0 of the VM, made an RTVM's, loaded on pCPU 0 with its GIC on. */
static void rt_setup(void)
{
	vm->type = VM_TYPE_RTVM;
	fake_cpu = 0;
	this_pcpu()->current = v[0];
	arch_vcpu_load(v[0]);
	v[0]->vgic.sleeping = false;
	wr(v[0], GICD, 4, 2);
	wr(v[0], GICD + 0x104, 4, BIT(50 - 32));
}

static void test_rt_enters_direct_when_nothing_is_in_flight(void **state)
{
	int lr;

	(void)state;
	rt_setup();
	vgic_prepare_entry(v[0]);
	assert_true(v[0]->irq_direct && fake_direct[0]);

	/* An emulated device's interrupt needs the list registers: the vCPU
	 * leaves direct mode for it, asking to hear when the guest is done. */
	vgic_spi_set_line(vm, 50, true);
	assert_int_equal(lr_holding(50), -1); /* nothing written while direct */
	vgic_prepare_entry(v[0]);
	assert_false(v[0]->irq_direct || fake_direct[0]);
	lr = lr_holding(50);
	assert_true(lr >= 0 && fake_lr[lr].eoi_notify);

	/* Still in the guest's hands: stays on the emulated path. */
	vgic_prepare_entry(v[0]);
	assert_false(v[0]->irq_direct);

	/* The guest deactivates it and the line is low: direct again. */
	vgic_spi_set_line(vm, 50, false);
	fake_lr[lr].state = 0;
	fake_lr_eoi = BIT(lr);
	vgic_maintenance(v[0]);
	fake_lr_eoi = 0;
	vgic_prepare_entry(v[0]);
	assert_true(v[0]->irq_direct && fake_direct[0]);
}

static void test_rt_waits_while_the_guest_handles_a_physical_interrupt(void **state)
{
	(void)state;
	rt_setup();
	vgic_prepare_entry(v[0]);
	assert_true(v[0]->irq_direct);
	/* Inside its timer handler (an active priority at the real GIC): its
	 * EOI must reach the real GIC, so the switch waits and the hypervisor
	 * looks again shortly. */
	fake_direct_ap1r[0] = BIT(20);
	vgic_inject(v[0], 50, false);
	fake_hyp_timer[0] = 0;
	vgic_prepare_entry(v[0]);
	assert_true(v[0]->irq_direct && fake_direct[0]);
	assert_int_equal(lr_holding(50), -1);
	assert_true(fake_hyp_timer[0] != 0);
	/* Out of the handler: now it goes. */
	fake_direct_ap1r[0] = 0;
	vgic_prepare_entry(v[0]);
	assert_false(v[0]->irq_direct);
	assert_true(lr_holding(50) >= 0);
}

static void test_rt_latched_but_disabled_does_not_hold_it_back(void **state)
{
	(void)state;
	rt_setup();
	vgic_inject(v[0], 51, false); /* SPI 51 is disabled: latched only */
	vgic_prepare_entry(v[0]);
	assert_true(v[0]->irq_direct);
	assert_int_equal(v[0]->vgic.queued, 1);
}

static void test_rt_put_and_load_keep_direct_state(void **state)
{
	(void)state;
	rt_setup();
	vgic_prepare_entry(v[0]);
	fake_direct_ap1r[0] = BIT(3);
	arch_vcpu_put(v[0]);
	assert_false(fake_direct[0]);             /* the hypervisor's again */
	assert_int_equal(fake_direct_ap1r[0], 0);
	assert_int_equal(v[0]->sys.icc_ap1r0, BIT(3));
	arch_vcpu_load(v[0]);
	assert_true(fake_direct[0]);
	assert_int_equal(fake_direct_ap1r[0], BIT(3));
	/* A vCPU reset starts again on the emulated path. */
	arch_vcpu_put(v[0]);
	v[0]->reset_pending = true;
	arch_vcpu_load(v[0]);
	assert_false(fake_direct[0] || v[0]->irq_direct);
}

static void test_gvm_never_goes_direct(void **state)
{
	(void)state;
	rt_setup();
	vm->type = VM_TYPE_GVM;
	vgic_prepare_entry(v[0]);
	assert_false(v[0]->irq_direct || fake_direct[0]);
}

static void test_no_direct_where_the_secure_world_keeps_group0(void **state)
{
	(void)state;
	rt_setup();
	fake_group0 = false;
	vgic_prepare_entry(v[0]);
	assert_false(v[0]->irq_direct || fake_direct[0]);
	vgic_spi_set_line(vm, 50, true);
	vgic_prepare_entry(v[0]);
	assert_true(lr_holding(50) >= 0);
}

static void test_rt_private_interrupts_reach_the_real_redistributor(void **state)
{
	(void)state;
	vm->type = VM_TYPE_RTVM;
	/* vCPU 1 (pCPU 1) enables its timer and SGIs 1 and 15, and PPI 26 and
	 * 25 (the hypervisor's own): only the timer and SGI 1 are applied. */
	wr(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x100, 4,
	   BIT(27) | BIT(1) | BIT(15) | BIT(26) | BIT(25));
	assert_int_equal(fake_priv_enabled[1], BIT(27) | BIT(1));
	assert_int_equal(fake_priv_enabled[0], 0);
	/* Its priorities go below the hypervisor's, order kept. */
	wr(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x400 + 27, 1, 0x00);
	assert_int_equal(fake_priv_priority[1][27], 0x80);
	wr(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x400 + 27, 1, 0xf0);
	assert_int_equal(fake_priv_priority[1][27], 0xf8);
	wr(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x400 + 24, 4, 0xf0000000);
	assert_int_equal(fake_priv_priority[1][25], 0); /* never touched */
	assert_int_equal(fake_priv_priority[1][26], 0);
	/* Pending and active state are the real ones. */
	fake_priv_active[1] = BIT(27);
	assert_int_equal(rd(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x300, 4) & BIT(27), BIT(27));
	wr(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x380, 4, BIT(27) | BIT(15));
	assert_int_equal(fake_priv_active[1], 0);
	wr(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x100 + 0x80, 4, BIT(27));
	assert_int_equal(fake_priv_enabled[1], BIT(1));
	/* vgic_rt_sync_private() puts back what the guest set. */
	fake_priv_enabled[1] = 0;
	wr(v[1], GICR + GICR_FRAME + SGI_FRAME + 0x100, 4, BIT(27));
	fake_priv_enabled[1] = 0;
	vgic_rt_sync_private(v[1]);
	assert_int_equal(fake_priv_enabled[1], 0x7fff | BIT(27)); /* SGIs start enabled */
	assert_int_equal(fake_priv_priority[1][27], 0xf8);
}

static void test_rt_sgis_are_physical(void **state)
{
	(void)state;
	vm->type = VM_TYPE_RTVM;
	/* SGI 5 to vCPU 2: sent to pCPU 2, not queued. */
	vgicv3_sgi(v[0], (5ULL << 24) | (1ULL << 16) | BIT(0));
	assert_int_equal(fake_guest_sgi_count, 1);
	assert_int_equal(fake_guest_sgi_last, 5);
	assert_int_equal(fake_guest_sgi_mpidr, pcpus[2].mpidr);
	assert_false(sgi_pending(2, 5));
	/* SGI 15 is the hypervisor's number: the guest's stays emulated. */
	vgicv3_sgi(v[0], (15ULL << 24) | (1ULL << 16) | BIT(0));
	assert_int_equal(fake_guest_sgi_count, 1);
	assert_true(sgi_pending(2, 15));
	/* One the target disabled stays virtual (latched until enabled). */
	wr(v[2], GICR + 2 * GICR_FRAME + SGI_FRAME + 0x180, 4, BIT(6));
	vgicv3_sgi(v[0], (6ULL << 24) | (1ULL << 16) | BIT(0));
	assert_int_equal(fake_guest_sgi_count, 1);
	assert_true(sgi_pending(2, 6));
}

static void test_rt_sgi_taken_at_el2_is_injected(void **state)
{
	struct vm *gvm = &hv_state->vms[1];

	(void)state;
	/* The VM is an RTVM owning pCPU 2; a physical SGI 4 reaches EL2 there
	 * (its vCPU was on the emulated path): it becomes a virtual one. */
	vm->type = VM_TYPE_RTVM;
	gvm->state = VM_STATE_FREE;
	fake_cpu = 2;
	fake_irq_raise(4);
	irq_handle();
	assert_true(sgi_pending(2, 4));
	assert_int_equal(fake_eoi_count, 1);
	/* On a pCPU without an RTVM, such an SGI is dropped. */
	vm->type = VM_TYPE_GVM;
	fake_irq_raise(3);
	irq_handle();
	assert_false(sgi_pending(2, 3));
}

static void test_irouter_never_onto_another_vms_rt_pcpu(void **state)
{
	struct vm *rt = &hv_state->vms[1];

	(void)state;
	/* VM 1 is an RTVM that has pCPU 2. */
	rt->id = 1;
	rt->type = VM_TYPE_RTVM;
	rt->state = VM_STATE_RUNNING;
	rt->vcpu_count = 1;
	rt->vcpus[0].pcpu = 2;
	irq_assign_spi(50, vm->id);
	wr(v[0], GICD + 0x6000 + 8 * 50, 8, 0x1); /* vCPU 1: pCPU 1 */
	assert_int_equal(fake_phys_route[50], pcpus[1].mpidr);
	wr(v[0], GICD + 0x6000 + 8 * 50, 8, 0x100); /* vCPU 2: pCPU 2, the RTVM's */
	assert_int_equal(vm->vgic.spi[50 - 32].target, 2);
	assert_int_equal(fake_phys_route[50], pcpus[1].mpidr);
}

static void test_resume_unmasks_spis_masked_while_paused(void **state)
{
	(void)state;
	/* SPIs 41 and 42 are the VM's (passed through); its guest enabled 41. */
	irq_assign_spi(41, vm->id);
	irq_assign_spi(42, vm->id);
	wr(v[0], GICD + 0x104, 4, BIT(41 - 32));
	assert_true(fake_phys_enabled[41]);
	/* Paused, 41 fires: nobody to take it, so it is masked. */
	vm->state = VM_STATE_PAUSED;
	fake_irq_raise(41);
	irq_handle();
	assert_false(fake_phys_enabled[41]);
	assert_int_equal(vm_resume(vm), SHYPER_OK);
	assert_true(fake_phys_enabled[41]);
	assert_false(fake_phys_enabled[42]); /* never enabled by its guest */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_id_registers),
		T(test_level_line_redelivered_while_high),
		T(test_level_line_dropped_before_delivery),
		T(test_enable_round_trip),
		T(test_priority_bytes),
		T(test_redistributor_typer),
		T(test_sgi1r_targeting),
		T(test_irouter),
		T(test_bad_offsets_are_ignored),
		T(test_rt_enters_direct_when_nothing_is_in_flight),
		T(test_rt_waits_while_the_guest_handles_a_physical_interrupt),
		T(test_rt_latched_but_disabled_does_not_hold_it_back),
		T(test_rt_put_and_load_keep_direct_state),
		T(test_gvm_never_goes_direct),
		T(test_no_direct_where_the_secure_world_keeps_group0),
		T(test_rt_private_interrupts_reach_the_real_redistributor),
		T(test_rt_sgis_are_physical),
		T(test_rt_sgi_taken_at_el2_is_injected),
		T(test_irouter_never_onto_another_vms_rt_pcpu),
		T(test_resume_unmasks_spis_masked_while_paused),
	};

	return cmocka_run_group_tests_name("vgic", tests, NULL, NULL);
}
