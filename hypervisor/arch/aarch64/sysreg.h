/* SPDX-License-Identifier: GPL-2.0 */
/* System register access and the EL2 register bits the hypervisor uses. */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include <hv/types.h>

#define read_sysreg(r) ({                                      \
	uint64_t __v;                                          \
	__asm__ volatile("mrs %0, " #r : "=r"(__v));           \
	__v;                                                   \
})

#define write_sysreg(r, v) do {                                        \
	uint64_t __v = (uint64_t)(v);                                  \
	__asm__ volatile("msr " #r ", %0" : : "r"(__v) : "memory");   \
} while (0)

#define isb() __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")

/* GICv3 system registers by encoding (works with any assembler). */
#define ICC_IAR0_EL1 S3_0_C12_C8_0
#define ICC_EOIR0_EL1 S3_0_C12_C8_1
#define ICC_BPR0_EL1 S3_0_C12_C8_3
#define ICC_AP1R0_EL1 S3_0_C12_C9_0
#define ICC_SGI0R_EL1 S3_0_C12_C11_7
#define ICC_IGRPEN0_EL1 S3_0_C12_C12_6
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_DIR_EL1 S3_0_C12_C11_1
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICH_AP0R0_EL2 S3_4_C12_C8_0
#define ICH_AP1R0_EL2 S3_4_C12_C9_0
#define ICH_HCR_EL2 S3_4_C12_C11_0
#define ICH_VTR_EL2 S3_4_C12_C11_1
#define ICH_MISR_EL2 S3_4_C12_C11_2
#define ICH_EISR_EL2 S3_4_C12_C11_3
#define ICH_ELRSR_EL2 S3_4_C12_C11_5
#define ICH_VMCR_EL2 S3_4_C12_C11_7

#define __read_sysreg_s(r) read_sysreg(r)
#define read_sysreg_s(r) __read_sysreg_s(r)
#define __write_sysreg_s(r, v) write_sysreg(r, v)
#define write_sysreg_s(r, v) __write_sysreg_s(r, v)

/* HCR_EL2 */
#define HCR_VM BIT(0)
#define HCR_SWIO BIT(1)
#define HCR_FMO BIT(3)
#define HCR_IMO BIT(4)
#define HCR_AMO BIT(5)
#define HCR_FB BIT(9)
#define HCR_BSU_IS (1ULL << 10)
#define HCR_TWI BIT(13)
#define HCR_TWE BIT(14)
#define HCR_TSC BIT(19)
#define HCR_TACR BIT(21)
#define HCR_TSW BIT(22)
#define HCR_RW BIT(31)

/* ESR_EL2 exception classes */
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr) & 0x1ffffff)
#define ESR_IL BIT(25)
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SERROR 0x2f

/* Data abort ISS */
#define DABT_ISV BIT(24)
#define DABT_SAS(iss) (((iss) >> 22) & 3)
#define DABT_SSE BIT(21)
#define DABT_SRT(iss) (((iss) >> 16) & 0x1f)
#define DABT_SF BIT(15)
#define DABT_S1PTW BIT(7)
#define DABT_WNR BIT(6)
/* Data/instruction fault status: a translation or a permission fault at
 * any level. */
#define ABT_FSC(iss) ((iss) & 0x3f)
#define ABT_FSC_TRANSLATION(fsc) (((fsc) & 0x3c) == 0x04)
#define ABT_FSC_PERMISSION(fsc) (((fsc) & 0x3c) == 0x0c)

/* PSTATE / SPSR */
#define PSR_MODE_EL0t 0x0
#define PSR_MODE_EL1t 0x4
#define PSR_MODE_EL1h 0x5
#define PSR_MODE_MASK 0xf
#define PSR_MODE_32 BIT(4)
#define PSR_DAIF (0xfULL << 6)

#endif
