// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Defining and undefining managed VMs, and looking their definitions up.
 * define checks a definition against the board (its pCPUs, their model,
 * the guest pool) and checks its files before it stores it; it refuses a
 * name or UUID that belongs to another VM.
 *
 * The hypervisor knows VMs by id and name; a definition by name and UUID.
 * A VM's name is the key between them: the hypervisor refuses a second VM
 * of the same name, and define refuses a name the hypervisor already uses
 * for a VM without a definition.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shyper/domain.h>

#include "board_cpu.h"
#include "domain_internal.h"
#include "internal.h"
#include "manage_internal.h"

/* A random (version 4) UUID from the kernel's generator. */
static int uuid_generate(struct shyper *h, uint8_t uuid[16])
{
	size_t done = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot open /dev/urandom: %s",
				   strerror(errno));
	while (done < 16) {
		ssize_t n = read(fd, uuid + done, 16 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot read /dev/urandom");
		}
		done += (size_t)n;
	}
	close(fd);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	return 0;
}

/*
 * <cpu mode='custom'><model>: every pCPU the guest runs on must be that
 * model (QEMU's 'max' and 'host' name whatever it is). A pCPU whose model
 * the MVM cannot tell (offline in the MVM) is taken to be what CPU 0 is.
 */
static int check_cpu_model(struct shyper *h, const struct shyper_domain *dom)
{
	if (dom->cpu_mode != SHYPER_CPU_CUSTOM || !strcmp(dom->cpu_model, "max") ||
	    !strcmp(dom->cpu_model, "host"))
		return 0;
	for (unsigned int v = 0; v < dom->vcpu_count; v++) {
		unsigned int pcpu = (unsigned int)shyper_domain_vcpu_pcpu(dom, v);
		const char *have;
		uint64_t midr;

		if (board_cpu_midr(pcpu, &midr) && board_cpu_midr(0, &midr))
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': <cpu><model>%s</model>: the MVM cannot tell the "
					   "board's CPU model (use <cpu mode='host-passthrough'/>)",
					   dom->name, dom->cpu_model);
		have = board_cpu_model_name(midr);
		if (!have)
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': <cpu><model>%s</model>, but pCPU %u (vCPU %u's) is a "
					   "CPU Shyper has no name for (MIDR 0x%llx): use <cpu "
					   "mode='host-passthrough'/>", dom->name, dom->cpu_model, pcpu, v,
					   (unsigned long long)midr);
		if (strcmp(have, dom->cpu_model))
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': <cpu><model>%s</model>, but pCPU %u (vCPU %u's) is a "
					   "%s: a guest's vCPUs are the board's CPUs (name that model, or "
					   "use <cpu mode='host-passthrough'/>)", dom->name,
					   dom->cpu_model, pcpu, v, have);
	}
	return 0;
}

/* What the hypervisor will say about DOM's shape, said first and better. */
static int check_against_hv(struct shyper *h, const struct shyper_domain *dom,
			    const struct shyper_hv_info *hv)
{
	for (unsigned int v = 0; v < dom->vcpu_count; v++) {
		int pcpu = shyper_domain_vcpu_pcpu(dom, v);

		if (pcpu < 0 || (uint32_t)pcpu >= hv->pcpu_count)
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': vCPU %u %s pCPU %d, but the board has pCPUs 0-%u "
					   "only (see <cputune>)", dom->name, v,
					   dom->vcpu_pcpu[v] == SHYPER_DOMAIN_PCPU_UNPINNED
						   ? "is not pinned, so it would run on"
						   : "is pinned to",
					   pcpu, hv->pcpu_count - 1);
	}
	if (check_cpu_model(h, dom))
		return SHYPER_ERR_INVALID;
	if (dom->memory > hv->pool_total)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY,
				   "VM '%s': %llu MiB of memory is more than the whole guest pool "
				   "(%llu MiB; the hypervisor's pool= argument sets it)", dom->name,
				   (unsigned long long)(dom->memory >> 20),
				   (unsigned long long)(hv->pool_total >> 20));
	return 0;
}

int shyper_domain_define(struct shyper *h, struct shyper_domain *dom, bool *replaced)
{
	return manage_define(h, dom, replaced, true);
}

