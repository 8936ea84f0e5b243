// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Virtio NICs: <interface type='bridge'|'network'> on a bridge of the MVM.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

/* Linux interface names: IFNAMSIZ, its NUL included. */
#define IFNAME_LEN 16

/* "52:54:00:12:34:56" into MAC; false unless six hex pairs. */
static bool parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = dx_hex_value(text[0]), lo = hi < 0 ? -1 : dx_hex_value(text[1]);

		if (hi < 0 || lo < 0 || (i < 5 && text[2] != ':') || (i == 5 && text[2]))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
		text += 3;
	}
	return true;
}

/* A bridge or network name: a Linux interface name. */
static bool ifname_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!len || len >= IFNAME_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

const char *shyper_domain_interface_bridge(const struct shyper_domain_interface *nic)
{
	return nic->type == SHYPER_INTERFACE_NETWORK ? SHYPER_NETWORK_DEFAULT_BRIDGE : nic->source;
}

void domain_parse_interface(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const mac_attrs[] = { "address", NULL };
	static const char *const model_attrs[] = { "type", NULL };
	struct shyper_domain_interface nic = { 0 };
	char *type = dx_attribute(node, "type");
	bool ok = true, seen_source = false;
	xmlNode *child;

	dx_check_attributes(ctx, node, attrs);
	if (type && !strcmp(type, "bridge")) {
		nic.type = SHYPER_INTERFACE_BRIDGE;
	} else if (type && !strcmp(type, "network")) {
		nic.type = SHYPER_INTERFACE_NETWORK;
	} else {
		dx_error_at(ctx, node, "<interface> type='%s' is not supported (only 'bridge' or "
			    "'network')", type ? type : "");
		ok = false;
	}
	free(type);
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "source") && !seen_source) {
			const char *key = nic.type == SHYPER_INTERFACE_NETWORK ? "network" : "bridge";
			const char *const source_attrs[] = { key, NULL };
			char *name = dx_attribute(child, key);

			seen_source = true;
			if (ok)
				dx_check_attributes(ctx, child, source_attrs);
			if (ok && !ifname_ok(name)) {
				dx_error_at(ctx, child, "<source> %s='%s' is not an interface name (1 to %d "
					    "characters from A-Z, a-z, 0-9, '.', '_', '-')", key,
					    name ? name : "", IFNAME_LEN - 1);
				ok = false;
			} else if (ok && nic.type == SHYPER_INTERFACE_NETWORK &&
				   strcmp(name, SHYPER_NETWORK_DEFAULT)) {
				dx_error_at(ctx, child, "<source> network='%s' does not exist "
					    "(Shyper has one network, '%s', on the MVM's bridge "
					    "%s; or use <interface type='bridge'>)", name,
					    SHYPER_NETWORK_DEFAULT, SHYPER_NETWORK_DEFAULT_BRIDGE);
				ok = false;
			} else if (ok) {
				snprintf(nic.source, sizeof(nic.source), "%s", name);
			}
			free(name);
		} else if (dx_is_element(child, "mac")) {
			char *address = dx_attribute(child, "address");

			dx_check_attributes(ctx, child, mac_attrs);
			if (!address || !parse_mac(address, nic.mac)) {
				dx_error_at(ctx, child, "<mac> address='%s' is not a MAC address "
					    "(xx:xx:xx:xx:xx:xx)", address ? address : "");
				ok = false;
			} else if ((nic.mac[0] & 1) || !memcmp(nic.mac, "\0\0\0\0\0\0", 6)) {
				dx_error_at(ctx, child,
					    "<mac> address='%s' is not a unicast address", address);
				ok = false;
			}
			free(address);
		} else if (dx_is_element(child, "model")) {
			char *model = dx_attribute(child, "type");

			dx_check_attributes(ctx, child, model_attrs);
			if (!model || strcmp(model, "virtio")) {
				dx_error_at(ctx, child, "<model> type='%s' is not supported (only 'virtio')",
					    model ? model : "");
				ok = false;
			}
			free(model);
		} else if (dx_is_element(child, "address") || dx_is_element(child, "alias")) {
			domain_warn_placement(ctx, child, "interface");
		} else {
			dx_error_at(ctx, child, "<%s> in <interface> is not supported "
				    "(only <source>, <mac> and <model>)", dx_node_name(child));
			ok = false;
		}
	}
	if (ok && !seen_source) {
		dx_error_at(ctx, node, "<interface> needs a <source>");
		ok = false;
	}
	for (size_t i = 0; ok && i < ctx->dom->interface_count; i++) {
		if (memcmp(nic.mac, "\0\0\0\0\0\0", 6) &&
		    !memcmp(ctx->dom->interfaces[i].mac, nic.mac, 6)) {
			dx_error_at(ctx, node, "two <interface> elements with the same <mac>");
			ok = false;
		}
	}
	if (ok && domain_virtio_slots_used(ctx->dom) == SHYPER_GUEST_VIRTIO_SLOTS) {
		dx_error_at(ctx, node, "no virtio-mmio slot left for this <interface> "
			    "(the guest has %d)", SHYPER_GUEST_VIRTIO_SLOTS);
		ok = false;
	}
	if (ok && ctx->dom->interface_count == SHYPER_DOMAIN_MAX_INTERFACES) {
		dx_error_at(ctx, node, "more than %d <interface> elements",
			    SHYPER_DOMAIN_MAX_INTERFACES);
		ok = false;
	}
	if (ok)
		ctx->dom->interfaces[ctx->dom->interface_count++] = nic;
}

bool domain_interfaces_to_xml(xmlNode *devices, const struct shyper_domain *dom)
{
	bool ok = true;

	for (size_t i = 0; i < dom->interface_count && i < SHYPER_DOMAIN_MAX_INTERFACES; i++) {
		const struct shyper_domain_interface *n = &dom->interfaces[i];
		bool network = n->type == SHYPER_INTERFACE_NETWORK;
		xmlNode *nic = xmlNewChild(devices, NULL, BAD_CAST "interface", NULL), *node;
		char mac[18];

		if (!nic)
			return false;
		ok &= dx_add_prop(nic, "type", network ? "network" : "bridge");
		if (memcmp(n->mac, "\0\0\0\0\0\0", 6)) {
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0],
				 n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
			node = xmlNewChild(nic, NULL, BAD_CAST "mac", NULL);
			ok &= dx_add_prop(node, "address", mac);
		}
		node = xmlNewChild(nic, NULL, BAD_CAST "source", NULL);
		ok &= dx_add_prop(node, network ? "network" : "bridge", n->source);
		node = xmlNewChild(nic, NULL, BAD_CAST "model", NULL);
		ok &= dx_add_prop(node, "type", "virtio");
	}
	return ok;
}
