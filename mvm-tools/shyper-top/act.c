// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyper-top's keys: moving the selection, sorting, switching views, and
 * the actions on the selected VM. Actions go through the same libshyper
 * domain calls as shyperctl, so that both behave alike; a failure is one
 * line on the status line, never the end of the dashboard. A graceful stop
 * can take half a minute, so it runs in a child and answers through a pipe.
 */
#define _GNU_SOURCE /* pipe2, qsort_r */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "top.h"

void top_set_status(struct top *t, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof(t->status), fmt, ap);
	va_end(ap);
	t->status_error = error;
}

static void lib_failed(struct top *t, const char *what, const char *name, int rc)
{
	const char *message = shyper_last_error_message(t->h);

	top_set_status(t, true, "%s '%s' failed: %s", what, name,
		       message && *message ? message : shyper_strerror(rc));
}

static void select_row(struct top *t, long index)
{
	if (!t->row_count)
		return;
	if (index < 0)
		index = 0;
	if (index >= (long)t->row_count)
		index = (long)t->row_count - 1;
	t->sel = (size_t)index;
	t->sel_id = t->rows[t->sel].id;
	memcpy(t->sel_name, t->rows[t->sel].name, sizeof(t->sel_name));
}

static void resort(struct top *t)
{
	top_sort(t->rows, t->row_count, t->sort_col, t->sort_reverse);
	t->sel = top_select_follow(t->rows, t->row_count, t->sel_id, t->sel_name, t->sel);
}

/* The selected VM if it may be acted on; else says why not and NULL. */
static const struct top_row *target(struct top *t)
{
	const struct top_row *row = top_selected(t);

	if (!row) {
		top_set_status(t, true, "No VM selected");
		return NULL;
	}
	if (row->type == SHYPER_VM_MVM) {
		top_set_status(t, true, "'%s' is the MVM: it cannot be controlled from here",
			       row->name);
		return NULL;
	}
	return row;
}

static bool is_running(const struct top_row *row)
{
	return row->state == SHYPER_VM_RUNNING || row->state == SHYPER_VM_PAUSED;
}

static void act_start(struct top *t, const struct top_row *row)
{
	struct shyper_domain_diag diag = { 0 };
	uint32_t id;
	int rc;

	if (is_running(row)) {
		top_set_status(t, true, "'%s' is already %s", row->name,
			       shyper_vm_state_name(row->state));
		return;
	}
	rc = shyper_domain_start(t->h, row->name, &id, &diag);
	shyper_domain_diag_free(&diag);
	if (rc)
		lib_failed(t, "Starting", row->name, rc);
	else
		top_set_status(t, false, "VM '%s' started (id %u)", row->name, id);
}

/* The child of a graceful stop: its message, "+" ok or "-" failed first. */
static void __attribute__((noreturn)) stop_child(const char *device, const char *name, int fd)
{
	char message[TOP_STATUS_LEN];
	struct shyper *h;
	bool forced = false;
	int rc;

	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	h = shyper_open(device, &rc);
	if (!h) {
		snprintf(message, sizeof(message), "-Stopping '%s' failed: %s", name,
			 shyper_last_error_message(NULL));
	} else {
		rc = shyper_domain_shutdown(h, name, SHYPER_SHUTDOWN_TIMEOUT_MS, &forced);
		if (rc)
			snprintf(message, sizeof(message), "-Stopping '%s' failed: %s", name,
				 *shyper_last_error_message(h) ? shyper_last_error_message(h)
							       : shyper_strerror(rc));
		else if (forced)
			snprintf(message, sizeof(message),
				 "+VM '%s' did not power off within %d s and was powered off by force",
				 name, SHYPER_SHUTDOWN_TIMEOUT_MS / 1000);
		else
			snprintf(message, sizeof(message), "+VM '%s' shut down", name);
		shyper_close(h);
	}
	if (write(fd, message, strlen(message)) < 0)
		_exit(1);
	_exit(0);
}

