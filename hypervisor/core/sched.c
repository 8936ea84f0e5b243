// SPDX-License-Identifier: GPL-2.0
/*
 * The pCPU scheduler. Every vCPU is pinned to one pCPU. A pCPU with a
 * single runnable vCPU just runs it, with no tick. When vCPUs share a pCPU
 * they take turns in round robin, SLICE_MS each.
 *
 * WFI traps, and a vCPU with nothing to do blocks until an interrupt is
 * injected for it or its virtual timer is due (the hypervisor's own timer
 * watches for that), while its pCPU sleeps at EL2. So the time a guest
 * really runs is known (SHYPER_HC_VM_STATS): an idle guest shows idle, not
 * busy. The one exception is an RTVM alone on its pCPU: its WFI runs
 * natively, so that an interrupt reaches it without a trip through EL2.
 *
 * Every exit ends in sched_resume(). Its fast path (same vCPU, nothing
 * changed) costs a few loads; anything that may change the choice sets
 * pcpu.need_resched: a kick from another pCPU, the tick, a blocking WFI.
 */
#include <hv/arch.h>
#include <hv/irq.h>
#include <hv/irqchip.h>
#include <hv/pcpu.h>
#include <hv/sched.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/update.h>
#include <hv/vgic.h>

#define SLICE_MS 10

static bool vcpu_assigned(const struct vcpu *vcpu)
{
	const struct vm *vm = vm_get(vcpu->vm_id);

	return vm && vm->state == VM_STATE_RUNNING && vcpu->power != VCPU_OFF;
}

static bool vcpu_runnable(const struct vcpu *vcpu)
{
	return vcpu_assigned(vcpu) && !__atomic_load_n(&vcpu->blocked, __ATOMIC_SEQ_CST);
}

/* Global order of vCPUs: VM id, then index. */
static struct vcpu *vcpu_at(unsigned slot)
{
	struct vm *vm = &hv_state->vms[slot / MAX_VCPUS];

	if (vm->state != VM_STATE_RUNNING || slot % MAX_VCPUS >= vm->vcpu_count)
		return NULL;
	return &vm->vcpus[slot % MAX_VCPUS];
}

static unsigned vcpu_slot(const struct vcpu *vcpu)
{
	return vcpu->vm_id * MAX_VCPUS + vcpu->index;
}

/* The next runnable vCPU of this pCPU after `after` (round robin), or NULL. */
static struct vcpu *pick_next(unsigned pcpu, const struct vcpu *after)
{
	const unsigned slots = MAX_VMS * MAX_VCPUS;
	unsigned start = after ? vcpu_slot(after) + 1 : 0;

	for (unsigned i = 0; i < slots; i++) {
		struct vcpu *v = vcpu_at((start + i) % slots);

		if (v && v->pcpu == pcpu && vcpu_runnable(v))
			return v;
	}
	return NULL;
}

/*
 * Wake blocked vCPUs whose timers are due; count this pCPU's vCPUs and find
 * the earliest wake-up still ahead. The pCPU of a guest's vCPU 0 also keeps
 * the time of its real-time clock's alarm.
 */
static unsigned scan(unsigned pcpu, uint64_t now, unsigned *runnable, uint64_t *next_wake)
{
	unsigned assigned = 0;

	*runnable = 0;
	*next_wake = 0;
	for (unsigned slot = 0; slot < MAX_VMS * MAX_VCPUS; slot++) {
		struct vcpu *v = vcpu_at(slot);

		if (!v || v->pcpu != pcpu || !vcpu_assigned(v))
			continue;
		assigned++;
		if (v->index == 0) {
			uint64_t alarm = vrtc_poll(vm_get(v->vm_id), now);

			if (alarm && (!*next_wake || alarm < *next_wake))
				*next_wake = alarm;
		}
		if (__atomic_load_n(&v->blocked, __ATOMIC_SEQ_CST) && v->wake_at) {
			if (v->wake_at <= now) {
				v->wake_at = 0;
				__atomic_store_n(&v->blocked, 0, __ATOMIC_SEQ_CST);
			} else if (!*next_wake || v->wake_at < *next_wake) {
				*next_wake = v->wake_at;
			}
		}
		if (vcpu_runnable(v))
			(*runnable)++;
	}
	return assigned;
}

static void vcpu_leave(struct pcpu *self)
{
	struct vcpu *old = self->current;

	const struct vm *vm = vm_get(old->vm_id);

	/* Stopped for good (not merely paused): release its interrupts. */
	if (!vcpu_assigned(old) && !(vm && vm->state == VM_STATE_PAUSED && old->power != VCPU_OFF))
		vgic_vcpu_reset_lrs(old);
	arch_vcpu_put(old);
	self->current = NULL;
	self->current_regs = NULL;
}

