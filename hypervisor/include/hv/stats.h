/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-pCPU counters (core/stats.c): exits, interrupts and IPIs handled, and
 * where the time went (at EL2, idle, the rest in guests). They live in the
 * state area, so a live update carries them on; SHYPER_HC_HV_STATS reads
 * them. An RT pCPU's counters show only what its RTVM caused.
 *
 * The hooks are called on the exit path of every trap, so they are a few
 * loads and stores of this pCPU's own record, and one counter read.
 */
#ifndef HV_STATS_H
#define HV_STATS_H

#include <hv/types.h>
#include <shyper/abi.h>

struct pcpu_stats {
	uint64_t exits;
	uint64_t irqs;
	uint64_t ipis;
	uint64_t el2_ticks;
	uint64_t idle_ticks;
	uint64_t online_counter;   /* counter when it came online; 0: never */
	uint64_t el2_since;        /* counter when it last entered EL2 or woke */
	uint64_t idle_since;       /* counter when it began to wait, 0: not waiting */
};

/* This pCPU came online. */
void stats_pcpu_online(unsigned pcpu);
struct vcpu;

/* A guest trapped (any exception from a lower EL): ends the running
 * vCPU's stretch in the guest. */
void stats_exit_begin(void);
/* Back to the guest of VCPU: its stretch in the guest begins. */
void stats_guest_return(struct vcpu *vcpu);
/* Nothing to run: waiting for an interrupt at EL2, and woken. */
void stats_idle_begin(void);
void stats_idle_end(void);
/* A physical interrupt taken at EL2 (IPI: one of the hypervisor's own). */
void stats_irq(bool ipi);

/* SHYPER_HC_HV_STATS: pCPU PCPU's record for the ABI. */
void stats_fill(unsigned pcpu, struct shyper_pcpu_stats *out);

/* VCPU's time in its guest up to NOW (counter ticks), the stretch it may
 * be in counted: read from any pCPU. */
uint64_t stats_vcpu_run_ticks(const struct vcpu *vcpu, uint64_t now);

/* SHYPER_HC_VM_STATS: VM's record for the ABI. */
struct vm;
void stats_vm_fill(const struct vm *vm, struct shyper_vm_stats *out);

/* Counter ticks (arch_counter()) as nanoseconds. */
uint64_t ticks_to_ns(uint64_t ticks);
uint64_t ns_to_ticks(uint64_t ns);

#endif
