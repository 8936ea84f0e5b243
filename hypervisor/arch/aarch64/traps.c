// SPDX-License-Identifier: GPL-2.0
/*
 * Exceptions taken to EL2: traps and interrupts from guests, and the
 * hypervisor's own (fatal) faults.
 */
#include <hv/arch.h>
#include <hv/dirty.h>
#include <hv/irq.h>
#include <hv/log.h>
#include <hv/mmio.h>
#include <hv/panic.h>
#include <hv/pcpu.h>
#include <hv/sched.h>
#include <hv/smccc.h>
#include <hv/stats.h>
#include <hv/trap.h>
#include "sysreg.h"

void trap_unhandled(struct vcpu *vcpu, const char *what, uint64_t esr, uint64_t far)
{
	struct vm *vm = vcpu_vm(vcpu);
	char why[160];

	pr_err("vm %u (%s) vcpu %u: %s: ESR 0x%lx (EC 0x%lx) FAR 0x%lx ELR 0x%lx", vm->id,
	       vm->name, vcpu->index, what, esr, ESR_EC(esr), far, vcpu->regs.elr);
	snprintf(why, sizeof(why), "unhandled %s on vcpu %u", what, vcpu->index);
	vm_crash(vm, why);
}

#define ABORT_REPORT_FIRST 20
#define ABORT_REPORT_EVERY 10000

static uint64_t reg_read(struct vcpu *vcpu, unsigned r)
{
	return r == 31 ? 0 : vcpu->regs.x[r];
}

static void reg_write(struct vcpu *vcpu, unsigned r, uint64_t v)
{
	if (r != 31)
		vcpu->regs.x[r] = v;
}

static void handle_sysreg(struct vcpu *vcpu, uint64_t esr)
{
	uint64_t iss = ESR_ISS(esr);
	unsigned op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7;
	unsigned crn = (iss >> 10) & 0xf, rt = (iss >> 5) & 0x1f, crm = (iss >> 1) & 0xf;
	bool read = iss & 1;

	vcpu->exits[EXIT_SYSREG]++;
	/* ICC_SGI1R_EL1, ICC_ASGI1R_EL1, ICC_SGI0R_EL1: write-only SGI generation */
	if (op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 >= 5 && !read) {
		vgicv3_sgi(vcpu, reg_read(vcpu, rt));
		vcpu->regs.elr += 4;
		return;
	}
	trap_unhandled(vcpu, "system register access", esr, 0);
}

static void handle_abort(struct vcpu *vcpu, uint64_t esr, bool instruction)
{
	uint64_t iss = ESR_ISS(esr);
	uint64_t far = read_sysreg(far_el2);
	uint64_t ipa = ((read_sysreg(hpfar_el2) >> 4) << 12) | (far & 0xfff);
	struct vm *vm = vcpu_vm(vcpu);

	vcpu->exits[instruction ? EXIT_IABT : EXIT_DABT]++;
	/* It is leaving (paused, stopped, its map suspended): not the guest's
	 * fault; the access runs again if it ever resumes. */
	if (vm_fault_retried(vm))
		return;
	/* A write to a page that dirty logging keeps read-only: logged, retried. */
	if (!instruction && (iss & (DABT_WNR | DABT_S1PTW)) &&
	    ABT_FSC_PERMISSION(ABT_FSC(iss)) && dirty_log_fault(vm, ipa_init(ipa)))
		return;
	/* Its RAM's entry remade under it as logging started (a block split
	 * into pages, break before make): there again, retried. A fetch, a
	 * data access or its stage-1 walk alike. */
	if (ABT_FSC_TRANSLATION(ABT_FSC(iss)) && dirty_log_remapped(vm, ipa_init(ipa)))
		return;
	if (!instruction && !(iss & DABT_S1PTW)) {
		unsigned size = 1U << DABT_SAS(iss);
		bool write = iss & DABT_WNR;
		uint64_t val = 0;
		bool emulated;

		if (!(iss & DABT_ISV)) {
			/* Cannot decode the access: only a problem if the address is ours to emulate. */
			if (mmio_claims(vm, ipa)) {
				trap_unhandled(vcpu, "undecodable MMIO access", esr, far);
				return;
			}
		} else {
			unsigned rt = DABT_SRT(iss);

			if (write) {
				val = reg_read(vcpu, rt);
				if (size < 8)
					val &= BIT(8 * size) - 1;
			}
			emulated = mmio_emulate(vcpu, ipa, size, write, &val);
			if (emulated) {
				if (!write) {
					if ((iss & DABT_SSE) && size < 8 && (val & BIT(8 * size - 1)))
						val |= ~(BIT(8 * size) - 1);
					if (!(iss & DABT_SF))
						val = (uint32_t)val;
					reg_write(vcpu, rt, val);
				}
				vcpu->regs.elr += 4;
				return;
			}
		}
	}
	/*
	 * Nothing is mapped or emulated there: the guest sees a synchronous
	 * external abort, as it would for a bus error on a real board. A guest
	 * stuck in a fault loop must not flood the log: report the first few,
	 * then one in ABORT_REPORT_EVERY.
	 */
	if (vm->aborts_injected++ < ABORT_REPORT_FIRST ||
	    vm->aborts_injected % ABORT_REPORT_EVERY == 0)
		pr_warn("vm %u (%s) vcpu %u: %s at IPA 0x%lx outside its memory (ELR 0x%lx): "
			"abort injected", vm->id, vm->name, vcpu->index,
			instruction ? "instruction fetch" : ((iss & DABT_WNR) ? "write" : "read"),
			ipa, vcpu->regs.elr);
	arch_vcpu_inject_abort(vcpu, instruction, far);
}

