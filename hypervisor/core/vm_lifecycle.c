// SPDX-License-Identifier: GPL-2.0
/*
 * Guest VM lifecycle (see hv/vm_lifecycle.h).
 *
 *   create ──> defined ──start──> running <──pause/resume──> paused
 *                 ^                  │ stop, guest power-off/reset, crash
 *                 │                  │ (shutdown presses the power button: the
 *                 │                  │ guest powers off when it chooses)
 *                 │                  v
 *                 └──────start─── shut off / crashed ──destroy──> (free)
 *
 * Guest RAM is one contiguous run of the pool, zeroed when the VM is
 * created and again when it is destroyed, so nothing of one guest ever
 * reaches another. A VM is only torn down once none of its vCPUs is loaded
 * on any pCPU (destroy answers BUSY until then). A vCPU leaves its pCPU at
 * the hypervisor's IPI. An RTVM's guest can hold that IPI off
 * (docs/rtvm.md), so stopping or pausing an RTVM also suspends its stage-2
 * table: its next instruction fetch or memory access faults to EL2, where
 * the fault is not the guest's business (nothing is injected) and the vCPU
 * leaves. Resume and start put the table back; destroy does the same cut
 * for any VM whose vCPU is still on a pCPU.
 */
#include <hv/arch.h>
#include <hv/dirty.h>
#include <hv/guest_mem.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/passthrough.h>
#include <hv/pcpu.h>
#include <hv/rt.h>
#include <hv/stage2.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/virtio.h>
#include <hv/vm_lifecycle.h>
#include <string.h>

static struct spinlock lifecycle_lock;

struct vm *vm_get_guest(uint64_t id)
{
	struct vm *vm = id < MAX_VMS ? vm_get((uint16_t)id) : NULL;

	return vm && vm->type != VM_TYPE_MVM ? vm : NULL;
}

static bool name_valid(const char *name)
{
	size_t n = strnlen(name, SHYPER_NAME_LEN);

	if (n == 0 || n == SHYPER_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool uuid_is_zero(const uint8_t *uuid)
{
	for (unsigned i = 0; i < 16; i++)
		if (uuid[i])
			return false;
	return true;
}

static int64_t config_check(const struct shyper_vm_config *cfg)
{
	uint64_t ram_end = SHYPER_GUEST_RAM_BASE + cfg->memory;

	if (cfg->size < SHYPER_VM_CONFIG_SIZE_V1 || cfg->flags ||
	    (cfg->type != SHYPER_VM_GVM && cfg->type != SHYPER_VM_RTVM) ||
	    !name_valid(cfg->name) || cfg->vcpu_count < 1 || cfg->vcpu_count > MAX_VCPUS ||
	    cfg->memory < SHYPER_GUEST_MEM_ALIGN || cfg->memory > SHYPER_GUEST_MEM_MAX ||
	    !IS_ALIGNED(cfg->memory, SHYPER_GUEST_MEM_ALIGN))
		return SHYPER_E_INVALID;
	if (cfg->entry_ipa < SHYPER_GUEST_RAM_BASE || cfg->entry_ipa >= ram_end ||
	    (cfg->entry_ipa & 3))
		return SHYPER_E_INVALID;
	if (cfg->dtb_ipa && (cfg->dtb_ipa < SHYPER_GUEST_RAM_BASE || cfg->dtb_ipa >= ram_end ||
			     (cfg->dtb_ipa & 7)))
		return SHYPER_E_INVALID;
	for (unsigned i = 0; i < cfg->vcpu_count; i++)
		if (cfg->vcpu_pcpu[i] >= MAX_PCPUS ||
		    !(hv_state->pcpu_online_mask & BIT(cfg->vcpu_pcpu[i])))
			return SHYPER_E_INVALID;
	for (unsigned i = 0; i < MAX_VMS; i++) {
		const struct vm *other = &hv_state->vms[i];

		if (other->state == VM_STATE_FREE)
			continue;
		if (!strncmp(other->name, cfg->name, SHYPER_NAME_LEN) ||
		    (!uuid_is_zero(cfg->uuid) && !memcmp(other->uuid, cfg->uuid, 16)))
			return SHYPER_E_EXISTS;
	}
	return SHYPER_OK;
}

static void vm_vcpus_init(struct vm *vm, const uint8_t *pins)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];

		memset(v, 0, sizeof(*v));
		v->vm_id = vm->id;
		v->index = (uint8_t)i;
		v->pcpu = pins[i];
		v->vmpidr = i; /* Aff0 = index: a flat cluster */
		v->power = VCPU_OFF;
		vgic_vcpu_init(v);
	}
}

