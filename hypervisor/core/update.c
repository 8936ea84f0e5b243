// SPDX-License-Identifier: GPL-2.0
/*
 * Live update, the running image's side (hv/update.h, docs/live-update.md):
 * staging a new image into the free slot, checking it, stopping every pCPU
 * at a safe point, calling the new image and, if it gives control back,
 * letting every pCPU go on as if nothing had happened. The new image's
 * side is core/takeover.c.
 *
 * A pCPU stops only where it holds no lock and its vCPU is put (all its
 * state in the state area): at the top of sched_resume()'s slow path, which
 * every exit and every idle wake-up reaches, and which the kick that asks
 * for the stop forces. A pCPU that does not get there in time (an RTVM
 * whose guest holds off even the hypervisor's interrupts, a long call at
 * EL2) makes the update fail with nothing changed.
 */
#include <hv/arch.h>
#include <hv/guest_mem.h>
#include <hv/heap.h>
#include <hv/image.h>
#include <hv/log.h>
#include <hv/pcpu.h>
#include <hv/sched.h>
#include <hv/spinlock.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/update.h>
#include <hv/version.h>
#include <shyper/abi.h>
#include <string.h>

#define RENDEZVOUS_TIMEOUT_MS 100

_Static_assert(__builtin_offsetof(struct shyper_handover, pcpu) == HANDOVER_PCPU, "head.S");
_Static_assert(__builtin_offsetof(struct shyper_handover, ctx) == HANDOVER_CTX, "head.S");
_Static_assert(HANDOVER_MAX_PCPUS == MAX_PCPUS, "one stop time per pCPU");
_Static_assert((int)IMAGE_DIGEST_MISMATCH == SHYPER_UPDATE_DIGEST_MISMATCH &&
	       (int)IMAGE_EMPTY == SHYPER_UPDATE_EMPTY && (int)IMAGE_TOO_LARGE == SHYPER_UPDATE_TOO_LARGE,
	       "image check results are the ABI's update reasons");

enum update_phase {
	PHASE_IDLE = 0,
	PHASE_GATHER,   /* pCPUs: stop at your next safe point */
	PHASE_CALL_OFF, /* those stopped: go on */
};

static struct spinlock update_lock; /* staging and the call: one at a time */
static uint64_t staged, stage_total;
static uint32_t phase;
static uint32_t stopped;            /* pCPUs waiting at their safe point */
/* Read and written by the new image, by address (identity map). */
static struct shyper_handover handover;

