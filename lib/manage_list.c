// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * What users see of managed VMs (struct shyper_managed_vm): the hypervisor's
 * VMs and the store's definitions, joined by name. For a VM that is in the
 * hypervisor, what the hypervisor says of it wins over its definition, which
 * may have been replaced since the VM was started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shyper/domain.h>

#include "domain_internal.h"
#include "internal.h"
#include "manage_internal.h"

/* The hypervisor's VM called NAME into *INFO: 1 found, 0 none, or an error. */
int manage_hv_find(struct shyper *h, const char *name, struct shyper_vm_info *info)
{
	int rc = shyper_vm_info_by_name(h, name, info);

	if (rc == SHYPER_ERR_NO_ENTRY) {
		shyper_clear_error(h);
		return 0;
	}
	return rc ? rc : 1;
}

static void managed_from_def(struct shyper *h, const struct shyper_domain *dom,
			     struct shyper_managed_vm *vm)
{
	snprintf(vm->name, sizeof(vm->name), "%s", dom->name);
	memcpy(vm->uuid, dom->uuid, sizeof(vm->uuid));
	vm->defined = true;
	if (vm->active)
		return; /* what runs is the hypervisor's to say, not a newer definition's */
	vm->type = dom->type;
	vm->vcpu_count = dom->vcpu_count;
	vm->memory = dom->memory;
	for (unsigned int v = 0; v < dom->vcpu_count && v < SHYPER_MAX_VCPUS; v++)
		vm->vcpu_pcpu[v] = (uint8_t)shyper_domain_vcpu_pcpu(dom, v);
	vm->state = manage_has_run(h, dom->name) ? SHYPER_VM_SHUTOFF : SHYPER_VM_DEFINED;
}

static void managed_from_info(const struct shyper_vm_info *info, struct shyper_managed_vm *vm)
{
	vm->active = true;
	vm->info = *info;
	snprintf(vm->name, sizeof(vm->name), "%.*s", SHYPER_NAME_LEN - 1, info->name);
	vm->state = info->state;
	vm->type = info->type;
	vm->vcpu_count = info->vcpu_count;
	vm->memory = info->memory;
	memcpy(vm->vcpu_pcpu, info->vcpu_pcpu, sizeof(vm->vcpu_pcpu));
}

int shyper_managed_list(struct shyper *h, struct shyper_managed_vm **out, size_t *count)
{
	struct shyper_vm_info *vms = NULL;
	struct shyper_managed_vm *list;
	size_t hv_count = 0, def_count = 0, n = 0;
	char **names = NULL;
	int rc;

	shyper_clear_error(h);
	if (!out || !count)
		return shyper_fail(h, SHYPER_ERR_INVALID, "listing VMs: nowhere to put them");
	rc = shyper_vm_list(h, &vms, &hv_count);
	if (!rc)
		rc = manage_def_names(h, &names, &def_count);
	if (rc) {
		shyper_vm_list_free(vms);
		return rc;
	}
	list = calloc(hv_count + def_count + 1, sizeof(*list));
	if (!list) {
		rc = shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < hv_count; i++)
		managed_from_info(&vms[i], &list[n++]);
	for (size_t d = 0; d < def_count; d++) {
		struct shyper_managed_vm *vm = NULL;
		struct shyper_domain *dom;

		/* A definition that cannot be read is skipped, not fatal: the
		 * others are still worth listing. */
		if (manage_def_read(h, names[d], &dom)) {
			shyper_clear_error(h);
			continue;
		}
		for (size_t i = 0; i < hv_count; i++)
			if (!strcmp(list[i].name, dom->name))
				vm = &list[i];
		managed_from_def(h, dom, vm ? vm : &list[n++]);
		shyper_domain_free(dom);
	}
	*out = list;
	*count = n;
out:
	manage_names_free(names, def_count);
	shyper_vm_list_free(vms);
	return rc;
}

int shyper_managed_get(struct shyper *h, const char *name_or_id, struct shyper_managed_vm *vm)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_info info;
	int rc;

	shyper_clear_error(h);
	if (!name_or_id || !vm)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no VM given");
	memset(vm, 0, sizeof(*vm));
	/* A name wins over an id: 'vm start 0' then 'vm info 0' mean VM '0'. */
	rc = manage_hv_find(h, name_or_id, &info);
	if (rc < 0)
		return rc;
	if (rc == 0 && manage_name_ok(name_or_id) && manage_def_read(h, name_or_id, &dom) == 0) {
		managed_from_def(h, dom, vm);
		shyper_domain_free(dom);
		return 0;
	}
	shyper_clear_error(h);
	if (rc == 0)
		rc = shyper_vm_lookup(h, name_or_id, &info);
	else if (rc == 1)
		rc = 0;
	if (rc == 0) {
		managed_from_info(&info, vm);
		if (manage_name_ok(vm->name) && manage_def_read(h, vm->name, &dom) == 0)
			managed_from_def(h, dom, vm);
		shyper_clear_error(h);
		shyper_domain_free(dom);
		return 0;
	}
	if (rc != SHYPER_ERR_NO_ENTRY)
		return rc;
	rc = manage_def_read(h, name_or_id, &dom);
	if (rc == SHYPER_ERR_NO_ENTRY)
		return shyper_fail(h, rc, "no VM with id or name '%s'", name_or_id);
	if (rc)
		return rc;
	managed_from_def(h, dom, vm);
	shyper_domain_free(dom);
	return 0;
}
