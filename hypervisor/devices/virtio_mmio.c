// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport, version 2 (virtio 1.x, 4.2.2), of guest VMs
 * (see hv/virtio.h): the register file, feature negotiation, queue setup
 * and notification, and the level interrupt line.
 *
 * Everything the driver does is checked. Registers are 32 bits wide and
 * naturally aligned; config space takes 1, 2, 4 or 8 byte aligned accesses
 * inside the device's config. Anything else - an unknown offset, a read of
 * a write-only or a write of a read-only register, queue registers of a
 * queue that does not exist or is live, a status write that takes bits
 * away, a queue made ready whose rings are not in the guest's RAM, a
 * broken ring - touches nothing: the device sets DEVICE_NEEDS_RESET and
 * raises the configuration-change interrupt, and stops processing queues
 * until the driver resets it by writing 0 to Status.
 */
#include <hv/arch.h>
#include <hv/log.h>
#include <hv/vgic.h>
#include <hv/virtio.h>
#include <hv/virtq.h>
#include <hv/vm.h>
#include <shyper/abi.h>
#include <string.h>

#define MAGIC_VALUE 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define VENDOR_ID 0x00c
#define DEVICE_FEATURES 0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES 0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define SHM_SEL 0x0ac
#define SHM_LEN_LOW 0x0b0
#define SHM_LEN_HIGH 0x0b4
#define SHM_BASE_LOW 0x0b8
#define SHM_BASE_HIGH 0x0bc
#define CONFIG_GENERATION 0x0fc
#define CONFIG 0x100

#define MMIO_MAGIC 0x74726976U  /* "virt" */
#define MMIO_VERSION 2
#define SHYPER_VENDOR_ID 0x50594853U /* "SHYP" */

/* Status bits a driver may write; NEEDS_RESET is the device's own. */
#define STATUS_DRIVER_BITS                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |    \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

static const struct virtio_device_ops *const device_types[] = {
	&virtio_console_ops,
	&virtio_blk_ops,
	&virtio_net_ops,
	&virtio_rng_ops,
};

const struct virtio_device_ops *virtio_dev_ops(const struct virtio_dev *dev)
{
	for (unsigned i = 0; i < ARRAY_SIZE(device_types); i++)
		if (device_types[i]->device_id == dev->device_id)
			return device_types[i];
	return NULL;
}

static uint64_t offered_features(const struct virtio_dev *dev,
				 const struct virtio_device_ops *ops)
{
	return (ops->device_features ? ops->device_features(dev) : ops->features) |
	       VIRTIO_RING_F_INDIRECT_DESC | VIRTIO_F_VERSION_1;
}

static void line_update(struct vm *vm, struct virtio_dev *dev)
{
	vgic_spi_set_line(vm, dev->intid, dev->int_status != 0);
}

/* The transport as out of reset (virtio 1.x 2.4): the driver starts again. */
static void transport_reset(struct virtio_dev *dev)
{
	dev->status = 0;
	dev->int_status = 0;
	dev->device_features_sel = dev->driver_features_sel = dev->queue_sel = 0;
	dev->driver_features = 0;
	memset(dev->vq, 0, sizeof(dev->vq));
	vio_reset(dev);
}

void virtio_dev_init(struct vm *vm, unsigned slot, uint32_t device_id)
{
	struct virtio_dev *dev = &vm->virtio[slot];

	memset(dev, 0, sizeof(*dev));
	/* Mediated devices' tokens carry the generation: start it somewhere a
	 * destroyed VM's device with the same id and slot is unlikely to be. */
	dev->vio.generation = (uint32_t)arch_counter();
	dev->device_id = device_id;
	dev->intid = 32 + SHYPER_GUEST_VIRTIO_SPI + slot;
}

void virtio_vm_resumed(struct vm *vm)
{
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++) {
		struct virtio_dev *dev = &vm->virtio[i];

		if (dev->device_id == VIRTIO_ID_NONE || !virtio_dev_mediated(dev))
			continue;
		spin_lock(&dev->lock);
		/* Whatever was pending before it stopped: anew, so an event goes out. */
		dev->vio.pending = 0;
		if (dev->status & VIRTIO_STATUS_DRIVER_OK)
			vio_notify(vm, dev, VIRTIO_MAX_QUEUES);
		spin_unlock(&dev->lock);
	}
}

void virtio_vm_reset(struct vm *vm)
{
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++) {
		struct virtio_dev *dev = &vm->virtio[i];

		if (dev->device_id == VIRTIO_ID_NONE)
			continue;
		spin_lock(&dev->lock);
		transport_reset(dev);
		memset(&dev->u, 0, sizeof(dev->u));
		dev->config_generation = 0;
		spin_unlock(&dev->lock);
	}
}

