// SPDX-License-Identifier: GPL-2.0
/* Dirty-page logging for migration (see hv/dirty.h). */
#include <hv/arch.h>
#include <hv/dirty.h>
#include <hv/heap.h>
#include <hv/log.h>
#include <hv/stage2.h>
#include <string.h>

uint64_t vm_ram_pages(const struct vm *vm)
{
	uint64_t pages = 0;

	for (unsigned i = 0; i < vm->board.mem_count && i < MAX_VM_MEM_REGIONS; i++)
		pages += vm->board.mem[i].size / PAGE_SIZE;
	return pages;
}

bool vm_page_of(const struct vm *vm, ipaddr_t ipa, uint64_t *page)
{
	uint64_t first = 0;

	for (unsigned i = 0; i < vm->board.mem_count && i < MAX_VM_MEM_REGIONS; i++) {
		const struct mem_region *r = &vm->board.mem[i];
		uint64_t off = ipa_addr(ipa) - ipa_addr(r->ipa);

		if (ipa_addr(ipa) >= ipa_addr(r->ipa) && off < r->size) {
			*page = first + off / PAGE_SIZE;
			return true;
		}
		first += r->size / PAGE_SIZE;
	}
	return false;
}

bool vm_page_ipa(const struct vm *vm, uint64_t page, ipaddr_t *ipa)
{
	for (unsigned i = 0; i < vm->board.mem_count && i < MAX_VM_MEM_REGIONS; i++) {
		const struct mem_region *r = &vm->board.mem[i];
		uint64_t n = r->size / PAGE_SIZE;

		if (page < n) {
			*ipa = ipa_add(r->ipa, page * PAGE_SIZE);
			return true;
		}
		page -= n;
	}
	return false;
}

static uint64_t *bitmap(const struct vm *vm)
{
	return hv_ptr(vm->board.dirty.bitmap);
}

/* Every RAM region's write permission, set or cleared; all or nothing. */
static int protect_ram(struct vm *vm, bool writable)
{
	for (unsigned i = 0; i < vm->board.mem_count; i++) {
		const struct mem_region *r = &vm->board.mem[i];
		int rc = stage2_set_attrs(&vm->board.s2, r->ipa, r->size,
					  writable ? PTE_S2_WRITE : 0, writable ? 0 : PTE_S2_WRITE);

		if (rc) {
			/* Undo the regions done: they go back to what they were. */
			while (i--)
				stage2_set_attrs(&vm->board.s2, vm->board.mem[i].ipa,
						 vm->board.mem[i].size, writable ? 0 : PTE_S2_WRITE,
						 writable ? PTE_S2_WRITE : 0);
			return rc;
		}
	}
	return PGT_OK;
}

int64_t dirty_log_start(struct vm *vm, uint64_t *pages)
{
	struct vm_dirty_log *d = &vm->board.dirty;
	uint64_t n = vm_ram_pages(vm);
	uint64_t bytes = ALIGN_UP(ALIGN_UP(n, 64) / 8, PAGE_SIZE);
	void *map;

	if (pa_addr(d->bitmap))
		return SHYPER_E_BUSY;
	if (!n)
		return SHYPER_E_INVALID;
	map = heap_alloc_pages(bytes / PAGE_SIZE, 1);
	if (!map)
		return SHYPER_E_NO_MEMORY;
	memset(map, 0, bytes);
	spin_lock(&d->lock);
	/*
	 * Write-protecting splits the RAM's blocks into pages now, so that a
	 * fault later only changes one entry and never allocates.
	 */
	if (protect_ram(vm, false)) {
		spin_unlock(&d->lock);
		heap_free_pages(map, bytes / PAGE_SIZE);
		return SHYPER_E_NO_MEMORY;
	}
	d->bitmap = hv_pa(map);
	d->bitmap_bytes = bytes;
	d->pages = n;
	d->faults = 0;
	arch_stage2_flush_vmid(vm->board.vmid);
	spin_unlock(&d->lock);
	*pages = n;
	pr_info("vm %u (%s): dirty-page logging on (%lu pages)", vm->id, vm->name,
		(unsigned long)n);
	return SHYPER_OK;
}

int64_t dirty_log_stop(struct vm *vm)
{
	struct vm_dirty_log *d = &vm->board.dirty;
	void *map;
	uint64_t bytes;

	spin_lock(&d->lock);
	if (!pa_addr(d->bitmap)) {
		spin_unlock(&d->lock);
		return SHYPER_E_BUSY;
	}
	/* Every table exists already (start split them): this cannot fail. */
	protect_ram(vm, true);
	/* No pCPU may keep a read-only entry: the log is gone, a fault would
	 * not be its. */
	arch_stage2_flush_vmid(vm->board.vmid);
	map = bitmap(vm);
	bytes = d->bitmap_bytes;
	d->bitmap = pa_init(0);
	d->bitmap_bytes = 0;
	d->pages = 0;
	spin_unlock(&d->lock);
	heap_free_pages(map, bytes / PAGE_SIZE);
	pr_info("vm %u (%s): dirty-page logging off (%lu write faults)", vm->id, vm->name,
		(unsigned long)d->faults);
	return SHYPER_OK;
}

