/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Guest VM definitions: the model of one VM as libvirt domain XML describes
 * it (the subset that docs/domain-xml.md lists, element by element), read
 * and written with libxml2, turned into the ABI's struct shyper_vm_config, and
 * the guest's device tree generated from it with libfdt (lib/guest_fdt.c).
 *
 * Conventions: calls return 0 or a negative enum shyper_error. Parsing
 * never stops at the first problem: every error and warning found goes
 * into a struct shyper_domain_diag, each with the line it was found on.
 */
#ifndef SHYPER_DOMAIN_H
#define SHYPER_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <shyper/abi.h>
#include <shyper/libshyper.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The XML namespace of Shyper's own settings under <metadata>. */
#define SHYPER_DOMAIN_XMLNS "https://shyper.dev/xmlns/vm/1"

/* Guest layout chosen by shyper_domain_to_config(): the kernel (or flat
 * binary) is loaded and entered 2 MiB into RAM, the 2 MiB-aligned base an
 * arm64 Linux Image with text_offset 0 needs, and the device tree sits at
 * the start of RAM below it, so it may be at most 2 MiB (Linux's limit too).
 * A guest therefore needs at least 4 MiB. */
#define SHYPER_DOMAIN_ENTRY_IPA (SHYPER_GUEST_RAM_BASE + 0x200000ULL)
#define SHYPER_DOMAIN_DTB_IPA SHYPER_GUEST_RAM_BASE
#define SHYPER_DOMAIN_DTB_MAX_SIZE 0x200000ULL

/* Consoles a definition may have (one of them the PL011). */
#define SHYPER_DOMAIN_MAX_CONSOLES 4

/* A vCPU without <vcpupin> runs on the pCPU of its own number. */
#define SHYPER_DOMAIN_PCPU_UNPINNED (-1)

enum shyper_console_target {
	SHYPER_CONSOLE_SERIAL = 1, /* the machine's PL011 at SHYPER_GUEST_UART_BASE */
	SHYPER_CONSOLE_VIRTIO = 2, /* a virtio console: virtio-mmio slot 0 when it is the first */
};

struct shyper_domain_console {
	enum shyper_console_target target;
	unsigned int port;        /* <target port='N'>, 0 by default */
};

/* Board devices a definition may pass through (<hostdev>). */
#define SHYPER_DOMAIN_MAX_HOSTDEVS 4
#define SHYPER_HOSTDEV_NODE_MAX 128

/*
 * A board device the guest gets instead of the MVM (docs/domain-xml.md):
 * <hostdev mode='capabilities' type='misc'><source><char>NODE</char>
 * names it by its node path in the MVM's device tree, and
 * <shyper:hostdev node='NODE' base='0x..' size='0x..' irq='N'/> in the
 * metadata gives its MMIO range (mapped at the same address in the guest)
 * and its SPI.
 */
struct shyper_domain_hostdev {
	char node[SHYPER_HOSTDEV_NODE_MAX]; /* e.g. "/pl031@9010000" */
	uint64_t base;            /* page-aligned */
	uint64_t size;            /* a page multiple */
	uint32_t spi;             /* SPI (INTID - 32), or SHYPER_DEV_NO_IRQ */
};

/* <disk type='file' device='disk'>: a raw image file as a virtio disk. */
#define SHYPER_DOMAIN_MAX_DISKS 4
/* <driver cache='...'/>: how shyperd reaches the image (libvirt's names). */
enum shyper_disk_cache {
	SHYPER_DISK_CACHE_DEFAULT = 0, /* not given: as 'none' */
	SHYPER_DISK_CACHE_NONE,        /* O_DIRECT, past the MVM's page cache */
	SHYPER_DISK_CACHE_WRITEBACK,   /* the MVM's page cache; flushes honoured */
	SHYPER_DISK_CACHE_WRITETHROUGH, /* the page cache, each write synchronous */
	SHYPER_DISK_CACHE_DIRECTSYNC,  /* O_DIRECT, each write synchronous */
	SHYPER_DISK_CACHE_UNSAFE,      /* the page cache; flushes ignored */
};