bool virtio_dev_live(const struct virtio_dev *dev)
{
	return (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(dev->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

void virtio_dev_needs_reset(struct vm *vm, struct virtio_dev *dev)
{
	/* Info, not a warning: it harms only this guest, and a warning would
	 * reach the shared console, in the middle of whatever the MVM prints.
	 * `shyperctl hv log` shows it. */
	if (dev->malformed++ < 4)
		pr_info("vm %u (%s): virtio device %u broke the protocol: needs reset", vm->id,
			vm->name, dev->intid - 32 - SHYPER_GUEST_VIRTIO_SPI);
	dev->status |= VIRTIO_STATUS_NEEDS_RESET;
	dev->int_status |= VIRTIO_INT_CONFIG;
	line_update(vm, dev);
}

void virtio_count(struct vm *vm, const struct virtio_dev *dev, const struct virtq_chain *chain,
		  uint32_t written)
{
	struct virtio_counts *c = &vm->virtio_counts[dev - vm->virtio];
	uint64_t out = 0;

	for (unsigned i = 0; i < chain->readable && i < chain->count; i++)
		out += chain->seg[i].len;
	c->requests++;
	c->bytes_in += written;
	c->bytes_out += out;
}

void virtio_dev_used(struct vm *vm, struct virtio_dev *dev)
{
	dev->int_status |= VIRTIO_INT_USED;
	line_update(vm, dev);
}

static struct virtq *selected_queue(struct virtio_dev *dev, const struct virtio_device_ops *ops)
{
	return dev->queue_sel < ops->queue_count ? &dev->vq[dev->queue_sel] : NULL;
}

/* A queue's registers may only be written while it is not ready. */
static struct virtq *queue_to_configure(struct virtio_dev *dev,
					const struct virtio_device_ops *ops)
{
	struct virtq *vq = selected_queue(dev, ops);

	return vq && !vq->ready ? vq : NULL;
}

static void set_half(uint64_t *v, bool high, uint32_t half)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)half << 32;
	else
		*v = (*v & ~0xffffffffULL) | half;
}

static bool queue_make_ready(struct vm *vm, struct virtio_dev *dev, struct virtq *vq,
			     const struct virtio_device_ops *ops)
{
	/* Queues are set up after feature negotiation, before DRIVER_OK. */
	if (!(dev->status & VIRTIO_STATUS_FEATURES_OK) || vq->size > ops->queue_max)
		return false;
	if (virtq_validate(vm, vq) != VIRTQ_OK)
		return false;
	vq->ready = true;
	vq->broken = false;
	vq->last_avail = vq->used_idx = 0;
	return true;
}

static bool status_write(struct vm *vm, struct virtio_dev *dev, uint32_t v,
			 const struct virtio_device_ops *ops)
{
	uint32_t old = dev->status & STATUS_DRIVER_BITS;
	uint32_t want = v & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;

	if (v == 0) {
		transport_reset(dev);
		line_update(vm, dev);
		return true;
	}
	/* Only known bits, and none taken away (a driver adds them one by one). */
	if ((want & ~STATUS_DRIVER_BITS) || (old & ~want))
		return false;
	if ((want & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t offered = offered_features(dev, ops);

		/* Features the device did not offer, or a legacy driver: refused,
		 * the driver reads FEATURES_OK back clear (virtio 1.x 3.1.1). */
		if ((dev->driver_features & ~offered) ||
		    !(dev->driver_features & VIRTIO_F_VERSION_1))
			want &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	if ((want & VIRTIO_STATUS_DRIVER_OK) && !(want & VIRTIO_STATUS_FEATURES_OK))
		return false;
	dev->status = want | (dev->status & VIRTIO_STATUS_NEEDS_RESET);
	if ((want & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    virtio_dev_live(dev))
		ops->process(vm, dev, VIRTIO_MAX_QUEUES); /* buffers made available earlier */
	return true;
}

static bool reg_read(struct virtio_dev *dev, const struct virtio_device_ops *ops, uint64_t off,
		     uint32_t *val)
{
	struct virtq *vq;

	switch (off) {
	case MAGIC_VALUE:
		*val = MMIO_MAGIC;
		return true;
	case VERSION:
		*val = MMIO_VERSION;
		return true;
	case DEVICE_ID:
		*val = ops->device_id;
		return true;
	case VENDOR_ID:
		*val = SHYPER_VENDOR_ID;
		return true;
	case DEVICE_FEATURES:
		*val = dev->device_features_sel < 2
			       ? (uint32_t)(offered_features(dev, ops) >> (32 * dev->device_features_sel))
			       : 0;
		return true;
	case QUEUE_NUM_MAX:
		*val = selected_queue(dev, ops) ? ops->queue_max : 0;
		return true;
	case QUEUE_READY:
		vq = selected_queue(dev, ops);
		*val = vq && vq->ready;
		return true;
	case INTERRUPT_STATUS:
		*val = dev->int_status;
		return true;
	case STATUS:
		*val = dev->status;
		return true;
	case SHM_LEN_LOW:
	case SHM_LEN_HIGH:
	case SHM_BASE_LOW:
	case SHM_BASE_HIGH:
		*val = 0xffffffffU; /* no shared memory regions */
		return true;
	case CONFIG_GENERATION:
		*val = dev->config_generation;
		return true;
	default:
		return false;
	}
}

static bool reg_write(struct vm *vm, struct virtio_dev *dev, const struct virtio_device_ops *ops,
		      uint64_t off, uint32_t v)
{
	struct virtq *vq;

	switch (off) {
	case DEVICE_FEATURES_SEL:
		dev->device_features_sel = v;
		return true;
	case DRIVER_FEATURES:
		/* Features are settled once FEATURES_OK is set. */
		if (dev->status & VIRTIO_STATUS_FEATURES_OK)
			return false;
		if (dev->driver_features_sel < 2)
			set_half(&dev->driver_features, dev->driver_features_sel, v);
		else if (v)
			return false; /* no features up there */
		return true;
	case DRIVER_FEATURES_SEL:
		dev->driver_features_sel = v;
		return true;
	case QUEUE_SEL:
		dev->queue_sel = v;
		return true;
	case QUEUE_NUM:
		vq = queue_to_configure(dev, ops);
		if (!vq || v > ops->queue_max)
			return false;
		vq->size = (uint16_t)v;
		return true;
	case QUEUE_READY:
		vq = selected_queue(dev, ops);
		if (!vq || v > 1)
			return false;
		if (!v) {
			if (vq->ready && virtio_dev_mediated(dev))
				vio_queue_stopped(dev, dev->queue_sel);
			vq->ready = false;
			return true;
		}
		return vq->ready || queue_make_ready(vm, dev, vq, ops);
	case QUEUE_NOTIFY:
		if (v >= ops->queue_count)
			return false;
		if (virtio_dev_live(dev) && dev->vq[v].ready)
			ops->process(vm, dev, v);
		return true;
	case INTERRUPT_ACK:
		dev->int_status &= ~v;
		line_update(vm, dev);
		return true;
	case STATUS:
		return status_write(vm, dev, v, ops);
	case QUEUE_DESC_LOW:
	case QUEUE_DESC_HIGH:
		vq = queue_to_configure(dev, ops);
		if (!vq)
			return false;
		set_half(&vq->desc, off == QUEUE_DESC_HIGH, v);
		return true;
	case QUEUE_DRIVER_LOW:
	case QUEUE_DRIVER_HIGH:
		vq = queue_to_configure(dev, ops);
		if (!vq)
			return false;
		set_half(&vq->avail, off == QUEUE_DRIVER_HIGH, v);
		return true;
	case QUEUE_DEVICE_LOW:
	case QUEUE_DEVICE_HIGH:
		vq = queue_to_configure(dev, ops);
		if (!vq)
			return false;
		set_half(&vq->used, off == QUEUE_DEVICE_HIGH, v);
		return true;
	case SHM_SEL:
		return true;
	default:
		return false;
	}
}

static bool config_access(const struct vm *vm, const struct virtio_dev *dev,
			  const struct virtio_device_ops *ops, uint64_t off, unsigned size,
			  bool write, uint64_t *val)
{
	uint8_t buf[256];
	uint64_t v = 0;

	if ((size != 1 && size != 2 && size != 4 && size != 8) || (off & (size - 1)) ||
	    off + size > ops->config_size || ops->config_size > sizeof(buf))
		return false;
	if (write)
		return true; /* nothing a driver may write is offered yet */
	ops->config(vm, dev, buf);
	memcpy(&v, buf + off, size); /* little-endian, as virtio 1.x wants */
	*val = v;
	return true;
}

bool virtio_mmio_claims(const struct vm *vm, uint64_t ipa)
{
	uint64_t slot;

	if (ipa < SHYPER_GUEST_VIRTIO_BASE || vm->type == VM_TYPE_MVM)
		return false;
	slot = (ipa - SHYPER_GUEST_VIRTIO_BASE) / VIRTIO_MMIO_SIZE;
	return slot < VIRTIO_SLOTS && vm->virtio[slot].device_id != VIRTIO_ID_NONE;
}

bool virtio_mmio_access(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write,
			uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);
	const struct virtio_device_ops *ops;
	struct virtio_dev *dev;
	uint64_t off;
	bool ok;

	if (!virtio_mmio_claims(vm, ipa))
		return false;
	off = (ipa - SHYPER_GUEST_VIRTIO_BASE) % VIRTIO_MMIO_SIZE;
	dev = &vm->virtio[(ipa - SHYPER_GUEST_VIRTIO_BASE) / VIRTIO_MMIO_SIZE];
	ops = virtio_dev_ops(dev);
	if (!write)
		*val = 0;
	if (!ops)
		return true; /* a device type this image does not know: a dead slot */
	spin_lock(&dev->lock);
	if (off >= CONFIG) {
		ok = config_access(vm, dev, ops, off - CONFIG, size, write, val);
	} else if (size != 4 || (off & 3)) {
		ok = false;
	} else if (write) {
		ok = reg_write(vm, dev, ops, off, (uint32_t)*val);
	} else {
		uint32_t v = 0;

		ok = reg_read(dev, ops, off, &v);
		*val = v;
	}
	if (!ok) {
		if (!write)
			*val = 0;
		virtio_dev_needs_reset(vm, dev);
	}
	spin_unlock(&dev->lock);
	return true;
}
