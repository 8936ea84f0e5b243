// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Guest VM definitions in libvirt domain XML, read and written with
 * libxml2: the entry points, the <domain> element and which family of
 * elements (domain_*.c, domain_xml.h) reads each of its children.
 *
 * docs/domain-xml.md has the table of every element and what Shyper does
 * with it. In short: what Shyper can honour is honoured; QEMU's plumbing,
 * which has no meaning here, is accepted with one warning each saying why;
 * anything that would give the guest something Shyper cannot is an error
 * naming it and its line. A VM is never defined with part of its
 * definition silently dropped, and dumpxml writes what define reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include <shyper/domain.h>

#include "domain_xml.h"

/* Larger definition files are certainly not VM definitions. */
#define DOMAIN_FILE_MAX (1024 * 1024)

/* ---- Reading --------------------------------------------------------------------- */

static void parse_domain_child(struct parse_ctx *ctx, xmlNode *node)
{
	const char *name = dx_node_name(node);

	if (node->ns) {
		dx_error_at(ctx, node, "<%s> of namespace %s is not supported", name,
			    (const char *)node->ns->href);
	} else if (!strcmp(name, "name")) {
		domain_parse_name(ctx, node);
	} else if (!strcmp(name, "uuid")) {
		domain_parse_uuid(ctx, node);
	} else if (!strcmp(name, "memory")) {
		domain_parse_memory(ctx, node);
	} else if (!strcmp(name, "memoryBacking")) {
		domain_parse_memory_backing(ctx, node);
	} else if (!strcmp(name, "currentMemory")) {
		domain_parse_current_memory(ctx, node);
	} else if (!strcmp(name, "vcpu")) {
		domain_parse_vcpu(ctx, node);
	} else if (!strcmp(name, "cputune")) {
		domain_parse_cputune(ctx, node);
	} else if (!strcmp(name, "os")) {
		domain_parse_os(ctx, node);
	} else if (!strcmp(name, "devices")) {
		domain_parse_devices(ctx, node);
	} else if (!strcmp(name, "metadata")) {
		domain_parse_metadata(ctx, node);
	} else if (!strcmp(name, "on_poweroff")) {
		domain_parse_lifecycle(ctx, node, &ctx->dom->on_poweroff);
	} else if (!strcmp(name, "on_reboot")) {
		domain_parse_lifecycle(ctx, node, &ctx->dom->on_reboot);
	} else if (!strcmp(name, "on_crash")) {
		domain_parse_lifecycle(ctx, node, &ctx->dom->on_crash);
	} else if (!strcmp(name, "title")) {
		domain_parse_text(ctx, node, SEEN_TITLE, &ctx->dom->title);
	} else if (!strcmp(name, "description")) {
		domain_parse_text(ctx, node, SEEN_DESCRIPTION, &ctx->dom->description);
	} else if (!strcmp(name, "features")) {
		domain_parse_features(ctx, node);
	} else if (!strcmp(name, "clock")) {
		domain_parse_clock(ctx, node);
	} else if (!strcmp(name, "cpu")) {
		domain_parse_cpu(ctx, node);
	} else if (!strcmp(name, "seclabel") || !strcmp(name, "resource")) {
		domain_warn_not_applicable(ctx, node, "it is for the host processes QEMU runs in; "
					   "a Shyper guest runs in none");
	} else if (!strcmp(name, "on_lockfailure") || !strcmp(name, "pm")) {
		dx_warn_at(ctx, node, "<%s> is ignored", name);
	} else {
		dx_error_at(ctx, node, "<%s> is not supported", name);
	}
}

/* Checks that need the whole definition: required elements, pins. */
static void check_domain(struct parse_ctx *ctx, xmlNode *root)
{
	struct shyper_domain *dom = ctx->dom;

	if (!(ctx->seen & SEEN_NAME))
		dx_error_at(ctx, root, "<domain> has no <name>");
	if (!(ctx->seen & SEEN_MEMORY))
		dx_error_at(ctx, root, "<domain> has no <memory>");
	if ((ctx->seen & SEEN_OS) && !dom->kernel)
		dx_error_at(ctx, root, "<os> has no <kernel>");
	else if (!(ctx->seen & SEEN_OS))
		dx_error_at(ctx, root, "<domain> has no <os> with a <kernel>");
	domain_check_memory(ctx);
	domain_check_serial(ctx);
	domain_check_cpus(ctx);
	domain_check_hostdevs(ctx);
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
	if (!root || root->ns || strcmp(dx_node_name(root), "domain")) {
		dx_error_at(ctx, root, "the root element is <%s>, not <domain>",
			    root ? dx_node_name(root) : "");
		return;
	}
	dx_check_attributes(ctx, root, attrs);
	type = dx_attribute(root, "type");
	if (!type)
		dx_error_at(ctx, root, "<domain> has no type= (write <domain type='shyper'>)");
	else if (strcmp(type, "shyper"))
		dx_error_at(ctx, root, "<domain> type='%s' is not supported (write type='shyper')", type);
	free(type);
	if (xmlHasProp(root, BAD_CAST "id"))
		dx_warn_at(ctx, root, "id= of <domain> is ignored (the hypervisor numbers VMs)");
	dx_for_each_element(ctx, root, child)
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
	free(dom->title);
	free(dom->description);
	free(dom->foreign_metadata);
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

static bool build_domain(xmlNode *root, const struct shyper_domain *dom)
{
	xmlNode *shyper_vm = NULL;
	xmlNs *ns = NULL;
	bool ok = dx_add_prop(root, "type", "shyper");

	ok &= domain_identity_to_xml(root, dom);
	if (!domain_metadata_to_xml(root, dom, &shyper_vm, &ns))
		return false;
	ok &= domain_memory_to_xml(root, dom);
	ok &= domain_cpus_to_xml(root, dom);
	ok &= domain_os_to_xml(root, dom);
	ok &= domain_features_to_xml(root, dom);
	ok &= domain_cpu_model_to_xml(root, dom);
	ok &= domain_clock_to_xml(root, dom);
	ok &= domain_lifecycle_to_xml(root, dom);
	ok &= domain_devices_to_xml(root, shyper_vm, ns, dom);
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
		int pcpu = shyper_domain_vcpu_pcpu(dom, (unsigned int)i);

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
