// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Managed VMs: the definitions the MVM keeps (one libvirt domain XML file
 * per VM, libvirt's own layout) and the operations that take a VM from its
 * definition through its life in the hypervisor: start, graceful and
 * forced stop, reboot, pause, resume. shyperctl and shyperd both work
 * through here, so there is one meaning of "start" and one of "stop".
 *
 * The hypervisor knows VMs by id and name; a definition by name and UUID.
 * A VM's name is the key between them: the hypervisor refuses a second VM
 * of the same name, and define refuses a name the hypervisor already uses
 * for a VM without a definition.
 *
 * Every call that changes something takes an exclusive flock on
 * STATE_DIR/lock first, and checks the current state only once it holds
 * it, so two tools racing on one VM are serialised and the loser gets a
 * clear "already running" rather than a half-made VM.
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
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <shyper/domain.h>

#include "board_cpu.h"
#include "domain_internal.h"
#include "elf_internal.h"
#include "hostdev_internal.h"
#include "internal.h"

/* How often a graceful stop looks whether the guest has powered off. */
#define SHUTDOWN_POLL_NS 50000000L

/* An arm64 Linux Image: its header says how much memory it really needs. */
#define ARM64_IMAGE_MAGIC 0x644d5241U /* "ARM\x64" at byte 56 */
#define ARM64_IMAGE_HEADER 64

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

static const char *run_dir(struct shyper *h)
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
static int make_dir(const char *path)
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
	if (make_dir(parent))
		return errno ? errno : ENOENT;
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : errno;
}

/* A VM name as a file name: the parser's character set, never "." or "..". */
static bool name_ok(const char *name)
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

static int def_path(struct shyper *h, const char *name, char *buf, size_t size)
{
	if (!state_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	if (snprintf(buf, size, "%s/vms/%s.xml", h->state_dir, name) >= (int)size)
		return shyper_fail(h, SHYPER_ERR_INVALID, "the state directory path is too long");
	return 0;
}

static int run_path(struct shyper *h, const char *name, const char *suffix, char *buf,
		    size_t size)
{
	if (!run_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	if (snprintf(buf, size, "%s/%s.%s", h->run_dir, name, suffix) >= (int)size)
		return shyper_fail(h, SHYPER_ERR_INVALID, "the run directory path is too long");
	return 0;
}

/* Takes the store's lock into *FD (blocks while another tool holds it). */
static int store_lock(struct shyper *h, int *fd)
{
	char path[PATH_MAX];
	int e;

	if (!state_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	snprintf(path, sizeof(path), "%s/vms", h->state_dir);
	e = make_dir(path);
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

static void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

/* Writes LEN bytes of DATA to PATH through a temporary file and rename(),
 * so that readers see the old content or the new, never a part. */
static int write_atomic(struct shyper *h, const char *path, const char *data, size_t len)
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

/* Destroys VM ID (NAME's) and gives its passed-through devices back to the
 * MVM's drivers; defined further down. */
static int release_vm(struct shyper *h, const char *name, uint32_t id);
static void stopping_mark(struct shyper *h, const char *name, bool on);
static int running_copy_read(struct shyper *h, const char *name, struct shyper_domain **dom);

/* ---- Definitions --------------------------------------------------------------- */

/* Reads NAME's definition; SHYPER_ERR_NO_ENTRY when there is none. */
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
static int def_read(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	char path[PATH_MAX];
	int rc;

	if (!name_ok(name))
		return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s'", name ? name : "");
	rc = def_path(h, name, path, sizeof(path));
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

static void names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Names of all definitions, sorted; release with names_free(). */
static int def_names(struct shyper *h, char ***names, size_t *count)
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
		if (!name_ok(name))
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
	names_free(list, n);
	return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
}

/* A random (version 4) UUID from the kernel's generator. */
static int uuid_generate(struct shyper *h, uint8_t uuid[16])
{
	size_t done = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot open /dev/urandom: %s",
				   strerror(errno));
	while (done < 16) {
		ssize_t n = read(fd, uuid + done, 16 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot read /dev/urandom");
		}
		done += (size_t)n;
	}
	close(fd);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	return 0;
}

/* A file the VM needs (WHAT: "kernel") must be a readable regular file. */
static int check_file(struct shyper *h, const char *vm, const char *what, const char *path,
		      uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return shyper_fail(h, errno == ENOENT ? SHYPER_ERR_NO_ENTRY : SHYPER_ERR_SYSTEM,
				   "VM '%s': %s %s: %s", vm, what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': %s %s is not a regular file",
				   vm, what, path);
	if (st.st_size == 0)
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': %s %s is empty", vm, what, path);
	if (access(path, R_OK) < 0)
		return shyper_fail(h, SHYPER_ERR_PERMISSION, "VM '%s': %s %s: %s", vm, what, path,
				   strerror(errno));
	if (size)
		*size = (uint64_t)st.st_size;
	return 0;
}

static int check_files(struct shyper *h, const struct shyper_domain *dom)
{
	int rc;

	if (!dom->kernel)
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': no <kernel> in <os>", dom->name);
	rc = check_file(h, dom->name, "kernel", dom->kernel, NULL);
	if (!rc && dom->initrd)
		rc = check_file(h, dom->name, "initrd", dom->initrd, NULL);
	if (!rc && dom->dtb)
		rc = check_file(h, dom->name, "dtb", dom->dtb, NULL);
	for (size_t i = 0; !rc && i < dom->disk_count; i++) {
		const struct shyper_domain_disk *d = &dom->disks[i];
		uint64_t size;

		rc = check_file(h, dom->name, "disk image", d->source, &size);
		if (!rc && size % 512)
			rc = shyper_fail(h, SHYPER_ERR_INVALID,
					 "VM '%s': disk image %s is %llu bytes, not a whole number "
					 "of 512-byte sectors", dom->name, d->source,
					 (unsigned long long)size);
		if (!rc && !d->readonly && access(d->source, W_OK) < 0)
			rc = shyper_fail(h, SHYPER_ERR_PERMISSION,
					 "VM '%s': disk image %s is not writable (add <readonly/> "
					 "if the guest should only read it): %s", dom->name,
					 d->source, strerror(errno));
	}
	return rc;
}

/*
 * <cpu mode='custom'><model>: every pCPU the guest runs on must be that
 * model (QEMU's 'max' and 'host' name whatever it is). A pCPU whose model
 * the MVM cannot tell (offline in the MVM) is taken to be what CPU 0 is.
 */
static int check_cpu_model(struct shyper *h, const struct shyper_domain *dom)
{
	if (dom->cpu_mode != SHYPER_CPU_CUSTOM || !strcmp(dom->cpu_model, "max") ||
	    !strcmp(dom->cpu_model, "host"))
		return 0;
	for (unsigned int v = 0; v < dom->vcpu_count; v++) {
		unsigned int pcpu = dom->vcpu_pcpu[v] == SHYPER_DOMAIN_PCPU_UNPINNED
					    ? v : (unsigned int)dom->vcpu_pcpu[v];
		const char *have;
		uint64_t midr;

		if (board_cpu_midr(pcpu, &midr) && board_cpu_midr(0, &midr))
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': <cpu><model>%s</model>: the MVM cannot tell the "
					   "board's CPU model (use <cpu mode='host-passthrough'/>)",
					   dom->name, dom->cpu_model);
		have = board_cpu_model_name(midr);
		if (!have)
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': <cpu><model>%s</model>, but pCPU %u (vCPU %u's) is a "
					   "CPU Shyper has no name for (MIDR 0x%llx): use <cpu "
					   "mode='host-passthrough'/>", dom->name, dom->cpu_model, pcpu, v,
					   (unsigned long long)midr);
		if (strcmp(have, dom->cpu_model))
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': <cpu><model>%s</model>, but pCPU %u (vCPU %u's) is a "
					   "%s: a guest's vCPUs are the board's CPUs (name that model, or "
					   "use <cpu mode='host-passthrough'/>)", dom->name,
					   dom->cpu_model, pcpu, v, have);
	}
	return 0;
}