struct shyper_domain_disk {
	char *source;             /* <source file='...'/>: the image in the MVM */
	char target[8];           /* <target dev='vdX' bus='virtio'/> */
	bool readonly;            /* <readonly/> */
	enum shyper_disk_cache cache; /* <driver cache='...'/> */
};

/* libvirt's name of CACHE ("none"...); NULL for the default or an unknown one. */
SHYPER_EXPORT const char *shyper_disk_cache_name(enum shyper_disk_cache cache);

/* <interface type='bridge'|'network'>: a virtio NIC on a bridge of the MVM. */
#define SHYPER_DOMAIN_MAX_INTERFACES 4
enum shyper_interface_type {
	SHYPER_INTERFACE_BRIDGE = 1,  /* <source bridge='NAME'/> */
	SHYPER_INTERFACE_NETWORK = 2, /* <source network='NAME'/> */
};
struct shyper_domain_interface {
	enum shyper_interface_type type;
	char source[16];          /* the bridge's or network's name (an interface name) */
	uint8_t mac[6];           /* <mac address='...'/>, all zero when not given */
};

/* <on_poweroff>, <on_reboot>, <on_crash>: what shyperd does when the guest
 * powers itself off, asks for a reset, or crashes (libvirt's actions). */
enum shyper_lifecycle_action {
	SHYPER_ACTION_DEFAULT = 0, /* not given: on_poweroff destroy, on_reboot
				    * restart, on_crash preserve */
	SHYPER_ACTION_DESTROY,     /* the VM goes; its memory is back in the pool */
	SHYPER_ACTION_RESTART,     /* it boots again from its definition */
	SHYPER_ACTION_PRESERVE,    /* it stays as it stopped, memory and all,
				    * until destroyed (for inspection) */
};

/* libvirt's name of ACTION ("destroy"...); NULL for the default. */
SHYPER_EXPORT const char *shyper_lifecycle_action_name(enum shyper_lifecycle_action action);

/* <clock offset=...>: what the guest's real-time clock (its PL031) reads
 * when it starts, from the MVM's clock. */
enum shyper_clock_offset {
	SHYPER_CLOCK_UTC = 0,      /* UTC (the default, as libvirt's) */
	SHYPER_CLOCK_LOCALTIME,    /* the MVM's local time */
	SHYPER_CLOCK_VARIABLE,     /* UTC or local time (basis) plus adjustment seconds */
};

struct shyper_domain_clock {
	enum shyper_clock_offset offset;
	bool given;               /* a <clock> element was there (dumpxml writes it back) */
	bool basis_localtime;     /* variable: basis='localtime' */
	int64_t adjustment;       /* variable: seconds added to the basis */
};

/* <cpu mode=...>: the guest's vCPUs are the board's CPUs; a definition may
 * say so, or name the model the board has. */
enum shyper_cpu_mode {
	SHYPER_CPU_DEFAULT = 0,        /* no <cpu> */
	SHYPER_CPU_HOST_PASSTHROUGH,
	SHYPER_CPU_HOST_MODEL,
	SHYPER_CPU_CUSTOM,             /* <model> names the board's CPU */
	SHYPER_CPU_MAXIMUM,            /* the most a guest can have: the board's CPU */
};

#define SHYPER_CPU_MODEL_LEN 32

