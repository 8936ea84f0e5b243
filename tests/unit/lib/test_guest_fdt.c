// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The guest device-tree generator (lib/guest_fdt.c): the tree read back
 * with libfdt node by node, checked by fdt_check_full() and by dtc, and a
 * user-supplied <dtb> with its /chosen brought up to date.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libfdt.h>

#include <shyper/domain.h>

static struct shyper_domain *make_domain(unsigned int vcpus, uint64_t memory,
					 const char *cmdline, bool serial)
{
	struct shyper_domain *dom = calloc(1, sizeof(*dom));

	assert_non_null(dom);
	strcpy(dom->name, "fdt");
	dom->type = SHYPER_VM_GVM;
	dom->vcpu_count = vcpus;
	dom->memory = memory;
	dom->kernel = strdup("/k");
	if (cmdline)
		dom->cmdline = strdup(cmdline);
	if (serial) {
		dom->console_count = 1;
		dom->consoles[0].target = SHYPER_CONSOLE_SERIAL;
	}
	return dom;
}

static int node(const void *fdt, const char *path)
{
	int offset = fdt_path_offset(fdt, path);

	if (offset < 0)
		fail_msg("no node %s: %s", path, fdt_strerror(offset));
	return offset;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	const void *value = fdt_getprop(fdt, node(fdt, path), name, len);

	if (!value)
		fail_msg("no property %s in %s", name, path);
	return value;
}

/* PATH's NAME must hold exactly the COUNT cells of EXPECTED. */
static void assert_cells(const void *fdt, const char *path, const char *name,
			 const uint32_t *expected, int count)
{
	int len, i;
	const fdt32_t *cells = prop(fdt, path, name, &len);

	assert_int_equal(len, count * 4);
	for (i = 0; i < count; i++)
		if (fdt32_to_cpu(cells[i]) != expected[i])
			fail_msg("%s %s cell %d: 0x%x, expected 0x%x", path, name, i,
				 fdt32_to_cpu(cells[i]), expected[i]);
}

static void assert_string_prop(const void *fdt, const char *path, const char *name,
			       const char *expected, int len_expected)
{
	int len;
	const char *value = prop(fdt, path, name, &len);

	assert_int_equal(len, len_expected);
	assert_memory_equal(value, expected, (size_t)len_expected);
}

static uint64_t u64_prop(const void *fdt, const char *path, const char *name)
{
	int len;
	const void *value = prop(fdt, path, name, &len);
	fdt64_t raw;

	/* Properties are only 4-byte aligned. */
	assert_int_equal(len, 8);
	memcpy(&raw, value, sizeof(raw));
	return fdt64_to_cpu(raw);
}

static void *build(const struct shyper_domain *dom, const struct shyper_guest_initrd *initrd,
		   size_t *size)
{
	struct shyper_domain_diag diag = { 0 };
	void *blob = NULL;
	int rc = shyper_guest_fdt_build(dom, initrd, &blob, size, &diag);

	if (rc) {
		shyper_domain_diag_print(&diag, "fdt", stderr);
		fail_msg("shyper_guest_fdt_build: %d", rc);
	}
	assert_int_equal(diag.count, 0);
	assert_int_equal(fdt_check_full(blob, *size), 0);
	assert_int_equal(fdt_totalsize(blob), *size);
	assert_true(*size <= SHYPER_DOMAIN_DTB_MAX_SIZE);
	return blob;
}

static void write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

