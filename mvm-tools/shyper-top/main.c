// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyper-top: the Shyper hypervisor's VMs, live, like top/htop/virt-top.
 * The command line, the checks done before the terminal is touched, and
 * the refresh loop: one sample per refresh, then nothing but a poll() on
 * the keyboard (and on a running stop) until the next one is due.
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "top.h"

#define DELAY_MIN_MS 100
#define DELAY_MAX_MS (24 * 3600 * 1000)
#define FRAMES_MAX 1000000000UL

struct options {
	int delay_ms;
	unsigned long frames; /* 0: until quit */
	bool batch;
	bool json;
	const char *device;
};

static const char usage_text[] =
	"Usage: shyper-top [OPTIONS]\n"
	"Shows the Shyper hypervisor's VMs and physical CPUs, refreshed live.\n"
	"\n"
	"Options:\n"
	"  -d, --delay SECONDS  time between refreshes (default 1; at least 0.1, e.g. 0.5)\n"
	"  -n, --frames N       refresh N times, then exit\n"
	"  -b, --batch          plain text frames on stdout, no curses (as top -b)\n"
	"  -j, --json           one JSON object per refresh, one line each (docs/json-schema.md)\n"
	"      --device PATH    the device (default: $SHYPER_DEVICE, else /dev/shyper)\n"
	"  -h, --help           this help\n"
	"  -V, --version        the version\n"
	"\n"
	"Keys:\n"
	"  Up/Down PgUp/PgDn Home/End  select a VM     Enter  its vCPUs, devices, console\n"
	"  < >  sort by the column left/right           r      reverse the order\n"
	"  I N Y S V P E Q M T K X  sort by ID, NAME, TYPE, STATE, VCPU, CPU%, EXIT/s,\n"
	"                           IRQ/s, MEM, UPTIME, DISK R/W, NET RX/TX\n"
	"  s start  t stop (graceful, asks)  D destroy (asks)  p pause/resume\n"
	"  R reboot (asks)  c console (Ctrl-] comes back)      ? h  help\n"
	"  Esc Enter q  back from details                      q Ctrl-C  quit\n"
	"\n"
	"Exit status: 0 success, 1 no hypervisor to watch (or it failed), 2 bad command line.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "shyper-top: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (shyper-top --help lists the options)\n");
	return TOP_EXIT_USAGE;
}

/* "1", "0.5", "2.25" -> milliseconds. */
static int parse_delay(const char *text, int *ms)
{
	char *end;
	double s;

	if (!*text || strspn(text, "0123456789.") != strlen(text))
		return -1;
	errno = 0;
	s = strtod(text, &end);
	if (errno || *end || !isfinite(s) || s * 1000.0 < DELAY_MIN_MS - 1e-6 ||
	    s * 1000.0 > DELAY_MAX_MS)
		return -1;
	*ms = (int)(s * 1000.0 + 0.5);
	return 0;
}

static int parse_frames(const char *text, unsigned long *frames)
{
	char *end;
	unsigned long n;

	if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 10)
		return -1;
	errno = 0;
	n = strtoul(text, &end, 10);
	if (errno || *end || n < 1 || n > FRAMES_MAX)
		return -1;
	*frames = n;
	return 0;
}

/* 0 to run, -1 to exit 0 (help, version), else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_DEVICE = 256 };
	static const struct option longs[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "frames", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:n:bjhV", longs, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_delay(optarg, &o->delay_ms))
				return usage_error("bad delay '%s': seconds, at least 0.1", optarg);
			break;
		case 'n':
			if (parse_frames(optarg, &o->frames))
				return usage_error("bad number of frames '%s': a whole number, 1 or more",
						   optarg);
			break;
		case 'b':
			o->batch = true;
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_DEVICE:
			if (!*optarg)
				return usage_error("%sempty --device", "");
			o->device = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case 'V':
			printf("shyper-top %s (libshyper %s)\n", TOP_VERSION, shyper_library_version());
			return -1;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int lib_fail(struct top *t, int rc)
{
	const char *message = shyper_last_error_message(t->h);

	fprintf(stderr, "shyper-top: %s\n", message && *message ? message : shyper_strerror(rc));
	return TOP_EXIT_FAILURE;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	/* A quitting signal cuts it short. */
	nanosleep(&ts, NULL);
}

