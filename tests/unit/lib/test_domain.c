// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The VM-definition model (lib/domain.c): every supported element of the
 * libvirt domain XML subset, every error and warning with its line, the
 * dumpxml round trip (also through libvirt's own virt-xml-validate) and the
 * ABI struct a definition becomes.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <shyper/domain.h>

#ifndef SHYPER_SOURCE_ROOT
#error "SHYPER_SOURCE_ROOT (the repository) must be defined"
#endif

/* Parses XML, expecting success; the diagnostics are left in DIAG. */
static struct shyper_domain *parse_ok(const char *xml, struct shyper_domain_diag *diag)
{
	struct shyper_domain *dom = NULL;
	int rc = shyper_domain_parse_string(xml, strlen(xml), &dom, diag);

	if (rc) {
		shyper_domain_diag_print(diag, "xml", stderr);
		fail_msg("parse failed with %d", rc);
	}
	assert_non_null(dom);
	return dom;
}

/* DIAG must hold an entry of SEVERITY on LINE whose message has NEEDLE. */
static void assert_diag(const struct shyper_domain_diag *diag, enum shyper_diag_severity severity,
			long line, const char *needle)
{
	size_t i;

	for (i = 0; i < diag->count; i++) {
		const struct shyper_diag_entry *e = &diag->entries[i];

		if (e->severity == severity && e->line == line && strstr(e->message, needle))
			return;
	}
	shyper_domain_diag_print(diag, "xml", stderr);
	fail_msg("no %s on line %ld containing \"%s\"",
		 severity == SHYPER_DIAG_ERROR ? "error" : "warning", line, needle);
}

/* Parsing XML must fail with an error on LINE that contains NEEDLE. */
static void expect_error(const char *xml, long line, const char *needle)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = NULL;

	assert_int_equal(shyper_domain_parse_string(xml, strlen(xml), &dom, &diag),
			 SHYPER_ERR_INVALID);
	assert_null(dom);
	assert_true(diag.error_count >= 1);
	assert_diag(&diag, SHYPER_DIAG_ERROR, line, needle);
	shyper_domain_diag_free(&diag);
}

/* A minimal definition with BODY (whole lines) inserted at line 6. */
static char *minimal_with(const char *body)
{
	static const char head[] = "<domain type='shyper'>\n"   /* 1 */
				   "  <name>vm1</name>\n"        /* 2 */
				   "  <memory unit='MiB'>64</memory>\n" /* 3 */
				   "  <os><kernel>/k</kernel></os>\n" /* 4 */
				   "  <!-- BODY follows -->\n";  /* 5 */
	char *xml;

	assert_true(asprintf(&xml, "%s%s</domain>\n", head, body) > 0);
	return xml;
}

static void expect_error_with(const char *body, long line, const char *needle)
{
	char *xml = minimal_with(body);

	expect_error(xml, line, needle);
	free(xml);
}

static void expect_warning_with(const char *body, long line, const char *needle)
{
	struct shyper_domain_diag diag = { 0 };
	char *xml = minimal_with(body);
	struct shyper_domain *dom = parse_ok(xml, &diag);

	assert_int_equal(diag.error_count, 0);
	assert_int_equal(diag.warning_count, 1);
	assert_diag(&diag, SHYPER_DIAG_WARNING, line, needle);
	shyper_domain_diag_free(&diag);
	shyper_domain_free(dom);
	free(xml);
}

static const char full_xml[] =
	"<domain type='shyper'>\n"
	"  <name>web-1.test_vm</name>\n"
	"  <uuid>8E5b7d2c-1f3a-4c6e-9b0d-2a4f6e8c0b1d</uuid>\n"
	"  <metadata>\n"
	"    <shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>\n"
	"      <shyper:type>rtvm</shyper:type>\n"
	"    </shyper:vm>\n"
	"  </metadata>\n"
	"  <memory unit='GiB'>1</memory>\n"
	"  <currentMemory unit='MiB'>1024</currentMemory>\n"
	"  <vcpu placement='static' current='4'>4</vcpu>\n"
	"  <cputune>\n"
	"    <vcpupin vcpu='2' cpuset='3'/>\n"
	"    <vcpupin vcpu='0' cpuset='2'/>\n"
	"    <vcpupin vcpu='1' cpuset='1'/>\n"
	"    <vcpupin vcpu='3' cpuset='4'/>\n"
	"  </cputune>\n"
	"  <os>\n"
	"    <type arch='aarch64' machine='virt'>hvm</type>\n"
	"    <kernel>/srv/Image</kernel>\n"
	"    <initrd>/srv/initrd &amp; more.cpio</initrd>\n"
	"    <cmdline>console=ttyAMA0 root=/dev/ram &quot;x&quot;</cmdline>\n"
	"    <dtb>/srv/board.dtb</dtb>\n"
	"  </os>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>restart</on_reboot>\n"
	"  <on_crash>preserve</on_crash>\n"
	"  <devices>\n"
	"    <console type='pty'><target type='serial' port='0'/></console>\n"
	"    <console type='pty'><target type='virtio' port='1'/></console>\n"
	"    <memballoon model='none'/>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='raw' cache='writeback'/>\n"
	"      <source file='/srv/root.img'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"    </disk>\n"
	"    <disk><source file='/srv/ro.img'/><target dev='vdb'/><readonly/></disk>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='52:54:00:AB:cd:01'/>\n"
	"      <source bridge='br0'/>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <interface type='network'><source network='default'/></interface>\n"
	"  </devices>\n"
	"</domain>\n";

static void test_every_supported_element(void **state)
{
	static const uint8_t uuid[16] = { 0x8e, 0x5b, 0x7d, 0x2c, 0x1f, 0x3a, 0x4c, 0x6e,
					  0x9b, 0x0d, 0x2a, 0x4f, 0x6e, 0x8c, 0x0b, 0x1d };
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = parse_ok(full_xml, &diag);

	(void)state;
	assert_int_equal(diag.count, 0);
	assert_string_equal(dom->name, "web-1.test_vm");
	assert_memory_equal(dom->uuid, uuid, 16);
	assert_int_equal(dom->type, SHYPER_VM_RTVM);
	assert_int_equal(dom->memory, 1ULL << 30);
	assert_int_equal(dom->vcpu_count, 4);
	assert_int_equal(dom->vcpu_pcpu[0], 2);
	assert_int_equal(dom->vcpu_pcpu[1], 1);
	assert_int_equal(dom->vcpu_pcpu[2], 3);
	assert_int_equal(dom->vcpu_pcpu[3], 4);
	assert_int_equal(dom->rt_priority, 1);
	assert_string_equal(dom->kernel, "/srv/Image");
	assert_string_equal(dom->initrd, "/srv/initrd & more.cpio");
	assert_string_equal(dom->cmdline, "console=ttyAMA0 root=/dev/ram \"x\"");
	assert_string_equal(dom->dtb, "/srv/board.dtb");
	assert_int_equal(dom->console_count, 2);
	assert_int_equal(dom->consoles[0].target, SHYPER_CONSOLE_SERIAL);
	assert_int_equal(dom->consoles[0].port, 0);
	assert_int_equal(dom->consoles[1].target, SHYPER_CONSOLE_VIRTIO);
	assert_int_equal(dom->consoles[1].port, 1);
	assert_int_equal(dom->disk_count, 2);
	assert_string_equal(dom->disks[0].source, "/srv/root.img");
	assert_string_equal(dom->disks[0].target, "vda");
	assert_false(dom->disks[0].readonly);
	assert_int_equal(dom->disks[0].cache, SHYPER_DISK_CACHE_WRITEBACK);
	assert_int_equal(dom->disks[1].cache, SHYPER_DISK_CACHE_DEFAULT);
	assert_string_equal(dom->disks[1].source, "/srv/ro.img");
	assert_string_equal(dom->disks[1].target, "vdb");
	assert_true(dom->disks[1].readonly);
	assert_int_equal(dom->interface_count, 2);
	assert_int_equal(dom->interfaces[0].type, SHYPER_INTERFACE_BRIDGE);
	assert_string_equal(dom->interfaces[0].source, "br0");
	assert_memory_equal(dom->interfaces[0].mac, "\x52\x54\x00\xab\xcd\x01", 6);
	assert_int_equal(dom->interfaces[1].type, SHYPER_INTERFACE_NETWORK);
	assert_string_equal(dom->interfaces[1].source, "default");
	assert_memory_equal(dom->interfaces[1].mac, "\0\0\0\0\0\0", 6);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
}

