// SPDX-License-Identifier: GPL-2.0
/*
 * The MVM's event ring (see hv/events.h). The ring lives in MVM memory, so
 * everything the MVM can write there (tail, and anything else) is read as
 * untrusted input; the hypervisor keeps its own copy of head, the size and
 * the drop count and never reads them back.
 */
#include <hv/events.h>
#include <hv/guest_mem.h>
#include <hv/log.h>
#include <hv/state.h>
#include <hv/vgic.h>
#include <shyper/abi.h>
#include <string.h>

#define EVENT_RING_MAX_BYTES (64 * KiB)

static struct spinlock events_lock;

int64_t events_setup(struct vm *mvm, ipaddr_t ipa, uint64_t size)
{
	struct event_channel *ch = &hv_state->events;
	struct shyper_event_ring *ring;
	uint32_t entries;

	if (ipa_addr(ipa) == 0) {
		spin_lock(&events_lock);
		memset(ch, 0, sizeof(*ch));
		spin_unlock(&events_lock);
		return SHYPER_OK;
	}
	if (!IS_ALIGNED(ipa_addr(ipa), PAGE_SIZE) || size < PAGE_SIZE ||
	    size > EVENT_RING_MAX_BYTES || !IS_ALIGNED(size, PAGE_SIZE))
		return SHYPER_E_INVALID;
	ring = guest_mem_ptr(mvm, ipa, size);
	if (!ring)
		return SHYPER_E_BAD_ADDRESS;

	/* The largest power of two that fits after the header. */
	entries = (uint32_t)((size - sizeof(*ring)) / sizeof(struct shyper_event));
	while (entries & (entries - 1))
		entries &= entries - 1;

	spin_lock(&events_lock);
	memset(ring, 0, sizeof(*ring));
	ring->entries = entries;
	ring->magic = SHYPER_EVENT_RING_MAGIC;
	ch->ring_ipa = ipa_addr(ipa);
	ch->ring_size = size;
	ch->entries = entries;
	ch->head = 0;
	ch->dropped = 0;
	ch->vm_id = mvm->id;
	spin_unlock(&events_lock);
	return SHYPER_OK;
}

bool events_post(uint32_t type, uint32_t vm_id, uint64_t d0, uint64_t d1)
{
	struct event_channel *ch = &hv_state->events;
	struct shyper_event_ring *ring;
	struct vm *mvm;
	bool posted = false;

	spin_lock(&events_lock);
	mvm = ch->ring_ipa ? vm_get(ch->vm_id) : NULL;
	ring = mvm ? guest_mem_ptr(mvm, ipa_init(ch->ring_ipa), ch->ring_size) : NULL;
	if (ring) {
		uint32_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);

		/* A tail ahead of head, or too far behind, reads as full: drop. */
		if (ch->head - tail >= ch->entries) {
			ch->dropped++;
			ring->dropped = ch->dropped;
		} else {
			struct shyper_event *e = &ring->ev[ch->head & (ch->entries - 1)];

			e->type = type;
			e->vm_id = vm_id;
			e->seq = ++ch->seq;
			e->data[0] = d0;
			e->data[1] = d1;
			ch->head++;
			__atomic_store_n(&ring->head, ch->head, __ATOMIC_RELEASE);
			posted = true;
		}
	}
	spin_unlock(&events_lock);

	if (posted && mvm->notify_intid) {
		struct vgic_irq *irq = &mvm->vgic.spi[mvm->notify_intid - VGIC_NR_PRIVATE];
		struct vcpu *target = vcpu_get(mvm, irq->target);

		if (target)
			vgic_inject(target, mvm->notify_intid, false);
	}
	return posted;
}
