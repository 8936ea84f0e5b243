// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libshyper's guest lifecycle against the fake device: creating, loading
 * (from memory and from files), state changes, the console, lifecycle
 * events, and how each errno becomes an error code and a message naming
 * the VM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <shyper/libshyper.h>

#include "fake_transport.h"

#define MiB (1ULL << 20)
#define ENTRY (SHYPER_GUEST_RAM_BASE + 0x80000)

static struct shyper *h;

static int setup(void **state)
{
	int err = 1;

	(void)state;
	fake_reset();
	unsetenv("SHYPER_DEVICE");
	h = shyper_open(NULL, &err);
	assert_non_null(h);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shyper_close(h);
	assert_int_equal(fake.open_count, 0);
	return 0;
}

static void config_init(struct shyper_vm_config *cfg, const char *name, uint64_t memory)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->type = SHYPER_VM_GVM;
	strcpy(cfg->name, name);
	cfg->vcpu_count = 1;
	cfg->memory = memory;
	cfg->entry_ipa = ENTRY;
	cfg->vcpu_pcpu[0] = 1;
}

static uint32_t create_ok(const char *name, uint64_t memory)
{
	struct shyper_vm_config cfg;
	uint32_t id = 0;

	config_init(&cfg, name, memory);
	assert_int_equal(shyper_vm_create(h, &cfg, &id), 0);
	return id;
}

static void assert_message_contains(const char *part)
{
	const char *message = shyper_last_error_message(h);

	if (!strstr(message, part))
		fail_msg("message \"%s\" lacks \"%s\"", message, part);
}

static uint32_t state_of(uint32_t id)
{
	struct shyper_vm_info info;

	assert_int_equal(shyper_vm_info(h, id, &info), 0);
	return info.state;
}

/* ---- Create ------------------------------------------------------------------ */

static void test_create(void **state)
{
	struct shyper_vm_info info;
	uint64_t pool = fake.hv.pool_free;
	uint32_t id;

	(void)state;
	id = create_ok("web", 64 * MiB);
	assert_int_equal(id, 1);
	/* The library fills in the size; the rest is passed as given. */
	assert_int_equal(fake.last_config.size, SHYPER_VM_CONFIG_SIZE_V1);
	assert_string_equal(fake.last_config.name, "web");
	assert_int_equal(fake.last_config.entry_ipa, ENTRY);
	assert_int_equal(fake.hv.pool_free, pool - 64 * MiB);
	assert_int_equal(shyper_vm_info_by_name(h, "web", &info), 0);
	assert_int_equal(info.id, id);
	assert_int_equal(info.state, SHYPER_VM_DEFINED);
	assert_int_equal(create_ok("db", 2 * MiB), 2);
}

static void test_create_refusals(void **state)
{
	struct shyper_vm_config cfg;
	uint32_t id = 77;

	(void)state;
	config_init(&cfg, "mvm", 2 * MiB);
	assert_int_equal(shyper_vm_create(h, &cfg, &id), SHYPER_ERR_EXISTS);
	assert_message_contains("creating VM 'mvm': a VM with that name or UUID exists");

	config_init(&cfg, "big", fake.hv.pool_free + 2 * MiB);
	assert_int_equal(shyper_vm_create(h, &cfg, &id), SHYPER_ERR_NO_MEMORY);
	assert_message_contains("creating VM 'big': not enough free guest memory");

	config_init(&cfg, "zero-vcpus", 2 * MiB);
	cfg.vcpu_count = 0;
	assert_int_equal(shyper_vm_create(h, &cfg, &id), SHYPER_ERR_INVALID);
	assert_message_contains("creating VM 'zero-vcpus': the configuration was refused");

	fake.hv.vm_max = 1;
	config_init(&cfg, "one-too-many", 2 * MiB);
	assert_int_equal(shyper_vm_create(h, &cfg, &id), SHYPER_ERR_NO_SLOT);
	assert_message_contains("no free VM slot");
	assert_string_equal(shyper_strerror(SHYPER_ERR_NO_SLOT), "no free VM slot");

	assert_int_equal(shyper_vm_create(h, NULL, &id), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_vm_create(h, &cfg, NULL), SHYPER_ERR_INVALID);
	assert_int_equal(id, 77); /* output untouched on failure */
	assert_int_equal(fake.vm_count, 1);
}

