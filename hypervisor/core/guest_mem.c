// SPDX-License-Identifier: GPL-2.0
/* Checked access to a VM's RAM (see hv/guest_mem.h). */
#include <hv/dirty.h>
#include <hv/guest_mem.h>
#include <string.h>

void *guest_mem_ptr(const struct vm *vm, ipaddr_t ipa, uint64_t len)
{
	for (unsigned i = 0; i < vm->board.mem_count; i++) {
		const struct mem_region *r = &vm->board.mem[i];

		if (range_within(ipa_addr(ipa), len, ipa_addr(r->ipa), r->size))
			return hv_ptr(pa_add(r->pa, ipa_addr(ipa) - ipa_addr(r->ipa)));
	}
	return NULL;
}

bool guest_mem_write(const struct vm *vm, ipaddr_t ipa, const void *src, uint64_t len)
{
	void *dst = guest_mem_ptr(vm, ipa, len);

	if (!dst)
		return false;
	memcpy(dst, src, len);
	dirty_mark(vm, ipa, len);
	return true;
}

bool guest_mem_read(const struct vm *vm, ipaddr_t ipa, void *dst, uint64_t len)
{
	const void *src = guest_mem_ptr(vm, ipa, len);

	if (!src)
		return false;
	memcpy(dst, src, len);
	return true;
}