/* What the hypervisor will say about DOM's shape, said first and better. */
static int check_against_hv(struct shyper *h, const struct shyper_domain *dom,
			    const struct shyper_hv_info *hv)
{
	for (unsigned int v = 0; v < dom->vcpu_count; v++) {
		int pcpu = dom->vcpu_pcpu[v] == SHYPER_DOMAIN_PCPU_UNPINNED ? (int)v
									   : dom->vcpu_pcpu[v];

		if (pcpu < 0 || (uint32_t)pcpu >= hv->pcpu_count)
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': vCPU %u %s pCPU %d, but the board has pCPUs 0-%u "
					   "only (see <cputune>)", dom->name, v,
					   dom->vcpu_pcpu[v] == SHYPER_DOMAIN_PCPU_UNPINNED
						   ? "is not pinned, so it would run on"
						   : "is pinned to",
					   pcpu, hv->pcpu_count - 1);
	}
	if (check_cpu_model(h, dom))
		return SHYPER_ERR_INVALID;
	if (dom->memory > hv->pool_total)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY,
				   "VM '%s': %llu MiB of memory is more than the whole guest pool "
				   "(%llu MiB; the hypervisor's pool= argument sets it)", dom->name,
				   (unsigned long long)(dom->memory >> 20),
				   (unsigned long long)(hv->pool_total >> 20));
	return 0;
}

/* The hypervisor's VM called NAME into *INFO: 1 found, 0 none, or an error. */
static int hv_find(struct shyper *h, const char *name, struct shyper_vm_info *info)
{
	int rc = shyper_vm_info_by_name(h, name, info);

	if (rc == SHYPER_ERR_NO_ENTRY) {
		shyper_clear_error(h);
		return 0;
	}
	return rc ? rc : 1;
}

