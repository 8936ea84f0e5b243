// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Virtio disks: <disk type='file' device='disk'>, a raw image in the MVM.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

/* "vda".."vdz": the names libvirt gives virtio disks. */
static bool disk_target_ok(const char *dev)
{
	return dev && strlen(dev) == 3 && dev[0] == 'v' && dev[1] == 'd' && dev[2] >= 'a' &&
	       dev[2] <= 'z';
}

static const char *const disk_cache_names[] = {
	[SHYPER_DISK_CACHE_NONE] = "none",
	[SHYPER_DISK_CACHE_WRITEBACK] = "writeback",
	[SHYPER_DISK_CACHE_WRITETHROUGH] = "writethrough",
	[SHYPER_DISK_CACHE_DIRECTSYNC] = "directsync",
	[SHYPER_DISK_CACHE_UNSAFE] = "unsafe",
};

const char *shyper_disk_cache_name(enum shyper_disk_cache cache)
{
	if ((size_t)cache >= sizeof(disk_cache_names) / sizeof(disk_cache_names[0]))
		return NULL;
	return disk_cache_names[cache];
}

/* <driver cache='NAME'/>: its mode; DEFAULT (and an error) for an unknown name. */
static enum shyper_disk_cache parse_disk_cache(struct parse_ctx *ctx, xmlNode *driver,
					       const char *name, bool *ok)
{
	for (size_t i = 1; i < sizeof(disk_cache_names) / sizeof(disk_cache_names[0]); i++)
		if (!strcmp(name, disk_cache_names[i]))
			return (enum shyper_disk_cache)i;
	dx_error_at(ctx, driver, "<driver> cache='%s' is not supported (none, writeback, "
		    "writethrough, directsync or unsafe)", name);
	*ok = false;
	return SHYPER_DISK_CACHE_DEFAULT;
}

