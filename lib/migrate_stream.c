// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The migration stream: writer and reader (see migrate_stream.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "migrate_stream.h"

#define PAGE SHYPER_PAGE_SIZE

/* ---- Writing ------------------------------------------------------------ */

static int put(struct mig_writer *w, const void *buf, size_t len)
{
	int rc;

	if (!len)
		return 0;
	rc = w->write(w->ctx, buf, len);
	if (rc)
		return rc;
	EVP_DigestUpdate(w->sha, buf, len);
	w->bytes += len;
	return 0;
}

static int section(struct mig_writer *w, uint32_t kind, uint64_t len)
{
	struct mig_section s = { .kind = kind, .len = len };

	return put(w, &s, sizeof(s));
}

int mig_writer_start(struct mig_writer *w, struct shyper *h, mig_write_fn write, void *ctx)
{
	struct mig_header hdr = { .version = MIG_VERSION };

	memset(w, 0, sizeof(*w));
	w->h = h;
	w->write = write;
	w->ctx = ctx;
	w->sha = EVP_MD_CTX_new();
	if (!w->sha || !EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "migration stream: no SHA-256");
	memcpy(hdr.magic, MIG_MAGIC, sizeof(hdr.magic));
	return put(w, &hdr, sizeof(hdr));
}

int mig_write_info(struct mig_writer *w, const struct mig_info *info)
{
	int rc = section(w, MIG_INFO, sizeof(*info));

	return rc ? rc : put(w, info, sizeof(*info));
}

int mig_write_definition(struct mig_writer *w, const char *xml, size_t len)
{
	int rc;

	if (len == 0 || len > MIG_DEFINITION_MAX)
		return shyper_fail(w->h, SHYPER_ERR_INVALID,
				   "migration stream: a definition of %zu bytes", len);
	rc = section(w, MIG_DEFINITION, len);
	return rc ? rc : put(w, xml, len);
}

int mig_write_pages(struct mig_writer *w, const uint64_t *pages, size_t n, const void *data)
{
	uint32_t head[2] = { (uint32_t)n, 0 };
	int rc;

	if (n == 0 || n > (data ? MIG_PAGES_MAX : MIG_ZERO_PAGES_MAX))
		return shyper_fail(w->h, SHYPER_ERR_INVALID, "migration stream: %zu pages at once",
				   n);
	rc = section(w, data ? MIG_PAGES : MIG_ZERO_PAGES,
		     sizeof(head) + n * sizeof(uint64_t) + (data ? n * PAGE : 0));
	if (!rc)
		rc = put(w, head, sizeof(head));
	if (!rc)
		rc = put(w, pages, n * sizeof(uint64_t));
	if (!rc && data)
		rc = put(w, data, n * PAGE);
	if (!rc) {
		if (data)
			w->pages += n;
		else
			w->zero_pages += n;
	}
	return rc;
}

int mig_write_disk(struct mig_writer *w, const struct mig_disk *d, const void *data)
{
	bool bytes = d->kind == MIG_DISK_DATA;
	int rc;

	if (d->disk >= MIG_DISKS_MAX || d->kind < MIG_DISK_SIZE || d->kind > MIG_DISK_ZERO ||
	    (d->kind != MIG_DISK_SIZE && (!d->length || d->length > MIG_DISK_CHUNK_MAX)) ||
	    (bytes && !data))
		return shyper_fail(w->h, SHYPER_ERR_INVALID, "migration stream: a bad disk section");
	rc = section(w, MIG_DISK, sizeof(*d) + (bytes ? d->length : 0));
	if (!rc)
		rc = put(w, d, sizeof(*d));
	if (!rc && bytes)
		rc = put(w, data, d->length);
	return rc;
}

int mig_write_state(struct mig_writer *w, const void *state, size_t len)
{
	int rc;

	if (len == 0 || len > SHYPER_VM_STATE_MAX)
		return shyper_fail(w->h, SHYPER_ERR_INVALID, "migration stream: a state of %zu bytes",
				   len);
	rc = section(w, MIG_STATE, len);
	return rc ? rc : put(w, state, len);
}

