/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* What guest_fdt.c and the tests use of hostdev.c: the MVM's device tree. */
#ifndef SHYPER_HOSTDEV_INTERNAL_H
#define SHYPER_HOSTDEV_INTERNAL_H

#include <shyper/domain.h>

/* Where the MVM's own device tree is read from: $SHYPER_HOST_FDT, or
 * /sys/firmware/fdt (readable by root). */
#define SHYPER_HOST_FDT_DEFAULT "/sys/firmware/fdt"
/* sysfs root for driver unbinding: $SHYPER_SYSFS_ROOT, or /sys. */
#define SHYPER_SYSFS_ROOT_DEFAULT "/sys"
const char *shyper_sysfs_root(void);

/*
 * Reads the MVM's device tree into *HOST (malloc'd) and checks that every
 * hostdev of DOM has a node there (by its path, or else by its reg base).
 * With no hostdevs *HOST is NULL and nothing is read. Errors go to DIAG.
 */
int hostdev_host_fdt_load(const struct shyper_domain *dom, void **host,
			  struct shyper_domain_diag *diag);

/*
 * Writes, into FDT under construction (sequential-write API, inside the
 * root node), a node for each hostdev of DOM copied from HOST: reg for the
 * guest's 2+2 cells, interrupts as a GICv3 SPI of GIC_PHANDLE, every clock
 * replaced by CLOCK_PHANDLE, status "okay"; properties that reference
 * other host nodes (DMA, IOMMU, resets, power domains, pinctrl) dropped.
 */
int hostdev_fdt_write_nodes(void *fdt, const struct shyper_domain *dom, const void *host,
			    uint32_t gic_phandle, uint32_t clock_phandle);

/* The MVM device under SYSFS/bus/{platform,amba}/devices whose name starts
 * with "<base in hex>.": 1 (BUS and NAME filled), 0 if none, or -errno. */
int hostdev_sysfs_find(const char *sysfs, uint64_t base, char *bus, size_t bus_len, char *name,
		       size_t name_len);
/* Keep the MVM's drivers off the device at BASE (driver_override) and unbind
 * the one bound now. 0 (also when the MVM has no such device) or -errno. */
int hostdev_sysfs_unbind(const char *sysfs, uint64_t base);
/* Let the MVM's drivers have it again (clear driver_override, probe). */
int hostdev_sysfs_rebind(const char *sysfs, uint64_t base);

#endif