struct shyper_domain {
	char name[SHYPER_NAME_LEN];
	/* All zero when the definition has no <uuid>: the caller decides
	 * whether to generate one; the hypervisor treats zero as "none". */
	uint8_t uuid[16];
	enum shyper_vm_type type; /* <shyper:type>, SHYPER_VM_GVM by default */
	uint64_t memory;          /* bytes */
	unsigned int vcpu_count;
	/* pCPU of each vCPU from <vcpupin>, or SHYPER_DOMAIN_PCPU_UNPINNED. */
	int vcpu_pcpu[SHYPER_MAX_VCPUS];
	/* <os>: file paths in the MVM and the command line; NULL when absent. */
	char *kernel;
	char *initrd;
	char *cmdline;
	char *dtb;
	size_t console_count;
	struct shyper_domain_console consoles[SHYPER_DOMAIN_MAX_CONSOLES];
	size_t hostdev_count;
	struct shyper_domain_hostdev hostdevs[SHYPER_DOMAIN_MAX_HOSTDEVS];
	size_t disk_count;
	struct shyper_domain_disk disks[SHYPER_DOMAIN_MAX_DISKS];
	size_t interface_count;
	struct shyper_domain_interface interfaces[SHYPER_DOMAIN_MAX_INTERFACES];
	/* <rng model='virtio'>: a virtio entropy device (after the NICs), fed
	 * by shyperd from the MVM's /dev/urandom */
	bool rng;
	/* <title>, <description> (NULL when absent), and the children of
	 * <metadata> that are not Shyper's, as XML text: kept and written back */
	char *title;
	char *description;
	char *foreign_metadata;
	enum shyper_lifecycle_action on_poweroff, on_reboot, on_crash;
	struct shyper_domain_clock clock;
	enum shyper_cpu_mode cpu_mode;
	char cpu_model[SHYPER_CPU_MODEL_LEN]; /* SHYPER_CPU_CUSTOM's <model> */
	unsigned int gic_version;  /* <features><gic version='3'/>: 3, or 0 when not given */
	/* An RTVM's <cputune><vcpusched scheduler='fifo' priority='N'/>: N
	 * (1..99), 0 for a GVM. An RTVM's vCPUs have their pCPUs to themselves,
	 * so the priority orders nothing on Shyper; it is kept and written back. */
	unsigned int rt_priority;
	bool memory_locked;        /* <memoryBacking><locked/>: always so on Shyper */
};

/*
 * What DOM's real-time clock reads when it starts at NOW (the MVM's clock,
 * seconds since the epoch), as its <clock> asks: UTC, the MVM's local time,
 * or either plus an adjustment. Returns 0, or SHYPER_ERR_INVALID when that
 * is outside what a PL031 counts (0 .. 2^32 - 1 seconds).
 */
SHYPER_EXPORT int shyper_domain_rtc_time(const struct shyper_domain *dom, int64_t now,
					 uint64_t *seconds);

enum shyper_diag_severity {
	SHYPER_DIAG_ERROR = 1,
	SHYPER_DIAG_WARNING = 2,
};

struct shyper_diag_entry {
	enum shyper_diag_severity severity;
	long line;                /* 1-based line in the XML; 0 when none applies */
	char *message;            /* names the element or attribute concerned */
};

/* What parsing found. Zero-initialise it before the first use; release
 * it with shyper_domain_diag_free(). */
struct shyper_domain_diag {
	size_t count;
	size_t error_count;
	size_t warning_count;
	struct shyper_diag_entry *entries;
};

/*
 * Reads a definition from the file PATH, or from the LEN bytes at XML.
 * On success (no errors; warnings are allowed) *DOM is a new domain to
 * release with shyper_domain_free(). With errors, returns
 * SHYPER_ERR_INVALID and *DOM is untouched; a file that cannot be read is
 * SHYPER_ERR_NO_ENTRY (missing) or SHYPER_ERR_SYSTEM, and out of memory is
 * SHYPER_ERR_NO_MEMORY. DIAG (may be NULL) receives every error and
 * warning, appended to what it already holds.
 */
SHYPER_EXPORT int shyper_domain_parse_file(const char *path, struct shyper_domain **dom,
					   struct shyper_domain_diag *diag);
