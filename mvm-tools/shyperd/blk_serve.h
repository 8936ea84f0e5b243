/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * One virtio block request against an open image file: the part of
 * shyperd's block backend (blk.c) that is only files and bytes, so that it
 * is tested on the host without a hypervisor (tests/unit/lib/test_blk_serve.c).
 */
#ifndef SHYPERD_BLK_SERVE_H
#define SHYPERD_BLK_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request types and statuses (virtio 1.x, 5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_HEADER 16 /* type, reserved, sector */
#define VIRTIO_BLK_SECTOR 512

/* Buffers, offsets and lengths that O_DIRECT takes on most disks (their
 * logical blocks), and on all. */
#define BLK_DIRECT_ALIGN 512
#define BLK_DIRECT_PAGE 4096

/* What serving needs to know of a disk. */
struct blk_image {
	int fd;                 /* open read-only or read-write */
	/* -1, or the image opened again with O_DIRECT: writes (and reads, with
	 * direct_reads) whose buffer, offset and length are direct_align-
	 * aligned go through it, past the MVM's page cache. Should the file
	 * system refuse one (EINVAL), it goes through fd, the alignment goes
	 * up to BLK_DIRECT_PAGE, and at a second refusal direct_fd is closed
	 * and set to -1. Flushes go through fd. */
	int direct_fd;
	size_t direct_align;    /* 0: BLK_DIRECT_ALIGN */
	bool direct_reads;
	bool ignore_flush;      /* cache='unsafe': flushes are answered, not done */
	bool readonly;
	uint64_t size;          /* bytes */
	char target[8];         /* the guest's name for it ("vda"): the disk's ID */
};

/*
 * Serves one request: REQ holds its READABLE bytes (the header, then for
 * writes the data); WRITABLE is the size of its device-writable part. The
 * answer, at most ANSWER_SIZE bytes, goes into ANSWER: the whole writable
 * part (read data or zeroes, the status in the last byte). Returns its
 * length: WRITABLE, or 0 for no answer at all (no header, no room for a
 * status, or more room than ANSWER has). ANSWER may overlap REQ (both are
 * in shyperd's zero-copy buffer): the header is read before the answer is
 * written, and a write's data is written out before its answer.
 */
size_t blk_serve(struct blk_image *img, const uint8_t *req, size_t readable,
		 size_t writable, uint8_t *answer, size_t answer_size);

#endif /* SHYPERD_BLK_SERVE_H */
