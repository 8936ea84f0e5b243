// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl's command line through shyperctl_main(), over the fake device:
 * help everywhere, usage errors (exit 2, one "shyperctl: " line), runtime
 * errors (exit 1), plain output and --json output that parses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "fake_transport.h"
#include "shyperctl.h"

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

static int setup(void **state)
{
	(void)state;
	fake_reset();
	unsetenv("SHYPER_DEVICE");
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
	assert_string_equal(last.out, "shyperctl " SHYPERCTL_VERSION " (libshyper 0.1.0-unit, ABI 1.2)\n");
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
	assert_usage_error("hv: missing subcommand (info, log)");
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
			    "ABI version:       1.2\n"
			    "Board:             QEMU virt (test)\n"
			    "GIC version:       GICv3\n"
			    "pCPUs:             4\n"
			    "Memory total:      2 GiB\n"
			    "Memory hypervisor: 64 MiB\n"
			    "Guest pool total:  512 MiB\n"
			    "Guest pool free:   384 MiB\n"
			    "VMs:               1 (at most 8)\n"
			    "Uptime:            1h 2m 3s\n");
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

#define T(fn) cmocka_unit_test_setup(fn, setup)

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
		T(test_json_outputs_parse),
		T(test_format_bytes),
		T(test_format_duration),
	};

	return cmocka_run_group_tests_name("shyperctl", tests, NULL, teardown_all);
}