SHYPER_EXPORT int shyper_domain_parse_string(const char *xml, size_t len,
					     struct shyper_domain **dom,
					     struct shyper_domain_diag *diag);

/* Writes DOM as libvirt domain XML (<domain type='shyper'>) that
 * shyper_domain_parse_string() reads back to the same domain. Returns a
 * malloc'd NUL-terminated string for free(), or NULL if out of memory. */
SHYPER_EXPORT char *shyper_domain_to_xml(const struct shyper_domain *dom);

SHYPER_EXPORT void shyper_domain_free(struct shyper_domain *dom);

/*
 * Fills CONFIG for SHYPER_HC_VM_CREATE: size, type, name, uuid, vCPU count,
 * memory, pins (an unpinned vCPU n goes to pCPU n), entry_ipa =
 * SHYPER_DOMAIN_ENTRY_IPA and dtb_ipa = SHYPER_DOMAIN_DTB_IPA. Returns 0, or
 * SHYPER_ERR_INVALID if DOM breaks a limit (it cannot when it came from
 * the parser).
 */
SHYPER_EXPORT int shyper_domain_to_config(const struct shyper_domain *dom,
					  struct shyper_vm_config *config);

/* Where to load an initrd of SIZE bytes: the highest 4 KiB-aligned
 * address that leaves it inside the guest's RAM and above the kernel's
 * first KERNEL_SIZE bytes at SHYPER_DOMAIN_ENTRY_IPA; 0 if it does not fit. */
SHYPER_EXPORT uint64_t shyper_domain_initrd_ipa(const struct shyper_domain *dom,
						uint64_t kernel_size, uint64_t size);

/* Releases the diagnostics' messages and zeroes DIAG. */
SHYPER_EXPORT void shyper_domain_diag_free(struct shyper_domain_diag *diag);

/* Prints each entry as "SOURCE:LINE: error: MESSAGE" (or "warning"; without
 * ":LINE" when it is 0) to OUT, one per line. */
SHYPER_EXPORT void shyper_domain_diag_print(const struct shyper_domain_diag *diag,
					    const char *source, FILE *out);

/* ---- Guest device trees (guest_fdt.c) ---------------------------------------- */

/* Where the caller placed the initrd in the guest's RAM (IPA). */
struct shyper_guest_initrd {
	uint64_t ipa;
	uint64_t size;
};

/*
 * Builds the device tree vCPU 0 gets in x0 (at SHYPER_DOMAIN_DTB_IPA):
 * /memory, /cpus (enable-method psci), /psci (HVC), the GICv3, the timer,
 * the PL011 with its 24 MHz clock, and /chosen with bootargs (<cmdline>),
 * stdout-path (when a serial console is defined) and the initrd range when
 * INITRD is not NULL.
 *
 * When the definition names a <dtb>, that file is used instead: it is read,
 * checked, and only its /chosen node is updated (bootargs when <cmdline>
 * is given, the initrd range when INITRD is not NULL), as QEMU does with
 * -dtb. Nothing else in it is changed: it must describe Shyper's machine.
 *
 * On success *BLOB is a malloc'd device tree of *SIZE bytes (at most
 * SHYPER_DOMAIN_DTB_MAX_SIZE) for free(). Errors (SHYPER_ERR_INVALID for an
 * initrd outside RAM or a bad <dtb> file, SHYPER_ERR_NO_ENTRY or
 * SHYPER_ERR_SYSTEM when it cannot be read, SHYPER_ERR_NO_MEMORY) are
 * explained in DIAG (may be NULL).
 */
SHYPER_EXPORT int shyper_guest_fdt_build(const struct shyper_domain *dom,
					 const struct shyper_guest_initrd *initrd, void **blob,
					 size_t *size, struct shyper_domain_diag *diag);

/* ---- Passthrough devices (hostdev.c) ------------------------------------------ */

