// SPDX-License-Identifier: GPL-2.0
/*
 * Mediated virtio devices (block, net, entropy): the hypervisor keeps the device
 * front and the guest's rings; the backend in the MVM takes requests with
 * SHYPER_HC_VIO_FETCH and answers with SHYPER_HC_VIO_COMPLETE (ABI 1.4,
 * docs/abi.md). The backend never sees a guest address: every byte is
 * copied here, between chains walked by the strict walker and a buffer
 * wholly inside the MVM's RAM.
 *
 * A token names an in-flight request: generation << 32 | slot << 24 |
 * queue << 16 | epoch << 8 | index into the queue's in-flight table. A
 * device reset (and so every VM start) bumps the generation, a queue the
 * driver stops bumps its epoch: either kills the old tokens, so a late
 * answer never lands in a request made since.
 */
#include <hv/events.h>
#include <hv/guest_mem.h>
#include <hv/virtio.h>
#include <hv/vm.h>
#include <shyper/abi.h>
#include <string.h>

#define TOKEN_INDEX_MASK 0xffULL
_Static_assert(VIO_INFLIGHT_MAX <= 256, "a token's index has 8 bits");

bool virtio_dev_mediated(const struct virtio_dev *dev)
{
	return dev->device_id == VIRTIO_ID_BLOCK || dev->device_id == VIRTIO_ID_NET ||
	       dev->device_id == VIRTIO_ID_RNG;
}

void vio_queue_stopped(struct virtio_dev *dev, unsigned q)
{
	if (q >= VIO_QUEUES)
		return;
	dev->vio.q[q].epoch++;
	memset(dev->vio.q[q].busy, 0, sizeof(dev->vio.q[q].busy));
	dev->vio.pending &= ~(1U << q);
}

void vio_reset(struct virtio_dev *dev)
{
	dev->vio.generation++;
	dev->vio.pending = 0;
	memset(dev->vio.q, 0, sizeof(dev->vio.q));
}

static unsigned slot_of(const struct vm *vm, const struct virtio_dev *dev)
{
	return (unsigned)(dev - vm->virtio);
}

void vio_notify(struct vm *vm, struct virtio_dev *dev, unsigned q)
{
	const struct virtio_device_ops *ops = virtio_dev_ops(dev);
	uint32_t want = 0;

	for (unsigned i = 0; i < ops->queue_count; i++)
		if ((q == i || q == VIRTIO_MAX_QUEUES) && dev->vq[i].ready)
			want |= 1U << i;
	want &= ~dev->vio.pending;
	/* One event until FETCH finds the queue empty; if the MVM has no event
	 * ring yet, nothing is pending and the next notify tries again. Until
	 * then the backend will come anyway: the driver need not notify. */
	if (want && events_post(SHYPER_EVENT_VIO, vm->id, slot_of(vm, dev),
				dev->vio.pending | want)) {
		dev->vio.pending |= want;
		for (unsigned i = 0; i < ops->queue_count; i++)
			if (want & (1U << i))
				virtq_set_notify(vm, &dev->vq[i], false);
	}
}

static uint64_t chain_bytes(const struct virtq_chain *c, bool writable)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < c->count; i++)
		if (c->seg[i].device_writes == writable)
			n += c->seg[i].len;
	return n;
}

static int free_index(const struct vio_queue *q)
{
	for (unsigned i = 0; i < VIO_INFLIGHT_MAX; i++)
		if (!(q->busy[i / 64] & BIT(i % 64)))
			return (int)i;
	return -1;
}

/* Answer a request without the backend: the status byte in the last
 * writable byte (block), nothing (net). The chain was peeked, not popped. */
static bool complete_here(struct vm *vm, struct virtio_dev *dev, struct virtq *vq,
			  const struct virtq_chain *c, uint8_t status)
{
	uint32_t written = 0;

	if (dev->device_id == VIRTIO_ID_BLOCK) {
		for (unsigned i = c->count; i-- > 0;) {
			if (c->seg[i].device_writes && c->seg[i].len) {
				((uint8_t *)c->seg[i].ptr)[c->seg[i].len - 1] = status;
				written = 1;
				break;
			}
		}
	}
	vq->last_avail++;
	if (virtq_push(vm, vq, c, written) != VIRTQ_OK) {
		virtio_dev_needs_reset(vm, dev);
		return false;
	}
	virtio_count(vm, dev, c, written);
	if (virtq_wants_interrupt(vm, vq))
		virtio_dev_used(vm, dev);
	return true;
}

