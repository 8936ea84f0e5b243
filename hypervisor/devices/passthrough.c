// SPDX-License-Identifier: GPL-2.0
/*
 * Passthrough of board devices from the MVM to a guest (see hv/passthrough.h).
 *
 * The rules are Jailhouse's and Xen's: a device belongs to exactly one VM at
 * a time; a guest only gets what the MVM was given at boot (never the
 * hypervisor's UART or the GIC); the guest sees it at its physical address,
 * so its driver needs no translation, which is why it must not collide with
 * the guest's RAM or emulated devices. The guest's record (struct vm's
 * passthrough[]) is plain data in the state area, so a live update or a
 * crash dump sees who has what.
 *
 * Order of the hand-over, so that no moment has the device in two VMs:
 * taking it, the guest's mapping is added (the guest has not started),
 * then the MVM's is removed and its TLB entries flushed; giving it back,
 * the caller has already torn down and flushed the guest's stage-2.
 */
#include <hv/arch.h>
#include <hv/gicv3_regs.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/passthrough.h>
#include <hv/pcpu.h>
#include <hv/stage2.h>
#include <hv/state.h>

static struct vm *mvm(void)
{
	return &hv_state->vms[0];
}

struct vm *passthrough_range_owner(uint64_t base, uint64_t length)
{
	for (unsigned i = 1; i < MAX_VMS; i++) {
		struct vm *vm = &hv_state->vms[i];

		if (vm->state == VM_STATE_FREE)
			continue;
		for (unsigned k = 0; k < vm->board.passthrough_count; k++)
			if (ranges_overlap(base, length, vm->board.passthrough[k].base,
					   vm->board.passthrough[k].length))
				return vm;
	}
	return NULL;
}

bool passthrough_claims(const struct vm *vm, uint64_t base, uint64_t length, uint32_t spi)
{
	for (unsigned k = 0; k < vm->board.passthrough_count; k++)
		if (ranges_overlap(base, length, vm->board.passthrough[k].base,
				   vm->board.passthrough[k].length) ||
		    vm->board.passthrough[k].spi == spi)
			return true;
	return false;
}

/* Is the range wholly inside one of the device ranges the MVM got at boot? */
static bool mvm_was_given(uint64_t base, uint64_t length)
{
	const struct vm *m = mvm();

	for (unsigned i = 0; i < m->board.dev_count; i++)
		if (range_within(base, length, m->board.dev[i].base, m->board.dev[i].size))
			return true;
	return false;
}

/* What the hypervisor keeps for itself, whatever the MVM's device tree said. */
static bool hypervisor_keeps(uint64_t base, uint64_t length)
{
	const struct board_info *b = &hv_state->board;

	return (b->uart_base && ranges_overlap(base, length, ALIGN_DOWN(b->uart_base, PAGE_SIZE),
					       PAGE_SIZE)) ||
	       (b->gicd_size && ranges_overlap(base, length, b->gicd_base, b->gicd_size)) ||
	       (b->gicr_size && ranges_overlap(base, length, b->gicr_base, b->gicr_size));
}

/* Does the range hit the guest's RAM or one of the devices its machine emulates? */
static bool hits_guest_machine(const struct vm *vm, uint64_t base, uint64_t length)
{
	static const struct mmio_range emulated[] = {
		{ SHYPER_GUEST_GICD_BASE, GICD_SIZE },
		/* The redistributor frames of the largest guest, whatever this one has. */
		{ SHYPER_GUEST_GICR_BASE, MAX_VCPUS * GICR_FRAME_SIZE },
		{ SHYPER_GUEST_UART_BASE, PAGE_SIZE },
		{ SHYPER_GUEST_GPIO_BASE, PAGE_SIZE },
		{ SHYPER_GUEST_VIRTIO_BASE,
		  ALIGN_UP(SHYPER_GUEST_VIRTIO_SLOTS * SHYPER_GUEST_VIRTIO_STRIDE, PAGE_SIZE) },
	};

	for (unsigned i = 0; i < vm->board.mem_count; i++)
		if (ranges_overlap(base, length, ipa_addr(vm->board.mem[i].ipa), vm->board.mem[i].size))
			return true;
	for (unsigned i = 0; i < ARRAY_SIZE(emulated); i++)
		if (ranges_overlap(base, length, emulated[i].base, emulated[i].size))
			return true;
	/* The PL031 only where the guest was given one (SHYPER_DEV_RTC). */
	return vm->rtc.base && ranges_overlap(base, length, vm->rtc.base, PAGE_SIZE);
}

