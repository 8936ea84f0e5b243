// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Leaving the terminal as it was found. Quitting signals (SIGINT, SIGTERM,
 * SIGQUIT) only set a flag: the main loop sees it, calls endwin() and
 * exits. Fatal ones (SIGSEGV and kin) cannot go back to curses, so their
 * handler does what endwin() would with async-signal-safe steps only: it
 * writes the terminal's "normal attributes, cursor visible, leave the
 * alternate screen" strings, prepared beforehand, and puts back the
 * termios saved before initscr(); then the signal is raised again to end
 * the process as it would have ended.
 */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <term.h>
#include <unistd.h>

#include "top.h"

static struct termios saved_termios;
static bool termios_saved;
static int tty_fd = STDOUT_FILENO;
static char restore_seq[512];
static size_t restore_len;
static volatile sig_atomic_t quit_signal;

void top_term_save(void)
{
	tty_fd = isatty(STDOUT_FILENO) ? STDOUT_FILENO : STDIN_FILENO;
	termios_saved = tcgetattr(tty_fd, &saved_termios) == 0;
}

static char prepared[sizeof(restore_seq)];
static size_t prepared_len;

static int prepare_char(int c)
{
	if (prepared_len < sizeof(prepared))
		prepared[prepared_len++] = (char)c;
	return c;
}

static void prepare_cap(const char *name)
{
	char *cap = tigetstr(name);

	if (cap && cap != (char *)-1)
		tputs(cap, 1, prepare_char);
}

/* Called again after a resize: the last line moved. */
void top_term_prepare(void)
{
	char *cup = tigetstr("cup");

	prepared_len = 0;
	prepare_cap("sgr0");
	if (cup && cup != (char *)-1)
		tputs(tiparm(cup, LINES - 1, 0), 1, prepare_char);
	prepare_cap("cnorm");
	prepare_cap("rmkx");
	prepare_cap("rmcup");
	prepare_char('\r');
	prepare_char('\n');
	if (prepared_len == sizeof(prepared))
		return; /* cut short: better none than half of one */
	/* The handler may run at any moment: it never sees a half-written copy. */
	restore_len = 0;
	memcpy(restore_seq, prepared, prepared_len);
	restore_len = prepared_len;
}

static void fatal_handler(int sig)
{
	int saved_errno = errno;
	size_t done = 0;

	while (done < restore_len) {
		ssize_t n = write(tty_fd, restore_seq + done, restore_len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (termios_saved)
		tcsetattr(tty_fd, TCSANOW, &saved_termios);
	errno = saved_errno;
	/* SA_RESETHAND made the action the default one again; the signal is
	 * blocked in here and ends the process once the handler returns. */
	raise(sig);
}

static void quit_handler(int sig)
{
	quit_signal = sig;
}

void top_signals_install(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	static const int quitting[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = fatal_handler;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	/* No SA_RESTART: a signal wakes the main loop's poll(). */
	sa.sa_handler = quit_handler;
	sa.sa_flags = 0;
	for (size_t i = 0; i < sizeof(quitting) / sizeof(quitting[0]); i++)
		sigaction(quitting[i], &sa, NULL);
}

int top_quit_signal(void)
{
	return quit_signal;
}
