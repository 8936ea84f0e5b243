// SPDX-License-Identifier: GPL-2.0
/*
 * AArch64 CPU services for the core: pCPU records and stacks, counter,
 * firmware calls, and the vCPU's EL1 state (reset, load, save, exception
 * injection).
 */
#include <hv/arch.h>
#include <hv/irqchip.h>
#include <hv/pcpu.h>
#include <hv/vm.h>
#include <string.h>
#include "asm.h"
#include "sysreg.h"

_Static_assert(sizeof(struct pcpu) == PCPU_RECORD_SIZE, "head.S indexes pcpu records by PCPU_RECORD_SIZE");
_Static_assert(sizeof(struct vcpu_regs) == VCPU_REGS_SIZE, "vcpu_regs layout is used by exception.S");
_Static_assert(__builtin_offsetof(struct pcpu, stack_top) == 8, "exception.S reads stack_top at 8");
_Static_assert(sizeof(struct vcpu_fpregs) == 0x210, "fpsimd.S layout");

void fpsimd_save(struct vcpu_fpregs *fp);
void fpsimd_restore(const struct vcpu_fpregs *fp);

struct pcpu pcpus[MAX_PCPUS];
uint8_t pcpu_stacks[MAX_PCPUS][PCPU_STACK_SIZE] __attribute__((aligned(16)));

#define PSCI_CPU_ON_64 0xc4000003U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U

uint64_t arch_smc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
uint64_t arch_hvc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
static uint8_t fw_conduit_hvc;

void arch_fw_set_conduit(bool hvc)
{
	fw_conduit_hvc = hvc;
}

static uint64_t fw_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return fw_conduit_hvc ? arch_hvc_call(fid, a1, a2, a3) : arch_smc_call(fid, a1, a2, a3);
}

extern const struct shyper_image_header shyper_image_header; /* head.S */

const struct shyper_image_header *arch_image_header(void)
{
	return &shyper_image_header;
}

struct pcpu *this_pcpu(void)
{
	return (struct pcpu *)read_sysreg(tpidr_el2);
}

unsigned arch_cpu_index(void)
{
	return this_pcpu()->index;
}

uint64_t arch_mpidr(void)
{
	return read_sysreg(mpidr_el1) & 0xff00ffffffULL;
}

void arch_dcache_invalidate(uint64_t base, uint64_t size)
{
	uint64_t line = 4ULL << ((read_sysreg(ctr_el0) >> 16) & 0xf);

	for (uint64_t a = ALIGN_DOWN(base, line); a < base + size; a += line)
		__asm__ volatile("dc ivac, %0" : : "r"(a) : "memory");
	dsb(sy);
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" : : : "memory");
}

void arch_sync_icache(const void *p, uint64_t size)
{
	uint64_t ctr = read_sysreg(ctr_el0);
	uint64_t dline = 4ULL << ((ctr >> 16) & 0xf);
	uint64_t base = (uint64_t)(uintptr_t)p;

	/* Clean to the point of unification, then no stale instructions anywhere. */
	for (uint64_t a = ALIGN_DOWN(base, dline); a < base + size; a += dline)
		__asm__ volatile("dc cvau, %0" : : "r"(a) : "memory");
	dsb(ish);
	__asm__ volatile("ic ialluis" : : : "memory");
	dsb(ish);
	isb();
}

void arch_wait_for_interrupt(void)
{
	dsb(sy);
	__asm__ volatile("wfi" : : : "memory");
}

void arch_cpu_halt(void)
{
	for (;;)
		__asm__ volatile("wfi");
}

uint64_t arch_counter(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

uint64_t arch_counter_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

int64_t arch_fw_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context)
{
	return (int64_t)fw_call(PSCI_CPU_ON_64, mpidr, pa_addr(entry), context);
}

void arch_fw_system_off(void)
{
	fw_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	arch_cpu_halt();
}

void arch_fw_system_reset(void)
{
	fw_call(PSCI_SYSTEM_RESET, 0, 0, 0);
	arch_cpu_halt();
}

/* Architectural reset values a guest may rely on when its CPU comes up. */
void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t arg0)
{
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	memset(&vcpu->sys, 0, sizeof(vcpu->sys));
	vcpu->regs.x[0] = arg0;
	vcpu->regs.elr = entry;
	vcpu->regs.spsr = PSR_DAIF | PSR_MODE_EL1h;
	vcpu->sys.sctlr = 0x30d00800; /* RES1 bits, MMU and caches off */
	vcpu->sys.cpacr = 0;
	vcpu->reset_pending = true;
}

