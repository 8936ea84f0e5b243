// SPDX-License-Identifier: GPL-2.0
/*
 * Live update, the new image's side (hv/update.h, docs/live-update.md).
 *
 * The running image called update_entry (head.S) on one pCPU with every
 * other pCPU stopped and its vCPU put. Here we take the state area as it
 * is, build what belongs to an image rather than to the state (our EL2
 * map, the pCPU records, the GIC driver's view, the console), and only
 * then commit: switch to our map, release the stopped pCPUs into
 * update_secondary_entry, and resume every vCPU. Until the commit nothing
 * the old image relies on has changed, so any failure gives control back
 * to it (handover_return) with a reason, having freed what we took.
 */
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/guest_mem.h>
#include <hv/heap.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/pcpu.h>
#include <hv/pgtable.h>
#include <hv/sched.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/state_convert.h>
#include <hv/update.h>
#include <hv/version.h>
#include <shyper/abi.h>
#include <string.h>

#define RESUME_TIMEOUT_MS 100

extern char _head[];
extern struct pgtable hv_pgtable;
void update_secondary_entry(void);
void mmu_enable(void);
/* core/main.c: what every image builds for itself, at boot or here. */
int hv_map_board(struct pgtable *pt, const struct board_info *b);
void pcpus_init(const struct board_info *b);

static struct shyper_handover ho;  /* our copy of the running image's record */
static uint32_t arrived;           /* pCPUs that left the old image for us */
static uint64_t resumed_at[MAX_PCPUS];

static void __attribute__((noreturn, format(printf, 2, 3)))
give_back(struct shyper_handover *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->failure, sizeof(h->failure), fmt, ap);
	va_end(ap);
	handover_return(h, SHYPER_E_ABORTED);
}

/* The update this image was built to fail (UPDATE_TEST=fail-takeover): the
 * rollback test. Every check before it passed and the map is built. */
static bool built_to_fail(void)
{
#ifdef SHYPER_UPDATE_TEST_FAIL
	return true;
#else
	return false;
#endif
}

/* The log line, hv info's figures, and the caller's report (as the old
 * image left it in the caller's memory, completed with the timings). */
static void report_finish(uint64_t t_release, bool converted)
{
	struct vm *vm = vm_get((uint16_t)ho.caller_vm);
	struct shyper_update_report rep;
	uint64_t pause = 0, last = t_release;
	bool have_report;

	for (unsigned i = 0; i < MAX_PCPUS; i++) {
		if (!resumed_at[i] || !ho.stopped_at[i])
			continue;
		if (resumed_at[i] - ho.stopped_at[i] > pause)
			pause = resumed_at[i] - ho.stopped_at[i];
		if (resumed_at[i] > last)
			last = resumed_at[i];
	}
	hv_state->update.last_pause_ns = ticks_to_ns(pause);
	have_report = vm && ho.report_size >= sizeof(rep) &&
		      guest_mem_read(vm, ipa_init(ho.report_ipa), &rep, sizeof(rep));
	if (have_report)
		rep.old_version[sizeof(rep.old_version) - 1] = '\0';
	pr_info("live update %u: %s -> %s, pause %lu us (rendezvous %lu us, takeover %lu us)",
		hv_state->update.count, have_report ? rep.old_version : "?", SHYPER_VERSION,
		(unsigned long)(ticks_to_ns(pause) / 1000),
		(unsigned long)(ticks_to_ns(ho.t_stopped - ho.t_request) / 1000),
		(unsigned long)(ticks_to_ns(t_release - ho.t_stopped) / 1000));
	if (!have_report)
		return;
	rep.update_count = hv_state->update.count;
	rep.converted = converted;
	rep.rendezvous_ns = ticks_to_ns(ho.t_stopped - ho.t_request);
	rep.takeover_ns = ticks_to_ns(t_release - ho.t_stopped);
	rep.resume_ns = ticks_to_ns(last - t_release);
	rep.pause_ns = ticks_to_ns(pause);
	guest_mem_write(vm, ipa_init(ho.report_ipa), &rep, sizeof(rep));
}