/* ---- Load --------------------------------------------------------------------- */

static void test_load(void **state)
{
	static const char image[] = "\x1f\x20\x03\xd5 a guest image";
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	assert_int_equal(shyper_vm_load(h, id, ENTRY, image, sizeof(image)), 0);
	assert_memory_equal(fake.guest_ram + 0x80000, image, sizeof(image));
	assert_int_equal(fake.loaded, sizeof(image));
}

static void test_load_refusals(void **state)
{
	char byte = 1;
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	assert_int_equal(shyper_vm_load(h, 99, ENTRY, &byte, 1), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("no VM with id 99");
	assert_int_equal(shyper_vm_load(h, 0, ENTRY, &byte, 1), SHYPER_ERR_PERMISSION);
	assert_message_contains("VM 0 is not a guest VM");
	assert_int_equal(shyper_vm_load(h, id, SHYPER_GUEST_RAM_BASE + 2 * MiB, &byte, 1),
			 SHYPER_ERR_FAULT);
	assert_message_contains("loading into VM 1: 1 bytes at 0x40200000 are not all in its RAM");
	assert_int_equal(shyper_vm_start(h, id), 0);
	assert_int_equal(shyper_vm_load(h, id, ENTRY, &byte, 1), SHYPER_ERR_BUSY);
	assert_message_contains("it is running");

	/* Refused by the library: no ioctl made. */
	fake.calls[_IOC_NR(SHYPER_IOC_VM_LOAD)] = 0;
	assert_int_equal(shyper_vm_load(h, id, ENTRY, &byte, 0), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_vm_load(h, id, ENTRY, NULL, 1), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_vm_load(h, id, ~0ULL, &byte, 2), SHYPER_ERR_INVALID);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_LOAD)], 0);
}

/* Writes LEN bytes of a pattern to a new temporary file; returns its path. */
static char *temp_image(size_t len)
{
	char *path = strdup("/tmp/test-guest-XXXXXX");
	unsigned char *data = malloc(len ? len : 1);
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(data);
	return path;
}

static void test_load_file_in_pieces(void **state)
{
	size_t len = 5 * MiB + 123;
	char *path = temp_image(len);
	uint32_t id;

	(void)state;
	id = create_ok("g", 8 * MiB);
	assert_int_equal(shyper_vm_load_file(h, id, SHYPER_GUEST_RAM_BASE, path), 0);
	assert_int_equal(fake.loaded, len);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_LOAD)], 2); /* 4 MiB, then the rest */
	for (size_t i = 0; i < FAKE_GUEST_RAM; i += 4099)
		assert_int_equal(fake.guest_ram[i], (unsigned char)(i * 7 + i / 4096));

	/* Too large for the VM: the second piece is refused, the file named. */
	id = create_ok("small", 4 * MiB);
	assert_int_equal(shyper_vm_load_file(h, id, SHYPER_GUEST_RAM_BASE, path), SHYPER_ERR_FAULT);
	assert_message_contains(path);
	assert_message_contains("are not all in its RAM");
	unlink(path);
	free(path);
}

static void test_load_file_refusals(void **state)
{
	char *empty = temp_image(0);
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	assert_int_equal(shyper_vm_load_file(h, id, ENTRY, "/nonexistent/image.bin"),
			 SHYPER_ERR_NO_ENTRY);
	assert_message_contains("loading /nonexistent/image.bin into VM 1: No such file");
	assert_int_equal(shyper_vm_load_file(h, id, ENTRY, empty), SHYPER_ERR_INVALID);
	assert_message_contains("the file is empty");
	assert_int_equal(shyper_vm_load_file(h, 42, ENTRY, empty), SHYPER_ERR_INVALID);
	unlink(empty);
	free(empty);
}

/* ---- State changes --------------------------------------------------------------- */

