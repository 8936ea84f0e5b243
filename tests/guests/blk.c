// SPDX-License-Identifier: GPL-2.0
/*
 * The test guest's virtio-blk driver, over virtio-mmio at the slots of
 * <shyper/abi.h>, polled (no interrupts). It is a driver that also breaks
 * the rules on purpose: blk_hostile() sends the requests a hostile guest
 * would (outside the disk, sector numbers whose byte offset overflows,
 * odd lengths, writes to a read-only disk, chains that leave guest RAM or
 * loop, a queue size that is no power of two) and prints what each got:
 *
 *   blk: NAME status=N             the status byte the device wrote
 *                                  (255: it wrote none; "timeout": no answer)
 *   blk: NAME needs-reset=yes|no   a broken ring: the device must stop and
 *                                  ask for a reset, then work again:
 *   blk: NAME after-reset status=N match=yes|no
 *
 * blk_read_sum() reads the start of a disk and prints a checksum of it;
 * blk_storm() keeps a full queue of reads and writes going for ever (a
 * guest to destroy while its requests are in flight); blk_dirty() writes
 * its disk over and over and checks every pass (a guest to migrate with
 * its disk).
 */
#include <shyper/abi.h>

#include "testguest.h"

/* virtio-mmio registers (virtio 1.x 4.2.2). */
#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC 0x080
#define MMIO_QUEUE_DRIVER 0x090
#define MMIO_QUEUE_DEVICE 0x0a0
#define MMIO_CONFIG 0x100

#define STATUS_ACKNOWLEDGE 0x01
#define STATUS_DRIVER 0x02
#define STATUS_DRIVER_OK 0x04
#define STATUS_FEATURES_OK 0x08
#define STATUS_NEEDS_RESET 0x40

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8

#define SECTOR 512
#define QUEUE_SIZE 64
#define DATA_BYTES (64 * 1024)
/* More than one fetch or answer moves (SHYPER_VIO_IO_MAX, 2 MiB), and within
 * the 8 MiB of RAM the test gives this guest. */
#define BEYOND_FETCH (DATA_BYTES * 40)
#define STORM_REQUESTS 16
#define STORM_BYTES 4096

/* Results that are no status byte. */
#define RESULT_TIMEOUT (-1)
#define RESULT_NEEDS_RESET (-2)

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QUEUE_SIZE];
	uint16_t used_event;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct {
		uint32_t id;
		uint32_t len;
	} ring[QUEUE_SIZE];
	uint16_t avail_event;
};

struct blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* One device's queue, each ring on a page of its own. */
struct rings {
	struct vring_desc desc[QUEUE_SIZE] __attribute__((aligned(4096)));
	struct vring_avail avail __attribute__((aligned(4096)));
	struct vring_used used __attribute__((aligned(4096)));
};

struct blk_dev {
	unsigned int slot;
	struct rings *r;
	uint64_t capacity; /* sectors */
	uint16_t avail_idx, used_seen;
};

/* The disk under test and the read-only one. */
static struct rings rings[2];
static struct blk_header headers[STORM_REQUESTS] __attribute__((aligned(16)));
static volatile uint8_t statuses[STORM_REQUESTS][8] __attribute__((aligned(8)));
static uint8_t data[DATA_BYTES] __attribute__((aligned(4096)));
static uint8_t storm_data[STORM_REQUESTS][STORM_BYTES] __attribute__((aligned(4096)));

static volatile uint32_t *mmio(const struct blk_dev *dev, unsigned int off)
{
	return (volatile uint32_t *)(uintptr_t)(SHYPER_GUEST_VIRTIO_BASE +
						dev->slot * SHYPER_GUEST_VIRTIO_STRIDE + off);
}

