// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Managed VMs (lib/manage_*.c, lib/console_cursor.c) against the fake
 * device: the definitions store (define, undefine, lookup, list, get), each
 * step of a VM's life (start, graceful and forced stop, destroy, reboot,
 * pause, resume, release), console cursors, names that try to leave the
 * store, and the JSON of managed VMs. Every test gets a fresh temporary state and run
 * directory; the real /var/lib/shyper and /run/shyper are never touched.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <libfdt.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#include "fake_transport.h"

#define MiB (1ULL << 20)
#define KERNEL_SIZE 4096
#define INITRD_SIZE 5000

static struct shyper *h;
static char tmp[PATH_MAX];    /* this test's own directory */

/* ---- Paths and files --------------------------------------------------------- */

/* A path under this test's directory; eight results stay valid at once. */
static const char *at(const char *fmt, ...)
{
	static char ring[8][PATH_MAX];
	static unsigned int next;
	char *buf = ring[next++ % 8];
	size_t len = strlen(tmp);
	va_list ap;

	memcpy(buf, tmp, len);
	buf[len++] = '/';
	va_start(ap, fmt);
	if (vsnprintf(buf + len, PATH_MAX - len, fmt, ap) >= (int)(PATH_MAX - len))
		fail_msg("path too long");
	va_end(ap);
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t size = 0;

	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = (size_t)ftell(f);
	rewind(f);
	data = malloc(size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, size, f), size);
	data[size] = '\0';
	fclose(f);
	if (len)
		*len = size;
	return data;
}

/* A file of SIZE bytes whose content depends on SEED. */
static void write_pattern(const char *path, size_t size, unsigned int seed)
{
	uint8_t *data = malloc(size ? size : 1);

	assert_non_null(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 31 + seed + (i >> 8));
	write_file(path, data, size);
	free(data);
}

static uint64_t file_hash(const char *path)
{
	size_t len;
	char *data = read_file(path, &len);
	uint64_t hash = fake_hash(data, len);

	free(data);
	return hash;
}

/* An arm64 Linux Image of FILE_SIZE bytes whose header says IMAGE_SIZE. */
static void write_arm64_image(const char *path, size_t file_size, uint64_t image_size,
			      bool magic)
{
	uint8_t *data = calloc(1, file_size);

	assert_non_null(data);
	assert_true(file_size >= 64);
	for (int i = 0; i < 8; i++)
		data[16 + i] = (uint8_t)(image_size >> (8 * i));
	if (magic)
		memcpy(data + 56, "ARM\x64", 4);
	for (size_t i = 64; i < file_size; i++)
		data[i] = (uint8_t)i;
	write_file(path, data, file_size);
	free(data);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The names (and content hashes) of everything under DIR, sorted: two
 * equal digests mean nothing in DIR changed. */
static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void digest_dir(const char *dir, const char *prefix, char ***list, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX], *entry;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			char sub[PATH_MAX];

			snprintf(sub, sizeof(sub), "%s%s/", prefix, e->d_name);
			assert_true(asprintf(&entry, "%s", sub) > 0);
			*list = realloc(*list, (*count + 1) * sizeof(**list));
			(*list)[(*count)++] = entry;
			digest_dir(path, sub, list, count);
			continue;
		}
		assert_true(asprintf(&entry, "%s%s=%016llx", prefix, e->d_name,
				     (unsigned long long)file_hash(path)) > 0);
		*list = realloc(*list, (*count + 1) * sizeof(**list));
		(*list)[(*count)++] = entry;
	}
	closedir(d);
}

/* Everything in this test's directory, as one string for free(). */
static char *digest_tree(void)
{
	char **list = NULL, *out;
	size_t count = 0, len = 1;

	digest_dir(tmp, "", &list, &count);
	if (count)
		qsort(list, count, sizeof(*list), compare_strings);
	for (size_t i = 0; i < count; i++)
		len += strlen(list[i]) + 1;
	out = calloc(1, len);
	assert_non_null(out);
	for (size_t i = 0; i < count; i++) {
		strcat(out, list[i]);
		strcat(out, "\n");
		free(list[i]);
	}
	free(list);
	return out;
}

/* ---- "Nothing changed" ------------------------------------------------------------ */

struct snapshot {
	struct shyper_vm_info vms[FAKE_MAX_VMS];
	unsigned int vm_count;
	uint64_t pool_free;
	uint32_t hv_vm_count;
	char *tree;
};

static void snapshot_take(struct snapshot *s)
{
	memcpy(s->vms, fake.vms, sizeof(s->vms));
	s->vm_count = fake.vm_count;
	s->pool_free = fake.hv.pool_free;
	s->hv_vm_count = fake.hv.vm_count;
	s->tree = digest_tree();
}

/* The fake hypervisor's VMs, its pool and every file are as they were. */
static void assert_unchanged(struct snapshot *s)
{
	char *tree = digest_tree();
	bool same = !strcmp(tree, s->tree);

	if (!same)
		print_message("files before:\n%sfiles after:\n%s", s->tree, tree);
	free(tree);
	free(s->tree);
	s->tree = NULL;
	assert_true(same);
	assert_int_equal(fake.vm_count, s->vm_count);
	assert_memory_equal(fake.vms, s->vms, s->vm_count * sizeof(s->vms[0]));
	assert_int_equal(fake.hv.pool_free, s->pool_free);
	assert_int_equal(fake.hv.vm_count, s->hv_vm_count);
}

/* ---- Fixture ----------------------------------------------------------------------- */

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");
	int err = 1;

	(void)state;
	fake_reset();
	unsetenv("SHYPER_DEVICE");
	snprintf(tmp, sizeof(tmp), "%s/shyper-manage-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(tmp));
	assert_int_equal(mkdir(at("files"), 0755), 0);
	write_pattern(at("files/kernel"), KERNEL_SIZE, 1);
	write_pattern(at("files/initrd"), INITRD_SIZE, 2);
	/* The environment names other directories: shyper_set_dirs() wins. */
	setenv("SHYPER_STATE_DIR", at("env-state"), 1);
	setenv("SHYPER_RUN_DIR", at("env-run"), 1);
	h = shyper_open(NULL, &err);
	assert_non_null(h);
	assert_int_equal(shyper_set_dirs(h, at("state"), at("run")), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shyper_close(h);
	h = NULL;
	assert_int_equal(fake.open_count, 0);
	assert_false(exists(at("env-state")));
	assert_false(exists(at("env-run")));
	nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("SHYPER_STATE_DIR");
	unsetenv("SHYPER_RUN_DIR");
	return 0;
}

static void assert_message_contains(const char *part)
{
	const char *message = shyper_last_error_message(h);

	if (!strstr(message, part))
		fail_msg("message \"%s\" lacks \"%s\"", message, part);
}

/* ---- Definitions -------------------------------------------------------------------- */

/*
 * Parses a definition of NAME with MIB MiB and the test kernel; OS_EXTRA
 * goes into <os> after the kernel, BODY before </domain>.
 */
static struct shyper_domain *dom_parse(const char *name, unsigned int mib, const char *os_extra,
				       const char *body)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = NULL;
	char *xml;
	int rc;

	assert_true(asprintf(&xml,
			     "<domain type='shyper'>\n"
			     "  <name>%s</name>\n"
			     "  <memory unit='MiB'>%u</memory>\n"
			     "  <os><kernel>%s</kernel>%s</os>\n"
			     "%s"
			     "</domain>\n",
			     name, mib, at("files/kernel"), os_extra ? os_extra : "",
			     body ? body : "") > 0);
	rc = shyper_domain_parse_string(xml, strlen(xml), &dom, &diag);
	if (rc) {
		shyper_domain_diag_print(&diag, "xml", stderr);
		fail_msg("the test's definition does not parse: %s", xml);
	}
	free(xml);
	shyper_domain_diag_free(&diag);
	return dom;
}

/* "<initrd>the test initrd</initrd>" and friends, for OS_EXTRA. */
static const char *os_initrd(void)
{
	static char buf[PATH_MAX + 32];

	snprintf(buf, sizeof(buf), "<initrd>%s</initrd>", at("files/initrd"));
	return buf;
}

static int define(struct shyper_domain *dom, bool *replaced)
{
	return shyper_domain_define(h, dom, replaced);
}

/* Defines NAME (MIB MiB, the test kernel, OS_EXTRA) and checks it worked. */
static void define_vm(const char *name, unsigned int mib, const char *os_extra)
{
	struct shyper_domain *dom = dom_parse(name, mib, os_extra, NULL);
	bool replaced = true;

	if (define(dom, &replaced))
		fail_msg("defining %s: %s", name, shyper_last_error_message(h));
	assert_false(replaced);
	shyper_domain_free(dom);
}

static uint32_t start_vm(const char *name)
{
	uint32_t id = UINT32_MAX;
	int rc = shyper_domain_start(h, name, &id, NULL);

	if (rc)
		fail_msg("starting %s: %s", name, shyper_last_error_message(h));
	assert_non_null(fake_vm(id));
	assert_string_equal(fake_vm(id)->name, name);
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);
	return id;
}

static bool str_equal(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void assert_dom_equal(const struct shyper_domain *a, const struct shyper_domain *b)
{
	assert_string_equal(a->name, b->name);
	assert_memory_equal(a->uuid, b->uuid, 16);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->memory, b->memory);
	assert_int_equal(a->vcpu_count, b->vcpu_count);
	assert_memory_equal(a->vcpu_pcpu, b->vcpu_pcpu, a->vcpu_count * sizeof(a->vcpu_pcpu[0]));
	assert_true(str_equal(a->kernel, b->kernel));
	assert_true(str_equal(a->initrd, b->initrd));
	assert_true(str_equal(a->cmdline, b->cmdline));
	assert_true(str_equal(a->dtb, b->dtb));
	assert_int_equal(a->console_count, b->console_count);
	assert_memory_equal(a->consoles, b->consoles, a->console_count * sizeof(a->consoles[0]));
}

static bool uuid_is_zero(const uint8_t uuid[16])
{
	for (int i = 0; i < 16; i++)
		if (uuid[i])
			return false;
	return true;
}

static void test_define_stores_what_it_was_given(void **state)
{
	struct shyper_domain *dom, *back = NULL, *file = NULL, *second;
	bool replaced = true;

	(void)state;
	dom = dom_parse("web", 64, "<initrd>/dev/null</initrd><cmdline>console=ttyAMA0</cmdline>",
			"<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='3'/>"
			"<vcpupin vcpu='1' cpuset='2'/></cputune>\n"
			"<metadata><shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>"
			"<shyper:type>rtvm</shyper:type></shyper:vm></metadata>\n");
	/* /dev/null is no regular file: refused. */
	assert_int_equal(define(dom, &replaced), SHYPER_ERR_INVALID);
	assert_message_contains("initrd /dev/null is not a regular file");
	free(dom->initrd);
	dom->initrd = strdup(at("files/initrd"));
	assert_true(uuid_is_zero(dom->uuid));

	assert_int_equal(define(dom, &replaced), 0);
	assert_false(replaced);
	/* A random version 4, variant 1 UUID, written back into DOM. */
	assert_false(uuid_is_zero(dom->uuid));
	assert_int_equal(dom->uuid[6] >> 4, 4);
	assert_int_equal(dom->uuid[8] & 0xc0, 0x80);

	/* Where the documentation says, and it reads back the same. */
	assert_true(exists(at("state/vms/web.xml")));
	assert_true(exists(at("state/lock")));
	assert_int_equal(shyper_domain_parse_file(at("state/vms/web.xml"), &file, NULL), 0);
	assert_dom_equal(file, dom);
	assert_int_equal(shyper_domain_lookup(h, "web", &back), 0);
	assert_dom_equal(back, dom);
	assert_int_equal(back->type, SHYPER_VM_RTVM);
	assert_int_equal(back->vcpu_pcpu[0], 3);
	assert_int_equal(back->vcpu_pcpu[1], 2);
	/* Nothing of the store in the environment's directories. */
	assert_false(exists(at("env-state")));

	/* Another one gets another UUID. */
	second = dom_parse("db", 64, NULL, NULL);
	assert_int_equal(define(second, NULL), 0);
	assert_int_equal(second->uuid[6] >> 4, 4);
	assert_memory_not_equal(second->uuid, dom->uuid, 16);

	shyper_domain_free(second);
	shyper_domain_free(file);
	shyper_domain_free(back);
	shyper_domain_free(dom);
}

