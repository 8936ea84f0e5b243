// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * What shyper-top draws: the header (hypervisor, pCPU load bars, guest
 * pool, VMs by state, live updates and migrations), the VM table, one VM's
 * details, the help screen and the status line. Every frame is drawn whole
 * into stdscr after erase(); curses sends only what changed. Nothing is
 * written past the right edge: a narrow terminal loses columns, not lines.
 */
#include <curses.h>
#include <string.h>

#include "top.h"

enum {
	PAIR_GUEST = 1,
	PAIR_EL2,
	PAIR_HEADER,
	PAIR_PAUSED,
	PAIR_ERROR,
	PAIR_TITLE,
};

#define CONSOLE_TAIL 4096
#define CONSOLE_LINES_MAX 64

void top_view_init_colors(struct top *t)
{
	t->color = has_colors() && start_color() == OK;
	if (!t->color)
		return;
	use_default_colors();
	init_pair(PAIR_GUEST, COLOR_GREEN, -1);
	init_pair(PAIR_EL2, COLOR_RED, -1);
	init_pair(PAIR_HEADER, COLOR_BLACK, COLOR_GREEN);
	init_pair(PAIR_PAUSED, COLOR_YELLOW, -1);
	init_pair(PAIR_ERROR, COLOR_RED, -1);
	init_pair(PAIR_TITLE, COLOR_CYAN, -1);
}

static attr_t color(const struct top *t, int pair)
{
	return t->color ? COLOR_PAIR(pair) : 0;
}

#define LINE_MAX_CELLS 512

/*
 * TEXT as cells with ATTR, up to MAX of them: printable ASCII as is, any
 * other byte as '?' (names come from outside). Cells, not a string for
 * waddnstr: that converts each byte as a multibyte character, which is
 * most of a frame's cost on a slow CPU.
 */
static int cells(chtype *out, int max, const char *text, attr_t attr)
{
	int n = 0;

	for (; n < max && text[n]; n++) {
		unsigned char c = (unsigned char)text[n];

		out[n] = (c >= 0x20 && c < 0x7f ? c : '?') | attr;
	}
	return n;
}

/* TEXT at (Y, X), cut at the right edge. */
static void put(int y, int x, const char *text, attr_t attr)
{
	chtype line[LINE_MAX_CELLS];
	int room = COLS - x;

	if (y < 0 || y >= LINES || room <= 0 || x < 0)
		return;
	mvaddchnstr(y, x, line, cells(line, room < LINE_MAX_CELLS ? room : LINE_MAX_CELLS,
				      text, attr));
}

/* A whole line, padded to the right edge (for highlighted lines). */
static void put_line(int y, const char *text, attr_t attr)
{
	chtype line[LINE_MAX_CELLS];
	int width = COLS < LINE_MAX_CELLS ? COLS : LINE_MAX_CELLS, n;

	if (y < 0 || y >= LINES)
		return;
	n = cells(line, width, text, attr);
	while (n < width)
		line[n++] = ' ' | attr;
	mvaddchnstr(y, 0, line, n);
}

static void draw_bar(const struct top *t, int y, int x, int width,
		     const struct shyper_pcpu_rates *p)
{
	char label[48], pct[16];
	int bar, guest, el2;

	snprintf(label, sizeof(label), "%-2u[", p->pcpu);
	put(y, x, label, A_BOLD);
	x += (int)strlen(label);
	/* "[bar] 12.3% name": the name takes up to 10 */
	bar = width - (int)strlen(label) - 1 - 7 - 11;
	if (bar < 4)
		bar = 4;
	if (!p->online) {
		put(y, x, "offline", 0);
		put(y, x + bar, "]", A_BOLD);
		return;
	}
	guest = (int)(p->guest_pct * bar / 100.0 + 0.5);
	el2 = (int)(p->el2_pct * bar / 100.0 + 0.5);
	if (el2 == 0 && p->el2_pct >= 1.0)
		el2 = 1;
	if (guest > bar)
		guest = bar;
	if (guest + el2 > bar)
		el2 = bar - guest;
	if (x < COLS) {
		chtype cells_bar[LINE_MAX_CELLS];
		int n = bar < COLS - x ? bar : COLS - x;

		if (n > LINE_MAX_CELLS)
			n = LINE_MAX_CELLS;
		for (int i = 0; i < n; i++)
			cells_bar[i] = i < guest	      ? '|' | color(t, PAIR_GUEST)
				       : i < guest + el2 ? '#' | color(t, PAIR_EL2) | A_BOLD
							 : ' ';
		mvaddchnstr(y, x, cells_bar, n);
	}
	x += bar;
	snprintf(pct, sizeof(pct), "]%5.1f%%", 100.0 - p->idle_pct < 0 ? 0.0 : 100.0 - p->idle_pct);
	put(y, x, pct, A_BOLD);
	x += (int)strlen(pct) + 1;
	snprintf(label, sizeof(label), "%.10s",
		 p->vm_id == SHYPER_NO_VM ? "" : top_vm_name(t, p->vm_id));
	put(y, x, label, color(t, PAIR_TITLE));
}

