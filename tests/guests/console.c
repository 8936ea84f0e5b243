// SPDX-License-Identifier: GPL-2.0
/*
 * Console output of the test guest: the guest machine's PL011 at
 * SHYPER_GUEST_UART_BASE (where QEMU virt has its UART too), polled, and a
 * small printf on top. Only one vCPU prints at a time (the modes take
 * turns), so there is no lock.
 */
#include <stdarg.h>

#include <shyper/abi.h>

#include "testguest.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1U << 5)

static volatile uint32_t *uart_reg(unsigned int offset)
{
	return (volatile uint32_t *)(uintptr_t)(SHYPER_GUEST_UART_BASE + offset);
}

void console_putc(char c)
{
	if (c == '\n')
		console_putc('\r');
	while (*uart_reg(UART_FR) & UART_FR_TXFF)
		;
	*uart_reg(UART_DR) = (uint8_t)c;
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

/* Prints VALUE in BASE, at least WIDTH digits wide, padded with PAD. */
static void print_number(uint64_t value, unsigned int base, unsigned int width, char pad)
{
	char digits[24];
	unsigned int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value);
	while (width > n) {
		console_putc(pad);
		width--;
	}
	while (n)
		console_putc(digits[--n]);
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		bool alt = false;
		char pad = ' ';
		unsigned int width = 0, longs = 0;
		uint64_t value;
		int64_t svalue;

		if (*fmt != '%') {
			console_putc(*fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '#')
				alt = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
			svalue = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (svalue < 0) {
				console_putc('-');
				value = -(uint64_t)svalue;
			} else {
				value = (uint64_t)svalue;
			}
			print_number(value, 10, width, pad);
			break;
		case 'u':
		case 'x':
			value = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			if (*fmt == 'x' && alt)
				console_puts("0x");
			print_number(value, *fmt == 'x' ? 16 : 10, width, pad);
			break;
		case 'p':
			console_puts("0x");
			print_number((uintptr_t)va_arg(ap, void *), 16, width, pad);
			break;
		case 's':
			console_puts(va_arg(ap, const char *));
			break;
		case 'c':
			console_putc((char)va_arg(ap, int));
			break;
		case '%':
			console_putc('%');
			break;
		default:
			/* Not supported: show it rather than guess. */
			console_putc('%');
			if (*fmt)
				console_putc(*fmt);
			else
				fmt--;
			break;
		}
	}
	va_end(ap);
}
