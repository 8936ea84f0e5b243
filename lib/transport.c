// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The real transport: system calls on /dev/shyper. The only file of the
 * library that touches the device; host unit tests replace it at link time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

int shyper_transport_open(struct shyper *h, const char *path)
{
	/* Non-blocking: shyper_event_wait() waits in poll(), with a timeout. */
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	h->fd = fd;
	return 0;
}

void shyper_transport_close(struct shyper *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

void *shyper_transport_map(struct shyper *h, size_t len)
{
	void *addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);

	return addr == MAP_FAILED ? NULL : addr;
}

void shyper_transport_unmap(struct shyper *h, void *addr, size_t len)
{
	(void)h;
	munmap(addr, len);
}

int shyper_transport_ioctl(struct shyper *h, unsigned long cmd, void *arg)
{
	return ioctl(h->fd, cmd, arg) < 0 ? -errno : 0;
}

int shyper_transport_poll(struct shyper *h, int timeout_ms)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);

	if (n < 0)
		return -errno;
	if (n && (pfd.revents & (POLLERR | POLLNVAL)))
		return -EIO;
	return n > 0;
}

long shyper_transport_read(struct shyper *h, void *buf, size_t len)
{
	ssize_t n = read(h->fd, buf, len);

	return n < 0 ? -errno : (long)n;
}
