// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The device tree a guest boots with, generated with libfdt from its
 * definition. It describes the fixed machine of <shyper/abi.h> the way
 * QEMU's virt board (gic-version=3) does, so guest kernels configured for
 * virt need nothing else: same node names, compatibles, interrupt
 * specifiers (GICv3 PPIs and SPIs, level-high, no CPU mask) and the 24 MHz
 * apb-pclk clock of the PL011. The PL011 is always described (the machine
 * always has it); stdout-path points at it when a serial <console> is
 * defined and the primary console is not virtio. Each used virtio-mmio
 * slot gets a virtio_mmio node.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <shyper/domain.h>

#include "domain_internal.h"
#include "hostdev_internal.h"

#define PHANDLE_GIC 1
#define PHANDLE_APB_PCLK 2
#define PHANDLE_GPIO 3

#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_LEVEL_HIGH 4

#define GICD_SIZE 0x10000ULL
#define GICR_FRAME_SIZE 0x20000ULL /* RD_base + SGI_base, per vCPU */
#define UART_SIZE 0x1000ULL
#define GPIO_SIZE 0x1000ULL
#define RTC_SIZE 0x1000ULL
#define KEY_POWER 116 /* linux/input-event-codes.h */
#define APB_PCLK_HZ 24000000

#define UART_NODE "pl011@9000000"
#define UART_PATH "/" UART_NODE

/* Timer PPIs in device-tree numbering (INTID - 16): secure physical,
 * non-secure physical, virtual, hypervisor, as QEMU lists them. */
static const uint32_t timer_ppis[] = { 13, 14, 11, 10 };

/* The sequential-write API has no append: properties are built whole. */
static int prop_cells(void *fdt, const char *name, const uint32_t *cells, size_t count)
{
	fdt32_t be[16];
	size_t i;

	for (i = 0; i < count && i < 16; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, be, (int)(count * sizeof(be[0])));
}

static int prop_reg_cells(void *fdt, const uint64_t *values, size_t count)
{
	uint32_t cells[16];
	size_t i;

	for (i = 0; i < count && i < 8; i++) {
		cells[2 * i] = (uint32_t)(values[i] >> 32);
		cells[2 * i + 1] = (uint32_t)values[i];
	}
	return prop_cells(fdt, "reg", cells, 2 * i);
}

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
	const uint64_t reg[] = { base, size };

	return prop_reg_cells(fdt, reg, 2);
}

/* "a\0b\0" string lists, as dtc writes "a", "b". */
static int prop_strings(void *fdt, const char *name, const char *list, size_t len)
{
	return fdt_property(fdt, name, list, (int)len);
}

bool shyper_domain_console_is_virtio(const struct shyper_domain *dom)
{
	return dom->console_count && dom->consoles[0].target == SHYPER_CONSOLE_VIRTIO;
}

void shyper_guest_nic_mac(const struct shyper_domain *dom, size_t i, uint8_t mac[6])
{
	static const uint8_t zero[6];
	uint32_t hash = 2166136261u;

	if (memcmp(dom->interfaces[i].mac, zero, 6)) {
		memcpy(mac, dom->interfaces[i].mac, 6);
		return;
	}
	/* Stable across restarts: from the VM's UUID and the NIC's place,
	 * under QEMU's locally used 52:54:00 prefix. */
	for (int b = 0; b < 16; b++)
		hash = (hash ^ dom->uuid[b]) * 16777619u;
	hash = (hash ^ (uint32_t)i) * 16777619u;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(hash >> 16);
	mac[4] = (uint8_t)(hash >> 8);
	mac[5] = (uint8_t)hash;
}

