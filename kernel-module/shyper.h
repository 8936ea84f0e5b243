/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of shyper.ko, the MVM's driver for the Shyper
 * hypervisor: one device (there is one hypervisor), its hypercall
 * wrappers, its ioctls and its events.
 */
#ifndef SHYPER_DRV_H
#define SHYPER_DRV_H

#include <linux/arm-smccc.h>
#include <linux/device.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <shyper/abi.h>

/*
 * Events the driver keeps for its readers (events.c): every open file reads
 * all of them from its own cursor. A power of two.
 */
#define SHYPER_EVENT_HISTORY 256

struct shyper_dev {
	struct device *dev;
	struct miscdevice misc;

	/* Event ring shared with the hypervisor (events.c). */
	struct shyper_event_ring *ring;
	unsigned int ring_order;	/* pages allocated: 1 << ring_order */
	u32 ring_entries;		/* our copy: never re-read from the ring */
	u32 ring_tail;			/* our copy of what we wrote to ring->tail */
	u32 ring_dropped;		/* the hypervisor's drop count last seen */
	int irq;

	/*
	 * The history the ring is drained into, in the interrupt and by
	 * readers. event_lock (taken with interrupts off) covers the ring's
	 * drain and the history; event_count is how many events were ever
	 * put in it, so event i sits at history[i % SHYPER_EVENT_HISTORY]
	 * while i >= event_count - SHYPER_EVENT_HISTORY.
	 */
	spinlock_t event_lock;
	struct shyper_event *history;
	u64 event_count;
	u64 event_overruns;		/* events readers lost by falling behind */
	wait_queue_head_t event_wait;
};

/* One open file of /dev/shyper: where its reader is in the history. */
struct shyper_file {
	struct shyper_dev *sd;
	struct mutex read_lock;		/* one read() of this file at a time */
	u64 cursor;			/* next event this file reads */
	u64 overruns;			/* events it lost by falling behind */
	struct mutex vio_lock;		/* guards vio_buf and making vio_map */
	void *vio_buf;			/* mediated I/O bounce buffer (ioctl.c), or NULL */
	void *vio_map;			/* the buffer mmap() shares with user space, or NULL */
};

/* hvc.c */
long shyper_hvc(u32 fn, unsigned long a1, unsigned long a2, unsigned long a3,
		struct arm_smccc_res *res);
/* The same with x4: VM_LOAD and CONSOLE_READ take four arguments. */
long shyper_hvc4(u32 fn, unsigned long a1, unsigned long a2, unsigned long a3,
		 unsigned long a4, struct arm_smccc_res *res);
int shyper_status_to_errno(long status);
int shyper_identify(u32 *minor);

/* ioctl.c */
long shyper_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int shyper_mmap(struct file *file, struct vm_area_struct *vma);

/* events.c */
int shyper_events_start(struct shyper_dev *sd, int irq);
void shyper_events_stop(struct shyper_dev *sd);
void shyper_events_open(struct shyper_dev *sd, struct shyper_file *sf);
ssize_t shyper_events_read(struct shyper_file *sf, char __user *buf, size_t count,
			   bool nonblock);
__poll_t shyper_events_poll(struct shyper_file *sf, struct file *file,
			    struct poll_table_struct *wait);

#endif /* SHYPER_DRV_H */
