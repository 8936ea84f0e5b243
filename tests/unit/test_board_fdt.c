// SPDX-License-Identifier: GPL-2.0
/*
 * Device trees: board_parse (core/board.c), mvm_fdt_build and
 * fdt_collect_devices (core/mvm_fdt.c) on a real QEMU virt DTB that the
 * Makefile dumps into the build directory (virt-smp4.dtb): GICv3, 4 CPUs,
 * 2 GiB, an MVM kernel at 0x48200000 and an initrd at 0x4a600000, each
 * 3000 bytes long.
 */
#include <stdio.h>
#include <stdlib.h>
#include <libfdt.h>
#include <hv/board.h>
#include <hv/mvm.h>
#include <hv/platform.h>
#include "unit.h"

#define FIXTURE "virt-smp4.dtb"
#define MODULE_SIZE 3000

static void *board_dtb;
static struct board_info b;
static char err[256];

static int load_fixture(void **state)
{
	FILE *f = fopen(FIXTURE, "rb");
	long len;

	(void)state;
	if (!f) {
		perror(FIXTURE);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	board_dtb = malloc((size_t)len);
	if (!board_dtb || fread(board_dtb, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int free_fixture(void **state)
{
	(void)state;
	free(board_dtb);
	return 0;
}

static int reset(void **state)
{
	(void)state;
	fake_reset();
	memset(&b, 0, sizeof(b));
	memset(err, 0, sizeof(err));
	return 0;
}

static void test_board_parse_qemu_virt(void **state)
{
	(void)state;
	assert_int_equal(board_parse(board_dtb, &b, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(b.model, "linux,dummy-virt");
	assert_int_equal(b.pcpu_count, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(b.mpidr[i], i);
	assert_int_equal(b.mem_count, 1);
	assert_int_equal(b.mem[0].base, 0x40000000);
	assert_int_equal(b.mem[0].size, 2 * GiB);
	assert_int_equal(b.gic_version, GIC_V3);
	assert_int_equal(b.gicd_base, 0x08000000);
	assert_int_equal(b.gicd_size, 0x10000);
	assert_int_equal(b.gicr_base, 0x080a0000);
	assert_true(b.gicr_size >= 4 * 0x20000);
	assert_int_equal(b.uart_base, 0x09000000);
	assert_int_equal(b.psci_conduit, CONDUIT_SMC);
	assert_int_equal(b.kernel_base, 0x48200000);
	assert_int_equal(b.kernel_size, MODULE_SIZE);
	assert_string_equal(b.kernel_args, "console=ttyAMA0 quiet");
	assert_int_equal(b.initrd_base, 0x4a600000);
	assert_int_equal(b.initrd_size, MODULE_SIZE);
}

static void test_platform_lookup(void **state)
{
	const struct platform_desc *p;
	void *dt = malloc(4096);

	(void)state;
	p = platform_find(board_dtb);
	assert_string_equal(p->name, "QEMU virt");
	assert_int_equal(p->stage2_max_block, PAGE_SIZE);
	/* An unknown board gets the generic description, without limits. */
	assert_int_equal(fdt_create_empty_tree(dt, 4096), 0);
	assert_int_equal(fdt_setprop_string(dt, 0, "compatible", "acme,unknown-board"), 0);
	p = platform_find(dt);
	assert_string_equal(p->name, "generic board");
	assert_int_equal(p->stage2_max_block, 0);
	free(dt);
}

static void test_board_parse_garbage(void **state)
{
	unsigned char junk[512];

	(void)state;
	memset(junk, 0xa5, sizeof(junk));
	assert_int_equal(board_parse(junk, &b, err, sizeof(err)), -1);
	assert_contains(err, "device tree");
	memset(junk, 0, sizeof(junk));
	err[0] = '\0';
	assert_int_equal(board_parse(junk, &b, err, sizeof(err)), -1);
	assert_contains(err, "device tree");
}

/* Valid trees that lack what a board needs, one piece at a time. */
static void test_board_parse_incomplete(void **state)
{
	static char dt[4096];
	uint32_t reg[4] = { 0, cpu_to_fdt32(0x40000000), 0, cpu_to_fdt32(0x10000000) };
	int node;

	(void)state;
	assert_int_equal(fdt_create_empty_tree(dt, sizeof(dt)), 0);
	assert_int_equal(fdt_setprop_u32(dt, 0, "#address-cells", 2), 0);
	assert_int_equal(fdt_setprop_u32(dt, 0, "#size-cells", 2), 0);
	assert_int_equal(board_parse(dt, &b, err, sizeof(err)), -1);
	assert_contains(err, "memory");

	node = fdt_add_subnode(dt, 0, "memory@40000000");
	assert_true(node >= 0);
	assert_int_equal(fdt_setprop_string(dt, node, "device_type", "memory"), 0);
	assert_int_equal(fdt_setprop(dt, node, "reg", reg, sizeof(reg)), 0);
	assert_int_equal(board_parse(dt, &b, err, sizeof(err)), -1);
	assert_contains(err, "CPU");

	node = fdt_add_subnode(dt, 0, "cpus");
	assert_true(node >= 0);
	assert_int_equal(fdt_setprop_u32(dt, node, "#address-cells", 1), 0);
	assert_int_equal(fdt_setprop_u32(dt, node, "#size-cells", 0), 0);
	node = fdt_add_subnode(dt, node, "cpu@0");
	assert_true(node >= 0);
	assert_int_equal(fdt_setprop_string(dt, node, "device_type", "cpu"), 0);
	assert_int_equal(fdt_setprop_u32(dt, node, "reg", 0), 0);
	assert_int_equal(board_parse(dt, &b, err, sizeof(err)), -1);
	assert_contains(err, "interrupt controller");
	assert_int_equal(b.mem_count, 1);
	assert_int_equal(b.mem[0].size, 0x10000000);
	assert_int_equal(b.pcpu_count, 1);
}

static const struct mem_region mvm_mem[] = {
	{ .ipa = { 0x40000000 }, .pa = { 0x60000000 }, .size = 512 * MiB },
	{ .ipa = { 0x100000000ULL }, .pa = { 0x80000000 }, .size = 256 * MiB },
};
static const uint64_t mvm_cpus[] = { 0, 2 };

static const struct mvm_fdt_params mvm_params = {
	.mem = mvm_mem,
	.mem_count = 2,
	.initrd_start = 0x4a600000,
	.initrd_size = MODULE_SIZE,
	.bootargs = "console=ttyAMA0 rdinit=/init",
	.cpu_mpidr = mvm_cpus,
	.cpu_count = 2,
	.hv_version = "0.1.0-unit",
};

static uint64_t cells_at(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

static void *build_mvm_fdt(void)
{
	void *out = malloc(MVM_FDT_MAX);

	assert_non_null(out);
	err[0] = '\0';
	if (mvm_fdt_build(board_dtb, &mvm_params, out, MVM_FDT_MAX, err, sizeof(err)))
		fail_msg("mvm_fdt_build: %s", err);
	assert_int_equal(fdt_check_header(out), 0);
	return out;
}

static void test_mvm_fdt_memory(void **state)
{
	void *dt = build_mvm_fdt();
	int node, count = 0, len = 0;
	const fdt32_t *reg = NULL;

	(void)state;
	fdt_for_each_subnode(node, dt, 0) {
		const char *type = fdt_getprop(dt, node, "device_type", NULL);

		if (type && !strcmp(type, "memory")) {
			count++;
			reg = fdt_getprop(dt, node, "reg", &len);
		}
	}
	assert_int_equal(count, 1);
	assert_non_null(reg);
	assert_int_equal(fdt_address_cells(dt, 0), 2);
	assert_int_equal(fdt_size_cells(dt, 0), 2);
	assert_int_equal(len, 2 * 4 * (int)sizeof(fdt32_t));
	assert_int_equal(cells_at(reg, 2), 0x40000000);
	assert_int_equal(cells_at(reg + 2, 2), 512 * MiB);
	assert_int_equal(cells_at(reg + 4, 2), 0x100000000ULL);
	assert_int_equal(cells_at(reg + 6, 2), 256 * MiB);
	assert_true(fdt_path_offset(dt, "/memory@40000000") >= 0);
	free(dt);
}

static void test_mvm_fdt_cpus(void **state)
{
	void *dt = build_mvm_fdt();
	int cpus = fdt_path_offset(dt, "/cpus"), node, count = 0;

	(void)state;
	assert_true(cpus >= 0);
	fdt_for_each_subnode(node, dt, cpus) {
		const char *type = fdt_getprop(dt, node, "device_type", NULL);
		const fdt32_t *reg;

		if (!type || strcmp(type, "cpu"))
			continue;
		reg = fdt_getprop(dt, node, "reg", NULL);
		assert_non_null(reg);
		assert_int_equal(fdt32_to_cpu(*reg), mvm_cpus[count]);
		count++;
	}
	assert_int_equal(count, 2);
	assert_true(fdt_subnode_offset(dt, cpus, "cpu-map") < 0);
	free(dt);
}

static void test_mvm_fdt_removed_nodes(void **state)
{
	void *dt = build_mvm_fdt();
	int chosen = fdt_path_offset(dt, "/chosen"), node;

	(void)state;
	assert_true(chosen >= 0);
	fdt_for_each_subnode(node, dt, chosen) {
		const char *name = fdt_get_name(dt, node, NULL);

		if (!strncmp(name, "module@", 7))
			fail_msg("/chosen/%s is still there", name);
	}
	assert_int_equal(fdt_node_offset_by_compatible(dt, -1, "multiboot,module"),
			 -FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_node_offset_by_compatible(dt, -1, "arm,gic-v3-its"),
			 -FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_node_offset_by_compatible(dt, -1, "pci-host-ecam-generic"),
			 -FDT_ERR_NOTFOUND);
	/* What the MVM keeps: its GIC, its console. */
	assert_true(fdt_node_offset_by_compatible(dt, -1, "arm,gic-v3") >= 0);
	assert_true(fdt_node_offset_by_compatible(dt, -1, "arm,pl011") >= 0);
	free(dt);
}

/* Property values are only 4-byte aligned in a DTB. */
static uint64_t be64_at(const void *p)
{
	fdt64_t v;

	memcpy(&v, p, sizeof(v));
	return fdt64_to_cpu(v);
}

static void test_mvm_fdt_chosen_and_hypervisor(void **state)
{
	void *dt = build_mvm_fdt();
	int chosen = fdt_path_offset(dt, "/chosen"), hv, len;
	const char *args;
	const void *start, *end;

	(void)state;
	args = fdt_getprop(dt, chosen, "bootargs", &len);
	assert_non_null(args);
	assert_string_equal(args, "console=ttyAMA0 rdinit=/init");
	start = fdt_getprop(dt, chosen, "linux,initrd-start", &len);
	assert_non_null(start);
	assert_int_equal(len, 8);
	assert_int_equal(be64_at(start), 0x4a600000);
	end = fdt_getprop(dt, chosen, "linux,initrd-end", &len);
	assert_non_null(end);
	assert_int_equal(len, 8);
	assert_int_equal(be64_at(end), 0x4a600000 + MODULE_SIZE);

	hv = fdt_path_offset(dt, "/hypervisor");
	assert_true(hv >= 0);
	assert_int_equal(fdt_node_check_compatible(dt, hv, "shyper,hypervisor"), 0);
	assert_string_equal(fdt_getprop(dt, hv, "shyper,version", NULL), "0.1.0-unit");
	free(dt);
}

static void test_mvm_fdt_without_initrd(void **state)
{
	struct mvm_fdt_params p = mvm_params;
	void *dt = malloc(MVM_FDT_MAX);
	int chosen;

	(void)state;
	p.initrd_size = 0;
	p.bootargs = NULL;
	assert_int_equal(mvm_fdt_build(board_dtb, &p, dt, MVM_FDT_MAX, err, sizeof(err)), 0);
	chosen = fdt_path_offset(dt, "/chosen");
	assert_null(fdt_getprop(dt, chosen, "linux,initrd-start", NULL));
	assert_null(fdt_getprop(dt, chosen, "linux,initrd-end", NULL));
	assert_string_equal(fdt_getprop(dt, chosen, "bootargs", NULL), "");
	free(dt);
}

static void test_mvm_fdt_errors(void **state)
{
	void *dt = build_mvm_fdt();
	int need = fdt_totalsize(dt);
	struct mvm_fdt_params p = mvm_params;
	void *small;

	(void)state;
	free(dt);
	/* Exactly sized buffers: ASan sees any write past the end. */
	small = malloc(1024);
	err[0] = '\0';
	assert_int_equal(mvm_fdt_build(board_dtb, &mvm_params, small, 1024, err, sizeof(err)), -1);
	assert_contains(err, "FDT_ERR_NOSPACE");
	free(small);

	small = malloc((size_t)need - 16);
	err[0] = '\0';
	assert_int_equal(mvm_fdt_build(board_dtb, &mvm_params, small, (size_t)need - 16, err,
				       sizeof(err)),
			 -1);
	assert_contains(err, "FDT_ERR_NOSPACE");
	free(small);

	dt = malloc(MVM_FDT_MAX);
	p.mem_count = 0;
	err[0] = '\0';
	assert_int_equal(mvm_fdt_build(board_dtb, &p, dt, MVM_FDT_MAX, err, sizeof(err)), -1);
	assert_contains(err, "memory");
	p = mvm_params;
	p.cpu_count = 0;
	err[0] = '\0';
	assert_int_equal(mvm_fdt_build(board_dtb, &p, dt, MVM_FDT_MAX, err, sizeof(err)), -1);
	assert_contains(err, "CPU");
	p = mvm_params;
	p.mem_count = MAX_VM_MEM_REGIONS + 1;
	err[0] = '\0';
	assert_int_equal(mvm_fdt_build(board_dtb, &p, dt, MVM_FDT_MAX, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	memset(dt, 0x5a, 64);
	err[0] = '\0';
	assert_int_equal(mvm_fdt_build(dt, &mvm_params, dt + 4096, 64 * 1024, err, sizeof(err)),
			 -1);
	assert_true(err[0] != '\0');
	free(dt);
}

static bool covers(const struct mmio_range *r, int n, uint64_t base, uint64_t size)
{
	for (int i = 0; i < n; i++)
		if (range_within(base, size, r[i].base, r[i].size))
			return true;
	return false;
}

static bool touches(const struct mmio_range *r, int n, uint64_t base, uint64_t size)
{
	for (int i = 0; i < n; i++)
		if (ranges_overlap(base, size, r[i].base, r[i].size))
			return true;
	return false;
}

static void test_collect_devices(void **state)
{
	void *dt = build_mvm_fdt();
	struct mmio_range r[MAX_VM_DEVICES];
	int n;

	(void)state;
	n = fdt_collect_devices(dt, r, MAX_VM_DEVICES);
	assert_true(n > 33);
	for (int i = 0; i < n; i++) {
		assert_true(IS_ALIGNED(r[i].base, PAGE_SIZE));
		assert_true(IS_ALIGNED(r[i].size, PAGE_SIZE));
		assert_true(r[i].size > 0);
	}
	assert_true(covers(r, n, 0x09000000, PAGE_SIZE));
	for (unsigned i = 0; i < 32; i++)
		if (!covers(r, n, 0x0a000000 + i * 0x200, 0x200))
			fail_msg("virtio-mmio slot %u is missing", i);
	assert_false(touches(r, n, 0x08000000, 0x10000));   /* GICD */
	assert_false(touches(r, n, 0x080a0000, 0xf60000));  /* GICRs */
	assert_false(touches(r, n, 0x08080000, 0x20000));   /* ITS */
	assert_false(touches(r, n, 0x40000000, 2 * GiB));   /* RAM */
	assert_false(touches(r, n, 0x100000000ULL, 256 * MiB));
	assert_false(touches(r, n, 0x4010000000ULL, 256 * MiB)); /* PCIe ECAM */

	/* One slot too few: the whole answer is -1, not a silent cut. */
	assert_int_equal(fdt_collect_devices(dt, r, (unsigned)n - 1), -1);
	assert_int_equal(fdt_collect_devices(dt, r, (unsigned)n), n);
	free(dt);
}

#define T(fn) cmocka_unit_test_setup(fn, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_board_parse_qemu_virt),
		T(test_platform_lookup),
		T(test_board_parse_garbage),
		T(test_board_parse_incomplete),
		T(test_mvm_fdt_memory),
		T(test_mvm_fdt_cpus),
		T(test_mvm_fdt_removed_nodes),
		T(test_mvm_fdt_chosen_and_hypervisor),
		T(test_mvm_fdt_without_initrd),
		T(test_mvm_fdt_errors),
		T(test_collect_devices),
	};

	return cmocka_run_group_tests_name("board_fdt", tests, load_fixture, free_fixture);
}
