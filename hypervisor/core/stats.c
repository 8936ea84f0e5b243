// SPDX-License-Identifier: GPL-2.0
/*
 * Per-pCPU counters (see hv/stats.h). Each pCPU writes only its own record;
 * readers (HV_STATS, on whatever pCPU the MVM calls from) may see a record
 * mid-update, which for monotonic counters read one by one costs at most
 * one event or a few ticks of accuracy.
 */
#include <hv/arch.h>
#include <hv/pcpu.h>
#include <hv/state.h>
#include <hv/stats.h>

static struct pcpu_stats *mine(void)
{
	return &hv_state->pcpu_stats[arch_cpu_index()];
}

void stats_pcpu_online(unsigned pcpu)
{
	struct pcpu_stats *s = &hv_state->pcpu_stats[pcpu];
	uint64_t now = arch_counter();

	s->online_counter = now;
	s->el2_since = now;
	s->idle_since = 0;
}

void stats_exit_begin(void)
{
	struct pcpu_stats *s = mine();

	s->exits++;
	s->el2_since = arch_counter();
}

void stats_guest_return(void)
{
	struct pcpu_stats *s = mine();

	if (s->el2_since)
		s->el2_ticks += arch_counter() - s->el2_since;
	s->el2_since = 0;
}

void stats_idle_begin(void)
{
	struct pcpu_stats *s = mine();
	uint64_t now = arch_counter();

	if (s->el2_since)
		s->el2_ticks += now - s->el2_since;
	s->el2_since = 0;
	s->idle_since = now;
}

void stats_idle_end(void)
{
	struct pcpu_stats *s = mine();
	uint64_t now = arch_counter();

	if (s->idle_since)
		s->idle_ticks += now - s->idle_since;
	s->idle_since = 0;
	s->el2_since = now;
}

void stats_irq(bool ipi)
{
	struct pcpu_stats *s = mine();

	s->irqs++;
	if (ipi)
		s->ipis++;
}

uint64_t ns_to_ticks(uint64_t ns)
{
	uint64_t freq = arch_counter_freq();

	return ns / 1000000000ULL * freq + ns % 1000000000ULL * freq / 1000000000ULL;
}

uint64_t ticks_to_ns(uint64_t ticks)
{
	uint64_t freq = arch_counter_freq();

	if (!freq)
		return 0;
	/* Split so that a long uptime does not overflow the product. */
	return ticks / freq * 1000000000ULL + ticks % freq * 1000000000ULL / freq;
}

void stats_fill(unsigned pcpu, struct shyper_pcpu_stats *out)
{
	const struct pcpu_stats *s = &hv_state->pcpu_stats[pcpu];
	const struct pcpu *p = pcpu_get(pcpu);
	uint64_t now = arch_counter();
	struct vcpu *current = p->current;

	*out = (struct shyper_pcpu_stats){ .pcpu = pcpu, .vm_id = SHYPER_NO_VM };
	out->online = (hv_state->pcpu_online_mask & BIT(pcpu)) != 0;
	if (!out->online || !s->online_counter)
		return;
	out->exits = s->exits;
	out->irqs = s->irqs;
	out->ipis = s->ipis;
	out->el2_ns = ticks_to_ns(s->el2_ticks);
	out->idle_ns = ticks_to_ns(s->idle_ticks);
	out->online_ns = ticks_to_ns(now - s->online_counter);
	if (current) {
		out->vm_id = current->vm_id;
		out->vcpu = current->index;
	}
}