unsigned int shyper_guest_virtio_devices(const struct shyper_domain *dom,
					 struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS])
{
	unsigned int used = 0;

	memset(devs, 0, SHYPER_GUEST_VIRTIO_SLOTS * sizeof(devs[0]));
	if (shyper_domain_console_is_virtio(dom)) {
		devs[0].size = SHYPER_DEVICE_CONFIG_SIZE_V1;
		devs[0].kind = SHYPER_DEV_VIRTIO_CONSOLE;
		devs[0].slot = 0;
		used++;
	}
	/* Then the disks, then the NICs, each in the next slot (the parser
	 * makes sure they fit). Capacity is the image's: manage_lifecycle.c
	 * fills it. */
	for (size_t i = 0; i < dom->disk_count && used < SHYPER_GUEST_VIRTIO_SLOTS; i++, used++) {
		devs[used].size = SHYPER_DEVICE_CONFIG_SIZE_V1;
		devs[used].kind = SHYPER_DEV_VIRTIO_BLOCK;
		devs[used].slot = used;
		devs[used].flags = dom->disks[i].readonly ? SHYPER_DEV_F_READONLY : 0;
	}
	for (size_t i = 0; i < dom->interface_count && used < SHYPER_GUEST_VIRTIO_SLOTS;
	     i++, used++) {
		devs[used].size = SHYPER_DEVICE_CONFIG_SIZE_V1;
		devs[used].kind = SHYPER_DEV_VIRTIO_NET;
		devs[used].slot = used;
		shyper_guest_nic_mac(dom, i, devs[used].mac);
	}
	if (dom->rng && used < SHYPER_GUEST_VIRTIO_SLOTS) {
		devs[used].size = SHYPER_DEVICE_CONFIG_SIZE_V1;
		devs[used].kind = SHYPER_DEV_VIRTIO_RNG;
		devs[used].slot = used;
		used++;
	}
	return used;
}

bool shyper_guest_has_rtc(const struct shyper_domain *dom)
{
	for (size_t i = 0; i < dom->hostdev_count; i++) {
		const struct shyper_domain_hostdev *d = &dom->hostdevs[i];

		if ((d->base < SHYPER_GUEST_RTC_BASE + RTC_SIZE &&
		     SHYPER_GUEST_RTC_BASE < d->base + d->size) ||
		    d->spi == SHYPER_GUEST_RTC_SPI)
			return false;
	}
	return true;
}

/* The PL031 where QEMU virt has one (rtc-pl031 reads the date at boot). */
static int build_rtc(void *fdt)
{
	static const char compatible[] = "arm,pl031\0arm,primecell";
	const uint32_t irq[] = { GIC_SPI, SHYPER_GUEST_RTC_SPI, IRQ_LEVEL_HIGH };
	char name[32];

	snprintf(name, sizeof(name), "pl031@%llx", (unsigned long long)SHYPER_GUEST_RTC_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(prop_strings(fdt, "compatible", compatible, sizeof(compatible)));
	TRY(prop_reg(fdt, SHYPER_GUEST_RTC_BASE, RTC_SIZE));
	TRY(prop_cells(fdt, "interrupts", irq, 3));
	TRY(fdt_property_u32(fdt, "clocks", PHANDLE_APB_PCLK));
	TRY(fdt_property_string(fdt, "clock-names", "apb_pclk"));
	return fdt_end_node(fdt);
}

unsigned int shyper_domain_virtio_devices(const struct shyper_domain *dom,
					  struct shyper_device_config *devs)
{
	return shyper_guest_virtio_devices(dom, devs);
}

/* A serial console that is the guest's console: a virtio one, when it is
 * the primary, is hvc0 and has no device-tree path (console=hvc0). */
static bool has_serial_console(const struct shyper_domain *dom)
{
	size_t i;

	if (shyper_domain_console_is_virtio(dom))
		return false;
	for (i = 0; i < dom->console_count; i++)
		if (dom->consoles[i].target == SHYPER_CONSOLE_SERIAL)
			return true;
	return false;
}

static int build_cpus(void *fdt, const struct shyper_domain *dom)
{
	char name[32];
	unsigned int i;

	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (i = 0; i < dom->vcpu_count; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_string(fdt, "compatible", "arm,armv8"));
		TRY(fdt_property_string(fdt, "enable-method", "psci"));
		/* MPIDR Aff0 = n (abi.h). */
		TRY(fdt_property_u32(fdt, "reg", i));
		TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

/*
 * The PL061 whose line SHYPER_GUEST_POWER_GPIO is the power button, and
 * the gpio-keys node that makes it KEY_POWER: QEMU virt's wiring, so a
 * guest that powers off on the button there does so here too.
 */
static int build_power_button(void *fdt)
{
	static const char gpio_compatible[] = "arm,pl061\0arm,primecell";
	const uint32_t gpio_irq[] = { GIC_SPI, SHYPER_GUEST_GPIO_SPI, IRQ_LEVEL_HIGH };
	const uint32_t key_gpio[] = { PHANDLE_GPIO, SHYPER_GUEST_POWER_GPIO, 0 /* active high */ };
	char name[32];

	snprintf(name, sizeof(name), "pl061@%llx", (unsigned long long)SHYPER_GUEST_GPIO_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(prop_strings(fdt, "compatible", gpio_compatible, sizeof(gpio_compatible)));
	TRY(prop_reg(fdt, SHYPER_GUEST_GPIO_BASE, GPIO_SIZE));
	TRY(prop_cells(fdt, "interrupts", gpio_irq, 3));
	TRY(fdt_property(fdt, "gpio-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#gpio-cells", 2));
	TRY(fdt_property_u32(fdt, "clocks", PHANDLE_APB_PCLK));
	TRY(fdt_property_string(fdt, "clock-names", "apb_pclk"));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GPIO));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, "gpio-keys"));
	TRY(fdt_property_string(fdt, "compatible", "gpio-keys"));
	TRY(fdt_begin_node(fdt, "poweroff"));
	TRY(fdt_property_string(fdt, "label", "GPIO Key Poweroff"));
	TRY(fdt_property_u32(fdt, "linux,code", KEY_POWER));
	TRY(prop_cells(fdt, "gpios", key_gpio, 3));
	TRY(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

/* A virtio-mmio transport per used slot, as QEMU virt describes them. */
static int build_virtio(void *fdt, const struct shyper_domain *dom)
{
	struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS];
	char name[32];
	uint32_t slot;

	shyper_guest_virtio_devices(dom, devs);
	for (slot = 0; slot < SHYPER_GUEST_VIRTIO_SLOTS; slot++) {
		const uint64_t base = SHYPER_GUEST_VIRTIO_BASE + slot * SHYPER_GUEST_VIRTIO_STRIDE;
		const uint32_t irq[] = { GIC_SPI, SHYPER_GUEST_VIRTIO_SPI + slot, IRQ_LEVEL_HIGH };

		if (!devs[slot].kind)
			continue;
		snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, base);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
		TRY(prop_cells(fdt, "interrupts", irq, 3));
		TRY(prop_reg(fdt, base, SHYPER_GUEST_VIRTIO_STRIDE));
		TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		TRY(fdt_end_node(fdt));
	}
	return 0;
}

