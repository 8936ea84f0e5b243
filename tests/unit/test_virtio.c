// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio for guests: SHYPER_HC_VM_ADD_DEVICE (core/vm_device.c), the
 * virtio-mmio transport (devices/virtio_mmio.c: registers, feature
 * negotiation, queue setup, notification, DEVICE_NEEDS_RESET on anything
 * malformed) and the virtio console (devices/virtio_console.c) with the
 * VM's console ring, driven the way Linux's virtio_mmio and virtio_console
 * drive them, and the way a hostile guest might. The machine and the
 * driver's helpers are virtio_fixture.c's.
 */
#include <hv/events.h>
#include <hv/hypercall.h>
#include <hv/vgic.h>
#include <hv/virtio.h>
#include <hv/vm_lifecycle.h>
#include <shyper/abi.h>
#include "unit.h"
#include "virtio_fixture.h"

/* The console's receiveq is queue 0, its transmitq queue 1. */
#define RXQ_DESC Q0_DESC
#define RXQ_AVAIL Q0_AVAIL
#define RXQ_USED Q0_USED
#define TXQ_DESC Q1_DESC
#define TXQ_AVAIL Q1_AVAIL
#define TXQ_USED Q1_USED

#define INTID (32 + SHYPER_GUEST_VIRTIO_SPI)

#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRIVER VIRTIO_STATUS_DRIVER
#define S_FEATURES_OK VIRTIO_STATUS_FEATURES_OK
#define S_DRIVER_OK VIRTIO_STATUS_DRIVER_OK
#define S_NEEDS_RESET VIRTIO_STATUS_NEEDS_RESET

static int setup(void **state)
{
	(void)state;
	return fixture_setup(false); /* no event ring: the console's input is polled */
}

static int teardown(void **state)
{
	bool intact = fixture_guards_intact();

	(void)state;
	fixture_teardown();
	return intact ? 0 : -1;
}

/* ---- the MVM's side ---- */

static void add_console(void)
{
	struct shyper_device_config dev = console_at(0);

	assert_int_equal(add_device(&dev), SHYPER_OK);
	gvm->state = VM_STATE_RUNNING;
}

/* CONSOLE_WRITE from the MVM; returns the bytes accepted. */
static uint64_t console_write(const char *text)
{
	memcpy(mvm_at(RAM_IPA + 0x1000), text, strlen(text));
	assert_int_equal(hc(SHYPER_HC_CONSOLE_WRITE, gvm->id, RAM_IPA + 0x1000, strlen(text), 0),
			 SHYPER_OK);
	return hc_out[1];
}

/* What the guest printed, as CONSOLE_READ would give it. */
static const char *console_output(void)
{
	static char text[VCONSOLE_OUT_SIZE + 1];
	uint64_t start;
	size_t n = vconsole_read(gvm, 0, (uint8_t *)text, VCONSOLE_OUT_SIZE, &start);

	text[n] = '\0';
	return text;
}

/* ---- the guest driver's side ---- */

static bool line_high(void)
{
	return gvm->vgic.spi[INTID - 32].flags & VIRQ_LINE_HIGH;
}

/* What Linux does: negotiate, both queues, DRIVER_OK. */
static void driver_up(void)
{
	negotiate(VIRTIO_F_VERSION_1);
	assert_int_equal(rd(STATUS), S_ACK | S_DRIVER | S_FEATURES_OK);
	queue_setup(0, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	queue_setup(1, QSIZE, TXQ_DESC, TXQ_AVAIL, TXQ_USED);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	assert_false(needs_reset());
}

static void transmit(uint16_t head, const char *text)
{
	memcpy(guest_at(DATA + 0x1000 * head), text, strlen(text));
	set_desc(TXQ_DESC, head, DATA + 0x1000 * head, (uint32_t)strlen(text), 0, 0);
	offer(1, TXQ_AVAIL, head);
}

/* ---- SHYPER_HC_VM_ADD_DEVICE ---- */

static void test_add_device_checks_every_field(void **state)
{
	struct shyper_device_config dev;

	(void)state;
	dev = console_at(SHYPER_GUEST_VIRTIO_SLOTS);
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.flags = SHYPER_DEV_F_READONLY;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.reserved0[1] = 1;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.reserved1 = 1;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.capacity = 8;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.mac[5] = 1;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.base = 0x9000000;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.spi = 3;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev = console_at(0);
	dev.kind = 0;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev.kind = SHYPER_DEV_VIRTIO_RNG + 1;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	/* Sizes: the buffer at least v1, the struct no larger than the buffer. */
	dev = console_at(0);
	assert_int_equal(add_device_to(gvm->id, &dev, sizeof(dev) - 1), SHYPER_E_INVALID);
	dev.size = SHYPER_DEVICE_CONFIG_SIZE_V1 - 8;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev.size = SHYPER_DEVICE_CONFIG_SIZE_V1 + 8;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	/* Nothing was added. */
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++)
		assert_int_equal(gvm->virtio[i].device_id, VIRTIO_ID_NONE);
}

