// SPDX-License-Identifier: GPL-2.0
/*
 * The architecture layer for host unit tests (Hafnium's arch/fake idea):
 * everything in hv/arch.h plus the few run-time services the portable core
 * calls (pCPU records, IPIs, the scheduler kick, the irqchip), implemented
 * on plain host memory and recording what they were asked to do. See fake.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hv/arch.h>
#include <shyper/abi.h>
#include <shyper/image.h>
#include <hv/heap.h>
#include <hv/irq.h>
#include <hv/log.h>
#include <hv/pgtable.h>
#include <hv/sched.h>
#include <hv/state.h>
#include "fake.h"

struct pcpu pcpus[MAX_PCPUS];
const struct irqchip_ops *irqchip = &fake_irqchip;
uint32_t irqchip_nr_irqs = VGIC_MAX_IRQS - 4; /* INTIDs 1020..1023 are special */

char fake_console[64 * 1024];
size_t fake_console_len;
jmp_buf *fake_noreturn_jmp;
enum fake_noreturn fake_noreturn_event;
unsigned fake_cpu;
unsigned fake_kick_count;
struct vcpu *fake_last_kicked;
unsigned fake_fw_cpu_on_calls;
uint64_t fake_fw_cpu_on_mpidr, fake_fw_cpu_on_entry, fake_fw_cpu_on_context;
int64_t fake_fw_cpu_on_result;
unsigned fake_ipi_count[MAX_PCPUS];
uint32_t fake_ipi_reasons[MAX_PCPUS];
unsigned fake_tlb_flushes;
struct lr_value fake_lr[FAKE_LR_COUNT];
bool fake_phys_enabled[VGIC_MAX_IRQS];
bool fake_phys_pending[VGIC_MAX_IRQS];
bool fake_phys_edge[VGIC_MAX_IRQS];
uint64_t fake_phys_route[VGIC_MAX_IRQS];
uint32_t fake_priv_enabled[MAX_PCPUS], fake_priv_pending[MAX_PCPUS], fake_priv_active[MAX_PCPUS];
uint8_t fake_priv_priority[MAX_PCPUS][32];
uint8_t fake_spi_priority[VGIC_MAX_IRQS];
unsigned fake_guest_sgi_count;
uint32_t fake_guest_sgi_last;
uint64_t fake_guest_sgi_mpidr;
bool fake_direct[MAX_PCPUS];
uint64_t fake_direct_ap1r[MAX_PCPUS];

static uint32_t fake_irq_queue[FAKE_IRQ_QUEUE];
static unsigned fake_irq_queued;
unsigned fake_eoi_count;

unsigned fake_wfi_calls;
static struct galloc fake_heap;
static void *fake_heap_mem;

void fake_console_clear(void)
{
	fake_console_len = 0;
	fake_console[0] = '\0';
}

void fake_reset(void)
{
	fake_console_clear();
	fake_noreturn_jmp = NULL;
	fake_noreturn_event = FAKE_RETURNED;
	fake_cpu = 0;
	fake_fw_cpu_on_calls = 0;
	fake_fw_cpu_on_mpidr = fake_fw_cpu_on_entry = fake_fw_cpu_on_context = 0;
	fake_fw_cpu_on_result = 0;
	memset(fake_ipi_count, 0, sizeof(fake_ipi_count));
	memset(fake_ipi_reasons, 0, sizeof(fake_ipi_reasons));
	fake_kick_count = 0;
	fake_last_kicked = NULL;
	memset(fake_wfi_trapped, 0, sizeof(fake_wfi_trapped));
	memset(fake_hyp_timer, 0, sizeof(fake_hyp_timer));
	fake_vcpu_loads = fake_vcpu_puts = 0;
	fake_vmid_flushes = 0;
	fake_tlb_flushes = 0;
	fake_icache_syncs = 0;
	fake_handover_calls = 0;
	fake_handover_entry = 0;
	memset(&fake_handover_seen, 0, sizeof(fake_handover_seen));
	fake_irq_queued = 0;
	fake_eoi_count = 0;
	fake_wfi_calls = 0;
	memset(fake_lr, 0, sizeof(fake_lr));
	fake_lr_eoi = 0;
	memset(fake_phys_enabled, 0, sizeof(fake_phys_enabled));
	memset(fake_phys_pending, 0, sizeof(fake_phys_pending));
	memset(fake_phys_edge, 0, sizeof(fake_phys_edge));
	memset(fake_phys_route, 0, sizeof(fake_phys_route));
	memset(fake_priv_enabled, 0, sizeof(fake_priv_enabled));
	memset(fake_priv_pending, 0, sizeof(fake_priv_pending));
	memset(fake_priv_active, 0, sizeof(fake_priv_active));
	memset(fake_priv_priority, 0, sizeof(fake_priv_priority));
	memset(fake_spi_priority, 0, sizeof(fake_spi_priority));
	fake_guest_sgi_count = 0;
	fake_guest_sgi_last = 0;
	fake_guest_sgi_mpidr = 0;
	memset(fake_direct, 0, sizeof(fake_direct));
	fake_group0 = true;
	memset(fake_direct_ap1r, 0, sizeof(fake_direct_ap1r));
	memset(pcpus, 0, sizeof(pcpus));
	for (unsigned i = 0; i < MAX_PCPUS; i++) {
		pcpus[i].index = i;
		pcpus[i].mpidr = i;
		pcpus[i].online = true;
	}
}