/* The header; returns the first free line. */
static int draw_header(struct top *t)
{
	char line[TOP_STATUS_LEN * 2];
	int y = 0, per_line, cell;

	top_line_hv(t, line, sizeof(line));
	put(y, 0, "shyper-top", A_BOLD | color(t, PAIR_TITLE));
	put(y++, 11, line, 0);

	per_line = COLS >= 120 ? 3 : COLS >= 70 ? 2 : 1;
	cell = COLS / per_line;
	for (size_t i = 0; i < t->cur.pcpu_count; i++) {
		draw_bar(t, y, (int)(i % (size_t)per_line) * cell, cell - 1, &t->pcpu_rates[i]);
		if (i % (size_t)per_line == (size_t)per_line - 1 || i + 1 == t->cur.pcpu_count)
			y++;
	}
	top_line_pool(t, line, sizeof(line));
	put(y++, 0, line, 0);
	top_line_vms(t, line, sizeof(line));
	put(y++, 0, line, 0);
	top_line_updates(t, line, sizeof(line));
	put(y++, 0, line, 0);
	if (top_line_moves(t, line, sizeof(line)))
		put(y++, 0, line, A_BOLD | color(t, PAIR_PAUSED));
	return y + 1;
}

static void format_row(const struct top_row *row, const int *widths, char *buf, size_t size)
{
	size_t used = 0;
	char cell[64];

	for (int c = 0; c < TOP_COLS; c++) {
		const char *text = cell;
		size_t width = (size_t)widths[c], len, pad;

		if (!width)
			continue;
		if (row)
			top_cell(row, c, cell, sizeof(cell));
		else
			text = top_columns[c].header;
		/* " " between cells, the cell cut or padded to its width */
		if (used + (used ? 1 : 0) + width >= size)
			break;
		if (used)
			buf[used++] = ' ';
		len = strnlen(text, width);
		pad = width - len;
		if (top_columns[c].right) {
			memset(buf + used, ' ', pad);
			memcpy(buf + used + pad, text, len);
		} else {
			memcpy(buf + used, text, len);
			memset(buf + used + len, ' ', pad);
		}
		used += width;
	}
	buf[used] = '\0';
}

static void draw_table(struct top *t, int y)
{
	char line[512];
	int widths[TOP_COLS], visible;

	top_fit_columns(COLS, SHYPER_NAME_LEN - 1, widths);
	format_row(NULL, widths, line, sizeof(line));
	put_line(y, line, t->color ? color(t, PAIR_HEADER) : A_BOLD | A_UNDERLINE);
	/* the sort column's header stands out */
	{
		int x = 0;

		for (int c = 0; c < TOP_COLS; c++) {
			char head[32];

			if (!widths[c])
				continue;
			if (c == t->sort_col) {
				snprintf(head, sizeof(head), "%*.*s",
					 top_columns[c].right ? widths[c] : -widths[c], widths[c],
					 top_columns[c].header);
				put(y, x, head, A_BOLD | A_REVERSE);
			}
			x += widths[c] + 1;
		}
	}
	y++;
	visible = LINES - 1 - y;
	if (visible < 1)
		return;
	if (t->sel < t->scroll)
		t->scroll = t->sel;
	if (t->sel >= t->scroll + (size_t)visible)
		t->scroll = t->sel - (size_t)visible + 1;
	if (t->scroll > t->row_count)
		t->scroll = 0;
	for (size_t i = t->scroll; i < t->row_count && y < LINES - 1; i++, y++) {
		const struct top_row *row = &t->rows[i];
		attr_t attr = 0;

		if (row->state == SHYPER_VM_PAUSED)
			attr = color(t, PAIR_PAUSED);
		else if (row->state == SHYPER_VM_CRASHED)
			attr = color(t, PAIR_ERROR);
		if (i == t->sel)
			attr = A_REVERSE;
		format_row(row, widths, line, sizeof(line));
		if (i == t->sel)
			put_line(y, line, attr);
		else
			put(y, 0, line, attr);
	}
}