int mig_write_end(struct mig_writer *w)
{
	struct mig_end end = { .pages = w->pages, .zero_pages = w->zero_pages };
	unsigned int n = 0;
	struct mig_section s = { .kind = MIG_END, .len = sizeof(end) };
	int rc;

	/* The digest covers everything before END's own header. */
	if (!EVP_DigestFinal_ex(w->sha, end.sha256, &n) || n != sizeof(end.sha256))
		return shyper_fail(w->h, SHYPER_ERR_SYSTEM, "migration stream: SHA-256 failed");
	rc = w->write(w->ctx, &s, sizeof(s));
	if (!rc)
		rc = w->write(w->ctx, &end, sizeof(end));
	if (!rc)
		w->bytes += sizeof(s) + sizeof(end);
	return rc;
}

void mig_writer_free(struct mig_writer *w)
{
	EVP_MD_CTX_free(w->sha);
	w->sha = NULL;
}

/* ---- Reading ------------------------------------------------------------ */

struct reader {
	struct shyper *h;
	mig_read_fn read;
	void *ctx;
	EVP_MD_CTX *sha;
	uint64_t bytes;
};

static int get(struct reader *r, void *buf, size_t len)
{
	int rc;

	if (!len)
		return 0;
	rc = r->read(r->ctx, buf, len);
	if (rc)
		return rc;
	EVP_DigestUpdate(r->sha, buf, len);
	r->bytes += len;
	return 0;
}

static int bad(struct reader *r, const char *what)
{
	return shyper_fail(r->h, SHYPER_ERR_PROTOCOL,
			   "migration stream: %s (at byte %llu): refused", what,
			   (unsigned long long)r->bytes);
}

static bool nul_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* Phases, in the order sections must come. */
enum phase { WANT_INFO, WANT_DEFINITION, IN_PAGES, WANT_END, DONE };

static int read_pages(struct reader *r, const struct mig_section *s, const struct mig_info *info,
		      const struct mig_reader_ops *ops, void *ctx, struct mig_totals *t)
{
	bool zero = s->kind == MIG_ZERO_PAGES;
	uint32_t head[2];
	uint64_t *pages = NULL;
	void *data = NULL;
	int rc;

	if (s->len < sizeof(head))
		return bad(r, "a pages section too short");
	rc = get(r, head, sizeof(head));
	if (rc)
		return rc;
	if (head[1] || head[0] == 0 || head[0] > (zero ? MIG_ZERO_PAGES_MAX : MIG_PAGES_MAX))
		return bad(r, "a pages section with a bad count");
	if (s->len != sizeof(head) + (uint64_t)head[0] * (sizeof(uint64_t) + (zero ? 0 : PAGE)))
		return bad(r, "a pages section whose length is not its count's");
	pages = malloc(head[0] * sizeof(uint64_t));
	if (!zero)
		data = malloc((size_t)head[0] * PAGE);
	if (!pages || (!zero && !data)) {
		rc = shyper_fail(r->h, SHYPER_ERR_NO_MEMORY, "migration stream: no memory");
		goto out;
	}
	rc = get(r, pages, head[0] * sizeof(uint64_t));
	if (rc)
		goto out;
	for (uint32_t i = 0; i < head[0]; i++) {
		if (pages[i] >= info->ram_pages) {
			rc = bad(r, "a page past the guest's RAM");
			goto out;
		}
	}
	if (!zero) {
		rc = get(r, data, (size_t)head[0] * PAGE);
		if (rc)
			goto out;
	}
	rc = ops->pages ? ops->pages(ctx, pages, head[0], data) : 0;
	if (!rc) {
		if (zero)
			t->zero_pages += head[0];
		else
			t->pages += head[0];
	}
out:
	free(pages);
	free(data);
	return rc;
}

/* What DISK sections declared: each disk's size, once. */
struct disks {
	uint64_t size[MIG_DISKS_MAX];
	bool sized[MIG_DISKS_MAX];
};

