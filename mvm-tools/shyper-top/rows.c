// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The VM table without curses: which columns fit a width, what each cell
 * says, the order of the rows and which row the selection lands on after a
 * refresh. The views and the batch output both draw from here.
 */
#define _GNU_SOURCE /* pipe2, qsort_r */
#include <stdlib.h>
#include <string.h>

#include "top.h"

/* keep: ID and NAME never go; NET RX/TX goes first, then DISK R/W... */
const struct top_column top_columns[TOP_COLS] = {
	[TOP_COL_ID] = { "ID", 3, true, 100, 'I' },
	[TOP_COL_NAME] = { "NAME", 10, false, 100, 'N' },
	[TOP_COL_TYPE] = { "TYPE", 4, false, 30, 'Y' },
	[TOP_COL_STATE] = { "STATE", 7, false, 80, 'S' },
	[TOP_COL_VCPU] = { "VCPU", 4, true, 50, 'V' },
	[TOP_COL_CPU] = { "CPU%", 6, true, 90, 'P' },
	[TOP_COL_EXITS] = { "EXIT/s", 6, true, 60, 'E' },
	[TOP_COL_IRQS] = { "IRQ/s", 6, true, 20, 'Q' },
	[TOP_COL_MEM] = { "MEM", 5, true, 70, 'M' },
	[TOP_COL_UPTIME] = { "UPTIME", 6, true, 40, 'T' },
	[TOP_COL_DISK] = { "DISK R/W", 9, true, 10, 'K' },
	[TOP_COL_NET] = { "NET RX/TX", 9, true, 5, 'X' },
};

int top_fit_columns(int width, int name_max, int widths[TOP_COLS])
{
	int total = -1, shown = TOP_COLS;

	for (int c = 0; c < TOP_COLS; c++) {
		widths[c] = top_columns[c].width;
		total += widths[c] + 1;
	}
	while (total > width && shown > 2) {
		int drop = -1;

		for (int c = TOP_COLS - 1; c >= 0; c--)
			if (widths[c] && (drop < 0 || top_columns[c].keep < top_columns[drop].keep))
				drop = c;
		if (top_columns[drop].keep >= 100)
			break;
		total -= widths[drop] + 1;
		widths[drop] = 0;
		shown--;
	}
	if (total < width && name_max > widths[TOP_COL_NAME]) {
		int more = width - total;

		if (more > name_max - widths[TOP_COL_NAME])
			more = name_max - widths[TOP_COL_NAME];
		widths[TOP_COL_NAME] += more;
	}
	return shown;
}

static void pair(char *buf, size_t size, double a, double b)
{
	char x[TOP_UNIT_LEN], y[TOP_UNIT_LEN];

	top_format_units(x, sizeof(x), a, 1024);
	top_format_units(y, sizeof(y), b, 1024);
	snprintf(buf, size, "%s/%s", x, y);
}

void top_cell(const struct top_row *row, int col, char *buf, size_t size)
{
	const struct shyper_vm_rates *r = row->rates;

	if (!r && col >= TOP_COL_CPU && col != TOP_COL_MEM && col != TOP_COL_UPTIME) {
		snprintf(buf, size, "-");
		return;
	}
	switch (col) {
	case TOP_COL_ID:
		if (row->id == SHYPER_NO_VM)
			snprintf(buf, size, "-");
		else
			snprintf(buf, size, "%u", row->id);
		break;
	case TOP_COL_NAME:
		snprintf(buf, size, "%s", row->name);
		break;
	case TOP_COL_TYPE:
		snprintf(buf, size, "%s", shyper_vm_type_name(row->type));
		break;
	case TOP_COL_STATE:
		snprintf(buf, size, "%s", shyper_vm_state_name(row->state));
		break;
	case TOP_COL_VCPU:
		snprintf(buf, size, "%u", row->vcpu_count);
		break;
	case TOP_COL_CPU:
		top_format_percent(buf, size, r->cpu_pct);
		break;
	case TOP_COL_EXITS:
		top_format_units(buf, size, r->exits_per_s, 1000);
		break;
	case TOP_COL_IRQS:
		top_format_units(buf, size, r->irqs_per_s, 1000);
		break;
	case TOP_COL_MEM:
		top_format_units(buf, size, (double)row->memory, 1024);
		break;
	case TOP_COL_UPTIME:
		if (row->uptime_ns)
			top_format_uptime(buf, size, row->uptime_ns);
		else
			snprintf(buf, size, "-");
		break;
	case TOP_COL_DISK:
		pair(buf, size, r->disk_read_bytes_per_s, r->disk_write_bytes_per_s);
		break;
	case TOP_COL_NET:
		pair(buf, size, r->net_rx_bytes_per_s, r->net_tx_bytes_per_s);
		break;
	default:
		snprintf(buf, size, "?");
	}
}

