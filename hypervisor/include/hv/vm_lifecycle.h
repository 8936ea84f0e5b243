/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest VMs from birth to death, as the MVM drives them (see
 * core/vm_lifecycle.c). Every function checks everything first and returns
 * a SHYPER_* status; on error nothing has changed.
 */
#ifndef HV_VM_LIFECYCLE_H
#define HV_VM_LIFECYCLE_H

#include <hv/vm.h>
#include <shyper/abi.h>

int64_t vm_create(const struct shyper_vm_config *cfg, uint16_t *id);
/* Copy len bytes from the caller's RAM at src into the guest's RAM at dst. */
int64_t vm_load(struct vm *vm, ipaddr_t dst, const struct vm *caller, ipaddr_t src, uint64_t len);
int64_t vm_start(struct vm *vm);
int64_t vm_stop(struct vm *vm);
int64_t vm_destroy(struct vm *vm);
/* Ask a running guest to power off: press its power button (ABI 1.2). */
int64_t vm_shutdown(struct vm *vm);
int64_t vm_pause(struct vm *vm);
int64_t vm_resume(struct vm *vm);
/* Give a VM that has never started a device (ABI 1.3, core/vm_device.c). */
int64_t vm_add_device(struct vm *vm, const struct shyper_device_config *dev);
/* A guest VM by id: NULL for the MVM, a free slot or a bad id. */
struct vm *vm_get_guest(uint64_t id);

#endif
