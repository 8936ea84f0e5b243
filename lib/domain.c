// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Guest VM definitions in libvirt domain XML, read and written with
 * libxml2. The supported subset, and what happens to everything else:
 *
 *   <domain type='shyper'>          required; type='kvm' etc. is an error
 *     <name>                        required; [A-Za-z0-9._-], 1..31 characters
 *     <uuid>                        optional; 8-4-4-4-12 or 32 hex digits
 *     <memory unit='KiB'>           required; units b, bytes, KB, k, KiB, MB, M,
 *                                   MiB, GB, G, GiB (KiB by default, as in
 *                                   libvirt); a multiple of 2 MiB, at most 8 GiB
 *     <currentMemory>               optional; must equal <memory> (no ballooning)
 *     <vcpu placement='static'>     1..8, 1 when absent; current= must equal it
 *     <cputune><vcpupin vcpu='N' cpuset='M'/>
 *                                   one pCPU per vCPU; a vCPU without a pin runs
 *                                   on the pCPU of its own number
 *     <os>
 *       <type arch='aarch64' machine='virt'>hvm</type>   optional
 *       <kernel> (required) <initrd> <cmdline> <dtb>
 *     <devices>
 *       <console type='pty'><target type='serial'|'virtio' port='N'/></console>
 *                                   'serial' (the default) is the PL011; one only
 *       <emulator>                  warning: ignored (there is no emulator)
 *       <memballoon model='none'/>  accepted (any other model is an error)
 *       <disk type='file' device='disk'><driver type='raw' cache='none'/><source file='/abs'/>
 *             <target dev='vdX' bus='virtio'/><readonly/></disk>
 *                                   a raw image as a virtio disk; at most 4
 *       <interface type='bridge'|'network'><mac address=.../><source bridge=|network=/>
 *             <model type='virtio'/></interface>
 *                                   a virtio NIC; at most 4
 *       <hostdev mode='capabilities' type='misc'><source><char>/node/path</char>
 *                                   a board device passed through (at most 4), with
 *                                   <shyper:hostdev node= base= size= irq=/> below
 *     <metadata>
 *       <shyper:vm xmlns:shyper='https://shyper.dev/xmlns/vm/1'>
 *         <shyper:type>gvm|rtvm</shyper:type>   gvm by default
 *         <shyper:hostdev node='/pl031@9010000' base='0x9010000' size='0x1000' irq='2'/>
 *       other applications' metadata: warning, ignored
 *     <on_poweroff>destroy, <on_reboot>restart, <on_crash>destroy|preserve
 *                                   what Shyper does anyway; other values are
 *                                   errors
 *
 * Harmless to ignore, hence warnings: <title>, <description>,
 * <on_lockfailure>, <pm>, <emulator>, the domain's id= attribute (a running
 * domain's dumpxml from libvirt has it) and foreign <metadata>. Any other
 * element or attribute is an error naming it and its line: a VM is never
 * defined with part of its definition silently dropped.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include <shyper/domain.h>

#include "domain_internal.h"

/* Linux interface names: IFNAMSIZ, its NUL included. */
#define IFNAME_LEN 16

/* Larger definition files are certainly not VM definitions. */
#define DOMAIN_FILE_MAX (1024 * 1024)
/* More <vcpupin> elements than this are refused before counting vCPUs. */
#define DOMAIN_PINS_MAX 64

/* ---- Diagnostics ---------------------------------------------------------------- */

int shyper_diag_add(struct shyper_domain_diag *diag, enum shyper_diag_severity severity,
		    long line, const char *fmt, ...)
{
	struct shyper_diag_entry *entries;
	va_list ap;
	char *message;
	int len;

	if (!diag)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return SHYPER_ERR_NO_MEMORY;
	message = malloc((size_t)len + 1);
	if (!message)
		return SHYPER_ERR_NO_MEMORY;
	va_start(ap, fmt);
	vsnprintf(message, (size_t)len + 1, fmt, ap);
	va_end(ap);

	entries = realloc(diag->entries, (diag->count + 1) * sizeof(*entries));
	if (!entries) {
		free(message);
		return SHYPER_ERR_NO_MEMORY;
	}
	diag->entries = entries;
	entries[diag->count].severity = severity;
	entries[diag->count].line = line;
	entries[diag->count].message = message;
	diag->count++;
	if (severity == SHYPER_DIAG_ERROR)
		diag->error_count++;
	else
		diag->warning_count++;
	return 0;
}

void shyper_domain_diag_free(struct shyper_domain_diag *diag)
{
	size_t i;

	if (!diag)
		return;
	for (i = 0; i < diag->count; i++)
		free(diag->entries[i].message);
	free(diag->entries);
	memset(diag, 0, sizeof(*diag));
}

void shyper_domain_diag_print(const struct shyper_domain_diag *diag, const char *source,
			      FILE *out)
{
	size_t i;

	for (i = 0; diag && i < diag->count; i++) {
		const struct shyper_diag_entry *e = &diag->entries[i];
		const char *what = e->severity == SHYPER_DIAG_ERROR ? "error" : "warning";

		if (e->line > 0)
			fprintf(out, "%s:%ld: %s: %s\n", source, e->line, what, e->message);
		else
			fprintf(out, "%s: %s: %s\n", source, what, e->message);
	}
}

/* ---- Parsing --------------------------------------------------------------------- */

struct pin {
	unsigned int vcpu;
	int pcpu;
	long line;
};

struct meta_hostdev {
	struct shyper_domain_hostdev dev;
	long line;
	bool used;
};

struct parse_ctx {
	struct shyper_domain *dom;
	struct shyper_domain_diag *diag;
	int oom;
	/* Elements seen once already (duplicates are errors). */
	unsigned int seen;
	uint64_t current_memory;
	long current_memory_line;
	unsigned int vcpu_current; /* <vcpu current=...>, 0 when absent */
	long vcpu_line;
	size_t pin_count;
	struct pin pins[DOMAIN_PINS_MAX];
	long root_line;
	/* <hostdev> lines, and the <shyper:hostdev> entries they are matched
	 * with once the whole definition is read. */
	long hostdev_line[SHYPER_DOMAIN_MAX_HOSTDEVS];
	size_t meta_hostdev_count;
	struct meta_hostdev meta_hostdevs[SHYPER_DOMAIN_MAX_HOSTDEVS];
};

enum seen_bit {
	SEEN_NAME = 1u << 0,
	SEEN_UUID = 1u << 1,
	SEEN_MEMORY = 1u << 2,
	SEEN_CURRENT_MEMORY = 1u << 3,
	SEEN_VCPU = 1u << 4,
	SEEN_CPUTUNE = 1u << 5,
	SEEN_OS = 1u << 6,
	SEEN_DEVICES = 1u << 7,
	SEEN_METADATA = 1u << 8,
	SEEN_SHYPER_VM = 1u << 9,
	SEEN_SHYPER_TYPE = 1u << 10,
	SEEN_OS_TYPE = 1u << 11,
	SEEN_SERIAL = 1u << 12,
};

static void error_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct parse_ctx *ctx, enum shyper_diag_severity severity, long line,
		   const char *fmt, va_list ap)
{
	char message[512];

	vsnprintf(message, sizeof(message), fmt, ap);
	if (shyper_diag_add(ctx->diag, severity, line, "%s", message) < 0)
		ctx->oom = 1;
}

static void error_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, SHYPER_DIAG_ERROR, node ? xmlGetLineNo(node) : 0, fmt, ap);
	va_end(ap);
}

static void warn_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, SHYPER_DIAG_WARNING, node ? xmlGetLineNo(node) : 0, fmt, ap);
	va_end(ap);
}

static const char *node_name(xmlNode *node)
{
	return (const char *)node->name;
}

static bool is_element(xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && !strcmp(node_name(node), name);
}

/* Marks BIT seen; a second time is an error. Returns false then. */
static bool first_time(struct parse_ctx *ctx, xmlNode *node, unsigned int bit)
{
	if (ctx->seen & bit) {
		error_at(ctx, node, "<%s> appears more than once", node_name(node));
		return false;
	}
	ctx->seen |= bit;
	return true;
}

/* Every attribute of NODE must be in ALLOWED (NULL-terminated). */
static void check_attributes(struct parse_ctx *ctx, xmlNode *node, const char *const *allowed)
{
	xmlAttr *attr;
	size_t i;

	for (attr = node->properties; attr; attr = attr->next) {
		bool known = false;

		for (i = 0; allowed && allowed[i]; i++)
			if (!attr->ns && !strcmp((const char *)attr->name, allowed[i]))
				known = true;
		if (!known)
			error_at(ctx, node, "attribute '%s' of <%s> is not supported",
				 (const char *)attr->name, node_name(node));
	}
}

