// SPDX-License-Identifier: GPL-2.0
/*
 * Shyper's hypercalls (include/shyper/abi.h, docs/abi.md).
 *
 * Every argument is checked before anything is written: a call either does
 * all it was asked or returns an error having changed nothing. Buffers are
 * IPA + length in the caller's RAM (guest_mem). Only the MVM may make
 * management calls; anyone may ask who we are and time a no-op.
 */
#include <hv/arch.h>
#include <hv/events.h>
#include <hv/guest_mem.h>
#include <hv/heap.h>
#include <hv/hypercall.h>
#include <hv/log.h>
#include <hv/migrate.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/update.h>
#include <hv/version.h>
#include <hv/vmstate.h>
#include <hv/virtio.h>
#include <shyper/image.h>
#include <hv/vm_lifecycle.h>
#include <shyper/abi.h>
#include <string.h>

#define LOG_READ_MAX (1 * MiB)
#define VM_LIST_MAX 64
#define CONSOLE_IO_MAX (64 * KiB)

static void copy_string(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	memset(dst + n, 0, size - n);
}

static int64_t hv_info(struct vm *caller, uint64_t ipa, uint64_t size, uint64_t *written)
{
	struct shyper_hv_info info;
	const struct board_info *b = &hv_state->board;

	if (size < SHYPER_HV_INFO_SIZE_V1)
		return SHYPER_E_INVALID;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.abi_version = SHYPER_ABI_MAJOR << 16 | SHYPER_ABI_MINOR;
	copy_string(info.version, sizeof(info.version), SHYPER_VERSION);
	copy_string(info.board, sizeof(info.board), b->model);
	info.gic_version = b->gic_version;
	for (uint32_t m = hv_state->pcpu_online_mask; m; m &= m - 1)
		info.pcpu_count++;
	for (unsigned i = 0; i < b->mem_count; i++)
		info.mem_total += b->mem[i].size;
	info.mem_hypervisor = hv_state->hv_size;
	info.pool_total = galloc_total_bytes(&hv_state->pool);
	info.pool_free = galloc_free_bytes(&hv_state->pool);
	info.uptime_ns = ticks_to_ns(arch_counter() - hv_state->boot_counter);
	for (unsigned i = 0; i < MAX_VMS; i++)
		if (hv_state->vms[i].state != VM_STATE_FREE)
			info.vm_count++;
	info.vm_max = MAX_VMS;
	/* Its build: the sealed digest of its own image (live update compares them). */
	if (arch_image_header()->magic == SHYPER_IMAGE_MAGIC)
		memcpy(info.build_id, arch_image_header()->sha256, sizeof(info.build_id));
	info.state_version = HV_STATE_VERSION;
	info.update_count = hv_state->update.count;
	info.mem_hypervisor_free = heap_free_bytes();
	info.last_update_pause_ns = hv_state->update.last_pause_ns;

	if (!guest_mem_write(caller, ipa_init(ipa), &info, MIN(size, sizeof(info))))
		return SHYPER_E_BAD_ADDRESS;
	*written = MIN(size, sizeof(info));
	return SHYPER_OK;
}

static int64_t log_read(struct vm *caller, uint64_t ipa, uint64_t len, uint64_t offset,
			struct vcpu_regs *r)
{
	char chunk[256];
	uint64_t done = 0;

	if (len > LOG_READ_MAX)
		return SHYPER_E_INVALID;
	if (len && !guest_mem_ptr(caller, ipa_init(ipa), len))
		return SHYPER_E_BAD_ADDRESS;
	while (done < len) {
		size_t n = log_ring_read(chunk, MIN(sizeof(chunk), len - done), offset + done);

		if (!n)
			break;
		guest_mem_write(caller, ipa_init(ipa + done), chunk, n);
		done += n;
	}
	r->x[1] = done;
	r->x[2] = log_ring_size();
	r->x[3] = hv_state->log_written;
	return SHYPER_OK;
}

