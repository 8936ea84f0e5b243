// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a guest's virtio-mmio register file (devices/
 * virtio_mmio.c) and what it drives - the console's queues, the mediated
 * block and net devices' FETCH and COMPLETE from the MVM's backend - on
 * the machine of the virtio unit tests (tests/unit/virtio_fixture.c): a
 * console in slot 0, a disk in slot 1, a NIC in slot 2, slots 3..7 empty.
 *
 * The input is a program: one byte of setup, then steps - register
 * accesses of any offset and width (bad ones too), writes of guest RAM
 * (descriptors, avail rings, raw bytes, so notifications walk fuzzed
 * rings), a driver bring-up, FETCH and COMPLETE with fuzzed arguments and
 * answers, console input and VM restarts. After every step the invariants
 * below are checked; a broken one aborts.
 *
 * - Nothing outside either VM's RAM was written (guard bytes), nor any of
 *   the MVM's RAM except the event ring and the backend's buffers.
 * - Every device's registers are consistent: known status bits only,
 *   DRIVER_OK only with FEATURES_OK, features as offered, its interrupt
 *   line up exactly when InterruptStatus is not zero, ready queues only
 *   where they exist and only with valid rings inside the guest's RAM.
 * - A device that asked for a reset does nothing (no used entry, no
 *   request to the backend) until the driver resets it.
 * - The backend only ever gets block requests the hypervisor checked:
 *   a known type, inside the disk, no write to a read-only disk.
 * - COMPLETE never writes more than the request had room for (unless the
 *   guest rewrote its chain meanwhile: then it gets what it now asks for),
 *   and a token is good once: never after it completed, nor after a reset.
 * - The backend gets a flush or get-id with no data, so that it takes it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hv/events.h>
#include <hv/vgic.h>
#include <hv/virtio.h>
#include <hv/vm_lifecycle.h>
#include "fake.h"
#include "virtio_fixture.h"

#define SLOT_CONSOLE 0
#define SLOT_BLOCK 1
#define SLOT_NET 2
#define DEVICES 3

/* Each device's rings in the guest's standard layout: queue 0 and 1 of
 * the fixture, moved up by 0x8000 per slot; its data buffers from DATA_AREA. */
#define SLOT_RINGS 0x8000ULL
#define DATA_AREA (RAM_IPA + 0x20000)

/* The MVM's RAM: what FETCH and COMPLETE may use besides MVM_BUF - its
 * last page, where a buffer may run off the end - and what nothing may
 * touch, a pattern in between. */
#define MVM_PROBE (RAM_IPA + MVM_RAM_SIZE - 0x1000)
#define MVM_UNTOUCHED (MVM_BUF + MVM_BUF_SIZE)
#define MVM_UNTOUCHED_SIZE (MVM_PROBE - MVM_UNTOUCHED)
#define MVM_PATTERN 0x3c

#define STATUS_DRIVER_BITS                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |    \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

#define BLK_SECTOR 512

/* More than can be in flight (VIO_INFLIGHT_MAX on each of 3 queues). */
#define TOKENS 512

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,      \
				__LINE__, #cond);                                       \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* The input, read front to back; past its end every value is zero. */
struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	unsigned n = in->left < bytes ? (unsigned)in->left : bytes;

	memcpy(&v, in->p, n);
	in->p += n;
	in->left -= n;
	return v;
}

/* A token FETCH handed out, as the backend would keep it. */
struct request {
	uint64_t token;
	uint64_t room;
	uint32_t generation;      /* of its device, when fetched */
	uint64_t guest_writes;    /* guest_writes when fetched */
	bool spent;               /* completed: must never complete again */
};

static struct request requests[TOKENS];
static unsigned request_count;
/* Steps so far that wrote the guest's rings or buffers, as a driver would:
 * it may rewrite a chain that is in flight, and then gets what it asked for. */
static uint64_t guest_writes;

/* Per device, as it was before the step. */
struct device_before {
	bool needs_reset;
	uint16_t used_idx[VIRTIO_MAX_QUEUES];
};

static struct device_before before[DEVICES];
static uint32_t reset_slots; /* slots the step wrote Status = 0 to */
static bool restarted;       /* the step restarted the VM */

