// SPDX-License-Identifier: GPL-2.0
/*
 * The management VM: the first VM, created at boot from the kernel and
 * initramfs the loader left in RAM. Its memory is identity-mapped (IPA ==
 * PA) so that the board devices passed through to it can DMA; it gets one
 * vCPU per pCPU and every device the hypervisor does not keep.
 */
#include <hv/arch.h>
#include <hv/heap.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/mvm.h>
#include <hv/pcpu.h>
#include <hv/stage2.h>
#include <hv/version.h>
#include <string.h>

#define ARM64_IMAGE_MAGIC 0x644d5241U /* "ARM\x64" */

/* Bytes the kernel needs from its load address (image_size in its header). */
static uint64_t kernel_footprint(const struct board_info *b)
{
	const uint32_t *hdr = hv_ptr(pa_init(b->kernel_base));
	uint64_t image_size;

	if (b->kernel_size < 64 || hdr[14] != ARM64_IMAGE_MAGIC)
		return b->kernel_size;
	image_size = ((uint64_t)hdr[5] << 32) | hdr[4];
	return MAX(image_size, b->kernel_size);
}

static bool in_mvm_ram(const struct vm *vm, uint64_t base, uint64_t size)
{
	return vm_ipa_range_is_ram(vm, ipa_init(base), size);
}

/* Place the DT at the top of the highest region, clear of kernel and initrd. */
static uint64_t place_fdt(const struct vm *vm, const struct board_info *b, uint64_t kernel_end)
{
	for (int i = (int)vm->board.mem_count - 1; i >= 0; i--) {
		const struct mem_region *r = &vm->board.mem[i];
		uint64_t at;

		if (r->size < 2 * MVM_FDT_MAX)
			continue;
		at = ALIGN_DOWN(ipa_addr(r->ipa) + r->size - MVM_FDT_MAX, BLOCK_2M);
		if (ranges_overlap(at, MVM_FDT_MAX, b->kernel_base, kernel_end - b->kernel_base))
			continue;
		if (b->initrd_size && ranges_overlap(at, MVM_FDT_MAX, b->initrd_base, b->initrd_size))
			continue;
		return at;
	}
	return 0;
}

/* The devices the MVM's device tree names, minus any that overlap RAM. */
static int collect_devices(struct vm *vm, const void *fdt)
{
	int n = fdt_collect_devices(fdt, vm->board.dev, MAX_VM_DEVICES);

	if (n < 0) {
		pr_err("the board has more than %u device ranges", MAX_VM_DEVICES);
		return -1;
	}
	vm->board.dev_count = 0;
	for (int i = 0; i < n; i++) {
		struct mmio_range *d = &vm->board.dev[i];
		bool clash = ranges_overlap(d->base, d->size, pa_addr(hv_state->hv_base),
					    hv_state->hv_size);

		for (unsigned r = 0; r < hv_state->board.mem_count; r++)
			clash = clash || ranges_overlap(d->base, d->size, hv_state->board.mem[r].base,
							hv_state->board.mem[r].size);
		if (clash) {
			pr_warn("device range 0x%lx+0x%lx overlaps RAM: not passed through", d->base,
				d->size);
			continue;
		}
		vm->board.dev[vm->board.dev_count++] = *d;
	}
	return 0;
}

static uint64_t ipa_limit(const struct vm *vm)
{
	uint64_t limit = 0;

	for (unsigned i = 0; i < vm->board.mem_count; i++)
		limit = MAX(limit, ipa_addr(vm->board.mem[i].ipa) + vm->board.mem[i].size);
	for (unsigned i = 0; i < vm->board.dev_count; i++)
		limit = MAX(limit, vm->board.dev[i].base + vm->board.dev[i].size);
	return limit;
}