static void test_define_uses_environment_dirs(void **state)
{
	struct shyper *other;
	int err;

	(void)state;
	other = shyper_open(NULL, &err);
	assert_non_null(other);
	{
		struct shyper_domain *dom = dom_parse("envvm", 64, NULL, NULL);

		assert_int_equal(shyper_domain_define(other, dom, NULL), 0);
		shyper_domain_free(dom);
	}
	assert_true(exists(at("env-state/vms/envvm.xml")));
	assert_false(exists(at("state/vms/envvm.xml")));
	assert_int_equal(shyper_domain_start(other, "envvm", NULL, NULL), 0);
	assert_true(exists(at("env-run/envvm.console")));
	assert_int_equal(shyper_domain_destroy(other, "envvm"), 0);
	assert_int_equal(shyper_domain_undefine(other, "envvm"), 0);
	shyper_close(other);
	/* The fixture's check is for the other tests: clean up here. */
	nftw(at("env-state"), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	nftw(at("env-run"), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_dirs_are_made_as_needed(void **state)
{
	(void)state;
	assert_int_equal(shyper_set_dirs(h, at("deep/er/state"), at("deep/er/run")), 0);
	define_vm("web", 64, NULL);
	assert_true(exists(at("deep/er/state/vms/web.xml")));
	start_vm("web");
	assert_true(exists(at("deep/er/run/web.console")));
	/* NULL keeps a directory. */
	assert_int_equal(shyper_set_dirs(h, NULL, at("run")), 0);
	assert_int_equal(shyper_domain_destroy(h, "web"), 0);
	assert_true(exists(at("deep/er/state/vms/web.xml")));
	start_vm("web");
	assert_true(exists(at("run/web.console")));
}

static void test_define_duplicate_name(void **state)
{
	struct shyper_domain *first, *again;
	struct snapshot snap;
	bool replaced = true;

	(void)state;
	first = dom_parse("web", 64, NULL, NULL);
	assert_int_equal(define(first, NULL), 0);
	snapshot_take(&snap);

	/* Same name, no UUID: refused, and the definition stays as it was. */
	again = dom_parse("web", 128, NULL, NULL);
	assert_int_equal(define(again, &replaced), SHYPER_ERR_EXISTS);
	assert_false(replaced);
	assert_message_contains("VM 'web' is already defined");
	assert_true(uuid_is_zero(again->uuid));
	assert_unchanged(&snap);

	/* Same name, another UUID: the same. */
	snapshot_take(&snap);
	memset(again->uuid, 0x11, 16);
	assert_int_equal(define(again, &replaced), SHYPER_ERR_EXISTS);
	assert_false(replaced);
	assert_unchanged(&snap);

	shyper_domain_free(again);
	shyper_domain_free(first);
}

static void test_define_same_uuid_replaces(void **state)
{
	struct shyper_domain *first, *again, *back;
	bool replaced = false;

	(void)state;
	first = dom_parse("web", 64, NULL, NULL);
	assert_int_equal(define(first, NULL), 0);
	again = dom_parse("web", 128, os_initrd(), NULL);
	memcpy(again->uuid, first->uuid, 16);
	assert_int_equal(define(again, &replaced), 0);
	assert_true(replaced);
	assert_int_equal(shyper_domain_lookup(h, "web", &back), 0);
	assert_dom_equal(back, again);
	assert_int_equal(back->memory, 128 * MiB);
	shyper_domain_free(back);

	/* While it runs too: the VM itself is not touched. */
	{
		uint32_t id = start_vm("web");
		struct shyper_vm_info before = *fake_vm(id);

		again->memory = 32 * MiB;
		replaced = false;
		assert_int_equal(define(again, &replaced), 0);
		assert_true(replaced);
		assert_memory_equal(fake_vm(id), &before, sizeof(before));
	}
	/* No replaced pointer is fine. */
	assert_int_equal(define(again, NULL), 0);
	shyper_domain_free(again);
	shyper_domain_free(first);
}

static void test_define_uuid_of_another_vm(void **state)
{
	struct shyper_domain *first, *other;
	struct snapshot snap;
	bool replaced = true;

	(void)state;
	first = dom_parse("web", 64, NULL, NULL);
	assert_int_equal(define(first, NULL), 0);
	snapshot_take(&snap);
	other = dom_parse("db", 64, NULL, NULL);
	memcpy(other->uuid, first->uuid, 16);
	assert_int_equal(define(other, &replaced), SHYPER_ERR_EXISTS);
	assert_false(replaced);
	assert_message_contains("already belongs to VM 'web'");
	assert_unchanged(&snap);
	assert_false(exists(at("state/vms/db.xml")));
	shyper_domain_free(other);
	shyper_domain_free(first);
}

static void test_define_name_of_hypervisor_vm(void **state)
{
	struct shyper_domain *dom;
	struct snapshot snap;

	(void)state;
	define_vm("other", 64, NULL);
	/* The MVM, and a guest someone made without a definition. */
	fake_add_vm(5, "raw");
	fake.hv.vm_count++;
	snapshot_take(&snap);
	dom = dom_parse("mvm", 64, NULL, NULL);
	assert_int_equal(define(dom, NULL), SHYPER_ERR_EXISTS);
	assert_message_contains("VM 'mvm' already exists (id 0, mvm) and is not a defined VM");
	shyper_domain_free(dom);
	dom = dom_parse("raw", 64, NULL, NULL);
	assert_int_equal(define(dom, NULL), SHYPER_ERR_EXISTS);
	assert_message_contains("(id 5, gvm)");
	shyper_domain_free(dom);
	assert_unchanged(&snap);
	assert_false(exists(at("state/vms/mvm.xml")));
	assert_false(exists(at("state/vms/raw.xml")));
}

static void test_define_checks_the_board(void **state)
{
	struct shyper_domain *dom;
	struct snapshot snap;

	(void)state;
	/* Make the store exist, so "nothing written" means something. */
	define_vm("other", 64, NULL);
	snapshot_take(&snap);

	/* Pinned to a pCPU the board lacks (it has 0-3). */
	dom = dom_parse("pin", 64, NULL, "<vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='4'/></cputune>");
	assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("vCPU 1 is pinned to pCPU 4, but the board has pCPUs 0-3 only");
	/* Pinned to the last one: fine. */
	dom->vcpu_pcpu[1] = 3;
	assert_int_equal(define(dom, NULL), 0);
	assert_int_equal(shyper_domain_undefine(h, "pin"), 0);
	shyper_domain_free(dom);

	/* Unpinned vCPU 4 would run on pCPU 4. */
	dom = dom_parse("many", 64, NULL, "<vcpu>5</vcpu>");
	assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("vCPU 4 is not pinned, so it would run on pCPU 4");
	/* On a bigger board it fits. */
	fake.hv.pcpu_count = 5;
	assert_int_equal(define(dom, NULL), 0);
	assert_int_equal(shyper_domain_undefine(h, "many"), 0);
	fake.hv.pcpu_count = 4;
	shyper_domain_free(dom);

	/* More memory than the whole pool: NO_MEMORY. The pool (512 MiB) is fine. */
	dom = dom_parse("huge", 514, NULL, NULL);
	assert_int_equal(define(dom, NULL), SHYPER_ERR_NO_MEMORY);
	assert_message_contains("514 MiB of memory is more than the whole guest pool (512 MiB");
	shyper_domain_free(dom);
	dom = dom_parse("huge", 512, NULL, NULL);
	assert_int_equal(define(dom, NULL), 0);
	assert_int_equal(shyper_domain_undefine(h, "huge"), 0);
	shyper_domain_free(dom);

	assert_unchanged(&snap);
}

static void test_define_needs_its_files(void **state)
{
	static const char *const missing[] = { "kernel", "initrd", "dtb" };
	struct snapshot snap;

	(void)state;
	define_vm("other", 64, NULL);
	snapshot_take(&snap);
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		struct shyper_domain *dom = dom_parse("files", 64, NULL, NULL);
		char **field = i == 0 ? &dom->kernel : i == 1 ? &dom->initrd : &dom->dtb;
		char needle[64];

		free(*field);
		*field = strdup(at("files/no-such-%s", missing[i]));
		assert_int_equal(define(dom, NULL), SHYPER_ERR_NO_ENTRY);
		snprintf(needle, sizeof(needle), "VM 'files': %s ", missing[i]);
		assert_message_contains(needle);
		assert_message_contains("No such file or directory");
		shyper_domain_free(dom);
	}
	/* A directory and an empty file are no kernels either. */
	{
		struct shyper_domain *dom = dom_parse("files", 64, NULL, NULL);

		free(dom->kernel);
		dom->kernel = strdup(at("files"));
		assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
		assert_message_contains("is not a regular file");
		write_file(at("files/empty"), "", 0);
		free(dom->kernel);
		dom->kernel = strdup(at("files/empty"));
		assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
		assert_message_contains("is empty");
		unlink(at("files/empty"));
		shyper_domain_free(dom);
	}
	assert_unchanged(&snap);
	assert_false(exists(at("state/vms/files.xml")));
	assert_false(exists(at("state/vms/files.xml.tmp")));
}

static void test_define_refuses_bad_names(void **state)
{
	static const char *const names[] = { "../x", "..", ".", "", "a/b", "a b" };
	struct shyper_domain *dom = dom_parse("fine", 64, NULL, NULL);

	(void)state;
	/* The parser never gives such names; a caller filling in the struct may. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(dom->name, sizeof(dom->name), "%s", names[i]);
		assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
	}
	assert_int_equal(define(NULL, NULL), SHYPER_ERR_INVALID);
	assert_false(exists(at("state/x.xml")));
	assert_false(exists(at("state/vms")));
	shyper_domain_free(dom);
}

/* ---- Listing and getting ------------------------------------------------------------- */

static const struct shyper_managed_vm *find_managed(const struct shyper_managed_vm *vms,
						     size_t count, const char *name)
{
	const struct shyper_managed_vm *found = NULL;

	for (size_t i = 0; i < count; i++) {
		if (!strcmp(vms[i].name, name)) {
			if (found)
				fail_msg("VM '%s' is listed twice", name);
			found = &vms[i];
		}
	}
	return found;
}

static void test_managed_list(void **state)
{
	struct shyper_managed_vm *vms = NULL;
	const struct shyper_managed_vm *vm;
	struct shyper_domain *dom;
	size_t count = 99;
	uint32_t id;

	(void)state;
	/* Nothing defined yet: the hypervisor's VMs only. */
	assert_int_equal(shyper_managed_list(h, &vms, &count), 0);
	assert_int_equal(count, 1);
	assert_string_equal(vms[0].name, "mvm");
	free(vms);

	define_vm("zeta", 64, NULL);
	define_vm("alpha", 32, NULL);
	define_vm("mid", 16, NULL);
	dom = dom_parse("running", 64, NULL, "<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='2'/></cputune>");
	assert_int_equal(define(dom, NULL), 0);
	id = start_vm("running");
	/* mid ran and stopped. */
	start_vm("mid");
	assert_int_equal(shyper_domain_destroy(h, "mid"), 0);
	/* A guest without a definition, and junk in the store. */
	fake_add_vm(7, "raw");
	write_file(at("state/vms/broken.xml"), "<domain type='shyper'><name>broken", 35);
	write_file(at("state/vms/notes.txt"), "not a definition", 16);
	write_file(at("state/vms/bad name.xml"), "<domain/>", 9);

	assert_int_equal(shyper_managed_list(h, &vms, &count), 0);
	assert_int_equal(count, 6);
	/* The hypervisor's, in id order, the MVM first ... */
	assert_string_equal(vms[0].name, "mvm");
	assert_true(vms[0].active);
	assert_false(vms[0].defined);
	assert_true(uuid_is_zero(vms[0].uuid));
	assert_int_equal(vms[0].type, SHYPER_VM_MVM);
	assert_int_equal(vms[0].info.id, 0);
	assert_string_equal(vms[1].name, "running");
	assert_string_equal(vms[2].name, "raw");
	/* ... then the definitions not in it, by name. */
	assert_string_equal(vms[3].name, "alpha");
	assert_string_equal(vms[4].name, "mid");
	assert_string_equal(vms[5].name, "zeta");
	assert_null(find_managed(vms, count, "broken"));

	vm = find_managed(vms, count, "running");
	assert_true(vm->active);
	assert_true(vm->defined);
	assert_int_equal(vm->info.id, id);
	assert_int_equal(vm->state, SHYPER_VM_RUNNING);
	assert_memory_equal(vm->uuid, dom->uuid, 16);
	assert_int_equal(vm->vcpu_count, 2);
	assert_int_equal(vm->vcpu_pcpu[0], 2);
	assert_int_equal(vm->vcpu_pcpu[1], 1);
	assert_int_equal(vm->memory, 64 * MiB);

	vm = find_managed(vms, count, "raw");
	assert_true(vm->active);
	assert_false(vm->defined);
	assert_int_equal(vm->info.id, 7);

	vm = find_managed(vms, count, "alpha");
	assert_false(vm->active);
	assert_true(vm->defined);
	assert_int_equal(vm->state, SHYPER_VM_DEFINED);
	assert_int_equal(vm->memory, 32 * MiB);
	assert_int_equal(vm->vcpu_count, 1);
	assert_int_equal(vm->vcpu_pcpu[0], 0);
	assert_false(uuid_is_zero(vm->uuid));

	vm = find_managed(vms, count, "mid");
	assert_false(vm->active);
	assert_int_equal(vm->state, SHYPER_VM_SHUTOFF);
	free(vms);

	assert_int_equal(shyper_managed_list(h, NULL, &count), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_managed_list(h, &vms, NULL), SHYPER_ERR_INVALID);
	shyper_domain_free(dom);
}

static void test_managed_get(void **state)
{
	struct shyper_managed_vm vm, by_id;
	struct shyper_domain *dom;
	uint32_t id;

	(void)state;
	dom = dom_parse("web", 64, NULL, NULL);
	assert_int_equal(define(dom, NULL), 0);

	/* Defined, never started. */
	memset(&vm, 0xa5, sizeof(vm));
	assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
	assert_string_equal(vm.name, "web");
	assert_true(vm.defined);
	assert_false(vm.active);
	assert_int_equal(vm.state, SHYPER_VM_DEFINED);
	assert_memory_equal(vm.uuid, dom->uuid, 16);
	assert_int_equal(vm.info.id, 0); /* zeroed, not left over */
	assert_int_equal(vm.memory, 64 * MiB);

	/* Running: by name and by id, the same. */
	fake_add_vm(1, "filler"); /* so that the id is not 1 */
	id = start_vm("web");
	assert_int_equal(id, 2);
	assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
	assert_true(vm.active);
	assert_true(vm.defined);
	assert_int_equal(vm.info.id, id);
	assert_int_equal(vm.state, SHYPER_VM_RUNNING);
	assert_int_equal(shyper_managed_get(h, "2", &by_id), 0);
	assert_memory_equal(&by_id, &vm, sizeof(vm));

	/* The MVM by id. */
	assert_int_equal(shyper_managed_get(h, "0", &vm), 0);
	assert_string_equal(vm.name, "mvm");
	assert_false(vm.defined);
	assert_true(vm.active);

	assert_int_equal(shyper_managed_get(h, "nosuch", &vm), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("no VM with id or name 'nosuch'");
	assert_int_equal(shyper_managed_get(h, "42", &vm), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(shyper_managed_get(h, NULL, &vm), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_managed_get(h, "web", NULL), SHYPER_ERR_INVALID);
	shyper_domain_free(dom);
}

/* ---- Starting ---------------------------------------------------------------------------- */

static const void *loaded_dtb(void)
{
	const void *fdt = fake.guest_ram; /* SHYPER_DOMAIN_DTB_IPA is the start of RAM */

	assert_int_equal(fdt_check_header(fdt), 0);
	return fdt;
}

static uint64_t fdt_u64(const void *fdt, const char *path, const char *name)
{
	int node = fdt_path_offset(fdt, path), len = 0;
	const void *value;
	fdt64_t raw;

	assert_true(node >= 0);
	value = fdt_getprop(fdt, node, name, &len);
	assert_non_null(value);
	assert_int_equal(len, 8);
	memcpy(&raw, value, sizeof(raw));
	return fdt64_to_cpu(raw);
}

static void test_start_loads_and_starts(void **state)
{
	const struct fake_load *kernel, *initrd, *dtb;
	struct shyper_domain *dom;
	uint64_t pool = fake.hv.pool_free, initrd_ipa, offset = 99;
	uint32_t id = 0;
	const void *fdt;
	int chosen, len;

	(void)state;
	dom = dom_parse("web", 64, "<initrd>x</initrd><cmdline>console=ttyAMA0 quiet</cmdline>",
			"<vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='3'/></cputune>");
	free(dom->initrd);
	dom->initrd = strdup(at("files/initrd"));
	assert_int_equal(define(dom, NULL), 0);
	/* A cursor left from some earlier life of id 1: a start resets it. */
	assert_int_equal(shyper_console_cursor_set(h, "web", 1, 777), 0);

	assert_int_equal(shyper_domain_start(h, "web", &id, NULL), 0);
	assert_int_equal(id, 1);

	/* Created from the definition. */
	assert_string_equal(fake.last_config.name, "web");
	assert_memory_equal(fake.last_config.uuid, dom->uuid, 16);
	assert_int_equal(fake.last_config.type, SHYPER_VM_GVM);
	assert_int_equal(fake.last_config.memory, 64 * MiB);
	assert_int_equal(fake.last_config.vcpu_count, 2);
	assert_int_equal(fake.last_config.vcpu_pcpu[0], 0);
	assert_int_equal(fake.last_config.vcpu_pcpu[1], 3);
	assert_int_equal(fake.last_config.entry_ipa, 0x40200000);
	assert_int_equal(fake.last_config.dtb_ipa, 0x40000000);
	assert_int_equal(fake.hv.pool_free, pool - 64 * MiB);

	/* Three loads: kernel, initrd, device tree. */
	assert_int_equal(fake.load_count, 3);
	kernel = fake_load_at(id, 0x40200000);
	assert_non_null(kernel);
	assert_int_equal(kernel->len, KERNEL_SIZE);
	assert_int_equal(kernel->hash, file_hash(at("files/kernel")));

	initrd_ipa = shyper_domain_initrd_ipa(dom, KERNEL_SIZE, INITRD_SIZE);
	assert_int_equal(initrd_ipa, (0x40000000 + 64 * MiB - INITRD_SIZE) & ~0xfffULL);
	initrd = fake_load_at(id, initrd_ipa);
	assert_non_null(initrd);
	assert_int_equal(initrd->len, INITRD_SIZE);
	assert_int_equal(initrd->hash, file_hash(at("files/initrd")));
	assert_true(initrd->ipa >= 0x40200000 + KERNEL_SIZE);

	dtb = fake_load_at(id, 0x40000000);
	assert_non_null(dtb);
	fdt = loaded_dtb();
	assert_int_equal(dtb->len, fdt_totalsize(fdt));
	assert_int_equal(dtb->hash, fake_hash(fdt, fdt_totalsize(fdt)));
	/* The device tree tells the kernel where its initrd is. */
	assert_int_equal(fdt_u64(fdt, "/chosen", "linux,initrd-start"), initrd_ipa);
	assert_int_equal(fdt_u64(fdt, "/chosen", "linux,initrd-end"), initrd_ipa + INITRD_SIZE);
	chosen = fdt_path_offset(fdt, "/chosen");
	assert_string_equal(fdt_getprop(fdt, chosen, "bootargs", &len), "console=ttyAMA0 quiet");
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@1") >= 0);

	/* Loaded before it was started, and started once. */
	assert_int_equal(fake.ops[SHYPER_VM_OP_START], 1);
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);
	assert_int_equal(shyper_console_cursor_get(h, "web", id, &offset), 0);
	assert_int_equal(offset, 0);
	assert_true(exists(at("run/web.ran")));
	shyper_domain_free(dom);

	/* The id pointer may be NULL. */
	define_vm("second", 16, NULL);
	assert_int_equal(shyper_domain_start(h, "second", NULL, NULL), 0);
	assert_non_null(fake_vm_named("second"));
}

/* An <rng> is a virtio entropy device after the other virtio devices; the
 * real-time clock reads what <clock> asks; a guest given the board's PL031
 * keeps that one instead of a second. */
static void test_start_with_rng_and_clock(void **state)
{
	struct shyper_domain *dom;
	uint64_t now;

	(void)state;
	dom = dom_parse("ent", 64, NULL,
			"<clock offset='variable' adjustment='86400' basis='utc'/>"
			"<devices><console type='pty'><target type='virtio'/></console>"
			"<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
			"</devices>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	start_vm("ent");
	now = (uint64_t)time(NULL);
	assert_int_equal(fake.device_count, 3);
	assert_int_equal(fake.devices[1].dev.kind, SHYPER_DEV_VIRTIO_RNG);
	assert_int_equal(fake.devices[1].dev.slot, 1);
	assert_int_equal(fake.devices[2].dev.kind, SHYPER_DEV_RTC);
	assert_true(fake.devices[2].dev.rtc_time <= now + 86400);
	assert_true(fake.devices[2].dev.rtc_time + 60 > now + 86400);

	/* A clock a PL031 cannot show: refused, and the VM does not start. */
	dom = dom_parse("past", 64, NULL,
			"<clock offset='variable' adjustment='-3000000000'/>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	assert_int_equal(shyper_domain_start(h, "past", NULL, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("before 1970 or after 2106");
	assert_null(fake_vm_named("past"));
}

/* <cpu mode='custom'><model> must name the board's CPU, pCPU by pCPU. */
static void test_define_checks_the_cpu_model(void **state)
{
	static const char midr_path[] = "sys/devices/system/cpu/cpu%d/regs/identification";
	struct shyper_domain *dom;
	char dir[256];

	(void)state;
	setenv("SHYPER_SYSFS_ROOT", at("sys"), 1);
	dom = dom_parse("a57", 16, NULL, "<cpu mode='custom' match='exact'><model>cortex-a57"
			"</model></cpu>");
	/* The MVM cannot tell: refused, with what to write instead. */
	assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("cannot tell the board's CPU model");
	for (int cpu = 0; cpu < 2; cpu++) {
		snprintf(dir, sizeof(dir), midr_path, cpu);
		char command[512];

		snprintf(command, sizeof(command), "mkdir -p '%s'", at("%s", dir));
		assert_int_equal(system(command), 0);
		snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/midr_el1");
		/* QEMU's cortex-a57 on pCPU 0, an A72 on pCPU 1. */
		write_file(at("%s", dir), cpu ? "0x00000000410fd081\n" : "0x00000000411fd070\n",
			   19);
	}
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	dom = dom_parse("a57b", 16, NULL, "<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>"
			"<cpu mode='custom'><model>cortex-a57</model></cpu>");
	assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("pCPU 1 (vCPU 0's) is a cortex-a72");
	shyper_domain_free(dom);
	/* QEMU's names for whatever it is, and host-passthrough: no check. */
	dom = dom_parse("max", 16, NULL, "<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>"
			"<cpu mode='custom'><model>max</model></cpu>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	dom = dom_parse("pass", 16, NULL, "<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>"
			"<cpu mode='host-passthrough'/>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	unsetenv("SHYPER_SYSFS_ROOT");
}

static void read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	buf[fread(buf, 1, size - 1, f)] = '\0';
	fclose(f);
}

/* An RTVM takes the MVM's CPUs on its pCPUs offline to start, and gives
 * them back once it is gone; placements that would share them are refused
 * with a clear line before anything changes. */
static void test_rtvm_takes_and_gives_back_mvm_cpus(void **state)
{
	static const char rt_body[] = "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='2'/>"
				      "<vcpusched vcpus='0' scheduler='fifo' priority='50'/>"
				      "</cputune>";
	struct shyper_domain *dom;
	char text[8], command[512];

	(void)state;
	setenv("SHYPER_SYSFS_ROOT", at("sys"), 1);
	snprintf(command, sizeof(command), "mkdir -p '%s'", at("sys/devices/system/cpu/cpu2"));
	assert_int_equal(system(command), 0);
	dom = dom_parse("rt", 16, NULL, rt_body);
	assert_int_equal(dom->type, SHYPER_VM_RTVM);
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);

	/* The MVM's CPU 2 cannot be given up (no such file): nothing changes. */
	assert_int_equal(shyper_domain_start(h, "rt", NULL, NULL), SHYPER_ERR_SYSTEM);
	assert_message_contains("cannot give up the MVM's CPU 2");
	assert_null(fake_vm_named("rt"));

	write_file(at("sys/devices/system/cpu/cpu2/online"), "1\n", 2);
	/* A started guest on pCPU 2: refused, and CPU 2 stays the MVM's. */
	dom = dom_parse("shared", 16, NULL, "<cputune><vcpupin vcpu='0' cpuset='2'/></cputune>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	start_vm("shared");
	assert_int_equal(shyper_domain_start(h, "rt", NULL, NULL), SHYPER_ERR_BUSY);
	assert_message_contains("pCPU 2 runs VM 'shared' (its vCPU 0), and a real-time VM has "
				"its pCPUs to itself");
	read_text(at("sys/devices/system/cpu/cpu2/online"), text, sizeof(text));
	assert_string_equal(text, "1\n");
	assert_int_equal(shyper_domain_destroy(h, "shared"), 0);

	/* Now it starts, with CPU 2 offline in the MVM... */
	start_vm("rt");
	read_text(at("sys/devices/system/cpu/cpu2/online"), text, sizeof(text));
	assert_string_equal(text, "0\n");
	/* ... and no guest starts on its pCPU while it runs. */
	assert_int_equal(shyper_domain_start(h, "shared", NULL, NULL), SHYPER_ERR_BUSY);
	assert_message_contains("pCPU 2 is real-time VM 'rt''s while it runs");
	/* Destroyed, it gives CPU 2 back to the MVM. */
	assert_int_equal(shyper_domain_destroy(h, "rt"), 0);
	read_text(at("sys/devices/system/cpu/cpu2/online"), text, sizeof(text));
	assert_string_equal(text, "1\n");
	start_vm("shared");
	unsetenv("SHYPER_SYSFS_ROOT");
}

/* Makes NAME's VM stop as the guest would: powered off, reset or crashed. */
static void guest_stops(const char *name, uint32_t state, uint32_t reason)
{
	struct shyper_vm_info *vm = fake_vm_named(name);

	assert_non_null(vm);
	vm->state = state;
	vm->stop_reason = reason;
}

static enum shyper_lifecycle_action settle(const char *name)
{
	enum shyper_lifecycle_action done = 99;

	if (shyper_domain_settle(h, name, &done))
		fail_msg("settling %s: %s", name, shyper_last_error_message(h));
	return done;
}

/* <on_poweroff>, <on_reboot>, <on_crash>, as libvirt defines them. */
static void test_settle_follows_the_lifecycle_actions(void **state)
{
	struct shyper_domain *dom;
	uint32_t id;

	(void)state;
	/* Defaults: a power-off is destroyed, a reset restarted, a crash kept. */
	define_vm("plain", 16, NULL);
	id = start_vm("plain");
	assert_int_equal(settle("plain"), SHYPER_ACTION_DEFAULT); /* running: nothing */
	guest_stops("plain", SHYPER_VM_SHUTOFF, SHYPER_STOP_GUEST_RESET);
	assert_int_equal(settle("plain"), SHYPER_ACTION_RESTART);
	assert_int_equal(fake_vm_named("plain")->state, SHYPER_VM_RUNNING);
	assert_int_equal(fake_vm_named("plain")->id, id); /* the same VM, reloaded */
	guest_stops("plain", SHYPER_VM_CRASHED, SHYPER_STOP_BY_MVM);
	assert_int_equal(settle("plain"), SHYPER_ACTION_PRESERVE);
	assert_int_equal(fake_vm_named("plain")->state, SHYPER_VM_CRASHED);
	assert_int_equal(settle("plain"), SHYPER_ACTION_PRESERVE); /* and again: still kept */
	assert_int_equal(shyper_domain_destroy(h, "plain"), 0);
	start_vm("plain");
	guest_stops("plain", SHYPER_VM_SHUTOFF, SHYPER_STOP_GUEST_POWEROFF);
	assert_int_equal(settle("plain"), SHYPER_ACTION_DESTROY);
	assert_null(fake_vm_named("plain"));

	/* The other way round, as a definition may ask. */
	dom = dom_parse("other", 16, NULL,
			"<on_poweroff>restart</on_poweroff><on_reboot>destroy</on_reboot>"
			"<on_crash>restart</on_crash>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	start_vm("other");
	guest_stops("other", SHYPER_VM_SHUTOFF, SHYPER_STOP_GUEST_POWEROFF);
	assert_int_equal(settle("other"), SHYPER_ACTION_RESTART);
	assert_int_equal(fake_vm_named("other")->state, SHYPER_VM_RUNNING);
	guest_stops("other", SHYPER_VM_CRASHED, SHYPER_STOP_BY_MVM);
	assert_int_equal(settle("other"), SHYPER_ACTION_RESTART);
	assert_int_equal(fake_vm_named("other")->state, SHYPER_VM_RUNNING);
	guest_stops("other", SHYPER_VM_SHUTOFF, SHYPER_STOP_GUEST_RESET);
	assert_int_equal(settle("other"), SHYPER_ACTION_DESTROY);
	assert_null(fake_vm_named("other"));

	/* A stop the tools asked for is never turned into a restart: not a
	 * forced one, and not the power-off that answers vm stop's button. */
	start_vm("other");
	assert_int_equal(shyper_vm_control(h, fake_vm_named("other")->id, SHYPER_VM_OP_STOP), 0);
	assert_int_equal(settle("other"), SHYPER_ACTION_DESTROY);
	assert_null(fake_vm_named("other"));
	start_vm("other");
	fake.button = FAKE_BUTTON_DELAYED;
	fake.button_delay_looks = 3;
	assert_int_equal(shyper_domain_shutdown(h, "other", 5000, NULL), 0);
	fake.button = FAKE_BUTTON_POWERS_OFF;
	assert_null(fake_vm_named("other"));
	assert_false(exists(at("run/other.stopping")));
	/* shyperd may look between the button and vm stop's release: the
	 * power-off was asked for, so it goes. */
	start_vm("other");
	write_file(at("run/other.stopping"), "", 0);
	guest_stops("other", SHYPER_VM_SHUTOFF, SHYPER_STOP_GUEST_POWEROFF);
	assert_int_equal(settle("other"), SHYPER_ACTION_DESTROY);
	assert_null(fake_vm_named("other"));
	assert_false(exists(at("run/other.stopping")));
	/* Preserve keeps a powered-off guest, memory and all. */
	dom = dom_parse("keep", 16, NULL, "<on_poweroff>preserve</on_poweroff>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	start_vm("keep");
	guest_stops("keep", SHYPER_VM_SHUTOFF, SHYPER_STOP_GUEST_POWEROFF);
	assert_int_equal(settle("keep"), SHYPER_ACTION_PRESERVE);
	assert_int_equal(fake_vm_named("keep")->state, SHYPER_VM_SHUTOFF);
	/* vm start starts it afresh from there. */
	start_vm("keep");
}

static void test_start_with_a_virtio_console(void **state)
{
	struct shyper_domain *dom;
	const void *fdt;
	uint32_t id = 0;
	int node, len;

	(void)state;
	dom = dom_parse("vcon", 64, "<cmdline>console=hvc0</cmdline>",
			"<devices><console type='pty'><target type='virtio'/></console>"
			"<console type='pty'><target type='serial'/></console></devices>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	assert_int_equal(shyper_domain_start(h, "vcon", &id, NULL), 0);

	/* The console is added once, in slot 0, before anything is loaded;
	 * then the real-time clock every guest has, set to now (UTC). */
	assert_int_equal(fake.device_count, 2);
	assert_int_equal(fake.devices[0].id, id);
	assert_int_equal(fake.devices[0].dev.kind, SHYPER_DEV_VIRTIO_CONSOLE);
	assert_int_equal(fake.devices[0].dev.slot, 0);
	assert_int_equal(fake.devices[1].dev.kind, SHYPER_DEV_RTC);
	assert_true(fake.devices[1].dev.rtc_time <= (uint64_t)time(NULL));
	assert_true(fake.devices[1].dev.rtc_time + 60 > (uint64_t)time(NULL));
	/* The device tree describes that slot, and no stdout-path: hvc0 is named
	 * on the command line. */
	fdt = loaded_dtb();
	node = fdt_path_offset(fdt, "/virtio_mmio@a000000");
	assert_true(node >= 0);
	assert_string_equal(fdt_getprop(fdt, node, "compatible", &len), "virtio,mmio");
	assert_null(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "stdout-path", &len));
	assert_true(fdt_path_offset(fdt, "/virtio_mmio@a000200") < 0);
	/* The real-time clock, as QEMU virt has it. */
	node = fdt_path_offset(fdt, "/pl031@9010000");
	assert_true(node >= 0);
	assert_string_equal(fdt_getprop(fdt, node, "compatible", &len), "arm,pl031");

	/* A reboot keeps the VM, and its devices: none added again. */
	assert_int_equal(shyper_domain_reboot(h, "vcon", NULL), 0);
	assert_int_equal(fake.device_count, 2);

	/* A PL011 console as the primary: no virtio device, only the clock. */
	define_vm("serial", 16, NULL);
	assert_int_equal(shyper_domain_start(h, "serial", NULL, NULL), 0);
	assert_int_equal(fake.device_count, 3);
	assert_int_equal(fake.devices[2].dev.kind, SHYPER_DEV_RTC);
}

static void test_start_fails_cleanly_when_the_device_is_refused(void **state)
{
	struct shyper_domain *dom;
	uint64_t pool = fake.hv.pool_free;

	(void)state;
	dom = dom_parse("vcon", 64, NULL,
			"<devices><console type='pty'><target type='virtio'/></console></devices>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	fake.fail_cmd = SHYPER_IOC_VM_ADD_DEVICE;
	fake.fail_errno = EOPNOTSUPP;
	assert_int_equal(shyper_domain_start(h, "vcon", NULL, NULL), SHYPER_ERR_NOT_SUPPORTED);
	assert_message_contains("virtio console");
	fake.fail_errno = 0;
	/* Nothing loaded, nothing started, the VM gone again. */
	assert_int_equal(fake.load_count, 0);
	assert_int_equal(fake.ops[SHYPER_VM_OP_START], 0);
	assert_null(fake_vm_named("vcon"));
	assert_int_equal(fake.hv.pool_free, pool);
}

static void test_start_with_its_own_dtb(void **state)
{
	struct shyper_domain *board = dom_parse("board", 64, NULL, "<vcpu>2</vcpu>");
	struct shyper_domain_diag diag = { 0 };
	const void *fdt;
	size_t size;
	void *blob;
	char os[PATH_MAX + 64];
	int chosen, len;

	(void)state;
	assert_int_equal(shyper_guest_fdt_build(board, NULL, &blob, &size, NULL), 0);
	write_file(at("files/board.dtb"), blob, size);
	free(blob);
	snprintf(os, sizeof(os), "<cmdline>from-the-definition</cmdline><dtb>%s</dtb>",
		 at("files/board.dtb"));
	define_vm("own", 64, os);
	assert_int_equal(shyper_domain_start(h, "own", NULL, &diag), 0);
	assert_int_equal(diag.count, 0);
	fdt = loaded_dtb();
	/* The file's machine (two CPUs), /chosen from the definition. */
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@1") >= 0);
	chosen = fdt_path_offset(fdt, "/chosen");
	assert_string_equal(fdt_getprop(fdt, chosen, "bootargs", &len), "from-the-definition");

	/* A dtb that is no device tree: the start fails and nothing changes. */
	{
		struct snapshot snap;

		assert_int_equal(shyper_domain_destroy(h, "own"), 0);
		write_file(at("files/board.dtb"), "not a device tree", 17);
		snapshot_take(&snap);
		assert_int_equal(shyper_domain_start(h, "own", NULL, &diag), SHYPER_ERR_INVALID);
		assert_message_contains("its device tree could not be made");
		assert_true(diag.count >= 1);
		assert_unchanged(&snap);
		shyper_domain_diag_free(&diag);
	}
	shyper_domain_free(board);
}

/* The initrd goes above what the kernel will use, which for an arm64
 * Image is its header's image_size, not its file size. */
static void test_start_arm64_image_extent(void **state)
{
	struct snapshot snap;
	struct shyper_domain *dom;
	uint32_t id;

	(void)state;
	write_arm64_image(at("files/Image"), KERNEL_SIZE, 4 * MiB, true);
	write_pattern(at("files/initrd-2m"), 2 * MiB, 3);
	write_pattern(at("files/initrd-2m+1"), 2 * MiB + 1, 4);

	/* 8 MiB: the Image reaches 0x40600000, a 2 MiB initrd fits just above. */
	dom = dom_parse("img", 8, NULL, NULL);
	free(dom->kernel);
	dom->kernel = strdup(at("files/Image"));
	dom->initrd = strdup(at("files/initrd-2m"));
	assert_int_equal(define(dom, NULL), 0);
	id = start_vm("img");
	assert_int_equal(shyper_domain_initrd_ipa(dom, 4 * MiB, 2 * MiB), 0x40600000);
	assert_non_null(fake_load_at(id, 0x40600000));
	assert_int_equal(fake_load_at(id, 0x40600000)->len, 2 * MiB);
	assert_int_equal(fake_load_at(id, 0x40200000)->len, KERNEL_SIZE);
	assert_int_equal(fdt_u64(loaded_dtb(), "/chosen", "linux,initrd-start"), 0x40600000);
	assert_int_equal(shyper_domain_destroy(h, "img"), 0);

	/* One byte more would overlap the Image's memory: refused, though
	 * the file (4 KiB) leaves room enough. */
	free(dom->initrd);
	dom->initrd = strdup(at("files/initrd-2m+1"));
	assert_int_equal(define(dom, NULL), 0);
	snapshot_take(&snap);
	assert_int_equal(shyper_domain_start(h, "img", NULL, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("VM 'img': kernel and initrd");
	assert_message_contains("do not fit in its 8 MiB of memory");
	assert_unchanged(&snap);

	/* The same file without the magic is just 4 KiB of flat binary. */
	write_arm64_image(at("files/Image"), KERNEL_SIZE, 4 * MiB, false);
	fake.load_count = 0;
	id = start_vm("img");
	assert_non_null(fake_load_at(id, 0x405ff000));
	assert_int_equal(shyper_domain_destroy(h, "img"), 0);

	/* An Image bigger than the VM's memory: refused before any load. */
	write_arm64_image(at("files/Image"), KERNEL_SIZE, 16 * MiB, true);
	snapshot_take(&snap);
	fake.load_count = 0;
	assert_int_equal(shyper_domain_start(h, "img", NULL, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("VM 'img': its kernel needs 16 MiB, more than its 8 MiB of memory");
	assert_int_equal(fake.load_count, 0);
	assert_unchanged(&snap);
	shyper_domain_free(dom);
}

static void test_start_when_not_startable(void **state)
{
	struct shyper_vm_info *vm;
	uint32_t id, other = 77;

	(void)state;
	define_vm("web", 64, NULL);
	id = start_vm("web");
	fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)] = 0;

	assert_int_equal(shyper_domain_start(h, "web", &other, NULL), SHYPER_ERR_BUSY);
	assert_message_contains("VM 'web' is already running (id 1)");
	assert_int_equal(other, 77);
	fake_vm(id)->state = SHYPER_VM_PAUSED;
	assert_int_equal(shyper_domain_start(h, "web", NULL, NULL), SHYPER_ERR_BUSY);
	assert_message_contains("is already paused");
	fake_vm(id)->state = SHYPER_VM_CRASHED;
	assert_int_equal(shyper_domain_start(h, "web", NULL, NULL), SHYPER_ERR_BUSY);
	assert_message_contains("has crashed");
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);
	assert_int_equal(fake.vm_count, 2);

	/* Unknown VMs, and the MVM (no definition). */
	assert_int_equal(shyper_domain_start(h, "nosuch", NULL, NULL), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("no VM named 'nosuch' is defined");
	assert_int_equal(shyper_domain_start(h, "mvm", NULL, NULL), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(shyper_domain_start(h, NULL, NULL, NULL), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);

	/* Powered off by itself but still in the hypervisor: started afresh. */
	vm = fake_vm(id);
	vm->state = SHYPER_VM_SHUTOFF;
	fake.load_count = 0;
	id = start_vm("web");
	assert_int_equal(fake.vm_count, 2);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 1);
	assert_int_equal(fake.load_count, 2);
	assert_int_equal(fake.hv.pool_free, 384 * MiB - 64 * MiB);
}

/* Disks are checked at define and become virtio-blk devices in the slots
 * after the console, with the image's capacity and read-only flag. */
static void test_disks_checked_and_added(void **state)
{
	struct shyper_domain *dom;
	char body[2 * PATH_MAX + 300];
	uint32_t id;

	(void)state;
	snprintf(body, sizeof(body), "<devices><disk><source file='%s'/><target dev='vda'/>"
		 "</disk><disk><source file='%s'/><target dev='vdb'/><readonly/></disk>"
		 "</devices>\n", at("files/disk.img"), at("files/ro.img"));
	dom = dom_parse("dsk", 16, NULL, body);
	/* Missing, then not whole sectors: refused at define. */
	assert_int_equal(define(dom, NULL), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("disk image");
	write_file(at("files/disk.img"), "abc", 3);
	write_file(at("files/ro.img"), "abc", 3);
	assert_int_equal(define(dom, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("512-byte sectors");
	{
		static char image[8192];

		write_file(at("files/disk.img"), image, sizeof(image));
		write_file(at("files/ro.img"), image, 4096);
	}
	/* A read-only image may be read-only; a writable disk may not. */
	chmod(at("files/ro.img"), 0444);
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	id = start_vm("dsk");
	assert_int_equal(fake.device_count, 3); /* and the real-time clock */
	assert_int_equal(fake.devices[0].id, id);
	assert_int_equal(fake.devices[0].dev.kind, SHYPER_DEV_VIRTIO_BLOCK);
	assert_int_equal(fake.devices[0].dev.slot, 0);
	assert_int_equal(fake.devices[0].dev.capacity, 16);
	assert_int_equal(fake.devices[0].dev.flags, 0);
	assert_int_equal(fake.devices[1].dev.slot, 1);
	assert_int_equal(fake.devices[1].dev.capacity, 8);
	assert_int_equal(fake.devices[1].dev.flags, SHYPER_DEV_F_READONLY);
}

/* NICs: the stored definition names the MAC each one gets (generated from
 * the UUID when not given, as libvirt does), the guest gets exactly that,
 * and a start is refused, changing nothing, while the bridge is missing. */
static void test_interfaces_get_macs_and_need_their_bridge(void **state)
{
	struct shyper_domain *dom;
	uint8_t mac[6];
	uint32_t id;
	char *xml;
	int rc;

	(void)state;
	dom = dom_parse("net", 16, NULL,
			"<devices><interface type='network'><source network='default'/>"
			"</interface><interface type='bridge'><source bridge='br7'/>"
			"<mac address='02:00:00:00:00:07'/></interface></devices>\n");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	assert_int_equal(shyper_domain_lookup(h, "net", &dom), 0);
	memcpy(mac, dom->interfaces[0].mac, 6);
	assert_int_equal(mac[0], 0x52);
	assert_memory_equal(dom->interfaces[1].mac, "\x02\0\0\0\0\x07", 6);
	assert_string_equal(shyper_domain_interface_bridge(&dom->interfaces[0]), "virbr0");
	assert_string_equal(shyper_domain_interface_bridge(&dom->interfaces[1]), "br7");
	xml = shyper_domain_to_xml(dom);
	assert_non_null(strstr(xml, "<mac address=\"52:54:00:"));
	free(xml);
	/* Defining the stored definition again keeps the MACs. */
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	assert_int_equal(shyper_domain_lookup(h, "net", &dom), 0);
	assert_memory_equal(dom->interfaces[0].mac, mac, 6);
	shyper_domain_free(dom);

	setenv("SHYPER_SYSFS_ROOT", at("sys"), 1);
	assert_int_equal(mkdir(at("sys"), 0755), 0);
	assert_int_equal(mkdir(at("sys/class"), 0755), 0);
	assert_int_equal(mkdir(at("sys/class/net"), 0755), 0);
	assert_int_equal(mkdir(at("sys/class/net/virbr0"), 0755), 0);
	assert_int_equal(mkdir(at("sys/class/net/virbr0/bridge"), 0755), 0);
	/* br7 is missing (and an interface that is not a bridge does not count). */
	assert_int_equal(mkdir(at("sys/class/net/br7"), 0755), 0);
	rc = shyper_domain_start(h, "net", &id, NULL);
	assert_int_equal(rc, SHYPER_ERR_NO_ENTRY);
	assert_message_contains("no bridge 'br7'");
	assert_int_equal(fake.device_count, 0);
	assert_null(fake_vm(1));
	assert_int_equal(mkdir(at("sys/class/net/br7/bridge"), 0755), 0);
	id = start_vm("net");
	unsetenv("SHYPER_SYSFS_ROOT");
	assert_int_equal(fake.device_count, 3); /* and the real-time clock */
	assert_int_equal(fake.devices[0].dev.kind, SHYPER_DEV_VIRTIO_NET);
	assert_int_equal(fake.devices[0].dev.slot, 0);
	assert_memory_equal(fake.devices[0].dev.mac, mac, 6);
	assert_int_equal(fake.devices[1].dev.kind, SHYPER_DEV_VIRTIO_NET);
	assert_int_equal(fake.devices[1].dev.slot, 1);
	assert_memory_equal(fake.devices[1].dev.mac, "\x02\0\0\0\0\x07", 6);
	assert_int_equal(fake.devices[1].id, id);
}

static void test_start_failure_changes_nothing(void **state)
{
	struct snapshot snap;

	(void)state;
	/* A kernel bigger than the VM's memory (3 MiB file, 4 MiB VM). */
	write_pattern(at("files/big"), 3 * MiB, 5);
	{
		struct shyper_domain *dom = dom_parse("big", 4, NULL, NULL);

		free(dom->kernel);
		dom->kernel = strdup(at("files/big"));
		assert_int_equal(define(dom, NULL), 0);
		shyper_domain_free(dom);
	}
	snapshot_take(&snap);
	assert_int_equal(shyper_domain_start(h, "big", NULL, NULL), SHYPER_ERR_INVALID);
	assert_message_contains("VM 'big': its kernel needs 3 MiB, more than its 4 MiB of memory");
	/* Seen before anything was created. */
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);
	assert_int_equal(fake.ops[SHYPER_VM_OP_START], 0);
	assert_unchanged(&snap);

	/* The hypervisor refuses a load. */
	define_vm("web", 64, os_initrd());
	snapshot_take(&snap);
	fake.fail_cmd = SHYPER_IOC_VM_LOAD;
	fake.fail_errno = EFAULT;
	assert_int_equal(shyper_domain_start(h, "web", NULL, NULL), SHYPER_ERR_FAULT);
	assert_message_contains("starting VM 'web': ");
	assert_message_contains("are not all in its RAM");
	fake.fail_errno = 0;
	assert_unchanged(&snap);

	/* ... or the start. */
	snapshot_take(&snap);
	fake.ops[SHYPER_VM_OP_DESTROY] = 0;
	fake.fail_op = SHYPER_VM_OP_START;
	fake.fail_op_errno = EIO;
	assert_int_equal(shyper_domain_start(h, "web", NULL, NULL), SHYPER_ERR_SYSTEM);
	assert_message_contains("starting VM 'web': starting VM 1: ");
	fake.fail_op_errno = 0;
	assert_int_equal(fake.ops[SHYPER_VM_OP_DESTROY], 1);
	assert_unchanged(&snap);

	/* Not enough free memory in the pool. */
	fake.hv.pool_free = 32 * MiB;
	snapshot_take(&snap);
	assert_int_equal(shyper_domain_start(h, "web", NULL, NULL), SHYPER_ERR_NO_MEMORY);
	assert_message_contains("not enough free guest memory");
	assert_unchanged(&snap);
	fake.hv.pool_free = 384 * MiB;

	/* The kernel went away since the definition. */
	unlink(at("files/kernel"));
	snapshot_take(&snap);
	fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)] = 0;
	assert_int_equal(shyper_domain_start(h, "web", NULL, NULL), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("VM 'web': kernel ");
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);
	assert_unchanged(&snap);

	/* None of them counts as having run. */
	{
		struct shyper_managed_vm vm;

		assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
		assert_int_equal(vm.state, SHYPER_VM_DEFINED);
	}
}

/* ---- ELF bare-metal guests ------------------------------------------------------------------ */

/* A minimal AArch64 executable: the header, NPH program headers, then
 * each segment's FILESZ bytes of PATTERN. Returns its size. */
struct test_seg {
	uint32_t type, flags;
	uint64_t paddr, filesz, memsz;
};

static size_t make_elf(uint8_t *buf, size_t room, uint16_t machine, uint64_t entry,
		       const struct test_seg *segs, unsigned int nph)
{
	size_t off = 64 + 56 * (size_t)nph;

	assert_true(room >= off);
	memset(buf, 0, room);
	memcpy(buf, "\177ELF", 4);
	buf[4] = 2; /* 64-bit */
	buf[5] = 1; /* little-endian */
	buf[6] = 1;
	buf[16] = 2; /* ET_EXEC */
	memcpy(buf + 18, &machine, 2);
	buf[20] = 1;
	memcpy(buf + 24, &entry, 8);
	buf[32] = 64; /* e_phoff */
	buf[52] = 64; /* e_ehsize */
	buf[54] = 56; /* e_phentsize */
	memcpy(buf + 56, &(uint16_t){ (uint16_t)nph }, 2);
	for (unsigned int i = 0; i < nph; i++) {
		uint8_t *ph = buf + 64 + 56 * i;
		uint64_t offset = off;

		memcpy(ph, &segs[i].type, 4);
		memcpy(ph + 4, &segs[i].flags, 4);
		memcpy(ph + 8, &offset, 8);
		memcpy(ph + 16, &segs[i].paddr, 8);
		memcpy(ph + 24, &segs[i].paddr, 8);
		memcpy(ph + 32, &segs[i].filesz, 8);
		memcpy(ph + 40, &segs[i].memsz, 8);
		assert_true(off + segs[i].filesz <= room);
		memset(buf + off, 0xa0 + (int)i, segs[i].filesz);
		off += segs[i].filesz;
	}
	return off;
}

static void define_elf_vm(const char *name, const char *file)
{
	struct shyper_domain *dom = dom_parse(name, 8, NULL, NULL);

	free(dom->kernel);
	dom->kernel = strdup(at("%s", file));
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
}

static void test_elf_guest_is_loaded_by_segments(void **state)
{
	static uint8_t buf[16384];
	const struct test_seg segs[] = {
		{ 1, 5 /* R+X */, 0x40300000, 0x1000, 0x1000 },
		{ 4 /* PT_NOTE: not loaded */, 4, 0x40000000, 0x10, 0x10 },
		{ 1, 6 /* R+W */, 0x40400000, 0x800, 0x10000 /* with bss */ },
	};
	size_t size = make_elf(buf, sizeof(buf), 183, 0x40300040, segs, 3);
	const struct fake_load *text, *data;
	uint32_t id;

	(void)state;
	write_file(at("files/guest.elf"), buf, size);
	define_elf_vm("elf", "files/guest.elf");
	id = start_vm("elf");
	assert_int_equal(fake.last_config.entry_ipa, 0x40300040);
	text = fake_load_at(id, 0x40300000);
	data = fake_load_at(id, 0x40400000);
	assert_non_null(text);
	assert_non_null(data);
	assert_int_equal(text->len, 0x1000);
	assert_int_equal(data->len, 0x800); /* bss is the pool's zeroes */
	assert_int_equal(text->hash, fake_hash(buf + 64 + 56 * 3, 0x1000));
	/* The two segments and the device tree: the note is not loaded. */
	{
		unsigned int n = 0;

		for (unsigned int i = 0; i < fake.load_count && i < FAKE_MAX_LOADS; i++)
			n += fake.loads[i].id == id;
		assert_int_equal(n, 3);
		assert_int_not_equal(fake_load_at(id, SHYPER_DOMAIN_DTB_IPA)->len, 0x10);
	}
}

/* What replace_guest_elf() writes over files/guest.elf. */
static const uint8_t *guest_elf_update;
static size_t guest_elf_update_size;

static void replace_guest_elf(void)
{
	write_file(at("files/guest.elf"), guest_elf_update, guest_elf_update_size);
}

/*
 * A start reads the kernel once: the entry point VM_CREATE is given and the
 * segments loaded after it come from one read of the file, even when the
 * file is replaced between the two (here, as the VM is created).
 */
static void test_start_reads_the_kernel_once(void **state)
{
	static uint8_t first[8192], second[8192];
	const struct test_seg seg_first = { 1, 5, 0x40300000, 0x1000, 0x1000 };
	const struct test_seg seg_second = { 1, 5, 0x40500000, 0x800, 0x800 };
	size_t size = make_elf(first, sizeof(first), 183, 0x40300040, &seg_first, 1);
	const struct fake_load *text;
	uint32_t id;

	(void)state;
	guest_elf_update_size = make_elf(second, sizeof(second), 183, 0x40500000, &seg_second, 1);
	guest_elf_update = second;
	write_file(at("files/guest.elf"), first, size);
	define_elf_vm("elf", "files/guest.elf");
	fake.on_vm_create = replace_guest_elf;
	id = start_vm("elf");
	fake.on_vm_create = NULL;
	assert_int_equal(file_hash(at("files/guest.elf")),
			 fake_hash(second, guest_elf_update_size));
	/* What runs is the first file, all of it. */
	assert_int_equal(fake.last_config.entry_ipa, 0x40300040);
	text = fake_load_at(id, 0x40300000);
	assert_non_null(text);
	assert_int_equal(text->len, 0x1000);
	assert_int_equal(text->hash, fake_hash(first + 64 + 56, 0x1000));
	assert_null(fake_load_at(id, 0x40500000));
}

static void test_bad_elf_guests_are_refused(void **state)
{
	static uint8_t buf[16384];
	const struct {
		uint16_t machine;
		uint64_t entry;
		struct test_seg seg;
		const char *message;
	} cases[] = {
		{ 62 /* x86-64 */, 0x40300000, { 1, 5, 0x40300000, 0x100, 0x100 }, "not AArch64" },
		{ 183, 0x40000000, { 1, 5, 0x40000000, 0x100, 0x100 }, "above its device tree" },
		{ 183, 0x48000000, { 1, 5, 0x48000000, 0x100, 0x100 }, "outside the guest's RAM" },
		{ 183, 0x40300000, { 1, 5, 0x40300000, 0x100, 0x900000 }, "outside the guest's RAM" },
		{ 183, 0x40300000, { 1, 5, 0xfffffffffffff000ULL, 0x100, 0x2000 }, "outside" },
		{ 183, 0x40500000, { 1, 5, 0x40300000, 0x100, 0x100 }, "entry point" },
		{ 183, 0x40300000, { 1, 6 /* not executable */, 0x40300000, 0x100, 0x100 },
		  "entry point" },
		{ 183, 0x40300000, { 1, 5, 0x40300000, 0x200, 0x100 }, "more file bytes" },
		{ 183, 0x40300000, { 4, 5, 0x40300000, 0x100, 0x100 }, "nothing to load" },
	};
	struct snapshot snap;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = make_elf(buf, sizeof(buf), cases[i].machine, cases[i].entry,
				       &cases[i].seg, 1);

		write_file(at("files/bad.elf"), buf, size);
		define_elf_vm("bad", "files/bad.elf");
		snapshot_take(&snap);
		assert_int_equal(shyper_domain_start(h, "bad", NULL, NULL), SHYPER_ERR_INVALID);
		assert_message_contains(cases[i].message);
		assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);
		assert_unchanged(&snap);
		assert_int_equal(shyper_domain_undefine(h, "bad"), 0);
	}
	/* Truncated: program headers past the end, then a segment's bytes. */
	{
		const struct test_seg seg = { 1, 5, 0x40300000, 0x100, 0x100 };
		size_t size = make_elf(buf, sizeof(buf), 183, 0x40300000, &seg, 1);

		write_file(at("files/bad.elf"), buf, 80);
		define_elf_vm("bad", "files/bad.elf");
		assert_int_equal(shyper_domain_start(h, "bad", NULL, NULL), SHYPER_ERR_INVALID);
		assert_message_contains("program headers lie outside the file");
		write_file(at("files/bad.elf"), buf, size - 1);
		assert_int_equal(shyper_domain_start(h, "bad", NULL, NULL), SHYPER_ERR_INVALID);
		assert_message_contains("bytes lie outside the file");
		assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);
	}
}

/* ---- Stopping ------------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_shutdown_graceful(void **state)
{
	uint64_t pool = fake.hv.pool_free;
	bool forced = true;

	(void)state;
	define_vm("web", 64, NULL);
	start_vm("web");
	assert_int_equal(shyper_domain_shutdown(h, "web", 5000, &forced), 0);
	assert_false(forced);
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 0); /* it powered off by itself */
	assert_null(fake_vm_named("web"));                  /* released */
	assert_int_equal(fake.hv.pool_free, pool);
	assert_true(exists(at("state/vms/web.xml")));        /* the definition stays */
	{
		struct shyper_managed_vm vm;

		assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
		assert_false(vm.active);
		assert_int_equal(vm.state, SHYPER_VM_SHUTOFF);
	}
}

static void test_shutdown_waits_for_the_guest(void **state)
{
	bool forced = true;
	int64_t begin;

	(void)state;
	define_vm("web", 64, NULL);
	start_vm("web");
	/* It takes three looks (about two polls) to power off. */
	fake.button = FAKE_BUTTON_DELAYED;
	fake.button_delay_looks = 3;
	begin = now_ms();
	assert_int_equal(shyper_domain_shutdown(h, "web", 5000, &forced), 0);
	assert_true(now_ms() - begin < 4000);
	assert_false(forced);
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 0);
	assert_null(fake_vm_named("web"));
	assert_int_equal(fake.hv.vm_count, 1);
}

static void test_shutdown_forced_after_timeout(void **state)
{
	uint64_t pool = fake.hv.pool_free;
	bool forced = false;
	int64_t begin, took;

	(void)state;
	define_vm("web", 64, NULL);
	start_vm("web");
	fake.button = FAKE_BUTTON_IGNORED;
	begin = now_ms();
	assert_int_equal(shyper_domain_shutdown(h, "web", 200, &forced), 0);
	took = now_ms() - begin;
	assert_true(forced);
	if (took < 200 || took > 3000)
		fail_msg("a 200 ms timeout took %lld ms", (long long)took);
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 1);
	assert_null(fake_vm_named("web"));
	assert_int_equal(fake.hv.pool_free, pool);
}

static void test_shutdown_timeout_zero_forces(void **state)
{
	bool forced = false;
	int64_t begin;

	(void)state;
	define_vm("web", 64, NULL);
	start_vm("web");
	begin = now_ms();
	assert_int_equal(shyper_domain_shutdown(h, "web", 0, &forced), 0);
	assert_true(now_ms() - begin < 1000);
	assert_true(forced);
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 0); /* the guest is not asked */
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 1);
	assert_null(fake_vm_named("web"));

	/* FORCED may be NULL. */
	start_vm("web");
	assert_int_equal(shyper_domain_shutdown(h, "web", 0, NULL), 0);
	assert_null(fake_vm_named("web"));
}

static void test_shutdown_paused_vm(void **state)
{
	bool forced = true;
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	id = start_vm("web");
	assert_int_equal(shyper_domain_pause(h, "web"), 0);
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_PAUSED);
	/* Resumed first, so that it hears the button. */
	assert_int_equal(shyper_domain_shutdown(h, "web", 5000, &forced), 0);
	assert_false(forced);
	assert_int_equal(fake.ops[SHYPER_VM_OP_RESUME], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 1);
	assert_null(fake_vm_named("web"));
}

static void test_shutdown_refusals(void **state)
{
	struct snapshot snap;
	bool forced = true;
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	snapshot_take(&snap);
	assert_int_equal(shyper_domain_shutdown(h, "web", 200, &forced), SHYPER_ERR_BUSY);
	assert_message_contains("stopping VM 'web': it is not running");
	assert_false(forced);
	assert_int_equal(shyper_domain_shutdown(h, "mvm", 200, &forced), SHYPER_ERR_PERMISSION);
	assert_message_contains("it is the management VM");
	assert_int_equal(shyper_domain_shutdown(h, "nosuch", 200, &forced), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(shyper_domain_shutdown(h, NULL, 200, &forced), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN] + fake.ops[SHYPER_VM_OP_STOP], 0);
	assert_unchanged(&snap);

	/* Crashed: destroy is the way to clear it. */
	id = start_vm("web");
	fake_vm(id)->state = SHYPER_VM_CRASHED;
	assert_int_equal(shyper_domain_shutdown(h, "web", 200, &forced), SHYPER_ERR_BUSY);
	assert_message_contains("it has crashed");
	assert_non_null(fake_vm(id));

	/* Off already but not released: released, and said so. */
	fake_vm(id)->state = SHYPER_VM_SHUTOFF;
	assert_int_equal(shyper_domain_shutdown(h, "web", 200, &forced), SHYPER_ERR_BUSY);
	assert_null(fake_vm(id));
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN] + fake.ops[SHYPER_VM_OP_STOP], 0);
}

