// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for core/sched.c, for the unit tests of code that only tells
 * the scheduler about vCPUs (PSCI, the vGIC, hypercalls): it records whom
 * it was told about. tests/unit/test_sched.c links the real scheduler.
 */
#include "fake.h"
#include <hv/arch.h>

void sched_kick(struct vcpu *vcpu)
{
	fake_kick_count++;
	fake_last_kicked = vcpu;
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

void sched_park(void)
{
	struct pcpu *self = this_pcpu();

	if (self->current)
		arch_vcpu_put(self->current);
	self->current = NULL;
	self->current_regs = NULL;
	self->need_resched = true;
}
