// SPDX-License-Identifier: GPL-2.0
/*
 * The GICv3 distributor and redistributors a guest programs, emulated by
 * trapping its accesses (the frames are left out of its stage-2 map).
 *
 * The guest sees a GICv3 without security extensions (GICD_CTLR.DS = 1),
 * without LPIs or ITS, one redistributor per vCPU. Its settings land in the
 * virtual interrupt state; for SPIs the VM owns physically, enable, trigger
 * mode, pending state and routing are also applied to the real distributor.
 *
 * An RTVM takes its physical interrupts at EL1 (core/vgic.c), so for it the
 * real GIC is what counts: its private interrupts with a physical
 * counterpart (vgic_rt_private()) go to the redistributor of the vCPU's
 * pCPU as well, priorities of everything it owns are applied (shifted below
 * the hypervisor's, GUEST_PHYS_PRIORITY), and its SGIs are sent physically.
 * A GVM's priorities stay virtual: the physical GIC runs them at one level.
 */
#include <hv/irq.h>
#include <hv/gicv3_regs.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/mmio.h>
#include <hv/pcpu.h>
#include <hv/rt.h>
#include <hv/vgic.h>
#include <hv/vm.h>

#define CTLR_ENABLE_MASK (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1)

/* Offsets of the per-interrupt registers, shared by GICD and GICR_SGI frames. */
enum bitreg {
	REG_IGROUPR,
	REG_ISENABLER,
	REG_ICENABLER,
	REG_ISPENDR,
	REG_ICPENDR,
	REG_ISACTIVER,
	REG_ICACTIVER,
};

static bool vm_owns_physical(struct vm *vm, uint32_t intid)
{
	if (intid < 32)
		return intid == PPI_VIRT_TIMER || intid == PPI_PMU;
	return irq_spi_owner(intid) == vm->id;
}

/* An RTVM's private interrupt that lives on the real redistributor. */
static bool rt_physical_private(const struct vm *vm, uint32_t intid)
{
	return vm->type == VM_TYPE_RTVM && vgic_rt_private(intid);
}

static void rt_private_write(struct vcpu *target, enum irq_bitreg reg, uint32_t intid)
{
	irqchip->priv_write(target->pcpu, reg, (uint32_t)BIT(intid));
}

static bool rt_private_read(struct vcpu *target, enum irq_bitreg reg, uint32_t intid)
{
	return irqchip->priv_read(target->pcpu, reg) & BIT(intid);
}

static uint64_t vcpu_affinity(const struct vcpu *v)
{
	uint64_t m = v->vmpidr;

	return (m & 0xffffff) | ((m >> 32 & 0xff) << 24);
}

/* Read one bit of a per-interrupt register for intid as this vCPU sees it. */
static bool bit_get(struct vcpu *vcpu, enum bitreg reg, uint32_t intid)
{
	struct vm *vm = vcpu_vm(vcpu);
	struct vgic_irq *irq = vgic_irq_get(vcpu, intid);

	if (!irq)
		return false;
	switch (reg) {
	case REG_IGROUPR:
		return irq->flags & VIRQ_GROUP1;
	case REG_ISENABLER:
	case REG_ICENABLER:
		return irq->flags & VIRQ_ENABLED;
	case REG_ISPENDR:
	case REG_ICPENDR:
		if (intid >= 32 && vm_owns_physical(vm, intid) && irqchip->is_pending(intid))
			return true;
		if (rt_physical_private(vm, intid) && rt_private_read(vcpu, IRQ_ISPENDR, intid))
			return true;
		return irq->flags & VIRQ_PENDING;
	case REG_ISACTIVER:
	case REG_ICACTIVER:
		if (rt_physical_private(vm, intid))
			return rt_private_read(vcpu, IRQ_ISACTIVER, intid);
		return intid >= 32 && vm_owns_physical(vm, intid) && irqchip->is_active(intid);
	}
	return false;
}

