// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A domain's vCPUs and where they run: <vcpu> and <cputune><vcpupin>.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

void domain_parse_vcpu(struct parse_ctx *ctx, xmlNode *node)
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

void domain_parse_cputune(struct parse_ctx *ctx, xmlNode *node)
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

/* Needs the whole definition: the vCPU count decides which pins are valid. */
void domain_check_cpus(struct parse_ctx *ctx)
{
	struct shyper_domain *dom = ctx->dom;

	if (ctx->vcpu_current && ctx->vcpu_current != dom->vcpu_count)
		shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->vcpu_line,
				"current='%u' of <vcpu> differs from its count %u: vCPU hotplug is not "
				"supported", ctx->vcpu_current, dom->vcpu_count);
	for (size_t i = 0; i < ctx->pin_count; i++) {
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
}

bool domain_cpus_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	xmlNode *node, *parent = NULL;
	char number[32];
	bool ok = true;

	snprintf(number, sizeof(number), "%u", dom->vcpu_count);
	node = xmlNewTextChild(root, NULL, BAD_CAST "vcpu", BAD_CAST number);
	ok &= add_prop(node, "placement", "static");
	for (size_t i = 0; i < dom->vcpu_count && i < SHYPER_MAX_VCPUS; i++) {
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
	return ok;
}
