// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * What a domain boots: <os> with <type>, <kernel>, <initrd>, <cmdline> and
 * <dtb> (a direct kernel boot: there is no firmware).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

/* QEMU's virt machine, with or without the version libvirt writes
 * ("virt-7.2"): every version is the same machine to a Shyper guest. */
static bool machine_is_virt(const char *machine)
{
	const char *v = machine + 4;

	if (strncmp(machine, "virt", 4))
		return false;
	if (!*v)
		return true;
	if (*v++ != '-' || !isdigit((unsigned char)*v))
		return false;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v) && *v != '.')
			return false;
	return true;
}

static void parse_os_type(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "arch", "machine", NULL };
	char *arch = dx_attribute(node, "arch"), *machine = dx_attribute(node, "machine");
	char *text;

	dx_check_attributes(ctx, node, attrs);
	if (dx_first_time(ctx, node, SEEN_OS_TYPE)) {
		if (arch && strcmp(arch, "aarch64"))
			dx_error_at(ctx, node, "arch='%s' of <type> is not supported "
				    "(only 'aarch64')", arch);
		if (machine && !machine_is_virt(machine))
			dx_error_at(ctx, node, "machine='%s' of <type> is not supported (Shyper guests "
				    "see a 'virt' machine)", machine);
		text = dx_element_text(ctx, node, true);
		if (text && strcmp(text, "hvm"))
			dx_error_at(ctx, node, "<type> '%s' is not supported (only 'hvm')", text);
		free(text);
	}
	free(arch);
	free(machine);
}

/* <kernel>, <initrd>, <cmdline> or <dtb> into *FIELD. */
static void parse_os_string(struct parse_ctx *ctx, xmlNode *node, char **field)
{
	dx_check_attributes(ctx, node, NULL);
	if (*field) {
		dx_error_at(ctx, node, "<%s> appears more than once", dx_node_name(node));
		return;
	}
	*field = dx_element_text(ctx, node, false);
}

void domain_parse_os(struct parse_ctx *ctx, xmlNode *node)
{
	struct shyper_domain *dom = ctx->dom;
	xmlNode *child;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_OS))
		return;
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "type"))
			parse_os_type(ctx, child);
		else if (dx_is_element(child, "kernel"))
			parse_os_string(ctx, child, &dom->kernel);
		else if (dx_is_element(child, "initrd"))
			parse_os_string(ctx, child, &dom->initrd);
		else if (dx_is_element(child, "cmdline"))
			parse_os_string(ctx, child, &dom->cmdline);
		else if (dx_is_element(child, "dtb"))
			parse_os_string(ctx, child, &dom->dtb);
		else if (dx_is_element(child, "boot") || dx_is_element(child, "bootmenu"))
			domain_warn_not_applicable(ctx, child,
						   "the guest boots its <kernel> directly, with no "
						   "firmware to choose a boot device");
		else if (dx_is_element(child, "loader") || dx_is_element(child, "nvram"))
			dx_error_at(ctx, child, "<%s> is not supported: Shyper boots the <kernel> directly "
				    "and has no firmware for a guest", dx_node_name(child));
		else
			dx_error_at(ctx, child, "<%s> in <os> is not supported (only <type>, <kernel>, "
				    "<initrd>, <cmdline> and <dtb>)", dx_node_name(child));
	}
}

bool domain_os_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	xmlNode *node, *parent = xmlNewChild(root, NULL, BAD_CAST "os", NULL);
	bool ok = true;

	if (!parent)
		return false;
	node = xmlNewTextChild(parent, NULL, BAD_CAST "type", BAD_CAST "hvm");
	ok &= dx_add_prop(node, "arch", "aarch64");
	ok &= dx_add_prop(node, "machine", "virt");
	if (dom->kernel)
		ok &= dx_add_text(parent, NULL, "kernel", dom->kernel);
	if (dom->initrd)
		ok &= dx_add_text(parent, NULL, "initrd", dom->initrd);
	if (dom->cmdline)
		ok &= dx_add_text(parent, NULL, "cmdline", dom->cmdline);
	if (dom->dtb)
		ok &= dx_add_text(parent, NULL, "dtb", dom->dtb);
	return ok;
}