static int build_devices(void *fdt, const struct shyper_domain *dom)
{
	static const char psci_compatible[] = "arm,psci-1.0\0arm,psci-0.2";
	static const char timer_compatible[] = "arm,armv8-timer\0arm,armv7-timer";
	static const char uart_compatible[] = "arm,pl011\0arm,primecell";
	static const char uart_clock_names[] = "uartclk\0apb_pclk";
	const uint64_t gic_reg[] = { SHYPER_GUEST_GICD_BASE, GICD_SIZE, SHYPER_GUEST_GICR_BASE,
				     GICR_FRAME_SIZE * dom->vcpu_count };
	const uint32_t uart_irq[] = { GIC_SPI, SHYPER_GUEST_UART_SPI, IRQ_LEVEL_HIGH };
	const uint32_t uart_clocks[] = { PHANDLE_APB_PCLK, PHANDLE_APB_PCLK };
	uint32_t timer_irqs[12];
	char name[32];
	size_t i;

	TRY(fdt_begin_node(fdt, "psci"));
	TRY(prop_strings(fdt, "compatible", psci_compatible, sizeof(psci_compatible)));
	TRY(fdt_property_string(fdt, "method", "hvc"));
	TRY(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "intc@%" PRIx64, (uint64_t)SHYPER_GUEST_GICD_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#redistributor-regions", 1));
	/* As QEMU's: room for an ITS child later, and dtc wants them. */
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property(fdt, "ranges", NULL, 0));
	TRY(prop_reg_cells(fdt, gic_reg, 4));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_GIC));
	TRY(fdt_end_node(fdt));

	for (i = 0; i < 4; i++) {
		timer_irqs[3 * i] = GIC_PPI;
		timer_irqs[3 * i + 1] = timer_ppis[i];
		timer_irqs[3 * i + 2] = IRQ_LEVEL_HIGH;
	}
	TRY(fdt_begin_node(fdt, "timer"));
	TRY(prop_strings(fdt, "compatible", timer_compatible, sizeof(timer_compatible)));
	TRY(prop_cells(fdt, "interrupts", timer_irqs, 12));
	TRY(fdt_property(fdt, "always-on", NULL, 0));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, "apb-pclk"));
	TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
	TRY(fdt_property_u32(fdt, "#clock-cells", 0));
	TRY(fdt_property_u32(fdt, "clock-frequency", APB_PCLK_HZ));
	TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	TRY(fdt_property_u32(fdt, "phandle", PHANDLE_APB_PCLK));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, UART_NODE));
	TRY(prop_strings(fdt, "compatible", uart_compatible, sizeof(uart_compatible)));
	TRY(prop_reg(fdt, SHYPER_GUEST_UART_BASE, UART_SIZE));
	TRY(prop_cells(fdt, "interrupts", uart_irq, 3));
	TRY(prop_cells(fdt, "clocks", uart_clocks, 2));
	TRY(prop_strings(fdt, "clock-names", uart_clock_names, sizeof(uart_clock_names)));
	TRY(fdt_end_node(fdt));
	TRY(build_virtio(fdt, dom));
	if (shyper_guest_has_rtc(dom))
		TRY(build_rtc(fdt));
	return build_power_button(fdt);
}

