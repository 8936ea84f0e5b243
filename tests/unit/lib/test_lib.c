// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libshyper against the fake device: opening and the ABI check, hypervisor
 * information, reading the log ring, listing VMs, lookups, events, and how
 * every errno of the kernel module becomes an error code and a message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <shyper/libshyper.h>

#include "fake_transport.h"

static struct shyper *open_ok(void)
{
	int err = 1;
	struct shyper *h = shyper_open(NULL, &err);

	assert_non_null(h);
	assert_int_equal(err, 0);
	return h;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	unsetenv("SHYPER_DEVICE");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(fake.open_count, 0); /* every open was closed */
	return 0;
}

/* ---- Opening ---------------------------------------------------------------- */

/* The event descriptor is the device's; a device that cannot share memory
 * gives no VIO buffer, says why, and the copying calls still work. */
static void test_event_fd_and_vio_buffer(void **state)
{
	struct shyper *h = open_ok();

	(void)state;
	assert_int_equal(shyper_event_fd(NULL), -1);
	assert_true(shyper_event_fd(h) >= 0);
	assert_null(shyper_vio_buffer(h));
	assert_non_null(strstr(shyper_last_error_message(h), "mapping the mediated I/O buffer"));
	assert_null(shyper_vio_buffer(h));
	shyper_close(h);
}

static void test_open_default_device_and_env(void **state)
{
	struct shyper *h;

	(void)state;
	h = open_ok();
	assert_string_equal(fake.open_path, "/dev/shyper");
	assert_string_equal(shyper_device_path(h), "/dev/shyper");
	assert_string_equal(shyper_last_error_message(h), "");
	shyper_close(h);

	setenv("SHYPER_DEVICE", "/tmp/other-shyper", 1);
	h = open_ok();
	assert_string_equal(fake.open_path, "/tmp/other-shyper");
	shyper_close(h);

	/* An explicit device wins over the environment. */
	h = shyper_open("/dev/explicit", NULL);
	assert_non_null(h);
	assert_string_equal(fake.open_path, "/dev/explicit");
	shyper_close(h);
	shyper_close(NULL);
}

static void test_open_missing_device(void **state)
{
	int err = 0;

	(void)state;
	fake.open_errno = ENOENT;
	assert_null(shyper_open(NULL, &err));
	assert_int_equal(err, SHYPER_ERR_NO_DEVICE);
	assert_string_equal(shyper_last_error_message(NULL),
			    "/dev/shyper not found: is the shyper module loaded?");
}

static void test_open_permission_denied(void **state)
{
	int err = 0;

	(void)state;
	fake.open_errno = EACCES;
	assert_null(shyper_open("/dev/shyper", &err));
	assert_int_equal(err, SHYPER_ERR_PERMISSION);
	assert_string_equal(shyper_last_error_message(NULL),
			    "cannot open /dev/shyper: Permission denied (are you root?)");
}

static void test_open_other_error(void **state)
{
	int err = 0;

	(void)state;
	fake.open_errno = EMFILE;
	assert_null(shyper_open("/dev/shyper", &err));
	assert_int_equal(err, SHYPER_ERR_SYSTEM);
	assert_non_null(strstr(shyper_last_error_message(NULL), strerror(EMFILE)));
}

static void test_open_refuses_other_abi_major(void **state)
{
	int err = 0;

	(void)state;
	fake.hv.abi_version = 2 << 16 | 0;
	assert_null(shyper_open(NULL, &err));
	assert_int_equal(err, SHYPER_ERR_ABI);
	assert_non_null(strstr(shyper_last_error_message(NULL), "hypervisor ABI 2.0 is not supported"));
	assert_string_equal(shyper_strerror(err), "incompatible hypervisor ABI");
}

static void test_open_accepts_newer_minor(void **state)
{
	struct shyper *h;

	(void)state;
	fake.hv.abi_version = SHYPER_ABI_MAJOR << 16 | 99;
	h = open_ok();
	shyper_close(h);
}

