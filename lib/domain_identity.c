// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Who a domain is: <name>, <uuid>, and what people call it: <title> (one
 * line) and <description>, kept as written and given back by dumpxml.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

void domain_parse_name(struct parse_ctx *ctx, xmlNode *node)
{
	char *text;
	size_t i, len;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_NAME))
		return;
	text = dx_element_text(ctx, node, false);
	if (!text)
		return;
	len = strlen(text);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)text[i]) && !strchr("._-", text[i]))
			break;
	if (i < len || len >= SHYPER_NAME_LEN)
		dx_error_at(ctx, node,
			    "<name> '%s' is not valid: 1 to %d characters from A-Z, a-z, 0-9, '.', '_' and '-'",
			    text, SHYPER_NAME_LEN - 1);
	else
		memcpy(ctx->dom->name, text, len + 1);
	free(text);
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
		hi = dx_hex_value(text[i]);
		lo = text[i + 1] ? dx_hex_value(text[i + 1]) : -1;
		if (hi < 0 || lo < 0 || n >= 16)
			return false;
		uuid[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return n == 16;
}

void domain_parse_uuid(struct parse_ctx *ctx, xmlNode *node)
{
	uint8_t uuid[16];
	char *text;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_UUID))
		return;
	text = dx_element_text(ctx, node, true);
	if (!text)
		return;
	if (parse_uuid(text, uuid))
		memcpy(ctx->dom->uuid, uuid, sizeof(uuid));
	else
		dx_error_at(ctx, node, "<uuid> '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			    text);
	free(text);
}

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

void domain_parse_text(struct parse_ctx *ctx, xmlNode *node, unsigned int seen_bit, char **field)
{
	xmlNode *child;
	xmlChar *content;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, seen_bit))
		return;
	for (child = node->children; child; child = child->next) {
		if (child->type == XML_ELEMENT_NODE) {
			dx_error_at(ctx, child, "<%s> inside <%s> is not supported (text expected)",
				    dx_node_name(child), dx_node_name(node));
			return;
		}
	}
	content = xmlNodeGetContent(node);
	if (!content) {
		ctx->oom = 1;
		return;
	}
	if (seen_bit == SEEN_TITLE && strchr((const char *)content, '\n'))
		dx_error_at(ctx, node, "<title> has more than one line (write the rest in "
			    "<description>)");
	else if (content[0] && !(*field = strdup((const char *)content)))
		ctx->oom = 1;
	xmlFree(content);
}

bool domain_identity_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	char uuid[37];
	bool ok = dx_add_text(root, NULL, "name", dom->name);

	if (!shyper_uuid_is_zero(dom->uuid)) {
		shyper_uuid_format(dom->uuid, uuid);
		ok &= dx_add_text(root, NULL, "uuid", uuid);
	}
	if (dom->title)
		ok &= dx_add_text(root, NULL, "title", dom->title);
	if (dom->description)
		ok &= dx_add_text(root, NULL, "description", dom->description);
	return ok;
}
