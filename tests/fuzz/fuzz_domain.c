// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: libshyper's domain XML parser on arbitrary input. What
 * it accepts must write back (dumpxml) to XML it reads to the same
 * definition, and give a device tree that libfdt finds sound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <shyper/domain.h>

static int same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_disks(const struct shyper_domain *a, const struct shyper_domain *b)
{
	if (a->disk_count != b->disk_count)
		return 0;
	for (size_t i = 0; i < a->disk_count; i++)
		if (strcmp(a->disks[i].source, b->disks[i].source) ||
		    strcmp(a->disks[i].target, b->disks[i].target) ||
		    a->disks[i].readonly != b->disks[i].readonly)
			return 0;
	return 1;
}

static int same_interfaces(const struct shyper_domain *a, const struct shyper_domain *b)
{
	if (a->interface_count != b->interface_count)
		return 0;
	for (size_t i = 0; i < a->interface_count; i++)
		if (a->interfaces[i].type != b->interfaces[i].type ||
		    strcmp(a->interfaces[i].source, b->interfaces[i].source) ||
		    memcmp(a->interfaces[i].mac, b->interfaces[i].mac, 6))
			return 0;
	return 1;
}

static int same_domain(const struct shyper_domain *a, const struct shyper_domain *b)
{
	return !strcmp(a->name, b->name) && !memcmp(a->uuid, b->uuid, sizeof(a->uuid)) &&
	       a->type == b->type && a->memory == b->memory && a->vcpu_count == b->vcpu_count &&
	       !memcmp(a->vcpu_pcpu, b->vcpu_pcpu, sizeof(a->vcpu_pcpu)) &&
	       same_string(a->kernel, b->kernel) && same_string(a->initrd, b->initrd) &&
	       same_string(a->cmdline, b->cmdline) && same_string(a->dtb, b->dtb) &&
	       a->console_count == b->console_count &&
	       !memcmp(a->consoles, b->consoles, a->console_count * sizeof(a->consoles[0])) &&
	       same_disks(a, b) && same_interfaces(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shyper_domain_diag diag = { 0 };
	struct shyper_domain *dom = NULL, *again = NULL;
	struct shyper_vm_config config;
	size_t fdt_size;
	void *fdt;
	char *xml;
	int rc;

	rc = shyper_domain_parse_string((const char *)data, size, &dom, &diag);
	if (rc == 0 && diag.error_count)
		abort();
	if (rc != 0 && (dom || !diag.error_count))
		abort();
	shyper_domain_diag_free(&diag);
	if (rc)
		return 0;

	xml = shyper_domain_to_xml(dom);
	if (!xml || shyper_domain_parse_string(xml, strlen(xml), &again, &diag) ||
	    !same_domain(dom, again) || shyper_domain_to_config(dom, &config))
		abort();
	/* A user <dtb> would be a file: the generator is what is fuzzed here. */
	free(dom->dtb);
	dom->dtb = NULL;
	if (shyper_guest_fdt_build(dom, NULL, &fdt, &fdt_size, &diag) ||
	    fdt_check_full(fdt, fdt_size))
		abort();
	free(fdt);
	free(xml);
	shyper_domain_diag_free(&diag);
	shyper_domain_free(again);
	shyper_domain_free(dom);
	return 0;
}
