/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual machines and their vCPUs. These structures live in the persistent
 * state area (hv/state.h): plain data, ids instead of pointers into code, so
 * that they can be streamed out for migration and taken over by a newer
 * hypervisor image in a live update.
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <hv/pgtable.h>
#include <hv/spinlock.h>
#include <hv/vconsole.h>
#include <hv/vgic.h>
#include <hv/vgpio.h>
#include <hv/vrtc.h>
#include <hv/virtio.h>
#include <shyper/abi.h>

#define MAX_PCPUS 8
#define MAX_VMS 8
#define MAX_VCPUS 8          /* per VM */
#define MAX_VM_MEM_REGIONS 4
#define MAX_VM_DEVICES 48    /* passthrough MMIO ranges */
#define VM_NAME_LEN 32

enum vm_type {
	VM_TYPE_MVM = 0,
	VM_TYPE_GVM = 1,
	VM_TYPE_RTVM = 2,
};

enum vm_state {
	VM_STATE_FREE = 0,
	VM_STATE_DEFINED,
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_SHUTOFF,
	VM_STATE_CRASHED,
};

enum vcpu_power {
	VCPU_OFF = 0,
	VCPU_ON_PENDING,
	VCPU_ON,
};

/* General registers and the exception return state, saved on every exit. */
struct vcpu_regs {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
};

/* EL1 system registers, timer and GIC CPU-interface state: saved only
 * when the vCPU leaves its pCPU. */
struct vcpu_sysregs {
	uint64_t sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, mair, amair, vbar;
	uint64_t esr, far, afsr0, afsr1, contextidr, par;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr_el1, spsr_el1;
	uint64_t cntkctl, cntv_ctl, cntv_cval, csselr, mdscr;
	uint64_t ich_vmcr, ich_ap0r[4], ich_ap1r[4], ich_lr[16];
	uint64_t icc_ap1r0; /* direct mode: the guest's physical active priorities */
};

/* FP/SIMD registers: switched only when a vCPU leaves its pCPU. */
struct vcpu_fpregs {
	uint64_t v[64]; /* q0..q31, low half first */
	uint64_t fpsr, fpcr;
};

/* The ABI's kinds (SHYPER_HC_VM_STATS reports the counters as they are). */
enum vcpu_exit_kind {
	EXIT_HVC = SHYPER_EXIT_HVC,
	EXIT_SMC = SHYPER_EXIT_SMC,
	EXIT_DABT = SHYPER_EXIT_DABT,
	EXIT_IABT = SHYPER_EXIT_IABT,
	EXIT_SYSREG = SHYPER_EXIT_SYSREG,
	EXIT_WFX = SHYPER_EXIT_WFX,
	EXIT_IRQ = SHYPER_EXIT_IRQ,
	EXIT_OTHER = SHYPER_EXIT_OTHER,
	EXIT_KINDS = SHYPER_EXIT_KINDS,
};

struct vcpu {
#ifdef SHYPER_STATE_TEST_NEXT
	uint64_t test_marker;  /* state layout 8 (a test build): every field after moves */
#endif
	struct vcpu_regs regs;
	struct vcpu_sysregs sys;
	struct vcpu_fpregs fp;
	uint16_t vm_id;
	uint8_t index;
	uint8_t pcpu;          /* pCPU it is pinned to */
	uint8_t power;         /* enum vcpu_power */
	bool reset_pending;    /* load fresh EL1 state before the next entry */
	bool loaded;           /* its EL1 state is in the pCPU's registers */
	uint8_t blocked;       /* in WFI with nothing to do (atomic) */
	bool vtimer_active;    /* its timer interrupt was active when it left */
	bool irq_direct;       /* RTVM: takes its interrupts at EL1 (HCR_EL2.IMO clear) */
	uint64_t wake_at;      /* blocked: counter value its timer fires at, 0 none */
	uint64_t vmpidr;
	uint64_t exits[EXIT_KINDS];
	uint64_t run_ticks;    /* time in its guest, ended stretches (core/stats.c) */
	uint64_t run_since;    /* counter when its stretch in the guest began, 0: not in it */
	uint64_t irqs;         /* virtual interrupts injected */
	struct vgic_vcpu vgic;
};

/* A stretch of a VM's RAM: where the guest sees it, and where it is on this board. */
struct mem_region {
	ipaddr_t ipa;
	paddr_t pa;
	uint64_t size;
};

struct mmio_range {
	uint64_t base;
	uint64_t size;
};

/* A board device a guest has instead of the MVM: identity-mapped MMIO and
 * its physical SPI (SHYPER_DEV_NO_IRQ: none). */
#define MAX_VM_PASSTHROUGH 4
struct vm_passthrough {
	uint64_t base;
	uint64_t length;
	uint32_t spi;
	uint32_t reserved;
};

