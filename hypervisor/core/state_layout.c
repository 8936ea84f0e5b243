// SPDX-License-Identifier: GPL-2.0
/*
 * Not linked into anything: built with -g so that tools/state-layout.py
 * can read struct hv_state's layout from its DWARF (HV_STATE_LAYOUT).
 */
#include <hv/state.h>

struct hv_state *const state_layout_anchor;
