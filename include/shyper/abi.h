/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Shyper's hypercall and ioctl ABI: the one source of truth shared by the
 * hypervisor (hypervisor/), the MVM's kernel module (kernel-module/) and
 * libshyper (lib/). docs/abi.md is its readable form; keep both in step.
 *
 * Hypercalls follow the SMC Calling Convention 1.1: HVC #0, function ID in
 * w0, arguments in x1..x6, status in x0 (0 or a negative SHYPER_E*), results
 * in x1..x3. Shyper's own calls are fast SMC64 calls in the vendor-specific
 * hypervisor service range (owning entity 6). Bulk data moves through the
 * caller's memory: the caller passes an IPA and a length, and the
 * hypervisor checks the whole range lies in the caller's RAM.
 *
 * Compatibility: every struct starts with its size (as the writer knows it).
 * New fields are only ever appended; a reader accepts any size at least as
 * large as the first version of the struct.
 */
#ifndef SHYPER_ABI_H
#define SHYPER_ABI_H

#if defined(__KERNEL__)
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <stdint.h>
#if !defined(SHYPER_HYPERVISOR)
#include <sys/ioctl.h>
#endif
#endif

/* ---- Versions and identity --------------------------------------------- */

#define SHYPER_ABI_MAJOR 1
#define SHYPER_ABI_MINOR 10

/*
 * Call UID: 5c6b7a1e-3d0f-4b8e-9a2c-1f7e4d5a6b90, returned as SMCCC requires
 * (w0..w3 hold bytes 0-3, 4-7, 8-11, 12-15 of the UUID, little-endian).
 */
#define SHYPER_UID_W0 0x1e7a6b5cU
#define SHYPER_UID_W1 0x8e4b0f3dU
#define SHYPER_UID_W2 0x7e1f2c9aU
#define SHYPER_UID_W3 0x906b5a4dU

/* ---- Function IDs ------------------------------------------------------ */

/* Standard queries of the vendor-specific hypervisor service (SMC32). */
#define SHYPER_HC_CALL_UID 0x8600ff01U  /* -> x0..x3 = SHYPER_UID_W0..W3 */
#define SHYPER_HC_REVISION 0x8600ff03U  /* -> x0 = major, x1 = minor */

/* Shyper's calls: fast, SMC64, owner 6. */
#define SHYPER_HC(n) (0xc6000000U | (n))
#define SHYPER_HC_NOP SHYPER_HC(0x00)        /* no-op (round-trip cost) */
#define SHYPER_HC_HV_INFO SHYPER_HC(0x01)    /* x1 = IPA, x2 = size -> x1 = bytes written */
#define SHYPER_HC_LOG_READ SHYPER_HC(0x02)   /* x1 = IPA, x2 = len, x3 = offset ->
					      * x1 = bytes copied, x2 = bytes held,
					      * x3 = bytes ever written */
#define SHYPER_HC_VM_LIST SHYPER_HC(0x03)    /* x1 = IPA of shyper_vm_info[], x2 = max ->
					      * x1 = VMs in total (entries written: min) */
#define SHYPER_HC_VM_INFO SHYPER_HC(0x04)    /* x1 = VM id, x2 = IPA, x3 = size */
#define SHYPER_HC_EVENT_SETUP SHYPER_HC(0x05) /* x1 = IPA of the event ring, x2 = size;
					       * x1 = 0: stop posting events */
#define SHYPER_HC_EVENT_PING SHYPER_HC(0x06) /* x1 = cookie: posts SHYPER_EVENT_PONG */
#define SHYPER_HC_HV_STATS SHYPER_HC(0x07)   /* ABI 1.6: x1 = IPA of shyper_pcpu_stats[],
					      * x2 = max -> x1 = pCPUs in total
					      * (entries written: min) */

/* Guest lifecycle (ABI 1.1): all take the VM id in x1. */
#define SHYPER_HC_VM_CREATE SHYPER_HC(0x10)  /* x1 = IPA of shyper_vm_config, x2 = size ->
					      * x1 = new VM id (state defined, memory zeroed) */
#define SHYPER_HC_VM_LOAD SHYPER_HC(0x11)    /* x1 = id, x2 = guest IPA, x3 = IPA of the data
					      * in the caller, x4 = length (not while running) */
#define SHYPER_HC_VM_START SHYPER_HC(0x12)   /* defined or shut off -> running */
#define SHYPER_HC_VM_STOP SHYPER_HC(0x13)    /* power off now -> shut off (memory kept) */
#define SHYPER_HC_VM_DESTROY SHYPER_HC(0x14) /* not running: memory zeroed and freed, id freed */
#define SHYPER_HC_VM_PAUSE SHYPER_HC(0x15)   /* running -> paused; 1.9: a guest whose
					       * state was loaded (VM_STATE_LOAD), not
					       * yet started -> paused without running */
#define SHYPER_HC_VM_RESUME SHYPER_HC(0x16)  /* paused -> running */
#define SHYPER_HC_CONSOLE_READ SHYPER_HC(0x17)  /* x1 = id, x2 = IPA, x3 = len, x4 = stream
						 * offset -> x1 = bytes, x2 = offset they
						 * start at, x3 = bytes ever written */
#define SHYPER_HC_CONSOLE_WRITE SHYPER_HC(0x18) /* x1 = id, x2 = IPA, x3 = len ->
						 * x1 = bytes accepted */
