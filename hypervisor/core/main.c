// SPDX-License-Identifier: GPL-2.0
/*
 * Boot flow. The boot pCPU: builds its first map with the MMU off
 * (boot_early), then, with the MMU on, reads the board, claims its memory,
 * sets up the GIC, starts the other pCPUs, creates the MVM and starts
 * running it (hv_main). Other pCPUs join at hv_secondary_main.
 */
#include <hv/arch.h>
#include <hv/board.h>
#include <hv/bootargs.h>
#include <hv/console.h>
#include <hv/heap.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/mvm.h>
#include <hv/panic.h>
#include <hv/pcpu.h>
#include <hv/platform.h>
#include <hv/sched.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/update.h>
#include <hv/version.h>
#include <libfdt.h>
#include <string.h>

#define HV_HEAP_SIZE (32 * MiB)
#define CPU_START_TIMEOUT_MS 2000

extern char _head[], _end[];
extern struct pgtable hv_pgtable;
extern uint8_t pcpu_stacks[MAX_PCPUS][16384];
void secondary_entry(void);
void mmu_enable(void);

static uint32_t be32_at(uint64_t addr)
{
	const volatile uint8_t *p = (const volatile uint8_t *)addr;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * MMU and caches off: lay out the state area and heap after the image's
 * slot (room for a larger image at a live update) and map the hypervisor's
 * memory and the device tree. Everything here is our own strict-alignment
 * code; libfdt waits for the MMU.
 */
void boot_early(uint64_t dtb)
{
	uint64_t base = ALIGN_DOWN((uint64_t)(uintptr_t)_head, BLOCK_2M);
	uint64_t state_at = ALIGN_UP((uint64_t)(uintptr_t)_head + HV_IMAGE_SLOT_SIZE, PAGE_SIZE);
	uint64_t end = ALIGN_UP(state_at, BLOCK_2M) + HV_HEAP_SIZE;
	uint64_t heap_at = ALIGN_UP(state_at + HV_STATE_ROOM, PAGE_SIZE);
	struct hv_state *s;
	uint64_t dtb_size;

	if ((uint64_t)(uintptr_t)_end > state_at)
		arch_cpu_halt(); /* the build checks this never happens */
	arch_dcache_invalidate(base, end - base);
	s = state_create((void *)(uintptr_t)state_at, heap_at - state_at);
	s->hv_base = pa_init(base);
	s->hv_size = end - base;
	if (!galloc_init(&s->heap, heap_at, end - heap_at, PAGE_SIZE))
		arch_cpu_halt();
	heap_init(&s->heap);
	if (pgtable_init(&hv_pgtable, 48, 0, 512) ||
	    pgtable_map(&hv_pgtable, base, base, end - base, arch_el2_attrs(MEM_NORMAL)))
		arch_cpu_halt();
	dtb_size = be32_at(dtb) == FDT_MAGIC ? be32_at(dtb + 4) : PAGE_SIZE;
	if (dtb_size > MVM_FDT_MAX)
		dtb_size = MVM_FDT_MAX;
	/* Same attributes as the hypervisor's own map, so overlaps are harmless. */
	pgtable_map(&hv_pgtable, ALIGN_DOWN(dtb, BLOCK_2M), ALIGN_DOWN(dtb, BLOCK_2M),
		    ALIGN_UP(dtb + dtb_size, BLOCK_2M) - ALIGN_DOWN(dtb, BLOCK_2M),
		    arch_el2_attrs(MEM_NORMAL));
}

static void map_or_panic(uint64_t base, uint64_t size, enum mem_type type, const char *what)
{
	uint64_t b = ALIGN_DOWN(base, PAGE_SIZE), e = ALIGN_UP(base + size, PAGE_SIZE);

	if (pgtable_map(&hv_pgtable, b, b, e - b, arch_el2_attrs(type)))
		panic("cannot map %s at 0x%lx", what, base);
}

/*
 * What the hypervisor maps for itself besides its own memory: all RAM, the
 * GIC and the console UART, identity-mapped. Every image builds this, at
 * boot and when it takes over at a live update (core/takeover.c).
 */
int hv_map_board(struct pgtable *pt, const struct board_info *b)
{
	const struct { uint64_t base, size; enum mem_type type; } ranges[] = {
		{ b->gicd_base, b->gicd_size, MEM_DEVICE },
		{ b->gicr_base, b->gicr_size, MEM_DEVICE },
		{ b->uart_base, b->uart_base ? PAGE_SIZE : 0, MEM_DEVICE },
	};

	if (!pa_addr(pt->root) && pgtable_init(pt, 48, 0, 512))
		return -1;
	for (unsigned i = 0; i < b->mem_count && i < BOARD_MAX_MEM; i++)
		if (pgtable_map(pt, ALIGN_DOWN(b->mem[i].base, PAGE_SIZE),
				ALIGN_DOWN(b->mem[i].base, PAGE_SIZE),
				ALIGN_UP(b->mem[i].base + b->mem[i].size, PAGE_SIZE) -
					ALIGN_DOWN(b->mem[i].base, PAGE_SIZE),
				arch_el2_attrs(MEM_NORMAL)))
			return -1;
	for (unsigned i = 0; i < ARRAY_SIZE(ranges); i++) {
		uint64_t lo = ALIGN_DOWN(ranges[i].base, PAGE_SIZE);
		uint64_t hi = ALIGN_UP(ranges[i].base + ranges[i].size, PAGE_SIZE);

		if (ranges[i].size && pgtable_map(pt, lo, lo, hi - lo, arch_el2_attrs(ranges[i].type)))
			return -1;
	}
	return 0;
}

/* The pCPU records, in the board's order (pCPU 0 booted). */
void pcpus_init(const struct board_info *b)
{
	for (unsigned i = 0; i < b->pcpu_count && i < MAX_PCPUS; i++) {
		pcpus[i].index = i;
		pcpus[i].mpidr = b->mpidr[i];
		pcpus[i].stack_top = (uint64_t)(uintptr_t)pcpu_stacks[i + 1];
	}
}

static void stop_boot(const char *msg)
{
	pr_err("%s", msg);
	pr_err("cannot continue; powering the board off");
	arch_fw_system_off();
}

/* Guest pool: from the top of the highest RAM bank, clear of the boot modules. */
static uint64_t place_pool(const struct board_info *b, uint64_t size, char *err, size_t len)
{
	const struct mmio_range *top = &b->mem[0];
	uint64_t base;

	for (unsigned i = 1; i < b->mem_count; i++)
		if (b->mem[i].base > top->base)
			top = &b->mem[i];
	if (size > top->size) {
		snprintf(err, len, "bad boot argument 'pool=%luM': larger than the RAM bank (%luM)",
			 (unsigned long)(size >> 20), (unsigned long)(top->size >> 20));
		return 0;
	}
	base = ALIGN_DOWN(top->base + top->size - size, BLOCK_2M);
	if (ranges_overlap(base, size, pa_addr(hv_state->hv_base), hv_state->hv_size) ||
	    ranges_overlap(base, size, b->kernel_base, b->kernel_size) ||
	    (b->initrd_size && ranges_overlap(base, size, b->initrd_base, b->initrd_size))) {
		snprintf(err, len, "bad boot argument 'pool=%luM': the pool would cover the "
			 "hypervisor, MVM kernel or initramfs", (unsigned long)(size >> 20));
		return 0;
	}
	return base;
}

/* Append [start, end) minus the holes to out. */
static void subtract_holes(uint64_t start, uint64_t end, const struct mmio_range *holes,
			  unsigned nholes, struct mmio_range *out, unsigned max, unsigned *n)
{
	if (start >= end)
		return;
	for (unsigned h = 0; h < nholes; h++) {
		if (holes[h].size && ranges_overlap(start, end - start, holes[h].base, holes[h].size)) {
			subtract_holes(start, MIN(end, holes[h].base), holes, nholes, out, max, n);
			subtract_holes(MAX(start, holes[h].base + holes[h].size), end, holes, nholes,
				       out, max, n);
			return;
		}
	}
	if (*n < max)
		out[(*n)++] = (struct mmio_range){ start, end - start };
}

/* MVM memory: RAM (whole 2 MiB blocks) minus the hypervisor and the pool. */
static unsigned mvm_ram(const struct board_info *b, uint64_t pool_base, uint64_t pool_size,
			struct mmio_range *out, unsigned max)
{
	const struct mmio_range holes[2] = {
		{ pa_addr(hv_state->hv_base), hv_state->hv_size },
		{ pool_base, pool_size },
	};
	unsigned n = 0;

	for (unsigned i = 0; i < b->mem_count; i++)
		subtract_holes(ALIGN_UP(b->mem[i].base, BLOCK_2M),
			       ALIGN_DOWN(b->mem[i].base + b->mem[i].size, BLOCK_2M), holes,
			       ARRAY_SIZE(holes), out, max, &n);
	return n;
}

static void start_secondaries(const struct board_info *b)
{
	uint64_t freq = arch_counter_freq();

	for (unsigned i = 1; i < b->pcpu_count; i++) {
		int64_t rc = arch_fw_cpu_on(b->mpidr[i], hv_pa((void *)secondary_entry), i);
		uint64_t deadline = arch_counter() + freq * CPU_START_TIMEOUT_MS / 1000;

		if (rc) {
			pr_err("pCPU %u (MPIDR 0x%lx) did not start: PSCI error %ld", i, b->mpidr[i], rc);
			continue;
		}
		while (!__atomic_load_n(&pcpus[i].online, __ATOMIC_ACQUIRE) && arch_counter() < deadline)
			;
		if (!pcpus[i].online)
			pr_err("pCPU %u (MPIDR 0x%lx) did not come up", i, b->mpidr[i]);
	}
}

static void pcpu_setup(unsigned index)
{
	struct pcpu *p = &pcpus[index];

	arch_cpu_init_el2();
	if (irqchip->cpu_init(index, p->mpidr))
		panic("pCPU %u: no GIC redistributor for MPIDR 0x%lx", index, p->mpidr);
	stats_pcpu_online(index);
	__atomic_fetch_or(&hv_state->pcpu_online_mask, (uint32_t)BIT(index), __ATOMIC_RELEASE);
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
}

void hv_secondary_main(unsigned index)
{
	pcpu_setup(index);
	sched_start();
}

void hv_main(uint64_t dtb)
{
	struct board_info *b = &hv_state->board;
	struct hv_options opt;
	struct mmio_range ram[MAX_VM_MEM_REGIONS];
	uint64_t pool_base = 0, mpidr_self, total = 0;
	const char *hv_args = NULL;
	char err[200];
	unsigned ram_count;
	void *dtb_copy;

	hv_state->boot_counter = arch_counter();
	if (board_parse((const void *)(uintptr_t)dtb, b, err, sizeof(err))) {
		/* Maybe not even a console: still try the UART the DT names. */
		if (b->uart_base) {
			map_or_panic(b->uart_base, PAGE_SIZE, MEM_DEVICE, "UART");
			console_init(b->uart_base);
			log_console_ready();
		}
		stop_boot(err);
	}
	if (b->uart_base) {
		map_or_panic(b->uart_base, PAGE_SIZE, MEM_DEVICE, "UART");
		console_init(b->uart_base);
	}
	log_console_ready();
	for (unsigned i = 0; i < b->mem_count; i++)
		total += b->mem[i].size;
	if (hv_map_board(&hv_pgtable, b))
		panic("cannot map the board's RAM and interrupt controller");

	/* Keep our own copy of the board DT: the original lies in MVM memory. */
	b->dtb_size = fdt_totalsize((const void *)(uintptr_t)dtb);
	if ((b->kernel_size && ranges_overlap(b->kernel_base, b->kernel_size, dtb, b->dtb_size)) ||
	    (b->initrd_size && ranges_overlap(b->initrd_base, b->initrd_size, dtb, b->dtb_size))) {
		snprintf(err, sizeof(err), "the MVM kernel (0x%lx) or initramfs (0x%lx) was loaded "
			 "over the device tree at 0x%lx+0x%lx: load them elsewhere",
			 b->kernel_base, b->initrd_base, dtb, b->dtb_size);
		stop_boot(err);
	}
	dtb_copy = heap_alloc_pages((uint32_t)(ALIGN_UP(b->dtb_size, PAGE_SIZE) / PAGE_SIZE), 1);
	if (!dtb_copy)
		panic("no memory for the device tree (%lu bytes)", b->dtb_size);
	memcpy(dtb_copy, (const void *)(uintptr_t)dtb, b->dtb_size);
	b->dtb = hv_pa(dtb_copy);

	/* The boot CPU is pCPU 0. */
	mpidr_self = arch_mpidr();
	for (unsigned i = 0; i < b->pcpu_count; i++) {
		if ((b->mpidr[i] & 0xff00ffffffULL) == mpidr_self) {
			b->mpidr[i] = b->mpidr[0];
			b->mpidr[0] = mpidr_self;
			break;
		}
	}
	pcpus_init(b);

	pr_info("Shyper %s on %s (%s): EL2, GICv%u, %u pCPUs, %lu MiB RAM", SHYPER_VERSION,
		b->model, platform_find(dtb_copy)->name, b->gic_version, b->pcpu_count,
		(unsigned long)(total >> 20));

	{
		int chosen = fdt_path_offset(dtb_copy, "/chosen");

		if (chosen >= 0)
			hv_args = fdt_getprop(dtb_copy, chosen, "bootargs", NULL);
	}
	if (bootargs_parse(hv_args, &opt, err, sizeof(err)))
		stop_boot(err);
	log_set_level((enum log_level)opt.loglevel);
	if (!opt.pool_set)
		opt.pool_size = ALIGN_DOWN(total / 100 * DEFAULT_POOL_PERCENT, BLOCK_2M);
	if (opt.pool_size) {
		pool_base = place_pool(b, opt.pool_size, err, sizeof(err));
		if (!pool_base)
			stop_boot(err);
	}
	ram_count = mvm_ram(b, pool_base, opt.pool_size, ram, ARRAY_SIZE(ram));
	{
		uint64_t mvm_total = 0;

		for (unsigned i = 0; i < ram_count; i++)
			mvm_total += ram[i].size;
		if (mvm_total < MVM_MIN_MEMORY) {
			snprintf(err, sizeof(err), "bad boot argument 'pool=%luM': leaves the MVM "
				 "%lu MiB, less than the %lu MiB it needs",
				 (unsigned long)(opt.pool_size >> 20), (unsigned long)(mvm_total >> 20),
				 (unsigned long)(MVM_MIN_MEMORY >> 20));
			stop_boot(err);
		}
	}
	if (!galloc_init(&hv_state->pool, pool_base, opt.pool_size, BLOCK_2M))
		stop_boot("the guest pool is too large for its allocator");
	pr_info("memory: hypervisor 0x%lx+%luM, guest pool 0x%lx+%luM", pa_addr(hv_state->hv_base),
		(unsigned long)(hv_state->hv_size >> 20), pool_base,
		(unsigned long)(opt.pool_size >> 20));

	if (update_init_slots(hv_pa(_head), hv_pa(hv_state)))
		pr_warn("no room for a second image: live update is off");
	hv_state->stage2_max_block = platform_find(dtb_copy)->stage2_max_block;
	arch_fw_set_conduit(b->psci_conduit == CONDUIT_HVC);
	if (irqchip_probe(b))
		stop_boot("interrupt controller setup failed");
	pcpu_setup(0);
	start_secondaries(b);
	if (mvm_create(b, ram, ram_count, hv_state->pcpu_online_mask))
		stop_boot("the MVM could not be created");
	if (!opt.loglevel_set) {
		pr_info("from here on the console shows warnings and errors only; "
			"'shyperctl hv log' has the rest (loglevel=2 keeps them here)");
		log_set_console_level(LOG_WARN);
	}
	sched_start();
}
