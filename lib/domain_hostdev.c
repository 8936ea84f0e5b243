// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Passthrough devices: <hostdev> and <shyper:hostdev>.
 *
 * libvirt has no hostdev type for a platform (MMIO) device, so the form that
 * libvirt's schema accepts and that says what is meant is the "misc"
 * capability hostdev naming the device, here by its node path in the MVM's
 * device tree (as Xen's dtdev= does):
 *
 *   <hostdev mode='capabilities' type='misc'>
 *     <source><char>/pl031@9010000</char></source>
 *   </hostdev>
 *
 * and what the hypervisor needs, in Shyper's metadata, matched by that path:
 *
 *   <shyper:hostdev node='/pl031@9010000' base='0x9010000' size='0x1000' irq='2'/>
 *
 * irq is the SPI number (INTID - 32, the middle cell of a GIC interrupts
 * specifier); without irq= the device has no interrupt.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

static void parse_hostdev_source(struct parse_ctx *ctx, xmlNode *node,
				 struct shyper_domain_hostdev *dev)
{
	xmlNode *child;
	char *text;

	dx_check_attributes(ctx, node, NULL);
	dx_for_each_element(ctx, node, child) {
		if (!dx_is_element(child, "char") || dev->node[0]) {
			dx_error_at(ctx, child, "<%s> in <hostdev><source> is not supported (one <char> "
				    "naming the device's node in the MVM's device tree)", dx_node_name(child));
			continue;
		}
		dx_check_attributes(ctx, child, NULL);
		text = dx_element_text(ctx, child, true);
		if (!text)
			continue;
		if (text[0] != '/' || strlen(text) >= sizeof(dev->node))
			dx_error_at(ctx, child, "<char> '%s' of <hostdev> is not a device-tree node path "
				    "(like /pl031@9010000, at most %zu characters)", text,
				    sizeof(dev->node) - 1);
		else
			strcpy(dev->node, text);
		free(text);
	}
}

void domain_parse_hostdev(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "mode", "type", NULL };
	struct shyper_domain *dom = ctx->dom;
	struct shyper_domain_hostdev dev = { .spi = SHYPER_DEV_NO_IRQ };
	char *mode = dx_attribute(node, "mode"), *type = dx_attribute(node, "type");
	xmlNode *child;

	dx_check_attributes(ctx, node, attrs);
	if (!mode || strcmp(mode, "capabilities") || !type || strcmp(type, "misc"))
		dx_error_at(ctx, node, "<hostdev mode='%s' type='%s'> is not supported (only board "
			    "devices: mode='capabilities' type='misc')", mode ? mode : "",
			    type ? type : "");
	free(mode);
	free(type);
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "source"))
			parse_hostdev_source(ctx, child, &dev);
		else
			dx_error_at(ctx, child, "<%s> in <hostdev> is not supported", dx_node_name(child));
	}
	if (!dev.node[0]) {
		dx_error_at(ctx, node, "<hostdev> has no <source><char> naming the device's node");
		return;
	}
	if (dom->hostdev_count == SHYPER_DOMAIN_MAX_HOSTDEVS) {
		dx_error_at(ctx, node, "more than %d <hostdev> devices",
			    SHYPER_DOMAIN_MAX_HOSTDEVS);
		return;
	}
	ctx->hostdev_line[dom->hostdev_count] = xmlGetLineNo(node);
	dom->hostdevs[dom->hostdev_count++] = dev;
}

/* Does [base, base+size) meet one of the guest machine's fixed regions? */
static const char *hostdev_guest_clash(uint64_t base, uint64_t size)
{
	static const struct {
		uint64_t base, size;
		const char *what;
	} fixed[] = {
		{ SHYPER_GUEST_GICD_BASE, 0x10000, "the guest's GIC distributor" },
		{ SHYPER_GUEST_GICR_BASE, SHYPER_MAX_VCPUS * 0x20000ULL,
		  "the guest's GIC redistributors" },
		{ SHYPER_GUEST_UART_BASE, 0x1000, "the guest's PL011" },
		{ SHYPER_GUEST_GPIO_BASE, 0x1000, "the guest's PL061" },
		{ SHYPER_GUEST_VIRTIO_BASE, 0x1000, "the guest's virtio-mmio window" },
		{ SHYPER_GUEST_RAM_BASE, SHYPER_GUEST_MEM_MAX, "the guest's RAM" },
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (base < fixed[i].base + fixed[i].size && fixed[i].base < base + size)
			return fixed[i].what;
	return NULL;
}

void domain_parse_shyper_hostdev(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "node", "base", "size", "irq", NULL };
	char *path = dx_attribute(node, "node"), *base = dx_attribute(node, "base");
	char *size = dx_attribute(node, "size"), *irq = dx_attribute(node, "irq");
	struct meta_hostdev m = { .dev.spi = SHYPER_DEV_NO_IRQ, .line = xmlGetLineNo(node) };
	xmlNode *child;
	const char *clash;
	uint64_t v;
	bool ok = true;

	dx_check_attributes(ctx, node, attrs);
	dx_for_each_element(ctx, node, child)
		dx_error_at(ctx, child, "<%s> in Shyper's <hostdev> is not supported", dx_node_name(child));
	if (!path || path[0] != '/' || strlen(path) >= sizeof(m.dev.node)) {
		dx_error_at(ctx, node, "Shyper <hostdev> needs node='...' with the device-tree path its "
			    "<hostdev><source><char> gives");
		ok = false;
	} else {
		strcpy(m.dev.node, path);
	}
	if (!base || !dx_parse_c_u64(base, &m.dev.base) || m.dev.base & 0xfff) {
		dx_error_at(ctx, node, "Shyper <hostdev> base='%s' is not a page-aligned address",
			    base ? base : "");
		ok = false;
	}
	if (!size || !dx_parse_c_u64(size, &m.dev.size) || !m.dev.size || m.dev.size & 0xfff ||
	    m.dev.base + m.dev.size < m.dev.base) {
		dx_error_at(ctx, node, "Shyper <hostdev> size='%s' is not a non-zero multiple of 4 KiB "
			    "(that fits after base)", size ? size : "");
		ok = false;
	}
	if (irq && (!dx_parse_c_u64(irq, &v) || v >= SHYPER_GUEST_NR_SPIS ||
		    v == SHYPER_GUEST_UART_SPI || v == SHYPER_GUEST_GPIO_SPI ||
		    (v >= SHYPER_GUEST_VIRTIO_SPI &&
		     v < SHYPER_GUEST_VIRTIO_SPI + SHYPER_GUEST_VIRTIO_SLOTS))) {
		dx_error_at(ctx, node, "Shyper <hostdev> irq='%s' is not an SPI a guest can have (0..%d "
			    "but not %d, %d or %d..%d, which its own devices use)", irq,
			    SHYPER_GUEST_NR_SPIS - 1, SHYPER_GUEST_UART_SPI, SHYPER_GUEST_GPIO_SPI,
			    SHYPER_GUEST_VIRTIO_SPI,
			    SHYPER_GUEST_VIRTIO_SPI + SHYPER_GUEST_VIRTIO_SLOTS - 1);
		ok = false;
	} else if (irq) {
		m.dev.spi = (uint32_t)v;
	}
	if (ok && (clash = hostdev_guest_clash(m.dev.base, m.dev.size))) {
		dx_error_at(ctx, node, "Shyper <hostdev> 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s "
			    "(the guest sees it at its board address)",
			    m.dev.base, m.dev.size, clash);
		ok = false;
	}
	free(path);
	free(base);
	free(size);
	free(irq);
	if (!ok)
		return;
	if (ctx->meta_hostdev_count == SHYPER_DOMAIN_MAX_HOSTDEVS) {
		dx_error_at(ctx, node, "more than %d Shyper <hostdev> entries",
			    SHYPER_DOMAIN_MAX_HOSTDEVS);
		return;
	}
	ctx->meta_hostdevs[ctx->meta_hostdev_count++] = m;
}