struct galloc *fake_heap_create(uint32_t pages)
{
	fake_heap_destroy();
	if (posix_memalign(&fake_heap_mem, BLOCK_2M, (size_t)pages * PAGE_SIZE))
		return NULL;
	if (!galloc_init(&fake_heap, (uint64_t)(uintptr_t)fake_heap_mem,
			 (uint64_t)pages * PAGE_SIZE, PAGE_SIZE)) {
		fake_heap_destroy();
		return NULL;
	}
	heap_init(&fake_heap);
	return &fake_heap;
}

void fake_heap_destroy(void)
{
	free(fake_heap_mem);
	fake_heap_mem = NULL;
	heap_init(NULL);
}

/* --- noreturn calls ------------------------------------------------------ */

static void __attribute__((noreturn)) fake_noreturn(enum fake_noreturn what)
{
	fake_noreturn_event = what;
	if (fake_noreturn_jmp)
		longjmp(*fake_noreturn_jmp, (int)what);
	fprintf(stderr, "fake arch: unexpected noreturn call %d; console:\n%s\n", (int)what,
		fake_console);
	abort();
}

struct shyper_image_header fake_image_header = {
	.magic = SHYPER_IMAGE_MAGIC,
	.sha256 = { 0x5e, 0xa1, 0xed, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 },
};

const struct shyper_image_header *arch_image_header(void)
{
	return &fake_image_header;
}

void arch_cpu_halt(void)
{
	fake_noreturn(FAKE_CPU_HALT);
}

void arch_fw_system_off(void)
{
	fake_noreturn(FAKE_SYSTEM_OFF);
}

void arch_fw_system_reset(void)
{
	fake_noreturn(FAKE_SYSTEM_RESET);
}

/* --- CPU, counter, firmware ---------------------------------------------- */

unsigned arch_cpu_index(void)
{
	return fake_cpu;
}

uint64_t arch_mpidr(void)
{
	return pcpus[fake_cpu].mpidr;
}

struct pcpu *this_pcpu(void)
{
	return &pcpus[fake_cpu];
}

void arch_dcache_invalidate(uint64_t base, uint64_t size)
{
	(void)base;
	(void)size;
}

void arch_cpu_relax(void)
{
}

void arch_sync_icache(const void *p, uint64_t size)
{
	(void)p;
	(void)size;
	fake_icache_syncs++;
}

uint64_t arch_el2_root(void)
{
	return 0x4f000000;
}

/* Live update: the "new image" gives control back at once, with a reason. */
unsigned fake_icache_syncs, fake_handover_calls;
uint64_t fake_handover_entry;
struct shyper_handover fake_handover_seen;

int64_t handover_call(uint64_t entry, struct shyper_handover *h)
{
	fake_handover_calls++;
	fake_handover_entry = entry;
	fake_handover_seen = *h;
	snprintf(h->failure, sizeof(h->failure), "a fake image that never takes over");
	return SHYPER_E_ABORTED;
}

void handover_jump(uint64_t entry, uint64_t pcpu, struct shyper_handover *h)
{
	(void)entry;
	(void)pcpu;
	(void)h;
	abort();
}

void arch_wait_for_interrupt(void)
{
	fake_wfi_calls++;
}

/* A 62.5 MHz counter (QEMU virt's) that moves 1 us per read; tests may jump it. */
uint64_t fake_counter_now;