/* NODE's attribute NAME as a malloc'd string, or NULL when absent. */
static char *attribute(xmlNode *node, const char *name)
{
	xmlChar *value = xmlGetNoNsProp(node, BAD_CAST name);
	char *copy;

	if (!value)
		return NULL;
	copy = strdup((const char *)value);
	xmlFree(value);
	return copy;
}

/* Element children of NODE, one at a time; stray text is an error. */
static xmlNode *next_element(struct parse_ctx *ctx, xmlNode *parent, xmlNode *child)
{
	for (child = child ? child->next : parent->children; child; child = child->next) {
		if (child->type == XML_ELEMENT_NODE)
			return child;
		if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) &&
		    !xmlIsBlankNode(child))
			error_at(ctx, parent, "<%s> has text where only elements are expected",
				 node_name(parent));
	}
	return NULL;
}

#define for_each_element(ctx, parent, child) \
	for (child = next_element(ctx, parent, NULL); child; child = next_element(ctx, parent, child))

/* NODE's text (malloc'd), refusing child elements. TRIM drops surrounding
 * white space. Returns NULL after reporting a problem. */
static char *element_text(struct parse_ctx *ctx, xmlNode *node, bool trim)
{
	xmlNode *child;
	xmlChar *content;
	char *text, *start, *end;

	for (child = node->children; child; child = child->next) {
		if (child->type == XML_ELEMENT_NODE) {
			error_at(ctx, child, "<%s> inside <%s> is not supported (text expected)",
				 node_name(child), node_name(node));
			return NULL;
		}
	}
	content = xmlNodeGetContent(node);
	if (!content) {
		ctx->oom = 1;
		return NULL;
	}
	start = (char *)content;
	end = start + strlen(start);
	if (trim) {
		while (*start && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
	}
	if (end == start) {
		error_at(ctx, node, "<%s> is empty", node_name(node));
		xmlFree(content);
		return NULL;
	}
	text = strndup(start, (size_t)(end - start));
	xmlFree(content);
	if (!text)
		ctx->oom = 1;
	return text;
}

/* A decimal number without sign. */
static bool parse_u64(const char *text, uint64_t *value)
{
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	*value = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool parse_uint(const char *text, unsigned int max, unsigned int *value)
{
	uint64_t v;

	if (!parse_u64(text, &v) || v > max)
		return false;
	*value = (unsigned int)v;
	return true;
}

static const struct {
	const char *unit;
	uint64_t bytes;
} memory_units[] = {
	{ "b", 1 },
	{ "bytes", 1 },
	{ "KB", 1000ULL },
	{ "k", 1ULL << 10 },
	{ "KiB", 1ULL << 10 },
	{ "MB", 1000ULL * 1000 },
	{ "M", 1ULL << 20 },
	{ "MiB", 1ULL << 20 },
	{ "GB", 1000ULL * 1000 * 1000 },
	{ "G", 1ULL << 30 },
	{ "GiB", 1ULL << 30 },
};

/* <memory> or <currentMemory>: a size in bytes. */
static bool parse_memory_element(struct parse_ctx *ctx, xmlNode *node, uint64_t *bytes)
{
	static const char *const attrs[] = { "unit", NULL };
	uint64_t count, scale = 1024;
	char *unit, *text;
	bool ok = false;
	size_t i;

	check_attributes(ctx, node, attrs);
	unit = attribute(node, "unit");
	if (unit) {
		scale = 0;
		for (i = 0; i < sizeof(memory_units) / sizeof(memory_units[0]); i++)
			if (!strcmp(unit, memory_units[i].unit))
				scale = memory_units[i].bytes;
		if (!scale)
			error_at(ctx, node,
				 "unit='%s' of <%s> is not supported (use b, bytes, KB, k, KiB, MB, M, MiB, GB, G or GiB)",
				 unit, node_name(node));
	}
	text = element_text(ctx, node, true);
	if (text && scale) {
		if (!parse_u64(text, &count))
			error_at(ctx, node, "<%s> '%s' is not a number", node_name(node), text);
		else if (count > UINT64_MAX / scale)
			error_at(ctx, node, "<%s> %s %s is too large", node_name(node), text,
				 unit ? unit : "KiB");
		else {
			*bytes = count * scale;
			ok = true;
		}
	}
	free(unit);
	free(text);
	return ok;
}

static void parse_name(struct parse_ctx *ctx, xmlNode *node)
{
	char *text;
	size_t i, len;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_NAME))
		return;
	text = element_text(ctx, node, false);
	if (!text)
		return;
	len = strlen(text);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)text[i]) && !strchr("._-", text[i]))
			break;
	if (i < len || len >= SHYPER_NAME_LEN)
		error_at(ctx, node,
			 "<name> '%s' is not valid: 1 to %d characters from A-Z, a-z, 0-9, '.', '_' and '-'",
			 text, SHYPER_NAME_LEN - 1);
	else
		memcpy(ctx->dom->name, text, len + 1);
	free(text);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 8-4-4-4-12 hex digits, or 32 hex digits without dashes. */
static bool parse_uuid(const char *text, uint8_t uuid[16])
{
	bool dashes = strlen(text) == 36;
	size_t i, n = 0;

	if (!dashes && strlen(text) != 32)
		return false;
	for (i = 0; text[i]; i++) {
		int hi, lo;

		if (dashes && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (text[i] != '-')
				return false;
			continue;
		}
		hi = hex_value(text[i]);
		lo = text[i + 1] ? hex_value(text[i + 1]) : -1;
		if (hi < 0 || lo < 0 || n >= 16)
			return false;
		uuid[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return n == 16;
}

static void parse_uuid_element(struct parse_ctx *ctx, xmlNode *node)
{
	uint8_t uuid[16];
	char *text;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_UUID))
		return;
	text = element_text(ctx, node, true);
	if (!text)
		return;
	if (parse_uuid(text, uuid))
		memcpy(ctx->dom->uuid, uuid, sizeof(uuid));
	else
		error_at(ctx, node, "<uuid> '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			 text);
	free(text);
}

static void parse_memory(struct parse_ctx *ctx, xmlNode *node)
{
	uint64_t bytes;

	if (!first_time(ctx, node, SEEN_MEMORY) || !parse_memory_element(ctx, node, &bytes))
		return;
	if (bytes == 0 || bytes % SHYPER_GUEST_MEM_ALIGN)
		error_at(ctx, node, "<memory> of %" PRIu64 " bytes is not a multiple of 2 MiB "
			 "(guest memory is mapped in 2 MiB blocks)", bytes);
	else if (bytes < SHYPER_DOMAIN_ENTRY_IPA - SHYPER_GUEST_RAM_BASE + SHYPER_GUEST_MEM_ALIGN)
		error_at(ctx, node, "<memory> of %" PRIu64 " MiB is too small: a guest needs at least "
			 "4 MiB (its device tree below the kernel at +2 MiB, then the kernel)",
			 bytes >> 20);
	else if (bytes > SHYPER_GUEST_MEM_MAX)
		error_at(ctx, node, "<memory> of %" PRIu64 " MiB is more than the %llu MiB a guest may have",
			 bytes >> 20, SHYPER_GUEST_MEM_MAX >> 20);
	else
		ctx->dom->memory = bytes;
}

static void parse_current_memory(struct parse_ctx *ctx, xmlNode *node)
{
	if (!first_time(ctx, node, SEEN_CURRENT_MEMORY))
		return;
	if (parse_memory_element(ctx, node, &ctx->current_memory))
		ctx->current_memory_line = xmlGetLineNo(node);
}

static void parse_vcpu(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "placement", "current", NULL };
	char *placement, *current, *text;
	unsigned int count;

	check_attributes(ctx, node, attrs);
	if (!first_time(ctx, node, SEEN_VCPU))
		return;
	ctx->vcpu_line = xmlGetLineNo(node);
	placement = attribute(node, "placement");
	if (placement && strcmp(placement, "static"))
		error_at(ctx, node, "placement='%s' of <vcpu> is not supported (only 'static': "
			 "pins come from <cputune>)", placement);
	current = attribute(node, "current");
	if (current && (!parse_uint(current, 64, &ctx->vcpu_current) || !ctx->vcpu_current))
		error_at(ctx, node, "current='%s' of <vcpu> is not a vCPU count", current);
	text = element_text(ctx, node, true);
	if (text) {
		if (!parse_uint(text, 1000000, &count) || count < 1 || count > SHYPER_MAX_VCPUS)
			error_at(ctx, node, "<vcpu> '%s' is not a vCPU count from 1 to %d", text,
				 SHYPER_MAX_VCPUS);
		else
			ctx->dom->vcpu_count = count;
	}
	free(placement);
	free(current);
	free(text);
}

