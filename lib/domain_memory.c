// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * How much memory a domain has: <memory> and <currentMemory>.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

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

	dx_check_attributes(ctx, node, attrs);
	unit = dx_attribute(node, "unit");
	if (unit) {
		scale = 0;
		for (i = 0; i < sizeof(memory_units) / sizeof(memory_units[0]); i++)
			if (!strcmp(unit, memory_units[i].unit))
				scale = memory_units[i].bytes;
		if (!scale)
			dx_error_at(ctx, node,
				    "unit='%s' of <%s> is not supported (use b, bytes, KB, k, KiB, MB, M, MiB, GB, G or GiB)",
				    unit, dx_node_name(node));
	}
	text = dx_element_text(ctx, node, true);
	if (text && scale) {
		if (!dx_parse_u64(text, &count))
			dx_error_at(ctx, node, "<%s> '%s' is not a number", dx_node_name(node),
				    text);
		else if (count > UINT64_MAX / scale)
			dx_error_at(ctx, node, "<%s> %s %s is too large", dx_node_name(node), text,
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

void domain_parse_memory(struct parse_ctx *ctx, xmlNode *node)
{
	uint64_t bytes;

	if (!dx_first_time(ctx, node, SEEN_MEMORY) || !parse_memory_element(ctx, node, &bytes))
		return;
	if (bytes == 0 || bytes % SHYPER_GUEST_MEM_ALIGN)
		dx_error_at(ctx, node, "<memory> of %" PRIu64 " bytes is not a multiple of 2 MiB "
			    "(guest memory is mapped in 2 MiB blocks)", bytes);
	else if (bytes < SHYPER_DOMAIN_ENTRY_IPA - SHYPER_GUEST_RAM_BASE + SHYPER_GUEST_MEM_ALIGN)
		dx_error_at(ctx, node, "<memory> of %" PRIu64 " MiB is too small: a guest needs at least "
			    "4 MiB (its device tree below the kernel at +2 MiB, then the kernel)",
			    bytes >> 20);
	else if (bytes > SHYPER_GUEST_MEM_MAX)
		dx_error_at(ctx, node, "<memory> of %" PRIu64 " MiB is more than the %llu MiB a "
			    "guest may have", bytes >> 20, SHYPER_GUEST_MEM_MAX >> 20);
	else
		ctx->dom->memory = bytes;
}

void domain_parse_current_memory(struct parse_ctx *ctx, xmlNode *node)
{
	if (!dx_first_time(ctx, node, SEEN_CURRENT_MEMORY))
		return;
	if (parse_memory_element(ctx, node, &ctx->current_memory))
		ctx->current_memory_line = xmlGetLineNo(node);
}

void domain_check_memory(struct parse_ctx *ctx)
{
	const struct shyper_domain *dom = ctx->dom;

	if ((ctx->seen & SEEN_CURRENT_MEMORY) && dom->memory && ctx->current_memory_line &&
	    ctx->current_memory != dom->memory)
		shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->current_memory_line,
				"<currentMemory> (%" PRIu64 " bytes) differs from <memory> (%" PRIu64
				" bytes): memory ballooning is not supported", ctx->current_memory,
				dom->memory);
}

/*
 * <memoryBacking>: a guest's memory is always resident (nothing of it is
 * ever swapped or shared) and mapped in 2 MiB blocks, so <locked/>,
 * <nosharepages/> and <hugepages/> (of 2 MiB pages) say what is so anyway.
 */
void domain_parse_memory_backing(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child, *page;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_MEMORY_BACKING))
		return;
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "locked")) {
			dx_check_attributes(ctx, child, NULL);
			ctx->dom->memory_locked = true;
		} else if (dx_is_element(child, "nosharepages")) {
			dx_check_attributes(ctx, child, NULL);
		} else if (dx_is_element(child, "hugepages")) {
			dx_for_each_element(ctx, child, page) {
				static const char *const page_attrs[] = { "size", "unit", NULL };
				char *size = dx_attribute(page, "size"), *unit = dx_attribute(page, "unit");

				dx_check_attributes(ctx, page, page_attrs);
				if (!dx_is_element(page, "page") || !size ||
				    !((!strcmp(size, "2048") && (!unit || !strcmp(unit, "KiB"))) ||
				      (!strcmp(size, "2") && unit && !strcmp(unit, "MiB"))))
					dx_error_at(ctx, page, "<hugepages> of other than 2 MiB pages "
						    "is not supported: guest memory is mapped in 2 MiB "
						    "blocks");
				free(size);
				free(unit);
			}
		} else {
			dx_error_at(ctx, child, "<%s> in <memoryBacking> is not supported (guest "
				    "memory is the hypervisor's, resident and unshared: only "
				    "<locked/>, <nosharepages/> and <hugepages/>)",
				    dx_node_name(child));
		}
	}
}

bool domain_memory_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	char number[32];
	xmlNode *node;
	bool ok = true;

	snprintf(number, sizeof(number), "%" PRIu64, dom->memory >> 10);
	node = xmlNewTextChild(root, NULL, BAD_CAST "memory", BAD_CAST number);
	ok &= dx_add_prop(node, "unit", "KiB");
	node = xmlNewTextChild(root, NULL, BAD_CAST "currentMemory", BAD_CAST number);
	ok &= dx_add_prop(node, "unit", "KiB");
	if (dom->memory_locked) {
		node = xmlNewChild(root, NULL, BAD_CAST "memoryBacking", NULL);
		ok &= node && xmlNewChild(node, NULL, BAD_CAST "locked", NULL);
	}
	return ok;
}