#define SHYPER_HC_VM_SHUTDOWN SHYPER_HC(0x19) /* x1 = id: ask a running guest to power
					       * itself off (presses its power button;
					       * ABI 1.2) */
#define SHYPER_HC_VM_ADD_DEVICE SHYPER_HC(0x1a) /* x1 = id, x2 = IPA of shyper_device_config,
						 * x3 = size: gives a VM that has never
						 * started a device (ABI 1.3) */
/*
 * Mediated virtio devices (ABI 1.4): the backend in the MVM takes requests
 * from a guest's queue and answers them; it never sees a guest address.
 * A request is one descriptor chain. FETCH copies its device-readable
 * bytes into the caller's buffer and keeps the chain in flight under a
 * token; COMPLETE copies the answer into the chain's device-writable
 * buffers (at most the room FETCH reported), returns the chain to the
 * guest and raises its interrupt. Tokens carry the device's generation:
 * after a device reset, a VM reboot or destroy they are refused.
 */
#define SHYPER_HC_VIO_FETCH SHYPER_HC(0x1b)  /* x1 = VM id, x2 = slot | queue << 8,
					      * x3 = IPA of buffer, x4 = its length ->
					      * x1 = token, x2 = readable bytes copied,
					      * x3 = writable room. E_BUSY: queue empty;
					      * E_NO_MEMORY: buffer too small, x2 =
					      * bytes needed (the chain stays queued) */
#define SHYPER_HC_VIO_COMPLETE SHYPER_HC(0x1c) /* x1 = VM id, x2 = token, x3 = IPA of
						* the answer, x4 = its length (may be
						* 0) -> x1 = bytes given to the guest */
/* ABI 1.8: live update (root in the MVM only; see struct shyper_update_report) */
#define SHYPER_HC_HV_UPDATE_STAGE SHYPER_HC(0x1d) /* x1 = offset, x2 = IPA, x3 = len,
						   * x4 = the image's total size: copy
						   * len bytes into the room set aside for
						   * a new image; offset 0 starts over,
						   * then pieces in order, each at most
						   * SHYPER_UPDATE_PIECE_MAX -> on
						   * SHYPER_E_INVALID, x1 = enum
						   * shyper_update_reason or 0 */
#define SHYPER_HC_HV_UPDATE SHYPER_HC(0x1e)  /* x1 = flags (SHYPER_UPDATE_*), x2 = IPA of a
					      * struct shyper_update_report, x3 = its size:
					      * check the staged image and, unless
					      * CHECK_ONLY, hand over to it. The report says
					      * what happened; the call returns in the new
					      * hypervisor */
/*
 * ABI 1.9: migration (the MVM only, about a GVM or RTVM). A VM's pages are
 * numbered from 0 over its RAM, region by region in IPA order (a guest's
 * one region starts at SHYPER_GUEST_RAM_BASE: page n is at that + n * 4096).
 */
#define SHYPER_HC_VM_DIRTY_LOG SHYPER_HC(0x1f) /* x1 = VM id, x2 = SHYPER_DIRTY_START or
						* SHYPER_DIRTY_STOP. Start: every page is
						* write-protected, the bitmap all clear ->
						* x1 = pages it covers. Stop: writable
						* again, the bitmap gone. A VM that is
						* destroyed stops on its own */
#define SHYPER_HC_VM_DIRTY_FETCH SHYPER_HC(0x20) /* x1 = VM id, x2 = first page (a
						  * multiple of 64), x3 = IPA, x4 = bytes
						  * (a multiple of 8, at most
						  * SHYPER_DIRTY_FETCH_MAX): copy that window
						  * of the bitmap out and clear it; its dirty
						  * pages are write-protected again before
						  * the call returns -> x1 = pages that were
						  * dirty in it */
#define SHYPER_HC_VM_MEM_READ SHYPER_HC(0x21) /* x1 = VM id, x2 = IPA of a list of page
					       * numbers (uint64_t), x3 = how many (1 ..
					       * SHYPER_MEM_PAGES_MAX), x4 = IPA of that
					       * many pages: copy the guest's pages out */
#define SHYPER_HC_VM_MEM_WRITE SHYPER_HC(0x22) /* the same arguments, into a VM that is
						* defined and has never run (a
						* migration's incoming guest) */
#define SHYPER_HC_VM_STATE_SAVE SHYPER_HC(0x23) /* x1 = VM id (paused, every vCPU off
						 * its pCPU, no mediated request in
						 * flight), x2 = IPA, x3 = size (at most
						 * SHYPER_VM_STATE_MAX): its vCPUs, GIC,
						 * timers and devices as a self-describing
						 * string -> x1 = bytes written */
#define SHYPER_HC_VM_STATE_LOAD SHYPER_HC(0x24) /* x1 = VM id (defined, never ran), x2 =
						 * IPA, x3 = size: check a string from
						 * STATE_SAVE whole, then take it; the next
						 * VM_START resumes the guest from it */
/* ABI 1.10 */
#define SHYPER_HC_VM_STATS SHYPER_HC(0x25)      /* x1 = IPA of shyper_vm_stats[], x2 =
						 * max -> x1 = VMs in total (entries
						 * written: min), in id order as VM_LIST */
#define SHYPER_HC_LAST 0x25

/* ---- Status codes (x0) ------------------------------------------------- */

