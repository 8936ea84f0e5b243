// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperd: the MVM's daemon for what happens to guests while nobody is
 * typing. It follows the hypervisor's events on /dev/shyper:
 *
 *   - a defined guest that powers itself off, resets or crashes gets what
 *     its definition asks (<on_poweroff>, <on_reboot>, <on_crash>; by
 *     default: its memory back to the pool, a reboot from its definition
 *     keeping its id, kept for inspection until destroyed);
 *   - guests' virtio disks are served from their image files (blk.c);
 *   - guests' virtio NICs are taps on the MVM's bridges (net.c);
 *   - guests' virtio entropy devices are filled from /dev/urandom (rng.c);
 *   - it keeps to the MVM CPUs whose pCPUs run no guest, if there are any,
 *     so that serving a guest does not take that guest's own CPU (cpus.c).
 *
 * Guests without a definition belong to whoever created them and are
 * left alone. Events can be missed (the ring may overflow, shyperd may be
 * restarted), so every few seconds it also looks at every VM and does what
 * an event would have made it do.
 *
 *   - guests migrating from other boards arrive through it (migrate.c).
 *
 *   shyperd [--daemon] [--syslog] [--pidfile PATH] [--device PATH] [--poll-us N]
 *           [--migrate-port N] [--migrate-plain] [--cert-dir DIR]
 *
 * Logs go to stderr, or to syslog with --syslog. --daemon detaches after
 * the device has been opened, so a start-up failure is still seen.
 * --poll-us N keeps asking a drained disk or transmit queue for N more
 * microseconds (0, the default: not at all): lower latency under load,
 * for a CPU that spins.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#include "cpus.h"
#include "migrate.h"
#include "shyperd.h"

#define RECONCILE_MS 5000

static bool use_syslog;
static int64_t poll_ns;         /* --poll-us, in nanoseconds */
static volatile sig_atomic_t quit;

void say(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(priority, fmt, ap);
	} else {
		fputs("shyperd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	}
	va_end(ap);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t monotonic_ms(void)
{
	return now_ns() / 1000000;
}

int vio_fetch_polling(struct shyper *h, uint32_t id, uint16_t slot, uint16_t queue, void *buf,
		      size_t len, uint64_t *token, size_t *readable, size_t *writable)
{
	int64_t until = 0;

	for (;;) {
		int rc = shyper_vio_fetch(h, id, slot, queue, buf, len, token, readable, writable);

		if (rc != SHYPER_ERR_BUSY || !poll_ns)
			return rc;
		if (!until)
			until = now_ns() + poll_ns;
		else if (now_ns() >= until)
			return rc;
	}
}

static void on_signal(int sig)
{
	quit = sig;
}

/*
 * A defined guest stopped by itself or crashed: the library does what its
 * definition asks (<on_poweroff>, <on_reboot>, <on_crash>). LOUD: say so
 * even when the answer is to keep it (an event; the periodic look is quiet
 * about what it already said).
 */
static void settle(struct shyper *h, const struct shyper_vm_info *info, bool loud)
{
	enum shyper_lifecycle_action done;
	char name[SHYPER_NAME_LEN];
	const char *why;

	snprintf(name, sizeof(name), "%.*s", SHYPER_NAME_LEN - 1, info->name);
	if (info->type == SHYPER_VM_MVM)
		return;
	why = info->state == SHYPER_VM_CRASHED ? "crashed"
	      : info->stop_reason == SHYPER_STOP_GUEST_RESET ? "reset itself"
	      : info->stop_reason == SHYPER_STOP_GUEST_POWEROFF ? "powered itself off"
							       : "was stopped";
	if (shyper_domain_settle(h, name, &done)) {
		say(LOG_ERR, "VM '%s' %s, but %s", name, why, shyper_last_error_message(h));
		return;
	}
	switch (done) {
	case SHYPER_ACTION_DESTROY:
		say(LOG_INFO, "VM '%s' (id %u) %s; its memory is back in the pool", name, info->id,
		    why);
		break;
	case SHYPER_ACTION_RESTART:
		say(LOG_INFO, "VM '%s' (id %u) %s and was restarted", name, info->id, why);
		break;
	case SHYPER_ACTION_PRESERVE:
		if (loud)
			say(info->state == SHYPER_VM_CRASHED ? LOG_WARNING : LOG_INFO,
			    "VM '%s' (id %u) %s; it is kept as it is (%s) until 'shyperctl vm destroy "
			    "%s'%s", name, info->id, why,
			    info->state == SHYPER_VM_CRASHED ? "on_crash" : "preserve", name,
			    info->state == SHYPER_VM_CRASHED ? "; 'shyperctl hv log' says why" : "");
		break;
	default:
		break;
	}
}

/*
 * What each guest's mediated virtio slots are (disk or NIC), remembered
 * from its running definition so that a request does not read the
 * definition again; forgotten when the VM stops, and not trusted when the
 * id now names another VM (a missed event).
 */
struct slot_kind {
	bool used;
	uint32_t vm_id;
	uint16_t slot;
	char vm_name[SHYPER_NAME_LEN];
	uint32_t kind;          /* SHYPER_DEV_VIRTIO_BLOCK, _NET or _RNG, 0: none of them */
};

static struct slot_kind kinds[SHYPERD_MAX_DISKS + SHYPERD_MAX_NICS + SHYPERD_MAX_RNGS];

static void kind_forget(uint32_t vm_id)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].vm_id == vm_id)
			kinds[i].used = false;
}