static const uint32_t device_ids[VIRTIO_SLOTS] = {
	[SLOT_CONSOLE] = VIRTIO_ID_CONSOLE,
	[SLOT_BLOCK] = VIRTIO_ID_BLOCK,
	[SLOT_NET] = VIRTIO_ID_NET,
};

static uint64_t offered(const struct virtio_dev *dev, const struct virtio_device_ops *ops)
{
	return (ops->device_features ? ops->device_features(dev) : ops->features) |
	       VIRTIO_RING_F_INDIRECT_DESC | VIRTIO_F_VERSION_1;
}

/* ---- invariants ---- */

static void check_device(unsigned slot)
{
	const struct virtio_dev *dev = &gvm->virtio[slot];
	const struct virtio_device_ops *ops;
	bool line;

	CHECK(dev->device_id == device_ids[slot]);
	if (dev->device_id == VIRTIO_ID_NONE)
		return;
	ops = virtio_dev_ops(dev);
	CHECK(ops);
	CHECK(!(dev->status & ~(STATUS_DRIVER_BITS | VIRTIO_STATUS_NEEDS_RESET)));
	if (dev->status & VIRTIO_STATUS_DRIVER_OK)
		CHECK(dev->status & VIRTIO_STATUS_FEATURES_OK);
	if (dev->status & VIRTIO_STATUS_FEATURES_OK) {
		CHECK(!(dev->driver_features & ~offered(dev, ops)));
		CHECK(dev->driver_features & VIRTIO_F_VERSION_1);
	}
	CHECK(!(dev->int_status & ~(uint32_t)(VIRTIO_INT_USED | VIRTIO_INT_CONFIG)));
	line = gvm->vgic.spi[dev->intid - 32].flags & VIRQ_LINE_HIGH;
	CHECK(line == (dev->int_status != 0));
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		const struct virtq *vq = &dev->vq[q];

		if (q >= ops->queue_count) {
			CHECK(!vq->ready && !vq->size && !vq->desc && !vq->avail && !vq->used);
			continue;
		}
		if (!vq->ready)
			continue;
		CHECK(vq->size && vq->size <= ops->queue_max && !(vq->size & (vq->size - 1)));
		CHECK(virtq_validate(gvm, vq) == VIRTQ_OK);
	}
	/* In-flight requests only on a mediated device's queues. */
	for (unsigned q = 0; q < VIO_QUEUES; q++) {
		bool may = virtio_dev_mediated(dev) && q < ops->queue_count;

		for (unsigned w = 0; w < VIO_INFLIGHT_MAX / 64; w++)
			CHECK(may || !dev->vio.q[q].busy[w]);
	}
	CHECK(!(dev->vio.pending & ~((1U << ops->queue_count) - 1)));
	/* Asked for a reset: stays asking, does nothing, until it gets one. */
	if (slot < DEVICES && before[slot].needs_reset && !restarted &&
	    !(reset_slots & (1U << slot))) {
		CHECK(dev->status & VIRTIO_STATUS_NEEDS_RESET);
		/* (A queue made ready again starts from 0.) */
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
			CHECK(dev->vq[q].used_idx == before[slot].used_idx[q] ||
			      dev->vq[q].used_idx == 0);
	}
}

static void check_invariants(void)
{
	CHECK(fixture_guards_intact());
	CHECK(fixture_bytes_are(mvm_at(MVM_UNTOUCHED), MVM_UNTOUCHED_SIZE, MVM_PATTERN));
	for (unsigned slot = 0; slot < VIRTIO_SLOTS; slot++)
		check_device(slot);
}

static void note_before(void)
{
	for (unsigned slot = 0; slot < DEVICES; slot++) {
		const struct virtio_dev *dev = &gvm->virtio[slot];

		before[slot].needs_reset = dev->status & VIRTIO_STATUS_NEEDS_RESET;
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
			before[slot].used_idx[q] = dev->vq[q].used_idx;
	}
	reset_slots = 0;
	restarted = false;
}

/* ---- steps ---- */

