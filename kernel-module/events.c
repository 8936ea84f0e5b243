// SPDX-License-Identifier: GPL-2.0
/*
 * Events from the hypervisor, for every reader of /dev/shyper.
 *
 * Shyper fills a ring in MVM memory (it advances head, we advance tail) and
 * raises one interrupt after posting. The interrupt handler drains the ring
 * into a history of the last SHYPER_EVENT_HISTORY events kept here, and each
 * open file reads that history from a cursor of its own, the way evdev's
 * clients do: every reader sees every event posted after it opened, and no
 * reader takes an event away from another. read() hands out whole struct
 * shyper_event records; poll() answers for its own file.
 *
 * A reader that falls more than the history behind skips to the oldest
 * event still held. It can see the gap in the events' seq; the driver
 * counts the events lost and says so (rate-limited) in the kernel log.
 *
 * open(), read() and poll() drain the ring too (it is cheap): a file opened
 * now starts after what was already posted, and a reader that asks never
 * waits on an interrupt that is late or was lost. The ring is drained, and
 * the history written, only under event_lock with interrupts off.
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
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "shyper.h"

/* Two pages: 127 records fit after the header, so 64 entries would be the
 * largest power of two in one page; two give 128. */
#define SHYPER_RING_ORDER 1

static_assert((SHYPER_EVENT_HISTORY & (SHYPER_EVENT_HISTORY - 1)) == 0);

static u32 shyper_ring_capacity(size_t bytes)
{
	size_t n = (bytes - sizeof(struct shyper_event_ring)) / sizeof(struct shyper_event);

	return rounddown_pow_of_two(n);
}

/*
 * Moves every record the ring holds into the history; true if there were
 * any. Called with event_lock held and interrupts off.
 */
static bool shyper_ring_drain(struct shyper_dev *sd)
{
	u32 head = READ_ONCE(sd->ring->head);
	u32 pending = head - sd->ring_tail;
	u32 dropped = READ_ONCE(sd->ring->dropped);
	u64 count = sd->event_count;

	/* Only a count, so believing it costs nothing but a log line. */
	if (dropped != sd->ring_dropped) {
		dev_warn_ratelimited(sd->dev, "the hypervisor dropped %u events (ring full)\n",
				     dropped - sd->ring_dropped);
		sd->ring_dropped = dropped;
	}
	if (!pending)
		return false;
	if (pending > sd->ring_entries) {
		dev_err_ratelimited(sd->dev, "event ring corrupt (head %u, tail %u); skipping to head\n",
				    head, sd->ring_tail);
		sd->ring_tail = head;
		WRITE_ONCE(sd->ring->tail, head);
		return false;
	}

	/* Read the records only after having seen the head that covers them. */
	smp_rmb();
	while (pending--) {
		u32 slot = sd->ring_tail++ & (sd->ring_entries - 1);
		u64 at = count++ & (SHYPER_EVENT_HISTORY - 1);

		memcpy(&sd->history[at], &sd->ring->ev[slot], sizeof(sd->history[at]));
	}
	/* Read without the lock by shyper_file_has_events(). */
	WRITE_ONCE(sd->event_count, count);
	/* The records are copied out before the hypervisor may reuse them. */
	smp_mb();
	WRITE_ONCE(sd->ring->tail, sd->ring_tail);
	return true;
}

static irqreturn_t shyper_events_irq(int irq, void *data)
{
	struct shyper_dev *sd = data;
	bool added;

	/* Interrupts are off in the handler; elsewhere event_lock is taken _irq. */
	spin_lock(&sd->event_lock);
	added = shyper_ring_drain(sd);
	spin_unlock(&sd->event_lock);
	if (added)
		wake_up_interruptible(&sd->event_wait);
	return IRQ_HANDLED;
}

/* Drains the ring from process context, waking readers if that found events. */
static void shyper_events_collect(struct shyper_dev *sd)
{
	bool added;

	spin_lock_irq(&sd->event_lock);
	added = shyper_ring_drain(sd);
	spin_unlock_irq(&sd->event_lock);
	if (added)
		wake_up_interruptible(&sd->event_wait);
}

/* Whether this file has events to read; needs no lock (both are 64-bit). */
static bool shyper_file_has_events(struct shyper_file *sf)
{
	return READ_ONCE(sf->cursor) != READ_ONCE(sf->sd->event_count);
}

/*
 * Moves a cursor that fell out of the history up to its oldest event;
 * returns how many events the file lost. Called with event_lock held.
 */
static u64 shyper_file_catch_up(struct shyper_file *sf)
{
	struct shyper_dev *sd = sf->sd;
	u64 behind = sd->event_count - sf->cursor;
	u64 lost;

	if (behind <= SHYPER_EVENT_HISTORY)
		return 0;
	lost = behind - SHYPER_EVENT_HISTORY;
	WRITE_ONCE(sf->cursor, sf->cursor + lost);
	sf->overruns += lost;
	sd->event_overruns += lost;
	return lost;
}