static void test_disk_and_interface_errors(void **state)
{
	static const struct {
		const char *devices;
		const char *needle;
	} cases[] = {
		{ "<disk type='block'><source file='/a'/><target dev='vda'/></disk>", "type='block'" },
		{ "<disk device='cdrom'><source file='/a'/><target dev='vda'/></disk>",
		  "device='cdrom'" },
		{ "<disk><driver type='qcow2'/><source file='/a'/><target dev='vda'/></disk>",
		  "only 'raw'" },
		{ "<disk><driver cache='mostly'/><source file='/a'/><target dev='vda'/></disk>",
		  "cache='mostly' is not supported" },
		{ "<disk><driver cache=''/><source file='/a'/><target dev='vda'/></disk>",
		  "cache='' is not supported" },
		{ "<disk><source file='rel.img'/><target dev='vda'/></disk>", "absolute" },
		{ "<disk><source file='/a'/><target dev='sda'/></disk>", "dev='sda'" },
		{ "<disk><source file='/a'/><target dev='vda' bus='scsi'/></disk>", "bus='scsi'" },
		{ "<disk><target dev='vda'/></disk>", "needs <source" },
		{ "<disk><source file='/a'/><target dev='vda'/><serial>x</serial></disk>",
		  "<serial> in <disk>" },
		{ "<disk><source file='/a'/><target dev='vda'/></disk>"
		  "<disk><source file='/b'/><target dev='vda'/></disk>", "target 'vda'" },
		{ "<disk><source file='/a'/><target dev='vda'/></disk>"
		  "<disk><source file='/a'/><target dev='vdb'/></disk>", "same image /a" },
		{ "<interface type='user'><source bridge='br0'/></interface>", "type='user'" },
		{ "<interface type='bridge'><source bridge='br0'/><model type='e1000'/></interface>",
		  "type='e1000'" },
		{ "<interface type='bridge'><source bridge='br 0'/></interface>",
		  "not an interface name" },
		{ "<interface type='network'><source network='lan'/></interface>",
		  "network='lan' does not exist" },
		{ "<interface type='bridge'><source network='x'/></interface>",
		  "attribute 'network' of <source>" },
		{ "<interface type='bridge'><source bridge='aaaaaaaaaaaaaaaa'/></interface>",
		  "not an interface name" },
		{ "<interface type='bridge'><mac address='52:54:00:00:00'/>"
		  "<source bridge='br0'/></interface>", "not a MAC address" },
		{ "<interface type='bridge'><mac address='01:00:5e:00:00:01'/>"
		  "<source bridge='br0'/></interface>", "not a unicast address" },
		{ "<interface type='bridge'><mac address='00:00:00:00:00:00'/>"
		  "<source bridge='br0'/></interface>", "not a unicast address" },
		{ "<interface type='bridge'></interface>", "needs a <source>" },
		{ "<interface type='bridge'><mac address='52:54:00:00:00:01'/>"
		  "<source bridge='br0'/></interface><interface type='bridge'>"
		  "<mac address='52:54:00:00:00:01'/><source bridge='br1'/></interface>",
		  "same <mac>" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text;

		assert_true(asprintf(&text, "  <devices>\n%s\n  </devices>\n", cases[i].devices) > 0);
		expect_error_with(text, 7, cases[i].needle);
		free(text);
	}
}

static void test_defaults(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	char *xml = minimal_with("");
	struct shyper_domain *dom = parse_ok(xml, &diag);
	static const uint8_t zero[16];
	size_t i;

	(void)state;
	assert_int_equal(diag.count, 0);
	assert_memory_equal(dom->uuid, zero, 16);
	assert_int_equal(dom->type, SHYPER_VM_GVM);
	assert_int_equal(dom->vcpu_count, 1);
	for (i = 0; i < SHYPER_MAX_VCPUS; i++)
		assert_int_equal(dom->vcpu_pcpu[i], SHYPER_DOMAIN_PCPU_UNPINNED);
	assert_null(dom->initrd);
	assert_null(dom->cmdline);
	assert_null(dom->dtb);
	assert_int_equal(dom->console_count, 0);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
	free(xml);
}

static void test_memory_units(void **state)
{
	static const struct {
		const char *memory;
		uint64_t bytes;
	} cases[] = {
		{ "<memory>131072</memory>", 128ULL << 20 }, /* KiB by default */
		{ "<memory unit='b'>6291456</memory>", 6ULL << 20 },
		{ "<memory unit='bytes'>4194304</memory>", 4ULL << 20 },
		{ "<memory unit='KB'>4194304</memory>", 4000ULL << 20 },
		{ "<memory unit='k'>8192</memory>", 8ULL << 20 },
		{ "<memory unit='KiB'>4096</memory>", 4ULL << 20 },
		{ "<memory unit='M'>64</memory>", 64ULL << 20 },
		{ "<memory unit='MiB'>128</memory>", 128ULL << 20 },
		{ "<memory unit='G'>1</memory>", 1ULL << 30 },
		{ "<memory unit='GiB'>8</memory>", 8ULL << 30 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shyper_domain_diag diag = { 0 };
		struct shyper_domain *dom;
		char *xml;

		assert_true(asprintf(&xml, "<domain type='shyper'><name>m</name>%s"
				     "<os><kernel>/k</kernel></os></domain>", cases[i].memory) > 0);
		dom = parse_ok(xml, &diag);
		assert_int_equal(dom->memory, cases[i].bytes);
		shyper_domain_free(dom);
		shyper_domain_diag_free(&diag);
		free(xml);
	}
}

static void test_malformed_xml(void **state)
{
	(void)state;
	expect_error("<domain type='shyper'>\n  <name>x</name>\n  <memory>\n</domain>\n", 4,
		     "malformed XML");
	expect_error("<domain type='shyper'>\n<name>a</nam>\n</domain>\n", 2, "malformed XML");
	expect_error("", 1, "malformed XML");
}

static void test_unknown_element_and_attribute(void **state)
{
	(void)state;
	expect_error_with("  <iothreads>2</iothreads>\n", 6, "<iothreads> is not supported");
	expect_error_with("  <cputune>\n    <shares>10</shares>\n  </cputune>\n", 7, "<shares>");
	expect_error_with("  <features><pae/></features>\n", 6, "feature <pae> is not supported");
	expect_error_with("  <features><gic version='4'/></features>\n", 6,
			  "a Shyper guest has a GICv3");
	expect_error(
		"<domain type='shyper'>\n  <name>v</name>\n  <memory unit='MiB'>64</memory>\n"
		"  <os><kernel>/k</kernel><loader>/usr/share/AAVMF/AAVMF_CODE.fd</loader></os>\n"
		"</domain>\n",
		4, "<loader> is not supported: Shyper boots the <kernel> directly");
	expect_error(
		"<domain type='shyper'>\n  <name>v</name>\n  <memory unit='MiB'>64</memory>\n"
		"  <os><type machine='virt-x'>hvm</type><kernel>/k</kernel></os>\n</domain>\n",
		4, "machine='virt-x' of <type> is not supported");
	expect_error(
		"<domain type='shyper'>\n  <name>v</name>\n  <memory unit='MiB'>64</memory>\n"
		"  <os><type machine='q35'>hvm</type><kernel>/k</kernel></os>\n</domain>\n",
		4, "machine='q35' of <type> is not supported");
	expect_error(
		"<domain type='shyper'>\n  <name>v</name>\n  <memory unit='MiB'>64</memory>\n"
		"  <os><kernel>/k</kernel></os>\n  <devices>\n    <sound model='ich9'/>\n"
		"  </devices>\n</domain>\n",
		6, "device <sound> is not supported");
	expect_error(
		"<domain type='shyper'>\n  <name>v</name>\n"
		"  <memory unit='MiB' dumpCore='on'>64</memory>\n"
		"  <os><kernel>/k</kernel></os>\n</domain>\n",
		3, "attribute 'dumpCore' of <memory> is not supported");
	expect_error_with("  <vcpu cpuset='1-3'>2</vcpu>\n", 6, "attribute 'cpuset' of <vcpu>");
	expect_error("<domain type='kvm'>\n  <name>v</name>\n  <memory unit='MiB'>64</memory>\n"
		     "  <os><kernel>/k</kernel></os>\n</domain>\n",
		     1, "type='kvm' is not supported");
	expect_error("<domain>\n  <name>v</name>\n  <memory unit='MiB'>64</memory>\n"
		     "  <os><kernel>/k</kernel></os>\n</domain>\n",
		     1, "has no type=");
	expect_error("<vm/>\n", 1, "not <domain>");
	expect_error_with("  <devices>\n    <memballoon/>\n  </devices>\n", 7,
			  "<memballoon> model='' is not supported");
	expect_error_with("  <devices><serial type='file'/></devices>\n", 6,
			  "<serial> type='file' is not supported");
	expect_error_with("  <devices><serial type='pty'><target port='1'/></serial></devices>\n", 6,
			  "the PL011 is port 0");
	expect_error_with("  <devices><serial type='pty'/><serial type='pty'/></devices>\n", 6,
			  "a second <serial>");
	expect_error_with("  <on_reboot>rename-restart</on_reboot>\n", 6, "a VM keeps its name");
	expect_error_with("  <on_crash>coredump-destroy</on_crash>\n", 6, "no core dumps");
	expect_error_with("  <on_poweroff>coredump-destroy</on_poweroff>\n", 6,
			  "is not an action (destroy, restart or preserve)");
	expect_error_with("  <on_poweroff>stop</on_poweroff>\n", 6, "is not an action");
	expect_error_with("  <on_poweroff>destroy</on_poweroff>\n  <on_poweroff>restart</on_poweroff>\n",
			  7, "<on_poweroff> appears more than once");
	expect_error_with("  <title>two\nlines</title>\n", 6, "<title> has more than one line");
	expect_error_with("  <title>a</title>\n  <title>b</title>\n", 7, "<title> appears more than once");
	expect_error_with("  <clock offset='timezone' timezone='Europe/Paris'/>\n", 6,
			  "offset='timezone'> is not supported");
	expect_error_with("  <clock offset='variable'/>\n", 6, "needs adjustment= in seconds");
	expect_error_with("  <clock offset='variable' adjustment='10x'/>\n", 6, "not '10x'");
	expect_error_with("  <clock offset='utc' adjustment='3600'/>\n", 6,
			  "takes only adjustment='reset'");
	expect_error_with("  <clock><timer name='hpet' present='yes'/></clock>\n", 6,
			  "<timer name='hpet' present='yes'> is not supported");
	expect_error_with("  <clock><timer name='sundial'/></clock>\n", 6, "not a timer libvirt knows");
	expect_error_with("  <cpu mode='custom'/>\n", 6, "needs a <model>");
	expect_error_with("  <cpu mode='host-guess'/>\n", 6, "<cpu mode='host-guess'> is not supported");
	expect_error_with("  <cpu mode='host-passthrough'><feature policy='require' name='sve'/></cpu>\n",
			  6, "<feature> in <cpu> is not supported");
	expect_error_with("  <devices><rng model='virtio'><backend model='egd' type='tcp'/></rng></devices>\n",
			  6, "<backend model='egd'> of <rng> is not supported");
	expect_error_with("  <devices><rng model='virtio'><backend model='random'>/dev/hwrng</backend>"
			  "</rng></devices>\n", 6, "'/dev/hwrng' of <rng> is not supported");
	expect_error_with("  <devices><rng model='virtio'><backend model='random'/></rng>"
			  "<rng model='virtio'><backend model='random'/></rng></devices>\n", 6,
			  "<rng> appears more than once");
	expect_error_with("  <devices><controller type='usb' model='qemu-xhci'/></devices>\n", 6,
			  "a Shyper guest has no USB");
	expect_error_with("  <devices><channel type='spicevmc'><target type='virtio' "
			  "name='com.redhat.spice.0'/></channel></devices>\n", 6,
			  "<channel> 'com.redhat.spice.0' is not supported");
	expect_error_with("  <devices><audio id='1' type='pulseaudio'/></devices>\n", 6,
			  "a Shyper guest has no sound");
	expect_error_with("  <metadata><shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>\n"
			  "    <shyper:priority>3</shyper:priority>\n"
			  "  </shyper:vm></metadata>\n",
			  7, "<priority> in Shyper's <vm> metadata is not supported");
	expect_error_with("  <metadata><shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>\n"
			  "    <shyper:type>hvm</shyper:type>\n"
			  "  </shyper:vm></metadata>\n",
			  7, "'hvm' is not supported (only 'gvm' or 'rtvm')");
}

static void test_bad_values(void **state)
{
	char long_name[64];

	(void)state;
	expect_error("<domain type='shyper'>\n  <name>my vm</name>\n</domain>\n", 2,
		     "<name> 'my vm' is not valid");
	memset(long_name, 'a', 32);
	long_name[32] = '\0';
	{
		char *xml;

		assert_true(asprintf(&xml, "<domain type='shyper'>\n<name>%s</name>\n</domain>\n",
				     long_name) > 0);
		expect_error(xml, 2, "1 to 31 characters");
		free(xml);
	}
	expect_error("<domain type='shyper'>\n  <name></name>\n</domain>\n", 2, "<name> is empty");
	expect_error_with("  <uuid>not-a-uuid</uuid>\n", 6, "is not a UUID");
	expect_error_with("  <vcpu>0</vcpu>\n", 6, "'0' is not a vCPU count from 1 to 8");
	expect_error_with("  <vcpu>9</vcpu>\n", 6, "'9' is not a vCPU count from 1 to 8");
	expect_error_with("  <vcpu current='1'>2</vcpu>\n", 6, "vCPU hotplug is not supported");
	expect_error_with("  <vcpu placement='auto'>2</vcpu>\n", 6, "placement='auto'");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n"
		     "  <memory unit='MiB'>3</memory>\n  <os><kernel>/k</kernel></os>\n</domain>\n",
		     3, "not a multiple of 2 MiB");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n"
		     "  <memory unit='MB'>64</memory>\n  <os><kernel>/k</kernel></os>\n</domain>\n",
		     3, "not a multiple of 2 MiB");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n"
		     "  <memory unit='GiB'>10</memory>\n  <os><kernel>/k</kernel></os>\n</domain>\n",
		     3, "more than the 8192 MiB");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n"
		     "  <memory unit='MiB'>2</memory>\n  <os><kernel>/k</kernel></os>\n</domain>\n",
		     3, "too small: a guest needs at least 4 MiB");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n"
		     "  <memory unit='TiB'>1</memory>\n  <os><kernel>/k</kernel></os>\n</domain>\n",
		     3, "unit='TiB'");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n"
		     "  <memory>99999999999999999999</memory>\n  <os><kernel>/k</kernel></os>\n"
		     "</domain>\n",
		     3, "is not a number");
	expect_error_with("  <currentMemory unit='MiB'>32</currentMemory>\n", 6,
			  "memory ballooning is not supported");
	expect_error_with("  <vcpu>2</vcpu>\n  <cputune><vcpupin vcpu='2' cpuset='1'/></cputune>\n",
			  7, "vcpu='2' is out of range: the domain has 2 vCPUs");
	expect_error_with("  <vcpu>2</vcpu>\n  <cputune>\n    <vcpupin vcpu='1' cpuset='1'/>\n"
			  "    <vcpupin vcpu='1' cpuset='2'/>\n  </cputune>\n",
			  9, "vcpu='1' appears more than once");
	expect_error_with("  <cputune><vcpupin vcpu='0' cpuset='0-1'/></cputune>\n", 6,
			  "name exactly one pCPU");
	expect_error_with("  <cputune><vcpupin vcpu='0'/></cputune>\n", 6, "needs both");
	expect_error_with("  <name>again</name>\n", 6, "<name> appears more than once");
	expect_error_with("  <devices>\n    <console type='pty'/>\n    <console type='pty'/>\n"
			  "  </devices>\n",
			  8, "a second serial <console>");
	expect_error_with("  <devices>\n    <console type='file'/>\n  </devices>\n", 7,
			  "type='file' is not supported");
	expect_error_with("  <devices><console type='pty'><target type='sclp'/></console></devices>\n",
			  6, "type='sclp'");
	expect_error_with("  <devices><console type='pty'><target port='1'/></console></devices>\n",
			  6, "the PL011 is port 0");
	expect_error_with("  <devices>\n    <console type='pty'><target type='virtio' port='1'/></console>\n"
			  "    <console type='pty'><target type='virtio' port='1'/></console>\n"
			  "  </devices>\n",
			  8, "same target and port 1");
	expect_error_with("  <devices/>\n  <devices/>\n", 7, "<devices> appears more than once");
	expect_error_with("  <os><kernel>/other</kernel></os>\n", 6, "<os> appears more than once");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n  <memory>65536</memory>\n"
		     "</domain>\n",
		     1, "has no <os> with a <kernel>");
	expect_error("<domain type='shyper'>\n  <memory>65536</memory>\n"
		     "  <os><kernel>/k</kernel></os>\n</domain>\n",
		     1, "has no <name>");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n  <memory>65536</memory>\n"
		     "  <os><initrd>/i</initrd></os>\n</domain>\n",
		     1, "<os> has no <kernel>");
	expect_error("<domain type='shyper'>\n  <name>v</name>\n  <memory>65536</memory>\n"
		     "  <os>stray<kernel>/k</kernel></os>\n</domain>\n",
		     4, "<os> has text where only elements are expected");
	expect_error("<domain type='shyper'>\n  <name>v<b/></name>\n</domain>\n", 2,
		     "<b> inside <name>");
	expect_error("<!DOCTYPE domain [ <!ENTITY x 'y'> ]>\n<domain type='shyper'/>\n", 1,
		     "DOCTYPE");
}

