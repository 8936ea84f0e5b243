// SPDX-License-Identifier: GPL-2.0
/*
 * shyperd's block backend, one request at a time (mvm-tools/shyperd/
 * blk_serve.c), against a temporary image file: reads and writes inside
 * the disk, and everything a guest (or a confused hypervisor) might ask
 * for outside it. After every test the whole file is compared with what
 * it should hold, so a request that wrote a byte anywhere it was not asked
 * to - or anywhere at all, if it was refused - fails.
 */
#define _GNU_SOURCE /* O_DIRECT */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "blk_serve.h"

#define SECTORS 16
#define IMAGE_SIZE (SECTORS * VIRTIO_BLK_SECTOR)
#define ANSWER_SIZE (64 * 1024)
#define UNTOUCHED 0xee

static char path[] = "/tmp/shyper-blk-serve-XXXXXX";
static struct blk_image img;
static uint8_t expected[IMAGE_SIZE]; /* what the file must hold */
static uint8_t answer[ANSWER_SIZE];

static int setup(void **state)
{
	int fd = mkstemp(path);

	(void)state;
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < IMAGE_SIZE; i++)
		expected[i] = (uint8_t)(i * 7 + i / VIRTIO_BLK_SECTOR);
	if (write(fd, expected, IMAGE_SIZE) != IMAGE_SIZE)
		return -1;
	img = (struct blk_image){ .fd = fd, .direct_fd = -1, .size = IMAGE_SIZE, .target = "vda" };
	memset(answer, UNTOUCHED, sizeof(answer));
	return 0;
}

/* The file holds exactly what it should, and nothing more. */
static int teardown(void **state)
{
	static uint8_t now[IMAGE_SIZE + 1];
	ssize_t n = pread(img.fd, now, sizeof(now), 0);
	int rc = n == IMAGE_SIZE && !memcmp(now, expected, IMAGE_SIZE) ? 0 : -1;

	(void)state;
	close(img.fd);
	if (img.direct_fd >= 0)
		close(img.direct_fd);
	unlink(path);
	strcpy(path + strlen(path) - 6, "XXXXXX");
	return rc;
}

/* A request header at REQ: TYPE, reserved 0, SECTOR. */
static void put_header(uint8_t *req, uint32_t type, uint64_t sector)
{
	memcpy(req, &type, 4);
	memset(req + 4, 0, 4);
	memcpy(req + 8, &sector, 8);
}

/* A request of TYPE at SECTOR with LEN bytes of DATA (writes). */
static size_t serve(uint32_t type, uint64_t sector, const void *data, size_t len,
		    size_t writable)
{
	static uint8_t req[VIRTIO_BLK_HEADER + ANSWER_SIZE];

	put_header(req, type, sector);
	if (len)
		memcpy(req + VIRTIO_BLK_HEADER, data, len);
	return blk_serve(&img, req, VIRTIO_BLK_HEADER + len, writable, answer, sizeof(answer));
}

static size_t read_sectors(uint64_t sector, size_t count)
{
	return serve(VIRTIO_BLK_T_IN, sector, NULL, 0, count * VIRTIO_BLK_SECTOR + 1);
}

static size_t write_sectors(uint64_t sector, const void *data, size_t len)
{
	return serve(VIRTIO_BLK_T_OUT, sector, data, len, 1);
}

/* The answer of WRITABLE bytes is all zero but for STATUS at its end. */
static void assert_status_only(size_t writable, uint8_t status)
{
	for (size_t i = 0; i + 1 < writable; i++)
		assert_int_equal(answer[i], 0);
	assert_int_equal(answer[writable - 1], status);
}

static void test_read_in_range(void **state)
{
	(void)state;
	assert_int_equal(read_sectors(2, 3), 3 * VIRTIO_BLK_SECTOR + 1);
	assert_memory_equal(answer, expected + 2 * VIRTIO_BLK_SECTOR, 3 * VIRTIO_BLK_SECTOR);
	assert_int_equal(answer[3 * VIRTIO_BLK_SECTOR], VIRTIO_BLK_S_OK);
	assert_int_equal(answer[3 * VIRTIO_BLK_SECTOR + 1], UNTOUCHED);
	/* The last sector, the whole disk, and nothing at its very end. */
	assert_int_equal(read_sectors(SECTORS - 1, 1), VIRTIO_BLK_SECTOR + 1);
	assert_memory_equal(answer, expected + IMAGE_SIZE - VIRTIO_BLK_SECTOR, VIRTIO_BLK_SECTOR);
	assert_int_equal(read_sectors(0, SECTORS), IMAGE_SIZE + 1);
	assert_memory_equal(answer, expected, IMAGE_SIZE);
	assert_int_equal(answer[IMAGE_SIZE], VIRTIO_BLK_S_OK);
	assert_int_equal(read_sectors(SECTORS, 0), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_OK);
}