/*
 * Gives VM ID (created, never started) DOM's <hostdev> devices: for each,
 * the MVM's Linux driver is unbound (found under /sys/bus/platform or
 * /sys/bus/amba by its base address; driver_override keeps it unbound),
 * then SHYPER_IOC_VM_ADD_DEVICE hands it to the hypervisor. On failure the
 * caller destroys the VM and then calls shyper_hostdev_detach(): the MVM
 * must not probe a device before the hypervisor has given it back.
 */
SHYPER_EXPORT int shyper_hostdev_attach(struct shyper *h, uint32_t id,
					const struct shyper_domain *dom);

/* After the VM is destroyed: lets the MVM's drivers bind DOM's <hostdev>
 * devices again. Carries on past errors; returns the first. H may be NULL
 * (no message is recorded then). */
SHYPER_EXPORT int shyper_hostdev_detach(struct shyper *h, const struct shyper_domain *dom);

/* ---- Managed VMs: definitions kept in the MVM, and their lives (manage_*.c) --- */

/*
 * Definitions live in STATE_DIR/vms/NAME.xml (as `shyper_domain_to_xml`
 * writes them), runtime notes in RUN_DIR. The defaults below are
 * overridden by $SHYPER_STATE_DIR and $SHYPER_RUN_DIR, or by
 * shyper_set_dirs(). Every call that changes something holds an exclusive
 * lock (flock on STATE_DIR/lock) while it checks and acts, so concurrent
 * tools see each other's changes whole.
 */
#define SHYPER_DEFAULT_STATE_DIR "/var/lib/shyper"
#define SHYPER_DEFAULT_RUN_DIR "/run/shyper"

/* How long shyper_domain_shutdown() waits by default before forcing. */
#define SHYPER_SHUTDOWN_TIMEOUT_MS 30000

/* One VM as the tools show it: its definition, its life in the hypervisor,
 * or both. */
struct shyper_managed_vm {
	char name[SHYPER_NAME_LEN];
	uint8_t uuid[16];         /* all zero without a definition (the MVM) */
	bool defined;             /* it has a definition */
	bool active;              /* it exists in the hypervisor: INFO is valid */
	uint32_t state;           /* enum shyper_vm_state as users see it: a
				   * definition never started is "defined", one
				   * that has run and stopped "shutoff" */
	uint32_t type;            /* enum shyper_vm_type */
	uint32_t vcpu_count;
	uint64_t memory;          /* bytes */
	uint8_t vcpu_pcpu[SHYPER_MAX_VCPUS]; /* where each vCPU runs, or will */
	struct shyper_vm_info info;
};

/* Uses STATE_DIR and RUN_DIR (NULL: keep the current one) from now on. */
SHYPER_EXPORT int shyper_set_dirs(struct shyper *h, const char *state_dir, const char *run_dir);

/*
 * Checks DOM against this hypervisor and the other definitions and stores
 * it. Refused, with nothing changed: a vCPU pinned (or, unpinned, numbered)
 * past the last pCPU, more memory than the whole guest pool
 * (SHYPER_ERR_NO_MEMORY), a kernel, initrd or dtb that is not a readable
 * file (SHYPER_ERR_NO_ENTRY), a name or UUID another VM has
 * (SHYPER_ERR_EXISTS). A DOM without a UUID gets a random one (written
 * back into DOM). Defining a name again with the same UUID replaces the
 * definition (*REPLACED set); the new one applies from the next start.
 */
SHYPER_EXPORT int shyper_domain_define(struct shyper *h, struct shyper_domain *dom,
				       bool *replaced);

/* Removes NAME's definition. Refused while it runs, is paused or crashed
 * (SHYPER_ERR_BUSY) and for VMs without one (the MVM). */
SHYPER_EXPORT int shyper_domain_undefine(struct shyper *h, const char *name);

/* NAME's definition, for shyper_domain_free(). */
SHYPER_EXPORT int shyper_domain_lookup(struct shyper *h, const char *name,
				       struct shyper_domain **dom);

