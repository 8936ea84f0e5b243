/* SPDX-License-Identifier: GPL-2.0 */
/* The migration hypercalls (core/migrate.c; ABI 1.9 in shyper/abi.h). */
#ifndef HV_MIGRATE_H
#define HV_MIGRATE_H

#include <hv/vm.h>

/* SHYPER_HC_VM_DIRTY_LOG: OP is SHYPER_DIRTY_START (PAGES: how many) or _STOP. */
int64_t migrate_dirty_log_call(struct vm *vm, uint64_t op, uint64_t *pages);
/* SHYPER_HC_VM_DIRTY_FETCH into the caller's [ipa, ipa+bytes). */
int64_t migrate_dirty_fetch_call(struct vm *vm, const struct vm *caller, uint64_t first_page,
				 uint64_t ipa, uint64_t bytes, uint64_t *dirty);
/* SHYPER_HC_VM_MEM_READ (WRITE false) and SHYPER_HC_VM_MEM_WRITE. */
int64_t migrate_mem_call(struct vm *vm, const struct vm *caller, bool write, uint64_t list_ipa,
			 uint64_t count, uint64_t data_ipa);

#endif
