// SPDX-License-Identifier: GPL-2.0
/*
 * Mediated virtio devices (ABI 1.4): the block and net device fronts
 * (devices/virtio_blk.c, virtio_net.c), their VM_ADD_DEVICE checks, and
 * SHYPER_HC_VIO_FETCH / COMPLETE (devices/virtio_mediated.c) as the MVM's
 * backend uses them and as a hostile guest or a confused backend might.
 * The machine and both ends' helpers are virtio_fixture.c's.
 */
#include <hv/events.h>
#include <hv/hypercall.h>
#include <hv/virtio.h>
#include <hv/vm_lifecycle.h>
#include <shyper/abi.h>
#include "unit.h"
#include "virtio_fixture.h"

/* What every device offers. */
#define ALWAYS_OFFERED (VIRTIO_F_VERSION_1 | VIRTIO_RING_F_INDIRECT_DESC)

#define CAPACITY 64 /* sectors */

#define S_UP                                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |    \
	 VIRTIO_STATUS_DRIVER_OK)

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static int setup(void **state)
{
	(void)state;
	return fixture_setup(true);
}

static int teardown(void **state)
{
	bool intact = fixture_guards_intact();

	(void)state;
	fixture_teardown();
	return intact ? 0 : -1;
}

/* ---- the MVM's side ---- */

static struct shyper_event_ring *event_ring(void)
{
	return mvm_at(MVM_RING);
}

static uint32_t events(void)
{
	return event_ring()->head;
}

/* ---- the guest driver's side ---- */

/* Every feature offered, queues 0 (and 1) of QSIZE, DRIVER_OK. */
static void driver_up(unsigned queues)
{
	negotiate(device_features());
	queue_setup(0, QSIZE, Q0_DESC, Q0_AVAIL, Q0_USED);
	if (queues > 1)
		queue_setup(1, QSIZE, Q1_DESC, Q1_AVAIL, Q1_USED);
	wr(STATUS, S_UP);
	assert_int_equal(rd(STATUS), S_UP);
}

/* A running guest with a block device (capacity CAPACITY) in slot 0, up. */
static void blk_up(uint32_t flags)
{
	struct shyper_device_config dev = blk_at(0, CAPACITY, flags);

	assert_int_equal(add_device(&dev), SHYPER_OK);
	gvm->state = VM_STATE_RUNNING;
	cur_slot = 0;
	driver_up(1);
}

/* Header, data, status in descriptors head, head+1, head+2; buffers at
 * DATA + head * 0x1000 (header, status) and DATA + 0x20000 + head * 0x1000. */
#define HDR(h) (DATA + (h) * 0x1000ULL)
#define STAT(h) (DATA + (h) * 0x1000ULL + 0x100)
#define BUF(h) (DATA + 0x20000ULL + (h) * 0x1000ULL)

static void blk_request(uint16_t head, uint32_t type, uint64_t sector, uint32_t len)
{
	struct blk_hdr hdr = { .type = type, .sector = sector };
	uint16_t data_flags = type == VIRTIO_BLK_T_OUT ? 0 : VIRTQ_DESC_F_WRITE;

	memcpy(guest_at(HDR(head)), &hdr, sizeof(hdr));
	*(uint8_t *)guest_at(STAT(head)) = 0xee;
	set_desc(Q0_DESC, head, HDR(head), sizeof(hdr), VIRTQ_DESC_F_NEXT, head + 1);
	if (len) {
		set_desc(Q0_DESC, head + 1, BUF(head), len, data_flags | VIRTQ_DESC_F_NEXT,
			 head + 2);
		set_desc(Q0_DESC, head + 2, STAT(head), 1, VIRTQ_DESC_F_WRITE, 0);
	} else {
		set_desc(Q0_DESC, head, HDR(head), sizeof(hdr), VIRTQ_DESC_F_NEXT, head + 2);
		set_desc(Q0_DESC, head + 2, STAT(head), 1, VIRTQ_DESC_F_WRITE, 0);
	}
	offer(0, Q0_AVAIL, head);
}

static uint8_t blk_status(uint16_t head)
{
	return *(uint8_t *)guest_at(STAT(head));
}

/* ---- features, config, VM_ADD_DEVICE ---- */