/* Every error is reported, not only the first. */
static void test_all_errors_reported(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = NULL;
	char *xml = minimal_with("  <vcpu>9</vcpu>\n  <iothreads>1</iothreads>\n");

	(void)state;
	assert_int_equal(shyper_domain_parse_string(xml, strlen(xml), &dom, &diag),
			 SHYPER_ERR_INVALID);
	assert_int_equal(diag.error_count, 2);
	assert_diag(&diag, SHYPER_DIAG_ERROR, 6, "<vcpu>");
	assert_diag(&diag, SHYPER_DIAG_ERROR, 7, "<iothreads>");
	shyper_domain_diag_free(&diag);
	free(xml);
	/* A NULL DIAG is allowed. */
	assert_int_equal(shyper_domain_parse_string("<x", 2, &dom, NULL), SHYPER_ERR_INVALID);
	assert_null(dom);
}

static void test_warnings(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom;

	(void)state;
	expect_warning_with("  <devices><memballoon model='virtio'/></devices>\n", 6,
			    "memory ballooning is not supported");
	expect_warning_with("  <features><acpi/></features>\n", 6,
			    "<acpi> is ignored: a Shyper guest is described by a device tree");
	expect_warning_with("  <features><gic version='2'/></features>\n", 6,
			    "<gic version='2'> is taken as version 3");
	expect_warning_with("  <devices><audio id='1' type='none'/></devices>\n", 6,
			    "<audio> is ignored");
	expect_warning_with("  <devices><channel type='unix'><source mode='bind'/><target "
			    "type='virtio' name='org.qemu.guest_agent.0'/></channel></devices>\n",
			    6, "QEMU guest agent");
	/* Once per kind, however many there are. */
	expect_warning_with("  <devices>\n    <controller type='pci' model='pcie-root'/>\n"
			    "    <controller type='pci' model='pcie-root-port'/>\n"
			    "    <controller type='virtio-serial' index='0'/>\n  </devices>\n",
			    7, "no PCI bus");
	expect_warning_with("  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/></clock>\n",
			    6, "<timer name='rtc'> is ignored");
	expect_warning_with("  <cpu mode='host-passthrough'><topology sockets='1' cores='2' "
			    "threads='1'/></cpu>\n", 6, "<topology> is ignored");
	expect_warning_with("  <on_lockfailure>poweroff</on_lockfailure>\n", 6,
			    "<on_lockfailure> is ignored");
	expect_warning_with("  <pm><suspend-to-mem enabled='no'/></pm>\n", 6, "<pm> is ignored");
	expect_warning_with("  <metadata>\n    <x/>\n  </metadata>\n", 7,
			    "<x> has no namespace and is ignored");
	dom = parse_ok("<domain type='shyper' id='3'>\n  <name>v</name>\n"
		       "  <memory>65536</memory>\n  <os><kernel>/k</kernel></os>\n"
		       "  <devices>\n    <emulator>/usr/bin/qemu</emulator>\n  </devices>\n"
		       "</domain>\n",
		       &diag);
	assert_int_equal(diag.warning_count, 2);
	assert_diag(&diag, SHYPER_DIAG_WARNING, 1, "id= of <domain> is ignored");
	assert_diag(&diag, SHYPER_DIAG_WARNING, 6, "<emulator> is ignored");
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
}