uint64_t arch_counter(void)
{
	return fake_counter_now += 62;
}

uint64_t arch_counter_freq(void)
{
	return 62500000;
}

int64_t arch_fw_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context)
{
	fake_fw_cpu_on_calls++;
	fake_fw_cpu_on_mpidr = mpidr;
	fake_fw_cpu_on_entry = pa_addr(entry);
	fake_fw_cpu_on_context = context;
	return fake_fw_cpu_on_result;
}



/* --- page tables ---------------------------------------------------------- */

void arch_pgtable_sync(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void arch_pgtable_flush_range(const struct pgtable *pt, uint64_t va, uint64_t size)
{
	(void)pt;
	(void)va;
	(void)size;
	fake_tlb_flushes++;
}

/* The real encodings (arch/aarch64/mmu.c), so both types differ in the
 * memory-type bits and both carry the access flag. */
uint64_t arch_el2_attrs(enum mem_type type)
{
	if (type == MEM_DEVICE)
		return (0ULL << 2) | (1ULL << 6) | PTE_AF | BIT(54);
	return (1ULL << 2) | (1ULL << 6) | (3ULL << 8) | PTE_AF;
}

uint64_t arch_stage2_attrs(enum mem_type type)
{
	if (type == MEM_DEVICE)
		return (0x1ULL << 2) | (3ULL << 6) | PTE_AF | BIT(54);
	return (0xfULL << 2) | (3ULL << 6) | (3ULL << 8) | PTE_AF;
}

/* --- vCPUs ----------------------------------------------------------------- */

/* As arch/aarch64/cpu.c: fresh registers, entry in ELR, argument in x0,
 * EL1h with DAIF masked (0x3c5). */
void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t arg0)
{
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	memset(&vcpu->sys, 0, sizeof(vcpu->sys));
	vcpu->regs.x[0] = arg0;
	vcpu->regs.elr = entry;
	vcpu->regs.spsr = 0x3c5;
	vcpu->sys.sctlr = 0x30d00800;
	vcpu->reset_pending = true;
}

void arch_vcpu_load(struct vcpu *vcpu)
{
	bool direct = vcpu->irq_direct && !vcpu->reset_pending;

	vcpu->irq_direct = false;
	if (direct)
		arch_vcpu_irq_direct(vcpu, true);
	fake_vcpu_loads++;
	vcpu->reset_pending = false;
	vcpu->loaded = true;
	this_pcpu()->current = vcpu;
}

void arch_vcpu_irq_direct(struct vcpu *vcpu, bool on)
{
	if (vcpu->irq_direct == on)
		return;
	if (on)
		irqchip_direct_enter(&vcpu->sys);
	else
		irqchip_direct_leave(&vcpu->sys);
	vcpu->irq_direct = on;
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	bool direct = vcpu->irq_direct;

	arch_vcpu_irq_direct(vcpu, false);
	vcpu->irq_direct = direct;
	fake_vcpu_puts++;
	vcpu->loaded = false;
	if (this_pcpu()->current == vcpu)
		this_pcpu()->current = NULL;
}

unsigned fake_vmid_flushes;

int arch_stage2_init(struct pgtable *pt, uint64_t ipa_limit, uint16_t vmid)
{
	int rc;

	if (ipa_limit > (1ULL << 40))
		return PGT_EINVAL;
	rc = pgtable_init(pt, 40, 1, 1024);
	pt->stage2 = true;
	pt->vmid = vmid;
	return rc;
}

uint64_t arch_stage2_vtcr(const struct pgtable *pt)
{
	return pt->va_bits;
}

unsigned fake_ipa_flushes;

void arch_stage2_flush_ipa_local(const struct pgtable *pt, ipaddr_t ipa)
{
	(void)pt;
	(void)ipa;
	fake_ipa_flushes++;
}

bool fake_vmid_flush_saw_suspended;

void arch_stage2_flush_vmid(uint16_t vmid)
{
	fake_vmid_flushes++;
	fake_vmid_flush_saw_suspended = false;
	for (unsigned i = 0; i < MAX_VMS; i++)
		if (hv_state->vms[i].state != VM_STATE_FREE && hv_state->vms[i].board.vmid == vmid)
			fake_vmid_flush_saw_suspended = hv_state->vms[i].board.s2_suspended;
}

bool fake_wfi_trapped[MAX_PCPUS];
uint64_t fake_hyp_timer[MAX_PCPUS];
unsigned fake_vcpu_loads, fake_vcpu_puts;

