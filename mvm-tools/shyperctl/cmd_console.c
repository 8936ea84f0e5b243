// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl vm console NAME: the guest's console on this terminal.
 *
 * The hypervisor keeps the last SHYPER console bytes of each guest in a
 * ring and numbers every byte it was ever given, so a reader asks for
 * "everything from offset N". Where the last reader left off is kept in
 * the run directory (shyper_console_cursor_*), so attaching shows what
 * the guest wrote while nobody watched, as far as the ring still holds
 * it, and then follows it live. Keys go to the guest; Ctrl-] (as in virsh)
 * detaches. The terminal is put in raw mode while attached, so Ctrl-C
 * reaches the guest too. With no terminal (a script, a pipe), input is
 * sent until its end and output followed until the guest stops or a
 * signal arrives.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <shyper/domain.h>

#include "shyperctl.h"

#define ESCAPE_CHAR 0x1d      /* Ctrl-] */
#define POLL_MS 20            /* how often the console ring is looked at */
#define STATE_EVERY 10        /* polls between looks at the VM's state */
#define CHUNK 4096

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies what the guest wrote from *OFFSET on to stdout. */
static int drain_output(struct shyperctl *ctx, uint32_t id, uint64_t *offset)
{
	char buf[CHUNK];

	for (;;) {
		uint64_t start, written;
		size_t got;
		int rc = shyper_console_read(ctx->handle, id, *offset, buf, sizeof(buf), &start, &got,
					     &written);

		if (rc)
			return rc;
		if (start > *offset) {
			char note[96];
			int len = snprintf(note, sizeof(note),
					   "\r\n[shyperctl: %llu bytes of earlier output were "
					   "overwritten]\r\n",
					   (unsigned long long)(start - *offset));

			write_all(STDOUT_FILENO, note, (size_t)len);
		}
		if (got && write_all(STDOUT_FILENO, buf, got) < 0)
			return SHYPER_ERR_SYSTEM;
		*offset = start + got;
		if (*offset >= written || !got)
			return 0;
	}
}

/* Sends LEN bytes of keys; waits while the guest's input FIFO is full. */
static int send_input(struct shyperctl *ctx, uint32_t id, const char *buf, size_t len)
{
	int idle = 0;

	while (len) {
		size_t accepted = 0;
		int rc = shyper_console_write(ctx->handle, id, buf, len, &accepted);

		if (rc)
			return rc;
		buf += accepted;
		len -= accepted;
		if (accepted) {
			idle = 0;
		} else if (++idle > 500) {
			return 0; /* the guest reads nothing for 10 s: drop the rest */
		} else {
			nanosleep(&(struct timespec){ .tv_nsec = POLL_MS * 1000000L }, NULL);
		}
	}
	return 0;
}

int shyperctl_vm_console(struct shyperctl *ctx, int argc, char **argv)
{
	const char *name = argv[0];
	struct shyper_managed_vm vm;
	struct termios saved, raw;
	struct sigaction sa, old_int, old_term, old_hup;
	bool tty, input_open = true, detached = false;
	uint64_t offset;
	int rc, polls = 0, status = SHYPERCTL_EXIT_OK;

	(void)argc;
	if (ctx->json)
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_USAGE,
				      "vm console is interactive and has no JSON output");
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_managed_get(ctx->handle, name, &vm);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (vm.type == SHYPER_VM_MVM)
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE,
				      "VM '%s' is the management VM: its console is this one", vm.name);
	if (!vm.active)
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "VM '%s' is not running (%s)",
				      vm.name, vm.state == SHYPER_VM_SHUTOFF ? "shut off"
									: shyper_vm_state_name(vm.state));
	rc = shyper_console_cursor_get(ctx->handle, vm.name, vm.info.id, &offset);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (vm.state != SHYPER_VM_RUNNING && vm.state != SHYPER_VM_PAUSED) {
		/* Kept as it stopped (preserve, or crashed): what it printed, to read. */
		fprintf(ctx->err, "VM '%s' (id %u) is %s; what its console holds follows\n",
			vm.name, vm.info.id, vm.state == SHYPER_VM_SHUTOFF ? "shut off"
					     : shyper_vm_state_name(vm.state));
		fflush(ctx->err);
		rc = drain_output(ctx, vm.info.id, &offset);
		if (!rc)
			rc = shyper_console_cursor_set(ctx->handle, vm.name, vm.info.id, offset);
		return rc ? shyperctl_fail_lib(ctx, rc) : SHYPERCTL_EXIT_OK;
	}

	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	stop_signal = 0;
	fprintf(ctx->err, "Connected to VM '%s' (id %u). Escape character is ^]\n", vm.name,
		vm.info.id);
	fflush(ctx->err);
	fflush(ctx->out);
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}

	while (!detached && !stop_signal) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int ready;

		rc = drain_output(ctx, vm.info.id, &offset);
		if (rc)
			break;
		if (++polls % STATE_EVERY == 0) {
			struct shyper_vm_info info;

			rc = shyper_vm_info(ctx->handle, vm.info.id, &info);
			if (rc || strncmp(info.name, vm.name, SHYPER_NAME_LEN) ||
			    (info.state != SHYPER_VM_RUNNING && info.state != SHYPER_VM_PAUSED)) {
				drain_output(ctx, vm.info.id, &offset);
				rc = 0;
				fprintf(ctx->err, "%s[VM '%s' is no longer running]%s", tty ? "\r\n" : "\n",
					vm.name, tty ? "\r\n" : "\n");
				break;
			}
		}
		ready = poll(&pfd, input_open ? 1 : 0, POLL_MS);
		if (ready > 0 && input_open) {
			char keys[256];
			ssize_t n = read(STDIN_FILENO, keys, sizeof(keys));

			if (n <= 0 && !(n < 0 && errno == EINTR)) {
				input_open = false; /* end of input: keep following output */
				continue;
			}
			if (n > 0) {
				char *esc = memchr(keys, ESCAPE_CHAR, (size_t)n);

				if (esc) {
					n = esc - keys;
					detached = true;
				}
				rc = send_input(ctx, vm.info.id, keys, (size_t)n);
				if (rc)
					break;
			}
		}
	}

	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (rc) {
		/* The VM went away under us: that is the end, not a failure. */
		if (rc != SHYPER_ERR_NO_ENTRY)
			status = shyperctl_fail_lib(ctx, rc);
		else
			fprintf(ctx->err, "\n[VM '%s' is gone]\n", vm.name);
	}
	if (detached)
		fprintf(ctx->err, "%s[detached from VM '%s']\n", tty ? "\r\n" : "\n", vm.name);
	/* The next attach starts where this one ended. */
	if (shyper_console_cursor_set(ctx->handle, vm.name, vm.info.id, offset) && !status)
		status = shyperctl_fail_lib(ctx, SHYPER_ERR_SYSTEM);
	return status;
}