static void parse_vcpupin(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "vcpu", "cpuset", NULL };
	char *vcpu = attribute(node, "vcpu"), *cpuset = attribute(node, "cpuset");
	unsigned int vcpu_nr, pcpu;

	check_attributes(ctx, node, attrs);
	if (!vcpu || !cpuset) {
		error_at(ctx, node, "<vcpupin> needs both vcpu= and cpuset=");
	} else if (!parse_uint(vcpu, 1000000, &vcpu_nr)) {
		error_at(ctx, node, "vcpu='%s' of <vcpupin> is not a vCPU number", vcpu);
	} else if (!parse_uint(cpuset, 255, &pcpu)) {
		error_at(ctx, node, "cpuset='%s' of <vcpupin> is not supported: name exactly one "
			 "pCPU (0 to 255), since Shyper pins each vCPU to one pCPU", cpuset);
	} else if (ctx->pin_count == DOMAIN_PINS_MAX) {
		error_at(ctx, node, "too many <vcpupin> elements");
	} else {
		ctx->pins[ctx->pin_count].vcpu = vcpu_nr;
		ctx->pins[ctx->pin_count].pcpu = (int)pcpu;
		ctx->pins[ctx->pin_count].line = xmlGetLineNo(node);
		ctx->pin_count++;
	}
	free(vcpu);
	free(cpuset);
}

static void parse_cputune(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_CPUTUNE))
		return;
	for_each_element(ctx, node, child) {
		if (is_element(child, "vcpupin"))
			parse_vcpupin(ctx, child);
		else
			error_at(ctx, child, "<%s> in <cputune> is not supported (only <vcpupin>)",
				 node_name(child));
	}
}

static void parse_os_type(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "arch", "machine", NULL };
	char *arch = attribute(node, "arch"), *machine = attribute(node, "machine");
	char *text;

	check_attributes(ctx, node, attrs);
	if (first_time(ctx, node, SEEN_OS_TYPE)) {
		if (arch && strcmp(arch, "aarch64"))
			error_at(ctx, node, "arch='%s' of <type> is not supported (only 'aarch64')",
				 arch);
		if (machine && strcmp(machine, "virt"))
			error_at(ctx, node, "machine='%s' of <type> is not supported (Shyper guests "
				 "see a 'virt' machine)", machine);
		text = element_text(ctx, node, true);
		if (text && strcmp(text, "hvm"))
			error_at(ctx, node, "<type> '%s' is not supported (only 'hvm')", text);
		free(text);
	}
	free(arch);
	free(machine);
}

/* <kernel>, <initrd>, <cmdline> or <dtb> into *FIELD. */
static void parse_os_string(struct parse_ctx *ctx, xmlNode *node, char **field)
{
	check_attributes(ctx, node, NULL);
	if (*field) {
		error_at(ctx, node, "<%s> appears more than once", node_name(node));
		return;
	}
	*field = element_text(ctx, node, false);
}

static void parse_os(struct parse_ctx *ctx, xmlNode *node)
{
	struct shyper_domain *dom = ctx->dom;
	xmlNode *child;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_OS))
		return;
	for_each_element(ctx, node, child) {
		if (is_element(child, "type"))
			parse_os_type(ctx, child);
		else if (is_element(child, "kernel"))
			parse_os_string(ctx, child, &dom->kernel);
		else if (is_element(child, "initrd"))
			parse_os_string(ctx, child, &dom->initrd);
		else if (is_element(child, "cmdline"))
			parse_os_string(ctx, child, &dom->cmdline);
		else if (is_element(child, "dtb"))
			parse_os_string(ctx, child, &dom->dtb);
		else
			error_at(ctx, child, "<%s> in <os> is not supported (only <type>, <kernel>, "
				 "<initrd>, <cmdline> and <dtb>)", node_name(child));
	}
}

static void parse_console(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const target_attrs[] = { "type", "port", NULL };
	struct shyper_domain_console console = { .target = SHYPER_CONSOLE_SERIAL };
	char *type = attribute(node, "type");
	xmlNode *child, *target = NULL;
	bool ok = true;
	size_t i;

	check_attributes(ctx, node, attrs);
	if (!type || strcmp(type, "pty")) {
		error_at(ctx, node, "<console> type='%s' is not supported (only 'pty')",
			 type ? type : "");
		ok = false;
	}
	free(type);
	for_each_element(ctx, node, child) {
		if (is_element(child, "target") && !target) {
			target = child;
		} else {
			error_at(ctx, child, "<%s> in <console> is not supported (only one <target>)",
				 node_name(child));
			ok = false;
		}
	}
	if (target) {
		char *target_type = attribute(target, "type"), *port = attribute(target, "port");

		check_attributes(ctx, target, target_attrs);
		if (target_type && !strcmp(target_type, "virtio")) {
			console.target = SHYPER_CONSOLE_VIRTIO;
		} else if (target_type && strcmp(target_type, "serial")) {
			error_at(ctx, target, "<target> type='%s' of <console> is not supported "
				 "(only 'serial' or 'virtio')", target_type);
			ok = false;
		}
		if (port && !parse_uint(port, 255, &console.port)) {
			error_at(ctx, target, "port='%s' of <target> is not a port number", port);
			ok = false;
		}
		free(target_type);
		free(port);
	}
	if (!ok)
		return;
	if (console.target == SHYPER_CONSOLE_SERIAL) {
		if (ctx->seen & SEEN_SERIAL) {
			error_at(ctx, node, "a second serial <console>: the guest has one serial port "
				 "(its PL011)");
			return;
		}
		if (console.port) {
			error_at(ctx, target, "port='%u' of a serial <console>: the PL011 is port 0",
				 console.port);
			return;
		}
		ctx->seen |= SEEN_SERIAL;
	}
	for (i = 0; i < ctx->dom->console_count; i++) {
		if (ctx->dom->consoles[i].target == console.target &&
		    ctx->dom->consoles[i].port == console.port) {
			error_at(ctx, node, "two <console> elements with the same target and port %u",
				 console.port);
			return;
		}
	}
	if (ctx->dom->console_count == SHYPER_DOMAIN_MAX_CONSOLES) {
		error_at(ctx, node, "more than %d <console> elements", SHYPER_DOMAIN_MAX_CONSOLES);
		return;
	}
	ctx->dom->consoles[ctx->dom->console_count++] = console;
}

static void parse_memballoon(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "model", NULL };
	char *model = attribute(node, "model");
	xmlNode *child;

	check_attributes(ctx, node, attrs);
	if (!model || strcmp(model, "none"))
		error_at(ctx, node, "<memballoon> model='%s' is not supported (ballooning is not; "
			 "only model='none')", model ? model : "");
	for_each_element(ctx, node, child)
		error_at(ctx, child, "<%s> in <memballoon> is not supported", node_name(child));
	free(model);
}

/* ---- Passthrough devices: <hostdev> and <shyper:hostdev> ---------------------------
 *
 * libvirt has no hostdev type for a platform (MMIO) device, so the form that
 * libvirt's schema accepts and that says what is meant is the "misc"
 * capability hostdev naming the device, here by its node path in the MVM's
 * device tree (as Xen's dtdev= does):
 *
 *   <hostdev mode='capabilities' type='misc'>
 *     <source><char>/pl031@9010000</char></source>
 *   </hostdev>
 *
 * and what the hypervisor needs, in Shyper's metadata, matched by that path:
 *
 *   <shyper:hostdev node='/pl031@9010000' base='0x9010000' size='0x1000' irq='2'/>
 *
 * irq is the SPI number (INTID - 32, the middle cell of a GIC interrupts
 * specifier); without irq= the device has no interrupt.
 */

static bool add_text(xmlNode *parent, xmlNs *ns, const char *name, const char *text);
static bool add_prop(xmlNode *node, const char *name, const char *value);

/* A number in C notation: 0x hex or decimal. */
static bool parse_c_u64(const char *text, uint64_t *value)
{
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	*value = strtoull(text, &end, 0);
	return errno == 0 && *end == '\0';
}

static void parse_hostdev_source(struct parse_ctx *ctx, xmlNode *node,
				 struct shyper_domain_hostdev *dev)
{
	xmlNode *child;
	char *text;

	check_attributes(ctx, node, NULL);
	for_each_element(ctx, node, child) {
		if (!is_element(child, "char") || dev->node[0]) {
			error_at(ctx, child, "<%s> in <hostdev><source> is not supported (one <char> "
				 "naming the device's node in the MVM's device tree)", node_name(child));
			continue;
		}
		check_attributes(ctx, child, NULL);
		text = element_text(ctx, child, true);
		if (!text)
			continue;
		if (text[0] != '/' || strlen(text) >= sizeof(dev->node))
			error_at(ctx, child, "<char> '%s' of <hostdev> is not a device-tree node path "
				 "(like /pl031@9010000, at most %zu characters)", text,
				 sizeof(dev->node) - 1);
		else
			strcpy(dev->node, text);
		free(text);
	}
}