/* Each <hostdev> gets its <shyper:hostdev>; no two share a range or an SPI. */
void domain_check_hostdevs(struct parse_ctx *ctx)
{
	struct shyper_domain *dom = ctx->dom;
	size_t i, k;

	for (i = 0; i < dom->hostdev_count; i++) {
		struct shyper_domain_hostdev *d = &dom->hostdevs[i];
		struct meta_hostdev *m = NULL;

		for (k = 0; k < ctx->meta_hostdev_count && !m; k++)
			if (!strcmp(ctx->meta_hostdevs[k].dev.node, d->node))
				m = &ctx->meta_hostdevs[k];
		if (!m) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->hostdev_line[i],
					"<hostdev> %s has no <shyper:hostdev node='%s' base='...' "
					"size='...' irq='...'/> in Shyper's <metadata>", d->node, d->node);
			continue;
		}
		if (m->used) {
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->hostdev_line[i],
					"<hostdev> %s appears more than once", d->node);
			continue;
		}
		m->used = true;
		*d = m->dev;
		for (k = 0; k < i; k++) {
			const struct shyper_domain_hostdev *e = &dom->hostdevs[k];

			if (d->base < e->base + e->size && e->base < d->base + d->size)
				shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, m->line,
						"Shyper <hostdev> %s overlaps %s", d->node, e->node);
			else if (d->spi != SHYPER_DEV_NO_IRQ && d->spi == e->spi)
				shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, m->line,
						"Shyper <hostdev> %s has the irq of %s", d->node,
						e->node);
		}
	}
	for (k = 0; k < ctx->meta_hostdev_count; k++)
		if (!ctx->meta_hostdevs[k].used)
			shyper_diag_add(ctx->diag, SHYPER_DIAG_ERROR, ctx->meta_hostdevs[k].line,
					"Shyper <hostdev> %s has no <hostdev> with <source><char>%s"
					"</char> in <devices>", ctx->meta_hostdevs[k].dev.node,
					ctx->meta_hostdevs[k].dev.node);
}

bool domain_hostdevs_to_xml(xmlNode *devices, xmlNode *shyper_vm, xmlNs *ns,
			    const struct shyper_domain *dom)
{
	char number[32];
	xmlNode *node;
	bool ok = true;
	size_t i;

	for (i = 0; i < dom->hostdev_count && i < SHYPER_DOMAIN_MAX_HOSTDEVS; i++) {
		const struct shyper_domain_hostdev *d = &dom->hostdevs[i];

		node = xmlNewChild(devices, NULL, BAD_CAST "hostdev", NULL);
		ok &= dx_add_prop(node, "mode", "capabilities");
		ok &= dx_add_prop(node, "type", "misc");
		node = node ? xmlNewChild(node, NULL, BAD_CAST "source", NULL) : NULL;
		ok &= node && dx_add_text(node, NULL, "char", d->node);

		node = xmlNewChild(shyper_vm, ns, BAD_CAST "hostdev", NULL);
		ok &= dx_add_prop(node, "node", d->node);
		snprintf(number, sizeof(number), "0x%" PRIx64, d->base);
		ok &= dx_add_prop(node, "base", number);
		snprintf(number, sizeof(number), "0x%" PRIx64, d->size);
		ok &= dx_add_prop(node, "size", number);
		if (d->spi != SHYPER_DEV_NO_IRQ) {
			snprintf(number, sizeof(number), "%u", d->spi);
			ok &= dx_add_prop(node, "irq", number);
		}
	}
	return ok;
}
