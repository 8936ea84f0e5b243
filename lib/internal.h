/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libshyper's insides: the handle, the error helpers and the transport
 * seam. transport.c talks to the real /dev/shyper; host unit tests link a
 * fake transport in its place (tests/unit/lib/fake_transport.c).
 */
#ifndef SHYPER_LIB_INTERNAL_H
#define SHYPER_LIB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <shyper/libshyper.h>

#define SHYPER_MESSAGE_LEN 256

struct shyper {
	int fd;
	char *path;
	char *state_dir;          /* manage_store.c: NULL until first needed */
	char *run_dir;
	char message[SHYPER_MESSAGE_LEN];
	void *vio_map;            /* shyper_vio_buffer(): SHYPER_VIO_IO_MAX bytes, or NULL */
};

/* ---- Transport (transport.c, or a test's fake) ------------------------------- */

/* Opens PATH into h->fd. Returns 0 or -errno. */
int shyper_transport_open(struct shyper *h, const char *path);

/* Closes h->fd. */
void shyper_transport_close(struct shyper *h);

/* ioctl(h->fd, CMD, ARG). Returns 0 or -errno. */
int shyper_transport_ioctl(struct shyper *h, unsigned long cmd, void *arg);

/* Waits up to TIMEOUT_MS (negative: forever) until h->fd is readable.
 * Returns 1 if it is, 0 on timeout, or -errno. */
int shyper_transport_poll(struct shyper *h, int timeout_ms);

/* Maps LEN bytes of h->fd at offset 0, shared, read-write. Returns the
 * address, or NULL with errno set. */
void *shyper_transport_map(struct shyper *h, size_t len);

/* Undoes shyper_transport_map(). */
void shyper_transport_unmap(struct shyper *h, void *addr, size_t len);

/* read(h->fd, BUF, LEN) without blocking. Returns bytes read or -errno
 * (-EAGAIN when nothing is there). */
long shyper_transport_read(struct shyper *h, void *buf, size_t len);

/* ---- Errors (error.c) --------------------------------------------------------- */

/* Records a message on H and returns ERR (a negative enum shyper_error). */
int shyper_fail(struct shyper *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Maps -errno from an ioctl made for WHAT ("reading the hypervisor log") to
 * an error code, with a message naming WHAT and the errno. */
int shyper_fail_errno(struct shyper *h, int neg_errno, const char *what);

/* Clears the handle's message at the start of a call. */
void shyper_clear_error(struct shyper *h);

/* The thread's open-failure message buffer (for shyper_last_error_message(NULL)). */
char *shyper_open_message_buffer(void);

/* Does ioctl CMD for WHAT; on failure records the error. */
int shyper_call(struct shyper *h, unsigned long cmd, void *arg, const char *what);

#endif /* SHYPER_LIB_INTERNAL_H */
