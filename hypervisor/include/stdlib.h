/* SPDX-License-Identifier: GPL-2.0 */
/* Only what libfdt_env.h expects from <stdlib.h>. */
#ifndef SHYPER_STDLIB_H
#define SHYPER_STDLIB_H
#include <string.h>
#endif
