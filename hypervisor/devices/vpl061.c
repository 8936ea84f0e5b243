// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated ARM PL061 GPIO controller, the guest's power button (see
 * hv/vgpio.h). Stock Linux (gpio-pl061 + gpio-keys) works with it.
 *
 * A line's level is the output latch if the guest made it an output, else
 * what the outside drives on it. Every change of a level goes through the
 * interrupt detector: edge-sensitive lines (GPIOIS clear) latch a raw
 * interrupt on both edges (GPIOIBE) or on the edge GPIOIEV selects, until
 * the guest clears it in GPIOIC; level-sensitive lines raise it while the
 * level equals GPIOIEV. The combined interrupt is a level line to the vGIC:
 * high while (RIS & IE) != 0.
 *
 * Accesses are treated as vpl011 treats them: the registers are eight bits
 * wide, so any access width sees them in the low byte; unknown, read-only,
 * write-only and misaligned offsets read as zero and ignore writes.
 */
#include <hv/log.h>
#include <hv/vgic.h>
#include <hv/vgpio.h>
#include <hv/vm.h>
#include <string.h>

#define GPIO_SIZE 0x1000
#define DATA_END 0x400 /* GPIODATA: 0x000-0x3fc, address bits [9:2] are the mask */
#define DIR 0x400
#define IS 0x404
#define IBE 0x408
#define IEV 0x40c
#define IE 0x410
#define RIS 0x414
#define MIS 0x418
#define IC 0x41c
#define AFSEL 0x420
#define PERIPH_ID0 0xfe0

