// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The guest lifecycle (ABI 1.1): creating a guest VM, giving it devices
 * (1.3), loading its images, changing its state, and its console.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* shyper_vm_load_file() reads and loads in pieces of this size. */
#define LOAD_FILE_PIECE (4u << 20)

/*
 * A VM that has just stopped may still have a vCPU leaving its pCPU: START
 * and DESTROY then say EBUSY for a moment. Retried this often, this far
 * apart, as long as the VM's state says it is stopped.
 */
#define CONTROL_RETRIES 200
#define CONTROL_RETRY_NS 10000000L

/* The verb of each VM_CONTROL op, for messages ("starting VM 3"). */
static const char *const vm_op_verb[] = {
	[SHYPER_VM_OP_START] = "starting",
	[SHYPER_VM_OP_STOP] = "stopping",
	[SHYPER_VM_OP_DESTROY] = "destroying",
	[SHYPER_VM_OP_PAUSE] = "pausing",
	[SHYPER_VM_OP_RESUME] = "resuming",
	[SHYPER_VM_OP_SHUTDOWN] = "asking to power off",
};

/*
 * A failed call about VM ID: "no VM with id 3" for ENOENT, the MVM named
 * for EPERM (the hypervisor's answer for the MVM's own id), else the errno
 * message after "VERB VM ID".
 */
static int guest_fail(struct shyper *h, int neg_errno, const char *verb, uint32_t id)
{
	char what[64];

	if (neg_errno == -ENOENT)
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "%s VM %u: no VM with id %u", verb, id, id);
	if (neg_errno == -EPERM)
		return shyper_fail(h, SHYPER_ERR_PERMISSION,
				   "%s VM %u: not allowed (VM %u is not a guest VM: the MVM cannot be managed)",
				   verb, id, id);
	snprintf(what, sizeof(what), "%s VM %u", verb, id);
	return shyper_fail_errno(h, neg_errno, what);
}

int shyper_vm_create(struct shyper *h, const struct shyper_vm_config *config, uint32_t *id)
{
	struct shyper_ioc_vm_create req;
	int name_len, rc;

	shyper_clear_error(h);
	if (!config || !id)
		return shyper_fail(h, SHYPER_ERR_INVALID, "creating a VM: no config or no id given");
	name_len = (int)strnlen(config->name, SHYPER_NAME_LEN);
	memset(&req, 0, sizeof(req));
	req.config = *config;
	req.config.size = SHYPER_VM_CONFIG_SIZE_V1;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_CREATE, &req);
	switch (rc) {
	case 0:
		*id = req.id;
		return 0;
	case -EEXIST:
		return shyper_fail(h, SHYPER_ERR_EXISTS,
				   "creating VM '%.*s': a VM with that name or UUID exists",
				   name_len, config->name);
	case -ENOMEM:
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY,
				   "creating VM '%.*s': not enough free guest memory for %llu MiB",
				   name_len, config->name,
				   (unsigned long long)(config->memory >> 20));
	case -ENOSPC:
		return shyper_fail(h, SHYPER_ERR_NO_SLOT,
				   "creating VM '%.*s': the hypervisor has no free VM slot",
				   name_len, config->name);
	case -EINVAL:
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "creating VM '%.*s': the configuration was refused (name, vCPUs, "
				   "pCPUs, memory size or addresses)", name_len, config->name);
	default: {
		char what[64];

		snprintf(what, sizeof(what), "creating VM '%.*s'", name_len, config->name);
		return shyper_fail_errno(h, rc, what);
	}
	}
}

int shyper_vm_load(struct shyper *h, uint32_t id, uint64_t guest_ipa, const void *buf,
		   size_t len)
{
	struct shyper_ioc_vm_load req;
	int rc;

	shyper_clear_error(h);
	if (!buf || !len)
		return shyper_fail(h, SHYPER_ERR_INVALID, "loading into VM %u: nothing to load", id);
	if (guest_ipa + len < guest_ipa)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "loading into VM %u: %zu bytes at %#llx overflow the address space",
				   id, len, (unsigned long long)guest_ipa);
	memset(&req, 0, sizeof(req));
	req.id = id;
	req.guest_ipa = guest_ipa;
	req.buf = (uint64_t)(uintptr_t)buf;
	req.len = len;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_LOAD, &req);
	if (rc == -EFAULT)
		return shyper_fail(h, SHYPER_ERR_FAULT,
				   "loading into VM %u: %zu bytes at %#llx are not all in its RAM",
				   id, len, (unsigned long long)guest_ipa);
	if (rc == -EBUSY)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "loading into VM %u: it is running (stop it first)", id);
	return rc ? guest_fail(h, rc, "loading into", id) : 0;
}