static void test_destroy(void **state)
{
	uint64_t pool = fake.hv.pool_free;
	struct snapshot snap;
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	id = start_vm("web");
	assert_int_equal(shyper_domain_destroy(h, "web"), 0);
	assert_null(fake_vm(id));
	assert_int_equal(fake.hv.pool_free, pool);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_SHUTDOWN], 0);
	assert_true(exists(at("state/vms/web.xml")));

	/* Not running: BUSY, nothing done. */
	snapshot_take(&snap);
	assert_int_equal(shyper_domain_destroy(h, "web"), SHYPER_ERR_BUSY);
	assert_message_contains("destroying VM 'web': it is not running");
	assert_unchanged(&snap);

	/* Paused and crashed ones go too. */
	id = start_vm("web");
	fake_vm(id)->state = SHYPER_VM_PAUSED;
	assert_int_equal(shyper_domain_destroy(h, "web"), 0);
	assert_null(fake_vm(id));
	id = start_vm("web");
	fake_vm(id)->state = SHYPER_VM_CRASHED;
	assert_int_equal(shyper_domain_destroy(h, "web"), 0);
	assert_null(fake_vm(id));
	assert_int_equal(fake.hv.pool_free, pool);

	/* Powered off, not released: released, but BUSY all the same. */
	id = start_vm("web");
	fake_vm(id)->state = SHYPER_VM_SHUTOFF;
	assert_int_equal(shyper_domain_destroy(h, "web"), SHYPER_ERR_BUSY);
	assert_null(fake_vm(id));

	assert_int_equal(shyper_domain_destroy(h, "mvm"), SHYPER_ERR_PERMISSION);
	assert_int_equal(fake_vm(0)->state, SHYPER_VM_RUNNING);
	assert_int_equal(shyper_domain_destroy(h, "nosuch"), SHYPER_ERR_NO_ENTRY);
}