#define SHYPER_OK 0
#define SHYPER_E_NOT_SUPPORTED (-1)  /* unknown function: SMCCC's NOT_SUPPORTED */
#define SHYPER_E_INVALID (-2)        /* an argument is out of range */
#define SHYPER_E_DENIED (-3)         /* the caller may not make this call */
#define SHYPER_E_BAD_ADDRESS (-4)    /* a buffer is not wholly in the caller's RAM */
#define SHYPER_E_NO_ENTRY (-5)       /* no such VM */
#define SHYPER_E_BUSY (-6)           /* already set up / in the wrong state */
#define SHYPER_E_EXISTS (-7)         /* a VM with that name or UUID exists (1.1) */
#define SHYPER_E_NO_MEMORY (-8)      /* not enough free guest memory (1.1) */
#define SHYPER_E_TOO_MANY (-9)       /* no free VM slot (1.1) */
#define SHYPER_E_ABORTED (-10)       /* begun, then undone: nothing changed (1.8) */

/* ---- Objects ----------------------------------------------------------- */

/* Migration (ABI 1.9) */
#define SHYPER_DIRTY_START 1
#define SHYPER_DIRTY_STOP 0
#define SHYPER_PAGE_SIZE 4096
#define SHYPER_DIRTY_FETCH_MAX 65536 /* bitmap bytes per call: 2 GiB of RAM */
#define SHYPER_MEM_PAGES_MAX 256     /* pages per MEM_READ / MEM_WRITE: 1 MiB */
#define SHYPER_VM_STATE_MAX (1024 * 1024) /* bytes of a STATE_SAVE string */

#define SHYPER_NAME_LEN 32
#define SHYPER_MAX_VCPUS 8

enum shyper_vm_type {
	SHYPER_VM_MVM = 0,
	SHYPER_VM_GVM = 1,
	SHYPER_VM_RTVM = 2,
};

enum shyper_vm_state {
	SHYPER_VM_DEFINED = 1,
	SHYPER_VM_RUNNING = 2,
	SHYPER_VM_PAUSED = 3,
	SHYPER_VM_SHUTOFF = 4,
	SHYPER_VM_CRASHED = 5,
};

struct shyper_hv_info {
	uint32_t size;            /* sizeof as written by the hypervisor */
	uint32_t abi_version;     /* major << 16 | minor */
	char version[32];         /* hypervisor version string, NUL-terminated */
	char board[64];           /* board model, NUL-terminated */
	uint32_t gic_version;
	uint32_t pcpu_count;
	uint64_t mem_total;       /* board RAM, bytes */
	uint64_t mem_hypervisor;  /* kept by the hypervisor, bytes */
	uint64_t pool_total;      /* memory for guests, bytes */
	uint64_t pool_free;
	uint64_t uptime_ns;       /* since the hypervisor started */
	uint32_t vm_count;
	uint32_t vm_max;
	/* ABI 1.7 */
	uint8_t build_id[8];      /* first bytes of its image's SHA-256 (shyper/image.h); 0: unsealed */
	uint32_t state_version;   /* the state layout version it lays out (live update) */
	uint32_t update_count;    /* ABI 1.8: live updates since the board booted */
	/* ABI 1.8 */
	uint64_t mem_hypervisor_free; /* of mem_hypervisor, free for VMs' tables and devices */
	uint64_t last_update_pause_ns; /* the longest any pCPU stopped, last live update */
};
/* The first layouts' sizes, as numbers: a field appended later must not
 * move them (the structs may only grow past them). */
#define SHYPER_HV_INFO_SIZE_V1 160U
_Static_assert(sizeof(struct shyper_hv_info) >= SHYPER_HV_INFO_SIZE_V1,
	       "struct shyper_hv_info lost part of its first layout");

struct shyper_vm_info {
	uint32_t size;
	uint32_t id;
	char name[SHYPER_NAME_LEN];
	uint32_t type;            /* enum shyper_vm_type */
	uint32_t state;           /* enum shyper_vm_state */
	uint32_t vcpu_count;
	uint32_t stop_reason;     /* ABI 1.6: enum shyper_stop_reason of its last stop */
	uint64_t memory;          /* bytes */
	uint64_t uptime_ns;       /* since it last started; 0 if not running */
	uint64_t exits;           /* traps to the hypervisor, all vCPUs */
	uint8_t vcpu_pcpu[SHYPER_MAX_VCPUS]; /* pCPU each vCPU runs on */
};
#define SHYPER_VM_INFO_SIZE_V1 88U
_Static_assert(sizeof(struct shyper_vm_info) >= SHYPER_VM_INFO_SIZE_V1,
	       "struct shyper_vm_info lost part of its first layout");

/*
 * What one pCPU has done since it came online (SHYPER_HC_HV_STATS, ABI 1.6):
 * cumulative counters, which tools turn into rates. Time spent running
 * guests is online_ns - el2_ns - idle_ns.
 */
struct shyper_pcpu_stats {
	uint32_t pcpu;            /* its index */
	uint32_t online;          /* 1 once it runs the hypervisor */
	uint64_t exits;           /* traps from guests it handled */
	uint64_t irqs;            /* physical interrupts it took at EL2 */
	uint64_t ipis;            /* of those, the hypervisor's own inter-pCPU ones */
	uint64_t el2_ns;          /* time at EL2 handling exits and interrupts */
	uint64_t idle_ns;         /* time with nothing to run (waiting at EL2) */
	uint64_t online_ns;       /* time since it came online */
	uint32_t vm_id;           /* the VM whose vCPU it runs now, or SHYPER_NO_VM */
	uint32_t vcpu;            /* that vCPU's index */
};
#define SHYPER_NO_VM 0xffffffffU
#define SHYPER_PCPU_STATS_MAX 64