void domain_parse_disk(struct parse_ctx *ctx, xmlNode *node)
{
	static const char *const attrs[] = { "type", "device", NULL };
	static const char *const driver_attrs[] = { "name", "type", "cache", NULL };
	static const char *const source_attrs[] = { "file", NULL };
	static const char *const target_attrs[] = { "dev", "bus", NULL };
	struct shyper_domain_disk disk = { 0 };
	char *type = dx_attribute(node, "type"), *device = dx_attribute(node, "device");
	bool ok = true, seen_source = false, seen_target = false;
	xmlNode *child;

	dx_check_attributes(ctx, node, attrs);
	if (type && strcmp(type, "file")) {
		dx_error_at(ctx, node, "<disk> type='%s' is not supported "
			    "(only 'file': a raw image)", type);
		ok = false;
	}
	if (device && strcmp(device, "disk")) {
		dx_error_at(ctx, node, "<disk> device='%s' is not supported (only 'disk')", device);
		ok = false;
	}
	free(type);
	free(device);
	dx_for_each_element(ctx, node, child) {
		if (dx_is_element(child, "driver")) {
			char *format = dx_attribute(child, "type");
			char *cache = dx_attribute(child, "cache");

			dx_check_attributes(ctx, child, driver_attrs);
			if (format && strcmp(format, "raw")) {
				dx_error_at(ctx, child, "<driver> type='%s' is not supported (only 'raw' "
					    "images)", format);
				ok = false;
			}
			if (cache)
				disk.cache = parse_disk_cache(ctx, child, cache, &ok);
			free(format);
			free(cache);
		} else if (dx_is_element(child, "source") && !seen_source) {
			dx_check_attributes(ctx, child, source_attrs);
			seen_source = true;
			free(disk.source);
			disk.source = dx_attribute(child, "file");
			if (!disk.source || disk.source[0] != '/') {
				dx_error_at(ctx, child, "<source> of a <disk> needs file='/absolute/path'");
				ok = false;
			}
		} else if (dx_is_element(child, "target") && !seen_target) {
			char *dev = dx_attribute(child, "dev"), *bus = dx_attribute(child, "bus");

			dx_check_attributes(ctx, child, target_attrs);
			seen_target = true;
			if (!disk_target_ok(dev)) {
				dx_error_at(ctx, child, "<target> dev='%s' of a <disk> is not supported "
					    "(vda to vdz)", dev ? dev : "");
				ok = false;
			} else {
				snprintf(disk.target, sizeof(disk.target), "%s", dev);
			}
			if (bus && strcmp(bus, "virtio")) {
				dx_error_at(ctx, child, "<target> bus='%s' of a <disk> is not supported "
					    "(only 'virtio')", bus);
				ok = false;
			}
			free(dev);
			free(bus);
		} else if (dx_is_element(child, "readonly")) {
			dx_check_attributes(ctx, child, NULL);
			disk.readonly = true;
		} else if (dx_is_element(child, "address") || dx_is_element(child, "alias")) {
			domain_warn_placement(ctx, child, "disk");
		} else {
			dx_error_at(ctx, child, "<%s> in <disk> is not supported (only <driver>, "
				    "<source>, <target> and <readonly>)", dx_node_name(child));
			ok = false;
		}
	}
	if (ok && (!seen_source || !seen_target)) {
		dx_error_at(ctx, node, "<disk> needs <source file='...'/> and <target dev='vdX'/>");
		ok = false;
	}
	for (size_t i = 0; ok && i < ctx->dom->disk_count; i++) {
		if (!strcmp(ctx->dom->disks[i].target, disk.target)) {
			dx_error_at(ctx, node, "two <disk> elements with target '%s'", disk.target);
			ok = false;
		} else if (!strcmp(ctx->dom->disks[i].source, disk.source)) {
			dx_error_at(ctx, node, "two <disk> elements on the same image %s", disk.source);
			ok = false;
		}
	}
	if (ok && domain_virtio_slots_used(ctx->dom) == SHYPER_GUEST_VIRTIO_SLOTS) {
		dx_error_at(ctx, node, "no virtio-mmio slot left for this <disk> "
			    "(the guest has %d)", SHYPER_GUEST_VIRTIO_SLOTS);
		ok = false;
	}
	if (ok && ctx->dom->disk_count == SHYPER_DOMAIN_MAX_DISKS) {
		dx_error_at(ctx, node, "more than %d <disk> elements", SHYPER_DOMAIN_MAX_DISKS);
		ok = false;
	}
	if (!ok) {
		free(disk.source);
		return;
	}
	ctx->dom->disks[ctx->dom->disk_count++] = disk;
}

bool domain_disks_to_xml(xmlNode *devices, const struct shyper_domain *dom)
{
	bool ok = true;

	for (size_t i = 0; i < dom->disk_count && i < SHYPER_DOMAIN_MAX_DISKS; i++) {
		const struct shyper_domain_disk *d = &dom->disks[i];
		xmlNode *disk = xmlNewChild(devices, NULL, BAD_CAST "disk", NULL), *node;

		if (!disk)
			return false;
		ok &= dx_add_prop(disk, "type", "file");
		ok &= dx_add_prop(disk, "device", "disk");
		node = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
		ok &= dx_add_prop(node, "name", "qemu");
		ok &= dx_add_prop(node, "type", "raw");
		if (shyper_disk_cache_name(d->cache))
			ok &= dx_add_prop(node, "cache", shyper_disk_cache_name(d->cache));
		node = xmlNewChild(disk, NULL, BAD_CAST "source", NULL);
		ok &= dx_add_prop(node, "file", d->source);
		node = xmlNewChild(disk, NULL, BAD_CAST "target", NULL);
		ok &= dx_add_prop(node, "dev", d->target);
		ok &= dx_add_prop(node, "bus", "virtio");
		if (d->readonly)
			ok &= xmlNewChild(disk, NULL, BAD_CAST "readonly", NULL) != NULL;
	}
	return ok;
}