static void test_add_device_kinds_and_slots(void **state)
{
	struct shyper_device_config dev = console_at(3);

	(void)state;
	/* Block and net have their own settings (test_vio.c): none here. */
	dev.kind = SHYPER_DEV_VIRTIO_BLOCK;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);
	dev.kind = SHYPER_DEV_VIRTIO_NET;
	assert_int_equal(add_device(&dev), SHYPER_E_INVALID);

	dev = console_at(3);
	assert_int_equal(add_device(&dev), SHYPER_OK);
	assert_int_equal(gvm->virtio[3].device_id, VIRTIO_ID_CONSOLE);
	assert_int_equal(gvm->virtio[3].intid, 32 + SHYPER_GUEST_VIRTIO_SPI + 3);
	/* The slot is taken; a second console is one too many. */
	assert_int_equal(add_device(&dev), SHYPER_E_BUSY);
	dev = console_at(4);
	assert_int_equal(add_device(&dev), SHYPER_E_EXISTS);
	assert_int_equal(gvm->virtio[4].device_id, VIRTIO_ID_NONE);
	/* Only the slot that has a device answers. */
	assert_true(virtio_mmio_claims(gvm, BASE + 3 * SHYPER_GUEST_VIRTIO_STRIDE + 0x70));
	assert_false(virtio_mmio_claims(gvm, BASE + 4 * SHYPER_GUEST_VIRTIO_STRIDE));
	assert_false(virtio_mmio_claims(gvm, BASE + 2 * SHYPER_GUEST_VIRTIO_STRIDE + 0x1ff));
	assert_int_equal(rd_slot(3, MAGIC), 0x74726976);
}

static void test_add_device_who_and_when(void **state)
{
	struct shyper_device_config dev = console_at(0);

	(void)state;
	/* A VM that has run (or runs) keeps the machine it has. */
	gvm->state = VM_STATE_SHUTOFF;
	assert_int_equal(add_device(&dev), SHYPER_E_BUSY);
	gvm->state = VM_STATE_RUNNING;
	assert_int_equal(add_device(&dev), SHYPER_E_BUSY);
	gvm->state = VM_STATE_DEFINED;
	/* Not the MVM, not a VM that does not exist, not a bad buffer. */
	assert_int_equal(add_device_to(0, &dev, sizeof(dev)), SHYPER_E_DENIED);
	assert_int_equal(add_device_to(5, &dev, sizeof(dev)), SHYPER_E_NO_ENTRY);
	assert_int_equal(hc(SHYPER_HC_VM_ADD_DEVICE, gvm->id, RAM_IPA + MVM_RAM_SIZE - 8,
			    sizeof(dev), 0),
			 SHYPER_E_BAD_ADDRESS);
	/* A guest may not make the call. */
	memcpy(ram, &dev, sizeof(dev));
	assert_int_equal(hc_from(vcpu, SHYPER_HC_VM_ADD_DEVICE, gvm->id, RAM_IPA, sizeof(dev), 0),
			 SHYPER_E_DENIED);
	assert_int_equal(gvm->virtio[0].device_id, VIRTIO_ID_NONE);
}

/* ---- transport ---- */

