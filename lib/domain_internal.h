/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * What the domain XML code shares with the rest of libshyper (guest_fdt.c,
 * hostdev*.c, manage_*.c, json.c): recording diagnostics (domain_diag.c),
 * UUIDs (domain_identity.c), and the guest machine's devices that a
 * definition gives (guest_fdt.c).
 */
#ifndef SHYPER_LIB_DOMAIN_INTERNAL_H
#define SHYPER_LIB_DOMAIN_INTERNAL_H

#include <shyper/domain.h>

/* Appends a message to DIAG (ignored when DIAG is NULL). Returns 0, or
 * SHYPER_ERR_NO_MEMORY when the message could not be stored. */
int shyper_diag_add(struct shyper_domain_diag *diag, enum shyper_diag_severity severity,
		    long line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and its NUL into TEXT. */
void shyper_uuid_format(const uint8_t uuid[16], char text[37]);
bool shyper_uuid_is_zero(const uint8_t uuid[16]);

/*
 * The virtio devices DOM's guest machine has, by virtio-mmio slot (kind 0:
 * the slot is empty): one place decides, so the devices manage_lifecycle.c
 * adds and the nodes guest_fdt.c describes always agree: a virtio console
 * in slot 0 when the primary (first) <console> is virtio, then each <disk>,
 * then each <interface> (its MAC generated from the UUID when not given),
 * then the entropy device of an <rng>.
 * Returns the number of used slots.
 */
unsigned int shyper_guest_virtio_devices(const struct shyper_domain *dom,
					 struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS]);

/* Does DOM's guest get the emulated PL031 (SHYPER_DEV_RTC)? Every guest
 * does, but one given a board device on its page or its SPI (the board's
 * own PL031, say), which keeps that instead. */
bool shyper_guest_has_rtc(const struct shyper_domain *dom);

/* The MAC of DOM's NIC number I: its <mac>, else one made from the UUID. */
void shyper_guest_nic_mac(const struct shyper_domain *dom, size_t i, uint8_t mac[6]);

/* The pCPU vCPU V of DOM runs on: its <vcpupin>, else its own number. */
static inline int shyper_domain_vcpu_pcpu(const struct shyper_domain *dom, unsigned int v)
{
	return dom->vcpu_pcpu[v] == SHYPER_DOMAIN_PCPU_UNPINNED ? (int)v : dom->vcpu_pcpu[v];
}

/* Is the primary (first) <console> of DOM a virtio console? */
bool shyper_domain_console_is_virtio(const struct shyper_domain *dom);

/* For guest_fdt.c and hostdev_fdt.c: libfdt calls return a negative
 * FDT_ERR_*; stop at the first one and return it. */
#define TRY(expr)                        \
	do {                             \
		int try_rc_ = (expr);    \
		if (try_rc_ < 0)         \
			return try_rc_;  \
	} while (0)

#endif /* SHYPER_LIB_DOMAIN_INTERNAL_H */
