// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperd's virtio block backend: serves a guest's <disk> from its raw
 * image file in the MVM.
 *
 * The hypervisor hands over one request at a time (shyper_vio_fetch): the
 * 16-byte virtio_blk_req header and, for writes, the data; blk_serve.c
 * answers it from the image file. The answer fills the request's whole
 * device-writable part (at most SHYPER_VIO_IO_MAX bytes, the hypervisor
 * makes sure), because virtio puts the status in its last byte: the data
 * read (for reads; zeroes after an error), then the status.
 *
 * Images are opened when a VM's disk is first used and closed when the VM
 * is gone (the fetch says no such VM) or another VM gets its id; a request
 * that fails because the guest died meanwhile is simply dropped.
 */
#define _GNU_SOURCE /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#include "blk_serve.h"
#include "shyperd.h"

struct disk {
	bool open;
	uint32_t vm_id;
	uint16_t slot;
	char vm_name[SHYPER_NAME_LEN];
	struct blk_image image;
};

static struct disk disks[SHYPERD_MAX_DISKS];
static uint8_t *request, *answer;

static void disk_close(struct disk *d)
{
	if (d->open) {
		close(d->image.fd);
		if (d->image.direct_fd >= 0)
			close(d->image.direct_fd);
	}
	memset(d, 0, sizeof(*d));
}

void blk_forget_vm(uint32_t vm_id)
{
	for (size_t i = 0; i < SHYPERD_MAX_DISKS; i++)
		if (disks[i].open && disks[i].vm_id == vm_id)
			disk_close(&disks[i]);
}

/* The disk behind VM ID's SLOT, opened on first use from the definition
 * the VM runs with. NULL if the slot is not a disk of a defined VM. */
static struct disk *disk_get(struct shyper *h, uint32_t id, uint16_t slot)
{
	struct shyper_device_config dev;
	struct shyper_domain *dom;
	struct shyper_vm_info info;
	enum shyper_disk_cache cache;
	struct disk *d = NULL;
	size_t index;
	off_t size;
	int flags;