/*
 * A guest VM to create (SHYPER_HC_VM_CREATE). Guests see a fixed machine
 * modelled on QEMU virt: RAM at SHYPER_GUEST_RAM_BASE, a GICv3 distributor
 * and redistributors, a PL011 UART (level SPI SHYPER_GUEST_UART_SPI), the
 * architected timer (PPIs 13, 14, 11, 10 in device-tree numbering) and PSCI
 * over HVC. Their device tree is generated by the MVM's tools.
 */
#define SHYPER_GUEST_RAM_BASE 0x40000000ULL
#define SHYPER_GUEST_GICD_BASE 0x08000000ULL
#define SHYPER_GUEST_GICR_BASE 0x080a0000ULL
#define SHYPER_GUEST_UART_BASE 0x09000000ULL
#define SHYPER_GUEST_UART_SPI 1          /* INTID 33 */
#define SHYPER_GUEST_NR_SPIS 64
/* ABI 1.2: a PL061 GPIO controller whose line SHYPER_GUEST_POWER_GPIO is the
 * power button (as QEMU virt wires it: gpio-keys, KEY_POWER). */
#define SHYPER_GUEST_GPIO_BASE 0x09030000ULL
#define SHYPER_GUEST_GPIO_SPI 7          /* INTID 39 */
#define SHYPER_GUEST_POWER_GPIO 3
/* ABI 1.3: virtio-mmio (version 2) transports, as QEMU virt places them:
 * slot N at SHYPER_GUEST_VIRTIO_BASE + N * SHYPER_GUEST_VIRTIO_STRIDE, its
 * interrupt on SPI SHYPER_GUEST_VIRTIO_SPI + N (edge-free: level-high). */
#define SHYPER_GUEST_VIRTIO_BASE 0x0a000000ULL
#define SHYPER_GUEST_VIRTIO_STRIDE 0x200ULL
#define SHYPER_GUEST_VIRTIO_SLOTS 8
#define SHYPER_GUEST_VIRTIO_SPI 16       /* slot 0: INTID 48 */
/* ABI 1.6: a PL031 real-time clock (SHYPER_DEV_RTC), where QEMU virt has its
 * own; a guest given the board's PL031 (passthrough) has that one instead. */
#define SHYPER_GUEST_RTC_BASE 0x09010000ULL
#define SHYPER_GUEST_RTC_SPI 2           /* INTID 34 */
#define SHYPER_GUEST_MEM_ALIGN (2ULL << 20)
#define SHYPER_GUEST_MEM_MAX (8ULL << 30)

struct shyper_vm_config {
	uint32_t size;
	uint32_t type;            /* SHYPER_VM_GVM or SHYPER_VM_RTVM */
	char name[SHYPER_NAME_LEN]; /* [A-Za-z0-9._-], NUL-terminated, unique */
	uint8_t uuid[16];         /* all zero: none; otherwise unique */
	uint32_t vcpu_count;      /* 1..SHYPER_MAX_VCPUS */
	uint32_t flags;           /* must be 0 */
	uint64_t memory;          /* bytes: a multiple of SHYPER_GUEST_MEM_ALIGN */
	uint64_t entry_ipa;       /* where vCPU 0 starts, inside its RAM */
	uint64_t dtb_ipa;         /* x0 at entry, inside its RAM, or 0 */
	uint8_t vcpu_pcpu[SHYPER_MAX_VCPUS]; /* pCPU each vCPU is pinned to */
};
#define SHYPER_VM_CONFIG_SIZE_V1 96U
_Static_assert(sizeof(struct shyper_vm_config) >= SHYPER_VM_CONFIG_SIZE_V1,
	       "struct shyper_vm_config lost part of its first layout");

/*
 * A device for a guest (SHYPER_HC_VM_ADD_DEVICE, ABI 1.3), added after
 * VM_CREATE and before the VM first starts. Virtio devices sit in a
 * virtio-mmio slot of the guest machine; a passthrough device is a board
 * MMIO range the MVM owned, mapped at the same address (IPA == PA), with
 * its SPI routed to the guest alone, until the VM is destroyed.
 */
enum shyper_device_kind {
	SHYPER_DEV_VIRTIO_CONSOLE = 1, /* emulated in the hypervisor */
	SHYPER_DEV_VIRTIO_BLOCK = 2,   /* mediated: backend in the MVM */
	SHYPER_DEV_VIRTIO_NET = 3,     /* mediated: backend in the MVM */
	SHYPER_DEV_PASSTHROUGH = 4,
	SHYPER_DEV_RTC = 5,            /* ABI 1.6: emulated PL031 at SHYPER_GUEST_RTC_BASE */
	SHYPER_DEV_VIRTIO_RNG = 6,     /* ABI 1.6: mediated: backend in the MVM */
};

#define SHYPER_DEV_F_READONLY 0x1      /* block: the guest may not write */
#define SHYPER_DEV_NO_IRQ 0xffffffffU  /* passthrough without an interrupt */