static void vm_info_fill(const struct vm *vm, struct shyper_vm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->id = vm->id;
	copy_string(info->name, sizeof(info->name), vm->name);
	info->type = vm->type;
	info->state = vm->state;
	info->vcpu_count = vm->vcpu_count;
	info->stop_reason = vm->stop_reason;
	for (unsigned i = 0; i < vm->board.mem_count; i++)
		info->memory += vm->board.mem[i].size;
	if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED)
		info->uptime_ns = ticks_to_ns(arch_counter() - vm->boot_counter);
	for (unsigned i = 0; i < vm->vcpu_count && i < SHYPER_MAX_VCPUS; i++) {
		info->vcpu_pcpu[i] = vm->vcpus[i].pcpu;
		for (unsigned k = 0; k < EXIT_KINDS; k++)
			info->exits += vm->vcpus[i].exits[k];
	}
}

/*
 * VM_LIST and VM_STATS: one record of SIZE bytes per VM, in id order,
 * made by FILL in BUF; at most MAX (≤ LIMIT) written, *TOTAL counts all.
 */
static int64_t vm_records(struct vm *caller, uint64_t ipa, uint64_t max, uint64_t limit,
			  void *buf, size_t size, void (*fill)(const struct vm *, void *),
			  uint64_t *total)
{
	uint64_t n = 0;

	if (max > limit)
		return SHYPER_E_INVALID;
	if (max && !guest_mem_ptr(caller, ipa_init(ipa), max * size))
		return SHYPER_E_BAD_ADDRESS;
	*total = 0;
	for (uint16_t id = 0; id < MAX_VMS; id++) {
		const struct vm *vm = vm_get(id);

		if (!vm)
			continue;
		if (n < max) {
			fill(vm, buf);
			guest_mem_write(caller, ipa_init(ipa + n * size), buf, size);
			n++;
		}
		(*total)++;
	}
	return SHYPER_OK;
}

static void vm_info_record(const struct vm *vm, void *buf)
{
	vm_info_fill(vm, buf);
}

static void vm_stats_record(const struct vm *vm, void *buf)
{
	stats_vm_fill(vm, buf);
}

static int64_t vm_list(struct vm *caller, uint64_t ipa, uint64_t max, uint64_t *total)
{
	struct shyper_vm_info info;

	return vm_records(caller, ipa, max, VM_LIST_MAX, &info, sizeof(info), vm_info_record,
			  total);
}

/* Every VM's counters, in id order as VM_LIST: one call for a whole refresh. */
static int64_t vm_stats(struct vm *caller, uint64_t ipa, uint64_t max, uint64_t *total)
{
	struct shyper_vm_stats stats;

	return vm_records(caller, ipa, max, SHYPER_VM_STATS_MAX, &stats, sizeof(stats),
			  vm_stats_record, total);
}

static int64_t hv_stats(struct vm *caller, uint64_t ipa, uint64_t max, uint64_t *total)
{
	struct shyper_pcpu_stats stats;
	const uint32_t count = hv_state->board.pcpu_count;

	if (max > SHYPER_PCPU_STATS_MAX)
		return SHYPER_E_INVALID;
	if (max && !guest_mem_ptr(caller, ipa_init(ipa), max * sizeof(stats)))
		return SHYPER_E_BAD_ADDRESS;
	for (uint32_t i = 0; i < count && i < MAX_PCPUS && i < max; i++) {
		stats_fill(i, &stats);
		guest_mem_write(caller, ipa_init(ipa + i * sizeof(stats)), &stats, sizeof(stats));
	}
	*total = count < MAX_PCPUS ? count : MAX_PCPUS;
	return SHYPER_OK;
}