static bool spi_is_emulated(uint32_t spi)
{
	return spi == SHYPER_GUEST_UART_SPI || spi == SHYPER_GUEST_GPIO_SPI ||
	       (spi >= SHYPER_GUEST_VIRTIO_SPI &&
		spi < SHYPER_GUEST_VIRTIO_SPI + SHYPER_GUEST_VIRTIO_SLOTS);
}

static int64_t check_spi(const struct vm *vm, uint32_t spi)
{
	uint32_t intid = spi + 32;
	int owner;

	if (spi == SHYPER_DEV_NO_IRQ)
		return SHYPER_OK;
	if (spi >= VGIC_MAX_SPIS || intid >= irqchip_nr_irqs || spi >= vm->vgic.nr_spis ||
	    spi_is_emulated(spi) || (vm->rtc.base && spi == SHYPER_GUEST_RTC_SPI))
		return SHYPER_E_INVALID;
	owner = irq_spi_owner(intid);
	if (owner < 0)
		return SHYPER_E_DENIED;  /* the hypervisor's own */
	if (owner != mvm()->id)
		return SHYPER_E_BUSY;    /* another guest has it */
	return SHYPER_OK;
}

static int64_t check_range(const struct vm *vm, uint64_t base, uint64_t length)
{
	if (!length || !IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(length, PAGE_SIZE) ||
	    base + length < base)
		return SHYPER_E_INVALID;
	if (hypervisor_keeps(base, length))
		return SHYPER_E_DENIED;
	if (!mvm_was_given(base, length))
		return SHYPER_E_INVALID;
	if (passthrough_range_owner(base, length))
		return SHYPER_E_BUSY;
	if (hits_guest_machine(vm, base, length))
		return SHYPER_E_INVALID;
	return SHYPER_OK;
}

static int64_t pgt_status(int rc)
{
	switch (rc) {
	case PGT_OK:
		return SHYPER_OK;
	case PGT_ENOMEM:
		return SHYPER_E_NO_MEMORY;
	case PGT_EEXIST:
		return SHYPER_E_BUSY;
	default:
		return SHYPER_E_INVALID; /* beyond the guest's IPA space */
	}
}

static uint64_t pcpu_mpidr_of(const struct vm *vm, unsigned vcpu_index)
{
	unsigned index = vcpu_index < vm->vcpu_count ? vcpu_index : 0;

	return pcpu_get(vm->vcpus[index].pcpu)->mpidr;
}

/* Physically quiet: masked, not pending; whoever enables it next owns it. */
static void spi_quiesce(uint32_t intid)
{
	irqchip->set_enabled(intid, false);
	irqchip->set_pending(intid, false);
}

/* The MVM's vGIC forgets the SPI: disabled, and not latched for any vCPU. */
static void mvm_vgic_forget(uint32_t intid)
{
	struct vm *m = mvm();
	struct vgic_irq *irq;
	struct vcpu *target;

	if (intid - 32 >= m->vgic.nr_spis)
		return;
	irq = &m->vgic.spi[intid - 32];
	target = vcpu_get(m, irq->target);
	virq_flags_clear(irq, VIRQ_ENABLED);
	if (!target)
		return;
	spin_lock(&target->vgic.lock);
	if (irq->flags & VIRQ_PENDING) {
		virq_flags_clear(irq, VIRQ_PENDING | VIRQ_HW);
		target->vgic.queued--;
	}
	spin_unlock(&target->vgic.lock);
}