int shyper_domain_define(struct shyper *h, struct shyper_domain *dom, bool *replaced)
{
	struct shyper_hv_info hv;
	struct shyper_vm_info info;
	char path[PATH_MAX];
	char **names = NULL;
	size_t count = 0;
	char *xml = NULL;
	int lock = -1, rc;

	shyper_clear_error(h);
	if (replaced)
		*replaced = false;
	if (!dom || !name_ok(dom->name))
		return shyper_fail(h, SHYPER_ERR_INVALID, "defining a VM: no valid definition given");
	rc = shyper_hv_info(h, &hv);
	if (!rc)
		rc = check_against_hv(h, dom, &hv);
	if (!rc)
		rc = check_files(h, dom);
	if (!rc)
		rc = store_lock(h, &lock);
	if (rc)
		return rc;

	/* The hypervisor's VMs without a definition (the MVM) keep their names. */
	rc = def_path(h, dom->name, path, sizeof(path));
	if (rc)
		goto out;
	rc = hv_find(h, dom->name, &info);
	if (rc < 0)
		goto out;
	if (rc == 1 && access(path, F_OK) < 0) {
		rc = shyper_fail(h, SHYPER_ERR_EXISTS,
				 "VM '%s' already exists (id %u, %s) and is not a defined VM",
				 dom->name, info.id, shyper_vm_type_name(info.type));
		goto out;
	}
	rc = def_names(h, &names, &count);
	for (size_t i = 0; !rc && i < count; i++) {
		struct shyper_domain *other;

		rc = def_read(h, names[i], &other);
		if (rc && strcmp(names[i], dom->name)) {
			/* Another VM's damaged file says nothing about this one. */
			shyper_clear_error(h);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		if (!strcmp(other->name, dom->name)) {
			if (shyper_uuid_is_zero(dom->uuid) ||
			    memcmp(other->uuid, dom->uuid, sizeof(dom->uuid))) {
				char uuid[37];

				shyper_uuid_format(other->uuid, uuid);
				rc = shyper_fail(h, SHYPER_ERR_EXISTS,
						 "VM '%s' is already defined (with UUID %s); to "
						 "change its definition give that UUID, or undefine "
						 "it first", dom->name, uuid);
			} else if (replaced) {
				*replaced = true;
			}
		} else if (!shyper_uuid_is_zero(dom->uuid) &&
			   !memcmp(other->uuid, dom->uuid, sizeof(dom->uuid))) {
			char uuid[37];

			shyper_uuid_format(dom->uuid, uuid);
			rc = shyper_fail(h, SHYPER_ERR_EXISTS, "UUID %s already belongs to VM '%s'",
					 uuid, other->name);
		}
		shyper_domain_free(other);
	}
	if (rc)
		goto out;
	if (shyper_uuid_is_zero(dom->uuid)) {
		rc = uuid_generate(h, dom->uuid);
		if (rc)
			goto out;
	}
	/* As libvirt does, the stored definition says which MAC each NIC has. */
	for (size_t i = 0; i < dom->interface_count; i++)
		shyper_guest_nic_mac(dom, i, dom->interfaces[i].mac);
	xml = shyper_domain_to_xml(dom);
	if (!xml) {
		rc = shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	rc = write_atomic(h, path, xml, strlen(xml));
out:
	free(xml);
	names_free(names, count);
	store_unlock(lock);
	return rc;
}

int shyper_domain_lookup_running(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	shyper_clear_error(h);
	if (!dom)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no place for the definition");
	return running_copy_read(h, name, dom);
}

int shyper_domain_lookup(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	shyper_clear_error(h);
	if (!dom)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no place for the definition");
	return def_read(h, name, dom);
}

/* Forgets what the run directory knows about NAME. */
static void run_forget(struct shyper *h, const char *name)
{
	static const char *const suffixes[] = { "ran", "console", "xml" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (!run_path(h, name, suffixes[i], path, sizeof(path)))
			unlink(path);
	shyper_clear_error(h);
}

int shyper_domain_undefine(struct shyper *h, const char *name)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_info info;
	char path[PATH_MAX];
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = hv_find(h, name ? name : "", &info);
	if (rc < 0)
		goto out;
	if (rc == 1 && info.type == SHYPER_VM_MVM) {
		rc = shyper_fail(h, SHYPER_ERR_PERMISSION,
				 "VM '%s' is the management VM: it cannot be undefined", name);
		goto out;
	}
	if (rc == 1 && info.state != SHYPER_VM_SHUTOFF && info.state != SHYPER_VM_DEFINED) {
		rc = shyper_fail(h, SHYPER_ERR_BUSY,
				 "VM '%s' is %s: stop or destroy it before undefining it", name,
				 shyper_vm_state_name(info.state));
		goto out;
	}
	/* Only the file has to exist: a damaged definition can go too. */
	if (!name_ok(name)) {
		rc = shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s'", name ? name : "");
		goto out;
	}
	rc = def_path(h, name, path, sizeof(path));
	if (rc)
		goto out;
	if (access(path, F_OK) < 0) {
		rc = shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s' is defined", name);
		goto out;
	}
	/* A VM that powered itself off and was not yet released goes too. */
	if (hv_find(h, name, &info) == 1)
		release_vm(h, name, info.id);
	if (unlink(path) < 0) {
		rc = shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot remove %s: %s", path, strerror(errno));
		goto out;
	}
	run_forget(h, name);
	rc = 0;
out:
	shyper_domain_free(dom);
	store_unlock(lock);
	return rc;
}

/* ---- What users see ------------------------------------------------------------ */

static bool has_run(struct shyper *h, const char *name)
{
	char path[PATH_MAX];
	bool ran = !run_path(h, name, "ran", path, sizeof(path)) && access(path, F_OK) == 0;

	shyper_clear_error(h);
	return ran;
}

static void mark_run(struct shyper *h, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (run_dir(h) && !make_dir(h->run_dir) &&
	    !run_path(h, name, "ran", path, sizeof(path))) {
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	shyper_clear_error(h);
}

static void managed_from_def(struct shyper *h, const struct shyper_domain *dom,
			     struct shyper_managed_vm *vm)
{
	snprintf(vm->name, sizeof(vm->name), "%s", dom->name);
	memcpy(vm->uuid, dom->uuid, sizeof(vm->uuid));
	vm->defined = true;
	if (vm->active)
		return; /* what runs is the hypervisor's to say, not a newer definition's */
	vm->type = dom->type;
	vm->vcpu_count = dom->vcpu_count;
	vm->memory = dom->memory;
	for (unsigned int v = 0; v < dom->vcpu_count && v < SHYPER_MAX_VCPUS; v++)
		vm->vcpu_pcpu[v] = (uint8_t)(dom->vcpu_pcpu[v] == SHYPER_DOMAIN_PCPU_UNPINNED
						     ? (int)v : dom->vcpu_pcpu[v]);
	vm->state = has_run(h, dom->name) ? SHYPER_VM_SHUTOFF : SHYPER_VM_DEFINED;
}

static void managed_from_info(const struct shyper_vm_info *info, struct shyper_managed_vm *vm)
{
	vm->active = true;
	vm->info = *info;
	snprintf(vm->name, sizeof(vm->name), "%.*s", SHYPER_NAME_LEN - 1, info->name);
	vm->state = info->state;
	vm->type = info->type;
	vm->vcpu_count = info->vcpu_count;
	vm->memory = info->memory;
	memcpy(vm->vcpu_pcpu, info->vcpu_pcpu, sizeof(vm->vcpu_pcpu));
}

int shyper_managed_list(struct shyper *h, struct shyper_managed_vm **out, size_t *count)
{
	struct shyper_vm_info *vms = NULL;
	struct shyper_managed_vm *list;
	size_t hv_count = 0, def_count = 0, n = 0;
	char **names = NULL;
	int rc;

	shyper_clear_error(h);
	if (!out || !count)
		return shyper_fail(h, SHYPER_ERR_INVALID, "listing VMs: nowhere to put them");
	rc = shyper_vm_list(h, &vms, &hv_count);
	if (!rc)
		rc = def_names(h, &names, &def_count);
	if (rc) {
		shyper_vm_list_free(vms);
		return rc;
	}
	list = calloc(hv_count + def_count + 1, sizeof(*list));
	if (!list) {
		rc = shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < hv_count; i++)
		managed_from_info(&vms[i], &list[n++]);
	for (size_t d = 0; d < def_count; d++) {
		struct shyper_managed_vm *vm = NULL;
		struct shyper_domain *dom;

		/* A definition that cannot be read is skipped, not fatal: the
		 * others are still worth listing. */
		if (def_read(h, names[d], &dom)) {
			shyper_clear_error(h);
			continue;
		}
		for (size_t i = 0; i < hv_count; i++)
			if (!strcmp(list[i].name, dom->name))
				vm = &list[i];
		managed_from_def(h, dom, vm ? vm : &list[n++]);
		shyper_domain_free(dom);
	}
	*out = list;
	*count = n;
out:
	names_free(names, def_count);
	shyper_vm_list_free(vms);
	return rc;
}

int shyper_managed_get(struct shyper *h, const char *name_or_id, struct shyper_managed_vm *vm)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_info info;
	int rc;

	shyper_clear_error(h);
	if (!name_or_id || !vm)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no VM given");
	memset(vm, 0, sizeof(*vm));
	/* A name wins over an id: 'vm start 0' then 'vm info 0' mean VM '0'. */
	rc = hv_find(h, name_or_id, &info);
	if (rc < 0)
		return rc;
	if (rc == 0 && name_ok(name_or_id) && def_read(h, name_or_id, &dom) == 0) {
		managed_from_def(h, dom, vm);
		shyper_domain_free(dom);
		return 0;
	}
	shyper_clear_error(h);
	if (rc == 0)
		rc = shyper_vm_lookup(h, name_or_id, &info);
	else if (rc == 1)
		rc = 0;
	if (rc == 0) {
		managed_from_info(&info, vm);
		if (name_ok(vm->name) && def_read(h, vm->name, &dom) == 0)
			managed_from_def(h, dom, vm);
		shyper_clear_error(h);
		shyper_domain_free(dom);
		return 0;
	}
	if (rc != SHYPER_ERR_NO_ENTRY)
		return rc;
	rc = def_read(h, name_or_id, &dom);
	if (rc == SHYPER_ERR_NO_ENTRY)
		return shyper_fail(h, rc, "no VM with id or name '%s'", name_or_id);
	if (rc)
		return rc;
	managed_from_def(h, dom, vm);
	shyper_domain_free(dom);
	return 0;
}

/* ---- Starting ------------------------------------------------------------------ */

/* How far past its load address the kernel reaches once running: an arm64
 * Image says so in its header; anything else is just its file. */
static uint64_t kernel_extent(const char *path, uint64_t file_size)
{
	uint8_t hdr[ARM64_IMAGE_HEADER];
	uint64_t image_size = 0;
	uint32_t magic = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return file_size;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr))
		return file_size;
	for (int i = 3; i >= 0; i--)
		magic = magic << 8 | hdr[56 + i];
	for (int i = 7; i >= 0; i--)
		image_size = image_size << 8 | hdr[16 + i];
	if (magic != ARM64_IMAGE_MAGIC || image_size < file_size || image_size > (1ULL << 32))
		return file_size;
	return image_size;
}

