// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyper-top's compact units: a dashboard cell is a few characters wide, so
 * numbers are cut to about two significant digits ("1.2k", "34M"), times
 * to their largest parts, and a guest's console to what a terminal can
 * show without being driven by it.
 */
#include <string.h>

#include "top.h"

void top_format_units(char *buf, size_t size, double value, double base)
{
	static const char units[] = "kMGTPE";
	int unit = -1;

	if (!(value > 0.0)) { /* also NaN */
		snprintf(buf, size, "0");
		return;
	}
	if (value < 9.95) {
		if (value == (double)(long long)value)
			snprintf(buf, size, "%.0f", value);
		else
			snprintf(buf, size, "%.1f", value);
		return;
	}
	while (value >= 999.5 && unit < (int)sizeof(units) - 2) {
		value /= base;
		unit++;
	}
	if (unit < 0)
		snprintf(buf, size, "%.0f", value);
	else if (value < 9.95)
		snprintf(buf, size, "%.1f%c", value, units[unit]);
	else
		snprintf(buf, size, "%.0f%c", value, units[unit]);
}

void top_format_uptime(char *buf, size_t size, uint64_t ns)
{
	unsigned long long s = ns / 1000000000ULL;

	if (s < 60)
		snprintf(buf, size, "%llus", s);
	else if (s < 3600)
		snprintf(buf, size, "%llu:%02llu", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%llu:%02lluh", s / 3600, s / 60 % 60);
	else if (s < 100 * 86400ULL)
		snprintf(buf, size, "%llud%02lluh", s / 86400, s / 3600 % 24);
	else
		snprintf(buf, size, "%llud", s / 86400);
}

void top_format_percent(char *buf, size_t size, double pct)
{
	if (!(pct > 0.0))
		snprintf(buf, size, "0.0");
	else if (pct < 999.95)
		snprintf(buf, size, "%.1f", pct);
	else
		snprintf(buf, size, "999+");
}

size_t top_console_clean(char *text, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		unsigned char c = (unsigned char)text[in++];

		if (c == 0x1b) {
			if (in < len && text[in] == '[') {
				/* CSI: parameters, then one final byte in 0x40..0x7e */
				for (in++; in < len; in++)
					if (text[in] >= 0x40 && text[in] <= 0x7e) {
						in++;
						break;
					}
			} else if (in < len && text[in] == ']') {
				/* OSC: up to BEL or ESC \ */
				for (in++; in < len; in++) {
					if (text[in] == 0x07) {
						in++;
						break;
					}
					if (text[in] == 0x1b && in + 1 < len && text[in + 1] == '\\') {
						in += 2;
						break;
					}
				}
			} else if (in < len) {
				in++; /* a two-byte escape */
			}
		} else if (c == '\n') {
			text[out++] = '\n';
		} else if (c == '\t') {
			text[out++] = ' ';
		} else if (c >= 0x20 && c < 0x7f) {
			text[out++] = (char)c;
		} else if (c >= 0x80) {
			/* one mark per UTF-8 character, not per byte */
			if ((c & 0xc0) != 0x80)
				text[out++] = '?';
		}
		/* other control characters (CR, BEL, BS, NUL...) are dropped */
	}
	text[out] = '\0';
	return out;
}

size_t top_console_tail(char *text, const char **lines, size_t max)
{
	size_t len = strlen(text), count = 0;
	char *end = text + len;

	if (!max || !len)
		return 0;
	if (end > text && end[-1] == '\n')
		*--end = '\0';
	/* Walk back over the lines, keeping the last MAX. */
	while (count < max) {
		char *start = end;

		while (start > text && start[-1] != '\n')
			start--;
		lines[count++] = start;
		if (start == text)
			break;
		start[-1] = '\0';
		end = start - 1;
	}
	/* They were found newest first. */
	for (size_t i = 0; i < count / 2; i++) {
		const char *tmp = lines[i];

		lines[i] = lines[count - 1 - i];
		lines[count - 1 - i] = tmp;
	}
	return count;
}