static void sysregs_save(struct vcpu_sysregs *s)
{
	s->sctlr = read_sysreg(sctlr_el1);
	s->actlr = read_sysreg(actlr_el1);
	s->cpacr = read_sysreg(cpacr_el1);
	s->ttbr0 = read_sysreg(ttbr0_el1);
	s->ttbr1 = read_sysreg(ttbr1_el1);
	s->tcr = read_sysreg(tcr_el1);
	s->mair = read_sysreg(mair_el1);
	s->amair = read_sysreg(amair_el1);
	s->vbar = read_sysreg(vbar_el1);
	s->esr = read_sysreg(esr_el1);
	s->far = read_sysreg(far_el1);
	s->afsr0 = read_sysreg(afsr0_el1);
	s->afsr1 = read_sysreg(afsr1_el1);
	s->contextidr = read_sysreg(contextidr_el1);
	s->par = read_sysreg(par_el1);
	s->tpidr_el0 = read_sysreg(tpidr_el0);
	s->tpidrro_el0 = read_sysreg(tpidrro_el0);
	s->tpidr_el1 = read_sysreg(tpidr_el1);
	s->sp_el0 = read_sysreg(sp_el0);
	s->sp_el1 = read_sysreg(sp_el1);
	s->elr_el1 = read_sysreg(elr_el1);
	s->spsr_el1 = read_sysreg(spsr_el1);
	s->cntkctl = read_sysreg(cntkctl_el1);
	s->cntv_ctl = read_sysreg(cntv_ctl_el0);
	s->cntv_cval = read_sysreg(cntv_cval_el0);
	s->csselr = read_sysreg(csselr_el1);
	s->mdscr = read_sysreg(mdscr_el1);
}

static void sysregs_restore(const struct vcpu_sysregs *s)
{
	write_sysreg(sctlr_el1, s->sctlr);
	write_sysreg(cpacr_el1, s->cpacr);
	write_sysreg(ttbr0_el1, s->ttbr0);
	write_sysreg(ttbr1_el1, s->ttbr1);
	write_sysreg(tcr_el1, s->tcr);
	write_sysreg(mair_el1, s->mair);
	write_sysreg(amair_el1, s->amair);
	write_sysreg(vbar_el1, s->vbar);
	write_sysreg(esr_el1, s->esr);
	write_sysreg(far_el1, s->far);
	write_sysreg(afsr0_el1, s->afsr0);
	write_sysreg(afsr1_el1, s->afsr1);
	write_sysreg(contextidr_el1, s->contextidr);
	write_sysreg(par_el1, s->par);
	write_sysreg(tpidr_el0, s->tpidr_el0);
	write_sysreg(tpidrro_el0, s->tpidrro_el0);
	write_sysreg(tpidr_el1, s->tpidr_el1);
	write_sysreg(sp_el0, s->sp_el0);
	write_sysreg(sp_el1, s->sp_el1);
	write_sysreg(elr_el1, s->elr_el1);
	write_sysreg(spsr_el1, s->spsr_el1);
	write_sysreg(cntkctl_el1, s->cntkctl);
	write_sysreg(cntv_cval_el0, s->cntv_cval);
	write_sysreg(cntv_ctl_el0, s->cntv_ctl);
	write_sysreg(csselr_el1, s->csselr);
	write_sysreg(mdscr_el1, s->mdscr);
}

void arch_vcpu_load(struct vcpu *vcpu)
{
	struct vm *vm = vcpu_vm(vcpu);
	uint64_t hcr = HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_TSC | HCR_RW;
	/* A fresh start begins on the emulated path; see arch_vcpu_irq_direct(). */
	bool direct = vcpu->irq_direct && !vcpu->reset_pending;

	/*
	 * SMC traps (PSCI is ours to emulate). WFI does not: a vCPU that owns
	 * its pCPU sleeps in WFI natively, woken by its own interrupts. No
	 * forced broadcast of TLB maintenance (FB): vCPUs are pinned, so a
	 * guest's local invalidation covers every pCPU its VM ran on here.
	 */
	write_sysreg(hcr_el2, hcr);
	write_sysreg(vtcr_el2, arch_stage2_vtcr(&vm->board.s2));
	write_sysreg(vttbr_el2, pa_addr(vm->board.s2.root) | ((uint64_t)vm->board.vmid << 48));
	write_sysreg(vmpidr_el2, vcpu->vmpidr);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(cntvoff_el2, vm->board.cntvoff);
	sysregs_restore(&vcpu->sys);
	fpsimd_restore(&vcpu->fp);
	irqchip_vcpu_restore(&vcpu->sys);
	/* Its timer interrupt, if the guest had not finished with it, still is. */
	irqchip->set_active(PPI_VIRT_TIMER, vcpu->vtimer_active);
	isb();
	vcpu->irq_direct = false;
	if (direct)
		arch_vcpu_irq_direct(vcpu, true);
	vcpu->reset_pending = false;
	vcpu->loaded = true;
}