static void test_release(void **state)
{
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	/* Nothing to do: fine. */
	assert_int_equal(shyper_domain_release(h, "web"), 0);
	id = start_vm("web");
	assert_int_equal(shyper_domain_release(h, "web"), 0);
	assert_non_null(fake_vm(id)); /* running: kept */
	fake_vm(id)->state = SHYPER_VM_SHUTOFF;
	assert_int_equal(shyper_domain_release(h, "web"), 0);
	assert_null(fake_vm(id));
	/* Never the MVM, whatever its state says. */
	fake_vm(0)->state = SHYPER_VM_SHUTOFF;
	assert_int_equal(shyper_domain_release(h, "mvm"), 0);
	assert_non_null(fake_vm(0));
	assert_int_equal(shyper_domain_release(h, "nosuch"), 0);
}

/* ---- Reboot, pause, resume ------------------------------------------------------------------ */

static void test_reboot(void **state)
{
	uint32_t id;
	uint64_t pool;

	(void)state;
	define_vm("web", 64, os_initrd());
	id = start_vm("web");
	pool = fake.hv.pool_free;
	fake.load_count = 0;
	memset(fake.guest_ram, 0, 4096);
	fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)] = 0;

	assert_int_equal(shyper_domain_reboot(h, "web", NULL), 0);
	/* The same VM, stopped, loaded again, started. */
	assert_non_null(fake_vm(id));
	assert_string_equal(fake_vm(id)->name, "web");
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 0);
	assert_int_equal(fake.ops[SHYPER_VM_OP_STOP], 1);
	assert_int_equal(fake.ops[SHYPER_VM_OP_START], 2);
	assert_int_equal(fake.load_count, 3);
	assert_int_equal(fake_load_at(id, 0x40200000)->hash, file_hash(at("files/kernel")));
	assert_non_null(fake_load_at(id, (0x40000000 + 64 * MiB - INITRD_SIZE) & ~0xfffULL));
	loaded_dtb();
	assert_int_equal(fake.hv.pool_free, pool);

	/* Paused: running again afterwards. */
	fake_vm(id)->state = SHYPER_VM_PAUSED;
	assert_int_equal(shyper_domain_reboot(h, "web", NULL), 0);
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);

	/* A guest that asked for a reset is off, waiting for it. */
	fake_vm(id)->state = SHYPER_VM_SHUTOFF;
	assert_int_equal(shyper_domain_reboot(h, "web", NULL), 0);
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);

	fake_vm(id)->state = SHYPER_VM_CRASHED;
	assert_int_equal(shyper_domain_reboot(h, "web", NULL), SHYPER_ERR_BUSY);
	assert_message_contains("it has crashed");
	assert_int_equal(shyper_domain_destroy(h, "web"), 0);

	assert_int_equal(shyper_domain_reboot(h, "web", NULL), SHYPER_ERR_BUSY);
	assert_message_contains("rebooting VM 'web': it is not running");
	assert_int_equal(shyper_domain_reboot(h, "mvm", NULL), SHYPER_ERR_PERMISSION);
	assert_int_equal(shyper_domain_reboot(h, "nosuch", NULL), SHYPER_ERR_NO_ENTRY);
}

