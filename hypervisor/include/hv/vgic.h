/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual interrupt controller state, independent of the GIC version that
 * the guest sees: per-interrupt configuration and pending state, and the
 * queue of interrupts waiting for a free list register. The register-level
 * model a guest programs (vgicv3.c) and the hardware list registers
 * (irqchip) sit on either side of this.
 */
#ifndef HV_VGIC_H
#define HV_VGIC_H

#include <hv/irqchip.h>
#include <hv/spinlock.h>
#include <hv/types.h>

#define VGIC_NR_PRIVATE 32
#define VGIC_MAX_IRQS 1024 /* INTIDs 0..1019 are SGI/PPI/SPI */
#define VGIC_MAX_SPIS (VGIC_MAX_IRQS - VGIC_NR_PRIVATE)

#define VIRQ_ENABLED BIT(0)
#define VIRQ_EDGE BIT(1)
#define VIRQ_GROUP1 BIT(2)
#define VIRQ_HW BIT(3)       /* backed by the same physical INTID */
#define VIRQ_PENDING BIT(4)  /* latched, not yet in a list register */
#define VIRQ_LINE_HIGH BIT(5) /* level interrupt of an emulated device: line asserted */
#define VIRQ_IN_LR BIT(6)    /* level interrupt in a list register until deactivated */

struct vgic_irq {
	uint8_t priority;
	uint8_t flags;
	uint8_t target; /* SPIs: vCPU index the interrupt is routed to */
	uint8_t reserved;
};

struct vgic_vcpu {
	struct spinlock lock;
	bool sleeping; /* GICR_WAKER.ProcessorSleep */
	uint32_t queued; /* number of VIRQ_PENDING interrupts for this vCPU */
	struct vgic_irq priv[VGIC_NR_PRIVATE];
};

struct vgic_dist {
	struct spinlock lock;
	uint32_t ctlr;
	uint32_t nr_spis;
	struct vgic_irq spi[VGIC_MAX_SPIS];
};

/* Flags change on several pCPUs at once: always update them atomically. */
static inline void virq_flags_set(struct vgic_irq *irq, uint8_t f)
{
	__atomic_fetch_or(&irq->flags, f, __ATOMIC_RELAXED);
}

static inline void virq_flags_clear(struct vgic_irq *irq, uint8_t f)
{
	__atomic_fetch_and(&irq->flags, (uint8_t)~f, __ATOMIC_RELAXED);
}

struct vm;
struct vcpu;

void vgic_vm_init(struct vm *vm, uint32_t nr_spis);
void vgic_vcpu_init(struct vcpu *vcpu);
/* The state of one interrupt as seen by vcpu (private ones are per vCPU). */
struct vgic_irq *vgic_irq_get(struct vcpu *vcpu, uint32_t intid);
/* Mark an interrupt pending for vcpu and get it delivered. hw: the
 * physical INTID of the same number is active and the guest's
 * deactivation must reach it. */
void vgic_inject(struct vcpu *vcpu, uint32_t intid, bool hw);
/* Move queued interrupts into free list registers; the vCPU is loaded on
 * this pCPU. */
void vgic_flush(struct vcpu *vcpu);
/* Just before the loaded vCPU enters: vgic_flush(), and for an RTVM's vCPU
 * the choice between direct delivery and the list registers. */
void vgic_prepare_entry(struct vcpu *vcpu);
/* Maintenance interrupt on this pCPU. */
void vgic_maintenance(struct vcpu *vcpu);
/* Save and clear the list registers when a vCPU stops running for good;
 * active hardware interrupts are deactivated. */
void vgic_vcpu_reset_lrs(struct vcpu *vcpu);
/*
 * Drive the line of a level-sensitive SPI from an emulated device. Raising
 * it delivers the interrupt; while it stays high, the guest gets it again
 * each time it deactivates it.
 */
void vgic_spi_set_line(struct vm *vm, uint32_t intid, bool high);
/*
 * An RTVM's private interrupts with a physical counterpart on its pCPU:
 * SGIs 0..14 (sent physically between its vCPUs), its PMU and its virtual
 * timer. What its guest sets for them in its redistributor is applied to
 * the real one; the rest (SGI 15, other PPIs) stay emulated.
 */
#define VGIC_RT_PRIVATE_MASK ((uint32_t)(0x7fffU | BIT(PPI_PMU) | BIT(PPI_VIRT_TIMER)))
static inline bool vgic_rt_private(uint32_t intid)
{
	return intid < VGIC_NR_PRIVATE && (VGIC_RT_PRIVATE_MASK & BIT(intid));
}
/* Apply an RTVM vCPU's private enables and priorities to its pCPU. */
void vgic_rt_sync_private(struct vcpu *vcpu);

/* Does the vCPU have an interrupt waiting (queued, or pending in an LR)? */
bool vgic_vcpu_has_pending(struct vcpu *vcpu);
/* Get latched interrupts of vcpu delivered, wherever it runs. */
void vgic_kick(struct vcpu *vcpu);
/* The guest enabled intid: deliver it if it was latched while disabled. */
void vgic_irq_enabled(struct vcpu *vcpu, uint32_t intid);

#endif