int running_device(struct shyper *h, uint32_t id, uint16_t slot, char *name,
		   struct shyper_domain **dom, struct shyper_device_config *dev, size_t *index)
{
	struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS];
	struct shyper_vm_info info;

	if (slot >= SHYPER_GUEST_VIRTIO_SLOTS || shyper_vm_info(h, id, &info))
		return -1;
	snprintf(name, SHYPER_NAME_LEN, "%.*s", SHYPER_NAME_LEN - 1, info.name);
	if (shyper_domain_lookup_running(h, name, dom)) {
		say(LOG_ERR, "VM '%s': a device request, but no definition: %s", name,
		    shyper_last_error_message(h));
		return -1;
	}
	shyper_domain_virtio_devices(*dom, devs);
	*dev = devs[slot];
	*index = 0;
	for (uint16_t s = 0; s < slot; s++)
		*index += devs[s].kind == dev->kind;
	return 0;
}

static uint32_t kind_of(struct shyper *h, uint32_t vm_id, uint16_t slot)
{
	struct shyper_device_config dev;
	struct shyper_domain *dom;
	struct shyper_vm_info info;
	struct slot_kind *free_entry = NULL;
	char name[SHYPER_NAME_LEN];
	size_t index;

	if (slot >= SHYPER_GUEST_VIRTIO_SLOTS || shyper_vm_info(h, vm_id, &info))
		return 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct slot_kind *k = &kinds[i];

		if (k->used && k->vm_id == vm_id && k->slot == slot) {
			if (!strncmp(k->vm_name, info.name, SHYPER_NAME_LEN))
				return k->kind;
			k->used = false; /* the id went to another VM */
		}
		if (!k->used && !free_entry)
			free_entry = k;
	}
	if (running_device(h, vm_id, slot, name, &dom, &dev, &index))
		return 0;
	shyper_domain_free(dom);
	if (free_entry) {
		free_entry->used = true;
		free_entry->vm_id = vm_id;
		free_entry->slot = slot;
		snprintf(free_entry->vm_name, sizeof(free_entry->vm_name), "%s", name);
		free_entry->kind = dev.kind;
	}
	return dev.kind;
}

/* VM ID's mediated device in SLOT has requests. */
static void on_vio(struct shyper *h, uint32_t id, uint16_t slot)
{
	switch (kind_of(h, id, slot)) {
	case SHYPER_DEV_VIRTIO_BLOCK:
		blk_service(h, id, slot);
		break;
	case SHYPER_DEV_VIRTIO_NET:
		net_service(h, id, slot);
		break;
	case SHYPER_DEV_VIRTIO_RNG:
		rng_service(h, id, slot);
		break;
	default:
		break;
	}
}

