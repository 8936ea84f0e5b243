// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Moving a managed guest: sending it as a migration stream (pre-copy while
 * it runs, then a short stop-and-copy), and receiving one into a guest
 * that resumes where the other stopped. `shyperctl vm save/restore` put
 * the stream in a file; migration sends it to another board's shyperd.
 *
 * Sending never loses the guest: whatever fails before the stream is
 * whole leaves it running (resumed if it was paused for the last copy).
 * Receiving never starts what did not arrive whole and checked: the guest
 * is created, filled and loaded, and only shyper_domain_receive_start()
 * runs it; shyper_domain_receive_abort() throws it away.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shyper/domain.h>

#include "domain_internal.h"
#include "internal.h"
#include "manage_internal.h"
#include "migrate_disk.h"
#include "migrate_stream.h"

#define PAGE SHYPER_PAGE_SIZE
/* Pages read from the guest, and sent, at once: 4 MiB. */
#define BATCH 1024
/* A guest's vCPUs leave their pCPUs and its disk and network requests
 * finish within this, once it is paused, or the last copy is given up. */
#define SETTLE_NS 5000000000LL

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L }, NULL);
}

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[PAGE];

	return !memcmp(p, zero, PAGE);
}

/* ---- Sending ----------------------------------------------------------------- */

struct sender {
	struct shyper *h;
	struct mig_writer w;
	const struct shyper_send_opts *opts;
	struct shyper_send_result *res;
	uint32_t id;
	uint64_t ram_pages;
	uint8_t *buf;                 /* BATCH pages */
	uint64_t *list, *zero_list;   /* BATCH page numbers each */
	int64_t started, paused_at;
	uint64_t round_bytes;
	int64_t round_started;
	uint64_t rate;                /* bytes per second, measured */
	struct disk_sender disks;     /* --copy-storage */
	uint64_t paced_bytes;         /* stream bytes when pace() last ran */
	const char *name;
	int64_t status_at;            /* RUN_DIR/NAME.sending last written */
	unsigned status_round;
};

/* How often a watcher hears of a round's progress. */
#define STATUS_NS 250000000LL

static bool cancelled(const struct sender *s)
{
	return s->opts->cancel && __atomic_load_n(s->opts->cancel, __ATOMIC_ACQUIRE);
}

static void progress(struct sender *s, unsigned round, uint64_t done, uint64_t todo,
		     uint64_t dirty, bool stopped)
{
	struct shyper_send_progress p = {
		.round = round,
		.ram_pages = s->ram_pages,
		.round_done = done,
		.round_pages = todo,
		.dirty_pages = dirty,
		.bytes = s->w.bytes,
		.rate = s->rate,
		.stopped = stopped,
		.elapsed_ns = (uint64_t)(now_ns() - s->started),
	};

	if (s->rate)
		p.expected_downtime_ms = dirty * PAGE * 1000 / s->rate;
	if (s->opts->progress)
		s->opts->progress(s->opts->progress_ctx, &p);
	if (stopped || round != s->status_round || now_ns() - s->status_at >= STATUS_NS) {
		manage_send_status_write(s->h, s->name, &p);
		s->status_at = now_ns();
		s->status_round = round;
	}
}

/* Keeps to the bandwidth limit: sleeps as long as BYTES more would take. */
static void throttle(struct sender *s)
{
	uint64_t limit = s->opts->bandwidth;
	int64_t due;

	if (!limit)
		return;
	due = s->round_started + (int64_t)(s->round_bytes * 1000000000ULL / limit);
	if (due > now_ns())
		nanosleep(&(struct timespec){ .tv_sec = (due - now_ns()) / 1000000000LL,
					      .tv_nsec = (due - now_ns()) % 1000000000LL },
			  NULL);
}

