// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A domain's <devices>: which reader each child goes to, the virtio-mmio
 * slots they share, and the devices that need no reader of their own: the
 * entropy device (<rng>), the balloon, and QEMU's plumbing, which has no
 * meaning on Shyper (an emulator, PCI controllers, a guest agent's channel)
 * and is accepted with one warning each saying why.
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
	unsigned int used = (unsigned int)(dom->disk_count + dom->interface_count) + dom->rng;

	for (size_t i = 0; i < dom->console_count; i++)
		if (dom->consoles[i].target == SHYPER_CONSOLE_VIRTIO)
			return used + 1;
	return used;
}

void domain_warn_not_applicable(struct parse_ctx *ctx, xmlNode *node, const char *why)
{
	char message[512];

	/* Once per kind: libvirt writes fourteen PCI root ports, say. */
	snprintf(message, sizeof(message), "<%s> is ignored: %s", dx_node_name(node), why);
	for (size_t i = 0; i < ctx->diag->count; i++)
		if (ctx->diag->entries[i].severity == SHYPER_DIAG_WARNING &&
		    !strcmp(ctx->diag->entries[i].message, message))
			return;
	dx_warn_at(ctx, node, "%s", message);
}

void domain_warn_placement(struct parse_ctx *ctx, xmlNode *node, const char *device)
{
	char why[128];

	snprintf(why, sizeof(why), "Shyper's virtio devices are virtio-mmio, each placed in a "
		 "slot of its own (this <%s> included)", device);
	domain_warn_not_applicable(ctx, node, why);
}

static void parse_memballoon(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "model", "autodeflate", "freePageReporting", NULL };
	char *model = dx_attribute(node, "model");

	dx_check_attributes(ctx, node, attrs);
	if (model && !strcmp(model, "virtio"))
		domain_warn_not_applicable(ctx, node, "memory ballooning is not supported; the "
					   "guest keeps all of its <memory>");
	else if (!model || strcmp(model, "none"))
		dx_error_at(ctx, node, "<memballoon> model='%s' is not supported (only 'virtio', "
			    "ignored, or 'none')", model ? model : "");
	else if (node->children && dx_next_element(ctx, node, NULL))
		dx_error_at(ctx, node, "<memballoon model='none'> has children");
	free(model);
}

/* <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng> */
static void parse_rng(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "model", NULL };
	static const char *const backend_attrs[] = { "model", NULL };
	char *model = dx_attribute(node, "model");
	bool ok = true;
	xmlNode *child;

	dx_check_attributes(ctx, node, attrs);
	if (!model || strcmp(model, "virtio")) {
		dx_error_at(ctx, node, "<rng> model='%s' is not supported (only 'virtio')",
			    model ? model : "");
		ok = false;
	}
	free(model);
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "backend")) {
			char *backend = dx_attribute(child, "model"), *source;

			dx_check_attributes(ctx, child, backend_attrs);
			if (!backend || strcmp(backend, "random")) {
				dx_error_at(ctx, child, "<backend model='%s'> of <rng> is not supported "
					    "(only 'random': the MVM's /dev/urandom)",
					    backend ? backend : "");
				ok = false;
			}
			source = child->children ? dx_element_text(ctx, child, true) : NULL;
			if (source && strcmp(source, "/dev/urandom") && strcmp(source, "/dev/random")) {
				dx_error_at(ctx, child, "<backend> '%s' of <rng> is not supported: guests' "
					    "entropy comes from the MVM's /dev/urandom", source);
				ok = false;
			}
			free(backend);
			free(source);
		} else if (dx_is_element(child, "rate")) {
			dx_warn_at(ctx, child, "<rate> of <rng> is ignored: shyperd gives each request "
				   "at most 4 KiB, as fast as the guest asks");
		} else if (dx_is_element(child, "address") || dx_is_element(child, "alias")) {
			domain_warn_placement(ctx, child, "rng");
		} else {
			dx_error_at(ctx, child, "<%s> in <rng> is not supported",
				    dx_node_name(child));
			ok = false;
		}
	}
	if (!ok || !dx_first_time(ctx, node, SEEN_RNG))
		return;
	if (domain_virtio_slots_used(ctx->dom) == SHYPER_GUEST_VIRTIO_SLOTS) {
		dx_error_at(ctx, node, "no virtio-mmio slot left for this <rng> (the guest has %d)",
			    SHYPER_GUEST_VIRTIO_SLOTS);
		return;
	}
	ctx->dom->rng = true;
}