/* Keeps off the pCPUs guests run on (cpus.c), as guests come and go. */
static void follow_guests(struct shyper *h)
{
	struct shyper_vm_info *vms;
	size_t count;

	if (shyper_vm_list(h, &vms, &count))
		return; /* the next reconcile tries again */
	cpus_follow_guests(vms, count);
	shyper_vm_list_free(vms);
}

static void on_event(struct shyper *h, const struct shyper_event *ev)
{
	struct shyper_vm_info info;

	if (ev->type == SHYPER_EVENT_VIO) {
		on_vio(h, ev->vm_id, (uint16_t)ev->data[0]);
		return;
	}
	if (ev->type != SHYPER_EVENT_VM_STATE)
		return;
	follow_guests(h);
	if (ev->data[0] == SHYPER_VM_PAUSED)
		net_vm_paused(h, ev->vm_id);
	if (ev->data[0] != SHYPER_VM_RUNNING && ev->data[0] != SHYPER_VM_PAUSED) {
		blk_forget_vm(ev->vm_id);
		net_forget_vm(ev->vm_id);
		rng_forget_vm(ev->vm_id);
		kind_forget(ev->vm_id);
	}
	if (shyper_vm_info(h, ev->vm_id, &info))
		return; /* gone already: someone else dealt with it */
	/* info, not the event, says what it is now: it may have changed since. */
	if ((ev->data[0] == SHYPER_VM_SHUTOFF || ev->data[0] == SHYPER_VM_CRASHED) &&
	    (info.state == SHYPER_VM_SHUTOFF || info.state == SHYPER_VM_CRASHED))
		settle(h, &info, true);
}

/* Does what missed events would have: closes the images and taps of VMs
 * that no longer run, settles defined guests that are shut off or crashed
 * (the hypervisor keeps why each stopped), and serves every open disk, NIC
 * and entropy device. */
static void reconcile(struct shyper *h)
{
	struct shyper_vm_info *vms;
	size_t count;

	if (shyper_vm_list(h, &vms, &count)) {
		say(LOG_ERR, "listing VMs: %s", shyper_last_error_message(h));
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (vms[i].state == SHYPER_VM_RUNNING || vms[i].state == SHYPER_VM_PAUSED)
			continue;
		/* Its images and taps were for a run that is over (a missed
		 * event): the next run opens them again from its definition. */
		blk_forget_vm(vms[i].id);
		net_forget_vm(vms[i].id);
		rng_forget_vm(vms[i].id);
		kind_forget(vms[i].id);
		if (vms[i].state == SHYPER_VM_SHUTOFF || vms[i].state == SHYPER_VM_CRASHED)
			settle(h, &vms[i], false);
	}
	cpus_follow_guests(vms, count);
	shyper_vm_list_free(vms);
	blk_service_all(h);
	net_service_all(h);
	rng_service_all(h);
}

