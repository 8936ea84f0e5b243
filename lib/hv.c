// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Hypervisor-wide calls: information, the log ring, the no-op, and events.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* A bound on log reads, so a misbehaving device cannot keep us forever. */
#define LOG_READ_CALLS_MAX 4096

int shyper_hv_info(struct shyper *h, struct shyper_hv_info *info)
{
	struct shyper_hv_info got;
	int rc;

	shyper_clear_error(h);
	memset(&got, 0, sizeof(got));
	rc = shyper_call(h, SHYPER_IOC_HV_INFO, &got, "reading hypervisor information");
	if (rc)
		return rc;
	if (got.size < SHYPER_HV_INFO_SIZE_V1)
		return shyper_fail(h, SHYPER_ERR_PROTOCOL,
				   "reading hypervisor information: answer of %u bytes, expected at least %u",
				   got.size, SHYPER_HV_INFO_SIZE_V1);
	got.version[sizeof(got.version) - 1] = '\0';
	got.board[sizeof(got.board) - 1] = '\0';
	*info = got;
	return 0;
}

void shyper_build_id_text(const struct shyper_hv_info *info, char *buf, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	bool sealed = false;

	if (!size)
		return;
	if (info->size < __builtin_offsetof(struct shyper_hv_info, update_count)) {
		snprintf(buf, size, "unknown");
		return;
	}
	for (size_t i = 0; i < sizeof(info->build_id); i++)
		sealed |= info->build_id[i] != 0;
	if (!sealed || size < 2 * sizeof(info->build_id) + 1) {
		snprintf(buf, size, "%s", sealed ? "" : "unsealed");
		return;
	}
	for (size_t i = 0; i < sizeof(info->build_id); i++) {
		buf[2 * i] = digits[info->build_id[i] >> 4];
		buf[2 * i + 1] = digits[info->build_id[i] & 15];
	}
	buf[2 * sizeof(info->build_id)] = '\0';
}

int shyper_hv_stats(struct shyper *h, struct shyper_pcpu_stats **stats, size_t *count)
{
	const char *what = "reading the pCPUs' counters";
	struct shyper_ioc_hv_stats req = { .max = SHYPER_PCPU_STATS_MAX };
	struct shyper_pcpu_stats *all;
	int rc;

	shyper_clear_error(h);
	all = calloc(SHYPER_PCPU_STATS_MAX, sizeof(*all));
	if (!all)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "%s: out of memory", what);
	req.buf = (uint64_t)(uintptr_t)all;
	rc = shyper_call(h, SHYPER_IOC_HV_STATS, &req, what);
	if (!rc && req.count > SHYPER_PCPU_STATS_MAX)
		rc = shyper_fail(h, SHYPER_ERR_PROTOCOL, "%s: %u pCPUs, more than the %u the ABI has",
				 what, req.count, SHYPER_PCPU_STATS_MAX);
	for (uint32_t i = 0; !rc && i < req.count; i++)
		if (all[i].pcpu != i)
			rc = shyper_fail(h, SHYPER_ERR_PROTOCOL, "%s: record %u is pCPU %u's", what,
					 i, all[i].pcpu);
	if (rc) {
		free(all);
		return rc;
	}
	*stats = all;
	*count = req.count;
	return 0;
}

int shyper_nop(struct shyper *h)
{
	shyper_clear_error(h);
	return shyper_call(h, SHYPER_IOC_NOP, NULL, "no-op hypercall");
}

/* Grows LOG's text so that ROOM more bytes (and a NUL) fit. */
static int log_reserve(struct shyper *h, struct shyper_log *log, size_t *cap, size_t room)
{
	size_t need = log->len + room + 1;
	char *text;

	if (need <= *cap)
		return 0;
	if (need < *cap * 2)
		need = *cap * 2;
	text = realloc(log->text, need);
	if (!text)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "reading the hypervisor log: out of memory");
	log->text = text;
	*cap = need;
	return 0;
}

/*
 * Offsets in LOG_READ count from the oldest byte the ring holds *now*, so
 * each answer is placed in the stream of everything ever logged: the ring
 * holds stream bytes [written - held, written). POS is the next stream byte
 * wanted. An answer that starts after POS came from an offset made stale by
 * new log lines: it is asked for again once, and bytes that still cannot be
 * had are counted as lost.
 */