/* The kernel as it will be loaded: a flat image entered at
 * SHYPER_DOMAIN_ENTRY_IPA, or an ELF executable's segments. */
struct kernel_image {
	bool elf;
	void *data;               /* the whole ELF file */
	size_t size;
	struct shyper_elf layout;
	uint64_t entry;
	uint64_t extent;          /* bytes from SHYPER_DOMAIN_ENTRY_IPA it reaches */
};

static void kernel_image_free(struct kernel_image *img)
{
	free(img->data);
	img->data = NULL;
}

static int kernel_inspect(struct shyper *h, const struct shyper_domain *dom,
			  struct kernel_image *img)
{
	uint64_t ram_end = SHYPER_GUEST_RAM_BASE + dom->memory;
	uint8_t head[4] = { 0 };
	uint64_t file_size;
	char err[256];
	int fd, rc;

	memset(img, 0, sizeof(*img));
	rc = check_file(h, dom->name, "kernel", dom->kernel, &file_size);
	if (rc)
		return rc;
	fd = open(dom->kernel, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, head, sizeof(head)) != (ssize_t)sizeof(head))
			memset(head, 0, sizeof(head));
		close(fd);
	}
	if (!shyper_elf_is(head, sizeof(head))) {
		img->entry = SHYPER_DOMAIN_ENTRY_IPA;
		img->extent = kernel_extent(dom->kernel, file_size);
	} else {
		rc = shyper_elf_read(dom->kernel, (size_t)dom->memory, &img->data, &img->size);
		if (rc == -EFBIG)
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': ELF file %s is larger than its memory", dom->name,
					   dom->kernel);
		if (rc)
			return shyper_fail(h, SHYPER_ERR_SYSTEM, "VM '%s': kernel %s: %s", dom->name,
					   dom->kernel, strerror(-rc));
		if (shyper_elf_parse(dom->kernel, img->data, img->size, SHYPER_DOMAIN_ENTRY_IPA,
				     ram_end, &img->layout, err, sizeof(err))) {
			kernel_image_free(img);
			return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': %s", dom->name, err);
		}
		img->elf = true;
		img->entry = img->layout.entry;
		img->extent = img->layout.end - SHYPER_DOMAIN_ENTRY_IPA;
	}
	if (img->extent > dom->memory - (SHYPER_DOMAIN_ENTRY_IPA - SHYPER_GUEST_RAM_BASE)) {
		kernel_image_free(img);
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "VM '%s': its kernel needs %llu MiB, more than its %llu MiB of memory",
				   dom->name, (unsigned long long)((img->extent + (1 << 20) - 1) >> 20),
				   (unsigned long long)(dom->memory >> 20));
	}
	return 0;
}