/* What libvirt's own tools write, honoured: everything Shyper can give. */
static const char libvirt_xml[] =
	"<domain type='shyper' xmlns:app='http://example.com/app'>\n"      /* 1 */
	"  <name>lv</name>\n"
	"  <title>Debian test guest</title>\n"
	"  <description>first line\n  second &amp; last</description>\n"
	"  <metadata>\n"
	"    <app:tag id='7'>kept <b xmlns='http://example.com/b'>as is</b></app:tag>\n"
	"    <other:x xmlns:other='http://example.com/other'/>\n"
	"  </metadata>\n"
	"  <memory>524288</memory>\n"
	"  <vcpu>2</vcpu>\n"
	"  <os>\n"
	"    <type arch='aarch64' machine='virt-7.2'>hvm</type>\n"
	"    <kernel>/k</kernel>\n"
	"    <boot dev='hd'/>\n"
	"  </os>\n"                                                          /* 15 */
	"  <features><acpi/><gic version='3'/></features>\n"
	"  <cpu mode='custom' match='exact' check='none'>\n"
	"    <model fallback='allow'>cortex-a57</model>\n"
	"  </cpu>\n"
	"  <clock offset='variable' adjustment='-3600' basis='localtime'/>\n"
	"  <on_poweroff>restart</on_poweroff>\n"
	"  <on_reboot>destroy</on_reboot>\n"
	"  <on_crash>destroy</on_crash>\n"
	"  <devices>\n"                                                      /* 25 */
	"    <emulator>/usr/bin/qemu-system-aarch64</emulator>\n"
	"    <serial type='pty'><target type='system-serial' port='0'>"
	"<model name='pl011'/></target></serial>\n"
	"    <console type='pty'><target type='serial' port='0'/></console>\n"
	"    <rng model='virtio'><backend model='random'>/dev/urandom</backend>"
	"<address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></rng>\n"
	"    <memballoon model='virtio'/>\n"
	"  </devices>\n"
	"</domain>\n";                                                       /* 32 */

