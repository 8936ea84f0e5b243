/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HV_SMCCC_H
#define HV_SMCCC_H

#include <hv/vm.h>

#define SMCCC_RET_NOT_SUPPORTED (-1)

/* Serve the SMCCC call in the vCPU's x0..x7; results land in its x0..x3. */
void smccc_handle(struct vcpu *vcpu);

#endif
