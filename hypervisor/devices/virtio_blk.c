// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio block device (device ID 2), mediated: its backend (an image
 * file) is in the MVM, which takes requests with SHYPER_HC_VIO_FETCH and
 * answers them with SHYPER_HC_VIO_COMPLETE (devices/virtio_mediated.c).
 * Here are its features, its config space, and the check of a request's
 * header the hypervisor makes before any backend sees it: a request
 * outside the disk, or a write to a read-only disk, never leaves the
 * hypervisor, whatever the backend would have done with it.
 */
#include <hv/virtio.h>
#include <hv/vm.h>
#include <shyper/abi.h>
#include <string.h>

/* capacity, size_max, seg_max, geometry (unused), blk_size (unused),
 * topology: physical_block_exp, alignment_offset, min_io_size, opt_io_size */
#define BLK_CONFIG_SIZE 32
#define SECTOR_SIZE 512

_Static_assert((uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX + VIRTIO_BLK_HDR_SIZE <=
		       VIO_IO_MAX,
	       "a block request's readable part must fit one FETCH buffer");
_Static_assert(VIRTIO_BLK_SEG_MAX + 2 <= VIRTQ_MAX_SEGMENTS,
	       "header, data and status must fit one chain");

static void blk_config(const struct vm *vm, const struct virtio_dev *dev, uint8_t *buf)
{
	uint32_t size_max = VIRTIO_BLK_SIZE_MAX, seg_max = VIRTIO_BLK_SEG_MAX;

	(void)vm;
	memset(buf, 0, BLK_CONFIG_SIZE);
	memcpy(buf, &dev->capacity, 8);
	memcpy(buf + 8, &size_max, 4);
	memcpy(buf + 12, &seg_max, 4);
	memcpy(buf + 26, &(uint16_t){ 8 }, 2); /* min_io_size: a 4 KiB page */
	memcpy(buf + 28, &(uint32_t){ VIRTIO_BLK_OPT_IO_BLOCKS }, 4);
}

/* The first n device-readable bytes of a chain (n <= what it has). Empty
 * buffers (no pointer) are skipped. */
static void gather(const struct virtq_chain *chain, void *dst, size_t n)
{
	uint8_t *out = dst;

	for (unsigned i = 0; i < chain->readable && n; i++) {
		size_t k = MIN(n, (size_t)chain->seg[i].len);

		if (!k)
			continue;
		memcpy(out, chain->seg[i].ptr, k);
		out += k;
		n -= k;
	}
}

uint8_t virtio_blk_check(const struct virtio_dev *dev, const struct virtq_chain *chain,
			 uint64_t readable, uint64_t room, uint8_t *header)
{
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} hdr;
	uint64_t data, sectors_left;

	/* The status is the chain's last writable byte: the backend's answer
	 * (at most VIO_IO_MAX bytes, written in order) must reach it. */
	if (readable < VIRTIO_BLK_HDR_SIZE || room < 1 || room > VIO_IO_MAX)
		return VIRTIO_BLK_S_IOERR;
	/* Read once: what is checked is what the backend gets (header). */
	gather(chain, &hdr, sizeof(hdr));
	memcpy(header, &hdr, sizeof(hdr));
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		data = room - 1;
		if (readable != VIRTIO_BLK_HDR_SIZE)
			return VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_OUT:
		if (dev->dev_flags & SHYPER_DEV_F_READONLY)
			return VIRTIO_BLK_S_IOERR;
		data = readable - VIRTIO_BLK_HDR_SIZE;
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
		/* No data to the device: anything more could not be fetched and
		 * would stay at the head of the queue for ever. */
		if (readable != VIRTIO_BLK_HDR_SIZE)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK; /* the backend answers */
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
	if (hdr.sector > dev->capacity || data % SECTOR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	/* In sectors, so that no product can overflow. */
	sectors_left = dev->capacity - hdr.sector;
	if (data / SECTOR_SIZE > sectors_left)
		return VIRTIO_BLK_S_IOERR;
	/* What the backend's buffer takes, not seg_max * size_max: Linux with
	 * pages larger than size_max sends segments of a page. */
	if (data > VIO_IO_MAX - VIRTIO_BLK_HDR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint64_t blk_features(const struct virtio_dev *dev)
{
	return VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH |
	       VIRTIO_BLK_F_TOPOLOGY | ((dev->dev_flags & SHYPER_DEV_F_READONLY) ? VIRTIO_BLK_F_RO : 0);
}

const struct virtio_device_ops virtio_blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.queue_count = 1,
	.queue_max = VIO_QUEUE_MAX,
	.features = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH |
		    VIRTIO_BLK_F_TOPOLOGY,
	.device_features = blk_features,
	.config_size = BLK_CONFIG_SIZE,
	.config = blk_config,
	.process = vio_notify,
};