struct shyper_device_config {
	uint32_t size;            /* sizeof as the writer knows it */
	uint32_t kind;            /* enum shyper_device_kind */
	uint32_t slot;            /* virtio: 0..SHYPER_GUEST_VIRTIO_SLOTS-1, unused */
	uint32_t flags;           /* SHYPER_DEV_F_*; others must be 0 */
	union {
		uint64_t capacity; /* block: size in 512-byte sectors */
		uint64_t rtc_time; /* rtc: what it reads now, seconds since 1970-01-01
				    * 00:00:00 UTC; it counts on from there by itself,
				    * across the guest's reboots */
	};
	uint8_t mac[6];           /* net: the guest's MAC address */
	uint8_t reserved0[2];     /* must be 0 */
	uint64_t base;            /* passthrough: MMIO base (page-aligned) */
	uint64_t length;          /* passthrough: bytes (page multiple) */
	uint32_t spi;             /* passthrough: SPI (INTID - 32), or SHYPER_DEV_NO_IRQ */
	uint32_t reserved1;       /* must be 0 */
};
#define SHYPER_DEVICE_CONFIG_SIZE_V1 56U
_Static_assert(sizeof(struct shyper_device_config) >= SHYPER_DEVICE_CONFIG_SIZE_V1,
	       "struct shyper_device_config lost part of its first layout");

/*
 * What every VM has done (SHYPER_HC_VM_STATS, ABI 1.10): cumulative
 * counters of each vCPU and virtio device since the VM was created on this
 * board, for all VMs in one call. Tools turn them into rates.
 */
enum shyper_exit_kind {
	SHYPER_EXIT_HVC = 0,      /* hypercalls (this ABI, PSCI) */
	SHYPER_EXIT_SMC = 1,
	SHYPER_EXIT_DABT = 2,     /* data aborts: emulated MMIO, dirty logging */
	SHYPER_EXIT_IABT = 3,
	SHYPER_EXIT_SYSREG = 4,   /* trapped system registers (GIC SGIs) */
	SHYPER_EXIT_WFX = 5,      /* WFI/WFE: the guest had nothing to do */
	SHYPER_EXIT_IRQ = 6,      /* physical interrupts taken while it ran */
	SHYPER_EXIT_OTHER = 7,
	SHYPER_EXIT_KINDS = 8,
};

enum shyper_vcpu_run_state {
	SHYPER_VCPU_OFF = 0,      /* powered off, or its VM is not running */
	SHYPER_VCPU_RUNNING = 1,  /* runnable: in its guest, or its turn will come */
	SHYPER_VCPU_BLOCKED = 2,  /* waiting in WFI for an interrupt */
	SHYPER_VCPU_PAUSED = 3,   /* on, but its VM is paused */
};

struct shyper_vcpu_stats {
	uint32_t pcpu;            /* the pCPU it is pinned to */
	uint32_t state;           /* enum shyper_vcpu_run_state */
	uint64_t run_ns;          /* time in its guest (EL1/EL0) */
	uint64_t irqs;            /* virtual interrupts injected (not an RTVM's
				   * direct ones, which never pass the hypervisor) */
	uint64_t exits[SHYPER_EXIT_KINDS]; /* by enum shyper_exit_kind */
};

struct shyper_vdev_stats {
	uint32_t kind;            /* enum shyper_device_kind (virtio ones); 0: empty slot */
	uint32_t slot;            /* virtio-mmio slot */
	uint64_t requests;        /* buffers the device answered, every queue */
	uint64_t bytes_in;        /* bytes it wrote into the guest (disk reads, net rx),
				   * virtio headers included */
	uint64_t bytes_out;       /* bytes it took from the guest (disk writes, net tx) */
};

struct shyper_vm_stats {
	uint32_t size;            /* sizeof as written by the hypervisor */
	uint32_t id;
	uint32_t vcpu_count;      /* entries of vcpus[] in use */
	uint32_t state;           /* enum shyper_vm_state */
	uint64_t uptime_ns;       /* since it last started; 0 if not running */
	struct shyper_vcpu_stats vcpus[SHYPER_MAX_VCPUS];
	struct shyper_vdev_stats vdevs[SHYPER_GUEST_VIRTIO_SLOTS]; /* by slot */
};
#define SHYPER_VM_STATS_MAX 16

/* ---- Live update (ABI 1.8) --------------------------------------------- */

#define SHYPER_UPDATE_CHECK_ONLY 0x1U  /* check the staged image; change nothing */
#define SHYPER_UPDATE_PIECE_MAX (1U << 20)

