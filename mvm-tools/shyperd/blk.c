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
	if (d->open)
		close(d->image.fd);
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
	struct disk *d = NULL;
	size_t index;
	off_t size;

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
	d->image.fd = open(dom->disks[index].source,
			   (d->image.readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
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
	snprintf(d->image.target, sizeof(d->image.target), "%s", dom->disks[index].target);
	d->open = true;
	d->vm_id = id;
	d->slot = slot;
	say(LOG_INFO, "VM '%s': serving %s from %s%s", d->vm_name, d->image.target,
	    dom->disks[index].source, d->image.readonly ? " (read-only)" : "");
	shyper_domain_free(dom);
	return d;
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
		int rc = vio_fetch_polling(h, id, slot, 0, req_buf, SHYPER_VIO_IO_MAX, &token,
					   &readable, &writable);

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
