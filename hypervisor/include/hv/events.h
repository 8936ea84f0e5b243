/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events from the hypervisor to the MVM: a ring in MVM memory (registered
 * by the MVM) plus one virtual interrupt (see struct shyper_event_ring).
 */
#ifndef HV_EVENTS_H
#define HV_EVENTS_H

#include <hv/vm.h>

/* Register (size > 0) or drop (ipa == 0) the MVM's ring. Returns SHYPER_* status. */
int64_t events_setup(struct vm *mvm, ipaddr_t ipa, uint64_t size);
/* Post an event and raise the MVM's notification interrupt. False if no ring. */
bool events_post(uint32_t type, uint32_t vm_id, uint64_t d0, uint64_t d1);

#endif