/* Copy a chain's readable bytes to the MVM (the range is checked). */
static void copy_readable(struct vm *caller, uint64_t ipa, const struct virtq_chain *c)
{
	uint64_t off = 0;

	for (unsigned i = 0; i < c->readable; i++) {
		if (!c->seg[i].len)
			continue;
		guest_mem_write(caller, ipa_init(ipa + off), c->seg[i].ptr, c->seg[i].len);
		off += c->seg[i].len;
	}
}

static int64_t fetch_locked(struct vm *vm, struct virtio_dev *dev, struct vm *caller,
			    unsigned slot, unsigned q, uint64_t ipa, uint64_t len,
			    struct vcpu_regs *r)
{
	const struct virtio_device_ops *ops = virtio_dev_ops(dev);
	uint8_t blk_header[VIRTIO_BLK_HDR_SIZE];
	struct virtq_chain chain;
	struct vio_queue *vioq;
	struct virtq *vq;

	/* q comes from the MVM (0..255): no pointer is formed before it is checked. */
	if (!ops || q >= ops->queue_count || q >= VIO_QUEUES)
		return SHYPER_E_INVALID;
	vq = &dev->vq[q];
	vioq = &dev->vio.q[q];
	if (!virtio_dev_live(dev) || !vq->ready)
		return SHYPER_E_BUSY;
	/*
	 * A paused guest's requests wait until it runs again: nothing is taken
	 * from its rings behind its back (a migration saves them as they are,
	 * after the requests in flight were answered). Its queues stay marked
	 * pending; resuming it tells the backend to look again.
	 */
	if (vm->state != VM_STATE_RUNNING)
		return SHYPER_E_BUSY;
	/* Requests the hypervisor answers itself are bounded by the queue. */
	for (unsigned n = 0; n <= vq->size; n++) {
		uint64_t readable, room;
		int idx = free_index(vioq);
		int rc;

		if (idx < 0)
			return SHYPER_E_TOO_MANY;
		rc = virtq_peek(vm, vq, &chain);
		if (rc == VIRTQ_EMPTY) {
			/* Drained: ask for notifies again, then look once more, for
			 * what the driver added without one just before. */
			virtq_set_notify(vm, vq, true);
			rc = virtq_peek(vm, vq, &chain);
			if (rc == VIRTQ_EMPTY) {
				dev->vio.pending &= ~(1U << q);
				return SHYPER_E_BUSY;
			}
			if (rc == VIRTQ_OK)
				virtq_set_notify(vm, vq, false);
		}
		if (rc != VIRTQ_OK) {
			/* A broken chain: the guest must reset the device. */
			virtio_dev_needs_reset(vm, dev);
			return SHYPER_E_BUSY;
		}
		readable = chain_bytes(&chain, false);
		room = chain_bytes(&chain, true);
		if (dev->device_id == VIRTIO_ID_BLOCK) {
			uint8_t status =
				virtio_blk_check(dev, &chain, readable, room, blk_header);

			if (status != VIRTIO_BLK_S_OK) {
				if (!complete_here(vm, dev, vq, &chain, status))
					return SHYPER_E_BUSY;
				continue;
			}
		} else if (readable > VIO_IO_MAX) {
			/* A frame no backend buffer can hold: dropped. */
			if (!complete_here(vm, dev, vq, &chain, 0))
				return SHYPER_E_BUSY;
			continue;
		}
		if (readable > len) {
			r->x[2] = readable; /* the chain stays available */
			return SHYPER_E_NO_MEMORY;
		}
		copy_readable(caller, ipa, &chain);
		/* The guest may have changed the header since it was checked:
		 * the backend gets the header the hypervisor checked. */
		if (dev->device_id == VIRTIO_ID_BLOCK)
			guest_mem_write(caller, ipa_init(ipa), blk_header, sizeof(blk_header));
		vq->last_avail++;
		vioq->busy[idx / 64] |= BIT(idx % 64);
		vioq->head[idx] = chain.head;
		r->x[1] = (uint64_t)dev->vio.generation << 32 | (uint64_t)slot << 24 |
			  (uint64_t)q << 16 | (uint64_t)vioq->epoch << 8 | (uint64_t)idx;
		r->x[2] = readable;
		r->x[3] = MIN(room, (uint64_t)VIO_IO_MAX);
		return SHYPER_OK;
	}
	return SHYPER_E_BUSY;
}