static void parse_hostdev(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "mode", "type", NULL };
	struct shyper_domain *dom = ctx->dom;
	struct shyper_domain_hostdev dev = { .spi = SHYPER_DEV_NO_IRQ };
	char *mode = attribute(node, "mode"), *type = attribute(node, "type");
	xmlNode *child;

	check_attributes(ctx, node, attrs);
	if (!mode || strcmp(mode, "capabilities") || !type || strcmp(type, "misc"))
		error_at(ctx, node, "<hostdev mode='%s' type='%s'> is not supported (only board "
			 "devices: mode='capabilities' type='misc')", mode ? mode : "",
			 type ? type : "");
	free(mode);
	free(type);
	for_each_element(ctx, node, child) {
		if (is_element(child, "source"))
			parse_hostdev_source(ctx, child, &dev);
		else
			error_at(ctx, child, "<%s> in <hostdev> is not supported", node_name(child));
	}
	if (!dev.node[0]) {
		error_at(ctx, node, "<hostdev> has no <source><char> naming the device's node");
		return;
	}
	if (dom->hostdev_count == SHYPER_DOMAIN_MAX_HOSTDEVS) {
		error_at(ctx, node, "more than %d <hostdev> devices", SHYPER_DOMAIN_MAX_HOSTDEVS);
		return;
	}
	ctx->hostdev_line[dom->hostdev_count] = xmlGetLineNo(node);
	dom->hostdevs[dom->hostdev_count++] = dev;
}

/* Does [base, base+size) meet one of the guest machine's fixed regions? */
static const char *hostdev_guest_clash(uint64_t base, uint64_t size)
{
	static const struct {
		uint64_t base, size;
		const char *what;
	} fixed[] = {
		{ SHYPER_GUEST_GICD_BASE, 0x10000, "the guest's GIC distributor" },
		{ SHYPER_GUEST_GICR_BASE, SHYPER_MAX_VCPUS * 0x20000ULL,
		  "the guest's GIC redistributors" },
		{ SHYPER_GUEST_UART_BASE, 0x1000, "the guest's PL011" },
		{ SHYPER_GUEST_GPIO_BASE, 0x1000, "the guest's PL061" },
		{ SHYPER_GUEST_VIRTIO_BASE, 0x1000, "the guest's virtio-mmio window" },
		{ SHYPER_GUEST_RAM_BASE, SHYPER_GUEST_MEM_MAX, "the guest's RAM" },
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (base < fixed[i].base + fixed[i].size && fixed[i].base < base + size)
			return fixed[i].what;
	return NULL;
}

static void parse_shyper_hostdev(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "node", "base", "size", "irq", NULL };
	char *path = attribute(node, "node"), *base = attribute(node, "base");
	char *size = attribute(node, "size"), *irq = attribute(node, "irq");
	struct meta_hostdev m = { .dev.spi = SHYPER_DEV_NO_IRQ, .line = xmlGetLineNo(node) };
	xmlNode *child;
	const char *clash;
	uint64_t v;
	bool ok = true;

	check_attributes(ctx, node, attrs);
	for_each_element(ctx, node, child)
		error_at(ctx, child, "<%s> in Shyper's <hostdev> is not supported", node_name(child));
	if (!path || path[0] != '/' || strlen(path) >= sizeof(m.dev.node)) {
		error_at(ctx, node, "Shyper <hostdev> needs node='...' with the device-tree path its "
			 "<hostdev><source><char> gives");
		ok = false;
	} else {
		strcpy(m.dev.node, path);
	}
	if (!base || !parse_c_u64(base, &m.dev.base) || m.dev.base & 0xfff) {
		error_at(ctx, node, "Shyper <hostdev> base='%s' is not a page-aligned address",
			 base ? base : "");
		ok = false;
	}
	if (!size || !parse_c_u64(size, &m.dev.size) || !m.dev.size || m.dev.size & 0xfff ||
	    m.dev.base + m.dev.size < m.dev.base) {
		error_at(ctx, node, "Shyper <hostdev> size='%s' is not a non-zero multiple of 4 KiB "
			 "(that fits after base)", size ? size : "");
		ok = false;
	}
	if (irq && (!parse_c_u64(irq, &v) || v >= SHYPER_GUEST_NR_SPIS ||
		    v == SHYPER_GUEST_UART_SPI || v == SHYPER_GUEST_GPIO_SPI ||
		    (v >= SHYPER_GUEST_VIRTIO_SPI &&
		     v < SHYPER_GUEST_VIRTIO_SPI + SHYPER_GUEST_VIRTIO_SLOTS))) {
		error_at(ctx, node, "Shyper <hostdev> irq='%s' is not an SPI a guest can have (0..%d "
			 "but not %d, %d or %d..%d, which its own devices use)", irq,
			 SHYPER_GUEST_NR_SPIS - 1, SHYPER_GUEST_UART_SPI, SHYPER_GUEST_GPIO_SPI,
			 SHYPER_GUEST_VIRTIO_SPI,
			 SHYPER_GUEST_VIRTIO_SPI + SHYPER_GUEST_VIRTIO_SLOTS - 1);
		ok = false;
	} else if (irq) {
		m.dev.spi = (uint32_t)v;
	}
	if (ok && (clash = hostdev_guest_clash(m.dev.base, m.dev.size))) {
		error_at(ctx, node, "Shyper <hostdev> 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s (the "
			 "guest sees it at its board address)", m.dev.base, m.dev.size, clash);
		ok = false;
	}
	free(path);
	free(base);
	free(size);
	free(irq);
	if (!ok)
		return;
	if (ctx->meta_hostdev_count == SHYPER_DOMAIN_MAX_HOSTDEVS) {
		error_at(ctx, node, "more than %d Shyper <hostdev> entries",
			 SHYPER_DOMAIN_MAX_HOSTDEVS);
		return;
	}
	ctx->meta_hostdevs[ctx->meta_hostdev_count++] = m;
}

/* Each <hostdev> gets its <shyper:hostdev>; no two share a range or an SPI. */
static void check_hostdevs(struct parse_ctx *ctx)
{
	struct shyper_domain *dom = ctx->dom;
	size_t i, k;

	for (i = 0; i < dom->hostdev_count; i++) {
		struct shyper_domain_hostdev *d = &dom->hostdevs[i];
		struct meta_hostdev *m = NULL;

		for (k = 0; k < ctx->meta_hostdev_count && !m; k++)
			if (!strcmp(ctx->meta_hostdevs[k].dev.node, d->node))
				m = &ctx->meta_hostdevs[k];
		if (!m) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->hostdev_line[i],
					"<hostdev> %s has no <shyper:hostdev node='%s' base='...' "
					"size='...' irq='...'/> in Shyper's <metadata>", d->node, d->node);
			continue;
		}
		if (m->used) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->hostdev_line[i],
					"<hostdev> %s appears more than once", d->node);
			continue;
		}
		m->used = true;
		*d = m->dev;
		for (k = 0; k < i; k++) {
			const struct shyper_domain_hostdev *e = &dom->hostdevs[k];

			if (d->base < e->base + e->size && e->base < d->base + d->size)
				shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, m->line,
						"Shyper <hostdev> %s overlaps %s", d->node, e->node);
			else if (d->spi != SHYPER_DEV_NO_IRQ && d->spi == e->spi)
				shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, m->line,
						"Shyper <hostdev> %s has the irq of %s", d->node,
						e->node);
		}
	}
	for (k = 0; k < ctx->meta_hostdev_count; k++)
		if (!ctx->meta_hostdevs[k].used)
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->meta_hostdevs[k].line,
					"Shyper <hostdev> %s has no <hostdev> with <source><char>%s"
					"</char> in <devices>", ctx->meta_hostdevs[k].dev.node,
					ctx->meta_hostdevs[k].dev.node);
}

static bool disks_to_xml(xmlNode *devices, const struct shyper_domain *dom)
{
	bool ok = true;

	for (size_t i = 0; i < dom->disk_count && i < SHYPER_DOMAIN_MAX_DISKS; i++) {
		const struct shyper_domain_disk *d = &dom->disks[i];
		xmlNode *disk = xmlNewChild(devices, NULL, BAD_CAST "disk", NULL), *node;

		if (!disk)
			return false;
		ok &= add_prop(disk, "type", "file");
		ok &= add_prop(disk, "device", "disk");
		node = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
		ok &= add_prop(node, "name", "qemu");
		ok &= add_prop(node, "type", "raw");
		if (shyper_disk_cache_name(d->cache))
			ok &= add_prop(node, "cache", shyper_disk_cache_name(d->cache));
		node = xmlNewChild(disk, NULL, BAD_CAST "source", NULL);
		ok &= add_prop(node, "file", d->source);
		node = xmlNewChild(disk, NULL, BAD_CAST "target", NULL);
		ok &= add_prop(node, "dev", d->target);
		ok &= add_prop(node, "bus", "virtio");
		if (d->readonly)
			ok &= xmlNewChild(disk, NULL, BAD_CAST "readonly", NULL) != NULL;
	}
	return ok;
}

