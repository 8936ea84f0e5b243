/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host stand-in for arch/aarch64 (see fake.c): what the unit tests use
 * to watch the calls the core makes into the architecture and to steer the
 * answers. Nothing here exists in the real hypervisor image.
 */
#ifndef HV_ARCH_FAKE_H
#define HV_ARCH_FAKE_H

#include <setjmp.h>
#include <hv/galloc.h>
#include <hv/irqchip.h>
#include <hv/pcpu.h>

/* Everything written to the console, NUL-terminated (oldest text dropped
 * first if it ever fills). */
extern char fake_console[64 * 1024];
extern size_t fake_console_len;
void fake_console_clear(void);

/*
 * The noreturn calls (firmware power-off/reset, CPU halt after a panic)
 * record what happened and then longjmp to fake_noreturn_jmp; with no jump
 * buffer set they abort the test program, printing the console first.
 */
enum fake_noreturn {
	FAKE_RETURNED = 0,
	FAKE_SYSTEM_OFF,
	FAKE_SYSTEM_RESET,
	FAKE_CPU_HALT,
};
extern jmp_buf *fake_noreturn_jmp;
extern enum fake_noreturn fake_noreturn_event;

/* The pCPU the code under test believes it runs on. */
extern unsigned fake_cpu;

/* Firmware CPU_ON: the last request and what to answer. */
extern unsigned fake_fw_cpu_on_calls;
extern uint64_t fake_fw_cpu_on_mpidr, fake_fw_cpu_on_entry, fake_fw_cpu_on_context;
extern int64_t fake_fw_cpu_on_result;

/* IPIs sent, per target pCPU: count and the union of reasons. */
extern unsigned fake_ipi_count[MAX_PCPUS];
extern uint32_t fake_ipi_reasons[MAX_PCPUS];

/* sched_kick() calls and the vCPU last kicked. */
extern unsigned fake_kick_count;
extern struct vcpu *fake_last_kicked;

/* Live update: instruction-cache syncs; handover_call() calls, the entry
 * and the record it was given (it always gives control back). */
#include <hv/update.h>
extern unsigned fake_icache_syncs, fake_handover_calls;
extern uint64_t fake_handover_entry;
extern struct shyper_handover fake_handover_seen;

/* TLB flushes the page-table code asked for. */
extern unsigned fake_tlb_flushes;


/* A fake GIC: list registers and the per-INTID physical state it was told. */
#define FAKE_LR_COUNT 4
extern struct lr_value fake_lr[FAKE_LR_COUNT];
/* Which list registers report an EOI maintenance (the test sets it). */
extern uint64_t fake_lr_eoi;
extern bool fake_phys_enabled[VGIC_MAX_IRQS];
extern bool fake_phys_pending[VGIC_MAX_IRQS];
extern bool fake_phys_edge[VGIC_MAX_IRQS];
extern uint64_t fake_phys_route[VGIC_MAX_IRQS];
/* The physical redistributors (private interrupts), per pCPU, as bit masks
 * indexed by enum irq_bitreg's "set" registers; priorities; guest SGIs sent. */
extern uint32_t fake_priv_enabled[MAX_PCPUS], fake_priv_pending[MAX_PCPUS];
extern uint32_t fake_priv_active[MAX_PCPUS];
extern uint8_t fake_priv_priority[MAX_PCPUS][32];
extern uint8_t fake_spi_priority[VGIC_MAX_IRQS];
extern unsigned fake_guest_sgi_count;
extern uint32_t fake_guest_sgi_last;
extern uint64_t fake_guest_sgi_mpidr;
/* Direct mode of each pCPU, and the guest's active priorities there
 * (a test sets it non-zero to play a guest inside its handler). */
extern bool fake_direct[MAX_PCPUS];
/* Does the GIC give the hypervisor a group 0 (irqchip_direct_supported)? */
extern bool fake_group0;
extern uint64_t fake_direct_ap1r[MAX_PCPUS];
extern const struct irqchip_ops fake_irqchip;
/* Physical interrupts the next acks return (core/irq.c's irq_handle), in
 * order; priority drops done; idle waits (arch_wait_for_interrupt). */
#define FAKE_IRQ_QUEUE 8
void fake_irq_raise(uint32_t intid);
extern unsigned fake_eoi_count, fake_wfi_calls;

/* The counter arch_counter() reads (it advances 62 ticks per read). */
extern uint64_t fake_counter_now;

/* Scheduler-facing records: WFI trapping and the hypervisor timer per pCPU,
 * vCPU loads and puts. */
extern bool fake_wfi_trapped[MAX_PCPUS];
extern uint64_t fake_hyp_timer[MAX_PCPUS];
extern unsigned fake_vcpu_loads, fake_vcpu_puts;
/* Stage-2 TLB flushes of a whole VMID. */
extern unsigned fake_vmid_flushes;
/* Was the flushed VMID's VM marked suspended when its TLBs were flushed? */
extern bool fake_vmid_flush_saw_suspended;
extern unsigned fake_ipa_flushes;

/* Put every counter and record above back to its start value. */
void fake_reset(void);

/*
 * Back the hypervisor heap with `pages` host pages (aligned to 2 MiB) and
 * hand them to heap_init(): on the host the identity map is the host's own
 * address space, so the buffer's addresses serve as "physical" ones.
 */
struct galloc *fake_heap_create(uint32_t pages);
void fake_heap_destroy(void);

#endif
