// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual interrupt delivery (see hv/vgic.h).
 *
 * An interrupt for a vCPU is first latched (VIRQ_PENDING) in its per-VM or
 * per-vCPU state, then moved into a free list register on the pCPU that
 * runs the vCPU: at once if that is this pCPU, otherwise after a kick IPI.
 * A hardware interrupt stays active at the physical GIC until the guest
 * deactivates the linked virtual one, so it cannot fire again meanwhile.
 *
 * An RTVM's vCPU runs in direct mode whenever it can (vgic_prepare_entry):
 * its physical interrupts reach its EL1 with no exit and the list registers
 * stay empty. Only an interrupt of an emulated device (or another software
 * one) needs them: the vCPU then runs on the emulated path until that
 * interrupt is done, and goes back to direct mode at its next entry.
 */
#include <hv/arch.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/pcpu.h>
#include <hv/sched.h>
#include <hv/vgic.h>
#include <hv/vm.h>
#include <string.h>

#define DEFAULT_PRIORITY 0xa0

void vgic_vm_init(struct vm *vm, uint32_t nr_spis)
{
	memset(&vm->vgic, 0, sizeof(vm->vgic));
	vm->vgic.nr_spis = MIN(nr_spis, (uint32_t)VGIC_MAX_SPIS);
	for (uint32_t i = 0; i < vm->vgic.nr_spis; i++) {
		vm->vgic.spi[i].priority = DEFAULT_PRIORITY;
		vm->vgic.spi[i].flags = VIRQ_GROUP1;
	}
}

void vgic_vcpu_init(struct vcpu *vcpu)
{
	memset(&vcpu->vgic, 0, sizeof(vcpu->vgic));
	vcpu->vgic.sleeping = true;
	for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++) {
		vcpu->vgic.priv[i].priority = DEFAULT_PRIORITY;
		vcpu->vgic.priv[i].flags = VIRQ_GROUP1 | (i < 16 ? VIRQ_EDGE | VIRQ_ENABLED : 0);
	}
}

struct vgic_irq *vgic_irq_get(struct vcpu *vcpu, uint32_t intid)
{
	struct vm *vm = vcpu_vm(vcpu);

	if (intid < VGIC_NR_PRIVATE)
		return &vcpu->vgic.priv[intid];
	if (intid - VGIC_NR_PRIVATE < vm->vgic.nr_spis)
		return &vm->vgic.spi[intid - VGIC_NR_PRIVATE];
	return NULL;
}

/* Is the vCPU's state live in this pCPU's list registers? */
static bool vcpu_is_here(const struct vcpu *vcpu)
{
	return this_pcpu()->current == vcpu && vcpu->loaded;
}

void vgic_inject(struct vcpu *vcpu, uint32_t intid, bool hw)
{
	struct vgic_irq *irq = vgic_irq_get(vcpu, intid);

	if (!irq)
		return;
	spin_lock(&vcpu->vgic.lock);
	if (hw)
		virq_flags_set(irq, VIRQ_HW);
	if (!(irq->flags & VIRQ_PENDING)) {
		virq_flags_set(irq, VIRQ_PENDING);
		vcpu->vgic.queued++;
		vcpu->irqs++;
	}
	spin_unlock(&vcpu->vgic.lock);
	vgic_kick(vcpu);
}

bool vgic_vcpu_has_pending(struct vcpu *vcpu)
{
	unsigned n = irqchip->lr_count();
	struct lr_value v;

	if (__atomic_load_n(&vcpu->vgic.queued, __ATOMIC_SEQ_CST))
		return true;
	for (unsigned i = 0; vcpu->loaded && i < n; i++) {
		irqchip->lr_read(i, &v);
		if (v.state & LR_STATE_PENDING)
			return true;
	}
	return !vcpu->loaded && irqchip_saved_lrs_pending(&vcpu->sys);
}

/* Put intid into a list register; false when they are all taken. */
static bool lr_place(uint32_t intid, struct vgic_irq *irq, uint64_t *empty, bool rt)
{
	unsigned n = irqchip->lr_count();
	struct lr_value v;

	/* Already there? A software interrupt that is active becomes active+pending. */
	for (unsigned i = 0; i < n; i++) {
		if (*empty & BIT(i))
			continue;
		irqchip->lr_read(i, &v);
		if (v.vintid != intid || !v.state)
			continue;
		if (!v.hw && !(v.state & LR_STATE_PENDING)) {
			v.state |= LR_STATE_PENDING;
			irqchip->lr_write(i, &v);
		}
		return true;
	}
	if (!*empty)
		return false;
	{
		unsigned i = (unsigned)__builtin_ctzll(*empty);

		v = (struct lr_value){
			.vintid = intid,
			.pintid = intid,
			.state = LR_STATE_PENDING,
			.priority = irq->priority,
			.hw = irq->flags & VIRQ_HW,
			.group1 = irq->flags & VIRQ_GROUP1,
			/* A device's level line is sampled again when the guest is
			 * done; an RTVM's vCPU returns to direct mode then. */
			.eoi_notify = ((irq->flags & VIRQ_LINE_HIGH) || rt) && !(irq->flags & VIRQ_HW),
		};
		if (v.eoi_notify)
			virq_flags_set(irq, VIRQ_IN_LR);
		irqchip->lr_write(i, &v);
		*empty &= ~BIT(i);
	}
	return true;
}

