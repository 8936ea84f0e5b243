// SPDX-License-Identifier: GPL-2.0
/*
 * The boards Shyper knows (see hv/platform.h).
 *
 * QEMU virt maps guest RAM with 4 KiB stage-2 pages. Under TCG, QEMU
 * records a combined stage-1/stage-2 TLB entry with the larger of the two
 * page sizes, and any TLB invalidation by address inside such a "large
 * page" flushes the guest's whole TLB. With 2 MiB stage-2 blocks every
 * entry counts as large, so each of the ~90,000 TLBIs Linux issues while
 * patching its text at boot became a full flush (MVM boot 1.2x slower).
 * Real boards keep large blocks: fewer TLB entries, shorter walks.
 */
#include <hv/platform.h>
#include <libfdt.h>

static const struct platform_desc platforms[] = {
	{ .compatible = "linux,dummy-virt", .name = "QEMU virt", .stage2_max_block = PAGE_SIZE },
	{ .compatible = "raspberrypi,4-model-b", .name = "Raspberry Pi 4 Model B" },
	{ .compatible = "nvidia,p2771-0000", .name = "NVIDIA Jetson TX2 Developer Kit" },
};

static const struct platform_desc generic = { .compatible = "", .name = "generic board" };

const struct platform_desc *platform_find(const void *fdt)
{
	for (unsigned i = 0; i < ARRAY_SIZE(platforms); i++)
		if (!fdt_node_check_compatible(fdt, 0, platforms[i].compatible))
			return &platforms[i];
	return &generic;
}
