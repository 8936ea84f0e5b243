// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Guests being sent (a migration or a live save), for whoever watches the
 * board: the sender keeps RUN_DIR/NAME.sending up to date with its
 * progress, a few times a second, and removes it when it is done;
 * shyper_sends_list() reads them back. A file whose sender is gone (it
 * was killed) is left out.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shyper/domain.h>

#include "internal.h"
#include "manage_internal.h"

#define SUFFIX "sending"
#define STATUS_MAX 512

void manage_send_status_write(struct shyper *h, const char *name,
			      const struct shyper_send_progress *p)
{
	char path[PATH_MAX], text[STATUS_MAX], message[SHYPER_MESSAGE_LEN];
	int len;

	/* A watcher's convenience: never the sender's failure, nor its message. */
	snprintf(message, sizeof(message), "%s", h->message);
	len = snprintf(text, sizeof(text),
		       "pid %d\nround %u\nstopped %d\nram_pages %" PRIu64 "\nround_pages %" PRIu64
		       "\nround_done %" PRIu64 "\ndirty_pages %" PRIu64 "\nbytes %" PRIu64
		       "\nrate %" PRIu64 "\nelapsed_ns %" PRIu64 "\n",
		       (int)getpid(), p->round, p->stopped ? 1 : 0, p->ram_pages, p->round_pages,
		       p->round_done, p->dirty_pages, p->bytes, p->rate, p->elapsed_ns);
	if (!manage_run_path(h, name, SUFFIX, path, sizeof(path)) &&
	    !manage_make_dir(h->run_dir) && len > 0 && len < (int)sizeof(text))
		manage_write_atomic(h, path, text, (size_t)len);
	snprintf(h->message, sizeof(h->message), "%s", message);
}

void manage_send_status_clear(struct shyper *h, const char *name)
{
	char path[PATH_MAX], message[SHYPER_MESSAGE_LEN];

	snprintf(message, sizeof(message), "%s", h->message);
	if (!manage_run_path(h, name, SUFFIX, path, sizeof(path)))
		unlink(path);
	snprintf(h->message, sizeof(h->message), "%s", message);
}

/* One status file into *OUT: every key there, each once, numbers only,
 * and a sender still alive. */
static bool status_read(const char *path, struct shyper_send_status *out)
{
	static const char *const keys[] = { "pid", "round", "stopped", "ram_pages",
					    "round_pages", "round_done", "dirty_pages", "bytes",
					    "rate", "elapsed_ns" };
	uint64_t v[sizeof(keys) / sizeof(keys[0])];
	unsigned seen = 0;
	char line[128];
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char key[32], rest[2];
		uint64_t value;
		unsigned k;

		if (sscanf(line, "%31s %" SCNu64 "%1s", key, &value, rest) != 2)
			break;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[k]); k++)
			;
		if (k == sizeof(keys) / sizeof(keys[0]) || (seen & 1u << k))
			break;
		seen |= 1u << k;
		v[k] = value;
	}
	fclose(f);
	if (seen != (1u << (sizeof(keys) / sizeof(keys[0]))) - 1 || !v[0] || v[0] > INT_MAX ||
	    v[1] > UINT_MAX || v[2] > 1)
		return false;
	if (kill((pid_t)v[0], 0) < 0 && errno == ESRCH)
		return false;
	out->pid = (int)v[0];
	out->progress = (struct shyper_send_progress){
		.round = (unsigned)v[1], .stopped = v[2] != 0, .ram_pages = v[3],
		.round_pages = v[4], .round_done = v[5], .dirty_pages = v[6], .bytes = v[7],
		.rate = v[8], .elapsed_ns = v[9],
	};
	if (out->progress.rate)
		out->progress.expected_downtime_ms =
			out->progress.dirty_pages * SHYPER_PAGE_SIZE * 1000 / out->progress.rate;
	return true;
}

int shyper_sends_list(struct shyper *h, struct shyper_send_status **list, size_t *count)
{
	struct shyper_send_status *all = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *dir;

	shyper_clear_error(h);
	if (!manage_run_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	dir = opendir(h->run_dir);
	if (!dir && errno != ENOENT)
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot read %s: %s", h->run_dir,
				   strerror(errno));
	while (dir && (e = readdir(dir))) {
		size_t len = strlen(e->d_name), base = len - (sizeof(SUFFIX) - 1);
		char path[PATH_MAX], name[SHYPER_NAME_LEN];

		if (len <= sizeof(SUFFIX) || strcmp(e->d_name + base, SUFFIX) ||
		    e->d_name[base - 1] != '.' || base - 1 >= sizeof(name))
			continue;
		memcpy(name, e->d_name, base - 1);
		name[base - 1] = '\0';
		if (!manage_name_ok(name) ||
		    snprintf(path, sizeof(path), "%s/%s", h->run_dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (n == cap) {
			struct shyper_send_status *bigger = realloc(all, (cap + 4) * sizeof(*all));

			if (!bigger) {
				closedir(dir);
				free(all);
				return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
			}
			all = bigger;
			cap += 4;
		}
		memset(&all[n], 0, sizeof(all[n]));
		if (!status_read(path, &all[n]))
			continue;
		snprintf(all[n].name, sizeof(all[n].name), "%s", name);
		n++;
	}
	if (dir)
		closedir(dir);
	if (!all && !(all = calloc(1, sizeof(*all))))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	*list = all;
	*count = n;
	return 0;
}
