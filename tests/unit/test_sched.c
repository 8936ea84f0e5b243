// SPDX-License-Identifier: GPL-2.0
/*
 * The pCPU scheduler (core/sched.c) with the fake arch: a pCPU with one
 * vCPU runs it untouched; vCPUs sharing a pCPU take turns, block in WFI,
 * and wake on interrupts and on their timers.
 */
#include <stdlib.h>
#include <hv/irq.h>
#include <hv/sched.h>
#include <hv/state.h>
#include <hv/stats.h>
#include <hv/vgic.h>
#include "unit.h"

static struct vm *mvm, *gvm;
static struct vcpu *m0, *m1, *g0;

void guest_enter(struct vcpu_regs *regs)
{
	(void)regs;
	fail_msg("guest_enter is not used by these tests");
	abort();
}

static void vcpu_setup(struct vm *vm, struct vcpu *v, unsigned index, unsigned pcpu)
{
	v->vm_id = vm->id;
	v->index = (uint8_t)index;
	v->pcpu = (uint8_t)pcpu;
	v->power = VCPU_ON;
	vgic_vcpu_init(v);
	v->vgic.sleeping = false;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	mvm = &hv_state->vms[0];
	mvm->type = VM_TYPE_MVM;
	mvm->state = VM_STATE_RUNNING;
	mvm->vcpu_count = 2;
	vgic_vm_init(mvm, 32);
	mvm->vgic.ctlr = 2; /* group 1 enabled */
	m0 = &mvm->vcpus[0];
	m1 = &mvm->vcpus[1];
	vcpu_setup(mvm, m0, 0, 0);
	vcpu_setup(mvm, m1, 1, 1);

	gvm = &hv_state->vms[2];
	gvm->type = VM_TYPE_GVM;
	gvm->state = VM_STATE_DEFINED; /* not running until a test starts it */
	gvm->vcpu_count = 1;
	vgic_vm_init(gvm, 32);
	gvm->vgic.ctlr = 2;
	g0 = &gvm->vcpus[0];
	vcpu_setup(gvm, g0, 0, 0); /* shares pCPU 0 with m0 */
	this_pcpu()->need_resched = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_state_free();
	return 0;
}

static struct vcpu *resume(void)
{
	struct vcpu_regs *r = sched_resume();

	assert_ptr_equal(r, &this_pcpu()->current->regs);
	return this_pcpu()->current;
}

static void test_alone_runs_untouched(void **state)
{
	(void)state;
	assert_ptr_equal(resume(), m0);
	assert_true(m0->loaded);
	/* One vCPU on the pCPU: no tick. WFI traps all the same, so that
	 * the time it sleeps is not counted as time in the guest. */
	assert_int_equal(fake_hyp_timer[0], 0);
	assert_true(fake_wfi_trapped[0]);
	/* The fast path: nothing changed, nothing reloaded. */
	for (int i = 0; i < 5; i++)
		assert_ptr_equal(resume(), m0);
	assert_int_equal(fake_vcpu_loads, 1);
	assert_int_equal(fake_vcpu_puts, 0);
}

static void test_shared_pcpu_round_robin(void **state)
{
	(void)state;
	gvm->state = VM_STATE_RUNNING;
	assert_ptr_equal(resume(), m0);
	/* Two on the pCPU: a slice is armed and WFI traps. */
	assert_true(fake_hyp_timer[0] > 0);
	assert_true(fake_wfi_trapped[0]);
	/* Without a tick the same vCPU stays. */
	assert_ptr_equal(resume(), m0);
	/* The tick: the other one's turn, then back. */
	sched_tick();
	assert_ptr_equal(resume(), g0);
	assert_false(m0->loaded);
	assert_true(g0->loaded);
	sched_tick();
	assert_ptr_equal(resume(), m0);
	assert_int_equal(fake_vcpu_puts, 2);
}

static void test_wfi_blocks_until_interrupt(void **state)
{
	(void)state;
	gvm->state = VM_STATE_RUNNING;
	assert_ptr_equal(resume(), m0);
	/* m0 waits for an interrupt with none pending: g0 runs instead. */
	sched_wfi(m0);
	assert_true(m0->blocked);
	assert_ptr_equal(resume(), g0);
	/* g0 alone is runnable: no slice needed while m0 sleeps. */
	sched_tick();
	assert_ptr_equal(resume(), g0);
	/* An interrupt for m0 wakes it; it gets its turn at the next choice. */
	vgic_inject(m0, 1, false);
	assert_false(m0->blocked);
	assert_true(this_pcpu()->need_resched);
	assert_ptr_equal(resume(), m0);
}

static void test_wfi_with_pending_does_not_block(void **state)
{
	(void)state;
	gvm->state = VM_STATE_RUNNING;
	assert_ptr_equal(resume(), m0);
	vgic_inject(m0, 2, false); /* queued (SGI 2 is enabled at reset) */
	sched_wfi(m0);
	assert_false(m0->blocked);
	assert_ptr_equal(resume(), m0);
}

static void test_timer_wakes_blocked_vcpu(void **state)
{
	uint64_t due;

	(void)state;
	gvm->state = VM_STATE_RUNNING;
	assert_ptr_equal(resume(), m0);
	/* m0 sleeps with its virtual timer armed 1 ms ahead. */
	due = fake_counter_now + 62500;
	m0->sys.cntv_ctl = 1;
	m0->sys.cntv_cval = due;
	sched_wfi(m0);
	assert_ptr_equal(resume(), g0);
	/* The hypervisor timer is set to wake it (g0 alone needs no slice). */
	assert_int_equal(fake_hyp_timer[0], due);
	/* Time passes; the timer interrupt makes the scheduler look again. */
	fake_counter_now = due + 10;
	sched_tick();
	assert_ptr_equal(resume(), m0);
	assert_false(m0->blocked);
	assert_int_equal(m0->wake_at, 0);
}

