// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyper-top without curses: its compact units, the console text it shows,
 * which columns fit a width, the order of the rows, where the selection
 * goes when the rows change, and the header's summary lines (a guest
 * being sent among them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../lib/manage_internal.h"
#include "fake_transport.h"
#include "top.h"

static const char *units(double value, double base)
{
	static char buf[TOP_UNIT_LEN];

	top_format_units(buf, sizeof(buf), value, base);
	return buf;
}

static void test_units(void **state)
{
	(void)state;
	assert_string_equal(units(0, 1000), "0");
	assert_string_equal(units(-5, 1000), "0");
	assert_string_equal(units(0.0 / 0.0, 1000), "0");
	assert_string_equal(units(0.5, 1000), "0.5");
	assert_string_equal(units(7, 1000), "7");
	assert_string_equal(units(999, 1000), "999");
	assert_string_equal(units(999.6, 1000), "1.0k");
	assert_string_equal(units(1234, 1000), "1.2k");
	assert_string_equal(units(12345, 1000), "12k");
	assert_string_equal(units(123456, 1000), "123k");
	assert_string_equal(units(3.4e6, 1000), "3.4M");
	assert_string_equal(units(5.0 * 1024 * 1024 * 1024, 1024), "5.0G");
	assert_string_equal(units(512.0 * 1024 * 1024, 1024), "512M");
	assert_string_equal(units(1e20, 1000), "100E");
	/* Never wider than 4 in the range a dashboard meets. */
	for (double v = 0.01; v < 1e18; v *= 1.37)
		assert_true(strlen(units(v, 1024)) <= 4);
}

static void test_uptime_and_percent(void **state)
{
	char buf[16];

	(void)state;
	top_format_uptime(buf, sizeof(buf), 59ULL * 1000000000ULL);
	assert_string_equal(buf, "59s");
	top_format_uptime(buf, sizeof(buf), 754ULL * 1000000000ULL);
	assert_string_equal(buf, "12:34");
	top_format_uptime(buf, sizeof(buf), (3 * 3600 + 4 * 60 + 5) * 1000000000ULL);
	assert_string_equal(buf, "3:04h");
	top_format_uptime(buf, sizeof(buf), (2 * 86400 + 3 * 3600) * 1000000000ULL);
	assert_string_equal(buf, "2d03h");
	top_format_uptime(buf, sizeof(buf), 150 * 86400 * 1000000000ULL);
	assert_string_equal(buf, "150d");
	top_format_percent(buf, sizeof(buf), 99.84);
	assert_string_equal(buf, "99.8");
	top_format_percent(buf, sizeof(buf), 200);
	assert_string_equal(buf, "200.0");
	top_format_percent(buf, sizeof(buf), -1);
	assert_string_equal(buf, "0.0");
	top_format_percent(buf, sizeof(buf), 1500);
	assert_string_equal(buf, "999+");
}

static void test_console_clean_and_tail(void **state)
{
	char text[128] = "boot\r\n\x1b[1;31mred\x1b[0m\tok\x07\n\x1b]0;title\x07"
			 "caf\xc3\xa9\x1b" "c\nlast\n";
	const char *lines[8];
	size_t len, count;

	(void)state;
	len = top_console_clean(text, strlen(text));
	assert_string_equal(text, "boot\nred ok\ncaf?\nlast\n");
	assert_int_equal(len, strlen(text));
	count = top_console_tail(text, lines, 2);
	assert_int_equal(count, 2);
	assert_string_equal(lines[0], "caf?");
	assert_string_equal(lines[1], "last");

	strcpy(text, "one\ntwo");
	count = top_console_tail(text, lines, 8);
	assert_int_equal(count, 2);
	assert_string_equal(lines[0], "one");
	assert_string_equal(lines[1], "two");
	text[0] = '\0';
	assert_int_equal(top_console_tail(text, lines, 8), 0);
	/* An escape cut off at the end of the buffer goes too. */
	strcpy(text, "x\x1b[12");
	top_console_clean(text, strlen(text));
	assert_string_equal(text, "x");
}

