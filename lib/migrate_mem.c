// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A guest's memory for migration (ABI 1.9): dirty-page logging, and its
 * pages copied out of it on the source board and into it on the
 * destination, through /dev/shyper. The module wants CAP_SYS_ADMIN.
 */
#include <errno.h>
#include <string.h>
#include "internal.h"

static int mem_fail(struct shyper *h, int neg_errno, const char *what, uint32_t id)
{
	if (neg_errno == -ENOENT)
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "%s of VM %u: no VM with id %u", what, id,
				   id);
	if (neg_errno == -EPERM)
		return shyper_fail(h, SHYPER_ERR_PERMISSION,
				   "%s of VM %u: not allowed (root only, and never the MVM's)", what,
				   id);
	return shyper_fail_errno(h, neg_errno, what);
}

int shyper_vm_dirty_log(struct shyper *h, uint32_t id, bool on, uint64_t *pages)
{
	struct shyper_ioc_dirty_log req = { .id = id };
	int rc;

	shyper_clear_error(h);
	req.op = on ? SHYPER_DIRTY_START : SHYPER_DIRTY_STOP;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_DIRTY_LOG, &req);
	if (rc == -EBUSY)
		return shyper_fail(h, SHYPER_ERR_BUSY, "dirty-page logging of VM %u is already %s",
				   id, on ? "on" : "off");
	if (rc)
		return mem_fail(h, rc, "dirty-page logging", id);
	if (pages)
		*pages = req.pages;
	return 0;
}

int shyper_vm_dirty_fetch(struct shyper *h, uint32_t id, uint64_t first_page, void *bitmap,
			  size_t len, uint64_t *dirty)
{
	struct shyper_ioc_dirty_fetch req = { .id = id };
	int rc;

	shyper_clear_error(h);
	if (!bitmap || !len || len % 8 || first_page % 64)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "dirty pages of VM %u: a window is whole 64-page words", id);
	req.first_page = first_page;
	req.buf = (uint64_t)(uintptr_t)bitmap;
	req.len = len;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_DIRTY_FETCH, &req);
	if (rc == -EBUSY)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "dirty pages of VM %u: dirty-page logging is off", id);
	if (rc == -EINVAL)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "dirty pages of VM %u: pages %llu.. are not all its RAM's", id,
				   (unsigned long long)first_page);
	if (rc)
		return mem_fail(h, rc, "dirty pages", id);
	if (dirty)
		*dirty = req.dirty;
	return 0;
}

static int pages_io(struct shyper *h, uint32_t id, const uint64_t *pages, size_t count, void *buf,
		    bool write)
{
	const char *what = write ? "writing pages" : "reading pages";

	shyper_clear_error(h);
	if (!pages || !buf || !count)
		return shyper_fail(h, SHYPER_ERR_INVALID, "%s of VM %u: no pages", what, id);
	while (count) {
		struct shyper_ioc_vm_pages req = { .id = id };
		uint32_t n = count > SHYPER_IOC_PAGES_MAX ? SHYPER_IOC_PAGES_MAX : (uint32_t)count;
		int rc;

		req.count = n;
		req.pages = (uint64_t)(uintptr_t)pages;
		req.buf = (uint64_t)(uintptr_t)buf;
		rc = shyper_transport_ioctl(h, write ? SHYPER_IOC_VM_MEM_WRITE : SHYPER_IOC_VM_MEM_READ,
					    &req);
		if (rc == -EINVAL)
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "%s of VM %u: a page number is past its RAM", what, id);
		if (rc == -EBUSY)
			return shyper_fail(h, SHYPER_ERR_BUSY,
					   "%s of VM %u: it has run (only a guest that never ran "
					   "takes pages)", what, id);
		if (rc)
			return mem_fail(h, rc, what, id);
		pages += n;
		buf = (uint8_t *)buf + (size_t)n * SHYPER_PAGE_SIZE;
		count -= n;
	}
	return 0;
}

int shyper_vm_state_save(struct shyper *h, uint32_t id, void *buf, size_t room, size_t *len)
{
	struct shyper_ioc_vm_state req = { .id = id };
	int rc;

	shyper_clear_error(h);
	if (!buf || !room || !len)
		return shyper_fail(h, SHYPER_ERR_INVALID, "state of VM %u: no buffer", id);
	req.buf = (uint64_t)(uintptr_t)buf;
	req.len = room > SHYPER_VM_STATE_MAX ? SHYPER_VM_STATE_MAX : room;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_STATE_SAVE, &req);
	if (rc == -EBUSY)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "state of VM %u: it is not paused, a vCPU is still leaving its "
				   "CPU, or its disk or network has requests in flight", id);
	if (rc == -EINVAL)
		return shyper_fail(h, SHYPER_ERR_TOO_SMALL,
				   "state of VM %u: %zu bytes are not enough", id, room);
	if (rc)
		return mem_fail(h, rc, "saving the state", id);
	*len = req.len;
	return 0;
}

int shyper_vm_state_load(struct shyper *h, uint32_t id, const void *buf, size_t len)
{
	struct shyper_ioc_vm_state req = { .id = id };
	int rc;

	shyper_clear_error(h);
	if (!buf || !len || len > SHYPER_VM_STATE_MAX)
		return shyper_fail(h, SHYPER_ERR_INVALID, "state for VM %u: %zu bytes", id, len);
	req.buf = (uint64_t)(uintptr_t)buf;
	req.len = len;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_STATE_LOAD, &req);
	if (rc == -EBUSY)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "state for VM %u: only a guest that has never run takes one", id);
	if (rc == -EINVAL)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "state for VM %u: refused by the hypervisor (malformed, from an "
				   "unknown version, or not this guest's: see shyperctl hv log)", id);
	if (rc)
		return mem_fail(h, rc, "loading the state", id);
	return 0;
}

int shyper_vm_pages_read(struct shyper *h, uint32_t id, const uint64_t *pages, size_t count,
			 void *buf)
{
	return pages_io(h, id, pages, count, buf, false);
}

int shyper_vm_pages_write(struct shyper *h, uint32_t id, const uint64_t *pages, size_t count,
			  const void *buf)
{
	return pages_io(h, id, pages, count, (void *)buf, true);
}