int shyper_vm_load_file(struct shyper *h, uint32_t id, uint64_t guest_ipa, const char *path)
{
	uint64_t done = 0;
	char *piece;
	int fd, rc = 0;

	shyper_clear_error(h);
	if (!path)
		return shyper_fail(h, SHYPER_ERR_INVALID, "loading into VM %u: no file given", id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return shyper_fail(h, errno == ENOENT ? SHYPER_ERR_NO_ENTRY : SHYPER_ERR_SYSTEM,
				   "loading %s into VM %u: %s", path, id, strerror(errno));
	piece = malloc(LOAD_FILE_PIECE);
	if (!piece) {
		close(fd);
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "loading %s into VM %u: out of memory",
				   path, id);
	}
	for (;;) {
		ssize_t n = read(fd, piece, LOAD_FILE_PIECE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = shyper_fail(h, SHYPER_ERR_SYSTEM, "loading %s into VM %u: %s", path, id,
					 strerror(errno));
			break;
		}
		if (n == 0) {
			if (!done)
				rc = shyper_fail(h, SHYPER_ERR_INVALID,
						 "loading %s into VM %u: the file is empty", path, id);
			break;
		}
		rc = shyper_vm_load(h, id, guest_ipa + done, piece, (size_t)n);
		if (rc) {
			/* Keep the library's message, and name the file in front of it. */
			char message[SHYPER_MESSAGE_LEN];

			snprintf(message, sizeof(message), "%s", h->message);
			shyper_fail(h, rc, "%s: %s", path, message);
			break;
		}
		done += (uint64_t)n;
	}
	free(piece);
	close(fd);
	return rc;
}

/* Whether VM ID is in a state where START and DESTROY are allowed. */
static int vm_stopped(struct shyper *h, uint32_t id)
{
	struct shyper_ioc_vm_info req;

	memset(&req, 0, sizeof(req));
	req.id = id;
	if (shyper_transport_ioctl(h, SHYPER_IOC_VM_INFO, &req))
		return 0;
	return req.info.state == SHYPER_VM_DEFINED || req.info.state == SHYPER_VM_SHUTOFF ||
	       req.info.state == SHYPER_VM_CRASHED;
}

int shyper_vm_control(struct shyper *h, uint32_t id, uint32_t op)
{
	struct shyper_ioc_vm_control req = { .id = id, .op = op };
	int rc;

	shyper_clear_error(h);
	if (op < SHYPER_VM_OP_START || op > SHYPER_VM_OP_SHUTDOWN)
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM %u: unknown operation %u", id, op);
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_CONTROL, &req);
	for (int retry = 0; rc == -EBUSY && retry < CONTROL_RETRIES; retry++) {
		if ((op != SHYPER_VM_OP_START && op != SHYPER_VM_OP_DESTROY) || !vm_stopped(h, id))
			break;
		nanosleep(&(struct timespec){ .tv_nsec = CONTROL_RETRY_NS }, NULL);
		rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_CONTROL, &req);
	}
	if (rc == -EBUSY)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "%s VM %u: its state does not allow it (see shyperctl vm info %u)",
				   vm_op_verb[op], id, id);
	return rc ? guest_fail(h, rc, vm_op_verb[op], id) : 0;
}

int shyper_vm_start(struct shyper *h, uint32_t id)
{
	return shyper_vm_control(h, id, SHYPER_VM_OP_START);
}

int shyper_vm_stop(struct shyper *h, uint32_t id)
{
	return shyper_vm_control(h, id, SHYPER_VM_OP_STOP);
}

int shyper_vm_destroy(struct shyper *h, uint32_t id)
{
	return shyper_vm_control(h, id, SHYPER_VM_OP_DESTROY);
}

int shyper_vm_pause(struct shyper *h, uint32_t id)
{
	return shyper_vm_control(h, id, SHYPER_VM_OP_PAUSE);
}

int shyper_vm_resume(struct shyper *h, uint32_t id)
{
	return shyper_vm_control(h, id, SHYPER_VM_OP_RESUME);
}

int shyper_vm_shutdown(struct shyper *h, uint32_t id)
{
	return shyper_vm_control(h, id, SHYPER_VM_OP_SHUTDOWN);
}