static void bit_set(struct vcpu *vcpu, struct vcpu *target, enum bitreg reg, uint32_t intid,
		    bool value)
{
	struct vm *vm = vcpu_vm(vcpu);
	struct vgic_irq *irq = vgic_irq_get(target, intid);
	bool phys = intid >= 32 && vm_owns_physical(vm, intid);
	bool rt_priv = rt_physical_private(vm, intid);

	if (!irq)
		return;
	switch (reg) {
	case REG_IGROUPR:
		if (value)
			virq_flags_set(irq, VIRQ_GROUP1);
		else
			virq_flags_clear(irq, VIRQ_GROUP1);
		break;
	case REG_ISENABLER:
		if (!value)
			break;
		virq_flags_set(irq, VIRQ_ENABLED);
		if (phys)
			irqchip->set_enabled(intid, true);
		if (rt_priv)
			rt_private_write(target, IRQ_ISENABLER, intid);
		vgic_irq_enabled(intid < 32 ? target : vcpu_get(vm, irq->target), intid);
		break;
	case REG_ICENABLER:
		if (!value)
			break;
		virq_flags_clear(irq, VIRQ_ENABLED);
		if (phys)
			irqchip->set_enabled(intid, false);
		if (rt_priv)
			rt_private_write(target, IRQ_ICENABLER, intid);
		break;
	case REG_ISPENDR:
		if (!value)
			break;
		if (phys)
			irqchip->set_pending(intid, true);
		else if (rt_priv)
			rt_private_write(target, IRQ_ISPENDR, intid);
		else
			vgic_inject(intid < 32 ? target : vcpu_get(vm, irq->target), intid, false);
		break;
	case REG_ICPENDR:
		if (!value)
			break;
		if (phys)
			irqchip->set_pending(intid, false);
		if (rt_priv)
			rt_private_write(target, IRQ_ICPENDR, intid);
		/* A latched software interrupt is dropped when the guest clears it. */
		if ((irq->flags & VIRQ_PENDING) && !(irq->flags & VIRQ_HW)) {
			struct vcpu *owner = intid < 32 ? target : vcpu_get(vm, irq->target);

			spin_lock(&owner->vgic.lock);
			if (irq->flags & VIRQ_PENDING) {
				virq_flags_clear(irq, VIRQ_PENDING);
				owner->vgic.queued--;
			}
			spin_unlock(&owner->vgic.lock);
		}
		break;
	case REG_ICACTIVER:
		/* An RTVM may end its own interrupt's active state on the real GIC. */
		if (value && rt_priv)
			rt_private_write(target, IRQ_ICACTIVER, intid);
		if (value && phys && vm->type == VM_TYPE_RTVM)
			irqchip->set_active(intid, false);
		break;
	case REG_ISACTIVER:
		/* Otherwise active state is the list registers' business; ignored. */
		break;
	}
}

static uint32_t bitreg_read(struct vcpu *vcpu, struct vcpu *target, enum bitreg reg, uint32_t first)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < 32; i++)
		if (bit_get(target, reg, first + i))
			v |= (uint32_t)BIT(i);
	(void)vcpu;
	return v;
}

static void bitreg_write(struct vcpu *vcpu, struct vcpu *target, enum bitreg reg, uint32_t first,
			 uint32_t v)
{
	for (uint32_t i = 0; i < 32; i++) {
		bool bit = v & BIT(i);

		/* Set/clear registers act on ones only; IGROUPR takes both. */
		if (reg == REG_IGROUPR || bit)
			bit_set(vcpu, target, reg, first + i, bit);
	}
}

static bool bitreg_decode(uint64_t off, enum bitreg *reg, uint32_t *first)
{
	static const struct {
		uint32_t base;
		enum bitreg reg;
	} map[] = {
		{ GICD_IGROUPR, REG_IGROUPR },     { GICD_ISENABLER, REG_ISENABLER },
		{ GICD_ICENABLER, REG_ICENABLER }, { GICD_ISPENDR, REG_ISPENDR },
		{ GICD_ICPENDR, REG_ICPENDR },     { GICD_ISACTIVER, REG_ISACTIVER },
		{ GICD_ICACTIVER, REG_ICACTIVER },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(map); i++) {
		if (off >= map[i].base && off < map[i].base + 0x80) {
			*reg = map[i].reg;
			*first = (uint32_t)(off - map[i].base) / 4 * 32;
			return true;
		}
	}
	return false;
}