/* Loads DOM's images into VM ID (stopped): kernel, initrd, device tree. */
static int load_images(struct shyper *h, const struct shyper_domain *dom, uint32_t id,
		       struct shyper_domain_diag *diag)
{
	struct shyper_guest_initrd initrd = { 0 };
	struct kernel_image img;
	size_t dtb_size = 0;
	void *dtb = NULL;
	int rc;

	rc = kernel_inspect(h, dom, &img);
	if (rc)
		return rc;
	if (dom->initrd) {
		rc = check_file(h, dom->name, "initrd", dom->initrd, &initrd.size);
		if (rc)
			goto out;
		initrd.ipa = shyper_domain_initrd_ipa(dom, img.extent, initrd.size);
		if (!initrd.ipa) {
			rc = shyper_fail(h, SHYPER_ERR_INVALID,
					 "VM '%s': kernel and initrd (%llu MiB) do not fit in its "
					 "%llu MiB of memory", dom->name,
					 (unsigned long long)((img.extent + initrd.size) >> 20),
					 (unsigned long long)(dom->memory >> 20));
			goto out;
		}
	}
	rc = shyper_guest_fdt_build(dom, dom->initrd ? &initrd : NULL, &dtb, &dtb_size, diag);
	if (rc) {
		rc = shyper_fail(h, rc, "VM '%s': its device tree could not be made%s%s", dom->name,
				 diag && diag->count ? ": " : "",
				 diag && diag->count ? diag->entries[diag->count - 1].message : "");
		goto out;
	}
	if (!img.elf) {
		rc = shyper_vm_load_file(h, id, SHYPER_DOMAIN_ENTRY_IPA, dom->kernel);
	} else {
		for (unsigned int i = 0; !rc && i < img.layout.count; i++) {
			const struct shyper_elf_segment *seg = &img.layout.seg[i];

			if (seg->filesz) /* the rest is the pool's zeroes */
				rc = shyper_vm_load(h, id, seg->paddr,
						    (const char *)img.data + seg->offset,
						    (size_t)seg->filesz);
		}
	}
	if (!rc && dom->initrd)
		rc = shyper_vm_load_file(h, id, initrd.ipa, dom->initrd);
	if (!rc)
		rc = shyper_vm_load(h, id, SHYPER_DOMAIN_DTB_IPA, dtb, dtb_size);
out:
	free(dtb);
	kernel_image_free(&img);
	return rc;
}

/* Gives VM ID (just created) the devices DOM's machine has: its virtio
 * devices, in the slots the guest's device tree names. */
static int add_devices(struct shyper *h, const struct shyper_domain *dom, uint32_t id)
{
	struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS];
	size_t disk = 0;
	int rc = 0;

	/* A NIC's tap goes on a bridge of the MVM (shyperd plugs it in): the
	 * bridge must be there, or the guest would start cut off. */
	for (size_t i = 0; i < dom->interface_count; i++) {
		const char *bridge = shyper_domain_interface_bridge(&dom->interfaces[i]);
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/class/net/%s/bridge", shyper_sysfs_root(), bridge);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			return shyper_fail(h, SHYPER_ERR_NO_ENTRY,
					   "VM '%s': interface %zu: the MVM has no bridge '%s'%s", dom->name,
					   i, bridge,
					   dom->interfaces[i].type == SHYPER_INTERFACE_NETWORK ?
					   " (the MVM's init makes it for network 'default')" : "");
	}
	shyper_guest_virtio_devices(dom, devs);
	for (unsigned int slot = 0; !rc && slot < SHYPER_GUEST_VIRTIO_SLOTS; slot++) {
		if (devs[slot].kind == SHYPER_DEV_VIRTIO_BLOCK) {
			uint64_t size = 0;

			rc = check_file(h, dom->name, "disk image", dom->disks[disk++].source, &size);
			devs[slot].capacity = size / 512;
		}
		if (!rc && devs[slot].kind)
			rc = shyper_vm_add_device(h, id, &devs[slot]);
	}
	if (!rc && shyper_guest_has_rtc(dom)) {
		struct shyper_device_config rtc = { .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
						    .kind = SHYPER_DEV_RTC };

		rc = shyper_domain_rtc_time(dom, time(NULL), &rtc.rtc_time);
		if (rc)
			return shyper_fail(h, rc, "VM '%s': its <clock> gives a time its real-time "
					   "clock cannot show (before 1970 or after 2106)",
					   dom->name);
		rc = shyper_vm_add_device(h, id, &rtc);
	}
	return rc;
}