int64_t passthrough_add(struct vm *caller, struct vm *vm, const struct shyper_device_config *dev)
{
	struct vm *m = mvm();
	struct vm_passthrough *rec;
	int64_t rc;

	if (!caller || caller->type != VM_TYPE_MVM || vm->type == VM_TYPE_MVM)
		return SHYPER_E_DENIED;
	if (dev->kind != SHYPER_DEV_PASSTHROUGH || dev->flags || dev->reserved0[0] ||
	    dev->reserved0[1] || dev->reserved1)
		return SHYPER_E_INVALID;
	if (vm->state != VM_STATE_DEFINED)
		return SHYPER_E_BUSY; /* it has run: its devices are fixed */
	if (vm->board.passthrough_count >= MAX_VM_PASSTHROUGH)
		return SHYPER_E_TOO_MANY;
	rc = check_range(vm, dev->base, dev->length);
	if (rc)
		return rc;
	rc = check_spi(vm, dev->spi);
	if (rc)
		return rc;

	/* Memory: into the guest first (it cannot run yet), then out of the MVM. */
	/* Identity-mapped: the guest finds the device where the board has it. */
	rc = pgt_status(stage2_map(&vm->board.s2, ipa_init(dev->base), pa_init(dev->base), dev->length,
				    arch_stage2_attrs(MEM_DEVICE)));
	if (rc)
		return rc;
	if (stage2_unmap(&m->board.s2, ipa_init(dev->base), dev->length)) {
		/* exactly what was mapped: no split */
		stage2_unmap(&vm->board.s2, ipa_init(dev->base), dev->length);
		return SHYPER_E_NO_MEMORY;
	}
	arch_stage2_flush_vmid(m->board.vmid);

	if (dev->spi != SHYPER_DEV_NO_IRQ) {
		uint32_t intid = dev->spi + 32;

		spi_quiesce(intid);
		mvm_vgic_forget(intid);
		irq_assign_spi(intid, vm->id);
		irqchip->route_spi(intid, pcpu_mpidr_of(vm, 0));
	}
	rec = &vm->board.passthrough[vm->board.passthrough_count++];
	*rec = (struct vm_passthrough){ .base = dev->base, .length = dev->length, .spi = dev->spi };
	pr_info("vm %u (%s): passthrough 0x%lx+0x%lx, SPI %d, taken from the MVM", vm->id, vm->name,
		dev->base, dev->length, dev->spi == SHYPER_DEV_NO_IRQ ? -1 : (int)dev->spi);
	return SHYPER_OK;
}

void passthrough_release(struct vm *vm)
{
	struct vm *m = mvm();

	for (unsigned k = 0; k < vm->board.passthrough_count; k++) {
		const struct vm_passthrough *rec = &vm->board.passthrough[k];

		if (rec->spi != SHYPER_DEV_NO_IRQ) {
			uint32_t intid = rec->spi + 32;
			unsigned target = intid - 32 < m->vgic.nr_spis ? m->vgic.spi[intid - 32].target
								      : 0;

			spi_quiesce(intid);
			irq_assign_spi(intid, m->id);
			irqchip->route_spi(intid, pcpu_mpidr_of(m, target));
		}
		if (stage2_map(&m->board.s2, ipa_init(rec->base), pa_init(rec->base), rec->length,
				arch_stage2_attrs(MEM_DEVICE)))
			pr_err("cannot map 0x%lx+0x%lx back into the MVM: it stays unreachable",
			       rec->base, rec->length);
		pr_info("vm %u (%s): passthrough 0x%lx+0x%lx given back to the MVM", vm->id,
			vm->name, rec->base, rec->length);
	}
	vm->board.passthrough_count = 0;
}

void passthrough_vm_reset(struct vm *vm)
{
	for (unsigned k = 0; k < vm->board.passthrough_count; k++) {
		uint32_t spi = vm->board.passthrough[k].spi;

		if (spi == SHYPER_DEV_NO_IRQ)
			continue;
		spi_quiesce(spi + 32);
		irqchip->route_spi(spi + 32, pcpu_mpidr_of(vm, 0));
	}
}
