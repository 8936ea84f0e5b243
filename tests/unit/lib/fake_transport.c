// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The fake device behind libshyper in host tests (see fake_transport.h).
 * It behaves like the kernel module over the hypervisor: the same checks
 * (reserved fields, maximum lengths) and the same errno values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../../lib/internal.h"
#include "fake_transport.h"

#define MiB (1ULL << 20)
#define FAKE_FD 42

struct fake_device fake;

void fake_reset(void)
{
	free(fake.log);
	memset(&fake, 0, sizeof(fake));

	fake.hv.size = sizeof(fake.hv);
	fake.hv.abi_version = SHYPER_ABI_MAJOR << 16 | SHYPER_ABI_MINOR;
	strcpy(fake.hv.version, "0.1.0-test");
	strcpy(fake.hv.board, "QEMU virt (test)");
	fake.hv.gic_version = 3;
	fake.hv.pcpu_count = 4;
	fake.hv.mem_total = 2048 * MiB;
	fake.hv.mem_hypervisor = 64 * MiB;
	fake.hv.pool_total = 512 * MiB;
	fake.hv.pool_free = 384 * MiB;
	memcpy(fake.hv.build_id, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	fake.hv.state_version = 5;
	fake.hv.update_count = 2;
	fake.hv.mem_hypervisor_free = 40 * MiB;
	fake.hv.last_update_pause_ns = 812000;
	fake.hv.uptime_ns = 3723500000000ULL; /* 1h 2m 3.5s */
	fake.hv.vm_count = 1;
	fake.hv.vm_max = 8;
	fake.log_ring_size = 1 << 20;
	fake.console_fifo = 32;

	struct shyper_vm_info *mvm = fake_add_vm(0, "mvm");

	mvm->type = SHYPER_VM_MVM;
	mvm->vcpu_count = 4;
	mvm->memory = 1472 * MiB;
	for (int i = 0; i < 4; i++)
		mvm->vcpu_pcpu[i] = (uint8_t)i;
}

void fake_log_append(const char *text)
{
	size_t len = strlen(text);

	fake.log = realloc(fake.log, fake.log_written + len);
	memcpy(fake.log + fake.log_written, text, len);
	fake.log_written += len;
}

struct shyper_vm_info *fake_add_vm(uint32_t id, const char *name)
{
	struct shyper_vm_info *vm = &fake.vms[fake.vm_count++];

	memset(vm, 0, sizeof(*vm));
	vm->size = sizeof(*vm);
	vm->id = id;
	strncpy(vm->name, name, sizeof(vm->name) - 1);
	vm->type = SHYPER_VM_GVM;
	vm->state = SHYPER_VM_RUNNING;
	vm->vcpu_count = 1;
	vm->memory = 128 * MiB;
	vm->uptime_ns = 5 * 1000000000ULL;
	vm->exits = 1000 + id;
	vm->vcpu_pcpu[0] = 1;
	return vm;
}

void fake_console_append(const char *text)
{
	size_t len = strlen(text);

	if (len > sizeof(fake.console) - fake.console_written)
		len = sizeof(fake.console) - fake.console_written;
	memcpy(fake.console + fake.console_written, text, len);
	fake.console_written += len;
}

struct shyper_vm_info *fake_vm(uint32_t id)
{
	for (unsigned int i = 0; i < fake.vm_count; i++)
		if (fake.vms[i].id == id)
			return &fake.vms[i];
	return NULL;
}

struct shyper_vm_info *fake_vm_named(const char *name)
{
	for (unsigned int i = 0; i < fake.vm_count; i++)
		if (!strncmp(fake.vms[i].name, name, SHYPER_NAME_LEN))
			return &fake.vms[i];
	return NULL;
}

/* The guests about to power off (fake_guest_powers_off()) have been looked
 * at once more: those whose time has come do. */
static void button_look(void)
{
	for (unsigned int i = 0; i < fake.press_count;) {
		struct fake_press *press = &fake.presses[i];
		struct shyper_vm_info *vm = fake_vm(press->id);

		/* A paused guest cannot act on the press until it runs again. */
		if (vm && vm->state == SHYPER_VM_PAUSED) {
			i++;
			continue;
		}
		if (press->looks_left > 1) {
			press->looks_left--;
			i++;
			continue;
		}
		if (vm && vm->state == SHYPER_VM_RUNNING) {
			vm->state = SHYPER_VM_SHUTOFF;
			vm->stop_reason = SHYPER_STOP_GUEST_POWEROFF; /* the guest decided */
		}
		*press = fake.presses[--fake.press_count];
	}
}

static void button_forget(uint32_t id)
{
	for (unsigned int i = 0; i < fake.press_count; i++) {
		if (fake.presses[i].id == id) {
			fake.presses[i] = fake.presses[--fake.press_count];
			return;
		}
	}
}

void fake_guest_powers_off(uint32_t id, unsigned int looks)
{
	button_forget(id);
	fake.presses[fake.press_count].id = id;
	fake.presses[fake.press_count].looks_left = looks;
	fake.press_count++;
}

uint64_t fake_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t hash = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		hash = (hash ^ p[i]) * 0x100000001b3ULL;
	return hash;
}

