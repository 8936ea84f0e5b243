// SPDX-License-Identifier: GPL-2.0
/*
 * shyper-pty: runs a command on a new pseudo-terminal of a given size, for
 * system tests of full-screen programs (shyper-top) that a serial console
 * cannot show. Everything the command writes goes to a file, keys come
 * from a FIFO, and a control FIFO resizes the terminal or signals the
 * command. When the command ends, a status file says how (exit status or
 * signal) and whether it left the terminal's modes as it found them.
 *
 *   shyper-pty -o OUT [-s COLSxROWS] [-t TERM] [-k KEYS] [-c CONTROL]
 *              [-S STATUS] [-p PIDFILE] [-T SECONDS] -- COMMAND [ARG...]
 *
 * KEYS and CONTROL are created as FIFOs if they do not exist. CONTROL
 * takes lines "resize COLS ROWS" (TIOCSWINSZ: the command gets SIGWINCH)
 * and "signal N" (kill(2) of the command). STATUS is written (whole, by a
 * rename) with "exit=N" or "signal=N", then "termios=same" or
 * "termios=changed FIELDS". -T kills the command (SIGKILL) after SECONDS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "shyper-pty: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static void usage(void)
{
	fprintf(stderr, "usage: shyper-pty -o OUT [-s COLSxROWS] [-t TERM] [-k KEYS] [-c CONTROL]\n"
			"                  [-S STATUS] [-p PIDFILE] [-T SECONDS] -- COMMAND [ARG...]\n");
	exit(2);
}

static int open_fifo(const char *path)
{
	struct stat st;
	int fd;

	if (mkfifo(path, 0600) && errno != EEXIST)
		die("cannot create FIFO %s", path);
	if (stat(path, &st) || !S_ISFIFO(st.st_mode))
		die("%s is not a FIFO", path);
	/* Read and write: a writer that comes and goes never gives EOF. */
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s", path);
	return fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void copy_output(int master, int out)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(master, buf, sizeof(buf))) > 0)
		write_all(out, buf, (size_t)n);
}

static void control_line(char *line, int master, pid_t child)
{
	struct winsize ws = { 0 };
	unsigned int cols, rows;
	int sig;

	if (sscanf(line, "resize %u %u", &cols, &rows) == 2 && cols && rows && cols < 1000 &&
	    rows < 1000) {
		ws.ws_col = (unsigned short)cols;
		ws.ws_row = (unsigned short)rows;
		if (ioctl(master, TIOCSWINSZ, &ws))
			perror("shyper-pty: TIOCSWINSZ");
	} else if (sscanf(line, "signal %d", &sig) == 1 && sig > 0 && sig < 65) {
		kill(child, sig);
	} else if (*line) {
		fprintf(stderr, "shyper-pty: unknown control line '%s'\n", line);
	}
}

/* Takes whole lines out of what CONTROL gave so far. */
static void read_control(int fd, char *pending, size_t *used, size_t room, int master,
			 pid_t child)
{
	ssize_t n = read(fd, pending + *used, room - 1 - *used);
	char *nl;

	if (n <= 0)
		return;
	*used += (size_t)n;
	pending[*used] = '\0';
	while ((nl = strchr(pending, '\n'))) {
		*nl = '\0';
		control_line(pending, master, child);
		*used -= (size_t)(nl + 1 - pending);
		memmove(pending, nl + 1, *used + 1);
	}
	if (*used == room - 1)
		*used = 0; /* a line too long for anyone: drop it */
}

static void termios_diff(const struct termios *a, const struct termios *b, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
#define FIELD(f)                                                                        \
	do {                                                                            \
		if (a->f != b->f)                                                      \
			used += (size_t)snprintf(buf + used, size - used, " " #f);     \
	} while (0)
	FIELD(c_iflag);
	FIELD(c_oflag);
	FIELD(c_cflag);
	FIELD(c_lflag);
#undef FIELD
	if (memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc)) && used < size)
		snprintf(buf + used, size - used, " c_cc");
}

