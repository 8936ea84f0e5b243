// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Counters and rates for monitors (shyperctl vm stats / hv stats, shyper-top):
 * one sample of the board in a fixed number of calls, and the rates between
 * two samples, computed here once so that every tool says the same thing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

int shyper_vm_stats(struct shyper *h, struct shyper_vm_stats **stats, size_t *count)
{
	const char *what = "reading the VMs' counters";
	struct shyper_ioc_vm_stats req = { .max = SHYPER_VM_STATS_MAX };
	struct shyper_vm_stats *all;
	uint32_t written;
	int rc;

	shyper_clear_error(h);
	all = calloc(SHYPER_VM_STATS_MAX, sizeof(*all));
	if (!all)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "%s: out of memory", what);
	req.buf = (uint64_t)(uintptr_t)all;
	rc = shyper_call(h, SHYPER_IOC_VM_STATS, &req, what);
	if (rc == SHYPER_ERR_NOT_SUPPORTED)
		rc = shyper_fail(h, rc, "%s: the hypervisor or module is older than ABI 1.10", what);
	written = req.count < SHYPER_VM_STATS_MAX ? req.count : SHYPER_VM_STATS_MAX;
	/* Each record must be a whole one of a VM, in id order, each id once. */
	for (uint32_t i = 0; !rc && i < written; i++) {
		const struct shyper_vm_stats *s = &all[i];

		if (s->size < sizeof(*s) || s->vcpu_count > SHYPER_MAX_VCPUS ||
		    (i && s->id <= all[i - 1].id))
			rc = shyper_fail(h, SHYPER_ERR_PROTOCOL, "%s: record %u does not make sense",
					 what, i);
	}
	if (rc) {
		free(all);
		return rc;
	}
	*stats = all;
	*count = written;
	return 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void shyper_sample_free(struct shyper_sample *sample)
{
	if (!sample)
		return;
	free(sample->pcpus);
	shyper_vm_list_free(sample->vms);
	free(sample->stats);
	memset(sample, 0, sizeof(*sample));
}

int shyper_sample_take(struct shyper *h, struct shyper_sample *sample)
{
	struct shyper_sample s = { 0 };
	struct shyper_vm_stats *stats = NULL;
	size_t stats_count = 0, k = 0;
	int rc;

	s.taken_ns = monotonic_ns();
	rc = shyper_hv_info(h, &s.hv);
	if (!rc)
		rc = shyper_hv_stats(h, &s.pcpus, &s.pcpu_count);
	if (!rc)
		rc = shyper_vm_list(h, &s.vms, &s.vm_count);
	if (!rc)
		rc = shyper_vm_stats(h, &stats, &stats_count);
	if (!rc) {
		s.stats = calloc(s.vm_count ? s.vm_count : 1, sizeof(*s.stats));
		if (!s.stats)
			rc = shyper_fail(h, SHYPER_ERR_NO_MEMORY, "taking a sample: out of memory");
	}
	/* Both lists are in id order: pair them up. A VM that came or went
	 * between the two reads has no counters in this sample. */
	for (size_t i = 0; !rc && i < s.vm_count; i++) {
		while (k < stats_count && stats[k].id < s.vms[i].id)
			k++;
		if (k < stats_count && stats[k].id == s.vms[i].id)
			s.stats[i] = stats[k];
	}
	free(stats);
	if (rc) {
		shyper_sample_free(&s);
		return rc;
	}
	*sample = s;
	return 0;
}

const struct shyper_vm_stats *shyper_sample_vm_stats(const struct shyper_sample *s, uint32_t id)
{
	for (size_t i = 0; s && i < s->vm_count; i++)
		if (s->vms[i].id == id)
			return s->stats[i].size ? &s->stats[i] : NULL;
	return NULL;
}

/* A counter's rate per second over NS nanoseconds; 0 when it went back. */
static double rate(uint64_t before, uint64_t now, uint64_t ns)
{
	if (!ns || now < before)
		return 0.0;
	return (double)(now - before) * 1e9 / (double)ns;
}