int64_t vm_create(const struct shyper_vm_config *cfg, uint16_t *id)
{
	struct vm *vm = NULL;
	uint64_t pa;
	uint32_t granules = (uint32_t)(cfg->memory / BLOCK_2M);
	int64_t rc;

	spin_lock(&lifecycle_lock);
	rc = config_check(cfg);
	if (rc)
		goto out;
	for (unsigned i = 1; i < MAX_VMS && !vm; i++)
		if (hv_state->vms[i].state == VM_STATE_FREE)
			vm = &hv_state->vms[i];
	if (!vm) {
		rc = SHYPER_E_TOO_MANY;
		goto out;
	}
	pa = galloc_alloc(&hv_state->pool, granules, 1);
	if (!pa) {
		rc = SHYPER_E_NO_MEMORY;
		goto out;
	}

	{
		uint16_t slot = vm->id;

		memset(vm, 0, sizeof(*vm));
		vm->id = slot;
	}
	vm->board.vmid = (uint16_t)(vm->id + 1);
	vm->type = (uint8_t)cfg->type;
	memcpy(vm->name, cfg->name, SHYPER_NAME_LEN);
	vm->name[VM_NAME_LEN - 1] = '\0';
	memcpy(vm->uuid, cfg->uuid, 16);
	vm->board.mem_count = 1;
	vm->board.mem[0] = (struct mem_region){
		.ipa = ipa_init(SHYPER_GUEST_RAM_BASE), .pa = pa_init(pa), .size = cfg->memory
	};
	vm->entry = cfg->entry_ipa;
	vm->dtb = cfg->dtb_ipa;

	if (arch_stage2_init(&vm->board.s2, SHYPER_GUEST_RAM_BASE + cfg->memory,
			     vm->board.vmid)) {
		galloc_free(&hv_state->pool, pa, granules);
		vm->state = VM_STATE_FREE;
		rc = SHYPER_E_NO_MEMORY;
		goto out;
	}
	vm->board.s2.max_block = hv_state->stage2_max_block;
	if (stage2_map(&vm->board.s2, vm->board.mem[0].ipa, vm->board.mem[0].pa, cfg->memory,
		       arch_stage2_attrs(MEM_NORMAL))) {
		pgtable_destroy(&vm->board.s2);
		galloc_free(&hv_state->pool, pa, granules);
		vm->state = VM_STATE_FREE;
		rc = SHYPER_E_NO_MEMORY; /* out of hypervisor memory for tables */
		goto out;
	}
	/* Whatever the pool held before, this guest starts from zeroes. */
	memset(hv_ptr(pa_init(pa)), 0, cfg->memory);

	vm->vcpu_count = cfg->vcpu_count;
	vm->gicd_base = SHYPER_GUEST_GICD_BASE;
	vm->gicr_base = SHYPER_GUEST_GICR_BASE;
	vgic_vm_init(vm, SHYPER_GUEST_NR_SPIS);
	vm_vcpus_init(vm, cfg->vcpu_pcpu);
	vconsole_init(&vm->console, SHYPER_GUEST_UART_BASE, 32 + SHYPER_GUEST_UART_SPI);
	vgpio_init(&vm->gpio, SHYPER_GUEST_GPIO_BASE, 32 + SHYPER_GUEST_GPIO_SPI);
	vm->state = VM_STATE_DEFINED;
	*id = vm->id;
	pr_info("vm %u (%s) created: %u vCPUs, %lu MiB at 0x%lx", vm->id, vm->name,
		vm->vcpu_count, (unsigned long)(cfg->memory >> 20), pa);
out:
	spin_unlock(&lifecycle_lock);
	return rc;
}

static bool stopped(const struct vm *vm)
{
	return vm->state == VM_STATE_DEFINED || vm->state == VM_STATE_SHUTOFF ||
	       vm->state == VM_STATE_CRASHED;
}