/* The number a row sorts by in column COL (text columns are not numbers). */
static double sort_value(const struct top_row *row, int col)
{
	const struct shyper_vm_rates *r = row->rates;

	switch (col) {
	case TOP_COL_VCPU:
		return row->vcpu_count;
	case TOP_COL_MEM:
		return (double)row->memory;
	case TOP_COL_UPTIME:
		return (double)row->uptime_ns;
	case TOP_COL_CPU:
		return r ? r->cpu_pct : -1.0;
	case TOP_COL_EXITS:
		return r ? r->exits_per_s : -1.0;
	case TOP_COL_IRQS:
		return r ? r->irqs_per_s : -1.0;
	case TOP_COL_DISK:
		return r ? r->disk_read_bytes_per_s + r->disk_write_bytes_per_s : -1.0;
	case TOP_COL_NET:
		return r ? r->net_rx_bytes_per_s + r->net_tx_bytes_per_s : -1.0;
	default:
		return 0.0;
	}
}

struct sort_by {
	int col;
	bool reverse;
};

static int compare_rows(const void *pa, const void *pb, void *arg)
{
	const struct top_row *a = pa, *b = pb;
	const struct sort_by *by = arg;
	int order = 0;

	switch (by->col) {
	case TOP_COL_ID:
		order = a->id < b->id ? -1 : a->id > b->id;
		break;
	case TOP_COL_NAME:
		order = strcmp(a->name, b->name);
		break;
	case TOP_COL_TYPE:
		order = strcmp(shyper_vm_type_name(a->type), shyper_vm_type_name(b->type));
		break;
	case TOP_COL_STATE:
		order = strcmp(shyper_vm_state_name(a->state), shyper_vm_state_name(b->state));
		break;
	default: {
		/* numbers: largest first */
		double x = sort_value(a, by->col), y = sort_value(b, by->col);

		order = x > y ? -1 : x < y;
	}
	}
	if (by->reverse)
		order = -order;
	/* Ties in a fixed order, so rows do not swap places at each refresh. */
	if (!order)
		order = a->id < b->id ? -1 : a->id > b->id;
	if (!order)
		order = strcmp(a->name, b->name);
	return order;
}

void top_sort(struct top_row *rows, size_t count, int col, bool reverse)
{
	struct sort_by by = { col, reverse };

	if (count > 1)
		qsort_r(rows, count, sizeof(*rows), compare_rows, &by);
}

int top_col_of_key(int key)
{
	for (int c = 0; c < TOP_COLS; c++)
		if (top_columns[c].sort_key == key)
			return c;
	return -1;
}

size_t top_select_follow(const struct top_row *rows, size_t count, uint32_t sel_id,
			 const char *sel_name, size_t old_index)
{
	if (!count)
		return 0;
	if (sel_id != SHYPER_NO_VM)
		for (size_t i = 0; i < count; i++)
			if (rows[i].id == sel_id)
				return i;
	/* A VM that stopped and started again has a new id, but its name. */
	if (sel_name && *sel_name)
		for (size_t i = 0; i < count; i++)
			if (strcmp(rows[i].name, sel_name) == 0)
				return i;
	return old_index < count ? old_index : count - 1;
}
