// SPDX-License-Identifier: GPL-2.0
/*
 * GICv3 back end of the irqchip interface: distributor, redistributors,
 * the system-register CPU interface at EL2, and the list registers.
 *
 * Groups: the hypervisor's own interrupts (its IPI, its timer, the
 * maintenance interrupt) are group 0 at the top priority; guests' are group
 * 1. The hypervisor runs with EOImode 1 (priority drop and deactivation
 * apart), so that a guest's deactivation of a hardware-linked virtual
 * interrupt is what deactivates the physical one; a pCPU in direct mode
 * (an RTVM's) runs EOImode 0, as the guest at EL1 expects, and the
 * hypervisor there only ever takes group 0.
 */
#include <hv/arch.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/pcpu.h>
#include <hv/state.h>
#include <hv/gicv3_regs.h>
#include "sysreg.h"

#define HV_PRIORITY 0xa0     /* guests' interrupts, until a guest says otherwise */
#define HV_OWN_PRIORITY 0x00 /* the hypervisor's own (group 0) */
#define CTLR_EOIMODE BIT(1)
#define VMCR_VENG1 BIT(1)
#define VMCR_VBPR1_SHIFT 18

const struct irqchip_ops *irqchip;
uint32_t irqchip_nr_irqs;

static uint64_t gicd;
static uint64_t gicr_sgi[MAX_PCPUS]; /* SGI frame of each pCPU's redistributor */
static unsigned lr_total;
static bool direct_mode[MAX_PCPUS]; /* this pCPU's group 1 belongs to its RTVM */
/*
 * Group 0 is ours only where the GIC has one security state (GICD_CTLR.DS,
 * QEMU virt without EL3). Where the secure world keeps it, our interrupts
 * stay group 1 (still at the top priority) and RTVMs take the emulated path:
 * with IMO clear, a group 1 IPI would go to the guest.
 */
static bool own_group0 = true;

static inline uint32_t rd32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

static inline void wr32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static inline uint64_t rd64(uint64_t a)
{
	return *(volatile uint64_t *)a;
}

static inline void wr64(uint64_t a, uint64_t v)
{
	*(volatile uint64_t *)a = v;
}

static void wait_rwp(uint64_t ctlr, uint32_t bit)
{
	for (unsigned i = 0; i < 1000000 && (rd32(ctlr) & bit); i++)
		;
}

/* Register base for intid's bit/byte registers: its redistributor or the distributor. */
static uint64_t bank(uint32_t intid)
{
	return intid < 32 ? gicr_sgi[arch_cpu_index()] : gicd;
}

static int gicv3_init(const struct board_info *b)
{
	uint32_t typer;

	gicd = b->gicd_base;
	typer = rd32(gicd + GICD_TYPER);
	irqchip_nr_irqs = MIN(32 * ((typer & 0x1f) + 1), 1020);

	wr32(gicd + GICD_CTLR, 0);
	wait_rwp(gicd + GICD_CTLR, GICD_CTLR_RWP);
	for (uint32_t i = 32; i < irqchip_nr_irqs; i += 32) {
		wr32(gicd + GICD_IGROUPR + i / 8, ~0U);
		wr32(gicd + GICD_ICENABLER + i / 8, ~0U);
		wr32(gicd + GICD_ICPENDR + i / 8, ~0U);
		wr32(gicd + GICD_ICACTIVER + i / 8, ~0U);
	}
	for (uint32_t i = 32; i < irqchip_nr_irqs; i += 4)
		wr32(gicd + GICD_IPRIORITYR + i, HV_PRIORITY * 0x01010101U);
	for (uint32_t i = 32; i < irqchip_nr_irqs; i++)
		wr64(gicd + GICD_IROUTER + 8 * i, b->mpidr[0] & 0xff00ffffffULL);
	wait_rwp(gicd + GICD_CTLR, GICD_CTLR_RWP);
	/* Affinity routing, then group 1 (and group 0, which we leave empty) on. */
	wr32(gicd + GICD_CTLR, GICD_CTLR_ARE);
	wait_rwp(gicd + GICD_CTLR, GICD_CTLR_RWP);
	wr32(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G0);
	wait_rwp(gicd + GICD_CTLR, GICD_CTLR_RWP);
	return 0;
}