struct vcpu_regs *exception_lower_sync(struct vcpu_regs *regs)
{
	struct vcpu *vcpu = this_pcpu()->current;
	uint64_t esr = read_sysreg(esr_el2);

	stats_exit_begin();
	switch (ESR_EC(esr)) {
	case EC_HVC64:
		vcpu->exits[EXIT_HVC]++;
		smccc_handle(vcpu);
		break;
	case EC_SMC64:
		vcpu->exits[EXIT_SMC]++;
		regs->elr += 4; /* a trapped SMC returns to itself */
		smccc_handle(vcpu);
		break;
	case EC_SYSREG:
		handle_sysreg(vcpu, esr);
		break;
	case EC_DABT_LOW:
		handle_abort(vcpu, esr, false);
		break;
	case EC_IABT_LOW:
		handle_abort(vcpu, esr, true);
		break;
	case EC_WFX:
		vcpu->exits[EXIT_WFX]++;
		regs->elr += 4;
		if (!(ESR_ISS(esr) & 1)) /* WFI; a WFE just yields the trap */
			sched_wfi(vcpu);
		break;
	default:
		vcpu->exits[EXIT_OTHER]++;
		trap_unhandled(vcpu, "exception", esr, read_sysreg(far_el2));
		break;
	}
	return sched_resume();
}

struct vcpu_regs *exception_lower_irq(struct vcpu_regs *regs)
{
	(void)regs;
	stats_exit_begin();
	this_pcpu()->current->exits[EXIT_IRQ]++;
	irq_handle();
	return sched_resume();
}

struct vcpu_regs *exception_lower_serror(struct vcpu_regs *regs)
{
	(void)regs;
	stats_exit_begin();
	trap_unhandled(this_pcpu()->current, "SError", read_sysreg(esr_el2), 0);
	return sched_resume();
}

struct vcpu_regs *exception_lower_aarch32(struct vcpu_regs *regs)
{
	(void)regs;
	stats_exit_begin();
	trap_unhandled(this_pcpu()->current, "AArch32 exception (AArch32 guests are not supported)",
		       read_sysreg(esr_el2), 0);
	return sched_resume();
}

static const char *const fault_kind[] = { "synchronous exception", "IRQ", "FIQ", "SError" };

void hyp_fault_report(uint64_t *frame, unsigned kind)
{
	char line[128];

	pr_err("hypervisor fault: %s on pCPU %u", fault_kind[kind & 3], arch_cpu_index());
	pr_err("ESR_EL2 0x%lx FAR_EL2 0x%lx ELR_EL2 0x%lx SPSR 0x%lx SP 0x%lx",
	       read_sysreg(esr_el2), read_sysreg(far_el2), frame[31], frame[32], frame[33]);
	for (unsigned i = 0; i < 31; i += 3) {
		int n = 0;

		for (unsigned j = i; j < i + 3 && j < 31; j++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "x%-2u 0x%016lx  ", j, frame[j]);
		pr_err("%s", line);
	}
	panic("fatal exception in the hypervisor");
}