int64_t vio_fetch(struct vm *vm, struct vm *caller, uint64_t slot_queue, uint64_t ipa,
		  uint64_t len, struct vcpu_regs *r)
{
	unsigned slot = slot_queue & 0xff, q = (slot_queue >> 8) & 0xff;
	struct virtio_dev *dev;
	int64_t rc;

	if ((slot_queue >> 16) || slot >= VIRTIO_SLOTS || len > VIO_IO_MAX)
		return SHYPER_E_INVALID;
	if (len && !guest_mem_ptr(caller, ipa_init(ipa), len))
		return SHYPER_E_BAD_ADDRESS;
	dev = &vm->virtio[slot];
	if (!virtio_dev_mediated(dev))
		return SHYPER_E_INVALID;
	spin_lock(&dev->lock);
	rc = fetch_locked(vm, dev, caller, slot, q, ipa, len, r);
	spin_unlock(&dev->lock);
	return rc;
}

/* Copy the answer into the chain's writable buffers, in order. An empty
 * buffer has no pointer (NULL): it is skipped, not handed to memcpy. */
static uint32_t copy_answer(const struct virtq_chain *c, const uint8_t *src, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned i = 0; i < c->count && done < len; i++) {
		uint64_t k;

		if (!c->seg[i].device_writes || !c->seg[i].len)
			continue;
		k = MIN(len - done, (uint64_t)c->seg[i].len);
		memcpy(c->seg[i].ptr, src + done, k);
		done += k;
	}
	return (uint32_t)done;
}

static int64_t complete_locked(struct vm *vm, struct virtio_dev *dev, uint64_t token,
			       const uint8_t *src, uint64_t len, struct vcpu_regs *r)
{
	const struct virtio_device_ops *ops = virtio_dev_ops(dev);
	unsigned q = (token >> 16) & 0xff, idx = token & TOKEN_INDEX_MASK;
	struct virtq_chain chain;
	struct vio_queue *vioq;
	struct virtq *vq;
	uint32_t done;

	if (!ops || q >= ops->queue_count || q >= VIO_QUEUES || idx >= VIO_INFLIGHT_MAX ||
	    (uint32_t)(token >> 32) != dev->vio.generation)
		return SHYPER_E_INVALID;
	vioq = &dev->vio.q[q];
	if (((token >> 8) & 0xff) != vioq->epoch)
		return SHYPER_E_INVALID; /* the queue was stopped since */
	if (!(vioq->busy[idx / 64] & BIT(idx % 64)))
		return SHYPER_E_INVALID;
	vq = &dev->vq[q];
	/* Whatever happens now, the request is no longer in flight. */
	vioq->busy[idx / 64] &= ~BIT(idx % 64);
	if (!virtio_dev_live(dev) || !vq->ready)
		return SHYPER_E_BUSY;
	/* The guest owns its descriptors again only once the chain is used,
	 * but it may have scribbled on them: walk them again, strictly. */
	if (virtq_chain_at(vm, vq, vioq->head[idx], &chain) != VIRTQ_OK) {
		virtio_dev_needs_reset(vm, dev);
		return SHYPER_E_BUSY;
	}
	done = copy_answer(&chain, src, len);
	if (virtq_push(vm, vq, &chain, done) != VIRTQ_OK) {
		virtio_dev_needs_reset(vm, dev);
		return SHYPER_E_BUSY;
	}
	virtio_count(vm, dev, &chain, done);
	if (virtq_wants_interrupt(vm, vq))
		virtio_dev_used(vm, dev);
	r->x[1] = done;
	return SHYPER_OK;
}

int64_t vio_complete(struct vm *vm, struct vm *caller, uint64_t token, uint64_t ipa,
		     uint64_t len, struct vcpu_regs *r)
{
	unsigned slot = (token >> 24) & 0xff;
	const uint8_t *src = NULL;
	struct virtio_dev *dev;
	int64_t rc;

	if (len > VIO_IO_MAX)
		return SHYPER_E_INVALID;
	if (len) {
		src = guest_mem_ptr(caller, ipa_init(ipa), len);
		if (!src)
			return SHYPER_E_BAD_ADDRESS;
	}
	if (slot >= VIRTIO_SLOTS)
		return SHYPER_E_INVALID;
	dev = &vm->virtio[slot];
	if (!virtio_dev_mediated(dev))
		return SHYPER_E_INVALID;
	spin_lock(&dev->lock);
	rc = complete_locked(vm, dev, token, src, len, r);
	spin_unlock(&dev->lock);
	return rc;
}
