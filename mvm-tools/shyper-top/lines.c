// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The summary lines of the header, the same words on a terminal and in
 * batch mode, and the batch frames (-b: text like top -b, --json: one
 * object per line).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "top.h"

void top_line_hv(const struct top *t, char *buf, size_t size)
{
	const struct shyper_hv_info *hv = &t->cur.hv;
	char up[16];

	top_format_uptime(up, sizeof(up), hv->uptime_ns);
	snprintf(buf, size, "Shyper %.*s (ABI %u.%u) on %.*s, up %s", (int)sizeof(hv->version),
		 hv->version, hv->abi_version >> 16, hv->abi_version & 0xffff,
		 (int)sizeof(hv->board), hv->board, up);
}

void top_line_pool(const struct top *t, char *buf, size_t size)
{
	const struct shyper_hv_info *hv = &t->cur.hv;
	char used[TOP_UNIT_LEN], free_[TOP_UNIT_LEN], total[TOP_UNIT_LEN];
	uint64_t in_use = hv->pool_total > hv->pool_free ? hv->pool_total - hv->pool_free : 0;

	top_format_units(used, sizeof(used), (double)in_use, 1024);
	top_format_units(free_, sizeof(free_), (double)hv->pool_free, 1024);
	top_format_units(total, sizeof(total), (double)hv->pool_total, 1024);
	snprintf(buf, size, "Guest pool: %s used, %s free of %s", used, free_, total);
}

void top_line_vms(const struct top *t, char *buf, size_t size)
{
	unsigned int by_state[SHYPER_VM_CRASHED + 1] = { 0 };
	unsigned int other = 0;

	for (size_t i = 0; i < t->row_count; i++) {
		if (t->rows[i].state >= SHYPER_VM_DEFINED && t->rows[i].state <= SHYPER_VM_CRASHED)
			by_state[t->rows[i].state]++;
		else
			other++;
	}
	snprintf(buf, size, "VMs: %zu: %u running, %u paused, %u shut off, %u crashed, %u defined%s",
		 t->row_count, by_state[SHYPER_VM_RUNNING], by_state[SHYPER_VM_PAUSED],
		 by_state[SHYPER_VM_SHUTOFF], by_state[SHYPER_VM_CRASHED],
		 by_state[SHYPER_VM_DEFINED], other ? ", others" : "");
}

void top_line_updates(const struct top *t, char *buf, size_t size)
{
	const struct shyper_hv_info *hv = &t->cur.hv;

	snprintf(buf, size, "Live updates: %u, last pause %.3f ms", hv->update_count,
		 (double)hv->last_update_pause_ns / 1e6);
}

bool top_line_moves(const struct top *t, char *buf, size_t size)
{
	struct shyper_send_status *list = NULL;
	size_t count = 0, used = 0;

	if (shyper_sends_list(t->h, &list, &count) || !count) {
		free(list);
		return false;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++) {
		const struct shyper_send_progress *p = &list[i].progress;
		char rate[TOP_UNIT_LEN];
		double pct = p->round_pages ? 100.0 * (double)p->round_done / (double)p->round_pages
					    : 0.0;
		int n;

		top_format_units(rate, sizeof(rate), (double)p->rate, 1024);
		n = snprintf(buf + used, size - used,
			     "%sSending %.*s: round %u%s %.0f%%, %llu pages dirty, %sB/s, downtime ~%llu ms",
			     i ? "; " : "", SHYPER_NAME_LEN, list[i].name, p->round,
			     p->stopped ? " (paused)" : "", pct, (unsigned long long)p->dirty_pages,
			     rate, (unsigned long long)p->expected_downtime_ms);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	free(list);
	return true;
}

static void print_pcpus(const struct top *t, FILE *out)
{
	for (size_t i = 0; i < t->cur.pcpu_count; i++) {
		const struct shyper_pcpu_rates *p = &t->pcpu_rates[i];

		if (!p->online) {
			fprintf(out, "pCPU %u: offline\n", p->pcpu);
			continue;
		}
		fprintf(out, "pCPU %u: guest %5.1f%%  el2 %5.1f%%  idle %5.1f%%  runs %.*s\n", p->pcpu,
			p->guest_pct, p->el2_pct, p->idle_pct, SHYPER_NAME_LEN,
			p->vm_id == SHYPER_NO_VM ? "-" : top_vm_name(t, p->vm_id));
	}
}

void top_print_frame(const struct top *t, FILE *out, unsigned int frame)
{
	char line[TOP_STATUS_LEN * 2], cell[64];
	int widths[TOP_COLS];
	size_t name_max = 4;
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	fprintf(out, "shyper-top - frame %u - %02d:%02d:%02d\n", frame, tm.tm_hour, tm.tm_min,
		tm.tm_sec);
	top_line_hv(t, line, sizeof(line));
	fprintf(out, "%s\n", line);
	print_pcpus(t, out);
	top_line_pool(t, line, sizeof(line));
	fprintf(out, "%s\n", line);
	top_line_vms(t, line, sizeof(line));
	fprintf(out, "%s\n", line);
	top_line_updates(t, line, sizeof(line));
	fprintf(out, "%s\n", line);
	if (top_line_moves(t, line, sizeof(line)))
		fprintf(out, "%s\n", line);
	fputc('\n', out);

	for (size_t i = 0; i < t->row_count; i++)
		if (strlen(t->rows[i].name) > name_max)
			name_max = strlen(t->rows[i].name);
	top_fit_columns(1000, (int)name_max, widths);
	for (int c = 0; c < TOP_COLS; c++) {
		const struct top_column *col = &top_columns[c];

		fprintf(out, "%s%*s", c ? " " : "", col->right ? widths[c] : -widths[c], col->header);
	}
	fputc('\n', out);
	for (size_t i = 0; i < t->row_count; i++) {
		for (int c = 0; c < TOP_COLS; c++) {
			top_cell(&t->rows[i], c, cell, sizeof(cell));
			fprintf(out, "%s%*s", c ? " " : "",
				top_columns[c].right ? widths[c] : -widths[c], cell);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
	fflush(out);
}

int top_print_json(const struct top *t, FILE *out)
{
	struct json_object *obj = shyper_sample_to_json(&t->cur, t->vm_rates, t->pcpu_rates);

	if (!obj)
		return -1;
	fprintf(out, "%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	fflush(out);
	return 0;
}
