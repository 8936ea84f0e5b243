/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ticket spinlock on the compiler's atomics: ldaxr/stlxr on AArch64, the host's
 * atomics in unit tests. Fair, so one busy pCPU cannot starve another.
 */
#ifndef HV_SPINLOCK_H
#define HV_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
	uint16_t next;
	uint16_t owner;
};

static inline void spin_lock(struct spinlock *l)
{
	uint16_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		;
}

/* Take the lock only if it is free now (next == owner: nobody holds or
 * waits for it); true if taken. */
static inline bool spin_trylock(struct spinlock *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	uint16_t expect = owner;

	return __atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

#endif