static void test_open_fails_when_hv_info_fails(void **state)
{
	int err = 0;

	(void)state;
	fake.fail_cmd = SHYPER_IOC_HV_INFO;
	fake.fail_errno = ENOTTY;
	assert_null(shyper_open(NULL, &err));
	assert_int_equal(err, SHYPER_ERR_NOT_SUPPORTED);
	assert_non_null(strstr(shyper_last_error_message(NULL), "reading hypervisor information"));
}

/* ---- Hypervisor information ---------------------------------------------------- */

static void test_hv_info_decodes(void **state)
{
	struct shyper_hv_info info;
	struct shyper *h;

	(void)state;
	h = open_ok();
	memset(&info, 0xff, sizeof(info));
	assert_int_equal(shyper_hv_info(h, &info), 0);
	assert_memory_equal(&info, &fake.hv, sizeof(info));
	shyper_close(h);
}

static void test_hv_info_terminates_strings(void **state)
{
	struct shyper_hv_info info;
	struct shyper *h;

	(void)state;
	h = open_ok();
	memset(fake.hv.version, 'v', sizeof(fake.hv.version));
	memset(fake.hv.board, 'b', sizeof(fake.hv.board));
	assert_int_equal(shyper_hv_info(h, &info), 0);
	assert_int_equal(strlen(info.version), sizeof(info.version) - 1);
	assert_int_equal(strlen(info.board), sizeof(info.board) - 1);
	shyper_close(h);
}

static void test_hv_info_short_answer_is_protocol_error(void **state)
{
	struct shyper_hv_info info = { 0 };
	struct shyper *h;

	(void)state;
	h = open_ok();
	fake.hv.size = 8;
	info.pcpu_count = 77;
	assert_int_equal(shyper_hv_info(h, &info), SHYPER_ERR_PROTOCOL);
	assert_int_equal(info.pcpu_count, 77); /* untouched on failure */
	assert_non_null(strstr(shyper_last_error_message(h), "answer of 8 bytes"));
	shyper_close(h);
}

static void test_nop(void **state)
{
	struct shyper *h;

	(void)state;
	h = open_ok();
	assert_int_equal(shyper_nop(h), 0);
	assert_int_equal(shyper_nop(h), 0);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_NOP)], 2);
	shyper_close(h);
}

/* ---- Errors: every errno of the module ---------------------------------------- */

struct errno_case {
	int errno_value;
	int error;
	const char *message_part;
};

static const struct errno_case errno_cases[] = {
	{ EOPNOTSUPP, SHYPER_ERR_NOT_SUPPORTED, "the hypervisor does not support this call" },
	{ ENOTTY, SHYPER_ERR_NOT_SUPPORTED, "the shyper module does not know this request" },
	{ EINVAL, SHYPER_ERR_INVALID, "an argument was rejected" },
	{ EPERM, SHYPER_ERR_PERMISSION, "not allowed" },
	{ EACCES, SHYPER_ERR_PERMISSION, "not allowed" },
	{ EFAULT, SHYPER_ERR_FAULT, "a buffer was refused" },
	{ ENOENT, SHYPER_ERR_NO_ENTRY, "no such VM" },
	{ EBUSY, SHYPER_ERR_BUSY, "busy" },
	{ ENOMEM, SHYPER_ERR_NO_MEMORY, "out of memory" },
	{ EEXIST, SHYPER_ERR_EXISTS, "already exists" },
	{ EINTR, SHYPER_ERR_INTERRUPTED, "interrupted" },
	{ ENODEV, SHYPER_ERR_NO_DEVICE, "gone away" },
	{ EIO, SHYPER_ERR_SYSTEM, "unexpected error" },
};