static int build_chosen(void *fdt, const struct shyper_domain *dom,
			const struct shyper_guest_initrd *initrd)
{
	TRY(fdt_begin_node(fdt, "chosen"));
	if (dom->cmdline)
		TRY(fdt_property_string(fdt, "bootargs", dom->cmdline));
	if (has_serial_console(dom))
		TRY(fdt_property_string(fdt, "stdout-path", UART_PATH));
	if (initrd) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", initrd->ipa));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", initrd->ipa + initrd->size));
	}
	return fdt_end_node(fdt);
}

static int build_tree(void *fdt, int size, const struct shyper_domain *dom,
		      const struct shyper_guest_initrd *initrd, const void *host)
{
	static const char root_compatible[] = "shyper,guest\0linux,dummy-virt";
	char name[32];

	TRY(fdt_create(fdt, size));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(prop_strings(fdt, "compatible", root_compatible, sizeof(root_compatible)));
	TRY(fdt_property_string(fdt, "model", "Shyper guest"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_GIC));

	TRY(build_chosen(fdt, dom, initrd));

	snprintf(name, sizeof(name), "memory@%" PRIx64, (uint64_t)SHYPER_GUEST_RAM_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "device_type", "memory"));
	TRY(prop_reg(fdt, SHYPER_GUEST_RAM_BASE, dom->memory));
	TRY(fdt_end_node(fdt));

	TRY(build_cpus(fdt, dom));
	TRY(build_devices(fdt, dom));
	/* <hostdev>: copied from the MVM's device tree (hostdev.c). */
	TRY(hostdev_fdt_write_nodes(fdt, dom, host, PHANDLE_GIC, PHANDLE_APB_PCLK));
	TRY(fdt_end_node(fdt));
	return fdt_finish(fdt);
}

static int generate(const struct shyper_domain *dom, const struct shyper_guest_initrd *initrd,
		    void **blob, size_t *size, struct shyper_domain_diag *diag)
{
	size_t capacity = 4096 + (dom->cmdline ? strlen(dom->cmdline) : 0);
	void *fdt, *shrunk, *host;
	int rc;

	rc = hostdev_host_fdt_load(dom, &host, diag);
	if (rc)
		return rc;
	for (;;) {
		if (capacity > SHYPER_DOMAIN_DTB_MAX_SIZE) {
			free(host);
			shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "the guest's device tree would be "
					"larger than %llu KiB (is <cmdline> that long?)",
					SHYPER_DOMAIN_DTB_MAX_SIZE >> 10);
			return SHYPER_ERR_INVALID;
		}
		fdt = calloc(1, capacity);
		if (!fdt)
			return SHYPER_ERR_NO_MEMORY;
		rc = build_tree(fdt, (int)capacity, dom, initrd, host);
		if (rc != -FDT_ERR_NOSPACE)
			break;
		free(fdt);
		capacity *= 2;
	}
	free(host);
	if (rc < 0) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "building the guest's device tree: %s",
				fdt_strerror(rc));
		free(fdt);
		return SHYPER_ERR_INVALID;
	}
	*size = fdt_totalsize(fdt);
	shrunk = realloc(fdt, *size);
	*blob = shrunk ? shrunk : fdt;
	return 0;
}

/* Reads the user's <dtb> file into a buffer with ROOM bytes to spare. */
static int read_user_dtb(const char *path, size_t room, void **out, size_t *len,
			 struct shyper_domain_diag *diag)
{
	FILE *f = fopen(path, "re");
	size_t capacity = SHYPER_DOMAIN_DTB_MAX_SIZE + room;
	void *buf;
	int saved;

