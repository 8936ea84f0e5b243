// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The guest machine's platform: <features> (what it has, as far as Shyper's
 * machine can be asked) and <clock> (what its real-time clock reads).
 *
 * A guest's machine is fixed: an emulated GICv3 whatever the board's GIC,
 * the architected timer, a PL031 real-time clock, a device tree. A feature
 * it has is accepted, one that is only QEMU's firmware plumbing is accepted
 * with a warning that says why it does not apply, and one that would give
 * the guest something else is refused.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain_xml.h"

static void parse_gic(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "version", NULL };
	char *version = dx_attribute(node, "version");

	dx_check_attributes(ctx, node, attrs);
	if (!version || !strcmp(version, "3") || !strcmp(version, "host")) {
		ctx->dom->gic_version = 3;
	} else if (!strcmp(version, "2")) {
		/* What libvirt writes for QEMU's virt board under TCG unless told. */
		ctx->dom->gic_version = 3;
		dx_warn_at(ctx, node, "<gic version='2'> is taken as version 3: a Shyper guest's "
			   "GIC is an emulated GICv3, and a guest that finds its GIC in the "
			   "device tree (as Linux does) boots the same; dumpxml writes "
			   "version='3'");
	} else {
		dx_error_at(ctx, node, "<gic version='%s'> is not supported: a Shyper guest has a "
			    "GICv3 (emulated, whatever the board's GIC is)", version);
	}
	free(version);
}

void domain_parse_features(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_FEATURES))
		return;
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "gic")) {
			parse_gic(ctx, child);
		} else if (dx_is_element(child, "acpi")) {
			dx_check_attributes(ctx, child, NULL);
			domain_warn_not_applicable(ctx, child,
						   "a Shyper guest is described by a device tree, "
						   "and a Linux guest boots the same");
		} else if (dx_is_element(child, "vmcoreinfo")) {
			domain_warn_not_applicable(ctx, child,
						   "it is a QEMU firmware (fw_cfg) device; Shyper "
						   "guests have none");
		} else {
			dx_error_at(ctx, child, "feature <%s> is not supported (only "
				    "<gic version='3'/>, and <acpi/> and <vmcoreinfo/> with a "
				    "warning)", dx_node_name(child));
		}
	}
}

bool domain_features_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	xmlNode *features, *gic;

	if (!dom->gic_version)
		return true;
	features = xmlNewChild(root, NULL, BAD_CAST "features", NULL);
	gic = features ? xmlNewChild(features, NULL, BAD_CAST "gic", NULL) : NULL;
	return dx_add_prop(gic, "version", "3");
}

/* Timers a definition may name; none of them is something to set up. */
static const char *const known_timers[] = {
	"platform", "rtc", "pit", "hpet", "kvmclock", "hypervclock", "tsc", "armvtimer", NULL,
};

static void parse_timer(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "name", "present", "tickpolicy", "track", "frequency",
					     "mode", NULL };
	char *name = dx_attribute(node, "name"), *present = dx_attribute(node, "present");
	bool known = false;

	dx_check_attributes(ctx, node, attrs);
	for (size_t i = 0; name && known_timers[i]; i++)
		known |= !strcmp(name, known_timers[i]);
	if (!known) {
		dx_error_at(ctx, node, "<timer name='%s'> is not a timer libvirt knows", name ? name : "");
	} else if (present && !strcmp(present, "yes") && strcmp(name, "rtc") &&
		   strcmp(name, "armvtimer")) {
		dx_error_at(ctx, node, "<timer name='%s' present='yes'> is not supported: a Shyper "
			    "guest has the architected timer and a PL031 real-time clock", name);
	} else {
		dx_warn_at(ctx, node, "<timer name='%s'> is ignored: a Shyper guest's timers are "
			   "the architected timer, which runs with the board's, and its "
			   "PL031", name);
	}
	free(name);
	free(present);
}

/* "N" or "-N" seconds, or "reset" (only for offset='utc' or 'localtime'). */
static bool parse_adjustment(const char *text, int64_t *seconds)
{
	char *end;
	long long v;

	if (!text[0] || (!isdigit((unsigned char)text[0]) && text[0] != '-' && text[0] != '+'))
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end)
		return false;
	*seconds = v;
	return true;
}