/* Why an image was refused or an update undone (0: neither). */
enum shyper_update_reason {
	SHYPER_UPDATE_OK = 0,
	SHYPER_UPDATE_EMPTY = 1,           /* no bytes at all */
	SHYPER_UPDATE_TRUNCATED = 2,       /* shorter than its headers or than it says */
	SHYPER_UPDATE_ELF = 3,             /* an ELF file, not the flat image */
	SHYPER_UPDATE_NOT_ARM64_IMAGE = 4, /* no arm64 Image header */
	SHYPER_UPDATE_NOT_SHYPER = 5,      /* an arm64 Image that is not Shyper (a Linux kernel) */
	SHYPER_UPDATE_BAD_HEADER = 6,      /* its Shyper header is malformed */
	SHYPER_UPDATE_WRONG_ARCH = 7,
	SHYPER_UPDATE_ABI_MISMATCH = 8,    /* another ABI major, or an older minor */
	SHYPER_UPDATE_STATE_TOO_NEW = 9,   /* our state layout is newer than it knows */
	SHYPER_UPDATE_STATE_TOO_OLD = 10,  /* it cannot convert our older state layout */
	SHYPER_UPDATE_TOO_LARGE = 11,      /* more than the room set aside */
	SHYPER_UPDATE_SIZE_MISMATCH = 12,  /* longer than its header says */
	SHYPER_UPDATE_DIGEST_MISMATCH = 13, /* its SHA-256 is not the sealed one */
	SHYPER_UPDATE_NOT_STAGED = 14,     /* no image, or not all of it, was staged */
	SHYPER_UPDATE_NO_ROOM = 15,        /* no room could be set aside at boot */
	SHYPER_UPDATE_RENDEZVOUS = 16,     /* a pCPU did not stop in time (pcpu says which) */
	SHYPER_UPDATE_ROLLED_BACK = 17,    /* the new image gave control back (detail says why) */
};

struct shyper_update_report {
	uint32_t size;            /* sizeof as written by the hypervisor */
	uint32_t reason;          /* enum shyper_update_reason */
	uint32_t flags;           /* as asked */
	uint32_t update_count;    /* live updates since boot, this one included */
	char old_version[32];     /* the hypervisor that was running */
	char new_version[32];     /* the image's (once its header was read) */
	uint8_t old_build_id[8];
	uint8_t new_build_id[8];
	uint32_t old_state_version;
	uint32_t new_state_version;
	uint64_t image_size;      /* bytes staged */
	uint64_t stage_ns;        /* copying it in (the MVM's module fills this in) */
	uint64_t check_ns;        /* checking the image, guests running */
	uint64_t rendezvous_ns;   /* from asking every pCPU to stop until all had */
	uint64_t takeover_ns;     /* the new image taking over, every pCPU stopped */
	uint64_t resume_ns;       /* from then until every pCPU was back to its guests */
	uint64_t pause_ns;        /* the longest any pCPU was away from its guests */
	uint32_t pcpu;            /* RENDEZVOUS: a pCPU that did not stop */
	uint32_t converted;       /* 1: the state layout was converted */
	char detail[96];          /* ROLLED_BACK: the new image's reason, NUL-terminated */
};
#define SHYPER_UPDATE_REPORT_SIZE_V1 264U
_Static_assert(sizeof(struct shyper_update_report) >= SHYPER_UPDATE_REPORT_SIZE_V1,
	       "struct shyper_update_report lost part of its first layout");

/* ---- Events: hypervisor -> MVM ----------------------------------------- */

/*
 * A ring in MVM memory, registered with SHYPER_HC_EVENT_SETUP. The
 * hypervisor writes entries and advances head; the MVM reads and advances
 * tail. When the ring is full new events are counted in `dropped`. After
 * posting, the hypervisor raises the interrupt named in the
 * "shyper,hypervisor" device-tree node.
 */
#define SHYPER_EVENT_RING_MAGIC 0x53455652U /* "SEVR" */

/* Why a VM last stopped (SHYPER_EVENT_VM_STATE's data[1], shyper_vm_info's
 * stop_reason): what a guest decides itself is the MVM's to act on as its
 * definition says (libvirt's <on_poweroff>, <on_reboot>). */
enum shyper_stop_reason {
	SHYPER_STOP_BY_MVM = 0,        /* a management call, or it has not stopped */
	SHYPER_STOP_GUEST_RESET = 1,   /* it asked for a reset (PSCI SYSTEM_RESET) */
	SHYPER_STOP_GUEST_POWEROFF = 2, /* it powered itself off (PSCI SYSTEM_OFF) */
};

enum shyper_event_type {
	SHYPER_EVENT_PONG = 1,     /* data[0] = cookie of SHYPER_HC_EVENT_PING */
	SHYPER_EVENT_VM_STATE = 2, /* vm_id changed state: data[0] = new state,
				    * data[1] = enum shyper_stop_reason (ABI 1.6;
				    * before, 1 for a reset and 0 otherwise) */
	SHYPER_EVENT_CONSOLE = 3,  /* vm_id's console has new output: data[0] =
				    * bytes ever written (one event per read) */
	SHYPER_EVENT_VIO = 4,      /* ABI 1.4: vm_id's mediated device has
				    * requests: data[0] = slot, data[1] = bit
				    * mask of queues with work (posted once
				    * until a FETCH finds that queue empty) */
};

struct shyper_event {
	uint32_t type;
	uint32_t vm_id;
	uint64_t seq;             /* 1, 2, 3... across all events */
	uint64_t data[2];
};

struct shyper_event_ring {
	uint32_t magic;
	uint32_t entries;         /* capacity, a power of two */
	uint32_t head;            /* next entry the hypervisor writes (free-running) */
	uint32_t tail;            /* next entry the MVM reads (free-running) */
	uint32_t dropped;
	uint32_t reserved[3];
	struct shyper_event ev[];
};

/* ---- ioctls of /dev/shyper (kernel module) ------------------------------ */

#if !defined(SHYPER_HYPERVISOR)

#define SHYPER_IOC_MAGIC 0xb7