void arch_vcpu_trap_wfi(struct vcpu *vcpu, bool trap)
{
	(void)vcpu;
	fake_wfi_trapped[fake_cpu] = trap;
}

/* As the hardware would report it: CNTV_CTL ENABLE set, IMASK clear. */
uint64_t arch_vcpu_timer_deadline(const struct vcpu *vcpu)
{
	uint64_t at;

	if ((vcpu->sys.cntv_ctl & 3) != 1)
		return 0;
	at = vcpu->sys.cntv_cval + vcpu_vm(vcpu)->board.cntvoff;
	if (at < vcpu->sys.cntv_cval)
		return UINT64_MAX;
	return at ? at : 1;
}

void arch_hyp_timer_set(uint64_t deadline)
{
	fake_hyp_timer[fake_cpu] = deadline;
}

void arch_hyp_timer_cancel(void)
{
	fake_hyp_timer[fake_cpu] = 0;
}

bool irqchip_saved_lrs_pending(const struct vcpu_sysregs *s)
{
	for (unsigned i = 0; i < FAKE_LR_COUNT; i++)
		if ((s->ich_lr[i] >> ICH_LR_STATE_SHIFT) & LR_STATE_PENDING)
			return true;
	return false;
}

void arch_vcpu_inject_abort(struct vcpu *vcpu, bool instruction, uint64_t far)
{
	vcpu->sys.far = far;
	vcpu->sys.esr = instruction ? 0x86000010 : 0x96000010; /* SEA, lower EL */
}

/* --- console ---------------------------------------------------------------- */

void console_write(const char *s, size_t len)
{
	size_t room = sizeof(fake_console) - 1;

	if (len > room) {
		s += len - room;
		len = room;
	}
	if (fake_console_len + len > room) {
		size_t drop = fake_console_len + len - room;

		memmove(fake_console, fake_console + drop, fake_console_len - drop);
		fake_console_len -= drop;
	}
	memcpy(fake_console + fake_console_len, s, len);
	fake_console_len += len;
	fake_console[fake_console_len] = '\0';
}

/* --- interrupts --------------------------------------------------------------- */

/* The hypervisor's IPI (core/irq.c's pcpu_send_ipi): pCPU i has MPIDR i. */
static void fake_send_sgi(uint32_t sgi, uint64_t mpidr)
{
	if (sgi != SGI_HV_IPI || mpidr >= MAX_PCPUS) {
		fprintf(stderr, "fake arch: SGI %u to MPIDR %#llx\n", sgi, (unsigned long long)mpidr);
		abort();
	}
	fake_ipi_count[mpidr]++;
	fake_ipi_reasons[mpidr] |= pcpus[mpidr].ipi_reasons;
}

static unsigned fake_lr_count(void)
{
	return FAKE_LR_COUNT;
}

static uint64_t fake_lr_empty_mask(void)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < FAKE_LR_COUNT; i++)
		if (!fake_lr[i].state)
			m |= BIT(i);
	return m;
}

static void fake_lr_read(unsigned i, struct lr_value *v)
{
	*v = fake_lr[i];
}

static void fake_lr_write(unsigned i, const struct lr_value *v)
{
	fake_lr[i] = *v;
}

static void fake_set_enabled(uint32_t intid, bool on)
{
	fake_phys_enabled[intid] = on;
}

static void fake_set_edge(uint32_t intid, bool edge)
{
	fake_phys_edge[intid] = edge;
}

static void fake_set_pending(uint32_t intid, bool pending)
{
	fake_phys_pending[intid] = pending;
}

static bool fake_is_pending(uint32_t intid)
{
	return fake_phys_pending[intid];
}

static bool fake_is_active(uint32_t intid)
{
	(void)intid;
	return false;
}

static void fake_set_active(uint32_t intid, bool active)
{
	(void)intid;
	(void)active;
}

static void fake_route_spi(uint32_t intid, uint64_t mpidr)
{
	fake_phys_route[intid] = mpidr;
}

static void fake_deactivate(uint32_t intid)
{
	(void)intid;
}

static void fake_set_underflow_irq(bool on)
{
	(void)on;
}

uint64_t fake_lr_eoi;

static uint64_t fake_lr_eoi_mask(void)
{
	return fake_lr_eoi;
}