static void act_stop(struct top *t, const char *name)
{
	int fds[2];
	pid_t pid;

	if (t->stop_pid) {
		top_set_status(t, true, "'%s' is still being shut down", t->stop_name);
		return;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		top_set_status(t, true, "Stopping '%s' failed: pipe: %s", name, strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		top_set_status(t, true, "Stopping '%s' failed: fork: %s", name, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		stop_child(t->device, name, fds[1]);
	}
	close(fds[1]);
	t->stop_fd = fds[0];
	t->stop_pid = pid;
	snprintf(t->stop_name, sizeof(t->stop_name), "%s", name);
	top_set_status(t, false, "Shutting '%s' down (up to %d s)...", name,
		       SHYPER_SHUTDOWN_TIMEOUT_MS / 1000);
}

void top_stop_done(struct top *t)
{
	char message[TOP_STATUS_LEN];
	ssize_t n;

	n = read(t->stop_fd, message, sizeof(message) - 1);
	if (n < 0 && errno == EINTR)
		return;
	close(t->stop_fd);
	while (waitpid(t->stop_pid, NULL, 0) < 0 && errno == EINTR)
		;
	t->stop_fd = -1;
	t->stop_pid = 0;
	if (n <= 0) {
		top_set_status(t, true, "Stopping '%s': the stopping process died", t->stop_name);
	} else {
		message[n] = '\0';
		top_set_status(t, message[0] == '-', "%s", message + 1);
	}
	t->defined_read_ns = 0;
	t->refresh_now = true;
}

static void act_destroy(struct top *t, const char *name)
{
	int rc = shyper_domain_destroy(t->h, name);

	if (rc)
		lib_failed(t, "Destroying", name, rc);
	else
		top_set_status(t, false, "VM '%s' destroyed", name);
}

static void act_reboot(struct top *t, const char *name)
{
	struct shyper_domain_diag diag = { 0 };
	int rc = shyper_domain_reboot(t->h, name, &diag);

	shyper_domain_diag_free(&diag);
	if (rc)
		lib_failed(t, "Rebooting", name, rc);
	else
		top_set_status(t, false, "VM '%s' rebooted", name);
}

static void act_pause(struct top *t, const struct top_row *row)
{
	int rc;

	if (row->state == SHYPER_VM_RUNNING) {
		rc = shyper_domain_pause(t->h, row->name);
		if (rc)
			lib_failed(t, "Pausing", row->name, rc);
		else
			top_set_status(t, false, "VM '%s' paused", row->name);
	} else if (row->state == SHYPER_VM_PAUSED) {
		rc = shyper_domain_resume(t->h, row->name);
		if (rc)
			lib_failed(t, "Resuming", row->name, rc);
		else
			top_set_status(t, false, "VM '%s' resumed", row->name);
	} else {
		top_set_status(t, true, "'%s' is %s: only a running VM pauses", row->name,
			       shyper_vm_state_name(row->state));
	}
}

/* Leaves curses for shyperctl's console, and comes back drawing it all. */
static void act_console(struct top *t, const struct top_row *row)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old_int, old_quit;
	char name[SHYPER_NAME_LEN];
	int status = 0;
	pid_t pid;

	if (!is_running(row)) {
		top_set_status(t, true, "'%s' is %s: no console to attach to", row->name,
			       shyper_vm_state_name(row->state));
		return;
	}
	snprintf(name, sizeof(name), "%s", row->name);
	def_prog_mode();
	endwin();
	fflush(stdout);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		if (t->device)
			execlp("shyperctl", "shyperctl", "--device", t->device, "vm", "console", name,
			       (char *)NULL);
		else
			execlp("shyperctl", "shyperctl", "vm", "console", name, (char *)NULL);
		fprintf(stderr, "shyper-top: cannot run shyperctl: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	reset_prog_mode();
	clearok(curscr, TRUE);
	if (pid < 0)
		top_set_status(t, true, "Console of '%s': fork: %s", name, strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		top_set_status(t, true, "Console of '%s': shyperctl exited with status %d", name,
			       WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		top_set_status(t, true, "Console of '%s': shyperctl killed by signal %d", name,
			       WTERMSIG(status));
	else
		top_set_status(t, false, "Back from the console of '%s'", name);
}

static void ask(struct top *t, enum top_confirm what, const struct top_row *row)
{
	if (what != TOP_CONFIRM_STOP || is_running(row)) {
		t->confirm = what;
		snprintf(t->confirm_name, sizeof(t->confirm_name), "%s", row->name);
	} else {
		top_set_status(t, true, "'%s' is %s: nothing to stop", row->name,
			       shyper_vm_state_name(row->state));
	}
}

static void confirmed(struct top *t, int key)
{
	enum top_confirm what = t->confirm;

	t->confirm = TOP_CONFIRM_NONE;
	if (key != 'y' && key != 'Y') {
		top_set_status(t, false, "Cancelled");
		return;
	}
	if (what == TOP_CONFIRM_STOP)
		act_stop(t, t->confirm_name);
	else if (what == TOP_CONFIRM_DESTROY)
		act_destroy(t, t->confirm_name);
	else if (what == TOP_CONFIRM_REBOOT)
		act_reboot(t, t->confirm_name);
	t->defined_read_ns = 0;
	t->refresh_now = true;
}

/* The keys that act on the selected VM; false if KEY is not one. */
static bool action_key(struct top *t, int key)
{
	const struct top_row *row;

	if (key <= 0 || key >= 128 || !strchr("stDpRc", key))
		return false;
	row = target(t);
	if (!row)
		return true;
	switch (key) {
	case 's':
		act_start(t, row);
		break;
	case 't':
		ask(t, TOP_CONFIRM_STOP, row);
		return true;
	case 'D':
		ask(t, TOP_CONFIRM_DESTROY, row);
		return true;
	case 'R':
		ask(t, TOP_CONFIRM_REBOOT, row);
		return true;
	case 'p':
		act_pause(t, row);
		break;
	case 'c':
		act_console(t, row);
		break;
	}
	t->defined_read_ns = 0;
	t->refresh_now = true;
	return true;
}

static bool move_key(struct top *t, int key)
{
	long page = LINES > 12 ? LINES - 12 : 1;

	switch (key) {
	case KEY_UP:
		select_row(t, (long)t->sel - 1);
		return true;
	case KEY_DOWN:
		select_row(t, (long)t->sel + 1);
		return true;
	case KEY_PPAGE:
		select_row(t, (long)t->sel - page);
		return true;
	case KEY_NPAGE:
		select_row(t, (long)t->sel + page);
		return true;
	case KEY_HOME:
		select_row(t, 0);
		return true;
	case KEY_END:
		select_row(t, (long)t->row_count - 1);
		return true;
	}
	return false;
}

bool top_key(struct top *t, int key)
{
	int col;

	if (t->confirm != TOP_CONFIRM_NONE) {
		confirmed(t, key);
		return true;
	}
	t->status[0] = '\0';
	if (t->view == TOP_VIEW_HELP) {
		t->view = TOP_VIEW_TABLE;
		return true;
	}
	if (key == '?' || key == 'h') {
		t->view = TOP_VIEW_HELP;
		return true;
	}
	if (t->view == TOP_VIEW_DETAIL && (key == 27 || key == 'q' || key == '\n' || key == '\r' ||
					   key == KEY_ENTER)) {
		t->view = TOP_VIEW_TABLE;
		return true;
	}
	if (key == 'q')
		return false;
	if (move_key(t, key) || action_key(t, key))
		return true;
	if (t->view != TOP_VIEW_TABLE)
		return true;
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		if (t->row_count)
			t->view = TOP_VIEW_DETAIL;
	} else if (key == '<' || key == ',') {
		t->sort_col = (t->sort_col + TOP_COLS - 1) % TOP_COLS;
		resort(t);
	} else if (key == '>' || key == '.') {
		t->sort_col = (t->sort_col + 1) % TOP_COLS;
		resort(t);
	} else if (key == 'r') {
		t->sort_reverse = !t->sort_reverse;
		resort(t);
	} else if (key > 0 && key < 128 && (col = top_col_of_key(key)) >= 0) {
		if (col == t->sort_col)
			t->sort_reverse = !t->sort_reverse;
		else
			t->sort_reverse = false;
		t->sort_col = col;
		resort(t);
	}
	return true;
}
