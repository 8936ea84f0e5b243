// SPDX-License-Identifier: GPL-2.0
/*
 * Mediated virtio devices (ABI 1.4): the block and net device fronts
 * (devices/virtio_blk.c, virtio_net.c), their VM_ADD_DEVICE checks, and
 * SHYPER_HC_VIO_FETCH / COMPLETE (devices/virtio_mediated.c) as the MVM's
 * backend uses them and as a hostile guest or a confused backend might.
 */
#include <stdlib.h>
#include <hv/events.h>
#include <hv/hypercall.h>
#include <hv/state.h>
#include <hv/vgic.h>
#include <hv/virtio.h>
#include <hv/vm_lifecycle.h>
#include <shyper/abi.h>
#include "unit.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (512 * 1024ULL)
#define MVM_RAM_SIZE (256 * 1024ULL)
#define QSIZE 16
#define Q0_DESC (RAM_IPA + 0x1000)
#define Q0_AVAIL (RAM_IPA + 0x2000)
#define Q0_USED (RAM_IPA + 0x3000)
#define Q1_DESC (RAM_IPA + 0x4000)
#define Q1_AVAIL (RAM_IPA + 0x5000)
#define Q1_USED (RAM_IPA + 0x6000)
#define DATA (RAM_IPA + 0x10000)

/* In the MVM */
#define MVM_DEV_CFG RAM_IPA
#define MVM_RING (RAM_IPA + 0x1000)
#define MVM_BUF (RAM_IPA + 0x10000)
#define MVM_BUF_SIZE (128 * 1024ULL)

#define BASE SHYPER_GUEST_VIRTIO_BASE
#define CAPACITY 64 /* sectors */

/* Transport registers */
#define DEVICE_ID 0x008
#define DEV_FEATURES 0x010
#define DEV_FEATURES_SEL 0x014
#define DRV_FEATURES 0x020
#define DRV_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INT_STATUS 0x060
#define INT_ACK 0x064
#define STATUS 0x070
#define DESC_LO 0x080
#define DESC_HI 0x084
#define DRIVER_LO 0x090
#define DRIVER_HI 0x094
#define DEVICE_LO 0x0a0
#define DEVICE_HI 0x0a4
#define CONFIG 0x100

#define S_UP                                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |    \
	 VIRTIO_STATUS_DRIVER_OK)

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct vm *mvm, *gvm;
static struct vcpu *vcpu;
static uint8_t *ram, *mvm_ram;

static void *at(uint64_t ipa)
{
	return ram + (ipa - RAM_IPA);
}

static void *mvm_at(uint64_t ipa)
{
	return mvm_ram + (ipa - RAM_IPA);
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	if (posix_memalign((void **)&ram, 4096, RAM_SIZE) ||
	    posix_memalign((void **)&mvm_ram, 4096, MVM_RAM_SIZE))
		return -1;
	memset(ram, 0, RAM_SIZE);
	memset(mvm_ram, 0, MVM_RAM_SIZE);

	mvm = &hv_state->vms[0];
	mvm->type = VM_TYPE_MVM;
	mvm->state = VM_STATE_RUNNING;
	mvm->mem_count = 1;
	mvm->mem[0] = (struct mem_region){ RAM_IPA, (uint64_t)(uintptr_t)mvm_ram, MVM_RAM_SIZE };
	mvm->vcpu_count = 1;
	mvm->vcpus[0].power = VCPU_ON;
	vgic_vm_init(mvm, 64);
	vgic_vcpu_init(&mvm->vcpus[0]);
	assert_int_equal(events_setup(mvm, ipa_init(MVM_RING), 4096), SHYPER_OK);

	gvm = &hv_state->vms[2];
	gvm->id = 2;
	gvm->type = VM_TYPE_GVM;
	gvm->state = VM_STATE_DEFINED;
	strcpy(gvm->name, "guest");
	gvm->mem_count = 1;
	gvm->mem[0] = (struct mem_region){ RAM_IPA, (uint64_t)(uintptr_t)ram, RAM_SIZE };
	gvm->vcpu_count = 1;
	vcpu = &gvm->vcpus[0];
	vcpu->vm_id = gvm->id;
	vcpu->power = VCPU_ON;
	vgic_vm_init(gvm, SHYPER_GUEST_NR_SPIS);
	vgic_vcpu_init(vcpu);
	vconsole_init(&gvm->console, SHYPER_GUEST_UART_BASE, 32 + SHYPER_GUEST_UART_SPI);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	free(mvm_ram);
	unit_state_free();
	return 0;
}