static void test_write_in_range(void **state)
{
	uint8_t data[2 * VIRTIO_BLK_SECTOR];

	(void)state;
	memset(data, 'w', sizeof(data));
	assert_int_equal(write_sectors(5, data, sizeof(data)), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_OK);
	assert_int_equal(answer[1], UNTOUCHED);
	memcpy(expected + 5 * VIRTIO_BLK_SECTOR, data, sizeof(data));
	/* The last sector; then read back what was written. */
	memset(data, 'z', VIRTIO_BLK_SECTOR);
	assert_int_equal(write_sectors(SECTORS - 1, data, VIRTIO_BLK_SECTOR), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_OK);
	memcpy(expected + IMAGE_SIZE - VIRTIO_BLK_SECTOR, data, VIRTIO_BLK_SECTOR);
	assert_int_equal(read_sectors(4, 4), 4 * VIRTIO_BLK_SECTOR + 1);
	assert_memory_equal(answer, expected + 4 * VIRTIO_BLK_SECTOR, 4 * VIRTIO_BLK_SECTOR);
	/* A write with more room than the status: zeroes, then the status. */
	assert_int_equal(serve(VIRTIO_BLK_T_OUT, 0, expected, VIRTIO_BLK_SECTOR, 8), 8);
	assert_status_only(8, VIRTIO_BLK_S_OK);
}

