// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* A guest's disk images in its migration stream (see migrate_disk.h). */
#define _GNU_SOURCE /* fallocate */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"
#include "migrate_disk.h"

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf = (uint8_t *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf = (const uint8_t *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* ---- Sending ------------------------------------------------------------------ */

int disk_send_open(struct disk_sender *ds, struct shyper *h, const struct shyper_domain *dom)
{
	memset(ds, 0, sizeof(*ds));
	ds->h = h;
	if (dom->disk_count > MIG_DISKS_MAX)
		return shyper_fail(h, SHYPER_ERR_NOT_SUPPORTED, "VM '%s' has %zu disks: at most %d "
				   "move with it", dom->name, dom->disk_count, MIG_DISKS_MAX);
	ds->buf = malloc(DISK_CHUNK);
	if (!ds->buf)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < dom->disk_count; i++) {
		const char *path = dom->disks[i].source;
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		const char *why = NULL;

		if (fd < 0 || fstat(fd, &st) < 0)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		if (why) {
			if (fd >= 0)
				close(fd);
			return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "VM '%s': disk image %s: %s",
					   dom->name, path, why);
		}
		ds->d[i].fd = fd;
		ds->count = i + 1;
		ds->d[i].size = (uint64_t)st.st_size;
		ds->d[i].sum = calloc((ds->d[i].size + DISK_CHUNK - 1) / DISK_CHUNK + 1, 32);
		if (!ds->d[i].sum)
			return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	}
	return 0;
}

int disk_send(struct disk_sender *ds, struct mig_writer *w, bool final, int (*pace)(void *ctx),
	      void *ctx)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < ds->count; i++) {
		uint64_t size = ds->d[i].size;

		if (!final) {
			struct mig_disk d = { .disk = (uint32_t)i, .kind = MIG_DISK_SIZE,
					      .length = size };

			rc = mig_write_disk(w, &d, NULL);
		}
		for (uint64_t off = 0, c = 0; !rc && off < size; off += DISK_CHUNK, c++) {
			size_t len = size - off < DISK_CHUNK ? (size_t)(size - off) : DISK_CHUNK;
			struct mig_disk d = { .disk = (uint32_t)i, .offset = off, .length = len };
			uint8_t sum[32];
			bool zero;

			if (read_full(ds->d[i].fd, ds->buf, len, off))
				return shyper_fail(ds->h, SHYPER_ERR_SYSTEM, "reading disk image %zu "
						   "at %llu: %s", i, (unsigned long long)off,
						   strerror(errno ? errno : EIO));
			if (!EVP_Digest(ds->buf, len, sum, NULL, EVP_sha256(), NULL))
				return shyper_fail(ds->h, SHYPER_ERR_SYSTEM, "SHA-256 failed");
			zero = all_zero(ds->buf, len);
			/* The destination's fresh image is zeroes: the first pass
			 * leaves those out; the last sends what changed. */
			if (final ? !memcmp(sum, ds->d[i].sum[c], 32) : zero) {
				memcpy(ds->d[i].sum[c], sum, 32);
				continue;
			}
			memcpy(ds->d[i].sum[c], sum, 32);
			d.kind = zero ? MIG_DISK_ZERO : MIG_DISK_DATA;
			rc = mig_write_disk(w, &d, zero ? NULL : ds->buf);
			if (!rc)
				ds->bytes += len;
			if (!rc && pace)
				rc = pace(ctx);
		}
	}
	return rc;
}

void disk_send_close(struct disk_sender *ds)
{
	/* (Zeroed and never opened: COUNT is 0, and no descriptor is ours.) */
	for (size_t i = 0; i < ds->count; i++) {
		if (ds->d[i].fd >= 0)
			close(ds->d[i].fd);
		ds->d[i].fd = -1;
		free(ds->d[i].sum);
		ds->d[i].sum = NULL;
	}
	free(ds->buf);
	ds->buf = NULL;
}

/* ---- Receiving ------------------------------------------------------------------- */

/* Where an image may be created: an absolute path, not there yet, in a
 * directory that is. */
static int creatable(struct shyper *h, const struct shyper_domain *dom, const char *path)
{
	char dir[4096];
	struct stat st;

	if (path[0] != '/' || strlen(path) >= sizeof(dir))
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': disk image '%s' is no absolute "
				   "path", dom->name, path);
	if (lstat(path, &st) == 0)
		return shyper_fail(h, SHYPER_ERR_EXISTS, "VM '%s': disk image %s exists here "
				   "already, and --copy-storage never writes over a file (remove "
				   "it, or migrate without --copy-storage if it is the same image "
				   "on shared storage)", dom->name, path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(dirname(dir), &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) < 0)
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "VM '%s': disk image %s cannot be "
				   "created here: no writable directory %s", dom->name, path, dir);
	return 0;
}

