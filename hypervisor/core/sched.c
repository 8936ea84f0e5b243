// SPDX-License-Identifier: GPL-2.0
/*
 * The pCPU scheduler. Each vCPU is pinned to one pCPU; a pCPU runs the first
 * runnable vCPU pinned to it and idles in WFI, serving interrupts, while it
 * has none. Time-slicing between vCPUs that share a pCPU builds on this.
 */
#include <hv/arch.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/pcpu.h>
#include <hv/sched.h>
#include <hv/state.h>
#include <hv/vgic.h>

static bool vcpu_runnable(const struct vcpu *vcpu)
{
	const struct vm *vm = vm_get(vcpu->vm_id);

	return vm && vm->state == VM_STATE_RUNNING && vcpu->power != VCPU_OFF;
}

static struct vcpu *pick_next(unsigned pcpu)
{
	for (unsigned v = 0; v < MAX_VMS; v++) {
		struct vm *vm = &hv_state->vms[v];

		if (vm->state != VM_STATE_RUNNING)
			continue;
		for (unsigned i = 0; i < vm->vcpu_count; i++) {
			struct vcpu *vcpu = &vm->vcpus[i];

			if (vcpu->pcpu == pcpu && vcpu_runnable(vcpu))
				return vcpu;
		}
	}
	return NULL;
}

static void vcpu_stop_here(struct pcpu *self)
{
	struct vcpu *old = self->current;

	vgic_vcpu_reset_lrs(old);
	arch_vcpu_put(old);
	self->current = NULL;
	self->current_regs = NULL;
}

struct vcpu_regs *sched_resume(void)
{
	struct pcpu *self = this_pcpu();
	struct vcpu *next;

	if (self->current && vcpu_runnable(self->current) && !self->current->reset_pending) {
		vgic_flush(self->current);
		return &self->current->regs;
	}
	if (self->current)
		vcpu_stop_here(self);

	while (!(next = pick_next(self->index))) {
		arch_wait_for_interrupt();
		irq_handle();
	}
	if (next->power == VCPU_ON_PENDING)
		next->power = VCPU_ON;
	self->current = next;
	self->current_regs = &next->regs;
	arch_vcpu_load(next);
	/* Its timer and PMU interrupts reach it directly (hardware-linked). */
	irqchip->set_enabled(PPI_VIRT_TIMER, true);
	irqchip->set_enabled(PPI_PMU, true);
	vgic_flush(next);
	return &next->regs;
}

void sched_start(void)
{
	guest_enter(sched_resume());
}

void sched_kick(struct vcpu *vcpu)
{
	if (vcpu->pcpu == arch_cpu_index())
		return; /* this pCPU looks again before it returns to a guest */
	pcpu_send_ipi(vcpu->pcpu, IPI_KICK);
}
