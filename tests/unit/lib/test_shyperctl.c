// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl's command line through shyperctl_main(), over the fake device:
 * help everywhere, usage errors (exit 2, one "shyperctl: " line), runtime
 * errors (exit 1), plain output and --json output that parses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include <shyper/domain.h>

#include "fake_transport.h"
#include "shyperctl.h"

/* "MAJOR.MINOR" of the ABI header, as the tools print it. */
#define ABI_STR_(x) #x
#define ABI_STR(x) ABI_STR_(x)
#define ABI_TEXT ABI_STR(SHYPER_ABI_MAJOR) "." ABI_STR(SHYPER_ABI_MINOR)

#define MiB (1ULL << 20)

/* Each test's own directory: the store and run directories shyperctl uses
 * (through $SHYPER_STATE_DIR and $SHYPER_RUN_DIR), kernels, definitions. */
static char tmp[PATH_MAX];

struct result {
	int status;
	char *out;
	char *err;
};

static struct result last;

/* Runs shyperctl with the NULL-terminated arguments after "shyperctl". */
static int run(const char *arg, ...)
{
	char *argv[32] = { (char *)"shyperctl" };
	size_t out_len, err_len;
	FILE *out, *err;
	int argc = 1;
	va_list ap;

	free(last.out);
	free(last.err);
	va_start(ap, arg);
	for (const char *a = arg; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	out = open_memstream(&last.out, &out_len);
	err = open_memstream(&last.err, &err_len);
	assert_non_null(out);
	assert_non_null(err);
	last.status = shyperctl_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	assert_int_equal(fake.open_count, 0); /* the device was closed */
	return last.status;
}

/* stderr is exactly one line starting "shyperctl: ". */
static void assert_one_error_line(void)
{
	size_t len = strlen(last.err);

	if (strncmp(last.err, "shyperctl: ", 11) != 0 || len < 12 || last.err[len - 1] != '\n' ||
	    strchr(last.err, '\n') != last.err + len - 1)
		fail_msg("stderr is not one 'shyperctl: ' line: [%s]", last.err);
}

static void assert_usage_error(const char *part)
{
	assert_int_equal(last.status, SHYPERCTL_EXIT_USAGE);
	assert_one_error_line();
	assert_string_equal(last.out, "");
	if (part && !strstr(last.err, part))
		fail_msg("'%s' not in: %s", part, last.err);
}

static json_object *parse_out(void)
{
	json_object *doc = json_tokener_parse(last.out);

	if (!doc)
		fail_msg("stdout is not JSON: [%s]", last.out);
	return doc;
}

/* A path under this test's directory; eight results stay valid at once. */
static const char *at(const char *fmt, ...)
{
	static char ring[8][PATH_MAX];
	static unsigned int next;
	char *buf = ring[next++ % 8];
	size_t len = strlen(tmp);
	va_list ap;

	memcpy(buf, tmp, len);
	buf[len++] = '/';
	va_start(ap, fmt);
	if (vsnprintf(buf + len, PATH_MAX - len, fmt, ap) >= (int)(PATH_MAX - len))
		fail_msg("path too long");
	va_end(ap);
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A definition of NAME (MIB MiB, the test kernel; BODY inside <domain>)
 * in the file FILE of this test's directory, whose path it returns. */
static const char *write_definition(const char *file, const char *name, unsigned int mib,
				    const char *body)
{
	const char *path = at("%s", file);
	char *xml;
	int len;

	len = asprintf(&xml,
		       "<domain type='shyper'>\n"
		       "  <name>%s</name>\n"
		       "  <memory unit='MiB'>%u</memory>\n"
		       "  <os><kernel>%s</kernel></os>\n"
		       "%s"
		       "</domain>\n",
		       name, mib, at("kernel"), body ? body : "");
	assert_true(len > 0);
	write_file(path, xml, (size_t)len);
	free(xml);
	return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");
	static const char kernel[] = "\x1f\x20\x03\xd5 a tiny guest kernel";

	(void)state;
	fake_reset();
	unsetenv("SHYPER_DEVICE");
	snprintf(tmp, sizeof(tmp), "%s/shyperctl-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(tmp));
	setenv("SHYPER_STATE_DIR", at("state"), 1);
	setenv("SHYPER_RUN_DIR", at("run"), 1);
	write_file(at("kernel"), kernel, sizeof(kernel));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("SHYPER_STATE_DIR");
	unsetenv("SHYPER_RUN_DIR");
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	free(last.out);
	free(last.err);
	return 0;
}

/* ---- Help and version --------------------------------------------------------- */

static void assert_help(const char *usage)
{
	assert_int_equal(last.status, 0);
	assert_string_equal(last.err, "");
	if (strncmp(last.out, usage, strlen(usage)) != 0)
		fail_msg("help does not start with '%s': %s", usage, last.out);
	assert_non_null(strstr(last.out, "--json"));
	assert_non_null(strstr(last.out, "--help"));
}

static void test_help_everywhere(void **state)
{
	(void)state;
	run("--help", NULL);
	assert_help("Usage: shyperctl [OPTIONS] COMMAND");
	assert_non_null(strstr(last.out, "vm info NAME|ID"));
	assert_non_null(strstr(last.out, "Exit status"));
	run("-h", NULL);
	assert_help("Usage: shyperctl [OPTIONS] COMMAND");

	run("hv", "--help", NULL);
	assert_help("Usage: shyperctl hv SUBCOMMAND");
	run("vm", "-h", NULL);
	assert_help("Usage: shyperctl vm SUBCOMMAND");
	assert_non_null(strstr(last.out, "list"));

	run("hv", "info", "--help", NULL);
	assert_help("Usage: shyperctl hv info");
	run("hv", "log", "--help", NULL);
	assert_help("Usage: shyperctl hv log");
	run("vm", "list", "--help", NULL);
	assert_help("Usage: shyperctl vm list");
	run("vm", "info", "--help", NULL);
	assert_help("Usage: shyperctl vm info [OPTIONS] NAME|ID");
	/* Before the command too, and without opening the device. */
	fake.open_errno = ENOENT;
	run("--help", "vm", "info", NULL);
	assert_help("Usage: shyperctl vm info");
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(run("--version", NULL), 0);
	assert_string_equal(last.out, "shyperctl " SHYPERCTL_VERSION " (libshyper 0.1.0-unit, ABI " ABI_TEXT ")\n");
	assert_string_equal(last.err, "");
	assert_int_equal(run("hv", "info", "-V", NULL), 0);
	assert_non_null(strstr(last.out, "shyperctl "));
}

/* ---- Usage errors ------------------------------------------------------------------ */

static void test_usage_errors(void **state)
{
	(void)state;
	run(NULL);
	assert_usage_error("missing command");
	run("frobnicate", NULL);
	assert_usage_error("unknown command 'frobnicate'");
	run("hv", NULL);
	assert_usage_error("hv: missing subcommand (info, stats, log, update)");
	run("vm", "explode", NULL);
	assert_usage_error("unknown vm subcommand 'explode'");
	run("vm", "info", NULL);
	assert_usage_error("vm info: missing argument NAME|ID");
	run("vm", "info", "a", "b", NULL);
	assert_usage_error("unexpected argument 'b'");
	run("hv", "info", "extra", NULL);
	assert_usage_error("unexpected argument 'extra'");
	run("--frob", "hv", "info", NULL);
	assert_usage_error("unknown option '--frob'");
	run("hv", "info", "-x", NULL);
	assert_usage_error("unknown option '-x'");
	run("hv", "info", "--device", NULL);
	assert_usage_error("needs a device path");
	/* Usage errors come before the device is opened. */
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_HV_INFO)], 0);
}

static void test_double_dash_ends_options(void **state)
{
	(void)state;
	fake_add_vm(3, "-odd");
	assert_int_equal(run("vm", "info", "--", "-odd", NULL), 0);
	assert_non_null(strstr(last.out, "-odd"));
}