static void test_out_of_range(void **state)
{
	uint8_t data[2 * VIRTIO_BLK_SECTOR];

	(void)state;
	memset(data, 'x', sizeof(data));
	/* Straddling the end, just past it, far past it. */
	assert_int_equal(read_sectors(SECTORS - 1, 2), 2 * VIRTIO_BLK_SECTOR + 1);
	assert_status_only(2 * VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_S_IOERR);
	assert_int_equal(read_sectors(SECTORS, 1), VIRTIO_BLK_SECTOR + 1);
	assert_status_only(VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_S_IOERR);
	assert_int_equal(read_sectors(SECTORS + 1, 0), 1);
	assert_status_only(1, VIRTIO_BLK_S_IOERR);
	assert_int_equal(write_sectors(SECTORS - 1, data, sizeof(data)), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	assert_int_equal(write_sectors(SECTORS, data, VIRTIO_BLK_SECTOR), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	assert_int_equal(write_sectors(1000, data, VIRTIO_BLK_SECTOR), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
}

/* Sectors whose byte offset does not fit 64 bits: sector * 512 wraps, to
 * 0 for 2^55, so a check on the product would let them at the start. */
static void test_sector_overflow(void **state)
{
	static const uint64_t sectors[] = {
		UINT64_MAX,
		UINT64_MAX / VIRTIO_BLK_SECTOR,
		UINT64_MAX / VIRTIO_BLK_SECTOR + 1,
		1ULL << 55,                  /* * 512 == 2^64: 0 */
		(1ULL << 55) + 1,            /* * 512 wraps to 512 */
		(1ULL << 63) + 2,
	};
	uint8_t data[VIRTIO_BLK_SECTOR];

	(void)state;
	memset(data, 'o', sizeof(data));
	for (size_t i = 0; i < sizeof(sectors) / sizeof(sectors[0]); i++) {
		assert_int_equal(read_sectors(sectors[i], 1), VIRTIO_BLK_SECTOR + 1);
		assert_status_only(VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_S_IOERR);
		assert_int_equal(read_sectors(sectors[i], 0), 1);
		assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
		assert_int_equal(write_sectors(sectors[i], data, sizeof(data)), 1);
		assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	}
}

static void test_length_not_sectors(void **state)
{
	uint8_t data[VIRTIO_BLK_SECTOR + 1];

	(void)state;
	memset(data, 'p', sizeof(data));
	assert_int_equal(write_sectors(1, data, 100), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	assert_int_equal(write_sectors(1, data, VIRTIO_BLK_SECTOR + 1), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	assert_int_equal(serve(VIRTIO_BLK_T_IN, 1, NULL, 0, 101), 101);
	assert_status_only(101, VIRTIO_BLK_S_IOERR);
	assert_int_equal(serve(VIRTIO_BLK_T_IN, 1, NULL, 0, VIRTIO_BLK_SECTOR), VIRTIO_BLK_SECTOR);
	assert_status_only(VIRTIO_BLK_SECTOR, VIRTIO_BLK_S_IOERR);
}

static void test_readonly_refuses_writes(void **state)
{
	uint8_t data[VIRTIO_BLK_SECTOR];

	(void)state;
	memset(data, 'r', sizeof(data));
	/* The flag is what counts, even with a file open for writing. */
	img.readonly = true;
	assert_int_equal(write_sectors(0, data, sizeof(data)), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	/* As shyperd opens it. */
	close(img.fd);
	img.fd = open(path, O_RDONLY);
	assert_true(img.fd >= 0);
	assert_int_equal(write_sectors(3, data, sizeof(data)), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	/* Reads and flushes still work. */
	assert_int_equal(read_sectors(3, 1), VIRTIO_BLK_SECTOR + 1);
	assert_memory_equal(answer, expected + 3 * VIRTIO_BLK_SECTOR, VIRTIO_BLK_SECTOR);
	assert_int_equal(serve(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_OK);
}

static void test_flush(void **state)
{
	(void)state;
	assert_int_equal(serve(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_OK);
	/* The sector means nothing to a flush, however large. */
	assert_int_equal(serve(VIRTIO_BLK_T_FLUSH, UINT64_MAX, NULL, 0, 4), 4);
	assert_status_only(4, VIRTIO_BLK_S_OK);
}

static void test_get_id(void **state)
{
	(void)state;
	assert_int_equal(serve(VIRTIO_BLK_T_GET_ID, 0, NULL, 0, VIRTIO_BLK_ID_BYTES + 1),
			 VIRTIO_BLK_ID_BYTES + 1);
	assert_string_equal((const char *)answer, "shyper-vda");
	for (size_t i = strlen("shyper-vda"); i < VIRTIO_BLK_ID_BYTES; i++)
		assert_int_equal(answer[i], 0);
	assert_int_equal(answer[VIRTIO_BLK_ID_BYTES], VIRTIO_BLK_S_OK);
	assert_int_equal(answer[VIRTIO_BLK_ID_BYTES + 1], UNTOUCHED);
	/* No room for the ID. */
	assert_int_equal(serve(VIRTIO_BLK_T_GET_ID, 0, NULL, 0, VIRTIO_BLK_ID_BYTES), VIRTIO_BLK_ID_BYTES);
	assert_status_only(VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR);
}

static void test_unknown_type(void **state)
{
	static const uint32_t types[] = { 2, 3, 5, 11, 13, 99, UINT32_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(serve(types[i], 0, expected, VIRTIO_BLK_SECTOR, 64), 64);
		assert_status_only(64, VIRTIO_BLK_S_UNSUPP);
	}
}

/* What the hypervisor never sends gets no answer at all. */
static void test_malformed_requests_get_no_answer(void **state)
{
	uint8_t req[VIRTIO_BLK_HEADER] = { VIRTIO_BLK_T_OUT };

	(void)state;
	for (size_t n = 0; n < VIRTIO_BLK_HEADER; n++)
		assert_int_equal(blk_serve(&img, req, n, 1, answer, sizeof(answer)), 0);
	assert_int_equal(blk_serve(&img, req, sizeof(req), 0, answer, sizeof(answer)), 0);
	/* More room than the answer buffer has. */
	assert_int_equal(serve(VIRTIO_BLK_T_IN, 0, NULL, 0, ANSWER_SIZE + 1), 0);
	assert_int_equal(answer[0], UNTOUCHED);
	assert_int_equal(answer[ANSWER_SIZE - 1], UNTOUCHED);
}

/* An answer never carries bytes of an earlier one (the buffer is reused). */
static void test_no_data_from_earlier_answers(void **state)
{
	(void)state;
	assert_int_equal(read_sectors(0, 2), 2 * VIRTIO_BLK_SECTOR + 1);
	assert_int_equal(read_sectors(SECTORS - 1, 2), 2 * VIRTIO_BLK_SECTOR + 1);
	assert_status_only(2 * VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_S_IOERR);
	assert_int_equal(read_sectors(0, 2), 2 * VIRTIO_BLK_SECTOR + 1);
	assert_int_equal(serve(99, 0, NULL, 0, 2 * VIRTIO_BLK_SECTOR + 1),
			 2 * VIRTIO_BLK_SECTOR + 1);
	assert_status_only(2 * VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_S_UNSUPP);
}

/* An image that shrank after it was opened: the file is what counts. */
static void test_image_shrunk(void **state)
{
	uint8_t data[VIRTIO_BLK_SECTOR];

	(void)state;
	assert_int_equal(ftruncate(img.fd, IMAGE_SIZE / 2), 0);
	assert_int_equal(read_sectors(SECTORS - 1, 1), VIRTIO_BLK_SECTOR + 1);
	assert_status_only(VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_S_IOERR);
	assert_int_equal(read_sectors(SECTORS / 2 - 1, 2), 2 * VIRTIO_BLK_SECTOR + 1);
	assert_status_only(2 * VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_S_IOERR);
	assert_int_equal(read_sectors(0, 1), VIRTIO_BLK_SECTOR + 1);
	assert_int_equal(answer[VIRTIO_BLK_SECTOR], VIRTIO_BLK_S_OK);
	/* Writing inside what it says the size is grows the file again; the
	 * teardown then wants the original contents back. */
	memcpy(data, expected + (SECTORS - 1) * VIRTIO_BLK_SECTOR, sizeof(data));
	assert_int_equal(ftruncate(img.fd, IMAGE_SIZE), 0);
	assert_int_equal(pwrite(img.fd, expected + IMAGE_SIZE / 2, IMAGE_SIZE / 2, IMAGE_SIZE / 2),
			 IMAGE_SIZE / 2);
	assert_int_equal(write_sectors(SECTORS - 1, data, sizeof(data)), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_OK);
}

/* shyperd's zero-copy buffer holds the request and then its answer: a
 * read's header is taken before the data lands on it, a write's data goes
 * out before the status lands on it. */
static void test_request_and_answer_in_one_buffer(void **state)
{
	static uint8_t buf[VIRTIO_BLK_HEADER + 4 * VIRTIO_BLK_SECTOR];

	(void)state;
	put_header(buf, VIRTIO_BLK_T_IN, 3);
	assert_int_equal(blk_serve(&img, buf, VIRTIO_BLK_HEADER, 2 * VIRTIO_BLK_SECTOR + 1, buf,
				   sizeof(buf)),
			 2 * VIRTIO_BLK_SECTOR + 1);
	assert_memory_equal(buf, expected + 3 * VIRTIO_BLK_SECTOR, 2 * VIRTIO_BLK_SECTOR);
	assert_int_equal(buf[2 * VIRTIO_BLK_SECTOR], VIRTIO_BLK_S_OK);

	put_header(buf, VIRTIO_BLK_T_OUT, 9);
	memset(buf + VIRTIO_BLK_HEADER, 'z', VIRTIO_BLK_SECTOR);
	assert_int_equal(blk_serve(&img, buf, VIRTIO_BLK_HEADER + VIRTIO_BLK_SECTOR, 1, buf,
				   sizeof(buf)),
			 1);
	assert_int_equal(buf[0], VIRTIO_BLK_S_OK);
	memset(expected + 9 * VIRTIO_BLK_SECTOR, 'z', VIRTIO_BLK_SECTOR);
}

/* Laid out as shyperd lays out its shared buffer: the header just before
 * a page, the answer at the start of the one before. */
static uint8_t page_aligned[3 * 4096] __attribute__((aligned(4096)));

/* The image opened again with O_DIRECT as img.direct_fd (the test is
 * skipped where the file system has none), and img.fd opened again with
 * PLAIN_MODE: a descriptor that cannot do what the test asks of it tells
 * which of the two served a request. */
static void open_direct_beside(int plain_mode)
{
	img.direct_fd = open(path, O_RDWR | O_DIRECT);
	if (img.direct_fd < 0)
		skip(); /* a file system without O_DIRECT (tmpfs before Linux 6.6) */
	close(img.fd);
	img.fd = open(path, plain_mode);
	assert_true(img.fd >= 0);
}

/*
 * With an O_DIRECT descriptor, aligned requests go through it and others
 * through the ordinary one. To tell which one served a write, the
 * ordinary descriptor is read-only here: an aligned write succeeds, a
 * misaligned one fails.
 */
static void test_direct_when_aligned(void **state)
{
	uint8_t *answer_at = page_aligned, *req = page_aligned + 4096 - VIRTIO_BLK_HEADER;

	(void)state;
	open_direct_beside(O_RDONLY);
	put_header(req, VIRTIO_BLK_T_OUT, 4);
	memset(req + VIRTIO_BLK_HEADER, 'd', 2 * VIRTIO_BLK_SECTOR);
	assert_int_equal(blk_serve(&img, req, VIRTIO_BLK_HEADER + 2 * VIRTIO_BLK_SECTOR, 1,
				   answer_at, 4096),
			 1);
	assert_int_equal(answer_at[0], VIRTIO_BLK_S_OK);
	memset(expected + 4 * VIRTIO_BLK_SECTOR, 'd', 2 * VIRTIO_BLK_SECTOR);

	/* The same write a byte off: through the read-only descriptor. */
	req += 1;
	put_header(req, VIRTIO_BLK_T_OUT, 4);
	memset(req + VIRTIO_BLK_HEADER, 'x', VIRTIO_BLK_SECTOR);
	assert_int_equal(blk_serve(&img, req, VIRTIO_BLK_HEADER + VIRTIO_BLK_SECTOR, 1, answer_at,
				   4096),
			 1);
	assert_int_equal(answer_at[0], VIRTIO_BLK_S_IOERR);

	/* An aligned read, into the answer's page: what the write left. */
	req -= 1;
	put_header(req, VIRTIO_BLK_T_IN, 3);
	assert_int_equal(blk_serve(&img, req, VIRTIO_BLK_HEADER, 4 * VIRTIO_BLK_SECTOR + 1,
				   answer_at, 4096),
			 4 * VIRTIO_BLK_SECTOR + 1);
	assert_memory_equal(answer_at, expected + 3 * VIRTIO_BLK_SECTOR, 4 * VIRTIO_BLK_SECTOR);
	assert_int_equal(answer_at[4 * VIRTIO_BLK_SECTOR], VIRTIO_BLK_S_OK);
}

/* Reads go through the O_DIRECT descriptor only with direct_reads: the
 * ordinary one is write-only here, so a read through it fails. */
static void test_direct_reads_only_when_asked(void **state)
{
	uint8_t *answer_at = page_aligned, *req = page_aligned + 4096 - VIRTIO_BLK_HEADER;

	(void)state;
	open_direct_beside(O_WRONLY);
	put_header(req, VIRTIO_BLK_T_IN, 5);
	assert_int_equal(blk_serve(&img, req, VIRTIO_BLK_HEADER, 2 * VIRTIO_BLK_SECTOR + 1,
				   answer_at, 4096),
			 2 * VIRTIO_BLK_SECTOR + 1);
	assert_int_equal(answer_at[2 * VIRTIO_BLK_SECTOR], VIRTIO_BLK_S_IOERR);

	img.direct_reads = true;
	put_header(req, VIRTIO_BLK_T_IN, 5);
	assert_int_equal(blk_serve(&img, req, VIRTIO_BLK_HEADER, 2 * VIRTIO_BLK_SECTOR + 1,
				   answer_at, 4096),
			 2 * VIRTIO_BLK_SECTOR + 1);
	assert_memory_equal(answer_at, expected + 5 * VIRTIO_BLK_SECTOR, 2 * VIRTIO_BLK_SECTOR);
	assert_int_equal(answer_at[2 * VIRTIO_BLK_SECTOR], VIRTIO_BLK_S_OK);
	/* teardown reads the file back through fd. */
	close(img.fd);
	img.fd = open(path, O_RDWR);
	assert_true(img.fd >= 0);
}

/* cache='unsafe': a flush is answered OK without being done, even where
 * it could not be (fd is not a file that can be synced here). */
static void test_unsafe_ignores_flush(void **state)
{
	int pipe_fds[2], image_fd = img.fd;

	(void)state;
	assert_int_equal(pipe(pipe_fds), 0);
	img.fd = pipe_fds[0]; /* fdatasync() on a pipe fails with EINVAL */
	assert_int_equal(serve(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_IOERR);
	img.ignore_flush = true;
	assert_int_equal(serve(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1), 1);
	assert_int_equal(answer[0], VIRTIO_BLK_S_OK);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	img.fd = image_fd;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read_in_range),
		T(test_write_in_range),
		T(test_request_and_answer_in_one_buffer),
		T(test_out_of_range),
		T(test_sector_overflow),
		T(test_length_not_sectors),
		T(test_readonly_refuses_writes),
		T(test_flush),
		T(test_get_id),
		T(test_unknown_type),
		T(test_malformed_requests_get_no_answer),
		T(test_no_data_from_earlier_answers),
		T(test_image_shrunk),
		T(test_direct_when_aligned),
		T(test_direct_reads_only_when_asked),
		T(test_unsafe_ignores_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