static void test_machine_nodes(void **state)
{
	struct shyper_domain *dom = make_domain(3, 256ULL << 20, "console=ttyAMA0 quiet", true);
	struct shyper_guest_initrd initrd = { .ipa = 0x48000000, .size = 0x123456 };
	static const uint32_t memory_reg[] = { 0, 0x40000000, 0, 0x10000000 };
	static const uint32_t gic_reg[] = { 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x60000 };
	static const uint32_t timer_irqs[] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	static const uint32_t uart_reg[] = { 0, 0x09000000, 0, 0x1000 };
	static const uint32_t uart_irq[] = { 0, 1, 4 };
	static const char psci[] = "arm,psci-1.0\0arm,psci-0.2";
	static const char pl011[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	uint32_t clocks[2], gic_phandle, cell;
	char path[32];
	size_t size;
	void *fdt = build(dom, &initrd, &size);
	int len;

	(void)state;
	assert_cells(fdt, "/memory@40000000", "reg", memory_reg, 4);
	assert_string_prop(fdt, "/memory@40000000", "device_type", "memory", 7);

	assert_int_equal(fdt_subnode_offset(fdt, node(fdt, "/cpus"), "cpu@3"), -FDT_ERR_NOTFOUND);
	for (cell = 0; cell < 3; cell++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%u", cell);
		assert_cells(fdt, path, "reg", &cell, 1);
		assert_string_prop(fdt, path, "compatible", "arm,armv8", 10);
		assert_string_prop(fdt, path, "enable-method", "psci", 5);
		assert_string_prop(fdt, path, "device_type", "cpu", 4);
	}

	assert_string_prop(fdt, "/psci", "compatible", psci, sizeof(psci));
	assert_string_prop(fdt, "/psci", "method", "hvc", 4);

	assert_string_prop(fdt, "/intc@8000000", "compatible", "arm,gic-v3", 11);
	assert_cells(fdt, "/intc@8000000", "reg", gic_reg, 8);
	cell = 3;
	assert_cells(fdt, "/intc@8000000", "#interrupt-cells", &cell, 1);
	prop(fdt, "/intc@8000000", "interrupt-controller", &len);
	assert_int_equal(len, 0);
	gic_phandle = fdt_get_phandle(fdt, node(fdt, "/intc@8000000"));
	assert_true(gic_phandle != 0);
	assert_cells(fdt, "/", "interrupt-parent", &gic_phandle, 1);

	assert_cells(fdt, "/timer", "interrupts", timer_irqs, 12);

	assert_string_prop(fdt, "/pl011@9000000", "compatible", pl011, sizeof(pl011));
	assert_cells(fdt, "/pl011@9000000", "reg", uart_reg, 4);
	assert_cells(fdt, "/pl011@9000000", "interrupts", uart_irq, 3);
	assert_string_prop(fdt, "/pl011@9000000", "clock-names", clock_names, sizeof(clock_names));
	clocks[0] = clocks[1] = fdt_get_phandle(fdt, node(fdt, "/apb-pclk"));
	assert_true(clocks[0] != 0 && clocks[0] != gic_phandle);
	assert_cells(fdt, "/pl011@9000000", "clocks", clocks, 2);
	cell = 24000000;
	assert_cells(fdt, "/apb-pclk", "clock-frequency", &cell, 1);
	assert_string_prop(fdt, "/apb-pclk", "compatible", "fixed-clock", 12);

	/* The power button: a PL061 and gpio-keys as on QEMU virt. */
	{
		static const char pl061[] = "arm,pl061\0arm,primecell";
		static const uint32_t gpio_reg[] = { 0, 0x09030000, 0, 0x1000 };
		static const uint32_t gpio_irq[] = { 0, 7, 4 };
		uint32_t gpio_phandle = fdt_get_phandle(fdt, node(fdt, "/pl061@9030000"));
		uint32_t key_gpios[3] = { gpio_phandle, 3, 0 }, two = 2, power = 116;

		assert_true(gpio_phandle != 0 && gpio_phandle != gic_phandle &&
			    gpio_phandle != clocks[0]);
		assert_string_prop(fdt, "/pl061@9030000", "compatible", pl061, sizeof(pl061));
		assert_cells(fdt, "/pl061@9030000", "reg", gpio_reg, 4);
		assert_cells(fdt, "/pl061@9030000", "interrupts", gpio_irq, 3);
		assert_cells(fdt, "/pl061@9030000", "#gpio-cells", &two, 1);
		assert_cells(fdt, "/pl061@9030000", "clocks", clocks, 1);
		prop(fdt, "/pl061@9030000", "gpio-controller", &len);
		assert_int_equal(len, 0);
		assert_string_prop(fdt, "/gpio-keys", "compatible", "gpio-keys", 10);
		assert_cells(fdt, "/gpio-keys/poweroff", "gpios", key_gpios, 3);
		assert_cells(fdt, "/gpio-keys/poweroff", "linux,code", &power, 1);
	}

	assert_string_prop(fdt, "/chosen", "bootargs", "console=ttyAMA0 quiet", 22);
	assert_string_prop(fdt, "/chosen", "stdout-path", "/pl011@9000000", 15);
	/* stdout-path names a node that exists. */
	node(fdt, "/pl011@9000000");
	assert_int_equal(u64_prop(fdt, "/chosen", "linux,initrd-start"), 0x48000000);
	assert_int_equal(u64_prop(fdt, "/chosen", "linux,initrd-end"), 0x48123456);
	free(fdt);
	shyper_domain_free(dom);
}

static void test_without_options(void **state)
{
	struct shyper_domain *dom = make_domain(1, 2ULL << 20, NULL, false);
	static const uint32_t gicr_reg[] = { 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x20000 };
	size_t size;
	void *fdt = build(dom, NULL, &size);
	int chosen = node(fdt, "/chosen"), len;

	(void)state;
	assert_null(fdt_getprop(fdt, chosen, "bootargs", &len));
	assert_null(fdt_getprop(fdt, chosen, "stdout-path", &len));
	assert_null(fdt_getprop(fdt, chosen, "linux,initrd-start", &len));
	assert_null(fdt_getprop(fdt, chosen, "linux,initrd-end", &len));
	/* The PL011 is part of the machine all the same. */
	node(fdt, "/pl011@9000000");
	assert_cells(fdt, "/intc@8000000", "reg", gicr_reg, 8);
	free(fdt);
	shyper_domain_free(dom);
}

/* A virtio console as the primary console: its virtio-mmio slot, and no
 * stdout-path (Linux takes console=hvc0 from the command line). */
static void test_virtio_console_nodes(void **state)
{
	struct shyper_domain *dom = make_domain(1, 64ULL << 20, "console=hvc0", true);
	static const uint32_t virtio_reg[] = { 0, 0x0a000000, 0, 0x200 };
	static const uint32_t virtio_irq[] = { 0, 16, 4 }; /* SPI 16, level-high */
	size_t size;
	void *fdt;
	int len;

	(void)state;
	dom->console_count = 2;
	dom->consoles[1] = dom->consoles[0];
	dom->consoles[0].target = SHYPER_CONSOLE_VIRTIO;
	fdt = build(dom, NULL, &size);
	assert_cells(fdt, "/virtio_mmio@a000000", "reg", virtio_reg, 4);
	assert_cells(fdt, "/virtio_mmio@a000000", "interrupts", virtio_irq, 3);
	assert_string_prop(fdt, "/virtio_mmio@a000000", "compatible", "virtio,mmio", 12);
	assert_non_null(prop(fdt, "/virtio_mmio@a000000", "dma-coherent", &len));
	assert_int_equal(len, 0);
	assert_true(fdt_path_offset(fdt, "/virtio_mmio@a000200") < 0);
	assert_null(fdt_getprop(fdt, node(fdt, "/chosen"), "stdout-path", &len));
	node(fdt, "/pl011@9000000"); /* the machine still has it */
	free(fdt);

	/* A serial primary console: no virtio slot, stdout-path to the PL011. */
	dom->consoles[0].target = SHYPER_CONSOLE_SERIAL;
	dom->consoles[1].target = SHYPER_CONSOLE_VIRTIO;
	dom->consoles[1].port = 1;
	fdt = build(dom, NULL, &size);
	assert_true(fdt_path_offset(fdt, "/virtio_mmio@a000000") < 0);
	assert_string_prop(fdt, "/chosen", "stdout-path", "/pl011@9000000", 15);
	free(fdt);
	shyper_domain_free(dom);
}

static void test_dtc_accepts_it(void **state)
{
	struct shyper_domain *dom = make_domain(8, 8ULL << 30, "console=ttyAMA0 \"quoted\"", true);
	struct shyper_guest_initrd initrd = { .ipa = 0x50000000, .size = 4096 };

	/* With a virtio-mmio slot in it too. */
	dom->console_count = 2;
	dom->consoles[1] = dom->consoles[0];
	dom->consoles[0].target = SHYPER_CONSOLE_VIRTIO;
	char path[] = "/tmp/shyper-fdt-XXXXXX", *command, *out = NULL;
	size_t size, len = 0;
	void *fdt = build(dom, &initrd, &size);
	FILE *pipe;
	int fd, rc;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, fdt, size);
	/* Warnings count as failures too: they go to the captured output. */
	assert_true(asprintf(&command, "dtc -I dtb -O dts -o /dev/null %s 2>&1", path) > 0);
	pipe = popen(command, "r");
	assert_non_null(pipe);
	{
		char buf[512];
		size_t n;
		FILE *mem = open_memstream(&out, &len);

		while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
			fwrite(buf, 1, n, mem);
		fclose(mem);
	}
	rc = pclose(pipe);
	unlink(path);
	if (rc != 0 || len != 0)
		fail_msg("dtc (status %d) said: %s", rc, out);
	free(out);
	free(command);
	free(fdt);
	shyper_domain_free(dom);
}