/* One access to the register file, any offset, any width. */
static void step_access(struct input *in, uint8_t op)
{
	static const unsigned widths[8] = { 4, 4, 4, 1, 2, 8, 3, 16 };
	unsigned slot = op & 7;
	unsigned width = widths[take(in, 1) & 7];
	bool write = op & 8;
	uint64_t off = take(in, 2) % VIRTIO_MMIO_SIZE;
	uint64_t v = write ? take(in, 8) : 0x5a5a5a5a5a5a5a5aULL;
	bool claimed;

	/* Most accesses go to the devices, and mostly to registers. */
	if (!(op & 0x40))
		slot %= DEVICES;
	if (!(op & 0x80) && width == 4)
		off &= ~3ULL;
	if (write && width == 4 && off == STATUS && (uint32_t)v == 0)
		reset_slots |= 1U << slot;
	claimed = virtio_mmio_access(vcpu, BASE + slot * VIRTIO_MMIO_SIZE + off, width, write,
				     &v);
	CHECK(claimed == (device_ids[slot] != VIRTIO_ID_NONE));
	if (claimed && !write) {
		if (off < CONFIG)
			CHECK(v <= UINT32_MAX);
		else if (width < 8)
			CHECK(v < 1ULL << (8 * width));
	}
}

/* What Linux does: features, both queues in the standard layout (or
 * fuzzed rings), DRIVER_OK. */