static void test_reboot_failure_leaves_it_off(void **state)
{
	uint64_t pool = fake.hv.pool_free;
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	id = start_vm("web");
	/* The kernel went away: found before the VM is touched. */
	rename(at("files/kernel"), at("files/kernel.away"));
	assert_int_equal(shyper_domain_reboot(h, "web", NULL), SHYPER_ERR_NO_ENTRY);
	assert_message_contains("kernel");
	assert_non_null(fake_vm(id));
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);
	rename(at("files/kernel.away"), at("files/kernel"));
	/* Failing after the stop: half rebooted, so powered off. */
	fake.fail_op = SHYPER_VM_OP_START;
	fake.fail_op_errno = EIO;
	assert_int_not_equal(shyper_domain_reboot(h, "web", NULL), 0);
	fake.fail_op_errno = 0;
	assert_message_contains("(the VM is now shut off)");
	assert_null(fake_vm(id));
	assert_int_equal(fake.hv.pool_free, pool);
}

static void test_pause_resume(void **state)
{
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	assert_int_equal(shyper_domain_pause(h, "web"), SHYPER_ERR_BUSY);
	assert_message_contains("pausing VM 'web': it is not running");
	assert_int_equal(shyper_domain_resume(h, "web"), SHYPER_ERR_BUSY);

	id = start_vm("web");
	assert_int_equal(shyper_domain_resume(h, "web"), SHYPER_ERR_BUSY);
	assert_message_contains("resuming VM 'web': it is running, not paused");
	assert_int_equal(fake.ops[SHYPER_VM_OP_RESUME], 0);

	assert_int_equal(shyper_domain_pause(h, "web"), 0);
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_PAUSED);
	assert_int_equal(shyper_domain_pause(h, "web"), SHYPER_ERR_BUSY);
	assert_message_contains("pausing VM 'web': it is paused, not running");
	assert_int_equal(fake.ops[SHYPER_VM_OP_PAUSE], 1);

	assert_int_equal(shyper_domain_resume(h, "web"), 0);
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);

	assert_int_equal(shyper_domain_pause(h, "mvm"), SHYPER_ERR_PERMISSION);
	assert_message_contains("does not let itself be paused");
	assert_int_equal(shyper_domain_resume(h, "mvm"), SHYPER_ERR_PERMISSION);
	assert_int_equal(shyper_domain_pause(h, "nosuch"), SHYPER_ERR_NO_ENTRY);
	assert_int_equal(fake_vm(0)->state, SHYPER_VM_RUNNING);
}