/* Keeps the current message, with "starting VM 'NAME': " in front. */
static int prefix_message(struct shyper *h, int rc, const char *verb, const char *name)
{
	char message[SHYPER_MESSAGE_LEN];
	char own[SHYPER_NAME_LEN + 48];

	snprintf(own, sizeof(own), "%s VM '", verb);
	if (!strncmp(h->message, "VM '", 4) || !strncmp(h->message, own, strlen(own)))
		return rc; /* it names the VM already */
	snprintf(message, sizeof(message), "%s", h->message);
	return shyper_fail(h, rc, "%s VM '%s': %s", verb, name, message);
}

/*
 * The definition a VM was started from, kept in the run directory: a
 * reboot reloads what runs, not a definition replaced since (that one
 * applies from the next start, as in libvirt).
 */
static void running_copy_save(struct shyper *h, const struct shyper_domain *dom)
{
	char path[PATH_MAX];
	char *xml = shyper_domain_to_xml(dom);

	if (xml && run_dir(h) && !make_dir(h->run_dir) &&
	    !run_path(h, dom->name, "xml", path, sizeof(path)))
		write_atomic(h, path, xml, strlen(xml));
	free(xml);
	shyper_clear_error(h);
}

/* The definition NAME runs with: its running copy, else its definition. */
static int running_copy_read(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	char path[PATH_MAX];

	if (name_ok(name) && !run_path(h, name, "xml", path, sizeof(path)) &&
	    access(path, F_OK) == 0 && def_parse(h, path, name, dom) == 0)
		return 0;
	shyper_clear_error(h);
	return def_read(h, name, dom);
}

static int release_vm(struct shyper *h, const char *name, uint32_t id)
{
	struct shyper_domain *dom = NULL;
	int rc = shyper_vm_destroy(h, id);

	/* Only once the hypervisor has taken the devices back from the guest
	 * may the MVM's drivers touch them again. */
	if (rc)
		return rc;
	if (running_copy_read(h, name, &dom) == 0 && dom->hostdev_count)
		shyper_hostdev_detach(h, dom);
	shyper_domain_free(dom);
	stopping_mark(h, name, false);
	shyper_clear_error(h);
	return 0;
}

static int start_locked(struct shyper *h, const char *name, uint32_t *id_out,
			struct shyper_domain_diag *diag)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_config config;
	struct kernel_image img;
	struct shyper_vm_info info;
	uint32_t id;
	int rc;

	rc = def_read(h, name, &dom);
	if (rc)
		return rc;
	rc = hv_find(h, name, &info);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		if (info.state == SHYPER_VM_RUNNING || info.state == SHYPER_VM_PAUSED) {
			rc = shyper_fail(h, SHYPER_ERR_BUSY, "VM '%s' is already %s (id %u)", name,
					 shyper_vm_state_name(info.state), info.id);
			goto out;
		}
		if (info.state == SHYPER_VM_CRASHED) {
			rc = shyper_fail(h, SHYPER_ERR_BUSY,
					 "VM '%s' has crashed: 'shyperctl vm destroy %s' clears it "
					 "(its memory is kept until then for inspection)", name, name);
			goto out;
		}
		/* Powered off but not yet released: start afresh. */
		rc = release_vm(h, name, info.id);
		if (rc)
			goto out;
	}
	rc = check_files(h, dom);
	if (!rc)
		rc = kernel_inspect(h, dom, &img);
	if (!rc) {
		kernel_image_free(&img);
		rc = shyper_domain_to_config(dom, &config);
		config.entry_ipa = img.entry; /* an ELF kernel says where */
	}
	if (!rc)
		rc = shyper_vm_create(h, &config, &id);
	if (rc)
		goto out;
	rc = add_devices(h, dom, id);
	if (!rc)
		rc = shyper_hostdev_attach(h, id, dom);
	if (!rc)
		rc = load_images(h, dom, id, diag);
	if (!rc)
		rc = shyper_vm_start(h, id);
	if (rc) {
		char message[SHYPER_MESSAGE_LEN];

		snprintf(message, sizeof(message), "%s", h->message);
		/* Nothing changes: the VM goes, and its devices back to the MVM. */
		if (shyper_vm_destroy(h, id) == 0)
			shyper_hostdev_detach(h, dom);
		snprintf(h->message, sizeof(h->message), "%s", message);
		goto out;
	}
	mark_run(h, name);
	stopping_mark(h, name, false);
	running_copy_save(h, dom);
	shyper_console_cursor_set(h, name, id, 0);
	if (id_out)
		*id_out = id;
out:
	shyper_domain_free(dom);
	return rc;
}

int shyper_domain_start(struct shyper *h, const char *name, uint32_t *id,
			struct shyper_domain_diag *diag)
{
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = start_locked(h, name, id, diag);
	if (rc)
		rc = prefix_message(h, rc, "starting", name ? name : "");
	store_unlock(lock);
	return rc;
}

/* ---- Stopping -------------------------------------------------------------------- */

/* The hypervisor's VM called NAME, for an operation on it: 1 found (in
 * *INFO), or an error: the MVM is never ours to stop or pause, and a
 * defined VM that is not in the hypervisor is "not running". Guests
 * without a definition (made through the raw lifecycle calls) are found
 * too: they can be stopped, paused and destroyed, but not rebooted. */
static int active_vm(struct shyper *h, const char *name, const char *verb,
		     struct shyper_vm_info *info)
{
	int rc = hv_find(h, name ? name : "", info);

