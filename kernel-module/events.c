// SPDX-License-Identifier: GPL-2.0
/*
 * Events from the hypervisor: a ring in MVM memory that Shyper fills (it
 * advances head) and we drain (we advance tail), plus one interrupt that
 * says "the ring has something". read() on /dev/shyper hands out whole
 * struct shyper_event records; poll() says when there are some.
 *
 * Every opener shares the one ring: each event is read once, by whichever
 * reader gets there first. The MVM's event consumer is meant to be a single
 * daemon; tools that want an event of their own (a PONG) filter what they
 * read.
 *
 * The ring's memory is writable by the hypervisor at any time, so what is
 * read back is not trusted: the capacity and our tail are kept here, and a
 * head that runs more than a ring's worth ahead of the tail is a corrupt
 * ring, skipped over rather than believed.
 */
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include "shyper.h"

/* Two pages: 127 records fit after the header, so 64 entries would be the
 * largest power of two in one page; two give 128. */
#define SHYPER_RING_ORDER 1

static u32 shyper_ring_capacity(size_t bytes)
{
	size_t n = (bytes - sizeof(struct shyper_event_ring)) / sizeof(struct shyper_event);

	return rounddown_pow_of_two(n);
}

/* Number of records waiting; 0 when the ring is empty or was corrupt. */
static u32 shyper_ring_pending(struct shyper_dev *sd)
{
	u32 head = READ_ONCE(sd->ring->head);
	u32 pending = head - sd->ring_tail;

	/* Read the records only after having seen the head that covers them. */
	smp_rmb();
	if (pending > sd->ring_entries) {
		dev_err_ratelimited(sd->dev, "event ring corrupt (head %u, tail %u); skipping to head\n",
				    head, sd->ring_tail);
		sd->ring_tail = head;
		WRITE_ONCE(sd->ring->tail, head);
		return 0;
	}
	return pending;
}

/* Whether the head has moved past our tail, without taking read_lock. */
static bool shyper_ring_peek(struct shyper_dev *sd)
{
	return READ_ONCE(sd->ring->head) != READ_ONCE(sd->ring_tail);
}

static irqreturn_t shyper_events_irq(int irq, void *data)
{
	struct shyper_dev *sd = data;

	wake_up_interruptible(&sd->read_wait);
	return IRQ_HANDLED;
}

ssize_t shyper_events_read(struct shyper_dev *sd, char __user *buf, size_t count,
			   bool nonblock)
{
	struct shyper_event ev;
	size_t done = 0;
	u32 pending;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;

	ret = mutex_lock_interruptible(&sd->read_lock);
	if (ret)
		return ret;
	while (!(pending = shyper_ring_pending(sd))) {
		mutex_unlock(&sd->read_lock);
		if (nonblock)
			return -EAGAIN;
		/* Unlocked peek: the re-check under the lock decides. */
		ret = wait_event_interruptible(sd->read_wait, shyper_ring_peek(sd));
		if (ret)
			return ret;
		ret = mutex_lock_interruptible(&sd->read_lock);
		if (ret)
			return ret;
	}

	while (pending-- && count - done >= sizeof(ev)) {
		u32 slot = sd->ring_tail & (sd->ring_entries - 1);

		memcpy(&ev, &sd->ring->ev[slot], sizeof(ev));
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			if (!done)
				done = -EFAULT;
			break;
		}
		done += sizeof(ev);
		sd->ring_tail++;
	}
	/* The records are copied out before the hypervisor may reuse them. */
	smp_mb();
	WRITE_ONCE(sd->ring->tail, sd->ring_tail);
	mutex_unlock(&sd->read_lock);
	return done;
}

__poll_t shyper_events_poll(struct shyper_dev *sd, struct file *file,
			    struct poll_table_struct *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &sd->read_wait, wait);
	mutex_lock(&sd->read_lock);
	if (shyper_ring_pending(sd))
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&sd->read_lock);
	return mask;
}

int shyper_events_start(struct shyper_dev *sd, int irq)
{
	size_t bytes = PAGE_SIZE << SHYPER_RING_ORDER;
	struct arm_smccc_res res;
	u32 entries;
	int ret;

	mutex_init(&sd->read_lock);
	init_waitqueue_head(&sd->read_wait);
	sd->ring_order = SHYPER_RING_ORDER;
	sd->ring = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, sd->ring_order);
	if (!sd->ring)
		return -ENOMEM;
	sd->ring_entries = shyper_ring_capacity(bytes);
	sd->ring_tail = 0;
	sd->ring->magic = SHYPER_EVENT_RING_MAGIC;
	sd->ring->entries = sd->ring_entries;

	sd->irq = irq;
	ret = request_irq(irq, shyper_events_irq, 0, "shyper-events", sd);
	if (ret) {
		dev_err(sd->dev, "cannot request the event interrupt %d: %d\n", irq, ret);
		goto err_free;
	}

	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_EVENT_SETUP,
						virt_to_phys(sd->ring), bytes, 0, &res));
	if (ret) {
		dev_err(sd->dev, "the hypervisor refused the event ring: %d\n", ret);
		goto err_irq;
	}
	/* The hypervisor (re)writes the header; it must agree with us. */
	entries = READ_ONCE(sd->ring->entries);
	if (READ_ONCE(sd->ring->magic) != SHYPER_EVENT_RING_MAGIC || entries != sd->ring_entries) {
		dev_err(sd->dev, "event ring header not as expected (magic %#x, %u entries)\n",
			READ_ONCE(sd->ring->magic), entries);
		ret = -EIO;
		goto err_setup;
	}
	return 0;

err_setup:
	shyper_hvc(SHYPER_HC_EVENT_SETUP, 0, 0, 0, &res);
err_irq:
	free_irq(irq, sd);
err_free:
	free_pages((unsigned long)sd->ring, sd->ring_order);
	sd->ring = NULL;
	return ret;
}

void shyper_events_stop(struct shyper_dev *sd)
{
	struct arm_smccc_res res;
	long status;

	/* Stop the hypervisor writing to the ring before the memory goes. */
	status = shyper_hvc(SHYPER_HC_EVENT_SETUP, 0, 0, 0, &res);
	free_irq(sd->irq, sd);
	/* If it did not stop, the pages stay its: leaked, never reused. */
	if (status == SHYPER_OK)
		free_pages((unsigned long)sd->ring, sd->ring_order);
	else
		dev_err(sd->dev, "the hypervisor did not release the event ring (%ld); leaking it\n",
			status);
	sd->ring = NULL;
}
