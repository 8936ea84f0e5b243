// SPDX-License-Identifier: GPL-2.0
/*
 * Passthrough devices on the library's side: <hostdev> + <shyper:hostdev>
 * in domain XML (both directions, libvirt's validator, errors with lines),
 * the guest device-tree node copied from a real QEMU virt tree, and the
 * sysfs unbind/rebind logic against a fake sysfs in a temporary folder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libfdt.h>

#include <shyper/domain.h>

#include "../../../lib/hostdev_internal.h"

#define RTC_XML                                                                           \
	"<domain type='shyper'>\n"                                                        \
	"  <name>rtc</name>\n"                                                            \
	"  <memory unit='MiB'>64</memory>\n"                                              \
	"  <os><kernel>/k</kernel></os>\n"                                                \
	"  <devices>\n"                                                                   \
	"    <hostdev mode='capabilities' type='misc'>\n"                                 \
	"      <source><char>/pl031@9010000</char></source>\n"                           \
	"    </hostdev>\n"                                                                \
	"  </devices>\n"                                                                  \
	"  <metadata>\n"                                                                  \
	"    <shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>\n"                  \
	"      <shyper:hostdev node='/pl031@9010000' base='0x9010000' size='0x1000' irq='2'/>\n" \
	"    </shyper:vm>\n"                                                              \
	"  </metadata>\n"                                                                 \
	"</domain>\n"

static struct shyper_domain *parse(const char *xml, struct shyper_domain_diag *diag)
{
	struct shyper_domain *dom = NULL;
	int rc = shyper_domain_parse_string(xml, strlen(xml), &dom, diag);

	if (rc) {
		shyper_domain_diag_print(diag, "test", stderr);
		fail_msg("parse failed: %d", rc);
	}
	return dom;
}

static void expect_error(const char *xml, long line, const char *needle)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = NULL;
	bool found = false;

	assert_int_equal(shyper_domain_parse_string(xml, strlen(xml), &dom, &diag),
			 SHYPER_ERR_INVALID);
	for (size_t i = 0; i < diag.count; i++)
		if (diag.entries[i].severity == SHYPER_DIAG_ERROR &&
		    diag.entries[i].line == line && strstr(diag.entries[i].message, needle))
			found = true;
	if (!found) {
		shyper_domain_diag_print(&diag, "test", stderr);
		fail_msg("no error at line %ld containing \"%s\"", line, needle);
	}
	shyper_domain_diag_free(&diag);
}

/* RTC_XML with FROM replaced by TO. */
static char *rtc_with(const char *from, const char *to)
{
	const char *at = strstr(RTC_XML, from);
	char *xml;

	assert_non_null(at);
	assert_true(asprintf(&xml, "%.*s%s%s", (int)(at - RTC_XML), RTC_XML, to,
			     at + strlen(from)) > 0);
	return xml;
}

static void expect_error_with(const char *from, const char *to, long line, const char *needle)
{
	char *xml = rtc_with(from, to);

	expect_error(xml, line, needle);
	free(xml);
}

static void test_parse_hostdev(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = parse(RTC_XML, &diag);

	(void)state;
	assert_int_equal(diag.count, 0);
	assert_int_equal(dom->hostdev_count, 1);
	assert_string_equal(dom->hostdevs[0].node, "/pl031@9010000");
	assert_int_equal(dom->hostdevs[0].base, 0x9010000);
	assert_int_equal(dom->hostdevs[0].size, 0x1000);
	assert_int_equal(dom->hostdevs[0].spi, 2);
	shyper_domain_free(dom);
}

static void test_no_irq(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	char *xml = rtc_with(" irq='2'", "");
	struct shyper_domain *dom = parse(xml, &diag);

	(void)state;
	assert_int_equal(dom->hostdevs[0].spi, SHYPER_DEV_NO_IRQ);
	shyper_domain_free(dom);
	free(xml);
}