/* Percent of NS that a time counter grew by. */
static double percent(uint64_t before, uint64_t now, uint64_t ns)
{
	return rate(before, now, ns) / 1e7;
}

static uint64_t exits_of(const struct shyper_vcpu_stats *v)
{
	uint64_t n = 0;

	for (unsigned k = 0; k < SHYPER_EXIT_KINDS; k++)
		n += v->exits[k];
	return n;
}

/* The same VM in both samples: same id, name and type, and counters that
 * did not start over (a VM destroyed and created again under the same
 * name has less run time than before). */
static const struct shyper_vm_stats *earlier(const struct shyper_sample *prev,
					     const struct shyper_vm_info *info,
					     const struct shyper_vm_stats *now)
{
	for (size_t i = 0; prev && i < prev->vm_count; i++) {
		const struct shyper_vm_info *p = &prev->vms[i];
		const struct shyper_vm_stats *ps = &prev->stats[i];

		if (p->id != info->id)
			continue;
		if (!ps->size || p->type != info->type || ps->vcpu_count != now->vcpu_count ||
		    strncmp(p->name, info->name, sizeof(p->name)))
			return NULL;
		for (uint32_t v = 0; v < now->vcpu_count && v < SHYPER_MAX_VCPUS; v++)
			if (now->vcpus[v].run_ns < ps->vcpus[v].run_ns)
				return NULL;
		return ps;
	}
	return NULL;
}

static void vm_rates(const struct shyper_sample *prev, const struct shyper_sample *cur, size_t i,
		     struct shyper_vm_rates *r)
{
	const struct shyper_vm_stats *now = &cur->stats[i];
	const struct shyper_vm_stats *was = NULL;
	uint64_t ns = 0;

	memset(r, 0, sizeof(*r));
	r->id = cur->vms[i].id;
	if (!now->size) {
		r->fresh = true;
		return;
	}
	if (prev && cur->hv.uptime_ns > prev->hv.uptime_ns) {
		was = earlier(prev, &cur->vms[i], now);
		ns = cur->hv.uptime_ns - prev->hv.uptime_ns;
	}
	r->fresh = !was;
	r->vcpu_count = now->vcpu_count < SHYPER_MAX_VCPUS ? now->vcpu_count : SHYPER_MAX_VCPUS;
	for (uint32_t v = 0; v < r->vcpu_count; v++) {
		const struct shyper_vcpu_stats *n = &now->vcpus[v];
		struct shyper_vcpu_rates *o = &r->vcpus[v];

		o->pcpu = n->pcpu;
		o->state = n->state;
		if (!was)
			continue;
		o->cpu_pct = percent(was->vcpus[v].run_ns, n->run_ns, ns);
		o->irqs_per_s = rate(was->vcpus[v].irqs, n->irqs, ns);
		o->exits_per_s = rate(exits_of(&was->vcpus[v]), exits_of(n), ns);
		for (unsigned k = 0; k < SHYPER_EXIT_KINDS; k++)
			o->exit_kind_per_s[k] = rate(was->vcpus[v].exits[k], n->exits[k], ns);
		r->cpu_pct += o->cpu_pct;
		r->irqs_per_s += o->irqs_per_s;
		r->exits_per_s += o->exits_per_s;
	}
	for (unsigned d = 0; d < SHYPER_GUEST_VIRTIO_SLOTS; d++) {
		const struct shyper_vdev_stats *n = &now->vdevs[d];
		struct shyper_vdev_rates *o = &r->vdevs[d];

		o->kind = n->kind;
		o->slot = d;
		o->requests = n->requests;
		o->bytes_in = n->bytes_in;
		o->bytes_out = n->bytes_out;
		if (!was || !n->kind || was->vdevs[d].kind != n->kind)
			continue;
		o->requests_per_s = rate(was->vdevs[d].requests, n->requests, ns);
		o->in_bytes_per_s = rate(was->vdevs[d].bytes_in, n->bytes_in, ns);
		o->out_bytes_per_s = rate(was->vdevs[d].bytes_out, n->bytes_out, ns);
		if (n->kind == SHYPER_DEV_VIRTIO_BLOCK) {
			r->disk_read_bytes_per_s += o->in_bytes_per_s;
			r->disk_write_bytes_per_s += o->out_bytes_per_s;
		} else if (n->kind == SHYPER_DEV_VIRTIO_NET) {
			r->net_rx_bytes_per_s += o->in_bytes_per_s;
			r->net_tx_bytes_per_s += o->out_bytes_per_s;
		}
	}
}

