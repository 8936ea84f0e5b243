/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of shyper.ko, the MVM's driver for the Shyper
 * hypervisor: one device (there is one hypervisor), its hypercall
 * wrappers, its ioctls and its event ring.
 */
#ifndef SHYPER_DRV_H
#define SHYPER_DRV_H

#include <linux/arm-smccc.h>
#include <linux/device.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <shyper/abi.h>

struct shyper_dev {
	struct device *dev;
	struct miscdevice misc;

	/* Event ring shared with the hypervisor (events.c). */
	struct shyper_event_ring *ring;
	unsigned int ring_order;	/* pages allocated: 1 << ring_order */
	u32 ring_entries;		/* our copy: never re-read from the ring */
	u32 ring_tail;			/* our copy of what we wrote to ring->tail */
	struct mutex read_lock;		/* one reader advances the tail at a time */
	wait_queue_head_t read_wait;
	int irq;
};

/* hvc.c */
long shyper_hvc(u32 fn, unsigned long a1, unsigned long a2, unsigned long a3,
		struct arm_smccc_res *res);
/* The same with x4: VM_LOAD and CONSOLE_READ take four arguments. */
long shyper_hvc4(u32 fn, unsigned long a1, unsigned long a2, unsigned long a3,
		 unsigned long a4, struct arm_smccc_res *res);
int shyper_status_to_errno(long status);
int shyper_identify(void);

/* ioctl.c */
long shyper_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* events.c */
int shyper_events_start(struct shyper_dev *sd, int irq);
void shyper_events_stop(struct shyper_dev *sd);
ssize_t shyper_events_read(struct shyper_dev *sd, char __user *buf, size_t count,
			   bool nonblock);
__poll_t shyper_events_poll(struct shyper_dev *sd, struct file *file,
			    struct poll_table_struct *wait);

#endif /* SHYPER_DRV_H */