static void round_trip(const char *xml)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = parse(xml, &diag), *again;
	char *written = shyper_domain_to_xml(dom), *kvm, *at, path[] = "/tmp/shyper-hd-XXXXXX";
	char *cmd;
	FILE *f;
	int fd;

	assert_non_null(written);
	again = parse(written, &diag);
	assert_int_equal(again->hostdev_count, dom->hostdev_count);
	assert_memory_equal(again->hostdevs, dom->hostdevs, sizeof(dom->hostdevs));

	/* libvirt's schema accepts it (as type='kvm': it knows no 'shyper'). */
	kvm = strdup(written);
	at = strstr(kvm, "type=\"shyper\"");
	assert_non_null(at);
	memcpy(at, "type=\"kvm\"   ", strlen("type=\"shyper\""));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(kvm, f);
	fclose(f);
	assert_true(asprintf(&cmd, "virt-xml-validate %s domain >/dev/null 2>&1 || "
			     "virt-xml-validate %s domain", path, path) > 0);
	if (system(cmd) != 0)
		fail_msg("virt-xml-validate refused:\n%s", kvm);
	unlink(path);
	free(cmd);
	free(kvm);
	free(written);
	shyper_domain_free(again);
	shyper_domain_free(dom);
}

static void test_round_trip_and_libvirt_validates(void **state)
{
	char *no_irq = rtc_with(" irq='2'", "");

	(void)state;
	round_trip(RTC_XML);
	round_trip(no_irq);
	free(no_irq);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error_with("mode='capabilities' type='misc'", "mode='subsystem' type='pci'", 6,
			  "is not supported (only board devices");
	expect_error_with("<source><char>/pl031@9010000</char></source>", "", 6,
			  "has no <source><char>");
	expect_error_with("<char>/pl031@9010000</char>", "<char>pl031</char>", 7,
			  "is not a device-tree node path");
	expect_error_with("<shyper:hostdev node='/pl031@9010000'", "<shyper:hostdev node='/other'",
			  6, "has no <shyper:hostdev node='/pl031@9010000'");
	expect_error_with("<shyper:hostdev node='/pl031@9010000'", "<shyper:hostdev node='/other'",
			  12, "Shyper <hostdev> /other has no <hostdev>");
	expect_error_with("base='0x9010000'", "base='0x9010010'", 12, "is not a page-aligned");
	expect_error_with("base='0x9010000'", "base='rtc'", 12, "is not a page-aligned");
	expect_error_with("size='0x1000'", "size='0x800'", 12, "non-zero multiple of 4 KiB");
	expect_error_with("size='0x1000'", "size='0'", 12, "non-zero multiple of 4 KiB");
	expect_error_with("base='0x9010000' size='0x1000'",
			  "base='0xfffffffffffff000' size='0x2000'", 12, "that fits after base");
	expect_error_with("irq='2'", "irq='64'", 12, "is not an SPI a guest can have");
	expect_error_with("irq='2'", "irq='1'", 12, "is not an SPI a guest can have");
	expect_error_with("irq='2'", "irq='16'", 12, "is not an SPI a guest can have");
	expect_error_with("base='0x9010000'", "base='0x9000000'", 12, "overlaps the guest's PL011");
	expect_error_with("base='0x9010000'", "base='0x40000000'", 12, "overlaps the guest's RAM");
	expect_error_with("irq='2'", "irq='2' color='red'", 12, "attribute 'color'");
	expect_error_with("    </hostdev>\n",
			  "    </hostdev>\n    <hostdev mode='capabilities' type='misc'>"
			  "<source><char>/pl031@9010000</char></source></hostdev>\n",
			  9, "appears more than once");
}

/* ---- Guest device tree -------------------------------------------------------------- */

