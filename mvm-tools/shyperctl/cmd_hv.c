// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl hv info | stats | log | update: the hypervisor itself.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		{ .key = "State layout" },      { .key = "Live updates" },
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
	if (info.update_count)
		snprintf(f[13].value, sizeof(f[13].value), "%u since boot (last pause %.3f ms)",
			 info.update_count, (double)info.last_update_pause_ns / 1e6);
	else
		snprintf(f[13].value, sizeof(f[13].value), "none since boot");
	if (info.size >= sizeof(info)) {
		char free_text[32];

		shyperctl_format_bytes(free_text, sizeof(free_text), info.mem_hypervisor_free);
		snprintf(f[6].value + strlen(f[6].value), sizeof(f[6].value) - strlen(f[6].value),
			 " (%s free)", free_text);
	}
	/* Older hypervisors: no state layout before ABI 1.7, no updates before 1.8. */
	shyperctl_print_fields(ctx->out, f, info.size >= sizeof(info) ? ARRAY_SIZE(f)
					    : info.state_version ? ARRAY_SIZE(f) - 1 : ARRAY_SIZE(f) - 2);
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

/* The board's pCPUs and their counters, for hv stats: no VM is asked
 * about, so this works with any 1.6 hypervisor. */
static int pcpu_sample(struct shyperctl *ctx, struct shyper_sample *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = shyper_hv_info(ctx->handle, &s->hv);
	if (!rc)
		rc = shyper_hv_stats(ctx->handle, &s->pcpus, &s->pcpu_count);
	return rc;
}

static void runs_cell(char *buf, size_t size, const struct shyper_pcpu_stats *s)
{
	if (!s->online)
		snprintf(buf, size, "(offline)");
	else if (s->vm_id == SHYPER_NO_VM)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "VM %u vCPU %u", s->vm_id, s->vcpu);
}

