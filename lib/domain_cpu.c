// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A domain's vCPUs and where they run: <vcpu> and <cputune><vcpupin>; a
 * real-time guest (RTVM) in libvirt's words: every vCPU pinned and scheduled
 * <vcpusched scheduler='fifo'> (or 'rr'), as <shyper:type>rtvm says too,
 * each on a pCPU of its own that is not pCPU 0 (the MVM's boot CPU); and
 * what they are: <cpu>. A guest's vCPUs are the board's own CPUs (nothing is
 * emulated), so host-passthrough, host-model and maximum all mean that, and
 * a custom <model> must name the board's CPU (checked at define, where the
 * board is known; QEMU's 'max' and 'host' name it too).
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

	dx_check_attributes(ctx, node, attrs);
	if (!dx_first_time(ctx, node, SEEN_VCPU))
		return;
	ctx->vcpu_line = xmlGetLineNo(node);
	placement = dx_attribute(node, "placement");
	if (placement && strcmp(placement, "static"))
		dx_error_at(ctx, node, "placement='%s' of <vcpu> is not supported (only 'static': "
			    "pins come from <cputune>)", placement);
	current = dx_attribute(node, "current");
	if (current && (!dx_parse_uint(current, 64, &ctx->vcpu_current) || !ctx->vcpu_current))
		dx_error_at(ctx, node, "current='%s' of <vcpu> is not a vCPU count", current);
	text = dx_element_text(ctx, node, true);
	if (text) {
		if (!dx_parse_uint(text, 1000000, &count) || count < 1 || count > SHYPER_MAX_VCPUS)
			dx_error_at(ctx, node, "<vcpu> '%s' is not a vCPU count from 1 to %d", text,
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
	char *vcpu = dx_attribute(node, "vcpu"), *cpuset = dx_attribute(node, "cpuset");
	unsigned int vcpu_nr, pcpu;

	dx_check_attributes(ctx, node, attrs);
	if (!vcpu || !cpuset) {
		dx_error_at(ctx, node, "<vcpupin> needs both vcpu= and cpuset=");
	} else if (!dx_parse_uint(vcpu, 1000000, &vcpu_nr)) {
		dx_error_at(ctx, node, "vcpu='%s' of <vcpupin> is not a vCPU number", vcpu);
	} else if (!dx_parse_uint(cpuset, 255, &pcpu)) {
		dx_error_at(ctx, node, "cpuset='%s' of <vcpupin> is not supported: name exactly "
			    "one pCPU (0 to 255), since Shyper pins each vCPU to one pCPU", cpuset);
	} else if (ctx->pin_count == DOMAIN_PINS_MAX) {
		dx_error_at(ctx, node, "too many <vcpupin> elements");
	} else {
		ctx->pins[ctx->pin_count].vcpu = vcpu_nr;
		ctx->pins[ctx->pin_count].pcpu = (int)pcpu;
		ctx->pins[ctx->pin_count].line = xmlGetLineNo(node);
		ctx->pin_count++;
	}
	free(vcpu);
	free(cpuset);
}

/* libvirt's cpuset syntax ("0-3,^2,5") into MASK; false if malformed. */
static bool parse_cpuset(const char *text, uint64_t *mask)
{
	uint64_t add = 0, remove = 0;
	const char *p = text;

	while (*p) {
		bool negate = *p == '^';
		unsigned long first, last;
		char *end;

		p += negate;
		if (!isdigit((unsigned char)*p))
			return false;
		first = last = strtoul(p, &end, 10);
		if (*end == '-') {
			if (negate || !isdigit((unsigned char)end[1]))
				return false;
			last = strtoul(end + 1, &end, 10);
		}
		if (first > last || last >= 64)
			return false;
		for (unsigned long c = first; c <= last; c++)
			*(negate ? &remove : &add) |= 1ULL << c;
		p = end;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return false;
	}
	*mask = add & ~remove;
	return *mask != 0;
}

static void parse_vcpusched(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "vcpus", "scheduler", "priority", NULL };
	char *vcpus = dx_attribute(node, "vcpus"), *scheduler = dx_attribute(node, "scheduler");
	char *priority = dx_attribute(node, "priority");
	unsigned int prio = 1;
	uint64_t mask = 0;

	dx_check_attributes(ctx, node, attrs);
	if (!scheduler || (strcmp(scheduler, "fifo") && strcmp(scheduler, "rr"))) {
		dx_error_at(ctx, node, "<vcpusched scheduler='%s'> is not supported: a vCPU either "
			    "shares its pCPU (no <vcpusched>) or has it to itself as a real-time "
			    "vCPU (scheduler='fifo' or 'rr')", scheduler ? scheduler : "");
	} else if (!vcpus || !parse_cpuset(vcpus, &mask)) {
		dx_error_at(ctx, node, "<vcpusched> vcpus='%s' is not a set of vCPUs (like 0-3,^2)",
			    vcpus ? vcpus : "");
	} else if (priority && (!dx_parse_uint(priority, 99, &prio) || !prio)) {
		dx_error_at(ctx, node, "<vcpusched> priority='%s' is not 1 to 99", priority);
	} else if (ctx->rt_vcpus & mask) {
		dx_error_at(ctx, node, "<vcpusched> names a vCPU that an earlier one named");
	} else {
		ctx->rt_vcpus |= mask;
		if (!ctx->rt_line)
			ctx->rt_line = xmlGetLineNo(node);
		if (!ctx->dom->rt_priority || prio > ctx->dom->rt_priority)
			ctx->dom->rt_priority = prio;
	}
	free(vcpus);
	free(scheduler);
	free(priority);
}

void domain_parse_cputune(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_CPUTUNE))
		return;
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "vcpupin"))
			parse_vcpupin(ctx, child);
		else if (dx_is_element(child, "vcpusched"))
			parse_vcpusched(ctx, child);
		else
			dx_error_at(ctx, child, "<%s> in <cputune> is not supported "
				    "(only <vcpupin> and <vcpusched>)", dx_node_name(child));
	}
}