/* PL061 peripheral and PrimeCell identification, 0xfe0..0xffc */
static const uint8_t id_regs[8] = { 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void vgpio_init(struct vgpio *gpio, uint64_t base, uint32_t intid)
{
	memset(gpio, 0, sizeof(*gpio));
	gpio->base = base;
	gpio->intid = intid;
}

void vgpio_reset(struct vgpio *gpio)
{
	spin_lock(&gpio->lock);
	gpio->dir = gpio->is = gpio->ibe = gpio->iev = gpio->ie = gpio->afsel = 0;
	gpio->out = gpio->edge_ris = 0;
	gpio->in = gpio->pins = gpio->momentary = 0;
	spin_unlock(&gpio->lock);
}

static uint8_t line_levels(const struct vgpio *gpio)
{
	return (uint8_t)((gpio->out & gpio->dir) | (gpio->in & ~gpio->dir));
}

static uint8_t raw_irqs(const struct vgpio *gpio)
{
	uint8_t level = (uint8_t)(~(gpio->pins ^ gpio->iev) & gpio->is);

	return (uint8_t)((gpio->edge_ris & ~gpio->is) | level);
}

/* Run the edge detector over whatever changed since it last looked. */
static void sample(struct vgpio *gpio)
{
	uint8_t now = line_levels(gpio);
	uint8_t changed = (uint8_t)((now ^ gpio->pins) & ~gpio->is);
	/* Both edges, or the one whose new level equals IEV (1: rising). */
	uint8_t wanted = (uint8_t)(gpio->ibe | ~(now ^ gpio->iev));

	gpio->edge_ris |= changed & wanted;
	gpio->pins = now;
}

/*
 * Drive the vGIC line to match. Done under gpio->lock (the vGIC takes only
 * its own locks below it), so two pCPUs changing the device cannot leave
 * the line at a level older than the registers.
 */
static void line_update(struct vm *vm, struct vgpio *gpio)
{
	vgic_spi_set_line(vm, gpio->intid, raw_irqs(gpio) & gpio->ie);
}

static uint8_t data_read(struct vgpio *gpio, uint64_t off)
{
	uint8_t mask = (uint8_t)(off >> 2);
	uint8_t v = gpio->pins & mask;
	/* Buttons the guest has now seen pressed are let go. */
	uint8_t seen = (uint8_t)(v & gpio->momentary & ~gpio->dir);

	if (seen) {
		gpio->momentary &= (uint8_t)~seen;
		gpio->in &= (uint8_t)~seen;
		sample(gpio);
	}
	return v;
}

static uint64_t reg_read(struct vgpio *gpio, uint64_t off)
{
	if (off & 3)
		return 0;
	if (off < DATA_END)
		return data_read(gpio, off);
	switch (off) {
	case DIR:
		return gpio->dir;
	case IS:
		return gpio->is;
	case IBE:
		return gpio->ibe;
	case IEV:
		return gpio->iev;
	case IE:
		return gpio->ie;
	case RIS:
		return raw_irqs(gpio);
	case MIS:
		return raw_irqs(gpio) & gpio->ie;
	case AFSEL:
		return gpio->afsel;
	default:
		if (off >= PERIPH_ID0 && off < PERIPH_ID0 + 0x20)
			return id_regs[(off - PERIPH_ID0) / 4];
		return 0; /* IC (write-only), unknown: read as zero */
	}
}

static void reg_write(struct vgpio *gpio, uint64_t off, uint8_t v)
{
	if (off & 3)
		return;
	if (off < DATA_END) {
		/* Only output lines take the value (input lines ignore it, as on
		 * the PL061, which Linux relies on in direction_output). */
		uint8_t mask = (uint8_t)(off >> 2) & gpio->dir;

		gpio->out = (uint8_t)((gpio->out & ~mask) | (v & mask));
		sample(gpio);
		return;
	}
	switch (off) {
	case DIR:
		gpio->dir = v;
		sample(gpio);
		break;
	case IS:
		/* A line changing to level sense forgets its latched edge. */
		gpio->is = v;
		gpio->edge_ris &= (uint8_t)~v;
		break;
	case IBE:
		gpio->ibe = v;
		break;
	case IEV:
		gpio->iev = v;
		break;
	case IE:
		gpio->ie = v;
		break;
	case IC:
		gpio->edge_ris &= (uint8_t)~v;
		break;
	case AFSEL:
		gpio->afsel = v; /* no hardware function behind any line: kept only */
		break;
	default:
		break; /* RIS, MIS, IDs (read-only), unknown: ignored */
	}
}

bool vgpio_mmio(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val)
{
	struct vm *vm = vcpu_vm(vcpu);
	struct vgpio *gpio = &vm->gpio;
	uint64_t off;

	if (!gpio->base || ipa < gpio->base || ipa >= gpio->base + GPIO_SIZE)
		return false;
	off = ipa - gpio->base;
	(void)size;
	spin_lock(&gpio->lock);
	if (write)
		reg_write(gpio, off, (uint8_t)*val);
	else
		*val = reg_read(gpio, off);
	line_update(vm, gpio);
	spin_unlock(&gpio->lock);
	return true;
}

bool vgpio_set_input(struct vm *vm, unsigned line, bool high)
{
	struct vgpio *gpio = &vm->gpio;

	if (!gpio->base || line >= VGPIO_LINES)
		return false;
	spin_lock(&gpio->lock);
	gpio->momentary &= (uint8_t)~BIT(line);
	if (high)
		gpio->in |= (uint8_t)BIT(line);
	else
		gpio->in &= (uint8_t)~BIT(line);
	sample(gpio);
	line_update(vm, gpio);
	spin_unlock(&gpio->lock);
	return true;
}

bool vgpio_press(struct vm *vm, unsigned line)
{
	struct vgpio *gpio = &vm->gpio;

	if (!gpio->base || line >= VGPIO_LINES)
		return false;
	spin_lock(&gpio->lock);
	if (gpio->in & BIT(line)) {
		gpio->in &= (uint8_t)~BIT(line);
		sample(gpio);
	}
	gpio->in |= (uint8_t)BIT(line);
	gpio->momentary |= (uint8_t)BIT(line);
	sample(gpio);
	gpio->presses++;
	line_update(vm, gpio);
	spin_unlock(&gpio->lock);
	return true;
}
