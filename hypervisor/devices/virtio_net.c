// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio network device (device ID 1), mediated: receiveq and
 * transmitq, whose frames the MVM's backend takes and gives with
 * SHYPER_HC_VIO_FETCH / COMPLETE (devices/virtio_mediated.c). Only a MAC
 * address is offered: no offloads, no control queue, no multiqueue, so a
 * frame is a virtio_net_hdr (12 bytes, all zero) and the packet.
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
	.features = VIRTIO_NET_F_MAC,
	.config_size = NET_CONFIG_SIZE,
	.config = net_config,
	.process = vio_notify,
};