/* May vgic_flush() put intid (pending for vcpu) into a list register now?
 * One latched while disabled waits until the guest enables it. */
static bool deliverable(const struct vcpu *vcpu, const struct vm *vm, uint32_t intid,
			const struct vgic_irq *irq)
{
	return (irq->flags & (VIRQ_PENDING | VIRQ_ENABLED)) == (VIRQ_PENDING | VIRQ_ENABLED) &&
	       (intid < VGIC_NR_PRIVATE || irq->target == vcpu->index) &&
	       (vm->vgic.ctlr & BIT(1)) && !vcpu->vgic.sleeping;
}

void vgic_flush(struct vcpu *vcpu)
{
	struct vgic_vcpu *vg = &vcpu->vgic;
	struct vm *vm = vcpu_vm(vcpu);
	bool full = false;
	uint64_t empty;

	/* Direct mode: the list registers stay empty; vgic_prepare_entry() decides. */
	if (!vg->queued || vcpu->irq_direct)
		return;
	spin_lock(&vg->lock);
	empty = irqchip->lr_empty_mask();
	for (uint32_t intid = 0; vg->queued && intid < VGIC_NR_PRIVATE + vm->vgic.nr_spis; intid++) {
		struct vgic_irq *irq = vgic_irq_get(vcpu, intid);

		if (!deliverable(vcpu, vm, intid, irq))
			continue;
		if (!lr_place(intid, irq, &empty, vm->type == VM_TYPE_RTVM)) {
			full = true;
			break;
		}
		virq_flags_clear(irq, VIRQ_PENDING | VIRQ_HW);
		vg->queued--;
	}
	spin_unlock(&vg->lock);
	irqchip->set_underflow_irq(full);
}

/* Would vgic_flush() place anything? */
static bool has_deliverable(struct vcpu *vcpu)
{
	struct vm *vm = vcpu_vm(vcpu);

	if (!__atomic_load_n(&vcpu->vgic.queued, __ATOMIC_SEQ_CST))
		return false;
	for (uint32_t intid = 0; intid < VGIC_NR_PRIVATE + vm->vgic.nr_spis; intid++)
		if (deliverable(vcpu, vm, intid, vgic_irq_get(vcpu, intid)))
			return true;
	return false;
}

#define DIRECT_RETRY_US 50

void vgic_prepare_entry(struct vcpu *vcpu)
{
	if (vcpu_vm(vcpu)->type != VM_TYPE_RTVM || !irqchip_direct_supported()) {
		vgic_flush(vcpu);
		return;
	}
	if (vcpu->irq_direct) {
		if (!has_deliverable(vcpu))
			return;
		/*
		 * The list registers are needed. Not while the guest is inside
		 * a handler of a physical interrupt, though: its EOI would then
		 * reach the virtual interface. Look again shortly.
		 */
		if (!irqchip_direct_idle()) {
			arch_hyp_timer_set(arch_counter() + arch_counter_freq() * DIRECT_RETRY_US / 1000000);
			return;
		}
		arch_vcpu_irq_direct(vcpu, false);
	}
	vgic_flush(vcpu);
	if (!has_deliverable(vcpu) && irqchip_virtual_idle())
		arch_vcpu_irq_direct(vcpu, true);
}

/* Level lines still high after the guest deactivated them: deliver again. */
static void resample_level_irqs(struct vcpu *vcpu)
{
	uint64_t eoi = irqchip->lr_eoi_mask();
	struct lr_value v;

	while (eoi) {
		unsigned i = (unsigned)__builtin_ctzll(eoi);
		struct vgic_irq *irq;

		eoi &= eoi - 1;
		irqchip->lr_read(i, &v);
		irq = vgic_irq_get(vcpu, v.vintid);
		v = (struct lr_value){ 0 };
		irqchip->lr_write(i, &v);
		if (!irq)
			continue;
		spin_lock(&vcpu->vgic.lock);
		virq_flags_clear(irq, VIRQ_IN_LR);
		if ((irq->flags & VIRQ_LINE_HIGH) && !(irq->flags & VIRQ_PENDING)) {
			virq_flags_set(irq, VIRQ_PENDING);
			vcpu->vgic.queued++;
		}
		spin_unlock(&vcpu->vgic.lock);
	}
}