static int64_t vm_info(struct vm *caller, uint64_t id, uint64_t ipa, uint64_t size)
{
	struct shyper_vm_info info;
	const struct vm *vm = id < MAX_VMS ? vm_get((uint16_t)id) : NULL;

	if (size < SHYPER_VM_INFO_SIZE_V1)
		return SHYPER_E_INVALID;
	if (!guest_mem_ptr(caller, ipa_init(ipa), MIN(size, sizeof(info))))
		return SHYPER_E_BAD_ADDRESS;
	if (!vm)
		return SHYPER_E_NO_ENTRY;
	vm_info_fill(vm, &info);
	guest_mem_write(caller, ipa_init(ipa), &info, MIN(size, sizeof(info)));
	return SHYPER_OK;
}

static int64_t vm_create_call(struct vm *caller, uint64_t ipa, uint64_t size, uint64_t *id_out)
{
	struct shyper_vm_config cfg;
	uint16_t id;
	int64_t rc;

	if (size < SHYPER_VM_CONFIG_SIZE_V1)
		return SHYPER_E_INVALID;
	/* Read once into our copy: the MVM cannot change it under our checks. */
	if (!guest_mem_read(caller, ipa_init(ipa), &cfg, sizeof(cfg)))
		return SHYPER_E_BAD_ADDRESS;
	/* The struct says its own size; it must fit the buffer the call names. */
	if (cfg.size > size)
		return SHYPER_E_INVALID;
	rc = vm_create(&cfg, &id);
	if (rc == SHYPER_OK)
		*id_out = id;
	return rc;
}

static int64_t console_read_call(struct vm *vm, struct vm *caller, uint64_t ipa, uint64_t len,
				 uint64_t from, struct vcpu_regs *r)
{
	uint8_t chunk[256];
	uint64_t done = 0, start = from, first = 0;

	if (len > CONSOLE_IO_MAX)
		return SHYPER_E_INVALID;
	if (len && !guest_mem_ptr(caller, ipa_init(ipa), len))
		return SHYPER_E_BAD_ADDRESS;
	while (done < len) {
		size_t n = vconsole_read(vm, start, chunk, MIN(sizeof(chunk), len - done), &start);

		if (!n)
			break;
		if (!done)
			first = start;
		guest_mem_write(caller, ipa_init(ipa + done), chunk, n);
		done += n;
		start += n;
	}
	vconsole_rearm(vm);
	r->x[1] = done;
	r->x[2] = done ? first : start;
	r->x[3] = vm->console.out_written;
	return SHYPER_OK;
}

static int64_t console_write_call(struct vm *vm, struct vm *caller, uint64_t ipa, uint64_t len,
				  uint64_t *accepted)
{
	uint8_t chunk[VCONSOLE_RX_SIZE];
	struct virtio_dev *con;

	if (len > CONSOLE_IO_MAX)
		return SHYPER_E_INVALID;
	if (len && !guest_mem_ptr(caller, ipa_init(ipa), len))
		return SHYPER_E_BAD_ADDRESS;
	/* The guest's FIFO is small: take what fits, say how much. */
	len = MIN(len, sizeof(chunk));
	guest_mem_read(caller, ipa_init(ipa), chunk, len);
	/* Input goes to the guest's console: its virtio console if it has one. */
	con = virtio_console_find(vm);
	*accepted = con ? virtio_console_input(vm, con, chunk, len) : vconsole_write(vm, chunk, len);
	return SHYPER_OK;
}

static int64_t vm_add_device_call(struct vm *vm, struct vm *caller, uint64_t ipa, uint64_t size)
{
	struct shyper_device_config dev;

	if (size < SHYPER_DEVICE_CONFIG_SIZE_V1)
		return SHYPER_E_INVALID;
	/* Read once into our copy, as VM_CREATE does. */
	if (!guest_mem_read(caller, ipa_init(ipa), &dev, sizeof(dev)))
		return SHYPER_E_BAD_ADDRESS;
	if (dev.size > size)
		return SHYPER_E_INVALID;
	return vm_add_device(vm, &dev);
}

