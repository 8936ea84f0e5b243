/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Board devices handed from the MVM to one guest (SHYPER_DEV_PASSTHROUGH of
 * SHYPER_HC_VM_ADD_DEVICE; see devices/passthrough.c and docs/abi.md).
 *
 * A passthrough device is an MMIO range the MVM was given at boot, mapped
 * into the guest at the same address (IPA == PA) as device memory, and
 * optionally one physical SPI delivered to the guest alone, hardware-linked.
 * While a guest has it, the MVM's stage-2 has a hole there and the MVM's
 * vGIC never sees the SPI. Destroying the guest gives both back.
 */
#ifndef HV_PASSTHROUGH_H
#define HV_PASSTHROUGH_H

#include <hv/vm.h>
#include <shyper/abi.h>

/*
 * Give vm (a guest that has never started) the device dev describes, taken
 * from the MVM. caller is the VM making the call (it must be the MVM).
 * Every check comes first; on any error nothing has changed.
 * Returns SHYPER_OK or a SHYPER_E_* status.
 */
int64_t passthrough_add(struct vm *caller, struct vm *vm, const struct shyper_device_config *dev);

/*
 * Give every device of vm back to the MVM: its SPI (masked, routed to the
 * MVM) and its MMIO range (mapped into the MVM's stage-2 again). Call once
 * the guest's own stage-2 is gone and its TLB entries flushed.
 */
void passthrough_release(struct vm *vm);

/* Before a guest (re)starts: its physical SPIs masked and not pending, routed
 * to vCPU 0's pCPU, until the guest's driver enables them. */
void passthrough_vm_reset(struct vm *vm);

/* Has vm been given a board device that covers part of [base, base+length)
 * or the SPI spi? (Where an emulated device would go.) */
bool passthrough_claims(const struct vm *vm, uint64_t base, uint64_t length, uint32_t spi);

/* The guest holding any part of physical [base, base+length), or NULL. */
struct vm *passthrough_range_owner(uint64_t base, uint64_t length);

#endif
