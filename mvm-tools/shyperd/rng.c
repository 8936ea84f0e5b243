// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperd's entropy backend: guests' virtio-rng devices (mediated, one
 * requestq) filled from the MVM's /dev/urandom, which never blocks once
 * the MVM is up and which a guest cannot drain for others.
 *
 * Each request is a buffer the guest offers; it gets at most
 * RNG_REQUEST_MAX bytes (a shorter answer is legal virtio), so one notify
 * costs the MVM at most a queue's worth of that, whatever the guest asks.
 * Bytes a guest offers for reading are fetched and dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shyper/abi.h>
#include <shyper/libshyper.h>

#include "shyperd.h"

#define RNG_REQUEST_MAX 4096

struct rng_dev {
	bool used;
	uint32_t vm_id;
	uint16_t slot;
};

static struct rng_dev rngs[SHYPERD_MAX_RNGS];
static int urandom = -1;
static uint8_t *request; /* SHYPER_VIO_IO_MAX bytes */

static struct rng_dev *rng_get(uint32_t id, uint16_t slot)
{
	struct rng_dev *free_entry = NULL;

	for (size_t i = 0; i < SHYPERD_MAX_RNGS; i++) {
		if (rngs[i].used && rngs[i].vm_id == id && rngs[i].slot == slot)
			return &rngs[i];
		if (!rngs[i].used && !free_entry)
			free_entry = &rngs[i];
	}
	if (free_entry)
		*free_entry = (struct rng_dev){ .used = true, .vm_id = id, .slot = slot };
	return free_entry;
}

static bool fill(uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(urandom, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

static bool rng_ready(struct shyper *h)
{
	if (urandom < 0) {
		urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (urandom < 0) {
			say(LOG_ERR, "cannot open /dev/urandom for guests' entropy: %s",
			    strerror(errno));
			return false;
		}
	}
	if (!request)
		request = shyper_vio_buffer(h);
	if (!request && !(request = malloc(SHYPER_VIO_IO_MAX))) {
		say(LOG_ERR, "out of memory for entropy requests");
		return false;
	}
	return true;
}

void rng_service(struct shyper *h, uint32_t id, uint16_t slot)
{
	uint64_t token;
	size_t readable, writable, len, done;
	int rc;

	if (!rng_ready(h) || !rng_get(id, slot))
		return;
	for (;;) {
		rc = shyper_vio_fetch(h, id, slot, 0, request, SHYPER_VIO_IO_MAX, &token, &readable,
				      &writable);
		if (rc == SHYPER_ERR_BUSY)
			return; /* drained: the next request comes with an event */
		if (rc) {
			if (shyper_vm_info(h, id, &(struct shyper_vm_info){ 0 }))
				rng_forget_vm(id);
			else
				say(LOG_ERR, "VM %u's entropy device (slot %u): %s", id, slot,
				    shyper_last_error_message(h));
			return;
		}
		len = writable < RNG_REQUEST_MAX ? writable : RNG_REQUEST_MAX;
		if (len && !fill(request, len)) {
			say(LOG_ERR, "reading /dev/urandom: %s", strerror(errno));
			len = 0;
		}
		if (shyper_vio_complete(h, id, token, request, len, &done))
			return; /* the VM stopped or reset its device: tokens died */
	}
}

void rng_service_all(struct shyper *h)
{
	for (size_t i = 0; i < SHYPERD_MAX_RNGS; i++)
		if (rngs[i].used)
			rng_service(h, rngs[i].vm_id, rngs[i].slot);
}

void rng_forget_vm(uint32_t id)
{
	for (size_t i = 0; i < SHYPERD_MAX_RNGS; i++)
		if (rngs[i].vm_id == id)
			rngs[i].used = false;
}