/* The guest lifecycle calls, which all name a guest VM in x1. */
static int64_t guest_call(uint32_t fid, struct vm *caller, struct vcpu_regs *r)
{
	struct vm *vm = vm_get_guest(r->x[1]);
	uint64_t out = 0;
	int64_t rc;

	if (!vm)
		return r->x[1] < MAX_VMS && vm_get((uint16_t)r->x[1]) ? SHYPER_E_DENIED
								     : SHYPER_E_NO_ENTRY;
	switch (fid) {
	case SHYPER_HC_VM_LOAD:
		return vm_load(vm, ipa_init(r->x[2]), caller, ipa_init(r->x[3]), r->x[4]);
	case SHYPER_HC_VM_START:
		return vm_start(vm);
	case SHYPER_HC_VM_STOP:
		return vm_stop(vm);
	case SHYPER_HC_VM_DESTROY:
		return vm_destroy(vm);
	case SHYPER_HC_VM_PAUSE:
		return vm_pause(vm);
	case SHYPER_HC_VM_RESUME:
		return vm_resume(vm);
	case SHYPER_HC_VM_SHUTDOWN:
		return vm_shutdown(vm);
	case SHYPER_HC_VM_ADD_DEVICE:
		return vm_add_device_call(vm, caller, r->x[2], r->x[3]);
	case SHYPER_HC_VIO_FETCH:
		return vio_fetch(vm, caller, r->x[2], r->x[3], r->x[4], r);
	case SHYPER_HC_VIO_COMPLETE:
		return vio_complete(vm, caller, r->x[2], r->x[3], r->x[4], r);
	case SHYPER_HC_CONSOLE_READ:
		return console_read_call(vm, caller, r->x[2], r->x[3], r->x[4], r);
	case SHYPER_HC_CONSOLE_WRITE:
		rc = console_write_call(vm, caller, r->x[2], r->x[3], &out);
		if (rc == SHYPER_OK)
			r->x[1] = out;
		return rc;
	case SHYPER_HC_VM_DIRTY_LOG:
		rc = migrate_dirty_log_call(vm, r->x[2], &out);
		if (rc == SHYPER_OK)
			r->x[1] = out;
		return rc;
	case SHYPER_HC_VM_DIRTY_FETCH:
		rc = migrate_dirty_fetch_call(vm, caller, r->x[2], r->x[3], r->x[4], &out);
		if (rc == SHYPER_OK)
			r->x[1] = out;
		return rc;
	case SHYPER_HC_VM_MEM_READ:
	case SHYPER_HC_VM_MEM_WRITE:
		return migrate_mem_call(vm, caller, fid == SHYPER_HC_VM_MEM_WRITE, r->x[2], r->x[3],
					r->x[4]);
	case SHYPER_HC_VM_STATE_SAVE:
		rc = vmstate_save_call(vm, caller, r->x[2], r->x[3], &out);
		if (rc == SHYPER_OK)
			r->x[1] = out;
		return rc;
	case SHYPER_HC_VM_STATE_LOAD:
		return vmstate_load_call(vm, caller, r->x[2], r->x[3]);
	default:
		return SHYPER_E_NOT_SUPPORTED;
	}
}