static void vcpu_enter(struct pcpu *self, struct vcpu *next)
{
	if (next->power == VCPU_ON_PENDING)
		next->power = VCPU_ON;
	self->current = next;
	self->current_regs = &next->regs;
	arch_vcpu_load(next);
	/* Its timer and PMU interrupts reach it directly (hardware-linked);
	 * an RTVM's physical private interrupts are as its guest set them. */
	if (vcpu_vm(next)->type == VM_TYPE_RTVM) {
		vgic_rt_sync_private(next);
	} else {
		irqchip->set_enabled(PPI_VIRT_TIMER, true);
		irqchip->set_enabled(PPI_PMU, true);
	}
}

/* Program the tick and the wake-ups; trap WFI unless an RTVM has the pCPU
 * to itself. */
static void arm_timer(struct pcpu *self, uint64_t now, unsigned assigned, unsigned runnable,
		      uint64_t next_wake)
{
	uint64_t deadline = next_wake;

	if (runnable > 1) {
		uint64_t slice_end = now + arch_counter_freq() * SLICE_MS / 1000;

		if (!deadline || slice_end < deadline)
			deadline = slice_end;
	}
	if (deadline)
		arch_hyp_timer_set(deadline);
	else
		arch_hyp_timer_cancel();
	if (self->current)
		arch_vcpu_trap_wfi(self->current,
				   assigned > 1 || vcpu_vm(self->current)->type != VM_TYPE_RTVM);
}

struct vcpu_regs *sched_resume(void)
{
	struct pcpu *self = this_pcpu();
	struct vcpu *cur = self->current, *next;
	unsigned assigned, runnable;
	uint64_t now, next_wake;

	if (cur && !self->need_resched && vcpu_runnable(cur) && !cur->reset_pending) {
		vgic_prepare_entry(cur);
		stats_guest_return(cur);
		return &cur->regs;
	}
	self->need_resched = false;
	if (update_requested()) {
		/* A live update stops every pCPU here: no lock held, vCPU put. */
		sched_park();
		update_wait_here(self);
		cur = NULL;
	}
	now = arch_counter();
	assigned = scan(self->index, now, &runnable, &next_wake);

	next = pick_next(self->index, cur);
	if (cur && next != cur && (next || !vcpu_runnable(cur) || cur->reset_pending))
		vcpu_leave(self);
	if (cur && next == NULL && vcpu_runnable(cur) && !cur->reset_pending)
		next = cur; /* the only runnable one: keep it */

	while (!next) {
		/* Nothing to run: sleep until an interrupt or the next timer wake-up. */
		if (next_wake)
			arch_hyp_timer_set(next_wake);
		stats_idle_begin();
		arch_wait_for_interrupt();
		stats_idle_end();
		irq_handle();
		update_wait_here(self);
		self->need_resched = false;
		now = arch_counter();
		assigned = scan(self->index, now, &runnable, &next_wake);
		next = pick_next(self->index, NULL);
	}
	if (next != self->current)
		vcpu_enter(self, next);
	arm_timer(self, now, assigned, runnable, next_wake);
	vgic_prepare_entry(next);
	stats_guest_return(next);
	return &next->regs;
}

void sched_park(void)
{
	struct pcpu *self = this_pcpu();

	if (self->current)
		vcpu_leave(self);
	arch_hyp_timer_cancel();
	self->need_resched = true;
}

void sched_start(void)
{
	this_pcpu()->need_resched = true;
	guest_enter(sched_resume());
}

void sched_kick(struct vcpu *vcpu)
{
	if (vcpu->pcpu == arch_cpu_index())
		this_pcpu()->need_resched = true;
	else
		pcpu_send_ipi(vcpu->pcpu, IPI_KICK);
}

void sched_wfi(struct vcpu *vcpu)
{
	struct pcpu *self = this_pcpu();

	/*
	 * Block unless something is already waiting. The flag goes up before
	 * the check, and injection queues before it looks at the flag: one of
	 * the two always sees the other, so no wake-up is lost.
	 */
	__atomic_store_n(&vcpu->blocked, 1, __ATOMIC_SEQ_CST);
	if (vgic_vcpu_has_pending(vcpu)) {
		__atomic_store_n(&vcpu->blocked, 0, __ATOMIC_SEQ_CST);
		return;
	}
	vcpu->wake_at = arch_vcpu_timer_deadline(vcpu);
	if (vcpu->wake_at && vcpu->wake_at <= arch_counter()) {
		vcpu->wake_at = 0;
		__atomic_store_n(&vcpu->blocked, 0, __ATOMIC_SEQ_CST);
		return;
	}
	self->need_resched = true;
}

void sched_wake(struct vcpu *vcpu)
{
	if (__atomic_exchange_n(&vcpu->blocked, 0, __ATOMIC_SEQ_CST))
		sched_kick(vcpu);
}

void sched_tick(void)
{
	this_pcpu()->need_resched = true;
}
