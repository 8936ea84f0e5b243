// SPDX-License-Identifier: GPL-2.0
/*
 * shyperctl vm save / vm restore: a guest into a file and back, as a
 * migration stream (docs/migration.md), the way 'virsh save' and 'virsh
 * restore' do it: saving stops the guest; restoring resumes it where it
 * was, its memory, registers, devices and console history with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <shyper/domain.h>

#include "shyperctl.h"

struct file_io {
	struct shyperctl *ctx;
	int fd;
	const char *path;
};

static int file_write(void *arg, const void *buf, size_t len)
{
	struct file_io *f = arg;

	while (len) {
		ssize_t n = write(f->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return shyper_set_error(f->ctx->handle, SHYPER_ERR_SYSTEM, "%s: %s", f->path, n < 0 ? strerror(errno) : "nothing written");
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static int file_read(void *arg, void *buf, size_t len)
{
	struct file_io *f = arg;

	while (len) {
		ssize_t n = read(f->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return shyper_set_error(f->ctx->handle, SHYPER_ERR_SYSTEM, "%s: %s", f->path, strerror(errno));
		if (n == 0)
			return shyper_set_error(f->ctx->handle, SHYPER_ERR_PROTOCOL,
						  "%s ends before the stream does (cut short?)",
						  f->path);
		buf = (char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static void mib(char *buf, size_t size, uint64_t bytes)
{
	snprintf(buf, size, "%.1f MiB", (double)bytes / (1 << 20));
}

int shyperctl_vm_save(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_send_opts opts = { .live = ctx->live, .max_rounds = 30,
					 .max_downtime_ms = ctx->max_downtime_ms ? ctx->max_downtime_ms
										 : 300 };
	struct shyper_send_result res;
	struct file_io f = { .ctx = ctx, .path = argv[1] };
	char size[32];
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	f.fd = open(f.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f.fd < 0)
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "cannot write '%s': %s", f.path,
				      strerror(errno));
	rc = shyper_domain_send(ctx->handle, argv[0], &opts, file_write, &f, &res);
	if (!rc && fsync(f.fd))
		rc = shyper_set_error(ctx->handle, SHYPER_ERR_SYSTEM, "%s: %s", f.path, strerror(errno));
	if (close(f.fd) && !rc)
		rc = shyper_set_error(ctx->handle, SHYPER_ERR_SYSTEM, "%s: %s", f.path, strerror(errno));
	if (!rc)
		rc = shyper_domain_destroy(ctx->handle, argv[0]);
	if (rc) {
		int status = shyperctl_fail_lib(ctx, rc);

		unlink(f.path);
		/* Not saved: if it was paused for the copy, it runs again. */
		return status;
	}
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "schema", json_object_new_int(1));
		json_object_object_add(o, "name", json_object_new_string(argv[0]));
		json_object_object_add(o, "file", json_object_new_string(f.path));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)res.bytes));
		json_object_object_add(o, "pages", json_object_new_int64((int64_t)res.pages));
		json_object_object_add(o, "zero_pages", json_object_new_int64((int64_t)res.zero_pages));
		json_object_object_add(o, "total_ns", json_object_new_int64((int64_t)res.total_ns));
		json_object_object_add(o, "downtime_ns", json_object_new_int64((int64_t)res.downtime_ns));
		json_object_object_add(o, "rounds", json_object_new_int((int32_t)res.rounds));
		return shyperctl_print_json(ctx, o);
	}
	mib(size, sizeof(size), res.bytes);
	fprintf(ctx->out, "VM '%s' saved to %s (%s: %llu pages, %llu of zeroes not written) in "
		"%.2f s, %u round%s, paused %.1f ms; it is stopped\n", argv[0], f.path, size,
		(unsigned long long)res.pages, (unsigned long long)res.zero_pages,
		(double)res.total_ns / 1e9, res.rounds, res.rounds == 1 ? "" : "s",
		(double)res.downtime_ns / 1e6);
	return SHYPERCTL_EXIT_OK;
}

int shyperctl_vm_restore(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_received got;
	struct file_io f = { .ctx = ctx, .path = argv[0] };
	char trailing;
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	f.fd = open(f.path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0)
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "cannot read '%s': %s", f.path,
				      strerror(errno));
	rc = shyper_domain_receive(ctx->handle, file_read, &f, &got);
	/* Nothing may follow the stream. */
	if (!rc && read(f.fd, &trailing, 1) != 0) {
		shyper_domain_receive_abort(ctx->handle, &got);
		rc = shyper_set_error(ctx->handle, SHYPER_ERR_PROTOCOL,
					"%s goes on after its stream ended", f.path);
	}
	close(f.fd);
	if (!rc) {
		rc = shyper_domain_receive_start(ctx->handle, &got);
		if (rc) {
			int status = shyperctl_fail_lib(ctx, rc);

			shyper_domain_receive_abort(ctx->handle, &got);
			return status;
		}
	}
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "schema", json_object_new_int(1));
		json_object_object_add(o, "name", json_object_new_string(got.name));
		json_object_object_add(o, "id", json_object_new_int((int32_t)got.id));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)got.bytes));
		json_object_object_add(o, "state", json_object_new_string(got.paused ? "paused"
											 : "running"));
		return shyperctl_print_json(ctx, o);
	}
	fprintf(ctx->out, "VM '%s' restored from %s (id %u): it %s where it stopped\n", got.name,
		f.path, got.id, got.paused ? "is paused, as it was," : "runs");
	return SHYPERCTL_EXIT_OK;
}