static void lr_set(unsigned i, uint64_t v);

static uint64_t find_redistributor(uint64_t mpidr)
{
	const struct board_info *b = &hv_state->board;
	uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 32 & 0xff) << 24);

	for (uint64_t f = b->gicr_base; f < b->gicr_base + b->gicr_size;) {
		uint64_t typer = rd64(f + GICR_TYPER);

		if ((typer >> 32) == aff)
			return f;
		if (typer & GICR_TYPER_LAST)
			break;
		f += (typer & GICR_TYPER_VLPIS) ? 2 * GICR_FRAME_SIZE : GICR_FRAME_SIZE;
	}
	return 0;
}

static int gicv3_cpu_init(unsigned pcpu, uint64_t mpidr)
{
	uint64_t rd = find_redistributor(mpidr);
	uint64_t sgi;

	if (!rd)
		return -1;
	sgi = rd + GICR_SGI;
	gicr_sgi[pcpu] = sgi;

	wr32(rd + GICR_WAKER, rd32(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	for (unsigned i = 0; i < 1000000 && (rd32(rd + GICR_WAKER) & GICR_WAKER_ASLEEP); i++)
		;
	wr32(sgi + GICD_IGROUPR, ~IRQ_HV_OWN_MASK);
	if (rd32(sgi + GICD_IGROUPR) & IRQ_HV_OWN_MASK) {
		if (own_group0)
			pr_warn("GICv3: group 0 belongs to the secure world here: the hypervisor's "
				"interrupts stay group 1, and real-time VMs take theirs through EL2");
		own_group0 = false;
		wr32(sgi + GICD_IGROUPR, ~0U);
	}
	wr32(sgi + GICD_ICENABLER, ~0U);
	wr32(sgi + GICD_ICPENDR, ~0U);
	wr32(sgi + GICD_ICACTIVER, ~0U);
	for (uint32_t i = 0; i < 32; i++)
		*(volatile uint8_t *)(sgi + GICD_IPRIORITYR + i) =
			(IRQ_HV_OWN_MASK & BIT(i)) ? HV_OWN_PRIORITY : HV_PRIORITY;
	wait_rwp(rd + GICR_CTLR, GICR_CTLR_RWP);
	/* The hypervisor's own: its IPI, the maintenance interrupt, its timer. */
	wr32(sgi + GICD_ISENABLER, IRQ_HV_OWN_MASK);

	write_sysreg_s(ICC_SRE_EL2, 0xf); /* SRE, no bypass, EL1 may use SRE */
	isb();
	write_sysreg_s(ICC_PMR_EL1, 0xff);
	write_sysreg_s(ICC_BPR0_EL1, 0);
	write_sysreg_s(ICC_BPR1_EL1, 0);
	write_sysreg_s(ICC_CTLR_EL1, CTLR_EOIMODE); /* drop and deactivate apart */
	if (own_group0)
		write_sysreg_s(ICC_IGRPEN0_EL1, 1);
	write_sysreg_s(ICC_IGRPEN1_EL1, 1);
	isb();
	direct_mode[pcpu] = false;

	lr_total = (unsigned)(read_sysreg_s(ICH_VTR_EL2) & 0x1f) + 1;
	for (unsigned l = 0; l < lr_total; l++)
		lr_set(l, 0);
	write_sysreg_s(ICH_VMCR_EL2, 0);
	write_sysreg_s(ICH_HCR_EL2, 1); /* En */
	isb();
	return 0;
}

/* The hypervisor's first, then (unless group 1 is the RTVM's) the guests'. */
static uint32_t gicv3_ack(void)
{
	uint32_t intid = own_group0 ? (uint32_t)read_sysreg_s(ICC_IAR0_EL1) & 0xffffff : 1023;

	if (intid >= 1020 && !direct_mode[arch_cpu_index()])
		intid = (uint32_t)read_sysreg_s(ICC_IAR1_EL1) & 0xffffff;
	dsb(sy);
	return intid;
}

static void gicv3_eoi(uint32_t intid)
{
	if (own_group0 && INTID_IS_HV_OWN(intid))
		write_sysreg_s(ICC_EOIR0_EL1, intid);
	else
		write_sysreg_s(ICC_EOIR1_EL1, intid);
	isb();
}

static void gicv3_deactivate(uint32_t intid)
{
	/* EOImode 0 (direct): the priority drop deactivated it already. */
	if (direct_mode[arch_cpu_index()])
		return;
	write_sysreg_s(ICC_DIR_EL1, intid);
	isb();
}

static void bit_write(uint32_t reg, uint32_t intid)
{
	wr32(bank(intid) + reg + (intid / 32) * 4, BIT(intid % 32));
}

static bool bit_read(uint32_t reg, uint32_t intid)
{
	return rd32(bank(intid) + reg + (intid / 32) * 4) & BIT(intid % 32);
}

static void gicv3_set_enabled(uint32_t intid, bool enabled)
{
	bit_write(enabled ? GICD_ISENABLER : GICD_ICENABLER, intid);
}

static void gicv3_set_pending(uint32_t intid, bool pending)
{
	bit_write(pending ? GICD_ISPENDR : GICD_ICPENDR, intid);
}

static bool gicv3_is_pending(uint32_t intid)
{
	return bit_read(GICD_ISPENDR, intid);
}

static bool gicv3_is_active(uint32_t intid)
{
	return bit_read(GICD_ISACTIVER, intid);
}

static void gicv3_set_active(uint32_t intid, bool active)
{
	bit_write(active ? GICD_ISACTIVER : GICD_ICACTIVER, intid);
}

static void gicv3_set_edge(uint32_t intid, bool edge)
{
	uint64_t reg = bank(intid) + GICD_ICFGR + (intid / 16) * 4;
	uint32_t shift = (intid % 16) * 2 + 1;
	uint32_t v = rd32(reg);

	if (INTID_IS_SGI(intid))
		return;
	v = edge ? (v | BIT(shift)) : (v & ~(uint32_t)BIT(shift));
	wr32(reg, v);
}

static void gicv3_route_spi(uint32_t intid, uint64_t mpidr)
{
	if (intid >= 32 && intid < irqchip_nr_irqs)
		wr64(gicd + GICD_IROUTER + 8 * intid, mpidr & 0xff00ffffffULL);
}

static uint64_t sgi_value(uint32_t sgi, uint64_t mpidr)
{
	return ((mpidr >> 32 & 0xff) << 48) | ((mpidr >> 16 & 0xff) << 32) |
	       ((mpidr >> 8 & 0xff) << 16) | ((uint64_t)(sgi & 0xf) << 24) | BIT(mpidr & 0xf);
}

static void gicv3_send_sgi(uint32_t sgi, uint64_t mpidr)
{
	dsb(ish);
	if (own_group0)
		write_sysreg_s(ICC_SGI0R_EL1, sgi_value(sgi, mpidr));
	else
		write_sysreg_s(ICC_SGI1R_EL1, sgi_value(sgi, mpidr));
	isb();
}

static void gicv3_send_guest_sgi(uint32_t sgi, uint64_t mpidr)
{
	dsb(ish);
	write_sysreg_s(ICC_SGI1R_EL1, sgi_value(sgi, mpidr));
	isb();
}

static const uint32_t bitreg_offset[] = {
	[IRQ_ISENABLER] = GICD_ISENABLER, [IRQ_ICENABLER] = GICD_ICENABLER,
	[IRQ_ISPENDR] = GICD_ISPENDR,     [IRQ_ICPENDR] = GICD_ICPENDR,
	[IRQ_ISACTIVER] = GICD_ISACTIVER, [IRQ_ICACTIVER] = GICD_ICACTIVER,
};

static uint32_t gicv3_priv_read(unsigned pcpu, enum irq_bitreg reg)
{
	if (pcpu >= MAX_PCPUS || !gicr_sgi[pcpu])
		return 0;
	return rd32(gicr_sgi[pcpu] + bitreg_offset[reg]);
}

/* The hypervisor's own private interrupts are never a caller's to change. */
static void gicv3_priv_write(unsigned pcpu, enum irq_bitreg reg, uint32_t mask)
{
	mask &= ~IRQ_HV_OWN_MASK;
	if (pcpu >= MAX_PCPUS || !gicr_sgi[pcpu] || !mask)
		return;
	wr32(gicr_sgi[pcpu] + bitreg_offset[reg], mask);
}

static void gicv3_set_priority(unsigned pcpu, uint32_t intid, uint8_t priority)
{
	uint64_t base;

	if (intid < 32) {
		if (pcpu >= MAX_PCPUS || !gicr_sgi[pcpu] || (IRQ_HV_OWN_MASK & BIT(intid)))
			return;
		base = gicr_sgi[pcpu];
	} else if (intid < irqchip_nr_irqs) {
		base = gicd;
	} else {
		return;
	}
	*(volatile uint8_t *)(base + GICD_IPRIORITYR + intid) = priority;
}

static unsigned gicv3_lr_count(void)
{
	return lr_total;
}

static uint64_t gicv3_lr_empty_mask(void)
{
	return read_sysreg_s(ICH_ELRSR_EL2) & (BIT(lr_total) - 1);
}

#define LR_CASE(n, op, crm, op2) \
	case n: op(S3_4_C12_##crm##_##op2); break

static uint64_t lr_get(unsigned i)
{
	uint64_t v = 0;

#define RD(r) v = read_sysreg_s(r)
	switch (i) {
	LR_CASE(0, RD, C12, 0); LR_CASE(1, RD, C12, 1); LR_CASE(2, RD, C12, 2);
	LR_CASE(3, RD, C12, 3); LR_CASE(4, RD, C12, 4); LR_CASE(5, RD, C12, 5);
	LR_CASE(6, RD, C12, 6); LR_CASE(7, RD, C12, 7); LR_CASE(8, RD, C13, 0);
	LR_CASE(9, RD, C13, 1); LR_CASE(10, RD, C13, 2); LR_CASE(11, RD, C13, 3);
	LR_CASE(12, RD, C13, 4); LR_CASE(13, RD, C13, 5); LR_CASE(14, RD, C13, 6);
	LR_CASE(15, RD, C13, 7);
	}
#undef RD
	return v;
}

static void lr_set(unsigned i, uint64_t v)
{
#define WR(r) write_sysreg_s(r, v)
	switch (i) {
	LR_CASE(0, WR, C12, 0); LR_CASE(1, WR, C12, 1); LR_CASE(2, WR, C12, 2);
	LR_CASE(3, WR, C12, 3); LR_CASE(4, WR, C12, 4); LR_CASE(5, WR, C12, 5);
	LR_CASE(6, WR, C12, 6); LR_CASE(7, WR, C12, 7); LR_CASE(8, WR, C13, 0);
	LR_CASE(9, WR, C13, 1); LR_CASE(10, WR, C13, 2); LR_CASE(11, WR, C13, 3);
	LR_CASE(12, WR, C13, 4); LR_CASE(13, WR, C13, 5); LR_CASE(14, WR, C13, 6);
	LR_CASE(15, WR, C13, 7);
	}
#undef WR
}

static void gicv3_lr_read(unsigned i, struct lr_value *v)
{
	uint64_t lr = lr_get(i);

	v->vintid = (uint32_t)lr;
	v->state = (uint8_t)(lr >> ICH_LR_STATE_SHIFT);
	v->hw = lr & ICH_LR_HW;
	v->group1 = lr & ICH_LR_GROUP1;
	v->priority = (uint8_t)(lr >> ICH_LR_PRIO_SHIFT);
	v->pintid = (uint32_t)(lr >> ICH_LR_PINTID_SHIFT) & 0x1fff;
	v->eoi_notify = !v->hw && (lr & ICH_LR_EOI);
}

static void gicv3_lr_write(unsigned i, const struct lr_value *v)
{
	uint64_t lr = 0;

	if (v->state) {
		lr = v->vintid | ((uint64_t)(v->state & 3) << ICH_LR_STATE_SHIFT) |
		     ((uint64_t)v->priority << ICH_LR_PRIO_SHIFT) |
		     (v->group1 ? ICH_LR_GROUP1 : 0);
		if (v->hw)
			lr |= ICH_LR_HW | ((uint64_t)v->pintid << ICH_LR_PINTID_SHIFT);
		else if (v->eoi_notify)
			lr |= ICH_LR_EOI;
	}
	lr_set(i, lr);
}

static void gicv3_set_underflow_irq(bool on)
{
	uint64_t hcr = read_sysreg_s(ICH_HCR_EL2);

	/* NPIE: maintenance interrupt when no list register is pending. */
	hcr = on ? (hcr | BIT(3)) : (hcr & ~BIT(3));
	write_sysreg_s(ICH_HCR_EL2, hcr);
	isb();
}

static uint64_t gicv3_lr_eoi_mask(void)
{
	return read_sysreg_s(ICH_EISR_EL2) & (BIT(lr_total) - 1);
}

static const struct irqchip_ops gicv3_ops = {
	.name = "GICv3",
	.init = gicv3_init,
	.cpu_init = gicv3_cpu_init,
	.ack = gicv3_ack,
	.eoi = gicv3_eoi,
	.deactivate = gicv3_deactivate,
	.set_enabled = gicv3_set_enabled,
	.set_edge = gicv3_set_edge,
	.set_pending = gicv3_set_pending,
	.is_pending = gicv3_is_pending,
	.is_active = gicv3_is_active,
	.set_active = gicv3_set_active,
	.route_spi = gicv3_route_spi,
	.send_sgi = gicv3_send_sgi,
	.send_guest_sgi = gicv3_send_guest_sgi,
	.priv_read = gicv3_priv_read,
	.priv_write = gicv3_priv_write,
	.set_priority = gicv3_set_priority,
	.lr_count = gicv3_lr_count,
	.lr_empty_mask = gicv3_lr_empty_mask,
	.lr_read = gicv3_lr_read,
	.lr_write = gicv3_lr_write,
	.set_underflow_irq = gicv3_set_underflow_irq,
	.lr_eoi_mask = gicv3_lr_eoi_mask,
};

int irqchip_probe(const struct board_info *board)
{
	if (board->gic_version != GIC_V3) {
		pr_err("GICv%u is not supported yet", board->gic_version);
		return -1;
	}
	irqchip = &gicv3_ops;
	return irqchip->init(board);
}

/*
 * Live update: the GIC as the previous image left it, configured and
 * running; learn it without touching it. Every pCPU in pcpus must have its
 * redistributor. Group 0 is ours if our own interrupts are in it.
 */
int irqchip_adopt(const struct board_info *board, uint32_t pcpus)
{
	unsigned first = MAX_PCPUS;

	if (board->gic_version != GIC_V3 || !board->gicd_base)
		return -1;
	gicd = board->gicd_base;
	irqchip_nr_irqs = MIN(32 * ((rd32(gicd + GICD_TYPER) & 0x1f) + 1), 1020);
	for (unsigned i = 0; i < MAX_PCPUS; i++) {
		uint64_t rd;

		direct_mode[i] = false;
		gicr_sgi[i] = 0;
		if (!(pcpus & BIT(i)))
			continue;
		rd = find_redistributor(board->mpidr[i]);
		if (!rd)
			return -1;
		gicr_sgi[i] = rd + GICR_SGI;
		if (first == MAX_PCPUS)
			first = i;
	}
	if (first == MAX_PCPUS)
		return -1;
	own_group0 = !(rd32(gicr_sgi[first] + GICD_IGROUPR) & IRQ_HV_OWN_MASK);
	lr_total = (unsigned)(read_sysreg_s(ICH_VTR_EL2) & 0x1f) + 1;
	irqchip = &gicv3_ops;
	return 0;
}

void irqchip_cpu_adopt(unsigned pcpu)
{
	/* The old image put this pCPU's vCPU, which left direct mode. */
	direct_mode[pcpu] = false;
}

void irqchip_vcpu_save(struct vcpu_sysregs *s)
{
	s->ich_vmcr = read_sysreg_s(ICH_VMCR_EL2);
	s->ich_ap0r[0] = read_sysreg_s(ICH_AP0R0_EL2);
	s->ich_ap1r[0] = read_sysreg_s(ICH_AP1R0_EL2);
	for (unsigned i = 0; i < lr_total; i++) {
		s->ich_lr[i] = lr_get(i);
		lr_set(i, 0);
	}
}

bool irqchip_saved_lrs_pending(const struct vcpu_sysregs *s)
{
	for (unsigned i = 0; i < lr_total; i++)
		if ((s->ich_lr[i] >> ICH_LR_STATE_SHIFT) & LR_STATE_PENDING)
			return true;
	return false;
}

void irqchip_vcpu_restore(const struct vcpu_sysregs *s)
{
	write_sysreg_s(ICH_VMCR_EL2, s->ich_vmcr);
	write_sysreg_s(ICH_AP0R0_EL2, s->ich_ap0r[0]);
	write_sysreg_s(ICH_AP1R0_EL2, s->ich_ap1r[0]);
	for (unsigned i = 0; i < lr_total; i++)
		lr_set(i, s->ich_lr[i]);
}

/*
 * Direct mode. The guest's ICC_IGRPEN1_EL1, ICC_BPR1_EL1 and ICC_AP1R0_EL1
 * are physical while HCR_EL2.IMO is clear; outside direct mode the same
 * state lives in ICH_VMCR_EL2 (VENG1, VBPR1) and ICH_AP1R0_EL2, so moving
 * between the modes carries it across. (Five priority bits: one AP1R.)
 */
void irqchip_direct_enter(const struct vcpu_sysregs *s)
{
	uint64_t vmcr = read_sysreg_s(ICH_VMCR_EL2);
	uint64_t igrpen1 = (vmcr & VMCR_VENG1) ? 1 : 0;
	uint64_t bpr1 = (vmcr >> VMCR_VBPR1_SHIFT) & 7;

	direct_mode[arch_cpu_index()] = true;
	write_sysreg_s(ICC_CTLR_EL1, 0); /* EOImode 0: an EOI drops and deactivates */
	write_sysreg_s(ICC_BPR1_EL1, bpr1);
	write_sysreg_s(ICC_AP1R0_EL1, s->icc_ap1r0);
	write_sysreg_s(ICC_IGRPEN1_EL1, igrpen1);
	isb();
}

void irqchip_direct_leave(struct vcpu_sysregs *s)
{
	uint64_t vmcr = read_sysreg_s(ICH_VMCR_EL2);
	uint64_t igrpen1 = read_sysreg_s(ICC_IGRPEN1_EL1) & 1;
	uint64_t bpr1 = read_sysreg_s(ICC_BPR1_EL1) & 7;

	s->icc_ap1r0 = read_sysreg_s(ICC_AP1R0_EL1);
	vmcr &= ~((uint64_t)VMCR_VENG1 | (7ULL << VMCR_VBPR1_SHIFT));
	vmcr |= (igrpen1 ? VMCR_VENG1 : 0) | (MAX(bpr1, 1) << VMCR_VBPR1_SHIFT);
	write_sysreg_s(ICH_VMCR_EL2, vmcr);
	write_sysreg_s(ICC_AP1R0_EL1, 0);
	write_sysreg_s(ICC_IGRPEN1_EL1, 1);
	write_sysreg_s(ICC_BPR1_EL1, 0);
	write_sysreg_s(ICC_CTLR_EL1, CTLR_EOIMODE);
	isb();
	direct_mode[arch_cpu_index()] = false;
}

bool irqchip_direct_supported(void)
{
	return own_group0;
}

bool irqchip_direct_idle(void)
{
	return read_sysreg_s(ICC_AP1R0_EL1) == 0;
}

bool irqchip_virtual_idle(void)
{
	return gicv3_lr_empty_mask() == BIT(lr_total) - 1 && read_sysreg_s(ICH_AP1R0_EL2) == 0 &&
	       read_sysreg_s(ICH_AP0R0_EL2) == 0;
}