/* ---- Undefine -------------------------------------------------------------------------------- */

static void test_undefine(void **state)
{
	struct shyper_domain *dom = NULL;
	struct snapshot snap;
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	define_vm("keep", 64, NULL);
	id = start_vm("web");
	assert_int_equal(shyper_console_cursor_set(h, "web", id, 1234), 0);
	assert_int_equal(shyper_console_cursor_set(h, "keep", 9, 5), 0);
	snapshot_take(&snap);

	assert_int_equal(shyper_domain_undefine(h, "web"), SHYPER_ERR_BUSY);
	assert_message_contains("VM 'web' is running: stop or destroy it");
	fake_vm(id)->state = SHYPER_VM_PAUSED;
	assert_int_equal(shyper_domain_undefine(h, "web"), SHYPER_ERR_BUSY);
	fake_vm(id)->state = SHYPER_VM_CRASHED;
	assert_int_equal(shyper_domain_undefine(h, "web"), SHYPER_ERR_BUSY);
	fake_vm(id)->state = SHYPER_VM_RUNNING;
	assert_int_equal(shyper_domain_undefine(h, "mvm"), SHYPER_ERR_PERMISSION);
	assert_message_contains("is the management VM");
	assert_int_equal(shyper_domain_undefine(h, "nosuch"), SHYPER_ERR_NO_ENTRY);
	assert_unchanged(&snap);

	/* Stopped: the definition and the run notes go, nothing else. */
	assert_int_equal(shyper_domain_destroy(h, "web"), 0);
	assert_true(exists(at("run/web.ran")));
	assert_true(exists(at("run/web.console")));
	assert_int_equal(shyper_domain_undefine(h, "web"), 0);
	assert_false(exists(at("state/vms/web.xml")));
	assert_false(exists(at("run/web.ran")));
	assert_false(exists(at("run/web.console")));
	assert_true(exists(at("state/vms/keep.xml")));
	assert_true(exists(at("run/keep.console")));
	assert_int_equal(shyper_domain_lookup(h, "web", &dom), SHYPER_ERR_NO_ENTRY);
	assert_null(dom);
	assert_int_equal(shyper_domain_undefine(h, "web"), SHYPER_ERR_NO_ENTRY);

	/* Defined again, it starts a new life: "defined", not "shut off". */
	define_vm("web", 64, NULL);
	{
		struct shyper_managed_vm vm;

		assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
		assert_int_equal(vm.state, SHYPER_VM_DEFINED);
	}

	/* Powered itself off but not released: released with it. */
	id = start_vm("web");
	fake_vm(id)->state = SHYPER_VM_SHUTOFF;
	assert_int_equal(shyper_domain_undefine(h, "web"), 0);
	assert_null(fake_vm(id));
	assert_int_equal(fake.hv.pool_free, 384 * MiB);
}

