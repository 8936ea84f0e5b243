// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Migrating a guest to another board: its stream (manage_migrate.c) sent
 * with libcurl to the destination's shyperd (mvm-tools/shyperd/migrate.c),
 * over HTTPS with mutual certificate authentication, then the hand-over:
 * the destination starts the guest only when told, and the source destroys
 * its copy only once the destination said it runs. Whatever fails before
 * that leaves the guest running here; the destination throws away what it
 * got. docs/migration.md describes the exchange.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include <shyper/domain.h>

#include "internal.h"

#define DEFAULT_PORT 7979
#define DEFAULT_CERT_DIR "/etc/shyper"
#define STREAM_TYPE "Content-Type: application/x-shyper-migration"

struct http {
	struct shyper *h;
	const struct shyper_migrate_opts *o;
	char base[300];
	char cert[300], key[300], ca[300];
};

/* What an answer's body holds (at most 64 KiB kept). */
struct body {
	char data[65536];
	size_t len;
};

static size_t body_write(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n, room = sizeof(b->data) - 1 - b->len;

	memcpy(b->data + b->len, p, len < room ? len : room);
	b->len += len < room ? len : room;
	b->data[b->len] = '\0';
	return len;
}

static CURL *easy(struct http *x, const char *path, struct body *b)
{
	CURL *c = curl_easy_init();
	char url[400];

	if (!c)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", x->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	/* A link that goes quiet for 30 s is gone. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	if (!x->o->plain) {
		curl_easy_setopt(c, CURLOPT_CAINFO, x->ca);
		curl_easy_setopt(c, CURLOPT_SSLCERT, x->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, x->key);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	b->len = 0;
	b->data[0] = '\0';
	return c;
}

/* The destination's "error" from a JSON answer, or the body itself. */
static const char *answer_error(struct body *b)
{
	json_object *o = json_tokener_parse(b->data), *e;
	static __thread char msg[1024];

	const char *text = b->len ? b->data : "no answer";

	if (o && json_object_object_get_ex(o, "error", &e))
		text = json_object_get_string(e);
	/* As much as a message holds. */
	memcpy(msg, text, strnlen(text, sizeof(msg) - 1));
	msg[strnlen(text, sizeof(msg) - 1)] = '\0';
	json_object_put(o);
	return msg;
}