static void test_idle_until_woken(void **state)
{
	(void)state;
	assert_ptr_equal(resume(), m0);
	sched_wfi(m0);
	/* Nobody else to run: the pCPU idles, serving interrupts, until m0
	 * has one: a device interrupt of its VM (routed to its vCPU 0). */
	irq_assign_spi(33, mvm->id);
	fake_irq_raise(33);
	assert_ptr_equal(resume(), m0);
	assert_int_equal(fake_wfi_calls, 1);
	assert_int_equal(fake_eoi_count, 1);
}

static void test_stopped_vm_leaves_pcpu(void **state)
{
	(void)state;
	gvm->state = VM_STATE_RUNNING;
	assert_ptr_equal(resume(), m0);
	/* The MVM stops (crash): its vCPU is put and the guest gets the pCPU. */
	mvm->state = VM_STATE_CRASHED;
	sched_kick(m0);
	assert_ptr_equal(resume(), g0);
	assert_false(m0->loaded);
	/* Alone again: no slice. */
	assert_int_equal(fake_hyp_timer[0], 0);
}

/* An RTVM with its pCPU to itself runs WFI natively: its interrupts never
 * wait for EL2. Sharing the pCPU, it traps like any other. */
static void test_rtvm_alone_runs_wfi_natively(void **state)
{
	(void)state;
	gvm->type = VM_TYPE_RTVM;
	g0->pcpu = 2;
	gvm->state = VM_STATE_RUNNING;
	fake_cpu = 2;
	this_pcpu()->need_resched = true;
	assert_ptr_equal(resume(), g0);
	assert_false(fake_wfi_trapped[2]);
	assert_int_equal(fake_hyp_timer[2], 0);
	m1->pcpu = 2;
	this_pcpu()->need_resched = true;
	resume();
	assert_true(fake_wfi_trapped[2]);
}

/* A vCPU's time in its guest runs from entry to the next exit; a stretch
 * still going on counts when read, sleeping in WFI does not. */
static void test_run_time_counts_only_the_guest(void **state)
{
	struct shyper_vm_stats st;
	const uint64_t ms = 62500000 / 1000;
	uint64_t before;

	(void)state;
	assert_ptr_equal(resume(), m0);
	fake_counter_now += 5 * ms;
	stats_exit_begin();
	assert_in_range(m0->run_ticks, 5 * ms, 5 * ms + 1000);
	before = m0->run_ticks;
	fake_counter_now += 3 * ms; /* at EL2: not the guest's */
	sched_wfi(m0);
	stats_vm_fill(mvm, &st);
	assert_int_equal(st.vcpus[0].state, SHYPER_VCPU_BLOCKED);
	/* It sleeps until its interrupt; then back in the guest. */
	irq_assign_spi(33, mvm->id);
	fake_irq_raise(33);
	assert_ptr_equal(resume(), m0);
	assert_int_equal(m0->run_ticks, before);
	assert_true(m0->run_since != 0);
	fake_counter_now += 7 * ms;
	stats_vm_fill(mvm, &st);
	assert_in_range(st.vcpus[0].run_ns, 12000000, 12100000);
	assert_int_equal(st.vcpus[0].state, SHYPER_VCPU_RUNNING);
	assert_int_equal(st.vcpus[1].state, SHYPER_VCPU_RUNNING);
	assert_int_equal(st.vcpu_count, 2);
}

static void test_kick_here_and_elsewhere(void **state)
{
	(void)state;
	assert_ptr_equal(resume(), m0);
	/* A vCPU of this pCPU: it chooses again before returning to a guest. */
	sched_kick(m0);
	assert_true(this_pcpu()->need_resched);
	assert_int_equal(fake_ipi_count[1], 0);
	/* A vCPU of another pCPU: that one is interrupted. */
	sched_kick(m1);
	assert_int_equal(fake_ipi_count[1], 1);
	assert_int_equal(fake_ipi_reasons[1], IPI_KICK);
}

/* An interrupt for a vCPU that runs on another pCPU only needs that pCPU
 * to exit (its list registers are filled on the way back in): a flush,
 * not a request to schedule again. A blocked one is woken instead. */
static void test_interrupt_elsewhere_is_a_flush(void **state)
{
	(void)state;
	assert_ptr_equal(resume(), m0);
	vgic_inject(m1, 1, false);
	assert_int_equal(fake_ipi_count[1], 1);
	assert_int_equal(fake_ipi_reasons[1], IPI_FLUSH);
}

static void test_cpu_on_pending_becomes_on(void **state)
{
	(void)state;
	fake_cpu = 1;
	this_pcpu()->need_resched = true;
	m1->power = VCPU_ON_PENDING;
	m1->reset_pending = true;
	assert_ptr_equal(resume(), m1);
	assert_int_equal(m1->power, VCPU_ON);
	assert_false(m1->reset_pending);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alone_runs_untouched),
		T(test_shared_pcpu_round_robin),
		T(test_wfi_blocks_until_interrupt),
		T(test_wfi_with_pending_does_not_block),
		T(test_timer_wakes_blocked_vcpu),
		T(test_idle_until_woken),
		T(test_stopped_vm_leaves_pcpu),
		T(test_kick_here_and_elsewhere),
		T(test_interrupt_elsewhere_is_a_flush),
		T(test_cpu_on_pending_becomes_on),
		T(test_rtvm_alone_runs_wfi_natively),
		T(test_run_time_counts_only_the_guest),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