const struct fake_load *fake_load_at(uint32_t id, uint64_t ipa)
{
	unsigned int n = fake.load_count < FAKE_MAX_LOADS ? fake.load_count : FAKE_MAX_LOADS;

	while (n--)
		if (fake.loads[n].id == id && fake.loads[n].ipa == ipa)
			return &fake.loads[n];
	return NULL;
}

void fake_post_event(uint32_t type, uint32_t vm_id, uint64_t data0)
{
	struct shyper_event *ev = &fake.events[fake.event_count++];

	ev->type = type;
	ev->vm_id = vm_id;
	ev->seq = fake.event_count;
	ev->data[0] = data0;
}

int shyper_transport_open(struct shyper *h, const char *path)
{
	strncpy(fake.open_path, path, sizeof(fake.open_path) - 1);
	if (fake.open_errno)
		return -fake.open_errno;
	fake.open_count++;
	h->fd = FAKE_FD;
	return 0;
}

void shyper_transport_close(struct shyper *h)
{
	if (h->fd == FAKE_FD)
		fake.open_count--;
	h->fd = -1;
}

static int log_read(struct shyper_ioc_log_read *req)
{
	size_t held = fake.log_written < fake.log_ring_size ? fake.log_written : fake.log_ring_size;
	size_t start = fake.log_written - held, n;

	if (req->reserved || req->len > SHYPER_LOG_READ_MAX)
		return -EINVAL;
	if (fake.log_between_reads && fake.calls[_IOC_NR(SHYPER_IOC_LOG_READ)] > 1) {
		fake.log_between_reads();
		held = fake.log_written < fake.log_ring_size ? fake.log_written : fake.log_ring_size;
		start = fake.log_written - held;
	}
	n = req->offset < held ? held - req->offset : 0;
	if (n > req->len)
		n = req->len;
	if (fake.log_copy_limit && n > fake.log_copy_limit)
		n = fake.log_copy_limit;
	if (fake.log_copy_zero)
		n = 0;
	if (n)
		memcpy((void *)(uintptr_t)req->buf, fake.log + start + req->offset, n);
	req->copied = n;
	req->held = held;
	req->written = fake.log_written;
	if (fake.log_inconsistent)
		req->held = req->written + 1;
	return 0;
}

static int vm_list(struct shyper_ioc_vm_list *req)
{
	struct shyper_vm_info *out = (void *)(uintptr_t)req->buf;

	if (req->max > SHYPER_VM_LIST_MAX)
		return -EINVAL;
	if (req->max > fake.vm_list_max_seen)
		fake.vm_list_max_seen = req->max;
	button_look();
	for (unsigned int i = 0; i < fake.vm_count && i < req->max; i++)
		out[i] = fake.vms[i];
	req->count = fake.vm_count;
	return 0;
}

static int hv_stats(struct shyper_ioc_hv_stats *req)
{
	struct shyper_pcpu_stats *out = (void *)(uintptr_t)req->buf;

	if (req->max > SHYPER_PCPU_STATS_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < fake.hv.pcpu_count && i < req->max; i++) {
		out[i] = fake.pcpu_stats[i];
		out[i].pcpu = i;
	}
	req->count = fake.hv.pcpu_count;
	return 0;
}

