/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * shyper-top's insides: the rows it shows (one per VM, built from a sample
 * and its rates), their columns, sorting and the selection that follows a
 * VM, the compact units of a dashboard, and the curses views. format.c and
 * rows.c know nothing of curses, so the host unit tests link them alone.
 */
#ifndef SHYPER_TOP_H
#define SHYPER_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#define TOP_VERSION "0.1.0"

/* Exit statuses, as shyperctl has them. */
enum top_status {
	TOP_EXIT_OK = 0,
	TOP_EXIT_FAILURE = 1,
	TOP_EXIT_USAGE = 2,
};

/* ---- Compact units (format.c) ------------------------------------------------- */

/* A rate or size in at most 4 characters plus NUL: "0", "0.5", "999", "1.2k",
 * "34M", "5.0G"; BASE is 1000 for counts, 1024 for bytes. */
#define TOP_UNIT_LEN 8
void top_format_units(char *buf, size_t size, double value, double base);
/* Seconds as a dashboard has them: "59s", "12:34" (m:s), "3:04h", "2d03h". */
void top_format_uptime(char *buf, size_t size, uint64_t ns);
/* "12.3" for a percentage; "999+" when larger than 999. */
void top_format_percent(char *buf, size_t size, double pct);

/*
 * The readable part of console output TEXT (LEN bytes), in place: escape
 * sequences and control characters go, tabs become a space, line ends
 * become '\n', CR alone ends nothing. Returns the new length (then
 * NUL-terminated: TEXT must have room for LEN + 1 bytes).
 */
size_t top_console_clean(char *text, size_t len);
/* The last at most MAX lines of clean TEXT, split in place (the '\n's become
 * NULs); an empty last line (TEXT ending in '\n') does not count. Returns
 * how many, oldest first in FOUND. */
size_t top_console_tail(char *text, const char **found, size_t max);

/* ---- Rows and columns (rows.c) -------------------------------------------------- */

enum top_col {
	TOP_COL_ID,
	TOP_COL_NAME,
	TOP_COL_TYPE,
	TOP_COL_STATE,
	TOP_COL_VCPU,
	TOP_COL_CPU,
	TOP_COL_EXITS,
	TOP_COL_IRQS,
	TOP_COL_MEM,
	TOP_COL_UPTIME,
	TOP_COL_DISK,
	TOP_COL_NET,
	TOP_COLS,
};

struct top_column {
	const char *header;
	int width;            /* the name's is its least */
	bool right;           /* right-aligned */
	int keep;             /* the higher, the later it is dropped when narrow */
	int sort_key;         /* the key that sorts by it */
};

extern const struct top_column top_columns[TOP_COLS];

/* One VM as the table shows it. */
struct top_row {
	uint32_t id;          /* SHYPER_NO_VM: defined only, not in the hypervisor */
	char name[SHYPER_NAME_LEN];
	uint32_t type, state, vcpu_count;
	uint64_t memory, uptime_ns;
	const struct shyper_vm_rates *rates; /* NULL: none (defined only) */
	const struct shyper_vm_stats *stats; /* NULL: none */
};

/*
 * Widths of the columns shown in WIDTH characters (one blank between two):
 * WIDTHS[c] is column c's width, 0 if dropped. The least kept go first
 * when narrow; the name takes what is left over, up to NAME_MAX. Returns
 * the number of columns shown.
 */
int top_fit_columns(int width, int name_max, int widths[TOP_COLS]);

/* The text of column COL of ROW into BUF. */
void top_cell(const struct top_row *row, int col, char *buf, size_t size);

/* Sorts ROWS by column COL (descending for numbers, as top has them;
 * REVERSE turns it round), equal ones by id then name. */
void top_sort(struct top_row *rows, size_t count, int col, bool reverse);

/* The column sorted by KEY (a letter of top_columns' sort_key), or -1. */
int top_col_of_key(int key);