static void test_guest_fdt_has_the_host_node(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = parse(RTC_XML, &diag);
	void *blob = NULL;
	size_t size = 0;
	const fdt32_t *p;
	int node, len, clk;

	(void)state;
	setenv("SHYPER_HOST_FDT", VIRT_DTB, 1);
	assert_int_equal(shyper_guest_fdt_build(dom, NULL, &blob, &size, &diag), 0);
	node = fdt_path_offset(blob, "/pl031@9010000");
	assert_true(node >= 0);
	assert_string_equal(fdt_getprop(blob, node, "compatible", NULL), "arm,pl031");
	assert_string_equal(fdt_getprop(blob, node, "clock-names", NULL), "apb_pclk");
	assert_string_equal(fdt_getprop(blob, node, "status", NULL), "okay");
	p = fdt_getprop(blob, node, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt32_to_cpu(p[1]), 0x9010000);
	assert_int_equal(fdt32_to_cpu(p[3]), 0x1000);
	p = fdt_getprop(blob, node, "interrupts", &len);
	assert_int_equal(len, 12);
	assert_int_equal(fdt32_to_cpu(p[0]), 0);
	assert_int_equal(fdt32_to_cpu(p[1]), 2);
	assert_int_equal(fdt32_to_cpu(p[2]), 4);
	/* Phandles point into the guest's tree: its GIC and its apb-pclk. */
	p = fdt_getprop(blob, node, "interrupt-parent", &len);
	assert_int_equal(fdt_node_offset_by_phandle(blob, fdt32_to_cpu(*p)),
			 fdt_node_offset_by_compatible(blob, -1, "arm,gic-v3"));
	p = fdt_getprop(blob, node, "clocks", &len);
	assert_int_equal(len, 4);
	clk = fdt_node_offset_by_phandle(blob, fdt32_to_cpu(*p));
	assert_string_equal(fdt_get_name(blob, clk, NULL), "apb-pclk");
	assert_null(fdt_getprop(blob, node, "phandle", NULL));
	free(blob);
	shyper_domain_free(dom);
	unsetenv("SHYPER_HOST_FDT");
}

static void test_guest_fdt_finds_node_by_base(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	char *xml = rtc_with("<char>/pl031@9010000</char>", "<char>/rtc</char>"), *xml2;
	struct shyper_domain *dom;
	void *blob = NULL;
	size_t size = 0;

	(void)state;
	xml2 = strdup(xml);
	free(xml);
	xml = xml2;
	{
		char *at = strstr(xml, "node='/pl031@9010000'");

		assert_non_null(at);
		xml2 = NULL;
		assert_true(asprintf(&xml2, "%.*snode='/rtc'%s", (int)(at - xml), xml,
				     at + strlen("node='/pl031@9010000'")) > 0);
	}
	dom = parse(xml2, &diag);
	setenv("SHYPER_HOST_FDT", VIRT_DTB, 1);
	assert_int_equal(shyper_guest_fdt_build(dom, NULL, &blob, &size, &diag), 0);
	assert_true(fdt_path_offset(blob, "/pl031@9010000") >= 0);
	free(blob);
	shyper_domain_free(dom);

	/* Nothing at that base in the MVM's tree: a clear error. */
	dom = parse(RTC_XML, &diag);
	dom->hostdevs[0].base = 0x9050000;
	assert_int_equal(shyper_guest_fdt_build(dom, NULL, &blob, &size, &diag),
			 SHYPER_ERR_NO_ENTRY);
	assert_non_null(strstr(diag.entries[diag.count - 1].message, "has no such node"));
	setenv("SHYPER_HOST_FDT", "/nonexistent/fdt", 1);
	assert_int_equal(shyper_guest_fdt_build(dom, NULL, &blob, &size, &diag),
			 SHYPER_ERR_NO_ENTRY);
	unsetenv("SHYPER_HOST_FDT");
	shyper_domain_diag_free(&diag);
	shyper_domain_free(dom);
	free(xml);
	free(xml2);
}

/* ---- sysfs ----------------------------------------------------------------------- */

static char sysfs[64];