static void priority_access(struct vcpu *target, uint32_t first, unsigned size, bool write,
			    uint64_t *val)
{
	struct vm *vm = vcpu_vm(target);

	for (unsigned b = 0; b < size; b++) {
		uint32_t intid = first + b;
		struct vgic_irq *irq = vgic_irq_get(target, intid);

		if (write) {
			if (!irq)
				continue;
			irq->priority = (uint8_t)(*val >> (8 * b));
			if (rt_physical_private(vm, intid) ||
			    (vm->type == VM_TYPE_RTVM && intid >= 32 && vm_owns_physical(vm, intid)))
				irqchip->set_priority(target->pcpu, intid, GUEST_PHYS_PRIORITY(irq->priority));
		} else if (irq) {
			*val |= (uint64_t)irq->priority << (8 * b);
		}
	}
}

static void icfgr_access(struct vcpu *vcpu, struct vcpu *target, uint32_t first, bool write,
			 uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);

	for (uint32_t i = 0; i < 16; i++) {
		uint32_t intid = first + i;
		struct vgic_irq *irq = vgic_irq_get(target, intid);
		bool edge;

		if (!irq)
			continue;
		if (!write) {
			if (irq->flags & VIRQ_EDGE)
				*val |= BIT(2 * i + 1);
			continue;
		}
		if (intid < 16)
			continue; /* SGIs are always edge */
		edge = *val & BIT(2 * i + 1);
		if (edge)
			virq_flags_set(irq, VIRQ_EDGE);
		else
			virq_flags_clear(irq, VIRQ_EDGE);
		if (intid >= 32 && vm_owns_physical(vm, intid))
			irqchip->set_edge(intid, edge);
	}
}

/* The per-interrupt registers common to GICD (SPIs) and GICR_SGI (SGI/PPI). */
static bool irq_regs_access(struct vcpu *vcpu, struct vcpu *target, uint64_t off, unsigned size,
			    bool write, uint64_t *val, bool private_frame)
{
	enum bitreg reg;
	uint32_t first;

	if (bitreg_decode(off, &reg, &first)) {
		/* Private interrupts live in the redistributor when ARE is on. */
		if (private_frame ? first != 0 : first == 0)
			return true;
		if (write)
			bitreg_write(vcpu, target, reg, first, (uint32_t)*val);
		else
			*val = bitreg_read(vcpu, target, reg, first);
		return true;
	}
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 1020) {
		first = (uint32_t)(off - GICD_IPRIORITYR);
		if (private_frame ? first >= 32 : first < 32)
			return true;
		priority_access(target, first, size, write, val);
		return true;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
		first = (uint32_t)(off - GICD_ICFGR) / 4 * 16;
		if (private_frame ? first >= 32 : first < 32)
			return true;
		icfgr_access(vcpu, target, first, write, val);
		return true;
	}
	return false;
}

static void dist_access(struct vcpu *vcpu, uint64_t off, unsigned size, bool write, uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);

	if (irq_regs_access(vcpu, vcpu, off, size, write, val, false))
		return;

	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * 1020) {
		uint32_t intid = (uint32_t)(off - GICD_IROUTER) / 8;
		struct vgic_irq *irq = vgic_irq_get(vcpu, intid);
		bool high = off & 4;

		if (!irq)
			return;
		if (!write) {
			uint64_t aff = vcpu_get(vm, irq->target)->vmpidr & 0xff00ffffffULL;

			*val = high ? aff >> 32 : (size == 8 ? aff : (uint32_t)aff);
			return;
		}
		if (!high) {
			uint64_t want = *val & 0xffffff;
			struct vcpu *t = vm_find_vcpu_by_mpidr(vm, want | ((*val >> 32 & 0xff) << 32));

			if (!t && size == 4)
				t = vm_find_vcpu_by_mpidr(vm, want);
			if (t) {
				struct vm *rt = rt_owner(t->pcpu);

				irq->target = t->index;
				/* Never onto another VM's real-time pCPU. */
				if (vm_owns_physical(vm, intid) && (!rt || rt == vm))
					irqchip->route_spi(intid, pcpu_get(t->pcpu)->mpidr);
			}
		}
		return;
	}

	switch (off) {
	case GICD_CTLR:
		if (write)
			vm->vgic.ctlr = (uint32_t)*val & CTLR_ENABLE_MASK;
		else
			*val = vm->vgic.ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
		if (write)
			for (unsigned i = 0; i < vm->vcpu_count; i++)
				vgic_kick(&vm->vcpus[i]);
		return;
	case GICD_TYPER:
		if (!write) {
			uint32_t lines = (vm->vgic.nr_spis + 32) / 32 - 1;

			/* No1N | IDbits=9 (10 bits) | CPUNumber | ITLinesNumber */
			*val = BIT(25) | (9U << 19) | ((MIN(vm->vcpu_count, 8U) - 1) << 5) | lines;
		}
		return;
	case GICD_PIDR2:
		if (!write)
			*val = GIC_PIDR2_ARCH_GICV3;
		return;
	default:
		/* IIDR, TYPER2, STATUSR, IGRPMODR, NSACR, SGIR...: RAZ/WI */
		if (!write)
			*val = 0;
		return;
	}
}

