// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Console cursors: how much of a VM's console output a reader has seen,
 * kept in RUN_DIR/NAME.console as "ID OFFSET", so that a console reader
 * that comes back later goes on where it stopped. A cursor belongs to one
 * run of the VM (its id); a cursor of an earlier run reads as 0.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "manage_internal.h"

int shyper_console_cursor_get(struct shyper *h, const char *name, uint32_t id, uint64_t *offset)
{
	char path[PATH_MAX], text[64];
	unsigned long long saved_offset;
	unsigned int saved_id;
	ssize_t n;
	int fd, rc;

	shyper_clear_error(h);
	if (!offset)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no place for the console offset");
	*offset = 0;
	if (!manage_name_ok(name))
		return shyper_fail(h, SHYPER_ERR_INVALID, "'%s' is not a VM name", name ? name : "");
	rc = manage_run_path(h, name, "console", path, sizeof(path));
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (sscanf(text, "%u %llu", &saved_id, &saved_offset) == 2 && saved_id == id)
		*offset = saved_offset;
	return 0;
}

int shyper_console_cursor_set(struct shyper *h, const char *name, uint32_t id, uint64_t offset)
{
	char path[PATH_MAX], text[64];
	int e, len;

	shyper_clear_error(h);
	if (!manage_name_ok(name))
		return shyper_fail(h, SHYPER_ERR_INVALID, "'%s' is not a VM name", name ? name : "");
	if (!manage_run_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	e = manage_make_dir(h->run_dir);
	if (e)
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot create %s: %s", h->run_dir,
				   strerror(e));
	if (manage_run_path(h, name, "console", path, sizeof(path)))
		return SHYPER_ERR_INVALID;
	len = snprintf(text, sizeof(text), "%u %llu\n", id, (unsigned long long)offset);
	return manage_write_atomic(h, path, text, (size_t)len);
}
