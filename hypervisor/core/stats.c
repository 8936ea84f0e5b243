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
#include <hv/vm.h>
#include <string.h>

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
	struct vcpu *vcpu = this_pcpu()->current;
	uint64_t now = arch_counter();

	s->exits++;
	s->el2_since = now;
	if (vcpu && vcpu->run_since) {
		vcpu->run_ticks += now - vcpu->run_since;
		vcpu->run_since = 0;
	}
}

void stats_guest_return(struct vcpu *vcpu)
{
	struct pcpu_stats *s = mine();
	uint64_t now = arch_counter();

	if (s->el2_since)
		s->el2_ticks += now - s->el2_since;
	s->el2_since = 0;
	vcpu->run_since = now;
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
	uint64_t el2, idle, since;
	struct vcpu *current = p->current;

	*out = (struct shyper_pcpu_stats){ .pcpu = pcpu, .vm_id = SHYPER_NO_VM };
	out->online = (hv_state->pcpu_online_mask & BIT(pcpu)) != 0;
	if (!out->online || !s->online_counter)
		return;
	out->exits = s->exits;
	out->irqs = s->irqs;
	out->ipis = s->ipis;
	/* A stretch still going on counts up to now: a pCPU asleep for a
	 * minute is idle for that minute, not only once it wakes. */
	el2 = s->el2_ticks;
	idle = s->idle_ticks;
	since = s->el2_since;
	if (since && since < now)
		el2 += now - since;
	since = s->idle_since;
	if (since && since < now)
		idle += now - since;
	out->el2_ns = ticks_to_ns(el2);
	out->idle_ns = ticks_to_ns(idle);
	out->online_ns = ticks_to_ns(now - s->online_counter);
	if (current) {
		out->vm_id = current->vm_id;
		out->vcpu = current->index;
	}
}

uint64_t stats_vcpu_run_ticks(const struct vcpu *vcpu, uint64_t now)
{
	uint64_t ticks = vcpu->run_ticks, since = vcpu->run_since;

	/* In the guest now (an RTVM may stay there for good): up to now. */
	if (since && since < now)
		ticks += now - since;
	return ticks;
}

_Static_assert(MAX_VCPUS == SHYPER_MAX_VCPUS && VIRTIO_SLOTS == SHYPER_GUEST_VIRTIO_SLOTS,
	       "one VM's stats record holds every vCPU and virtio slot");

static uint32_t vdev_kind(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
		return SHYPER_DEV_VIRTIO_NET;
	case VIRTIO_ID_BLOCK:
		return SHYPER_DEV_VIRTIO_BLOCK;
	case VIRTIO_ID_CONSOLE:
		return SHYPER_DEV_VIRTIO_CONSOLE;
	case VIRTIO_ID_RNG:
		return SHYPER_DEV_VIRTIO_RNG;
	default:
		return 0;
	}
}

static uint32_t vcpu_run_state(const struct vm *vm, const struct vcpu *v)
{
	if (v->power == VCPU_OFF || (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_PAUSED))
		return SHYPER_VCPU_OFF;
	if (vm->state == VM_STATE_PAUSED)
		return SHYPER_VCPU_PAUSED;
	return __atomic_load_n(&v->blocked, __ATOMIC_RELAXED) ? SHYPER_VCPU_BLOCKED
							       : SHYPER_VCPU_RUNNING;
}

void stats_vm_fill(const struct vm *vm, struct shyper_vm_stats *out)
{
	uint64_t now = arch_counter();

	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->id = vm->id;
	out->state = vm->state;
	out->vcpu_count = vm->vcpu_count;
	if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED)
		out->uptime_ns = ticks_to_ns(now - vm->boot_counter);
	for (unsigned i = 0; i < vm->vcpu_count && i < MAX_VCPUS; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		struct shyper_vcpu_stats *o = &out->vcpus[i];

		o->pcpu = v->pcpu;
		o->state = vcpu_run_state(vm, v);
		o->run_ns = ticks_to_ns(stats_vcpu_run_ticks(v, now));
		o->irqs = v->irqs;
		for (unsigned k = 0; k < EXIT_KINDS; k++)
			o->exits[k] = v->exits[k];
	}
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++) {
		const struct virtio_counts *c = &vm->virtio_counts[i];
		struct shyper_vdev_stats *o = &out->vdevs[i];

		o->slot = i;
		o->kind = vdev_kind(vm->virtio[i].device_id);
		if (!o->kind)
			continue;
		o->requests = c->requests;
		o->bytes_in = c->bytes_in;
		o->bytes_out = c->bytes_out;
	}
}
