// SPDX-License-Identifier: GPL-2.0
/*
 * The board as its device tree describes it: RAM, CPUs, GIC, console UART,
 * firmware conduit, and the boot modules (MVM kernel and initramfs) that the
 * loader placed in memory under the "multiboot" binding.
 */
#include <hv/board.h>
#include <hv/log.h>
#include <libfdt.h>
#include <string.h>

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_ld(p + i);
	return v;
}

/*
 * Cell sizes for the children of parent. /chosen usually has none of its
 * own; its module nodes are then written in the root's sizes (QEMU, U-Boot).
 */
static void child_cells(const void *fdt, int parent, int *ac, int *sc)
{
	int chosen = fdt_path_offset(fdt, "/chosen");

	if (parent == chosen && !fdt_getprop(fdt, parent, "#address-cells", NULL))
		parent = 0;
	*ac = fdt_address_cells(fdt, parent);
	*sc = fdt_size_cells(fdt, parent);
}

bool fdt_read_reg(const void *fdt, int node, int idx, uint64_t *addr, uint64_t *size)
{
	int parent = fdt_parent_offset(fdt, node);
	int ac, sc, len;
	const fdt32_t *reg;

	if (parent < 0)
		return false;
	child_cells(fdt, parent, &ac, &sc);
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg || ac < 1 || ac > 2 || sc < 0 || sc > 2 ||
	    len < (idx + 1) * (ac + sc) * (int)sizeof(fdt32_t))
		return false;
	reg += idx * (ac + sc);
	*addr = read_cells(reg, ac);
	*size = sc ? read_cells(reg + ac, sc) : 0;
	return true;
}

static bool node_is_enabled(const void *fdt, int node)
{
	const char *status = fdt_getprop(fdt, node, "status", NULL);

	return !status || !strcmp(status, "okay") || !strcmp(status, "ok");
}

static int parse_memory(const void *fdt, struct board_info *b)
{
	int node;

	b->mem_count = 0;
	fdt_for_each_subnode(node, fdt, 0) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		uint64_t addr, size;

		if (!type || strcmp(type, "memory") || !node_is_enabled(fdt, node))
			continue;
		for (int i = 0; fdt_read_reg(fdt, node, i, &addr, &size); i++) {
			if (!size)
				continue;
			if (b->mem_count == BOARD_MAX_MEM)
				return -1;
			b->mem[b->mem_count++] = (struct mmio_range){ addr, size };
		}
	}
	return b->mem_count ? 0 : -1;
}

static int parse_cpus(const void *fdt, struct board_info *b)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	int node;

	b->pcpu_count = 0;
	if (cpus < 0)
		return -1;
	fdt_for_each_subnode(node, fdt, cpus) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		uint64_t mpidr, unused;

		if (!type || strcmp(type, "cpu") || !node_is_enabled(fdt, node))
			continue;
		if (!fdt_read_reg(fdt, node, 0, &mpidr, &unused))
			return -1;
		if (b->pcpu_count == MAX_PCPUS) {
			pr_warn("board has more than %u CPUs; using the first %u", MAX_PCPUS, MAX_PCPUS);
			break;
		}
		b->mpidr[b->pcpu_count++] = mpidr;
	}
	return b->pcpu_count ? 0 : -1;
}

static int parse_gic(const void *fdt, struct board_info *b)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");

	if (node >= 0) {
		b->gic_version = GIC_V3;
		if (!fdt_read_reg(fdt, node, 0, &b->gicd_base, &b->gicd_size) ||
		    !fdt_read_reg(fdt, node, 1, &b->gicr_base, &b->gicr_size))
			return -1;
		return 0;
	}
	node = fdt_node_offset_by_compatible(fdt, -1, "arm,cortex-a15-gic");
	if (node < 0)
		node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-400");
	if (node >= 0) {
		b->gic_version = GIC_V2;
		return fdt_read_reg(fdt, node, 0, &b->gicd_base, &b->gicd_size) ? 0 : -1;
	}
	return -1;
}

/* The UART that /chosen/stdout-path names, else the first PL011. */
static void parse_console(const void *fdt, struct board_info *b)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	int node = -1, len;
	uint64_t size;

	if (chosen >= 0) {
		const char *path = fdt_getprop(fdt, chosen, "stdout-path", &len);

		if (path && len > 0) {
			const char *colon = memchr(path, ':', (size_t)len);
			int plen = colon ? (int)(colon - path) : (int)strnlen(path, (size_t)len);

			if (path[0] == '/')
				node = fdt_path_offset_namelen(fdt, path, plen);
			else if (fdt_get_alias_namelen(fdt, path, plen))
				node = fdt_path_offset(fdt, fdt_get_alias_namelen(fdt, path, plen));
		}
	}
	if (node < 0 || fdt_node_check_compatible(fdt, node, "arm,pl011"))
		node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl011");
	if (node < 0 || !fdt_read_reg(fdt, node, 0, &b->uart_base, &size))
		b->uart_base = 0;
}

static void parse_psci(const void *fdt, struct board_info *b)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
	const char *method;

	if (node < 0)
		node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci");
	method = node >= 0 ? fdt_getprop(fdt, node, "method", NULL) : NULL;
	if (method && !strcmp(method, "hvc"))
		b->psci_conduit = CONDUIT_HVC;
	else if (method && !strcmp(method, "smc"))
		b->psci_conduit = CONDUIT_SMC;
	else
		b->psci_conduit = CONDUIT_NONE;
}

static void parse_modules(const void *fdt, struct board_info *b)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	int node, len;

	b->kernel_size = b->initrd_size = 0;
	b->kernel_args[0] = '\0';
	if (chosen < 0)
		return;
	fdt_for_each_subnode(node, fdt, chosen) {
		uint64_t addr, size;

		if (!fdt_read_reg(fdt, node, 0, &addr, &size))
			continue;
		if (!fdt_node_check_compatible(fdt, node, "multiboot,kernel")) {
			const char *args = fdt_getprop(fdt, node, "bootargs", &len);

			b->kernel_base = addr;
			b->kernel_size = size;
			if (args && len > 0) {
				size_t n = strnlen(args, (size_t)len);

				if (n >= sizeof(b->kernel_args))
					n = sizeof(b->kernel_args) - 1;
				memcpy(b->kernel_args, args, n);
				b->kernel_args[n] = '\0';
			}
		} else if (!fdt_node_check_compatible(fdt, node, "multiboot,ramdisk")) {
			b->initrd_base = addr;
			b->initrd_size = size;
		}
	}
}

int board_parse(const void *fdt, struct board_info *b, char *err, size_t err_len)
{
	const char *model;

	if (fdt_check_header(fdt)) {
		snprintf(err, err_len, "no valid device tree was passed in x0");
		return -1;
	}
	model = fdt_getprop(fdt, 0, "model", NULL);
	snprintf(b->model, sizeof(b->model), "%s", model ? model : "unknown board");
	if (parse_memory(fdt, b)) {
		snprintf(err, err_len, "the device tree describes no usable memory");
		return -1;
	}
	if (parse_cpus(fdt, b)) {
		snprintf(err, err_len, "the device tree describes no CPUs");
		return -1;
	}
	if (parse_gic(fdt, b)) {
		snprintf(err, err_len, "no supported interrupt controller (GICv2/GICv3) found");
		return -1;
	}
	parse_console(fdt, b);
	parse_psci(fdt, b);
	parse_modules(fdt, b);
	return 0;
}
