/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A fake /dev/shyper for libshyper's host tests: linked in place of
 * lib/transport.c, it answers the ioctls from the canned state below and
 * can fail any of them (or the open) with a chosen errno.
 */
#ifndef FAKE_TRANSPORT_H
#define FAKE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <shyper/abi.h>

#define FAKE_MAX_VMS 128
#define FAKE_MAX_EVENTS 16
#define FAKE_IOC_SLOTS 16 /* indexed by _IOC_NR */

struct fake_device {
	int open_errno;                 /* open fails with this errno */
	char open_path[256];            /* the path last opened */
	int open_count;                 /* opens minus closes */
	unsigned long fail_cmd;         /* this ioctl fails ... */
	int fail_errno;                 /* ... with this errno */
	int calls[FAKE_IOC_SLOTS];      /* ioctls made, by number */

	struct shyper_hv_info hv;

	char *log;                      /* everything ever logged */
	size_t log_written;
	size_t log_ring_size;           /* how much the ring holds */
	size_t log_copy_limit;          /* at most this much per call (0: no limit) */
	void (*log_between_reads)(void); /* runs before each LOG_READ but the first */
	int log_inconsistent;           /* answer with held > written */
	int log_copy_zero;              /* copy nothing, ever */

	struct shyper_vm_info vms[FAKE_MAX_VMS];
	unsigned int vm_count;
	unsigned int vm_list_max_seen;  /* largest max passed to VM_LIST */

	struct shyper_event events[FAKE_MAX_EVENTS];
	unsigned int event_count;
	unsigned int event_next;
	uint64_t last_ping;
};

extern struct fake_device fake;

/* Back to a healthy board: hypervisor info of ABI 1.1, the MVM as VM 0,
 * an empty log, no events, no failures. */
void fake_reset(void);

/* Appends to the hypervisor's log stream. */
void fake_log_append(const char *text);

/* Adds a VM with the given id and name (a running 1-vCPU GVM). */
struct shyper_vm_info *fake_add_vm(uint32_t id, const char *name);

/* Queues an event for read(). */
void fake_post_event(uint32_t type, uint32_t vm_id, uint64_t data0);

#endif /* FAKE_TRANSPORT_H */