/* ---- the MVM's side ---- */

static uint64_t out1, out2, out3;

static int64_t hc_from(struct vcpu *v, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		       uint64_t a4)
{
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.x[0] = fid;
	v->regs.x[1] = a1;
	v->regs.x[2] = a2;
	v->regs.x[3] = a3;
	v->regs.x[4] = a4;
	hypercall_handle(v);
	out1 = v->regs.x[1];
	out2 = v->regs.x[2];
	out3 = v->regs.x[3];
	return (int64_t)v->regs.x[0];
}

static int64_t hc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	return hc_from(&mvm->vcpus[0], fid, a1, a2, a3, a4);
}

static int64_t add_device(const struct shyper_device_config *dev)
{
	memcpy(mvm_at(MVM_DEV_CFG), dev, sizeof(*dev));
	return hc(SHYPER_HC_VM_ADD_DEVICE, gvm->id, MVM_DEV_CFG, sizeof(*dev), 0);
}

static struct shyper_device_config blk_at(uint32_t slot, uint64_t capacity, uint32_t flags)
{
	return (struct shyper_device_config){ .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					      .kind = SHYPER_DEV_VIRTIO_BLOCK,
					      .slot = slot,
					      .flags = flags,
					      .capacity = capacity };
}

static struct shyper_device_config net_at(uint32_t slot)
{
	return (struct shyper_device_config){ .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					      .kind = SHYPER_DEV_VIRTIO_NET,
					      .slot = slot,
					      .mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
}

/* FETCH into the MVM's buffer; token, readable and room in out1..3. */
static int64_t fetch(unsigned slot, unsigned q, uint64_t len)
{
	return hc(SHYPER_HC_VIO_FETCH, gvm->id, slot | q << 8, MVM_BUF, len);
}

static int64_t complete(uint64_t token, const void *answer, uint64_t len)
{
	if (len)
		memcpy(mvm_at(MVM_BUF), answer, len);
	return hc(SHYPER_HC_VIO_COMPLETE, gvm->id, token, MVM_BUF, len);
}

static struct shyper_event_ring *event_ring(void)
{
	return mvm_at(MVM_RING);
}

static uint32_t events(void)
{
	return event_ring()->head;
}

/* ---- the guest driver's side ---- */

static unsigned cur_slot;

static uint32_t rd(uint64_t off)
{
	uint64_t v = 0xdeadbeef;

	assert_true(virtio_mmio_access(vcpu, BASE + cur_slot * SHYPER_GUEST_VIRTIO_STRIDE + off,
				       4, false, &v));
	return (uint32_t)v;
}

static uint64_t rd_config(uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_true(virtio_mmio_access(vcpu,
				       BASE + cur_slot * SHYPER_GUEST_VIRTIO_STRIDE + CONFIG + off,
				       size, false, &v));
	return v;
}

static void wr(uint64_t off, uint32_t val)
{
	uint64_t v = val;

	assert_true(virtio_mmio_access(vcpu, BASE + cur_slot * SHYPER_GUEST_VIRTIO_STRIDE + off, 4,
				       true, &v));
}

static bool needs_reset(void)
{
	return rd(STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

static uint64_t features(void)
{
	wr(DEV_FEATURES_SEL, 0);
	uint64_t lo = rd(DEV_FEATURES);

	wr(DEV_FEATURES_SEL, 1);
	return lo | (uint64_t)rd(DEV_FEATURES) << 32;
}

static void queue_setup(uint32_t q, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(QUEUE_SEL, q);
	wr(QUEUE_NUM, QSIZE);
	wr(DESC_LO, (uint32_t)desc);
	wr(DESC_HI, (uint32_t)(desc >> 32));
	wr(DRIVER_LO, (uint32_t)avail);
	wr(DRIVER_HI, (uint32_t)(avail >> 32));
	wr(DEVICE_LO, (uint32_t)used);
	wr(DEVICE_HI, (uint32_t)(used >> 32));
	wr(QUEUE_READY, 1);
}

static void driver_up(unsigned queues)
{
	uint64_t f = features();

	wr(STATUS, 0);
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(DRV_FEATURES_SEL, 0);
	wr(DRV_FEATURES, (uint32_t)f);
	wr(DRV_FEATURES_SEL, 1);
	wr(DRV_FEATURES, (uint32_t)(f >> 32));
	wr(STATUS, S_UP & ~VIRTIO_STATUS_DRIVER_OK);
	queue_setup(0, Q0_DESC, Q0_AVAIL, Q0_USED);
	if (queues > 1)
		queue_setup(1, Q1_DESC, Q1_AVAIL, Q1_USED);
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

static void set_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	((struct desc *)at(table))[i] = (struct desc){ addr, len, flags, next };
}

static void make_avail(uint64_t avail, uint16_t head)
{
	uint16_t idx = *(uint16_t *)at(avail + 2);

	*(uint16_t *)at(avail + 4 + 2 * (idx % QSIZE)) = head;
	*(uint16_t *)at(avail + 2) = (uint16_t)(idx + 1);
}

static void offer(uint32_t q, uint64_t avail, uint16_t head)
{
	make_avail(avail, head);
	wr(QUEUE_NOTIFY, q);
}

static uint16_t used_idx(uint64_t used)
{
	return *(uint16_t *)at(used + 2);
}

static uint32_t used_id(uint64_t used, uint16_t n)
{
	return *(uint32_t *)at(used + 4 + 8 * (n % QSIZE));
}

static uint32_t used_len(uint64_t used, uint16_t n)
{
	return *(uint32_t *)at(used + 4 + 8 * (n % QSIZE) + 4);
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

	memcpy(at(HDR(head)), &hdr, sizeof(hdr));
	*(uint8_t *)at(STAT(head)) = 0xee;
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
	return *(uint8_t *)at(STAT(head));
}

/* ---- features, config, VM_ADD_DEVICE ---- */

static void test_blk_features_and_config(void **state)
{
	struct shyper_device_config ro = blk_at(1, 1ULL << 40, SHYPER_DEV_F_READONLY);

	(void)state;
	blk_up(0);
	assert_int_equal(rd(DEVICE_ID), VIRTIO_ID_BLOCK);
	assert_int_equal(features(), VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_SIZE_MAX |
					     VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH);
	assert_int_equal(rd_config(0, 8), CAPACITY);
	assert_int_equal(rd_config(8, 4), VIRTIO_BLK_SIZE_MAX);
	assert_int_equal(rd_config(12, 4), VIRTIO_BLK_SEG_MAX);
	/* What the driver may send fits one FETCH buffer, header and all. */
	assert_true(rd_config(8, 4) * rd_config(12, 4) + 16 <= VIO_IO_MAX);
	wr(QUEUE_SEL, 0);
	assert_int_equal(rd(QUEUE_NUM_MAX), 256);
	wr(QUEUE_SEL, 1);
	assert_int_equal(rd(QUEUE_NUM_MAX), 0);

	gvm->state = VM_STATE_DEFINED;
	assert_int_equal(add_device(&ro), SHYPER_OK);
	cur_slot = 1;
	assert_int_equal(features(), VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_SIZE_MAX |
					     VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH |
					     VIRTIO_BLK_F_RO);
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
	assert_int_equal(features(), VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(rd_config(i, 1), dev.mac[i]);
	assert_int_equal(rd_config(6, 2), 0);
	wr(QUEUE_SEL, 1);
	assert_int_equal(rd(QUEUE_NUM_MAX), 256);
	wr(QUEUE_SEL, 2);
	assert_int_equal(rd(QUEUE_NUM_MAX), 0);
	/* No offloads: asking for checksum offload is refused. */
	wr(STATUS, 0);
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(DRV_FEATURES_SEL, 0);
	wr(DRV_FEATURES, (uint32_t)(VIRTIO_NET_F_MAC | BIT(0)));
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

/* ---- FETCH and COMPLETE ---- */

static void test_blk_write_then_read(void **state)
{
	uint8_t answer[1025];
	struct blk_hdr hdr;
	uint64_t token;

	(void)state;
	blk_up(0);
	memset(at(BUF(0)), 'w', 512);
	blk_request(0, VIRTIO_BLK_T_OUT, 2, 512);
	memset(mvm_at(MVM_BUF), 0, 1024);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = out1;
	assert_int_equal(out2, 16 + 512);
	assert_int_equal(out3, 1);
	memcpy(&hdr, mvm_at(MVM_BUF), sizeof(hdr));
	assert_int_equal(hdr.type, VIRTIO_BLK_T_OUT);
	assert_int_equal(hdr.sector, 2);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[16], 'w');
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[16 + 511], 'w');
	assert_int_equal(used_idx(Q0_USED), 0);
	/* The backend wrote it: status OK. */
	answer[0] = VIRTIO_BLK_S_OK;
	assert_int_equal(complete(token, answer, 1), SHYPER_OK);
	assert_int_equal(out1, 1);
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
	token = out1;
	assert_int_equal(out2, 16);
	assert_int_equal(out3, 1025);
	memset(answer, 'r', 1024);
	answer[1024] = VIRTIO_BLK_S_OK;
	/* More than the room: only the room is given. */
	assert_int_equal(hc(SHYPER_HC_VIO_COMPLETE, gvm->id, token, MVM_BUF, 4096), SHYPER_OK);
	assert_int_equal(out1, 1025);
	(void)complete;
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
	assert_int_equal(complete(out1, answer, sizeof(answer)), SHYPER_OK);
	assert_int_equal(out1, 1025);
	assert_int_equal(((uint8_t *)at(BUF(3)))[0], 'r');
	assert_int_equal(((uint8_t *)at(BUF(3)))[1023], 'r');
	assert_int_equal(((uint8_t *)at(BUF(3)))[1024], 0); /* nothing past the buffer */
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
	assert_int_equal(out2, 16 + 1024);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[0], 0x5a); /* nothing copied */
	assert_int_equal(gvm->virtio[0].vq[0].last_avail, 0);  /* not consumed */
	/* The same chain, with a big enough buffer. */
	assert_int_equal(fetch(0, 0, 16 + 1024), SHYPER_OK);
	assert_int_equal(out2, 16 + 1024);
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
	token = out1;
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
	token = out1;
	gvm->state = VM_STATE_SHUTOFF;
	assert_int_equal(vm_start(gvm), SHYPER_OK);
	assert_int_equal(complete(token, &ok, 1), SHYPER_E_INVALID);
	assert_int_equal(used_idx(Q0_USED), 0);
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
	assert_int_equal(out2, 16);
	assert_int_equal(out3, 513);
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
	assert_int_equal(out2, 16);
	assert_int_equal(out3, 1);
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
	assert_int_equal(hc(SHYPER_HC_VIO_COMPLETE, gvm->id, out1, MVM_BUF, 513),
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
		assert_int_equal(out1 & 0xffff, i);
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
	memset(at(DATA), 't', sizeof(frame));
	set_desc(Q1_DESC, 0, DATA, sizeof(frame), 0, 0);
	offer(1, Q1_AVAIL, 0);
	assert_int_equal(event_ring()->ev[events() - 1].data[1], 2);
	assert_int_equal(fetch(0, 1, MVM_BUF_SIZE), SHYPER_OK);
	assert_int_equal(out2, sizeof(frame));
	assert_int_equal(out3, 0);
	assert_int_equal(((uint8_t *)mvm_at(MVM_BUF))[71], 't');
	assert_int_equal(complete(out1, NULL, 0), SHYPER_OK);
	assert_int_equal(used_idx(Q1_USED), 1);
	assert_int_equal(used_len(Q1_USED, 0), 0);

	/* Receive: the guest posts a buffer; none readable, room for a frame. */
	set_desc(Q0_DESC, 0, DATA + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0);
	offer(0, Q0_AVAIL, 0);
	assert_int_equal(fetch(0, 0, MVM_BUF_SIZE), SHYPER_OK);
	token = out1;
	assert_int_equal(out2, 0);
	assert_int_equal(out3, 1526);
	memset(frame, 'f', sizeof(frame));
	assert_int_equal(complete(token, frame, sizeof(frame)), SHYPER_OK);
	assert_int_equal(out1, sizeof(frame));
	assert_int_equal(used_len(Q0_USED, 0), sizeof(frame));
	assert_memory_equal(at(DATA + 0x1000), frame, sizeof(frame));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_blk_features_and_config),
		T(test_net_features_and_config),
		T(test_add_mediated_device_checks),
		T(test_notify_posts_one_event),
		T(test_blk_write_then_read),
		T(test_blk_read_data_lands_in_order),
		T(test_fetch_buffer_too_small),
		T(test_stale_tokens_refused),
		T(test_blk_bad_requests_answered_by_hypervisor),
		T(test_blk_readonly_refuses_writes),
		T(test_hostile_chains_need_reset),
		T(test_fetch_argument_checks),
		T(test_inflight_table_is_bounded),
		T(test_net_transmit_and_receive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