/* The definition NAME was last started from (a later redefinition only
 * applies from its next start), else its definition. For shyperd. */
SHYPER_EXPORT int shyper_domain_lookup_running(struct shyper *h, const char *name,
					       struct shyper_domain **dom);

/*
 * The bridge in the MVM that NIC is plugged into: its <source bridge=...>,
 * or the bridge of its <source network=...>. Shyper has one network,
 * "default" (the parser refuses others): the bridge virbr0 that the MVM's
 * init makes, 192.168.122.1/24, with a DHCP server for guests.
 */
#define SHYPER_NETWORK_DEFAULT "default"
#define SHYPER_NETWORK_DEFAULT_BRIDGE "virbr0"
SHYPER_EXPORT const char *shyper_domain_interface_bridge(const struct shyper_domain_interface *nic);

/* The virtio devices DOM's guest gets, by virtio-mmio slot (kind 0: empty):
 * a virtio console in slot 0 when the first <console> is virtio, then each
 * <disk> in order, then each <interface>. Block capacities are left 0.
 * Returns the number of used slots. */
SHYPER_EXPORT unsigned int shyper_domain_virtio_devices(const struct shyper_domain *dom,
							struct shyper_device_config *devs);

/* Every VM: the hypervisor's in id order (the MVM first), then definitions
 * that are not in the hypervisor, by name. Free with free(). */
SHYPER_EXPORT int shyper_managed_list(struct shyper *h, struct shyper_managed_vm **vms,
				      size_t *count);

/* One VM by name, or by id when NAME_OR_ID is a number of an active VM. */
SHYPER_EXPORT int shyper_managed_get(struct shyper *h, const char *name_or_id,
				     struct shyper_managed_vm *vm);

/*
 * Starts NAME from its definition: creates it in the hypervisor, loads
 * the kernel at SHYPER_DOMAIN_ENTRY_IPA, the initrd as high as fits and
 * the device tree (generated, or its <dtb>), and starts vCPU 0. Refused
 * when it is running or paused (SHYPER_ERR_BUSY). When anything fails,
 * the half-built VM is destroyed again: nothing changes. DIAG (may be
 * NULL) gets device-tree problems. *ID (may be NULL) is its new id.
 */
SHYPER_EXPORT int shyper_domain_start(struct shyper *h, const char *name, uint32_t *id,
				      struct shyper_domain_diag *diag);

/*
 * Stops NAME gracefully: presses its power button and waits up to
 * TIMEOUT_MS for it to power off; then (or at once when TIMEOUT_MS is 0)
 * powers it off. Its memory goes back to the pool. *FORCED (may be NULL)
 * says whether it had to be forced. A paused VM is resumed first, so that
 * it can hear the button. Not running: SHYPER_ERR_BUSY.
 */
SHYPER_EXPORT int shyper_domain_shutdown(struct shyper *h, const char *name, int timeout_ms,
					 bool *forced);

/* Powers NAME off at once and gives its memory back; a crashed VM is
 * cleared the same way. Not running: SHYPER_ERR_BUSY. */
SHYPER_EXPORT int shyper_domain_destroy(struct shyper *h, const char *name);

/* Resets NAME: powers it off, loads its images again and starts it, with
 * the same id. It must be running, paused or have just asked for a reset. */
SHYPER_EXPORT int shyper_domain_reboot(struct shyper *h, const char *name,
				       struct shyper_domain_diag *diag);

/*
 * A defined guest stopped by itself (or crashed): does what its definition
 * asks, as libvirt does: on a power-off <on_poweroff> (destroy by default:
 * the VM goes and its memory is back in the pool), on a reset <on_reboot>
 * (restart by default), on a crash <on_crash> (preserve by default: kept
 * for inspection until destroyed). A stop the tools asked for (vm stop,
 * destroy, a forced stop) is always destroy. *DONE says what was done
 * (SHYPER_ACTION_DEFAULT: nothing to do: not stopped, no definition, or the
 * MVM). shyperd calls it for every VM_STATE event and for every stopped VM
 * it finds, so a missed event changes nothing.
 */
