/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GICv3 distributor and redistributor register map (GIC architecture
 * specification, IHI 0069): shared by the driver of the real GIC
 * (arch/aarch64/gicv3.c) and the model guests program (devices/vgicv3.c).
 */
#ifndef HV_GICV3_REGS_H
#define HV_GICV3_REGS_H

#include <hv/types.h>

#define GICD_SIZE 0x10000
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_TYPER2 0x000c
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8

#define GICD_CTLR_ENABLE_G0 BIT(0)
#define GICD_CTLR_ENABLE_G1 BIT(1)
#define GICD_CTLR_ARE BIT(4)
#define GICD_CTLR_DS BIT(6)
#define GICD_CTLR_RWP BIT(31)

/* Each redistributor: an RD frame and an SGI frame of 64 KiB each. */
#define GICR_FRAME_SIZE 0x20000
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define GICR_SGI 0x10000 /* SGI frame: GICD-style per-interrupt registers for 0..31 */

#define GICR_CTLR_RWP BIT(3)
#define GICR_TYPER_VLPIS BIT(1)
#define GICR_TYPER_LAST BIT(4)
#define GICR_WAKER_SLEEP BIT(1)
#define GICR_WAKER_ASLEEP BIT(2)

#define GIC_PIDR2_ARCH_GICV3 0x3b

#endif
