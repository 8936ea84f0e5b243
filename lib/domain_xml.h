/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Inside libshyper's domain XML code (domain*.c) only: the parse context
 * every element's reader fills, the helpers they share, and each family
 * of elements' entry points. Each family (identity, memory, CPUs, os,
 * each device kind, metadata, ...) keeps its reading, checking and writing
 * together in a file of its own; domain.c holds the entry points and the
 * <domain> element itself.
 *
 * The shared helpers are named dx_ (domain XML): they are global symbols,
 * and libshyper.a is installed, so a program linking it must not meet a
 * bare error_at() or attribute() of ours.
 */
#ifndef SHYPER_LIB_DOMAIN_XML_H
#define SHYPER_LIB_DOMAIN_XML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include <shyper/domain.h>

#include "domain_internal.h"

/* More <vcpupin> elements than this are refused before counting vCPUs. */
#define DOMAIN_PINS_MAX 64

struct pin {
	unsigned int vcpu;
	int pcpu;
	long line;
};

struct meta_hostdev {
	struct shyper_domain_hostdev dev;
	long line;
	bool used;
};

struct parse_ctx {
	struct shyper_domain *dom;
	struct shyper_domain_diag *diag;
	int oom;
	/* Elements seen once already (duplicates are errors). */
	unsigned int seen;
	uint64_t current_memory;
	long current_memory_line;
	unsigned int vcpu_current; /* <vcpu current=...>, 0 when absent */
	long vcpu_line;
	size_t pin_count;
	struct pin pins[DOMAIN_PINS_MAX];
	/* <vcpusched scheduler='fifo'|'rr'>: the vCPUs named, and where */
	uint64_t rt_vcpus;
	long rt_line;
	long type_line;       /* <shyper:type>'s */
	long root_line;
	long serial_line;     /* the <serial> element's */
	/* <hostdev> lines, and the <shyper:hostdev> entries they are matched
	 * with once the whole definition is read. */
	long hostdev_line[SHYPER_DOMAIN_MAX_HOSTDEVS];
	size_t meta_hostdev_count;
	struct meta_hostdev meta_hostdevs[SHYPER_DOMAIN_MAX_HOSTDEVS];
};

enum seen_bit {
	SEEN_NAME = 1u << 0,
	SEEN_UUID = 1u << 1,
	SEEN_MEMORY = 1u << 2,
	SEEN_CURRENT_MEMORY = 1u << 3,
	SEEN_VCPU = 1u << 4,
	SEEN_CPUTUNE = 1u << 5,
	SEEN_OS = 1u << 6,
	SEEN_DEVICES = 1u << 7,
	SEEN_METADATA = 1u << 8,
	SEEN_SHYPER_VM = 1u << 9,
	SEEN_SHYPER_TYPE = 1u << 10,
	SEEN_OS_TYPE = 1u << 11,
	SEEN_SERIAL = 1u << 12,
	SEEN_TITLE = 1u << 13,
	SEEN_DESCRIPTION = 1u << 14,
	SEEN_FEATURES = 1u << 15,
	SEEN_CLOCK = 1u << 16,
	SEEN_CPU = 1u << 17,
	SEEN_RNG = 1u << 18,
	SEEN_SERIAL_ELEMENT = 1u << 19, /* a <serial>: the PL011, as the <console> it pairs with */
	SEEN_MEMORY_BACKING = 1u << 20,
};

/* ---- Diagnostics at an element (domain_diag.c) ---- */

void dx_error_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dx_warn_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Reading and writing helpers (domain_xml.c) ---- */

const char *dx_node_name(xmlNode *node);
bool dx_is_element(xmlNode *node, const char *name);
/* Marks BIT seen; a second time is an error. Returns false then. */
bool dx_first_time(struct parse_ctx *ctx, xmlNode *node, unsigned int bit);
/* Every attribute of NODE must be in ALLOWED (NULL-terminated). */
void dx_check_attributes(struct parse_ctx *ctx, xmlNode *node, const char *const *allowed);
/* NODE's attribute NAME as a malloc'd string, or NULL when absent. */
char *dx_attribute(xmlNode *node, const char *name);
/* Element children of NODE, one at a time; stray text is an error. */
xmlNode *dx_next_element(struct parse_ctx *ctx, xmlNode *parent, xmlNode *child);
#define dx_for_each_element(ctx, parent, child)                 \
	for (child = dx_next_element(ctx, parent, NULL); child; \
	     child = dx_next_element(ctx, parent, child))
/* NODE's text (malloc'd), refusing child elements. TRIM drops surrounding
 * white space. Returns NULL after reporting a problem. */
