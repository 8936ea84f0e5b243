// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The definition store of managed VMs: one libvirt domain XML file per VM
 * under STATE_DIR/vms (libvirt's own layout), the lock every change takes
 * (STATE_DIR/lock), and what the run directory notes about VMs that have
 * run: their running copies (NAME.xml), NAME.ran and NAME.stopping.
 * Files are written whole (a temporary file and rename()), so a reader
 * never sees part of one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shyper/domain.h>

#include "internal.h"
#include "manage_internal.h"

/* ---- Directories and files --------------------------------------------------- */

static const char *dir_or_default(char **dir, const char *env, const char *fallback)
{
	if (!*dir) {
		const char *value = getenv(env);

		*dir = strdup(value && *value ? value : fallback);
	}
	return *dir;
}

static const char *state_dir(struct shyper *h)
{
	return dir_or_default(&h->state_dir, "SHYPER_STATE_DIR", SHYPER_DEFAULT_STATE_DIR);
}

const char *manage_run_dir(struct shyper *h)
{
	return dir_or_default(&h->run_dir, "SHYPER_RUN_DIR", SHYPER_DEFAULT_RUN_DIR);
}

int shyper_set_dirs(struct shyper *h, const char *state, const char *run)
{
	char *s = NULL, *r = NULL;

	shyper_clear_error(h);
	if ((state && !(s = strdup(state))) || (run && !(r = strdup(run)))) {
		free(s);
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	}
	if (s) {
		free(h->state_dir);
		h->state_dir = s;
	}
	if (r) {
		free(h->run_dir);
		h->run_dir = r;
	}
	return 0;
}

/* mkdir -p for one or two levels; 0 or the errno. */
int manage_make_dir(const char *path)
{
	char parent[PATH_MAX];
	char *slash;

	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || snprintf(parent, sizeof(parent), "%s", path) >= (int)sizeof(parent))
		return errno;
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return ENOENT;
	*slash = '\0';
	if (manage_make_dir(parent))
		return errno ? errno : ENOENT;
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : errno;
}

/* A VM name as a file name: the parser's character set, never "." or "..". */
bool manage_name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!len || len >= SHYPER_NAME_LEN || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int manage_def_path(struct shyper *h, const char *name, char *buf, size_t size)
{
	if (!state_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	if (snprintf(buf, size, "%s/vms/%s.xml", h->state_dir, name) >= (int)size)
		return shyper_fail(h, SHYPER_ERR_INVALID, "the state directory path is too long");
	return 0;
}

int manage_run_path(struct shyper *h, const char *name, const char *suffix, char *buf,
		    size_t size)
{
	if (!manage_run_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	if (snprintf(buf, size, "%s/%s.%s", h->run_dir, name, suffix) >= (int)size)
		return shyper_fail(h, SHYPER_ERR_INVALID, "the run directory path is too long");
	return 0;
}

/* Takes the store's lock into *FD (blocks while another tool holds it). */
int manage_store_lock(struct shyper *h, int *fd)
{
	char path[PATH_MAX];
	int e;

	if (!state_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	snprintf(path, sizeof(path), "%s/vms", h->state_dir);
	e = manage_make_dir(path);
	if (e)
		return shyper_fail(h, e == EACCES ? SHYPER_ERR_PERMISSION : SHYPER_ERR_SYSTEM,
				   "cannot create %s: %s", path, strerror(e));
	snprintf(path, sizeof(path), "%s/lock", h->state_dir);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return shyper_fail(h, errno == EACCES ? SHYPER_ERR_PERMISSION : SHYPER_ERR_SYSTEM,
				   "cannot open %s: %s", path, strerror(errno));
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			e = errno;
			close(*fd);
			return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot lock %s: %s", path,
					   strerror(e));
		}
	}
	return 0;
}

void manage_store_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

/* Writes LEN bytes of DATA to PATH through a temporary file and rename(),
 * so that readers see the old content or the new, never a part. */