struct shyper_ioc_log_read {
	uint64_t buf;             /* user pointer */
	uint32_t len;             /* at most SHYPER_LOG_READ_MAX */
	uint32_t reserved;        /* must be 0 */
	uint64_t offset;          /* into what the ring holds now, oldest first */
	uint64_t copied;          /* out */
	uint64_t held;            /* out: bytes the ring holds */
	uint64_t written;         /* out: bytes ever written */
};
#define SHYPER_LOG_READ_MAX 65536

struct shyper_ioc_vm_list {
	uint64_t buf;             /* user pointer to struct shyper_vm_info[max] */
	uint32_t max;             /* at most SHYPER_VM_LIST_MAX */
	uint32_t count;           /* out: VMs in total */
};
#define SHYPER_VM_LIST_MAX 64

struct shyper_ioc_hv_stats {
	uint64_t buf;             /* user pointer to struct shyper_pcpu_stats[max] */
	uint32_t max;             /* at most SHYPER_PCPU_STATS_MAX */
	uint32_t count;           /* out: pCPUs in total */
};

struct shyper_ioc_vm_info {
	uint32_t id;
	uint32_t reserved;        /* must be 0 */
	struct shyper_vm_info info; /* out */
};

/* Guest lifecycle (ABI 1.1) */
struct shyper_ioc_vm_create {
	struct shyper_vm_config config;
	uint32_t id;              /* out */
	uint32_t reserved;        /* must be 0 */
};

struct shyper_ioc_vm_load {
	uint32_t id;
	uint32_t reserved;        /* must be 0 */
	uint64_t guest_ipa;       /* where in the guest's RAM */
	uint64_t buf;             /* user pointer */
	uint64_t len;             /* any length: the module copies it in pieces */
};

enum shyper_vm_op {
	SHYPER_VM_OP_START = 1,
	SHYPER_VM_OP_STOP = 2,
	SHYPER_VM_OP_DESTROY = 3,
	SHYPER_VM_OP_PAUSE = 4,
	SHYPER_VM_OP_RESUME = 5,
	SHYPER_VM_OP_SHUTDOWN = 6, /* ABI 1.2: SHYPER_HC_VM_SHUTDOWN */
};

struct shyper_ioc_vm_control {
	uint32_t id;
	uint32_t op;              /* enum shyper_vm_op */
};

/* ABI 1.4: mediated virtio devices */
struct shyper_ioc_vio_fetch {
	uint32_t id;
	uint16_t slot;
	uint16_t queue;
	uint64_t buf;             /* user pointer; 0 (with a length): the mapped buffer */
	uint32_t len;             /* at most SHYPER_VIO_IO_MAX */
	uint32_t offset;          /* ABI 1.5: with buf 0, where in the mapped buffer the
				   * request goes (offset + len <= SHYPER_VIO_IO_MAX);
				   * 0 otherwise. Was "reserved, 0" before. */
	uint64_t token;           /* out */
	uint64_t readable;        /* out: bytes copied (or needed, on ENOSPC) */
	uint64_t writable;        /* out: room for the answer */
};

struct shyper_ioc_vio_complete {
	uint32_t id;
	uint32_t len;             /* at most SHYPER_VIO_IO_MAX */
	uint64_t token;
	uint64_t buf;             /* user pointer to the answer */
	uint64_t done;            /* out: bytes given to the guest */
};
/* Bytes one fetch or completion moves (2 MiB since ABI 1.5; 1 MiB before).
 * Linux caps a block request at 1280 KiB by default whatever its page size
 * (with 16 or 64 KiB pages it takes segments of a page, whatever size_max
 * says), so every such request fits, header and status included. */
#define SHYPER_VIO_IO_MAX (1U << 21)

/* ABI 1.3 */
struct shyper_ioc_vm_device {
	uint32_t id;
	uint32_t reserved;        /* must be 0 */
	struct shyper_device_config device;
};

struct shyper_ioc_console {
	uint32_t id;
	uint32_t len;             /* at most SHYPER_CONSOLE_IO_MAX */
	uint64_t buf;             /* user pointer */
	uint64_t offset;          /* read: stream offset wanted; out: where the bytes start */
	uint64_t done;            /* out: bytes read or accepted */
	uint64_t written;         /* out (read): bytes the guest ever wrote */
};
#define SHYPER_CONSOLE_IO_MAX 65536

/* Live update (ABI 1.8): CAP_SYS_ADMIN only. The module stages the image in
 * pieces, then asks for the check or the hand-over; report comes back
 * filled in whatever happened (its reason says why not). */
struct shyper_ioc_hv_update {
	uint64_t image;           /* user pointer to the image */
	uint64_t len;             /* its bytes (0: an empty image, refused as such) */
	uint32_t flags;           /* SHYPER_UPDATE_* */
	uint32_t reserved;        /* must be 0 */
	struct shyper_update_report report; /* out */
};

/*
 * Migration (ABI 1.9): CAP_SYS_ADMIN only (they read and write guests'
 * memory). Page numbers as for SHYPER_HC_VM_MEM_READ.
 */
struct shyper_ioc_dirty_log {
	uint32_t id;
	uint32_t op;              /* SHYPER_DIRTY_START or SHYPER_DIRTY_STOP */
	uint64_t pages;           /* out (start): pages the bitmap covers */
};