void domain_parse_clock(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "offset", "adjustment", "basis", NULL };
	struct shyper_domain_clock *clock = &ctx->dom->clock;
	char *offset = dx_attribute(node, "offset"), *adjustment = dx_attribute(node, "adjustment");
	char *basis = dx_attribute(node, "basis");
	xmlNode *child;

	dx_check_attributes(ctx, node, attrs);
	if (!dx_first_time(ctx, node, SEEN_CLOCK))
		goto out;
	clock->given = true;
	if (!offset || !strcmp(offset, "utc") || !strcmp(offset, "localtime")) {
		clock->offset = offset && !strcmp(offset, "localtime") ? SHYPER_CLOCK_LOCALTIME
								       : SHYPER_CLOCK_UTC;
		/* 'reset': back to the basis at every start, as here anyway. */
		if (adjustment && strcmp(adjustment, "reset"))
			dx_error_at(ctx, node, "<clock offset='%s'> takes only adjustment='reset' "
				    "(use offset='variable' for an adjustment in seconds)",
				    offset ? offset : "utc");
		if (basis)
			dx_error_at(ctx, node, "basis= of <clock> goes with offset='variable'");
	} else if (!strcmp(offset, "variable")) {
		clock->offset = SHYPER_CLOCK_VARIABLE;
		if (!adjustment || !parse_adjustment(adjustment, &clock->adjustment) ||
		    clock->adjustment > 100LL * 366 * 86400 || clock->adjustment < -100LL * 366 * 86400)
			dx_error_at(ctx, node, "<clock offset='variable'> needs adjustment= in seconds "
				    "(at most a century either way), not '%s'",
				    adjustment ? adjustment : "");
		if (basis && !strcmp(basis, "localtime"))
			clock->basis_localtime = true;
		else if (basis && strcmp(basis, "utc"))
			dx_error_at(ctx, node, "basis='%s' of <clock> is not 'utc' or 'localtime'", basis);
	} else if (!strcmp(offset, "timezone")) {
		dx_error_at(ctx, node, "<clock offset='timezone'> is not supported: use 'utc', "
			    "'localtime' (the MVM's) or 'variable' with an adjustment");
	} else {
		dx_error_at(ctx, node, "<clock offset='%s'> is not supported (utc, localtime or "
			    "variable)", offset);
	}
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "timer"))
			parse_timer(ctx, child);
		else
			dx_error_at(ctx, child, "<%s> in <clock> is not supported (only <timer>)",
				    dx_node_name(child));
	}
out:
	free(offset);
	free(adjustment);
	free(basis);
}

bool domain_clock_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	const struct shyper_domain_clock *clock = &dom->clock;
	xmlNode *node;
	char number[32];
	bool ok;

	if (!clock->given)
		return true;
	node = xmlNewChild(root, NULL, BAD_CAST "clock", NULL);
	switch (clock->offset) {
	case SHYPER_CLOCK_LOCALTIME:
		return dx_add_prop(node, "offset", "localtime");
	case SHYPER_CLOCK_VARIABLE:
		snprintf(number, sizeof(number), "%" PRId64, clock->adjustment);
		ok = dx_add_prop(node, "offset", "variable");
		ok &= dx_add_prop(node, "adjustment", number);
		ok &= dx_add_prop(node, "basis", clock->basis_localtime ? "localtime" : "utc");
		return ok;
	default:
		return dx_add_prop(node, "offset", "utc");
	}
}

int shyper_domain_rtc_time(const struct shyper_domain *dom, int64_t now, uint64_t *seconds)
{
	const struct shyper_domain_clock *clock = &dom->clock;
	bool local = clock->offset == SHYPER_CLOCK_LOCALTIME ||
		     (clock->offset == SHYPER_CLOCK_VARIABLE && clock->basis_localtime);
	int64_t t = now;

	if (local) {
		time_t when = (time_t)now;
		struct tm tm;

		if (!localtime_r(&when, &tm))
			return SHYPER_ERR_INVALID;
		t += tm.tm_gmtoff;
	}
	if (clock->offset == SHYPER_CLOCK_VARIABLE)
		t += clock->adjustment;
	if (t < 0 || t > (int64_t)UINT32_MAX)
		return SHYPER_ERR_INVALID;
	*seconds = (uint64_t)t;
	return 0;
}
