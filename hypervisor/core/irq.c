// SPDX-License-Identifier: GPL-2.0
/*
 * Physical interrupts at EL2: the hypervisor's own (IPIs, maintenance) are
 * handled here; everything else belongs to a VM and is forwarded to it as a
 * hardware-linked virtual interrupt.
 */
#include <hv/arch.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/pcpu.h>
#include <hv/rt.h>
#include <hv/sched.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/vgic.h>

/* SPI owners live in the state area (hv_state->spi_owner, all
 * IRQ_OWNER_NONE when it is created), which a new hypervisor image takes
 * over as it is. */
void irq_assign_spi(uint32_t intid, uint16_t vm_id)
{
	if (intid >= 32 && intid < irqchip_nr_irqs)
		hv_state->spi_owner[intid - 32] = (uint8_t)vm_id;
}

int irq_spi_owner(uint32_t intid)
{
	uint8_t owner;

	if (intid < 32 || intid >= irqchip_nr_irqs)
		return -1;
	owner = hv_state->spi_owner[intid - 32];
	return owner == IRQ_OWNER_NONE ? -1 : owner;
}

void pcpu_send_ipi(unsigned index, uint32_t reasons)
{
	struct pcpu *p = pcpu_get(index);

	__atomic_fetch_or(&p->ipi_reasons, reasons, __ATOMIC_RELEASE);
	irqchip->send_sgi(SGI_HV_IPI, p->mpidr);
}

static void forward_to_guest(uint32_t intid)
{
	struct pcpu *self = this_pcpu();
	struct vcpu *target = NULL;

	if (INTID_IS_PPI(intid)) {
		target = self->current;
	} else {
		int owner = irq_spi_owner(intid);
		struct vm *vm = owner >= 0 ? vm_get((uint16_t)owner) : NULL;

		if (vm && vm->state == VM_STATE_RUNNING) {
			struct vgic_irq *virq = &vm->vgic.spi[intid - 32];

			target = vcpu_get(vm, virq->target);
		}
	}
	if (!target || target->power == VCPU_OFF) {
		/* Nobody to take it: keep it from firing again. */
		pr_debug("irq %u has no running owner; masked", intid);
		irqchip->set_enabled(intid, false);
		irqchip->deactivate(intid);
		return;
	}
	vgic_inject(target, intid, true);
}

static void handle_ipi(void)
{
	struct pcpu *self = this_pcpu();
	uint32_t reasons = __atomic_exchange_n(&self->ipi_reasons, 0, __ATOMIC_ACQUIRE);

	if (reasons & IPI_HALT)
		arch_cpu_halt();
	if (reasons & IPI_KICK)
		self->need_resched = true;
}

void irq_handle(void)
{
	struct pcpu *self = this_pcpu();

	for (;;) {
		uint32_t intid = irqchip->ack();

		if (intid >= 1020)
			break;
		self->irq_count++;
		stats_irq(intid == SGI_HV_IPI);
		irqchip->eoi(intid);
		if (intid == SGI_HV_IPI) {
			irqchip->deactivate(intid);
			handle_ipi();
		} else if (intid == PPI_HYP_TIMER) {
			arch_hyp_timer_cancel();
			irqchip->deactivate(intid);
			sched_tick();
		} else if (intid == PPI_MAINTENANCE) {
			irqchip->deactivate(intid);
			vgic_maintenance(self->current && self->current->loaded ? self->current : NULL);
		} else if (INTID_IS_SGI(intid)) {
			/* An RTVM's SGI that found its vCPU on the emulated path. */
			struct vcpu *rt = rt_vcpu_on(self->index);

			irqchip->deactivate(intid);
			if (rt)
				vgic_inject(rt, intid, false);
		} else {
			forward_to_guest(intid);
		}
	}
}