int shyper_console_read(struct shyper *h, uint32_t id, uint64_t offset, void *buf, size_t len,
			uint64_t *start, size_t *got, uint64_t *written)
{
	struct shyper_ioc_console req;
	int rc;

	shyper_clear_error(h);
	if (!buf && len)
		return shyper_fail(h, SHYPER_ERR_INVALID, "reading the console of VM %u: no buffer", id);
	if (len > SHYPER_CONSOLE_IO_MAX)
		len = SHYPER_CONSOLE_IO_MAX;
	memset(&req, 0, sizeof(req));
	req.id = id;
	req.len = (uint32_t)len;
	req.buf = (uint64_t)(uintptr_t)buf;
	req.offset = offset;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_CONSOLE_READ, &req);
	if (rc)
		return guest_fail(h, rc, "reading the console of", id);
	if (req.done > len ||
	    (req.done && (req.offset < offset || req.offset + req.done > req.written)))
		return shyper_fail(h, SHYPER_ERR_PROTOCOL,
				   "reading the console of VM %u: %llu bytes at %llu of %llu written "
				   "do not fit a read of %zu bytes at %llu", id,
				   (unsigned long long)req.done, (unsigned long long)req.offset,
				   (unsigned long long)req.written, len, (unsigned long long)offset);
	if (start)
		*start = req.offset;
	if (got)
		*got = (size_t)req.done;
	if (written)
		*written = req.written;
	return 0;
}

int shyper_console_write(struct shyper *h, uint32_t id, const void *buf, size_t len,
			 size_t *accepted)
{
	struct shyper_ioc_console req;
	int rc;

	shyper_clear_error(h);
	if (!buf && len)
		return shyper_fail(h, SHYPER_ERR_INVALID, "writing to the console of VM %u: no buffer",
				   id);
	if (len > SHYPER_CONSOLE_IO_MAX)
		len = SHYPER_CONSOLE_IO_MAX;
	memset(&req, 0, sizeof(req));
	req.id = id;
	req.len = (uint32_t)len;
	req.buf = (uint64_t)(uintptr_t)buf;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_CONSOLE_WRITE, &req);
	if (rc)
		return guest_fail(h, rc, "writing to the console of", id);
	if (req.done > len)
		return shyper_fail(h, SHYPER_ERR_PROTOCOL,
				   "writing to the console of VM %u: %llu of %zu bytes accepted", id,
				   (unsigned long long)req.done, len);
	if (accepted)
		*accepted = (size_t)req.done;
	return 0;
}

int shyper_vio_fetch(struct shyper *h, uint32_t id, uint16_t slot, uint16_t queue, void *buf,
		     size_t len, uint64_t *token, size_t *readable, size_t *writable)
{
	struct shyper_ioc_vio_fetch req;
	int rc;

	shyper_clear_error(h);
	if ((!buf && len) || !token || !readable || !writable)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "fetching a request of VM %u: no buffer or no results", id);
	if (len > SHYPER_VIO_IO_MAX)
		len = SHYPER_VIO_IO_MAX;
	memset(&req, 0, sizeof(req));
	req.id = id;
	req.slot = slot;
	req.queue = queue;
	req.buf = (uint64_t)(uintptr_t)buf;
	if (h->vio_map && (uintptr_t)buf >= (uintptr_t)h->vio_map &&
	    (uintptr_t)buf - (uintptr_t)h->vio_map < SHYPER_VIO_IO_MAX) {
		/* buf 0 with a length: the module puts the request in the
		 * shared buffer, OFFSET bytes in (ABI 1.5). */
		req.offset = (uint32_t)((uintptr_t)buf - (uintptr_t)h->vio_map);
		req.buf = 0;
		if (len > SHYPER_VIO_IO_MAX - req.offset)
			len = SHYPER_VIO_IO_MAX - req.offset;
	}
	req.len = (uint32_t)len;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VIO_FETCH, &req);
	if (rc == -ENOSPC) {
		*readable = (size_t)req.readable;
		return shyper_fail(h, SHYPER_ERR_TOO_SMALL,
				   "fetching a request of VM %u (slot %u, queue %u): it has %llu bytes, "
				   "the buffer %zu",
				   id, slot, queue, (unsigned long long)req.readable, len);
	}
	if (rc == -EBUSY || rc == -EAGAIN)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "fetching a request of VM %u (slot %u, queue %u): %s", id, slot,
				   queue, rc == -EBUSY ? "none waiting" : "too many in flight");
	if (rc)
		return guest_fail(h, rc, "fetching a request of", id);
	if (req.readable > len || req.writable > SHYPER_VIO_IO_MAX)
		return shyper_fail(h, SHYPER_ERR_PROTOCOL,
				   "fetching a request of VM %u: %llu bytes in a %zu-byte buffer", id,
				   (unsigned long long)req.readable, len);
	*token = req.token;
	*readable = (size_t)req.readable;
	*writable = (size_t)req.writable;
	return 0;
}

