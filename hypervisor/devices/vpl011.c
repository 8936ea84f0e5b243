// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated ARM PL011 UART, the console of guest VMs (see hv/vconsole.h).
 *
 * Transmission is instant: the TX FIFO is always empty, so the TX interrupt
 * is raised whenever the guest enables it (after an ICR clear, again at the
 * next write). Input arrives from the MVM into a small RX FIFO. The
 * interrupt line is level-sensitive: (RIS & IMSC) != 0. Loopback mode sends
 * nothing out. Stock Linux (amba-pl011) and bare-metal drivers work with it.
 */
#include <hv/events.h>
#include <hv/log.h>
#include <hv/vconsole.h>
#include <hv/vgic.h>
#include <hv/vm.h>
#include <shyper/abi.h>
#include <string.h>

#define UART_SIZE 0x1000
#define DR 0x000
#define RSR 0x004
#define FR 0x018
#define ILPR 0x020
#define IBRD 0x024
#define FBRD 0x028
#define LCR_H 0x02c
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044
#define DMACR 0x048
#define PERIPH_ID0 0xfe0

#define FR_RXFE BIT(4)
#define FR_TXFE BIT(7)
#define FR_RXFF BIT(6)
#define INT_RX BIT(4)
#define INT_TX BIT(5)
#define INT_RT BIT(6)
#define INT_ALL 0x7ff
#define CR_LBE BIT(7)

/* PL011 r1p5 peripheral and PrimeCell identification, 0xfe0..0xffc */
static const uint8_t id_regs[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void vconsole_init(struct vconsole *con, uint64_t base, uint32_t intid)
{
	memset(con, 0, sizeof(*con));
	con->notify_armed = true;
	con->base = base;
	con->intid = intid;
	con->cr = 0x300; /* TXE | RXE, as out of reset */
	con->ifls = 0x12;
}

void vconsole_reset(struct vconsole *con)
{
	spin_lock(&con->lock);
	con->cr = 0x300;
	con->ifls = 0x12;
	con->lcr_h = con->ibrd = con->fbrd = con->imsc = con->dmacr = 0;
	con->tx_irq_cleared = false;
	con->rx_head = con->rx_tail = 0;
	spin_unlock(&con->lock);
}

static uint32_t rx_count(const struct vconsole *con)
{
	return con->rx_head - con->rx_tail;
}

static uint32_t raw_irqs(const struct vconsole *con)
{
	uint32_t ris = 0;

	if (rx_count(con))
		ris |= INT_RX | INT_RT;
	if (!con->tx_irq_cleared)
		ris |= INT_TX;
	return ris;
}

/* Caller holds con->lock; the line is driven after it is dropped. */
static bool line_level(const struct vconsole *con)
{
	return raw_irqs(con) & con->imsc;
}

static void out_byte(struct vconsole *con, uint8_t c)
{
	con->out[con->out_written % VCONSOLE_OUT_SIZE] = c;
	con->out_written++;
}

void vconsole_rearm(struct vm *vm)
{
	vm->console.notify_armed = true;
}

static uint64_t reg_read(struct vconsole *con, uint64_t off)
{
	uint64_t v;

	switch (off) {
	case DR:
		if (!rx_count(con))
			return 0;
		v = con->rx[con->rx_tail % VCONSOLE_RX_SIZE];
		con->rx_tail++;
		return v;
	case FR:
		return FR_TXFE | (rx_count(con) ? 0 : FR_RXFE) |
		       (rx_count(con) == VCONSOLE_RX_SIZE ? FR_RXFF : 0);
	case IBRD:
		return con->ibrd;
	case FBRD:
		return con->fbrd;
	case LCR_H:
		return con->lcr_h;
	case CR:
		return con->cr;
	case IFLS:
		return con->ifls;
	case IMSC:
		return con->imsc;
	case RIS:
		return raw_irqs(con);
	case MIS:
		return raw_irqs(con) & con->imsc;
	case DMACR:
		return con->dmacr;
	default:
		if (off >= PERIPH_ID0 && off < PERIPH_ID0 + 0x20 && !(off & 3))
			return id_regs[(off - PERIPH_ID0) / 4];
		return 0; /* RSR, ILPR, unknown: read as zero */
	}
}

static void reg_write(struct vconsole *con, uint64_t off, uint32_t v)
{
	switch (off) {
	case DR:
		if (!(con->cr & CR_LBE))
			out_byte(con, (uint8_t)v);
		con->tx_irq_cleared = false; /* the FIFO drained at once */
		break;
	case IBRD:
		con->ibrd = v & 0xffff;
		break;
	case FBRD:
		con->fbrd = v & 0x3f;
		break;
	case LCR_H:
		con->lcr_h = v & 0xff;
		break;
	case CR:
		con->cr = v & 0xff87;
		break;
	case IFLS:
		con->ifls = v & 0x3f;
		break;
	case IMSC:
		con->imsc = v & INT_ALL;
		break;
	case ICR:
		if (v & INT_TX)
			con->tx_irq_cleared = true;
		break;
	case DMACR:
		con->dmacr = 0; /* no DMA */
		break;
	default:
		break; /* RSR/ECR clear, read-only and unknown registers: ignored */
	}
}

bool vconsole_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);
	struct vconsole *con = &vm->console;
	uint64_t off;
	bool level, notify;

	if (!con->base || ipa < con->base || ipa >= con->base + UART_SIZE)
		return false;
	off = ipa - con->base;
	(void)size;
	spin_lock(&con->lock);
	if (write)
		reg_write(con, off, (uint32_t)*val);
	else
		*val = reg_read(con, off);
	level = line_level(con);
	/* One event per read of the console by the MVM, not one per byte. */
	notify = write && off == DR && con->notify_armed;
	if (notify)
		con->notify_armed = false;
	spin_unlock(&con->lock);
	vgic_spi_set_line(vm, con->intid, level);
	if (notify)
		events_post(SHYPER_EVENT_CONSOLE, vm->id, con->out_written, 0);
	return true;
}