static void test_every_errno_is_mapped(void **state)
{
	struct shyper_hv_info info;
	struct shyper *h;

	(void)state;
	h = open_ok();
	for (size_t i = 0; i < sizeof(errno_cases) / sizeof(errno_cases[0]); i++) {
		const struct errno_case *c = &errno_cases[i];
		const char *message;

		fake.fail_cmd = SHYPER_IOC_HV_INFO;
		fake.fail_errno = c->errno_value;
		assert_int_equal(shyper_hv_info(h, &info), c->error);
		message = shyper_last_error_message(h);
		/* What failed, what it means, and the errno's own text. */
		assert_non_null(strstr(message, "reading hypervisor information: "));
		assert_non_null(strstr(message, c->message_part));
		assert_non_null(strstr(message, strerror(c->errno_value)));
		assert_string_not_equal(shyper_strerror(c->error), "unknown error");
	}
	/* A successful call clears the message. */
	fake.fail_errno = 0;
	assert_int_equal(shyper_hv_info(h, &info), 0);
	assert_string_equal(shyper_last_error_message(h), "");
	shyper_close(h);
}

static void test_every_call_reports_errors(void **state)
{
	struct shyper_vm_info *vms = NULL, info;
	struct shyper_log log;
	struct shyper_event ev;
	struct shyper *h;
	size_t count;

	(void)state;
	h = open_ok();
	fake.fail_errno = EPERM; /* every ioctl */
	assert_int_equal(shyper_nop(h), SHYPER_ERR_PERMISSION);
	assert_int_equal(shyper_hv_log(h, &log), SHYPER_ERR_PERMISSION);
	assert_non_null(strstr(shyper_last_error_message(h), "reading the hypervisor log"));
	assert_int_equal(shyper_vm_list(h, &vms, &count), SHYPER_ERR_PERMISSION);
	assert_null(vms);
	assert_int_equal(shyper_vm_info(h, 0, &info), SHYPER_ERR_PERMISSION);
	assert_int_equal(shyper_vm_info_by_name(h, "mvm", &info), SHYPER_ERR_PERMISSION);
	assert_int_equal(shyper_ping(h, 1), SHYPER_ERR_PERMISSION);
	fake.fail_errno = 0;
	assert_int_equal(shyper_event_wait(h, &ev, 0), SHYPER_ERR_TIMEOUT);
	shyper_close(h);
}

/* A message that quotes the last one, as the layers above do. */
static void test_error_message_may_quote_itself(void **state)
{
	struct shyper *h = open_ok();

	(void)state;
	assert_int_equal(shyper_set_error(h, SHYPER_ERR_BUSY, "the link went"), SHYPER_ERR_BUSY);
	shyper_set_error(h, SHYPER_ERR_BUSY, "sending VM 'a': %s", shyper_last_error_message(h));
	shyper_set_error(h, SHYPER_ERR_BUSY, "migrating: %s", shyper_last_error_message(h));
	assert_string_equal(shyper_last_error_message(h),
			    "migrating: sending VM 'a': the link went");
	shyper_close(h);
}

static void test_strerror_covers_all_codes(void **state)
{
	(void)state;
	assert_string_equal(shyper_strerror(0), "success");
	for (int e = SHYPER_ERR_TOO_SMALL; e <= SHYPER_ERR_NO_DEVICE; e++)
		assert_string_not_equal(shyper_strerror(e), "unknown error");
	assert_string_equal(shyper_strerror(-1000), "unknown error");
	assert_string_equal(shyper_strerror(5), "unknown error");
}

/* ---- Log ------------------------------------------------------------------------- */

/* "line 0000\nline 0001\n...": recognisable, 10 bytes per line. */
static void log_lines(unsigned int first, unsigned int count)
{
	char line[16];

	for (unsigned int i = first; i < first + count; i++) {
		snprintf(line, sizeof(line), "line %04u\n", i % 10000);
		fake_log_append(line);
	}
}

