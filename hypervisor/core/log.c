// SPDX-License-Identifier: GPL-2.0
/*
 * Hypervisor log: formatted lines go to the ring in the state area, and to
 * the console when one is up. Lines written before the console exists are
 * replayed to it by log_console_ready().
 */
#include <hv/log.h>
#include <hv/spinlock.h>
#include <hv/state.h>

static struct spinlock log_lock;
/*
 * The ring keeps info and above (debug too at loglevel=3). The console
 * shows the same until the MVM owns the shared UART; from then on only
 * warnings and errors, unless loglevel= was given, so that the hypervisor
 * does not cut into the MVM's own output. Both levels live in the state
 * area (a new image keeps them); LOG_INFO until it exists.
 */
static bool console_ready;

static enum log_level ring_level(void)
{
	return hv_state ? (enum log_level)hv_state->log_ring_level : LOG_INFO;
}

static enum log_level console_level(void)
{
	return hv_state ? (enum log_level)hv_state->log_console_level : LOG_INFO;
}

static const char *const level_tag[] = { "error: ", "warning: ", "", "debug: " };

void log_set_level(enum log_level level)
{
	if (!hv_state)
		return;
	hv_state->log_console_level = (uint8_t)level;
	hv_state->log_ring_level = (uint8_t)MAX(level, LOG_INFO);
}

void log_set_console_level(enum log_level level)
{
	if (hv_state)
		hv_state->log_console_level = (uint8_t)level;
}

static void ring_append(const char *s, size_t len)
{
	if (!hv_state)
		return;
	for (size_t i = 0; i < len; i++)
		hv_state->log_ring[(hv_state->log_written + i) % LOG_RING_SIZE] = s[i];
	hv_state->log_written += len;
}

size_t log_ring_size(void)
{
	if (!hv_state)
		return 0;
	return hv_state->log_written < LOG_RING_SIZE ? hv_state->log_written : LOG_RING_SIZE;
}

size_t log_ring_read(char *buf, size_t len, size_t off)
{
	size_t avail, start, n;

	spin_lock(&log_lock);
	avail = log_ring_size();
	start = hv_state ? hv_state->log_written - avail : 0;
	n = off < avail ? MIN(len, avail - off) : 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = hv_state->log_ring[(start + off + i) % LOG_RING_SIZE];
	spin_unlock(&log_lock);
	return n;
}

void log_console_attach(void)
{
	console_ready = true;
}

void log_console_ready(void)
{
	char chunk[256];
	size_t off = 0, n;

	console_ready = true;
	while ((n = log_ring_read(chunk, sizeof(chunk), off)) > 0) {
		console_write(chunk, n);
		off += n;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (level > ring_level() && level > console_level())
		return;
	n = snprintf(line, sizeof(line), "shyper: %s", level_tag[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';

	spin_lock(&log_lock);
	if (level <= ring_level())
		ring_append(line, (size_t)n);
	if (console_ready && level <= console_level())
		console_write(line, (size_t)n);
	spin_unlock(&log_lock);
}