	if (!f) {
		saved = errno;
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "cannot open <dtb> %s: %s", path,
				strerror(saved));
		return saved == ENOENT ? SHYPER_ERR_NO_ENTRY : SHYPER_ERR_SYSTEM;
	}
	buf = calloc(1, capacity + 1);
	if (!buf) {
		fclose(f);
		return SHYPER_ERR_NO_MEMORY;
	}
	*len = fread(buf, 1, SHYPER_DOMAIN_DTB_MAX_SIZE + 1, f);
	saved = ferror(f) ? errno : 0;
	fclose(f);
	if (saved) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "cannot read <dtb> %s: %s", path,
				strerror(saved));
		free(buf);
		return SHYPER_ERR_SYSTEM;
	}
	if (*len > SHYPER_DOMAIN_DTB_MAX_SIZE) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "<dtb> %s is larger than %llu KiB",
				path, SHYPER_DOMAIN_DTB_MAX_SIZE >> 10);
		free(buf);
		return SHYPER_ERR_INVALID;
	}
	*out = buf;
	return 0;
}

/* The user's device tree, with /chosen brought up to date. */
static int adapt_user_dtb(const struct shyper_domain *dom,
			  const struct shyper_guest_initrd *initrd, void **blob, size_t *size,
			  struct shyper_domain_diag *diag)
{
	size_t room = 1024 + (dom->cmdline ? strlen(dom->cmdline) : 0), len;
	void *fdt;
	int rc, chosen;

	rc = read_user_dtb(dom->dtb, room, &fdt, &len, diag);
	if (rc)
		return rc;
	rc = fdt_check_header(fdt);
	if (!rc && fdt_totalsize(fdt) > len)
		rc = -FDT_ERR_TRUNCATED;
	if (!rc)
		rc = fdt_open_into(fdt, fdt, (int)(len + room));
	if (!rc) {
		chosen = fdt_path_offset(fdt, "/chosen");
		if (chosen == -FDT_ERR_NOTFOUND)
			chosen = fdt_add_subnode(fdt, 0, "chosen");
		rc = chosen < 0 ? chosen : 0;
	}
	if (!rc && dom->cmdline)
		rc = fdt_setprop_string(fdt, chosen, "bootargs", dom->cmdline);
	if (!rc && initrd)
		rc = fdt_setprop_u64(fdt, chosen, "linux,initrd-start", initrd->ipa);
	if (!rc && initrd)
		rc = fdt_setprop_u64(fdt, chosen, "linux,initrd-end", initrd->ipa + initrd->size);
	if (!rc)
		rc = fdt_pack(fdt);
	if (!rc && fdt_totalsize(fdt) > SHYPER_DOMAIN_DTB_MAX_SIZE)
		rc = -FDT_ERR_NOSPACE;
	if (rc) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "<dtb> %s is not a usable device tree: %s",
				dom->dtb, fdt_strerror(rc));
		free(fdt);
		return SHYPER_ERR_INVALID;
	}
	*size = fdt_totalsize(fdt);
	*blob = fdt;
	return 0;
}

int shyper_guest_fdt_build(const struct shyper_domain *dom,
			   const struct shyper_guest_initrd *initrd, void **blob, size_t *size,
			   struct shyper_domain_diag *diag)
{
	uint64_t ram_end = SHYPER_GUEST_RAM_BASE + dom->memory;
	uint64_t dtb_end = SHYPER_DOMAIN_DTB_IPA + SHYPER_DOMAIN_DTB_MAX_SIZE;

	if (dom->vcpu_count < 1 || dom->vcpu_count > SHYPER_MAX_VCPUS || !dom->memory) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0, "the domain has no memory or vCPUs");
		return SHYPER_ERR_INVALID;
	}
	if (initrd && (!initrd->size || initrd->ipa < dtb_end || initrd->ipa >= ram_end ||
		       initrd->size > ram_end - initrd->ipa)) {
		shyper_diag_add(diag, SHYPER_DIAG_ERROR, 0,
				"the initrd at 0x%" PRIx64 " (%" PRIu64 " bytes) is not inside the "
				"guest's RAM above its device tree (0x%" PRIx64 "-0x%" PRIx64 ")",
				initrd->ipa, initrd->size, dtb_end, ram_end);
		return SHYPER_ERR_INVALID;
	}
	if (dom->dtb)
		return adapt_user_dtb(dom, initrd, blob, size, diag);
	return generate(dom, initrd, blob, size, diag);
}