static void test_control_cycle(void **state)
{
	uint64_t pool = fake.hv.pool_free;
	uint32_t id;

	(void)state;
	id = create_ok("g", 16 * MiB);
	assert_int_equal(shyper_vm_start(h, id), 0);
	assert_int_equal(state_of(id), SHYPER_VM_RUNNING);
	assert_int_equal(shyper_vm_pause(h, id), 0);
	assert_int_equal(state_of(id), SHYPER_VM_PAUSED);
	assert_int_equal(shyper_vm_resume(h, id), 0);
	assert_int_equal(shyper_vm_stop(h, id), 0);
	assert_int_equal(state_of(id), SHYPER_VM_SHUTOFF);
	assert_int_equal(shyper_vm_control(h, id, SHYPER_VM_OP_START), 0);
	assert_int_equal(shyper_vm_control(h, id, SHYPER_VM_OP_STOP), 0);
	assert_int_equal(shyper_vm_destroy(h, id), 0);
	assert_int_equal(shyper_vm_info(h, id, &(struct shyper_vm_info){ 0 }), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(fake.hv.pool_free, pool);
}

static void test_control_refusals(void **state)
{
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	assert_int_equal(shyper_vm_stop(h, id), SHYPER_ERR_BUSY);
	assert_message_contains("stopping VM 1: its state does not allow it");
	assert_int_equal(shyper_vm_start(h, id), 0);
	/* Running: DESTROY is refused at once, not retried. */
	fake.calls[_IOC_NR(SHYPER_IOC_VM_CONTROL)] = 0;
	assert_int_equal(shyper_vm_destroy(h, id), SHYPER_ERR_BUSY);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CONTROL)], 1);
	assert_message_contains("destroying VM 1");

	assert_int_equal(shyper_vm_destroy(h, 0), SHYPER_ERR_PERMISSION);
	assert_message_contains("destroying VM 0: not allowed");
	assert_int_equal(shyper_vm_start(h, 1234), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("starting VM 1234: no VM with id 1234");

	fake.calls[_IOC_NR(SHYPER_IOC_VM_CONTROL)] = 0;
	assert_int_equal(shyper_vm_control(h, id, 0), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_vm_control(h, id, SHYPER_VM_OP_SHUTDOWN + 1), SHYPER_ERR_INVALID);
	assert_message_contains("unknown operation 7");
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CONTROL)], 0);
}

/* A VM that has just shut off: DESTROY is busy for a moment, then works. */
static void test_destroy_retries_while_vcpus_leave(void **state)
{
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	assert_int_equal(shyper_vm_start(h, id), 0);
	assert_int_equal(shyper_vm_stop(h, id), 0);
	fake.control_busy = 3;
	fake.calls[_IOC_NR(SHYPER_IOC_VM_CONTROL)] = 0;
	assert_int_equal(shyper_vm_destroy(h, id), 0);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CONTROL)], 4);
	assert_int_equal(fake.vm_count, 1);
}

/* ---- Console --------------------------------------------------------------------- */

static void test_console_read(void **state)
{
	char buf[64];
	uint64_t start = 99, written = 99;
	size_t got = 99;
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	fake_console_append("hello world");
	assert_int_equal(shyper_console_read(h, id, 0, buf, 5, &start, &got, &written), 0);
	assert_int_equal(start, 0);
	assert_int_equal(got, 5);
	assert_int_equal(written, 11);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(shyper_console_read(h, id, start + got, buf, sizeof(buf), &start, &got,
					     NULL), 0);
	assert_int_equal(start, 5);
	assert_int_equal(got, 6);
	assert_memory_equal(buf, " world", 6);
	/* Nothing new. */
	assert_int_equal(shyper_console_read(h, id, 11, buf, sizeof(buf), NULL, &got, NULL), 0);
	assert_int_equal(got, 0);
	/* Overwritten bytes: the answer starts later than asked. */
	fake.console_ring_size = 4;
	assert_int_equal(shyper_console_read(h, id, 0, buf, sizeof(buf), &start, &got, NULL), 0);
	assert_int_equal(start, 7);
	assert_int_equal(got, 4);
	assert_memory_equal(buf, "orld", 4);
}