static uint64_t guest_ns(const struct shyper_pcpu_stats *p)
{
	uint64_t busy = p->el2_ns + p->idle_ns;

	return p->online_ns > busy ? p->online_ns - busy : 0;
}

static void pcpu_rates(const struct shyper_sample *prev, const struct shyper_pcpu_stats *now,
		       struct shyper_pcpu_rates *r)
{
	const struct shyper_pcpu_stats *was = NULL;
	uint64_t ns;

	memset(r, 0, sizeof(*r));
	r->pcpu = now->pcpu;
	r->online = now->online != 0;
	r->vm_id = now->vm_id;
	r->vcpu = now->vcpu;
	for (size_t i = 0; prev && i < prev->pcpu_count; i++)
		if (prev->pcpus[i].pcpu == now->pcpu && prev->pcpus[i].online)
			was = &prev->pcpus[i];
	if (!was || !r->online || now->online_ns <= was->online_ns)
		return;
	/* Its own clock: online time is what the three parts add up to. */
	ns = now->online_ns - was->online_ns;
	r->guest_pct = percent(guest_ns(was), guest_ns(now), ns);
	r->el2_pct = percent(was->el2_ns, now->el2_ns, ns);
	r->idle_pct = percent(was->idle_ns, now->idle_ns, ns);
	r->exits_per_s = rate(was->exits, now->exits, ns);
	r->irqs_per_s = rate(was->irqs, now->irqs, ns);
}

void shyper_rates_compute(const struct shyper_sample *prev, const struct shyper_sample *cur,
			  struct shyper_vm_rates *vms, struct shyper_pcpu_rates *pcpus)
{
	if (!cur)
		return;
	for (size_t i = 0; vms && i < cur->vm_count; i++)
		vm_rates(prev, cur, i, &vms[i]);
	for (size_t i = 0; pcpus && i < cur->pcpu_count; i++)
		pcpu_rates(prev, &cur->pcpus[i], &pcpus[i]);
}

const char *shyper_vcpu_state_name(uint32_t state)
{
	switch (state) {
	case SHYPER_VCPU_OFF:
		return "off";
	case SHYPER_VCPU_RUNNING:
		return "running";
	case SHYPER_VCPU_BLOCKED:
		return "blocked";
	case SHYPER_VCPU_PAUSED:
		return "paused";
	default:
		return "unknown";
	}
}

const char *shyper_exit_kind_name(uint32_t kind)
{
	static const char *const names[SHYPER_EXIT_KINDS] = {
		[SHYPER_EXIT_HVC] = "hvc",       [SHYPER_EXIT_SMC] = "smc",
		[SHYPER_EXIT_DABT] = "dabt",     [SHYPER_EXIT_IABT] = "iabt",
		[SHYPER_EXIT_SYSREG] = "sysreg", [SHYPER_EXIT_WFX] = "wfx",
		[SHYPER_EXIT_IRQ] = "irq",       [SHYPER_EXIT_OTHER] = "other",
	};

	return kind < SHYPER_EXIT_KINDS ? names[kind] : "unknown";
}

const char *shyper_vdev_kind_name(uint32_t kind)
{
	switch (kind) {
	case SHYPER_DEV_VIRTIO_CONSOLE:
		return "console";
	case SHYPER_DEV_VIRTIO_BLOCK:
		return "disk";
	case SHYPER_DEV_VIRTIO_NET:
		return "net";
	case SHYPER_DEV_VIRTIO_RNG:
		return "rng";
	default:
		return "";
	}
}
