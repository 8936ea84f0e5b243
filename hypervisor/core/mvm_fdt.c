// SPDX-License-Identifier: GPL-2.0
/*
 * The MVM's device tree, derived from the board's (see hv/mvm.h). Pure
 * libfdt work on buffers, so the host unit tests run it on real board DTBs.
 */
#include <hv/board.h>
#include <hv/log.h>
#include <hv/mvm.h>
#include <libfdt.h>
#include <string.h>

/* Devices the MVM does not get: the GIC's ITS (no LPIs are emulated) and the
 * PCIe host bridge (its windows lie beyond the MVM's IPA space and it is
 * not passed through). */
static const char *const removed_compatibles[] = {
	"multiboot,module",
	"arm,gic-v3-its",
	"pci-host-ecam-generic",
};

static const char *const irqchip_compatibles[] = {
	"arm,gic-v3",
	"arm,gic-400",
	"arm,cortex-a15-gic",
};

#define TRY(expr)                                                                  \
	do {                                                                       \
		int __rc = (expr);                                                 \
		if (__rc < 0) {                                                    \
			snprintf(err, err_len, "%s: %s", #expr, fdt_strerror(__rc)); \
			return -1;                                                 \
		}                                                                  \
	} while (0)

static int remove_by_compatible(void *fdt, const char *compat)
{
	int node;

	while ((node = fdt_node_offset_by_compatible(fdt, -1, compat)) >= 0) {
		int rc = fdt_del_node(fdt, node);

		if (rc)
			return rc;
	}
	return 0;
}

static int put_cells(fdt32_t *p, int cells, uint64_t v)
{
	for (int i = cells - 1; i >= 0; i--) {
		p[i] = cpu_to_fdt32((uint32_t)v);
		v >>= 32;
	}
	return cells;
}

static int set_memory(void *fdt, const struct mvm_fdt_params *p, char *err, size_t err_len)
{
	int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
	fdt32_t reg[MAX_VM_MEM_REGIONS * 4];
	int node, n = 0;
	char name[32];

	/* Drop every memory node, then describe exactly what the MVM owns. */
	for (;;) {
		const char *type;
		bool found = false;

		fdt_for_each_subnode(node, fdt, 0) {
			type = fdt_getprop(fdt, node, "device_type", NULL);
			if (type && !strcmp(type, "memory")) {
				found = true;
				break;
			}
		}
		if (!found)
			break;
		TRY(fdt_del_node(fdt, node));
	}
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2 || p->mem_count > MAX_VM_MEM_REGIONS) {
		snprintf(err, err_len, "unsupported #address-cells/#size-cells at the root");
		return -1;
	}
	for (unsigned i = 0; i < p->mem_count; i++) {
		n += put_cells(reg + n, ac, ipa_addr(p->mem[i].ipa));
		n += put_cells(reg + n, sc, p->mem[i].size);
	}
	snprintf(name, sizeof(name), "memory@%lx", ipa_addr(p->mem[0].ipa));
	node = fdt_add_subnode(fdt, 0, name);
	TRY(node);
	TRY(fdt_setprop_string(fdt, node, "device_type", "memory"));
	TRY(fdt_setprop(fdt, node, "reg", reg, n * (int)sizeof(fdt32_t)));
	return 0;
}

static bool mpidr_listed(const struct mvm_fdt_params *p, uint64_t mpidr)
{
	for (unsigned i = 0; i < p->cpu_count; i++)
		if (p->cpu_mpidr[i] == mpidr)
			return true;
	return false;
}

static int filter_cpus(void *fdt, const struct mvm_fdt_params *p, char *err, size_t err_len)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	bool again = true;

	if (cpus < 0)
		return 0;
	while (again) {
		int node;

		again = false;
		fdt_for_each_subnode(node, fdt, cpus) {
			const char *type = fdt_getprop(fdt, node, "device_type", NULL);
			uint64_t mpidr, unused;

			if (!type || strcmp(type, "cpu") || !fdt_read_reg(fdt, node, 0, &mpidr, &unused))
				continue;
			if (!mpidr_listed(p, mpidr)) {
				TRY(fdt_del_node(fdt, node));
				again = true;
				break;
			}
		}
	}
	/* A cpu-map would name the removed CPUs: it is optional, drop it. */
	{
		int map = fdt_subnode_offset(fdt, cpus, "cpu-map");

		if (map >= 0)
			TRY(fdt_del_node(fdt, map));
	}
	return 0;
}

