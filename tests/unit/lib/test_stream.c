// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The migration stream (lib/migrate_stream.c): what is written reads back
 * section by section; a stream cut anywhere, with any one bit flipped,
 * with sections out of order, from another version or naming pages the
 * guest does not have, is refused; so are disk sections a stream did not
 * announce, before their disk's size, or past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include <shyper/libshyper.h>

#include "../../../lib/internal.h"
#include "../../../lib/migrate_stream.h"
#include "fake_transport.h"

#define PAGE SHYPER_PAGE_SIZE

struct buffer {
	uint8_t *data;
	size_t len, at, limit;
};

static int buf_write(void *ctx, const void *p, size_t len)
{
	struct buffer *b = ctx;

	b->data = realloc(b->data, b->len + len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static struct shyper *handle;

static int buf_read(void *ctx, void *p, size_t len)
{
	struct buffer *b = ctx;

	if (len > b->limit - b->at)
		return shyper_fail(handle, SHYPER_ERR_PROTOCOL, "the stream ended early");
	memcpy(p, b->data + b->at, len);
	b->at += len;
	return 0;
}

/* What the reader handed on. */
struct seen {
	struct mig_info info;
	char *xml;
	unsigned page_sections, zero_sections;
	uint64_t last_page;
	uint8_t first_byte;
	size_t state_len;
	uint8_t state0;
	unsigned disk_sections;
	uint64_t disk_bytes;
	struct mig_disk last_disk;
};

static int on_info(void *ctx, const struct mig_info *info)
{
	((struct seen *)ctx)->info = *info;
	return 0;
}

static int on_definition(void *ctx, const char *xml, size_t len)
{
	struct seen *s = ctx;

	assert_int_equal(strlen(xml), len);
	s->xml = strdup(xml);
	return 0;
}

static int on_pages(void *ctx, const uint64_t *pages, size_t n, const void *data)
{
	struct seen *s = ctx;

	if (data) {
		s->page_sections++;
		s->first_byte = ((const uint8_t *)data)[0];
	} else {
		s->zero_sections++;
	}
	s->last_page = pages[n - 1];
	return 0;
}

static int on_state(void *ctx, const void *state, size_t len)
{
	struct seen *s = ctx;

	s->state_len = len;
	s->state0 = ((const uint8_t *)state)[0];
	return 0;
}

static int on_disk(void *ctx, const struct mig_disk *d, const void *data)
{
	struct seen *s = ctx;

	assert_true((data != NULL) == (d->kind == MIG_DISK_DATA));
	s->disk_sections++;
	s->last_disk = *d;
	if (data)
		s->disk_bytes += d->length;
	return 0;
}

static const struct mig_reader_ops ops = {
	.info = on_info, .definition = on_definition, .pages = on_pages, .disk = on_disk,
	.state = on_state,
};

static const char xml[] = "<domain type='shyper'><name>mover</name></domain>";

/* A small whole stream: 3 pages with data, 5 of zeroes, a state. */
static struct buffer make_stream(uint64_t ram_pages)
{
	struct buffer b = { 0 };
	struct mig_writer w;
	struct mig_info info = { .ram_pages = ram_pages, .counter_hz = 62500000, .vcpus = 2 };
	uint64_t pages[5] = { 0, 7, 8, 9, 10 };
	uint8_t data[3 * PAGE], state[100];

	strcpy(info.name, "mover");
	strcpy(info.source, "board-1");
	memset(data, 0xab, sizeof(data));
	memset(state, 0x42, sizeof(state));
	assert_int_equal(mig_writer_start(&w, handle, buf_write, &b), 0);
	assert_int_equal(mig_write_info(&w, &info), 0);
	assert_int_equal(mig_write_definition(&w, xml, strlen(xml)), 0);
	assert_int_equal(mig_write_pages(&w, pages, 3, data), 0);
	assert_int_equal(mig_write_pages(&w, pages, 5, NULL), 0);
	pages[0] = 15;
	assert_int_equal(mig_write_pages(&w, pages, 1, data), 0); /* page 15 again, last */
	assert_int_equal(mig_write_state(&w, state, sizeof(state)), 0);
	assert_int_equal(mig_write_end(&w), 0);
	assert_int_equal(w.pages, 4);
	assert_int_equal(w.zero_pages, 5);
	assert_int_equal(w.bytes, b.len);
	mig_writer_free(&w);
	b.limit = b.len;
	return b;
}

static int read_all(struct buffer *b, struct seen *s, struct mig_totals *t)
{
	b->at = 0;
	memset(s, 0, sizeof(*s));
	return mig_read(handle, buf_read, b, &ops, s, t);
}

static void test_round_trip(void **state)
{
	struct buffer b = make_stream(16);
	struct mig_totals t;
	struct seen s;

	(void)state;
	assert_int_equal(read_all(&b, &s, &t), 0);
	assert_string_equal(s.info.name, "mover");
	assert_string_equal(s.info.source, "board-1");
	assert_int_equal(s.info.ram_pages, 16);
	assert_string_equal(s.xml, xml);
	assert_int_equal(s.page_sections, 2);
	assert_int_equal(s.zero_sections, 1);
	assert_int_equal(s.first_byte, 0xab);
	assert_int_equal(s.last_page, 15);
	assert_int_equal(s.state_len, 100);
	assert_int_equal(s.state0, 0x42);
	assert_int_equal(t.pages, 4);
	assert_int_equal(t.zero_pages, 5);
	assert_int_equal(t.bytes, b.len);
	free(s.xml);
	free(b.data);
}

static void test_every_cut_is_refused(void **state)
{
	struct buffer b = make_stream(16);
	struct seen s;

	(void)state;
	for (size_t cut = 0; cut < b.len; cut += cut < 200 ? 1 : 509) {
		b.limit = cut;
		assert_int_not_equal(read_all(&b, &s, NULL), 0);
		free(s.xml);
	}
	free(b.data);
}

static void test_every_flipped_bit_is_refused(void **state)
{
	struct buffer b = make_stream(16);
	struct seen s;

	(void)state;
	for (size_t i = 0; i < b.len; i += i < 256 || i > b.len - 256 ? 1 : 331) {
		for (unsigned bit = 0; bit < 8; bit++) {
			b.data[i] ^= (uint8_t)(1U << bit);
			if (read_all(&b, &s, NULL) == 0)
				fail_msg("byte %zu bit %u flipped, yet accepted", i, bit);
			free(s.xml);
			b.data[i] ^= (uint8_t)(1U << bit);
		}
	}
	assert_int_equal(read_all(&b, &s, NULL), 0);
	free(s.xml);
	free(b.data);
}

static void test_pages_the_guest_lacks_are_refused(void **state)
{
	struct buffer b = make_stream(15); /* page 15 is one too far */
	struct seen s;

	(void)state;
	assert_int_equal(read_all(&b, &s, NULL), SHYPER_ERR_PROTOCOL);
	assert_non_null(strstr(shyper_last_error_message(handle), "past the guest's RAM"));
	free(s.xml);
	free(b.data);
}

static void test_another_version_and_order_are_refused(void **state)
{
	struct buffer b = { 0 };
	struct mig_writer w;
	struct mig_info info = { .ram_pages = 4, .vcpus = 1 };
	struct seen s;
	uint64_t page = 1;
	uint8_t data[PAGE] = { 0 };

	(void)state;
	strcpy(info.name, "x");
	/* Pages before the definition. */
	mig_writer_start(&w, handle, buf_write, &b);
	mig_write_info(&w, &info);
	mig_write_pages(&w, &page, 1, data);
	mig_writer_free(&w);
	b.limit = b.len;
	assert_int_equal(read_all(&b, &s, NULL), SHYPER_ERR_PROTOCOL);
	assert_non_null(strstr(shyper_last_error_message(handle), "out of place"));
	/* Version 2. */
	((struct mig_header *)b.data)->version = 2;
	assert_int_equal(read_all(&b, &s, NULL), SHYPER_ERR_PROTOCOL);
	assert_non_null(strstr(shyper_last_error_message(handle), "version 2"));
	/* Not a stream at all. */
	memcpy(b.data, "GET / HTTP/1.1\r\n\r\n", 18);
	assert_int_equal(read_all(&b, &s, NULL), SHYPER_ERR_PROTOCOL);
	free(b.data);
	/* The writer refuses what the reader would. */
	memset(&b, 0, sizeof(b));
	mig_writer_start(&w, handle, buf_write, &b);
	assert_int_equal(mig_write_pages(&w, &page, 0, data), SHYPER_ERR_INVALID);
	assert_int_equal(mig_write_pages(&w, &page, MIG_PAGES_MAX + 1, data), SHYPER_ERR_INVALID);
	assert_int_equal(mig_write_state(&w, data, 0), SHYPER_ERR_INVALID);
	assert_int_equal(mig_write_definition(&w, xml, 0), SHYPER_ERR_INVALID);
	mig_writer_free(&w);
	free(b.data);
}

/* A stream carrying disk 0 (3 sectors) and disk 1 (64 KiB): sizes, bytes
 * and zeroes, written by SECTIONS after INFO (with FLAGS) and DEFINITION. */
static struct buffer disk_stream(uint32_t flags, const struct mig_disk *sections, size_t n)
{
	struct buffer b = { 0 };
	struct mig_writer w;
	struct mig_info info = { .ram_pages = 4, .vcpus = 1, .flags = flags };
	static uint8_t data[MIG_DISK_CHUNK_MAX];
	uint8_t state[8] = { 1 };

	strcpy(info.name, "mover");
	memset(data, 0x5a, sizeof(data));
	mig_writer_start(&w, handle, buf_write, &b);
	mig_write_info(&w, &info);
	mig_write_definition(&w, xml, strlen(xml));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(mig_write_disk(&w, &sections[i],
						sections[i].kind == MIG_DISK_DATA ? data : NULL), 0);
	mig_write_state(&w, state, sizeof(state));
	mig_write_end(&w);
	mig_writer_free(&w);
	b.limit = b.len;
	return b;
}

static void test_disks(void **state)
{
	static const struct mig_disk good[] = {
		{ .disk = 0, .kind = MIG_DISK_SIZE, .length = 1536 },
		{ .disk = 1, .kind = MIG_DISK_SIZE, .length = 65536 },
		{ .disk = 0, .kind = MIG_DISK_DATA, .offset = 512, .length = 1024 },
		{ .disk = 1, .kind = MIG_DISK_ZERO, .offset = 0, .length = 65536 },
		{ .disk = 1, .kind = MIG_DISK_DATA, .offset = 4096, .length = 4096 },
	};
	static const struct {
		struct mig_disk d;
		const char *why;
	} bad[] = {
		{ { .disk = 2, .kind = MIG_DISK_ZERO, .length = 512 }, "before its size" },
		{ { .disk = 0, .kind = MIG_DISK_SIZE, .length = 512 }, "out of place" }, /* twice */
		{ { .disk = 1, .kind = MIG_DISK_ZERO, .offset = 65536 - 511, .length = 512 },
		  "past the disk's end" },
		{ { .disk = 1, .kind = MIG_DISK_ZERO, .offset = UINT64_MAX - 10, .length = 512 },
		  "past the disk's end" },
		{ { .disk = 1, .kind = MIG_DISK_ZERO, .length = 0 }, "past the disk's end" },
		{ { .disk = 2, .kind = MIG_DISK_SIZE, .offset = 1, .length = 512 }, "out of place" },
		{ { .disk = 2, .kind = MIG_DISK_SIZE, .length = MIG_DISK_SIZE_MAX + 1 }, "range" },
		{ { .disk = MIG_DISKS_MAX, .kind = MIG_DISK_SIZE, .length = 512 }, "past the last" },
		{ { .disk = 0, .kind = 9, .length = 512 }, "kind" },
	};
	struct buffer b;
	struct mig_totals t;
	struct seen s;

	(void)state;
	b = disk_stream(MIG_INFO_COPY_STORAGE, good, 5);
	assert_int_equal(read_all(&b, &s, &t), 0);
	assert_int_equal(s.disk_sections, 5);
	assert_int_equal(s.disk_bytes, 1024 + 4096);
	assert_int_equal(t.disk_bytes, 1024 + 65536 + 4096);
	assert_int_equal(s.last_disk.offset, 4096);
	free(s.xml);
	free(b.data);
	/* Disks in a stream that did not say it carries them. */
	b = disk_stream(0, good, 5);
	assert_int_equal(read_all(&b, &s, NULL), SHYPER_ERR_PROTOCOL);
	assert_non_null(strstr(shyper_last_error_message(handle), "carries none"));
	free(s.xml);
	free(b.data);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mig_section sec = { .kind = MIG_DISK, .len = sizeof(struct mig_disk) };
		struct mig_info info = { .ram_pages = 4, .vcpus = 1, .flags = MIG_INFO_COPY_STORAGE };
		struct mig_writer w;
		uint8_t st[8] = { 1 };

		/* Written raw, past the writer's own checks, digest and all. */
		memset(&b, 0, sizeof(b));
		strcpy(info.name, "mover");
		mig_writer_start(&w, handle, buf_write, &b);
		mig_write_info(&w, &info);
		mig_write_definition(&w, xml, strlen(xml));
		mig_write_disk(&w, &good[0], NULL);
		mig_write_disk(&w, &good[1], NULL);
		w.write(w.ctx, &sec, sizeof(sec));
		EVP_DigestUpdate(w.sha, &sec, sizeof(sec));
		w.write(w.ctx, &bad[i].d, sizeof(bad[i].d));
		EVP_DigestUpdate(w.sha, &bad[i].d, sizeof(bad[i].d));
		mig_write_state(&w, st, sizeof(st));
		mig_write_end(&w);
		mig_writer_free(&w);
		b.limit = b.len;
		assert_int_equal(read_all(&b, &s, NULL), SHYPER_ERR_PROTOCOL);
		if (!strstr(shyper_last_error_message(handle), bad[i].why))
			fail_msg("case %zu: '%s' does not say '%s'", i,
				 shyper_last_error_message(handle), bad[i].why);
		free(s.xml);
		free(b.data);
	}
	/* The writer refuses what the reader would. */
	{
		struct mig_writer w;
		struct mig_disk d = { .disk = 0, .kind = MIG_DISK_DATA, .length = 0 };

		memset(&b, 0, sizeof(b));
		mig_writer_start(&w, handle, buf_write, &b);
		assert_int_equal(mig_write_disk(&w, &d, xml), SHYPER_ERR_INVALID);
		d.length = MIG_DISK_CHUNK_MAX + 1;
		assert_int_equal(mig_write_disk(&w, &d, xml), SHYPER_ERR_INVALID);
		d = (struct mig_disk){ .disk = MIG_DISKS_MAX, .kind = MIG_DISK_SIZE };
		assert_int_equal(mig_write_disk(&w, &d, NULL), SHYPER_ERR_INVALID);
		mig_writer_free(&w);
		free(b.data);
	}
}

static int setup(void **state)
{
	(void)state;
	int err;

	fake_reset();
	handle = shyper_open(NULL, &err);
	return handle ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	shyper_close(handle);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_cut_is_refused),
		cmocka_unit_test(test_every_flipped_bit_is_refused),
		cmocka_unit_test(test_pages_the_guest_lacks_are_refused),
		cmocka_unit_test(test_another_version_and_order_are_refused),
		cmocka_unit_test(test_disks),
	};

	return cmocka_run_group_tests_name("stream", tests, setup, teardown);
}
