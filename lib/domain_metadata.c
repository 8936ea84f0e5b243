// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * <metadata>: Shyper's own settings (<shyper:vm>, namespace
 * SHYPER_DOMAIN_XMLNS) and what other applications keep there.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

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
			domain_parse_shyper_hostdev(ctx, child);
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

void domain_parse_metadata(struct parse_ctx *ctx, xmlNode *node)
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
	return add_text(node, *ns, "type", dom->type == SHYPER_VM_RTVM ? "rtvm" : "gvm");
}
