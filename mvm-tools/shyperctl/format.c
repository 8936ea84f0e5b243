// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl's plain-text output: sizes, durations, tables and key/value
 * lists, aligned so that people can read them.
 */
#include <string.h>

#include "shyperctl.h"

void shyperctl_format_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t scale = 1024;
	int unit = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (unit < 5 && bytes / scale >= 1024) {
		scale *= 1024;
		unit++;
	}
	if (bytes % scale == 0)
		snprintf(buf, size, "%llu %s", (unsigned long long)(bytes / scale), units[unit]);
	else
		snprintf(buf, size, "%.1f %s", (double)bytes / (double)scale, units[unit]);
}

void shyperctl_format_duration(char *buf, size_t size, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;
	uint64_t days = s / 86400, hours = s / 3600 % 24, minutes = s / 60 % 60, seconds = s % 60;

	if (s < 60)
		snprintf(buf, size, "%llu.%llus", (unsigned long long)s,
			 (unsigned long long)(ns / 100000000ULL % 10));
	else if (days)
		snprintf(buf, size, "%llud %lluh %llum %llus", (unsigned long long)days,
			 (unsigned long long)hours, (unsigned long long)minutes,
			 (unsigned long long)seconds);
	else if (hours)
		snprintf(buf, size, "%lluh %llum %llus", (unsigned long long)hours,
			 (unsigned long long)minutes, (unsigned long long)seconds);
	else
		snprintf(buf, size, "%llum %llus", (unsigned long long)minutes,
			 (unsigned long long)seconds);
}

static void print_row(FILE *out, const char *const *cells, const char *align, const int *width,
		      int cols)
{
	for (int c = 0; c < cols; c++) {
		int last = c == cols - 1;

		if (align[c] == 'r')
			fprintf(out, "%*s", width[c], cells[c]);
		else if (last)
			fputs(cells[c], out); /* no trailing blanks */
		else
			fprintf(out, "%-*s", width[c], cells[c]);
		fputs(last ? "\n" : "  ", out);
	}
}

void shyperctl_print_table(FILE *out, const char *const *headers, const char *align, int cols,
			   const struct shyperctl_row *rows, size_t count)
{
	int width[SHYPERCTL_TABLE_COLS] = { 0 };
	const char *cells[SHYPERCTL_TABLE_COLS];

	for (int c = 0; c < cols; c++) {
		width[c] = (int)strlen(headers[c]);
		for (size_t r = 0; r < count; r++) {
			int w = (int)strlen(rows[r].cell[c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	print_row(out, headers, align, width, cols);
	for (size_t r = 0; r < count; r++) {
		for (int c = 0; c < cols; c++)
			cells[c] = rows[r].cell[c];
		print_row(out, cells, align, width, cols);
	}
}

void shyperctl_print_fields(FILE *out, const struct shyperctl_field *fields, size_t count)
{
	int width = 0;

	for (size_t i = 0; i < count; i++) {
		int w = (int)strlen(fields[i].key) + 1;

		if (w > width)
			width = w;
	}
	for (size_t i = 0; i < count; i++) {
		fprintf(out, "%s:%*s %s\n", fields[i].key, width - (int)strlen(fields[i].key) - 1, "",
			fields[i].value);
	}
}
