/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam between the portable core and the architecture. Core code calls
 * only these (and the irqchip interface); arch/aarch64 implements them for
 * the chip, arch/fake for host unit tests.
 */
#ifndef HV_ARCH_H
#define HV_ARCH_H

#include <hv/types.h>

struct pgtable;
struct vcpu;
struct vcpu_regs;
struct vcpu_sysregs;

enum mem_type {
	MEM_NORMAL,  /* write-back cacheable RAM */
	MEM_DEVICE,  /* device nGnRE */
};

/* Index of the pCPU running this code (0 .. pcpu_count-1). */
unsigned arch_cpu_index(void);
/* Affinity fields of this CPU's MPIDR. */
uint64_t arch_mpidr(void);
/* Invalidate data caches for a range (MMU off, before first use). */
void arch_dcache_invalidate(uint64_t base, uint64_t size);
/* A hint inside a spin loop: let a sibling thread (or, emulated, another
 * CPU) run. Never sleeps. */
void arch_cpu_relax(void);
/* Wait for an interrupt with interrupts masked (wakes on pending). */
void arch_wait_for_interrupt(void);
void arch_cpu_halt(void) __attribute__((noreturn));

/* Free-running system counter and its frequency in Hz. */
uint64_t arch_counter(void);
uint64_t arch_counter_freq(void);

/* Translation tables: make table writes visible to the walker; drop TLB
 * entries for a range of a live table. */
void arch_pgtable_sync(void);
void arch_pgtable_flush_range(const struct pgtable *pt, uint64_t va, uint64_t size);
/* Leaf attributes for the hypervisor's own map and for a guest's stage-2. */
uint64_t arch_el2_attrs(enum mem_type type);
uint64_t arch_stage2_attrs(enum mem_type type);
/* Set up an empty stage-2 table for IPAs below ipa_limit (smallest walk that fits). */
int arch_stage2_init(struct pgtable *pt, uint64_t ipa_limit, uint16_t vmid);
uint64_t arch_stage2_vtcr(const struct pgtable *pt);
/* Forget every TLB entry of a VMID, on every pCPU. */
void arch_stage2_flush_vmid(uint16_t vmid);
/* Forget this pCPU's translations of one page of the stage-2 map PT, which
 * must be the one this pCPU runs (the faulting guest's). */
void arch_stage2_flush_ipa_local(const struct pgtable *pt, ipaddr_t ipa);

struct shyper_image_header;
/* The running image's own Shyper header (shyper/image.h), as the build sealed it. */
const struct shyper_image_header *arch_image_header(void);

/* Live update: make code written as data at [p, p+size) fetchable on every
 * pCPU; the root table of the EL2 map this image runs on. */
void arch_sync_icache(const void *p, uint64_t size);
uint64_t arch_el2_root(void);

/* This pCPU's EL2 translation and system registers, once at its start. */
void arch_cpu_init_el2(void);

/* Firmware (PSCI) services of the board. Return PSCI status codes. */
/* How to reach the firmware: HVC (true) or SMC, as the board's DT says. */
void arch_fw_set_conduit(bool hvc);
int64_t arch_fw_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context);
void arch_fw_system_off(void) __attribute__((noreturn));
void arch_fw_system_reset(void) __attribute__((noreturn));

/* vCPU register state: reset to an entry point, switch onto/off this pCPU. */
void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t arg0);
void arch_vcpu_load(struct vcpu *vcpu);
void arch_vcpu_put(struct vcpu *vcpu);
/*
 * Direct interrupt delivery for the loaded vCPU (an RTVM's, alone on its
 * pCPU): on, its physical group 1 interrupts reach its EL1 with no exit;
 * off, they come to EL2 and are injected through the list registers.
 */
void arch_vcpu_irq_direct(struct vcpu *vcpu, bool on);
/* Trap the vCPU's WFI (when its pCPU is shared) or let it sleep natively. */
void arch_vcpu_trap_wfi(struct vcpu *vcpu, bool trap);
/* The loaded vCPU's virtual timer: counter value it fires at, 0 if it will not. */
uint64_t arch_vcpu_timer_deadline(const struct vcpu *vcpu);

/* The hypervisor's own timer on this pCPU (an interrupt at a counter value). */
void arch_hyp_timer_set(uint64_t deadline);
void arch_hyp_timer_cancel(void);

/* Inject a synchronous external abort into the vCPU (data or instruction). */
void arch_vcpu_inject_abort(struct vcpu *vcpu, bool instruction, uint64_t far);

#endif
