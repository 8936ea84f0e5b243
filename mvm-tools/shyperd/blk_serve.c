// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * One virtio block request against an image file (see blk_serve.h). The
 * hypervisor has already refused requests outside the disk and writes to
 * a read-only disk; this checks again against the file it really has (the
 * image may have shrunk, and defence in depth costs a comparison).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blk_serve.h"

static int io_all_fd(int fd, bool write_it, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = write_it ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO; /* the image ended early */
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Through the O_DIRECT descriptor when the request allows it (see
 * struct blk_image), else, or if that one refuses it, through the other.
 * A refusal (EINVAL) says the alignment is not enough for the file's
 * disk: a page is asked for from then on, and after a refusal of that
 * too the O_DIRECT descriptor is given up. */
static int io_all(struct blk_image *img, bool write_it, uint8_t *buf, size_t len, uint64_t off)
{
	size_t align = img->direct_align ? img->direct_align : BLK_DIRECT_ALIGN;

	if (img->direct_fd >= 0 && (write_it || img->direct_reads) && len &&
	    ((uintptr_t)buf | len | off) % align == 0) {
		if (!io_all_fd(img->direct_fd, write_it, buf, len, off))
			return 0;
		if (errno != EINVAL)
			return -1;
		if (align < BLK_DIRECT_PAGE) {
			img->direct_align = BLK_DIRECT_PAGE;
		} else {
			close(img->direct_fd);
			img->direct_fd = -1;
		}
	}
	return io_all_fd(img->fd, write_it, buf, len, off);
}

/*
 * Is [SECTOR, + DATA bytes) inside the image? The first test bounds
 * sector * VIRTIO_BLK_SECTOR by the size, so no product or difference
 * below can wrap, whatever sector the guest asked for.
 */
static bool in_image(const struct blk_image *img, uint64_t sector, size_t data)
{
	return sector <= img->size / VIRTIO_BLK_SECTOR &&
	       data <= img->size - sector * VIRTIO_BLK_SECTOR && data % VIRTIO_BLK_SECTOR == 0;
}

/* An answer of WRITABLE bytes: zeroes (nothing of an earlier request),
 * then STATUS in the last one. */
static size_t answer_status(uint8_t *answer, size_t writable, uint8_t status)
{
	memset(answer, 0, writable - 1);
	answer[writable - 1] = status;
	return writable;
}

size_t blk_serve(struct blk_image *img, const uint8_t *req, size_t readable,
		 size_t writable, uint8_t *answer, size_t answer_size)
{
	uint32_t type;
	uint64_t sector;
	size_t data;

	/* The hypervisor never sends these; answer nothing. */
	if (readable < VIRTIO_BLK_HEADER || writable < 1 || writable > answer_size)
		return 0;
	memcpy(&type, req, 4);
	memcpy(&sector, req + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		data = writable - 1;
		if (!in_image(img, sector, data) ||
		    io_all(img, false, answer, data, sector * VIRTIO_BLK_SECTOR))
			return answer_status(answer, writable, VIRTIO_BLK_S_IOERR);
		answer[data] = VIRTIO_BLK_S_OK;
		return writable;
	case VIRTIO_BLK_T_OUT:
		data = readable - VIRTIO_BLK_HEADER;
		if (img->readonly || !in_image(img, sector, data) ||
		    io_all(img, true, (uint8_t *)req + VIRTIO_BLK_HEADER, data,
			   sector * VIRTIO_BLK_SECTOR))
			return answer_status(answer, writable, VIRTIO_BLK_S_IOERR);
		return answer_status(answer, writable, VIRTIO_BLK_S_OK);
	case VIRTIO_BLK_T_FLUSH:
		if (!img->readonly && !img->ignore_flush && fdatasync(img->fd) < 0)
			return answer_status(answer, writable, VIRTIO_BLK_S_IOERR);
		return answer_status(answer, writable, VIRTIO_BLK_S_OK);
	case VIRTIO_BLK_T_GET_ID:
		if (writable - 1 < VIRTIO_BLK_ID_BYTES)
			return answer_status(answer, writable, VIRTIO_BLK_S_IOERR);
		answer_status(answer, writable, VIRTIO_BLK_S_OK);
		snprintf((char *)answer, VIRTIO_BLK_ID_BYTES, "shyper-%s", img->target);
		return writable;
	default:
		return answer_status(answer, writable, VIRTIO_BLK_S_UNSUPP);
	}
}
