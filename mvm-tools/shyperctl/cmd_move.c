// SPDX-License-Identifier: GPL-2.0
/*
 * shyperctl vm save / vm restore: a guest into a file and back, as a
 * migration stream (docs/migration.md), the way 'virsh save' and 'virsh
 * restore' do it: saving stops the guest; restoring resumes it where it
 * was, its memory, registers, devices and console history with it.
 */
#include <errno.h>
#include <fcntl.h>
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
		return shyperctl_print_json(ctx, o);
	}
	fprintf(ctx->out, "VM '%s' restored from %s (id %u): it runs where it stopped\n", got.name,
		f.path, got.id);
	return SHYPERCTL_EXIT_OK;
}