void update_takeover(struct shyper_handover *h)
{
	const struct board_info *b;
	enum state_adopt_result r;
	struct update_history *u;
	struct pgtable old_map;
	uint64_t t_release, deadline, room;
	struct hv_state *area;
	uint32_t old_version;
	bool converted = false;
	unsigned self;

	if (h->magic != HANDOVER_MAGIC || h->version != HANDOVER_VERSION || h->size < sizeof(*h))
		give_back(h, "hand-over record of an unknown kind (version %u)", h->version);
	memcpy(&ho, h, sizeof(ho));
	self = ho.pcpu;
	if (self >= MAX_PCPUS || ho.pcpu_mask & BIT(self) || ho.pcpu_mask >> MAX_PCPUS)
		give_back(h, "hand-over record names pCPUs this image does not have");
	if (ho.image_pa != pa_addr(hv_pa(_head)))
		give_back(h, "not running where the hand-over record says");

	/* An older layout: a fresh area of ours in the spare room, the old one
	 * only read (the old image gets it back as it was if we give up). */
	area = hv_ptr(pa_init(ho.state_pa));
	room = ho.state_room;
	old_version = area->magic == HV_STATE_MAGIC ? area->version : 0;
	if (old_version && old_version < HV_STATE_VERSION) {
		enum state_convert_result c;

		if (!ho.spare_state_pa || ho.spare_state_room < sizeof(struct hv_state))
			give_back(h, "no room set aside to convert state layout %u", old_version);
		c = state_convert(hv_ptr(pa_init(ho.spare_state_pa)), ho.spare_state_room, area, room);
		if (c != CONVERT_OK)
			give_back(h, "state layout %u not converted: %s", old_version,
				  state_convert_result_name(c));
		area = hv_ptr(pa_init(ho.spare_state_pa));
		room = ho.spare_state_room;
		converted = true;
	}
	r = state_adopt(area, room);
	if (r != STATE_ADOPTED)
		give_back(h, "state area refused: %s", state_adopt_result_name(r));
	b = &hv_state->board;
	u = &hv_state->update;
	if (pa_addr(u->slot[u->running_slot ^ 1]) != ho.image_pa)
		give_back(h, "not in the free image slot the state area names");
	if (pa_addr(u->state_area[u->running_state ^ converted]) != pa_addr(hv_pa(hv_state)))
		give_back(h, "the state area is not where the state area says");
	heap_init(&hv_state->heap);

	pcpus_init(b);
	if (hv_map_board(&hv_pgtable, b)) {
		pgtable_destroy(&hv_pgtable);
		give_back(h, "no memory for the EL2 map");
	}
	if (irqchip_adopt(b, ho.pcpu_mask | (uint32_t)BIT(self))) {
		pgtable_destroy(&hv_pgtable);
		give_back(h, "the interrupt controller is not as the state area says");
	}
	if (built_to_fail()) {
		pgtable_destroy(&hv_pgtable);
		give_back(h, "built to fail here (UPDATE_TEST=fail-takeover)");
	}

	/* Commit: from here on this image runs the board. */
	mmu_enable();
	arch_fw_set_conduit(b->psci_conduit == CONDUIT_HVC);
	if (b->uart_base) {
		console_init(b->uart_base);
		log_console_attach();
	}
	arch_cpu_init_el2();
	irqchip_cpu_adopt(self);
	u->running_slot ^= 1;
	u->running_state ^= converted;
	u->count++;
	pcpus[self].online = true;
	t_release = arch_counter();
	__atomic_store_n(&h->secondary_entry, pa_addr(hv_pa((void *)update_secondary_entry)),
			 __ATOMIC_RELEASE);

	/* The old map goes once nobody walks it: every pCPU is on ours. */
	deadline = t_release + arch_counter_freq() * RESUME_TIMEOUT_MS / 1000;
	while ((__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) & ho.pcpu_mask) != ho.pcpu_mask &&
	       arch_counter() < deadline)
		arch_cpu_relax();
	resumed_at[self] = arch_counter();
	if ((__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) & ho.pcpu_mask) == ho.pcpu_mask) {
		old_map = (struct pgtable){ .root = pa_init(ho.el2_root), .start_level = 0,
					    .va_bits = 48, .root_entries = 512 };
		pgtable_destroy(&old_map);
	} else {
		pr_err("live update: pCPUs 0x%x did not follow; the old EL2 map is kept",
		       ho.pcpu_mask & ~arrived);
	}
	if (converted)
		pr_info("live update: state area converted from layout %u to %u", old_version,
			HV_STATE_VERSION);
	report_finish(t_release, converted);
	sched_start();
}

void update_secondary(unsigned index)
{
	arch_cpu_init_el2();
	irqchip_cpu_adopt(index);
	pcpus[index].online = true;
	resumed_at[index] = arch_counter();
	__atomic_fetch_or(&arrived, (uint32_t)BIT(index), __ATOMIC_RELEASE);
	sched_start();
}
