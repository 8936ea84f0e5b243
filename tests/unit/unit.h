/* SPDX-License-Identifier: GPL-2.0 */
/* What every host unit test includes: cmocka and the fake arch hooks. */
#ifndef SHYPER_UNIT_H
#define SHYPER_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "fake.h"

/* cmocka's assert_string_contains does not exist in 1.1: one of our own. */
#define assert_contains(haystack, needle)                                        \
	do {                                                                     \
		const char *h_ = (haystack), *n_ = (needle);                     \
		if (!strstr(h_, n_))                                             \
			fail_msg("\"%s\" does not contain \"%s\"", h_, n_);      \
	} while (0)

/* A fresh, empty state area as the hypervisor creates it at boot (hv_state). */
#include <stdlib.h>
#include <hv/state.h>

static inline struct hv_state *unit_state_new(void)
{
	void *area = calloc(1, sizeof(struct hv_state));

	return area ? state_create(area, sizeof(struct hv_state)) : NULL;
}

static inline void unit_state_free(void)
{
	free(hv_state);
	hv_state = NULL;
}

#endif
