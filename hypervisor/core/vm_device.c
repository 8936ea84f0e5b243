// SPDX-License-Identifier: GPL-2.0
/*
 * Devices given to a guest VM after VM_CREATE and before its first start
 * (SHYPER_HC_VM_ADD_DEVICE, ABI 1.3). The description is checked field by
 * field here, then handed to the device kind that answers it.
 */
#include <hv/log.h>
#include <hv/passthrough.h>
#include <hv/virtio.h>
#include <hv/vm_lifecycle.h>
#include <string.h>

static bool bytes_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* A virtio device without per-kind settings: those fields must be zero. */
static int64_t virtio_slot_check(const struct vm *vm, const struct shyper_device_config *dev,
				 uint32_t allowed_flags)
{
	if (dev->slot >= SHYPER_GUEST_VIRTIO_SLOTS || (dev->flags & ~allowed_flags) ||
	    dev->base || dev->length || dev->spi)
		return SHYPER_E_INVALID;
	if (vm->virtio[dev->slot].device_id != VIRTIO_ID_NONE)
		return SHYPER_E_BUSY;
	return SHYPER_OK;
}

static int64_t add_virtio_console(struct vm *vm, const struct shyper_device_config *dev)
{
	int64_t rc = virtio_slot_check(vm, dev, 0);

	if (rc)
		return rc;
	if (dev->capacity || !bytes_zero(dev->mac, sizeof(dev->mac)))
		return SHYPER_E_INVALID;
	/* One console per VM: CONSOLE_READ/WRITE have one stream. */
	if (virtio_console_find(vm))
		return SHYPER_E_EXISTS;
	virtio_dev_init(vm, dev->slot, VIRTIO_ID_CONSOLE);
	pr_info("vm %u (%s): virtio console in slot %u", vm->id, vm->name, dev->slot);
	return SHYPER_OK;
}

static int64_t add_virtio_block(struct vm *vm, const struct shyper_device_config *dev)
{
	int64_t rc = virtio_slot_check(vm, dev, SHYPER_DEV_F_READONLY);

	if (rc)
		return rc;
	/* A disk has sectors; byte offsets of every sector fit 64 bits. */
	if (!dev->capacity || dev->capacity > (UINT64_MAX >> 9) ||
	    !bytes_zero(dev->mac, sizeof(dev->mac)))
		return SHYPER_E_INVALID;
	virtio_dev_init(vm, dev->slot, VIRTIO_ID_BLOCK);
	vm->virtio[dev->slot].capacity = dev->capacity;
	vm->virtio[dev->slot].dev_flags = dev->flags;
	pr_info("vm %u (%s): virtio block in slot %u, %llu sectors%s", vm->id, vm->name,
		dev->slot, (unsigned long long)dev->capacity,
		(dev->flags & SHYPER_DEV_F_READONLY) ? ", read-only" : "");
	return SHYPER_OK;
}

static int64_t add_virtio_net(struct vm *vm, const struct shyper_device_config *dev)
{
	int64_t rc = virtio_slot_check(vm, dev, 0);

	if (rc)
		return rc;
	/* A station address: unicast (I/G bit clear) and not all zero. */
	if (dev->capacity || bytes_zero(dev->mac, sizeof(dev->mac)) || (dev->mac[0] & 1))
		return SHYPER_E_INVALID;
	virtio_dev_init(vm, dev->slot, VIRTIO_ID_NET);
	memcpy(vm->virtio[dev->slot].mac, dev->mac, sizeof(dev->mac));
	pr_info("vm %u (%s): virtio net in slot %u", vm->id, vm->name, dev->slot);
	return SHYPER_OK;
}

static int64_t add_virtio_rng(struct vm *vm, const struct shyper_device_config *dev)
{
	int64_t rc = virtio_slot_check(vm, dev, 0);

	if (rc)
		return rc;
	if (dev->capacity || !bytes_zero(dev->mac, sizeof(dev->mac)))
		return SHYPER_E_INVALID;
	virtio_dev_init(vm, dev->slot, VIRTIO_ID_RNG);
	pr_info("vm %u (%s): virtio entropy in slot %u", vm->id, vm->name, dev->slot);
	return SHYPER_OK;
}

/* The PL031 where QEMU virt has one, unless the board's own took its place. */
static int64_t add_rtc(struct vm *vm, const struct shyper_device_config *dev)
{
	if (dev->slot || dev->flags || dev->base || dev->length || dev->spi ||
	    !bytes_zero(dev->mac, sizeof(dev->mac)) || dev->rtc_time > UINT32_MAX)
		return SHYPER_E_INVALID;
	if (vm->rtc.base)
		return SHYPER_E_EXISTS;
	if (passthrough_claims(vm, SHYPER_GUEST_RTC_BASE, PAGE_SIZE, SHYPER_GUEST_RTC_SPI))
		return SHYPER_E_BUSY;
	vrtc_init(vm, SHYPER_GUEST_RTC_BASE, 32 + SHYPER_GUEST_RTC_SPI, (uint32_t)dev->rtc_time);
	pr_info("vm %u (%s): PL031 real-time clock", vm->id, vm->name);
	return SHYPER_OK;
}

int64_t vm_add_device(struct vm *vm, const struct shyper_device_config *dev)
{
	if (dev->size < SHYPER_DEVICE_CONFIG_SIZE_V1 ||
	    !bytes_zero(dev->reserved0, sizeof(dev->reserved0)) || dev->reserved1)
		return SHYPER_E_INVALID;
	if (dev->kind < SHYPER_DEV_VIRTIO_CONSOLE || dev->kind > SHYPER_DEV_VIRTIO_RNG)
		return SHYPER_E_INVALID;
	/* Devices are part of the machine: only one that has never run gets them. */
	if (vm->state != VM_STATE_DEFINED)
		return SHYPER_E_BUSY;
	switch (dev->kind) {
	case SHYPER_DEV_VIRTIO_CONSOLE:
		return add_virtio_console(vm, dev);
	case SHYPER_DEV_VIRTIO_BLOCK:
		return add_virtio_block(vm, dev);
	case SHYPER_DEV_VIRTIO_NET:
		return add_virtio_net(vm, dev);
	case SHYPER_DEV_PASSTHROUGH:
		/* Only the MVM reaches here (hypercall_handle): it is the giver. */
		return passthrough_add(vm_get(0), vm, dev);
	case SHYPER_DEV_RTC:
		return add_rtc(vm, dev);
	case SHYPER_DEV_VIRTIO_RNG:
		return add_virtio_rng(vm, dev);
	default:
		return SHYPER_E_INVALID;
	}
}