static void step_driver_up(struct input *in, uint8_t op)
{
	unsigned slot = op % DEVICES;
	uint64_t base = RAM_IPA + slot * SLOT_RINGS;
	uint32_t num = 1U << (take(in, 1) % 10);
	uint8_t how = (uint8_t)take(in, 1);
	const struct virtio_device_ops *ops;

	cur_slot = slot;
	ops = virtio_dev_ops(&gvm->virtio[slot]);
	reset_slots |= 1U << slot;
	negotiate(how & 1 ? device_features() : take(in, 8));
	for (unsigned q = 0; q < ops->queue_count; q++) {
		uint64_t desc = base + Q0_DESC - RAM_IPA + q * (Q1_DESC - Q0_DESC);
		uint64_t avail = desc + (Q0_AVAIL - Q0_DESC);
		uint64_t used = desc + (Q0_USED - Q0_DESC);

		if (how & 2) {
			desc = RAM_IPA + take(in, 4);
			avail = RAM_IPA + take(in, 4);
			used = RAM_IPA + take(in, 4);
		}
		queue_setup(q, num, desc, avail, used);
	}
	if (!(how & 4))
		wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void step_ram_write(struct input *in)
{
	uint64_t off = take(in, 4) % RAM_SIZE;
	size_t len = (size_t)take(in, 1) + 1;

	guest_writes++;
	len = len < in->left ? len : in->left;
	len = len < RAM_SIZE - off ? len : RAM_SIZE - off;
	memcpy(ram + off, in->p, len);
	in->p += len;
	in->left -= len;
}

/* The queue a ring step names, if its rings are in the guest's RAM. */
static struct virtq *ring_queue(uint8_t op, unsigned *slot, unsigned *q)
{
	struct virtq *vq;

	*slot = op % DEVICES;
	*q = (op >> 2) & 1;
	vq = &gvm->virtio[*slot].vq[*q];
	return vq->size && virtq_validate(gvm, vq) == VIRTQ_OK ? vq : NULL;
}

/* A descriptor: mostly a buffer in the data area, flags and next fuzzed. */
static void step_descriptor(struct input *in, uint8_t op)
{
	unsigned slot, q;
	struct virtq *vq = ring_queue(op, &slot, &q);
	uint16_t index = (uint16_t)take(in, 2);
	uint8_t how = (uint8_t)take(in, 1);
	struct desc d;

	guest_writes++;
	if (how & 1) {
		d.addr = take(in, 8);
		d.len = (uint32_t)take(in, 4);
	} else {
		d.addr = DATA_AREA + take(in, 2) * 16;
		d.len = (uint32_t)take(in, 2);
	}
	d.flags = (how >> 1) & 7;
	d.next = (uint16_t)take(in, 1);
	if (vq)
		memcpy(guest_at(vq->desc + 16ULL * (index % vq->size)), &d, sizeof(d));
}

/* Make a head available (or move the avail index anywhere) and notify. */
static void step_offer(struct input *in, uint8_t op)
{
	unsigned slot, q;
	struct virtq *vq = ring_queue(op, &slot, &q);
	uint16_t head = (uint16_t)take(in, 1);
	uint8_t how = (uint8_t)take(in, 1);
	uint16_t idx;

	guest_writes++;
	if (!vq)
		return;
	memcpy(&idx, guest_at(vq->avail + 2), 2);
	if (how & 1) {
		idx = (uint16_t)(idx + (how >> 1)); /* hostile: skip entries */
	} else {
		memcpy(guest_at(vq->avail + 4 + 2ULL * (idx % vq->size)), &head, 2);
		idx++;
	}
	memcpy(guest_at(vq->avail + 2), &idx, 2);
	if (!(op & 8)) {
		uint64_t v = q;

		CHECK(virtio_mmio_access(vcpu, BASE + slot * VIRTIO_MMIO_SIZE + QUEUE_NOTIFY, 4,
					 true, &v));
	}
}

/*
 * A well-formed chain of up to four buffers, as a driver builds one: for a
 * disk a header first (a type a driver uses, mostly, and a sector near 0
 * or near the end) and a status byte last; then offered and notified.
 */
static void step_chain(struct input *in, uint8_t op)
{
	static const uint32_t blk_types[8] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_IN,
					       VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_OUT,
					       VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, 3, 0xff };
	unsigned slot, q;
	struct virtq *vq = ring_queue(op, &slot, &q);
	uint8_t how = (uint8_t)take(in, 1);
	unsigned count = 1 + (how & 3);
	uint64_t buf = DATA_AREA + slot * 0x20000 + (uint64_t)(take(in, 1) & 0xf) * 0x1000;
	uint16_t head, idx;

	guest_writes++;
	if (!vq)
		return;
	head = (uint16_t)(take(in, 1) % vq->size);
	for (unsigned i = 0; i < count; i++) {
		uint16_t at = (uint16_t)((head + i) % vq->size);
		uint8_t seg = (uint8_t)take(in, 1);
		struct desc d = {
			.addr = buf,
			.len = seg & 0x80 ? 512U * (seg & 7) : (seg & 0x3f) + 1,
			.flags = (uint16_t)((seg & 0x40 ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < count ? VIRTQ_DESC_F_NEXT : 0)),
			.next = (uint16_t)((at + 1) % vq->size),
		};

		if (slot == SLOT_BLOCK && i == 0) {
			uint64_t sector = gvm->virtio[slot].capacity - (seg & 0xf);
			uint32_t type = blk_types[(seg >> 4) & 7];

			if (how & 4)
				sector = take(in, 1);
			else if (how & 8)
				sector = take(in, 8);
			memcpy(guest_at(buf), &type, 4);
			memset(guest_at(buf + 4), 0, 4);
			memcpy(guest_at(buf + 8), &sector, 8);
			d.len = 16;
			d.flags &= ~VIRTQ_DESC_F_WRITE;
		} else if (slot == SLOT_BLOCK && i + 1 == count && count > 1) {
			d.len = 1;
			d.flags |= VIRTQ_DESC_F_WRITE;
		}
		memcpy(guest_at(vq->desc + 16ULL * at), &d, sizeof(d));
		buf += (d.len + 15) & ~15ULL;
	}
	memcpy(&idx, guest_at(vq->avail + 2), 2);
	memcpy(guest_at(vq->avail + 4 + 2ULL * (idx % vq->size)), &head, 2);
	idx++;
	memcpy(guest_at(vq->avail + 2), &idx, 2);
	if (!(how & 0x80)) {
		uint64_t v = q;

		CHECK(virtio_mmio_access(vcpu, BASE + slot * VIRTIO_MMIO_SIZE + QUEUE_NOTIFY, 4,
					 true, &v));
	}
}

static void check_fetched_block_request(const struct virtio_dev *dev, uint64_t readable,
					uint64_t room, uint64_t ipa)
{
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} hdr;
	uint64_t data;

	CHECK(readable >= sizeof(hdr) && room >= 1);
	memcpy(&hdr, mvm_at(ipa), sizeof(hdr));
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		CHECK(readable == sizeof(hdr));
		data = room - 1;
		break;
	case VIRTIO_BLK_T_OUT:
		CHECK(!(dev->dev_flags & SHYPER_DEV_F_READONLY));
		data = readable - sizeof(hdr);
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
		CHECK(readable == sizeof(hdr)); /* no data to the device */
		return;
	default:
		CHECK(!"a block request of an unknown type reached the backend");
		return;
	}
	CHECK(data % BLK_SECTOR == 0);
	CHECK(hdr.sector <= dev->capacity && data / BLK_SECTOR <= dev->capacity - hdr.sector);
}