SHYPER_EXPORT int shyper_domain_settle(struct shyper *h, const char *name,
				       enum shyper_lifecycle_action *done);

SHYPER_EXPORT int shyper_domain_pause(struct shyper *h, const char *name);
SHYPER_EXPORT int shyper_domain_resume(struct shyper *h, const char *name);

/* If NAME is in the hypervisor but shut off (it powered itself off), gives
 * its memory back. Returns 0 when there was nothing to do. For shyperd. */
SHYPER_EXPORT int shyper_domain_release(struct shyper *h, const char *name);

/* Where a console reader of NAME left off: *OFFSET into the console
 * stream of VM ID, 0 when it has not been read since that VM was created. */
SHYPER_EXPORT int shyper_console_cursor_get(struct shyper *h, const char *name, uint32_t id,
					    uint64_t *offset);
SHYPER_EXPORT int shyper_console_cursor_set(struct shyper *h, const char *name, uint32_t id,
					    uint64_t offset);

/* ---- Moving a guest: migration streams (manage_migrate.c, docs/migration.md) ---- */

/* Where a stream goes and where it comes from: 0, or a SHYPER_ERR_* with
 * the message set (shyper_fail on the handle the call was given). A
 * reader fills BUF whole; a stream that ends early is SHYPER_ERR_PROTOCOL. */
typedef int (*shyper_write_fn)(void *ctx, const void *buf, size_t len);
typedef int (*shyper_read_fn)(void *ctx, void *buf, size_t len);

struct shyper_send_progress {
	unsigned int round;       /* 1: every page; the last: stopped */
	bool stopped;             /* the guest is paused for the last copy */
	uint64_t ram_pages;
	uint64_t round_pages;     /* pages this round sends */
	uint64_t round_done;      /* of which sent */
	uint64_t dirty_pages;     /* still to send */
	uint64_t bytes;           /* stream bytes so far */
	uint64_t rate;            /* bytes per second, as the last round went */
	uint64_t expected_downtime_ms; /* the dirty pages at that rate */
	uint64_t elapsed_ns;
};

/*
 * The guests being sent from this MVM now (migrations, live saves), with
 * their progress as of a moment ago, for a dashboard: *LIST is a malloc'd
 * array of *COUNT (free() it). A sender that died is not listed.
 */
struct shyper_send_status {
	char name[SHYPER_NAME_LEN];
	int pid;                  /* the sending process */
	struct shyper_send_progress progress;
};
SHYPER_EXPORT int shyper_sends_list(struct shyper *h, struct shyper_send_status **list,
				    size_t *count);

struct shyper_send_opts {
	bool live;                /* pre-copy while it runs (else: pause, then copy) */
	unsigned int max_downtime_ms; /* stop and copy once what is left takes this */
	unsigned int max_rounds;  /* ... or after this many rounds */
	uint64_t bandwidth;       /* bytes per second at most; 0: as fast as it goes */
	void (*progress)(void *ctx, const struct shyper_send_progress *p);
	void *progress_ctx;
	const volatile int *cancel; /* set to stop: the guest goes on here */
	bool copy_storage;        /* the disk images go too (created on the receiving side) */
};

struct shyper_send_result {
	uint64_t total_ns, downtime_ns; /* downtime: paused to the stream's end */
	uint64_t bytes, pages, zero_pages;
	uint64_t disk_bytes;      /* disk image bytes sent (--copy-storage) */
	unsigned int rounds;
};

/*
 * Writes running (or paused) guest NAME as a migration stream through
 * WRITE: pre-copy rounds with dirty-page logging while it runs (OPTS NULL:
 * live, 300 ms, 30 rounds), then it is paused for the last pages and its
 * state. On success it is left paused: the caller destroys it once the
 * stream has arrived, or resumes it. On failure it runs as before.
 * Refused: the MVM, a guest with <hostdev>.
 */
