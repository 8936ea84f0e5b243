// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A domain's consoles: <console type='pty'> with a serial (PL011) or virtio
 * target; and <serial type='pty'>, the PL011 itself, which libvirt writes
 * beside the serial <console> that shows it (the two are one device). A
 * <serial> without such a <console> is still the guest's PL011 console,
 * after any <console> elements.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

void domain_parse_console(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const target_attrs[] = { "type", "port", NULL };
	struct shyper_domain_console console = { .target = SHYPER_CONSOLE_SERIAL };
	char *type = dx_attribute(node, "type");
	xmlNode *child, *target = NULL;
	bool ok = true;
	size_t i;

	dx_check_attributes(ctx, node, attrs);
	if (!type || strcmp(type, "pty")) {
		dx_error_at(ctx, node, "<console> type='%s' is not supported (only 'pty')",
			    type ? type : "");
		ok = false;
	}
	free(type);
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "target") && !target) {
			target = child;
		} else {
			dx_error_at(ctx, child, "<%s> in <console> is not supported (only one <target>)",
				    dx_node_name(child));
			ok = false;
		}
	}
	if (target) {
		char *target_type = dx_attribute(target, "type");
		char *port = dx_attribute(target, "port");

		dx_check_attributes(ctx, target, target_attrs);
		if (target_type && !strcmp(target_type, "virtio")) {
			console.target = SHYPER_CONSOLE_VIRTIO;
		} else if (target_type && strcmp(target_type, "serial")) {
			dx_error_at(ctx, target, "<target> type='%s' of <console> is not supported "
				    "(only 'serial' or 'virtio')", target_type);
			ok = false;
		}
		if (port && !dx_parse_uint(port, 255, &console.port)) {
			dx_error_at(ctx, target, "port='%s' of <target> is not a port number",
				    port);
			ok = false;
		}
		free(target_type);
		free(port);
	}
	if (!ok)
		return;
	if (console.target == SHYPER_CONSOLE_SERIAL) {
		if (ctx->seen & SEEN_SERIAL) {
			dx_error_at(ctx, node, "a second serial <console>: the guest has one serial port "
				    "(its PL011)");
			return;
		}
		if (console.port) {
			dx_error_at(ctx, target, "port='%u' of a serial <console>: the PL011 is port 0",
				    console.port);
			return;
		}
		ctx->seen |= SEEN_SERIAL;
	}
	for (i = 0; i < ctx->dom->console_count; i++) {
		if (ctx->dom->consoles[i].target == console.target &&
		    ctx->dom->consoles[i].port == console.port) {
			dx_error_at(ctx, node, "two <console> elements with the same target and port %u",
				    console.port);
			return;
		}
	}
	if (ctx->dom->console_count == SHYPER_DOMAIN_MAX_CONSOLES) {
		dx_error_at(ctx, node, "more than %d <console> elements",
			    SHYPER_DOMAIN_MAX_CONSOLES);
		return;
	}
	ctx->dom->consoles[ctx->dom->console_count++] = console;
}

bool domain_consoles_to_xml(xmlNode *devices, const struct shyper_domain *dom)
{
	char number[32];
	xmlNode *node;
	bool ok = true;

	for (size_t i = 0; i < dom->console_count && i < SHYPER_DOMAIN_MAX_CONSOLES; i++) {
		const struct shyper_domain_console *c = &dom->consoles[i];

		node = xmlNewChild(devices, NULL, BAD_CAST "console", NULL);
		ok &= dx_add_prop(node, "type", "pty");
		node = node ? xmlNewChild(node, NULL, BAD_CAST "target", NULL) : NULL;
		ok &= dx_add_prop(node, "type", c->target == SHYPER_CONSOLE_VIRTIO ? "virtio" : "serial");
		snprintf(number, sizeof(number), "%u", c->port);
		ok &= dx_add_prop(node, "port", number);
	}
	return ok;
}

void domain_parse_serial(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "type", NULL };
	static const char *const target_attrs[] = { "type", "port", NULL };
	char *type = dx_attribute(node, "type");
	xmlNode *child, *grandchild;

	dx_check_attributes(ctx, node, attrs);
	if (!type || strcmp(type, "pty"))
		dx_error_at(ctx, node, "<serial> type='%s' is not supported (only 'pty')",
			    type ? type : "");
	free(type);
	if (ctx->seen & SEEN_SERIAL_ELEMENT)
		dx_error_at(ctx, node, "a second <serial>: the guest has one serial port "
			    "(its PL011)");
	ctx->seen |= SEEN_SERIAL_ELEMENT;
	ctx->serial_line = xmlGetLineNo(node);
	dx_for_each_element(ctx, node, child) {
		char *target_type, *port;

		if (dx_is_element(child, "alias")) {
			dx_warn_at(ctx, child, "<alias> of a <serial> is ignored: it names a "
				   "running libvirt domain's device");
			continue;
		} else if (!dx_is_element(child, "target")) {
			dx_error_at(ctx, child, "<%s> in <serial> is not supported (only <target>)",
				    dx_node_name(child));
			continue;
		}
		dx_check_attributes(ctx, child, target_attrs);
		target_type = dx_attribute(child, "type");
		port = dx_attribute(child, "port");
		if (target_type && strcmp(target_type, "system-serial"))
			dx_error_at(ctx, child, "<target type='%s'> of <serial> is not supported "
				    "(the guest's PL011 is a 'system-serial')", target_type);
		if (port && strcmp(port, "0"))
			dx_error_at(ctx, child, "port='%s' of <serial>: the PL011 is port 0", port);
		free(target_type);
		free(port);
		dx_for_each_element(ctx, child, grandchild) {
			char *name = dx_attribute(grandchild, "name");

			if (!dx_is_element(grandchild, "model") || !name || strcmp(name, "pl011"))
				dx_error_at(ctx, grandchild, "<%s%s%s> in <serial><target> is not "
					    "supported (only <model name='pl011'/>)", dx_node_name(grandchild),
					    name ? " name=" : "", name ? name : "");
			free(name);
		}
	}
}

void domain_check_serial(struct parse_ctx *ctx)
{
	struct shyper_domain *dom = ctx->dom;

	/* Shown by a serial <console> already, or the console of its own. */
	if (!(ctx->seen & SEEN_SERIAL_ELEMENT) || (ctx->seen & SEEN_SERIAL))
		return;
	if (dom->console_count == SHYPER_DOMAIN_MAX_CONSOLES) {
		shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->serial_line,
				"more than %d consoles with this <serial>", SHYPER_DOMAIN_MAX_CONSOLES);
		return;
	}
	dom->consoles[dom->console_count++] =
		(struct shyper_domain_console){ .target = SHYPER_CONSOLE_SERIAL };
	ctx->seen |= SEEN_SERIAL;
}