/* How a FETCH or COMPLETE goes wrong, one time in eight. */
enum hostile {
	CALL_WELL_FORMED,
	CALL_FROM_GUEST,   /* not the MVM */
	CALL_AT_PROBE,     /* a buffer at or past the end of the MVM's RAM */
	CALL_ANY_LENGTH,
	CALL_FORGED,       /* any slot and queue, any token */
};

static enum hostile hostile(uint8_t how)
{
	return (how & 7) == 7 ? CALL_FROM_GUEST + ((how >> 3) & 3) : CALL_WELL_FORMED;
}

static void step_fetch(struct input *in)
{
	uint8_t how = (uint8_t)take(in, 1);
	enum hostile bad = hostile(how);
	unsigned slot = SLOT_BLOCK + ((how >> 5) & 1);
	unsigned q = slot == SLOT_NET ? (how >> 6) & 1 : 0;
	uint64_t slot_queue = bad == CALL_FORGED ? take(in, 4) : slot | q << 8;
	uint64_t ipa = bad == CALL_AT_PROBE ? MVM_PROBE + take(in, 2) % 0x1100 : MVM_BUF;
	uint64_t len = bad == CALL_ANY_LENGTH ? take(in, 4) : take(in, 3) % (MVM_BUF_SIZE + 1);
	struct virtio_dev *dev;
	int64_t rc;

	if (ipa == MVM_BUF && len > MVM_BUF_SIZE)
		len = MVM_BUF_SIZE;
	rc = bad == CALL_FROM_GUEST
		     ? hc_from(vcpu, SHYPER_HC_VIO_FETCH, gvm->id, slot_queue, ipa, len)
		     : hc(SHYPER_HC_VIO_FETCH, gvm->id, slot_queue, ipa, len);
	if (rc != SHYPER_OK)
		return;
	CHECK(bad != CALL_FROM_GUEST); /* only the MVM */
	slot = slot_queue & 0xff;
	q = (slot_queue >> 8) & 0xff;
	CHECK(slot < DEVICES && slot != SLOT_CONSOLE);
	dev = &gvm->virtio[slot];
	/* Nothing of a device that asked for a reset. */
	CHECK(!before[slot].needs_reset);
	CHECK(hc_out[2] <= len && hc_out[2] <= VIO_IO_MAX && hc_out[3] <= VIO_IO_MAX);
	CHECK(((hc_out[1] >> 24) & 0xff) == slot && ((hc_out[1] >> 16) & 0xff) == q);
	CHECK((uint32_t)(hc_out[1] >> 32) == dev->vio.generation);
	if (dev->device_id == VIRTIO_ID_BLOCK)
		check_fetched_block_request(dev, hc_out[2], hc_out[3], ipa);
	/* A token handed out again (its entry was freed) is good again. */
	for (unsigned i = 0; i < request_count; i++)
		if (requests[i].token == hc_out[1])
			requests[i--] = requests[--request_count];
	/* Full: forget a spent one (there are at most 384 live ones). */
	for (unsigned i = 0; i < request_count && request_count == TOKENS; i++)
		if (requests[i].spent)
			requests[i] = requests[--request_count];
	CHECK(request_count < TOKENS);
	requests[request_count++] = (struct request){
		.token = hc_out[1],
		.room = hc_out[3],
		.generation = dev->vio.generation,
		.guest_writes = guest_writes,
	};
}

