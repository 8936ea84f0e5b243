/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty-page logging, for migration (core/dirty.c).
 *
 * While a VM's log is on, its RAM is mapped read-only page by page. A
 * guest's first write to a page faults into dirty_log_fault(), which sets
 * the page's bit and lets the write through from then on. Writes the
 * hypervisor makes itself (virtio buffers and rings, anything through
 * guest_mem_write) bypass stage 2: their writers call dirty_mark() after
 * writing. The MVM reads and clears the bitmap a window at a time; the pages
 * it finds dirty are write-protected again before it copies them, so a
 * write that comes after the copy sets the bit again.
 *
 * Pages are numbered from 0 over the VM's RAM regions in order.
 */
#ifndef HV_DIRTY_H
#define HV_DIRTY_H

#include <hv/vm.h>

/* SHYPER_OK, or SHYPER_E_BUSY (already on), SHYPER_E_NO_MEMORY. */
int64_t dirty_log_start(struct vm *vm, uint64_t *pages);
/* SHYPER_OK, or SHYPER_E_BUSY (not on). */
int64_t dirty_log_stop(struct vm *vm);
/* Copy and clear bitmap bytes [first_page / 8, + bytes) into OUT; the pages
 * found dirty are write-protected again. SHYPER_E_INVALID if the window is
 * not inside the bitmap, SHYPER_E_BUSY if logging is off. */
int64_t dirty_log_fetch(struct vm *vm, uint64_t first_page, uint8_t *out, uint64_t bytes,
			uint64_t *dirty);
/* A stage-2 permission fault on a write at IPA: true if it was the log's
 * (the page is now writable and marked; the access is retried). */
bool dirty_log_fault(struct vm *vm, ipaddr_t ipa);
/* A stage-2 translation fault at IPA: true if IPA is the VM's RAM and its
 * entry was only being remade (a block split into pages while logging
 * started, break before make) and is back: the access is retried. */
bool dirty_log_remapped(struct vm *vm, ipaddr_t ipa);
/* The hypervisor wrote [ipa, ipa+len) of the VM's RAM: mark it. */
void dirty_mark(const struct vm *vm, ipaddr_t ipa, uint64_t len);
/* The page number of IPA in the VM's RAM, or false. */
bool vm_page_of(const struct vm *vm, ipaddr_t ipa, uint64_t *page);
/* The IPA of page number PAGE, or false if the VM has no such page. */
bool vm_page_ipa(const struct vm *vm, uint64_t page, ipaddr_t *ipa);
/* Pages of RAM the VM has. */
uint64_t vm_ram_pages(const struct vm *vm);

#endif