static int read_disk(struct reader *r, const struct mig_section *s, const struct mig_info *info,
		     struct disks *disks, const struct mig_reader_ops *ops, void *ctx,
		     struct mig_totals *t)
{
	struct mig_disk d;
	void *data = NULL;
	int rc;

	if (!(info->flags & MIG_INFO_COPY_STORAGE))
		return bad(r, "a disk in a stream that said it carries none");
	if (s->len < sizeof(d))
		return bad(r, "a disk section too short");
	rc = get(r, &d, sizeof(d));
	if (rc)
		return rc;
	if (d.disk >= MIG_DISKS_MAX)
		return bad(r, "a disk section for a disk past the last");
	switch (d.kind) {
	case MIG_DISK_SIZE:
		if (s->len != sizeof(d) || d.offset || disks->sized[d.disk] ||
		    d.length > MIG_DISK_SIZE_MAX)
			return bad(r, "a disk's size out of place or out of range");
		disks->sized[d.disk] = true;
		disks->size[d.disk] = d.length;
		break;
	case MIG_DISK_DATA:
	case MIG_DISK_ZERO:
		if (!disks->sized[d.disk])
			return bad(r, "a disk's bytes before its size");
		if (!d.length || d.length > MIG_DISK_CHUNK_MAX ||
		    d.offset > disks->size[d.disk] || d.length > disks->size[d.disk] - d.offset)
			return bad(r, "disk bytes past the disk's end");
		if (s->len != sizeof(d) + (d.kind == MIG_DISK_DATA ? d.length : 0))
			return bad(r, "a disk section whose length is not its bytes'");
		break;
	default:
		return bad(r, "a disk section of a kind this board does not know");
	}
	if (d.kind == MIG_DISK_DATA) {
		data = malloc(d.length);
		if (!data)
			return shyper_fail(r->h, SHYPER_ERR_NO_MEMORY, "migration stream: no memory");
		rc = get(r, data, d.length);
	}
	if (!rc && ops->disk)
		rc = ops->disk(ctx, &d, data);
	if (!rc && d.kind != MIG_DISK_SIZE)
		t->disk_bytes += d.length;
	free(data);
	return rc;
}

static int read_sections(struct reader *r, const struct mig_reader_ops *ops, void *ctx,
			 struct mig_totals *t)
{
	struct disks disks = { 0 };
	struct mig_info info = { 0 };
	enum phase phase = WANT_INFO;
	struct mig_header hdr;
	int rc;

	rc = get(r, &hdr, sizeof(hdr));
	if (rc)
		return rc;
	if (memcmp(hdr.magic, MIG_MAGIC, sizeof(hdr.magic)))
		return bad(r, "not a Shyper migration stream");
	if (hdr.version != MIG_VERSION)
		return shyper_fail(r->h, SHYPER_ERR_PROTOCOL,
				   "migration stream: version %u, this board knows version %u: "
				   "refused", hdr.version, MIG_VERSION);
	if (hdr.flags || hdr.reserved)
		return bad(r, "flags this board does not know");