static bool interfaces_to_xml(xmlNode *devices, const struct shyper_domain *dom)
{
	bool ok = true;

	for (size_t i = 0; i < dom->interface_count && i < SHYPER_DOMAIN_MAX_INTERFACES; i++) {
		const struct shyper_domain_interface *n = &dom->interfaces[i];
		bool network = n->type == SHYPER_INTERFACE_NETWORK;
		xmlNode *nic = xmlNewChild(devices, NULL, BAD_CAST "interface", NULL), *node;
		char mac[18];

		if (!nic)
			return false;
		ok &= add_prop(nic, "type", network ? "network" : "bridge");
		if (memcmp(n->mac, "\0\0\0\0\0\0", 6)) {
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0],
				 n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
			node = xmlNewChild(nic, NULL, BAD_CAST "mac", NULL);
			ok &= add_prop(node, "address", mac);
		}
		node = xmlNewChild(nic, NULL, BAD_CAST "source", NULL);
		ok &= add_prop(node, network ? "network" : "bridge", n->source);
		node = xmlNewChild(nic, NULL, BAD_CAST "model", NULL);
		ok &= add_prop(node, "type", "virtio");
	}
	return ok;
}

static bool hostdevs_to_xml(xmlNode *devices, xmlNode *shyper_vm, xmlNs *ns,
			    const struct shyper_domain *dom)
{
	char number[32];
	xmlNode *node;
	bool ok = true;
	size_t i;

	for (i = 0; i < dom->hostdev_count && i < SHYPER_DOMAIN_MAX_HOSTDEVS; i++) {
		const struct shyper_domain_hostdev *d = &dom->hostdevs[i];

		node = xmlNewChild(devices, NULL, BAD_CAST "hostdev", NULL);
		ok &= add_prop(node, "mode", "capabilities");
		ok &= add_prop(node, "type", "misc");
		node = node ? xmlNewChild(node, NULL, BAD_CAST "source", NULL) : NULL;
		ok &= node && add_text(node, NULL, "char", d->node);

		node = xmlNewChild(shyper_vm, ns, BAD_CAST "hostdev", NULL);
		ok &= add_prop(node, "node", d->node);
		snprintf(number, sizeof(number), "0x%" PRIx64, d->base);
		ok &= add_prop(node, "base", number);
		snprintf(number, sizeof(number), "0x%" PRIx64, d->size);
		ok &= add_prop(node, "size", number);
		if (d->spi != SHYPER_DEV_NO_IRQ) {
			snprintf(number, sizeof(number), "%u", d->spi);
			ok &= add_prop(node, "irq", number);
		}
	}
	return ok;
}

/* ---- <disk> and <interface>: virtio block and net devices ------------------------ */

/* Slots the devices parsed so far take (a virtio console counts as one:
 * it may still become the primary console). */
static unsigned int virtio_slots_used(const struct shyper_domain *dom)
{
	unsigned int used = (unsigned int)(dom->disk_count + dom->interface_count);

	for (size_t i = 0; i < dom->console_count; i++)
		if (dom->consoles[i].target == SHYPER_CONSOLE_VIRTIO)
			return used + 1;
	return used;
}

/* "vda".."vdz": the names libvirt gives virtio disks. */
static bool disk_target_ok(const char *dev)
{
	return dev && strlen(dev) == 3 && dev[0] == 'v' && dev[1] == 'd' && dev[2] >= 'a' &&
	       dev[2] <= 'z';
}

static const char *const disk_cache_names[] = {
	[SHYPER_DISK_CACHE_NONE] = "none",
	[SHYPER_DISK_CACHE_WRITEBACK] = "writeback",
	[SHYPER_DISK_CACHE_WRITETHROUGH] = "writethrough",
	[SHYPER_DISK_CACHE_DIRECTSYNC] = "directsync",
	[SHYPER_DISK_CACHE_UNSAFE] = "unsafe",
};

const char *shyper_disk_cache_name(enum shyper_disk_cache cache)
{
	if ((size_t)cache >= sizeof(disk_cache_names) / sizeof(disk_cache_names[0]))
		return NULL;
	return disk_cache_names[cache];
}

/* <driver cache='NAME'/>: its mode; DEFAULT (and an error) for an unknown name. */
static enum shyper_disk_cache parse_disk_cache(struct parse_ctx *ctx, xmlNode *driver,
					       const char *name, bool *ok)
{
	for (size_t i = 1; i < sizeof(disk_cache_names) / sizeof(disk_cache_names[0]); i++)
		if (!strcmp(name, disk_cache_names[i]))
			return (enum shyper_disk_cache)i;
	error_at(ctx, driver, "<driver> cache='%s' is not supported (none, writeback, "
		 "writethrough, directsync or unsafe)", name);
	*ok = false;
	return SHYPER_DISK_CACHE_DEFAULT;
}

static void parse_disk(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "type", "device", NULL };
	static const char *const driver_attrs[] = { "name", "type", "cache", NULL };
	static const char *const source_attrs[] = { "file", NULL };
	static const char *const target_attrs[] = { "dev", "bus", NULL };
	struct shyper_domain_disk disk = { 0 };
	char *type = attribute(node, "type"), *device = attribute(node, "device");
	bool ok = true, seen_source = false, seen_target = false;
	xmlNode *child;

	check_attributes(ctx, node, attrs);
	if (type && strcmp(type, "file")) {
		error_at(ctx, node, "<disk> type='%s' is not supported (only 'file': a raw image)",
			 type);
		ok = false;
	}
	if (device && strcmp(device, "disk")) {
		error_at(ctx, node, "<disk> device='%s' is not supported (only 'disk')", device);
		ok = false;
	}
	free(type);
	free(device);
	for_each_element(ctx, node, child) {
		if (is_element(child, "driver")) {
			char *format = attribute(child, "type"), *cache = attribute(child, "cache");

			check_attributes(ctx, child, driver_attrs);
			if (format && strcmp(format, "raw")) {
				error_at(ctx, child, "<driver> type='%s' is not supported (only 'raw' "
					 "images)", format);
				ok = false;
			}
			if (cache)
				disk.cache = parse_disk_cache(ctx, child, cache, &ok);
			free(format);
			free(cache);
		} else if (is_element(child, "source") && !seen_source) {
			check_attributes(ctx, child, source_attrs);
			seen_source = true;
			free(disk.source);
			disk.source = attribute(child, "file");
			if (!disk.source || disk.source[0] != '/') {
				error_at(ctx, child, "<source> of a <disk> needs file='/absolute/path'");
				ok = false;
			}
		} else if (is_element(child, "target") && !seen_target) {
			char *dev = attribute(child, "dev"), *bus = attribute(child, "bus");

			check_attributes(ctx, child, target_attrs);
			seen_target = true;
			if (!disk_target_ok(dev)) {
				error_at(ctx, child, "<target> dev='%s' of a <disk> is not supported "
					 "(vda to vdz)", dev ? dev : "");
				ok = false;
			} else {
				snprintf(disk.target, sizeof(disk.target), "%s", dev);
			}
			if (bus && strcmp(bus, "virtio")) {
				error_at(ctx, child, "<target> bus='%s' of a <disk> is not supported "
					 "(only 'virtio')", bus);
				ok = false;
			}
			free(dev);
			free(bus);
		} else if (is_element(child, "readonly")) {
			check_attributes(ctx, child, NULL);
			disk.readonly = true;
		} else if (is_element(child, "address") || is_element(child, "alias")) {
			warn_at(ctx, child, "<%s> of a <disk> is ignored: Shyper places virtio "
				"devices itself", node_name(child));
		} else {
			error_at(ctx, child, "<%s> in <disk> is not supported (only <driver>, "
				 "<source>, <target> and <readonly>)", node_name(child));
			ok = false;
		}
	}
	if (ok && (!seen_source || !seen_target)) {
		error_at(ctx, node, "<disk> needs <source file='...'/> and <target dev='vdX'/>");
		ok = false;
	}
	for (size_t i = 0; ok && i < ctx->dom->disk_count; i++) {
		if (!strcmp(ctx->dom->disks[i].target, disk.target)) {
			error_at(ctx, node, "two <disk> elements with target '%s'", disk.target);
			ok = false;
		} else if (!strcmp(ctx->dom->disks[i].source, disk.source)) {
			error_at(ctx, node, "two <disk> elements on the same image %s", disk.source);
			ok = false;
		}
	}
	if (ok && virtio_slots_used(ctx->dom) == SHYPER_GUEST_VIRTIO_SLOTS) {
		error_at(ctx, node, "no virtio-mmio slot left for this <disk> (the guest has %d)",
			 SHYPER_GUEST_VIRTIO_SLOTS);
		ok = false;
	}
	if (ok && ctx->dom->disk_count == SHYPER_DOMAIN_MAX_DISKS) {
		error_at(ctx, node, "more than %d <disk> elements", SHYPER_DOMAIN_MAX_DISKS);
		ok = false;
	}
	if (!ok) {
		free(disk.source);
		return;
	}
	ctx->dom->disks[ctx->dom->disk_count++] = disk;
}