static void test_blk_features_and_config(void **state)
{
	struct shyper_device_config ro = blk_at(1, 1ULL << 40, SHYPER_DEV_F_READONLY);

	(void)state;
	blk_up(0);
	assert_int_equal(rd(DEVICE_ID), VIRTIO_ID_BLOCK);
	assert_int_equal(device_features(), ALWAYS_OFFERED | VIRTIO_BLK_F_SIZE_MAX |
					     VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH |
					     VIRTIO_BLK_F_TOPOLOGY);
	assert_int_equal(rd_config(0, 8), CAPACITY);
	assert_int_equal(rd_config(8, 4), VIRTIO_BLK_SIZE_MAX);
	assert_int_equal(rd_config(12, 4), VIRTIO_BLK_SEG_MAX);
	/* Topology: 4 KiB at least, 512 KiB best. */
	assert_int_equal(rd_config(24, 1), 0);
	assert_int_equal(rd_config(26, 2), 8);
	assert_int_equal(rd_config(28, 4), VIRTIO_BLK_OPT_IO_BLOCKS);
	/* What the driver may send fits one FETCH buffer, header and all. */
	assert_true(rd_config(8, 4) * rd_config(12, 4) + 16 <= VIO_IO_MAX);
	wr(QUEUE_SEL, 0);
	assert_int_equal(rd(QUEUE_NUM_MAX), 256);
	wr(QUEUE_SEL, 1);
	assert_int_equal(rd(QUEUE_NUM_MAX), 0);

	gvm->state = VM_STATE_DEFINED;
	assert_int_equal(add_device(&ro), SHYPER_OK);
	cur_slot = 1;
	assert_int_equal(device_features(), ALWAYS_OFFERED | VIRTIO_BLK_F_SIZE_MAX |
					     VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH |
					     VIRTIO_BLK_F_TOPOLOGY | VIRTIO_BLK_F_RO);
	assert_int_equal(rd_config(0, 8), 1ULL << 40);
	assert_int_equal(rd_config(4, 4), (1ULL << 40) >> 32);
}

static void test_net_features_and_config(void **state)
{
	struct shyper_device_config dev = net_at(2);

	(void)state;
	assert_int_equal(add_device(&dev), SHYPER_OK);
	cur_slot = 2;
	assert_int_equal(rd(DEVICE_ID), VIRTIO_ID_NET);
	assert_int_equal(device_features(), ALWAYS_OFFERED | VIRTIO_NET_F_MAC |
						     VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 |
						     VIRTIO_NET_F_HOST_TSO6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(rd_config(i, 1), dev.mac[i]);
	assert_int_equal(rd_config(6, 2), 0);
	wr(QUEUE_SEL, 1);
	assert_int_equal(rd(QUEUE_NUM_MAX), 256);
	wr(QUEUE_SEL, 2);
	assert_int_equal(rd(QUEUE_NUM_MAX), 0);
	/* No offloads of received frames: asking for them is refused. */
	wr(STATUS, 0);
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(DRV_FEATURES_SEL, 0);
	wr(DRV_FEATURES, (uint32_t)(VIRTIO_NET_F_MAC | VIRTIO_NET_F_GUEST_CSUM));
	wr(DRV_FEATURES_SEL, 1);
	wr(DRV_FEATURES, 1);
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
}

static void test_add_mediated_device_checks(void **state)
{
	struct shyper_device_config dev;

	(void)state;
	dev = blk_at(0, 0, 0);
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = blk_at(0, 8, 0x2);
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = blk_at(0, 8, 0);
	dev.mac[0] = 2;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = blk_at(0, UINT64_MAX, 0);
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = blk_at(0, 8, 0);
	dev.base = 0x1000;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);

	dev = net_at(0);
	memset(dev.mac, 0, sizeof(dev.mac));
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = net_at(0);
	dev.mac[0] = 0x01; /* multicast */
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = net_at(0);
	dev.capacity = 1;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = net_at(0);
	dev.flags = SHYPER_DEV_F_READONLY;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++)
		assert_int_equal(gvm->virtio[i].device_id, VIRTIO_ID_NONE);

	dev = blk_at(0, 8, SHYPER_DEV_F_READONLY);
	assert_int_equal(add_device(&dev), SHYPER_OK);
	assert_int_equal(gvm->virtio[0].device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(gvm->virtio[0].capacity, 8);
	dev = blk_at(1, 8, 0);
	assert_int_equal(add_device(&dev), SHYPER_OK); /* several disks */
	dev = net_at(1);
	assert_int_equal(add_device(&dev), SHYPER_E_BUSY);
	dev = net_at(2);
	assert_int_equal(add_device(&dev), SHYPER_OK);
	assert_int_equal(gvm->virtio[2].device_id, VIRTIO_ID_NET);
	assert_memory_equal(gvm->virtio[2].mac, dev.mac, 6);
}

