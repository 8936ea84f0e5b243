/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.x), read from guest memory with every field
 * treated as hostile: descriptor indexes, chain lengths, buffer addresses
 * and sizes, flags. A queue that breaks a rule is marked broken and the
 * device asks the guest for a reset; nothing outside the guest's own RAM is
 * ever read or written on its behalf.
 */
#ifndef HV_VIRTQ_H
#define HV_VIRTQ_H

#include <hv/types.h>

struct vm; /* hv/vm.h holds virtqueues, so it cannot come first */

#define VIRTQ_MAX_SIZE 1024       /* queue sizes we offer (QueueNumMax) */
#define VIRTQ_MAX_SEGMENTS 256    /* buffers in one chain, indirect included */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

enum virtq_error {
	VIRTQ_OK = 0,
	VIRTQ_EMPTY = 1,          /* nothing available: not an error */
	VIRTQ_E_RING = -1,        /* rings not in guest RAM / bad size */
	VIRTQ_E_INDEX = -2,       /* a descriptor index >= queue size */
	VIRTQ_E_LOOP = -3,        /* chain longer than the table (a loop) */
	VIRTQ_E_BUFFER = -4,      /* a buffer outside guest RAM, or wrapping */
	VIRTQ_E_ORDER = -5,       /* device-readable after device-writable */
	VIRTQ_E_INDIRECT = -6,    /* bad indirect table (size, nesting, flags) */
	VIRTQ_E_TOO_MANY = -7,    /* more than VIRTQ_MAX_SEGMENTS buffers */
	VIRTQ_E_AVAIL = -8,       /* avail index ran more than a queue ahead */
};

struct virtq {
	uint16_t size;            /* a power of two, 1..VIRTQ_MAX_SIZE */
	bool ready;
	bool broken;
	uint64_t desc, avail, used; /* IPAs */
	uint16_t last_avail;      /* next avail entry we take */
	uint16_t used_idx;        /* our copy: the guest cannot move it */
};

/* One buffer of a chain: the hypervisor's pointer into guest RAM. */
struct virtq_seg {
	void *ptr;
	uint64_t ipa;             /* where the guest put it (dirty logging) */
	uint32_t len;
	bool device_writes;
};

struct virtq_chain {
	uint16_t head;
	unsigned count;
	unsigned readable;        /* the first `readable` segments are device-readable */
	struct virtq_seg seg[VIRTQ_MAX_SEGMENTS];
};

/* Check a queue the driver set up (size, ring placement and alignment). */
int virtq_validate(const struct vm *vm, const struct virtq *vq);
/* Take the next available chain; VIRTQ_EMPTY when there is none. An error
 * marks the queue broken. */
int virtq_pop(const struct vm *vm, struct virtq *vq, struct virtq_chain *chain);
/* The next available chain, left available (a second peek or pop sees it). */
int virtq_peek(const struct vm *vm, struct virtq *vq, struct virtq_chain *chain);
/* Walk the chain at `head` again (one the device has taken, still in flight). */
int virtq_chain_at(const struct vm *vm, struct virtq *vq, uint16_t head,
		   struct virtq_chain *chain);
/*
 * Give a chain back with `written` bytes produced. Its device-writable
 * buffers count as written by the hypervisor from here (dirty logging:
 * after the device wrote them, before the guest can see they are done).
 */
int virtq_push(const struct vm *vm, struct virtq *vq, const struct virtq_chain *chain,
	       uint32_t written);
/* After virtq_push: does the driver want an interrupt for it? (It may say
 * not, with VRING_AVAIL_F_NO_INTERRUPT, while it polls the used ring.) */
bool virtq_wants_interrupt(const struct vm *vm, const struct virtq *vq);
/* Tell the driver whether to notify when it adds buffers (clearing or
 * setting VRING_USED_F_NO_NOTIFY). Both flags are hints: a driver that
 * ignores them only costs itself time. */
void virtq_set_notify(const struct vm *vm, struct virtq *vq, bool wanted);

#endif
