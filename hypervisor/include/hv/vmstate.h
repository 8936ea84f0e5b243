/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's state as it moves between boards (core/vmstate.c): its vCPUs,
 * interrupt controller, timers and emulated devices, as one byte string
 * the MVM carries in a migration stream (docs/migration.md).
 *
 * The string is self-describing: a header, then records, each with its
 * kind, an index (vCPU, virtio slot), the layout description of its
 * payload (tools/state-layout.py's notation, as for the state area) and
 * the payload. A destination converts each payload field by field from the
 * sender's description to its own (core/state_convert.c), so two builds
 * whose structures differ still understand each other; it then takes only
 * the fields that are the guest's and checks every one of them before
 * anything changes. Nothing bound to a board travels: no host address, no
 * pin, no lock; counter values travel as the guest's virtual counter.
 */
#ifndef HV_VMSTATE_H
#define HV_VMSTATE_H

#include <hv/vm.h>

#define VMSTATE_MAGIC "SHYVMST\0"
#define VMSTATE_VERSION 1
#define VMSTATE_DESC_MAX 4096      /* bytes of one record's description */
#define VMSTATE_MAX SHYPER_VM_STATE_MAX /* bytes of the whole string */

enum vmstate_kind {
	VMSTATE_VM = 1,       /* struct vmstate_vm */
	VMSTATE_VCPU = 2,     /* struct vmstate_vcpu, index = vCPU */
	VMSTATE_CONSOLE = 3,  /* struct vconsole (the PL011 and its output) */
	VMSTATE_GPIO = 4,     /* struct vgpio */
	VMSTATE_RTC = 5,      /* struct vrtc, counter values virtual */
	VMSTATE_VIRTIO = 6,   /* struct virtio_dev, index = slot */
	VMSTATE_KINDS,
};

struct vmstate_header {
	char magic[8];
	uint32_t version;
	uint32_t records;
	uint64_t size;          /* bytes of the whole string, this header included */
};

/* Each record: this, the description (desc_len bytes, no NUL), zero
 * padding to 8, the payload (len bytes), zero padding to 8. */
struct vmstate_record {
	uint16_t kind;
	uint16_t index;
	uint32_t desc_len;
	uint32_t len;
	uint32_t reserved;      /* 0 */
};

/* The VM as a whole: time, and its distributor. */
struct vmstate_vm {
	uint64_t counter_hz;    /* both boards' counters must tick alike */
	uint64_t vcounter;      /* its virtual counter when it stopped */
	uint64_t uptime_ns;     /* how long it has run, on every board */
	uint32_t vcpu_count;
	uint32_t gicd_ctlr;
	uint32_t nr_spis;
	uint32_t reserved;
	struct vgic_irq spi[VGIC_MAX_SPIS];
};

/* One vCPU: what the guest sees of it. */
struct vmstate_vcpu {
	struct vcpu_regs regs;
	struct vcpu_sysregs sys;
	struct vcpu_fpregs fp;
	uint8_t power;          /* enum vcpu_power */
	bool vtimer_active;
	bool irq_direct;        /* RTVM: its interrupts came straight to it */
	bool sleeping;          /* GICR_WAKER.ProcessorSleep */
	uint32_t reserved;
	struct vgic_irq priv[VGIC_NR_PRIVATE];
};

enum vmstate_error {
	VMSTATE_OK = 0,
	VMSTATE_E_FORMAT = -1,   /* not a state string, or one that does not parse */
	VMSTATE_E_VERSION = -2,  /* a version or a record kind this build does not know */
	VMSTATE_E_LAYOUT = -3,   /* a description that does not convert */
	VMSTATE_E_VALUE = -4,    /* a field out of range (see the log) */
	VMSTATE_E_MISMATCH = -5, /* not this VM's: vCPUs, devices or counter differ */
	VMSTATE_E_ROOM = -6,     /* save: the buffer is too small */
	VMSTATE_E_BUSY = -7,     /* save: not stopped, or requests in flight */
	VMSTATE_E_NO_MEMORY = -8, /* no hypervisor memory to work in */
};

/*
 * Write the paused VM's state into OUT (ROOM bytes); *LEN gets its size.
 * Every vCPU must be off its pCPU, and no mediated request in flight.
 */
int vmstate_save(const struct vm *vm, uint8_t *out, uint64_t room, uint64_t *len);
/*
 * Check IN (LEN bytes) whole, then load it into VM, which is defined and
 * has never run: its next start resumes it instead of booting it. On any
 * error nothing changes.
 */
int vmstate_load(struct vm *vm, const uint8_t *in, uint64_t len);
const char *vmstate_error_name(int err);

/* SHYPER_HC_VM_STATE_SAVE / _LOAD for the MVM (caller). */
int64_t vmstate_save_call(struct vm *vm, const struct vm *caller, uint64_t ipa, uint64_t size,
			  uint64_t *len);
int64_t vmstate_load_call(struct vm *vm, const struct vm *caller, uint64_t ipa, uint64_t size);

#endif