static void test_console_read_refusals(void **state)
{
	char buf[8];
	size_t got = 5;

	(void)state;
	assert_int_equal(shyper_console_read(h, 9, 0, buf, sizeof(buf), NULL, &got, NULL),
			 SHYPER_ERR_NO_ENTRY);
	assert_message_contains("reading the console of VM 9: no VM with id 9");
	assert_int_equal(shyper_console_read(h, 0, 0, buf, sizeof(buf), NULL, &got, NULL),
			 SHYPER_ERR_PERMISSION);
	assert_int_equal(shyper_console_read(h, 0, 0, NULL, 8, NULL, &got, NULL),
			 SHYPER_ERR_INVALID);
	assert_int_equal(got, 5);
}

static void test_console_write(void **state)
{
	char line[40];
	size_t accepted = 0;
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	memset(line, 'x', sizeof(line));
	assert_int_equal(shyper_console_write(h, id, line, sizeof(line), &accepted), 0);
	assert_int_equal(accepted, 32); /* the UART's FIFO */
	assert_int_equal(fake.console_in_len, 32);
	assert_int_equal(shyper_console_write(h, id, "ab", 2, NULL), 0);
	assert_memory_equal(fake.console_in + 32, "ab", 2);
	assert_int_equal(shyper_console_write(h, 9, "ab", 2, &accepted), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("writing to the console of VM 9: no VM with id 9");
}

/* ---- Mediated virtio (ABI 1.4) ----------------------------------------------------- */

static void test_vio_fetch_and_complete(void **state)
{
	uint8_t buf[64], answer[8] = "data!\0\0";
	size_t readable = 0, writable = 0, done = 0;
	uint64_t token = 0;
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	/* Nothing waiting: busy, the backend waits for an event. */
	assert_int_equal(shyper_vio_fetch(h, id, 2, 0, buf, sizeof(buf), &token, &readable,
					  &writable),
			 SHYPER_ERR_BUSY);
	assert_message_contains("none waiting");

	memset(fake.vio_request, 'q', 40);
	fake.vio_request_len = 40;
	fake.vio_room = 6;
	fake.vio_waiting = 1;
	/* Too small a buffer: the size needed, the request still there. */
	assert_int_equal(shyper_vio_fetch(h, id, 2, 0, buf, 16, &token, &readable, &writable),
			 SHYPER_ERR_TOO_SMALL);
	assert_int_equal(readable, 40);
	assert_message_contains("it has 40 bytes, the buffer 16");
	assert_int_equal(shyper_vio_fetch(h, id, 2, 0, buf, sizeof(buf), &token, &readable,
					  &writable),
			 0);
	assert_int_equal(readable, 40);
	assert_int_equal(writable, 6);
	assert_int_equal(token, 7ULL << 32 | 2 << 24);
	assert_int_equal(buf[39], 'q');

	/* The answer is cut to the room. */
	assert_int_equal(shyper_vio_complete(h, id, token, answer, sizeof(answer), &done), 0);
	assert_int_equal(done, 6);
	assert_int_equal(fake.vio_answer_len, 6);
	assert_memory_equal(fake.vio_answer, "data!", 6);
	/* Spent. */
	assert_int_equal(shyper_vio_complete(h, id, token, answer, 1, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("is not in flight");
}

static void test_vio_refusals(void **state)
{
	size_t readable, writable;
	uint64_t token;
	uint8_t b;

	(void)state;
	assert_int_equal(shyper_vio_fetch(h, 1, 0, 0, NULL, 8, &token, &readable, &writable),
			 SHYPER_ERR_INVALID);
	assert_int_equal(shyper_vio_fetch(h, 1, 0, 0, &b, 1, NULL, &readable, &writable),
			 SHYPER_ERR_INVALID);
	assert_int_equal(shyper_vio_complete(h, 1, 1, NULL, 8, NULL), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_vio_complete(h, 1, 1, &b, SHYPER_VIO_IO_MAX + 1ULL, NULL),
			 SHYPER_ERR_INVALID);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VIO_FETCH)], 0);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VIO_COMPLETE)], 0);
	assert_int_equal(shyper_vio_fetch(h, 9, 0, 0, &b, 1, &token, &readable, &writable),
			 SHYPER_ERR_NO_ENTRY);
	assert_message_contains("fetching a request of VM 9: no VM with id 9");
	assert_int_equal(shyper_vio_fetch(h, 0, 0, 0, &b, 1, &token, &readable, &writable),
			 SHYPER_ERR_PERMISSION);
	fake.fail_cmd = SHYPER_IOC_VIO_FETCH;
	fake.fail_errno = EAGAIN;
	assert_int_equal(shyper_vio_fetch(h, 1, 0, 0, &b, 1, &token, &readable, &writable),
			 SHYPER_ERR_BUSY);
	assert_message_contains("too many in flight");
}