static void test_libvirt_elements_honoured(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom, *again;
	char *written, *rewritten;

	(void)state;
	dom = parse_ok(libvirt_xml, &diag);
	assert_string_equal(dom->title, "Debian test guest");
	assert_string_equal(dom->description, "first line\n  second & last");
	assert_non_null(strstr(dom->foreign_metadata, "<app:tag"));
	assert_non_null(strstr(dom->foreign_metadata, "xmlns:app=\"http://example.com/app\""));
	assert_non_null(strstr(dom->foreign_metadata, "<other:x"));
	assert_int_equal(dom->memory, 512ULL << 20);
	assert_int_equal(dom->gic_version, 3);
	assert_int_equal(dom->cpu_mode, SHYPER_CPU_CUSTOM);
	assert_string_equal(dom->cpu_model, "cortex-a57");
	assert_true(dom->clock.given);
	assert_int_equal(dom->clock.offset, SHYPER_CLOCK_VARIABLE);
	assert_true(dom->clock.basis_localtime);
	assert_int_equal(dom->clock.adjustment, -3600);
	assert_int_equal(dom->on_poweroff, SHYPER_ACTION_RESTART);
	assert_int_equal(dom->on_reboot, SHYPER_ACTION_DESTROY);
	assert_int_equal(dom->on_crash, SHYPER_ACTION_DESTROY);
	assert_true(dom->rng);
	/* <serial> and the serial <console> are one PL011. */
	assert_int_equal(dom->console_count, 1);
	assert_int_equal(dom->consoles[0].target, SHYPER_CONSOLE_SERIAL);
	/* One warning for each piece of plumbing, each with why. */
	assert_int_equal(diag.error_count, 0);
	assert_diag(&diag, SHYPER_DIAG_WARNING, 15, "<boot> is ignored: the guest boots its <kernel>");
	assert_diag(&diag, SHYPER_DIAG_WARNING, 17, "<acpi> is ignored");
	assert_diag(&diag, SHYPER_DIAG_WARNING, 26, "<emulator> is ignored");
	assert_diag(&diag, SHYPER_DIAG_WARNING, 29, "<address> is ignored: Shyper's virtio devices "
		    "are virtio-mmio");
	assert_diag(&diag, SHYPER_DIAG_WARNING, 30, "memory ballooning is not supported");
	assert_int_equal(diag.warning_count, 5);
	shyper_domain_diag_free(&diag);

	/* dumpxml writes it all back, and that reads without a warning. */
	written = shyper_domain_to_xml(dom);
	assert_non_null(written);
	assert_non_null(strstr(written, "<title>Debian test guest</title>"));
	assert_non_null(strstr(written, "<app:tag xmlns:app=\"http://example.com/app\" id=\"7\">kept "
				       "<b xmlns=\"http://example.com/b\">as is</b></app:tag>"));
	assert_non_null(strstr(written, "<gic version=\"3\"/>"));
	assert_non_null(strstr(written, "<clock offset=\"variable\" adjustment=\"-3600\" "
				       "basis=\"localtime\"/>"));
	assert_non_null(strstr(written, "<on_poweroff>restart</on_poweroff>"));
	assert_non_null(strstr(written, "<backend model=\"random\">/dev/urandom</backend>"));
	assert_null(strstr(written, "emulator"));
	assert_null(strstr(written, "memballoon"));
	again = parse_ok(written, &diag);
	assert_int_equal(diag.count, 0);
	assert_string_equal(again->description, dom->description);
	assert_string_equal(again->foreign_metadata, dom->foreign_metadata);
	assert_int_equal(again->clock.adjustment, -3600);
	assert_true(again->rng);
	rewritten = shyper_domain_to_xml(again);
	assert_string_equal(written, rewritten);
	free(rewritten);
	shyper_domain_free(again);
	free(written);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
}

static void assert_same_domain(const struct shyper_domain *a, const struct shyper_domain *b)
{
	size_t i;

	assert_string_equal(a->name, b->name);
	assert_memory_equal(a->uuid, b->uuid, 16);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->memory, b->memory);
	assert_int_equal(a->vcpu_count, b->vcpu_count);
	assert_memory_equal(a->vcpu_pcpu, b->vcpu_pcpu, sizeof(a->vcpu_pcpu));
#define SAME_STRING(field)                                  \
	((a->field && b->field) ? assert_string_equal(a->field, b->field) \
				: assert_ptr_equal(a->field, b->field))
	SAME_STRING(kernel);
	SAME_STRING(initrd);
	SAME_STRING(cmdline);
	SAME_STRING(dtb);
#undef SAME_STRING
	assert_int_equal(a->console_count, b->console_count);
	for (i = 0; i < a->console_count; i++) {
		assert_int_equal(a->consoles[i].target, b->consoles[i].target);
		assert_int_equal(a->consoles[i].port, b->consoles[i].port);
	}
	assert_int_equal(a->disk_count, b->disk_count);
	for (i = 0; i < a->disk_count; i++) {
		assert_string_equal(a->disks[i].source, b->disks[i].source);
		assert_string_equal(a->disks[i].target, b->disks[i].target);
		assert_int_equal(a->disks[i].readonly, b->disks[i].readonly);
		assert_int_equal(a->disks[i].cache, b->disks[i].cache);
	}
}