void hypercall_handle(struct vcpu *vcpu)
{
	struct vcpu_regs *r = &vcpu->regs;
	struct vm *caller = vcpu_vm(vcpu);
	uint32_t fid = (uint32_t)r->x[0];
	uint64_t a1 = r->x[1], a2 = r->x[2], a3 = r->x[3];
	int64_t ret;

	/* Calls anyone may make */
	switch (fid) {
	case SHYPER_HC_CALL_UID:
		r->x[0] = SHYPER_UID_W0;
		r->x[1] = SHYPER_UID_W1;
		r->x[2] = SHYPER_UID_W2;
		r->x[3] = SHYPER_UID_W3;
		return;
	case SHYPER_HC_REVISION:
		r->x[0] = SHYPER_ABI_MAJOR;
		r->x[1] = SHYPER_ABI_MINOR;
		return;
	case SHYPER_HC_NOP:
		r->x[0] = SHYPER_OK;
		return;
	}

	if (fid < SHYPER_HC(0) || fid > SHYPER_HC(SHYPER_HC_LAST)) {
		r->x[0] = (uint64_t)(int64_t)SHYPER_E_NOT_SUPPORTED;
		return;
	}
	if (caller->type != VM_TYPE_MVM) {
		r->x[0] = (uint64_t)(int64_t)SHYPER_E_DENIED;
		return;
	}

	switch (fid) {
	case SHYPER_HC_HV_INFO: {
		uint64_t written = 0;

		ret = hv_info(caller, a1, a2, &written);
		if (ret == SHYPER_OK)
			r->x[1] = written;
		break;
	}
	case SHYPER_HC_LOG_READ:
		ret = log_read(caller, a1, a2, a3, r);
		break;
	case SHYPER_HC_VM_LIST: {
		uint64_t total = 0;

		ret = vm_list(caller, a1, a2, &total);
		if (ret == SHYPER_OK)
			r->x[1] = total;
		break;
	}
	case SHYPER_HC_VM_INFO:
		ret = vm_info(caller, a1, a2, a3);
		break;
	case SHYPER_HC_HV_STATS: {
		uint64_t total = 0;

		ret = hv_stats(caller, a1, a2, &total);
		if (ret == SHYPER_OK)
			r->x[1] = total;
		break;
	}
	case SHYPER_HC_VM_STATS: {
		uint64_t total = 0;

		ret = vm_stats(caller, a1, a2, &total);
		if (ret == SHYPER_OK)
			r->x[1] = total;
		break;
	}
	case SHYPER_HC_EVENT_SETUP:
		ret = events_setup(caller, ipa_init(a1), a2);
		break;
	case SHYPER_HC_EVENT_PING:
		ret = events_post(SHYPER_EVENT_PONG, caller->id, a1, 0) ? SHYPER_OK : SHYPER_E_BUSY;
		break;
	case SHYPER_HC_VM_CREATE: {
		uint64_t id = 0;

		ret = vm_create_call(caller, a1, a2, &id);
		if (ret == SHYPER_OK)
			r->x[1] = id;
		break;
	}
	case SHYPER_HC_VM_LOAD:
	case SHYPER_HC_VM_START:
	case SHYPER_HC_VM_STOP:
	case SHYPER_HC_VM_DESTROY:
	case SHYPER_HC_VM_PAUSE:
	case SHYPER_HC_VM_RESUME:
	case SHYPER_HC_CONSOLE_READ:
	case SHYPER_HC_CONSOLE_WRITE:
	case SHYPER_HC_VM_SHUTDOWN:
	case SHYPER_HC_VM_ADD_DEVICE:
	case SHYPER_HC_VIO_FETCH:
	case SHYPER_HC_VIO_COMPLETE:
	case SHYPER_HC_VM_DIRTY_LOG:
	case SHYPER_HC_VM_DIRTY_FETCH:
	case SHYPER_HC_VM_MEM_READ:
	case SHYPER_HC_VM_MEM_WRITE:
	case SHYPER_HC_VM_STATE_SAVE:
	case SHYPER_HC_VM_STATE_LOAD:
		ret = guest_call(fid, caller, r);
		break;
	case SHYPER_HC_HV_UPDATE_STAGE: {
		uint64_t reason = 0;

		ret = update_stage(vcpu, a1, a2, a3, r->x[4], &reason);
		if (ret == SHYPER_E_INVALID)
			r->x[1] = reason;
		break;
	}
	case SHYPER_HC_HV_UPDATE:
		/* On success this returns in the new image, which finishes the call. */
		ret = update_call(vcpu, a1, a2, a3);
		break;
	default:
		ret = SHYPER_E_NOT_SUPPORTED;
		break;
	}
	r->x[0] = (uint64_t)ret;
}
