/* SPDX-License-Identifier: GPL-2.0 */
/* Emulated MMIO regions of a VM. */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include <hv/types.h>

struct vcpu;
struct vm;

/* Does one of the VM's emulated devices live at ipa? (No side effects.) */
bool mmio_claims(const struct vm *vm, uint64_t ipa);
/* Emulate an access to whatever device the VM has at ipa; false if none. */
bool mmio_emulate(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val);
/* Emulate an access to the virtual GICv3; false if ipa is not one of its frames. */
bool vgicv3_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val);
/* Emulate a write to ICC_SGI1R_EL1. */
void vgicv3_sgi(struct vcpu *vcpu, uint64_t value);

#endif