static void check_round_trip(const char *xml)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = parse_ok(xml, &diag), *again;
	char *written = shyper_domain_to_xml(dom), *rewritten;

	assert_non_null(written);
	assert_non_null(strstr(written, "<domain type=\"shyper\">"));
	again = parse_ok(written, &diag);
	assert_int_equal(diag.count, 0);
	assert_same_domain(dom, again);
	/* And writing is stable. */
	rewritten = shyper_domain_to_xml(again);
	assert_string_equal(written, rewritten);
	free(rewritten);
	free(written);
	shyper_domain_free(again);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
}

/* Every cache mode by libvirt's name, there and back. */
static void test_disk_cache_modes(void **state)
{
	static const char *const names[] = { "none", "writeback", "writethrough", "directsync",
					     "unsafe" };

	(void)state;
	assert_null(shyper_disk_cache_name(SHYPER_DISK_CACHE_DEFAULT));
	assert_null(shyper_disk_cache_name((enum shyper_disk_cache)99));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char devices[160];
		struct shyper_domain_diag diag = { 0 };
		struct shyper_domain *dom;
		char *xml, *written;

		snprintf(devices, sizeof(devices), "<devices><disk><driver cache='%s'/>"
			 "<source file='/a'/><target dev='vda'/></disk></devices>", names[i]);
		xml = minimal_with(devices);
		dom = parse_ok(xml, &diag);
		assert_int_equal(dom->disks[0].cache, SHYPER_DISK_CACHE_NONE + i);
		assert_string_equal(shyper_disk_cache_name(dom->disks[0].cache), names[i]);
		written = shyper_domain_to_xml(dom);
		snprintf(devices, sizeof(devices), "cache=\"%s\"", names[i]);
		assert_non_null(strstr(written, devices));
		check_round_trip(xml);
		free(written);
		free(xml);
		shyper_domain_free(dom);
		shyper_domain_diag_free(&diag);
	}
}

static void test_round_trip(void **state)
{
	char *xml = minimal_with("");

	(void)state;
	check_round_trip(full_xml);
	check_round_trip(xml);
	free(xml);
}

/* libvirt's validator accepts what dumpxml writes, but for type='shyper'. */
static void validate_with_libvirt(const char *xml_text)
{
	char path[] = "/tmp/shyper-domain-XXXXXX";
	char *kvm, *at, *command;
	FILE *f;
	int fd, rc;

	if (system("command -v virt-xml-validate >/dev/null 2>&1") != 0)
		fail_msg("virt-xml-validate is not installed (Debian's libvirt-clients; "
			 "packaging/setup.sh installs it)");
	kvm = strdup(xml_text);
	assert_non_null(kvm);
	at = strstr(kvm, "type=\"shyper\"");
	assert_non_null(at);
	memcpy(at, "type=\"kvm\"   ", strlen("type=\"shyper\""));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(kvm, f);
	fclose(f);
	/* Quiet when it validates; its complaint is shown when it does not. */
	assert_true(asprintf(&command, "virt-xml-validate %s domain >/dev/null 2>&1 || "
			     "virt-xml-validate %s domain", path, path) > 0);
	rc = system(command);
	unlink(path);
	if (rc != 0)
		fail_msg("virt-xml-validate refused:\n%s", kvm);
	free(command);
	free(kvm);
}

static void test_libvirt_validates_dumpxml(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom;
	char *xml = minimal_with(""), *written;

	(void)state;
	dom = parse_ok(libvirt_xml, &diag);
	written = shyper_domain_to_xml(dom);
	validate_with_libvirt(written);
	free(written);
	shyper_domain_free(dom);
	dom = parse_ok(full_xml, &diag);
	written = shyper_domain_to_xml(dom);
	validate_with_libvirt(written);
	free(written);
	shyper_domain_free(dom);

	dom = parse_ok(xml, &diag);
	written = shyper_domain_to_xml(dom);
	validate_with_libvirt(written);
	free(written);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
	free(xml);
}

static void test_to_config(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = parse_ok(full_xml, &diag);
	struct shyper_vm_config config;

	(void)state;
	memset(&config, 0xff, sizeof(config));
	assert_int_equal(shyper_domain_to_config(dom, &config), 0);
	assert_int_equal(config.size, SHYPER_VM_CONFIG_SIZE_V1);
	assert_int_equal(config.type, SHYPER_VM_RTVM);
	assert_string_equal(config.name, "web-1.test_vm");
	assert_memory_equal(config.uuid, dom->uuid, 16);
	assert_int_equal(config.vcpu_count, 4);
	assert_int_equal(config.flags, 0);
	assert_int_equal(config.memory, 1ULL << 30);
	assert_int_equal(config.entry_ipa, 0x40200000ULL);
	assert_int_equal(config.dtb_ipa, 0x40000000ULL);
	/* Pinned 0->2 and 2->3; unpinned vCPU n on pCPU n. */
	assert_int_equal(config.vcpu_pcpu[0], 2);
	assert_int_equal(config.vcpu_pcpu[1], 1);
	assert_int_equal(config.vcpu_pcpu[2], 3);
	assert_int_equal(config.vcpu_pcpu[3], 4);
	assert_int_equal(config.vcpu_pcpu[4], 0);

	dom->vcpu_count = 9;
	assert_int_equal(shyper_domain_to_config(dom, &config), SHYPER_ERR_INVALID);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
}

static void test_initrd_placement(void **state)
{
	struct shyper_domain dom = { .memory = 128ULL << 20 };

	(void)state;
	/* At the top of RAM, page-aligned. */
	assert_int_equal(shyper_domain_initrd_ipa(&dom, 20 << 20, 0x1800),
			 0x40000000ULL + (128 << 20) - 0x2000);
	/* Not over the kernel, not beyond RAM. */
	assert_int_equal(shyper_domain_initrd_ipa(&dom, 100 << 20, 30 << 20), 0);
	assert_int_equal(shyper_domain_initrd_ipa(&dom, 0, 129 << 20), 0);
}

static void test_examples_parse(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = NULL;

	(void)state;
	assert_int_equal(shyper_domain_parse_file(SHYPER_SOURCE_ROOT "/examples/baremetal/baremetal.xml",
						  &dom, &diag), 0);
	assert_int_equal(diag.count, 0);
	assert_string_equal(dom->name, "baremetal");
	assert_int_equal(dom->memory, 4ULL << 20);
	assert_int_equal(dom->vcpu_count, 1);
	assert_string_equal(dom->kernel, "/usr/share/shyper/examples/baremetal-hello.bin");
	assert_null(dom->initrd);
	assert_int_equal(dom->console_count, 1);
	shyper_domain_free(dom);

	assert_int_equal(shyper_domain_parse_file(SHYPER_SOURCE_ROOT "/examples/linux-guest.xml",
						  &dom, &diag), 0);
	assert_int_equal(diag.count, 0);
	assert_string_equal(dom->name, "linux-guest");
	assert_int_equal(dom->memory, 256ULL << 20);
	assert_int_equal(dom->vcpu_count, 2);
	assert_int_equal(dom->vcpu_pcpu[0], 2);
	assert_int_equal(dom->vcpu_pcpu[1], 3);
	assert_string_equal(dom->kernel, "/usr/share/shyper/examples/guest-Image");
	assert_string_equal(dom->initrd, "/usr/share/shyper/examples/guest-initramfs.cpio.gz");
	assert_string_equal(dom->cmdline, "console=ttyAMA0 earlycon quiet rdinit=/init");
	assert_int_equal(dom->consoles[0].target, SHYPER_CONSOLE_SERIAL);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
}

