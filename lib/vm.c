// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * VM queries: the list, one VM by id, and lookups by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* First guess at the list's length; it grows to what the hypervisor says. */
#define VM_LIST_FIRST_GUESS 8
/* VMs may come and go between two list calls: try this often to agree. */
#define VM_LIST_ATTEMPTS 8

static int vm_info_check(struct shyper *h, const struct shyper_vm_info *info, const char *what)
{
	if (info->size < SHYPER_VM_INFO_SIZE_V1)
		return shyper_fail(h, SHYPER_ERR_PROTOCOL, "%s: VM record of %u bytes, expected at least %u",
				   what, info->size, SHYPER_VM_INFO_SIZE_V1);
	return 0;
}

static void vm_info_terminate(struct shyper_vm_info *info)
{
	info->name[sizeof(info->name) - 1] = '\0';
}

/*
 * More VMs than one VM_LIST call can return (the call has no start index):
 * ask each id below the hypervisor's VM maximum in turn.
 */
static int vm_list_by_id(struct shyper *h, struct shyper_vm_info **vms, size_t *count)
{
	struct shyper_hv_info hv;
	struct shyper_vm_info *list;
	size_t n = 0;
	int rc = shyper_hv_info(h, &hv);

	if (rc)
		return rc;
	list = calloc(hv.vm_max ? hv.vm_max : 1, sizeof(*list));
	if (!list)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "listing VMs: out of memory");
	for (uint32_t id = 0; id < hv.vm_max; id++) {
		rc = shyper_vm_info(h, id, &list[n]);
		if (rc == SHYPER_ERR_NO_ENTRY)
			continue;
		if (rc) {
			free(list);
			return rc;
		}
		n++;
	}
	shyper_clear_error(h);
	*vms = list;
	*count = n;
	return 0;
}

int shyper_vm_list(struct shyper *h, struct shyper_vm_info **vms, size_t *count)
{
	const char *what = "listing VMs";
	struct shyper_ioc_vm_list req;
	struct shyper_vm_info *list = NULL;
	uint32_t max = VM_LIST_FIRST_GUESS;
	int rc;

	shyper_clear_error(h);
	for (int attempt = 0; attempt < VM_LIST_ATTEMPTS; attempt++) {
		struct shyper_vm_info *bigger = realloc(list, (max ? max : 1) * sizeof(*list));

		if (!bigger) {
			free(list);
			return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "%s: out of memory", what);
		}
		list = bigger;
		memset(list, 0, max * sizeof(*list));
		memset(&req, 0, sizeof(req));
		req.buf = (uint64_t)(uintptr_t)list;
		req.max = max;
		rc = shyper_call(h, SHYPER_IOC_VM_LIST, &req, what);
		if (rc) {
			free(list);
			return rc;
		}
		if (req.count <= max) {
			for (uint32_t i = 0; i < req.count; i++) {
				rc = vm_info_check(h, &list[i], what);
				if (rc) {
					free(list);
					return rc;
				}
				vm_info_terminate(&list[i]);
			}
			*vms = list;
			*count = req.count;
			return 0;
		}
		if (req.count > SHYPER_VM_LIST_MAX) {
			free(list);
			return vm_list_by_id(h, vms, count);
		}
		max = req.count;
	}
	free(list);
	return shyper_fail(h, SHYPER_ERR_PROTOCOL, "%s: the number of VMs kept changing", what);
}

void shyper_vm_list_free(struct shyper_vm_info *vms)
{
	free(vms);
}

int shyper_vm_info(struct shyper *h, uint32_t id, struct shyper_vm_info *info)
{
	struct shyper_ioc_vm_info req;
	char what[48];
	int rc;

	shyper_clear_error(h);
	memset(&req, 0, sizeof(req));
	req.id = id;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_VM_INFO, &req);
	if (rc == -ENOENT)
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM with id %u", id);
	if (rc < 0) {
		snprintf(what, sizeof(what), "reading VM %u", id);
		return shyper_fail_errno(h, rc, what);
	}
	rc = vm_info_check(h, &req.info, "reading VM information");
	if (rc)
		return rc;
	vm_info_terminate(&req.info);
	*info = req.info;
	return 0;
}

int shyper_vm_info_by_name(struct shyper *h, const char *name, struct shyper_vm_info *info)
{
	struct shyper_vm_info *vms;
	size_t count;
	int rc = shyper_vm_list(h, &vms, &count);

	if (rc)
		return rc;
	rc = shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s'", name);
	for (size_t i = 0; i < count; i++) {
		if (strncmp(vms[i].name, name, SHYPER_NAME_LEN) == 0 &&
		    strlen(name) < SHYPER_NAME_LEN) {
			*info = vms[i];
			shyper_clear_error(h);
			rc = 0;
			break;
		}
	}
	shyper_vm_list_free(vms);
	return rc;
}

static int parse_vm_id(const char *text, uint32_t *id)
{
	uint64_t value = 0;

	if (!*text || strlen(text) > 10)
		return 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		value = value * 10 + (uint64_t)(*p - '0');
	}
	if (value > UINT32_MAX)
		return 0;
	*id = (uint32_t)value;
	return 1;
}

int shyper_vm_lookup(struct shyper *h, const char *name_or_id, struct shyper_vm_info *info)
{
	uint32_t id;
	int rc;

	if (parse_vm_id(name_or_id, &id)) {
		rc = shyper_vm_info(h, id, info);
		if (rc != SHYPER_ERR_NO_ENTRY)
			return rc;
		rc = shyper_vm_info_by_name(h, name_or_id, info);
		if (rc == SHYPER_ERR_NO_ENTRY)
			return shyper_fail(h, rc, "no VM with id or name '%s'", name_or_id);
		return rc;
	}
	return shyper_vm_info_by_name(h, name_or_id, info);
}
