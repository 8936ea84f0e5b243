/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The physical interrupt controller, as the core needs it: the distributor
 * and CPU interface for the hypervisor's own use, and the virtualisation
 * interface (list registers) through which guests get their interrupts.
 * A GICv3 back end implements it today; a GICv2 one (Raspberry Pi 4,
 * Jetson TX2) fills in the same table.
 */
#ifndef HV_IRQCHIP_H
#define HV_IRQCHIP_H

#include <hv/types.h>

struct vcpu_sysregs;
struct board_info;

#define INTID_SPURIOUS 1023
#define INTID_IS_SGI(i) ((i) < 16)
#define INTID_IS_PPI(i) ((i) >= 16 && (i) < 32)

/* PPIs with a fixed architectural use on Arm boards */
#define PPI_PMU 23
#define PPI_MAINTENANCE 25
#define PPI_HYP_TIMER 26
#define PPI_VIRT_TIMER 27
/*
 * The hypervisor's own interrupts are group 0 (FIQs) at the top priority;
 * every guest's are group 1 (IRQs) at 0x80 or below. HCR_EL2.FMO stays set
 * on every pCPU, so these always reach EL2, even on a pCPU whose RTVM takes
 * its group 1 interrupts straight at EL1 (see docs/rtvm.md). SGI 15: Linux
 * guests use 0..7, and an RTVM's SGIs are physical.
 */
#define SGI_HV_IPI 15
#define IRQ_HV_OWN_MASK ((uint32_t)(BIT(SGI_HV_IPI) | BIT(PPI_MAINTENANCE) | BIT(PPI_HYP_TIMER)))
#define INTID_IS_HV_OWN(i) ((i) < 32 && (IRQ_HV_OWN_MASK & BIT(i)))
/* A guest's physical priority: the top bit always set, so that it can never
 * mask the hypervisor's group 0, order kept. */
#define GUEST_PHYS_PRIORITY(p) ((uint8_t)(0x80 | ((p) >> 1)))

/* Per-interrupt bit registers of a redistributor (private interrupts). */
enum irq_bitreg {
	IRQ_ISENABLER,
	IRQ_ICENABLER,
	IRQ_ISPENDR,
	IRQ_ICPENDR,
	IRQ_ISACTIVER,
	IRQ_ICACTIVER,
};

/* List register contents, in a version-neutral form */
#define LR_STATE_PENDING 1
#define LR_STATE_ACTIVE 2

/*
 * A saved list register (struct vcpu_sysregs.ich_lr) in the state area and
 * the migration stream: GICv3's ICH_LR<n>_EL2 encoding, whatever the GIC.
 */
#define ICH_LR_STATE_SHIFT 62
#define ICH_LR_HW BIT(61)
#define ICH_LR_GROUP1 BIT(60)
#define ICH_LR_PRIO_SHIFT 48
#define ICH_LR_PINTID_SHIFT 32
#define ICH_LR_EOI BIT(41) /* HW = 0: maintenance interrupt on deactivation */

struct lr_value {
	uint32_t vintid;
	uint32_t pintid; /* valid if hw */
	uint8_t state;   /* LR_STATE_* bits; 0 = empty */
	uint8_t priority;
	bool hw;
	bool group1;
	bool eoi_notify; /* software interrupt: maintenance interrupt when deactivated */
};

struct irqchip_ops {
	const char *name;
	int (*init)(const struct board_info *board);
	int (*cpu_init)(unsigned pcpu, uint64_t mpidr);
	uint32_t (*ack)(void);
	void (*eoi)(uint32_t intid);        /* priority drop */
	void (*deactivate)(uint32_t intid);
	void (*set_enabled)(uint32_t intid, bool enabled);
	void (*set_edge)(uint32_t intid, bool edge);
	void (*set_pending)(uint32_t intid, bool pending);
	bool (*is_pending)(uint32_t intid);
	bool (*is_active)(uint32_t intid);
	void (*set_active)(uint32_t intid, bool active);
	void (*route_spi)(uint32_t intid, uint64_t mpidr);
	/* The hypervisor's IPI (group 0). */
	void (*send_sgi)(uint32_t sgi, uint64_t target_mpidr);
	/* A guest's SGI, sent physically (group 1): an RTVM's, between its pCPUs. */
	void (*send_guest_sgi)(uint32_t sgi, uint64_t target_mpidr);
	/* SGIs and PPIs of pCPU pcpu's redistributor, 32 at a time (mask). */
	uint32_t (*priv_read)(unsigned pcpu, enum irq_bitreg reg);
	void (*priv_write)(unsigned pcpu, enum irq_bitreg reg, uint32_t mask);
	/* Physical priority; pcpu names the redistributor for intid < 32. */
	void (*set_priority)(unsigned pcpu, uint32_t intid, uint8_t priority);
	/* Virtualisation interface */
	unsigned (*lr_count)(void);
	uint64_t (*lr_empty_mask)(void);
	void (*lr_read)(unsigned i, struct lr_value *v);
	void (*lr_write)(unsigned i, const struct lr_value *v);
	/* Ask for a maintenance interrupt when no list register holds a pending one. */
	void (*set_underflow_irq)(bool on);
	/* List registers whose eoi_notify interrupt the guest has deactivated. */
	uint64_t (*lr_eoi_mask)(void);
};

extern const struct irqchip_ops *irqchip;
/* Number of INTIDs the distributor implements (SGIs, PPIs and SPIs). */
extern uint32_t irqchip_nr_irqs;

int irqchip_probe(const struct board_info *board);
/* Live update: take the GIC over as it runs (the pCPUs in mask), and one
 * pCPU's side of it; nothing is reset. */
int irqchip_adopt(const struct board_info *board, uint32_t pcpus);
void irqchip_cpu_adopt(unsigned pcpu);
void irqchip_vcpu_save(struct vcpu_sysregs *s);
void irqchip_vcpu_restore(const struct vcpu_sysregs *s);
/* Does a vCPU's saved interface state hold a pending interrupt? */
bool irqchip_saved_lrs_pending(const struct vcpu_sysregs *s);

/*
 * Direct delivery (an RTVM's vCPU alone on this pCPU): the guest takes its
 * group 1 interrupts from the physical CPU interface, with no exit.
 * irqchip_direct_enter() hands the interface over with the guest's saved
 * state (its group 1 enable, binary point and active priorities);
 * irqchip_direct_leave() takes it back, saving that state, and leaves the
 * interface as the hypervisor needs it. The list registers must be empty
 * and stay so while direct.
 */
/* Can this GIC keep a way in the guest cannot mask (a group 0 of ours)? */
bool irqchip_direct_supported(void);
void irqchip_direct_enter(const struct vcpu_sysregs *s);
void irqchip_direct_leave(struct vcpu_sysregs *s);
/* Direct: is the guest outside every interrupt handler (no active priority)? */
bool irqchip_direct_idle(void);
/* Not direct: are the list registers and virtual active priorities empty? */
bool irqchip_virtual_idle(void);

#endif