int shyper_vio_complete(struct shyper *h, uint32_t id, uint64_t token, const void *buf,
			size_t len, size_t *done)
{
	struct shyper_ioc_vio_complete req;
	int rc;

	shyper_clear_error(h);
	if (!buf && len)
		return shyper_fail(h, SHYPER_ERR_INVALID, "completing a request of VM %u: no buffer",
				   id);
	if (len > SHYPER_VIO_IO_MAX)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "completing a request of VM %u: %zu bytes, at most %u", id, len,
				   SHYPER_VIO_IO_MAX);
	memset(&req, 0, sizeof(req));
	req.id = id;
	req.len = (uint32_t)len;
	req.token = token;
	/* buf 0 with a length: the answer is in the shared buffer already. */
	req.buf = buf == h->vio_map ? 0 : (uint64_t)(uintptr_t)buf;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VIO_COMPLETE, &req);
	if (rc == -EINVAL)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "completing a request of VM %u: token %#llx is not in flight "
				   "(completed, or the device was reset)",
				   id, (unsigned long long)token);
	if (rc)
		return guest_fail(h, rc, "completing a request of", id);
	if (req.done > len)
		return shyper_fail(h, SHYPER_ERR_PROTOCOL,
				   "completing a request of VM %u: %llu of %zu bytes given", id,
				   (unsigned long long)req.done, len);
	if (done)
		*done = (size_t)req.done;
	return 0;
}

/* What a device is called in messages ("virtio console in slot 0"). */
static void device_describe(const struct shyper_device_config *dev, char *out, size_t size)
{
	switch (dev->kind) {
	case SHYPER_DEV_VIRTIO_CONSOLE:
		snprintf(out, size, "virtio console in slot %u", dev->slot);
		break;
	case SHYPER_DEV_VIRTIO_BLOCK:
		snprintf(out, size, "virtio disk in slot %u", dev->slot);
		break;
	case SHYPER_DEV_VIRTIO_NET:
		snprintf(out, size, "virtio network interface in slot %u", dev->slot);
		break;
	case SHYPER_DEV_PASSTHROUGH:
		snprintf(out, size, "passthrough device at %#llx", (unsigned long long)dev->base);
		break;
	default:
		snprintf(out, size, "device of kind %u", dev->kind);
		break;
	}
}

int shyper_vm_add_device(struct shyper *h, uint32_t id, const struct shyper_device_config *dev)
{
	struct shyper_ioc_vm_device req;
	char what[80];
	int rc;

	shyper_clear_error(h);
	if (!dev)
		return shyper_fail(h, SHYPER_ERR_INVALID, "adding a device to VM %u: no device given",
				   id);
	device_describe(dev, what, sizeof(what));
	memset(&req, 0, sizeof(req));
	req.id = id;
	req.device = *dev;
	req.device.size = SHYPER_DEVICE_CONFIG_SIZE_V1;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_ADD_DEVICE, &req);
	switch (rc) {
	case 0:
		return 0;
	case -EINVAL:
		return shyper_fail(h, SHYPER_ERR_INVALID, "adding a %s to VM %u: the hypervisor "
				   "refused its description", what, id);
	case -EBUSY:
		return shyper_fail(h, SHYPER_ERR_BUSY, "adding a %s to VM %u: the slot is taken, or "
				   "the VM has already run (devices go in before its first start)",
				   what, id);
	case -EEXIST:
		return shyper_fail(h, SHYPER_ERR_EXISTS, "adding a %s to VM %u: it has one already",
				   what, id);
	case -EOPNOTSUPP:
	case -ENOTTY:
		return shyper_fail(h, SHYPER_ERR_NOT_SUPPORTED, "adding a %s to VM %u: not supported "
				   "by this hypervisor or module", what, id);
	default:
		return guest_fail(h, rc, "adding a device to", id);
	}
}

void *shyper_vio_buffer(struct shyper *h)
{
	shyper_clear_error(h);
	if (!h->vio_map) {
		h->vio_map = shyper_transport_map(h, SHYPER_VIO_IO_MAX);
		if (!h->vio_map)
			shyper_fail_errno(h, -errno, "mapping the mediated I/O buffer");
	}
	return h->vio_map;
}
