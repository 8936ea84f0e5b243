// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Passthrough of board devices (<hostdev>): the device's node in the
 * guest's device tree, copied from the MVM's own tree (the board's) with
 * its registers, interrupt and clocks rewritten for the guest. Kept apart
 * from hostdev.c (sysfs and the hypervisor) so that the device-tree
 * generator and its fuzz target need nothing of the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>

#include <shyper/domain.h>

#include "domain_internal.h"
#include "hostdev_internal.h"

/* ---- The MVM's device tree --------------------------------------------------------- */

static const char *host_fdt_path(void)
{
	const char *env = getenv("SHYPER_HOST_FDT");

	return env && *env ? env : SHYPER_HOST_FDT_DEFAULT;
}

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = v << 32 | fdt32_to_cpu(p[i]);
	return v;
}

/* The first reg address of NODE, in its parent's cells; false without one. */
static bool node_base(const void *host, int node, uint64_t *base)
{
	int parent = fdt_parent_offset(host, node), len;
	const fdt32_t *reg = fdt_getprop(host, node, "reg", &len);
	int ac;

	if (parent < 0 || !reg)
		return false;
	ac = fdt_address_cells(host, parent);
	if (ac < 1 || ac > 2 || len < ac * 4)
		return false;
	*base = read_cells(reg, ac);
	return true;
}

/* D's node in HOST: its path when the reg agrees, else any node at its base. */
static int find_host_node(const void *host, const struct shyper_domain_hostdev *d)
{
	int node = fdt_path_offset(host, d->node);
	uint64_t base;

	if (node >= 0 && node_base(host, node, &base) && base == d->base)
		return node;
	for (node = fdt_next_node(host, -1, NULL); node >= 0; node = fdt_next_node(host, node, NULL))
		if (node_base(host, node, &base) && base == d->base)
			return node;
	return -FDT_ERR_NOTFOUND;
}

int hostdev_host_fdt_load(const struct shyper_domain *dom, void **host,
			  struct shyper_domain_diag *diag)
{
	const char *path = host_fdt_path();
	size_t cap = 1 << 20, len;
	FILE *f;
	void *buf;
	size_t i;

	*host = NULL;
	if (!dom->hostdev_count)
		return 0;
	f = fopen(path, "re");
	if (!f) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "cannot open the MVM's device tree %s "
				"(needed for <hostdev>): %s", path, strerror(errno));
		return errno == ENOENT ? SHYPER_ERR_NO_ENTRY : SHYPER_ERR_SYSTEM;
	}
	buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return SHYPER_ERR_NO_MEMORY;
	}
	len = fread(buf, 1, cap, f);
	fclose(f);
	if (fdt_check_header(buf) || fdt_totalsize(buf) > len) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "%s is not a device tree", path);
		free(buf);
		return SHYPER_ERR_INVALID;
	}
	for (i = 0; i < dom->hostdev_count; i++) {
		const struct shyper_domain_hostdev *d = &dom->hostdevs[i];

		if (find_host_node(buf, d) < 0) {
			shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "<hostdev> %s: the MVM's device "
					"tree (%s) has no such node with reg at 0x%" PRIx64, d->node,
					path, d->base);
			free(buf);
			return SHYPER_ERR_NO_ENTRY;
		}
	}
	*host = buf;
	return 0;
}

/* Properties that name other host nodes or the host's view of the device. */
static bool dropped_property(const char *name)
{
	static const char *const dropped[] = {
		"reg", "interrupts", "interrupt-parent", "interrupts-extended", "interrupt-names",
		"clocks", "phandle", "linux,phandle", "status", "dmas", "dma-names", "iommus",
		"power-domains", "resets", "reset-names", "pinctrl-0", "pinctrl-names",
		"assigned-clocks", "assigned-clock-rates", "assigned-clock-parents",
	};

	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (!strcmp(name, dropped[i]))
			return true;
	return false;
}

/* How many clock specifiers the host's clocks property holds. */
static int clock_count(const void *host, int node)
{
	int len, n = 0, pos = 0;
	const fdt32_t *p = fdt_getprop(host, node, "clocks", &len);

	if (!p)
		return 0;
	len /= 4;
	while (pos < len) {
		int provider = fdt_node_offset_by_phandle(host, fdt32_to_cpu(p[pos]));
		const fdt32_t *cells = provider >= 0 ?
			fdt_getprop(host, provider, "#clock-cells", NULL) : NULL;

		pos += 1 + (cells ? (int)fdt32_to_cpu(*cells) : 0);
		n++;
	}
	return n;
}

/* The trigger type the host gives the device's first interrupt (level-high if unknown). */
static uint32_t irq_type(const void *host, int node)
{
	int len;
	const fdt32_t *p = fdt_getprop(host, node, "interrupts", &len);

	return p && len >= 12 ? fdt32_to_cpu(p[2]) : 4;
}

static int write_node(void *fdt, const struct shyper_domain_hostdev *d, const void *host,
		      uint32_t gic_phandle, uint32_t clock_phandle)
{
	int node = find_host_node(host, d), prop, clocks;
	fdt32_t cells[8];

	if (node < 0)
		return node;
	TRY(fdt_begin_node(fdt, fdt_get_name(host, node, NULL)));
	fdt_for_each_property_offset(prop, host, node) {
		const char *name;
		int len;
		const void *data = fdt_getprop_by_offset(host, prop, &name, &len);

		if (data && !dropped_property(name))
			TRY(fdt_property(fdt, name, data, len));
	}
	cells[0] = cpu_to_fdt32((uint32_t)(d->base >> 32));
	cells[1] = cpu_to_fdt32((uint32_t)d->base);
	cells[2] = cpu_to_fdt32((uint32_t)(d->size >> 32));
	cells[3] = cpu_to_fdt32((uint32_t)d->size);
	TRY(fdt_property(fdt, "reg", cells, 16));
	if (d->spi != SHYPER_DEV_NO_IRQ) {
		cells[0] = cpu_to_fdt32(0); /* GIC_SPI */
		cells[1] = cpu_to_fdt32(d->spi);
		cells[2] = cpu_to_fdt32(irq_type(host, node));
		TRY(fdt_property(fdt, "interrupts", cells, 12));
		TRY(fdt_property_u32(fdt, "interrupt-parent", gic_phandle));
	}
	clocks = clock_count(host, node);
	if (clocks > 0) {
		for (int i = 0; i < clocks && i < 8; i++)
			cells[i] = cpu_to_fdt32(clock_phandle);
		TRY(fdt_property(fdt, "clocks", cells, 4 * (clocks < 8 ? clocks : 8)));
	}
	TRY(fdt_property_string(fdt, "status", "okay"));
	return fdt_end_node(fdt);
}

int hostdev_fdt_write_nodes(void *fdt, const struct shyper_domain *dom, const void *host,
			    uint32_t gic_phandle, uint32_t clock_phandle)
{
	for (size_t i = 0; host && i < dom->hostdev_count; i++)
		TRY(write_node(fdt, &dom->hostdevs[i], host, gic_phandle, clock_phandle));
	return 0;
}