static unsigned popcount32(uint32_t m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

/* The slot the running image does not occupy: the next image goes there. */
static uint8_t *free_slot(void)
{
	const struct update_history *u = &hv_state->update;
	paddr_t slot = u->slot[u->running_slot ^ 1];

	return pa_addr(slot) ? hv_ptr(slot) : NULL;
}

int update_init_slots(paddr_t running_image, paddr_t running_state)
{
	struct update_history *u = &hv_state->update;
	void *other = heap_alloc_pages(HV_IMAGE_SLOT_SIZE / PAGE_SIZE, 1);
	void *spare = other ? heap_alloc_pages(HV_STATE_ROOM / PAGE_SIZE, 1) : NULL;

	if (other && !spare) {
		heap_free_pages(other, HV_IMAGE_SLOT_SIZE / PAGE_SIZE);
		other = NULL;
	}
	u->slot[0] = running_image;
	u->slot[1] = other ? hv_pa(other) : pa_init(0);
	u->running_slot = 0;
	u->state_area[0] = running_state;
	u->state_area[1] = spare ? hv_pa(spare) : pa_init(0);
	u->running_state = 0;
	return other ? 0 : -1;
}

int64_t update_stage(struct vcpu *caller, uint64_t offset, uint64_t ipa, uint64_t len,
		     uint64_t total, uint64_t *reason)
{
	uint8_t *slot = free_slot();
	int64_t rc = SHYPER_OK;

	*reason = SHYPER_UPDATE_OK;
	if (!spin_trylock(&update_lock))
		return SHYPER_E_BUSY;
	if (!slot) {
		*reason = SHYPER_UPDATE_NO_ROOM;
		rc = SHYPER_E_INVALID;
	} else if (total > HV_IMAGE_SLOT_SIZE) {
		*reason = SHYPER_UPDATE_TOO_LARGE;
		rc = SHYPER_E_INVALID;
	} else if (len > SHYPER_UPDATE_PIECE_MAX || len > total || offset > total - len ||
		   (offset && (offset != staged || total != stage_total))) {
		rc = SHYPER_E_INVALID; /* out of order, or not this image's */
	} else if (len && !guest_mem_ptr(vcpu_vm(caller), ipa_init(ipa), len)) {
		rc = SHYPER_E_BAD_ADDRESS;
	} else {
		if (!offset) {
			staged = 0;
			stage_total = total;
		}
		guest_mem_read(vcpu_vm(caller), ipa_init(ipa), slot + offset, len);
		staged = offset + len;
	}
	spin_unlock(&update_lock);
	return rc;
}

static void copy_version(char *dst, size_t size, const char *src, size_t src_size)
{
	size_t n = strnlen(src, MIN(size - 1, src_size));

	memcpy(dst, src, n);
	memset(dst + n, 0, size - n);
}

static void report_start(struct shyper_update_report *rep, uint64_t flags)
{
	const struct shyper_image_header *self = arch_image_header();

	memset(rep, 0, sizeof(*rep));
	rep->size = sizeof(*rep);
	rep->flags = (uint32_t)flags;
	rep->update_count = hv_state->update.count;
	copy_version(rep->old_version, sizeof(rep->old_version), SHYPER_VERSION,
		     sizeof(SHYPER_VERSION));
	if (self->magic == SHYPER_IMAGE_MAGIC)
		memcpy(rep->old_build_id, self->sha256, sizeof(rep->old_build_id));
	rep->old_state_version = HV_STATE_VERSION;
	rep->image_size = stage_total;
}

bool update_requested(void)
{
	return __atomic_load_n(&phase, __ATOMIC_ACQUIRE) == PHASE_GATHER;
}

void update_wait_here(struct pcpu *self)
{
	struct shyper_handover *h = &handover;

	if (!update_requested())
		return;
	h->stopped_at[self->index] = arch_counter();
	__atomic_fetch_add(&stopped, 1, __ATOMIC_ACQ_REL);
	for (;;) {
		uint64_t entry = __atomic_load_n(&h->secondary_entry, __ATOMIC_ACQUIRE);

		if (entry)
			handover_jump(entry, self->index, h);
		if (!update_requested())
			break;
		arch_cpu_relax();
	}
	__atomic_fetch_sub(&stopped, 1, __ATOMIC_ACQ_REL);
	self->need_resched = true;
}

/* Let the stopped pCPUs go on with this image, and wait until they have. */
static void call_off(void)
{
	__atomic_store_n(&phase, PHASE_CALL_OFF, __ATOMIC_RELEASE);
	while (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	__atomic_store_n(&phase, PHASE_IDLE, __ATOMIC_RELEASE);
}

/*
 * Stop every other pCPU, put our own vCPU and call the new image. Returns
 * only if the update did not happen (rendezvous timeout, or the new image
 * gave control back): then every pCPU goes on in this image.
 */
static int64_t hand_over(struct vcpu *vcpu, const struct shyper_image_header *hdr,
			 struct shyper_update_report *rep, uint64_t report_ipa)
{
	struct pcpu *self = this_pcpu();
	struct shyper_handover *h = &handover;
	uint32_t others = hv_state->pcpu_online_mask & ~(uint32_t)BIT(self->index);
	unsigned want = popcount32(others);
	uint8_t *slot = free_slot();
	uint64_t deadline, back;
	int64_t code;

	if (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE))
		return SHYPER_E_BUSY; /* the last attempt's pCPUs are still leaving */
	memset(h, 0, sizeof(*h));
	h->magic = HANDOVER_MAGIC;
	h->version = HANDOVER_VERSION;
	h->size = sizeof(*h);
	h->state_pa = pa_addr(hv_pa(hv_state));
	h->state_room = HV_STATE_ROOM;
	h->spare_state_pa = pa_addr(hv_state->update.state_area[hv_state->update.running_state ^ 1]);
	h->spare_state_room = h->spare_state_pa ? HV_STATE_ROOM : 0;
	h->image_pa = pa_addr(hv_pa(slot));
	h->image_room = HV_IMAGE_SLOT_SIZE;
	h->old_image_pa = pa_addr(hv_state->update.slot[hv_state->update.running_slot]);
	h->el2_root = arch_el2_root();
	h->pcpu = self->index;
	h->pcpu_mask = others;
	h->caller_vm = vcpu->vm_id;
	h->caller_vcpu = vcpu->index;
	h->report_ipa = report_ipa;
	h->report_size = sizeof(*rep);
	h->check_ns = rep->check_ns;

	/* The report as it stands; the new image completes it. */
	if (!guest_mem_write(vcpu_vm(vcpu), ipa_init(report_ipa), rep, sizeof(*rep)))
		return SHYPER_E_BAD_ADDRESS;
	arch_sync_icache(slot, HV_IMAGE_SLOT_SIZE);
	/* What the hypercall returns if the new image takes over. */
	vcpu->regs.x[0] = SHYPER_OK;

	h->t_request = arch_counter();
	__atomic_store_n(&phase, PHASE_GATHER, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < MAX_PCPUS; i++)
		if (others & BIT(i))
			pcpu_send_ipi(i, IPI_KICK);
	sched_park();
	h->stopped_at[self->index] = arch_counter();
	deadline = h->t_request + arch_counter_freq() * RENDEZVOUS_TIMEOUT_MS / 1000;
	while (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) < want && arch_counter() < deadline)
		arch_cpu_relax();
	if (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) < want) {
		call_off();
		for (unsigned i = 0; i < MAX_PCPUS; i++) {
			if ((others & BIT(i)) && !h->stopped_at[i]) {
				rep->pcpu = i;
				break;
			}
		}
		rep->reason = SHYPER_UPDATE_RENDEZVOUS;
		rep->rendezvous_ns = ticks_to_ns(arch_counter() - h->t_request);
		pr_warn("live update to %s called off: pCPU %u did not stop within %u ms",
			hdr->version, rep->pcpu, RENDEZVOUS_TIMEOUT_MS);
		return SHYPER_E_BUSY;
	}
	h->t_stopped = arch_counter();

	code = handover_call(pa_addr(hv_pa(slot)) + hdr->handover_entry, h);

	/* The new image gave control back; it changed nothing we rely on. */
	back = arch_counter();
	call_off();
	staged = 0; /* it ran from the slot: stage it again to retry */
	rep->reason = SHYPER_UPDATE_ROLLED_BACK;
	copy_version(rep->detail, sizeof(rep->detail), h->failure, sizeof(h->failure));
	if (!rep->detail[0])
		copy_version(rep->detail, sizeof(rep->detail), "no reason given", 16);
	rep->rendezvous_ns = ticks_to_ns(h->t_stopped - h->t_request);
	rep->takeover_ns = ticks_to_ns(back - h->t_stopped);
	rep->pause_ns = ticks_to_ns(arch_counter() - h->t_request);
	hv_state->update.failed++;
	pr_warn("live update to %s rolled back: %s", hdr->version, rep->detail);
	return code < 0 ? code : SHYPER_E_ABORTED;
}