int64_t dirty_log_fetch(struct vm *vm, uint64_t first_page, uint8_t *out, uint64_t bytes,
			uint64_t *dirty)
{
	struct vm_dirty_log *d = &vm->board.dirty;
	uint64_t count = 0;
	bool protect = false;

	if (first_page % 64 || bytes % 8)
		return SHYPER_E_INVALID;
	spin_lock(&d->lock);
	if (!pa_addr(d->bitmap)) {
		spin_unlock(&d->lock);
		return SHYPER_E_BUSY;
	}
	/* Inside the words that cover its pages (the allocation is page-sized). */
	if (first_page >= ALIGN_UP(d->pages, 64) ||
	    bytes > (ALIGN_UP(d->pages, 64) - first_page) / 8) {
		spin_unlock(&d->lock);
		return SHYPER_E_INVALID;
	}
	for (uint64_t w = 0; w < bytes / 8; w++) {
		uint64_t *word = &bitmap(vm)[first_page / 64 + w];
		uint64_t bits = __atomic_exchange_n(word, 0, __ATOMIC_ACQ_REL);

		memcpy(out + w * 8, &bits, 8);
		for (uint64_t b = bits; b; b &= b - 1) {
			uint64_t page = first_page + w * 64 + (uint64_t)__builtin_ctzll(b);
			ipaddr_t ipa;

			count++;
			if (!vm_page_ipa(vm, page, &ipa))
				continue;
			stage2_set_attrs(&vm->board.s2, ipa, PAGE_SIZE, 0, PTE_S2_WRITE);
			protect = true;
		}
	}
	/* Read-only again everywhere before the MVM copies these pages. */
	if (protect)
		arch_stage2_flush_vmid(vm->board.vmid);
	spin_unlock(&d->lock);
	*dirty = count;
	return SHYPER_OK;
}

static void set_bit_atomic(const struct vm *vm, uint64_t page)
{
	__atomic_fetch_or(&bitmap(vm)[page / 64], BIT(page % 64), __ATOMIC_RELEASE);
}

bool dirty_log_fault(struct vm *vm, ipaddr_t ipa)
{
	struct vm_dirty_log *d = &vm->board.dirty;
	uint64_t page, attrs = 0;
	bool ours = false;

	if (!vm_page_of(vm, ipa, &page))
		return false;
	/*
	 * Under the log's lock, always: a start write-protects the RAM before
	 * it publishes the bitmap, and a write that faults in between is the
	 * log's all the same (it waits here until the start is done).
	 */
	spin_lock(&d->lock);
	if (pa_addr(d->bitmap) && page < d->pages) {
		ipaddr_t at = ipa_init(ALIGN_DOWN(ipa_addr(ipa), PAGE_SIZE));

		/* Writable first, then marked: a fetch in between cannot lose it. */
		stage2_set_attrs(&vm->board.s2, at, PAGE_SIZE, PTE_S2_WRITE, 0);
		set_bit_atomic(vm, page);
		d->faults++;
		ours = true;
	} else if (stage2_lookup(&vm->board.s2, ipa, NULL, &attrs) && (attrs & PTE_S2_WRITE)) {
		/* A read-only entry this pCPU kept from a log since stopped. */
		ours = true;
	}
	spin_unlock(&d->lock);
	/*
	 * Its old read-only entry may still be in this pCPU's TLB (another
	 * pCPU that has it faults in turn and lands here too).
	 */
	if (ours)
		arch_stage2_flush_ipa_local(&vm->board.s2, ipa);
	return ours;
}

bool dirty_log_remapped(struct vm *vm, ipaddr_t ipa)
{
	struct vm_dirty_log *d = &vm->board.dirty;
	uint64_t page;
	bool mapped;

	if (!vm_page_of(vm, ipa, &page))
		return false;
	/* Whoever splits RAM's blocks holds the log's lock until every entry
	 * is back: once it is ours, what is still missing really is. */
	spin_lock(&d->lock);
	mapped = stage2_lookup(&vm->board.s2, ipa, NULL, NULL);
	spin_unlock(&d->lock);
	return mapped;
}

void dirty_mark(const struct vm *vm, ipaddr_t ipa, uint64_t len)
{
	/* The lock, not the VM, changes: the writers hold const VMs. */
	struct vm_dirty_log *d = (struct vm_dirty_log *)&vm->board.dirty;
	uint64_t first, last;

	if (!len || !__atomic_load_n(&d->bitmap.pa, __ATOMIC_ACQUIRE))
		return;
	if (!vm_page_of(vm, ipa, &first) || !vm_page_of(vm, ipa_add(ipa, len - 1), &last))
		return;
	/* Under the lock: a stop frees the bitmap under it. */
	spin_lock(&d->lock);
	for (uint64_t p = first; pa_addr(d->bitmap) && p <= last && p < d->pages; p++)
		set_bit_atomic(vm, p);
	spin_unlock(&d->lock);
}
