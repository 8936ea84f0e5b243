/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio devices of guest VMs behind virtio-mmio transports (version 2,
 * virtio 1.x "modern"): devices/virtio_mmio.c is the register file and
 * the queues' plumbing, a device type adds its behaviour through a small
 * static const ops table keyed by its virtio device ID (devices/virtio_*.c).
 *
 * All of a device's state is plain data in its VM's record (struct vm) in
 * the persistent state area: the device ID says which ops table answers,
 * so no code pointer is ever stored and a newer image (live update) or
 * another board (migration) takes the state as it is.
 */
#ifndef HV_VIRTIO_H
#define HV_VIRTIO_H

#include <hv/spinlock.h>
#include <hv/virtq.h>

#define VIRTIO_SLOTS 8         /* == SHYPER_GUEST_VIRTIO_SLOTS */
#define VIRTIO_MAX_QUEUES 4    /* per device */
#define VIRTIO_MMIO_SIZE 0x200 /* == SHYPER_GUEST_VIRTIO_STRIDE */

/* Virtio device IDs (virtio 1.x, 5) */
#define VIRTIO_ID_NONE 0       /* an empty slot */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3

/* Device status bits (virtio 1.x, 2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* InterruptStatus bits */
#define VIRTIO_INT_USED 0x1
#define VIRTIO_INT_CONFIG 0x2

#define VIRTIO_F_VERSION_1 BIT(32)

/* The console's input from the MVM, waiting for receive buffers. */
#define VIRTIO_CONSOLE_RX_SIZE 256

struct virtio_console_state {
	uint32_t rx_head, rx_tail;
	uint8_t rx[VIRTIO_CONSOLE_RX_SIZE];
};

struct virtio_dev {
	struct spinlock lock;
	uint32_t device_id;        /* VIRTIO_ID_*: selects the ops; NONE = empty slot */
	uint32_t intid;            /* its level-sensitive SPI */
	/* Transport registers as the driver programmed them */
	uint32_t status;
	uint32_t int_status;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t config_generation;
	uint64_t malformed;        /* accesses or rings that asked for a reset */
	struct virtq vq[VIRTIO_MAX_QUEUES];
	union {
		struct virtio_console_state console;
	} u;
};

struct vm;
struct vcpu;

/*
 * What a device type adds to the transport. The table lives in .rodata
 * and is found by device ID; callbacks run with the device's lock held.
 */
struct virtio_device_ops {
	uint32_t device_id;
	uint16_t queue_count;
	uint16_t queue_max;        /* QueueNumMax of every queue */
	uint64_t features;         /* device-specific; VERSION_1 is added */
	uint32_t config_size;      /* bytes of config space at 0x100 */
	/* Fill buf (config_size bytes) with the config space as it is now. */
	void (*config)(const struct vm *vm, const struct virtio_dev *dev, uint8_t *buf);
	/* The driver made buffers available on queue q (or DRIVER_OK: q = all). */
	void (*process)(struct vm *vm, struct virtio_dev *dev, unsigned q);
};

extern const struct virtio_device_ops virtio_console_ops;

/* ---- transport (devices/virtio_mmio.c) ---- */

/* Put a device of type device_id into an empty slot (the VM is stopped). */
void virtio_dev_init(struct vm *vm, unsigned slot, uint32_t device_id);
/* Every device of the VM as out of reset, its outside-world input dropped:
 * the VM (re)starts. */
void virtio_vm_reset(struct vm *vm);
bool virtio_mmio_claims(const struct vm *vm, uint64_t ipa);
/* Emulate an access to a virtio-mmio slot; false if ipa is in none. */
bool virtio_mmio_access(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write,
			uint64_t *val);
/* Is the device live: DRIVER_OK, no reset pending? (Lock held.) */
bool virtio_dev_live(const struct virtio_dev *dev);
/* The driver broke a rule: stop, ask for a reset (config interrupt). (Lock held.) */
void virtio_dev_needs_reset(struct vm *vm, struct virtio_dev *dev);
/* Used buffers were returned on a queue: raise the interrupt. (Lock held.) */
void virtio_dev_used(struct vm *vm, struct virtio_dev *dev);

/* ---- console (devices/virtio_console.c) ---- */

/* The VM's virtio console, or NULL if its console is the PL011. */
struct virtio_dev *virtio_console_find(struct vm *vm);
/* Input from the MVM for the guest: returns how many bytes were taken. */
size_t virtio_console_input(struct vm *vm, struct virtio_dev *dev, const uint8_t *buf,
			    size_t len);

#endif