char *dx_element_text(struct parse_ctx *ctx, xmlNode *node, bool trim);
/* A decimal number without sign. */
bool dx_parse_u64(const char *text, uint64_t *value);
bool dx_parse_uint(const char *text, unsigned int max, unsigned int *value);
/* A number in C notation: 0x hex or decimal. */
bool dx_parse_c_u64(const char *text, uint64_t *value);
int dx_hex_value(char c);
/* Adds <NAME>TEXT</NAME> (escaped) under PARENT; false if out of memory. */
bool dx_add_text(xmlNode *parent, xmlNs *ns, const char *name, const char *text);
bool dx_add_prop(xmlNode *node, const char *name, const char *value);

/* ---- The families of elements: parse (and check) and write ---- */

/* domain_identity.c: <name>, <uuid> */
void domain_parse_name(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_uuid(struct parse_ctx *ctx, xmlNode *node);
/* <title> and <description>: kept as they are, written back */
void domain_parse_text(struct parse_ctx *ctx, xmlNode *node, unsigned int seen_bit, char **field);
bool domain_identity_to_xml(xmlNode *root, const struct shyper_domain *dom);

/* domain_lifecycle.c: <on_poweroff>, <on_reboot>, <on_crash> */
void domain_parse_lifecycle(struct parse_ctx *ctx, xmlNode *node,
			    enum shyper_lifecycle_action *action);
bool domain_lifecycle_to_xml(xmlNode *root, const struct shyper_domain *dom);

/* domain_features.c: <features>, <clock> */
void domain_parse_features(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_clock(struct parse_ctx *ctx, xmlNode *node);
bool domain_features_to_xml(xmlNode *root, const struct shyper_domain *dom);
bool domain_clock_to_xml(xmlNode *root, const struct shyper_domain *dom);

/* domain_memory.c: <memory>, <currentMemory> */
void domain_parse_memory(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_current_memory(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_memory_backing(struct parse_ctx *ctx, xmlNode *node);
void domain_check_memory(struct parse_ctx *ctx);
bool domain_memory_to_xml(xmlNode *root, const struct shyper_domain *dom);

/* domain_cpu.c: <vcpu>, <cputune> */
void domain_parse_vcpu(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_cputune(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_cpu(struct parse_ctx *ctx, xmlNode *node);
void domain_check_cpus(struct parse_ctx *ctx);
bool domain_cpus_to_xml(xmlNode *root, const struct shyper_domain *dom);
bool domain_cpu_model_to_xml(xmlNode *root, const struct shyper_domain *dom);

/* domain_os.c: <os> */
void domain_parse_os(struct parse_ctx *ctx, xmlNode *node);
bool domain_os_to_xml(xmlNode *root, const struct shyper_domain *dom);

/* domain_devices.c: <devices>, and what its children share */
void domain_parse_devices(struct parse_ctx *ctx, xmlNode *node);
/* Slots the virtio devices parsed so far take. */
unsigned int domain_virtio_slots_used(const struct shyper_domain *dom);
bool domain_devices_to_xml(xmlNode *root, xmlNode *shyper_vm, xmlNs *ns,
			   const struct shyper_domain *dom);

/* domain_console.c: <console>, and <serial> (the PL011 a serial console shows) */
void domain_parse_console(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_serial(struct parse_ctx *ctx, xmlNode *node);
void domain_check_serial(struct parse_ctx *ctx);
bool domain_consoles_to_xml(xmlNode *devices, const struct shyper_domain *dom);

/* domain_disk.c: <disk> */
void domain_parse_disk(struct parse_ctx *ctx, xmlNode *node);
bool domain_disks_to_xml(xmlNode *devices, const struct shyper_domain *dom);

/* domain_interface.c: <interface> */
void domain_parse_interface(struct parse_ctx *ctx, xmlNode *node);
bool domain_interfaces_to_xml(xmlNode *devices, const struct shyper_domain *dom);

/* domain_hostdev.c: <hostdev> and <shyper:hostdev> */
void domain_parse_hostdev(struct parse_ctx *ctx, xmlNode *node);
void domain_parse_shyper_hostdev(struct parse_ctx *ctx, xmlNode *node);
void domain_check_hostdevs(struct parse_ctx *ctx);
bool domain_hostdevs_to_xml(xmlNode *devices, xmlNode *shyper_vm, xmlNs *ns,
			    const struct shyper_domain *dom);

/* domain_metadata.c: <metadata> and Shyper's <shyper:vm> in it. The writer
 * returns Shyper's <vm> element and namespace for others to add to. */
void domain_parse_metadata(struct parse_ctx *ctx, xmlNode *node);
bool domain_metadata_to_xml(xmlNode *root, const struct shyper_domain *dom, xmlNode **shyper_vm,
			    xmlNs **ns);

/* Plumbing of QEMU's that has no meaning on Shyper: one warning saying why
 * (domain_devices.c). */
void domain_warn_not_applicable(struct parse_ctx *ctx, xmlNode *node, const char *why);
/* The same for a virtio device's <address> (PCI, in QEMU) or <alias>. */
void domain_warn_placement(struct parse_ctx *ctx, xmlNode *node, const char *device);

#endif /* SHYPER_LIB_DOMAIN_XML_H */
