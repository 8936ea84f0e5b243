// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The helpers every reader and writer of domain XML elements shares
 * (domain_xml.h): attributes, children, text, numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "domain_xml.h"

const char *dx_node_name(xmlNode *node)
{
	return (const char *)node->name;
}

bool dx_is_element(xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && !strcmp(dx_node_name(node), name);
}

/* Marks BIT seen; a second time is an error. Returns false then. */
bool dx_first_time(struct parse_ctx *ctx, xmlNode *node, unsigned int bit)
{
	if (ctx->seen & bit) {
		dx_error_at(ctx, node, "<%s> appears more than once", dx_node_name(node));
		return false;
	}
	ctx->seen |= bit;
	return true;
}

/* Every attribute of NODE must be in ALLOWED (NULL-terminated). */
void dx_check_attributes(struct parse_ctx *ctx, xmlNode *node, const char *const *allowed)
{
	xmlAttr *attr;
	size_t i;

	for (attr = node->properties; attr; attr = attr->next) {
		bool known = false;

		for (i = 0; allowed && allowed[i]; i++)
			if (!attr->ns && !strcmp((const char *)attr->name, allowed[i]))
				known = true;
		if (!known)
			dx_error_at(ctx, node, "attribute '%s' of <%s> is not supported",
				    (const char *)attr->name, dx_node_name(node));
	}
}

/* NODE's attribute NAME as a malloc'd string, or NULL when absent. */
char *dx_attribute(xmlNode *node, const char *name)
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
xmlNode *dx_next_element(struct parse_ctx *ctx, xmlNode *parent, xmlNode *child)
{
	for (child = child ? child->next : parent->children; child; child = child->next) {
		if (child->type == XML_ELEMENT_NODE)
			return child;
		if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) &&
		    !xmlIsBlankNode(child))
			dx_error_at(ctx, parent, "<%s> has text where only elements are expected",
				    dx_node_name(parent));
	}
	return NULL;
}

/* NODE's text (malloc'd), refusing child elements. TRIM drops surrounding
 * white space. Returns NULL after reporting a problem. */
char *dx_element_text(struct parse_ctx *ctx, xmlNode *node, bool trim)
{
	xmlNode *child;
	xmlChar *content;
	char *text, *start, *end;

	for (child = node->children; child; child = child->next) {
		if (child->type == XML_ELEMENT_NODE) {
			dx_error_at(ctx, child, "<%s> inside <%s> is not supported (text expected)",
				    dx_node_name(child), dx_node_name(node));
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
		dx_error_at(ctx, node, "<%s> is empty", dx_node_name(node));
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
bool dx_parse_u64(const char *text, uint64_t *value)
{
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	*value = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0';
}

bool dx_parse_uint(const char *text, unsigned int max, unsigned int *value)
{
	uint64_t v;

	if (!dx_parse_u64(text, &v) || v > max)
		return false;
	*value = (unsigned int)v;
	return true;
}

/* A number in C notation: 0x hex or decimal. */
bool dx_parse_c_u64(const char *text, uint64_t *value)
{
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	*value = strtoull(text, &end, 0);
	return errno == 0 && *end == '\0';
}

int dx_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Adds <NAME>TEXT</NAME> (escaped) under PARENT; false if out of memory. */
bool dx_add_text(xmlNode *parent, xmlNs *ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text) != NULL;
}

bool dx_add_prop(xmlNode *node, const char *name, const char *value)
{
	return node && xmlNewProp(node, BAD_CAST name, BAD_CAST value) != NULL;
}
