/* SPDX-License-Identifier: GPL-2.0 */
/* Physical interrupt handling and ownership (see core/irq.c). */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#include <hv/types.h>

#define IRQ_OWNER_NONE 0xff

/* Give a physical SPI to a VM: it is forwarded to that VM from now on. */
void irq_assign_spi(uint32_t intid, uint16_t vm_id);
/* VM id owning a physical SPI, or -1. */
int irq_spi_owner(uint32_t intid);
/* Handle every pending physical interrupt on this pCPU. */
void irq_handle(void);

#endif