int64_t vm_load(struct vm *vm, ipaddr_t dst, const struct vm *caller, ipaddr_t src, uint64_t len)
{
	void *to, *from;

	if (!stopped(vm))
		return SHYPER_E_BUSY;
	if (len == 0)
		return SHYPER_E_INVALID;
	to = guest_mem_ptr(vm, dst, len);
	from = guest_mem_ptr(caller, src, len);
	if (!to || !from)
		return SHYPER_E_BAD_ADDRESS;
	memcpy(to, from, len);
	return SHYPER_OK;
}

/* Make every vCPU of the VM fault to EL2 at its next memory access. */
static void stage2_suspend(struct vm *vm)
{
	if (vm->board.s2_suspended)
		return;
	/* The flag first: a vCPU that faults on the cut map must find it
	 * (vm_fault_retried), or it would be answered with an abort. */
	__atomic_store_n(&vm->board.s2_suspended, true, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pgtable_suspend(&vm->board.s2);
	arch_stage2_flush_vmid(vm->board.vmid);
}

static void stage2_resume(struct vm *vm)
{
	if (!vm->board.s2_suspended)
		return;
	pgtable_resume(&vm->board.s2);
	__atomic_store_n(&vm->board.s2_suspended, false, __ATOMIC_RELEASE);
}

/*
 * A guest whose state came from another board (vmstate_load): it goes on
 * where it stopped there. Its virtual counter continues from the value it
 * had (CNTVOFF makes this board's counter read that now), and so do the
 * RTC's counter values (loaded virtual) and its uptime. Mediated devices
 * are told to look at their queues: requests the guest made just before it
 * stopped are waiting in its rings.
 */
static int64_t start_loaded(struct vm *vm, bool paused)
{
	uint64_t now = arch_counter();

	vm->state_loaded = false;
	vm->board.cntvoff = now - vm->loaded_vcounter;
	vm->boot_counter = now - ns_to_ticks(vm->loaded_uptime_ns);
	if (vm->rtc.base) {
		if (vm->rtc.counter_at)
			vm->rtc.counter_at += vm->board.cntvoff;
		if (vm->rtc.alarm_at)
			vm->rtc.alarm_at += vm->board.cntvoff;
	}
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		vm->vcpus[i].reset_pending = false;
		vm->vcpus[i].blocked = 0;
		vm->vcpus[i].wake_at = 0;
	}
	if (paused) {
		/* As it was there: its vCPUs never run until it is resumed. */
		vm->paused_at = now;
		vm_set_state(vm, VM_STATE_PAUSED, SHYPER_STOP_BY_MVM);
		if (vm->type == VM_TYPE_RTVM)
			stage2_suspend(vm);
	} else {
		vm->paused_at = 0;
		vm_set_state(vm, VM_STATE_RUNNING, SHYPER_STOP_BY_MVM);
		virtio_vm_resumed(vm);
	}
	pr_info("vm %u (%s) resumed from another board%s (virtual counter 0x%lx)", vm->id,
		vm->name, paused ? ", paused" : "", (unsigned long)vm->loaded_vcounter);
	return SHYPER_OK;
}

/* May it start? Its vCPUs' pCPUs into PINS. */
static int64_t start_check(const struct vm *vm, uint8_t *pins)
{
	if (!stopped(vm))
		return SHYPER_E_BUSY;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (vm->vcpus[i].loaded)
			return SHYPER_E_BUSY; /* still leaving its pCPU */
		pins[i] = vm->vcpus[i].pcpu;
	}
	/* An RTVM's pCPUs must be free; nobody starts on a running RTVM's. */
	if (rt_start_check(vm))
		return SHYPER_E_BUSY;
	return SHYPER_OK;
}

int64_t vm_start(struct vm *vm)
{
	uint8_t pins[MAX_VCPUS];
	int64_t rc = start_check(vm, pins);

	if (rc)
		return rc;
	stage2_resume(vm);
	if (vm->state_loaded)
		return start_loaded(vm, false);
	vgic_vm_init(vm, SHYPER_GUEST_NR_SPIS);
	vm_vcpus_init(vm, pins);
	passthrough_vm_reset(vm);
	vconsole_reset(&vm->console);
	vgpio_reset(&vm->gpio);
	vrtc_reset(vm);
	virtio_vm_reset(vm);
	arch_vcpu_reset(&vm->vcpus[0], vm->entry, vm->dtb);
	vm->vcpus[0].power = VCPU_ON;
	vm->boot_counter = arch_counter();
	vm_set_state(vm, VM_STATE_RUNNING, SHYPER_STOP_BY_MVM);
	return SHYPER_OK;
}

