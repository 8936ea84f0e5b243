/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A fake /dev/shyper for libshyper's host tests: linked in place of
 * lib/transport.c, it answers the ioctls from the canned state below and
 * can fail any of them (or the open) with a chosen errno. It also plays
 * the guests' part where the tests need one (powering off when their
 * power button is pressed) and records what VMs were given (loads, ops).
 */
#ifndef FAKE_TRANSPORT_H
#define FAKE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <shyper/abi.h>

#define FAKE_MAX_VMS 128
#define FAKE_MAX_EVENTS 16
#define FAKE_IOC_SLOTS 32 /* indexed by _IOC_NR */
#define FAKE_GUEST_RAM (1u << 20) /* what the fake keeps of each guest's RAM */
#define FAKE_CONSOLE_MAX 4096
#define FAKE_MAX_LOADS 32
#define FAKE_MAX_DEVICES 16

/* What a guest does when VM_CONTROL op SHUTDOWN presses its power button. */
enum fake_button {
	FAKE_BUTTON_POWERS_OFF = 0, /* it powers off at once (the default) */
	FAKE_BUTTON_DELAYED,        /* ... once it has been looked at button_delay_looks times */
	FAKE_BUTTON_IGNORED,        /* it keeps running */
};

/* One VM_LOAD the fake accepted. */
struct fake_load {
	uint32_t id;
	uint64_t ipa;
	uint64_t len;
	uint64_t hash;                  /* fake_hash() of all LEN bytes */
};

struct fake_device {
	int open_errno;                 /* open fails with this errno */
	char open_path[256];            /* the path last opened */
	int open_count;                 /* opens minus closes */
	unsigned long fail_cmd;         /* this ioctl fails ... */
	int fail_errno;                 /* ... with this errno */
	int calls[FAKE_IOC_SLOTS];      /* ioctls made, by number */

	struct shyper_hv_info hv;
	struct shyper_pcpu_stats pcpu_stats[8]; /* what HV_STATS answers, by pCPU */

	char *log;                      /* everything ever logged */
	size_t log_written;
	size_t log_ring_size;           /* how much the ring holds */
	size_t log_copy_limit;          /* at most this much per call (0: no limit) */
	void (*log_between_reads)(void); /* runs before each LOG_READ but the first */
	void (*on_hv_info)(void);       /* runs as each HV_INFO arrives (time passing) */
	int log_inconsistent;           /* answer with held > written */
	int log_copy_zero;              /* copy nothing, ever */

	struct shyper_vm_info vms[FAKE_MAX_VMS];
	struct shyper_vm_stats vm_stats[FAKE_MAX_VMS]; /* VM_STATS: vms[i]'s counters */
	unsigned int vm_stats_skip;     /* VM_STATS leaves out the VM with this id + 1 */
	unsigned int vm_count;
	unsigned int vm_list_max_seen;  /* largest max passed to VM_LIST */

	struct shyper_event events[FAKE_MAX_EVENTS];
	unsigned int event_count;
	unsigned int event_next;
	uint64_t last_ping;

	/* Guest lifecycle (ABI 1.1): VMs created here are appended to vms[]. */
	struct shyper_vm_config last_config; /* what the last VM_CREATE carried */
	void (*on_vm_create)(void);     /* runs as each VM_CREATE arrives */
	uint8_t guest_ram[FAKE_GUEST_RAM]; /* the first MiB of every guest's RAM */
	uint64_t loaded;                /* bytes VM_LOAD copied, all calls */
	char console[FAKE_CONSOLE_MAX]; /* what guests wrote, one stream for all */
	size_t console_written;
	size_t console_ring_size;       /* bytes the console keeps (0: all) */
	size_t console_copy_limit;      /* at most this much per read (0: no limit) */
	char console_in[FAKE_CONSOLE_MAX]; /* what was typed into guests */
	size_t console_in_len;
	size_t console_fifo;            /* bytes CONSOLE_WRITE accepts per call */
	unsigned int control_busy;      /* VM_CONTROL says EBUSY this many times first */

	/* Lifecycle records (ABI 1.2) for the managed-VM tests. */
	unsigned int ops[SHYPER_VM_OP_SHUTDOWN + 1]; /* VM_CONTROL calls, by op */
	uint32_t fail_op;               /* VM_CONTROL of this op fails ... */
	int fail_op_errno;              /* ... with this errno (0: it does not) */
	struct fake_load loads[FAKE_MAX_LOADS]; /* accepted VM_LOADs, in order */
	unsigned int load_count;        /* all of them, even past FAKE_MAX_LOADS */
	enum fake_button button;        /* what guests do on a power-button press */
	unsigned int button_delay_looks; /* FAKE_BUTTON_DELAYED: VM_INFO/VM_LIST calls */
	struct fake_press {
		uint32_t id;
		unsigned int looks_left;
	} presses[FAKE_MAX_VMS];        /* guests about to power off */
	unsigned int press_count;

	/* Devices (ABI 1.3): accepted VM_ADD_DEVICEs, in order. */
	struct fake_added_device {
		uint32_t id;
		struct shyper_device_config dev;
	} devices[FAKE_MAX_DEVICES];
	unsigned int device_count;      /* all of them, even past FAKE_MAX_DEVICES */

	/* Mediated virtio (ABI 1.4): one request waiting, at most one in flight. */
	uint8_t vio_request[256];       /* its device-readable bytes */
	uint32_t vio_request_len;
	uint32_t vio_room;              /* its device-writable room */
	int vio_waiting;                /* VIO_FETCH finds the request */
	uint64_t vio_token;             /* the request in flight, 0: none */
	uint8_t vio_answer[256];        /* what VIO_COMPLETE gave it */
	uint32_t vio_answer_len;

	/* Live update (ABI 1.8): what HV_UPDATE answers, and what it was given. */
	struct shyper_update_report update_report;
	int update_errno;               /* HV_UPDATE fails with this (0: it does not) */
	uint64_t update_len;
	uint32_t update_flags;
	uint8_t update_head[8];         /* the image's first bytes */
};

extern struct fake_device fake;

/* Back to a healthy board: hypervisor info of ABI 1.1, the MVM as VM 0,
 * an empty log, no events, no failures. */
void fake_reset(void);

/* Appends to the hypervisor's log stream. */
void fake_log_append(const char *text);

/* Adds a VM with the given id and name (a running 1-vCPU GVM). */
struct shyper_vm_info *fake_add_vm(uint32_t id, const char *name);

/* Appends to the guests' console output stream. */
void fake_console_append(const char *text);

/* Queues an event for read(). */
void fake_post_event(uint32_t type, uint32_t vm_id, uint64_t data0);

/* The fake's VM with that id or name, or NULL. */
struct shyper_vm_info *fake_vm(uint32_t id);
struct shyper_vm_info *fake_vm_named(const char *name);

/* VM ID powers itself off (running -> shut off) once it has been looked at
 * (VM_INFO or VM_LIST) LOOKS times, as a guest does some time after its
 * power button was pressed. */
void fake_guest_powers_off(uint32_t id, unsigned int looks);

/* FNV-1a of LEN bytes, as struct fake_load's hash. */
uint64_t fake_hash(const void *data, size_t len);

/* The last accepted VM_LOAD into VM ID at IPA, or NULL. */
const struct fake_load *fake_load_at(uint32_t id, uint64_t ipa);

#endif /* FAKE_TRANSPORT_H */
