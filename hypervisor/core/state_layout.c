// SPDX-License-Identifier: GPL-2.0
/*
 * Not linked into anything: built with -g so that tools/state-layout.py
 * can read struct hv_state's layout from its DWARF (HV_STATE_LAYOUT), the
 * structures of a guest's state as it travels (core/vmstate.c), and
 * which layout versions this build lays out and takes over.
 */
#include <hv/state.h>
#include <hv/vmstate.h>

struct hv_state *const state_layout_anchor;
/* The records of a guest's state as it travels (hv/vmstate.h). */
const struct vmstate_vm *const vmstate_vm_anchor;
const struct vmstate_vcpu *const vmstate_vcpu_anchor;
const unsigned int state_layout_version = HV_STATE_VERSION;
const unsigned int state_layout_version_min = HV_STATE_VERSION_MIN;