/* ---- Runtime errors ------------------------------------------------------------------ */

static void test_runtime_errors(void **state)
{
	(void)state;
	fake.open_errno = ENOENT;
	assert_int_equal(run("hv", "info", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_string_equal(last.err, "shyperctl: /dev/shyper not found: is the shyper module loaded?\n");

	fake.open_errno = EACCES;
	assert_int_equal(run("vm", "list", "--json", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_string_equal(last.err,
			    "shyperctl: cannot open /dev/shyper: Permission denied (are you root?)\n");
	assert_string_equal(last.out, "");

	fake.open_errno = 0;
	assert_int_equal(run("vm", "info", "nosuchvm", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_string_equal(last.err, "shyperctl: no VM with id or name 'nosuchvm'\n");
	assert_string_equal(last.out, "");

	assert_int_equal(run("vm", "info", "42", "--json", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_string_equal(last.out, "");

	fake.fail_cmd = SHYPER_IOC_LOG_READ;
	fake.fail_errno = EFAULT;
	assert_int_equal(run("hv", "log", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_non_null(strstr(last.err, "reading the hypervisor log"));
}

static void test_device_option(void **state)
{
	(void)state;
	assert_int_equal(run("--device", "/dev/other", "hv", "info", NULL), 0);
	assert_string_equal(fake.open_path, "/dev/other");
	assert_int_equal(run("hv", "info", "--device=/dev/third", NULL), 0);
	assert_string_equal(fake.open_path, "/dev/third");
	assert_int_equal(run("hv", "info", "-d", "/dev/fourth", NULL), 0);
	assert_string_equal(fake.open_path, "/dev/fourth");
}

/* ---- Plain output ------------------------------------------------------------------ */

static void test_hv_info_plain(void **state)
{
	(void)state;
	assert_int_equal(run("hv", "info", NULL), 0);
	assert_string_equal(last.err, "");
	assert_string_equal(last.out,
			    "Hypervisor:        Shyper 0.1.0-test\n"
			    "ABI version:       " ABI_TEXT "\n"
			    "Board:             QEMU virt (test)\n"
			    "GIC version:       GICv3\n"
			    "pCPUs:             4\n"
			    "Memory total:      2 GiB\n"
			    "Memory hypervisor: 64 MiB (40 MiB free)\n"
			    "Guest pool total:  512 MiB\n"
			    "Guest pool free:   384 MiB\n"
			    "VMs:               1 (at most 8)\n"
			    "Uptime:            1h 2m 3s\n"
			    "Build id:          0123456789abcdef\n"
			    "State layout:      version 5\n"
			    "Live updates:      2 since boot (last pause 0.812 ms)\n");
	fake.hv.update_count = 0;
	assert_int_equal(run("hv", "info", NULL), 0);
	assert_non_null(strstr(last.out, "Live updates:      none since boot\n"));
	/* From a hypervisor older than ABI 1.7: no build id, no state layout. */
	fake.hv.size = SHYPER_HV_INFO_SIZE_V1;
	fake.hv.state_version = 0;
	memset(fake.hv.build_id, 0, sizeof(fake.hv.build_id));
	assert_int_equal(run("hv", "info", NULL), 0);
	assert_non_null(strstr(last.out, "Build id:          unknown\n"));
	assert_null(strstr(last.out, "State layout"));
	assert_null(strstr(last.out, "Live updates"));
	assert_null(strstr(last.out, "free)"));
}

static json_object *member(json_object *obj, const char *key);

/* ---- hv update ----------------------------------------------------------------------- */

static void update_report_good(void)
{
	struct shyper_update_report *r = &fake.update_report;

	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->update_count = 3;
	strcpy(r->old_version, "0.1.0-old");
	strcpy(r->new_version, "0.1.0-new");
	memcpy(r->old_build_id, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	memcpy(r->new_build_id, "\xfe\xdc\xba\x98\x76\x54\x32\x10", 8);
	r->old_state_version = r->new_state_version = 5;
	r->image_size = 6;
	r->stage_ns = 500000;
	r->check_ns = 2000000;
	r->rendezvous_ns = 300000;
	r->takeover_ns = 400000;
	r->resume_ns = 100000;
	r->pause_ns = 812000;
}

static void test_hv_update(void **state)
{
	json_object *doc, *phases;

	(void)state;
	update_report_good();
	write_file(at("shyper.bin"), "IMAGE!", 6);
	assert_int_equal(run("hv", "update", at("shyper.bin"), NULL), 0);
	assert_string_equal(last.err, "");
	assert_int_equal(fake.update_len, 6);
	assert_int_equal(fake.update_flags, 0);
	assert_memory_equal(fake.update_head, "IMAGE!", 6);
	assert_string_equal(last.out,
			    "Image: Shyper 0.1.0-new (build fedcba9876543210, state layout 5)\n"
			    "  stage         0.500 ms  (6 bytes copied in)\n"
			    "  check         2.000 ms  (header and SHA-256, guests running)\n"
			    "  hand-over     0.700 ms  (every pCPU stopped in 0.300 ms, new image took "
			    "over in 0.400 ms)\n"
			    "  resume        0.100 ms  (every pCPU back to its guests)\n"
			    "Updated: Shyper 0.1.0-old (build 0123456789abcdef) -> 0.1.0-new (build "
			    "fedcba9876543210); every vCPU paused at most 0.812 ms; update 3 since boot\n");

	/* --check: checked, nothing handed over. */
	assert_int_equal(run("hv", "update", "--check", at("shyper.bin"), NULL), 0);
	assert_int_equal(fake.update_flags, SHYPER_UPDATE_CHECK_ONLY);
	assert_null(strstr(last.out, "hand-over"));
	assert_non_null(strstr(last.out, "The image would be accepted: Shyper 0.1.0-old"));

	/* --json: the report, phases in nanoseconds. */
	assert_int_equal(run("hv", "update", "--json", at("shyper.bin"), NULL), 0);
	doc = parse_out();
	assert_true(json_object_get_boolean(member(doc, "accepted")));
	assert_string_equal(json_object_get_string(member(doc, "new_build_id")), "fedcba9876543210");
	phases = member(doc, "phases_ns");
	assert_int_equal(json_object_get_uint64(member(phases, "takeover")), 400000);
	assert_int_equal(json_object_get_uint64(member(doc, "pause_ns")), 812000);
	json_object_put(doc);
}

static void test_hv_update_refusals(void **state)
{
	json_object *doc;

	(void)state;
	write_file(at("bad.bin"), "\x7f" "ELF", 4);
	update_report_good();
	fake.update_report.reason = SHYPER_UPDATE_ELF;
	fake.update_report.new_version[0] = '\0';
	fake.update_errno = EINVAL;
	assert_int_equal(run("hv", "update", at("bad.bin"), NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_non_null(strstr(last.err, "refused: an ELF file: give the flat image"));
	assert_non_null(strstr(last.err, "nothing changed"));
	assert_null(strstr(last.out, "Updated"));

	/* Refused by its size alone, but plainly not a Shyper image: both said. */
	fake.update_report.reason = SHYPER_UPDATE_TOO_LARGE;
	assert_int_equal(run("hv", "update", at("bad.bin"), NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_non_null(strstr(last.err, "refused: an ELF file"));
	assert_non_null(strstr(last.err, "(and larger than the room"));
	fake.update_report.reason = SHYPER_UPDATE_ELF;

	/* Refused in --json too: the report on stdout, the reason on stderr. */
	assert_int_equal(run("hv", "update", "--json", at("bad.bin"), NULL), SHYPERCTL_EXIT_FAILURE);
	doc = parse_out();
	assert_false(json_object_get_boolean(member(doc, "accepted")));
	assert_int_equal(json_object_get_int(member(doc, "reason")), SHYPER_UPDATE_ELF);
	json_object_put(doc);
	assert_one_error_line();

	/* Rolled back: the new image's own words. */
	update_report_good();
	fake.update_report.reason = SHYPER_UPDATE_ROLLED_BACK;
	strcpy(fake.update_report.detail, "built to fail here");
	fake.update_errno = ECANCELED;
	assert_int_equal(run("hv", "update", at("bad.bin"), NULL), SHYPERCTL_EXIT_FAILURE);
	assert_non_null(strstr(last.err, "could not take over (built to fail here)"));
	assert_non_null(strstr(last.err, "every VM goes on"));

	/* A pCPU that did not stop. */
	fake.update_report.reason = SHYPER_UPDATE_RENDEZVOUS;
	fake.update_report.pcpu = 3;
	fake.update_errno = EBUSY;
	assert_int_equal(run("hv", "update", at("bad.bin"), NULL), SHYPERCTL_EXIT_FAILURE);
	assert_non_null(strstr(last.err, "pCPU 3 did not stop in time"));

	/* Not root (the module's CAP_SYS_ADMIN check): no report at all. */
	memset(&fake.update_report, 0, sizeof(fake.update_report));
	fake.update_errno = EPERM;
	assert_int_equal(run("hv", "update", at("bad.bin"), NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_string_equal(last.out, "");

	/* No such file: the device is never asked. */
	fake.update_len = 99;
	assert_int_equal(run("hv", "update", at("missing.bin"), NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_non_null(strstr(last.err, "missing.bin"));
	assert_int_equal(fake.update_len, 99);
	assert_int_equal(run("hv", "update", tmp, NULL), SHYPERCTL_EXIT_FAILURE);
	assert_non_null(strstr(last.err, "not a regular file"));
	run("hv", "update", NULL);
	assert_usage_error("hv update: missing argument IMAGE");
}

/* Per-pCPU counters: a table of shares of each pCPU's time, and the JSON. */
static void test_hv_stats(void **state)
{
	json_object *doc, *list, *p;

	(void)state;
	fake.pcpu_stats[0] = (struct shyper_pcpu_stats){ .online = 1, .exits = 1200, .irqs = 30,
		.ipis = 7, .el2_ns = 100000000, .idle_ns = 400000000, .online_ns = 1000000000,
		.vm_id = 0, .vcpu = 0 };
	fake.pcpu_stats[1] = (struct shyper_pcpu_stats){ .online = 1, .online_ns = 1000000000,
		.idle_ns = 1000000000, .vm_id = SHYPER_NO_VM };
	fake.pcpu_stats[2] = (struct shyper_pcpu_stats){ .online = 1, .exits = 3, .irqs = 3,
		.el2_ns = 1000, .online_ns = 1000000000, .vm_id = 5, .vcpu = 1 };
	fake.pcpu_stats[3] = (struct shyper_pcpu_stats){ .vm_id = SHYPER_NO_VM };
	assert_int_equal(run("hv", "stats", NULL), 0);
	assert_string_equal(last.err, "");
	assert_string_equal(last.out,
			    "PCPU  RUNS         EXITS  IRQS  IPIS    EL2    IDLE  GUESTS\n"
			    "   0  VM 0 vCPU 0   1200    30     7  10.0%   40.0%   50.0%\n"
			    "   1  -                0     0     0   0.0%  100.0%    0.0%\n"
			    "   2  VM 5 vCPU 1      3     3     0   0.0%    0.0%  100.0%\n"
			    "   3  (offline)        0     0     0      -       -       -\n");
	assert_int_equal(run("hv", "stats", "--json", NULL), 0);
	doc = parse_out();
	list = member(doc, "pcpus");
	assert_int_equal(json_object_array_length(list), 4);
	p = json_object_array_get_idx(list, 0);
	assert_int_equal(json_object_get_int64(member(p, "exits")), 1200);
	assert_int_equal(json_object_get_int64(member(p, "guest_ns")), 500000000);
	assert_int_equal(json_object_get_int64(member(p, "vm_id")), 0);
	p = json_object_array_get_idx(list, 1);
	assert_true(json_object_is_type(member(p, "vm_id"), json_type_null));
	assert_false(json_object_get_boolean(member(json_object_array_get_idx(list, 3), "online")));
	json_object_put(doc);
}

/* PART is somewhere in what the last run printed. */
static void assert_out_has(const char *part)
{
	if (!strstr(last.out, part))
		fail_msg("[%s] not in stdout:\n%s", part, last.out);
}

/* The fake's look at the hypervisor after its first look at the pCPUs is
 * one second later (a sample reads the hypervisor first, then the pCPUs):
 * vCPU 0 of VM 3 ran half of it, pCPU 1 idled a quarter of it. */
static void one_second_passes(void)
{
	if (fake.calls[_IOC_NR(SHYPER_IOC_HV_STATS)] != 1)
		return;
	fake.hv.uptime_ns += 1000000000ULL;
	for (unsigned i = 0; i < fake.vm_count; i++) {
		if (fake.vms[i].id != 3)
			continue;
		fake.vm_stats[i].vcpus[0].run_ns += 500000000ULL;
		fake.vm_stats[i].vcpus[0].exits[SHYPER_EXIT_DABT] += 40;
		fake.vm_stats[i].vcpus[0].irqs += 10;
		fake.vm_stats[i].vdevs[1].bytes_in += 3 << 20;
		fake.vm_stats[i].vdevs[1].requests += 6;
	}
	fake.pcpu_stats[1].online_ns += 1000000000ULL;
	fake.pcpu_stats[1].idle_ns += 250000000ULL;
	fake.pcpu_stats[1].exits += 70;
}

static void stats_guest(void)
{
	struct shyper_vm_info *vm = fake_add_vm(3, "web");
	struct shyper_vm_stats *s = &fake.vm_stats[fake.vm_count - 1];

	vm->vcpu_count = 2;
	vm->uptime_ns = 10000000000ULL;
	s->vcpus[0] = (struct shyper_vcpu_stats){ .pcpu = 1, .state = SHYPER_VCPU_RUNNING,
						  .run_ns = 4000000000ULL, .irqs = 12 };
	s->vcpus[0].exits[SHYPER_EXIT_HVC] = 5;
	s->vcpus[0].exits[SHYPER_EXIT_WFX] = 7;
	s->vcpus[1] = (struct shyper_vcpu_stats){ .pcpu = 2, .state = SHYPER_VCPU_BLOCKED };
	s->vdevs[1] = (struct shyper_vdev_stats){ .kind = SHYPER_DEV_VIRTIO_BLOCK, .slot = 1,
						  .requests = 9, .bytes_in = 2 << 20, .bytes_out = 512 };
	fake.pcpu_stats[1] = (struct shyper_pcpu_stats){ .online = 1, .online_ns = 5000000000ULL,
							 .vm_id = 3 };
}

/* vm stats: counts since creation; with --interval, rates over it. */
static void test_vm_stats(void **state)
{
	json_object *doc, *vcpu;

	(void)state;
	stats_guest();
	assert_int_equal(run("vm", "stats", "web", NULL), 0);
	assert_string_equal(last.err, "");
	assert_out_has("VCPU  PCPU  STATE    RUN   CPU%  IRQS  EXITS\n"
					 "   0     1  running  4.0s  40.0    12     12\n"
					 "   1     2  blocked  0.0s   0.0     0      0\n");
	assert_out_has("VCPU  HVC  SMC  DABT  IABT  SYSREG  WFX  IRQ  OTHER\n"
					 "   0    5    0     0     0       0    7    0      0\n");
	assert_out_has("SLOT  DEVICE  REQUESTS     IN    OUT\n"
					 "   1  disk           9  2 MiB  512 B\n");

	fake.on_hv_info = one_second_passes;
	fake.calls[_IOC_NR(SHYPER_IOC_HV_STATS)] = 0;
	assert_int_equal(run("vm", "stats", "3", "-i", "0.1", NULL), 0);
	assert_out_has("VCPU  PCPU  STATE    RUN   CPU%  IRQS/S  EXITS/S\n"
					 "   0     1  running  4.5s  50.0    10.0     40.0\n");
	assert_out_has("SLOT  DEVICE  REQUESTS     IN    OUT  REQ/S     IN/S  OUT/S\n"
				 "   1  disk          15  5 MiB  512 B    6.0  3 MiB/s  0 B/s\n");

	fake.calls[_IOC_NR(SHYPER_IOC_HV_STATS)] = 0;
	assert_int_equal(run("vm", "stats", "web", "--interval=0.1", "--json", NULL), 0);
	doc = parse_out();
	assert_false(json_object_get_boolean(member(doc, "fresh")));
	assert_float_equal(json_object_get_double(member(doc, "cpu_percent")), 50.0, 0.01);
	assert_float_equal(json_object_get_double(member(doc, "disk_read_bytes_per_s")), 3145728.0, 1);
	vcpu = json_object_array_get_idx(member(doc, "vcpus"), 1);
	assert_string_equal(json_object_get_string(member(vcpu, "state")), "blocked");
	json_object_put(doc);

	/* No such VM, a bad interval, an interval where it means nothing. */
	assert_int_equal(run("vm", "stats", "nope", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_non_null(strstr(last.err, "nope"));
	for (const char *const *bad = (const char *const[]){ "0", "0.05", "3601", "1.", "x", "-1",
							     "1e3", "", NULL };
	     *bad; bad++) {
		run("vm", "stats", "web", "-i", *bad, NULL);
		assert_usage_error("bad --interval");
	}
	run("vm", "list", "-i", "1", NULL);
	assert_usage_error("--interval is for 'vm stats' and 'hv stats' only");
	/* An old hypervisor: said plainly. */
	fake.fail_cmd = SHYPER_IOC_VM_STATS;
	fake.fail_errno = ENOTTY;
	assert_int_equal(run("vm", "stats", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_non_null(strstr(last.err, "older than ABI 1.10"));
}

/* hv stats --interval: per-second rates and shares of the interval. */
static void test_hv_stats_interval(void **state)
{
	json_object *doc, *p;

	(void)state;
	stats_guest();
	fake.on_hv_info = one_second_passes;
	assert_int_equal(run("hv", "stats", "-i", "0.2", NULL), 0);
	assert_out_has("PCPU  RUNS         EXITS/S  IRQS/S   EL2   IDLE  GUESTS\n");
	assert_out_has("   1  VM 3 vCPU 0     70.0     0.0  0.0%  25.0%   75.0%\n");
	fake.calls[_IOC_NR(SHYPER_IOC_HV_STATS)] = 0;
	assert_int_equal(run("hv", "stats", "-i", "0.2", "-j", NULL), 0);
	doc = parse_out();
	p = json_object_array_get_idx(member(doc, "pcpus"), 1);
	assert_float_equal(json_object_get_double(member(p, "idle_percent")), 25.0, 0.01);
	json_object_put(doc);
}

static void test_vm_list_plain(void **state)
{
	struct shyper_vm_info *vm;

	(void)state;
	vm = fake_add_vm(12, "a-long-guest-name");
	vm->state = SHYPER_VM_PAUSED;
	vm->memory = 1536ULL << 20;
	assert_int_equal(run("vm", "list", NULL), 0);
	assert_string_equal(last.out,
			    "ID  NAME               TYPE  STATE    VCPUS   MEMORY\n"
			    " 0  mvm                mvm   running      4  1.4 GiB\n"
			    "12  a-long-guest-name  gvm   paused       1  1.5 GiB\n");
}

static void test_vm_info_plain(void **state)
{
	(void)state;
	assert_int_equal(run("vm", "info", "mvm", NULL), 0);
	assert_string_equal(last.out,
			    "ID:      0\n"
			    "Name:    mvm\n"
			    "UUID:    -\n"
			    "Type:    mvm\n"
			    "State:   running\n"
			    "Defined: no\n"
			    "vCPUs:   4\n"
			    "Memory:  1.4 GiB\n"
			    "Uptime:  5.0s\n"
			    "Exits:   1000\n"
			    "vCPU 0:  pCPU 0\n"
			    "vCPU 1:  pCPU 1\n"
			    "vCPU 2:  pCPU 2\n"
			    "vCPU 3:  pCPU 3\n");
	/* By id: the same. */
	{
		char *by_name = strdup(last.out);

		assert_int_equal(run("vm", "info", "0", NULL), 0);
		assert_string_equal(last.out, by_name);
		free(by_name);
	}
}

static void test_vm_info_not_running_has_no_uptime(void **state)
{
	struct shyper_vm_info *vm;

	(void)state;
	vm = fake_add_vm(2, "off");
	vm->state = SHYPER_VM_SHUTOFF;
	vm->uptime_ns = 0;
	assert_int_equal(run("vm", "info", "off", NULL), 0);
	assert_non_null(strstr(last.out, "State:   shut off\n"));
	assert_non_null(strstr(last.out, "Uptime:  -\n"));
}

static void test_hv_log_plain(void **state)
{
	(void)state;
	fake_log_append("Shyper 0.1.0-test on QEMU\nno newline at the end");
	assert_int_equal(run("hv", "log", NULL), 0);
	assert_string_equal(last.out, "Shyper 0.1.0-test on QEMU\nno newline at the end\n");
	assert_string_equal(last.err, "");
}

/* ---- JSON output ----------------------------------------------------------------------- */

static void test_json_outputs_parse(void **state)
{
	json_object *doc, *value;

	(void)state;
	fake_log_append("Shyper banner\n");

	assert_int_equal(run("--json", "hv", "info", NULL), 0);
	doc = parse_out();
	assert_true(json_object_object_get_ex(doc, "pcpu_count", &value));
	assert_int_equal(json_object_get_int(value), 4);
	json_object_put(doc);

	assert_int_equal(run("hv", "log", "--json", NULL), 0);
	doc = parse_out();
	assert_true(json_object_object_get_ex(doc, "text", &value));
	assert_string_equal(json_object_get_string(value), "Shyper banner\n");
	json_object_put(doc);

	assert_int_equal(run("vm", "-j", "list", NULL), 0);
	doc = parse_out();
	assert_true(json_object_object_get_ex(doc, "vms", &value));
	assert_int_equal(json_object_array_length(value), 1);
	json_object_put(doc);

	assert_int_equal(run("vm", "info", "0", "--json", NULL), 0);
	doc = parse_out();
	assert_true(json_object_object_get_ex(doc, "name", &value));
	assert_string_equal(json_object_get_string(value), "mvm");
	assert_true(json_object_object_get_ex(doc, "schema", &value));
	assert_int_equal(json_object_get_int(value), 1);
	json_object_put(doc);
	assert_string_equal(last.err, "");
}

/* ---- Managed VMs: vm define, create, start, stop, ... ------------------------------------ */

/* Exit 1 with exactly "shyperctl: MESSAGE" on stderr and nothing on stdout. */
static void assert_failure(const char *message)
{
	char line[512];

	assert_int_equal(last.status, SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	snprintf(line, sizeof(line), "shyperctl: %s\n", message);
	assert_string_equal(last.err, line);
	assert_string_equal(last.out, "");
}

/* Exit 1, one "shyperctl: " line containing PART, nothing on stdout. */
static void assert_failure_contains(const char *part)
{
	assert_int_equal(last.status, SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_string_equal(last.out, "");
	if (!strstr(last.err, part))
		fail_msg("'%s' not in: %s", part, last.err);
}

/* Exit 0, exactly LINE on stdout, nothing on stderr. */
static void assert_output_line(const char *line)
{
	char expected[512];

	assert_int_equal(last.status, 0);
	assert_string_equal(last.err, "");
	snprintf(expected, sizeof(expected), "%s\n", line);
	assert_string_equal(last.out, expected);
}

static void uuid_text(const uint8_t uuid[16], char text[37])
{
	snprintf(text, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8],
		 uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}

/* The stored definition of NAME (a handle of our own, closed again), or NULL. */
static struct shyper_domain *stored(const char *name)
{
	struct shyper_domain *dom = NULL;
	struct shyper *h;
	int err;

	h = shyper_open(NULL, &err);
	assert_non_null(h);
	if (shyper_domain_lookup(h, name, &dom))
		dom = NULL;
	shyper_close(h);
	return dom;
}

static void stored_uuid(const char *name, char text[37])
{
	struct shyper_domain *dom = stored(name);

	assert_non_null(dom);
	uuid_text(dom->uuid, text);
	shyper_domain_free(dom);
}

/* The JSON on stdout, which must describe VM NAME in STATE. */
static json_object *parse_vm(const char *name, const char *vm_state)
{
	json_object *doc = parse_out(), *value;

	assert_int_equal(last.status, 0);
	assert_string_equal(last.err, "");
	assert_true(json_object_object_get_ex(doc, "schema", &value));
	assert_int_equal(json_object_get_int(value), 1);
	assert_true(json_object_object_get_ex(doc, "name", &value));
	assert_string_equal(json_object_get_string(value), name);
	assert_true(json_object_object_get_ex(doc, "state", &value));
	assert_string_equal(json_object_get_string(value), vm_state);
	return doc;
}

static json_object *member(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(obj));
	return value;
}

static void test_vm_define(void **state)
{
	const char *file;
	char uuid[37], line[256];
	json_object *doc;

	(void)state;
	file = write_definition("web.xml", "web", 64, NULL);
	assert_int_equal(run("vm", "define", file, NULL), 0);
	stored_uuid("web", uuid);
	snprintf(line, sizeof(line), "VM 'web' defined from %s (UUID %s)", file, uuid);
	assert_output_line(line);
	assert_true(exists(at("state/vms/web.xml")));
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);

	/* Again, without the UUID it was given: refused, nothing changed. */
	assert_int_equal(run("vm", "define", file, NULL), SHYPERCTL_EXIT_FAILURE);
	snprintf(line, sizeof(line),
		 "VM 'web' is already defined (with UUID %s); to change its definition give "
		 "that UUID, or undefine it first", uuid);
	assert_failure(line);

	/* With it (as dumpxml writes it): redefined. */
	assert_int_equal(run("vm", "dumpxml", "web", NULL), 0);
	assert_string_equal(last.err, "");
	assert_non_null(strstr(last.out, uuid));
	write_file(at("web2.xml"), last.out, strlen(last.out));
	assert_int_equal(run("vm", "define", at("web2.xml"), "--json", NULL), 0);
	doc = parse_vm("web", "defined");
	assert_string_equal(json_object_get_string(member(doc, "uuid")), uuid);
	assert_true(json_object_is_type(member(doc, "id"), json_type_null));
	assert_true(json_object_get_boolean(member(doc, "defined")));
	assert_false(json_object_get_boolean(member(doc, "active")));
	assert_int_equal(json_object_get_int64(member(doc, "memory_bytes")), 64 * MiB);
	json_object_put(doc);
	assert_int_equal(run("vm", "define", at("web2.xml"), NULL), 0);
	snprintf(line, sizeof(line), "VM 'web' redefined from %s (UUID %s)", at("web2.xml"), uuid);
	assert_output_line(line);

	/* Warnings are "shyperctl: FILE:LINE: warning:" lines; it still works. */
	file = write_definition("warn.xml", "warn", 16, "  <pm><suspend-to-mem enabled='no'/></pm>\n");
	assert_int_equal(run("vm", "define", file, NULL), 0);
	snprintf(line, sizeof(line), "shyperctl: %s:5: warning: ", file);
	if (strncmp(last.err, line, strlen(line)))
		fail_msg("no warning line '%s' in: %s", line, last.err);
	assert_non_null(strstr(last.out, "VM 'warn' defined from "));
	/* The last line says how many were ignored. */
	assert_non_null(strstr(last.out, "; 1 warning above: that part was ignored\n"));
	/* --json carries them as a list, and stderr stays quiet. */
	/* --json carries them as a list, and stderr stays quiet. */
	file = write_definition("warn2.xml", "warn2", 16, "  <pm><suspend-to-mem enabled='no'/></pm>\n");
	if (run("vm", "define", file, "--json", NULL))
		fail_msg("define --json: %s", last.err);
	doc = parse_vm("warn2", "defined");
	{
		json_object *warnings = member(doc, "warnings"), *w;

		assert_true(json_object_is_type(warnings, json_type_array));
		assert_int_equal(json_object_array_length(warnings), 1);
		w = json_object_array_get_idx(warnings, 0);
		assert_int_equal(json_object_get_int(member(w, "line")), 5);
		assert_non_null(strstr(json_object_get_string(member(w, "message")),
				       "<pm> is ignored"));
	}
	json_object_put(doc);
	/* Without warnings the list is there, empty. */
	assert_int_equal(run("vm", "define", at("web2.xml"), "--json", NULL), 0);
	doc = parse_vm("web", "defined");
	assert_int_equal(json_object_array_length(member(doc, "warnings")), 0);
	json_object_put(doc);
}

static void test_vm_define_errors(void **state)
{
	static const char broken[] = "<domain type='shyper'>\n  <name>x</name>\n  <memory>\n"
				     "</domain>\n";
	const char *file;
	char line[PATH_MAX + 128];

	(void)state;
	/* Malformed XML: FILE:LINE of the first problem. */
	file = at("broken.xml");
	write_file(file, broken, strlen(broken));
	assert_int_equal(run("vm", "define", file, NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	snprintf(line, sizeof(line), "shyperctl: %s:4: error: malformed XML: ", file);
	if (strncmp(last.err, line, strlen(line)))
		fail_msg("expected '%s...', got: %s", line, last.err);
	assert_string_equal(last.out, "");

	/* Well-formed but wrong, twice: the first, and how many more. */
	file = write_definition("bad.xml", "bad", 64, "  <vcpu>99</vcpu>\n  <bogus/>\n");
	assert_int_equal(run("vm", "define", file, "--json", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	snprintf(line, sizeof(line), "shyperctl: %s:5: error: ", file);
	if (strncmp(last.err, line, strlen(line)))
		fail_msg("expected '%s...', got: %s", line, last.err);
	assert_non_null(strstr(last.err, " (and 1 more error)\n"));
	assert_string_equal(last.out, "");

	/* No such file. */
	assert_int_equal(run("vm", "define", at("nosuch.xml"), NULL), SHYPERCTL_EXIT_FAILURE);
	assert_one_error_line();
	assert_non_null(strstr(last.err, at("nosuch.xml")));

	/* Checked against the board: the pool is 512 MiB. */
	file = write_definition("huge.xml", "huge", 1024, NULL);
	assert_int_equal(run("vm", "define", file, NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'huge': 1024 MiB of memory is more than the whole guest pool (512 MiB; "
		       "the hypervisor's pool= argument sets it)");
	/* The MVM's name is taken. */
	file = write_definition("mvm.xml", "mvm", 64, NULL);
	assert_int_equal(run("vm", "define", file, NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'mvm' already exists (id 0, mvm) and is not a defined VM");
	assert_false(exists(at("state/vms/huge.xml")));
	assert_false(exists(at("state/vms/mvm.xml")));
	assert_false(exists(at("state/vms/bad.xml")));
}

static void test_vm_create(void **state)
{
	const char *file;
	char uuid[37], line[256];
	json_object *doc;

	(void)state;
	file = write_definition("web.xml", "web", 64, NULL);
	assert_int_equal(run("vm", "create", file, NULL), 0);
	stored_uuid("web", uuid);
	snprintf(line, sizeof(line), "VM 'web' created and started (id 1, UUID %s)", uuid);
	assert_output_line(line);
	assert_non_null(fake_vm_named("web"));
	assert_int_equal(fake_vm_named("web")->state, SHYPER_VM_RUNNING);

	/* The name must be new, running or not. */
	assert_int_equal(run("vm", "create", file, NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'web' already exists (running): 'shyperctl vm start web' starts it");
	assert_int_equal(run("vm", "destroy", "web", NULL), 0);
	assert_int_equal(run("vm", "create", file, NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'web' already exists (shut off): 'shyperctl vm start web' starts it");

	/* --json: the running VM. */
	file = write_definition("db.xml", "db", 32, NULL);
	assert_int_equal(run("--json", "vm", "create", file, NULL), 0);
	doc = parse_vm("db", "running");
	assert_int_equal(json_object_get_int(member(doc, "id")), (int)fake_vm_named("db")->id);
	assert_true(json_object_get_boolean(member(doc, "active")));
	assert_true(json_object_get_boolean(member(doc, "defined")));
	json_object_put(doc);
}

static void test_vm_create_that_cannot_start(void **state)
{
	uint64_t pool = fake.hv.pool_free;
	const char *file;

	(void)state;
	/* 480 MiB fits the pool (512 MiB) but not what is free of it (384 MiB). */
	file = write_definition("big.xml", "big", 480, NULL);
	assert_int_equal(run("vm", "create", file, NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("starting VM 'big': creating VM 'big': not enough free guest memory for "
		       "480 MiB");
	/* No definition left behind, no VM, no memory taken. */
	assert_false(exists(at("state/vms/big.xml")));
	assert_null(stored("big"));
	assert_null(fake_vm_named("big"));
	assert_int_equal(fake.hv.pool_free, pool);
	assert_int_equal(fake.vm_count, 1);

	/* The same for a failed load. */
	file = write_definition("web.xml", "web", 64, NULL);
	fake.fail_cmd = SHYPER_IOC_VM_LOAD;
	fake.fail_errno = EFAULT;
	assert_int_equal(run("vm", "create", file, "--json", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure_contains("starting VM 'web': ");
	fake.fail_errno = 0;
	assert_false(exists(at("state/vms/web.xml")));
	assert_null(fake_vm_named("web"));
	assert_int_equal(fake.hv.pool_free, pool);
	/* It can be created once the problem is gone. */
	assert_int_equal(run("vm", "create", file, NULL), 0);
}

static void define_web(void)
{
	const char *file = write_definition("web.xml", "web", 64, NULL);

	assert_int_equal(run("vm", "define", file, NULL), 0);
}

static void test_vm_start(void **state)
{
	json_object *doc;

	(void)state;
	define_web();
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	assert_output_line("VM 'web' started (id 1)");
	assert_int_equal(fake_vm(1)->state, SHYPER_VM_RUNNING);
	assert_int_equal(fake.last_config.entry_ipa, SHYPER_DOMAIN_ENTRY_IPA);

	assert_int_equal(run("vm", "start", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'web' is already running (id 1)");
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 1);

	assert_int_equal(run("vm", "start", "nosuch", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("starting VM 'nosuch': no VM named 'nosuch' is defined");
	assert_int_equal(run("vm", "start", "../etc", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure_contains("no VM named '../etc'");

	assert_int_equal(run("vm", "destroy", "web", NULL), 0);
	assert_int_equal(run("vm", "start", "web", "-j", NULL), 0);
	doc = parse_vm("web", "running");
	assert_int_equal(json_object_get_int(member(doc, "id")), 1);
	json_object_put(doc);
}

static void test_vm_stop(void **state)
{
	json_object *doc;

	(void)state;
	define_web();
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	/* The guest powers off when asked. */
	assert_int_equal(run("vm", "stop", "web", NULL), 0);
	assert_output_line("VM 'web' shut down");
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 0);
	assert_null(fake_vm_named("web"));

	/* Not running any more. */
	assert_int_equal(run("vm", "stop", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure_contains("VM 'web': it is not running");

	/* --force: never asked. */
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	assert_int_equal(run("vm", "stop", "--force", "web", NULL), 0);
	assert_output_line("VM 'web' powered off");
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 1);
	assert_null(fake_vm_named("web"));

	/* A guest that ignores the button, and --json. */
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	fake.button = FAKE_BUTTON_IGNORED;
	assert_int_equal(run("vm", "stop", "web", "--timeout", "1", NULL), 0);
	assert_output_line("VM 'web' did not power off within 1 s and was powered off by force");
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 2);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 2);
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	assert_int_equal(run("vm", "stop", "web", "-f", "--json", NULL), 0);
	doc = parse_vm("web", "shutoff");
	assert_true(json_object_is_type(member(doc, "id"), json_type_null));
	assert_false(json_object_get_boolean(member(doc, "active")));
	json_object_put(doc);

	/* Not for the MVM. */
	assert_int_equal(run("vm", "stop", "mvm", "--force", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure_contains("VM 'mvm': it is the management VM");
	assert_int_equal(fake_vm(0)->state, SHYPER_VM_RUNNING);
}

static void test_vm_destroy_reboot_pause_resume(void **state)
{
	json_object *doc;

	(void)state;
	define_web();
	assert_int_equal(run("vm", "start", "web", NULL), 0);

	assert_int_equal(run("vm", "pause", "web", NULL), 0);
	assert_output_line("VM 'web' paused");
	assert_int_equal(fake_vm(1)->state, SHYPER_VM_PAUSED);
	assert_int_equal(run("vm", "pause", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("pausing VM 'web': it is paused, not running");
	assert_int_equal(run("vm", "resume", "web", "--json", NULL), 0);
	doc = parse_vm("web", "running");
	json_object_put(doc);
	assert_int_equal(run("vm", "resume", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("resuming VM 'web': it is running, not paused");
	assert_int_equal(run("vm", "pause", "web", "--json", NULL), 0);
	doc = parse_vm("web", "paused");
	json_object_put(doc);
	assert_int_equal(run("vm", "resume", "web", NULL), 0);
	assert_output_line("VM 'web' resumed");

	fake.load_count = 0;
	assert_int_equal(run("vm", "reboot", "web", NULL), 0);
	assert_output_line("VM 'web' rebooted");
	assert_int_equal(fake.load_count, 2); /* kernel and device tree */
	assert_int_equal(run("vm", "reboot", "web", "--json", NULL), 0);
	doc = parse_vm("web", "running");
	assert_int_equal(json_object_get_int(member(doc, "id")), 1);
	json_object_put(doc);

	assert_int_equal(run("vm", "destroy", "web", NULL), 0);
	assert_output_line("VM 'web' destroyed");
	assert_null(fake_vm_named("web"));
	assert_int_equal(run("vm", "destroy", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("destroying VM 'web': it is not running");
	assert_int_equal(run("vm", "reboot", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure_contains("it is not running");
	assert_int_equal(run("vm", "pause", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("pausing VM 'web': it is not running");
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	assert_int_equal(run("vm", "destroy", "web", "--json", NULL), 0);
	doc = parse_vm("web", "shutoff");
	json_object_put(doc);

	assert_int_equal(run("vm", "destroy", "mvm", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("destroying VM 'mvm': it is the management VM, which Shyper does not let "
		       "itself be stopped");
	assert_int_equal(run("vm", "pause", "mvm", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("pausing VM 'mvm': it is the management VM, which Shyper does not let "
		       "itself be paused");
}

static void test_vm_undefine(void **state)
{
	json_object *doc;

	(void)state;
	define_web();
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	assert_int_equal(run("vm", "undefine", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'web' is running: stop or destroy it before undefining it");
	assert_int_equal(run("vm", "undefine", "mvm", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'mvm' is the management VM: it cannot be undefined");
	assert_int_equal(run("vm", "undefine", "nosuch", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("no VM named 'nosuch' is defined");
	assert_true(exists(at("state/vms/web.xml")));

	assert_int_equal(run("vm", "destroy", "web", NULL), 0);
	assert_int_equal(run("vm", "undefine", "web", NULL), 0);
	assert_output_line("VM 'web' undefined");
	assert_false(exists(at("state/vms/web.xml")));
	assert_false(exists(at("run/web.ran")));

	/* --json: the VM as it was, no longer defined. */
	define_web();
	assert_int_equal(run("vm", "undefine", "web", "--json", NULL), 0);
	doc = parse_vm("web", "defined");
	assert_false(json_object_get_boolean(member(doc, "defined")));
	json_object_put(doc);
	assert_false(exists(at("state/vms/web.xml")));
	assert_int_equal(run("vm", "undefine", "web", "--json", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("no VM with id or name 'web'");
}

static void test_vm_dumpxml(void **state)
{
	struct shyper_domain *dom = NULL, *back;
	json_object *doc;

	(void)state;
	write_definition("web.xml", "web", 64, "  <vcpu>2</vcpu>\n");
	assert_int_equal(run("vm", "define", at("web.xml"), NULL), 0);
	assert_int_equal(run("vm", "dumpxml", "web", NULL), 0);
	assert_string_equal(last.err, "");
	assert_int_equal(shyper_domain_parse_string(last.out, strlen(last.out), &dom, NULL), 0);
	back = stored("web");
	assert_non_null(back);
	assert_string_equal(dom->name, "web");
	assert_memory_equal(dom->uuid, back->uuid, 16);
	assert_int_equal(dom->vcpu_count, 2);
	assert_int_equal(dom->memory, 64 * MiB);
	assert_string_equal(dom->kernel, at("kernel"));
	shyper_domain_free(dom);
	shyper_domain_free(back);

	assert_int_equal(run("vm", "dumpxml", "web", "--json", NULL), 0);
	doc = parse_out();
	assert_int_equal(json_object_get_int(member(doc, "schema")), 1);
	assert_string_equal(json_object_get_string(member(doc, "name")), "web");
	assert_non_null(strstr(json_object_get_string(member(doc, "xml")), "<name>web</name>"));
	json_object_put(doc);

	assert_int_equal(run("vm", "dumpxml", "mvm", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("no VM named 'mvm' is defined");
	assert_int_equal(run("vm", "dumpxml", "../state/vms/web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("no VM named '../state/vms/web'");
}

static void test_vm_list_and_info_with_definitions(void **state)
{
	char uuid[37], expected[1024];

	(void)state;
	write_definition("zeta.xml", "zeta", 64, "  <vcpu>2</vcpu>\n"
			 "  <cputune><vcpupin vcpu='0' cpuset='3'/></cputune>\n");
	assert_int_equal(run("vm", "define", at("zeta.xml"), NULL), 0);
	write_definition("alpha.xml", "alpha", 32, NULL);
	assert_int_equal(run("vm", "define", at("alpha.xml"), NULL), 0);
	define_web();
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	write_definition("gone.xml", "gone", 16, NULL);
	assert_int_equal(run("vm", "create", at("gone.xml"), NULL), 0);
	assert_int_equal(run("vm", "destroy", "gone", NULL), 0);

	assert_int_equal(run("vm", "list", NULL), 0);
	assert_string_equal(last.err, "");
	assert_string_equal(last.out,
			    "ID  NAME   TYPE  STATE     VCPUS   MEMORY\n"
			    " 0  mvm    mvm   running       4  1.4 GiB\n"
			    " 1  web    gvm   running       1   64 MiB\n"
			    " -  alpha  gvm   defined       1   32 MiB\n"
			    " -  gone   gvm   shut off      1   16 MiB\n"
			    " -  zeta   gvm   defined       2   64 MiB\n");

	stored_uuid("zeta", uuid);
	assert_int_equal(run("vm", "info", "zeta", NULL), 0);
	snprintf(expected, sizeof(expected),
		 "ID:      -\n"
		 "Name:    zeta\n"
		 "UUID:    %s\n"
		 "Type:    gvm\n"
		 "State:   defined\n"
		 "Defined: yes\n"
		 "vCPUs:   2\n"
		 "Memory:  64 MiB\n"
		 "Uptime:  -\n"
		 "Exits:   -\n"
		 "vCPU 0:  pCPU 3 (when running)\n"
		 "vCPU 1:  pCPU 1 (when running)\n", uuid);
	assert_string_equal(last.out, expected);

	stored_uuid("web", uuid);
	assert_int_equal(run("vm", "info", "1", NULL), 0);
	snprintf(expected, sizeof(expected),
		 "ID:      1\n"
		 "Name:    web\n"
		 "UUID:    %s\n"
		 "Type:    gvm\n"
		 "State:   running\n"
		 "Defined: yes\n"
		 "vCPUs:   1\n"
		 "Memory:  64 MiB\n"
		 "Uptime:  0.0s\n"
		 "Exits:   1001\n"
		 "vCPU 0:  pCPU 0\n", uuid);
	assert_string_equal(last.out, expected);

	/* A damaged definition is left out, not fatal. */
	write_file(at("state/vms/broken.xml"), "<domain", 7);
	assert_int_equal(run("vm", "list", "--json", NULL), 0);
	{
		json_object *doc = parse_out(), *vms = member(doc, "vms");

		assert_int_equal(json_object_array_length(vms), 5);
		assert_string_equal(json_object_get_string(member(json_object_array_get_idx(vms, 3),
								    "name")), "gone");
		assert_string_equal(json_object_get_string(member(json_object_array_get_idx(vms, 3),
								    "state")), "shutoff");
		json_object_put(doc);
	}
}

static void test_vm_console_refusals(void **state)
{
	(void)state;
	define_web();
	run("vm", "console", "web", "--json", NULL);
	assert_usage_error("vm console is interactive and has no JSON output");
	assert_int_equal(run("vm", "console", "web", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'web' is not running (defined)");
	assert_int_equal(run("vm", "console", "mvm", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("VM 'mvm' is the management VM: its console is this one");
	assert_int_equal(run("vm", "console", "nosuch", NULL), SHYPERCTL_EXIT_FAILURE);
	assert_failure("no VM with id or name 'nosuch'");
}

/* Without a terminal: what the guest wrote since the last reader, then
 * live until the guest stops; where it ended is kept for the next one. */
static void test_vm_console_follows_output(void **state)
{
	int saved_in, saved_out, null_in, out_fd;
	struct shyper *h;
	uint64_t offset = 0;
	size_t len;
	char *seen;
	int err;

	(void)state;
	define_web();
	assert_int_equal(run("vm", "start", "web", NULL), 0);
	fake_console_append("old line\nnew line\n");
	h = shyper_open(NULL, &err);
	assert_non_null(h);
	assert_int_equal(shyper_console_cursor_set(h, "web", 1, 9), 0);
	shyper_close(h);
	/* The guest powers off after a few looks at its state. */
	fake_guest_powers_off(1, 2);

	/* Its output goes to file descriptor 1, its input comes from 0. */
	fflush(stdout);
	saved_in = dup(STDIN_FILENO);
	saved_out = dup(STDOUT_FILENO);
	null_in = open("/dev/null", O_RDONLY);
	out_fd = open(at("console.out"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved_in >= 0 && saved_out >= 0 && null_in >= 0 && out_fd >= 0);
	dup2(null_in, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	run("vm", "console", "web", NULL);
	dup2(saved_in, STDIN_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_in);
	close(saved_out);
	close(null_in);
	close(out_fd);

	assert_int_equal(last.status, 0);
	assert_non_null(strstr(last.err, "Connected to VM 'web' (id 1). Escape character is ^]\n"));
	assert_non_null(strstr(last.err, "[VM 'web' is no longer running]"));
	{
		FILE *f = fopen(at("console.out"), "r");

		assert_non_null(f);
		seen = calloc(1, 256);
		len = fread(seen, 1, 255, f);
		fclose(f);
	}
	assert_int_equal(len, 9);
	assert_string_equal(seen, "new line\n");
	free(seen);
	h = shyper_open(NULL, &err);
	assert_non_null(h);
	assert_int_equal(shyper_console_cursor_get(h, "web", 1, &offset), 0);
	shyper_close(h);
	assert_int_equal(offset, 18);
}

/* After an operation on NAME, --json describes NAME, even when NAME is
 * also some other VM's id. */
static void test_vm_json_reports_the_named_vm(void **state)
{
	json_object *doc;
	char name[SHYPER_NAME_LEN];

	(void)state;
	write_definition("zero.xml", "0", 16, NULL);
	assert_int_equal(run("vm", "define", at("zero.xml"), NULL), 0);
	assert_int_equal(run("vm", "start", "0", "--json", NULL), 0);
	doc = parse_out();
	snprintf(name, sizeof(name), "%s", json_object_get_string(member(doc, "name")));
	json_object_put(doc);
	assert_string_equal(name, "0");
}

static void test_vm_usage_errors(void **state)
{
	static const char *const need_name[] = { "define", "create", "start", "stop", "destroy",
						 "reboot", "pause", "resume", "undefine",
						 "dumpxml", "console" };

	(void)state;
	for (size_t i = 0; i < sizeof(need_name) / sizeof(need_name[0]); i++) {
		char part[64];

		run("vm", need_name[i], NULL);
		snprintf(part, sizeof(part), "vm %s: missing argument ", need_name[i]);
		assert_usage_error(part);
		run("vm", need_name[i], "a", "b", NULL);
		assert_usage_error("unexpected argument 'b'");
		run("vm", need_name[i], "--help", NULL);
		assert_int_equal(last.status, 0);
		assert_non_null(strstr(last.out, "Usage: shyperctl vm "));
	}

	run("vm", "stop", "web", "--timeout", "0", NULL);
	assert_usage_error("bad --timeout '0': a whole number of seconds, 1 to 3600");
	run("vm", "stop", "web", "--timeout", "3601", NULL);
	assert_usage_error("bad --timeout '3601'");
	run("vm", "stop", "web", "--timeout=abc", NULL);
	assert_usage_error("bad --timeout 'abc'");
	run("vm", "stop", "web", "--timeout=", NULL);
	assert_usage_error("bad --timeout ''");
	run("vm", "stop", "web", "-t", "1.5", NULL);
	assert_usage_error("bad --timeout '1.5'");
	run("vm", "stop", "web", "--timeout", NULL);
	assert_usage_error("option '--timeout' needs a number of seconds");
	run("vm", "start", "web", "--force", NULL);
	assert_usage_error("vm start: --force and --timeout are for 'vm stop' only");
	run("vm", "destroy", "web", "--timeout", "5", NULL);
	assert_usage_error("vm destroy: --force and --timeout are for 'vm stop' only");
	run("-f", "hv", "info", NULL);
	assert_usage_error("hv info: --force and --timeout are for 'vm stop' only");
	run("vm", "save", "web", "/tmp/x", "--live", "--max-downtime", "0", NULL);
	assert_usage_error("bad --max-downtime '0': milliseconds, 1 to 60000");
	run("vm", "save", "web", "/tmp/x", "--live", "--max-downtime=60001", NULL);
	assert_usage_error("bad --max-downtime '60001'");
	run("vm", "save", "web", "/tmp/x", "--live", "--max-downtime", "-5", NULL);
	assert_usage_error("bad --max-downtime '-5'");
	run("vm", "save", "web", "/tmp/x", "--max-downtime", "10", NULL);
	assert_usage_error("vm save: --max-downtime is for a --live save");
	run("vm", "stop", "web", "--live", NULL);
	assert_usage_error("vm stop: --live is for 'vm save' only");
	run("vm", "restore", "--max-downtime", "5", "/tmp/x", NULL);
	assert_usage_error("vm restore: --max-downtime is for 'vm save --live' and 'vm migrate' only");
	run("vm", "migrate", "web", "board-2", "--offline", "--max-downtime", "5", NULL);
	assert_usage_error("vm migrate: --offline and --max-downtime exclude each other");
	run("vm", "migrate", "web", "board-2", "--bandwidth", "0", NULL);
	assert_usage_error("bad --bandwidth '0': MiB/s, 1 to 100000");
	run("vm", "migrate", "--cancel", "web", "board-2", NULL);
	assert_usage_error("vm migrate --cancel: NAME only");
	run("vm", "save", "web", "/tmp/x", "--plain", NULL);
	assert_usage_error("vm save: --offline, --plain, --cancel, --copy-storage and --bandwidth are for 'vm migrate' only");
	run("vm", "migrate", "web", NULL);
	assert_usage_error("vm migrate: missing argument NAME DEST");
	run("vm", "save", "web", NULL);
	assert_usage_error("vm save: missing argument NAME FILE");
	run("vm", "stop", "web", "--force", "--timeout", "5", NULL);
	assert_usage_error("vm stop: --force and --timeout exclude each other");

	/* None of them got as far as the device or the store. */
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_HV_INFO)], 0);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_LIST)], 0);
	assert_false(exists(at("state")));
	assert_false(exists(at("run")));
}

/* ---- Formatting helpers ------------------------------------------------------------------ */

static void test_format_bytes(void **state)
{
	char buf[32];

	(void)state;
	shyperctl_format_bytes(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0 B");
	shyperctl_format_bytes(buf, sizeof(buf), 1023);
	assert_string_equal(buf, "1023 B");
	shyperctl_format_bytes(buf, sizeof(buf), 1024);
	assert_string_equal(buf, "1 KiB");
	shyperctl_format_bytes(buf, sizeof(buf), 1536);
	assert_string_equal(buf, "1.5 KiB");
	shyperctl_format_bytes(buf, sizeof(buf), 512ULL << 20);
	assert_string_equal(buf, "512 MiB");
	shyperctl_format_bytes(buf, sizeof(buf), 3ULL << 40);
	assert_string_equal(buf, "3 TiB");
	shyperctl_format_bytes(buf, sizeof(buf), UINT64_MAX);
	assert_string_equal(buf, "16.0 EiB");
}

static void test_format_duration(void **state)
{
	char buf[32];

	(void)state;
	shyperctl_format_duration(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0.0s");
	shyperctl_format_duration(buf, sizeof(buf), 12345000000ULL);
	assert_string_equal(buf, "12.3s");
	shyperctl_format_duration(buf, sizeof(buf), 60000000000ULL);
	assert_string_equal(buf, "1m 0s");
	shyperctl_format_duration(buf, sizeof(buf), 3723000000000ULL);
	assert_string_equal(buf, "1h 2m 3s");
	shyperctl_format_duration(buf, sizeof(buf), 2ULL * 86400 * 1000000000ULL + 5000000000ULL);
	assert_string_equal(buf, "2d 0h 0m 5s");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_help_everywhere),
		T(test_version),
		T(test_usage_errors),
		T(test_double_dash_ends_options),
		T(test_runtime_errors),
		T(test_device_option),
		T(test_hv_info_plain),
		T(test_vm_list_plain),
		T(test_vm_info_plain),
		T(test_vm_info_not_running_has_no_uptime),
		T(test_hv_log_plain),
		T(test_hv_stats),
		T(test_hv_stats_interval),
		T(test_vm_stats),
		T(test_hv_update),
		T(test_hv_update_refusals),
		T(test_json_outputs_parse),
		T(test_vm_define),
		T(test_vm_define_errors),
		T(test_vm_create),
		T(test_vm_create_that_cannot_start),
		T(test_vm_start),
		T(test_vm_stop),
		T(test_vm_destroy_reboot_pause_resume),
		T(test_vm_undefine),
		T(test_vm_dumpxml),
		T(test_vm_list_and_info_with_definitions),
		T(test_vm_console_refusals),
		T(test_vm_console_follows_output),
		T(test_vm_usage_errors),
		T(test_vm_json_reports_the_named_vm),
		T(test_format_bytes),
		T(test_format_duration),
	};

	return cmocka_run_group_tests_name("shyperctl", tests, NULL, teardown_all);
}