/* Every VM's counters, as fake.vm_stats has them, under its id. */
static int vm_stats(struct shyper_ioc_vm_stats *req)
{
	struct shyper_vm_stats *out = (void *)(uintptr_t)req->buf;
	unsigned int n = 0;

	if (req->max > SHYPER_VM_STATS_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < fake.vm_count; i++) {
		if (fake.vm_stats_skip && fake.vms[i].id + 1 == fake.vm_stats_skip)
			continue;
		if (n < req->max) {
			out[n] = fake.vm_stats[i];
			if (!out[n].size)
				out[n].size = sizeof(out[n]);
			out[n].id = fake.vms[i].id;
			if (!out[n].vcpu_count)
				out[n].vcpu_count = fake.vms[i].vcpu_count;
		}
		n++;
	}
	req->count = n;
	return 0;
}

static int vm_info(struct shyper_ioc_vm_info *req)
{
	if (req->reserved)
		return -EINVAL;
	button_look();
	for (unsigned int i = 0; i < fake.vm_count; i++) {
		if (fake.vms[i].id == req->id) {
			req->info = fake.vms[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* A guest VM by id, as the hypervisor finds it: the MVM is refused. */
static int find_guest(uint32_t id, struct shyper_vm_info **vm)
{
	*vm = fake_vm(id);
	if (!*vm)
		return -ENOENT;
	return (*vm)->type == SHYPER_VM_MVM ? -EPERM : 0;
}

static int vm_create(struct shyper_ioc_vm_create *req)
{
	const struct shyper_vm_config *cfg = &req->config;
	struct shyper_vm_info *vm;
	uint32_t id = 1;

	if (req->reserved || cfg->flags || cfg->size < SHYPER_VM_CONFIG_SIZE_V1 ||
	    cfg->size > sizeof(*cfg))
		return -EINVAL;
	fake.last_config = *cfg;
	if (!cfg->name[0] || cfg->vcpu_count < 1 || cfg->vcpu_count > SHYPER_MAX_VCPUS ||
	    cfg->memory % SHYPER_GUEST_MEM_ALIGN || !cfg->memory)
		return -EINVAL;
	for (unsigned int i = 0; i < fake.vm_count; i++)
		if (!strncmp(fake.vms[i].name, cfg->name, SHYPER_NAME_LEN))
			return -EEXIST;
	if (cfg->memory > fake.hv.pool_free)
		return -ENOMEM;
	if (fake.vm_count >= fake.hv.vm_max)
		return -ENOSPC;
	while (fake_vm(id))
		id++;
	vm = fake_add_vm(id, cfg->name);
	/* The hypervisor lists its VMs in id order (an id is a slot). */
	for (unsigned int i = fake.vm_count - 1; i > 0 && fake.vms[i - 1].id > id; i--) {
		struct shyper_vm_info created = fake.vms[i];

		fake.vms[i] = fake.vms[i - 1];
		fake.vms[i - 1] = created;
		vm = &fake.vms[i - 1];
	}
	vm->state = SHYPER_VM_DEFINED;
	vm->type = cfg->type;
	vm->vcpu_count = cfg->vcpu_count;
	vm->memory = cfg->memory;
	vm->uptime_ns = 0;
	memcpy(vm->vcpu_pcpu, cfg->vcpu_pcpu, sizeof(vm->vcpu_pcpu));
	fake.hv.pool_free -= cfg->memory;
	fake.hv.vm_count++;
	req->id = id;
	return 0;
}

static int vm_load(struct shyper_ioc_vm_load *req)
{
	struct shyper_vm_info *vm;
	int rc;

	if (req->reserved || !req->len || req->guest_ipa + req->len < req->guest_ipa)
		return -EINVAL;
	rc = find_guest(req->id, &vm);
	if (rc)
		return rc;
	if (vm->state == SHYPER_VM_RUNNING || vm->state == SHYPER_VM_PAUSED)
		return -EBUSY;
	if (req->guest_ipa < SHYPER_GUEST_RAM_BASE ||
	    req->guest_ipa + req->len > SHYPER_GUEST_RAM_BASE + vm->memory)
		return -EFAULT;
	for (uint64_t i = 0; i < req->len; i++) {
		uint64_t at = req->guest_ipa - SHYPER_GUEST_RAM_BASE + i;

		if (at < FAKE_GUEST_RAM)
			fake.guest_ram[at] = ((const uint8_t *)(uintptr_t)req->buf)[i];
	}
	fake.loaded += req->len;
	if (fake.load_count < FAKE_MAX_LOADS) {
		struct fake_load *load = &fake.loads[fake.load_count];

		load->id = req->id;
		load->ipa = req->guest_ipa;
		load->len = req->len;
		load->hash = fake_hash((const void *)(uintptr_t)req->buf, (size_t)req->len);
	}
	fake.load_count++;
	return 0;
}

static int vm_control(struct shyper_ioc_vm_control *req)
{
	struct shyper_vm_info *vm;
	uint32_t state;
	int rc;

	if (req->op < SHYPER_VM_OP_START || req->op > SHYPER_VM_OP_SHUTDOWN)
		return -EINVAL;
	fake.ops[req->op]++;
	if (fake.fail_op_errno && fake.fail_op == req->op)
		return -fake.fail_op_errno;
	rc = find_guest(req->id, &vm);
	if (rc)
		return rc;
	if (fake.control_busy) {
		fake.control_busy--;
		return -EBUSY;
	}
	state = vm->state;
	switch (req->op) {
	case SHYPER_VM_OP_START:
		if (state != SHYPER_VM_DEFINED && state != SHYPER_VM_SHUTOFF)
			return -EBUSY;
		vm->state = SHYPER_VM_RUNNING;
		button_forget(vm->id); /* a restart releases the button */
		break;
	case SHYPER_VM_OP_STOP:
		if (state != SHYPER_VM_RUNNING && state != SHYPER_VM_PAUSED)
			return -EBUSY;
		vm->state = SHYPER_VM_SHUTOFF;
		vm->stop_reason = SHYPER_STOP_BY_MVM;
		button_forget(vm->id);
		break;
	case SHYPER_VM_OP_PAUSE:
		if (state != SHYPER_VM_RUNNING)
			return -EBUSY;
		vm->state = SHYPER_VM_PAUSED;
		break;
	case SHYPER_VM_OP_RESUME:
		if (state != SHYPER_VM_PAUSED)
			return -EBUSY;
		vm->state = SHYPER_VM_RUNNING;
		break;
	case SHYPER_VM_OP_DESTROY:
		if (state == SHYPER_VM_RUNNING || state == SHYPER_VM_PAUSED)
			return -EBUSY;
		fake.hv.pool_free += vm->memory;
		fake.hv.vm_count--;
		button_forget(vm->id);
		/* The others keep their order (id order, as listed). */
		memmove(vm, vm + 1, (size_t)(&fake.vms[--fake.vm_count] - vm) * sizeof(*vm));
		break;
	case SHYPER_VM_OP_SHUTDOWN:
		if (state != SHYPER_VM_RUNNING)
			return -EBUSY;
		if (fake.button == FAKE_BUTTON_POWERS_OFF) {
			vm->state = SHYPER_VM_SHUTOFF;
			vm->stop_reason = SHYPER_STOP_GUEST_POWEROFF; /* the guest decided */
		} else if (fake.button == FAKE_BUTTON_DELAYED) {
			fake_guest_powers_off(vm->id, fake.button_delay_looks);
		}
		break;
	}
	return 0;
}

static int console_read(struct shyper_ioc_console *req)
{
	struct shyper_vm_info *vm;
	size_t oldest = 0, n;
	uint64_t from = req->offset;
	int rc;

	if (req->len > SHYPER_CONSOLE_IO_MAX)
		return -EINVAL;
	rc = find_guest(req->id, &vm);
	if (rc)
		return rc;
	if (fake.console_ring_size && fake.console_written > fake.console_ring_size)
		oldest = fake.console_written - fake.console_ring_size;
	if (from < oldest)
		from = oldest;
	n = from < fake.console_written ? fake.console_written - from : 0;
	if (n > req->len)
		n = req->len;
	if (fake.console_copy_limit && n > fake.console_copy_limit)
		n = fake.console_copy_limit;
	if (n)
		memcpy((void *)(uintptr_t)req->buf, fake.console + from, n);
	req->done = n;
	req->offset = from;
	req->written = fake.console_written;
	return 0;
}

static int console_write(struct shyper_ioc_console *req)
{
	struct shyper_vm_info *vm;
	size_t n = req->len;
	int rc;

	if (req->len > SHYPER_CONSOLE_IO_MAX)
		return -EINVAL;
	rc = find_guest(req->id, &vm);
	if (rc)
		return rc;
	if (n > fake.console_fifo)
		n = fake.console_fifo;
	if (n > sizeof(fake.console_in) - fake.console_in_len)
		n = sizeof(fake.console_in) - fake.console_in_len;
	memcpy(fake.console_in + fake.console_in_len, (const void *)(uintptr_t)req->buf, n);
	fake.console_in_len += n;
	req->done = n;
	return 0;
}

/* As the module and hypervisor check it: a guest that has never run, a
 * description with reserved fields zero, a free virtio slot. */
static int vm_add_device(struct shyper_ioc_vm_device *req)
{
	const struct shyper_device_config *dev = &req->device;
	struct shyper_vm_info *vm;
	int rc;

	if (req->reserved || dev->reserved0[0] || dev->reserved0[1] || dev->reserved1 ||
	    dev->size < SHYPER_DEVICE_CONFIG_SIZE_V1 || dev->size > sizeof(*dev))
		return -EINVAL;
	rc = find_guest(req->id, &vm);
	if (rc)
		return rc;
	if (dev->kind < SHYPER_DEV_VIRTIO_CONSOLE || dev->kind > SHYPER_DEV_VIRTIO_RNG)
		return -EINVAL;
	if (vm->state != SHYPER_VM_DEFINED)
		return -EBUSY;
	/* As the hypervisor: every field a real-time clock does not use is 0. */
	if (dev->kind == SHYPER_DEV_RTC &&
	    (dev->slot || dev->flags || dev->base || dev->length || dev->spi ||
	     dev->rtc_time > UINT32_MAX))
		return -EINVAL;
	if (dev->kind != SHYPER_DEV_PASSTHROUGH && dev->kind != SHYPER_DEV_RTC) {
		if (dev->slot >= SHYPER_GUEST_VIRTIO_SLOTS)
			return -EINVAL;
		for (unsigned int i = 0; i < fake.device_count && i < FAKE_MAX_DEVICES; i++)
			if (fake.devices[i].id == req->id &&
			    fake.devices[i].dev.kind != SHYPER_DEV_PASSTHROUGH &&
			    fake.devices[i].dev.kind != SHYPER_DEV_RTC &&
			    fake.devices[i].dev.slot == dev->slot)
				return -EBUSY;
	}
	if (fake.device_count < FAKE_MAX_DEVICES)
		fake.devices[fake.device_count] = (struct fake_added_device){ req->id, *dev };
	fake.device_count++;
	return 0;
}

/* As the module over the hypervisor: ENOSPC with the size needed, EBUSY
 * when nothing waits, EINVAL for a token not in flight. */
static int vio_fetch(struct shyper_ioc_vio_fetch *req)
{
	struct shyper_vm_info *vm;
	int rc;

	if (req->offset || req->len > SHYPER_VIO_IO_MAX) /* nothing is mapped here */
		return -EINVAL;
	rc = find_guest(req->id, &vm);
	if (rc)
		return rc;
	if (!fake.vio_waiting || fake.vio_token)
		return -EBUSY;
	if (req->len < fake.vio_request_len) {
		req->readable = fake.vio_request_len;
		return -ENOSPC;
	}
	memcpy((void *)(uintptr_t)req->buf, fake.vio_request, fake.vio_request_len);
	fake.vio_waiting = 0;
	fake.vio_token = 7ULL << 32 | (uint64_t)req->slot << 24 | (uint64_t)req->queue << 16;
	req->token = fake.vio_token;
	req->readable = fake.vio_request_len;
	req->writable = fake.vio_room;
	return 0;
}

static int vio_complete(struct shyper_ioc_vio_complete *req)
{
	struct shyper_vm_info *vm;
	uint32_t n;
	int rc;

	if (req->len > SHYPER_VIO_IO_MAX)
		return -EINVAL;
	rc = find_guest(req->id, &vm);
	if (rc)
		return rc;
	if (!fake.vio_token || req->token != fake.vio_token)
		return -EINVAL;
	n = req->len < fake.vio_room ? req->len : fake.vio_room;
	if (n > sizeof(fake.vio_answer))
		n = sizeof(fake.vio_answer);
	if (n)
		memcpy(fake.vio_answer, (const void *)(uintptr_t)req->buf, n);
	fake.vio_answer_len = n;
	fake.vio_token = 0;
	req->done = n;
	return 0;
}

static int hv_update(struct shyper_ioc_hv_update *req)
{
	if (req->reserved)
		return -EINVAL;
	fake.update_len = req->len;
	fake.update_flags = req->flags;
	memcpy(fake.update_head, (const void *)(uintptr_t)req->image,
	       req->len < sizeof(fake.update_head) ? req->len : sizeof(fake.update_head));
	req->report = fake.update_report;
	req->report.flags = req->flags;
	return -fake.update_errno;
}

int shyper_transport_ioctl(struct shyper *h, unsigned long cmd, void *arg)
{
	if (h->fd != FAKE_FD)
		return -EBADF;
	if (_IOC_NR(cmd) < FAKE_IOC_SLOTS)
		fake.calls[_IOC_NR(cmd)]++;
	if (fake.fail_errno && (fake.fail_cmd == cmd || fake.fail_cmd == 0))
		return -fake.fail_errno;
	switch (cmd) {
	case SHYPER_IOC_NOP:
		return 0;
	case SHYPER_IOC_HV_INFO:
		if (fake.on_hv_info)
			fake.on_hv_info();
		memcpy(arg, &fake.hv, sizeof(fake.hv));
		return 0;
	case SHYPER_IOC_LOG_READ:
		return log_read(arg);
	case SHYPER_IOC_VM_LIST:
		return vm_list(arg);
	case SHYPER_IOC_VM_INFO:
		return vm_info(arg);
	case SHYPER_IOC_VM_STATS:
		return vm_stats(arg);
	case SHYPER_IOC_HV_STATS:
		return hv_stats(arg);
	case SHYPER_IOC_PING:
		fake.last_ping = *(uint64_t *)arg;
		fake_post_event(SHYPER_EVENT_PONG, 0, fake.last_ping);
		return 0;
	case SHYPER_IOC_VM_CREATE:
		if (fake.on_vm_create)
			fake.on_vm_create();
		return vm_create(arg);
	case SHYPER_IOC_VM_LOAD:
		return vm_load(arg);
	case SHYPER_IOC_VM_CONTROL:
		return vm_control(arg);
	case SHYPER_IOC_CONSOLE_READ:
		return console_read(arg);
	case SHYPER_IOC_CONSOLE_WRITE:
		return console_write(arg);
	case SHYPER_IOC_VM_ADD_DEVICE:
		return vm_add_device(arg);
	case SHYPER_IOC_VIO_FETCH:
		return vio_fetch(arg);
	case SHYPER_IOC_VIO_COMPLETE:
		return vio_complete(arg);
	case SHYPER_IOC_HV_UPDATE:
		return hv_update(arg);
	default:
		return -ENOTTY;
	}
}

int shyper_transport_poll(struct shyper *h, int timeout_ms)
{
	(void)timeout_ms;
	if (h->fd != FAKE_FD)
		return -EBADF;
	return fake.event_next < fake.event_count;
}

/* The fake device has no memory to share: callers fall back to copies. */
void *shyper_transport_map(struct shyper *h, size_t len)
{
	(void)h;
	(void)len;
	errno = ENODEV;
	return NULL;
}

void shyper_transport_unmap(struct shyper *h, void *addr, size_t len)
{
	(void)h;
	(void)addr;
	(void)len;
}

long shyper_transport_read(struct shyper *h, void *buf, size_t len)
{
	if (h->fd != FAKE_FD)
		return -EBADF;
	if (fake.event_next == fake.event_count)
		return -EAGAIN;
	if (len < sizeof(struct shyper_event))
		return -EINVAL;
	memcpy(buf, &fake.events[fake.event_next++], sizeof(struct shyper_event));
	return sizeof(struct shyper_event);
}