static void test_bad_initrd(void **state)
{
	struct shyper_domain *dom = make_domain(1, 64ULL << 20, NULL, true);
	static const struct shyper_guest_initrd bad[] = {
		{ .ipa = 0x43ffff00, .size = 0x200 },        /* past the end of RAM */
		{ .ipa = 0x40000000, .size = 0x1000 },       /* over the device tree */
		{ .ipa = 0x30000000, .size = 0x1000 },       /* below RAM */
		{ .ipa = 0x41000000, .size = 0 },            /* empty */
		{ .ipa = 0x41000000, .size = UINT64_MAX },   /* wraps */
	};
	size_t i, size;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shyper_domain_diag diag = { 0 };
		void *blob = NULL;

		assert_int_equal(shyper_guest_fdt_build(dom, &bad[i], &blob, &size, &diag),
				 SHYPER_ERR_INVALID);
		assert_null(blob);
		assert_int_equal(diag.error_count, 1);
		assert_non_null(strstr(diag.entries[0].message, "initrd"));
		shyper_domain_diag_free(&diag);
	}
	shyper_domain_free(dom);
}

static void test_user_dtb(void **state)
{
	struct shyper_domain *board = make_domain(2, 512ULL << 20, "from the file", false);
	struct shyper_domain *dom = make_domain(1, 64ULL << 20, "root=/dev/vda", true);
	struct shyper_guest_initrd initrd = { .ipa = 0x42000000, .size = 0x800 };
	static const uint32_t memory_reg[] = { 0, 0x40000000, 0, 0x20000000 };
	char path[] = "/tmp/shyper-user-dtb-XXXXXX";
	size_t size, board_size;
	void *board_fdt = build(board, NULL, &board_size), *fdt;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, board_fdt, board_size);
	dom->dtb = strdup(path);

	fdt = build(dom, &initrd, &size);
	/* The file's machine is kept; /chosen follows the definition. */
	assert_cells(fdt, "/memory@40000000", "reg", memory_reg, 4);
	node(fdt, "/cpus/cpu@1");
	assert_string_prop(fdt, "/chosen", "bootargs", "root=/dev/vda", 14);
	assert_int_equal(u64_prop(fdt, "/chosen", "linux,initrd-start"), 0x42000000);
	assert_int_equal(u64_prop(fdt, "/chosen", "linux,initrd-end"), 0x42000800);
	free(fdt);

	/* Without <cmdline>, the file's bootargs stay. */
	free(dom->cmdline);
	dom->cmdline = NULL;
	fdt = build(dom, NULL, &size);
	assert_string_prop(fdt, "/chosen", "bootargs", "from the file", 14);
	free(fdt);

	/* Not a device tree. */
	write_file(path, "hello, world\n", 13);
	{
		struct shyper_domain_diag diag = { 0 };
		void *blob = NULL;

		assert_int_equal(shyper_guest_fdt_build(dom, NULL, &blob, &size, &diag),
				 SHYPER_ERR_INVALID);
		assert_non_null(strstr(diag.entries[0].message, "is not a usable device tree"));
		shyper_domain_diag_free(&diag);
		unlink(path);
		assert_int_equal(shyper_guest_fdt_build(dom, NULL, &blob, &size, &diag),
				 SHYPER_ERR_NO_ENTRY);
		assert_non_null(strstr(diag.entries[0].message, "cannot open <dtb>"));
		shyper_domain_diag_free(&diag);
	}
	free(board_fdt);
	shyper_domain_free(board);
	shyper_domain_free(dom);
}

/* From the XML, through the parser, to the tree. */
static void test_from_definition(void **state)
{
	static const char xml[] =
		"<domain type='shyper'><name>x</name><memory unit='MiB'>32</memory>"
		"<vcpu>2</vcpu><os><kernel>/k</kernel><cmdline>a=b</cmdline></os>"
		"<devices><console type='pty'/></devices></domain>";
	struct shyper_domain *dom = NULL;
	size_t size;
	void *fdt;

	(void)state;
	assert_int_equal(shyper_domain_parse_string(xml, sizeof(xml) - 1, &dom, NULL), 0);
	fdt = build(dom, NULL, &size);
	node(fdt, "/cpus/cpu@1");
	assert_string_prop(fdt, "/chosen", "bootargs", "a=b", 4);
	assert_string_prop(fdt, "/chosen", "stdout-path", "/pl011@9000000", 15);
	free(fdt);
	shyper_domain_free(dom);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_nodes),
		cmocka_unit_test(test_without_options),
		cmocka_unit_test(test_virtio_console_nodes),
		cmocka_unit_test(test_dtc_accepts_it),
		cmocka_unit_test(test_bad_initrd),
		cmocka_unit_test(test_user_dtb),
		cmocka_unit_test(test_from_definition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
