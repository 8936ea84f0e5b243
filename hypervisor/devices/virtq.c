// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue walking (see hv/virtq.h). Every value that comes from
 * guest memory is read once into a local and checked before use; the
 * hypervisor's own copies of the queue position (last_avail, used_idx) are
 * never read back from the guest.
 */
#include <hv/dirty.h>
#include <hv/guest_mem.h>
#include <hv/virtq.h>
#include <string.h>

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static uint16_t rd16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void *ring(const struct vm *vm, uint64_t ipa, uint64_t len)
{
	return guest_mem_ptr(vm, ipa_init(ipa), len);
}

int virtq_validate(const struct vm *vm, const struct virtq *vq)
{
	uint64_t n = vq->size;

	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return VIRTQ_E_RING;
	/* Alignment the virtio spec requires: 16, 2 and 4 bytes. */
	if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3))
		return VIRTQ_E_RING;
	if (!ring(vm, vq->desc, 16 * n) || !ring(vm, vq->avail, 6 + 2 * n) ||
	    !ring(vm, vq->used, 6 + 8 * n))
		return VIRTQ_E_RING;
	return VIRTQ_OK;
}

static int fail(struct virtq *vq, int err)
{
	vq->broken = true;
	return err;
}

/* Append one guest buffer to the chain, checking where it lies. */
static int add_segment(const struct vm *vm, struct virtq_chain *c, const struct vring_desc *d)
{
	bool writes = d->flags & VIRTQ_DESC_F_WRITE;
	void *p;

	if (c->count == VIRTQ_MAX_SEGMENTS)
		return VIRTQ_E_TOO_MANY;
	if (!writes && c->count != c->readable)
		return VIRTQ_E_ORDER;
	p = d->len ? guest_mem_ptr(vm, ipa_init(d->addr), d->len) : NULL;
	if (d->len && !p)
		return VIRTQ_E_BUFFER;
	c->seg[c->count] = (struct virtq_seg){
		.ptr = p, .ipa = d->addr, .len = d->len, .device_writes = writes
	};
	c->count++;
	if (!writes)
		c->readable++;
	return VIRTQ_OK;
}

/* Mark descriptor i visited; false if it already was (the chain loops). */
static bool visit(uint64_t *seen, uint32_t i)
{
	if (seen[i / 64] & BIT(i % 64))
		return false;
	seen[i / 64] |= BIT(i % 64);
	return true;
}