/* ---- events ---- */

static void test_notify_posts_one_event(void **state)
{
	struct shyper_event *e = &event_ring()->ev[1];

	(void)state;
	blk_up(0);
	/* DRIVER_OK: the backend is told to look (buffers may be there already). */
	assert_int_equal(events(), 1);
	assert_int_equal(event_ring()->ev[0].type, SHYPER_EVENT_VIO);
	assert_int_equal(event_ring()->ev[0].data[1], 1);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(events(), 1); /* not drained yet: no second event */
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY); /* drained */
	blk_request(3, VIRTIO_BLK_T_OUT, 1, 512);
	assert_int_equal(events(), 2);
	assert_int_equal(e->type, SHYPER_EVENT_VIO);
	assert_int_equal(e->vm_id, gvm->id);
	assert_int_equal(e->data[0], 0);
	assert_int_equal(e->data[1], 1);
	/* More requests: the backend already knows. */
	blk_request(6, VIRTIO_BLK_T_OUT, 2, 512);
	wr(QUEUE_NOTIFY, 0);
	assert_int_equal(events(), 2);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	wr(QUEUE_NOTIFY, 0);
	assert_int_equal(events(), 2);
	/* Only once a FETCH found the queue empty is there a new event. */
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	blk_request(9, VIRTIO_BLK_T_OUT, 3, 512);
	assert_int_equal(events(), 3);
	assert_int_equal(event_ring()->ev[2].data[1], 1);
}

/* A paused guest's requests stay in its ring (in flight ones are still
 * answered); resuming it tells the backend to look again. */
