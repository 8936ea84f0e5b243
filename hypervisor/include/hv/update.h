/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live update: putting a new hypervisor image in place under running VMs
 * (core/update.c, docs/live-update.md).
 *
 * The MVM stages the image into the free image slot (SHYPER_HC_HV_UPDATE_STAGE)
 * and asks for the hand-over (SHYPER_HC_HV_UPDATE). The running image checks
 * it, stops every pCPU at a point where it holds no lock and its vCPU's
 * state is all in the state area, and calls the new image's handover entry
 * with a struct shyper_handover. The new image takes the state area over,
 * builds its own EL2 map and per-pCPU records, and either releases the
 * stopped pCPUs into itself and resumes every vCPU, or gives control back
 * (rollback) having changed nothing the old image relies on.
 *
 * struct shyper_handover is the contract between two images built from
 * different sources: it only grows (fields appended, `size` says how much
 * the writer knew), and its version changes if a field's meaning does.
 */
#ifndef HV_UPDATE_H
#define HV_UPDATE_H

#define HV_IMAGE_SLOT_SIZE 0x200000 /* 2 MiB: room for one image and its zeroed data */
#define HANDOVER_MAGIC 0x5245564f444e4148ULL  /* "HANDOVER" little-endian */
#define HANDOVER_VERSION 1
#define HANDOVER_MAX_PCPUS 8

/* Offsets the assembly uses (checked in core/update.c). */
#define HANDOVER_PCPU 64
#define HANDOVER_CTX 256
#define HANDOVER_CTX_SP (12 * 8)
#define HANDOVER_CTX_VBAR (13 * 8)
#define HANDOVER_CTX_TPIDR (14 * 8)
#define HANDOVER_CTX_TTBR0 (15 * 8)

#ifndef __ASSEMBLER__
#include <hv/types.h>

struct vcpu;
struct pcpu;

struct shyper_handover {
	uint64_t magic;           /* HANDOVER_MAGIC */
	uint32_t version;         /* HANDOVER_VERSION */
	uint32_t size;            /* sizeof as the running image knows it */
	/* Written by the running image */
	uint64_t state_pa;        /* its state area */
	uint64_t state_room;      /* bytes at state_pa the area may take */
	uint64_t image_pa;        /* where the new image runs: its slot */
	uint64_t image_room;      /* the slot's size */
	uint64_t old_image_pa;    /* where the running image runs */
	uint64_t el2_root;        /* the running image's EL2 map (4 KiB granule, 48-bit) */
	uint32_t pcpu;            /* the pCPU that hands over */
	uint32_t pcpu_mask;       /* the others, stopped and waiting */
	uint32_t caller_vm;       /* whose SHYPER_HC_HV_UPDATE this is */
	uint32_t caller_vcpu;
	uint64_t report_ipa;      /* its struct shyper_update_report */
	uint32_t report_size;
	uint32_t reserved;
	uint64_t t_request;       /* counter: the pCPUs were asked to stop */
	uint64_t t_stopped;       /* counter: the last of them had */
	uint64_t check_ns;        /* the image check */
	uint64_t stopped_at[HANDOVER_MAX_PCPUS]; /* counter: each pCPU stopped */
	/* Written by the new image */
	uint64_t secondary_entry; /* non-zero: the waiting pCPUs go there, x0 = their index */
	/* Written by the running image */
	uint64_t spare_state_pa;  /* room to convert the state area into, if its layout changes */
	uint64_t spare_state_room;
	uint64_t reserved2[6];
	/* The running image's registers at the call, restored to give control back:
	 * x19..x30, sp, vbar_el2, tpidr_el2, ttbr0_el2. */
	uint64_t ctx[16];
	char failure[96];         /* why the new image gave control back */
};

/* Staging and the hand-over, for the hypercalls (SHYPER_HC_HV_UPDATE*). */
int64_t update_stage(struct vcpu *caller, uint64_t offset, uint64_t ipa, uint64_t len,
		     uint64_t total, uint64_t *reason);
int64_t update_call(struct vcpu *caller, uint64_t flags, uint64_t report_ipa, uint64_t report_size);

/*
 * The running image's side of a rendezvous: called where a pCPU holds no
 * lock and has put its vCPU (sched.c). Returns at once unless an update is
 * gathering the pCPUs; then waits, and either leaves for the new image or
 * returns when the update was called off.
 */
bool update_requested(void);
void update_wait_here(struct pcpu *self);

/* Boot: the image slots and state areas (the boot image's place and its
 * state area; the others set aside from the heap). */
int update_init_slots(paddr_t running_image, paddr_t running_state);

/* head.S / exception.S */
int64_t handover_call(uint64_t entry, struct shyper_handover *h);
void __attribute__((noreturn)) handover_return(struct shyper_handover *h, int64_t code);
void __attribute__((noreturn)) handover_jump(uint64_t entry, uint64_t pcpu, struct shyper_handover *h);
/* The new image's C entries (from head.S) */
void __attribute__((noreturn)) update_takeover(struct shyper_handover *h);
void __attribute__((noreturn)) update_secondary(unsigned pcpu);

#endif
#endif
