// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libFuzzer target: the migration stream reader (lib/migrate_stream.c),
 * the first thing a board runs on bytes from another. Whatever comes in,
 * it answers, reads no byte past what there is, hands on only what it
 * checked (page numbers inside the guest's RAM, a NUL-terminated name and
 * definition, sections in order), and accepts a stream only whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "migrate_stream.h"

/* error.c's calls into /dev/shyper are never made here. */
int shyper_transport_ioctl(struct shyper *h, unsigned long cmd, void *arg)
{
	(void)h;
	(void)cmd;
	(void)arg;
	abort();
}

struct input {
	const uint8_t *data;
	size_t size, at;
	struct shyper *h;
};

struct seen {
	uint64_t ram_pages;
	uint32_t info_flags;
	int order; /* 1 info, 2 definition, 3 state */
	bool sized[MIG_DISKS_MAX];
	uint64_t disk_size[MIG_DISKS_MAX];
};

static int input_read(void *ctx, void *buf, size_t len)
{
	struct input *in = ctx;

	if (len > in->size - in->at)
		return shyper_fail(in->h, SHYPER_ERR_PROTOCOL, "ended early");
	memcpy(buf, in->data + in->at, len);
	in->at += len;
	return 0;
}

static int on_info(void *ctx, const struct mig_info *info)
{
	struct seen *s = ctx;

	if (s->order != 0 || !memchr(info->name, 0, sizeof(info->name)) || !info->ram_pages)
		abort();
	s->ram_pages = info->ram_pages;
	s->info_flags = info->flags;
	s->order = 1;
	return 0;
}

static int on_definition(void *ctx, const char *xml, size_t len)
{
	struct seen *s = ctx;

	if (s->order != 1 || strlen(xml) != len)
		abort();
	s->order = 2;
	return 0;
}

static int on_pages(void *ctx, const uint64_t *pages, size_t n, const void *data)
{
	struct seen *s = ctx;
	volatile uint8_t sink = 0;

	if (s->order != 2 || n == 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (pages[i] >= s->ram_pages)
			abort();
	if (data)
		sink = ((const uint8_t *)data)[n * SHYPER_PAGE_SIZE - 1]; /* all of it is there */
	(void)sink;
	return 0;
}

/* What the reader promises of a disk section: announced, sized first and
 * once, every byte inside the size, bytes only with DATA. */
static int on_disk(void *ctx, const struct mig_disk *d, const void *data)
{
	struct seen *s = ctx;
	volatile uint8_t sink = 0;

	if (s->order != 2 || !(s->info_flags & MIG_INFO_COPY_STORAGE) || d->disk >= MIG_DISKS_MAX ||
	    (data != NULL) != (d->kind == MIG_DISK_DATA))
		abort();
	if (d->kind == MIG_DISK_SIZE) {
		if (s->sized[d->disk] || d->offset)
			abort();
		s->sized[d->disk] = true;
		s->disk_size[d->disk] = d->length;
		return 0;
	}
	if (!s->sized[d->disk] || (d->kind != MIG_DISK_DATA && d->kind != MIG_DISK_ZERO) ||
	    !d->length || d->length > MIG_DISK_CHUNK_MAX || d->offset > s->disk_size[d->disk] ||
	    d->length > s->disk_size[d->disk] - d->offset)
		abort();
	if (data)
		sink = ((const uint8_t *)data)[d->length - 1]; /* all of it is there */
	(void)sink;
	return 0;
}

static int on_state(void *ctx, const void *state, size_t len)
{
	struct seen *s = ctx;

	if (s->order != 2 || len == 0 || len > SHYPER_VM_STATE_MAX)
		abort();
	(void)state;
	s->order = 3;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mig_reader_ops ops = {
		.info = on_info, .definition = on_definition, .pages = on_pages, .disk = on_disk,
		.state = on_state,
	};
	static struct shyper *h;
	struct input in = { .data = data, .size = size };
	struct seen seen = { 0 };
	struct mig_totals t;
	int rc;

	if (!h)
		h = calloc(1, sizeof(*h));
	in.h = h;
	rc = mig_read(h, input_read, &in, &ops, &seen, &t);
	if (rc == 0 && (seen.order != 3 || t.bytes != in.at))
		abort(); /* accepted without a state, or miscounted */
	if (rc > 0)
		abort();
	return 0;
}