	if (shyper_vm_info(h, id, &info))
		return NULL;
	for (size_t i = 0; i < SHYPERD_MAX_DISKS; i++) {
		if (disks[i].open && disks[i].vm_id == id && disks[i].slot == slot) {
			if (!strncmp(disks[i].vm_name, info.name, SHYPER_NAME_LEN))
				return &disks[i];
			disk_close(&disks[i]); /* the id went to another VM */
		}
	}
	for (size_t i = 0; !d && i < SHYPERD_MAX_DISKS; i++)
		if (!disks[i].open)
			d = &disks[i];
	if (!d) {
		say(LOG_ERR, "VM %u: no room for another open disk", id);
		return NULL;
	}
	if (running_device(h, id, slot, d->vm_name, &dom, &dev, &index))
		return NULL;
	if (dev.kind != SHYPER_DEV_VIRTIO_BLOCK) {
		shyper_domain_free(dom);
		return NULL;
	}
	d->image.readonly = dom->disks[index].readonly;
	cache = dom->disks[index].cache;
	flags = (d->image.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	/* Writes that must be on the disk when answered (cache='writethrough'
	 * or 'directsync'). */
	if (cache == SHYPER_DISK_CACHE_WRITETHROUGH || cache == SHYPER_DISK_CACHE_DIRECTSYNC)
		flags |= O_DSYNC;
	d->image.fd = open(dom->disks[index].source, flags);
	size = d->image.fd < 0 ? -1 : lseek(d->image.fd, 0, SEEK_END);
	if (size < 0) {
		/* (An image whose size is unknown would read as UINT64_MAX bytes.) */
		say(LOG_ERR, "VM '%s': cannot open disk image %s: %s", d->vm_name,
		    dom->disks[index].source, strerror(errno));
		if (d->image.fd >= 0)
			close(d->image.fd);
		shyper_domain_free(dom);
		memset(d, 0, sizeof(*d));
		return NULL;
	}
	d->image.size = (uint64_t)size;
	/* By default ('none'), writes go past the MVM's page cache: the guest
	 * has one of its own, and a second costs a copy, the MVM's memory and
	 * a writeback at the guest's flush. Reads still go through it, where
	 * the MVM's read-ahead runs ahead of the guest (shyperd serves one
	 * request at a time), but for 'directsync'. */
	d->image.direct_fd = -1;
	d->image.direct_reads = cache == SHYPER_DISK_CACHE_DIRECTSYNC;
	if ((cache == SHYPER_DISK_CACHE_DEFAULT || cache == SHYPER_DISK_CACHE_NONE ||
	     cache == SHYPER_DISK_CACHE_DIRECTSYNC) &&
	    (!d->image.readonly || d->image.direct_reads)) {
		d->image.direct_fd = open(dom->disks[index].source, flags | O_DIRECT);
		if (d->image.direct_fd < 0)
			say(LOG_INFO, "VM '%s': %s cannot be opened with O_DIRECT (%s): served "
			    "through the MVM's page cache", d->vm_name, dom->disks[index].source,
			    strerror(errno));
	}
	d->image.ignore_flush = cache == SHYPER_DISK_CACHE_UNSAFE;
	snprintf(d->image.target, sizeof(d->image.target), "%s", dom->disks[index].target);
	d->open = true;
	d->vm_id = id;
	d->slot = slot;
	say(LOG_INFO, "VM '%s': serving %s from %s (cache %s%s)", d->vm_name, d->image.target,
	    dom->disks[index].source,
	    shyper_disk_cache_name(cache) ? shyper_disk_cache_name(cache) : "none",
	    d->image.readonly ? ", read-only" : "");
	shyper_domain_free(dom);
	return d;
}

/* Where in the shared buffer requests go: the 16-byte header just before
 * a page, so that a write's data starts on one (O_DIRECT wants that). 0
 * once the module has refused an offset (before ABI 1.5). */
static size_t fetch_offset = 4096 - VIRTIO_BLK_HEADER;

/* shyper_vio_fetch() into the shared buffer SHARED, at fetch_offset; at its
 * start for a request that does not fit after it. */
static int fetch_shared(struct shyper *h, uint32_t id, uint16_t slot, uint8_t *shared,
			uint8_t **req_buf, uint64_t *token, size_t *readable, size_t *writable)
{
	int first = SHYPER_ERR_TOO_SMALL, rc;

	if (fetch_offset) {
		*req_buf = shared + fetch_offset;
		first = vio_fetch_polling(h, id, slot, 0, *req_buf,
					  SHYPER_VIO_IO_MAX - fetch_offset, token, readable, writable);
		if (first != SHYPER_ERR_TOO_SMALL && first != SHYPER_ERR_INVALID)
			return first;
	}
	*req_buf = shared;
	rc = vio_fetch_polling(h, id, slot, 0, shared, SHYPER_VIO_IO_MAX, token, readable,
			       writable);
	if (first == SHYPER_ERR_INVALID && rc != SHYPER_ERR_INVALID) {
		/* Refused with an offset, taken without: an older module. */
		say(LOG_INFO, "the module takes no fetch offset (ABI before 1.5): disk writes go "
		    "through the MVM's page cache");
		fetch_offset = 0;
	}
	return rc;
}

void blk_service(struct shyper *h, uint32_t id, uint16_t slot)
{
	/* The buffer shared with the module saves a copy each way; request
	 * and answer share it (blk_serve allows that). */
	uint8_t *shared = shyper_vio_buffer(h);
	uint8_t *req_buf, *answer_buf;
	struct disk *d;

	/* (Each on its own: one that failed is tried again next time.) */
	if (!shared && !request)
		request = malloc(SHYPER_VIO_IO_MAX);
	if (!shared && !answer)
		answer = malloc(SHYPER_VIO_IO_MAX);
	req_buf = shared ? shared : request;
	answer_buf = shared ? shared : answer;
	if (!req_buf || !answer_buf) {
		say(LOG_ERR, "out of memory for disk requests");
		return;
	}
	d = disk_get(h, id, slot);
	if (!d)
		return;
	for (;;) {
		uint64_t token;
		size_t readable, writable, len, done;
		int rc = shared ? fetch_shared(h, id, slot, shared, &req_buf, &token, &readable,
					       &writable)
				: vio_fetch_polling(h, id, slot, 0, req_buf, SHYPER_VIO_IO_MAX,
						    &token, &readable, &writable);

		if (rc == SHYPER_ERR_BUSY)
			return; /* drained: the next event says when there is more */
		if (rc == SHYPER_ERR_NO_ENTRY) {
			blk_forget_vm(id);
			return;
		}
		if (rc) {
			say(LOG_ERR, "VM '%s' %s: %s", d->vm_name, d->image.target,
			    shyper_last_error_message(h));
			return;
		}
		if (writable > SHYPER_VIO_IO_MAX)
			writable = SHYPER_VIO_IO_MAX;
		len = blk_serve(&d->image, req_buf, readable, writable, answer_buf,
				SHYPER_VIO_IO_MAX);
		/* A guest that died meanwhile makes this fail: nothing to do. */
		shyper_vio_complete(h, id, token, answer_buf, len, &done);
	}
}

void blk_service_all(struct shyper *h)
{
	for (size_t i = 0; i < SHYPERD_MAX_DISKS; i++)
		if (disks[i].open)
			blk_service(h, disks[i].vm_id, disks[i].slot);
}