	while (phase != DONE) {
		struct mig_section s;
		uint8_t digest[32];
		unsigned int n = 0;

		/* END's header is outside the digest: take the digest first. */
		if (phase == WANT_END) {
			EVP_MD_CTX *copy = EVP_MD_CTX_new();

			if (!copy || !EVP_MD_CTX_copy_ex(copy, r->sha) ||
			    !EVP_DigestFinal_ex(copy, digest, &n)) {
				EVP_MD_CTX_free(copy);
				return shyper_fail(r->h, SHYPER_ERR_SYSTEM,
						   "migration stream: SHA-256 failed");
			}
			EVP_MD_CTX_free(copy);
		}
		rc = get(r, &s, sizeof(s));
		if (rc)
			return rc;
		if (s.reserved)
			return bad(r, "a section with reserved bits set");
		switch (s.kind) {
		case MIG_INFO:
			if (phase != WANT_INFO)
				return bad(r, "INFO out of place");
			if (s.len != sizeof(info))
				return bad(r, "INFO of the wrong size");
			rc = get(r, &info, sizeof(info));
			if (rc)
				return rc;
			if (!nul_terminated(info.name, sizeof(info.name)) || !info.name[0] ||
			    !nul_terminated(info.source, sizeof(info.source)) || !info.ram_pages ||
			    !info.vcpus || info.vcpus > SHYPER_MAX_VCPUS ||
			    info.ram_pages > (1ULL << 40) / PAGE || info.flags & ~(MIG_INFO_COPY_STORAGE | MIG_INFO_PAUSED))
				return bad(r, "INFO with values out of range");
			rc = ops->info ? ops->info(ctx, &info) : 0;
			phase = WANT_DEFINITION;
			break;
		case MIG_DEFINITION: {
			char *xml;

			if (phase != WANT_DEFINITION)
				return bad(r, "DEFINITION out of place");
			if (s.len == 0 || s.len > MIG_DEFINITION_MAX)
				return bad(r, "a DEFINITION too large or empty");
			xml = malloc(s.len + 1);
			if (!xml)
				return shyper_fail(r->h, SHYPER_ERR_NO_MEMORY, "migration stream: no memory");
			rc = get(r, xml, s.len);
			xml[s.len] = '\0';
			if (!rc && memchr(xml, '\0', s.len))
				rc = bad(r, "a DEFINITION with a NUL in it");
			if (!rc && ops->definition)
				rc = ops->definition(ctx, xml, s.len);
			free(xml);
			phase = IN_PAGES;
			break;
		}
		case MIG_PAGES:
		case MIG_ZERO_PAGES:
			if (phase != IN_PAGES)
				return bad(r, "pages out of place");
			rc = read_pages(r, &s, &info, ops, ctx, t);
			break;
		case MIG_DISK:
			if (phase != IN_PAGES)
				return bad(r, "a disk out of place");
			rc = read_disk(r, &s, &info, &disks, ops, ctx, t);
			break;
		case MIG_STATE: {
			void *state;

			if (phase != IN_PAGES)
				return bad(r, "STATE out of place");
			if (s.len == 0 || s.len > SHYPER_VM_STATE_MAX)
				return bad(r, "a STATE too large or empty");
			state = malloc(s.len);
			if (!state)
				return shyper_fail(r->h, SHYPER_ERR_NO_MEMORY, "migration stream: no memory");
			rc = get(r, state, s.len);
			if (!rc && ops->state)
				rc = ops->state(ctx, state, s.len);
			free(state);
			phase = WANT_END;
			break;
		}
		case MIG_END: {
			struct mig_end end;

			if (phase != WANT_END)
				return bad(r, "END before the guest's state");
			if (s.len != sizeof(end))
				return bad(r, "END of the wrong size");
			rc = get(r, &end, sizeof(end));
			if (rc)
				return rc;
			if (n != sizeof(digest) || memcmp(end.sha256, digest, sizeof(digest)))
				return bad(r, "its SHA-256 does not match: the stream was damaged");
			if (end.pages != t->pages || end.zero_pages != t->zero_pages)
				return bad(r, "END counts other pages than came");
			phase = DONE;
			break;
		}
		default:
			return bad(r, "a section of a kind this board does not know");
		}
		if (rc)
			return rc;
	}
	return 0;
}

int mig_read(struct shyper *h, mig_read_fn read, void *rctx, const struct mig_reader_ops *ops,
	     void *ctx, struct mig_totals *totals)
{
	struct reader r = { .h = h, .read = read, .ctx = rctx };
	struct mig_totals t = { 0 };
	int rc;

	shyper_clear_error(h);
	r.sha = EVP_MD_CTX_new();
	if (!r.sha || !EVP_DigestInit_ex(r.sha, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(r.sha);
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "migration stream: no SHA-256");
	}
	rc = read_sections(&r, ops, ctx, &t);
	EVP_MD_CTX_free(r.sha);
	t.bytes = r.bytes;
	if (totals)
		*totals = t;
	return rc;
}
