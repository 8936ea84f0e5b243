// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Passthrough of board devices (<hostdev>) from the MVM's side: taking the
 * device away from the MVM's Linux drivers before the hypervisor hands it
 * to a guest, and giving it back after the guest is destroyed. Its node
 * in the guest's device tree comes from hostdev_fdt.c.
 *
 * Unbinding follows VFIO's driver_override procedure: a driver_override
 * naming no driver first (so nothing rebinds it meanwhile, not even a
 * module loaded later), then unbind from the current driver. Rebinding
 * clears driver_override and asks the bus to probe the device again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shyper/domain.h>

#include "domain_internal.h"
#include "hostdev_internal.h"
#include "internal.h"

/* A driver name no driver has: what driver_override holds while a guest has it. */
#define OVERRIDE_NONE "shyper-passthrough"

static const char *const buses[] = { "platform", "amba" };

/* ---- sysfs ----------------------------------------------------------------------- */

const char *shyper_sysfs_root(void)
{
	const char *env = getenv("SHYPER_SYSFS_ROOT");

	return env && *env ? env : SHYPER_SYSFS_ROOT_DEFAULT;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC); /* as `echo >` does */
	ssize_t n;
	int saved;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	saved = n < 0 ? errno : 0;
	close(fd);
	if (n < 0)
		return -saved;
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

int hostdev_sysfs_find(const char *sysfs, uint64_t base, char *bus, size_t bus_len, char *name,
		       size_t name_len)
{
	char dir[512], prefix[32];
	struct dirent *e;
	size_t i;

	snprintf(prefix, sizeof(prefix), "%" PRIx64 ".", base);
	for (i = 0; i < sizeof(buses) / sizeof(buses[0]); i++) {
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/bus/%s/devices", sysfs, buses[i]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			if (strncmp(e->d_name, prefix, strlen(prefix)))
				continue;
			snprintf(bus, bus_len, "%s", buses[i]);
			snprintf(name, name_len, "%s", e->d_name);
			closedir(d);
			return 1;
		}
		closedir(d);
	}
	return 0;
}

int hostdev_sysfs_unbind(const char *sysfs, uint64_t base)
{
	char bus[16], name[256], path[1024];
	struct stat st;
	int rc = hostdev_sysfs_find(sysfs, base, bus, sizeof(bus), name, sizeof(name));

	if (rc <= 0)
		return rc; /* no Linux device: nothing to take away */
	snprintf(path, sizeof(path), "%s/bus/%s/devices/%s/driver_override", sysfs, bus, name);
	rc = write_file(path, OVERRIDE_NONE);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/bus/%s/devices/%s/driver", sysfs, bus, name);
	if (lstat(path, &st))
		return 0; /* no driver bound */
	snprintf(path, sizeof(path), "%s/bus/%s/devices/%s/driver/unbind", sysfs, bus, name);
	return write_file(path, name);
}

int hostdev_sysfs_rebind(const char *sysfs, uint64_t base)
{
	char bus[16], name[256], path[1024];
	int rc = hostdev_sysfs_find(sysfs, base, bus, sizeof(bus), name, sizeof(name));

	if (rc <= 0)
		return rc;
	snprintf(path, sizeof(path), "%s/bus/%s/devices/%s/driver_override", sysfs, bus, name);
	rc = write_file(path, "\n");
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/bus/%s/drivers_probe", sysfs, bus);
	return write_file(path, name);
}

int shyper_hostdev_attach(struct shyper *h, uint32_t id, const struct shyper_domain *dom)
{
	size_t i;
	int rc;

	shyper_clear_error(h);
	for (i = 0; i < dom->hostdev_count; i++) {
		const struct shyper_domain_hostdev *d = &dom->hostdevs[i];
		struct shyper_device_config dev;

		rc = hostdev_sysfs_unbind(shyper_sysfs_root(), d->base);
		if (rc)
			return shyper_fail(h, SHYPER_ERR_SYSTEM, "taking %s (0x%" PRIx64 ") from the "
					   "MVM's driver: %s", d->node, d->base, strerror(-rc));
		memset(&dev, 0, sizeof(dev));
		dev.size = SHYPER_DEVICE_CONFIG_SIZE_V1;
		dev.kind = SHYPER_DEV_PASSTHROUGH;
		dev.base = d->base;
		dev.length = d->size;
		dev.spi = d->spi;
		rc = shyper_vm_add_device(h, id, &dev);
		if (rc)
			return rc;
	}
	return 0;
}

int shyper_hostdev_detach(struct shyper *h, const struct shyper_domain *dom)
{
	int first = 0;
	size_t i;

	if (h)
		shyper_clear_error(h);
	for (i = 0; i < dom->hostdev_count; i++) {
		const struct shyper_domain_hostdev *d = &dom->hostdevs[i];
		int rc = hostdev_sysfs_rebind(shyper_sysfs_root(), d->base);

		if (rc && !first)
			first = !h ? SHYPER_ERR_SYSTEM :
				shyper_fail(h, SHYPER_ERR_SYSTEM, "giving %s (0x%" PRIx64 ") back to "
					    "the MVM's drivers: %s", d->node, d->base, strerror(-rc));
	}
	return first;
}