/*
 * Dirty-page logging (core/dirty.c): while on, the guest's RAM is mapped
 * read-only at page granularity and each first write to a page since the
 * last read of the bitmap sets its bit (one per page of the regions, in
 * order) and makes the page writable again.
 */
struct vm_dirty_log {
	paddr_t bitmap;          /* heap pages, 0: logging is off */
	uint64_t bitmap_bytes;
	uint64_t pages;          /* pages of RAM the bitmap covers */
	uint64_t faults;         /* write faults taken while logging */
	struct spinlock lock;    /* the bitmap and the pages' write permission */
	uint32_t reserved;
};

/*
 * What binds a VM to this board: host-physical addresses, the stage-2 map
 * and its VMID, the board's devices it was given. None of it leaves the
 * board: a migration stream is written from the rest of struct vm, so a
 * host address cannot travel by mistake.
 */
struct vm_board {
	struct pgtable s2;
	uint16_t vmid;
	bool s2_suspended;        /* stage-2 map suspended so that its vCPUs leave (vm_lifecycle.c) */
	uint32_t mem_count;
	struct mem_region mem[MAX_VM_MEM_REGIONS];
	uint32_t dev_count;
	struct mmio_range dev[MAX_VM_DEVICES];
	/* Guests: board devices taken from the MVM (devices/passthrough.c). */
	uint32_t passthrough_count;
	struct vm_passthrough passthrough[MAX_VM_PASSTHROUGH];
	struct vm_dirty_log dirty;
	/*
	 * CNTVOFF_EL2 of its vCPUs: its virtual counter is this board's minus
	 * this. 0 for a VM that started here; a migrated one keeps counting
	 * from where it was on the board it came from.
	 */
	uint64_t cntvoff;
};

struct vm {
	uint16_t id;
	uint8_t type;          /* enum vm_type */
	uint8_t state;         /* enum vm_state */
	char name[VM_NAME_LEN];
	uint8_t uuid[16];
	uint64_t entry;        /* IPA vCPU 0 starts at */
	uint64_t dtb;          /* x0 at entry */
	uint32_t vcpu_count;
	struct vm_board board; /* bound to this board: never migrated */
	bool state_loaded;     /* its vCPUs and devices came from another board (a
				* migration): VM_START resumes them, not resets */
	uint64_t loaded_vcounter;  /* ... its virtual counter when it stopped there */
	uint64_t loaded_uptime_ns; /* ... and how long it had run */
	uint64_t paused_at;    /* counter value when it was last paused, 0: running */
	uint64_t boot_counter; /* counter value when it started */
	uint32_t stop_reason;  /* enum shyper_stop_reason of the last change of state */
	uint32_t reserved_stop;
	uint64_t aborts_injected; /* accesses outside its memory */
	uint32_t notify_intid;   /* virtual SPI for hypervisor events, 0: none */
	/* Emulated GIC frames (IPA) */
	uint64_t gicd_base;
	uint64_t gicr_base;
	struct vgic_dist vgic;
	struct vconsole console;
	struct vgpio gpio;     /* guests' PL061 and power button; base 0 for the MVM */
	struct vrtc rtc;       /* guests' PL031 when given one; base 0: none */
	struct virtio_dev virtio[VIRTIO_SLOTS]; /* guests' virtio-mmio slots */
	struct virtio_counts virtio_counts[VIRTIO_SLOTS]; /* theirs, kept on this board */
	struct vcpu vcpus[MAX_VCPUS];
};

struct vm *vm_get(uint16_t id);
struct vcpu *vcpu_get(struct vm *vm, unsigned index);
struct vm *vcpu_vm(const struct vcpu *vcpu);
struct vcpu *vm_find_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);
/* Is [ipa, ipa+size) wholly inside the VM's RAM? */
bool vm_ipa_range_is_ram(const struct vm *vm, ipaddr_t ipa, uint64_t size);
/*
 * Move a VM to a new state: every pCPU running one of its vCPUs chooses
 * again, and the MVM gets a VM_STATE event with WHY (a stop the guest decided
 * itself, or SHYPER_STOP_BY_MVM), which the VM keeps until it changes again.
 */
void vm_set_state(struct vm *vm, enum vm_state state, enum shyper_stop_reason why);
/* Stop a VM whose vCPU hit something the hypervisor cannot handle. */
void vm_crash(struct vm *vm, const char *why);
/*
 * A stage-2 fault of one of VM's vCPUs that is not the guest's doing: the
 * VM no longer runs (paused, stopping: the vCPU is leaving, and the access
 * runs again if it resumes) or its map is suspended to make it leave. Such
 * a fault is neither emulated nor answered with an abort.
 */
bool vm_fault_retried(const struct vm *vm);
const char *vm_state_name(enum vm_state state);
/* Log each vCPU's exit counts by kind. */
void vm_log_exits(const struct vm *vm);

#endif
