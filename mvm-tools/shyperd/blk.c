// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperd's virtio block backend: serves a guest's <disk> from its raw
 * image file in the MVM.
 *
 * The hypervisor hands over one request at a time (shyper_vio_fetch): the
 * 16-byte virtio_blk_req header and, for writes, the data; it has already
 * refused requests outside the disk and writes to a read-only disk, but
 * the backend checks again against the file it really has (the image may
 * have shrunk, and defence in depth costs a comparison). The answer is the
 * data read (for reads) followed by the status byte.
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

#include "shyperd.h"

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define HEADER 16
#define SECTOR 512

struct disk {
	bool open;
	uint32_t vm_id;
	uint16_t slot;
	char vm_name[SHYPER_NAME_LEN];
	int fd;
	bool readonly;
	uint64_t size;          /* bytes */
	char target[8];
};

static struct disk disks[SHYPERD_MAX_DISKS];
static uint8_t *request, *answer;

static void disk_close(struct disk *d)
{
	if (d->open)
		close(d->fd);
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
	struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS];
	struct shyper_domain *dom;
	struct shyper_vm_info info;
	struct disk *d = NULL;
	size_t index = 0;

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
	if (!d || slot >= SHYPER_GUEST_VIRTIO_SLOTS) {
		say(LOG_ERR, "VM %u: no room for another open disk", id);
		return NULL;
	}
	snprintf(d->vm_name, sizeof(d->vm_name), "%.*s", SHYPER_NAME_LEN - 1, info.name);
	if (shyper_domain_lookup_running(h, d->vm_name, &dom)) {
		say(LOG_ERR, "VM '%s': a disk request, but no definition: %s", d->vm_name,
		    shyper_last_error_message(h));
		return NULL;
	}
	shyper_domain_virtio_devices(dom, devs);
	if (devs[slot].kind != SHYPER_DEV_VIRTIO_BLOCK) {
		shyper_domain_free(dom);
		return NULL;
	}
	for (uint16_t s = 0; s < slot; s++)
		index += devs[s].kind == SHYPER_DEV_VIRTIO_BLOCK;
	d->readonly = dom->disks[index].readonly;
	d->fd = open(dom->disks[index].source, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		say(LOG_ERR, "VM '%s': cannot open disk image %s: %s", d->vm_name,
		    dom->disks[index].source, strerror(errno));
		shyper_domain_free(dom);
		memset(d, 0, sizeof(*d));
		return NULL;
	}
	d->size = (uint64_t)lseek(d->fd, 0, SEEK_END);
	snprintf(d->target, sizeof(d->target), "%s", dom->disks[index].target);
	d->open = true;
	d->vm_id = id;
	d->slot = slot;
	say(LOG_INFO, "VM '%s': serving %s from %s%s", d->vm_name, d->target,
	    dom->disks[index].source, d->readonly ? " (read-only)" : "");
	shyper_domain_free(dom);
	return d;
}

static int io_all(int fd, bool write_it, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = write_it ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* One request: returns the answer's length in ANSWER. */
static size_t serve(struct disk *d, const uint8_t *req, size_t readable, size_t writable)
{
	uint32_t type;
	uint64_t sector, off;
	size_t data;
	uint8_t status = VIRTIO_BLK_S_OK;

	if (readable < HEADER || writable < 1)
		return 0; /* the hypervisor never sends these; answer nothing */
	memcpy(&type, req, 4);
	memcpy(&sector, req + 8, 8);
	off = sector * SECTOR;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		data = writable - 1;
		if (sector > d->size / SECTOR || data > d->size - off || data % SECTOR ||
		    io_all(d->fd, false, answer, data, off))
			return answer[0] = VIRTIO_BLK_S_IOERR, 1;
		answer[data] = status;
		return data + 1;
	case VIRTIO_BLK_T_OUT:
		data = readable - HEADER;
		if (d->readonly || sector > d->size / SECTOR || data > d->size - off ||
		    data % SECTOR || io_all(d->fd, true, (uint8_t *)req + HEADER, data, off))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!d->readonly && fdatasync(d->fd) < 0)
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (writable - 1 < VIRTIO_BLK_ID_BYTES)
			return answer[0] = VIRTIO_BLK_S_IOERR, 1;
		memset(answer, 0, VIRTIO_BLK_ID_BYTES);
		snprintf((char *)answer, VIRTIO_BLK_ID_BYTES, "shyper-%s", d->target);
		answer[VIRTIO_BLK_ID_BYTES] = status;
		return VIRTIO_BLK_ID_BYTES + 1;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	answer[0] = status;
	return 1;
}

void blk_service(struct shyper *h, uint32_t id, uint16_t slot)
{
	struct disk *d;

	if (!request && (!(request = malloc(SHYPER_VIO_IO_MAX)) ||
			 !(answer = malloc(SHYPER_VIO_IO_MAX + 1)))) {
		say(LOG_ERR, "out of memory for disk requests");
		return;
	}
	d = disk_get(h, id, slot);
	if (!d)
		return;
	for (;;) {
		uint64_t token;
		size_t readable, writable, len, done;
		int rc = shyper_vio_fetch(h, id, slot, 0, request, SHYPER_VIO_IO_MAX, &token,
					  &readable, &writable);

		if (rc == SHYPER_ERR_BUSY)
			return; /* drained: the next event says when there is more */
		if (rc == SHYPER_ERR_NO_ENTRY) {
			blk_forget_vm(id);
			return;
		}
		if (rc) {
			say(LOG_ERR, "VM '%s' %s: %s", d->vm_name, d->target,
			    shyper_last_error_message(h));
			return;
		}
		if (writable > SHYPER_VIO_IO_MAX)
			writable = SHYPER_VIO_IO_MAX;
		len = serve(d, request, readable, writable);
		/* A guest that died meanwhile makes this fail: nothing to do. */
		shyper_vio_complete(h, id, token, answer, len, &done);
	}
}

void blk_service_all(struct shyper *h)
{
	for (size_t i = 0; i < SHYPERD_MAX_DISKS; i++)
		if (disks[i].open)
			blk_service(h, disks[i].vm_id, disks[i].slot);
}