int manage_write_atomic(struct shyper *h, const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	int fd, e = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return shyper_fail(h, SHYPER_ERR_INVALID, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return shyper_fail(h, errno == EACCES ? SHYPER_ERR_PERMISSION : SHYPER_ERR_SYSTEM,
				   "cannot write %s: %s", tmp, strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		done += (size_t)n;
	}
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

/* ---- Definitions --------------------------------------------------------------- */

/* Parses the definition at PATH, which must be NAME's. */
static int def_parse(struct shyper *h, const char *path, const char *name,
		     struct shyper_domain **dom)
{
	struct shyper_domain_diag diag = { 0 };
	int rc = shyper_domain_parse_file(path, dom, &diag);

	if (rc) {
		const char *first = diag.count ? diag.entries[0].message : shyper_strerror(rc);

		rc = shyper_fail(h, rc == SHYPER_ERR_NO_ENTRY ? SHYPER_ERR_SYSTEM : rc,
				 "the stored definition %s is damaged: %s (undefine %s to remove it)",
				 path, first, name);
	} else if (strcmp((*dom)->name, name)) {
		rc = shyper_fail(h, SHYPER_ERR_INVALID,
				 "the stored definition %s is damaged: it names VM '%s', not '%s' "
				 "(undefine %s to remove it)", path, (*dom)->name, name, name);
		shyper_domain_free(*dom);
		*dom = NULL;
	}
	shyper_domain_diag_free(&diag);
	return rc;
}

/* Reads NAME's definition; SHYPER_ERR_NO_ENTRY when there is none. */
int manage_def_read(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	char path[PATH_MAX];
	int rc;

	if (!manage_name_ok(name))
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s'", name ? name : "");
	rc = manage_def_path(h, name, path, sizeof(path));
	if (rc)
		return rc;
	if (access(path, F_OK) < 0)
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s' is defined", name);
	return def_parse(h, path, name, dom);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void manage_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Names of all definitions, sorted; release with manage_names_free(). */
int manage_def_names(struct shyper *h, char ***names, size_t *count)
{
	char path[PATH_MAX];
	char **list = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	*names = NULL;
	*count = 0;
	if (!state_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	snprintf(path, sizeof(path), "%s/vms", h->state_dir);
	dir = opendir(path);
	if (!dir) {
		if (errno == ENOENT)
			return 0;
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot read %s: %s", path, strerror(errno));
	}
	while ((d = readdir(dir))) {
		size_t len = strlen(d->d_name);
		char name[SHYPER_NAME_LEN];

		if (len < 5 || strcmp(d->d_name + len - 4, ".xml") || len - 4 >= SHYPER_NAME_LEN)
			continue;
		memcpy(name, d->d_name, len - 4);
		name[len - 4] = '\0';
		if (!manage_name_ok(name))
			continue;
		if (n == cap) {
			char **bigger = realloc(list, (cap ? cap * 2 : 16) * sizeof(*list));

			if (!bigger)
				goto nomem;
			list = bigger;
			cap = cap ? cap * 2 : 16;
		}
		if (!(list[n] = strdup(name)))
			goto nomem;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(list, n, sizeof(*list), compare_names);
	*names = list;
	*count = n;
	return 0;
nomem:
	closedir(dir);
	manage_names_free(list, n);
	return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
}

/* ---- The run directory --------------------------------------------------------- */

/* Forgets what the run directory knows about NAME. */
void manage_run_forget(struct shyper *h, const char *name)
{
	static const char *const suffixes[] = { "ran", "console", "xml" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (!manage_run_path(h, name, suffixes[i], path, sizeof(path)))
			unlink(path);
	shyper_clear_error(h);
}

/* RUN_DIR/NAME.SUFFIX, an empty file: a note that outlives the process but
 * not the MVM. Set (created), cleared (removed) and looked at; failures
 * leave no message (a missing note means "no"). */
static void run_note_set(struct shyper *h, const char *name, const char *suffix, bool on)
{
	char path[PATH_MAX];
	int fd;

	if (manage_run_dir(h) && !manage_make_dir(h->run_dir) &&
	    !manage_run_path(h, name, suffix, path, sizeof(path))) {
		if (!on) {
			unlink(path);
		} else {
			fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
		}
	}
	shyper_clear_error(h);
}

static bool run_note_is_set(struct shyper *h, const char *name, const char *suffix)
{
	char path[PATH_MAX];
	bool set = !manage_run_path(h, name, suffix, path, sizeof(path)) && access(path, F_OK) == 0;

	shyper_clear_error(h);
	return set;
}

bool manage_has_run(struct shyper *h, const char *name)
{
	return run_note_is_set(h, name, "ran");
}

void manage_mark_run(struct shyper *h, const char *name)
{
	run_note_set(h, name, "ran", true);
}

/*
 * The definition a VM was started from, kept in the run directory: a
 * reboot reloads what runs, not a definition replaced since (that one
 * applies from the next start, as in libvirt).
 */
void manage_running_copy_save(struct shyper *h, const struct shyper_domain *dom)
{
	char path[PATH_MAX];
	char *xml = shyper_domain_to_xml(dom);

	if (xml && manage_run_dir(h) && !manage_make_dir(h->run_dir) &&
	    !manage_run_path(h, dom->name, "xml", path, sizeof(path)))
		manage_write_atomic(h, path, xml, strlen(xml));
	free(xml);
	shyper_clear_error(h);
}

/* The definition NAME runs with: its running copy, else its definition. */
int manage_running_copy_read(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	char path[PATH_MAX];

	if (manage_name_ok(name) && !manage_run_path(h, name, "xml", path, sizeof(path)) &&
	    access(path, F_OK) == 0 && def_parse(h, path, name, dom) == 0)
		return 0;
	shyper_clear_error(h);
	return manage_def_read(h, name, dom);
}

/* RUN_DIR/NAME.stopping: the tools asked NAME to stop (the power button),
 * so its power-off is theirs, not the guest's to turn into a restart. */
void manage_stopping_mark(struct shyper *h, const char *name, bool on)
{
	run_note_set(h, name, "stopping", on);
}

bool manage_stopping_marked(struct shyper *h, const char *name)
{
	return run_note_is_set(h, name, "stopping");
}