/* "52:54:00:12:34:56" into MAC; false unless six hex pairs. */
static bool parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_value(text[0]), lo = hi < 0 ? -1 : hex_value(text[1]);

		if (hi < 0 || lo < 0 || (i < 5 && text[2] != ':') || (i == 5 && text[2]))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
		text += 3;
	}
	return true;
}

/* A bridge or network name: a Linux interface name. */
static bool ifname_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!len || len >= IFNAME_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

const char *shyper_domain_interface_bridge(const struct shyper_domain_interface *nic)
{
	return nic->type == SHYPER_INTERFACE_NETWORK ? SHYPER_NETWORK_DEFAULT_BRIDGE : nic->source;
}

static void parse_interface(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const mac_attrs[] = { "address", NULL };
	static const char *const model_attrs[] = { "type", NULL };
	struct shyper_domain_interface nic = { 0 };
	char *type = attribute(node, "type");
	bool ok = true, seen_source = false;
	xmlNode *child;

	check_attributes(ctx, node, attrs);
	if (type && !strcmp(type, "bridge")) {
		nic.type = SHYPER_INTERFACE_BRIDGE;
	} else if (type && !strcmp(type, "network")) {
		nic.type = SHYPER_INTERFACE_NETWORK;
	} else {
		error_at(ctx, node, "<interface> type='%s' is not supported (only 'bridge' or "
			 "'network')", type ? type : "");
		ok = false;
	}
	free(type);
	for_each_element(ctx, node, child) {
		if (is_element(child, "source") && !seen_source) {
			const char *key = nic.type == SHYPER_INTERFACE_NETWORK ? "network" : "bridge";
			const char *const source_attrs[] = { key, NULL };
			char *name = attribute(child, key);

			seen_source = true;
			if (ok)
				check_attributes(ctx, child, source_attrs);
			if (ok && !ifname_ok(name)) {
				error_at(ctx, child, "<source> %s='%s' is not an interface name (1 to %d "
					 "characters from A-Z, a-z, 0-9, '.', '_', '-')", key,
					 name ? name : "", IFNAME_LEN - 1);
				ok = false;
			} else if (ok && nic.type == SHYPER_INTERFACE_NETWORK &&
				   strcmp(name, SHYPER_NETWORK_DEFAULT)) {
				error_at(ctx, child, "<source> network='%s' does not exist (Shyper has "
					 "one network, '%s', on the MVM's bridge %s; or use "
					 "<interface type='bridge'>)", name, SHYPER_NETWORK_DEFAULT,
					 SHYPER_NETWORK_DEFAULT_BRIDGE);
				ok = false;
			} else if (ok) {
				snprintf(nic.source, sizeof(nic.source), "%s", name);
			}
			free(name);
		} else if (is_element(child, "mac")) {
			char *address = attribute(child, "address");

			check_attributes(ctx, child, mac_attrs);
			if (!address || !parse_mac(address, nic.mac)) {
				error_at(ctx, child, "<mac> address='%s' is not a MAC address "
					 "(xx:xx:xx:xx:xx:xx)", address ? address : "");
				ok = false;
			} else if ((nic.mac[0] & 1) || !memcmp(nic.mac, "\0\0\0\0\0\0", 6)) {
				error_at(ctx, child, "<mac> address='%s' is not a unicast address",
					 address);
				ok = false;
			}
			free(address);
		} else if (is_element(child, "model")) {
			char *model = attribute(child, "type");

			check_attributes(ctx, child, model_attrs);
			if (!model || strcmp(model, "virtio")) {
				error_at(ctx, child, "<model> type='%s' is not supported (only 'virtio')",
					 model ? model : "");
				ok = false;
			}
			free(model);
		} else if (is_element(child, "address") || is_element(child, "alias")) {
			warn_at(ctx, child, "<%s> of an <interface> is ignored: Shyper places virtio "
				"devices itself", node_name(child));
		} else {
			error_at(ctx, child, "<%s> in <interface> is not supported (only <source>, "
				 "<mac> and <model>)", node_name(child));
			ok = false;
		}
	}
	if (ok && !seen_source) {
		error_at(ctx, node, "<interface> needs a <source>");
		ok = false;
	}
	for (size_t i = 0; ok && i < ctx->dom->interface_count; i++) {
		if (memcmp(nic.mac, "\0\0\0\0\0\0", 6) &&
		    !memcmp(ctx->dom->interfaces[i].mac, nic.mac, 6)) {
			error_at(ctx, node, "two <interface> elements with the same <mac>");
			ok = false;
		}
	}
	if (ok && virtio_slots_used(ctx->dom) == SHYPER_GUEST_VIRTIO_SLOTS) {
		error_at(ctx, node, "no virtio-mmio slot left for this <interface> (the guest has "
			 "%d)", SHYPER_GUEST_VIRTIO_SLOTS);
		ok = false;
	}
	if (ok && ctx->dom->interface_count == SHYPER_DOMAIN_MAX_INTERFACES) {
		error_at(ctx, node, "more than %d <interface> elements",
			 SHYPER_DOMAIN_MAX_INTERFACES);
		ok = false;
	}
	if (ok)
		ctx->dom->interfaces[ctx->dom->interface_count++] = nic;
}

static void parse_devices(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_DEVICES))
		return;
	for_each_element(ctx, node, child) {
		if (is_element(child, "console"))
			parse_console(ctx, child);
		else if (is_element(child, "memballoon"))
			parse_memballoon(ctx, child);
		else if (is_element(child, "hostdev"))
			parse_hostdev(ctx, child);
		else if (is_element(child, "disk"))
			parse_disk(ctx, child);
		else if (is_element(child, "interface"))
			parse_interface(ctx, child);
		else if (is_element(child, "emulator"))
			warn_at(ctx, child, "<emulator> is ignored: Shyper guests have no emulator");
		else if (is_element(child, "serial"))
			error_at(ctx, child, "<serial> is not supported: write <console type='pty'>"
				 "<target type='serial'/></console> for the guest's PL011");
		else
			error_at(ctx, child, "device <%s> is not supported", node_name(child));
	}
}

static void parse_shyper_vm(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;
	char *text;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_SHYPER_VM))
		return;
	for_each_element(ctx, node, child) {
		if (child->ns && !strcmp((const char *)child->ns->href, SHYPER_DOMAIN_XMLNS) &&
		    !strcmp(node_name(child), "hostdev")) {
			parse_shyper_hostdev(ctx, child);
			continue;
		}
		if (!child->ns || strcmp((const char *)child->ns->href, SHYPER_DOMAIN_XMLNS) ||
		    strcmp(node_name(child), "type")) {
			error_at(ctx, child, "<%s> in Shyper's <vm> metadata is not supported "
				 "(only <type> and <hostdev> in namespace %s)", node_name(child),
				 SHYPER_DOMAIN_XMLNS);
			continue;
		}
		check_attributes(ctx, child, NULL);
		if (!first_time(ctx, child, SEEN_SHYPER_TYPE))
			continue;
		text = element_text(ctx, child, true);
		if (text && !strcmp(text, "gvm"))
			ctx->dom->type = SHYPER_VM_GVM;
		else if (text && !strcmp(text, "rtvm"))
			ctx->dom->type = SHYPER_VM_RTVM;
		else if (text)
			error_at(ctx, child, "Shyper VM <type> '%s' is not supported (only 'gvm' or "
				 "'rtvm')", text);
		free(text);
	}
}

static void parse_metadata(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_METADATA))
		return;
	for_each_element(ctx, node, child) {
		if (child->ns && !strcmp((const char *)child->ns->href, SHYPER_DOMAIN_XMLNS)) {
			if (!strcmp(node_name(child), "vm"))
				parse_shyper_vm(ctx, child);
			else
				error_at(ctx, child, "<%s> in Shyper's metadata namespace is not "
					 "supported (only <vm>)", node_name(child));
		} else {
			warn_at(ctx, child, "<metadata> element <%s>%s%s is ignored (not Shyper's: "
				"dumpxml will not keep it)", node_name(child),
				child->ns ? " of namespace " : "",
				child->ns ? (const char *)child->ns->href : "");
		}
	}
}

/* <on_poweroff> and the like: accepted when they ask what Shyper does. */
static void parse_lifecycle(struct parse_ctx *ctx, xmlNode *node, const char *shyper_does,
			    const char *also)
{
	char *text;

	check_attributes(ctx, node, NULL);
	text = element_text(ctx, node, true);
	if (text && strcmp(text, shyper_does) && (!also || strcmp(text, also)))
		error_at(ctx, node, "<%s> '%s' is not supported: Shyper always does '%s'",
			 node_name(node), text, shyper_does);
	free(text);
}

