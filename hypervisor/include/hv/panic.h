/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HV_PANIC_H
#define HV_PANIC_H

/* Print the message, stop every pCPU. Never returns. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define BUG_ON(cond)                                                          \
	do {                                                                  \
		if (cond)                                                     \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif
