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
#define VIRTIO_ID_RNG 4

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

/* Every device: indirect descriptor tables (the walker in devices/virtq.c
 * follows them, bounded like direct chains), so that a request of many
 * buffers takes one ring entry and the driver keeps many in flight. */
#define VIRTIO_RING_F_INDIRECT_DESC BIT(28)
#define VIRTIO_F_VERSION_1 BIT(32)

/* The console's input from the MVM, waiting for receive buffers. */
#define VIRTIO_CONSOLE_RX_SIZE 256

struct virtio_console_state {
	uint32_t rx_head, rx_tail;
	uint8_t rx[VIRTIO_CONSOLE_RX_SIZE];
};

/*
 * Mediated devices (block, net, entropy): requests the MVM's backend has fetched and
 * not yet completed, per queue. Entries name a chain by its head index only
 * (no pointers); COMPLETE walks the chain again with the strict walker.
 */
#define VIO_QUEUES 2           /* queues of a mediated device */
#define VIO_INFLIGHT_MAX 128   /* in-flight requests per queue */
#define VIO_QUEUE_MAX 256      /* QueueNumMax of mediated devices */
#define VIO_IO_MAX (1U << 21)  /* == SHYPER_VIO_IO_MAX: bytes one FETCH or COMPLETE moves */

struct vio_queue {
	uint64_t busy[VIO_INFLIGHT_MAX / 64]; /* in-flight entries in use */
	uint16_t head[VIO_INFLIGHT_MAX];      /* the chain's head descriptor */
	uint8_t epoch;             /* bumped when the driver stops the queue */
};

struct vio_state {
	uint32_t generation;       /* bumped by every device reset: old tokens die */
	uint32_t pending;          /* queues an event was posted for, not yet drained */
	struct vio_queue q[VIO_QUEUES];
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
	/* What VM_ADD_DEVICE said (kept across resets) */
	uint64_t capacity;         /* block: 512-byte sectors */
	uint32_t dev_flags;        /* SHYPER_DEV_F_* */
	uint8_t mac[6];            /* net */
	struct vio_state vio;      /* mediated devices */
	union {
		struct virtio_console_state console;
	} u;
};

/* What a device did (SHYPER_HC_VM_STATS), under its lock. Kept beside the
 * device, not in it: a guest's state that moves to another board
 * (core/vmstate.c) carries the device, and the counts stay here. */
struct virtio_counts {
	uint64_t requests;         /* chains answered */
	uint64_t bytes_in;         /* written into the guest */
	uint64_t bytes_out;        /* read from the guest */
};

struct vm;
struct vcpu;
struct virtq_chain;

/* A chain of DEV's was answered with WRITTEN bytes: count it. */
void virtio_count(struct vm *vm, const struct virtio_dev *dev, const struct virtq_chain *chain,
		  uint32_t written);

/*
 * What a device type adds to the transport. The table lives in .rodata
 * and is found by device ID; callbacks run with the device's lock held.
 */
struct virtio_device_ops {
	uint32_t device_id;
	uint16_t queue_count;
	uint16_t queue_max;        /* QueueNumMax of every queue */
	uint64_t features;         /* device-specific; VERSION_1 is added */
	/* If set, the features of this device (they depend on how it was added). */
	uint64_t (*device_features)(const struct virtio_dev *dev);
	uint32_t config_size;      /* bytes of config space at 0x100 */
	/* Fill buf (config_size bytes) with the config space as it is now. */
	void (*config)(const struct vm *vm, const struct virtio_dev *dev, uint8_t *buf);
	/* The driver made buffers available on queue q (or DRIVER_OK: q = all). */
	void (*process)(struct vm *vm, struct virtio_dev *dev, unsigned q);
};

extern const struct virtio_device_ops virtio_console_ops;
extern const struct virtio_device_ops virtio_blk_ops;
extern const struct virtio_device_ops virtio_net_ops;
extern const struct virtio_device_ops virtio_rng_ops;

/* ---- transport (devices/virtio_mmio.c) ---- */