/* ---- Console cursors ------------------------------------------------------------------------- */

static void test_console_cursor(void **state)
{
	uint64_t offset = 99;

	(void)state;
	/* Nothing kept yet: 0, and no directory needed. */
	assert_int_equal(shyper_console_cursor_get(h, "web", 3, &offset), 0);
	assert_int_equal(offset, 0);
	assert_false(exists(at("run")));

	assert_int_equal(shyper_console_cursor_set(h, "web", 3, 123456789012ULL), 0);
	assert_true(exists(at("run/web.console")));
	assert_int_equal(shyper_console_cursor_get(h, "web", 3, &offset), 0);
	assert_int_equal(offset, 123456789012ULL);
	/* Another VM of that name (a new id) starts at 0. */
	assert_int_equal(shyper_console_cursor_get(h, "web", 4, &offset), 0);
	assert_int_equal(offset, 0);
	/* Another name has its own. */
	assert_int_equal(shyper_console_cursor_get(h, "db", 3, &offset), 0);
	assert_int_equal(offset, 0);
	/* Overwritten, not appended. */
	assert_int_equal(shyper_console_cursor_set(h, "web", 4, 7), 0);
	assert_int_equal(shyper_console_cursor_get(h, "web", 4, &offset), 0);
	assert_int_equal(offset, 7);
	assert_int_equal(shyper_console_cursor_get(h, "web", 3, &offset), 0);
	assert_int_equal(offset, 0);
	/* A damaged note reads as nothing kept. */
	write_file(at("run/web.console"), "garbage", 7);
	assert_int_equal(shyper_console_cursor_get(h, "web", 4, &offset), 0);
	assert_int_equal(offset, 0);
	assert_false(exists(at("run/web.console.tmp")));

	/* Names that are not VM names. */
	offset = 99;
	assert_int_equal(shyper_console_cursor_get(h, "../x", 3, &offset), SHYPER_ERR_INVALID);
	assert_int_equal(offset, 0);
	assert_int_equal(shyper_console_cursor_set(h, "../x", 3, 5), SHYPER_ERR_INVALID);
	assert_message_contains("'../x' is not a VM name");
	assert_int_equal(shyper_console_cursor_set(h, "a/b", 3, 5), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_console_cursor_set(h, "..", 3, 5), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_console_cursor_set(h, "", 3, 5), SHYPER_ERR_INVALID);
	assert_int_equal(shyper_console_cursor_set(h, NULL, 3, 5), SHYPER_ERR_INVALID);
	assert_false(exists(at("x.console")));
}

/* ---- Names that try to leave the store --------------------------------------------------------- */

static void test_names_stay_in_the_store(void **state)
{
	static const char *const bad[] = { "../etc", "../state/vms/web", "..", ".", "", "a/b",
					   "web/../web", "/etc/passwd", "web.xml\n" };
	struct shyper_managed_vm vm;
	struct shyper_domain *dom;
	struct snapshot snap;
	char *outside;

	(void)state;
	define_vm("web", 64, NULL);
	start_vm("web");
	/* A valid definition right next to the store, where "vms/../etc.xml"
	 * would find it, and the same beside the run directory. */
	outside = read_file(at("state/vms/web.xml"), NULL);
	write_file(at("state/etc.xml"), outside, strlen(outside));
	write_file(at("etc.xml"), outside, strlen(outside));
	free(outside);
	snapshot_take(&snap);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = bad[i];
		uint64_t offset;
		int rc;

		dom = NULL;
		assert_int_equal(shyper_domain_lookup(h, name, &dom), SHYPER_ERR_NO_ENTRY);
		assert_null(dom);
		assert_int_equal(shyper_domain_undefine(h, name), SHYPER_ERR_NO_ENTRY);
		assert_int_equal(shyper_domain_start(h, name, NULL, NULL), SHYPER_ERR_NO_ENTRY);
		assert_int_equal(shyper_domain_shutdown(h, name, 0, NULL), SHYPER_ERR_NO_ENTRY);
		assert_int_equal(shyper_domain_destroy(h, name), SHYPER_ERR_NO_ENTRY);
		assert_int_equal(shyper_domain_reboot(h, name, NULL), SHYPER_ERR_NO_ENTRY);
		assert_int_equal(shyper_domain_pause(h, name), SHYPER_ERR_NO_ENTRY);
		assert_int_equal(shyper_domain_resume(h, name), SHYPER_ERR_NO_ENTRY);
		assert_int_equal(shyper_domain_release(h, name), 0);
		rc = shyper_managed_get(h, name, &vm);
		if (rc != SHYPER_ERR_NO_ENTRY)
			fail_msg("managed_get(\"%s\") = %d", name, rc);
		assert_int_equal(shyper_console_cursor_get(h, name, 1, &offset), SHYPER_ERR_INVALID);
		assert_int_equal(shyper_console_cursor_set(h, name, 1, 1), SHYPER_ERR_INVALID);
	}
	assert_unchanged(&snap);
	assert_int_equal(fake.calls[_IOC_NR(SHYPER_IOC_VM_CREATE)], 1);
}

/* ---- JSON -------------------------------------------------------------------------------------- */

static json_object *get(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		fail_msg("no key \"%s\" in %s", key, json_object_to_json_string(obj));
	return value;
}

static void assert_keys(json_object *obj, const char *const *keys, size_t count)
{
	size_t found = 0;

	json_object_object_foreach(obj, key, value) {
		size_t i;

		(void)value;
		for (i = 0; i < count && strcmp(keys[i], key); i++)
			;
		if (i == count)
			fail_msg("unexpected key \"%s\"", key);
		found++;
	}
	assert_int_equal(found, count);
}

static const char *const vm_keys[] = { "id", "name", "type", "state", "vcpu_count", "memory_bytes",
				       "uptime_ns", "exits", "vcpus", "uuid", "defined", "active" };
#define VM_KEY_COUNT (sizeof(vm_keys) / sizeof(vm_keys[0]))

