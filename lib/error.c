// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Error codes and messages: errno from the kernel module folded into enum
 * shyper_error, and the one-line human message kept per handle.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Message of the thread's last failed shyper_open(): no handle exists then. */
static __thread char open_message[SHYPER_MESSAGE_LEN];

char *shyper_open_message_buffer(void)
{
	return open_message;
}

const char *shyper_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case SHYPER_ERR_NO_DEVICE:
		return "device not found";
	case SHYPER_ERR_PERMISSION:
		return "permission denied";
	case SHYPER_ERR_INVALID:
		return "invalid argument";
	case SHYPER_ERR_NOT_SUPPORTED:
		return "not supported";
	case SHYPER_ERR_NO_ENTRY:
		return "no such VM";
	case SHYPER_ERR_BUSY:
		return "busy or in the wrong state";
	case SHYPER_ERR_FAULT:
		return "bad address";
	case SHYPER_ERR_NO_MEMORY:
		return "out of memory";
	case SHYPER_ERR_EXISTS:
		return "already exists";
	case SHYPER_ERR_TIMEOUT:
		return "timed out";
	case SHYPER_ERR_INTERRUPTED:
		return "interrupted";
	case SHYPER_ERR_ABI:
		return "incompatible hypervisor ABI";
	case SHYPER_ERR_PROTOCOL:
		return "malformed answer from the device";
	case SHYPER_ERR_SYSTEM:
		return "system error";
	case SHYPER_ERR_NO_SLOT:
		return "no free VM slot";
	case SHYPER_ERR_TOO_SMALL:
		return "buffer too small";
	case SHYPER_ERR_ROLLED_BACK:
		return "undone: nothing changed";
	default:
		return "unknown error";
	}
}

const char *shyper_last_error_message(const struct shyper *h)
{
	return h ? h->message : open_message;
}

void shyper_clear_error(struct shyper *h)
{
	h->message[0] = '\0';
}

/* Through a copy: a caller may give the last message as an argument (to
 * say where it happened), and vsnprintf may not read what it writes. */
static int vfail(struct shyper *h, int err, const char *fmt, va_list ap)
{
	char message[sizeof(h->message)];

	vsnprintf(message, sizeof(message), fmt, ap);
	memcpy(h->message, message, sizeof(message));
	return err;
}

int shyper_set_error(struct shyper *h, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(h, err, fmt, ap);
	va_end(ap);
	return err;
}

int shyper_fail(struct shyper *h, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(h, err, fmt, ap);
	va_end(ap);
	return err;
}

/* What each errno means coming out of a /dev/shyper ioctl. */
static int error_from_errno(int e, const char **meaning)
{
	switch (e) {
	case EACCES:
	case EPERM:
		*meaning = "the call is not allowed (only the MVM's root may make it)";
		return SHYPER_ERR_PERMISSION;
	case EINVAL:
		*meaning = "an argument was rejected";
		return SHYPER_ERR_INVALID;
	case ENOTTY:
		*meaning = "the shyper module does not know this request; is it older than libshyper?";
		return SHYPER_ERR_NOT_SUPPORTED;
	case EOPNOTSUPP:
		*meaning = "the hypervisor does not support this call";
		return SHYPER_ERR_NOT_SUPPORTED;
	case ENOENT:
	case ESRCH:
		*meaning = "no such VM";
		return SHYPER_ERR_NO_ENTRY;
	case EBUSY:
		*meaning = "busy or in the wrong state";
		return SHYPER_ERR_BUSY;
	case EFAULT:
		*meaning = "a buffer was refused";
		return SHYPER_ERR_FAULT;
	case ENOMEM:
		*meaning = "out of memory";
		return SHYPER_ERR_NO_MEMORY;
	case EEXIST:
		*meaning = "it already exists";
		return SHYPER_ERR_EXISTS;
	case ENOSPC:
		*meaning = "the hypervisor has no free VM slot";
		return SHYPER_ERR_NO_SLOT;
	case ECANCELED:
		*meaning = "begun, then undone; nothing changed";
		return SHYPER_ERR_ROLLED_BACK;
	case ETIMEDOUT:
		*meaning = "timed out";
		return SHYPER_ERR_TIMEOUT;
	case EINTR:
		*meaning = "interrupted by a signal";
		return SHYPER_ERR_INTERRUPTED;
	case ENODEV:
	case ENXIO:
		*meaning = "the device has gone away (module unloaded?)";
		return SHYPER_ERR_NO_DEVICE;
	default:
		*meaning = "unexpected error";
		return SHYPER_ERR_SYSTEM;
	}
}

int shyper_fail_errno(struct shyper *h, int neg_errno, const char *what)
{
	const char *meaning;
	int err = error_from_errno(-neg_errno, &meaning);

	return shyper_fail(h, err, "%s: %s (%s)", what, meaning, strerror(-neg_errno));
}

int shyper_call(struct shyper *h, unsigned long cmd, void *arg, const char *what)
{
	int rc = shyper_transport_ioctl(h, cmd, arg);

	return rc < 0 ? shyper_fail_errno(h, rc, what) : 0;
}
