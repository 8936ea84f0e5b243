// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperd's migration endpoint: where guests from other boards arrive
 * (docs/migration.md). An HTTP server (libmicrohttpd), over TLS with
 * mutual certificate authentication (GnuTLS): a board takes a guest only
 * from a board whose certificate the fleet's CA signed (/etc/shyper/ca.crt),
 * and shows its own (/etc/shyper/board.crt, board.key). Plain HTTP only
 * when shyperd was started with --migrate-plain, and then the sender must
 * have been told too.
 *
 *   GET  /v1/board              this board: name, ABI, stream version
 *   POST /v1/vms/check          the start of a stream: would the guest be taken?
 *   POST /v1/vms/incoming       a whole stream: the guest, created and loaded
 *   POST /v1/vms/NAME/commit    start the guest that arrived (the sender then
 *                               destroys its own copy)
 *   POST /v1/vms/NAME/abort     throw it away (the sender keeps its copy)
 *   GET  /v1/vms/NAME           where a guest stands here (after a lost answer)
 *
 * A guest that arrived and is neither committed nor aborted within
 * INCOMING_TIMEOUT_S is thrown away: it never runs unless the sender said
 * so, and the sender keeps its copy until this board said it runs.
 *
 * Each connection has a thread of its own (MHD_USE_THREAD_PER_CONNECTION)
 * and its own handle on /dev/shyper. A stream's bytes go through a pipe to
 * a thread that reads them as the stream reader wants.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#include "migrate.h"
#include "shyperd.h"

#define INCOMING_TIMEOUT_S 60
#define MAX_INCOMING 8
#define JSON_TYPE "application/json"

static struct MHD_Daemon *daemon_;
static bool tls_on;
static char *tls_key, *tls_cert, *tls_ca; /* kept while the daemon runs */
static const char *device_path;
static char board_name[64];

/* Guests that arrived, waiting for their commit. */
static pthread_mutex_t incoming_lock = PTHREAD_MUTEX_INITIALIZER;
static struct incoming {
	bool used;
	struct shyper_received got;
	time_t deadline;
} incoming[MAX_INCOMING];

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && len < (1 << 20) &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* ---- Answers --------------------------------------------------------------------- */

static void json_escape(char *out, size_t size, const char *in)
{
	size_t n = 0;

	for (; *in && n + 7 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *json)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(json), (void *)json,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result error_answer(struct MHD_Connection *c, unsigned int status,
				    const char *message)
{
	char escaped[1024], json[1200];

	json_escape(escaped, sizeof(escaped), message);
	snprintf(json, sizeof(json), "{\"error\": \"%s\"}", escaped);
	return answer(c, status, json);
}

/* HTTP status for a libshyper error. */
static unsigned int http_status(int rc)
{
	switch (rc) {
	case SHYPER_ERR_EXISTS:
	case SHYPER_ERR_BUSY:
		return MHD_HTTP_CONFLICT;
	case SHYPER_ERR_NO_MEMORY:
		return MHD_HTTP_INSUFFICIENT_STORAGE;
	case SHYPER_ERR_NO_ENTRY:
		return MHD_HTTP_NOT_FOUND;
	case SHYPER_ERR_PERMISSION:
		return MHD_HTTP_FORBIDDEN;
	default:
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	}
}

/* ---- The peer ------------------------------------------------------------------------ */

/* With TLS: the peer's certificate is the fleet CA's (MHD asked for one);
 * its subject's common name into WHO. */
static bool peer_trusted(struct MHD_Connection *c, char *who, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned int status = 0, n = 0;
	size_t len = size;

	snprintf(who, size, "?");
	if (!tls_on)
		return true; /* --migrate-plain: what the operator chose */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	if (gnutls_certificate_verify_peers2(ci->tls_session, &status) < 0 || status)
		return false;
	certs = gnutls_certificate_get_peers(ci->tls_session, &n);
	if (!certs || !n || gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0)
		gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, who, &len);
	gnutls_x509_crt_deinit(crt);
	return true;
}

/* ---- A stream through a pipe ----------------------------------------------------------- */