static int total_width(const int *widths)
{
	int total = -1;

	for (int c = 0; c < TOP_COLS; c++)
		if (widths[c])
			total += widths[c] + 1;
	return total;
}

static void test_fit_columns(void **state)
{
	int widths[TOP_COLS];

	(void)state;
	/* Wide: everything, the name as wide as asked. */
	assert_int_equal(top_fit_columns(200, 20, widths), TOP_COLS);
	assert_int_equal(widths[TOP_COL_NAME], 20);
	/* 80 columns: the network rates go first, the rest fits. */
	top_fit_columns(80, 31, widths);
	assert_int_equal(widths[TOP_COL_NET], 0);
	assert_true(widths[TOP_COL_DISK] > 0);
	assert_true(widths[TOP_COL_CPU] > 0 && widths[TOP_COL_MEM] > 0);
	assert_true(total_width(widths) <= 80);
	/* Narrower: disk, then IRQs, then the type... never ID, NAME. */
	top_fit_columns(60, 31, widths);
	assert_int_equal(widths[TOP_COL_DISK], 0);
	assert_int_equal(widths[TOP_COL_IRQS], 0);
	assert_true(widths[TOP_COL_CPU] > 0 && widths[TOP_COL_STATE] > 0);
	assert_true(total_width(widths) <= 60);
	top_fit_columns(5, 31, widths);
	assert_true(widths[TOP_COL_ID] > 0 && widths[TOP_COL_NAME] > 0);
	assert_int_equal(widths[TOP_COL_CPU], 0);
}

static struct shyper_vm_rates rates[3];

static void make_rows(struct top_row *rows)
{
	static const char *const names[] = { "mvm", "web", "db" };
	static const double cpu[] = { 5.0, 99.0, 40.0 };

	memset(rows, 0, 3 * sizeof(*rows));
	for (int i = 0; i < 3; i++) {
		rows[i].id = (uint32_t)i;
		strcpy(rows[i].name, names[i]);
		rows[i].type = i ? SHYPER_VM_GVM : SHYPER_VM_MVM;
		rows[i].state = SHYPER_VM_RUNNING;
		rows[i].memory = (uint64_t)(3 - i) << 20;
		rates[i].cpu_pct = cpu[i];
		rows[i].rates = &rates[i];
	}
}

static void test_sort_and_cells(void **state)
{
	struct top_row rows[3];
	char cell[32];

	(void)state;
	make_rows(rows);
	top_sort(rows, 3, TOP_COL_CPU, false);
	assert_string_equal(rows[0].name, "web");
	assert_string_equal(rows[2].name, "mvm");
	top_sort(rows, 3, TOP_COL_CPU, true);
	assert_string_equal(rows[0].name, "mvm");
	top_sort(rows, 3, TOP_COL_NAME, false);
	assert_string_equal(rows[0].name, "db");
	assert_string_equal(rows[2].name, "web");
	top_sort(rows, 3, TOP_COL_ID, false);
	assert_int_equal(rows[0].id, 0);
	assert_int_equal(top_col_of_key('P'), TOP_COL_CPU);
	assert_int_equal(top_col_of_key('M'), TOP_COL_MEM);
	assert_int_equal(top_col_of_key('z'), -1);

	top_cell(&rows[1], TOP_COL_CPU, cell, sizeof(cell));
	assert_string_equal(cell, "99.0");
	top_cell(&rows[1], TOP_COL_TYPE, cell, sizeof(cell));
	assert_string_equal(cell, "gvm");
	top_cell(&rows[1], TOP_COL_MEM, cell, sizeof(cell));
	assert_string_equal(cell, "2.0M");
	top_cell(&rows[1], TOP_COL_UPTIME, cell, sizeof(cell));
	assert_string_equal(cell, "-");
	rates[1].disk_read_bytes_per_s = 1536;
	top_cell(&rows[1], TOP_COL_DISK, cell, sizeof(cell));
	assert_string_equal(cell, "1.5k/0");
	/* A definition that does not run: no rates, no id. */
	rows[2].rates = NULL;
	rows[2].id = SHYPER_NO_VM;
	top_cell(&rows[2], TOP_COL_CPU, cell, sizeof(cell));
	assert_string_equal(cell, "-");
	top_cell(&rows[2], TOP_COL_ID, cell, sizeof(cell));
	assert_string_equal(cell, "-");
}