static void test_json(void **state)
{
	struct shyper_managed_vm *vms, vm;
	json_object *doc, *list, *entry, *vcpu;
	struct shyper_domain *dom;
	size_t count;
	uint32_t id;

	(void)state;
	dom = dom_parse("web", 64, NULL, "<uuid>0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b</uuid><vcpu>2</vcpu>");
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);

	/* Not active: id null, state "defined", its UUID as text. */
	assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
	doc = shyper_managed_vm_to_json(&vm);
	assert_non_null(doc);
	{
		const char *keys[VM_KEY_COUNT + 1];

		memcpy(keys, vm_keys, sizeof(vm_keys));
		keys[VM_KEY_COUNT] = "schema";
		assert_keys(doc, keys, VM_KEY_COUNT + 1);
	}
	assert_int_equal(json_object_get_int(get(doc, "schema")), 1);
	assert_true(json_object_is_type(get(doc, "id"), json_type_null));
	assert_string_equal(json_object_get_string(get(doc, "name")), "web");
	assert_string_equal(json_object_get_string(get(doc, "type")), "gvm");
	assert_string_equal(json_object_get_string(get(doc, "state")), "defined");
	assert_string_equal(json_object_get_string(get(doc, "uuid")),
			    "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b");
	assert_true(json_object_get_boolean(get(doc, "defined")));
	assert_false(json_object_get_boolean(get(doc, "active")));
	assert_int_equal(json_object_get_int64(get(doc, "memory_bytes")), 64 * MiB);
	assert_int_equal(json_object_get_int64(get(doc, "uptime_ns")), 0);
	assert_int_equal(json_object_get_int64(get(doc, "exits")), 0);
	assert_int_equal(json_object_get_int(get(doc, "vcpu_count")), 2);
	assert_int_equal(json_object_array_length(get(doc, "vcpus")), 2);
	vcpu = json_object_array_get_idx(get(doc, "vcpus"), 1);
	assert_int_equal(json_object_get_int(get(vcpu, "vcpu")), 1);
	assert_int_equal(json_object_get_int(get(vcpu, "pcpu")), 1);
	json_object_put(doc);

	/* Active: its id; shut off after a run. */
	id = start_vm("web");
	fake_vm(id)->exits = 4242;
	assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
	doc = shyper_managed_vm_to_json(&vm);
	assert_int_equal(json_object_get_int(get(doc, "id")), (int)id);
	assert_string_equal(json_object_get_string(get(doc, "state")), "running");
	assert_int_equal(json_object_get_int64(get(doc, "exits")), 4242);
	assert_true(json_object_get_boolean(get(doc, "active")));
	json_object_put(doc);
	assert_int_equal(shyper_domain_destroy(h, "web"), 0);

	/* The list: the MVM (no UUID), then web, shut off. */
	assert_int_equal(shyper_managed_list(h, &vms, &count), 0);
	doc = shyper_managed_list_to_json(vms, count);
	free(vms);
	{
		static const char *const keys[] = { "schema", "vms" };

		assert_keys(doc, keys, 2);
	}
	list = get(doc, "vms");
	assert_int_equal(json_object_array_length(list), 2);
	entry = json_object_array_get_idx(list, 0);
	assert_keys(entry, vm_keys, VM_KEY_COUNT); /* no "schema" in entries */
	assert_string_equal(json_object_get_string(get(entry, "name")), "mvm");
	assert_int_equal(json_object_get_int(get(entry, "id")), 0);
	assert_true(json_object_is_type(get(entry, "uuid"), json_type_null));
	assert_false(json_object_get_boolean(get(entry, "defined")));
	assert_true(json_object_get_boolean(get(entry, "active")));
	entry = json_object_array_get_idx(list, 1);
	assert_string_equal(json_object_get_string(get(entry, "name")), "web");
	assert_true(json_object_is_type(get(entry, "id"), json_type_null));
	assert_string_equal(json_object_get_string(get(entry, "state")), "shutoff");
	assert_true(json_object_is_type(get(entry, "uuid"), json_type_string));
	json_object_put(doc);

	/* Empty lists and NULL. */
	doc = shyper_managed_list_to_json(NULL, 0);
	assert_int_equal(json_object_array_length(get(doc, "vms")), 0);
	json_object_put(doc);
	assert_null(shyper_managed_list_to_json(NULL, 1));
	assert_null(shyper_managed_vm_to_json(NULL));
}

/* ---- The store's lock ------------------------------------------------------------------------- */

static int lock_store(void)
{
	int fd = open(at("state/lock"), O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	return fd;
}

static void test_lock_serialises_changes(void **state)
{
	struct shyper_domain *dom;
	int fd, status;
	pid_t pid;

	(void)state;
	define_vm("first", 64, NULL); /* makes the store and its lock */
	dom = dom_parse("late", 64, NULL, NULL);
	fd = lock_store();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Its copy of FD shares the parent's lock: let go of it. */
		close(fd);
		_exit(shyper_domain_define(h, dom, NULL) == 0 ? 0 : 1);
	}
	/* Another tool holds the lock: the define waits for it. */
	usleep(300 * 1000);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_false(exists(at("state/vms/late.xml")));
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(exists(at("state/vms/late.xml")));
	shyper_domain_free(dom);
}

static void test_shutdown_waits_without_the_lock(void **state)
{
	bool got_lock = false;
	int fd, status;
	pid_t pid;

	(void)state;
	define_vm("web", 64, NULL);
	start_vm("web");
	fake.button = FAKE_BUTTON_IGNORED;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bool forced = false;
		int rc = shyper_domain_shutdown(h, "web", 2000, &forced);

		_exit(rc == 0 && forced ? 0 : 1);
	}
	/* While it waits for the guest (from well before 200 ms to 2000 ms),
	 * others can take the lock. */
	usleep(200 * 1000);
	fd = open(at("state/lock"), O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < 50 && !got_lock; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("the stop ended before the lock was ever free");
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			got_lock = true;
			flock(fd, LOCK_UN);
		}
		usleep(20 * 1000);
	}
	close(fd);
	assert_true(got_lock);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- Known bugs (see KNOWN_BUG) ------------------------------------------------------------------- */

/* A definition that cannot be read can neither be removed nor replaced. */
static void test_damaged_definition_can_be_undefined(void **state)
{
	struct shyper_domain *dom;

	(void)state;
	define_vm("web", 64, NULL);
	write_file(at("state/vms/web.xml"), "<domain type='shyper'><name>web", 31);
	assert_int_equal(shyper_domain_undefine(h, "web"), 0);
	assert_false(exists(at("state/vms/web.xml")));
	dom = dom_parse("web", 64, NULL, NULL);
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
}

/* One damaged file must not block defining other VMs. */
static void test_damaged_definition_does_not_block_define(void **state)
{
	struct shyper_domain *dom;
	int rc;

	(void)state;
	define_vm("web", 64, NULL);
	write_file(at("state/vms/broken.xml"), "<domain", 7);
	dom = dom_parse("db", 64, NULL, NULL);
	rc = define(dom, NULL);
	shyper_domain_free(dom);
	if (rc)
		fail_msg("define: %s", shyper_last_error_message(h));
}

/* A reboot cannot read the definition: the VM must be left running. */
static void test_reboot_without_definition_keeps_vm(void **state)
{
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	id = start_vm("web");
	/* Neither the definition nor the copy it was started from can be read. */
	write_file(at("state/vms/web.xml"), "<domain", 7);
	write_file(at("run/web.xml"), "<domain", 7);
	assert_int_not_equal(shyper_domain_reboot(h, "web", NULL), 0);
	assert_non_null(fake_vm(id));
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);
}

/* A hypervisor VM without a definition cannot be rebooted from one: it is
 * refused, and the VM keeps running. */
static void test_reboot_of_vm_without_definition(void **state)
{
	struct shyper_vm_info *raw;
	int rc;

	(void)state;
	raw = fake_add_vm(5, "raw");
	fake.hv.vm_count++;
	rc = shyper_domain_reboot(h, "raw", NULL);
	assert_int_not_equal(rc, 0);
	raw = fake_vm(5);
	assert_non_null(raw);
	assert_int_equal(raw->state, SHYPER_VM_RUNNING);
}

/* A definition replaced while the VM runs applies from the next start:
 * a reboot keeps the VM as created (its RAM is what it was). */
static void test_reboot_after_redefine(void **state)
{
	struct shyper_domain *dom;
	uint32_t id;

	(void)state;
	dom = dom_parse("web", 64, os_initrd(), NULL);
	assert_int_equal(define(dom, NULL), 0);
	id = start_vm("web");
	dom->memory = 128 * MiB;
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	fake.load_count = 0;
	if (shyper_domain_reboot(h, "web", NULL))
		fail_msg("reboot: %s", shyper_last_error_message(h));
	assert_non_null(fake_vm(id));
	assert_int_equal(fake_vm(id)->state, SHYPER_VM_RUNNING);
	/* The device tree describes the RAM the VM has. */
	{
		const void *fdt = loaded_dtb();
		int node = fdt_path_offset(fdt, "/memory@40000000"), len;
		const void *reg = fdt_getprop(fdt, node, "reg", &len);
		fdt64_t size;

		assert_non_null(reg);
		assert_int_equal(len, 16);
		memcpy(&size, (const char *)reg + 8, sizeof(size));
		assert_int_equal(fdt64_to_cpu(size), fake_vm(id)->memory);
	}
}

/* What runs is what a running VM's entry says. */
static void test_running_vm_shows_what_runs(void **state)
{
	struct shyper_managed_vm vm;
	struct shyper_domain *dom;

	(void)state;
	dom = dom_parse("web", 64, NULL, NULL);
	assert_int_equal(define(dom, NULL), 0);
	start_vm("web");
	dom->memory = 128 * MiB;
	dom->vcpu_pcpu[0] = 3;
	assert_int_equal(define(dom, NULL), 0);
	shyper_domain_free(dom);
	assert_int_equal(shyper_managed_get(h, "web", &vm), 0);
	assert_int_equal(vm.memory, 64 * MiB);
	assert_int_equal(vm.vcpu_pcpu[0], 0);
}

/* A definition is its file: one whose <name> is not its file's name
 * (copied by hand) is not taken for another VM. */
static void test_definition_name_matches_its_file(void **state)
{
	struct shyper_managed_vm *vms;
	size_t count;
	char *xml;
	int rc;

	(void)state;
	define_vm("a", 64, NULL);
	xml = read_file(at("state/vms/a.xml"), NULL);
	write_file(at("state/vms/b.xml"), xml, strlen(xml));
	free(xml);
	assert_int_equal(shyper_managed_list(h, &vms, &count), 0);
	{
		size_t named_a = 0;

		for (size_t i = 0; i < count; i++)
			named_a += !strcmp(vms[i].name, "a");
		free(vms);
		assert_int_equal(named_a, 1);
	}
	rc = shyper_domain_start(h, "b", NULL, NULL);
	assert_int_not_equal(rc, 0);
	assert_null(fake_vm_named("a"));
}

/* Refusals name the operation and the VM once, as the others do. */
static void test_messages_name_the_vm_once(void **state)
{
	uint32_t id;

	(void)state;
	define_vm("web", 64, NULL);
	assert_int_equal(shyper_domain_shutdown(h, "web", 0, NULL), SHYPER_ERR_BUSY);
	assert_string_equal(shyper_last_error_message(h), "stopping VM 'web': it is not running");
	assert_int_equal(shyper_domain_reboot(h, "web", NULL), SHYPER_ERR_BUSY);
	assert_string_equal(shyper_last_error_message(h), "rebooting VM 'web': it is not running");
	assert_int_equal(shyper_domain_shutdown(h, "mvm", 0, NULL), SHYPER_ERR_PERMISSION);
	assert_string_equal(shyper_last_error_message(h),
			    "stopping VM 'mvm': it is the management VM, which Shyper does not "
			    "let itself be stopped");
	id = start_vm("web");
	fake_vm(id)->state = SHYPER_VM_CRASHED;
	assert_int_equal(shyper_domain_shutdown(h, "web", 0, NULL), SHYPER_ERR_BUSY);
	assert_string_equal(shyper_last_error_message(h),
			    "stopping VM 'web': it has crashed; 'shyperctl vm destroy web' clears it");
	assert_int_equal(shyper_domain_reboot(h, "web", NULL), SHYPER_ERR_BUSY);
	assert_string_equal(shyper_last_error_message(h),
			    "rebooting VM 'web': it has crashed; destroy it, then start it");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_define_stores_what_it_was_given),
		T(test_define_uses_environment_dirs),
		T(test_dirs_are_made_as_needed),
		T(test_define_duplicate_name),
		T(test_define_same_uuid_replaces),
		T(test_define_uuid_of_another_vm),
		T(test_define_name_of_hypervisor_vm),
		T(test_define_checks_the_board),
		T(test_define_needs_its_files),
		T(test_define_refuses_bad_names),
		T(test_managed_list),
		T(test_managed_get),
		T(test_start_loads_and_starts),
		T(test_start_with_a_virtio_console),
		T(test_start_with_rng_and_clock),
		T(test_settle_follows_the_lifecycle_actions),
		T(test_define_checks_the_cpu_model),
		T(test_rtvm_takes_and_gives_back_mvm_cpus),
		T(test_start_fails_cleanly_when_the_device_is_refused),
		T(test_start_with_its_own_dtb),
		T(test_start_arm64_image_extent),
		T(test_start_when_not_startable),
		T(test_start_failure_changes_nothing),
		T(test_disks_checked_and_added),
		T(test_interfaces_get_macs_and_need_their_bridge),
		T(test_elf_guest_is_loaded_by_segments),
		T(test_bad_elf_guests_are_refused),
		T(test_start_reads_the_kernel_once),
		T(test_shutdown_graceful),
		T(test_shutdown_waits_for_the_guest),
		T(test_shutdown_forced_after_timeout),
		T(test_shutdown_timeout_zero_forces),
		T(test_shutdown_paused_vm),
		T(test_shutdown_refusals),
		T(test_destroy),
		T(test_release),
		T(test_reboot),
		T(test_reboot_failure_leaves_it_off),
		T(test_pause_resume),
		T(test_undefine),
		T(test_console_cursor),
		T(test_names_stay_in_the_store),
		T(test_json),
		T(test_lock_serialises_changes),
		T(test_shutdown_waits_without_the_lock),
		T(test_damaged_definition_can_be_undefined),
		T(test_damaged_definition_does_not_block_define),
		T(test_reboot_without_definition_keeps_vm),
		T(test_reboot_of_vm_without_definition),
		T(test_reboot_after_redefine),
		T(test_running_vm_shows_what_runs),
		T(test_messages_name_the_vm_once),
		T(test_definition_name_matches_its_file),
	};

	return cmocka_run_group_tests_name("manage", tests, NULL, NULL);
}