static uint32_t *fake_priv_reg(unsigned pcpu, enum irq_bitreg reg)
{
	switch (reg) {
	case IRQ_ISENABLER:
	case IRQ_ICENABLER:
		return &fake_priv_enabled[pcpu];
	case IRQ_ISPENDR:
	case IRQ_ICPENDR:
		return &fake_priv_pending[pcpu];
	default:
		return &fake_priv_active[pcpu];
	}
}

static uint32_t fake_priv_read(unsigned pcpu, enum irq_bitreg reg)
{
	return pcpu < MAX_PCPUS ? *fake_priv_reg(pcpu, reg) : 0;
}

/* As the real back end: the hypervisor's own interrupts are never changed. */
static void fake_priv_write(unsigned pcpu, enum irq_bitreg reg, uint32_t mask)
{
	uint32_t *r;

	if (pcpu >= MAX_PCPUS)
		return;
	mask &= ~IRQ_HV_OWN_MASK;
	r = fake_priv_reg(pcpu, reg);
	if (reg == IRQ_ISENABLER || reg == IRQ_ISPENDR || reg == IRQ_ISACTIVER)
		*r |= mask;
	else
		*r &= ~mask;
}

static void fake_set_priority(unsigned pcpu, uint32_t intid, uint8_t priority)
{
	if (intid < 32) {
		if (pcpu < MAX_PCPUS && !(IRQ_HV_OWN_MASK & BIT(intid)))
			fake_priv_priority[pcpu][intid] = priority;
	} else if (intid < VGIC_MAX_IRQS) {
		fake_spi_priority[intid] = priority;
	}
}


void fake_irq_raise(uint32_t intid)
{
	if (fake_irq_queued == FAKE_IRQ_QUEUE) {
		fprintf(stderr, "fake arch: more than %d interrupts raised\n", FAKE_IRQ_QUEUE);
		abort();
	}
	fake_irq_queue[fake_irq_queued++] = intid;
}

static uint32_t fake_ack(void)
{
	uint32_t intid;

	if (!fake_irq_queued)
		return INTID_SPURIOUS;
	intid = fake_irq_queue[0];
	memmove(fake_irq_queue, fake_irq_queue + 1, --fake_irq_queued * sizeof(fake_irq_queue[0]));
	return intid;
}

static void fake_eoi(uint32_t intid)
{
	(void)intid;
	fake_eoi_count++;
}

static void fake_send_guest_sgi(uint32_t sgi, uint64_t mpidr)
{
	fake_guest_sgi_count++;
	fake_guest_sgi_last = sgi;
	fake_guest_sgi_mpidr = mpidr;
}

void irqchip_direct_enter(const struct vcpu_sysregs *s)
{
	fake_direct[fake_cpu] = true;
	fake_direct_ap1r[fake_cpu] = s->icc_ap1r0;
}

void irqchip_direct_leave(struct vcpu_sysregs *s)
{
	s->icc_ap1r0 = fake_direct_ap1r[fake_cpu];
	fake_direct_ap1r[fake_cpu] = 0;
	fake_direct[fake_cpu] = false;
}

bool fake_group0 = true;

bool irqchip_direct_supported(void)
{
	return fake_group0;
}

bool irqchip_direct_idle(void)
{
	return fake_direct_ap1r[fake_cpu] == 0;
}

bool irqchip_virtual_idle(void)
{
	return fake_lr_empty_mask() == BIT(FAKE_LR_COUNT) - 1;
}

const struct irqchip_ops fake_irqchip = {
	.name = "fake",
	.ack = fake_ack,
	.eoi = fake_eoi,
	.deactivate = fake_deactivate,
	.set_enabled = fake_set_enabled,
	.set_edge = fake_set_edge,
	.set_pending = fake_set_pending,
	.is_pending = fake_is_pending,
	.is_active = fake_is_active,
	.set_active = fake_set_active,
	.route_spi = fake_route_spi,
	.send_sgi = fake_send_sgi,
	.send_guest_sgi = fake_send_guest_sgi,
	.priv_read = fake_priv_read,
	.priv_write = fake_priv_write,
	.set_priority = fake_set_priority,
	.lr_count = fake_lr_count,
	.lr_empty_mask = fake_lr_empty_mask,
	.lr_read = fake_lr_read,
	.lr_write = fake_lr_write,
	.set_underflow_irq = fake_set_underflow_irq,
	.lr_eoi_mask = fake_lr_eoi_mask,
};