static void redist_access(struct vcpu *vcpu, struct vcpu *target, uint64_t off, unsigned size,
			  bool write, uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);

	if (off >= GICR_SGI) {
		if (!irq_regs_access(vcpu, target, off - GICR_SGI, size, write, val, true) && !write)
			*val = 0;
		return;
	}
	switch (off) {
	case GICR_TYPER:
	case GICR_TYPER + 4: {
		uint64_t typer = (vcpu_affinity(target) << 32) | ((uint64_t)target->index << 8) |
				 (target->index == vm->vcpu_count - 1 ? GICR_TYPER_LAST : 0);

		if (!write)
			*val = off == GICR_TYPER + 4 ? typer >> 32 : (size == 8 ? typer : (uint32_t)typer);
		return;
	}
	case GICR_WAKER:
		if (write) {
			target->vgic.sleeping = *val & GICR_WAKER_SLEEP;
			if (!target->vgic.sleeping)
				vgic_kick(target);
		} else {
			*val = target->vgic.sleeping ? (GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP) : 0;
		}
		return;
	case GICR_PIDR2:
		if (!write)
			*val = GIC_PIDR2_ARCH_GICV3;
		return;
	default:
		/* CTLR (no LPIs, RWP=0), IIDR, STATUSR, PROPBASER, PENDBASER...: RAZ/WI */
		if (!write)
			*val = 0;
		return;
	}
}

bool vgicv3_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);

	if (!write)
		*val = 0;
	if (ipa >= vm->gicd_base && ipa < vm->gicd_base + GICD_SIZE) {
		dist_access(vcpu, ipa - vm->gicd_base, size, write, val);
		return true;
	}
	if (ipa >= vm->gicr_base && ipa < vm->gicr_base + (uint64_t)vm->vcpu_count * GICR_FRAME_SIZE) {
		uint64_t rel = ipa - vm->gicr_base;

		redist_access(vcpu, vcpu_get(vm, (unsigned)(rel / GICR_FRAME_SIZE)), rel % GICR_FRAME_SIZE, size,
			      write, val);
		return true;
	}
	return false;
}

/* A write to ICC_SGI1R_EL1: raise an SGI on the vCPUs it names. */
void vgicv3_sgi(struct vcpu *vcpu, uint64_t v)
{
	struct vm *vm = vcpu_vm(vcpu);
	uint32_t sgi = (v >> 24) & 0xf;
	bool all_but_self = v & BIT(40);
	uint64_t aff = ((v >> 48 & 0xff) << 32) | ((v >> 32 & 0xff) << 16) | ((v >> 16 & 0xff) << 8);
	uint32_t range = (uint32_t)(v >> 44 & 0xf) * 16;
	uint16_t targets = (uint16_t)v;

	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *t = &vm->vcpus[i];
		uint64_t m = t->vmpidr & 0xff00ffffffULL;
		uint32_t aff0 = m & 0xff;

		if (all_but_self) {
			if (t == vcpu)
				continue;
		} else if ((m & ~0xffULL) != aff || aff0 < range || aff0 >= range + 16 ||
			   !(targets & BIT(aff0 - range))) {
			continue;
		}
		if (t->power != VCPU_ON)
			continue;
		/* An RTVM's SGIs travel as real ones, taken at EL1 like any other. */
		if (vm->type == VM_TYPE_RTVM && vgic_rt_private(sgi) &&
		    (t->vgic.priv[sgi].flags & VIRQ_ENABLED))
			irqchip->send_guest_sgi(sgi, pcpu_get(t->pcpu)->mpidr);
		else
			vgic_inject(t, sgi, false);
	}
}