static void test_paused_guest_requests_wait(void **state)
{
	uint64_t token;
	uint8_t ok = VIRTIO_BLK_S_OK;
	unsigned before;

	(void)state;
	blk_up(0);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	blk_request(3, VIRTIO_BLK_T_OUT, 1, 512);
	assert_int_equal(hc(SHYPER_HC_VM_PAUSE, gvm->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	assert_int_equal(used_idx(Q0_USED), 0);
	/* The one in flight is answered while paused (the drain). */
	assert_int_equal(complete(token, &ok, 1), SHYPER_OK);
	assert_int_equal(used_idx(Q0_USED), 1);
	before = events();
	assert_int_equal(hc(SHYPER_HC_VM_RESUME, gvm->id, 0, 0, 0), SHYPER_OK);
	/* Its state change, then the backend told to look. */
	assert_int_equal(events(), before + 2);
	assert_int_equal(event_ring()->ev[before + 1].type, SHYPER_EVENT_VIO);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
}

/* The hints: while an event is pending the driver is told not to notify
 * (VRING_USED_F_NO_NOTIFY), and told again once FETCH drained the queue;
 * a driver that asked for no interrupts (VRING_AVAIL_F_NO_INTERRUPT) gets
 * its used entries without one. */
static void test_notify_and_interrupt_hints(void **state)
{
	uint16_t *used_flags = guest_at(Q0_USED), *avail_flags = guest_at(Q0_AVAIL);
	uint8_t status = VIRTIO_BLK_S_OK;
	uint64_t token, token2;

	(void)state;
	blk_up(0);
	/* DRIVER_OK posted an event: the backend will look, no notify needed. */
	assert_int_equal(events(), 1);
	assert_int_equal(*used_flags, 1);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	assert_int_equal(*used_flags, 0);
	/* A request the driver added without a notify, just as the flag went
	 * down, is still found by the look after it. */
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	wr(QUEUE_NOTIFY, 0);
	assert_int_equal(events(), 2);
	assert_int_equal(*used_flags, 1);
	blk_request(3, VIRTIO_BLK_T_OUT, 1, 512); /* no notify: the flag said so */
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token2 = hc_out[1];
	assert_int_equal(*used_flags, 1);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	assert_int_equal(*used_flags, 0);

	/* Interrupts off: the entry is used, the line stays low. */
	*avail_flags = 1;
	assert_int_equal(complete(token, &status, 1), SHYPER_OK);
	assert_int_equal(used_idx(Q0_USED), 1);
	assert_int_equal(rd(INT_STATUS), 0);
	/* On again: the next one interrupts. */
	*avail_flags = 0;
	assert_int_equal(complete(token2, &status, 1), SHYPER_OK);
	assert_int_equal(used_idx(Q0_USED), 2);
	assert_int_equal(rd(INT_STATUS), VIRTIO_INT_USED);
	assert_true(fixture_guards_intact());
}

/* ---- FETCH and COMPLETE ---- */

static void test_blk_write_then_read(void **state)
{
	uint8_t answer[1025];
	struct blk_hdr hdr;
	uint64_t token;

	(void)state;
	blk_up(0);
	memset(guest_at(BUF(0)), 'w', 512);
	blk_request(0, VIRTIO_BLK_T_OUT, 2, 512);
	memset(mvm_at(MVM_BUF), 0, 1024);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	assert_int_equal(hc_out[2], 16 + 512);
	assert_int_equal(hc_out[3], 1);
	memcpy(&hdr, mvm_at(MVM_BUF), sizeof(hdr));
	assert_int_equal(hdr.type, VIRTIO_BLK_T_OUT);
	assert_int_equal(hdr.sector, 2);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[16], 'w');
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[16 + 511], 'w');
	assert_int_equal(used_idx(Q0_USED), 0);
	/* The backend wrote it: status OK. */
	answer[0] = VIRTIO_BLK_S_OK;
	assert_int_equal(complete(token, answer, 1), SHYPER_OK);
	assert_int_equal(hc_out[1], 1);
	assert_int_equal(used_idx(Q0_USED), 1);
	assert_int_equal(used_id(Q0_USED, 0), 0);
	assert_int_equal(used_len(Q0_USED, 0), 1);
	assert_int_equal(blk_status(0), VIRTIO_BLK_S_OK);
	assert_int_equal(rd(INT_STATUS), VIRTIO_INT_USED);
	wr(INT_ACK, VIRTIO_INT_USED);
	/* Completed: the token is spent. */
	assert_int_equal(complete(token, answer, 1), SHYPER_E_INVALID);
	assert_int_equal(used_idx(Q0_USED), 1);

	/* A read of two sectors: room for the data and the status. */
	blk_request(3, VIRTIO_BLK_T_IN, 4, 1024);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	assert_int_equal(hc_out[2], 16);
	assert_int_equal(hc_out[3], 1025);
	memset(answer, 'r', 1024);
	answer[1024] = VIRTIO_BLK_S_OK;
	/* More than the room: only the room is given. */
	assert_int_equal(hc(SHYPER_HC_VIO_COMPLETE, gvm->id, token, MVM_BUF, 4096), SHYPER_OK);
	assert_int_equal(hc_out[1], 1025);
	assert_int_equal(used_idx(Q0_USED), 2);
	assert_int_equal(used_id(Q0_USED, 1), 3);
	assert_int_equal(used_len(Q0_USED, 1), 1025);
}

static void test_blk_read_data_lands_in_order(void **state)
{
	uint8_t answer[1025];

	(void)state;
	blk_up(0);
	blk_request(3, VIRTIO_BLK_T_IN, 4, 1024);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	memset(answer, 'r', 1024);
	answer[1024] = VIRTIO_BLK_S_OK;
	assert_int_equal(complete(hc_out[1], answer, sizeof(answer)), SHYPER_OK);
	assert_int_equal(hc_out[1], 1025);
	assert_int_equal(((uint8_t *)guest_at(BUF(3)))[0], 'r');
	assert_int_equal(((uint8_t *)guest_at(BUF(3)))[1023], 'r');
	assert_int_equal(((uint8_t *)guest_at(BUF(3)))[1024], 0); /* nothing past the buffer */
	assert_int_equal(blk_status(3), VIRTIO_BLK_S_OK);
	assert_int_equal(used_len(Q0_USED, 0), 1025);
}

static void test_fetch_buffer_too_small(void **state)
{
	(void)state;
	blk_up(0);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 1024);
	memset(mvm_at(MVM_BUF), 0x5a, 64);
	assert_int_equal(fetch(0, 0, 100), SHYPER_E_NO_MEMORY);
	assert_int_equal(hc_out[2], 16 + 1024);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[0], 0x5a); /* nothing copied */
	assert_int_equal(gvm->virtio[0].vq[0].last_avail, 0);  /* not consumed */
	/* The same chain, with a big enough buffer. */
	assert_int_equal(fetch(0, 0, 16 + 1024), SHYPER_OK);
	assert_int_equal(hc_out[2], 16 + 1024);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
}