int disk_receive_check(struct shyper *h, const struct shyper_domain *dom)
{
	int rc = 0;

	if (dom->disk_count > MIG_DISKS_MAX)
		return shyper_fail(h, SHYPER_ERR_NOT_SUPPORTED, "VM '%s' has %zu disks: at most %d "
				   "move with it", dom->name, dom->disk_count, MIG_DISKS_MAX);
	for (size_t i = 0; !rc && i < dom->disk_count; i++) {
		rc = creatable(h, dom, dom->disks[i].source);
		/* The same file twice in one definition would be written twice. */
		for (size_t k = 0; !rc && k < i; k++)
			if (!strcmp(dom->disks[i].source, dom->disks[k].source))
				rc = shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': disk image %s "
						 "is named twice", dom->name, dom->disks[i].source);
	}
	return rc;
}

int disk_receive_create(struct disk_receiver *dr, struct shyper *h,
			const struct shyper_domain *dom)
{
	int rc;

	memset(dr, 0, sizeof(*dr));
	dr->h = h;
	dr->dom = dom;
	for (size_t i = 0; i < MIG_DISKS_MAX; i++)
		dr->fd[i] = -1;
	rc = disk_receive_check(h, dom);
	for (size_t i = 0; !rc && i < dom->disk_count; i++) {
		const char *path = dom->disks[i].source;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0)
			return shyper_fail(h, SHYPER_ERR_SYSTEM, "VM '%s': cannot create disk image "
					   "%s: %s", dom->name, path, strerror(errno));
		dr->fd[i] = fd;
		dr->created |= 1U << i;
	}
	return rc;
}

int disk_receive(struct disk_receiver *dr, const struct mig_disk *d, const void *data)
{
	struct statvfs vfs;
	int fd;

	if (!dr->dom || d->disk >= dr->dom->disk_count || !(dr->created & (1U << d->disk)))
		return shyper_fail(dr->h, SHYPER_ERR_PROTOCOL, "migration stream: disk %u is not "
				   "one of the guest's", d->disk);
	fd = dr->fd[d->disk];
	switch (d->kind) {
	case MIG_DISK_SIZE:
		if (d->length % 512)
			return shyper_fail(dr->h, SHYPER_ERR_PROTOCOL, "migration stream: disk %u "
					   "of %llu bytes, no whole number of sectors", d->disk,
					   (unsigned long long)d->length);
		if (fstatvfs(fd, &vfs) == 0 &&
		    (uint64_t)vfs.f_bavail * vfs.f_frsize < d->length)
			return shyper_fail(dr->h, SHYPER_ERR_NO_MEMORY, "disk image %s needs %llu "
					   "MiB and its file system has %llu MiB free",
					   dr->dom->disks[d->disk].source,
					   (unsigned long long)(d->length >> 20),
					   (unsigned long long)((uint64_t)vfs.f_bavail * vfs.f_frsize >> 20));
		if (ftruncate(fd, (off_t)d->length) < 0)
			break;
		dr->sized[d->disk] = true;
		return 0;
	case MIG_DISK_DATA:
		if (write_full(fd, data, d->length, d->offset) == 0)
			return 0;
		break;
	case MIG_DISK_ZERO:
		/* Back to a hole, or zeroes written where holes are not had. */
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)d->offset,
			      (off_t)d->length) == 0)
			return 0;
		{
			static const uint8_t zero[65536];
			uint64_t done = 0;

			while (done < d->length) {
				size_t n = d->length - done < sizeof(zero) ? d->length - done
									   : sizeof(zero);

				if (write_full(fd, zero, n, d->offset + done))
					break;
				done += n;
			}
			if (done == d->length)
				return 0;
		}
		break;
	}
	return shyper_fail(dr->h, SHYPER_ERR_SYSTEM, "writing disk image %s: %s",
			   dr->dom->disks[d->disk].source, strerror(errno ? errno : EIO));
}

int disk_receive_finish(struct disk_receiver *dr)
{
	int rc = 0;

	for (size_t i = 0; dr->dom && !rc && i < dr->dom->disk_count; i++) {
		if (!dr->sized[i])
			rc = shyper_fail(dr->h, SHYPER_ERR_PROTOCOL, "migration stream: disk image "
					 "%s never came", dr->dom->disks[i].source);
		else if (fdatasync(dr->fd[i]) < 0)
			rc = shyper_fail(dr->h, SHYPER_ERR_SYSTEM, "disk image %s: %s",
					 dr->dom->disks[i].source, strerror(errno));
	}
	disk_receive_close(dr);
	return rc;
}

void disk_receive_close(struct disk_receiver *dr)
{
	/* (Zeroed and never used: nothing created, no descriptor is ours.) */
	for (size_t i = 0; i < MIG_DISKS_MAX; i++) {
		if (dr->created & (1U << i) && dr->fd[i] >= 0)
			close(dr->fd[i]);
		dr->fd[i] = -1;
	}
}

void disk_remove_created(const struct shyper_domain *dom, uint32_t created)
{
	for (size_t i = 0; i < dom->disk_count && i < MIG_DISKS_MAX; i++)
		if (created & (1U << i))
			unlink(dom->disks[i].source);
}