static void write_status(const char *path, int status, const struct termios *before,
			 const struct termios *after, bool have_after)
{
	char tmp[4096], diff[128];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		die("cannot write %s", tmp);
	if (WIFSIGNALED(status))
		fprintf(f, "signal=%d\n", WTERMSIG(status));
	else
		fprintf(f, "exit=%d\n", WEXITSTATUS(status));
	if (!have_after) {
		fprintf(f, "termios=unknown\n");
	} else {
		termios_diff(before, after, diff, sizeof(diff));
		fprintf(f, "termios=%s%s\n", diff[0] ? "changed" : "same", diff);
	}
	if (fclose(f) || rename(tmp, path))
		die("cannot write %s", path);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL, *keys_path = NULL, *control_path = NULL;
	const char *status_path = NULL, *pid_path = NULL, *term = NULL;
	struct winsize ws = { .ws_col = 80, .ws_row = 24 };
	struct termios before, after;
	char pending[256];
	size_t pending_used = 0;
	int master, slave, out, keys = -1, control = -1, status = 0, opt;
	unsigned int cols, rows;
	long limit_s = 0;
	time_t started;
	bool have_after;
	pid_t child;

	while ((opt = getopt(argc, argv, "o:s:t:k:c:S:p:T:")) != -1) {
		switch (opt) {
		case 'o':
			out_path = optarg;
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &cols, &rows) != 2 || !cols || !rows ||
			    cols >= 1000 || rows >= 1000)
				die("bad size '%s': COLSxROWS", optarg);
			ws.ws_col = (unsigned short)cols;
			ws.ws_row = (unsigned short)rows;
			break;
		case 't':
			term = optarg;
			break;
		case 'k':
			keys_path = optarg;
			break;
		case 'c':
			control_path = optarg;
			break;
		case 'S':
			status_path = optarg;
			break;
		case 'p':
			pid_path = optarg;
			break;
		case 'T':
			limit_s = strtol(optarg, NULL, 10);
			if (limit_s <= 0)
				die("bad time limit '%s'", optarg);
			break;
		default:
			usage();
		}
	}
	if (!out_path || optind >= argc)
		usage();
	out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		die("cannot create %s", out_path);
	if (keys_path)
		keys = open_fifo(keys_path);
	if (control_path)
		control = open_fifo(control_path);
	if (openpty(&master, &slave, NULL, NULL, &ws))
		die("openpty: %s", strerror(errno));
	tcgetattr(slave, &before);
	if (term && setenv("TERM", term, 1))
		die("cannot set TERM=%s", term);

	child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		setsid();
		if (ioctl(slave, TIOCSCTTY, 0))
			die("TIOCSCTTY: %s", strerror(errno));
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		close(master);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "shyper-pty: cannot run %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	/* The slave stays open here: its modes can be read after the command. */
	fcntl(master, F_SETFL, O_NONBLOCK);
	if (pid_path) {
		FILE *f = fopen(pid_path, "w");

		if (f) {
			fprintf(f, "%d\n", (int)child);
			fclose(f);
		}
	}
	started = time(NULL);
	for (;;) {
		struct pollfd fds[3] = { { .fd = master, .events = POLLIN },
					 { .fd = keys, .events = POLLIN },
					 { .fd = control, .events = POLLIN } };
		char buf[1024];
		ssize_t n;

		if (waitpid(child, &status, WNOHANG) == child)
			break;
		if (limit_s && time(NULL) - started > limit_s)
			kill(child, SIGKILL);
		poll(fds, 3, 100);
		if (fds[0].revents & POLLIN)
			copy_output(master, out);
		if (keys >= 0 && (fds[1].revents & POLLIN)) {
			n = read(keys, buf, sizeof(buf));
			if (n > 0)
				write_all(master, buf, (size_t)n);
		}
		if (control >= 0 && (fds[2].revents & POLLIN))
			read_control(control, pending, &pending_used, sizeof(pending), master, child);
	}
	copy_output(master, out);
	have_after = tcgetattr(slave, &after) == 0;
	close(out);
	if (status_path)
		write_status(status_path, status, &before, &after, have_after);
	return 0;
}