static void test_identification_registers(void **state)
{
	(void)state;
	add_console();
	assert_int_equal(rd(MAGIC), 0x74726976);
	assert_int_equal(rd(VERSION), 2);
	assert_int_equal(rd(DEVICE_ID), VIRTIO_ID_CONSOLE);
	assert_int_not_equal(rd(VENDOR_ID), 0);
	wr(DEV_FEATURES_SEL, 0);
	assert_int_equal(rd(DEV_FEATURES), VIRTIO_RING_F_INDIRECT_DESC);
	wr(DEV_FEATURES_SEL, 1);
	assert_int_equal(rd(DEV_FEATURES), 1); /* VIRTIO_F_VERSION_1 */
	wr(DEV_FEATURES_SEL, 7);
	assert_int_equal(rd(DEV_FEATURES), 0);
	wr(QUEUE_SEL, 0);
	assert_int_equal(rd(QUEUE_NUM_MAX), 256);
	wr(QUEUE_SEL, 1);
	assert_int_equal(rd(QUEUE_NUM_MAX), 256);
	wr(QUEUE_SEL, 2); /* no such queue: zero, as the spec says */
	assert_int_equal(rd(QUEUE_NUM_MAX), 0);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_int_equal(rd(CONFIG_GEN), 0);
	assert_int_equal(rd(STATUS), 0);
	assert_int_equal(rd(INT_STATUS), 0);
	assert_false(needs_reset());
	assert_false(line_high());
}

static void test_malformed_accesses_ask_for_reset(void **state)
{
	static const struct {
		uint64_t off;
		unsigned size;
		bool write;
	} bad[] = {
		{ MAGIC, 1, false },         /* byte access to a register */
		{ STATUS, 2, false },
		{ STATUS, 8, false },
		{ VERSION + 1, 4, false },   /* misaligned */
		{ 0x0c0, 4, false },         /* no register there */
		{ DRV_FEATURES, 4, false },  /* write-only */
		{ QUEUE_NOTIFY, 4, false },
		{ MAGIC, 4, true },          /* read-only */
		{ INT_STATUS, 4, true },
		{ CONFIG + 12, 4, false },   /* past the console's config */
		{ CONFIG + 1, 2, false },    /* misaligned config access */
		{ CONFIG, 3, false },
	};

	(void)state;
	add_console();
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v = 0x1234;

		driver_up();
		assert_false(line_high());
		assert_true(virtio_mmio_access(vcpu, BASE + bad[i].off, bad[i].size, bad[i].write,
					       &v));
		if (!bad[i].write)
			assert_int_equal(v, 0);
		assert_true(needs_reset());
		assert_int_equal(rd(INT_STATUS) & VIRTIO_INT_CONFIG, VIRTIO_INT_CONFIG);
		assert_true(line_high());
		/* The driver's own bits are untouched; it acknowledges, then resets. */
		assert_int_equal(rd(STATUS) & ~S_NEEDS_RESET,
				 S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
		wr(INT_ACK, VIRTIO_INT_CONFIG);
		assert_false(line_high());
		wr(STATUS, 0);
		assert_int_equal(rd(STATUS), 0);
		assert_int_equal(rd(QUEUE_READY), 0);
	}
	/* Config space within the console's 12 bytes: zeroes, any width. */
	for (unsigned off = 0; off < 12; off += 4) {
		uint64_t v = 1;

		assert_true(virtio_mmio_access(vcpu, BASE + CONFIG + off, 4, false, &v));
		assert_int_equal(v, 0);
	}
	assert_false(needs_reset());
}