struct shyper_ioc_dirty_fetch {
	uint32_t id;
	uint32_t reserved;        /* must be 0 */
	uint64_t first_page;      /* a multiple of 64 */
	uint64_t buf;             /* user pointer: the bitmap window goes there */
	uint64_t len;             /* its bytes, a multiple of 8 (the module moves any
				   * number in pieces) */
	uint64_t dirty;           /* out: pages that were dirty in the window */
};

struct shyper_ioc_vm_pages {
	uint32_t id;
	uint32_t count;           /* pages, 1 .. SHYPER_IOC_PAGES_MAX */
	uint64_t pages;           /* user pointer to COUNT page numbers (uint64_t) */
	uint64_t buf;             /* user pointer to COUNT * SHYPER_PAGE_SIZE bytes */
};
#define SHYPER_IOC_PAGES_MAX 4096

/* Every VM's counters (SHYPER_HC_VM_STATS, ABI 1.10), as SHYPER_IOC_HV_STATS. */
struct shyper_ioc_vm_stats {
	uint64_t buf;             /* user pointer to struct shyper_vm_stats[max] */
	uint32_t max;             /* at most SHYPER_VM_STATS_MAX */
	uint32_t count;           /* out: VMs in total */
};

/* A guest's state (SHYPER_HC_VM_STATE_SAVE / _LOAD), CAP_SYS_ADMIN only. */
struct shyper_ioc_vm_state {
	uint32_t id;
	uint32_t reserved;        /* must be 0 */
	uint64_t buf;             /* user pointer */
	uint64_t len;             /* save: room, out: bytes written; load: bytes.
				   * At most SHYPER_VM_STATE_MAX */
};

#define SHYPER_IOC_NOP _IO(SHYPER_IOC_MAGIC, 0x00)
#define SHYPER_IOC_HV_INFO _IOR(SHYPER_IOC_MAGIC, 0x01, struct shyper_hv_info)
#define SHYPER_IOC_LOG_READ _IOWR(SHYPER_IOC_MAGIC, 0x02, struct shyper_ioc_log_read)
#define SHYPER_IOC_VM_LIST _IOWR(SHYPER_IOC_MAGIC, 0x03, struct shyper_ioc_vm_list)
#define SHYPER_IOC_VM_INFO _IOWR(SHYPER_IOC_MAGIC, 0x04, struct shyper_ioc_vm_info)
#define SHYPER_IOC_PING _IOW(SHYPER_IOC_MAGIC, 0x06, uint64_t)
#define SHYPER_IOC_HV_STATS _IOWR(SHYPER_IOC_MAGIC, 0x07, struct shyper_ioc_hv_stats)
#define SHYPER_IOC_VM_CREATE _IOWR(SHYPER_IOC_MAGIC, 0x10, struct shyper_ioc_vm_create)
#define SHYPER_IOC_VM_LOAD _IOW(SHYPER_IOC_MAGIC, 0x11, struct shyper_ioc_vm_load)
#define SHYPER_IOC_VM_CONTROL _IOW(SHYPER_IOC_MAGIC, 0x12, struct shyper_ioc_vm_control)
#define SHYPER_IOC_CONSOLE_READ _IOWR(SHYPER_IOC_MAGIC, 0x17, struct shyper_ioc_console)
#define SHYPER_IOC_CONSOLE_WRITE _IOWR(SHYPER_IOC_MAGIC, 0x18, struct shyper_ioc_console)
#define SHYPER_IOC_VM_ADD_DEVICE _IOW(SHYPER_IOC_MAGIC, 0x1a, struct shyper_ioc_vm_device)
#define SHYPER_IOC_VIO_FETCH _IOWR(SHYPER_IOC_MAGIC, 0x1b, struct shyper_ioc_vio_fetch)
#define SHYPER_IOC_VIO_COMPLETE _IOWR(SHYPER_IOC_MAGIC, 0x1c, struct shyper_ioc_vio_complete)
#define SHYPER_IOC_HV_UPDATE _IOWR(SHYPER_IOC_MAGIC, 0x1e, struct shyper_ioc_hv_update)
#define SHYPER_IOC_VM_DIRTY_LOG _IOWR(SHYPER_IOC_MAGIC, 0x1f, struct shyper_ioc_dirty_log)
#define SHYPER_IOC_VM_DIRTY_FETCH _IOWR(SHYPER_IOC_MAGIC, 0x20, struct shyper_ioc_dirty_fetch)
#define SHYPER_IOC_VM_MEM_READ _IOW(SHYPER_IOC_MAGIC, 0x21, struct shyper_ioc_vm_pages)
#define SHYPER_IOC_VM_MEM_WRITE _IOW(SHYPER_IOC_MAGIC, 0x22, struct shyper_ioc_vm_pages)
#define SHYPER_IOC_VM_STATE_SAVE _IOWR(SHYPER_IOC_MAGIC, 0x23, struct shyper_ioc_vm_state)
#define SHYPER_IOC_VM_STATE_LOAD _IOW(SHYPER_IOC_MAGIC, 0x24, struct shyper_ioc_vm_state)
#define SHYPER_IOC_VM_STATS _IOWR(SHYPER_IOC_MAGIC, 0x25, struct shyper_ioc_vm_stats)

/* read() on /dev/shyper returns whole struct shyper_event records. */

#endif /* !SHYPER_HYPERVISOR */

#endif /* SHYPER_ABI_H */