static int log_read_all(struct shyper *h, struct shyper_log *log, char *chunk)
{
	struct shyper_ioc_log_read req;
	uint64_t pos = 0, ring_start = 0, end = 0;
	size_t cap = 0;
	int retried = 0, rc;

	for (unsigned int call = 0; call < LOG_READ_CALLS_MAX; call++) {
		uint64_t offset = call && pos > ring_start ? pos - ring_start : 0;
		uint64_t got_start, skip;

		memset(&req, 0, sizeof(req));
		req.buf = (uint64_t)(uintptr_t)chunk;
		req.len = SHYPER_LOG_READ_MAX;
		req.offset = offset;
		rc = shyper_call(h, SHYPER_IOC_LOG_READ, &req, "reading the hypervisor log");
		if (rc)
			return rc;
		if (req.copied > SHYPER_LOG_READ_MAX || req.held > req.written ||
		    offset + req.copied > req.held)
			return shyper_fail(h, SHYPER_ERR_PROTOCOL,
					   "reading the hypervisor log: inconsistent answer (offset %llu, copied %llu, held %llu, written %llu)",
					   (unsigned long long)offset,
					   (unsigned long long)req.copied,
					   (unsigned long long)req.held,
					   (unsigned long long)req.written);
		ring_start = req.written - req.held;
		got_start = ring_start + offset;
		if (call == 0) {
			pos = got_start;
			log->start = got_start;
			/* Read what was logged before we started; later bytes are a bonus. */
			end = req.written;
		} else if (got_start > pos) {
			/*
			 * The ring moved on since our offset was computed. If
			 * the bytes at POS are still held, ask once more with
			 * the fresh start; otherwise (or if the ring moved
			 * again) skip to what we got, so reading always ends.
			 */
			if (pos >= ring_start && !retried) {
				retried = 1;
				continue;
			}
			log->lost += got_start - pos;
			pos = got_start;
		}
		retried = 0;
		skip = pos - got_start;
		if (skip < req.copied) {
			rc = log_reserve(h, log, &cap, req.copied - skip);
			if (rc)
				return rc;
			memcpy(log->text + log->len, chunk + skip, req.copied - skip);
			log->len += req.copied - skip;
			pos += req.copied - skip;
		}
		log->written = req.written;
		if (pos >= end || (req.copied == 0 && pos >= ring_start + req.held))
			return log_reserve(h, log, &cap, 0);
	}
	return shyper_fail(h, SHYPER_ERR_PROTOCOL,
			   "reading the hypervisor log: no end after %d reads", LOG_READ_CALLS_MAX);
}

int shyper_hv_log(struct shyper *h, struct shyper_log *log)
{
	struct shyper_log got = { 0 };
	char *chunk;
	int rc;

	shyper_clear_error(h);
	chunk = malloc(SHYPER_LOG_READ_MAX);
	if (!chunk)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "reading the hypervisor log: out of memory");
	rc = log_read_all(h, &got, chunk);
	free(chunk);
	if (rc) {
		shyper_log_free(&got);
		return rc;
	}
	got.text[got.len] = '\0';
	*log = got;
	return 0;
}

void shyper_log_free(struct shyper_log *log)
{
	if (!log)
		return;
	free(log->text);
	memset(log, 0, sizeof(*log));
}

int shyper_ping(struct shyper *h, uint64_t cookie)
{
	shyper_clear_error(h);
	return shyper_call(h, SHYPER_IOC_PING, &cookie, "sending a ping to the hypervisor");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int shyper_event_wait(struct shyper *h, struct shyper_event *ev, int timeout_ms)
{
	const char *what = "waiting for a hypervisor event";
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	struct shyper_event got;

	shyper_clear_error(h);
	for (;;) {
		int left = -1;
		long n;
		int rc;

		if (timeout_ms >= 0) {
			int64_t remaining = deadline - now_ms();

			left = remaining > 0 ? (int)remaining : 0;
		}
		rc = shyper_transport_poll(h, left);
		if (rc < 0)
			return shyper_fail_errno(h, rc, what);
		if (rc == 0)
			return shyper_fail(h, SHYPER_ERR_TIMEOUT, "%s: none within %d ms", what,
					   timeout_ms);
		n = shyper_transport_read(h, &got, sizeof(got));
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (left == 0)
				return shyper_fail(h, SHYPER_ERR_TIMEOUT, "%s: none within %d ms",
						   what, timeout_ms);
			continue; /* another reader took it: wait again */
		}
		if (n < 0)
			return shyper_fail_errno(h, (int)n, what);
		if (n != (long)sizeof(got))
			return shyper_fail(h, SHYPER_ERR_PROTOCOL, "%s: read %ld bytes, expected %zu",
					   what, n, sizeof(got));
		*ev = got;
		return 0;
	}
}

int shyper_event_fd(const struct shyper *h)
{
	return h ? h->fd : -1;
}
