// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's own address space (EL2 stage 1: an identity map of RAM
 * and of the few devices it drives) and the stage-2 format guests get.
 */
#include <hv/arch.h>
#include <hv/pgtable.h>
#include "sysreg.h"

/* MAIR_EL2 slots */
#define MAIR_DEVICE_nGnRE 0
#define MAIR_NORMAL_WB 1
#define MAIR_VALUE ((0x04ULL << (8 * MAIR_DEVICE_nGnRE)) | (0xffULL << (8 * MAIR_NORMAL_WB)))

#define PTE_ATTRINDX(i) ((uint64_t)(i) << 2)
#define PTE_AP_EL2_RW (1ULL << 6) /* AP[1] is RES1 at EL2 */
#define PTE_SH_INNER (3ULL << 8)
#define PTE_XN BIT(54)

#define S2_MEMATTR_NORMAL_WB (0xfULL << 2)
#define S2_MEMATTR_DEVICE_nGnRE (0x1ULL << 2)
#define S2_AP_RW (3ULL << 6)

struct pgtable hv_pgtable;

uint64_t arch_el2_attrs(enum mem_type type)
{
	if (type == MEM_DEVICE)
		return PTE_ATTRINDX(MAIR_DEVICE_nGnRE) | PTE_AP_EL2_RW | PTE_AF | PTE_XN;
	return PTE_ATTRINDX(MAIR_NORMAL_WB) | PTE_AP_EL2_RW | PTE_SH_INNER | PTE_AF;
}

uint64_t arch_stage2_attrs(enum mem_type type)
{
	if (type == MEM_DEVICE)
		return S2_MEMATTR_DEVICE_nGnRE | S2_AP_RW | PTE_AF | PTE_XN;
	return S2_MEMATTR_NORMAL_WB | S2_AP_RW | PTE_SH_INNER | PTE_AF;
}

void arch_pgtable_sync(void)
{
	dsb(ishst);
}

void arch_pgtable_flush_range(const struct pgtable *pt, uint64_t va, uint64_t size)
{
	(void)va;
	(void)size;
	if (pt->stage2) {
		/* Its own VMID's, wherever this runs (often on the MVM's behalf). */
		arch_stage2_flush_vmid(pt->vmid);
		return;
	}
	dsb(ishst);
	__asm__ volatile("tlbi alle2is" : : : "memory");
	dsb(ish);
	isb();
}

static uint64_t pa_range_bits(void)
{
	static const uint8_t bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned r = read_sysreg(id_aa64mmfr0_el1) & 0xf;

	return r < ARRAY_SIZE(bits) ? bits[r] : 48;
}

/* TCR PS / VTCR PS encoding of the CPU's physical address size, capped at 48 bits. */
static uint64_t ps_field(void)
{
	unsigned r = read_sysreg(id_aa64mmfr0_el1) & 0xf;

	return r > 5 ? 5 : r;
}

uint64_t arch_el2_root(void)
{
	return pa_addr(hv_pgtable.root);
}

/* Turn on the MMU at EL2 with hv_pgtable (every pCPU, from head.S). */
void mmu_enable(void)
{
	/* T0SZ=16 (48-bit VA), 4K granule, inner-shareable write-back walks. */
	uint64_t tcr = 16 | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (ps_field() << 16) |
		       BIT(23) | BIT(31);

	write_sysreg(mair_el2, MAIR_VALUE);
	write_sysreg(tcr_el2, tcr);
	write_sysreg(ttbr0_el2, pa_addr(hv_pgtable.root));
	isb();
	__asm__ volatile("tlbi alle2" : : : "memory");
	dsb(nsh);
	isb();
	/* M, C, SA, I plus RES1 bits */
	write_sysreg(sctlr_el2, 0x30c50830ULL | BIT(0) | BIT(2) | BIT(3) | BIT(12));
	isb();
}

/*
 * A guest's IPA space is as small as its highest address allows, because
 * every stage-2 level is one more memory read on every TLB miss (and a guest
 * walk needs a stage-2 translation per stage-1 level). Up to 16 GiB (34
 * bits) the walk starts at level 2 with 16 concatenated tables: one read.
 * Beyond that, 40 bits from level 1 (two concatenated tables), then 48 bits
 * from level 0.
 */
int arch_stage2_init(struct pgtable *pt, uint64_t ipa_limit, uint16_t vmid)
{
	uint64_t max_bits = pa_range_bits();
	int rc;

	if (ipa_limit <= (1ULL << 34))
		rc = pgtable_init(pt, 34, 2, 512 * 16);
	else if (ipa_limit <= (1ULL << 40) && max_bits >= 40)
		rc = pgtable_init(pt, 40, 1, 512 * 2);
	else if (ipa_limit <= (1ULL << 48) && max_bits >= 48)
		rc = pgtable_init(pt, 48, 0, 512);
	else
		return PGT_EINVAL;
	pt->stage2 = true;
	pt->vmid = vmid;
	return rc;
}

void arch_stage2_flush_ipa_local(const struct pgtable *pt, ipaddr_t ipa)
{
	(void)pt; /* its VMID is in VTTBR_EL2: the running guest's */
	dsb(ishst);
	__asm__ volatile("tlbi ipas2e1, %0" : : "r"(ipa_addr(ipa) >> 12) : "memory");
	dsb(nsh);
	/* A combined stage 1+2 entry may hold it too. */
	__asm__ volatile("tlbi vmalle1" : : : "memory");
	dsb(nsh);
	isb();
}

void arch_stage2_flush_vmid(uint16_t vmid)
{
	uint64_t saved = read_sysreg(vttbr_el2);

	/* TLBI by VMID acts on the VMID in VTTBR_EL2: borrow it for a moment. */
	write_sysreg(vttbr_el2, (uint64_t)vmid << 48);
	isb();
	dsb(ishst);
	__asm__ volatile("tlbi vmalls12e1is" : : : "memory");
	dsb(ish);
	write_sysreg(vttbr_el2, saved);
	isb();
}

/* VTCR_EL2 for a stage-2 table made by arch_stage2_init(). */
uint64_t arch_stage2_vtcr(const struct pgtable *pt)
{
	/* SL0 for a 4K granule: 0 = level 2, 1 = level 1, 2 = level 0 */
	uint64_t sl0 = 2 - pt->start_level;

	/* T0SZ, SL0, inner-shareable write-back walks, 4K granule, PS */
	return (64ULL - pt->va_bits) | (sl0 << 6) | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) |
	       (ps_field() << 16) | BIT(31);
}

/* Per-pCPU EL2 configuration that does not depend on the vCPU. */
void arch_cpu_init_el2(void)
{
	uint64_t pmcr_n = (read_sysreg(pmcr_el0) >> 11) & 0x1f;

	write_sysreg(cptr_el2, 0x33ff);      /* no FP/SIMD or trace traps */
	write_sysreg(hstr_el2, 0);
	write_sysreg(mdcr_el2, pmcr_n);      /* guests own all PMU counters */
	write_sysreg(cnthctl_el2, BIT(0));   /* EL1 may read the physical counter, not use its timer */
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(hcr_el2, HCR_RW);
	isb();
}