void vgic_maintenance(struct vcpu *vcpu)
{
	irqchip->set_underflow_irq(false);
	if (vcpu) {
		resample_level_irqs(vcpu);
		vgic_flush(vcpu);
	}
}

void vgic_spi_set_line(struct vm *vm, uint32_t intid, bool high)
{
	struct vgic_irq *irq;
	struct vcpu *target;

	if (intid < VGIC_NR_PRIVATE || intid - VGIC_NR_PRIVATE >= vm->vgic.nr_spis)
		return;
	irq = &vm->vgic.spi[intid - VGIC_NR_PRIVATE];
	target = vcpu_get(vm, irq->target);
	if (!target)
		return;
	spin_lock(&target->vgic.lock);
	if (!high) {
		virq_flags_clear(irq, VIRQ_LINE_HIGH);
		/* Not yet delivered: take it back. */
		if (irq->flags & VIRQ_PENDING) {
			virq_flags_clear(irq, VIRQ_PENDING);
			target->vgic.queued--;
		}
		spin_unlock(&target->vgic.lock);
		return;
	}
	if (irq->flags & VIRQ_LINE_HIGH) {
		spin_unlock(&target->vgic.lock);
		return; /* already asserted: delivered or in the guest's hands */
	}
	virq_flags_set(irq, VIRQ_LINE_HIGH);
	if (irq->flags & (VIRQ_PENDING | VIRQ_IN_LR)) {
		spin_unlock(&target->vgic.lock);
		return;
	}
	spin_unlock(&target->vgic.lock);
	vgic_inject(target, intid, false);
}

void vgic_kick(struct vcpu *vcpu)
{
	if (!__atomic_load_n(&vcpu->vgic.queued, __ATOMIC_SEQ_CST))
		return;
	/* Here: into the list registers now; asleep: wake it; elsewhere: tell its pCPU. */
	if (vcpu_is_here(vcpu))
		vgic_flush(vcpu);
	else if (__atomic_load_n(&vcpu->blocked, __ATOMIC_SEQ_CST))
		sched_wake(vcpu);
	else
		/* Running there, or runnable and waiting its turn: either way
		 * the list registers are filled when it next enters, and the
		 * exit the IPI causes is enough (no scheduling decision). */
		pcpu_send_ipi(vcpu->pcpu, IPI_FLUSH);
}

void vgic_irq_enabled(struct vcpu *vcpu, uint32_t intid)
{
	struct vgic_irq *irq = vgic_irq_get(vcpu, intid);

	if (irq && (irq->flags & VIRQ_PENDING))
		vgic_kick(vcpu);
}

void vgic_rt_sync_private(struct vcpu *vcpu)
{
	uint32_t on = 0;

	for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++) {
		if (!vgic_rt_private(i))
			continue;
		irqchip->set_priority(vcpu->pcpu, i, GUEST_PHYS_PRIORITY(vcpu->vgic.priv[i].priority));
		if (vcpu->vgic.priv[i].flags & VIRQ_ENABLED)
			on |= (uint32_t)BIT(i);
	}
	irqchip->priv_write(vcpu->pcpu, IRQ_ICENABLER, VGIC_RT_PRIVATE_MASK & ~on);
	irqchip->priv_write(vcpu->pcpu, IRQ_ISENABLER, on);
}

void vgic_vcpu_reset_lrs(struct vcpu *vcpu)
{
	unsigned n = irqchip->lr_count();
	struct lr_value v;

	/* An RTVM leaves nothing of its own behind on the real redistributor. */
	if (vcpu_vm(vcpu)->type == VM_TYPE_RTVM) {
		irqchip->priv_write(vcpu->pcpu, IRQ_ICENABLER, VGIC_RT_PRIVATE_MASK);
		irqchip->priv_write(vcpu->pcpu, IRQ_ICPENDR, VGIC_RT_PRIVATE_MASK);
		irqchip->priv_write(vcpu->pcpu, IRQ_ICACTIVER, VGIC_RT_PRIVATE_MASK);
	}

	for (unsigned i = 0; i < n; i++) {
		struct vgic_irq *irq;

		irqchip->lr_read(i, &v);
		if (v.state && v.hw)
			irqchip->deactivate(v.pintid);
		irq = v.eoi_notify ? vgic_irq_get(vcpu, v.vintid) : NULL;
		if (irq)
			virq_flags_clear(irq, VIRQ_IN_LR);
		v = (struct lr_value){ 0 };
		irqchip->lr_write(i, &v);
	}
}
