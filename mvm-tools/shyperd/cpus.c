// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Which of the MVM's CPUs shyperd runs on (see cpus.h).
 *
 * The MVM has a vCPU on every pCPU, and guests' vCPUs share some of those
 * pCPUs. When shyperd serves a guest from the MVM vCPU that shares the
 * guest's own pCPU, the two take turns on it in time slices: the guest
 * stops while its own disk request is being served, and a busy guest
 * waits a slice for each answer. So shyperd keeps to the MVM vCPUs whose
 * pCPU runs no guest, when there are any, and follows guests as they
 * start and stop.
 *
 * The MVM's vCPU i is its Linux CPU i: the hypervisor gives vCPU i the
 * MPIDR of the board's i-th CPU, the order Linux numbers them in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <shyper/libshyper.h>

#include "cpus.h"
#include "shyperd.h"

size_t cpus_without_guests(const struct shyper_vm_info *vms, size_t count, bool *use,
			   size_t max)
{
	bool guest_on[256] = { false };
	const struct shyper_vm_info *mvm = NULL;
	size_t n = 0;

	memset(use, 0, max * sizeof(*use));
	for (size_t i = 0; i < count; i++) {
		const struct shyper_vm_info *vm = &vms[i];
		uint32_t vcpus = vm->vcpu_count < SHYPER_MAX_VCPUS ? vm->vcpu_count
								   : SHYPER_MAX_VCPUS;

		if (vm->type == SHYPER_VM_MVM) {
			mvm = vm;
			continue;
		}
		if (vm->state != SHYPER_VM_RUNNING && vm->state != SHYPER_VM_PAUSED)
			continue;
		for (uint32_t v = 0; v < vcpus; v++)
			guest_on[vm->vcpu_pcpu[v]] = true;
	}
	if (!mvm)
		return 0;
	for (uint32_t v = 0; v < mvm->vcpu_count && v < SHYPER_MAX_VCPUS && v < max; v++) {
		use[v] = !guest_on[mvm->vcpu_pcpu[v]];
		n += use[v];
	}
	return n;
}

static cpu_set_t started_with; /* the mask shyperd was started with */
static cpu_set_t current;
static bool known;

void cpus_follow_guests(const struct shyper_vm_info *vms, size_t count)
{
	bool use[CPU_SETSIZE];
	cpu_set_t want;
	char list[256] = "";
	size_t len = 0;
	bool shared;

	if (!known) {
		if (sched_getaffinity(0, sizeof(started_with), &started_with) < 0) {
			say(LOG_WARNING, "cannot read the CPUs allowed: %s", strerror(errno));
			return;
		}
		current = started_with;
		known = true;
	}
	/* Those free of guests among the CPUs it was given (a taskset is
	 * kept), or all of those when every one runs a guest too. */
	CPU_ZERO(&want);
	if (cpus_without_guests(vms, count, use, CPU_SETSIZE))
		for (size_t i = 0; i < CPU_SETSIZE; i++)
			if (use[i] && CPU_ISSET(i, &started_with))
				CPU_SET(i, &want);
	shared = !CPU_COUNT(&want);
	if (shared)
		want = started_with;
	if (CPU_EQUAL(&want, &current))
		return;
	if (sched_setaffinity(0, sizeof(want), &want) < 0) {
		say(LOG_WARNING, "cannot move to other CPUs: %s", strerror(errno));
		return;
	}
	current = want;
	for (size_t i = 0; i < CPU_SETSIZE && len < sizeof(list) - 8; i++)
		if (CPU_ISSET(i, &want))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%zu",
						len ? "," : "", i);
	say(LOG_INFO, "running on CPU %s (%s)", list,
	    shared ? "each one's pCPU also runs a guest" : "whose pCPUs run no guest");
}