static char *get(const char *rel)
{
	static char buf[256];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", sysfs, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A fake sysfs: the RTC on the amba bus bound to rtc-pl031, a platform device. */
static int sysfs_setup(void **state)
{
	char cmd[512];

	(void)state;
	strcpy(sysfs, "/tmp/shyper-sysfs-XXXXXX");
	if (!mkdtemp(sysfs))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p bus/amba/devices/9010000.pl031 bus/amba/drivers/rtc-pl031 "
		 "bus/platform/devices/9030000.pl061 bus/platform/drivers && "
		 "ln -s ../../drivers/rtc-pl031 bus/amba/devices/9010000.pl031/driver && "
		 ": > bus/amba/devices/9010000.pl031/driver_override && "
		 ": > bus/amba/drivers/rtc-pl031/unbind && : > bus/amba/drivers_probe && "
		 ": > bus/platform/devices/9030000.pl061/driver_override && "
		 ": > bus/platform/drivers_probe", sysfs);
	return system(cmd) == 0 ? 0 : -1;
}

static int sysfs_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sysfs);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_sysfs_find(void **state)
{
	char bus[16], name[64];

	(void)state;
	assert_int_equal(hostdev_sysfs_find(sysfs, 0x9010000, bus, sizeof(bus), name, sizeof(name)),
			 1);
	assert_string_equal(bus, "amba");
	assert_string_equal(name, "9010000.pl031");
	assert_int_equal(hostdev_sysfs_find(sysfs, 0x9030000, bus, sizeof(bus), name, sizeof(name)),
			 1);
	assert_string_equal(bus, "platform");
	/* 0x901000 is a prefix of 9010000 as text, not as an address. */
	assert_int_equal(hostdev_sysfs_find(sysfs, 0x901000, bus, sizeof(bus), name, sizeof(name)),
			 0);
}

static void test_sysfs_unbind_then_rebind(void **state)
{
	(void)state;
	assert_int_equal(hostdev_sysfs_unbind(sysfs, 0x9010000), 0);
	assert_string_equal(get("bus/amba/devices/9010000.pl031/driver_override"),
			    "shyper-passthrough");
	assert_string_equal(get("bus/amba/drivers/rtc-pl031/unbind"), "9010000.pl031");

	assert_int_equal(hostdev_sysfs_rebind(sysfs, 0x9010000), 0);
	assert_string_equal(get("bus/amba/devices/9010000.pl031/driver_override"), "\n");
	assert_string_equal(get("bus/amba/drivers_probe"), "9010000.pl031");
}

static void test_sysfs_unbound_or_absent_devices(void **state)
{
	(void)state;
	/* No driver bound: only the override is written. */
	assert_int_equal(hostdev_sysfs_unbind(sysfs, 0x9030000), 0);
	assert_string_equal(get("bus/platform/devices/9030000.pl061/driver_override"),
			    "shyper-passthrough");
	/* No Linux device at all: nothing to do. */
	assert_int_equal(hostdev_sysfs_unbind(sysfs, 0x9040000), 0);
	assert_int_equal(hostdev_sysfs_rebind(sysfs, 0x9040000), 0);
	/* A kernel without driver_override: the error says so. */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/bus/amba/devices/9010000.pl031/driver_override",
			 sysfs);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(hostdev_sysfs_unbind(sysfs, 0x9010000), -ENOENT);
}

static void test_detach_uses_sysfs_root(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = parse(RTC_XML, &diag);

	(void)state;
	setenv("SHYPER_SYSFS_ROOT", sysfs, 1);
	assert_int_equal(shyper_hostdev_detach(NULL, dom), 0);
	assert_string_equal(get("bus/amba/drivers_probe"), "9010000.pl031");
	unsetenv("SHYPER_SYSFS_ROOT");
	shyper_domain_free(dom);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_hostdev),
		cmocka_unit_test(test_no_irq),
		cmocka_unit_test(test_round_trip_and_libvirt_validates),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_guest_fdt_has_the_host_node),
		cmocka_unit_test(test_guest_fdt_finds_node_by_base),
		cmocka_unit_test_setup_teardown(test_sysfs_find, sysfs_setup, sysfs_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_unbind_then_rebind, sysfs_setup,
						sysfs_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_unbound_or_absent_devices, sysfs_setup,
						sysfs_teardown),
		cmocka_unit_test_setup_teardown(test_detach_uses_sysfs_root, sysfs_setup,
						sysfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