/* ---- vm migrate ------------------------------------------------------------------ */

static volatile int migrate_cancel;

static void on_interrupt(int sig)
{
	(void)sig;
	migrate_cancel = 1;
}

struct progress_out {
	struct shyperctl *ctx;
	bool tty;
	unsigned int last_round;
};

static void on_progress(void *arg, const struct shyper_send_progress *p)
{
	struct progress_out *o = arg;
	double rate = (double)p->rate / (1 << 20);
	unsigned int pct;

	if (o->ctx->json)
		return;
	pct = p->round_pages ? (unsigned int)(p->round_done * 100 / p->round_pages) : 100;
	if (o->tty) {
		char bar[31];
		unsigned int fill = pct * 30 / 100;

		memset(bar, '#', fill);
		memset(bar + fill, '.', 30 - fill);
		bar[30] = '\0';
		fprintf(o->ctx->err, "\r[%s] %3u%% round %u%s, %.1f MiB/s, %llu pages dirty, "
			"downtime ~%llu ms  ", bar, pct, p->round, p->stopped ? " (paused)" : "",
			rate, (unsigned long long)p->dirty_pages,
			(unsigned long long)p->expected_downtime_ms);
		fflush(o->ctx->err);
	} else if (p->round != o->last_round && p->round_done == 0) {
		fprintf(o->ctx->err, "round %u%s: %llu pages to send, %.1f MiB/s\n", p->round,
			p->stopped ? " (paused)" : "", (unsigned long long)p->round_pages, rate);
		o->last_round = p->round;
	}
}

/* Where a migration of NAME keeps its process id, for --cancel. */
static void pid_path(char *buf, size_t size, const char *name)
{
	const char *dir = getenv("SHYPER_RUN_DIR");

	snprintf(buf, size, "%s/migrate-%s.pid", dir && *dir ? dir : SHYPER_DEFAULT_RUN_DIR, name);
}

static int cancel_migration(struct shyperctl *ctx, const char *name)
{
	char path[512], text[32] = "";
	long pid;
	FILE *f;

	pid_path(path, sizeof(path), name);
	f = fopen(path, "r");
	if (!f || !fgets(text, sizeof(text), f) || (pid = strtol(text, NULL, 10)) <= 0) {
		if (f)
			fclose(f);
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "no migration of VM '%s' runs",
				      name);
	}
	fclose(f);
	if (kill((pid_t)pid, SIGINT))
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "no migration of VM '%s' runs "
				      "(process %ld: %s)", name, pid, strerror(errno));
	fprintf(ctx->out, "Migration of VM '%s' cancelled: it goes on here\n", name);
	return SHYPERCTL_EXIT_OK;
}

int shyperctl_vm_migrate(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_migrate_opts o = { 0 };
	struct shyper_migrate_result res;
	struct progress_out out = { .ctx = ctx, .tty = isatty(fileno(ctx->err)) };
	struct sigaction sa = { .sa_handler = on_interrupt }, old_int, old_term;
	char path[512];
	FILE *f;
	int rc;

	(void)argc;
	if (ctx->cancel)
		return cancel_migration(ctx, argv[0]);
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	o.send.live = !ctx->offline;
	o.send.max_downtime_ms = ctx->max_downtime_ms ? ctx->max_downtime_ms : 300;
	o.send.max_rounds = 30;
	o.send.bandwidth = (uint64_t)ctx->bandwidth_mib << 20;
	o.send.progress = on_progress;
	o.send.progress_ctx = &out;
	o.send.cancel = &migrate_cancel;
	o.send.copy_storage = ctx->copy_storage;
	o.plain = ctx->plain;
	migrate_cancel = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pid_path(path, sizeof(path), argv[0]);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	rc = shyper_domain_migrate(ctx->handle, argv[0], argv[1], &o, &res);
	unlink(path);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (out.tty && !ctx->json)
		fputc('\n', ctx->err);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "schema", json_object_new_int(1));
		json_object_object_add(j, "name", json_object_new_string(argv[0]));
		json_object_object_add(j, "destination", json_object_new_string(res.dest));
		json_object_object_add(j, "id", json_object_new_int((int32_t)res.dest_id));
		json_object_object_add(j, "total_ns", json_object_new_int64((int64_t)res.send.total_ns));
		json_object_object_add(j, "downtime_ns",
				       json_object_new_int64((int64_t)res.send.downtime_ns));
		json_object_object_add(j, "rounds", json_object_new_int((int32_t)res.send.rounds));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)res.send.bytes));
		json_object_object_add(j, "pages", json_object_new_int64((int64_t)res.send.pages));
		json_object_object_add(j, "zero_pages",
				       json_object_new_int64((int64_t)res.send.zero_pages));
		json_object_object_add(j, "disk_bytes",
				       json_object_new_int64((int64_t)res.send.disk_bytes));
		return shyperctl_print_json(ctx, j);
	}
	fprintf(ctx->out, "VM '%s' migrated to %s (id %u there) in %.2f s: downtime %.1f ms, "
		"%u round%s, %.1f MiB sent\n", argv[0], res.dest, res.dest_id,
		(double)res.send.total_ns / 1e9, (double)res.send.downtime_ns / 1e6, res.send.rounds,
		res.send.rounds == 1 ? "" : "s", (double)res.send.bytes / (1 << 20));
	if (res.send.disk_bytes)
		fprintf(ctx->out, "Disk images copied: %.1f MiB\n",
			(double)res.send.disk_bytes / (1 << 20));
	return SHYPERCTL_EXIT_OK;
}