static void test_log_empty(void **state)
{
	struct shyper_log log;
	struct shyper *h;

	(void)state;
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), 0);
	assert_non_null(log.text);
	assert_int_equal(log.len, 0);
	assert_string_equal(log.text, "");
	assert_int_equal(log.lost, 0);
	shyper_log_free(&log);
	assert_null(log.text);
	shyper_log_free(NULL);
	shyper_close(h);
}

static void test_log_small(void **state)
{
	struct shyper_log log;
	struct shyper *h;

	(void)state;
	fake_log_append("Shyper 0.1.0 on QEMU\nsecond line\n");
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), 0);
	assert_string_equal(log.text, "Shyper 0.1.0 on QEMU\nsecond line\n");
	assert_int_equal(log.len, strlen(log.text));
	assert_int_equal(log.start, 0);
	assert_int_equal(log.written, log.len);
	shyper_log_free(&log);
	shyper_close(h);
}

static void test_log_across_offsets(void **state)
{
	struct shyper_log log;
	struct shyper *h;

	(void)state;
	log_lines(0, 20000); /* 200000 bytes: more than three calls' worth */
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), 0);
	assert_int_equal(log.len, 200000);
	assert_memory_equal(log.text, fake.log, 200000);
	assert_int_equal(log.text[log.len], '\0');
	assert_true(fake.calls[_IOC_NR(SHYPER_IOC_LOG_READ)] >= 4);
	shyper_log_free(&log);

	/* Short answers (the module may copy less): the same text. */
	fake.log_copy_limit = 777;
	assert_int_equal(shyper_hv_log(h, &log), 0);
	assert_int_equal(log.len, 200000);
	assert_memory_equal(log.text, fake.log, 200000);
	shyper_log_free(&log);
	shyper_close(h);
}

static void test_log_wrapped_ring(void **state)
{
	struct shyper_log log;
	struct shyper *h;

	(void)state;
	fake.log_ring_size = 4096;
	log_lines(0, 1000); /* 10000 bytes: the ring keeps the last 4096 */
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), 0);
	assert_int_equal(log.len, 4096);
	assert_int_equal(log.start, 10000 - 4096);
	assert_int_equal(log.written, 10000);
	assert_memory_equal(log.text, fake.log + 10000 - 4096, 4096);
	assert_int_equal(log.lost, 0);
	shyper_log_free(&log);
	shyper_close(h);
}

static unsigned int next_line;

static void log_more_lines(void)
{
	log_lines(next_line, 30);
	next_line += 30;
}

/* The ring grows between calls but nothing falls out: no gap, no repeat. */
static void test_log_grows_while_reading(void **state)
{
	struct shyper_log log;
	struct shyper *h;

	(void)state;
	log_lines(0, 1000);
	next_line = 1000;
	fake.log_copy_limit = 1000;
	fake.log_between_reads = log_more_lines;
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), 0);
	assert_int_equal(log.start, 0);
	assert_int_equal(log.lost, 0);
	assert_true(log.len >= 10000);
	/* Contiguous from the start of the stream. */
	assert_memory_equal(log.text, fake.log, log.len);
	shyper_log_free(&log);
	shyper_close(h);
}

/* A full ring that moves on between calls: what stays is exact, what was
 * overwritten before we got to it is counted, nothing is read twice. */
