/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Which of the MVM's CPUs shyperd runs on (cpus.c). */
#ifndef SHYPERD_CPUS_H
#define SHYPERD_CPUS_H

#include <stdbool.h>
#include <stddef.h>

#include <shyper/abi.h>

/*
 * From the VMs in VMS (the MVM among them): USE[i] (for i < MAX) says
 * whether the MVM's vCPU i sits on a pCPU that no running or paused
 * guest's vCPU is pinned to. Returns how many do; 0 without an MVM.
 */
size_t cpus_without_guests(const struct shyper_vm_info *vms, size_t count, bool *use,
			   size_t max);

/*
 * Moves shyperd to the MVM CPUs that cpus_without_guests() finds, among
 * those it was started with; to all of those when none is free of
 * guests. Does nothing when that is where it runs already; logs a move.
 */
void cpus_follow_guests(const struct shyper_vm_info *vms, size_t count);

#endif /* SHYPERD_CPUS_H */