SHYPER_EXPORT int shyper_domain_send(struct shyper *h, const char *name,
				     const struct shyper_send_opts *opts, shyper_write_fn write,
				     void *ctx, struct shyper_send_result *res);

struct shyper_received {
	char name[SHYPER_NAME_LEN];
	uint32_t id;              /* the guest, created and loaded, not started */
	bool defined_before;      /* its definition was here before the stream */
	uint32_t disks_created;   /* a bit per disk image the stream created here */
	bool paused;              /* its user had paused it: receive_start keeps it so */
	uint64_t bytes, pages, zero_pages, disk_bytes;
};

/*
 * Reads a migration stream through READ into a new guest: its definition
 * is stored (the same name and UUID), the guest created with its devices,
 * its pages and state loaded; it does not run until
 * shyper_domain_receive_start(). Refused before anything is made: a name
 * already in the hypervisor, a UUID another definition has, more memory
 * than is free, a <hostdev>, files of its definition missing here (or,
 * when the stream carries its disk images, those images already here: they
 * are created, never written over). On any failure nothing is left behind.
 */
SHYPER_EXPORT int shyper_domain_receive(struct shyper *h, shyper_read_fn read, void *ctx,
					struct shyper_received *out);
SHYPER_EXPORT int shyper_domain_receive_start(struct shyper *h, const struct shyper_received *in);
/*
 * Before anything moves: shyper_domain_send_check() writes the start of
 * NAME's stream (its INFO and definition, no END; COPY_STORAGE: saying its
 * disk images come too), and a destination's shyper_domain_receive_check()
 * reads such a start and answers whether it would take the guest (name and
 * UUID free, memory and pins that fit, the files of its definition here -
 * or its images absent, where they could be created - no <hostdev>),
 * creating nothing.
 */
SHYPER_EXPORT int shyper_domain_send_check(struct shyper *h, const char *name, bool copy_storage,
					   shyper_write_fn write, void *ctx);
SHYPER_EXPORT int shyper_domain_receive_check(struct shyper *h, shyper_read_fn read, void *ctx,
					      struct shyper_received *out);
/* Throws a received guest away (and a definition and disk images it brought). */
SHYPER_EXPORT int shyper_domain_receive_abort(struct shyper *h, const struct shyper_received *in);

struct shyper_migrate_opts {
	struct shyper_send_opts send;
	bool plain;               /* plain HTTP allowed (the destination too must say so) */
	const char *cert_dir;     /* this board's certificates; NULL: /etc/shyper */
	unsigned int port;        /* the destination's, for a bare board name; 0: 7979 */
};

struct shyper_migrate_result {
	struct shyper_send_result send;
	char dest[64];            /* the destination board's name */
	uint32_t dest_id;         /* the guest's id there */
};

/*
 * Moves running guest NAME to board DEST (a board name, host[:port], or an
 * https:// URL; http:// only with OPTS->plain) and its shyperd: checks the
 * destination would take it, sends it (pre-copy, then stop-and-copy), has
 * it started there, and only then destroys and undefines it here. Before
 * the destination confirms it runs, any failure leaves it running here.
 */
SHYPER_EXPORT int shyper_domain_migrate(struct shyper *h, const char *name, const char *dest,
					const struct shyper_migrate_opts *opts,
					struct shyper_migrate_result *res);

/* JSON of one managed VM and of a list (docs/json-schema.md). */
SHYPER_EXPORT struct json_object *shyper_managed_vm_to_json(const struct shyper_managed_vm *vm);
SHYPER_EXPORT struct json_object *shyper_managed_list_to_json(const struct shyper_managed_vm *vms,
							       size_t count);

#ifdef __cplusplus
}
#endif

#endif /* SHYPER_DOMAIN_H */