static void barrier(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static void write_u64_reg(struct blk_dev *dev, unsigned int off, uint64_t value)
{
	*mmio(dev, off) = (uint32_t)value;
	*mmio(dev, off + 4) = (uint32_t)(value >> 32);
}


/*
 * Resets the device and sets it up with one queue of QSIZE entries at our
 * rings (or at DESC_AT, when not 0). Returns the status register after
 * DRIVER_OK, or 0 when the device is no virtio-blk device.
 */
static uint32_t blk_setup(struct blk_dev *dev, uint32_t qsize, uint64_t desc_at)
{
	if (*mmio(dev, MMIO_MAGIC) != 0x74726976U || *mmio(dev, MMIO_VERSION) != 2 ||
	    *mmio(dev, MMIO_DEVICE_ID) != 2)
		return 0;
	memset(dev->r, 0, sizeof(*dev->r));
	dev->avail_idx = dev->used_seen = 0;
	*mmio(dev, MMIO_STATUS) = 0;
	*mmio(dev, MMIO_STATUS) = STATUS_ACKNOWLEDGE;
	*mmio(dev, MMIO_STATUS) = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
	*mmio(dev, MMIO_DRIVER_FEATURES_SEL) = 0;
	*mmio(dev, MMIO_DRIVER_FEATURES) = 0;
	*mmio(dev, MMIO_DRIVER_FEATURES_SEL) = 1;
	*mmio(dev, MMIO_DRIVER_FEATURES) = 1; /* VIRTIO_F_VERSION_1 */
	*mmio(dev, MMIO_STATUS) = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;
	*mmio(dev, MMIO_QUEUE_SEL) = 0;
	*mmio(dev, MMIO_QUEUE_NUM) = qsize;
	write_u64_reg(dev, MMIO_QUEUE_DESC, desc_at ? desc_at : (uintptr_t)dev->r->desc);
	write_u64_reg(dev, MMIO_QUEUE_DRIVER, (uintptr_t)&dev->r->avail);
	write_u64_reg(dev, MMIO_QUEUE_DEVICE, (uintptr_t)&dev->r->used);
	barrier();
	*mmio(dev, MMIO_QUEUE_READY) = 1;
	if (*mmio(dev, MMIO_QUEUE_READY) == 1)
		*mmio(dev, MMIO_STATUS) = STATUS_ACKNOWLEDGE | STATUS_DRIVER |
					  STATUS_FEATURES_OK | STATUS_DRIVER_OK;
	dev->capacity = *mmio(dev, MMIO_CONFIG) | (uint64_t)*mmio(dev, MMIO_CONFIG + 4) << 32;
	return *mmio(dev, MMIO_STATUS);
}

static void desc_set(struct blk_dev *dev, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	dev->r->desc[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

/* Makes the chain at HEAD available (AVAIL_STEP positions on) and notifies. */
static void blk_kick(struct blk_dev *dev, uint16_t head, uint16_t avail_step)
{
	dev->r->avail.ring[dev->avail_idx % QUEUE_SIZE] = head;
	barrier();
	dev->avail_idx += avail_step;
	dev->r->avail.idx = dev->avail_idx;
	barrier();
	*mmio(dev, MMIO_QUEUE_NOTIFY) = 0;
}

/* Waits up to 10 s for the next used entry or a request for a reset. */
static int blk_wait(struct blk_dev *dev, uint32_t *used_len)
{
	uint64_t deadline = counter_ticks() + 10 * read_sysreg(cntfrq_el0);

	while (counter_ticks() < deadline) {
		barrier();
		if (*(volatile uint16_t *)&dev->r->used.idx != dev->used_seen) {
			*used_len = dev->r->used.ring[dev->used_seen % QUEUE_SIZE].len;
			dev->used_seen++;
			*mmio(dev, MMIO_INTERRUPT_ACK) = *mmio(dev, MMIO_INTERRUPT_STATUS);
			return 0;
		}
		if (*mmio(dev, MMIO_STATUS) & STATUS_NEEDS_RESET)
			return RESULT_NEEDS_RESET;
	}
	return RESULT_TIMEOUT;
}

/*
 * One request: header (HEADER_LEN bytes of it), then DATA_LEN bytes at
 * DATA_ADDR (device-writable if DATA_WRITES; none if DATA_LEN is 0), then
 * STATUS_LEN writable status bytes (none if 0). Returns the last status
 * byte (255 if the device wrote none), or RESULT_*.
 */
static int blk_request_at(struct blk_dev *dev, uint32_t type, uint64_t sector, uint32_t header_len,
			  uint64_t data_addr, uint32_t data_len, bool data_writes,
			  uint32_t status_len)
{
	unsigned int n = 0;
	uint32_t used_len;
	int rc;

	headers[0] = (struct blk_header){ .type = type, .sector = sector };
	for (unsigned int i = 0; i < sizeof(statuses[0]); i++)
		statuses[0][i] = 0xff;
	desc_set(dev, n, (uintptr_t)&headers[0], header_len, 0, 0);
	if (data_len) {
		dev->r->desc[n].flags |= DESC_F_NEXT;
		dev->r->desc[n].next = (uint16_t)(n + 1);
		n++;
		desc_set(dev, n, data_addr, data_len, data_writes ? DESC_F_WRITE : 0, 0);
	}
	if (status_len) {
		dev->r->desc[n].flags |= DESC_F_NEXT;
		dev->r->desc[n].next = (uint16_t)(n + 1);
		n++;
		desc_set(dev, n, (uintptr_t)statuses[0], status_len, DESC_F_WRITE, 0);
	}
	blk_kick(dev, 0, 1);
	rc = blk_wait(dev, &used_len);
	if (rc)
		return rc;
	return status_len ? statuses[0][status_len - 1] : 0;
}

static int blk_request(struct blk_dev *dev, uint32_t type, uint64_t sector, uint32_t data_len)
{
	return blk_request_at(dev, type, sector, sizeof(struct blk_header), (uintptr_t)data,
			      data_len, type != BLK_T_OUT, 1);
}

static void print_result(const char *name, int result)
{
	if (result == RESULT_TIMEOUT)
		console_printf("blk: %s status=timeout\n", name);
	else if (result == RESULT_NEEDS_RESET)
		console_printf("blk: %s status=needs-reset\n", name);
	else
		console_printf("blk: %s status=%d\n", name, result);
}

/* What the legitimate write puts at WRITE_SECTOR, the system test looks for. */
#define WRITE_SECTOR 8
#define WRITE_SECTORS 2

static void fill_mark(uint8_t *buf, uint32_t len)
{
	static const char mark[] = "HOSTILE-GUEST-LEGIT-WRITE.";

	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)mark[i % (sizeof(mark) - 1)];
}

static bool data_is_mark(uint32_t len)
{
	static uint8_t want[WRITE_SECTORS * SECTOR];

	fill_mark(want, len);
	for (uint32_t i = 0; i < len; i++)
		if (data[i] != want[i])
			return false;
	return true;
}

/* A legitimate read of what the legitimate write wrote. */
static int read_back(struct blk_dev *dev, bool *match)
{
	int rc;

	memset(data, 0, WRITE_SECTORS * SECTOR);
	rc = blk_request(dev, BLK_T_IN, WRITE_SECTOR, WRITE_SECTORS * SECTOR);
	*match = rc == 0 && data_is_mark(WRITE_SECTORS * SECTOR);
	return rc;
}

/* A broken ring: the device must ask for a reset, and work after one. */
static void expect_reset(struct blk_dev *dev, const char *name, int result)
{
	uint32_t status = *mmio(dev, MMIO_STATUS);
	bool match;
	int rc;

	console_printf("blk: %s needs-reset=%s (status %#x, result %d)\n", name,
		       (status & STATUS_NEEDS_RESET) ? "yes" : "no", status, result);
	blk_setup(dev, QUEUE_SIZE, 0);
	rc = read_back(dev, &match);
	console_printf("blk: %s after-reset status=%d match=%s\n", name, rc, match ? "yes" : "no");
}

static void hostile_requests(struct blk_dev *dev, struct blk_dev *ro, uint64_t ram_end)
{
	uint64_t cap = dev->capacity;
	bool match;
	int rc;

	console_printf("blk: slot %u capacity %lu sectors\n", dev->slot, (unsigned long)cap);
	fill_mark(data, WRITE_SECTORS * SECTOR);
	print_result("legit-write", blk_request(dev, BLK_T_OUT, WRITE_SECTOR,
						WRITE_SECTORS * SECTOR));
	rc = read_back(dev, &match);
	console_printf("blk: legit-read status=%d match=%s\n", rc, match ? "yes" : "no");

	/* From here on the data buffer holds something to notice in an image. */
	for (uint32_t i = 0; i < DATA_BYTES; i++)
		data[i] = (uint8_t)"EVIL"[i % 4];
	print_result("read-beyond-end", blk_request(dev, BLK_T_IN, cap, SECTOR));
	print_result("read-straddle-end", blk_request(dev, BLK_T_IN, cap - 1, 2 * SECTOR));
	print_result("write-beyond-end", blk_request(dev, BLK_T_OUT, cap, SECTOR));
	print_result("write-straddle-end", blk_request(dev, BLK_T_OUT, cap - 1, 2 * SECTOR));
	print_result("read-sector-max", blk_request(dev, BLK_T_IN, ~0ULL, SECTOR));
	print_result("write-sector-max", blk_request(dev, BLK_T_OUT, ~0ULL, SECTOR));
	/* 2^55 sectors are 2^64 bytes: an unchecked product wraps to offset 0. */
	print_result("write-sector-wraps-to-0", blk_request(dev, BLK_T_OUT, 1ULL << 55, SECTOR));
	print_result("read-sector-wraps-to-0", blk_request(dev, BLK_T_IN, 1ULL << 55, SECTOR));
	print_result("write-sector-wraps-to-16",
		     blk_request(dev, BLK_T_OUT, (1ULL << 55) + 16, SECTOR));
	print_result("write-len-100", blk_request(dev, BLK_T_OUT, 0, 100));
	print_result("read-len-100", blk_request(dev, BLK_T_IN, 0, 100));
	print_result("write-len-513", blk_request(dev, BLK_T_OUT, 0, 513));
	/* More than the backend's buffer (2 MiB) takes, inside the disk, in one
	 * buffer (a write: were it taken, our RAM would land in the image, not
	 * the image in our RAM). */
	print_result("write-too-long", blk_request(dev, BLK_T_OUT, 0, BEYOND_FETCH));
	print_result("write-short-header",
		     blk_request_at(dev, BLK_T_OUT, 0, 8, (uintptr_t)data, SECTOR, false, 1));
	print_result("read-data-readable",
		     blk_request_at(dev, BLK_T_IN, 0, 16, (uintptr_t)data, SECTOR, false, 1));
	print_result("unknown-type", blk_request(dev, 0x55, 0, SECTOR));
	print_result("get-id-short", blk_request(dev, BLK_T_GET_ID, 0, 8));
	/* The status is the last writable byte, whatever comes before it. */
	print_result("flush-wide-status",
		     blk_request_at(dev, BLK_T_FLUSH, 0, 16, 0, 0, false, 4));
	print_result("write-wide-status",
		     blk_request_at(dev, BLK_T_OUT, cap, 16, (uintptr_t)data, SECTOR, false, 4));
	/* A status byte further out than any answer of the backend reaches. */
	print_result("flush-far-status", blk_request_at(dev, BLK_T_FLUSH, 0, 16, (uintptr_t)data,
							BEYOND_FETCH + SECTOR, true, 1));
	/* A flush carries no data; this one carries more than a fetch takes. */
	print_result("flush-with-data", blk_request_at(dev, BLK_T_FLUSH, 0, 16, (uintptr_t)data,
						       BEYOND_FETCH + SECTOR, false, 1));
	if (ro) {
		print_result("ro-write", blk_request(ro, BLK_T_OUT, 0, SECTOR));
		print_result("ro-write-overflow", blk_request(ro, BLK_T_OUT, 1ULL << 55, SECTOR));
		print_result("ro-read", blk_request(ro, BLK_T_IN, 0, SECTOR));
	}

	/* Broken rings: each makes the device ask for a reset. */
	if (ram_end) {
		rc = blk_request_at(dev, BLK_T_IN, 0, 16, ram_end, SECTOR, true, 1);
		expect_reset(dev, "desc-outside-ram", rc);
		rc = blk_request_at(dev, BLK_T_IN, 0, 16, ram_end - 256, SECTOR, true, 1);
		expect_reset(dev, "desc-straddles-ram-end", rc);
		rc = blk_request_at(dev, BLK_T_OUT, 0, 16, ram_end - 256, SECTOR, false, 1);
		expect_reset(dev, "write-desc-straddles-ram-end", rc);
	}
	rc = blk_request_at(dev, BLK_T_OUT, 0, 16, SHYPER_GUEST_VIRTIO_BASE, SECTOR, false, 1);
	expect_reset(dev, "desc-at-mmio", rc);
	rc = blk_request_at(dev, BLK_T_IN, 0, 16, (uintptr_t)data, 0xffffffffU, true, 1);
	expect_reset(dev, "desc-huge-len", rc);

	/* 0 -> 1 -> 0 -> ... */
	headers[0] = (struct blk_header){ .type = BLK_T_IN, .sector = 0 };
	desc_set(dev, 0, (uintptr_t)&headers[0], 16, DESC_F_NEXT, 1);
	desc_set(dev, 1, (uintptr_t)data, SECTOR, DESC_F_NEXT | DESC_F_WRITE, 0);
	blk_kick(dev, 0, 1);
	expect_reset(dev, "loop-chain", blk_wait(dev, &(uint32_t){ 0 }));

	desc_set(dev, 0, (uintptr_t)&headers[0], 16, DESC_F_NEXT, QUEUE_SIZE + 5);
	blk_kick(dev, 0, 1);
	expect_reset(dev, "next-out-of-range", blk_wait(dev, &(uint32_t){ 0 }));

	blk_kick(dev, QUEUE_SIZE + 3, 1);
	expect_reset(dev, "head-out-of-range", blk_wait(dev, &(uint32_t){ 0 }));

	blk_request_at(dev, BLK_T_IN, 0, 16, (uintptr_t)data, SECTOR, true, 1);
	blk_kick(dev, 0, QUEUE_SIZE + 1);
	expect_reset(dev, "avail-idx-jump", blk_wait(dev, &(uint32_t){ 0 }));

	console_printf("blk: queue-size-3 ready=%u\n",
		       (blk_setup(dev, 3, 0), *mmio(dev, MMIO_QUEUE_READY)));
	expect_reset(dev, "queue-size-3", 0);
	if (ram_end) {
		console_printf("blk: ring-outside-ram ready=%u\n",
			       (blk_setup(dev, QUEUE_SIZE, ram_end), *mmio(dev, MMIO_QUEUE_READY)));
		expect_reset(dev, "ring-outside-ram", 0);
	}

	rc = read_back(dev, &match);
	console_printf("blk: final-read status=%d match=%s\n", rc, match ? "yes" : "no");
}

void blk_hostile(unsigned int slot, int ro_slot, uint64_t ram_end)
{
	struct blk_dev dev = { .slot = slot, .r = &rings[0] };
	struct blk_dev ro = { .slot = (unsigned int)ro_slot, .r = &rings[1] };

	if (!blk_setup(&dev, QUEUE_SIZE, 0)) {
		console_printf("blk: no virtio-blk device in slot %u\n", slot);
		return;
	}
	/* The read-only disk is set up once: only its header checks are tried. */
	if (ro_slot >= 0 && !blk_setup(&ro, QUEUE_SIZE, 0)) {
		console_printf("blk: no virtio-blk device in slot %d\n", ro_slot);
		return;
	}
	hostile_requests(&dev, ro_slot >= 0 ? &ro : NULL, ram_end);
	console_printf("blk done\n");
}

/* FNV-1a, 32 bits: the system test computes the same over the image. */
static uint32_t fnv1a(const uint8_t *p, uint32_t len)
{
	uint32_t h = 2166136261U;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

void blk_read_sum(unsigned int slot)
{
	struct blk_dev dev = { .slot = slot, .r = &rings[0] };
	int rc;

	if (!blk_setup(&dev, QUEUE_SIZE, 0)) {
		console_printf("blk: no virtio-blk device in slot %u\n", slot);
		return;
	}
	memset(data, 0, DATA_BYTES);
	rc = blk_request(&dev, BLK_T_IN, 0, DATA_BYTES);
	console_printf("blkread: status=%d capacity=%lu fnv=%08x\n", rc,
		       (unsigned long)dev.capacity, fnv1a(data, DATA_BYTES));
}

/* Request I of the storm: descriptors 3I..3I+2, reads and writes in turn. */
static void storm_submit(struct blk_dev *dev, unsigned int i, uint64_t round)
{
	uint64_t sectors = STORM_BYTES / SECTOR;
	uint64_t slots = dev->capacity / sectors;
	bool write = (round + i) & 1;
	uint16_t d = (uint16_t)(3 * i);

	headers[i] = (struct blk_header){
		.type = write ? BLK_T_OUT : BLK_T_IN,
		.sector = ((round * STORM_REQUESTS + i) % slots) * sectors,
	};
	statuses[i][0] = 0xff;
	desc_set(dev, d, (uintptr_t)&headers[i], 16, DESC_F_NEXT, d + 1);
	desc_set(dev, d + 1, (uintptr_t)storm_data[i], STORM_BYTES,
		 DESC_F_NEXT | (write ? 0 : DESC_F_WRITE), d + 2);
	desc_set(dev, d + 2, (uintptr_t)statuses[i], 1, DESC_F_WRITE, 0);
	blk_kick(dev, d, 1);
}

void __attribute__((noreturn)) blk_storm(unsigned int slot)
{
	struct blk_dev dev = { .slot = slot, .r = &rings[0] };
	uint64_t done = 0, errors = 0, round = 0;

	if (!blk_setup(&dev, QUEUE_SIZE, 0) || dev.capacity < STORM_BYTES / SECTOR) {
		console_printf("blk: no usable virtio-blk device in slot %u\n", slot);
		for (;;)
			__asm__ volatile("wfi");
	}
	for (unsigned int i = 0; i < STORM_REQUESTS; i++)
		storm_submit(&dev, i, round);
	console_printf("blkstorm: %u requests in flight\n", STORM_REQUESTS);
	for (;;) {
		uint32_t len;
		unsigned int i;

		if (blk_wait(&dev, &len)) {
			console_printf("blkstorm: stuck after %lu requests\n", (unsigned long)done);
			for (;;)
				__asm__ volatile("wfi");
		}
		i = dev.r->used.ring[(uint16_t)(dev.used_seen - 1) % QUEUE_SIZE].id / 3;
		errors += statuses[i][0] != 0;
		if (++done % 256 == 0)
			console_printf("blkstorm: %lu done, %lu errors\n", (unsigned long)done,
				       (unsigned long)errors);
		if (i % STORM_REQUESTS == 0)
			round++;
		storm_submit(&dev, i % STORM_REQUESTS, round);
	}
}

/* ---- blkdirty: a disk that keeps changing, checked pass after pass ---------------- */

#define DIRTY_BLOCK 4096
#define DIRTY_BLOCKS 64 /* the first 256 KiB */

/* Block B as pass P writes it: every 64-bit word names both. */
static void dirty_fill(uint8_t *buf, uint64_t pass, uint64_t block)
{
	for (unsigned int i = 0; i < DIRTY_BLOCK / 8; i++)
		((uint64_t *)buf)[i] = pass << 32 | block << 16 | i;
}

/*
 * Pass after pass, writes every block of the first 256 KiB of the disk,
 * one request at a time, then reads them all back: "blkdirty ok pass N",
 * or "blkdirty BAD block B has pass P, pass N" (a write that did not stay
 * written: lost in a migration that did not copy the disk's last changes).
 * Each block starts from what the disk held (a pass count it continues).
 */
void __attribute__((noreturn)) blk_dirty(unsigned int slot)
{
	struct blk_dev dev = { .slot = slot, .r = &rings[0] };
	uint64_t pass;
	int rc;

	if (!blk_setup(&dev, QUEUE_SIZE, 0) ||
	    dev.capacity < DIRTY_BLOCKS * (DIRTY_BLOCK / SECTOR)) {
		console_printf("blk: no usable virtio-blk device in slot %u\n", slot);
		for (;;)
			__asm__ volatile("wfi");
	}
	/* Go on from the pass the disk holds (0 for a fresh one). */
	rc = blk_request(&dev, BLK_T_IN, 0, DIRTY_BLOCK);
	pass = rc == 0 ? ((uint64_t *)data)[0] >> 32 : 0;
	console_printf("blkdirty: starting after pass %lu\n", (unsigned long)pass);
	for (;;) {
		pass++;
		for (uint64_t b = 0; b < DIRTY_BLOCKS; b++) {
			dirty_fill(data, pass, b);
			rc = blk_request(&dev, BLK_T_OUT, b * (DIRTY_BLOCK / SECTOR), DIRTY_BLOCK);
			if (rc)
				console_printf("blkdirty: write status=%d\n", rc);
		}
		for (uint64_t b = 0; b < DIRTY_BLOCKS && rc == 0; b++) {
			const uint64_t *got = (const uint64_t *)data;

			rc = blk_request(&dev, BLK_T_IN, b * (DIRTY_BLOCK / SECTOR), DIRTY_BLOCK);
			for (unsigned int i = 0; rc == 0 && i < DIRTY_BLOCK / 8; i++)
				if (got[i] != (pass << 32 | b << 16 | i))
					rc = -3;
			if (rc)
				console_printf("blkdirty BAD block %lu has pass %lu, pass %lu\n",
					       (unsigned long)b, (unsigned long)(got[0] >> 32),
					       (unsigned long)pass);
		}
		if (rc == 0)
			console_printf("blkdirty ok pass %lu\n", (unsigned long)pass);
	}
}