void vconsole_output(struct vm *vm, const uint8_t *buf, size_t len)
{
	struct vconsole *con = &vm->console;
	bool notify;

	if (!len)
		return;
	spin_lock(&con->lock);
	/* Only the newest bytes survive in the ring: skip what would not. */
	if (len > VCONSOLE_OUT_SIZE) {
		con->out_written += len - VCONSOLE_OUT_SIZE;
		buf += len - VCONSOLE_OUT_SIZE;
		len = VCONSOLE_OUT_SIZE;
	}
	for (size_t i = 0; i < len; i++)
		out_byte(con, buf[i]);
	notify = con->notify_armed;
	con->notify_armed = false;
	spin_unlock(&con->lock);
	if (notify)
		events_post(SHYPER_EVENT_CONSOLE, vm->id, con->out_written, 0);
}

size_t vconsole_read(struct vm *vm, uint64_t from, uint8_t *buf, size_t len, uint64_t *start)
{
	struct vconsole *con = &vm->console;
	uint64_t oldest, n = 0;

	spin_lock(&con->lock);
	oldest = con->out_written > VCONSOLE_OUT_SIZE ? con->out_written - VCONSOLE_OUT_SIZE : 0;
	if (from < oldest)
		from = oldest;
	while (from + n < con->out_written && n < len) {
		buf[n] = con->out[(from + n) % VCONSOLE_OUT_SIZE];
		n++;
	}
	spin_unlock(&con->lock);
	*start = from;
	return n;
}

size_t vconsole_write(struct vm *vm, const uint8_t *buf, size_t len)
{
	struct vconsole *con = &vm->console;
	size_t n = 0;
	bool level;

	if (!con->base)
		return 0;
	spin_lock(&con->lock);
	while (n < len && rx_count(con) < VCONSOLE_RX_SIZE) {
		con->rx[con->rx_head % VCONSOLE_RX_SIZE] = buf[n++];
		con->rx_head++;
	}
	level = line_level(con);
	spin_unlock(&con->lock);
	vgic_spi_set_line(vm, con->intid, level);
	return n;
}