static void test_feature_negotiation(void **state)
{
	(void)state;
	add_console();
	/* A legacy driver (no VERSION_1): FEATURES_OK does not stick. */
	negotiate(0);
	assert_int_equal(rd(STATUS), S_ACK | S_DRIVER);
	assert_false(needs_reset());
	/* A feature the device never offered: refused the same way. */
	negotiate(VIRTIO_F_VERSION_1 | BIT(0) /* VIRTIO_CONSOLE_F_SIZE */);
	assert_int_equal(rd(STATUS), S_ACK | S_DRIVER);
	negotiate(VIRTIO_F_VERSION_1 | BIT(40));
	assert_int_equal(rd(STATUS), S_ACK | S_DRIVER);
	/* DRIVER_OK without FEATURES_OK is a broken driver. */
	wr(STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
	assert_true(needs_reset());

	negotiate(VIRTIO_F_VERSION_1);
	assert_int_equal(rd(STATUS), S_ACK | S_DRIVER | S_FEATURES_OK);
	/* Settled: changing features now is malformed. */
	wr(DRV_FEATURES_SEL, 0);
	assert_false(needs_reset());
	wr(DRV_FEATURES, 1);
	assert_true(needs_reset());

	/* Status bits are only ever added; taking one away is malformed. */
	negotiate(VIRTIO_F_VERSION_1);
	wr(STATUS, S_ACK | S_FEATURES_OK);
	assert_true(needs_reset());
	/* Unknown status bits too. */
	negotiate(VIRTIO_F_VERSION_1);
	wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | 0x10);
	assert_true(needs_reset());
	/* Features words above 1 exist but are all zero. */
	negotiate(VIRTIO_F_VERSION_1);
	wr(STATUS, 0);
	wr(DRV_FEATURES_SEL, 2);
	wr(DRV_FEATURES, 0);
	assert_false(needs_reset());
	wr(DRV_FEATURES, 1);
	assert_true(needs_reset());
}

static void test_queue_setup_validation(void **state)
{
	(void)state;
	add_console();
	/* Before FEATURES_OK a queue cannot be made ready. */
	wr(STATUS, S_ACK | S_DRIVER);
	queue_setup(0, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	assert_true(needs_reset());
	assert_int_equal(rd(QUEUE_READY), 0);

	/* Rings outside the guest's RAM, straddling its end, misaligned. */
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, QSIZE, RAM_IPA + RAM_SIZE, RXQ_AVAIL, RXQ_USED);
	assert_true(needs_reset());
	assert_int_equal(rd(QUEUE_READY), 0);
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, QSIZE, RXQ_DESC, RAM_IPA + RAM_SIZE - 8, RXQ_USED);
	assert_true(needs_reset());
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, QSIZE, RXQ_DESC, RXQ_AVAIL, 0x1000ULL << 32);
	assert_true(needs_reset());
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, QSIZE, RXQ_DESC + 8, RXQ_AVAIL, RXQ_USED);
	assert_true(needs_reset());
	/* Sizes: a power of two, at most QueueNumMax, not zero. */
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, 12, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	assert_true(needs_reset());
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, 0, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	assert_true(needs_reset());
	negotiate(VIRTIO_F_VERSION_1);
	wr(QUEUE_SEL, 0);
	wr(QUEUE_NUM, 512);
	assert_true(needs_reset());
	/* A queue that does not exist. */
	negotiate(VIRTIO_F_VERSION_1);
	wr(QUEUE_SEL, 2);
	wr(QUEUE_NUM, QSIZE);
	assert_true(needs_reset());
	negotiate(VIRTIO_F_VERSION_1);
	wr(QUEUE_SEL, 5);
	wr(QUEUE_READY, 1);
	assert_true(needs_reset());

	/* A good queue; once live, its registers are fixed. */
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	assert_false(needs_reset());
	assert_int_equal(rd(QUEUE_READY), 1);
	assert_int_equal(gvm->virtio[0].vq[0].size, QSIZE);
	assert_int_equal(gvm->virtio[0].vq[0].desc, RXQ_DESC);
	assert_int_equal(gvm->virtio[0].vq[0].avail, RXQ_AVAIL);
	assert_int_equal(gvm->virtio[0].vq[0].used, RXQ_USED);
	wr(DESC_LO, 0x2000);
	assert_true(needs_reset());
	assert_int_equal(gvm->virtio[0].vq[0].desc, RXQ_DESC);
	/* QueueReady 0 takes it down (Linux does, deleting its queues). */
	negotiate(VIRTIO_F_VERSION_1);
	queue_setup(0, QSIZE, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
	wr(QUEUE_READY, 0);
	assert_int_equal(rd(QUEUE_READY), 0);
	assert_false(needs_reset());
	/* Reset forgets every queue. */
	wr(STATUS, 0);
	for (unsigned q = 0; q < 2; q++)
		assert_false(gvm->virtio[0].vq[q].ready);
}

