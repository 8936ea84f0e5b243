// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio entropy device (device ID 4), mediated: one requestq of
 * buffers the guest offers for random bytes, which the MVM's backend
 * (shyperd) fills from its own /dev/urandom with SHYPER_HC_VIO_FETCH /
 * COMPLETE (devices/virtio_mediated.c). Without it a guest's kernel waits
 * for entropy of its own, which an idle virtual machine gathers slowly.
 * No features, no configuration space. Bytes a guest offers to be read by
 * the device are ignored (the backend is given them, and drops them).
 */
#include <hv/virtio.h>
#include <hv/vm.h>

const struct virtio_device_ops virtio_rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.queue_count = 1, /* requestq */
	.queue_max = VIO_QUEUE_MAX,
	.features = 0,
	.config_size = 0,
	.config = NULL,
	.process = vio_notify,
};