int64_t update_call(struct vcpu *caller, uint64_t flags, uint64_t report_ipa, uint64_t report_size)
{
	struct vm *vm = vcpu_vm(caller);
	struct shyper_update_report rep;
	struct shyper_image_header hdr;
	enum image_check_result r;
	uint8_t *slot = free_slot();
	int64_t rc = SHYPER_OK;
	uint64_t t;

	if (flags & ~(uint64_t)SHYPER_UPDATE_CHECK_ONLY || report_size < SHYPER_UPDATE_REPORT_SIZE_V1)
		return SHYPER_E_INVALID;
	if (!guest_mem_ptr(vm, ipa_init(report_ipa), sizeof(rep)))
		return SHYPER_E_BAD_ADDRESS;
	if (!spin_trylock(&update_lock))
		return SHYPER_E_BUSY;

	report_start(&rep, flags);
	if (!slot) {
		rep.reason = SHYPER_UPDATE_NO_ROOM;
	} else if (staged != stage_total) {
		rep.reason = SHYPER_UPDATE_NOT_STAGED;
	} else {
		t = arch_counter();
		r = image_check(slot, stage_total, HV_IMAGE_SLOT_SIZE,
				SHYPER_ABI_MAJOR << 16 | SHYPER_ABI_MINOR, HV_STATE_VERSION, &hdr);
		rep.check_ns = ticks_to_ns(arch_counter() - t);
		rep.reason = (uint32_t)r;
	}
	if (rep.reason == SHYPER_UPDATE_OK) {
		copy_version(rep.new_version, sizeof(rep.new_version), hdr.version, sizeof(hdr.version));
		memcpy(rep.new_build_id, hdr.sha256, sizeof(rep.new_build_id));
		rep.new_state_version = hdr.state_version;
		if (!(flags & SHYPER_UPDATE_CHECK_ONLY))
			rc = hand_over(caller, &hdr, &rep, report_ipa);
	} else {
		rc = SHYPER_E_INVALID;
	}
	guest_mem_write(vm, ipa_init(report_ipa), &rep, sizeof(rep));
	spin_unlock(&update_lock);
	return rc;
}