static void test_transmit_goes_to_the_console_ring(void **state)
{
	(void)state;
	add_console();
	driver_up();
	transmit(0, "hello, ");
	assert_string_equal(console_output(), "hello, ");
	assert_int_equal(used_idx(TXQ_USED), 1);
	assert_int_equal(rd(INT_STATUS), VIRTIO_INT_USED);
	assert_true(line_high());
	wr(INT_ACK, VIRTIO_INT_USED);
	assert_int_equal(rd(INT_STATUS), 0);
	assert_false(line_high());

	/* A chain of two buffers, then one more chain: all of it, in order. */
	memcpy(guest_at(DATA + 0x5000), "wor", 3);
	memcpy(guest_at(DATA + 0x6000), "ld", 2);
	set_desc(TXQ_DESC, 5, DATA + 0x5000, 3, VIRTQ_DESC_F_NEXT, 6);
	set_desc(TXQ_DESC, 6, DATA + 0x6000, 2, 0, 0);
	offer(1, TXQ_AVAIL, 5);
	transmit(1, "!\n");
	assert_string_equal(console_output(), "hello, world!\n");
	assert_int_equal(used_idx(TXQ_USED), 3);
	assert_int_equal(gvm->console.out_written, 14);
	/* Nothing new: a notification changes nothing. */
	wr(QUEUE_NOTIFY, 1);
	assert_int_equal(used_idx(TXQ_USED), 3);
	/* The PL011 saw none of it, and the MVM is told there is output. */
	assert_int_equal(gvm->console.rx_head, 0);
	assert_false(gvm->console.notify_armed);
}