/* ---- Devices (ABI 1.3) ------------------------------------------------------------ */

static void test_add_device(void **state)
{
	struct shyper_device_config dev = { .kind = SHYPER_DEV_VIRTIO_CONSOLE, .slot = 0 };
	uint32_t id;

	(void)state;
	id = create_ok("g", 2 * MiB);
	/* The library fills in the size. */
	assert_int_equal(shyper_vm_add_device(h, id, &dev), 0);
	assert_int_equal(fake.device_count, 1);
	assert_int_equal(fake.devices[0].id, id);
	assert_int_equal(fake.devices[0].dev.size, SHYPER_DEVICE_CONFIG_SIZE_V1);
	assert_int_equal(fake.devices[0].dev.kind, SHYPER_DEV_VIRTIO_CONSOLE);
	assert_int_equal(fake.devices[0].dev.slot, 0);

	/* Refusals, each with a message naming the device and the VM. */
	assert_int_equal(shyper_vm_add_device(h, id, &dev), SHYPER_ERR_BUSY);
	assert_message_contains("adding a virtio console in slot 0 to VM 1: the slot is taken");
	dev.slot = SHYPER_GUEST_VIRTIO_SLOTS;
	assert_int_equal(shyper_vm_add_device(h, id, &dev), SHYPER_ERR_INVALID);
	assert_message_contains("adding a virtio console in slot 8 to VM 1");
	dev.slot = 1;
	dev.reserved1 = 1;
	assert_int_equal(shyper_vm_add_device(h, id, &dev), SHYPER_ERR_INVALID);
	dev.reserved1 = 0;
	assert_int_equal(shyper_vm_add_device(h, 9, &dev), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("no VM with id 9");
	assert_int_equal(shyper_vm_add_device(h, 0, &dev), SHYPER_ERR_PERMISSION);
	assert_int_equal(shyper_vm_add_device(h, id, NULL), SHYPER_ERR_INVALID);
	fake.fail_cmd = SHYPER_IOC_VM_ADD_DEVICE;
	fake.fail_errno = EOPNOTSUPP;
	dev.kind = SHYPER_DEV_VIRTIO_BLOCK;
	assert_int_equal(shyper_vm_add_device(h, id, &dev), SHYPER_ERR_NOT_SUPPORTED);
	assert_message_contains("adding a virtio disk in slot 1 to VM 1: not supported");
	fake.fail_errno = EEXIST;
	dev.kind = SHYPER_DEV_VIRTIO_CONSOLE;
	assert_int_equal(shyper_vm_add_device(h, id, &dev), SHYPER_ERR_EXISTS);
	fake.fail_errno = 0;
	/* A VM that has run keeps its machine. */
	assert_int_equal(shyper_vm_start(h, id), 0);
	assert_int_equal(shyper_vm_add_device(h, id, &dev), SHYPER_ERR_BUSY);
	assert_message_contains("the VM has already run");
	assert_int_equal(fake.device_count, 1);
}

/* ---- Events ----------------------------------------------------------------------- */

static void test_state_and_console_events(void **state)
{
	struct shyper_event ev;

	(void)state;
	fake_post_event(SHYPER_EVENT_CONSOLE, 3, 42);
	fake_post_event(SHYPER_EVENT_VM_STATE, 3, SHYPER_VM_SHUTOFF);
	assert_int_equal(shyper_event_wait(h, &ev, 100), 0);
	assert_int_equal(ev.type, SHYPER_EVENT_CONSOLE);
	assert_int_equal(ev.vm_id, 3);
	assert_int_equal(ev.data[0], 42);
	assert_int_equal(shyper_event_wait(h, &ev, 100), 0);
	assert_int_equal(ev.type, SHYPER_EVENT_VM_STATE);
	assert_int_equal(ev.data[0], SHYPER_VM_SHUTOFF);
	assert_int_equal(shyper_event_wait(h, &ev, 0), SHYPER_ERR_TIMEOUT);
}

/* ---- Every errno of every call ---------------------------------------------------- */

static const struct {
	int errno_value;
	int error;
} errno_map[] = {
	{ EPERM, SHYPER_ERR_PERMISSION }, { EINVAL, SHYPER_ERR_INVALID },
	{ ENOENT, SHYPER_ERR_NO_ENTRY },  { EBUSY, SHYPER_ERR_BUSY },
	{ EFAULT, SHYPER_ERR_FAULT },     { ENOMEM, SHYPER_ERR_NO_MEMORY },
	{ EEXIST, SHYPER_ERR_EXISTS },    { ENOSPC, SHYPER_ERR_NO_SLOT },
	{ ENOTTY, SHYPER_ERR_NOT_SUPPORTED }, { EOPNOTSUPP, SHYPER_ERR_NOT_SUPPORTED },
	{ EINTR, SHYPER_ERR_INTERRUPTED }, { EIO, SHYPER_ERR_SYSTEM },
};

static void test_errno_mapping(void **state)
{
	struct shyper_vm_config cfg;
	char buf[16] = "x";
	struct shyper_device_config dev = { .kind = SHYPER_DEV_VIRTIO_CONSOLE };
	uint32_t id, new_id;
	size_t n;

	(void)state;
	id = create_ok("g", 2 * MiB);
	config_init(&cfg, "another", 2 * MiB);
	for (size_t i = 0; i < sizeof(errno_map) / sizeof(errno_map[0]); i++) {
		int want = errno_map[i].error;

		fake.fail_errno = errno_map[i].errno_value;
		fake.fail_cmd = SHYPER_IOC_VM_CREATE;
		assert_int_equal(shyper_vm_create(h, &cfg, &new_id), want);
		assert_message_contains("creating VM 'another'");
		fake.fail_cmd = SHYPER_IOC_VM_LOAD;
		assert_int_equal(shyper_vm_load(h, id, ENTRY, buf, 1), want);
		assert_message_contains("VM 1");
		fake.fail_cmd = SHYPER_IOC_VM_CONTROL;
		/* EBUSY from a stopped VM is retried: let it stay a refusal. */
		if (errno_map[i].errno_value != EBUSY)
			assert_int_equal(shyper_vm_start(h, id), want);
		assert_int_equal(shyper_vm_pause(h, id), want);
		assert_message_contains("pausing VM 1");
		fake.fail_cmd = SHYPER_IOC_CONSOLE_READ;
		assert_int_equal(shyper_console_read(h, id, 0, buf, sizeof(buf), NULL, &n, NULL),
				 want);
		assert_message_contains("reading the console of VM 1");
		fake.fail_cmd = SHYPER_IOC_CONSOLE_WRITE;
		assert_int_equal(shyper_console_write(h, id, buf, 1, &n), want);
		assert_message_contains("writing to the console of VM 1");
		fake.fail_cmd = SHYPER_IOC_VM_ADD_DEVICE;
		assert_int_equal(shyper_vm_add_device(h, id, &dev), want);
		assert_message_contains("VM 1");
	}
	fake.fail_errno = 0;
	assert_int_equal(shyper_vm_start(h, id), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create),
		T(test_create_refusals),
		T(test_load),
		T(test_load_refusals),
		T(test_load_file_in_pieces),
		T(test_load_file_refusals),
		T(test_control_cycle),
		T(test_control_refusals),
		T(test_destroy_retries_while_vcpus_leave),
		T(test_console_read),
		T(test_console_read_refusals),
		T(test_console_write),
		T(test_add_device),
		T(test_vio_fetch_and_complete),
		T(test_vio_refusals),
		T(test_state_and_console_events),
		T(test_errno_mapping),
	};

	return cmocka_run_group_tests_name("libshyper-guest", tests, NULL, NULL);
}