static int run_batch(struct top *t, const struct options *o)
{
	uint64_t next = now_ms();

	for (unsigned long frame = 1;; frame++) {
		int rc = frame == 1 ? 0 : top_refresh(t);

		if (rc)
			return lib_fail(t, rc);
		if (o->json) {
			if (top_print_json(t, stdout)) {
				fprintf(stderr, "shyper-top: out of memory\n");
				return TOP_EXIT_FAILURE;
			}
		} else {
			top_print_frame(t, stdout, (unsigned int)frame);
		}
		if (ferror(stdout))
			return TOP_EXIT_FAILURE;
		if (o->frames && frame >= o->frames)
			return TOP_EXIT_OK;
		next += (uint64_t)o->delay_ms;
		while (!top_quit_signal() && now_ms() < next)
			sleep_ms(next - now_ms());
		if (top_quit_signal())
			return TOP_EXIT_OK;
	}
}

/* Reads every key waiting; false when the user quits. */
static bool read_keys(struct top *t, bool *redraw)
{
	int key;

	while ((key = getch()) != ERR) {
		*redraw = true;
		if (key == KEY_RESIZE) {
			clearok(curscr, TRUE);
			top_term_prepare();
			continue;
		}
		if (!top_key(t, key))
			return false;
	}
	return true;
}

static void run_curses(struct top *t, const struct options *o)
{
	uint64_t next = now_ms();
	unsigned long frame = 0;
	bool first = true;

	for (;;) {
		struct pollfd fds[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
					 { .fd = t->stop_fd, .events = POLLIN } };
		bool redraw = false;
		uint64_t now = now_ms();
		int rc;

		if (now >= next || t->refresh_now) {
			rc = first ? 0 : top_refresh(t);
			first = false;
			if (rc)
				top_set_status(t, true, "Refresh failed: %s",
					       shyper_last_error_message(t->h));
			if (!t->refresh_now || now >= next) {
				frame++;
				next += (uint64_t)o->delay_ms;
				if (next <= now)
					next = now + (uint64_t)o->delay_ms;
			}
			t->refresh_now = false;
			top_draw(t);
			if (o->frames && frame >= o->frames)
				return;
			now = now_ms();
		}
		poll(fds, t->stop_fd >= 0 ? 2 : 1, next > now ? (int)(next - now) : 0);
		if (top_quit_signal())
			return;
		if (!read_keys(t, &redraw))
			return;
		if (t->stop_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			top_stop_done(t);
			redraw = true;
		}
		if (redraw && !t->refresh_now)
			top_draw(t);
	}
}

int main(int argc, char **argv)
{
	struct options o = { .delay_ms = 1000 };
	struct top t = { .sort_col = TOP_COL_ID, .sel_id = SHYPER_NO_VM, .stop_fd = -1 };
	SCREEN *screen;
	int rc, sig;

	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? TOP_EXIT_OK : rc;
	t.device = o.device;

	/* Everything that can fail does so before the terminal is touched. */
	t.h = shyper_open(o.device, &rc);
	if (!t.h) {
		const char *message = shyper_last_error_message(NULL);

		fprintf(stderr, "shyper-top: %s\n", *message ? message : shyper_strerror(rc));
		return TOP_EXIT_FAILURE;
	}
	rc = top_refresh(&t);
	if (rc)
		return lib_fail(&t, rc);

	top_signals_install();
	if (o.batch || o.json)
		return run_batch(&t, &o);

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "shyper-top: not a terminal (use -b or --json for output to a pipe)\n");
		return TOP_EXIT_FAILURE;
	}
	top_term_save();
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		fprintf(stderr, "shyper-top: cannot use terminal type '%s'\n",
			getenv("TERM") ? getenv("TERM") : "(unset)");
		return TOP_EXIT_FAILURE;
	}
	set_term(screen);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	/* No look at the keyboard in the middle of an update: curses would
	 * write each piece of a frame as it goes, a system call for every
	 * few cells changed, which is most of a frame's cost in the MVM. */
	typeahead(-1);
	/* Until it has once come back from endwin(), curses sends what it
	 * has at every cursor move (it takes itself for a low-level caller):
	 * a write per changed stretch of the screen. Going out and in once
	 * at the start makes a frame one write. */
	endwin();
	doupdate();
	curs_set(0);
	top_view_init_colors(&t);
	top_term_prepare();

	run_curses(&t, &o);

	endwin();
	delscreen(screen);
	shyper_sample_free(&t.prev);
	shyper_sample_free(&t.cur);
	free(t.vm_rates);
	free(t.pcpu_rates);
	free(t.defined);
	shyper_close(t.h);
	sig = top_quit_signal();
	if (sig) {
		/* Ended by a signal: say so to whoever waits, as it would have. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return TOP_EXIT_OK;
}