static void test_log_ring_moves_while_reading(void **state)
{
	struct shyper_log log;
	struct shyper *h;
	size_t seen;

	(void)state;
	fake.log_ring_size = 2000;
	log_lines(0, 1000);
	next_line = 1000;
	fake.log_copy_limit = 500;
	fake.log_between_reads = log_more_lines; /* 300 bytes per call */
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), 0);
	assert_int_equal(log.start, 10000 - 2000);
	/* Stream bytes [start, start + len + lost) were covered exactly once. */
	seen = log.len + log.lost;
	assert_true(log.start + seen <= fake.log_written);
	assert_true(log.start + seen >= 10000);
	/* Check the text piecewise against the stream: it is the stream with
	 * one or more holes, in order; every line in it is whole or cut at a
	 * hole, and the line numbers only increase. */
	{
		unsigned int last = 0;
		int first = 1;

		for (size_t i = 0; i + 10 <= log.len; i++) {
			unsigned int n;

			if (strncmp(log.text + i, "line ", 5) || log.text[i + 9] != '\n')
				continue;
			if (sscanf(log.text + i + 5, "%4u", &n) != 1)
				continue;
			if (!first)
				assert_true(n > last);
			last = n;
			first = 0;
		}
		assert_false(first);
	}
	shyper_log_free(&log);
	shyper_close(h);
}

static void test_log_inconsistent_answer(void **state)
{
	struct shyper_log log = { 0 };
	struct shyper *h;

	(void)state;
	log_lines(0, 10);
	fake.log_inconsistent = 1; /* claims to hold more than was ever written */
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), SHYPER_ERR_PROTOCOL);
	assert_null(log.text);
	assert_non_null(strstr(shyper_last_error_message(h), "inconsistent answer"));
	shyper_close(h);
}

/* A device that never gets to the end still lets the call return. */
static void test_log_no_progress_ends(void **state)
{
	struct shyper_log log = { 0 };
	struct shyper *h;

	(void)state;
	log_lines(0, 10);
	fake.log_copy_zero = 1;
	h = open_ok();
	assert_int_equal(shyper_hv_log(h, &log), SHYPER_ERR_PROTOCOL);
	assert_null(log.text);
	shyper_close(h);
}

/* ---- VMs -------------------------------------------------------------------------- */

