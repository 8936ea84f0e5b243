/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H
#include <hv/types.h>
/* Start writing the console to the UART at base (mapped by the caller). */
void console_init(uint64_t base);
/* Replay what was logged so far to the console; from now on log lines go there too. */
void log_console_ready(void);
/* The console is up again after a live update: no replay, the ring was shown. */
void log_console_attach(void);
#endif