static void test_select_follows(void **state)
{
	struct top_row rows[3];

	(void)state;
	make_rows(rows);
	top_sort(rows, 3, TOP_COL_NAME, false); /* db web mvm -> db mvm web */
	assert_int_equal(top_select_follow(rows, 3, 1, "web", 0), 2);
	/* Started again: a new id, the same name. */
	assert_int_equal(top_select_follow(rows, 3, 7, "db", 2), 0);
	/* Gone: the same place, or the last row. */
	assert_int_equal(top_select_follow(rows, 3, 9, "gone", 1), 1);
	assert_int_equal(top_select_follow(rows, 3, 9, "gone", 5), 2);
	assert_int_equal(top_select_follow(rows, 0, 9, "gone", 5), 0);
}

#define MIB (1024ULL * 1024ULL)

/* The header's lines say what the sample and the run directory hold. */
static void test_header_lines(void **state)
{
	char dir[] = "/tmp/shyper-top-XXXXXX", line[512], path[600];
	struct shyper_send_progress p = { .round = 2, .ram_pages = 1000, .round_pages = 200,
					  .round_done = 50, .dirty_pages = 150, .rate = MIB };
	struct top t = { .sel_id = SHYPER_NO_VM, .stop_fd = -1 };

	(void)state;
	fake_reset();
	assert_non_null(mkdtemp(dir));
	setenv("SHYPER_RUN_DIR", dir, 1);
	t.h = shyper_open(NULL, NULL);
	assert_non_null(t.h);

	t.cur.hv.pool_total = 818 * MIB;
	t.cur.hv.pool_free = 794 * MIB;
	top_line_pool(&t, line, sizeof(line));
	assert_string_equal(line, "Guest pool: 24M used, 794M free of 818M");

	t.cur.hv.update_count = 3;
	t.cur.hv.last_update_pause_ns = 1234567;
	top_line_updates(&t, line, sizeof(line));
	assert_string_equal(line, "Live updates: 3, last pause 1.235 ms");

	t.row_count = 4;
	t.rows[0].state = SHYPER_VM_RUNNING;
	t.rows[1].state = SHYPER_VM_PAUSED;
	t.rows[2].state = SHYPER_VM_DEFINED;
	t.rows[3].state = SHYPER_VM_RUNNING;
	top_line_vms(&t, line, sizeof(line));
	assert_string_equal(line, "VMs: 4: 2 running, 1 paused, 0 shut off, 0 crashed, 1 defined");

	/* Nothing being sent: no line at all. */
	assert_false(top_line_moves(&t, line, sizeof(line)));
	manage_send_status_write(t.h, "web", &p);
	assert_true(top_line_moves(&t, line, sizeof(line)));
	assert_string_equal(line, "Sending web: round 2 25%, 150 pages dirty, 1.0MB/s, "
				  "downtime ~585 ms");
	p.stopped = 1;
	p.round_done = 200;
	manage_send_status_write(t.h, "web", &p);
	assert_true(top_line_moves(&t, line, sizeof(line)));
	assert_non_null(strstr(line, "round 2 (paused) 100%"));
	manage_send_status_clear(t.h, "web");
	assert_false(top_line_moves(&t, line, sizeof(line)));

	shyper_close(t.h);
	snprintf(path, sizeof(path), "%s", dir);
	assert_int_equal(rmdir(path), 0);
	unsetenv("SHYPER_RUN_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_uptime_and_percent),
		cmocka_unit_test(test_console_clean_and_tail),
		cmocka_unit_test(test_fit_columns),
		cmocka_unit_test(test_sort_and_cells),
		cmocka_unit_test(test_select_follows),
		cmocka_unit_test(test_header_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
