// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl hv info | stats | log: the hypervisor itself.
 */
#include <stdlib.h>

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
		{ .key = "Uptime" },           { .key = "Build id" },
		{ .key = "State layout" },
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
	shyper_build_id_text(&info, f[11].value, sizeof(f[11].value));
	snprintf(f[12].value, sizeof(f[12].value), "version %u", info.state_version);
	/* A hypervisor older than ABI 1.7 has no state layout to show. */
	shyperctl_print_fields(ctx->out, f, info.state_version ? ARRAY_SIZE(f) : ARRAY_SIZE(f) - 1);
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

/* PART of WHOLE as "12.3%" ("-" when WHOLE is 0). */
static void percent(char *out, size_t size, uint64_t part, uint64_t whole)
{
	if (!whole) {
		snprintf(out, size, "-");
		return;
	}
	if (part > whole)
		part = whole;
	snprintf(out, size, "%.1f%%", (double)part * 100.0 / (double)whole);
}

int shyperctl_hv_stats(struct shyperctl *ctx, int argc, char **argv)
{
	static const char *const headers[] = { "PCPU", "RUNS", "EXITS", "IRQS", "IPIS",
					       "EL2", "IDLE", "GUESTS" };
	struct shyper_pcpu_stats *stats;
	struct shyperctl_row *rows;
	size_t count;
	int rc;

	(void)argc;
	(void)argv;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_hv_stats(ctx->handle, &stats, &count);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json) {
		rc = shyperctl_print_json(ctx, shyper_hv_stats_to_json(stats, count));
		free(stats);
		return rc;
	}
	rows = calloc(count ? count : 1, sizeof(*rows));
	if (!rows) {
		free(stats);
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		const struct shyper_pcpu_stats *s = &stats[i];
		struct shyperctl_row *r = &rows[i];
		uint64_t busy = s->el2_ns + s->idle_ns;

		snprintf(r->cell[0], sizeof(r->cell[0]), "%u", s->pcpu);
		if (!s->online)
			snprintf(r->cell[1], sizeof(r->cell[1]), "(offline)");
		else if (s->vm_id == SHYPER_NO_VM)
			snprintf(r->cell[1], sizeof(r->cell[1]), "-");
		else
			snprintf(r->cell[1], sizeof(r->cell[1]), "VM %u vCPU %u", s->vm_id, s->vcpu);
		snprintf(r->cell[2], sizeof(r->cell[2]), "%llu", (unsigned long long)s->exits);
		snprintf(r->cell[3], sizeof(r->cell[3]), "%llu", (unsigned long long)s->irqs);
		snprintf(r->cell[4], sizeof(r->cell[4]), "%llu", (unsigned long long)s->ipis);
		percent(r->cell[5], sizeof(r->cell[5]), s->el2_ns, s->online_ns);
		percent(r->cell[6], sizeof(r->cell[6]), s->idle_ns, s->online_ns);
		percent(r->cell[7], sizeof(r->cell[7]), s->online_ns > busy ? s->online_ns - busy : 0,
			s->online_ns);
	}
	shyperctl_print_table(ctx->out, headers, "rlrrrrrr", 8, rows, count);
	free(rows);
	free(stats);
	return SHYPERCTL_EXIT_OK;
}
