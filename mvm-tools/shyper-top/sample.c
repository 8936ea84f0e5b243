// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * One refresh: a sample of the board (four calls whatever the number of
 * VMs), the rates against the previous one, and the definitions that are
 * not running (read from the store only every few seconds: that is files
 * and XML, not a hypercall).
 */
#include <stdlib.h>
#include <string.h>

#include "top.h"

#define DEFINED_EVERY_NS (5ULL * 1000000000ULL)

static void defined_read(struct top *t)
{
	struct shyper_managed_vm *all = NULL;
	size_t count = 0, kept = 0;

	t->defined_read_ns = t->cur.taken_ns ? t->cur.taken_ns : 1;
	/* No store (or no access to it): the hypervisor's VMs are all there is. */
	if (shyper_managed_list(t->h, &all, &count))
		return;
	for (size_t i = 0; i < count; i++)
		if (!all[i].active)
			all[kept++] = all[i];
	free(t->defined);
	t->defined = all;
	t->defined_count = kept;
}

int top_refresh(struct top *t)
{
	struct shyper_vm_rates *vm_rates;
	struct shyper_pcpu_rates *pcpu_rates;
	struct shyper_sample s;
	int rc;

	rc = shyper_sample_take(t->h, &s);
	if (rc)
		return rc;
	vm_rates = calloc(s.vm_count ? s.vm_count : 1, sizeof(*vm_rates));
	pcpu_rates = calloc(s.pcpu_count ? s.pcpu_count : 1, sizeof(*pcpu_rates));
	if (!vm_rates || !pcpu_rates) {
		free(vm_rates);
		free(pcpu_rates);
		shyper_sample_free(&s);
		return shyper_set_error(t->h, SHYPER_ERR_NO_MEMORY, "out of memory");
	}
	shyper_sample_free(&t->prev);
	t->prev = t->cur;
	t->have_prev = t->prev.taken_ns != 0;
	t->cur = s;
	shyper_rates_compute(t->have_prev ? &t->prev : NULL, &t->cur, vm_rates, pcpu_rates);
	free(t->vm_rates);
	free(t->pcpu_rates);
	t->vm_rates = vm_rates;
	t->pcpu_rates = pcpu_rates;
	if (!t->defined_read_ns || t->cur.taken_ns - t->defined_read_ns >= DEFINED_EVERY_NS)
		defined_read(t);
	top_rows_build(t);
	return 0;
}

static bool in_hypervisor(const struct top *t, const char *name)
{
	for (size_t i = 0; i < t->cur.vm_count; i++)
		if (strncmp(t->cur.vms[i].name, name, SHYPER_NAME_LEN) == 0)
			return true;
	return false;
}

void top_rows_build(struct top *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->cur.vm_count && n < TOP_MAX_ROWS; i++, n++) {
		const struct shyper_vm_info *vm = &t->cur.vms[i];
		struct top_row *row = &t->rows[n];

		row->id = vm->id;
		snprintf(row->name, sizeof(row->name), "%.*s", SHYPER_NAME_LEN - 1, vm->name);
		row->type = vm->type;
		row->state = vm->state;
		row->vcpu_count = vm->vcpu_count;
		row->memory = vm->memory;
		row->uptime_ns = vm->uptime_ns;
		row->rates = &t->vm_rates[i];
		row->stats = t->cur.stats[i].size ? &t->cur.stats[i] : NULL;
	}
	for (size_t i = 0; i < t->defined_count && n < TOP_MAX_ROWS; i++) {
		const struct shyper_managed_vm *vm = &t->defined[i];
		struct top_row *row = &t->rows[n];

		if (in_hypervisor(t, vm->name))
			continue; /* started since the store was read */
		row->id = SHYPER_NO_VM;
		snprintf(row->name, sizeof(row->name), "%s", vm->name);
		row->type = vm->type;
		row->state = vm->state;
		row->vcpu_count = vm->vcpu_count;
		row->memory = vm->memory;
		row->uptime_ns = 0;
		row->rates = NULL;
		row->stats = NULL;
		n++;
	}
	t->row_count = n;
	top_sort(t->rows, n, t->sort_col, t->sort_reverse);
	t->sel = top_select_follow(t->rows, n, t->sel_id, t->sel_name, t->sel);
	if (n) {
		t->sel_id = t->rows[t->sel].id;
		memcpy(t->sel_name, t->rows[t->sel].name, sizeof(t->sel_name));
	}
}

const struct top_row *top_selected(const struct top *t)
{
	return t->row_count ? &t->rows[t->sel] : NULL;
}

const char *top_vm_name(const struct top *t, uint32_t id)
{
	for (size_t i = 0; i < t->cur.vm_count; i++)
		if (t->cur.vms[i].id == id)
			return t->cur.vms[i].name;
	return "";
}