static int draw_vcpus(const struct top *t, const struct shyper_vm_rates *r, int y)
{
	char line[256], cell[TOP_UNIT_LEN], pct[16];
	size_t used;

	used = (size_t)snprintf(line, sizeof(line), "VCPU PCPU STATE    CPU%%  IRQ/s EXIT/s");
	for (int k = 0; k < SHYPER_EXIT_KINDS; k++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " %6s",
					 shyper_exit_kind_name(k));
	put_line(y++, line, t->color ? color(t, PAIR_HEADER) : A_BOLD | A_UNDERLINE);
	for (uint32_t v = 0; v < r->vcpu_count && v < SHYPER_MAX_VCPUS && y < LINES - 1; v++) {
		const struct shyper_vcpu_rates *vr = &r->vcpus[v];
		char irqs[TOP_UNIT_LEN];

		top_format_percent(pct, sizeof(pct), vr->cpu_pct);
		top_format_units(irqs, sizeof(irqs), vr->irqs_per_s, 1000);
		top_format_units(cell, sizeof(cell), vr->exits_per_s, 1000);
		used = (size_t)snprintf(line, sizeof(line), "%4u %4u %-8s %5s %6s %6s", v, vr->pcpu,
					shyper_vcpu_state_name(vr->state), pct, irqs, cell);
		for (int k = 0; k < SHYPER_EXIT_KINDS && used < sizeof(line); k++) {
			top_format_units(cell, sizeof(cell), vr->exit_kind_per_s[k], 1000);
			used += (size_t)snprintf(line + used, sizeof(line) - used, " %6s", cell);
		}
		put(y++, 0, line, 0);
	}
	return y;
}

static int draw_devices(const struct top *t, const struct shyper_vm_rates *r, int y)
{
	char line[256];
	bool any = false;

	for (int s = 0; s < SHYPER_GUEST_VIRTIO_SLOTS; s++)
		any = any || r->vdevs[s].kind;
	if (!any) {
		put(y++, 0, "No virtio devices.", 0);
		return y;
	}
	put_line(y++, "SLOT KIND     REQUESTS  IN     OUT   REQ/s  IN/s  OUT/s",
		 t->color ? color(t, PAIR_HEADER) : A_BOLD | A_UNDERLINE);
	for (int s = 0; s < SHYPER_GUEST_VIRTIO_SLOTS && y < LINES - 1; s++) {
		const struct shyper_vdev_rates *d = &r->vdevs[s];
		char in[TOP_UNIT_LEN], out[TOP_UNIT_LEN], req_s[TOP_UNIT_LEN];
		char in_s[TOP_UNIT_LEN], out_s[TOP_UNIT_LEN];

		if (!d->kind)
			continue;
		top_format_units(in, sizeof(in), (double)d->bytes_in, 1024);
		top_format_units(out, sizeof(out), (double)d->bytes_out, 1024);
		top_format_units(req_s, sizeof(req_s), d->requests_per_s, 1000);
		top_format_units(in_s, sizeof(in_s), d->in_bytes_per_s, 1024);
		top_format_units(out_s, sizeof(out_s), d->out_bytes_per_s, 1024);
		snprintf(line, sizeof(line), "%4u %-8s %8llu %5s %5s %5s %5s %5s", d->slot,
			 shyper_vdev_kind_name(d->kind), (unsigned long long)d->requests, in, out,
			 req_s, in_s, out_s);
		put(y++, 0, line, 0);
	}
	return y;
}

/* The last lines of the VM's console that fit from Y to the status line. */
static void draw_console(struct top *t, uint32_t id, int y)
{
	static char text[CONSOLE_TAIL + 1];
	const char *lines[CONSOLE_LINES_MAX];
	uint64_t written = 0, from;
	size_t got = 0, count;
	int room;

	put(y++, 0, "Console (latest lines):", A_BOLD);
	room = LINES - 1 - y;
	if (room <= 0)
		return;
	/* The first read learns how much was written, the second takes the tail. */
	if (shyper_console_read(t->h, id, 0, text, 1, NULL, NULL, &written)) {
		put(y, 0, shyper_last_error_message(t->h), color(t, PAIR_ERROR));
		return;
	}
	from = written > CONSOLE_TAIL ? written - CONSOLE_TAIL : 0;
	if (shyper_console_read(t->h, id, from, text, CONSOLE_TAIL, NULL, &got, NULL)) {
		put(y, 0, shyper_last_error_message(t->h), color(t, PAIR_ERROR));
		return;
	}
	top_console_clean(text, got);
	count = top_console_tail(text, lines, room < CONSOLE_LINES_MAX ? (size_t)room
								 : CONSOLE_LINES_MAX);
	for (size_t i = 0; i < count; i++)
		put(y++, 2, lines[i], 0);
}