static void parse_domain_child(struct parse_ctx *ctx, xmlNode *node)
{
	const char *name = node_name(node);

	if (node->ns) {
		error_at(ctx, node, "<%s> of namespace %s is not supported", name,
			 (const char *)node->ns->href);
	} else if (!strcmp(name, "name")) {
		parse_name(ctx, node);
	} else if (!strcmp(name, "uuid")) {
		parse_uuid_element(ctx, node);
	} else if (!strcmp(name, "memory")) {
		parse_memory(ctx, node);
	} else if (!strcmp(name, "currentMemory")) {
		parse_current_memory(ctx, node);
	} else if (!strcmp(name, "vcpu")) {
		parse_vcpu(ctx, node);
	} else if (!strcmp(name, "cputune")) {
		parse_cputune(ctx, node);
	} else if (!strcmp(name, "os")) {
		parse_os(ctx, node);
	} else if (!strcmp(name, "devices")) {
		parse_devices(ctx, node);
	} else if (!strcmp(name, "metadata")) {
		parse_metadata(ctx, node);
	} else if (!strcmp(name, "on_poweroff")) {
		parse_lifecycle(ctx, node, "destroy", NULL);
	} else if (!strcmp(name, "on_reboot")) {
		parse_lifecycle(ctx, node, "restart", NULL);
	} else if (!strcmp(name, "on_crash")) {
		parse_lifecycle(ctx, node, "destroy", "preserve");
	} else if (!strcmp(name, "title") || !strcmp(name, "description") ||
		   !strcmp(name, "on_lockfailure") || !strcmp(name, "pm")) {
		warn_at(ctx, node, "<%s> is ignored", name);
	} else {
		error_at(ctx, node, "<%s> is not supported", name);
	}
}

/* Checks that need the whole definition: required elements, pins. */
static void check_domain(struct parse_ctx *ctx, xmlNode *root)
{
	struct shyper_domain *dom = ctx->dom;
	size_t i;

	if (!(ctx->seen & SEEN_NAME))
		error_at(ctx, root, "<domain> has no <name>");
	if (!(ctx->seen & SEEN_MEMORY))
		error_at(ctx, root, "<domain> has no <memory>");
	if ((ctx->seen & SEEN_OS) && !dom->kernel)
		error_at(ctx, root, "<os> has no <kernel>");
	else if (!(ctx->seen & SEEN_OS))
		error_at(ctx, root, "<domain> has no <os> with a <kernel>");
	if ((ctx->seen & SEEN_CURRENT_MEMORY) && dom->memory && ctx->current_memory_line &&
	    ctx->current_memory != dom->memory)
		shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->current_memory_line,
				"<currentMemory> (%" PRIu64 " bytes) differs from <memory> (%" PRIu64
				" bytes): memory ballooning is not supported", ctx->current_memory,
				dom->memory);
	if (ctx->vcpu_current && ctx->vcpu_current != dom->vcpu_count)
		shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->vcpu_line,
				"current='%u' of <vcpu> differs from its count %u: vCPU hotplug is not "
				"supported", ctx->vcpu_current, dom->vcpu_count);
	for (i = 0; i < ctx->pin_count; i++) {
		const struct pin *pin = &ctx->pins[i];

		if (pin->vcpu >= dom->vcpu_count) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, pin->line,
					"<vcpupin> vcpu='%u' is out of range: the domain has %u vCPU%s",
					pin->vcpu, dom->vcpu_count, dom->vcpu_count == 1 ? "" : "s");
		} else if (dom->vcpu_pcpu[pin->vcpu] != SHYPER_DOMAIN_PCPU_UNPINNED) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, pin->line,
					"<vcpupin> for vcpu='%u' appears more than once", pin->vcpu);
		} else {
			dom->vcpu_pcpu[pin->vcpu] = pin->pcpu;
		}
	}
	check_hostdevs(ctx);
}

static void parse_domain(struct parse_ctx *ctx, xmlDoc *doc)
{
	static const char *const attrs[] = { "type", "id", NULL };
	xmlNode *root = xmlDocGetRootElement(doc), *child;
	char *type;

	if (doc->intSubset) {
		shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, 1,
				"a <!DOCTYPE> is not allowed in a domain definition");
		return;
	}
	if (!root || root->ns || strcmp(node_name(root), "domain")) {
		error_at(ctx, root, "the root element is <%s>, not <domain>",
			 root ? node_name(root) : "");
		return;
	}
	check_attributes(ctx, root, attrs);
	type = attribute(root, "type");
	if (!type)
		error_at(ctx, root, "<domain> has no type= (write <domain type='shyper'>)");
	else if (strcmp(type, "shyper"))
		error_at(ctx, root, "<domain> type='%s' is not supported (write type='shyper')", type);
	free(type);
	if (xmlHasProp(root, BAD_CAST "id"))
		warn_at(ctx, root, "id= of <domain> is ignored (the hypervisor numbers VMs)");
	for_each_element(ctx, root, child)
		parse_domain_child(ctx, child);
	check_domain(ctx, root);
}

static struct shyper_domain *domain_new(void)
{
	struct shyper_domain *dom = calloc(1, sizeof(*dom));
	size_t i;

	if (!dom)
		return NULL;
	dom->type = SHYPER_VM_GVM;
	dom->vcpu_count = 1;
	for (i = 0; i < SHYPER_MAX_VCPUS; i++)
		dom->vcpu_pcpu[i] = SHYPER_DOMAIN_PCPU_UNPINNED;
	return dom;
}

void shyper_domain_free(struct shyper_domain *dom)
{
	if (!dom)
		return;
	free(dom->kernel);
	free(dom->initrd);
	free(dom->cmdline);
	free(dom->dtb);
	for (size_t i = 0; i < dom->disk_count && i < SHYPER_DOMAIN_MAX_DISKS; i++)
		free(dom->disks[i].source);
	free(dom);
}

/* The first error libxml2 meets is the one to show: later ones (such as
 * "Premature end of data") are its consequences. */
struct xml_first_error {
	bool seen;
	long line;
	char message[256];
};

static void record_xml_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxt *parser = data;
	struct xml_first_error *first = parser ? parser->_private : NULL;
	size_t len;

	if (!first || first->seen || !err || err->level < XML_ERR_ERROR)
		return;
	first->seen = true;
	first->line = err->line;
	snprintf(first->message, sizeof(first->message), "malformed XML: %s",
		 err->message ? err->message : "not well-formed");
	len = strlen(first->message);
	while (len && (first->message[len - 1] == '\n' || first->message[len - 1] == ' '))
		first->message[--len] = '\0';
}

static int report_xml_error(struct shyper_domain_diag *diag, xmlParserCtxt *parser)
{
	struct xml_first_error *first = parser->_private;
	const xmlError *last = xmlCtxtGetLastError(parser);

	if (first->seen)
		return shyper_diag_add(diag, SHYPER_DIAG_ERROR, first->line, "%s", first->message);
	return shyper_diag_add(diag, SHYPER_DIAG_ERROR, last ? last->line : 0,
			       "malformed XML: not well-formed");
}

int shyper_domain_parse_string(const char *xml, size_t len, struct shyper_domain **out,
			       struct shyper_domain_diag *diag)
{
	struct shyper_domain_diag local = { 0 };
	struct xml_first_error first_error = { 0 };
	struct parse_ctx ctx = { 0 };
	xmlParserCtxt *parser;
	xmlDoc *doc;
	int rc = 0;

	if (len > INT32_MAX)
		return shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "the definition is too large") ?:
		       SHYPER_ERR_INVALID;
	xmlInitParser();
	parser = xmlNewParserCtxt();
	if (!parser)
		return SHYPER_ERR_NO_MEMORY;
	parser->_private = &first_error;
	parser->sax->serror = record_xml_error;
	/* No network, no entity expansion beyond the built-in ones, no output. */
	doc = xmlCtxtReadMemory(parser, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					XML_PARSE_BIG_LINES);
	if (!doc) {
		rc = report_xml_error(diag, parser);
		xmlFreeParserCtxt(parser);
		return rc ?: SHYPER_ERR_INVALID;
	}

	ctx.diag = &local;
	ctx.dom = domain_new();
	if (!ctx.dom)
		rc = SHYPER_ERR_NO_MEMORY;
	else
		parse_domain(&ctx, doc);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(parser);

	if (!rc && ctx.oom)
		rc = SHYPER_ERR_NO_MEMORY;
	if (!rc && local.error_count)
		rc = SHYPER_ERR_INVALID;
	/* Hand the diagnostics over, in the order they were found. */
	for (size_t i = 0; diag && i < local.count; i++)
		if (shyper_diag_add(diag, local.entries[i].severity, local.entries[i].line, "%s",
				    local.entries[i].message) < 0 && !rc)
			rc = SHYPER_ERR_NO_MEMORY;
	shyper_domain_diag_free(&local);
	if (rc) {
		shyper_domain_free(ctx.dom);
		return rc;
	}
	*out = ctx.dom;
	return 0;
}