/* Put a device of type device_id into an empty slot (the VM is stopped). */
void virtio_dev_init(struct vm *vm, unsigned slot, uint32_t device_id);
/* Every device of the VM as out of reset, its outside-world input dropped:
 * the VM (re)starts. */
void virtio_vm_reset(struct vm *vm);
/* A guest resumes (after a pause, or on another board after a migration):
 * its mediated devices' backends are told to look at every ready queue. */
void virtio_vm_resumed(struct vm *vm);
/* The ops of a device's type; NULL for an empty slot or an unknown type. */
const struct virtio_device_ops *virtio_dev_ops(const struct virtio_dev *dev);
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

/* ---- mediated devices (devices/virtio_mediated.c, virtio_blk.c, virtio_net.c) ---- */

/* Block request types and statuses (virtio 1.x, 5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_HDR_SIZE 16

#define VIRTIO_BLK_F_SIZE_MAX BIT(1)
#define VIRTIO_BLK_F_SEG_MAX BIT(2)
#define VIRTIO_BLK_F_RO BIT(5)
#define VIRTIO_BLK_F_FLUSH BIT(9)
#define VIRTIO_BLK_F_TOPOLOGY BIT(10)
/* The transfer size the backend does best with, in 512-byte blocks: every
 * request costs a round trip to the MVM, so the largest one there is
 * (Linux then reads ahead twice this, about 2 MiB, in two requests). */
#define VIRTIO_BLK_OPT_IO_BLOCKS (VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX / 512U)
#define VIRTIO_NET_F_CSUM BIT(0)       /* the guest may leave checksums to the device */
#define VIRTIO_NET_F_GUEST_CSUM BIT(1)
#define VIRTIO_NET_F_MAC BIT(5)
#define VIRTIO_NET_F_HOST_TSO4 BIT(11) /* the guest may send TCP segments up to 64 KiB */
#define VIRTIO_NET_F_HOST_TSO6 BIT(12)

/* A request's data: at most SEG_MAX segments of SIZE_MAX bytes, which with
 * the header stays within SHYPER_VIO_IO_MAX. Every request costs a round
 * trip to the MVM, so there are many segments: Linux writes back page
 * cache pages that are rarely contiguous, one segment each, and 254 of
 * them let it send about 1 MiB per request (62 made it 248 KiB, four
 * times the requests). */
#define VIRTIO_BLK_SIZE_MAX 4096U
#define VIRTIO_BLK_SEG_MAX 254U

bool virtio_dev_mediated(const struct virtio_dev *dev);
/* The driver stopped queue Q (QueueReady 0): its in-flight requests are
 * forgotten and their tokens die, as a device reset does for all queues. */
void vio_queue_stopped(struct virtio_dev *dev, unsigned q);
/* The driver notified queue q (VIRTIO_MAX_QUEUES: all): tell the MVM. (Lock held.) */
void vio_notify(struct vm *vm, struct virtio_dev *dev, unsigned q);
/* Forget every in-flight request; old tokens are refused. (Lock held.) */
void vio_reset(struct virtio_dev *dev);
/*
 * A block request the hypervisor answers itself (defence in depth). The
 * header as checked is left in header (VIRTIO_BLK_HDR_SIZE bytes). Returns
 * VIRTIO_BLK_S_OK to hand it to the backend, or the status to complete it
 * with (IOERR: outside the capacity, a write to a read-only disk, no header;
 * UNSUPP: an unknown type).
 */
uint8_t virtio_blk_check(const struct virtio_dev *dev, const struct virtq_chain *chain,
			 uint64_t readable, uint64_t room, uint8_t *header);

/* SHYPER_HC_VIO_FETCH / COMPLETE for the MVM (caller); r gets the results. */
struct vcpu_regs;
int64_t vio_fetch(struct vm *vm, struct vm *caller, uint64_t slot_queue, uint64_t ipa,
		  uint64_t len, struct vcpu_regs *r);
int64_t vio_complete(struct vm *vm, struct vm *caller, uint64_t token, uint64_t ipa,
		     uint64_t len, struct vcpu_regs *r);

#endif