static void parse_controller(struct parse_ctx *ctx, xmlNode *node)
{
	char *type = dx_attribute(node, "type");

	if (type && (!strcmp(type, "pci") || !strcmp(type, "virtio-serial")))
		domain_warn_not_applicable(ctx, node,
					   "a Shyper guest's virtio devices are virtio-mmio, with "
					   "no PCI bus, and its consoles need no virtio-serial "
					   "controller");
	else if (type && !strcmp(type, "usb"))
		dx_error_at(ctx, node, "<controller type='usb'> is not supported: a Shyper guest "
			    "has no USB");
	else
		dx_error_at(ctx, node, "<controller type='%s'> is not supported", type ? type : "");
	free(type);
}

static void parse_channel(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;
	char *name = NULL;

	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "target") && !name)
			name = dx_attribute(child, "name");
	}
	if (name && !strcmp(name, "org.qemu.guest_agent.0"))
		domain_warn_not_applicable(ctx, node,
					   "it is the QEMU guest agent's channel; Shyper has no "
					   "guest agent (its console and shyperctl reach the guest)");
	else
		dx_error_at(ctx, node, "<channel> '%s' is not supported (only the QEMU guest "
			    "agent's, ignored)", name ? name : "");
	free(name);
}

static void parse_audio(struct parse_ctx *ctx, xmlNode *node)
{
	char *type = dx_attribute(node, "type");

	if (type && !strcmp(type, "none"))
		domain_warn_not_applicable(ctx, node, "it is QEMU's sound back end, and a Shyper "
					   "guest has no sound device");
	else
		dx_error_at(ctx, node, "<audio type='%s'> is not supported: a Shyper guest has no sound",
			    type ? type : "");
	free(type);
}

void domain_parse_devices(struct parse_ctx *ctx, xmlNode *node)
{
	xmlNode *child;

	dx_check_attributes(ctx, node, NULL);
	if (!dx_first_time(ctx, node, SEEN_DEVICES))
		return;
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "console"))
			domain_parse_console(ctx, child);
		else if (dx_is_element(child, "memballoon"))
			parse_memballoon(ctx, child);
		else if (dx_is_element(child, "hostdev"))
			domain_parse_hostdev(ctx, child);
		else if (dx_is_element(child, "disk"))
			domain_parse_disk(ctx, child);
		else if (dx_is_element(child, "interface"))
			domain_parse_interface(ctx, child);
		else if (dx_is_element(child, "serial"))
			domain_parse_serial(ctx, child);
		else if (dx_is_element(child, "rng"))
			parse_rng(ctx, child);
		else if (dx_is_element(child, "emulator"))
			domain_warn_not_applicable(ctx, child, "Shyper guests have no emulator (the "
						   "hypervisor runs them)");
		else if (dx_is_element(child, "controller"))
			parse_controller(ctx, child);
		else if (dx_is_element(child, "channel"))
			parse_channel(ctx, child);
		else if (dx_is_element(child, "audio"))
			parse_audio(ctx, child);
		else
			dx_error_at(ctx, child, "device <%s> is not supported",
				    dx_node_name(child));
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
	if (dom->rng) {
		xmlNode *rng = xmlNewChild(devices, NULL, BAD_CAST "rng", NULL);
		xmlNode *backend = rng ? xmlNewTextChild(rng, NULL, BAD_CAST "backend",
							 BAD_CAST "/dev/urandom") : NULL;

		ok &= dx_add_prop(rng, "model", "virtio");
		ok &= dx_add_prop(backend, "model", "random");
	}
	ok &= domain_hostdevs_to_xml(devices, shyper_vm, ns, dom);
	return ok;
}