static int set_chosen(void *fdt, const struct mvm_fdt_params *p, char *err, size_t err_len)
{
	int chosen = fdt_path_offset(fdt, "/chosen");

	if (chosen < 0)
		chosen = fdt_add_subnode(fdt, 0, "chosen");
	TRY(chosen);
	TRY(fdt_setprop_string(fdt, chosen, "bootargs", p->bootargs ? p->bootargs : ""));
	fdt_delprop(fdt, chosen, "linux,initrd-start");
	fdt_delprop(fdt, chosen, "linux,initrd-end");
	if (p->initrd_size) {
		TRY(fdt_setprop_u64(fdt, chosen, "linux,initrd-start", p->initrd_start));
		TRY(fdt_setprop_u64(fdt, chosen, "linux,initrd-end", p->initrd_start + p->initrd_size));
	}
	return 0;
}

static int add_hypervisor_node(void *fdt, const struct mvm_fdt_params *p, char *err,
			       size_t err_len)
{
	int node = fdt_add_subnode(fdt, 0, "hypervisor");

	TRY(node);
	TRY(fdt_setprop_string(fdt, node, "compatible", "shyper,hypervisor"));
	TRY(fdt_setprop_string(fdt, node, "shyper,version", p->hv_version ? p->hv_version : ""));
	if (p->notify_intid >= 32) {
		/* GIC binding: SPI, number, edge rising */
		fdt32_t irq[3] = { cpu_to_fdt32(0), cpu_to_fdt32(p->notify_intid - 32),
				   cpu_to_fdt32(1) };

		TRY(fdt_setprop(fdt, node, "interrupts", irq, sizeof(irq)));
	}
	return 0;
}

int mvm_fdt_build(const void *board_fdt, const struct mvm_fdt_params *p, void *out,
		  size_t out_size, char *err, size_t err_len)
{
	if (!p->mem_count || !p->cpu_count) {
		snprintf(err, err_len, "the MVM needs memory and at least one CPU");
		return -1;
	}
	TRY(fdt_check_header(board_fdt));
	TRY(fdt_open_into(board_fdt, out, (int)out_size));
	for (unsigned i = 0; i < ARRAY_SIZE(removed_compatibles); i++)
		TRY(remove_by_compatible(out, removed_compatibles[i]));
	if (set_memory(out, p, err, err_len) || filter_cpus(out, p, err, err_len) ||
	    set_chosen(out, p, err, err_len) || add_hypervisor_node(out, p, err, err_len))
		return -1;
	TRY(fdt_pack(out));
	return 0;
}

static bool is_plain_bus(const void *fdt, int node)
{
	int len;

	if (node == 0)
		return true;
	if (fdt_node_check_compatible(fdt, node, "simple-bus"))
		return false;
	/* Only buses whose children's addresses are already physical. */
	return fdt_getprop(fdt, node, "ranges", &len) && len == 0;
}

static bool skip_node(const void *fdt, int node)
{
	const char *type = fdt_getprop(fdt, node, "device_type", NULL);
	const char *status = fdt_getprop(fdt, node, "status", NULL);

	if (status && strcmp(status, "okay") && strcmp(status, "ok"))
		return true;
	if (type && (!strcmp(type, "memory") || !strcmp(type, "cpu")))
		return true;
	for (unsigned i = 0; i < ARRAY_SIZE(irqchip_compatibles); i++)
		if (!fdt_node_check_compatible(fdt, node, irqchip_compatibles[i]))
			return true;
	return false;
}

static int collect_under(const void *fdt, int parent, struct mmio_range *out, unsigned max,
			 unsigned *count)
{
	int node;

	fdt_for_each_subnode(node, fdt, parent) {
		uint64_t addr, size;

		if (skip_node(fdt, node))
			continue;
		if (is_plain_bus(fdt, node)) {
			if (collect_under(fdt, node, out, max, count))
				return -1;
			continue;
		}
		for (int i = 0; fdt_read_reg(fdt, node, i, &addr, &size); i++) {
			if (!size)
				continue;
			if (*count == max)
				return -1;
			out[*count].base = ALIGN_DOWN(addr, PAGE_SIZE);
			out[*count].size = ALIGN_UP(addr + size, PAGE_SIZE) - out[*count].base;
			(*count)++;
		}
	}
	return 0;
}

int fdt_collect_devices(const void *fdt, struct mmio_range *out, unsigned max)
{
	unsigned count = 0;

	if (collect_under(fdt, 0, out, max, &count))
		return -1;
	return (int)count;
}