static void draw_detail(struct top *t, int y)
{
	const struct top_row *row = top_selected(t);
	char line[256], up[16], pct[16], exits[TOP_UNIT_LEN], irqs[TOP_UNIT_LEN], mem[TOP_UNIT_LEN];

	if (!row) {
		put(y, 0, "No VM.", 0);
		return;
	}
	top_format_units(mem, sizeof(mem), (double)row->memory, 1024);
	if (row->uptime_ns)
		top_format_uptime(up, sizeof(up), row->uptime_ns);
	else
		snprintf(up, sizeof(up), "-");
	if (row->id == SHYPER_NO_VM)
		snprintf(line, sizeof(line), "VM %s (defined, not in the hypervisor): %s, %u vCPU, %sB",
			 row->name, shyper_vm_type_name(row->type), row->vcpu_count, mem);
	else
		snprintf(line, sizeof(line), "VM %u %s: %s, %s, %u vCPU, %sB, up %s", row->id,
			 row->name, shyper_vm_type_name(row->type), shyper_vm_state_name(row->state),
			 row->vcpu_count, mem, up);
	put_line(y++, line, A_BOLD);
	if (!row->rates || !row->stats) {
		put(y, 0, "Not running: no counters.", 0);
		return;
	}
	top_format_percent(pct, sizeof(pct), row->rates->cpu_pct);
	top_format_units(exits, sizeof(exits), row->rates->exits_per_s, 1000);
	top_format_units(irqs, sizeof(irqs), row->rates->irqs_per_s, 1000);
	snprintf(line, sizeof(line), "CPU %s%% of one pCPU, %s exits/s, %s interrupts/s%s", pct,
		 exits, irqs, row->rates->fresh ? " (first look: rates from the next refresh)" : "");
	put(y++, 0, line, 0);
	y++;
	y = draw_vcpus(t, row->rates, y);
	y++;
	y = draw_devices(t, row->rates, y);
	y++;
	if (y < LINES - 2)
		draw_console(t, row->id, y);
}

static const char *const help_lines[] = {
	"shyper-top " TOP_VERSION ": the Shyper hypervisor's VMs, live",
	"",
	"Table",
	"  Up/Down, PgUp/PgDn, Home/End   select a VM",
	"  Enter                          the selected VM's vCPUs, devices and console",
	"  < >                            sort by the column left / right",
	"  r                              reverse the order",
	"  I N Y S V P E Q M T K X        sort by ID, NAME, TYPE, STATE, VCPU, CPU%,",
	"                                 EXIT/s, IRQ/s, MEM, UPTIME, DISK, NET",
	"Actions on the selected VM (not the MVM)",
	"  s  start          t  stop (gracefully, asks)   D  destroy (asks)",
	"  p  pause/resume   R  reboot (asks)             c  console (Ctrl-] comes back)",
	"Details: Esc, Enter or q go back to the table.",
	"  ? h  this help (any key leaves it)      q  quit (Ctrl-C too)",
	"",
	"pCPU bars: | guest, # hypervisor (EL2), blank idle; then the VM it runs.",
	"Rates are per second over the last refresh; CPU% is of one pCPU.",
};

static void draw_help(struct top *t)
{
	int y = 0;

	for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]) && y < LINES - 1; i++)
		put(y++, 0, help_lines[i], i == 0 ? A_BOLD | color(t, PAIR_TITLE) : 0);
}

static void draw_status(struct top *t)
{
	char line[TOP_STATUS_LEN + 64];
	const struct top_row *row = top_selected(t);
	static const char *const verbs[] = {
		[TOP_CONFIRM_STOP] = "Shut down",
		[TOP_CONFIRM_DESTROY] = "Destroy (power off at once)",
		[TOP_CONFIRM_REBOOT] = "Reboot",
	};

	if (t->confirm != TOP_CONFIRM_NONE) {
		snprintf(line, sizeof(line), "%s VM '%s'? (y/n)", verbs[t->confirm],
			 t->confirm_name);
		put_line(LINES - 1, line, A_BOLD | A_REVERSE);
	} else if (t->status[0]) {
		put_line(LINES - 1, t->status,
			 t->status_error ? A_BOLD | color(t, PAIR_ERROR) : A_BOLD);
	} else if (t->view == TOP_VIEW_HELP) {
		put_line(LINES - 1, "Any key: back", A_BOLD);
	} else {
		snprintf(line, sizeof(line),
			 "%s  q:quit ?:help Enter:details <>:sort s:start t:stop p:pause D:destroy "
			 "R:reboot c:console",
			 row ? row->name : "");
		put_line(LINES - 1, line, 0);
	}
}

void top_draw(struct top *t)
{
	int y;

	erase();
	if (t->view == TOP_VIEW_HELP) {
		draw_help(t);
	} else {
		y = draw_header(t);
		if (t->view == TOP_VIEW_DETAIL)
			draw_detail(t, y);
		else
			draw_table(t, y);
	}
	draw_status(t);
	refresh();
}