/* Reads FILE (under tests/fixtures/libvirt) with its placeholders filled in
 * and nothing else changed but type='qemu' -> type='shyper'. */
static char *libvirt_fixture(const char *file)
{
	static const struct {
		const char *placeholder, *value;
	} fill[] = { { "@KERNEL@", "/srv/vmlinuz" }, { "@INITRD@", "/srv/initrd.img" },
		     { "@DISK@", "/srv/disk.img" } };
	char *path, *text, *at;
	size_t len = 0;
	FILE *f;

	assert_true(asprintf(&path, "%s/tests/fixtures/libvirt/%s", SHYPER_SOURCE_ROOT, file) > 0);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	text = calloc(1, 65536);
	assert_non_null(text);
	len = fread(text, 1, 65535, f);
	fclose(f);
	free(path);
	assert_true(len > 0 && len < 65535);
	at = strstr(text, "<domain type=");
	assert_non_null(at);
	assert_true(!strncmp(at + 14, "qemu", 4));
	memmove(at + 20, at + 18, strlen(at + 18) + 1);
	memcpy(at + 14, "shyper", 6);
	for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
		while ((at = strstr(text, fill[i].placeholder))) {
			size_t plen = strlen(fill[i].placeholder), vlen = strlen(fill[i].value);

			assert_true(strlen(text) - plen + vlen < 65535);
			memmove(at + vlen, at + plen, strlen(at + plen) + 1);
			memcpy(at, fill[i].value, vlen);
		}
	}
	return text;
}

/* Files written by virt-install --print-xml and virsh dumpxml run with
 * only the domain type changed: every warning says why, nothing is an
 * error, and what dumpxml writes back reads without warnings and passes
 * libvirt's own schema. */
static void test_libvirt_tools_output(void **state)
{
	static const char *const files[] = {
		"virt-install-aarch64.xml", "virt-install-aarch64-noacpi.xml",
		"virt-install-aarch64-rng.xml", "virt-install-aarch64-cpu-features.xml",
		"virt-install-aarch64-serial.xml", "virsh-dumpxml-aarch64.xml",
		"virsh-dumpxml-aarch64-rng.xml", "virsh-dumpxml-aarch64-cpu-features.xml",
		"virsh-dumpxml-aarch64-serial.xml",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct shyper_domain_diag diag = { 0 };
		struct shyper_domain *dom = NULL, *again;
		char *xml = libvirt_fixture(files[i]), *written;
		bool serial = strstr(files[i], "serial"), rng = strstr(files[i], "-rng");
		bool cpu = strstr(files[i], "cpu-features");
		int rc = shyper_domain_parse_string(xml, strlen(xml), &dom, &diag);

		if (rc || diag.error_count) {
			shyper_domain_diag_print(&diag, files[i], stderr);
			fail_msg("%s: refused (%d)", files[i], rc);
		}
		assert_true(diag.warning_count >= 2); /* <emulator>, the controllers... */
		for (size_t k = 0; k < diag.count; k++)
			if (!strstr(diag.entries[k].message, "is ignored: ") &&
			    !strstr(diag.entries[k].message, "is taken as"))
				fail_msg("%s: a warning that does not say why: %s", files[i],
					 diag.entries[k].message);
		assert_int_equal(dom->memory, 512ULL << 20);
		assert_int_equal(dom->vcpu_count, rng ? 1 : 2);
		assert_string_equal(dom->kernel, "/srv/vmlinuz");
		assert_string_equal(dom->initrd, "/srv/initrd.img");
		assert_int_equal(dom->disk_count, 1);
		assert_string_equal(dom->disks[0].source, "/srv/disk.img");
		assert_string_equal(dom->disks[0].target, "vda");
		assert_int_equal(dom->interface_count, 1);
		assert_int_equal(dom->interfaces[0].type, SHYPER_INTERFACE_NETWORK);
		assert_int_equal(dom->interfaces[0].mac[0], 0x52);
		assert_int_equal(dom->console_count, 1);
		assert_int_equal(dom->consoles[0].target,
				 serial ? SHYPER_CONSOLE_SERIAL : SHYPER_CONSOLE_VIRTIO);
		assert_int_equal(dom->rng, rng);
		assert_int_equal(dom->cpu_mode, cpu ? SHYPER_CPU_HOST_PASSTHROUGH : SHYPER_CPU_CUSTOM);
		if (!cpu)
			assert_string_equal(dom->cpu_model, "cortex-a57");
		assert_true(dom->clock.given);
		assert_int_equal(dom->clock.offset, SHYPER_CLOCK_UTC);
		if (cpu) {
			assert_string_equal(dom->title, "Debian test guest");
			assert_string_equal(dom->description, "Shyper libvirt fixture");
			assert_int_equal(dom->on_crash, SHYPER_ACTION_DESTROY);
			assert_int_equal(dom->on_reboot, SHYPER_ACTION_RESTART);
		}
		shyper_domain_diag_free(&diag);

		written = shyper_domain_to_xml(dom);
		assert_non_null(written);
		again = parse_ok(written, &diag);
		if (diag.count) {
			shyper_domain_diag_print(&diag, files[i], stderr);
			fail_msg("%s: dumpxml wrote what define warns about", files[i]);
		}
		assert_same_domain(dom, again);
		validate_with_libvirt(written);
		free(written);
		shyper_domain_free(again);
		shyper_domain_free(dom);
		free(xml);
	}
}