/*
 * Where the selection is after a refresh: the row of the VM it was on
 * (SEL_ID, else SEL_NAME), or, when that VM is gone, the row at OLD_INDEX
 * (clamped). Returns the index (0 for an empty table).
 */
size_t top_select_follow(const struct top_row *rows, size_t count, uint32_t sel_id,
			 const char *sel_name, size_t old_index);

/* ---- The dashboard (main.c, view.c, act.c) ------------------------------------------ */

enum top_view {
	TOP_VIEW_TABLE,
	TOP_VIEW_DETAIL,
	TOP_VIEW_HELP,
};

enum top_confirm {
	TOP_CONFIRM_NONE,
	TOP_CONFIRM_STOP,
	TOP_CONFIRM_DESTROY,
	TOP_CONFIRM_REBOOT,
};

#define TOP_STATUS_LEN 200
#define TOP_MAX_ROWS 64

struct top {
	struct shyper *h;
	const char *device;

	/* Two samples: the rates are between them. */
	struct shyper_sample prev, cur;
	bool have_prev;
	struct shyper_vm_rates *vm_rates;     /* cur.vm_count entries */
	struct shyper_pcpu_rates *pcpu_rates; /* cur.pcpu_count entries */

	/* Definitions not in the hypervisor, read now and then. */
	struct shyper_managed_vm *defined;
	size_t defined_count;
	uint64_t defined_read_ns;

	struct top_row rows[TOP_MAX_ROWS];
	size_t row_count;

	/* What the user chose. */
	int sort_col;
	bool sort_reverse;
	size_t sel;
	uint32_t sel_id;
	char sel_name[SHYPER_NAME_LEN];
	size_t scroll;
	enum top_view view;
	enum top_confirm confirm;
	char confirm_name[SHYPER_NAME_LEN];

	/* The status line: what the last action did. */
	char status[TOP_STATUS_LEN];
	bool status_error;

	/* A graceful stop runs in a child: its answer comes through this pipe. */
	int stop_fd;
	int stop_pid;
	char stop_name[SHYPER_NAME_LEN];

	bool color;
	bool refresh_now;     /* an action changed something: sample again now */
};

/* Takes a sample and computes the rates against the one before; 0 or a
 * libshyper error (the message on T->h). */
int top_refresh(struct top *t);
/* Rebuilds, sorts and re-selects the rows from the current sample. */
void top_rows_build(struct top *t);
/* The selected row, or NULL when the table is empty. */
const struct top_row *top_selected(const struct top *t);
/* The name of the VM pCPU P runs now ("" when idle). */
const char *top_vm_name(const struct top *t, uint32_t id);

/* Header lines, the same on a terminal and in batch mode (lines.c). */
void top_line_hv(const struct top *t, char *buf, size_t size);
void top_line_pool(const struct top *t, char *buf, size_t size);
void top_line_vms(const struct top *t, char *buf, size_t size);
void top_line_updates(const struct top *t, char *buf, size_t size);
/* The guests being migrated or saved from here now, with their progress;
 * false when there are none. */
bool top_line_moves(const struct top *t, char *buf, size_t size);

/* Plain text and JSON frames (lines.c). */
void top_print_frame(const struct top *t, FILE *out, unsigned int frame);
int top_print_json(const struct top *t, FILE *out);

/* Curses (view.c). */
void top_view_init_colors(struct top *t);
void top_draw(struct top *t);

/* Keys and actions (act.c): returns false when the user quits. */
bool top_key(struct top *t, int key);
/* A graceful stop's child answered: reads its message into the status line. */
void top_stop_done(struct top *t);
void top_set_status(struct top *t, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The terminal (term.c): set up before initscr(), prepared after it. */
void top_term_save(void);
void top_term_prepare(void);
void top_signals_install(void);
/* A quitting signal arrived (SIGINT, SIGTERM, SIGQUIT): its number, or 0. */
int top_quit_signal(void);

#endif /* SHYPER_TOP_H */
