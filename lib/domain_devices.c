// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A domain's <devices>: which reader each child goes to, the virtio-mmio
 * slots they share, and the devices that need no reader of their own.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

/* Slots the devices parsed so far take (a virtio console counts as one:
 * it may still become the primary console). */
unsigned int domain_virtio_slots_used(const struct shyper_domain *dom)
{
	unsigned int used = (unsigned int)(dom->disk_count + dom->interface_count);

	for (size_t i = 0; i < dom->console_count; i++)
		if (dom->consoles[i].target == SHYPER_CONSOLE_VIRTIO)
			return used + 1;
	return used;
}

static void parse_memballoon(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "model", NULL };
	char *model = attribute(node, "model");
	xmlNode *child;

	check_attributes(ctx, node, attrs);
	if (!model || strcmp(model, "none"))
		error_at(ctx, node, "<memballoon> model='%s' is not supported (ballooning is not; "
			 "only model='none')", model ? model : "");
	for_each_element(ctx, node, child)
		error_at(ctx, child, "<%s> in <memballoon> is not supported", node_name(child));
	free(model);
}

void domain_parse_devices(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	check_attributes(ctx, node, NULL);
	if (!first_time(ctx, node, SEEN_DEVICES))
		return;
	for_each_element(ctx, node, child) {
		if (is_element(child, "console"))
			domain_parse_console(ctx, child);
		else if (is_element(child, "memballoon"))
			parse_memballoon(ctx, child);
		else if (is_element(child, "hostdev"))
			domain_parse_hostdev(ctx, child);
		else if (is_element(child, "disk"))
			domain_parse_disk(ctx, child);
		else if (is_element(child, "interface"))
			domain_parse_interface(ctx, child);
		else if (is_element(child, "emulator"))
			warn_at(ctx, child, "<emulator> is ignored: Shyper guests have no emulator");
		else if (is_element(child, "serial"))
			error_at(ctx, child, "<serial> is not supported: write <console type='pty'>"
				 "<target type='serial'/></console> for the guest's PL011");
		else
			error_at(ctx, child, "device <%s> is not supported", node_name(child));
	}
}

bool domain_devices_to_xml(xmlNode *root, xmlNode *shyper_vm, xmlNs *ns,
			   const struct shyper_domain *dom)
{
	xmlNode *devices = xmlNewChild(root, NULL, BAD_CAST "devices", NULL);
	bool ok = true;

	if (!devices)
		return false;
	ok &= domain_consoles_to_xml(devices, dom);
	ok &= domain_disks_to_xml(devices, dom);
	ok &= domain_interfaces_to_xml(devices, dom);
	ok &= domain_hostdevs_to_xml(devices, shyper_vm, ns, dom);
	return ok;
}
