// SPDX-License-Identifier: GPL-2.0
/*
 * Not linked into anything: built with -g so that tools/state-layout.py
 * can read struct hv_state's layout from its DWARF (HV_STATE_LAYOUT), and
 * which layout versions this build lays out and takes over.
 */
#include <hv/state.h>

struct hv_state *const state_layout_anchor;
const unsigned int state_layout_version = HV_STATE_VERSION;
const unsigned int state_layout_version_min = HV_STATE_VERSION_MIN;