static void test_receive_fills_guest_buffers(void **state)
{
	(void)state;
	add_console();
	/* Typed before the driver is up: it waits. */
	assert_int_equal(console_write("ab"), 2);
	assert_int_equal(gvm->virtio[0].u.console.rx_head, 2);
	assert_int_equal(gvm->console.rx_head, 0); /* not the PL011's */
	driver_up();
	/* Linux fills receiveq before it is done probing. */
	set_desc(RXQ_DESC, 0, DATA, 4, VIRTQ_DESC_F_WRITE, 0);
	set_desc(RXQ_DESC, 1, DATA + 0x1000, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(0, RXQ_AVAIL, 0);
	assert_int_equal(used_idx(RXQ_USED), 1);
	assert_int_equal(used_len(RXQ_USED, 0), 2);
	assert_memory_equal(guest_at(DATA), "ab", 2);
	assert_true(line_high());
	wr(INT_ACK, VIRTIO_INT_USED);

	/* A buffer is waiting: input goes into it at once, up to its size. */
	*(uint16_t *)guest_at(RXQ_AVAIL + 4 + 2) = 1;
	*(uint16_t *)guest_at(RXQ_AVAIL + 2) = 2;
	assert_int_equal(console_write("echo hi-$((6*7))\n"), 17);
	assert_int_equal(used_idx(RXQ_USED), 2);
	assert_int_equal(used_len(RXQ_USED, 1), 17);
	assert_memory_equal(guest_at(DATA + 0x1000), "echo hi-$((6*7))\n", 17);
	assert_true(line_high());
	/* No buffer: input waits, as much as fits. */
	for (unsigned i = 0; i < VIRTIO_CONSOLE_RX_SIZE / 16; i++)
		assert_int_equal(console_write("0123456789abcdef"), 16);
	assert_int_equal(console_write("x"), 0);
	/* A small buffer takes what it can hold; the rest keeps waiting. */
	set_desc(RXQ_DESC, 2, DATA + 0x2000, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(0, RXQ_AVAIL, 2);
	assert_int_equal(used_len(RXQ_USED, 2), 8);
	assert_memory_equal(guest_at(DATA + 0x2000), "01234567", 8);
	assert_int_equal(console_write("x"), 1);
}

static void test_input_goes_to_the_pl011_without_virtio_console(void **state)
{
	(void)state;
	gvm->state = VM_STATE_RUNNING;
	assert_int_equal(console_write("ab"), 2);
	assert_int_equal(gvm->console.rx_head, 2);
}

static void test_hostile_rings_need_reset(void **state)
{
	(void)state;
	add_console();

	/* A transmit chain that loops. */
	driver_up();
	set_desc(TXQ_DESC, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(TXQ_DESC, 1, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(1, TXQ_AVAIL, 0);
	assert_true(needs_reset());
	assert_int_equal(rd(INT_STATUS) & VIRTIO_INT_CONFIG, VIRTIO_INT_CONFIG);
	assert_int_equal(used_idx(TXQ_USED), 0);
	assert_int_equal(gvm->console.out_written, 0);
	/* Stopped until reset: good buffers are not touched either. */
	transmit(2, "late");
	assert_int_equal(gvm->console.out_written, 0);

	/* A transmit buffer the device would write into. */
	memset(ram, 0, RAM_SIZE);
	driver_up();
	set_desc(TXQ_DESC, 0, DATA, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(1, TXQ_AVAIL, 0);
	assert_true(needs_reset());
	assert_int_equal(gvm->console.out_written, 0);

	/* A buffer outside the guest's RAM. */
	memset(ram, 0, RAM_SIZE);
	driver_up();
	set_desc(TXQ_DESC, 0, RAM_IPA + RAM_SIZE - 2, 4, 0, 0);
	offer(1, TXQ_AVAIL, 0);
	assert_true(needs_reset());

	/* A head index past the queue. */
	memset(ram, 0, RAM_SIZE);
	driver_up();
	offer(1, TXQ_AVAIL, QSIZE);
	assert_true(needs_reset());

	/* An avail index that runs ahead of the queue. */
	memset(ram, 0, RAM_SIZE);
	driver_up();
	*(uint16_t *)guest_at(TXQ_AVAIL + 2) = QSIZE + 1;
	wr(QUEUE_NOTIFY, 1);
	assert_true(needs_reset());

	/* A receive buffer the device may only read. */
	memset(ram, 0, RAM_SIZE);
	driver_up();
	set_desc(RXQ_DESC, 0, DATA, 4, 0, 0);
	offer(0, RXQ_AVAIL, 0);
	console_write("z");
	assert_true(needs_reset());
	assert_int_equal(used_idx(RXQ_USED), 0);
	assert_int_equal(*(uint8_t *)guest_at(DATA), 0);

	/* A notification of a queue that does not exist. */
	memset(ram, 0, RAM_SIZE);
	driver_up();
	wr(QUEUE_NOTIFY, 2);
	assert_true(needs_reset());

	/* After a reset the device works again. */
	memset(ram, 0, RAM_SIZE);
	driver_up();
	transmit(0, "ok");
	assert_int_equal(used_idx(TXQ_USED), 1);
	assert_contains(console_output(), "ok");
}

static void test_restart_resets_devices(void **state)
{
	(void)state;
	add_console();
	driver_up();
	console_write("pending");
	gvm->state = VM_STATE_SHUTOFF;
	assert_int_equal(vm_start(gvm), SHYPER_OK);
	assert_int_equal(gvm->virtio[0].device_id, VIRTIO_ID_CONSOLE);
	assert_int_equal(rd(STATUS), 0);
	assert_int_equal(rd(INT_STATUS), 0);
	for (unsigned q = 0; q < 2; q++)
		assert_false(gvm->virtio[0].vq[q].ready);
	assert_int_equal(gvm->virtio[0].u.console.rx_head - gvm->virtio[0].u.console.rx_tail, 0);
	assert_false(line_high());
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_device_checks_every_field),
		T(test_add_device_kinds_and_slots),
		T(test_add_device_who_and_when),
		T(test_identification_registers),
		T(test_malformed_accesses_ask_for_reset),
		T(test_feature_negotiation),
		T(test_queue_setup_validation),
		T(test_transmit_goes_to_the_console_ring),
		T(test_receive_fills_guest_buffers),
		T(test_input_goes_to_the_pl011_without_virtio_console),
		T(test_hostile_rings_need_reset),
		T(test_restart_resets_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