void arch_vcpu_irq_direct(struct vcpu *vcpu, bool on)
{
	uint64_t hcr = read_sysreg(hcr_el2);

	if (vcpu->irq_direct == on)
		return;
	if (on) {
		irqchip_direct_enter(&vcpu->sys);
		write_sysreg(hcr_el2, hcr & ~HCR_IMO);
	} else {
		write_sysreg(hcr_el2, hcr | HCR_IMO);
		irqchip_direct_leave(&vcpu->sys);
	}
	isb();
	vcpu->irq_direct = on;
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	/* Leaving in direct mode: hand the interface back, and come back to it. */
	bool direct = vcpu->irq_direct;

	arch_vcpu_irq_direct(vcpu, false);
	vcpu->irq_direct = direct;
	sysregs_save(&vcpu->sys);
	fpsimd_save(&vcpu->fp);
	irqchip_vcpu_save(&vcpu->sys);
	/*
	 * The timer is per pCPU: stop this guest's before the next one runs,
	 * and take its interrupt's active state along (a hardware-linked
	 * interrupt left active would block the next vCPU's timer).
	 */
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	vcpu->vtimer_active = irqchip->is_active(PPI_VIRT_TIMER);
	if (vcpu->vtimer_active)
		irqchip->set_active(PPI_VIRT_TIMER, false);
	vcpu->loaded = false;
}

void arch_vcpu_trap_wfi(struct vcpu *vcpu, bool trap)
{
	uint64_t hcr = read_sysreg(hcr_el2);

	(void)vcpu;
	if (!!(hcr & HCR_TWI) != trap)
		write_sysreg(hcr_el2, trap ? (hcr | HCR_TWI) : (hcr & ~HCR_TWI));
}

uint64_t arch_vcpu_timer_deadline(const struct vcpu *vcpu)
{
	/* ENABLE set, IMASK clear: it will interrupt at CVAL + CNTVOFF (physical). */
	uint64_t ctl = vcpu->loaded ? read_sysreg(cntv_ctl_el0) : vcpu->sys.cntv_ctl;
	uint64_t cval = vcpu->loaded ? read_sysreg(cntv_cval_el0) : vcpu->sys.cntv_cval;

	uint64_t at;

	if ((ctl & 3) != 1)
		return 0;
	at = cval + vcpu_vm(vcpu)->board.cntvoff;
	/* Past the end of the counter: as good as never. */
	if (at < cval)
		return UINT64_MAX;
	return at ? at : 1;
}

void arch_hyp_timer_set(uint64_t deadline)
{
	write_sysreg(cnthp_cval_el2, deadline);
	write_sysreg(cnthp_ctl_el2, 1); /* enabled, not masked */
	isb();
}

void arch_hyp_timer_cancel(void)
{
	write_sysreg(cnthp_ctl_el2, 0);
	isb();
}

void arch_vcpu_inject_abort(struct vcpu *vcpu, bool instruction, uint64_t far)
{
	uint64_t spsr = vcpu->regs.spsr;
	uint64_t mode = spsr & PSR_MODE_MASK;
	uint64_t vbar = read_sysreg(vbar_el1);
	uint64_t offset, ec;
	bool from_el1 = !(spsr & PSR_MODE_32) && (mode == PSR_MODE_EL1t || mode == PSR_MODE_EL1h);

	if (spsr & PSR_MODE_32)
		offset = 0x600;
	else if (mode == PSR_MODE_EL0t)
		offset = 0x400;
	else if (mode == PSR_MODE_EL1t)
		offset = 0x000;
	else
		offset = 0x200;

	ec = instruction ? (from_el1 ? EC_IABT_CUR : EC_IABT_LOW)
			 : (from_el1 ? EC_DABT_CUR : EC_DABT_LOW);
	/* IL set, fault status 0x10: synchronous external abort. */
	write_sysreg(esr_el1, (ec << 26) | ESR_IL | 0x10);
	write_sysreg(far_el1, far);
	write_sysreg(elr_el1, vcpu->regs.elr);
	write_sysreg(spsr_el1, spsr);
	vcpu->regs.elr = vbar + offset;
	vcpu->regs.spsr = PSR_DAIF | PSR_MODE_EL1h;
}
