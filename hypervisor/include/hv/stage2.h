/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests' stage-2 maps, with the two kinds of address as their own types:
 * where the guest sees something (ipaddr_t) and where it is on this board
 * (paddr_t). The table walker (hv/pgtable.h) takes bare numbers because it
 * serves the hypervisor's own map too; stage-2 code goes through here so
 * that passing one kind of address for the other does not compile.
 */
#ifndef HV_STAGE2_H
#define HV_STAGE2_H

#include <hv/pgtable.h>

static inline int stage2_map(struct pgtable *s2, ipaddr_t ipa, paddr_t pa, uint64_t size,
			     uint64_t attrs)
{
	return pgtable_map(s2, ipa_addr(ipa), pa_addr(pa), size, attrs);
}

static inline int stage2_unmap(struct pgtable *s2, ipaddr_t ipa, uint64_t size)
{
	return pgtable_unmap(s2, ipa_addr(ipa), size);
}

static inline bool stage2_lookup(const struct pgtable *s2, ipaddr_t ipa, paddr_t *pa,
				 uint64_t *attrs)
{
	uint64_t out;

	if (!pgtable_lookup(s2, ipa_addr(ipa), &out, attrs))
		return false;
	if (pa)
		*pa = pa_init(out);
	return true;
}

/*
 * Change the permission bits of every page in [ipa, ipa+size): set SET,
 * clear CLEAR (attribute bits, PTE_ATTR_MASK). Blocks in the range are
 * split into pages first, so that each page can change on its own later
 * without allocating. Holes are skipped. All or nothing, like
 * pgtable_map(); the caller invalidates the TLBs.
 */
static inline int stage2_set_attrs(struct pgtable *s2, ipaddr_t ipa, uint64_t size, uint64_t set,
				   uint64_t clear)
{
	return pgtable_set_attrs(s2, ipa_addr(ipa), size, set, clear);
}

#endif