static void test_vm_list_mvm(void **state)
{
	struct shyper_vm_info *vms;
	struct shyper *h;
	size_t count;

	(void)state;
	h = open_ok();
	assert_int_equal(shyper_vm_list(h, &vms, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(vms[0].id, 0);
	assert_string_equal(vms[0].name, "mvm");
	assert_int_equal(vms[0].type, SHYPER_VM_MVM);
	assert_int_equal(vms[0].state, SHYPER_VM_RUNNING);
	shyper_vm_list_free(vms);
	shyper_close(h);
}

static void test_vm_list_empty(void **state)
{
	struct shyper_vm_info *vms = NULL;
	struct shyper *h;
	size_t count = 99;

	(void)state;
	fake.vm_count = 0;
	h = open_ok();
	assert_int_equal(shyper_vm_list(h, &vms, &count), 0);
	assert_int_equal(count, 0);
	assert_non_null(vms);
	shyper_vm_list_free(vms);
	shyper_vm_list_free(NULL);
	shyper_close(h);
}

static void test_vm_list_more_than_first_buffer(void **state)
{
	struct shyper_vm_info *vms;
	struct shyper *h;
	size_t count;
	char name[16];

	(void)state;
	for (uint32_t id = 1; id < 20; id++) {
		snprintf(name, sizeof(name), "guest%u", id);
		fake_add_vm(id, name);
	}
	h = open_ok();
	assert_int_equal(shyper_vm_list(h, &vms, &count), 0);
	assert_int_equal(count, 20);
	assert_true(fake.calls[_IOC_NR(SHYPER_IOC_VM_LIST)] >= 2); /* it had to ask again */
	for (uint32_t i = 0; i < 20; i++) {
		assert_int_equal(vms[i].id, i);
		assert_memory_equal(&vms[i], &fake.vms[i], sizeof(vms[i]));
	}
	shyper_vm_list_free(vms);
	shyper_close(h);
}

/* VM_LIST takes at most 64 per call and has no start index: more VMs than
 * that are read one id at a time. */
static void test_vm_list_more_than_one_call_can_hold(void **state)
{
	struct shyper_vm_info *vms;
	struct shyper *h;
	size_t count;
	char name[16];

	(void)state;
	for (uint32_t id = 1; id < 70; id++) {
		snprintf(name, sizeof(name), "g%u", id);
		fake_add_vm(id * 2, name); /* ids with holes: 0, 2, 4... */
	}
	fake.hv.vm_max = 200;
	h = open_ok();
	assert_int_equal(shyper_vm_list(h, &vms, &count), 0);
	assert_true(fake.vm_list_max_seen <= SHYPER_VM_LIST_MAX);
	assert_int_equal(count, 70);
	for (uint32_t i = 0; i < 70; i++)
		assert_int_equal(vms[i].id, i * 2);
	assert_string_equal(vms[69].name, "g69");
	assert_string_equal(shyper_last_error_message(h), "");
	shyper_vm_list_free(vms);
	shyper_close(h);
}

static void test_vm_list_terminates_names(void **state)
{
	struct shyper_vm_info *vms;
	struct shyper *h;
	size_t count;

	(void)state;
	memset(fake.vms[0].name, 'x', sizeof(fake.vms[0].name));
	h = open_ok();
	assert_int_equal(shyper_vm_list(h, &vms, &count), 0);
	assert_int_equal(strlen(vms[0].name), SHYPER_NAME_LEN - 1);
	shyper_vm_list_free(vms);
	shyper_close(h);
}

static void test_vm_info_by_id(void **state)
{
	struct shyper_vm_info info;
	struct shyper *h;

	(void)state;
	fake_add_vm(3, "web");
	h = open_ok();
	assert_int_equal(shyper_vm_info(h, 3, &info), 0);
	assert_string_equal(info.name, "web");
	assert_int_equal(shyper_vm_info(h, 4, &info), SHYPER_ERR_NO_ENTRY);
	assert_string_equal(shyper_last_error_message(h), "no VM with id 4");
	shyper_close(h);
}

static void test_vm_info_by_name(void **state)
{
	struct shyper_vm_info info;
	struct shyper *h;

	(void)state;
	fake_add_vm(3, "web");
	h = open_ok();
	assert_int_equal(shyper_vm_info_by_name(h, "web", &info), 0);
	assert_int_equal(info.id, 3);
	assert_string_equal(shyper_last_error_message(h), "");
	assert_int_equal(shyper_vm_info_by_name(h, "mvm", &info), 0);
	assert_int_equal(info.id, 0);

	info.id = 1234;
	assert_int_equal(shyper_vm_info_by_name(h, "nosuchvm", &info), SHYPER_ERR_NO_ENTRY);
	assert_string_equal(shyper_last_error_message(h), "no VM named 'nosuchvm'");
	assert_int_equal(info.id, 1234);
	/* Prefixes and over-long names do not match. */
	assert_int_equal(shyper_vm_info_by_name(h, "we", &info), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(shyper_vm_info_by_name(h, "web-and-more", &info), SHYPER_ERR_NO_ENTRY);
	shyper_close(h);
}

static void test_vm_lookup(void **state)
{
	struct shyper_vm_info info;
	struct shyper *h;

	(void)state;
	fake_add_vm(3, "web");
	fake_add_vm(5, "7"); /* a numeric name */
	h = open_ok();
	assert_int_equal(shyper_vm_lookup(h, "3", &info), 0);
	assert_string_equal(info.name, "web");
	assert_int_equal(shyper_vm_lookup(h, "web", &info), 0);
	assert_int_equal(info.id, 3);
	assert_int_equal(shyper_vm_lookup(h, "0", &info), 0);
	assert_string_equal(info.name, "mvm");
	/* No VM 7: the name "7". */
	assert_int_equal(shyper_vm_lookup(h, "7", &info), 0);
	assert_int_equal(info.id, 5);
	assert_int_equal(shyper_vm_lookup(h, "9", &info), SHYPER_ERR_NO_ENTRY);
	assert_string_equal(shyper_last_error_message(h), "no VM with id or name '9'");
	assert_int_equal(shyper_vm_lookup(h, "99999999999", &info), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(shyper_vm_lookup(h, "", &info), SHYPER_ERR_NO_ENTRY);
	shyper_close(h);
}

/* ---- Events ----------------------------------------------------------------------- */

static void test_ping_and_event(void **state)
{
	struct shyper_event ev;
	struct shyper *h;

	(void)state;
	h = open_ok();
	assert_int_equal(shyper_event_wait(h, &ev, 0), SHYPER_ERR_TIMEOUT);
	assert_non_null(strstr(shyper_last_error_message(h), "none within 0 ms"));
	assert_int_equal(shyper_ping(h, 0xc0ffee), 0);
	assert_int_equal(fake.last_ping, 0xc0ffee);
	assert_int_equal(shyper_event_wait(h, &ev, 1000), 0);
	assert_int_equal(ev.type, SHYPER_EVENT_PONG);
	assert_int_equal(ev.data[0], 0xc0ffee);
	assert_int_equal(ev.seq, 1);
	fake_post_event(SHYPER_EVENT_VM_STATE, 2, SHYPER_VM_SHUTOFF);
	assert_int_equal(shyper_event_wait(h, &ev, -1), 0);
	assert_int_equal(ev.type, SHYPER_EVENT_VM_STATE);
	assert_int_equal(ev.vm_id, 2);
	shyper_close(h);
}

static void test_library_names(void **state)
{
	(void)state;
	assert_string_equal(shyper_vm_type_name(SHYPER_VM_MVM), "mvm");
	assert_string_equal(shyper_vm_type_name(SHYPER_VM_GVM), "gvm");
	assert_string_equal(shyper_vm_type_name(SHYPER_VM_RTVM), "rtvm");
	assert_string_equal(shyper_vm_type_name(17), "unknown");
	assert_string_equal(shyper_vm_state_name(SHYPER_VM_DEFINED), "defined");
	assert_string_equal(shyper_vm_state_name(SHYPER_VM_RUNNING), "running");
	assert_string_equal(shyper_vm_state_name(SHYPER_VM_PAUSED), "paused");
	assert_string_equal(shyper_vm_state_name(SHYPER_VM_SHUTOFF), "shutoff");
	assert_string_equal(shyper_vm_state_name(SHYPER_VM_CRASHED), "crashed");
	assert_string_equal(shyper_vm_state_name(0), "unknown");
	assert_non_null(shyper_library_version());
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_default_device_and_env),
		T(test_event_fd_and_vio_buffer),
		T(test_open_missing_device),
		T(test_open_permission_denied),
		T(test_open_other_error),
		T(test_open_refuses_other_abi_major),
		T(test_open_accepts_newer_minor),
		T(test_open_fails_when_hv_info_fails),
		T(test_hv_info_decodes),
		T(test_hv_info_terminates_strings),
		T(test_hv_info_short_answer_is_protocol_error),
		T(test_nop),
		T(test_every_errno_is_mapped),
		T(test_every_call_reports_errors),
		T(test_error_message_may_quote_itself),
		T(test_strerror_covers_all_codes),
		T(test_log_empty),
		T(test_log_small),
		T(test_log_across_offsets),
		T(test_log_wrapped_ring),
		T(test_log_grows_while_reading),
		T(test_log_ring_moves_while_reading),
		T(test_log_inconsistent_answer),
		T(test_log_no_progress_ends),
		T(test_vm_list_mvm),
		T(test_vm_list_empty),
		T(test_vm_list_more_than_first_buffer),
		T(test_vm_list_more_than_one_call_can_hold),
		T(test_vm_list_terminates_names),
		T(test_vm_info_by_id),
		T(test_vm_info_by_name),
		T(test_vm_lookup),
		T(test_ping_and_event),
		T(test_library_names),
	};

	return cmocka_run_group_tests_name("libshyper", tests, NULL, NULL);
}