int mvm_create(const struct board_info *b, const struct mmio_range *ram, unsigned ram_count,
	       uint32_t pcpu_mask)
{
	struct vm *vm = &hv_state->vms[0];
	uint64_t mpidr[MAX_PCPUS], kernel_end, fdt_at;
	struct mvm_fdt_params params;
	unsigned ncpu = 0;
	char err[160];

	if (!b->kernel_size) {
		pr_err("no MVM kernel: the loader must provide a multiboot,kernel module");
		return -1;
	}
	memset(vm, 0, sizeof(*vm));
	vm->id = 0;
	vm->board.vmid = 1;
	vm->type = VM_TYPE_MVM;
	snprintf(vm->name, sizeof(vm->name), "mvm");
	if (ram_count > MAX_VM_MEM_REGIONS) {
		pr_err("MVM memory is split in too many regions (%u)", ram_count);
		return -1;
	}
	for (unsigned i = 0; i < ram_count; i++)
		vm->board.mem[vm->board.mem_count++] = (struct mem_region){
			.ipa = ipa_init(ram[i].base), .pa = pa_init(ram[i].base), .size = ram[i].size
		};

	kernel_end = b->kernel_base + kernel_footprint(b);
	if (!in_mvm_ram(vm, b->kernel_base, kernel_end - b->kernel_base) ||
	    (b->initrd_size && !in_mvm_ram(vm, b->initrd_base, b->initrd_size))) {
		pr_err("the MVM kernel (0x%lx-0x%lx) or initramfs (0x%lx+0x%lx) is not in MVM memory; "
		       "load them above 0x%lx", b->kernel_base, kernel_end, b->initrd_base,
		       b->initrd_size, pa_addr(hv_state->hv_base) + hv_state->hv_size);
		return -1;
	}

	for (unsigned i = 0; i < b->pcpu_count; i++) {
		if (!(pcpu_mask & BIT(i)))
			continue;
		struct vcpu *v = &vm->vcpus[ncpu];

		v->vm_id = 0;
		v->index = (uint8_t)ncpu;
		v->pcpu = (uint8_t)i;
		v->vmpidr = b->mpidr[i];
		mpidr[ncpu++] = b->mpidr[i];
	}
	vm->vcpu_count = ncpu;

	/* Device tree */
	fdt_at = place_fdt(vm, b, kernel_end);
	if (!fdt_at) {
		pr_err("no room for the MVM device tree");
		return -1;
	}
	vm->notify_intid = irqchip_nr_irqs + 32 <= VGIC_MAX_IRQS - 4 ? irqchip_nr_irqs : 0;
	params = (struct mvm_fdt_params){
		.notify_intid = vm->notify_intid,
		.mem = vm->board.mem, .mem_count = vm->board.mem_count,
		.initrd_start = b->initrd_base, .initrd_size = b->initrd_size,
		.bootargs = b->kernel_args, .cpu_mpidr = mpidr, .cpu_count = ncpu,
		.hv_version = SHYPER_VERSION,
	};
	if (mvm_fdt_build(hv_ptr(b->dtb), &params, hv_ptr(pa_init(fdt_at)), MVM_FDT_MAX, err,
			  sizeof(err))) {
		pr_err("cannot build the MVM device tree: %s", err);
		return -1;
	}

	/* Stage 2: RAM identity-mapped, then the devices its device tree names. */
	if (collect_devices(vm, hv_ptr(pa_init(fdt_at))))
		return -1;
	if (arch_stage2_init(&vm->board.s2, ipa_limit(vm), vm->board.vmid)) {
		pr_err("cannot create the MVM's stage-2 tables (IPA limit 0x%lx)", ipa_limit(vm));
		return -1;
	}
	vm->board.s2.max_block = hv_state->stage2_max_block;
	for (unsigned i = 0; i < vm->board.mem_count; i++) {
		const struct mem_region *r = &vm->board.mem[i];

		if (stage2_map(&vm->board.s2, r->ipa, r->pa, r->size, arch_stage2_attrs(MEM_NORMAL))) {
			pr_err("cannot map MVM memory 0x%lx+0x%lx", pa_addr(r->pa), r->size);
			return -1;
		}
	}
	for (unsigned i = 0; i < vm->board.dev_count; i++) {
		const struct mmio_range *d = &vm->board.dev[i];

		/* The MVM's devices: where they are on the board, one to one. */
		if (stage2_map(&vm->board.s2, ipa_init(d->base), pa_init(d->base), d->size,
			       arch_stage2_attrs(MEM_DEVICE))) {
			pr_err("cannot map device range 0x%lx+0x%lx for the MVM", vm->board.dev[i].base,
			       vm->board.dev[i].size);
			return -1;
		}
	}

	/*
	 * Interrupts: the GIC frames are emulated; every physical SPI is the
	 * MVM's. One more, past the physical ones, is purely virtual: the
	 * hypervisor's event notification (named in its device-tree node).
	 */
	vm->gicd_base = b->gicd_base;
	vm->gicr_base = b->gicr_base;
	/* The physical SPIs, plus one more block of 32 holding the event SPI. */
	vgic_vm_init(vm, (irqchip_nr_irqs - 32) + 32);
	for (uint32_t intid = 32; intid < irqchip_nr_irqs; intid++)
		irq_assign_spi(intid, vm->id);
	for (unsigned i = 0; i < ncpu; i++)
		vgic_vcpu_init(&vm->vcpus[i]);

	arch_vcpu_reset(&vm->vcpus[0], b->kernel_base, fdt_at);
	vm->vcpus[0].power = VCPU_ON;
	vm->boot_counter = arch_counter();
	vm->state = VM_STATE_RUNNING;
	{
		uint64_t mib = 0;

		for (unsigned i = 0; i < vm->board.mem_count; i++)
			mib += vm->board.mem[i].size >> 20;
		pr_info("MVM: %u vCPUs, %lu MiB, %u device ranges, kernel 0x%lx, dtb 0x%lx; "
			"starting it %lu ms after power-on", ncpu, (unsigned long)mib, vm->board.dev_count,
			b->kernel_base, fdt_at,
			(unsigned long)(vm->boot_counter * 1000 / arch_counter_freq()));
	}
	return 0;
}