static int walk_indirect(const struct vm *vm, struct virtq_chain *c, const struct vring_desc *d)
{
	uint64_t seen[VIRTQ_MAX_SIZE / 64] = { 0 };
	const struct vring_desc *table;
	uint32_t n;
	uint32_t i = 0;

	if (d->len == 0 || d->len % sizeof(struct vring_desc) ||
	    d->len / sizeof(struct vring_desc) > VIRTQ_MAX_SIZE || (d->flags & VIRTQ_DESC_F_NEXT))
		return VIRTQ_E_INDIRECT;
	n = d->len / sizeof(struct vring_desc);
	table = guest_mem_ptr(vm, ipa_init(d->addr), d->len);
	if (!table || (d->addr & 15))
		return VIRTQ_E_INDIRECT;
	for (;;) {
		struct vring_desc e;
		int rc;

		if (!visit(seen, i))
			return VIRTQ_E_LOOP;
		memcpy(&e, &table[i], sizeof(e));
		if (e.flags & VIRTQ_DESC_F_INDIRECT)
			return VIRTQ_E_INDIRECT; /* no nesting */
		rc = add_segment(vm, c, &e);
		if (rc)
			return rc;
		if (!(e.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		if (e.next >= n)
			return VIRTQ_E_INDEX;
		i = e.next;
	}
}

/* Walk the chain starting at descriptor head (head < size checked). */
static int walk_chain(const struct vm *vm, struct virtq *vq, uint16_t head,
		      struct virtq_chain *chain)
{
	uint64_t seen[VIRTQ_MAX_SIZE / 64] = { 0 };
	const struct vring_desc *table = ring(vm, vq->desc, 16ULL * vq->size);
	uint16_t i;

	memset(chain, 0, sizeof(*chain) - sizeof(chain->seg));
	chain->head = head;
	i = head;
	for (;;) {
		struct vring_desc d;
		int rc;

		if (!visit(seen, i))
			return fail(vq, VIRTQ_E_LOOP);
		memcpy(&d, &table[i], sizeof(d)); /* one read: the guest may change it */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* An indirect descriptor is the whole chain (virtio 1.x 2.7.5.3.1). */
			if (chain->count || (d.flags & VIRTQ_DESC_F_NEXT))
				return fail(vq, VIRTQ_E_INDIRECT);
			rc = walk_indirect(vm, chain, &d);
			if (rc)
				return fail(vq, rc);
			return VIRTQ_OK;
		}
		rc = add_segment(vm, chain, &d);
		if (rc)
			return fail(vq, rc);
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		if (d.next >= vq->size)
			return fail(vq, VIRTQ_E_INDEX);
		i = d.next;
	}
}

int virtq_peek(const struct vm *vm, struct virtq *vq, struct virtq_chain *chain)
{
	const uint8_t *avail;
	uint16_t avail_idx, head;

	if (vq->broken || !vq->ready)
		return VIRTQ_EMPTY;
	if (virtq_validate(vm, vq))
		return fail(vq, VIRTQ_E_RING);
	avail = ring(vm, vq->avail, 6 + 2ULL * vq->size);

	avail_idx = rd16(avail + 2);
	if (avail_idx == vq->last_avail)
		return VIRTQ_EMPTY;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return fail(vq, VIRTQ_E_AVAIL);
	head = rd16(avail + 4 + 2 * (vq->last_avail % vq->size));
	if (head >= vq->size)
		return fail(vq, VIRTQ_E_INDEX);
	return walk_chain(vm, vq, head, chain);
}

int virtq_pop(const struct vm *vm, struct virtq *vq, struct virtq_chain *chain)
{
	int rc = virtq_peek(vm, vq, chain);

	if (rc == VIRTQ_OK)
		vq->last_avail++;
	return rc;
}

int virtq_chain_at(const struct vm *vm, struct virtq *vq, uint16_t head,
		   struct virtq_chain *chain)
{
	if (vq->broken || !vq->ready)
		return VIRTQ_E_RING;
	if (virtq_validate(vm, vq))
		return fail(vq, VIRTQ_E_RING);
	if (head >= vq->size)
		return fail(vq, VIRTQ_E_INDEX);
	return walk_chain(vm, vq, head, chain);
}

int virtq_push(const struct vm *vm, struct virtq *vq, const struct virtq_chain *chain,
	       uint32_t written)
{
	uint8_t *used;
	uint32_t elem[2] = { chain->head, written };
	uint64_t slot;

	if (vq->broken)
		return VIRTQ_E_RING;
	used = ring(vm, vq->used, 6 + 8ULL * vq->size);
	if (!used || chain->head >= vq->size)
		return fail(vq, VIRTQ_E_RING);
	for (unsigned i = chain->readable; i < chain->count && i < VIRTQ_MAX_SEGMENTS; i++)
		dirty_mark(vm, ipa_init(chain->seg[i].ipa), chain->seg[i].len);
	slot = 4 + 8 * (vq->used_idx % vq->size);
	memcpy(used + slot, elem, sizeof(elem));
	vq->used_idx++;
	/* The entry is visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(used + 2), vq->used_idx, __ATOMIC_RELEASE);
	dirty_mark(vm, ipa_init(vq->used + 2), 2);
	dirty_mark(vm, ipa_init(vq->used + slot), sizeof(elem));
	return VIRTQ_OK;
}

#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

bool virtq_wants_interrupt(const struct vm *vm, const struct virtq *vq)
{
	const uint8_t *avail;

	if (vq->broken || !vq->ready)
		return true;
	avail = ring(vm, vq->avail, 6 + 2ULL * vq->size);
	if (!avail)
		return true;
	/* The used index went out before the flag is read: a driver that
	 * turns interrupts back on and then looks at the used ring sees the
	 * entry, or this sees the flag clear. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(rd16(avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

void virtq_set_notify(const struct vm *vm, struct virtq *vq, bool wanted)
{
	uint8_t *used;

	if (vq->broken || !vq->ready)
		return;
	used = ring(vm, vq->used, 6 + 8ULL * vq->size);
	if (!used)
		return;
	__atomic_store_n((uint16_t *)used, wanted ? 0 : VRING_USED_F_NO_NOTIFY, __ATOMIC_RELEASE);
	dirty_mark(vm, ipa_init(vq->used), 2);
	/* The flag is out before the caller looks at the avail ring again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
