/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reaching a VM's memory from the hypervisor. Every range a VM names (an
 * IPA and a length from a hypercall) goes through here: it must lie wholly
 * inside one of the VM's RAM regions, without wrapping, or nothing is
 * touched.
 */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include <hv/vm.h>

/* The hypervisor's pointer to [ipa, ipa+len) of vm's RAM, or NULL. */
void *guest_mem_ptr(const struct vm *vm, ipaddr_t ipa, uint64_t len);
/* Copy into / out of the VM's RAM; false (nothing copied) if the range is bad. */
bool guest_mem_write(const struct vm *vm, ipaddr_t ipa, const void *src, uint64_t len);
bool guest_mem_read(const struct vm *vm, ipaddr_t ipa, void *dst, uint64_t len);

#endif
