// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio console (device ID 3), emulated in the hypervisor: one port,
 * no multiport, receiveq0 and transmitq0. It is the same console as the
 * guest's PL011 as far as the MVM can tell: what the guest transmits goes
 * into the VM's console ring (vconsole_output), which CONSOLE_READ reads;
 * what the MVM writes with CONSOLE_WRITE waits here until the guest has
 * receive buffers for it.
 */
#include <hv/vconsole.h>
#include <hv/virtio.h>
#include <hv/vm.h>
#include <string.h>

#define RECEIVEQ 0
#define TRANSMITQ 1
#define CONSOLE_QUEUE_MAX 256
#define CONSOLE_CONFIG_SIZE 12 /* cols, rows, max_nr_ports, emerg_wr */

static uint32_t rx_pending(const struct virtio_console_state *c)
{
	return c->rx_head - c->rx_tail;
}

static void console_config(const struct vm *vm, const struct virtio_dev *dev, uint8_t *buf)
{
	/* No VIRTIO_CONSOLE_F_SIZE, F_MULTIPORT or F_EMERG_WRITE: nothing to say. */
	(void)vm;
	(void)dev;
	memset(buf, 0, CONSOLE_CONFIG_SIZE);
}

/* Everything the guest queued for transmission goes to the console ring. */
static void transmit(struct vm *vm, struct virtio_dev *dev)
{
	struct virtq *vq = &dev->vq[TRANSMITQ];
	struct virtq_chain chain;
	bool used = false;

	/* At most a queue's worth per notification: the guest may keep adding. */
	for (unsigned n = 0; n < vq->size; n++) {
		int rc = virtq_pop(vm, vq, &chain);

		if (rc == VIRTQ_EMPTY)
			break;
		if (rc != VIRTQ_OK || chain.readable != chain.count) {
			/* Broken ring, or a transmit buffer the device would write. */
			vq->broken = true;
			virtio_dev_needs_reset(vm, dev);
			return;
		}
		for (unsigned i = 0; i < chain.count; i++)
			vconsole_output(vm, chain.seg[i].ptr, chain.seg[i].len);
		if (virtq_push(vm, vq, &chain, 0) != VIRTQ_OK) {
			virtio_dev_needs_reset(vm, dev);
			return;
		}
		virtio_count(vm, dev, &chain, 0);
		used = true;
	}
	if (used)
		virtio_dev_used(vm, dev);
}

/* Pending input into the guest's receive buffers, while both last. */
static void receive(struct vm *vm, struct virtio_dev *dev)
{
	struct virtio_console_state *c = &dev->u.console;
	struct virtq *vq = &dev->vq[RECEIVEQ];
	struct virtq_chain chain;
	bool used = false;

	while (rx_pending(c)) {
		uint32_t written = 0;
		int rc = virtq_pop(vm, vq, &chain);

		if (rc == VIRTQ_EMPTY)
			break;
		if (rc != VIRTQ_OK || chain.readable) {
			vq->broken = true;
			virtio_dev_needs_reset(vm, dev);
			return;
		}
		for (unsigned i = 0; i < chain.count && rx_pending(c); i++) {
			uint8_t *p = chain.seg[i].ptr;

			for (uint32_t k = 0; k < chain.seg[i].len && rx_pending(c); k++) {
				p[k] = c->rx[c->rx_tail % VIRTIO_CONSOLE_RX_SIZE];
				c->rx_tail++;
				written++;
			}
		}
		if (virtq_push(vm, vq, &chain, written) != VIRTQ_OK) {
			virtio_dev_needs_reset(vm, dev);
			return;
		}
		virtio_count(vm, dev, &chain, written);
		used = true;
	}
	if (used)
		virtio_dev_used(vm, dev);
}

static void console_process(struct vm *vm, struct virtio_dev *dev, unsigned q)
{
	if ((q == TRANSMITQ || q == VIRTIO_MAX_QUEUES) && dev->vq[TRANSMITQ].ready)
		transmit(vm, dev);
	if ((q == RECEIVEQ || q == VIRTIO_MAX_QUEUES) && dev->vq[RECEIVEQ].ready &&
	    virtio_dev_live(dev))
		receive(vm, dev);
}

const struct virtio_device_ops virtio_console_ops = {
	.device_id = VIRTIO_ID_CONSOLE,
	.queue_count = 2,
	.queue_max = CONSOLE_QUEUE_MAX,
	.features = 0,
	.config_size = CONSOLE_CONFIG_SIZE,
	.config = console_config,
	.process = console_process,
};

struct virtio_dev *virtio_console_find(struct vm *vm)
{
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++)
		if (vm->virtio[i].device_id == VIRTIO_ID_CONSOLE)
			return &vm->virtio[i];
	return NULL;
}

size_t virtio_console_input(struct vm *vm, struct virtio_dev *dev, const uint8_t *buf,
			    size_t len)
{
	struct virtio_console_state *c = &dev->u.console;
	size_t n = 0;

	spin_lock(&dev->lock);
	while (n < len && rx_pending(c) < VIRTIO_CONSOLE_RX_SIZE) {
		c->rx[c->rx_head % VIRTIO_CONSOLE_RX_SIZE] = buf[n++];
		c->rx_head++;
	}
	if (virtio_dev_live(dev) && dev->vq[RECEIVEQ].ready)
		receive(vm, dev);
	spin_unlock(&dev->lock);
	return n;
}