/* After each disk chunk: the bandwidth limit, and a cancel. */
static int pace(void *ctx)
{
	struct sender *s = ctx;

	s->round_bytes += s->w.bytes - s->paced_bytes;
	s->paced_bytes = s->w.bytes;
	throttle(s);
	return cancelled(s) ? shyper_fail(s->h, SHYPER_ERR_INTERRUPTED, "cancelled") : 0;
}

/* Reads and sends N pages (numbers in PAGES), zero pages as numbers only. */
static int send_pages(struct sender *s, const uint64_t *pages, size_t n)
{
	size_t data = 0, zero = 0;
	uint64_t before = s->w.bytes;
	int rc;

	rc = shyper_vm_pages_read(s->h, s->id, pages, n, s->buf);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (page_is_zero(s->buf + i * PAGE)) {
			s->zero_list[zero++] = pages[i];
		} else {
			if (data != i)
				memmove(s->buf + data * PAGE, s->buf + i * PAGE, PAGE);
			s->list[data++] = pages[i];
		}
	}
	if (data)
		rc = mig_write_pages(&s->w, s->list, data, s->buf);
	if (!rc && zero)
		rc = mig_write_pages(&s->w, s->zero_list, zero, NULL);
	s->round_bytes += s->w.bytes - before;
	throttle(s);
	return rc;
}

/* Sends the pages whose bits are set in BITMAP (RAM_PAGES bits). */
static int send_bitmap(struct sender *s, const uint64_t *bitmap, unsigned round, uint64_t todo,
		       bool stopped)
{
	uint64_t batch[BATCH];
	size_t n = 0;
	uint64_t done = 0;
	int rc = 0;

	for (uint64_t w = 0; !rc && w < (s->ram_pages + 63) / 64; w++) {
		for (uint64_t b = bitmap[w]; b && !rc; b &= b - 1) {
			uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(b);

			if (page >= s->ram_pages)
				break;
			batch[n++] = page;
			if (n == BATCH) {
				rc = send_pages(s, batch, n);
				done += n;
				n = 0;
				if (!stopped) {
					progress(s, round, done, todo, todo - done, false);
					if (cancelled(s))
						rc = shyper_fail(s->h, SHYPER_ERR_INTERRUPTED,
								 "cancelled");
				}
			}
		}
	}
	if (!rc && n)
		rc = send_pages(s, batch, n);
	return rc;
}

static uint64_t popcount(const uint64_t *bitmap, uint64_t words)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < words; w++)
		n += (uint64_t)__builtin_popcountll(bitmap[w]);
	return n;
}

/* Pauses the guest and waits until its state can be saved; *LEN set. */
static int stop_and_save(struct sender *s, void *state, size_t room, size_t *len)
{
	int64_t deadline;
	int rc;

	struct shyper_vm_info vm;

	/* A guest paused by its user stays so: it is copied as it is. */
	rc = shyper_vm_info(s->h, s->id, &vm);
	if (!rc && vm.state != SHYPER_VM_PAUSED)
		rc = shyper_vm_pause(s->h, s->id);
	if (rc)
		return rc;
	s->paused_at = now_ns();
	deadline = s->paused_at + SETTLE_NS;
	for (;;) {
		rc = shyper_vm_state_save(s->h, s->id, state, room, len);
		if (rc != SHYPER_ERR_BUSY || now_ns() > deadline)
			return rc;
		/* vCPUs still leaving, or the backends finishing requests. */
		sleep_ms(1);
	}
}