int manage_define(struct shyper *h, struct shyper_domain *dom, bool *replaced, bool disks_here)
{
	struct shyper_hv_info hv;
	struct shyper_vm_info info;
	char path[PATH_MAX];
	char **names = NULL;
	size_t count = 0;
	char *xml = NULL;
	int lock = -1, rc;

	shyper_clear_error(h);
	if (replaced)
		*replaced = false;
	if (!dom || !manage_name_ok(dom->name))
		return shyper_fail(h, SHYPER_ERR_INVALID, "defining a VM: no valid definition given");
	rc = shyper_hv_info(h, &hv);
	if (!rc)
		rc = check_against_hv(h, dom, &hv);
	if (!rc && disks_here) {
		rc = manage_check_files(h, dom);
	} else if (!rc) {
		struct shyper_domain boot = *dom;

		boot.disk_count = 0;
		rc = manage_check_files(h, &boot);
	}
	if (!rc)
		rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;

	/* The hypervisor's VMs without a definition (the MVM) keep their names. */
	rc = manage_def_path(h, dom->name, path, sizeof(path));
	if (rc)
		goto out;
	rc = manage_hv_find(h, dom->name, &info);
	if (rc < 0)
		goto out;
	if (rc == 1 && access(path, F_OK) < 0) {
		rc = shyper_fail(h, SHYPER_ERR_EXISTS,
				 "VM '%s' already exists (id %u, %s) and is not a defined VM",
				 dom->name, info.id, shyper_vm_type_name(info.type));
		goto out;
	}
	rc = manage_def_names(h, &names, &count);
	for (size_t i = 0; !rc && i < count; i++) {
		struct shyper_domain *other;

		rc = manage_def_read(h, names[i], &other);
		if (rc && strcmp(names[i], dom->name)) {
			/* Another VM's damaged file says nothing about this one. */
			shyper_clear_error(h);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		if (!strcmp(other->name, dom->name)) {
			if (shyper_uuid_is_zero(dom->uuid) ||
			    memcmp(other->uuid, dom->uuid, sizeof(dom->uuid))) {
				char uuid[37];

				shyper_uuid_format(other->uuid, uuid);
				rc = shyper_fail(h, SHYPER_ERR_EXISTS,
						 "VM '%s' is already defined (with UUID %s); to "
						 "change its definition give that UUID, or undefine "
						 "it first", dom->name, uuid);
			} else if (replaced) {
				*replaced = true;
			}
		} else if (!shyper_uuid_is_zero(dom->uuid) &&
			   !memcmp(other->uuid, dom->uuid, sizeof(dom->uuid))) {
			char uuid[37];

			shyper_uuid_format(dom->uuid, uuid);
			rc = shyper_fail(h, SHYPER_ERR_EXISTS, "UUID %s already belongs to VM '%s'",
					 uuid, other->name);
		}
		shyper_domain_free(other);
	}
	if (rc)
		goto out;
	if (shyper_uuid_is_zero(dom->uuid)) {
		rc = uuid_generate(h, dom->uuid);
		if (rc)
			goto out;
	}
	/* As libvirt does, the stored definition says which MAC each NIC has. */
	for (size_t i = 0; i < dom->interface_count; i++)
		shyper_guest_nic_mac(dom, i, dom->interfaces[i].mac);
	xml = shyper_domain_to_xml(dom);
	if (!xml) {
		rc = shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	rc = manage_write_atomic(h, path, xml, strlen(xml));
out:
	free(xml);
	manage_names_free(names, count);
	manage_store_unlock(lock);
	return rc;
}

int shyper_domain_lookup_running(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	shyper_clear_error(h);
	if (!dom)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no place for the definition");
	return manage_running_copy_read(h, name, dom);
}

int shyper_domain_lookup(struct shyper *h, const char *name, struct shyper_domain **dom)
{
	shyper_clear_error(h);
	if (!dom)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no place for the definition");
	return manage_def_read(h, name, dom);
}

int shyper_domain_undefine(struct shyper *h, const char *name)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_info info;
	char path[PATH_MAX];
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = manage_hv_find(h, name ? name : "", &info);
	if (rc < 0)
		goto out;
	if (rc == 1 && info.type == SHYPER_VM_MVM) {
		rc = shyper_fail(h, SHYPER_ERR_PERMISSION,
				 "VM '%s' is the management VM: it cannot be undefined", name);
		goto out;
	}
	if (rc == 1 && info.state != SHYPER_VM_SHUTOFF && info.state != SHYPER_VM_DEFINED) {
		rc = shyper_fail(h, SHYPER_ERR_BUSY,
				 "VM '%s' is %s: stop or destroy it before undefining it", name,
				 shyper_vm_state_name(info.state));
		goto out;
	}
	/* Only the file has to exist: a damaged definition can go too. */
	if (!manage_name_ok(name)) {
		rc = shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s'", name ? name : "");
		goto out;
	}
	rc = manage_def_path(h, name, path, sizeof(path));
	if (rc)
		goto out;
	if (access(path, F_OK) < 0) {
		rc = shyper_fail(h, SHYPER_ERR_NO_ENTRY, "no VM named '%s' is defined", name);
		goto out;
	}
	/* A VM that powered itself off and was not yet released goes too. */
	if (manage_hv_find(h, name, &info) == 1)
		manage_release_vm(h, name, info.id);
	if (unlink(path) < 0) {
		rc = shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot remove %s: %s", path, strerror(errno));
		goto out;
	}
	manage_run_forget(h, name);
	rc = 0;
out:
	shyper_domain_free(dom);
	manage_store_unlock(lock);
	return rc;
}
