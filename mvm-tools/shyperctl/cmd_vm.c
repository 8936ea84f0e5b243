// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl vm list | info: the virtual machines.
 */
#include <stdlib.h>

#include "shyperctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int shyperctl_vm_list(struct shyperctl *ctx, int argc, char **argv)
{
	static const char *const headers[] = { "ID", "NAME", "TYPE", "STATE", "VCPUS", "MEMORY" };
	struct shyper_vm_info *vms;
	struct shyperctl_row *rows;
	size_t count;
	int rc;

	(void)argc;
	(void)argv;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_vm_list(ctx->handle, &vms, &count);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json) {
		rc = shyperctl_print_json(ctx, shyper_vm_list_to_json(vms, count));
		shyper_vm_list_free(vms);
		return rc;
	}
	rows = calloc(count ? count : 1, sizeof(*rows));
	if (!rows) {
		shyper_vm_list_free(vms);
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		char(*cell)[SHYPERCTL_CELL_LEN] = rows[i].cell;

		snprintf(cell[0], SHYPERCTL_CELL_LEN, "%u", vms[i].id);
		snprintf(cell[1], SHYPERCTL_CELL_LEN, "%s", vms[i].name);
		snprintf(cell[2], SHYPERCTL_CELL_LEN, "%s", shyper_vm_type_name(vms[i].type));
		snprintf(cell[3], SHYPERCTL_CELL_LEN, "%s", shyper_vm_state_name(vms[i].state));
		snprintf(cell[4], SHYPERCTL_CELL_LEN, "%u", vms[i].vcpu_count);
		shyperctl_format_bytes(cell[5], SHYPERCTL_CELL_LEN, vms[i].memory);
	}
	shyperctl_print_table(ctx->out, headers, "rlllrr", (int)ARRAY_SIZE(headers), rows, count);
	free(rows);
	shyper_vm_list_free(vms);
	return SHYPERCTL_EXIT_OK;
}

int shyperctl_vm_info(struct shyperctl *ctx, int argc, char **argv)
{
	static const char *const vcpu_keys[SHYPER_MAX_VCPUS] = {
		"vCPU 0", "vCPU 1", "vCPU 2", "vCPU 3", "vCPU 4", "vCPU 5", "vCPU 6", "vCPU 7",
	};
	struct shyperctl_field f[8 + SHYPER_MAX_VCPUS] = {
		{ .key = "ID" },     { .key = "Name" },   { .key = "Type" },
		{ .key = "State" },  { .key = "vCPUs" },  { .key = "Memory" },
		{ .key = "Uptime" }, { .key = "Exits" },
	};
	struct shyper_vm_info info;
	size_t n = 8;
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_vm_lookup(ctx->handle, argv[0], &info);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json)
		return shyperctl_print_json(ctx, shyper_vm_info_to_json(&info));

	snprintf(f[0].value, sizeof(f[0].value), "%u", info.id);
	snprintf(f[1].value, sizeof(f[1].value), "%s", info.name);
	snprintf(f[2].value, sizeof(f[2].value), "%s", shyper_vm_type_name(info.type));
	snprintf(f[3].value, sizeof(f[3].value), "%s", shyper_vm_state_name(info.state));
	snprintf(f[4].value, sizeof(f[4].value), "%u", info.vcpu_count);
	shyperctl_format_bytes(f[5].value, sizeof(f[5].value), info.memory);
	if (info.state == SHYPER_VM_RUNNING || info.state == SHYPER_VM_PAUSED)
		shyperctl_format_duration(f[6].value, sizeof(f[6].value), info.uptime_ns);
	else
		snprintf(f[6].value, sizeof(f[6].value), "-");
	snprintf(f[7].value, sizeof(f[7].value), "%llu", (unsigned long long)info.exits);
	for (uint32_t i = 0; i < info.vcpu_count && i < SHYPER_MAX_VCPUS; i++, n++) {
		f[n].key = vcpu_keys[i];
		snprintf(f[n].value, sizeof(f[n].value), "pCPU %u", info.vcpu_pcpu[i]);
	}
	shyperctl_print_fields(ctx->out, f, n);
	return SHYPERCTL_EXIT_OK;
}
