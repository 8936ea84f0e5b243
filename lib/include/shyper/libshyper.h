/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libshyper: the C API every MVM tool uses to talk to the Shyper hypervisor
 * through the kernel module's /dev/shyper.
 *
 * Conventions shared by every call:
 *  - Calls return 0 on success or a negative enum shyper_error. They never
 *    print and never exit. After a failure on a handle,
 *    shyper_last_error_message(h) is a one-line human explanation that
 *    names what failed ("no VM named 'web'", "cannot open /dev/shyper:
 *    Permission denied (are you root?)"); shyper_strerror(err) is the
 *    generic text of the code.
 *  - Output parameters are written only on success.
 *  - Whatever a call allocates for the caller is released with the matching
 *    *_free function (or json_object_put() for JSON objects).
 *  - A handle is not thread-safe: use one per thread, or lock around it.
 *
 * Structs (struct shyper_hv_info, struct shyper_vm_info, struct
 * shyper_event) and enums (enum shyper_vm_type, enum shyper_vm_state) are
 * the ABI's own, from <shyper/abi.h>.
 *
 * JSON documents follow docs/json-schema.md (each has "schema": 1).
 */
#ifndef SHYPER_LIBSHYPER_H
#define SHYPER_LIBSHYPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shyper/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHYPER_EXPORT __attribute__((visibility("default")))

/* Version of the JSON documents the *_to_json functions build. */
#define SHYPER_JSON_SCHEMA 1

/* The default device; $SHYPER_DEVICE overrides it. */
#define SHYPER_DEFAULT_DEVICE "/dev/shyper"

/*
 * Error codes: negative, returned as they are. The kernel module's errno
 * values are folded into this small set; the handle's message says which
 * errno it was.
 */
enum shyper_error {
	SHYPER_ERR_NO_DEVICE = -1,     /* the device node is missing (module not loaded) */
	SHYPER_ERR_PERMISSION = -2,    /* EACCES/EPERM: not allowed (not root, or not the MVM) */
	SHYPER_ERR_INVALID = -3,       /* EINVAL: an argument was rejected */
	SHYPER_ERR_NOT_SUPPORTED = -4, /* ENOTTY/EOPNOTSUPP: the module or hypervisor lacks the call */
	SHYPER_ERR_NO_ENTRY = -5,      /* ENOENT: no such VM */
	SHYPER_ERR_BUSY = -6,          /* EBUSY: in the wrong state, or already set up */
	SHYPER_ERR_FAULT = -7,         /* EFAULT: a buffer was refused (a library bug) */
	SHYPER_ERR_NO_MEMORY = -8,     /* ENOMEM: out of memory */
	SHYPER_ERR_EXISTS = -9,        /* EEXIST: a VM with that name or UUID exists */
	SHYPER_ERR_TIMEOUT = -10,      /* nothing happened within the timeout */
	SHYPER_ERR_INTERRUPTED = -11,  /* EINTR: a signal interrupted the call */
	SHYPER_ERR_ABI = -12,          /* the hypervisor speaks another ABI major version */
	SHYPER_ERR_PROTOCOL = -13,     /* an answer did not make sense (short or inconsistent) */
	SHYPER_ERR_SYSTEM = -14,       /* any other errno; the message names it */
	SHYPER_ERR_NO_SLOT = -15,      /* ENOSPC: the hypervisor has no free VM slot */
	SHYPER_ERR_TOO_SMALL = -16,    /* a buffer is too small; the call says how large (1.4) */
	SHYPER_ERR_ROLLED_BACK = -17,  /* begun, then undone: nothing changed (1.8) */
};

/* Opaque handle on the device. */
struct shyper;

/* json-c's object type (json-c typedefs it as json_object). */
struct json_object;

/*
 * Opens DEVICE (NULL: $SHYPER_DEVICE if set and non-empty, else
 * /dev/shyper), then checks that the hypervisor's ABI major version is
 * SHYPER_ABI_MAJOR (else SHYPER_ERR_ABI).
 * Returns the handle, or NULL with *err (if ERR is not NULL) set to the
 * error; shyper_last_error_message(NULL) then explains it (per thread).
 * Typical errors: SHYPER_ERR_NO_DEVICE, SHYPER_ERR_PERMISSION,
 * SHYPER_ERR_ABI, SHYPER_ERR_NO_MEMORY.
 */
SHYPER_EXPORT struct shyper *shyper_open(const char *device, int *err);

/* Closes the device and frees the handle. NULL is allowed. */
SHYPER_EXPORT void shyper_close(struct shyper *h);

/* The device path the handle was opened on (owned by the handle). */
SHYPER_EXPORT const char *shyper_device_path(const struct shyper *h);

/* Generic text of an error code ("no such VM"); never NULL. */
SHYPER_EXPORT const char *shyper_strerror(int err);

/*
 * The message of the handle's last failed call ("" if none failed yet).
 * H = NULL: the message of the calling thread's last failed shyper_open().
 * The string is owned by the library and valid until the next call on the
 * same handle (or the next shyper_open() in the thread).
 */
SHYPER_EXPORT const char *shyper_last_error_message(const struct shyper *h);

/* Sets H's message (printf-style) and returns ERR: for the callbacks a
 * caller gives libshyper (a stream's reader or writer), so that their
 * failure says why. */
SHYPER_EXPORT int shyper_set_error(struct shyper *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The library's version string, e.g. "0.1.0". */
SHYPER_EXPORT const char *shyper_library_version(void);

/* "mvm", "gvm", "rtvm", or "unknown". */
SHYPER_EXPORT const char *shyper_vm_type_name(uint32_t type);

/* "defined", "running", "paused", "shutoff", "crashed", or "unknown". */
SHYPER_EXPORT const char *shyper_vm_state_name(uint32_t state);

/* ---- Hypervisor ------------------------------------------------------------ */

/* Fills *INFO from the hypervisor (a fresh query each time). */
SHYPER_EXPORT int shyper_hv_info(struct shyper *h, struct shyper_hv_info *info);

/*
 * INFO's build id (ABI 1.7: the first bytes of its image's SHA-256) as
 * 16 hex digits into BUF (at least 17 bytes); "unsealed" when the image
 * carried none, "unknown" from a hypervisor older than 1.7.
 */
SHYPER_EXPORT void shyper_build_id_text(const struct shyper_hv_info *info, char *buf, size_t size);

/*
 * Live update (ABI 1.8). shyper_image_read() reads an image from a file
 * or an http:// or https:// URL (libcurl) into *DATA (malloc'd, *LEN
 * bytes; free() it), calling PROGRESS (may be NULL) as bytes arrive with
 * the total when known (else 0).
 *
 * shyper_hv_update() hands IMAGE to the hypervisor: with
 * SHYPER_UPDATE_CHECK_ONLY it is only checked; otherwise the hypervisor
 * is replaced under the running VMs. *REPORT says what happened either
 * way (its size is 0 if the call never reached the hypervisor). Errors:
 * SHYPER_ERR_INVALID (the image was refused: report->reason says why),
 * SHYPER_ERR_BUSY (a pCPU did not stop in time, or another update runs),
 * SHYPER_ERR_ROLLED_BACK (the new image could not take over: the old one
 * runs on; report->detail says why), SHYPER_ERR_PERMISSION (not root).
 */
typedef void (*shyper_progress_fn)(uint64_t done, uint64_t total, void *arg);
SHYPER_EXPORT int shyper_image_read(struct shyper *h, const char *where, void **data, size_t *len,
				    shyper_progress_fn progress, void *arg);
SHYPER_EXPORT int shyper_hv_update(struct shyper *h, const void *image, size_t len, unsigned flags,
				   struct shyper_update_report *report);
/* One line for an enum shyper_update_reason. */
SHYPER_EXPORT const char *shyper_update_reason_text(uint32_t reason);

/*
 * Each pCPU's counters since it came online (ABI 1.6): exits and
 * interrupts handled, time at EL2, idle, and what it runs now. *STATS is a
 * malloc'd array of *COUNT records, one per pCPU of the board, for free().
 */
SHYPER_EXPORT int shyper_hv_stats(struct shyper *h, struct shyper_pcpu_stats **stats,
				  size_t *count);

/* One no-op hypercall: the round trip, for benchmarks. */
SHYPER_EXPORT int shyper_nop(struct shyper *h);

/* The hypervisor's log ring, read whole (see shyper_hv_log). */
struct shyper_log {
	char *text;       /* malloc'd, len bytes plus a terminating NUL */
	size_t len;
	uint64_t start;   /* stream offset of text[0]: bytes logged before it */
	uint64_t written; /* bytes ever logged, as of the last read */
	uint64_t lost;    /* bytes overwritten while reading: a gap inside text */
};

/*
 * Reads everything the log ring holds, oldest first, in as many calls as
 * it takes. When the hypervisor logs meanwhile and the ring overwrites
 * bytes not yet read, reading continues after the gap and LOST counts the
 * missing bytes. On success *LOG owns text; release it with
 * shyper_log_free().
 */
SHYPER_EXPORT int shyper_hv_log(struct shyper *h, struct shyper_log *log);

/* Frees LOG's text and zeroes it. NULL is allowed. */
SHYPER_EXPORT void shyper_log_free(struct shyper_log *log);

/* ---- VMs -------------------------------------------------------------------- */

/*
 * Every VM, in id order. On success *VMS is a malloc'd array of *COUNT
 * entries (possibly zero entries, never NULL); free it with
 * shyper_vm_list_free().
 */
SHYPER_EXPORT int shyper_vm_list(struct shyper *h, struct shyper_vm_info **vms, size_t *count);

/* Frees an array from shyper_vm_list(). NULL is allowed. */
SHYPER_EXPORT void shyper_vm_list_free(struct shyper_vm_info *vms);

/* VM number ID. No such VM: SHYPER_ERR_NO_ENTRY. */
SHYPER_EXPORT int shyper_vm_info(struct shyper *h, uint32_t id, struct shyper_vm_info *info);

/* The VM called NAME (found through the list). None: SHYPER_ERR_NO_ENTRY. */
SHYPER_EXPORT int shyper_vm_info_by_name(struct shyper *h, const char *name,
					 struct shyper_vm_info *info);

/*
 * What a user typed: all digits means an id, and if no VM has that id it
 * is tried as a name (names may be numeric); anything else is a name.
 */
SHYPER_EXPORT int shyper_vm_lookup(struct shyper *h, const char *name_or_id,
				   struct shyper_vm_info *info);

/* ---- Events -------------------------------------------------------------------- */

/* Asks the hypervisor to post a SHYPER_EVENT_PONG event carrying COOKIE. */
SHYPER_EXPORT int shyper_ping(struct shyper *h, uint64_t cookie);

/*
 * Waits up to TIMEOUT_MS milliseconds (negative: forever, 0: just check)
 * for the next event and stores it in *EV. Nothing by then:
 * SHYPER_ERR_TIMEOUT.
 */
SHYPER_EXPORT int shyper_event_wait(struct shyper *h, struct shyper_event *ev, int timeout_ms);

/*
 * The file descriptor events arrive on, for a caller's own poll() among
 * other descriptors (ABI 1.4): POLLIN means shyper_event_wait(h, ev, 0)
 * has an event. Only to poll: reading or closing it is the library's.
 * -1 when the handle has no descriptor.
 */
SHYPER_EXPORT int shyper_event_fd(const struct shyper *h);

/* ---- Guest lifecycle (ABI 1.1) ------------------------------------------------- */

/*
 * Creates a guest VM from CONFIG (type, name, vCPUs and their pCPUs,
 * memory, entry and device-tree addresses; see <shyper/abi.h>). The
 * library sends a copy whose size field is SHYPER_VM_CONFIG_SIZE_V1, so
 * the caller need not fill it in. The VM starts out "defined" with its
 * memory zeroed; on success *ID is its id.
 * Typical errors: SHYPER_ERR_INVALID (the hypervisor refused the config),
 * SHYPER_ERR_EXISTS (name or UUID taken), SHYPER_ERR_NO_MEMORY (not
 * enough free guest memory), SHYPER_ERR_NO_SLOT (too many VMs).
 */
SHYPER_EXPORT int shyper_vm_create(struct shyper *h, const struct shyper_vm_config *config,
				   uint32_t *id);

/*
 * ABI 1.3: gives VM ID the device DEV (a virtio device in a virtio-mmio
 * slot, or a passthrough device; see struct shyper_device_config). The
 * library sends a copy whose size field is SHYPER_DEVICE_CONFIG_SIZE_V1.
 * Only a VM that has never started takes devices: call it between
 * shyper_vm_create() and the first start.
 * Typical errors: SHYPER_ERR_INVALID (a field was refused),
 * SHYPER_ERR_BUSY (slot taken, or the VM has run), SHYPER_ERR_EXISTS (a
 * second console), SHYPER_ERR_NOT_SUPPORTED (a kind the hypervisor does
 * not implement yet).
 */
SHYPER_EXPORT int shyper_vm_add_device(struct shyper *h, uint32_t id,
				       const struct shyper_device_config *dev);

/*
 * Copies LEN bytes (at least 1) of BUF into VM ID's RAM at GUEST_IPA. The
 * VM must not be running (SHYPER_ERR_BUSY); the range must lie in its RAM
 * (SHYPER_ERR_FAULT otherwise).
 */
SHYPER_EXPORT int shyper_vm_load(struct shyper *h, uint32_t id, uint64_t guest_ipa,
				 const void *buf, size_t len);

/* The same with the whole content of the file at PATH (read in pieces). */
SHYPER_EXPORT int shyper_vm_load_file(struct shyper *h, uint32_t id, uint64_t guest_ipa,
				      const char *path);

/*
 * One state change of VM ID: OP is an enum shyper_vm_op. START: defined or
 * shut off -> running; STOP: power off now -> shut off (memory kept);
 * DESTROY: not running -> gone, memory zeroed and back in the pool; PAUSE
 * and RESUME. A change the VM's state does not allow: SHYPER_ERR_BUSY.
 * (A VM that has only just stopped can refuse START and DESTROY for a
 * moment, while its vCPUs leave their pCPUs; those are retried for up to
 * about two seconds.) The MVM itself is refused: SHYPER_ERR_PERMISSION.
 */
SHYPER_EXPORT int shyper_vm_control(struct shyper *h, uint32_t id, uint32_t op);

/* shyper_vm_control() with each op. */
SHYPER_EXPORT int shyper_vm_start(struct shyper *h, uint32_t id);
SHYPER_EXPORT int shyper_vm_stop(struct shyper *h, uint32_t id);
SHYPER_EXPORT int shyper_vm_destroy(struct shyper *h, uint32_t id);
SHYPER_EXPORT int shyper_vm_pause(struct shyper *h, uint32_t id);
SHYPER_EXPORT int shyper_vm_resume(struct shyper *h, uint32_t id);
/* ABI 1.2: asks running guest ID to power itself off (presses its power
 * button) and returns at once; SHYPER_ERR_BUSY when it is not running. */
SHYPER_EXPORT int shyper_vm_shutdown(struct shyper *h, uint32_t id);

/*
 * Reads VM ID's console output (what it wrote to its UART) from stream
 * OFFSET on: at most LEN bytes into BUF (more than SHYPER_CONSOLE_IO_MAX
 * are not asked for in one call). On success *GOT is the number of bytes
 * read, *START the stream offset of BUF[0] (later than OFFSET if older
 * bytes were overwritten: START - OFFSET bytes are lost) and *WRITTEN the
 * bytes the guest ever wrote; the next offset to ask for is START + GOT.
 * Nothing new: *GOT = 0. START, GOT and WRITTEN may be NULL.
 */
SHYPER_EXPORT int shyper_console_read(struct shyper *h, uint32_t id, uint64_t offset, void *buf,
				      size_t len, uint64_t *start, size_t *got,
				      uint64_t *written);

/*
 * Types LEN bytes of BUF into VM ID's UART. The UART's receive FIFO is
 * small: *ACCEPTED (may be NULL) says how many bytes it took; send the
 * rest later.
 */
SHYPER_EXPORT int shyper_console_write(struct shyper *h, uint32_t id, const void *buf,
				       size_t len, size_t *accepted);

/*
 * Mediated virtio devices (ABI 1.4), for the backend of a guest's block or
 * net device in virtio slot SLOT.
 *
 * shyper_vio_fetch() takes the next request from queue QUEUE: its
 * device-readable bytes are copied into BUF (LEN bytes, at most
 * SHYPER_VIO_IO_MAX), *READABLE says how many, *WRITABLE how many the
 * answer may have, *TOKEN names the request for shyper_vio_complete().
 * SHYPER_ERR_BUSY: nothing to take (the queue is empty, the device is not
 * up or needs a reset, or too many requests are in flight: complete some);
 * wait for the next SHYPER_EVENT_VIO. SHYPER_ERR_TOO_SMALL: BUF cannot hold
 * the request, *READABLE says how large it must be; the request stays
 * queued. Block requests outside the disk or writing to a read-only disk
 * never arrive here: the hypervisor answers them.
 */
SHYPER_EXPORT int shyper_vio_fetch(struct shyper *h, uint32_t id, uint16_t slot, uint16_t queue,
				   void *buf, size_t len, uint64_t *token, size_t *readable,
				   size_t *writable);

/*
 * Answers the request TOKEN of VM ID with LEN bytes of BUF (at most
 * SHYPER_VIO_IO_MAX; more than the request's room is cut): they go into
 * its device-writable buffers in order, and the guest is told. *DONE (may
 * be NULL) says how many bytes it got. SHYPER_ERR_INVALID: the token is
 * not in flight (already completed, or the device was reset or the VM
 * restarted since the fetch: drop the request). SHYPER_ERR_BUSY: the
 * device needs a reset; the request was dropped.
 */
SHYPER_EXPORT int shyper_vio_complete(struct shyper *h, uint32_t id, uint64_t token,
				      const void *buf, size_t len, size_t *done);

/*
 * A buffer of SHYPER_VIO_IO_MAX bytes shared with /dev/shyper (mmap), the
 * same for the handle's life (ABI 1.4). Requests fetched into it and
 * answers completed from it are not copied on the way: pass it as BUF to
 * shyper_vio_fetch() and shyper_vio_complete(). A fetch may also go to a
 * place inside it (ABI 1.5; LEN is then cut to what is left): a block
 * backend puts the 16-byte request header just before a page, so that
 * the data starts on one. An answer from anywhere but its start is copied.
 * Its pages can be given to O_DIRECT I/O. NULL if the module cannot map
 * one (an older module, or no memory): use an ordinary buffer.
 */
SHYPER_EXPORT void *shyper_vio_buffer(struct shyper *h);

/* ---- A guest's memory, for migration (ABI 1.9; root only) ---------------------- */

/*
 * Pages are numbered from 0 over the guest's RAM: page n is at
 * SHYPER_GUEST_RAM_BASE + n * SHYPER_PAGE_SIZE.
 *
 * shyper_vm_dirty_log() turns dirty-page logging on (every page
 * write-protected, the bitmap clear; *PAGES: how many it covers) or off.
 * shyper_vm_dirty_fetch() copies the bitmap window of LEN bytes (a multiple
 * of 8) from page FIRST_PAGE (a multiple of 64) into BITMAP, bit n of byte
 * k for page FIRST_PAGE + 8k + n, and clears it; the pages it found dirty
 * are write-protected again before it returns, so copy them after it.
 * *DIRTY: how many were set.
 */
SHYPER_EXPORT int shyper_vm_dirty_log(struct shyper *h, uint32_t id, bool on, uint64_t *pages);
SHYPER_EXPORT int shyper_vm_dirty_fetch(struct shyper *h, uint32_t id, uint64_t first_page,
					void *bitmap, size_t len, uint64_t *dirty);
/* COUNT pages (numbers in PAGES) out of a guest into BUF, or into a guest
 * that has never run from BUF, COUNT * SHYPER_PAGE_SIZE bytes. */
SHYPER_EXPORT int shyper_vm_pages_read(struct shyper *h, uint32_t id, const uint64_t *pages,
				       size_t count, void *buf);
SHYPER_EXPORT int shyper_vm_pages_write(struct shyper *h, uint32_t id, const uint64_t *pages,
					size_t count, const void *buf);
/*
 * The state of a paused guest (vCPUs, interrupt controller, timers,
 * emulated devices) as a self-describing string of at most
 * SHYPER_VM_STATE_MAX bytes, and that string loaded into a guest defined
 * the same way that has never run: its next start resumes it.
 */
SHYPER_EXPORT int shyper_vm_state_save(struct shyper *h, uint32_t id, void *buf, size_t room,
				       size_t *len);
SHYPER_EXPORT int shyper_vm_state_load(struct shyper *h, uint32_t id, const void *buf, size_t len);

/* ---- Counters and rates, for monitors (ABI 1.10) -------------------------------- */

/*
 * Every VM's counters (SHYPER_HC_VM_STATS), in id order: per vCPU its time
 * in the guest, exits by kind and interrupts injected; per virtio device
 * requests and bytes. *STATS is a malloc'd array of *COUNT records, for
 * free(). A hypervisor older than 1.10: SHYPER_ERR_NOT_SUPPORTED.
 */
SHYPER_EXPORT int shyper_vm_stats(struct shyper *h, struct shyper_vm_stats **stats,
				  size_t *count);

/*
 * One look at the whole board, as a monitor refreshes it: the hypervisor,
 * its pCPUs' counters, the VMs and their counters, read in four calls
 * whatever the number of VMs. stats[i] belongs to vms[i] (its size is 0
 * if the VM came or went between the two reads). Release it with
 * shyper_sample_free(); a zeroed sample may be freed too.
 */
struct shyper_sample {
	uint64_t taken_ns;                /* CLOCK_MONOTONIC when it was taken */
	struct shyper_hv_info hv;
	struct shyper_pcpu_stats *pcpus;
	size_t pcpu_count;
	struct shyper_vm_info *vms;
	struct shyper_vm_stats *stats;    /* vm_count entries */
	size_t vm_count;
};
SHYPER_EXPORT int shyper_sample_take(struct shyper *h, struct shyper_sample *sample);
SHYPER_EXPORT void shyper_sample_free(struct shyper_sample *sample);

/* A VM's sample and counters, or NULL when CUR has no VM with that id. */
SHYPER_EXPORT const struct shyper_vm_stats *shyper_sample_vm_stats(const struct shyper_sample *s,
								  uint32_t id);

/*
 * Rates between two samples: what happened per second of the hypervisor's
 * own clock. CPU figures are percent of one pCPU, as top(1) has them (a
 * VM with two busy vCPUs is at 200). A counter that went backwards (the
 * VM was destroyed and another took its id, or it moved here) gives 0,
 * never a negative rate; so does a VM the earlier sample lacks, which is
 * then "fresh".
 */
struct shyper_vcpu_rates {
	uint32_t pcpu;
	uint32_t state;                   /* enum shyper_vcpu_run_state */
	double cpu_pct;
	double irqs_per_s;
	double exits_per_s;               /* all kinds */
	double exit_kind_per_s[SHYPER_EXIT_KINDS];
};

struct shyper_vdev_rates {
	uint32_t kind;                    /* enum shyper_device_kind; 0: empty slot */
	uint32_t slot;
	uint64_t requests, bytes_in, bytes_out; /* the counters as they are now */
	double requests_per_s;
	double in_bytes_per_s;            /* into the guest: disk reads, net rx */
	double out_bytes_per_s;           /* out of it: disk writes, net tx */
};

struct shyper_vm_rates {
	uint32_t id;
	bool fresh;                       /* nothing to compare with yet: rates are 0 */
	double cpu_pct;                   /* its vCPUs together */
	double exits_per_s;
	double irqs_per_s;
	double disk_read_bytes_per_s, disk_write_bytes_per_s; /* its virtio disks */
	double net_rx_bytes_per_s, net_tx_bytes_per_s;         /* its virtio NICs */
	uint32_t vcpu_count;
	struct shyper_vcpu_rates vcpus[SHYPER_MAX_VCPUS];
	struct shyper_vdev_rates vdevs[SHYPER_GUEST_VIRTIO_SLOTS];
};

struct shyper_pcpu_rates {
	uint32_t pcpu;
	bool online;
	double guest_pct, el2_pct, idle_pct; /* of its time; together about 100 */
	double exits_per_s;
	double irqs_per_s;
	uint32_t vm_id;                   /* what it runs now, or SHYPER_NO_VM */
	uint32_t vcpu;
};

/*
 * Fills VMS (CUR->vm_count entries, in CUR's order) and PCPUS
 * (CUR->pcpu_count entries; may be NULL) from CUR against PREV. PREV may be
 * NULL (the first refresh): every rate is 0 and every VM fresh.
 */
SHYPER_EXPORT void shyper_rates_compute(const struct shyper_sample *prev,
					const struct shyper_sample *cur,
					struct shyper_vm_rates *vms, struct shyper_pcpu_rates *pcpus);

/* "running", "blocked", "paused", "off" (enum shyper_vcpu_run_state). */
SHYPER_EXPORT const char *shyper_vcpu_state_name(uint32_t state);
/* "hvc", "smc", "dabt", "iabt", "sysreg", "wfx", "irq", "other". */
SHYPER_EXPORT const char *shyper_exit_kind_name(uint32_t kind);
/* "console", "disk", "net", "rng", or "" (a virtio kind of enum shyper_device_kind). */
SHYPER_EXPORT const char *shyper_vdev_kind_name(uint32_t kind);

/* ---- JSON (docs/json-schema.md) ------------------------------------------------- */

/*
 * Each returns a new json-c object (release it with json_object_put()), or
 * NULL if out of memory or the argument is NULL. The top-level object has
 * "schema": SHYPER_JSON_SCHEMA.
 */
SHYPER_EXPORT struct json_object *shyper_hv_info_to_json(const struct shyper_hv_info *info);
SHYPER_EXPORT struct json_object *shyper_update_report_to_json(const struct shyper_update_report *r);
SHYPER_EXPORT struct json_object *shyper_hv_stats_to_json(const struct shyper_pcpu_stats *stats,
							  size_t count);
SHYPER_EXPORT struct json_object *shyper_vm_info_to_json(const struct shyper_vm_info *info);
SHYPER_EXPORT struct json_object *shyper_vm_list_to_json(const struct shyper_vm_info *vms,
							  size_t count);
SHYPER_EXPORT struct json_object *shyper_log_to_json(const struct shyper_log *log);
/* One refresh of a monitor (ABI 1.10): the hypervisor, pCPUs and VMs of
 * CUR with their RATES (from shyper_rates_compute()); PCPUS may be NULL. */
SHYPER_EXPORT struct json_object *shyper_sample_to_json(const struct shyper_sample *cur,
							const struct shyper_vm_rates *vms,
							const struct shyper_pcpu_rates *pcpus);
/* One VM's counters and rates (shyperctl vm stats). */
SHYPER_EXPORT struct json_object *shyper_vm_rates_to_json(const struct shyper_vm_info *info,
							  const struct shyper_vm_stats *stats,
							  const struct shyper_vm_rates *rates);

#ifdef __cplusplus
}
#endif

#endif /* SHYPER_LIBSHYPER_H */
