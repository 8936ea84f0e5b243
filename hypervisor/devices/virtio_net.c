// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio network device (device ID 1), mediated: receiveq and
 * transmitq, whose frames the MVM's backend takes and gives with
 * SHYPER_HC_VIO_FETCH / COMPLETE (devices/virtio_mediated.c). A frame on a
 * queue is a 12-byte virtio_net_hdr and the packet.
 *
 * Offered: a MAC address, and the offloads of frames the guest sends:
 * checksum and TCP segmentation (TSO, IPv4 and IPv6), so that a guest
 * sends up to 64 KiB per frame and the MVM's tap, which takes the header as
 * it is, finishes the work (or never has to, for a stream that ends in the
 * MVM). Nothing for received frames (they arrive whole and checksummed,
 * the header all zero), no control queue, no multiqueue.
 */
#include <hv/virtio.h>
#include <hv/vm.h>
#include <string.h>

#define NET_CONFIG_SIZE 8 /* mac[6], status (no VIRTIO_NET_F_STATUS: zero) */

static void net_config(const struct vm *vm, const struct virtio_dev *dev, uint8_t *buf)
{
	(void)vm;
	memset(buf, 0, NET_CONFIG_SIZE);
	memcpy(buf, dev->mac, sizeof(dev->mac));
}

const struct virtio_device_ops virtio_net_ops = {
	.device_id = VIRTIO_ID_NET,
	.queue_count = 2, /* receiveq, transmitq */
	.queue_max = VIO_QUEUE_MAX,
	.features = VIRTIO_NET_F_MAC | VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 |
		    VIRTIO_NET_F_HOST_TSO6,
	.config_size = NET_CONFIG_SIZE,
	.config = net_config,
	.process = vio_notify,
};