/* hv stats --interval: rates and shares over it. */
static int hv_stats_over(struct shyperctl *ctx)
{
	static const char *const headers[] = { "PCPU", "RUNS", "EXITS/S", "IRQS/S", "EL2",
					       "IDLE", "GUESTS" };
	struct shyper_sample a, b;
	struct shyper_pcpu_rates *r = NULL;
	struct shyperctl_row *rows = NULL;
	int rc;

	rc = pcpu_sample(ctx, &a);
	if (!rc) {
		shyperctl_sleep_ms(ctx->interval_ms);
		rc = pcpu_sample(ctx, &b);
	}
	if (rc) {
		shyper_sample_free(&a);
		return shyperctl_fail_lib(ctx, rc);
	}
	r = calloc(b.pcpu_count ? b.pcpu_count : 1, sizeof(*r));
	rows = calloc(b.pcpu_count ? b.pcpu_count : 1, sizeof(*rows));
	if (!r || !rows) {
		rc = shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
		goto out;
	}
	shyper_rates_compute(&a, &b, NULL, r);
	if (ctx->json) {
		rc = shyperctl_print_json(ctx, shyper_sample_to_json(&b, NULL, r));
		goto out;
	}
	for (size_t i = 0; i < b.pcpu_count; i++) {
		struct shyperctl_row *row = &rows[i];

		snprintf(row->cell[0], sizeof(row->cell[0]), "%u", b.pcpus[i].pcpu);
		runs_cell(row->cell[1], sizeof(row->cell[1]), &b.pcpus[i]);
		if (!r[i].online) {
			for (int c = 2; c < 7; c++)
				snprintf(row->cell[c], sizeof(row->cell[c]), "-");
			continue;
		}
		snprintf(row->cell[2], sizeof(row->cell[2]), "%.1f", r[i].exits_per_s);
		snprintf(row->cell[3], sizeof(row->cell[3]), "%.1f", r[i].irqs_per_s);
		snprintf(row->cell[4], sizeof(row->cell[4]), "%.1f%%", r[i].el2_pct);
		snprintf(row->cell[5], sizeof(row->cell[5]), "%.1f%%", r[i].idle_pct);
		snprintf(row->cell[6], sizeof(row->cell[6]), "%.1f%%", r[i].guest_pct);
	}
	shyperctl_print_table(ctx->out, headers, "rlrrrrr", 7, rows, b.pcpu_count);
	rc = SHYPERCTL_EXIT_OK;
out:
	free(rows);
	free(r);
	shyper_sample_free(&a);
	shyper_sample_free(&b);
	return rc;
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
	if (ctx->interval_ms)
		return hv_stats_over(ctx);
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
		runs_cell(r->cell[1], sizeof(r->cell[1]), s);
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

/* ---- hv update ------------------------------------------------------------- */


/* A progress bar on stderr while an image downloads (only on a terminal). */
static void download_progress(uint64_t done, uint64_t total, void *arg)
{
	struct shyperctl *ctx = arg;
	char size[32];
	int width = 30, filled;

	if (!total)
		return;
	filled = (int)(done * (uint64_t)width / total);
	shyperctl_format_bytes(size, sizeof(size), total);
	fprintf(ctx->err, "\rfetching [%.*s%*s] %3u%% of %s", filled,
		"##############################", width - filled, "",
		(unsigned)(done * 100 / total), size);
	if (done >= total)
		fputc('\n', ctx->err);
	fflush(ctx->err);
}

static void format_ms(char *buf, size_t size, uint64_t ns)
{
	snprintf(buf, size, "%8.3f ms", (double)ns / 1e6);
}

static void print_phases(struct shyperctl *ctx, const struct shyper_update_report *r)
{
	char t[32];

	format_ms(t, sizeof(t), r->stage_ns);
	fprintf(ctx->out, "  stage      %s  (%llu bytes copied in)\n", t,
		(unsigned long long)r->image_size);
	format_ms(t, sizeof(t), r->check_ns);
	fprintf(ctx->out, "  check      %s  (header and SHA-256, guests running)\n", t);
	if (r->flags & SHYPER_UPDATE_CHECK_ONLY || (r->reason && r->reason < SHYPER_UPDATE_RENDEZVOUS))
		return;
	format_ms(t, sizeof(t), r->rendezvous_ns + r->takeover_ns);
	fprintf(ctx->out, "  hand-over  %s  (every pCPU stopped in %.3f ms, new image took over in %.3f ms)\n",
		t, (double)r->rendezvous_ns / 1e6, (double)r->takeover_ns / 1e6);
	if (r->reason)
		return;
	format_ms(t, sizeof(t), r->resume_ns);
	fprintf(ctx->out, "  resume     %s  (every pCPU back to its guests)\n", t);
}

int shyperctl_hv_update(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_update_report report;
	char old_id[17], new_id[17];
	unsigned flags = ctx->check ? SHYPER_UPDATE_CHECK_ONLY : 0;
	size_t len;
	void *image;
	int rc, rc_update;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	/* A progress bar for a download, on a terminal. */
	rc = shyper_image_read(ctx->handle, argv[0], &image, &len,
			       !ctx->json && isatty(fileno(ctx->err)) && strstr(argv[0], "://")
				       ? download_progress : NULL, ctx);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	rc_update = shyper_hv_update(ctx->handle, image, len, flags, &report);
	free(image);
	if (ctx->json && report.size) {
		rc = shyperctl_print_json(ctx, shyper_update_report_to_json(&report));
		if (rc_update)
			shyperctl_fail_lib(ctx, rc_update);
		return rc_update ? SHYPERCTL_EXIT_FAILURE : rc;
	}
	if (report.size) {
		struct shyper_hv_info ids = { .size = sizeof(ids) };

		memcpy(ids.build_id, report.old_build_id, sizeof(ids.build_id));
		shyper_build_id_text(&ids, old_id, sizeof(old_id));
		memcpy(ids.build_id, report.new_build_id, sizeof(ids.build_id));
		shyper_build_id_text(&ids, new_id, sizeof(new_id));
		if (report.new_version[0])
			fprintf(ctx->out, "Image: Shyper %s (build %s, state layout %u)\n",
				report.new_version, new_id, report.new_state_version);
		print_phases(ctx, &report);
	}
	if (rc_update)
		return shyperctl_fail_lib(ctx, rc_update);
	if (flags & SHYPER_UPDATE_CHECK_ONLY) {
		fprintf(ctx->out, "The image would be accepted: Shyper %s (build %s) -> %s (build %s)\n",
			report.old_version, old_id, report.new_version, new_id);
		return SHYPERCTL_EXIT_OK;
	}
	fprintf(ctx->out, "Updated: Shyper %s (build %s) -> %s (build %s); every vCPU paused at most "
		"%.3f ms; update %u since boot\n", report.old_version, old_id, report.new_version,
		new_id, (double)report.pause_ns / 1e6, report.update_count);
	return SHYPERCTL_EXIT_OK;
}
