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
#define SGI_HV_IPI 0

/* List register contents, in a version-neutral form */
#define LR_STATE_PENDING 1
#define LR_STATE_ACTIVE 2

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
	void (*send_sgi)(uint32_t sgi, uint64_t target_mpidr);
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
void irqchip_vcpu_save(struct vcpu_sysregs *s);
void irqchip_vcpu_restore(const struct vcpu_sysregs *s);
/* Does a vCPU's saved interface state hold a pending interrupt? */
bool irqchip_saved_lrs_pending(const struct vcpu_sysregs *s);

#endif