int64_t vm_stop(struct vm *vm)
{
	if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_PAUSED)
		return SHYPER_E_BUSY;
	vm_set_state(vm, VM_STATE_SHUTOFF, SHYPER_STOP_BY_MVM);
	if (vm->type == VM_TYPE_RTVM)
		stage2_suspend(vm);
	return SHYPER_OK;
}

int64_t vm_shutdown(struct vm *vm)
{
	if (vm->state != VM_STATE_RUNNING)
		return SHYPER_E_BUSY;
	/* Like `virsh shutdown` on QEMU virt: the rest is up to the guest. */
	if (!vgpio_press(vm, SHYPER_GUEST_POWER_GPIO))
		return SHYPER_E_NOT_SUPPORTED; /* no power button (cannot happen for a guest) */
	pr_info("vm %u (%s): power button pressed", vm->id, vm->name);
	return SHYPER_OK;
}

int64_t vm_pause(struct vm *vm)
{
	/* A guest that came from another board where it was paused: started
	 * here as it was, paused, without running in between. */
	if (vm->state == VM_STATE_DEFINED && vm->state_loaded) {
		uint8_t pins[MAX_VCPUS];
		int64_t rc = start_check(vm, pins);

		if (rc)
			return rc;
		stage2_resume(vm);
		return start_loaded(vm, true);
	}
	if (vm->state != VM_STATE_RUNNING)
		return SHYPER_E_BUSY;
	vm->paused_at = arch_counter();
	vm_set_state(vm, VM_STATE_PAUSED, SHYPER_STOP_BY_MVM);
	if (vm->type == VM_TYPE_RTVM)
		stage2_suspend(vm);
	return SHYPER_OK;
}

int64_t vm_resume(struct vm *vm)
{
	if (vm->state != VM_STATE_PAUSED)
		return SHYPER_E_BUSY;
	/* A device SPI that fired while it was paused was masked at the real
	 * GIC (core/irq.c: nobody to take it): unmask what its guest enabled. */
	for (uint32_t i = 0; i < vm->vgic.nr_spis; i++)
		if (irq_spi_owner(VGIC_NR_PRIVATE + i) == vm->id &&
		    (vm->vgic.spi[i].flags & VIRQ_ENABLED))
			irqchip->set_enabled(VGIC_NR_PRIVATE + i, true);
	stage2_resume(vm);
	vm->paused_at = 0;
	vm_set_state(vm, VM_STATE_RUNNING, SHYPER_STOP_BY_MVM);
	virtio_vm_resumed(vm);
	return SHYPER_OK;
}

int64_t vm_destroy(struct vm *vm)
{
	const struct mem_region ram = vm->board.mem[0];
	uint16_t id = vm->id;

	if (!stopped(vm))
		return SHYPER_E_BUSY;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (!vm->vcpus[i].loaded)
			continue;
		/* Usually a vCPU on its way out (a guest that has just powered
		 * itself off): the caller tries again. One that does not leave
		 * faults out at its next access. Not a warning: only the log
		 * ring keeps it, the MVM's console is not cut into. */
		if (!vm->board.s2_suspended)
			pr_info("vm %u (%s): vcpu %u is still on pCPU %u: its stage-2 map is cut so "
				"that it leaves", id, vm->name, i, vm->vcpus[i].pcpu);
		stage2_suspend(vm);
		return SHYPER_E_BUSY;
	}
	vm_log_exits(vm);
	/* A migration that never finished leaves its log: it goes with the VM. */
	if (pa_addr(vm->board.dirty.bitmap))
		dirty_log_stop(vm);
	spin_lock(&lifecycle_lock);
	pgtable_destroy(&vm->board.s2);
	arch_stage2_flush_vmid(vm->board.vmid);
	/* Only now, with the guest's mappings gone, may the MVM have its devices. */
	passthrough_release(vm);
	memset(hv_ptr(ram.pa), 0, ram.size);
	galloc_free(&hv_state->pool, pa_addr(ram.pa), (uint32_t)(ram.size / BLOCK_2M));
	pr_info("vm %u (%s) destroyed", id, vm->name);
	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	vm->state = VM_STATE_FREE;
	spin_unlock(&lifecycle_lock);
	return SHYPER_OK;
}