void shyper_events_open(struct shyper_dev *sd, struct shyper_file *sf)
{
	bool added;

	sf->sd = sd;
	mutex_init(&sf->read_lock);
	sf->overruns = 0;
	/* What the hypervisor posted before this open is not this file's. */
	spin_lock_irq(&sd->event_lock);
	added = shyper_ring_drain(sd);
	sf->cursor = sd->event_count;
	spin_unlock_irq(&sd->event_lock);
	if (added)
		wake_up_interruptible(&sd->event_wait);
}

ssize_t shyper_events_read(struct shyper_file *sf, char __user *buf, size_t count,
			   bool nonblock)
{
	struct shyper_dev *sd = sf->sd;
	struct shyper_event ev;
	u64 lost = 0, lost_file = 0, lost_all = 0;
	ssize_t done = 0;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;

	for (;;) {
		ret = mutex_lock_interruptible(&sf->read_lock);
		if (ret)
			return ret;
		shyper_events_collect(sd);
		if (shyper_file_has_events(sf))
			break;
		/* Not asleep with the lock: a non-blocking reader of this file must not wait. */
		mutex_unlock(&sf->read_lock);
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(sd->event_wait, shyper_file_has_events(sf));
		if (ret)
			return ret;
	}

	/* One record at a time: copy_to_user() may fault, so not under the spinlock. */
	while (count - done >= sizeof(ev)) {
		spin_lock_irq(&sd->event_lock);
		lost += shyper_file_catch_up(sf);
		lost_file = sf->overruns;
		lost_all = sd->event_overruns;
		if (sf->cursor == sd->event_count) {
			spin_unlock_irq(&sd->event_lock);
			break;
		}
		ev = sd->history[sf->cursor & (SHYPER_EVENT_HISTORY - 1)];
		spin_unlock_irq(&sd->event_lock);

		/* A record that could not be copied stays unread. */
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			if (!done)
				done = -EFAULT;
			break;
		}
		WRITE_ONCE(sf->cursor, sf->cursor + 1);
		done += sizeof(ev);
	}
	mutex_unlock(&sf->read_lock);

	if (lost)
		dev_warn_ratelimited(sd->dev, "%s[%d] read events too slowly: %llu lost (%llu by this file, %llu by all readers)\n",
				     current->comm, task_pid_nr(current), lost, lost_file,
				     lost_all);
	return done;
}

__poll_t shyper_events_poll(struct shyper_file *sf, struct file *file,
			    struct poll_table_struct *wait)
{
	poll_wait(file, &sf->sd->event_wait, wait);
	shyper_events_collect(sf->sd);
	return shyper_file_has_events(sf) ? EPOLLIN | EPOLLRDNORM : 0;
}

int shyper_events_start(struct shyper_dev *sd, int irq)
{
	size_t bytes = PAGE_SIZE << SHYPER_RING_ORDER;
	struct arm_smccc_res res;
	u32 entries;
	int ret;

	spin_lock_init(&sd->event_lock);
	init_waitqueue_head(&sd->event_wait);
	sd->event_count = 0;
	sd->event_overruns = 0;
	sd->history = kcalloc(SHYPER_EVENT_HISTORY, sizeof(*sd->history), GFP_KERNEL);
	if (!sd->history)
		return -ENOMEM;

	sd->ring_order = SHYPER_RING_ORDER;
	sd->ring = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, sd->ring_order);
	if (!sd->ring) {
		ret = -ENOMEM;
		goto err_history;
	}
	sd->ring_entries = shyper_ring_capacity(bytes);
	sd->ring_tail = 0;
	sd->ring_dropped = 0;
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
err_history:
	kfree(sd->history);
	sd->history = NULL;
	return ret;
}

void shyper_events_stop(struct shyper_dev *sd)
{
	struct arm_smccc_res res;
	long status;

	/* Stop the hypervisor writing to the ring before the memory goes. */
	status = shyper_hvc(SHYPER_HC_EVENT_SETUP, 0, 0, 0, &res);
	/* Also waits for a handler still draining the ring into the history. */
	free_irq(sd->irq, sd);
	/* If it did not stop, the pages stay its: leaked, never reused. */
	if (status == SHYPER_OK)
		free_pages((unsigned long)sd->ring, sd->ring_order);
	else
		dev_err(sd->dev, "the hypervisor did not release the event ring (%ld); leaking it\n",
			status);
	sd->ring = NULL;
	/* No reader is left: every open file holds a reference to the module. */
	if (sd->event_overruns)
		dev_dbg(sd->dev, "readers lost %llu events in all\n", sd->event_overruns);
	kfree(sd->history);
	sd->history = NULL;
}