	if (rc < 0)
		return rc;
	if (rc == 1 && info->type == SHYPER_VM_MVM)
		return shyper_fail(h, SHYPER_ERR_PERMISSION,
				   "%s VM '%s': it is the management VM, which Shyper does not let "
				   "itself be %s", verb, name,
				   !strcmp(verb, "pausing") ? "paused" : "stopped");
	if (rc == 0) {
		struct shyper_domain *dom;

		rc = def_read(h, name, &dom);
		if (rc)
			return rc;
		shyper_domain_free(dom);
		return shyper_fail(h, SHYPER_ERR_BUSY, "%s VM '%s': it is not running", verb, name);
	}
	return 1;
}

/* Powers VM ID off (if needed) and gives its memory back. */
static int power_off_and_release(struct shyper *h, const struct shyper_vm_info *info)
{
	int rc = 0;

	if (info->state == SHYPER_VM_RUNNING || info->state == SHYPER_VM_PAUSED)
		rc = shyper_vm_stop(h, info->id);
	if (!rc)
		rc = release_vm(h, info->name, info->id);
	return rc;
}

int shyper_domain_destroy(struct shyper *h, const char *name)
{
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, "destroying", &info);
	if (rc == 1) {
		if (info.state == SHYPER_VM_SHUTOFF || info.state == SHYPER_VM_DEFINED) {
			/* Off already; releasing it is housekeeping, not an answer. */
			release_vm(h, name, info.id);
			rc = shyper_fail(h, SHYPER_ERR_BUSY, "destroying VM '%s': it is not running",
					 name);
		} else {
			rc = power_off_and_release(h, &info);
		}
	}
	store_unlock(lock);
	return rc;
}

int shyper_domain_release(struct shyper *h, const char *name)
{
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = hv_find(h, name ? name : "", &info);
	if (rc == 1) {
		rc = 0;
		if (info.type != SHYPER_VM_MVM && info.state == SHYPER_VM_SHUTOFF)
			rc = release_vm(h, name, info.id);
	}
	store_unlock(lock);
	return rc;
}

static void sleep_ns(long ns)
{
	nanosleep(&(struct timespec){ .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L },
		  NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int shyper_domain_shutdown(struct shyper *h, const char *name, int timeout_ms, bool *forced)
{
	struct shyper_vm_info info;
	uint32_t id;
	int64_t deadline;
	int lock = -1, rc;

	shyper_clear_error(h);
	if (forced)
		*forced = false;
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, "stopping", &info);
	if (rc != 1)
		goto out;
	if (info.state == SHYPER_VM_CRASHED) {
		rc = shyper_fail(h, SHYPER_ERR_BUSY,
				 "stopping VM '%s': it has crashed; 'shyperctl vm destroy %s' clears it",
				 name, name);
		goto out;
	}
	if (info.state == SHYPER_VM_SHUTOFF || info.state == SHYPER_VM_DEFINED) {
		release_vm(h, name, info.id);
		rc = shyper_fail(h, SHYPER_ERR_BUSY, "stopping VM '%s': it is not running", name);
		goto out;
	}
	id = info.id;
	rc = 0;
	/* A paused guest cannot hear the button: let it run to hear it. */
	if (timeout_ms > 0 && info.state == SHYPER_VM_PAUSED)
		rc = shyper_vm_resume(h, id);
	if (!rc && timeout_ms > 0) {
		/* The power-off that follows is ours: no <on_poweroff> restart. */
		stopping_mark(h, name, true);
		rc = shyper_vm_control(h, id, SHYPER_VM_OP_SHUTDOWN);
		if (rc == SHYPER_ERR_NOT_SUPPORTED) {
			/* A hypervisor before ABI 1.2 has no button: force it. */
			shyper_clear_error(h);
			rc = 0;
			timeout_ms = 0;
		}
	}
	if (rc)
		goto out;
	/* Wait without the lock: others may look meanwhile. */
	store_unlock(lock);
	lock = -1;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	while (now_ms() < deadline) {
		rc = shyper_vm_info(h, id, &info);
		if (rc || strncmp(info.name, name, SHYPER_NAME_LEN) ||
		    info.state != SHYPER_VM_RUNNING)
			break;
		sleep_ns(SHUTDOWN_POLL_NS);
	}
	shyper_clear_error(h);
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = hv_find(h, name, &info);
	if (rc <= 0 || info.id != id) {
		rc = rc < 0 ? rc : 0; /* gone already: released by someone else */
		goto out;
	}
	if (info.state == SHYPER_VM_RUNNING || info.state == SHYPER_VM_PAUSED) {
		if (forced)
			*forced = true;
	}
	rc = power_off_and_release(h, &info);
out:
	if (rc)
		rc = prefix_message(h, rc, "stopping", name ? name : "");
	store_unlock(lock);
	return rc;
}

/* ---- Reboot, pause, resume --------------------------------------------------------- */

/* Reloads and restarts NAME (its VM is INFO), under the store's lock. */
static int reboot_locked(struct shyper *h, const char *name, struct shyper_vm_info *info,
			 struct shyper_domain_diag *diag)
{
	struct shyper_domain *dom = NULL;
	int rc;

	if (info->state == SHYPER_VM_CRASHED)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "rebooting VM '%s': it has crashed; destroy it, then start it", name);
	/* Everything that can fail without touching the VM comes first. */
	rc = running_copy_read(h, name, &dom);
	if (rc == SHYPER_ERR_NO_ENTRY)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "rebooting VM '%s': it has no definition to load it from again",
				   name);
	if (!rc)
		rc = check_files(h, dom);
	if (rc)
		goto out;
	/* The VM keeps the shape it was created with. */
	dom->memory = info->memory;
	dom->vcpu_count = info->vcpu_count;
	if (info->state == SHYPER_VM_RUNNING || info->state == SHYPER_VM_PAUSED)
		rc = shyper_vm_stop(h, info->id);
	if (!rc)
		rc = load_images(h, dom, info->id, diag);
	if (!rc)
		rc = shyper_vm_start(h, info->id);
	if (rc) {
		/* Half rebooted is no state to leave a VM in: power it off. */
		char message[SHYPER_MESSAGE_LEN];

		snprintf(message, sizeof(message), "%s", h->message);
		if (hv_find(h, name, info) == 1)
			power_off_and_release(h, info);
		shyper_fail(h, rc, "%s (the VM is now shut off)", message);
	}
