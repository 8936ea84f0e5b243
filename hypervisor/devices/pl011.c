// SPDX-License-Identifier: GPL-2.0
/*
 * PL011 UART output for the hypervisor's console. Polled, no interrupts:
 * the hypervisor writes its log here, and after boot the MVM drives the
 * same UART as its own console.
 */
#include <hv/console.h>
#include <hv/log.h>
#include <hv/spinlock.h>

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF BIT(5)

static uint64_t uart_base;

void console_init(uint64_t base)
{
	uart_base = base;
}

static void put_char(char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(uart_base + UART_FR);
	volatile uint32_t *dr = (volatile uint32_t *)(uart_base + UART_DR);

	for (unsigned spin = 0; (*fr & UART_FR_TXFF) && spin < 1000000; spin++)
		;
	*dr = (uint32_t)(unsigned char)c;
}

void console_write(const char *s, size_t len)
{
	if (!uart_base)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			put_char('\r');
		put_char(s[i]);
	}
}