struct stream_job {
	int fd[2];
	bool check;                   /* /v1/vms/check */
	pthread_t thread;
	bool started;
	int rc;
	char message[512];
	struct shyper_received got;
};

struct pipe_reader {
	struct shyper *h;
	int fd;
};

static int pipe_read(void *ctx, void *buf, size_t len)
{
	struct pipe_reader *r = ctx;

	while (len) {
		ssize_t n = read(r->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return shyper_set_error(r->h, SHYPER_ERR_PROTOCOL,
						"the stream ended early (the link went, or the sender "
						"stopped)");
		buf = (char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static void *stream_thread(void *arg)
{
	struct stream_job *job = arg;
	struct pipe_reader r = { .fd = job->fd[0] };
	int err;

	r.h = shyper_open(device_path, &err);
	if (!r.h) {
		job->rc = err;
		snprintf(job->message, sizeof(job->message), "%s", shyper_strerror(err));
	} else {
		job->rc = job->check ? shyper_domain_receive_check(r.h, pipe_read, &r, &job->got)
				     : shyper_domain_receive(r.h, pipe_read, &r, &job->got);
		snprintf(job->message, sizeof(job->message), "%s", shyper_last_error_message(r.h));
		if (!job->check && !job->rc) {
			/* Nothing may follow the stream. */
			char extra;

			if (read(r.fd, &extra, 1) > 0) {
				shyper_domain_receive_abort(r.h, &job->got);
				job->rc = SHYPER_ERR_PROTOCOL;
				snprintf(job->message, sizeof(job->message),
					 "bytes after the stream's end");
			}
		}
		shyper_close(r.h);
	}
	/* Whatever is still coming is not read: the writer gets EPIPE. */
	close(job->fd[0]);
	job->fd[0] = -1;
	return NULL;
}

static int job_start(struct stream_job *job, bool check)
{
	memset(job, 0, sizeof(*job));
	job->check = check;
	if (pipe2(job->fd, O_CLOEXEC))
		return -1;
	if (pthread_create(&job->thread, NULL, stream_thread, job)) {
		close(job->fd[0]);
		close(job->fd[1]);
		return -1;
	}
	job->started = true;
	return 0;
}

/* Feeds LEN bytes to the job; false once the reader stopped taking them. */
static bool job_feed(struct stream_job *job, const char *data, size_t len)
{
	while (len && job->fd[1] >= 0) {
		ssize_t n = write(job->fd[1], data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(job->fd[1]);
			job->fd[1] = -1;
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return job->fd[1] >= 0;
}

static void job_finish(struct stream_job *job)
{
	if (job->fd[1] >= 0) {
		close(job->fd[1]);
		job->fd[1] = -1;
	}
	if (job->started) {
		pthread_join(job->thread, NULL);
		job->started = false;
	}
}

/* ---- Requests ----------------------------------------------------------------------------- */

struct request {
	struct stream_job job;
	bool streaming;
	char who[128];            /* the peer's certificate's common name */
};

static void remember(const struct shyper_received *got)
{
	pthread_mutex_lock(&incoming_lock);
	for (size_t i = 0; i < MAX_INCOMING; i++) {
		if (!incoming[i].used) {
			incoming[i].used = true;
			incoming[i].got = *got;
			incoming[i].deadline = time(NULL) + INCOMING_TIMEOUT_S;
			break;
		}
	}
	pthread_mutex_unlock(&incoming_lock);
}

/* Takes NAME's arrived guest out of the table; false if there is none. */
static bool take_incoming(const char *name, struct shyper_received *got)
{
	bool found = false;

	pthread_mutex_lock(&incoming_lock);
	for (size_t i = 0; i < MAX_INCOMING && !found; i++) {
		if (incoming[i].used && !strcmp(incoming[i].got.name, name)) {
			*got = incoming[i].got;
			incoming[i].used = false;
			found = true;
		}
	}
	pthread_mutex_unlock(&incoming_lock);
	return found;
}

void migrate_expire(struct shyper *h)
{
	time_t now = time(NULL);

	pthread_mutex_lock(&incoming_lock);
	for (size_t i = 0; i < MAX_INCOMING; i++) {
		if (incoming[i].used && now > incoming[i].deadline) {
			say(LOG_WARNING, "incoming VM '%s' was never committed: thrown away",
			    incoming[i].got.name);
			shyper_domain_receive_abort(h, &incoming[i].got);
			incoming[i].used = false;
		}
	}
	pthread_mutex_unlock(&incoming_lock);
}

static enum MHD_Result vm_action(struct MHD_Connection *c, const char *name, const char *action,
				 const char *who)
{
	struct shyper_received got;
	struct shyper *h;
	char json[256];
	int err, rc;

	h = shyper_open(device_path, &err);
	if (!h)
		return error_answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, shyper_strerror(err));
	if (!strcmp(action, "state")) {
		struct shyper_vm_info info;

		rc = shyper_vm_info_by_name(h, name, &info);
		shyper_close(h);
		if (rc)
			return error_answer(c, MHD_HTTP_NOT_FOUND, "no such VM here");
		snprintf(json, sizeof(json), "{\"name\": \"%s\", \"state\": \"%s\"}", info.name,
			 shyper_vm_state_name(info.state));
		return answer(c, MHD_HTTP_OK, json);
	}
	if (!take_incoming(name, &got)) {
		shyper_close(h);
		return error_answer(c, MHD_HTTP_NOT_FOUND, "no incoming VM of that name");
	}
	if (!strcmp(action, "commit")) {
		rc = shyper_domain_receive_start(h, &got);
		if (rc) {
			char message[512];

			snprintf(message, sizeof(message), "%s", shyper_last_error_message(h));
			shyper_domain_receive_abort(h, &got);
			shyper_close(h);
			say(LOG_ERR, "VM '%s' from %s did not start: %s", name, who, message);
			return error_answer(c, http_status(rc), message);
		}
		say(LOG_INFO, "VM '%s' from %s %s here (id %u)", name, who,
		    got.paused ? "is paused, as it was there," : "runs", got.id);
		net_announce_later(got.id, got.name);
		snprintf(json, sizeof(json), "{\"name\": \"%s\", \"id\": %u, \"state\": \"%s\"}",
			 got.name, got.id, got.paused ? "paused" : "running");
	} else {
		shyper_domain_receive_abort(h, &got);
		say(LOG_INFO, "VM '%s' from %s: aborted by the sender", name, who);
		snprintf(json, sizeof(json), "{\"name\": \"%s\", \"state\": \"aborted\"}", got.name);
	}
	shyper_close(h);
	return answer(c, MHD_HTTP_OK, json);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct request *req = *req_cls;
	char name[SHYPER_NAME_LEN + 1], action[16];
	const char *who;
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);

	(void)cls;
	(void)version;
	if (!req) {
		char peer[128];

		/* Who it is, once per request, before anything else. */
		if (!peer_trusted(c, peer, sizeof(peer)))
			return error_answer(c, MHD_HTTP_FORBIDDEN,
					    "no certificate from this fleet's CA: refused");
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		/* No pipe yet: nothing to close (0 is a descriptor too). */
		req->job.fd[0] = req->job.fd[1] = -1;
		snprintf(req->who, sizeof(req->who), "%s", peer);
		*req_cls = req;
		if (post && (!strcmp(url, "/v1/vms/incoming") || !strcmp(url, "/v1/vms/check"))) {
			if (job_start(&req->job, !strcmp(url, "/v1/vms/check")))
				return MHD_NO;
			req->streaming = true;
		}
		return MHD_YES;
	}
	who = req->who;
	if (req->streaming) {
		if (*upload_size) {
			/* A reader that stopped has its answer ready: the rest is dropped. */
			job_feed(&req->job, upload, *upload_size);
			*upload_size = 0;
			return MHD_YES;
		}
		job_finish(&req->job);
		req->streaming = false;
		if (req->job.rc) {
			say(LOG_WARNING, "incoming VM from %s refused: %s", who, req->job.message);
			return error_answer(c, http_status(req->job.rc), req->job.message);
		}
		if (req->job.check)
			return answer(c, MHD_HTTP_OK, "{\"accepted\": true}");
		remember(&req->job.got);
		say(LOG_INFO, "VM '%s' arrived from %s (%llu MiB): waiting for its commit",
		    req->job.got.name, who, (unsigned long long)(req->job.got.bytes >> 20));
		{
			char json[256];

			snprintf(json, sizeof(json), "{\"name\": \"%s\", \"id\": %u, \"state\": "
				 "\"received\"}", req->job.got.name, req->job.got.id);
			return answer(c, MHD_HTTP_OK, json);
		}
	}
	if (!strcmp(method, MHD_HTTP_METHOD_GET) && !strcmp(url, "/v1/board")) {
		char json[256];

		snprintf(json, sizeof(json), "{\"board\": \"%s\", \"abi\": \"%d.%d\", "
			 "\"stream_version\": 1}", board_name, SHYPER_ABI_MAJOR, SHYPER_ABI_MINOR);
		return answer(c, MHD_HTTP_OK, json);
	}
	if (sscanf(url, "/v1/vms/%32[A-Za-z0-9._-]/%15[a-z]", name, action) == 2 && post &&
	    (!strcmp(action, "commit") || !strcmp(action, "abort")))
		return vm_action(c, name, action, who);
	if (sscanf(url, "/v1/vms/%32[A-Za-z0-9._-]", name) == 1 && !strchr(url + 8, '/') &&
	    !strcmp(method, MHD_HTTP_METHOD_GET))
		return vm_action(c, name, "state", who);
	return error_answer(c, MHD_HTTP_NOT_FOUND, "no such request");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *req = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!req)
		return;
	/* A connection that went before the stream ended: its reader stops. */
	job_finish(&req->job);
	if (req->streaming && !req->job.rc && !req->job.check && req->job.got.id) {
		/* Received whole but never answered: nobody will commit it. */
		struct shyper *h = shyper_open(device_path, NULL);

		if (h) {
			shyper_domain_receive_abort(h, &req->job.got);
			shyper_close(h);
		}
	}
	free(req);
	*req_cls = NULL;
}

int migrate_start(const char *device, unsigned int port, bool plain, const char *cert_dir)
{
	char path[512];
	char *key = NULL, *cert = NULL, *ca = NULL;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;

	device_path = device;
	gethostname(board_name, sizeof(board_name) - 1);
	if (!plain) {
		snprintf(path, sizeof(path), "%s/board.key", cert_dir);
		key = read_file(path);
		snprintf(path, sizeof(path), "%s/board.crt", cert_dir);
		cert = read_file(path);
		snprintf(path, sizeof(path), "%s/ca.crt", cert_dir);
		ca = read_file(path);
		if (!key || !cert || !ca) {
			say(LOG_INFO, "no certificates in %s: not taking migrating guests "
			    "(--migrate-plain takes them without TLS)", cert_dir);
			free(key);
			free(cert);
			free(ca);
			return 0;
		}
		flags |= MHD_USE_TLS;
		tls_on = true;
	}
	if (plain)
		daemon_ = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
					   MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
					   MHD_OPTION_CONNECTION_TIMEOUT, 60U,
					   MHD_OPTION_CONNECTION_LIMIT, 8U, MHD_OPTION_END);
	else
		daemon_ = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
					   MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
					   MHD_OPTION_CONNECTION_TIMEOUT, 60U,
					   MHD_OPTION_CONNECTION_LIMIT, 8U,
					   MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
					   MHD_OPTION_HTTPS_MEM_TRUST, ca, MHD_OPTION_END);
	tls_key = key;
	tls_cert = cert;
	tls_ca = ca;
	if (!daemon_) {
		say(LOG_ERR, "cannot take migrating guests on port %u", port);
		return -1;
	}
	say(LOG_INFO, "taking migrating guests on port %u (%s)", port,
	    plain ? "plain HTTP: --migrate-plain" : "HTTPS, fleet certificates only");
	return 0;
}

void migrate_stop(void)
{
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	free(tls_key);
	free(tls_cert);
	free(tls_ca);
	tls_key = tls_cert = tls_ca = NULL;
}