static int write_pidfile(const char *path)
{
	char text[24];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

	if (fd < 0 || write(fd, text, (size_t)len) != len) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

static void usage(FILE *out)
{
	fputs("Usage: shyperd [--daemon] [--syslog] [--pidfile PATH] [--device PATH]\n"
	      "               [--poll-us N] [--migrate-port N] [--migrate-plain]\n"
	      "               [--cert-dir DIR]\n\n"
	      "Follows the hypervisor's events: does what a defined guest's\n"
	      "<on_poweroff>, <on_reboot> and <on_crash> ask when it powers itself\n"
	      "off, resets or crashes, and serves guests' virtio disks, NICs and\n"
	      "entropy devices. Takes guests migrating from other boards on port\n"
	      "7979 (--migrate-port; 0: not at all) over HTTPS, from boards with a\n"
	      "certificate of the fleet's CA (DIR/ca.crt; its own: DIR/board.crt and\n"
	      "board.key; DIR is /etc/shyper), or plain HTTP with --migrate-plain.\n", out);
}

int main(int argc, char **argv)
{
	const char *device = NULL, *pidfile = NULL, *cert_dir = "/etc/shyper";
	unsigned int migrate_port = SHYPER_MIGRATE_PORT;
	bool migrate_plain = false;
	struct sigaction sa;
	bool daemonize = false;
	struct shyper *h;
	int64_t last = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--daemon") || !strcmp(argv[i], "-d")) {
			daemonize = true;
		} else if (!strcmp(argv[i], "--syslog")) {
			use_syslog = true;
		} else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc) {
			pidfile = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			device = argv[++i];
		} else if (!strcmp(argv[i], "--poll-us") && i + 1 < argc) {
			char *end;
			long us = strtol(argv[++i], &end, 10);

			if (*end || end == argv[i] || us < 0 || us > 1000000) {
				fprintf(stderr, "shyperd: bad --poll-us '%s' (0 to 1000000)\n",
					argv[i]);
				return 2;
			}
			poll_ns = (int64_t)us * 1000;
		} else if (!strcmp(argv[i], "--migrate-port") && i + 1 < argc) {
			char *end;
			long port = strtol(argv[++i], &end, 10);

			if (*end || end == argv[i] || port < 0 || port > 65535) {
				fprintf(stderr, "shyperd: bad --migrate-port '%s' (0 to 65535)\n",
					argv[i]);
				return 2;
			}
			migrate_port = (unsigned int)port;
		} else if (!strcmp(argv[i], "--migrate-plain")) {
			migrate_plain = true;
		} else if (!strcmp(argv[i], "--cert-dir") && i + 1 < argc) {
			cert_dir = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "shyperd: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (use_syslog)
		openlog("shyperd", LOG_PID, LOG_DAEMON);
	h = shyper_open(device, &rc);
	if (!h) {
		say(LOG_ERR, "%s", *shyper_last_error_message(NULL) ? shyper_last_error_message(NULL)
								     : shyper_strerror(rc));
		return 1;
	}
	if (daemonize && daemon(0, use_syslog ? 0 : 1) < 0) {
		say(LOG_ERR, "cannot become a daemon: %s", strerror(errno));
		return 1;
	}
	if (pidfile && write_pidfile(pidfile) < 0)
		say(LOG_WARNING, "cannot write %s: %s", pidfile, strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	say(LOG_INFO, "started (libshyper %s)", shyper_library_version());
	if (migrate_port && migrate_start(device, migrate_port, migrate_plain, cert_dir))
		say(LOG_WARNING, "guests cannot migrate to this board");

	while (!quit) {
		struct pollfd fds[1 + SHYPERD_MAX_NICS];
		struct shyper_event ev;
		int64_t now = monotonic_ms(), wait, announce;
		size_t taps;

		if (now - last >= RECONCILE_MS) {
			reconcile(h);
			migrate_expire(h);
			last = now;
		}
		wait = RECONCILE_MS - (now - last);
		announce = net_announce_due(h, now);
		if (announce >= 0 && announce < wait)
			wait = announce;
		/* The events, and the taps that have frames for guests. */
		fds[0].fd = shyper_event_fd(h);
		fds[0].events = POLLIN;
		fds[0].revents = 0;
		taps = net_pollfds(fds + 1, SHYPERD_MAX_NICS);
		rc = poll(fds, 1 + taps, (int)wait);
		if (rc < 0 && errno != EINTR) {
			say(LOG_ERR, "poll: %s", strerror(errno));
			sleep(1);
			continue;
		}
		if (rc <= 0)
			continue;
		if (taps)
			net_pollfds_ready(h, fds + 1, taps);
		if (!fds[0].revents)
			continue;
		/* A burst of events at most, then the taps get their turn. */
		for (int n = 0; n < 64; n++) {
			rc = shyper_event_wait(h, &ev, 0);
			if (rc)
				break;
			on_event(h, &ev);
		}
		if (rc && rc != SHYPER_ERR_TIMEOUT && rc != SHYPER_ERR_INTERRUPTED) {
			say(LOG_ERR, "%s", shyper_last_error_message(h));
			sleep(1); /* do not spin on a persistent error */
		}
	}
	say(LOG_INFO, "stopping on signal %d", (int)quit);
	migrate_stop();
	if (pidfile)
		unlink(pidfile);
	shyper_close(h);
	return 0;
}
