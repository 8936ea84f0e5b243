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

#endif