static void step_complete(struct input *in, uint8_t op)
{
	uint8_t how = (uint8_t)take(in, 1);
	enum hostile bad = hostile(how);
	uint8_t fill = (uint8_t)take(in, 1);
	uint64_t token, ipa, len;
	bool issued = false;
	int64_t rc;

	if (request_count)
		token = requests[take(in, 2) % request_count].token;
	else
		token = take(in, 8);
	if (bad == CALL_FORGED)
		token = op & 8 ? take(in, 8) : token ^ take(in, 8);
	ipa = bad == CALL_AT_PROBE ? MVM_PROBE + take(in, 2) % 0x1100 : MVM_BUF;
	len = bad == CALL_ANY_LENGTH ? take(in, 4) : take(in, 2) % 0x1100;
	if (ipa == MVM_BUF && len > MVM_BUF_SIZE)
		len = MVM_BUF_SIZE;
	if (len && ipa == MVM_BUF)
		memset(mvm_at(MVM_BUF), fill, len);
	rc = bad == CALL_FROM_GUEST
		     ? hc_from(vcpu, SHYPER_HC_VIO_COMPLETE, gvm->id, token, ipa, len)
		     : hc(SHYPER_HC_VIO_COMPLETE, gvm->id, token, ipa, len);
	if (rc != SHYPER_OK)
		return;
	CHECK(bad != CALL_FROM_GUEST); /* only the MVM */
	CHECK(hc_out[1] <= len && hc_out[1] <= VIO_IO_MAX);
	for (unsigned i = 0; i < request_count; i++) {
		struct request *r = &requests[i];
		unsigned slot = (r->token >> 24) & 0xff;

		if (r->token != token)
			continue;
		CHECK(!r->spent);
		CHECK(r->generation == gvm->virtio[slot].vio.generation);
		if (r->guest_writes == guest_writes)
			CHECK(hc_out[1] <= r->room);
		r->spent = true;
		issued = true;
	}
	CHECK(issued); /* no token FETCH did not hand out */
}

static void step_console_input(struct input *in)
{
	size_t len = take(in, 1) % 64;

	len = len < in->left ? len : in->left;
	memcpy(mvm_at(MVM_BUF), in->p, len);
	in->p += len;
	in->left -= len;
	CHECK(hc(SHYPER_HC_CONSOLE_WRITE, gvm->id, MVM_BUF, len, 0) == SHYPER_OK);
}

static void step_restart(void)
{
	CHECK(vm_stop(gvm) == SHYPER_OK);
	CHECK(vm_start(gvm) == SHYPER_OK);
	restarted = true;
}

/* The MVM's event ring: drained, or a hostile tail. */
static void step_events(struct input *in, uint8_t op)
{
	struct shyper_event_ring *ring = mvm_at(MVM_RING);

	ring->tail = op & 8 ? (uint32_t)take(in, 4) : ring->head;
}

/* ---- the program ---- */

static void machine_up(uint8_t setup)
{
	struct shyper_device_config con = console_at(SLOT_CONSOLE);
	struct shyper_device_config blk =
		blk_at(SLOT_BLOCK, setup & 2 ? (UINT64_MAX >> 9) - (setup >> 4) : 64 + (setup >> 4),
		       setup & 1 ? SHYPER_DEV_F_READONLY : 0);
	struct shyper_device_config net = net_at(SLOT_NET);

	if (fixture_setup(true))
		abort();
	memset(mvm_at(MVM_UNTOUCHED), MVM_PATTERN, MVM_UNTOUCHED_SIZE);
	CHECK(add_device(&con) == SHYPER_OK);
	CHECK(add_device(&blk) == SHYPER_OK);
	CHECK(add_device(&net) == SHYPER_OK);
	gvm->state = VM_STATE_RUNNING;
	request_count = 0;
	guest_writes = 0;
	note_before();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint8_t setup = (uint8_t)take(&in, 1);

	machine_up(setup);
	/* Most programs start from drivers that are up, as Linux leaves them. */
	if (setup & 4) {
		for (unsigned slot = 0; slot < DEVICES; slot++) {
			struct input up = { (const uint8_t *)"\x04\x01", 2 }; /* 16 entries */

			step_driver_up(&up, (uint8_t)slot);
		}
	}
	check_invariants();
	while (in.left) {
		uint8_t op = (uint8_t)take(&in, 1);

		note_before();
		switch (take(&in, 1) % 16) {
		case 0: case 1: case 2: case 3: case 4:
			step_access(&in, op);
			break;
		case 5:
			step_driver_up(&in, op);
			break;
		case 6:
			step_ram_write(&in);
			break;
		case 7:
			step_descriptor(&in, op);
			break;
		case 8:
			step_chain(&in, op);
			break;
		case 9: case 10:
			step_offer(&in, op);
			break;
		case 11:
			step_fetch(&in);
			break;
		case 12:
			step_complete(&in, op);
			break;
		case 13:
			step_console_input(&in);
			break;
		case 14:
			if (op & 1)
				step_restart();
			else
				step_events(&in, op);
			break;
		default:
			if (op & 1)
				step_chain(&in, op >> 1);
			else
				step_complete(&in, op >> 1);
			break;
		}
		check_invariants();
	}
	return 0;
}