int shyper_domain_parse_file(const char *path, struct shyper_domain **dom,
			     struct shyper_domain_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc, saved;

	f = fopen(path, "re");
	if (!f) {
		saved = errno;
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "cannot open %s: %s", path,
				strerror(saved));
		return saved == ENOENT ? SHYPER_ERR_NO_ENTRY : SHYPER_ERR_SYSTEM;
	}
	buf = malloc(DOMAIN_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return SHYPER_ERR_NO_MEMORY;
	}
	len = fread(buf, 1, DOMAIN_FILE_MAX + 1, f);
	saved = ferror(f) ? errno : 0;
	fclose(f);
	if (saved) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "cannot read %s: %s", path,
				strerror(saved));
		rc = SHYPER_ERR_SYSTEM;
	} else if (len > DOMAIN_FILE_MAX) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "%s is larger than %d bytes: not a "
				"domain definition", path, DOMAIN_FILE_MAX);
		rc = SHYPER_ERR_INVALID;
	} else {
		rc = shyper_domain_parse_string(buf, len, dom, diag);
	}
	free(buf);
	return rc;
}

/* ---- Writing --------------------------------------------------------------------- */

void shyper_uuid_format(const uint8_t uuid[16], char text[37])
{
	snprintf(text, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7],
		 uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}

bool shyper_uuid_is_zero(const uint8_t uuid[16])
{
	static const uint8_t zero[16];

	return !memcmp(uuid, zero, sizeof(zero));
}

/* Adds <NAME>TEXT</NAME> (escaped) under PARENT; false if out of memory. */
static bool add_text(xmlNode *parent, xmlNs *ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text) != NULL;
}

static bool add_prop(xmlNode *node, const char *name, const char *value)
{
	return node && xmlNewProp(node, BAD_CAST name, BAD_CAST value) != NULL;
}

static bool build_domain(xmlNode *root, const struct shyper_domain *dom)
{
	char number[32], uuid[37];
	xmlNode *node, *parent, *shyper_vm;
	xmlNs *ns;
	bool ok = true;
	size_t i;

	ok &= add_prop(root, "type", "shyper");
	ok &= add_text(root, NULL, "name", dom->name);
	if (!shyper_uuid_is_zero(dom->uuid)) {
		shyper_uuid_format(dom->uuid, uuid);
		ok &= add_text(root, NULL, "uuid", uuid);
	}

	parent = xmlNewChild(root, NULL, BAD_CAST "metadata", NULL);
	node = parent ? xmlNewChild(parent, NULL, BAD_CAST "vm", NULL) : NULL;
	ns = node ? xmlNewNs(node, BAD_CAST SHYPER_DOMAIN_XMLNS, BAD_CAST "shyper") : NULL;
	if (!ns)
		return false;
	xmlSetNs(node, ns);
	ok &= add_text(node, ns, "type", dom->type == SHYPER_VM_RTVM ? "rtvm" : "gvm");
	shyper_vm = node;

	snprintf(number, sizeof(number), "%" PRIu64, dom->memory >> 10);
	node = xmlNewTextChild(root, NULL, BAD_CAST "memory", BAD_CAST number);
	ok &= add_prop(node, "unit", "KiB");
	node = xmlNewTextChild(root, NULL, BAD_CAST "currentMemory", BAD_CAST number);
	ok &= add_prop(node, "unit", "KiB");
	snprintf(number, sizeof(number), "%u", dom->vcpu_count);
	node = xmlNewTextChild(root, NULL, BAD_CAST "vcpu", BAD_CAST number);
	ok &= add_prop(node, "placement", "static");

	parent = NULL;
	for (i = 0; i < dom->vcpu_count && i < SHYPER_MAX_VCPUS; i++) {
		if (dom->vcpu_pcpu[i] == SHYPER_DOMAIN_PCPU_UNPINNED)
			continue;
		if (!parent)
			parent = xmlNewChild(root, NULL, BAD_CAST "cputune", NULL);
		node = parent ? xmlNewChild(parent, NULL, BAD_CAST "vcpupin", NULL) : NULL;
		snprintf(number, sizeof(number), "%zu", i);
		ok &= add_prop(node, "vcpu", number);
		snprintf(number, sizeof(number), "%d", dom->vcpu_pcpu[i]);
		ok &= add_prop(node, "cpuset", number);
	}

	parent = xmlNewChild(root, NULL, BAD_CAST "os", NULL);
	if (!parent)
		return false;
	node = xmlNewTextChild(parent, NULL, BAD_CAST "type", BAD_CAST "hvm");
	ok &= add_prop(node, "arch", "aarch64");
	ok &= add_prop(node, "machine", "virt");
	if (dom->kernel)
		ok &= add_text(parent, NULL, "kernel", dom->kernel);
	if (dom->initrd)
		ok &= add_text(parent, NULL, "initrd", dom->initrd);
	if (dom->cmdline)
		ok &= add_text(parent, NULL, "cmdline", dom->cmdline);
	if (dom->dtb)
		ok &= add_text(parent, NULL, "dtb", dom->dtb);

	parent = xmlNewChild(root, NULL, BAD_CAST "devices", NULL);
	if (!parent)
		return false;
	for (i = 0; i < dom->console_count && i < SHYPER_DOMAIN_MAX_CONSOLES; i++) {
		const struct shyper_domain_console *c = &dom->consoles[i];

		node = xmlNewChild(parent, NULL, BAD_CAST "console", NULL);
		ok &= add_prop(node, "type", "pty");
		node = node ? xmlNewChild(node, NULL, BAD_CAST "target", NULL) : NULL;
		ok &= add_prop(node, "type", c->target == SHYPER_CONSOLE_VIRTIO ? "virtio" : "serial");
		snprintf(number, sizeof(number), "%u", c->port);
		ok &= add_prop(node, "port", number);
	}
	ok &= disks_to_xml(parent, dom);
	ok &= interfaces_to_xml(parent, dom);
	ok &= hostdevs_to_xml(parent, shyper_vm, ns, dom);
	return ok;
}

char *shyper_domain_to_xml(const struct shyper_domain *dom)
{
	xmlSaveCtxt *save;
	xmlBuffer *buf;
	xmlDoc *doc;
	xmlNode *root;
	char *text = NULL;

	xmlInitParser();
	doc = xmlNewDoc(BAD_CAST "1.0");
	root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "domain", NULL) : NULL;
	if (!root) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, root);
	buf = xmlBufferCreate();
	if (buf && build_domain(root, dom)) {
		save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
		if (save && xmlSaveDoc(save, doc) >= 0 && xmlSaveClose(save) >= 0)
			text = strdup((const char *)xmlBufferContent(buf));
		else if (save)
			xmlSaveClose(save);
	}
	if (buf)
		xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return text;
}

/* ---- The ABI's view ---------------------------------------------------------------- */

int shyper_domain_to_config(const struct shyper_domain *dom, struct shyper_vm_config *config)
{
	size_t i, len = strnlen(dom->name, SHYPER_NAME_LEN);

	if (!len || len == SHYPER_NAME_LEN || dom->vcpu_count < 1 ||
	    dom->vcpu_count > SHYPER_MAX_VCPUS || !dom->memory ||
	    dom->memory % SHYPER_GUEST_MEM_ALIGN || dom->memory > SHYPER_GUEST_MEM_MAX ||
	    (dom->type != SHYPER_VM_GVM && dom->type != SHYPER_VM_RTVM))
		return SHYPER_ERR_INVALID;
	memset(config, 0, sizeof(*config));
	config->size = SHYPER_VM_CONFIG_SIZE_V1;
	config->type = dom->type;
	memcpy(config->name, dom->name, len);
	memcpy(config->uuid, dom->uuid, sizeof(config->uuid));
	config->vcpu_count = dom->vcpu_count;
	config->memory = dom->memory;
	config->entry_ipa = SHYPER_DOMAIN_ENTRY_IPA;
	config->dtb_ipa = SHYPER_DOMAIN_DTB_IPA;
	for (i = 0; i < dom->vcpu_count; i++) {
		int pcpu = dom->vcpu_pcpu[i];

		if (pcpu == SHYPER_DOMAIN_PCPU_UNPINNED)
			pcpu = (int)i;
		if (pcpu < 0 || pcpu > 255)
			return SHYPER_ERR_INVALID;
		config->vcpu_pcpu[i] = (uint8_t)pcpu;
	}
	return 0;
}

uint64_t shyper_domain_initrd_ipa(const struct shyper_domain *dom, uint64_t kernel_size,
				  uint64_t size)
{
	uint64_t ram_end = SHYPER_GUEST_RAM_BASE + dom->memory;
	uint64_t kernel_end = SHYPER_DOMAIN_ENTRY_IPA + kernel_size;
	uint64_t ipa;

	if (size > dom->memory || kernel_size > dom->memory)
		return 0;
	ipa = (ram_end - size) & ~0xfffULL;
	return ipa >= kernel_end && ipa >= SHYPER_GUEST_RAM_BASE ? ipa : 0;
}