/* A real-time VM in libvirt's words, and the placements refused. */
static void test_rtvm_definitions(void **state)
{
	static const char rt[] =
		"<domain type='shyper'>\n"
		"  <name>rt</name>\n"
		"  <memory unit='MiB'>16</memory>\n"
		"  <memoryBacking><locked/><nosharepages/><hugepages/></memoryBacking>\n"
		"  <vcpu>2</vcpu>\n"
		"  <cputune>\n"
		"    <vcpupin vcpu='0' cpuset='2'/>\n"
		"    <vcpupin vcpu='1' cpuset='3'/>\n"
		"    <vcpusched vcpus='0-1' scheduler='fifo' priority='10'/>\n"
		"  </cputune>\n"
		"  <os><kernel>/k</kernel></os>\n"
		"</domain>\n";
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom;
	char *written;

	(void)state;
	dom = parse_ok(rt, &diag);
	assert_int_equal(diag.count, 0);
	assert_int_equal(dom->type, SHYPER_VM_RTVM);
	assert_int_equal(dom->rt_priority, 10);
	assert_true(dom->memory_locked);
	written = shyper_domain_to_xml(dom);
	assert_non_null(strstr(written, "<vcpusched vcpus=\"0-1\" scheduler=\"fifo\" "
				       "priority=\"10\"/>"));
	assert_non_null(strstr(written, "<memoryBacking>"));
	assert_non_null(strstr(written, "<shyper:type>rtvm</shyper:type>"));
	validate_with_libvirt(written);
	free(written);
	shyper_domain_free(dom);
	check_round_trip(rt);
	/* One vcpusched per vCPU, and 'rr', are the same. */
	dom = parse_ok("<domain type='shyper'><name>rt</name><memory unit='MiB'>16</memory>"
		       "<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='1'/>"
		       "<vcpupin vcpu='1' cpuset='2'/><vcpusched vcpus='0' scheduler='rr'/>"
		       "<vcpusched vcpus='1' scheduler='fifo' priority='3'/></cputune>"
		       "<os><kernel>/k</kernel></os></domain>", &diag);
	assert_int_equal(dom->type, SHYPER_VM_RTVM);
	assert_int_equal(dom->rt_priority, 3);
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);

	expect_error_with("  <vcpu>2</vcpu>\n  <cputune><vcpupin vcpu='0' cpuset='1'/>"
			  "<vcpusched vcpus='0-1' scheduler='fifo'/></cputune>\n", 7,
			  "real-time vCPU 1 is not pinned");
	expect_error_with("  <cputune><vcpupin vcpu='0' cpuset='0'/>"
			  "<vcpusched vcpus='0' scheduler='fifo'/></cputune>\n", 6,
			  "pinned to pCPU 0, which the MVM keeps");
	expect_error_with("  <vcpu>2</vcpu>\n  <cputune><vcpupin vcpu='0' cpuset='1'/>"
			  "<vcpupin vcpu='1' cpuset='1'/><vcpusched vcpus='0-1' scheduler='fifo'/>"
			  "</cputune>\n", 7, "real-time vCPUs 0 and 1 are both pinned to pCPU 1");
	expect_error_with("  <vcpu>2</vcpu>\n  <cputune><vcpupin vcpu='0' cpuset='1'/>"
			  "<vcpupin vcpu='1' cpuset='2'/><vcpusched vcpus='0' scheduler='fifo'/>"
			  "</cputune>\n", 7, "vCPU 1 has no <vcpusched");
	expect_error_with("  <cputune><vcpupin vcpu='0' cpuset='1'/>"
			  "<vcpusched vcpus='0' scheduler='batch'/></cputune>\n", 6,
			  "<vcpusched scheduler='batch'> is not supported");
	expect_error_with("  <cputune><vcpupin vcpu='0' cpuset='1'/>"
			  "<vcpusched vcpus='0-2' scheduler='fifo'/></cputune>\n", 6,
			  "names a vCPU the domain does not have");
	expect_error_with("  <cputune><vcpusched vcpus='x' scheduler='fifo'/></cputune>\n", 6,
			  "vcpus='x' is not a set of vCPUs");
	expect_error_with("  <cputune><vcpusched vcpus='0' scheduler='fifo' priority='100'/>"
			  "</cputune>\n", 6, "priority='100' is not 1 to 99");
	expect_error_with("  <cputune><vcpupin vcpu='0' cpuset='1'/>"
			  "<vcpusched vcpus='0' scheduler='fifo'/></cputune>\n"
			  "  <metadata><shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>"
			  "<shyper:type>gvm</shyper:type></shyper:vm></metadata>\n", 6,
			  "but <shyper:type> says gvm");
	/* Shyper's own flag says the same, with the same rules. */
	expect_error_with("  <metadata><shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>"
			  "<shyper:type>rtvm</shyper:type></shyper:vm></metadata>\n", 6,
			  "real-time vCPU 0 is not pinned");
	expect_error_with("  <memoryBacking><hugepages><page size='1' unit='GiB'/></hugepages>"
			  "</memoryBacking>\n", 6, "other than 2 MiB pages");
	expect_error_with("  <memoryBacking><access mode='shared'/></memoryBacking>\n", 6,
			  "<access> in <memoryBacking> is not supported");
}

/* What the guest's PL031 reads at start, for each <clock>. */
static void test_rtc_time(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom;
	const int64_t now = 1796356800; /* 2026-12-04 04:00:00 UTC */
	uint64_t t;
	char *xml;

	(void)state;
	setenv("TZ", "XST-2", 1); /* two hours east of UTC, no summer time */
	tzset();
	xml = minimal_with("");
	dom = parse_ok(xml, &diag);
	assert_int_equal(shyper_domain_rtc_time(dom, now, &t), 0);
	assert_int_equal(t, now);
	dom->clock.offset = SHYPER_CLOCK_LOCALTIME;
	assert_int_equal(shyper_domain_rtc_time(dom, now, &t), 0);
	assert_int_equal(t, now + 7200);
	dom->clock.offset = SHYPER_CLOCK_VARIABLE;
	dom->clock.adjustment = -60;
	assert_int_equal(shyper_domain_rtc_time(dom, now, &t), 0);
	assert_int_equal(t, now - 60);
	dom->clock.basis_localtime = true;
	assert_int_equal(shyper_domain_rtc_time(dom, now, &t), 0);
	assert_int_equal(t, now + 7200 - 60);
	/* Outside what the PL031's 32-bit counter shows: refused. */
	dom->clock.basis_localtime = false;
	dom->clock.adjustment = -now - 1;
	assert_int_equal(shyper_domain_rtc_time(dom, now, &t), SHYPER_ERR_INVALID);
	dom->clock.adjustment = (int64_t)UINT32_MAX - now + 1;
	assert_int_equal(shyper_domain_rtc_time(dom, now, &t), SHYPER_ERR_INVALID);
	unsetenv("TZ");
	tzset();
	shyper_domain_free(dom);
	shyper_domain_diag_free(&diag);
	free(xml);
}

static void test_parse_file_errors(void **state)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *mem;

	(void)state;
	assert_int_equal(shyper_domain_parse_file("/nonexistent/vm.xml", &dom, &diag),
			 SHYPER_ERR_NO_ENTRY);
	assert_null(dom);
	assert_diag(&diag, SHYPER_DIAG_ERROR, 0, "cannot open /nonexistent/vm.xml");

	/* The printed form names the file and the line. */
	assert_int_equal(shyper_domain_parse_string("<domain type='shyper'>\n<bogus/>\n</domain>", 42,
						    &dom, &diag),
			 SHYPER_ERR_INVALID);
	mem = open_memstream(&out, &len);
	assert_non_null(mem);
	shyper_domain_diag_print(&diag, "vm.xml", mem);
	fclose(mem);
	assert_non_null(strstr(out, "vm.xml: error: cannot open /nonexistent/vm.xml: "));
	assert_non_null(strstr(out, "vm.xml:2: error: <bogus> is not supported\n"));
	free(out);
	shyper_domain_diag_free(&diag);
	assert_int_equal(diag.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_supported_element),
		cmocka_unit_test(test_disk_and_interface_errors),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_memory_units),
		cmocka_unit_test(test_malformed_xml),
		cmocka_unit_test(test_unknown_element_and_attribute),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_libvirt_elements_honoured),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_disk_cache_modes),
		cmocka_unit_test(test_libvirt_validates_dumpxml),
		cmocka_unit_test(test_to_config),
		cmocka_unit_test(test_initrd_placement),
		cmocka_unit_test(test_examples_parse),
		cmocka_unit_test(test_libvirt_tools_output),
		cmocka_unit_test(test_rtc_time),
		cmocka_unit_test(test_rtvm_definitions),
		cmocka_unit_test(test_parse_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