out:
	shyper_domain_free(dom);
	return rc;
}

int shyper_domain_reboot(struct shyper *h, const char *name, struct shyper_domain_diag *diag)
{
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, "rebooting", &info);
	if (rc == 1)
		rc = reboot_locked(h, name, &info, diag);
	if (rc)
		rc = prefix_message(h, rc, "rebooting", name ? name : "");
	store_unlock(lock);
	return rc;
}

/* ---- A guest that stopped by itself ------------------------------------------------ */

/* RUN_DIR/NAME.stopping: the tools asked NAME to stop (the power button),
 * so its power-off is theirs, not the guest's to turn into a restart. */
static void stopping_mark(struct shyper *h, const char *name, bool on)
{
	char path[PATH_MAX];
	int fd;

	if (run_dir(h) && !make_dir(h->run_dir) &&
	    !run_path(h, name, "stopping", path, sizeof(path))) {
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

static bool stopping_marked(struct shyper *h, const char *name)
{
	char path[PATH_MAX];
	bool marked = !run_path(h, name, "stopping", path, sizeof(path)) && access(path, F_OK) == 0;

	shyper_clear_error(h);
	return marked;
}

/* What the definition asks for a stop of REASON (or a crash). */
static enum shyper_lifecycle_action settle_action(const struct shyper_domain *dom,
						  const struct shyper_vm_info *info,
						  bool asked_to_stop)
{
	if (info->state == SHYPER_VM_CRASHED)
		return dom->on_crash ?: SHYPER_ACTION_PRESERVE;
	if (asked_to_stop || info->stop_reason == SHYPER_STOP_BY_MVM)
		return SHYPER_ACTION_DESTROY;
	if (info->stop_reason == SHYPER_STOP_GUEST_RESET)
		return dom->on_reboot ?: SHYPER_ACTION_RESTART;
	return dom->on_poweroff ?: SHYPER_ACTION_DESTROY;
}

int shyper_domain_settle(struct shyper *h, const char *name, enum shyper_lifecycle_action *done)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_info info;
	enum shyper_lifecycle_action action = SHYPER_ACTION_DEFAULT;
	int lock = -1, rc;

	shyper_clear_error(h);
	*done = SHYPER_ACTION_DEFAULT;
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = hv_find(h, name ? name : "", &info);
	if (rc != 1 || info.type == SHYPER_VM_MVM ||
	    (info.state != SHYPER_VM_SHUTOFF && info.state != SHYPER_VM_CRASHED))
		goto out; /* gone, or not stopped: nothing to do */
	/* Guests without a definition belong to whoever made them. */
	if (running_copy_read(h, name, &dom)) {
		shyper_clear_error(h);
		rc = 0;
		goto out;
	}
	action = settle_action(dom, &info, stopping_marked(h, name));
	switch (action) {
	case SHYPER_ACTION_DESTROY:
		rc = release_vm(h, name, info.id);
		break;
	case SHYPER_ACTION_RESTART:
		if (info.state == SHYPER_VM_CRASHED) {
			rc = release_vm(h, name, info.id);
			if (!rc)
				rc = start_locked(h, name, NULL, NULL);
		} else {
			rc = reboot_locked(h, name, &info, NULL);
		}
		break;
	default: /* preserve: as it stopped, until someone destroys it */
		rc = 0;
		break;
	}
	if (!rc)
		*done = action;
	else
		rc = prefix_message(h, rc, action == SHYPER_ACTION_RESTART ? "restarting" : "releasing",
				    name);
out:
	shyper_domain_free(dom);
	store_unlock(lock);
	return rc < 0 ? rc : 0;
}
static int pause_resume(struct shyper *h, const char *name, bool pause)
{
	const char *verb = pause ? "pausing" : "resuming";
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, verb, &info);
	if (rc == 1) {
		uint32_t want = pause ? SHYPER_VM_RUNNING : SHYPER_VM_PAUSED;

		if (info.state != want)
			rc = shyper_fail(h, SHYPER_ERR_BUSY, "%s VM '%s': it is %s, not %s", verb,
					 name, shyper_vm_state_name(info.state),
					 shyper_vm_state_name(want));
		else
			rc = pause ? shyper_vm_pause(h, info.id) : shyper_vm_resume(h, info.id);
	}
	store_unlock(lock);
	return rc;
}

int shyper_domain_pause(struct shyper *h, const char *name)
{
	return pause_resume(h, name, true);
}

int shyper_domain_resume(struct shyper *h, const char *name)
{
	return pause_resume(h, name, false);
}

/* ---- Console cursors ---------------------------------------------------------------- */

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
	if (!name_ok(name))
		return shyper_fail(h, SHYPER_ERR_INVALID, "'%s' is not a VM name", name ? name : "");
	rc = run_path(h, name, "console", path, sizeof(path));
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
	if (!name_ok(name))
		return shyper_fail(h, SHYPER_ERR_INVALID, "'%s' is not a VM name", name ? name : "");
	if (!run_dir(h))
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	e = make_dir(h->run_dir);
	if (e)
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot create %s: %s", h->run_dir,
				   strerror(e));
	if (run_path(h, name, "console", path, sizeof(path)))
		return SHYPER_ERR_INVALID;
	len = snprintf(text, sizeof(text), "%u %llu\n", id, (unsigned long long)offset);
	return write_atomic(h, path, text, (size_t)len);
}
