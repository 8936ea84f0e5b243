// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * <metadata>: Shyper's own settings (<shyper:vm>, namespace
 * SHYPER_DOMAIN_XMLNS) and what other applications keep there, which is
 * theirs: kept as XML text, each element with the namespaces it uses, and
 * written back by dumpxml after Shyper's, as libvirt does.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "domain_xml.h"

static void parse_shyper_vm(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;
	char *text;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_SHYPER_VM))
		return;
	dx_for_each_element(ctx, node, child) {
		if (child->ns && !strcmp((const char *)child->ns->href, SHYPER_DOMAIN_XMLNS) &&
		    !strcmp(dx_node_name(child), "hostdev")) {
			domain_parse_shyper_hostdev(ctx, child);
			continue;
		}
		if (!child->ns || strcmp((const char *)child->ns->href, SHYPER_DOMAIN_XMLNS) ||
		    strcmp(dx_node_name(child), "type")) {
			dx_error_at(ctx, child, "<%s> in Shyper's <vm> metadata is not supported "
				    "(only <type> and <hostdev> in namespace %s)",
				    dx_node_name(child), SHYPER_DOMAIN_XMLNS);
			continue;
		}
		dx_check_attributes(ctx, child, NULL);
		if (!dx_first_time(ctx, child, SEEN_SHYPER_TYPE))
			continue;
		ctx->type_line = xmlGetLineNo(child);
		text = dx_element_text(ctx, child, true);
		if (text && !strcmp(text, "gvm"))
			ctx->dom->type = SHYPER_VM_GVM;
		else if (text && !strcmp(text, "rtvm"))
			ctx->dom->type = SHYPER_VM_RTVM;
		else if (text)
			dx_error_at(ctx, child, "Shyper VM <type> '%s' is not supported (only 'gvm' or "
				    "'rtvm')", text);
		free(text);
	}
}

/* Appends NODE, as text that stands on its own, to dom->foreign_metadata. */
static void keep_foreign(struct parse_ctx *ctx, xmlNode *node)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *copy = doc ? xmlDocCopyNode(node, doc, 1) : NULL;
	xmlBuffer *buf = xmlBufferCreate();
	size_t have = ctx->dom->foreign_metadata ? strlen(ctx->dom->foreign_metadata) : 0;
	char *joined;
	int len;

	if (!copy || !buf)
		goto oom;
	/* Namespaces declared on <metadata> or <domain> went onto the copy:
	 * libxml2 declares there what the copied tree uses from outside it. */
	xmlDocSetRootElement(doc, copy);
	len = xmlNodeDump(buf, doc, copy, 0, 0);
	if (len < 0)
		goto oom;
	joined = realloc(ctx->dom->foreign_metadata, have + (size_t)len + 1);
	if (!joined)
		goto oom;
	memcpy(joined + have, xmlBufferContent(buf), (size_t)len);
	joined[have + (size_t)len] = '\0';
	ctx->dom->foreign_metadata = joined;
	goto out;
oom:
	ctx->oom = 1;
out:
	if (buf)
		xmlBufferFree(buf);
	xmlFreeDoc(doc);
}

void domain_parse_metadata(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_METADATA))
		return;
	dx_for_each_element(ctx, node, child) {
		if (child->ns && !strcmp((const char *)child->ns->href, SHYPER_DOMAIN_XMLNS)) {
			if (!strcmp(dx_node_name(child), "vm"))
				parse_shyper_vm(ctx, child);
			else
				dx_error_at(ctx, child, "<%s> in Shyper's metadata namespace is "
					    "not supported (only <vm>)", dx_node_name(child));
		} else if (child->ns) {
			keep_foreign(ctx, child);
		} else {
			dx_warn_at(ctx, child, "<metadata> element <%s> has no namespace and is "
				   "ignored (libvirt keeps only elements in a namespace of their "
				   "own; dumpxml will not write it)", dx_node_name(child));
		}
	}
}

/* Adds the elements of TEXT (kept by keep_foreign) under PARENT. */
static bool foreign_to_xml(xmlNode *parent, const char *text)
{
	static const char open_tag[] = "<kept>", close_tag[] = "</kept>";
	size_t len = strlen(text);
	char *wrapped = malloc(sizeof(open_tag) + len + sizeof(close_tag));
	xmlDoc *doc;
	xmlNode *child, *next;
	bool ok = true;

	if (!wrapped)
		return false;
	memcpy(wrapped, open_tag, sizeof(open_tag) - 1);
	memcpy(wrapped + sizeof(open_tag) - 1, text, len);
	memcpy(wrapped + sizeof(open_tag) - 1 + len, close_tag, sizeof(close_tag));
	doc = xmlReadMemory(wrapped, (int)strlen(wrapped), "metadata.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	free(wrapped);
	if (!doc)
		return false;
	for (child = xmlDocGetRootElement(doc)->children; child && ok; child = next) {
		xmlNode *copy = child->type == XML_ELEMENT_NODE
					? xmlDocCopyNode(child, parent->doc, 1) : NULL;

		next = child->next;
		if (child->type != XML_ELEMENT_NODE)
			continue;
		ok = copy && xmlAddChild(parent, copy);
	}
	xmlFreeDoc(doc);
	return ok;
}

bool domain_metadata_to_xml(xmlNode *root, const struct shyper_domain *dom, xmlNode **shyper_vm,
			    xmlNs **ns)
{
	xmlNode *parent = xmlNewChild(root, NULL, BAD_CAST "metadata", NULL);
	xmlNode *node = parent ? xmlNewChild(parent, NULL, BAD_CAST "vm", NULL) : NULL;

	*ns = node ? xmlNewNs(node, BAD_CAST SHYPER_DOMAIN_XMLNS, BAD_CAST "shyper") : NULL;
	if (!*ns)
		return false;
	xmlSetNs(node, *ns);
	*shyper_vm = node;
	if (!dx_add_text(node, *ns, "type", dom->type == SHYPER_VM_RTVM ? "rtvm" : "gvm"))
		return false;
	return !dom->foreign_metadata || foreign_to_xml(parent, dom->foreign_metadata);
}
