/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor's log: messages go to a ring buffer in the persistent state
 * area (read by `shyperctl hv log`) and, by level, to the console.
 */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Console threshold; the ring keeps at least LOG_INFO. */
void log_set_level(enum log_level level);
void log_set_console_level(enum log_level level);
/* Copy up to len bytes of the ring, oldest first, starting at byte offset off. */
size_t log_ring_read(char *buf, size_t len, size_t off);
size_t log_ring_size(void);

#define pr_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Console output: provided by the board's UART driver (or the fake arch). */
void console_write(const char *s, size_t len);

#endif
