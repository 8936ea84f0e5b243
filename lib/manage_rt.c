// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Real-time VMs' pCPUs, on the MVM's side. An RTVM has its pCPUs to itself
 * while it runs: the MVM gives up its own CPU on each of them through
 * Linux's CPU hotplug (writing 0 to /sys/devices/system/cpu/cpuN/online
 * makes Linux move its tasks and interrupts away, then call PSCI CPU_OFF),
 * as Jailhouse's root cell gives CPUs to a cell, and takes it back when the
 * RTVM is gone. The MVM's CPU n is on pCPU n. The hypervisor enforces the
 * rule (core/rt.c); the checks here come first to say it in a clear line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain_internal.h"
#include "hostdev_internal.h"
#include "internal.h"
#include "manage_internal.h"

static bool uses_pcpu(const struct shyper_domain *dom, unsigned int pcpu)
{
	for (unsigned int v = 0; v < dom->vcpu_count; v++)
		if ((unsigned int)shyper_domain_vcpu_pcpu(dom, v) == pcpu)
			return true;
	return false;
}

int manage_rt_check_start(struct shyper *h, const struct shyper_domain *dom)
{
	struct shyper_vm_info *vms;
	size_t count;
	int rc = shyper_vm_list(h, &vms, &count);

	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < count; i++) {
		const struct shyper_vm_info *vm = &vms[i];

		if (vm->type == SHYPER_VM_MVM || !strncmp(vm->name, dom->name, SHYPER_NAME_LEN) ||
		    (vm->state != SHYPER_VM_RUNNING && vm->state != SHYPER_VM_PAUSED))
			continue;
		for (uint32_t k = 0; !rc && k < vm->vcpu_count && k < SHYPER_MAX_VCPUS; k++) {
			unsigned int pcpu = vm->vcpu_pcpu[k];

			if (!uses_pcpu(dom, pcpu))
				continue;
			if (dom->type == SHYPER_VM_RTVM)
				rc = shyper_fail(h, SHYPER_ERR_BUSY,
						 "VM '%s': pCPU %u runs VM '%.*s' (its vCPU %u), and a "
						 "real-time VM has its pCPUs to itself", dom->name, pcpu,
						 SHYPER_NAME_LEN, vm->name, k);
			else if (vm->type == SHYPER_VM_RTVM)
				rc = shyper_fail(h, SHYPER_ERR_BUSY,
						 "VM '%s': pCPU %u is real-time VM '%.*s''s while it runs",
						 dom->name, pcpu, SHYPER_NAME_LEN, vm->name);
		}
	}
	shyper_vm_list_free(vms);
	return rc;
}

/* Writes "0" or "1" to the MVM's CPU PCPU's online file. */
static int cpu_online_set(struct shyper *h, unsigned int pcpu, bool online)
{
	char path[PATH_MAX];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/devices/system/cpu/cpu%u/online", shyper_sysfs_root(),
		 pcpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot %s the MVM's CPU %u (%s): %s",
				   online ? "take back" : "give up", pcpu, path, strerror(saved));
	}
	n = write(fd, online ? "1\n" : "0\n", 2);
	saved = errno;
	close(fd);
	if (n != 2)
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot %s the MVM's CPU %u: %s",
				   online ? "take back" : "give up", pcpu,
				   n < 0 ? strerror(saved) : "short write");
	return 0;
}

int manage_rt_take_cpus(struct shyper *h, const struct shyper_domain *dom)
{
	if (dom->type != SHYPER_VM_RTVM)
		return 0;
	for (unsigned int v = 0; v < dom->vcpu_count; v++) {
		int rc = cpu_online_set(h, (unsigned int)shyper_domain_vcpu_pcpu(dom, v), false);

		if (rc) {
			char message[SHYPER_MESSAGE_LEN];

			/* Nothing changes: what was taken goes back. */
			snprintf(message, sizeof(message), "%s", h->message);
			for (unsigned int w = 0; w < v; w++)
				cpu_online_set(h, (unsigned int)shyper_domain_vcpu_pcpu(dom, w), true);
			return shyper_fail(h, rc, "%s", message);
		}
	}
	return 0;
}

void manage_rt_give_back_cpus(struct shyper *h, const struct shyper_domain *dom)
{
	if (dom->type != SHYPER_VM_RTVM)
		return;
	for (unsigned int v = 0; v < dom->vcpu_count; v++)
		cpu_online_set(h, (unsigned int)shyper_domain_vcpu_pcpu(dom, v), true);
	shyper_clear_error(h);
}