static int send_locked(struct sender *s, const char *name, struct shyper_domain *dom)
{
	const struct shyper_send_opts *o = s->opts;
	uint64_t words, *bitmap = NULL;
	struct mig_info info = { .vcpus = dom->vcpu_count };
	struct shyper_vm_info vm;
	size_t state_len = 0;
	void *state = NULL;
	bool logging = false;
	char *xml = NULL;
	unsigned round = 1;
	int rc;

	rc = manage_hv_find(s->h, name, &vm);
	if (rc == 0)
		rc = shyper_fail(s->h, SHYPER_ERR_BUSY, "VM '%s' is not running", name);
	if (rc < 0)
		return rc;
	if (vm.type == SHYPER_VM_MVM)
		return shyper_fail(s->h, SHYPER_ERR_PERMISSION,
				   "VM '%s' is the management VM: it stays on its board", name);
	if (vm.state != SHYPER_VM_RUNNING && vm.state != SHYPER_VM_PAUSED)
		return shyper_fail(s->h, SHYPER_ERR_BUSY, "VM '%s' is %s: only a running or paused "
				   "guest moves", name, shyper_vm_state_name(vm.state));
	if (dom->hostdev_count)
		return shyper_fail(s->h, SHYPER_ERR_NOT_SUPPORTED,
				   "VM '%s' has a <hostdev> (a device of this board) and cannot "
				   "leave it, as libvirt refuses too", name);
	s->id = vm.id;
	s->ram_pages = vm.memory / PAGE;
	memcpy(info.uuid, dom->uuid, sizeof(info.uuid));
	snprintf(info.name, sizeof(info.name), "%s", name);
	gethostname(info.source, sizeof(info.source) - 1);
	info.ram_pages = s->ram_pages;
	if (o->copy_storage)
		info.flags |= MIG_INFO_COPY_STORAGE;
	/* Paused by its user: it is paused wherever it arrives. */
	if (vm.state == SHYPER_VM_PAUSED)
		info.flags |= MIG_INFO_PAUSED;
	xml = shyper_domain_to_xml(dom);
	words = (s->ram_pages + 63) / 64;
	bitmap = calloc(words, sizeof(uint64_t));
	state = malloc(SHYPER_VM_STATE_MAX);
	if (!xml || !bitmap || !state) {
		rc = shyper_fail(s->h, SHYPER_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	rc = mig_write_info(&s->w, &info);
	if (!rc)
		rc = mig_write_definition(&s->w, xml, strlen(xml));
	if (!rc && o->copy_storage) {
		/* The disks first, while it runs: what changes meanwhile goes
		 * again in the stop-and-copy. */
		rc = disk_send_open(&s->disks, s->h, dom);
		s->round_started = now_ns();
		s->round_bytes = 0;
		s->paced_bytes = s->w.bytes;
		if (!rc)
			rc = disk_send(&s->disks, &s->w, false, pace, s);
	}
	if (rc)
		goto out;

	if (o->live && vm.state == SHYPER_VM_RUNNING) {
		/* Round 1: every page, with writes logged from before the first read. */
		rc = shyper_vm_dirty_log(s->h, s->id, true, NULL);
		if (rc)
			goto out;
		logging = true;
		memset(bitmap, 0xff, words * sizeof(uint64_t));
		for (;;) {
			uint64_t todo = popcount(bitmap, words), dirty;

			s->round_started = now_ns();
			s->round_bytes = 0;
			progress(s, round, 0, todo, todo, false);
			rc = send_bitmap(s, bitmap, round, todo, false);
			if (rc)
				goto out;
			if (now_ns() > s->round_started)
				s->rate = s->round_bytes * 1000000000ULL /
					  (uint64_t)(now_ns() - s->round_started) + 1;
			rc = shyper_vm_dirty_fetch(s->h, s->id, 0, bitmap, words * 8, &dirty);
			if (rc)
				goto out;
			s->res->rounds = round;
			progress(s, round, todo, todo, dirty, false);
			if (cancelled(s)) {
				rc = shyper_fail(s->h, SHYPER_ERR_INTERRUPTED, "cancelled");
				goto out;
			}
			/* What is left fits the downtime at the rate measured. */
			if (dirty * PAGE * 1000 <= (uint64_t)o->max_downtime_ms * s->rate ||
			    round >= o->max_rounds)
				break;
			round++;
		}
	} else {
		memset(bitmap, 0xff, words * sizeof(uint64_t));
	}

	/* Stop and copy: what is still dirty, and the state. */
	rc = stop_and_save(s, state, SHYPER_VM_STATE_MAX, &state_len);
	if (rc)
		goto out;
	if (logging) {
		uint64_t dirty = 0;
		uint64_t *last = calloc(words, sizeof(uint64_t));

		if (!last) {
			rc = shyper_fail(s->h, SHYPER_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
		/* The last round's leftovers and what the guest wrote since. */
		rc = shyper_vm_dirty_fetch(s->h, s->id, 0, last, words * 8, &dirty);
		for (uint64_t w = 0; w < words; w++)
			bitmap[w] |= last[w];
		free(last);
		if (rc)
			goto out;
	}
	round++;
	s->round_started = now_ns();
	s->round_bytes = 0;
	progress(s, round, 0, popcount(bitmap, words), popcount(bitmap, words), true);
	/* Its disk requests have finished: the images' last changes. */
	if (o->copy_storage)
		rc = disk_send(&s->disks, &s->w, true, NULL, NULL);
	if (!rc)
		rc = send_bitmap(s, bitmap, round, popcount(bitmap, words), true);
	if (!rc)
		rc = mig_write_state(&s->w, state, state_len);
	if (!rc)
		rc = mig_write_end(&s->w);
	s->res->rounds = round;
out:
	if (logging) {
		char message[SHYPER_MESSAGE_LEN];

		/* (A call clears the message: keep why it failed.) */
		snprintf(message, sizeof(message), "%s", s->h->message);
		shyper_vm_dirty_log(s->h, s->id, false, NULL);
		snprintf(s->h->message, sizeof(s->h->message), "%s", message);
	}
	s->res->disk_bytes = s->disks.bytes;
	disk_send_close(&s->disks);
	free(xml);
	free(bitmap);
	free(state);
	return rc;
}

int shyper_domain_send(struct shyper *h, const char *name, const struct shyper_send_opts *opts,
		       shyper_write_fn write, void *ctx, struct shyper_send_result *res)
{
	struct shyper_send_opts defaults = { .live = true, .max_downtime_ms = 300,
					     .max_rounds = 30 };
	struct shyper_send_result local;
	struct shyper_domain *dom = NULL;
	struct sender s = { .h = h, .res = res ? res : &local, .name = name };
	bool was_paused;
	struct shyper_vm_info vm;
	int rc;

	shyper_clear_error(h);
	memset(s.res, 0, sizeof(*s.res));
	s.opts = opts ? opts : &defaults;
	if (s.opts->max_rounds == 0)
		return shyper_fail(h, SHYPER_ERR_INVALID, "sending VM '%s': no rounds allowed", name);
	rc = manage_hv_find(h, name, &vm);
	if (rc == 1 && vm.type == SHYPER_VM_MVM)
		return shyper_fail(h, SHYPER_ERR_PERMISSION, "sending VM '%s': it is the management "
				   "VM, which stays on its board", name);
	if (rc == 0)
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "sending VM '%s': no such VM runs here",
				   name);
	if (rc < 0)
		return rc;
	was_paused = vm.state == SHYPER_VM_PAUSED;
	rc = manage_running_copy_read(h, name, &dom);
	if (rc)
		return rc;
	s.buf = malloc((size_t)BATCH * PAGE);
	s.list = malloc(BATCH * sizeof(uint64_t));
	s.zero_list = malloc(BATCH * sizeof(uint64_t));
	if (!s.buf || !s.list || !s.zero_list) {
		rc = shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	s.started = now_ns();
	rc = mig_writer_start(&s.w, h, (mig_write_fn)write, ctx);
	if (!rc)
		rc = send_locked(&s, name, dom);
	s.res->bytes = s.w.bytes;
	s.res->pages = s.w.pages;
	s.res->zero_pages = s.w.zero_pages;
	s.res->total_ns = (uint64_t)(now_ns() - s.started);
	if (s.paused_at)
		s.res->downtime_ns = (uint64_t)(now_ns() - s.paused_at);
	if (rc && s.paused_at && !was_paused) {
		/* It goes on here, as if nothing happened. */
		char message[SHYPER_MESSAGE_LEN];

		snprintf(message, sizeof(message), "%s", h->message);
		shyper_vm_resume(h, s.id);
		snprintf(h->message, sizeof(h->message), "%s", message);
	}
	mig_writer_free(&s.w);
	manage_send_status_clear(h, name);
out:
	free(s.buf);
	free(s.list);
	free(s.zero_list);
	shyper_domain_free(dom);
	if (rc && strncmp(h->message, "sending VM", 10))
		rc = shyper_fail(h, rc, "sending VM '%s': %s", name, h->message);
	return rc;
}

/* ---- Receiving ---------------------------------------------------------------- */

/* on_definition()'s answer in a check: the stream stops there, all is well. */
#define CHECKED 1

struct receiver {
	struct shyper *h;
	bool check_only;              /* shyper_domain_receive_check() */
	const struct shyper_receive_opts *opts;
	struct shyper_received *out;
	struct mig_info info;
	struct shyper_domain *dom;
	uint8_t *written;             /* a bit per page: data came for it */
	uint8_t *zero;                /* BATCH zero pages */
	bool have_vm;
	struct disk_receiver disks;   /* the stream's disk images, if it carries them */
};

static int on_info(void *ctx, const struct mig_info *info)
{
	struct receiver *r = ctx;
	struct shyper_vm_info vm;
	struct shyper_hv_info hv;
	int rc;

	r->info = *info;
	if (!manage_name_ok(info->name))
		return shyper_fail(r->h, SHYPER_ERR_INVALID, "the incoming VM's name '%s' is not one "
				   "a VM may have", info->name);
	rc = manage_hv_find(r->h, info->name, &vm);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return shyper_fail(r->h, SHYPER_ERR_EXISTS, "a VM called '%s' is already here (id "
				   "%u, %s)", info->name, vm.id, shyper_vm_state_name(vm.state));
	rc = shyper_hv_info(r->h, &hv);
	if (rc)
		return rc;
	if (info->ram_pages * PAGE > hv.pool_free)
		return shyper_fail(r->h, SHYPER_ERR_NO_MEMORY,
				   "VM '%s' needs %llu MiB and this board has %llu MiB free",
				   info->name, (unsigned long long)(info->ram_pages * PAGE >> 20),
				   (unsigned long long)(hv.pool_free >> 20));
	r->written = calloc((info->ram_pages + 7) / 8, 1);
	return r->written ? 0 : shyper_fail(r->h, SHYPER_ERR_NO_MEMORY, "out of memory");
}

/* The files its definition names are here; the disk images that come in
 * the stream are not, and can be created. */
static int check_files(struct receiver *r)
{
	struct shyper_domain boot;
	int rc;

	if (!(r->info.flags & MIG_INFO_COPY_STORAGE))
		return manage_check_files(r->h, r->dom);
	boot = *r->dom;
	boot.disk_count = 0;
	rc = disk_receive_check(r->h, r->dom);
	return rc ? rc : manage_check_files(r->h, &boot);
}

/* What defining and creating would refuse, found without doing either. */
static int check_definition(struct receiver *r)
{
	struct shyper_domain *existing = NULL;
	struct shyper_hv_info hv;
	char **names = NULL;
	size_t count = 0;
	int rc;

	rc = shyper_hv_info(r->h, &hv);
	if (rc)
		return rc;
	for (unsigned i = 0; i < r->dom->vcpu_count; i++)
		if (r->dom->vcpu_pcpu[i] != SHYPER_DOMAIN_PCPU_UNPINNED &&
		    (unsigned)r->dom->vcpu_pcpu[i] >= hv.pcpu_count)
			return shyper_fail(r->h, SHYPER_ERR_INVALID,
					   "VM '%s': vCPU %u is pinned to pCPU %d, and this board has "
					   "%u", r->dom->name, i, r->dom->vcpu_pcpu[i], hv.pcpu_count);
	rc = check_files(r);
	if (!rc)
		rc = manage_rt_check_start(r->h, r->dom);
	if (rc)
		return rc;
	if (manage_def_read(r->h, r->dom->name, &existing) == 0) {
		bool same = !memcmp(existing->uuid, r->dom->uuid, sizeof(existing->uuid));

		shyper_domain_free(existing);
		if (!same)
			return shyper_fail(r->h, SHYPER_ERR_EXISTS, "VM '%s' is defined here with "
					   "another UUID", r->dom->name);
	}
	shyper_clear_error(r->h);
	rc = manage_def_names(r->h, &names, &count);
	for (size_t i = 0; !rc && i < count; i++) {
		struct shyper_domain *other;

		if (!strcmp(names[i], r->dom->name) || manage_def_read(r->h, names[i], &other))
			continue;
		if (!memcmp(other->uuid, r->dom->uuid, sizeof(other->uuid)))
			rc = shyper_fail(r->h, SHYPER_ERR_EXISTS, "its UUID belongs to VM '%s' here",
					 other->name);
		shyper_domain_free(other);
	}
	manage_names_free(names, count);
	shyper_clear_error(r->h);
	return rc ? rc : CHECKED;
}

static int on_definition(void *ctx, const char *xml, size_t len)
{
	struct receiver *r = ctx;
	struct shyper_domain *existing = NULL;
	struct shyper_vm_config config;
	uint32_t id;
	int rc;

	rc = shyper_domain_parse_string(xml, len, &r->dom, NULL);
	if (rc)
		return shyper_fail(r->h, rc, "the incoming definition does not read: %s",
				   r->h->message);
	if (strcmp(r->dom->name, r->info.name) || memcmp(r->dom->uuid, r->info.uuid, 16) ||
	    r->dom->memory != r->info.ram_pages * PAGE || r->dom->vcpu_count != r->info.vcpus)
		return shyper_fail(r->h, SHYPER_ERR_PROTOCOL,
				   "the incoming definition is not the guest the stream says");
	if (r->dom->hostdev_count)
		return shyper_fail(r->h, SHYPER_ERR_NOT_SUPPORTED,
				   "VM '%s' has a <hostdev>: a board's device does not move",
				   r->dom->name);
	/* Everything the check would refuse, refused before anything is made. */
	rc = check_definition(r);
	if (rc != CHECKED || r->check_only)
		return rc;
	/* Its definition comes along: the same name and UUID here, or new. */
	if (manage_def_read(r->h, r->dom->name, &existing) == 0) {
		shyper_domain_free(existing);
		r->out->defined_before = true;
	}
	shyper_clear_error(r->h);
	if (r->info.flags & MIG_INFO_COPY_STORAGE) {
		/* Its images, empty until the stream fills them. */
		rc = disk_receive_create(&r->disks, r->h, r->dom);
		r->out->disks_created = r->disks.created;
		if (rc)
			return rc;
	}
	rc = manage_define(r->h, r->dom, NULL, !(r->info.flags & MIG_INFO_COPY_STORAGE));
	if (!rc)
		rc = shyper_domain_to_config(r->dom, &config);
	if (rc)
		return rc;
	/* Where it starts is in its registers: anything inside its RAM will do. */
	config.entry_ipa = SHYPER_GUEST_RAM_BASE;
	rc = shyper_vm_create(r->h, &config, &id);
	if (rc)
		return rc;
	r->out->id = id;
	r->have_vm = true;
	snprintf(r->out->name, sizeof(r->out->name), "%s", r->dom->name);
	/* Its devices come with its state: a disk image the stream carries
	 * has its size then. */
	return 0;
}

static int on_disk(void *ctx, const struct mig_disk *d, const void *data)
{
	struct receiver *r = ctx;

	return disk_receive(&r->disks, d, data);
}

static int on_pages(void *ctx, const uint64_t *pages, size_t n, const void *data)
{
	struct receiver *r = ctx;
	uint64_t again[BATCH];
	size_t k = 0;
	int rc = 0;

	if (!r->have_vm)
		return shyper_fail(r->h, SHYPER_ERR_PROTOCOL, "pages before the guest");
	if (data) {
		for (size_t i = 0; i < n; i++)
			r->written[pages[i] / 8] |= (uint8_t)(1U << (pages[i] % 8));
		return shyper_vm_pages_write(r->h, r->out->id, pages, n, data);
	}
	/* A page of zeroes is one already, unless data came for it before. */
	for (size_t i = 0; !rc && i < n; i++) {
		if (!(r->written[pages[i] / 8] & (1U << (pages[i] % 8))))
			continue;
		r->written[pages[i] / 8] &= (uint8_t)~(1U << (pages[i] % 8));
		again[k++] = pages[i];
		if (k == BATCH) {
			rc = shyper_vm_pages_write(r->h, r->out->id, again, k, r->zero);
			k = 0;
		}
	}
	if (!rc && k)
		rc = shyper_vm_pages_write(r->h, r->out->id, again, k, r->zero);
	return rc;
}

static int on_state(void *ctx, const void *state, size_t len)
{
	struct receiver *r = ctx;

	int rc;

	if (!r->have_vm)
		return shyper_fail(r->h, SHYPER_ERR_PROTOCOL, "a state before the guest");
	if (r->info.flags & MIG_INFO_COPY_STORAGE) {
		rc = disk_receive_finish(&r->disks);
		if (rc)
			return rc;
	}
	rc = manage_add_devices(r->h, r->dom, r->out->id);
	return rc ? rc : shyper_vm_state_load(r->h, r->out->id, state, len);
}

int shyper_domain_receive(struct shyper *h, shyper_read_fn read, void *ctx,
			  struct shyper_received *out)
{
	static const struct mig_reader_ops ops = {
		.info = on_info, .definition = on_definition, .pages = on_pages, .disk = on_disk,
		.state = on_state,
	};
	struct receiver r = { .h = h, .out = out };
	struct mig_totals totals = { 0 };
	int rc;

	shyper_clear_error(h);
	memset(out, 0, sizeof(*out));
	r.zero = calloc(BATCH, PAGE);
	if (!r.zero)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	/* (No store lock held: defining takes it, and the hypervisor refuses a
	 * second VM of the name if another tool races this one.) */
	rc = mig_read(h, (mig_read_fn)read, ctx, &ops, &r, &totals);
	out->bytes = totals.bytes;
	out->pages = totals.pages;
	out->zero_pages = totals.zero_pages;
	out->disk_bytes = totals.disk_bytes;
	out->paused = r.info.flags & MIG_INFO_PAUSED;
	disk_receive_close(&r.disks);
	if (rc && (r.have_vm || out->disks_created)) {
		char message[SHYPER_MESSAGE_LEN];
		struct shyper_received made = *out;

		snprintf(message, sizeof(message), "%s", h->message);
		/* (The images it made, by the definition in hand: the stored one
		 * may not be there yet.) */
		if (out->disks_created && r.dom)
			disk_remove_created(r.dom, out->disks_created);
		made.disks_created = 0;
		shyper_domain_receive_abort(h, &made);
		snprintf(h->message, sizeof(h->message), "%s", message);
		memset(out, 0, sizeof(*out));
	}
	shyper_domain_free(r.dom);
	free(r.written);
	free(r.zero);
	if (rc)
		rc = shyper_fail(h, rc, "receiving a VM: %s", h->message);
	return rc;
}

int shyper_domain_receive_check(struct shyper *h, shyper_read_fn read, void *ctx,
				struct shyper_received *out)
{
	static const struct mig_reader_ops ops = { .info = on_info, .definition = on_definition };
	struct receiver r = { .h = h, .out = out, .check_only = true };
	int rc;

	shyper_clear_error(h);
	memset(out, 0, sizeof(*out));
	rc = mig_read(h, (mig_read_fn)read, ctx, &ops, &r, NULL);
	if (rc == CHECKED) {
		snprintf(out->name, sizeof(out->name), "%s", r.info.name);
		rc = 0;
	} else if (rc == 0) {
		rc = shyper_fail(h, SHYPER_ERR_PROTOCOL, "a whole stream where its start was asked");
	}
	shyper_domain_free(r.dom);
	free(r.written);
	if (rc)
		rc = shyper_fail(h, rc, "VM refused: %s", h->message);
	return rc;
}

int shyper_domain_send_check(struct shyper *h, const char *name, bool copy_storage,
			     shyper_write_fn write, void *ctx)
{
	struct shyper_domain *dom = NULL;
	struct mig_info info = { 0 };
	struct shyper_vm_info vm;
	struct mig_writer w;
	char *xml = NULL;
	int rc;

	shyper_clear_error(h);
	rc = manage_hv_find(h, name, &vm);
	if (rc == 0)
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM '%s' runs here", name);
	if (rc < 0)
		return rc;
	if (vm.type == SHYPER_VM_MVM)
		return shyper_fail(h, SHYPER_ERR_PERMISSION, "VM '%s' is the management VM, which "
				   "stays on its board", name);
	rc = manage_running_copy_read(h, name, &dom);
	if (rc)
		return rc;
	if (dom->hostdev_count) {
		shyper_domain_free(dom);
		return shyper_fail(h, SHYPER_ERR_NOT_SUPPORTED,
				   "VM '%s' has a <hostdev> (a device of this board) and cannot "
				   "leave it, as libvirt refuses too", name);
	}
	memcpy(info.uuid, dom->uuid, sizeof(info.uuid));
	snprintf(info.name, sizeof(info.name), "%s", name);
	gethostname(info.source, sizeof(info.source) - 1);
	info.ram_pages = vm.memory / PAGE;
	info.vcpus = dom->vcpu_count;
	if (copy_storage)
		info.flags |= MIG_INFO_COPY_STORAGE;
	xml = shyper_domain_to_xml(dom);
	rc = xml ? mig_writer_start(&w, h, (mig_write_fn)write, ctx)
		 : shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	if (xml && !rc) {
		rc = mig_write_info(&w, &info);
		if (!rc)
			rc = mig_write_definition(&w, xml, strlen(xml));
		mig_writer_free(&w);
	}
	free(xml);
	shyper_domain_free(dom);
	return rc;
}

int shyper_domain_receive_start(struct shyper *h, const struct shyper_received *in)
{
	struct shyper_domain *dom = NULL;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = manage_def_read(h, in->name, &dom);
	if (!rc)
		rc = manage_rt_take_cpus(h, dom);
	if (!rc) {
		/* One its user had paused is started paused, never running here
		 * until it is resumed. */
		rc = in->paused ? shyper_vm_pause(h, in->id) : shyper_vm_start(h, in->id);
		if (rc)
			manage_rt_give_back_cpus(h, dom);
	}
	if (!rc) {
		manage_mark_run(h, in->name);
		manage_stopping_mark(h, in->name, false);
		manage_running_copy_save(h, dom);
		shyper_console_cursor_set(h, in->name, in->id, 0);
	}
	shyper_domain_free(dom);
	manage_store_unlock(lock);
	return rc;
}

int shyper_domain_receive_abort(struct shyper *h, const struct shyper_received *in)
{
	int rc = 0;

	if (!in->id)
		return 0;
	rc = shyper_vm_destroy(h, in->id);
	/* Disk images it brought go, and a definition it brought; one that was
	 * here stays. */
	if (in->disks_created && in->name[0]) {
		struct shyper_domain *dom = NULL;

		if (manage_def_read(h, in->name, &dom) == 0)
			disk_remove_created(dom, in->disks_created);
		shyper_domain_free(dom);
	}
	if (!in->defined_before && in->name[0])
		shyper_domain_undefine(h, in->name);
	return rc;
}