/* Runs C; the HTTP status into *STATUS (0: no answer, message set). */
static int perform(struct http *x, CURL *c, long *status, const char *what)
{
	CURLcode rc = curl_easy_perform(c);

	*status = 0;
	if (rc != CURLE_OK)
		return shyper_fail(x->h, SHYPER_ERR_SYSTEM, "%s: %s (%s)", what,
				   curl_easy_strerror(rc), x->base);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

static int http_fail(struct http *x, long status, struct body *b, const char *what)
{
	int err = status == 409 ? SHYPER_ERR_EXISTS : status == 507 ? SHYPER_ERR_NO_MEMORY
		: status == 403 ? SHYPER_ERR_PERMISSION : status == 404 ? SHYPER_ERR_NO_ENTRY
		: SHYPER_ERR_PROTOCOL;

	return shyper_fail(x->h, err, "%s: %s refused: %s", what, x->base, answer_error(b));
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- Where ------------------------------------------------------------------------ */

static int destination(struct http *x, const char *dest)
{
	const struct shyper_migrate_opts *o = x->o;
	const char *dir = o->cert_dir ? o->cert_dir : DEFAULT_CERT_DIR;
	unsigned int port = o->port ? o->port : DEFAULT_PORT;

	if (!dest || !*dest || strlen(dest) > 200 || strpbrk(dest, " \t\r\n\"\\"))
		return shyper_fail(x->h, SHYPER_ERR_INVALID, "bad destination '%s'", dest ? dest : "");
	if (!strncmp(dest, "https://", 8)) {
		snprintf(x->base, sizeof(x->base), "%s", dest);
	} else if (!strncmp(dest, "http://", 7)) {
		if (!o->plain)
			return shyper_fail(x->h, SHYPER_ERR_PERMISSION,
					   "'%s' is plain HTTP: only with --plain (and a destination "
					   "started with --migrate-plain)", dest);
		snprintf(x->base, sizeof(x->base), "%s", dest);
	} else if (strchr(dest, '/')) {
		return shyper_fail(x->h, SHYPER_ERR_INVALID, "bad destination '%s': a board name, "
				   "host[:port] or an https:// URL", dest);
	} else if (strchr(dest, ':')) {
		snprintf(x->base, sizeof(x->base), "%s://%s", o->plain ? "http" : "https", dest);
	} else {
		snprintf(x->base, sizeof(x->base), "%s://%s:%u", o->plain ? "http" : "https", dest,
			 port);
	}
	while (strlen(x->base) > 8 && x->base[strlen(x->base) - 1] == '/')
		x->base[strlen(x->base) - 1] = '\0';
	snprintf(x->cert, sizeof(x->cert), "%s/board.crt", dir);
	snprintf(x->key, sizeof(x->key), "%s/board.key", dir);
	snprintf(x->ca, sizeof(x->ca), "%s/ca.crt", dir);
	if (!o->plain && (access(x->cert, R_OK) || access(x->key, R_OK) || access(x->ca, R_OK)))
		return shyper_fail(x->h, SHYPER_ERR_NO_ENTRY,
				   "this board has no fleet certificate (%s/board.crt, board.key, "
				   "ca.crt): it cannot prove who it is", dir);
	return 0;
}

/* ---- The exchange ------------------------------------------------------------------- */

/* GET /v1/board: reachable, one of ours, and not this board. */
static int check_board(struct http *x, char *board, size_t size)
{
	struct body *b = calloc(1, sizeof(*b));
	json_object *o = NULL, *name;
	char self[64] = "";
	long status;
	CURL *c;
	int rc;

	if (!b)
		return shyper_fail(x->h, SHYPER_ERR_NO_MEMORY, "out of memory");
	c = easy(x, "/v1/board", b);
	rc = c ? perform(x, c, &status, "reaching the destination")
	       : shyper_fail(x->h, SHYPER_ERR_NO_MEMORY, "out of memory");
	if (!rc && status != 200)
		rc = http_fail(x, status, b, "the destination");
	if (!rc) {
		o = json_tokener_parse(b->data);
		if (!o || !json_object_object_get_ex(o, "board", &name))
			rc = shyper_fail(x->h, SHYPER_ERR_PROTOCOL, "%s is not a Shyper board",
					 x->base);
		else
			snprintf(board, size, "%s", json_object_get_string(name));
	}
	gethostname(self, sizeof(self) - 1);
	if (!rc && !strcmp(board, self))
		rc = shyper_fail(x->h, SHYPER_ERR_INVALID, "%s is this board (%s): a guest moves to "
				 "another one", x->base, self);
	json_object_put(o);
	curl_easy_cleanup(c);
	free(b);
	return rc;
}

struct membuf {
	char *data;
	size_t len;
	struct shyper *h;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;
	char *p = realloc(m->data, m->len + len);

	if (!p)
		return shyper_set_error(m->h, SHYPER_ERR_NO_MEMORY, "out of memory");
	memcpy(p + m->len, buf, len);
	m->data = p;
	m->len += len;
	return 0;
}

static int post(struct http *x, const char *path, const void *data, size_t len, long *status,
		struct body *b, const char *what)
{
	struct curl_slist *hdr = curl_slist_append(NULL, STREAM_TYPE);
	CURL *c = easy(x, path, b);
	int rc;

	if (!c || !hdr) {
		curl_slist_free_all(hdr);
		curl_easy_cleanup(c);
		return shyper_fail(x->h, SHYPER_ERR_NO_MEMORY, "out of memory");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	rc = perform(x, c, status, what);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

/* The stream, from the sending thread through a socket pair to libcurl. */
struct pump {
	struct shyper *h;
	const char *name;
	const struct shyper_send_opts *opts;
	struct shyper_send_result res;
	int fd[2];
	int rc;
	char message[SHYPER_MESSAGE_LEN];
};

static int pump_write(void *ctx, const void *buf, size_t len)
{
	struct pump *p = ctx;

	while (len) {
		/* MSG_NOSIGNAL: a destination gone is an error, not SIGPIPE. */
		ssize_t n = send(p->fd[1], buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return shyper_set_error(p->h, SHYPER_ERR_SYSTEM,
						"the link to the destination went (%s)",
						n < 0 ? strerror(errno) : "closed");
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static void *pump_thread(void *arg)
{
	struct pump *p = arg;

	p->rc = shyper_domain_send(p->h, p->name, p->opts, pump_write, p, &p->res);
	if (p->rc)
		snprintf(p->message, sizeof(p->message), "%s", shyper_last_error_message(p->h));
	/* The end of the stream: libcurl sees it end. */
	shutdown(p->fd[1], SHUT_WR);
	return NULL;
}

static size_t pump_read(char *buf, size_t size, size_t n, void *arg)
{
	struct pump *p = arg;

	for (;;) {
		ssize_t got = recv(p->fd[0], buf, size * n, 0);

		if (got >= 0)
			return (size_t)got;
		if (errno != EINTR)
			return CURL_READFUNC_ABORT;
	}
}

/* POST /v1/vms/incoming while the guest is sent. */
static int stream(struct http *x, struct pump *p, long *status, struct body *b)
{
	struct curl_slist *hdr = curl_slist_append(NULL, STREAM_TYPE);
	CURL *c = easy(x, "/v1/vms/incoming", b);
	pthread_t thread;
	int rc;

	if (!c || !hdr || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd)) {
		curl_slist_free_all(hdr);
		curl_easy_cleanup(c);
		return shyper_fail(x->h, SHYPER_ERR_NO_MEMORY, "out of memory");
	}
	hdr = curl_slist_append(hdr, "Transfer-Encoding: chunked");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, pump_read);
	curl_easy_setopt(c, CURLOPT_READDATA, p);
	if (pthread_create(&thread, NULL, pump_thread, p)) {
		close(p->fd[0]);
		close(p->fd[1]);
		curl_slist_free_all(hdr);
		curl_easy_cleanup(c);
		return shyper_fail(x->h, SHYPER_ERR_SYSTEM, "cannot start the sending thread");
	}
	rc = perform(x, c, status, "sending the guest");
	/* The link is done with: a sender still writing stops. */
	shutdown(p->fd[0], SHUT_RDWR);
	pthread_join(thread, NULL);
	close(p->fd[0]);
	close(p->fd[1]);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

int shyper_domain_migrate(struct shyper *h, const char *name, const char *dest,
			  const struct shyper_migrate_opts *opts, struct shyper_migrate_result *res)
{
	struct shyper_migrate_opts defaults = { 0 };
	struct http x = { .h = h };
	struct membuf check = { .h = h };
	struct pump p = { .h = h, .name = name };
	struct body *b = calloc(1, sizeof(*b));
	char path[128], board[64] = "";
	struct shyper_vm_info vm;
	bool was_paused;
	int64_t sent_at;
	long status = 0;
	int rc;

	shyper_clear_error(h);
	if (res)
		memset(res, 0, sizeof(*res));
	defaults.send = (struct shyper_send_opts){ .live = true, .max_downtime_ms = 300,
						   .max_rounds = 30 };
	x.o = opts ? opts : &defaults;
	p.opts = &x.o->send;
	if (!b)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	rc = destination(&x, dest);
	/* Before anything moves: the destination is a board of ours, not this
	 * one, and would take this guest. */
	if (!rc)
		rc = check_board(&x, board, sizeof(board));
	if (!rc)
		rc = shyper_domain_send_check(h, name, x.o->send.copy_storage, mem_write, &check);
	if (!rc)
		rc = post(&x, "/v1/vms/check", check.data, check.len, &status, b,
			  "checking the destination");
	free(check.data);
	if (!rc && status != 200)
		rc = http_fail(&x, status, b, "the destination");
	if (rc)
		goto out;
	if (res)
		snprintf(res->dest, sizeof(res->dest), "%s", board);
	/* A guest its user paused stays paused here if it does not leave. */
	was_paused = shyper_vm_info_by_name(h, name, &vm) == 0 && vm.state == SHYPER_VM_PAUSED;

	rc = stream(&x, &p, &status, b);
	sent_at = now_ns();
	if (res)
		res->send = p.res;
	if (p.rc) {
		/* Not sent whole: the guest runs here as before (send saw to it). */
		rc = shyper_fail(h, p.rc, "%s", p.message);
		goto out;
	}
	/* Sent whole; the guest is paused here. Did it arrive? */
	if (!rc && status != 200)
		rc = http_fail(&x, status, b, "the destination");
	if (rc) {
		char message[SHYPER_MESSAGE_LEN];

		snprintf(message, sizeof(message), "%s", h->message);
		if (!was_paused)
			shyper_domain_resume(h, name);
		snprintf(path, sizeof(path), "/v1/vms/%s/abort", name);
		post(&x, path, NULL, 0, &status, b, "aborting");
		rc = shyper_fail(h, rc, "%s; VM '%s' runs on here", message, name);
		goto out;
	}

	/* It arrived: it runs there, and only then goes from here. */
	snprintf(path, sizeof(path), "/v1/vms/%s/commit", name);
	rc = post(&x, path, NULL, 0, &status, b, "starting it there");
	if (!rc && status != 200) {
		char message[SHYPER_MESSAGE_LEN];

		http_fail(&x, status, b, "the destination");
		snprintf(message, sizeof(message), "%s", h->message);
		if (!was_paused)
			shyper_domain_resume(h, name);
		rc = shyper_fail(h, SHYPER_ERR_BUSY, "%s; VM '%s' runs on here", message, name);
		goto out;
	}
	if (rc) {
		/* No answer: it may or may not run there. Ask; never run it twice. */
		CURL *c;

		snprintf(path, sizeof(path), "/v1/vms/%s", name);
		c = easy(&x, path, b);
		if (c && perform(&x, c, &status, "asking the destination") == 0 && status == 404) {
			if (!was_paused)
				shyper_domain_resume(h, name);
			rc = shyper_fail(h, SHYPER_ERR_SYSTEM, "the destination did not start VM '%s': "
					 "it runs on here", name);
		} else if (c && status == 200 && (strstr(b->data, "\"running\"") ||
						   strstr(b->data, "\"paused\""))) {
			rc = 0;
		} else {
			rc = shyper_fail(h, SHYPER_ERR_SYSTEM,
					 "cannot tell whether VM '%s' runs on %s: it stays paused "
					 "here; resume it ('shyperctl vm resume %s') only if it does "
					 "not run there", name, board, name);
		}
		curl_easy_cleanup(c);
		if (rc)
			goto out;
	}
	if (res) {
		json_object *o = json_tokener_parse(b->data), *id;

		/* Paused here until it ran there: the hand-over counts too. */
		res->send.downtime_ns += (uint64_t)(now_ns() - sent_at);
		res->send.total_ns += (uint64_t)(now_ns() - sent_at);
		if (o && json_object_object_get_ex(o, "id", &id))
			res->dest_id = (uint32_t)json_object_get_int(id);
		json_object_put(o);
	}
	/* Gone from here: its copy, and its definition (it lives there now). */
	shyper_domain_destroy(h, name);
	shyper_domain_undefine(h, name);
	shyper_clear_error(h);
out:
	free(b);
	return rc;
}