/* An RTVM: every vCPU real-time, pinned, alone on a pCPU that is not 0. */
static void check_rtvm(struct parse_ctx *ctx)
{
	struct shyper_domain *dom = ctx->dom;
	uint64_t all = dom->vcpu_count >= 64 ? ~0ULL : (1ULL << dom->vcpu_count) - 1;
	long line = ctx->rt_line ? ctx->rt_line : ctx->type_line ? ctx->type_line : ctx->vcpu_line;

	if (ctx->rt_vcpus & ~all) {
		shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->rt_line,
				"<vcpusched> names a vCPU the domain does not have (it has %u)",
				dom->vcpu_count);
		return;
	}
	if (ctx->rt_vcpus) {
		if ((ctx->seen & SEEN_SHYPER_TYPE) && dom->type != SHYPER_VM_RTVM) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->rt_line,
					"<vcpusched scheduler='fifo'> makes a real-time VM, but "
					"<shyper:type> says gvm");
			return;
		}
		if (ctx->rt_vcpus != all) {
			for (unsigned int v = 0; v < dom->vcpu_count; v++)
				if (!(ctx->rt_vcpus & (1ULL << v))) {
					shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->rt_line,
							"a real-time VM's every vCPU is real-time: "
							"vCPU %u has no <vcpusched scheduler='fifo'>", v);
					return;
				}
		}
		dom->type = SHYPER_VM_RTVM;
	}
	if (dom->type != SHYPER_VM_RTVM)
		return;
	if (!dom->rt_priority)
		dom->rt_priority = 1;
	for (unsigned int v = 0; v < dom->vcpu_count; v++) {
		int pcpu = dom->vcpu_pcpu[v];

		if (pcpu == SHYPER_DOMAIN_PCPU_UNPINNED) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, line,
					"real-time vCPU %u is not pinned: an RTVM has the pCPUs its "
					"<vcpupin> elements name to itself", v);
			continue;
		}
		if (pcpu == 0)
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, line,
					"real-time vCPU %u is pinned to pCPU 0, which the MVM keeps "
					"(its boot CPU)", v);
		for (unsigned int w = 0; w < v; w++)
			if (dom->vcpu_pcpu[w] == pcpu)
				shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, line,
						"real-time vCPUs %u and %u are both pinned to pCPU %d: "
						"each has a pCPU of its own", w, v, pcpu);
	}
}

static const char *const cpu_modes[] = {
	[SHYPER_CPU_HOST_PASSTHROUGH] = "host-passthrough",
	[SHYPER_CPU_HOST_MODEL] = "host-model",
	[SHYPER_CPU_CUSTOM] = "custom",
	[SHYPER_CPU_MAXIMUM] = "maximum",
};

static void parse_cpu_model(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "fallback", "vendor_id", NULL };
	char *fallback = dx_attribute(node, "fallback"), *text;

	dx_check_attributes(ctx, node, attrs);
	if (ctx->dom->cpu_model[0]) {
		dx_error_at(ctx, node, "<model> appears more than once in <cpu>");
		goto out;
	}
	text = dx_element_text(ctx, node, true);
	if (text && strlen(text) >= sizeof(ctx->dom->cpu_model))
		dx_error_at(ctx, node, "<model> '%s' is not a CPU model name", text);
	else if (text)
		strcpy(ctx->dom->cpu_model, text);
	free(text);
