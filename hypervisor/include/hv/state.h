/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The persistent state area: everything a live update must carry over from
 * one hypervisor image to the next (and most of what a migration streams).
 * One block of plain data at the start of the hypervisor heap, with a magic,
 * a version and a size; no pointers into code or .rodata. A new image checks
 * the header before it adopts the area and refuses a layout it does not know.
 */
#ifndef HV_STATE_H
#define HV_STATE_H

#include <hv/galloc.h>
#include <hv/stats.h>
#include <hv/vm.h>

#define HV_STATE_MAGIC 0x5453524550594853ULL /* "SHYPERST" little-endian */
/*
 * Layout versions. 2: virtio devices, mediated in-flight tables with epochs;
 * 3: guests' PL031 real-time clocks, per-pCPU counters; 4: RTVM vCPUs'
 * direct interrupt mode, SPI owners moved in; 5: image slots, state areas
 * and update history, log levels moved in; 6: what binds a VM to this board
 * grouped in struct vm_board (typed addresses), dirty-page logging; 7: each
 * vCPU's time in its guest and interrupts injected, each virtio device's
 * counts (SHYPER_HC_VM_STATS).
 *
 * HV_STATE_VERSION_MIN is the oldest layout this image takes over at a live
 * update, converting it (core/state_convert.c); each version from it on
 * must be recorded in hypervisor/state-layouts/ (docs/state-area.md).
 * SHYPER_STATE_TEST_NEXT builds the next version as a test of conversion:
 * a field more in every vCPU and one in the area (tests/system).
 */
#ifdef SHYPER_STATE_TEST_NEXT
#define HV_STATE_VERSION 8
#else
#define HV_STATE_VERSION 7
#endif
#define HV_STATE_VERSION_MIN 5
/* Room for one state area: the running one, and one set aside to convert
 * into at a live update that changes the layout. */
#define HV_STATE_ROOM (1024 * 1024)
#define LOG_RING_SIZE (64 * 1024)
#define BOARD_MAX_MEM 8
#define BOARD_MODEL_LEN 64

enum gic_version {
	GIC_V2 = 2,
	GIC_V3 = 3,
};

enum psci_conduit {
	CONDUIT_NONE = 0,
	CONDUIT_SMC,
	CONDUIT_HVC,
};

/* What the hypervisor learnt of the board from its device tree. */
struct board_info {
	char model[BOARD_MODEL_LEN];
	uint32_t mem_count;
	struct mmio_range mem[BOARD_MAX_MEM];
	uint32_t pcpu_count;
	uint64_t mpidr[MAX_PCPUS];
	uint8_t gic_version;
	uint8_t psci_conduit;
	uint64_t gicd_base, gicd_size;
	uint64_t gicr_base, gicr_size;
	uint64_t uart_base;
	paddr_t dtb;           /* hypervisor-owned copy of the board DT */
	uint64_t dtb_size;
	/* Boot modules from the multiboot binding */
	uint64_t kernel_base, kernel_size;
	uint64_t initrd_base, initrd_size;
	char kernel_args[1024];
};

/* The MVM's event ring, as the hypervisor keeps it (see core/events.c). */
struct event_channel {
	uint64_t ring_ipa;      /* 0: no ring */
	uint64_t ring_size;
	uint32_t entries;
	uint32_t head;
	uint32_t dropped;
	uint16_t vm_id;
	uint64_t seq;
};

/*
 * Live update (core/update.c): the two image slots of HV_IMAGE_SLOT_SIZE
 * bytes (the boot image's place, and one set aside in the heap at boot):
 * one runs, the other takes the next image. And what the updates so far did.
 */
struct update_history {
	paddr_t slot[2];
	uint32_t running_slot;  /* index into slot[] */
	uint32_t running_state; /* index into state_area[] */
	paddr_t state_area[2];  /* HV_STATE_ROOM bytes each; one holds this area */
	uint32_t count;         /* updates since the board booted */
	uint32_t failed;        /* refused at the hand-over or rolled back */
	uint32_t reserved;
	uint64_t last_pause_ns; /* longest any pCPU was stopped, last update */
};

struct hv_state {
	uint64_t magic;
	uint32_t version;
	uint32_t size;
	uint64_t layout;        /* HV_STATE_LAYOUT of the image that laid it out */
	/* Sizes of the main records: a cheap layout check for live update. */
	uint32_t vm_size, vcpu_size, board_size, galloc_size;

	uint64_t boot_counter;
	paddr_t hv_base;        /* hypervisor-owned RAM: image, state, heap */
	uint64_t hv_size;
	struct board_info board;
	struct galloc heap;     /* hypervisor's pages */
	struct galloc pool;     /* memory for guests */
	uint32_t pcpu_online_mask;
	uint64_t stage2_max_block;  /* the board's limit for stage-2 leaves */
	struct event_channel events;
	struct pcpu_stats pcpu_stats[MAX_PCPUS];
	/* Owner VM of each physical SPI (INTID - 32), IRQ_OWNER_NONE when the
	 * hypervisor keeps it (core/irq.c). */
	uint8_t spi_owner[VGIC_MAX_SPIS];
	struct vm vms[MAX_VMS];
	struct update_history update;

	uint8_t log_ring_level;     /* enum log_level: what the ring keeps */
	uint8_t log_console_level;  /* and what the console shows */
	uint64_t log_written;   /* total bytes ever written to the ring */
	char log_ring[LOG_RING_SIZE];
#ifdef SHYPER_STATE_TEST_NEXT
	uint32_t test_converted_from; /* the layout the conversion started from */
#endif
};
_Static_assert(sizeof(struct hv_state) <= HV_STATE_ROOM, "the state area outgrew its room");
/* Every layout starts with the same header: a new image reads an old area's
 * version and layout there before it knows anything else of it. */
_Static_assert(__builtin_offsetof(struct hv_state, version) == 8 &&
	       __builtin_offsetof(struct hv_state, size) == 12 &&
	       __builtin_offsetof(struct hv_state, layout) == 16, "the state header never moves");

extern struct hv_state *hv_state;

/* The header of an area of this image's layout (magic, version, sizes). */
void state_header_init(struct hv_state *s);
/* Lay out a fresh state area at `at` (size bytes available). */
struct hv_state *state_create(void *at, uint64_t size);

/*
 * Take over the state area a running image laid out at `at` (live update):
 * it must carry our magic, our version and our layout fingerprint
 * (HV_STATE_LAYOUT, from tools/state-layout.py: every field's name, offset
 * and size), and fit. Nothing is changed unless it does; then its locks are
 * reset (no pCPU holds one across a hand-over) and hv_state points at it.
 */
enum state_adopt_result {
	STATE_ADOPTED = 0,
	STATE_NOT_A_STATE = -1,   /* no state area there (magic) */
	STATE_VERSION_NEWER = -2, /* laid out by a newer image */
	STATE_VERSION_OLDER = -3, /* an older layout: no conversion from it here */
	STATE_LAYOUT_DIFFERS = -4, /* same version, different layout: a build error */
	STATE_TOO_SMALL = -5,     /* its size does not match, or does not fit */
};
enum state_adopt_result state_adopt(void *at, uint64_t size);
/* One line for a result of state_adopt(). */
const char *state_adopt_result_name(enum state_adopt_result r);

#endif
