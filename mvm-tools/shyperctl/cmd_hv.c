// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl hv info | log: the hypervisor itself.
 */
#include "shyperctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int shyperctl_hv_info(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_hv_info info;
	struct shyperctl_field f[] = {
		{ .key = "Hypervisor" },       { .key = "ABI version" },
		{ .key = "Board" },            { .key = "GIC version" },
		{ .key = "pCPUs" },            { .key = "Memory total" },
		{ .key = "Memory hypervisor" }, { .key = "Guest pool total" },
		{ .key = "Guest pool free" },  { .key = "VMs" },
		{ .key = "Uptime" },
	};
	int rc;

	(void)argc;
	(void)argv;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_hv_info(ctx->handle, &info);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json)
		return shyperctl_print_json(ctx, shyper_hv_info_to_json(&info));

	snprintf(f[0].value, sizeof(f[0].value), "Shyper %s", info.version);
	snprintf(f[1].value, sizeof(f[1].value), "%u.%u", info.abi_version >> 16,
		 info.abi_version & 0xffff);
	snprintf(f[2].value, sizeof(f[2].value), "%s", info.board);
	snprintf(f[3].value, sizeof(f[3].value), "GICv%u", info.gic_version);
	snprintf(f[4].value, sizeof(f[4].value), "%u", info.pcpu_count);
	shyperctl_format_bytes(f[5].value, sizeof(f[5].value), info.mem_total);
	shyperctl_format_bytes(f[6].value, sizeof(f[6].value), info.mem_hypervisor);
	shyperctl_format_bytes(f[7].value, sizeof(f[7].value), info.pool_total);
	shyperctl_format_bytes(f[8].value, sizeof(f[8].value), info.pool_free);
	snprintf(f[9].value, sizeof(f[9].value), "%u (at most %u)", info.vm_count, info.vm_max);
	shyperctl_format_duration(f[10].value, sizeof(f[10].value), info.uptime_ns);
	shyperctl_print_fields(ctx->out, f, ARRAY_SIZE(f));
	return SHYPERCTL_EXIT_OK;
}

int shyperctl_hv_log(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_log log;
	int rc;

	(void)argc;
	(void)argv;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_hv_log(ctx->handle, &log);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json) {
		rc = shyperctl_print_json(ctx, shyper_log_to_json(&log));
	} else {
		fwrite(log.text, 1, log.len, ctx->out);
		if (log.len && log.text[log.len - 1] != '\n')
			fputc('\n', ctx->out);
		if (log.lost)
			fprintf(ctx->err,
				"shyperctl: warning: %llu bytes were logged and overwritten while reading\n",
				(unsigned long long)log.lost);
		rc = SHYPERCTL_EXIT_OK;
	}
	shyper_log_free(&log);
	return rc;
}
