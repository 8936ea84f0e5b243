/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Board descriptions: what the device tree does not say but the hypervisor
 * should know about a board. A board is data, matched by its root
 * "compatible"; boards without an entry get the generic defaults.
 */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include <hv/types.h>

struct platform_desc {
	const char *compatible;   /* root node compatible string */
	const char *name;
	/* Largest stage-2 leaf to map VM RAM with (0: as large as alignment allows). */
	uint64_t stage2_max_block;
};

/* The description matching the board's device tree (never NULL). */
const struct platform_desc *platform_find(const void *fdt);

#endif