static void test_stale_tokens_refused(void **state)
{
	uint8_t ok = 0;
	uint64_t token;

	(void)state;
	blk_up(0);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	/* A token never handed out: another index, another queue, another slot. */
	assert_int_equal(complete(token + 1, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(complete(token + 127, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(complete(token + 128, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(complete(token | 1 << 16, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(complete(token | 1 << 24, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(complete(token + (1ULL << 32), &ok, 1), SHYPER_E_INVALID);
	/* The driver resets the device: the request is gone. */
	driver_up(1);
	assert_int_equal(complete(token, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(used_idx(Q0_USED), 0);
	assert_int_equal(blk_status(0), 0xee);

	/* A VM restart does the same. */
	memset(ram, 0, RAM_SIZE);
	driver_up(1);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	gvm->state = VM_STATE_SHUTOFF;
	assert_int_equal(vm_start(gvm), SHYPER_OK);
	assert_int_equal(complete(token, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(used_idx(Q0_USED), 0);
}

/* The driver stops a queue (QueueReady 0) and sets it up again: requests
 * in flight on it are gone, a late answer to one is refused and lands
 * nowhere, and the queue works again. */
static void test_stopped_queue_kills_its_tokens(void **state)
{
	uint8_t ok = VIRTIO_BLK_S_OK;
	uint64_t token;

	(void)state;
	blk_up(0);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	wr(QUEUE_SEL, 0);
	wr(QUEUE_READY, 0);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_int_equal(complete(token, &ok, 1), SHYPER_E_INVALID);
	memset(guest_at(Q0_AVAIL), 0, 0x1000);
	memset(guest_at(Q0_USED), 0, 0x1000);
	queue_setup(0, QSIZE, Q0_DESC, Q0_AVAIL, Q0_USED);
	assert_int_equal(complete(token, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(used_idx(Q0_USED), 0);
	assert_int_equal(blk_status(0), 0xee);
	blk_request(3, VIRTIO_BLK_T_OUT, 1, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_not_equal(hc_out[1], token);
	assert_int_equal(complete(hc_out[1], &ok, 1), SHYPER_OK);
	assert_int_equal(used_idx(Q0_USED), 1);
	assert_int_equal(used_id(Q0_USED, 0), 3);
	assert_int_equal(blk_status(3), VIRTIO_BLK_S_OK);
	assert_int_equal(blk_status(0), 0xee);
}

static void test_blk_bad_requests_answered_by_hypervisor(void **state)
{
	(void)state;
	blk_up(0);
	memset(mvm_at(MVM_BUF), 0x5a, 64);
	/* Past the end: the last sector is CAPACITY - 1. */
	blk_request(0, VIRTIO_BLK_T_IN, CAPACITY - 1, 1024);
	blk_request(3, VIRTIO_BLK_T_OUT, CAPACITY, 512);
	blk_request(6, VIRTIO_BLK_T_IN, UINT64_MAX, 512);
	blk_request(9, 99, 0, 512);
	/* The one good request behind them is what the backend gets. */
	blk_request(12, VIRTIO_BLK_T_IN, CAPACITY - 1, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(hc_out[2], 16);
	assert_int_equal(hc_out[3], 513);
	assert_int_equal(((struct blk_hdr *)mvm_at(MVM_BUF))->sector, CAPACITY - 1);
	assert_int_equal(blk_status(0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_status(3), VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_status(6), VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_status(9), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(used_idx(Q0_USED), 4);
	for (uint16_t i = 0; i < 4; i++) {
		assert_int_equal(used_id(Q0_USED, i), 3 * i);
		assert_int_equal(used_len(Q0_USED, i), 1);
	}
	assert_int_equal(rd(INT_STATUS), VIRTIO_INT_USED);
	assert_false(needs_reset());
}

static void test_blk_readonly_refuses_writes(void **state)
{
	(void)state;
	blk_up(SHYPER_DEV_F_READONLY);
	memset(mvm_at(MVM_BUF), 0x5a, 64);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	assert_int_equal(blk_status(0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[0], 0x5a);
	/* Reads and flushes still go to the backend. */
	blk_request(3, VIRTIO_BLK_T_IN, 0, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	blk_request(6, VIRTIO_BLK_T_FLUSH, 0, 0);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(hc_out[2], 16);
	assert_int_equal(hc_out[3], 1);
}

static void test_hostile_chains_need_reset(void **state)
{
	(void)state;
	blk_up(0);
	memset(mvm_at(MVM_BUF), 0x5a, 64);
	/* A loop. */
	set_desc(Q0_DESC, 0, HDR(0), 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(Q0_DESC, 1, HDR(1), 16, VIRTQ_DESC_F_NEXT, 0);
	offer(0, Q0_AVAIL, 0);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	assert_true(needs_reset());
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[0], 0x5a);
	assert_int_equal(used_idx(Q0_USED), 0);
	/* Dead until reset. */
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);

	/* A buffer outside the guest's RAM. */
	memset(ram, 0, RAM_SIZE);
	driver_up(1);
	set_desc(Q0_DESC, 0, RAM_IPA + RAM_SIZE - 8, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(Q0_DESC, 1, STAT(0), 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0, Q0_AVAIL, 0);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	assert_true(needs_reset());
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[0], 0x5a);

	/* A chain broken after FETCH: COMPLETE writes nothing. */
	memset(ram, 0, RAM_SIZE);
	driver_up(1);
	blk_request(0, VIRTIO_BLK_T_IN, 0, 512);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	set_desc(Q0_DESC, 1, RAM_IPA + RAM_SIZE, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	memset(mvm_at(MVM_BUF), 'r', 513);
	assert_int_equal(hc(SHYPER_HC_VIO_COMPLETE, gvm->id, hc_out[1], MVM_BUF, 513),
			 SHYPER_E_BUSY);
	assert_true(needs_reset());
	assert_int_equal(used_idx(Q0_USED), 0);
	assert_int_equal(blk_status(0), 0xee);
}

static void test_fetch_argument_checks(void **state)
{
	struct shyper_device_config con = { .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					    .kind = SHYPER_DEV_VIRTIO_CONSOLE,
					    .slot = 5 };

	(void)state;
	assert_int_equal(add_device(&con), SHYPER_OK);
	blk_up(0);
	blk_request(0, VIRTIO_BLK_T_OUT, 0, 512);
	/* A guest may not. */
	assert_int_equal(hc_from(vcpu, SHYPER_HC_VIO_FETCH, gvm->id, 0, RAM_IPA, 4096),
			 SHYPER_E_DENIED);
	assert_int_equal(hc_from(vcpu, SHYPER_HC_VIO_COMPLETE, gvm->id, 0, RAM_IPA, 0),
			 SHYPER_E_DENIED);
	/* The MVM's buffer must be in its RAM, wholly. */
	assert_int_equal(hc(SHYPER_HC_VIO_FETCH, gvm->id, 0, RAM_IPA + MVM_RAM_SIZE - 16, 4096),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(hc(SHYPER_HC_VIO_FETCH, gvm->id, 0, 0x1000, 4096),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(hc(SHYPER_HC_VIO_COMPLETE, gvm->id, 0, RAM_IPA + MVM_RAM_SIZE, 1),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(gvm->virtio[0].vq[0].last_avail, 0);
	/* The MVM itself, a VM that is not there, slots and queues that are not. */
	assert_int_equal(hc(SHYPER_HC_VIO_FETCH, 0, 0, MVM_BUF, 4096), SHYPER_E_DENIED);
	assert_int_equal(hc(SHYPER_HC_VIO_FETCH, 6, 0, MVM_BUF, 4096), SHYPER_E_NO_ENTRY);
	assert_int_equal(fetch(1, 0, 4096), SHYPER_E_INVALID);   /* empty slot */
	assert_int_equal(fetch(5, 0, 4096), SHYPER_E_INVALID);   /* console: not mediated */
	assert_int_equal(fetch(8, 0, 4096), SHYPER_E_INVALID);
	assert_int_equal(fetch(0, 1, 4096), SHYPER_E_INVALID);   /* block has one queue */
	assert_int_equal(fetch(0, 3, 4096), SHYPER_E_INVALID);   /* past the in-flight tables */
	assert_int_equal(fetch(0, 255, 4096), SHYPER_E_INVALID); /* (UBSan: no pointer formed) */
	assert_int_equal(hc(SHYPER_HC_VIO_FETCH, gvm->id, 1 << 16, MVM_BUF, 4096),
			 SHYPER_E_INVALID);
	assert_int_equal(fetch(0, 0, VIO_IO_MAX + 1), SHYPER_E_INVALID);
	/* A device the driver has not brought up: busy. */
	wr(STATUS, 0);
	assert_int_equal(fetch(0, 0, 4096), SHYPER_E_BUSY);
	assert_int_equal(gvm->virtio[0].vq[0].last_avail, 0);
}

static void test_inflight_table_is_bounded(void **state)
{
	(void)state;
	blk_up(0);
	/* QSIZE requests in flight at most with this queue, all fetchable. */
	for (uint16_t i = 0; i < QSIZE / 3; i++)
		blk_request(3 * i, VIRTIO_BLK_T_IN, i, 512);
	for (uint16_t i = 0; i < QSIZE / 3; i++) {
		assert_int_equal(fetch(0, 0, 4096), SHYPER_OK);
		assert_int_equal(hc_out[1] & 0xffff, i);
	}
	/* A full table refuses without taking anything. */
	for (unsigned i = 0; i < VIO_INFLIGHT_MAX / 64; i++)
		gvm->virtio[0].vio.q[0].busy[i] = ~0ULL;
	blk_request(15, VIRTIO_BLK_T_FLUSH, 0, 0);
	assert_int_equal(fetch(0, 0, 4096), SHYPER_E_TOO_MANY);
	assert_int_equal(gvm->virtio[0].vq[0].last_avail, QSIZE / 3);
}

static void test_net_transmit_and_receive(void **state)
{
	struct shyper_device_config dev = net_at(0);
	uint8_t frame[60 + 12];
	uint64_t token;

	(void)state;
	assert_int_equal(add_device(&dev), SHYPER_OK);
	gvm->state = VM_STATE_RUNNING;
	cur_slot = 0;
	driver_up(2);
	assert_int_equal(event_ring()->ev[0].data[1], 3); /* DRIVER_OK: both queues */
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	assert_int_equal(fetch(0, 1, MVM_BUF_SIZE), SHYPER_E_BUSY);
	/* Transmit: one readable buffer, header and frame. */
	memset(guest_at(DATA), 't', sizeof(frame));
	set_desc(Q1_DESC, 0, DATA, sizeof(frame), 0, 0);
	offer(1, Q1_AVAIL, 0);
	assert_int_equal(event_ring()->ev[events() - 1].data[1], 2);
	assert_int_equal(fetch(0, 1, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(hc_out[2], sizeof(frame));
	assert_int_equal(hc_out[3], 0);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[71], 't');
	assert_int_equal(complete(hc_out[1], NULL, 0), SHYPER_OK);
	assert_int_equal(used_idx(Q1_USED), 1);
	assert_int_equal(used_len(Q1_USED, 0), 0);

	/* Receive: the guest posts a buffer; none readable, room for a frame. */
	set_desc(Q0_DESC, 0, DATA + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0);
	offer(0, Q0_AVAIL, 0);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = hc_out[1];
	assert_int_equal(hc_out[2], 0);
	assert_int_equal(hc_out[3], 1526);
	memset(frame, 'f', sizeof(frame));
	assert_int_equal(complete(token, frame, sizeof(frame)), SHYPER_OK);
	assert_int_equal(hc_out[1], sizeof(frame));
	assert_int_equal(used_len(Q0_USED, 0), sizeof(frame));
	assert_memory_equal(guest_at(DATA + 0x1000), frame, sizeof(frame));
}

/* The entropy device: one queue of buffers the backend fills; bytes a
 * guest offers for reading reach the backend, which drops them. */
static void test_rng_requests(void **state)
{
	struct shyper_device_config dev = { .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					    .kind = SHYPER_DEV_VIRTIO_RNG, .slot = 3 };
	struct shyper_device_config bad;
	uint8_t random[64];

	(void)state;
	bad = dev;
	bad.capacity = 1;
	assert_int_equal(add_device(&bad), SHYPER_E_INVALID);
	bad = dev;
	bad.mac[0] = 2;
	assert_int_equal(add_device(&bad), SHYPER_E_INVALID);
	bad = dev;
	bad.flags = SHYPER_DEV_F_READONLY;
	assert_int_equal(add_device(&bad), SHYPER_E_INVALID);
	assert_int_equal(gvm->virtio[3].device_id, VIRTIO_ID_NONE);
	assert_int_equal(add_device(&dev), SHYPER_OK);
	gvm->state = VM_STATE_RUNNING;
	cur_slot = 3;
	assert_int_equal(rd(DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_equal(device_features(), ALWAYS_OFFERED);
	wr(QUEUE_SEL, 0);
	assert_int_equal(rd(QUEUE_NUM_MAX), 256);
	wr(QUEUE_SEL, 1);
	assert_int_equal(rd(QUEUE_NUM_MAX), 0);
	driver_up(1);
	assert_int_equal(fetch(3, 1, MVM_BUF_SIZE), SHYPER_E_INVALID);
	assert_int_equal(fetch(3, 0, MVM_BUF_SIZE), SHYPER_E_BUSY);
	set_desc(Q0_DESC, 0, DATA, sizeof(random), VIRTQ_DESC_F_WRITE, 0);
	offer(0, Q0_AVAIL, 0);
	assert_int_equal(fetch(3, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(hc_out[2], 0);
	assert_int_equal(hc_out[3], sizeof(random));
	memset(random, 0xa5, sizeof(random));
	/* More than the buffer holds: only what fits lands. */
	assert_int_equal(complete(hc_out[1], random, sizeof(random)), SHYPER_OK);
	assert_int_equal(hc_out[1], sizeof(random));
	assert_int_equal(used_len(Q0_USED, 0), sizeof(random));
	assert_memory_equal(guest_at(DATA), random, sizeof(random));
}

/* Empty buffers in a chain are legal (virtio does not forbid them) and have
 * no host pointer: FETCH and COMPLETE skip them (found by fuzz_virtio_mmio:
 * they were handed to memcpy as NULL). */
static void test_empty_buffers_in_chains(void **state)
{
	struct shyper_device_config dev = net_at(2);
	struct blk_hdr hdr = { .type = VIRTIO_BLK_T_OUT, .sector = 5 };
	uint8_t frame[64];

	(void)state;
	blk_up(0);
	/* A disk request: an empty readable buffer before the header. */
	memcpy(guest_at(HDR(0)), &hdr, sizeof(hdr));
	memset(guest_at(BUF(0)), 'w', 512);
	set_desc(Q0_DESC, 0, HDR(0) + 0x800, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(Q0_DESC, 1, HDR(0), sizeof(hdr), VIRTQ_DESC_F_NEXT, 2);
	set_desc(Q0_DESC, 2, BUF(0), 512, VIRTQ_DESC_F_NEXT, 3);
	set_desc(Q0_DESC, 3, STAT(0), 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0, Q0_AVAIL, 0);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(hc_out[2], 16 + 512);
	assert_int_equal(((struct blk_hdr *)mvm_at(MVM_BUF))->sector, 5);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[16 + 511], 'w');

	/* A NIC's receive buffers: an empty one first. */
	gvm->state = VM_STATE_DEFINED;
	assert_int_equal(add_device(&dev), SHYPER_OK);
	gvm->state = VM_STATE_RUNNING;
	memset(ram, 0, RAM_SIZE);
	cur_slot = 2;
	driver_up(2);
	set_desc(Q0_DESC, 0, DATA, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(Q0_DESC, 1, DATA + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0);
	offer(0, Q0_AVAIL, 0);
	assert_int_equal(fetch(2, 0, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(hc_out[3], 1526);
	memset(frame, 'f', sizeof(frame));
	assert_int_equal(complete(hc_out[1], frame, sizeof(frame)), SHYPER_OK);
	assert_int_equal(hc_out[1], sizeof(frame));
	assert_memory_equal(guest_at(DATA + 0x1000), frame, sizeof(frame));
	assert_int_equal(used_len(Q0_USED, 0), sizeof(frame));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_blk_features_and_config),
		T(test_net_features_and_config),
		T(test_rng_requests),
		T(test_add_mediated_device_checks),
		T(test_notify_posts_one_event),
		T(test_paused_guest_requests_wait),
		T(test_notify_and_interrupt_hints),
		T(test_blk_write_then_read),
		T(test_blk_read_data_lands_in_order),
		T(test_fetch_buffer_too_small),
		T(test_stale_tokens_refused),
		T(test_stopped_queue_kills_its_tokens),
		T(test_blk_bad_requests_answered_by_hypervisor),
		T(test_blk_readonly_refuses_writes),
		T(test_hostile_chains_need_reset),
		T(test_fetch_argument_checks),
		T(test_inflight_table_is_bounded),
		T(test_net_transmit_and_receive),
		T(test_empty_buffers_in_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