out:
	free(fallback);
}

void domain_parse_cpu(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "mode", "match", "check", "migratable", NULL };
	struct shyper_domain *dom = ctx->dom;
	char *mode = dx_attribute(node, "mode");
	xmlNode *child;
	size_t i;

	dx_check_attributes(ctx, node, attrs);
	if (!dx_first_time(ctx, node, SEEN_CPU))
		goto out;
	dom->cpu_mode = SHYPER_CPU_CUSTOM; /* libvirt's default mode */
	if (mode) {
		dom->cpu_mode = SHYPER_CPU_DEFAULT;
		for (i = 1; i < sizeof(cpu_modes) / sizeof(cpu_modes[0]); i++)
			if (!strcmp(mode, cpu_modes[i]))
				dom->cpu_mode = (enum shyper_cpu_mode)i;
		if (dom->cpu_mode == SHYPER_CPU_DEFAULT)
			dx_error_at(ctx, node, "<cpu mode='%s'> is not supported "
				    "(host-passthrough, host-model, maximum, or custom naming "
				    "the board's CPU)", mode);
	}
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "model")) {
			parse_cpu_model(ctx, child);
		} else if (dx_is_element(child, "topology")) {
			dx_warn_at(ctx, child, "<topology> is ignored: a guest's device tree lists its "
				   "vCPUs without sockets, cores or threads");
		} else {
			dx_error_at(ctx, child, "<%s> in <cpu> is not supported: a guest's vCPUs "
				    "are the board's CPUs, with their features (only <model> "
				    "and <topology>)", dx_node_name(child));
		}
	}
	if (dom->cpu_mode == SHYPER_CPU_CUSTOM && !dom->cpu_model[0])
		dx_error_at(ctx, node, "<cpu mode='custom'> needs a <model> (the board's CPU, e.g. "
			    "cortex-a57)");
	if (dom->cpu_mode != SHYPER_CPU_CUSTOM && dom->cpu_model[0])
		dom->cpu_model[0] = '\0'; /* libvirt ignores it there too */
out:
	free(mode);
}

bool domain_cpu_model_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	xmlNode *cpu;
	bool ok;

	if (dom->cpu_mode == SHYPER_CPU_DEFAULT ||
	    (size_t)dom->cpu_mode >= sizeof(cpu_modes) / sizeof(cpu_modes[0]))
		return true;
	cpu = xmlNewChild(root, NULL, BAD_CAST "cpu", NULL);
	ok = dx_add_prop(cpu, "mode", cpu_modes[dom->cpu_mode]);
	if (dom->cpu_mode == SHYPER_CPU_CUSTOM)
		ok &= cpu && dx_add_text(cpu, NULL, "model", dom->cpu_model);
	return ok;
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
	check_rtvm(ctx);
}

bool domain_cpus_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	xmlNode *node, *parent = NULL;
	char number[32];
	bool ok = true;

	snprintf(number, sizeof(number), "%u", dom->vcpu_count);
	node = xmlNewTextChild(root, NULL, BAD_CAST "vcpu", BAD_CAST number);
	ok &= dx_add_prop(node, "placement", "static");
	for (size_t i = 0; i < dom->vcpu_count && i < SHYPER_MAX_VCPUS; i++) {
		if (dom->vcpu_pcpu[i] == SHYPER_DOMAIN_PCPU_UNPINNED)
			continue;
		if (!parent)
			parent = xmlNewChild(root, NULL, BAD_CAST "cputune", NULL);
		node = parent ? xmlNewChild(parent, NULL, BAD_CAST "vcpupin", NULL) : NULL;
		snprintf(number, sizeof(number), "%zu", i);
		ok &= dx_add_prop(node, "vcpu", number);
		snprintf(number, sizeof(number), "%d", dom->vcpu_pcpu[i]);
		ok &= dx_add_prop(node, "cpuset", number);
	}
	if (parent && dom->type == SHYPER_VM_RTVM) {
		node = xmlNewChild(parent, NULL, BAD_CAST "vcpusched", NULL);
		if (dom->vcpu_count == 1)
			snprintf(number, sizeof(number), "0");
		else
			snprintf(number, sizeof(number), "0-%u", dom->vcpu_count - 1);
		ok &= dx_add_prop(node, "vcpus", number);
		ok &= dx_add_prop(node, "scheduler", "fifo");
		snprintf(number, sizeof(number), "%u", dom->rt_priority ? dom->rt_priority : 1);
		ok &= dx_add_prop(node, "priority", number);
	}
	return ok;
}
