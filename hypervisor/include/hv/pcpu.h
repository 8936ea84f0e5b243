/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-physical-CPU records. Run-time only (rebuilt at every boot and after a
 * live update), so they may hold pointers.
 */
#ifndef HV_PCPU_H
#define HV_PCPU_H

#include <hv/vm.h>

/* Reasons one pCPU interrupts another (bits of pcpu.ipi_reasons). */
#define IPI_KICK BIT(0)     /* look at your vCPUs: new interrupt, state change */
#define IPI_HALT BIT(1)     /* the hypervisor is panicking: stop */
#define IPI_FLUSH BIT(2)    /* an interrupt is queued for a vCPU that runs there:
			     * the exit alone delivers it, no rescheduling */

struct pcpu {
	struct vcpu_regs *current_regs; /* offset 0: used by exception.S */
	uint64_t stack_top;             /* offset 8: used by exception.S */
	uint32_t index;
	volatile bool online;
	uint64_t mpidr;
	struct vcpu *current;           /* vCPU whose state is loaded, or NULL */
	uint32_t ipi_reasons;
	bool need_resched;              /* sched_resume must choose again */
	uint64_t irq_count;
} __attribute__((aligned(256))); /* one record per 256 bytes: head.S indexes them so */

extern struct pcpu pcpus[MAX_PCPUS];

static inline struct pcpu *pcpu_get(unsigned index)
{
	return &pcpus[index];
}

struct pcpu *this_pcpu(void);

/* Ask pCPU index to act on reasons (IPI_*). */
void pcpu_send_ipi(unsigned index, uint32_t reasons);

#endif
