// SPDX-License-Identifier: GPL-2.0
/*
 * The migration calls (ABI 1.9): dirty-page logging and copying a guest's
 * pages out of it (the source board) or into it (the destination). Only the
 * MVM reaches them, about a guest; every argument is checked here before
 * anything is read, written or changed.
 */
#include <hv/dirty.h>
#include <hv/guest_mem.h>
#include <hv/migrate.h>
#include <string.h>

int64_t migrate_dirty_log_call(struct vm *vm, uint64_t op, uint64_t *pages)
{
	if (vm->state == VM_STATE_FREE)
		return SHYPER_E_NO_ENTRY;
	switch (op) {
	case SHYPER_DIRTY_START:
		return dirty_log_start(vm, pages);
	case SHYPER_DIRTY_STOP:
		return dirty_log_stop(vm);
	default:
		return SHYPER_E_INVALID;
	}
}

int64_t migrate_dirty_fetch_call(struct vm *vm, const struct vm *caller, uint64_t first_page,
				 uint64_t ipa, uint64_t bytes, uint64_t *dirty)
{
	uint8_t *out;

	if (bytes == 0 || bytes > SHYPER_DIRTY_FETCH_MAX || bytes % 8 || first_page % 64)
		return SHYPER_E_INVALID;
	out = guest_mem_ptr(caller, ipa_init(ipa), bytes);
	if (!out)
		return SHYPER_E_BAD_ADDRESS;
	return dirty_log_fetch(vm, first_page, out, bytes, dirty);
}

int64_t migrate_mem_call(struct vm *vm, const struct vm *caller, bool write, uint64_t list_ipa,
			 uint64_t count, uint64_t data_ipa)
{
	uint64_t pages[SHYPER_MEM_PAGES_MAX];
	uint64_t total = vm_ram_pages(vm);
	uint8_t *data;

	if (count == 0 || count > SHYPER_MEM_PAGES_MAX)
		return SHYPER_E_INVALID;
	/* Into a guest only before it ever ran: a migration's incoming one. */
	if (write && vm->state != VM_STATE_DEFINED)
		return SHYPER_E_BUSY;
	/* The list is read once, into our copy, and checked whole first. */
	if (!guest_mem_read(caller, ipa_init(list_ipa), pages, count * sizeof(pages[0])))
		return SHYPER_E_BAD_ADDRESS;
	data = guest_mem_ptr(caller, ipa_init(data_ipa), count * PAGE_SIZE);
	if (!data)
		return SHYPER_E_BAD_ADDRESS;
	for (uint64_t i = 0; i < count; i++)
		if (pages[i] >= total)
			return SHYPER_E_INVALID;
	for (uint64_t i = 0; i < count; i++) {
		ipaddr_t at;
		uint8_t *page;

		vm_page_ipa(vm, pages[i], &at);
		page = guest_mem_ptr(vm, at, PAGE_SIZE);
		if (write)
			memcpy(page, data + i * PAGE_SIZE, PAGE_SIZE);
		else
			memcpy(data + i * PAGE_SIZE, page, PAGE_SIZE);
	}
	return SHYPER_OK;
}
