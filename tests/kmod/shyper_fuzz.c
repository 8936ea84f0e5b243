// SPDX-License-Identifier: GPL-2.0
/*
 * shyper_fuzz.ko: throws random hypercalls at Shyper from the MVM kernel.
 *
 *   insmod shyper_fuzz.ko [calls=100000] [seed=N]
 *
 * Function IDs are mostly in the vendor-specific hypervisor range (Shyper's
 * own calls above all), the rest random 32-bit values. Arguments are
 * addresses the hypervisor must refuse (its own memory below the MVM's RAM,
 * the guest pool above it, 0, ~0, ranges straddling either end of the
 * MVM's RAM), addresses in a kernel buffer of ours filled with a canary,
 * and plain random values. No argument ever points into the MVM's RAM
 * outside that buffer, so a correct hypervisor can only write into the
 * buffer, and only near where it was pointed.
 *
 * Never called: PSCI (CPU_OFF or SYSTEM_OFF would stop the board), and
 * EVENT_SETUP and EVENT_PING, which would move or fill shyper.ko's event
 * ring. EVENT_SETUP's argument checks are tried separately, with arguments
 * it must refuse.
 *
 * Afterwards the buffer's canary must be intact beyond the reach of any
 * call, and HV_INFO and VM_LIST must answer as before. One summary line
 * goes to the kernel log; the load fails with -EIO if a check failed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/arm-smccc.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <shyper/abi.h>

static unsigned int calls = 100000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "number of random hypercalls (default 100000)");

static ulong seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "random seed (default: a random one, printed)");

/* Hypervisor memory lies below the MVM's RAM, from here (QEMU virt). */
#define FUZZ_HV_BASE 0x40000000ULL

/*
 * The arena: a buffer of ours, filled with a canary. Calls point only into
 * its first FUZZ_WINDOW bytes, with lengths that keep what a correct
 * hypervisor may write within FUZZ_REACH of the pointer (the largest
 * legitimate write is VM_LIST's 64 records); beyond that the canary must
 * survive.
 */
#define FUZZ_ARENA_ORDER 4
#define FUZZ_ARENA_SIZE (PAGE_SIZE << FUZZ_ARENA_ORDER)
#define FUZZ_WINDOW (FUZZ_ARENA_SIZE / 2)
#define FUZZ_REACH 8192
#define FUZZ_CANARY 0xa5
#define FUZZ_SMALL_MAX 4096

/* Status slots: 0, -1 .. -9, anything else. */
#define FUZZ_STATUS_SLOTS 11

struct fuzz {
	u64 rng;
	u8 *arena;
	phys_addr_t arena_pa;
	phys_addr_t ram_start, ram_end;	/* the MVM's RAM: [start, end) */
	u32 guest_ids[SHYPER_VM_LIST_MAX];
	unsigned int guest_count;
	u32 mvm_id;
	size_t reach_end;		/* arena offsets below this may change */
	unsigned long status[FUZZ_STATUS_SLOTS];
	unsigned long arena_calls;
	unsigned long failures;
};

/* xorshift64*: reproducible from the seed. */
static u64 fuzz_rand(struct fuzz *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545f4914f6cdd1dULL;
}

static u64 fuzz_below(struct fuzz *f, u64 n)
{
	return n ? fuzz_rand(f) % n : 0;
}

static bool fuzz_in_ram(struct fuzz *f, u64 addr)
{
	return addr >= f->ram_start && addr < f->ram_end;
}

static int fuzz_ram_range(struct resource *res, void *arg)
{
	struct fuzz *f = arg;

	if (!f->ram_end || res->start < f->ram_start)
		f->ram_start = res->start;
	if (res->end + 1 > f->ram_end)
		f->ram_end = res->end + 1;
	return 0;
}

static bool fuzz_is_forbidden_id(u32 fn)
{
	/* PSCI, SMC32 and SMC64: 0x84000000-0x8400001f, 0xc4000000-0xc400001f */
	if ((fn & 0xbfffffe0U) == 0x84000000U)
		return true;
	return fn == SHYPER_HC_EVENT_SETUP || fn == SHYPER_HC_EVENT_PING;
}

static u32 fuzz_function_id(struct fuzz *f)
{
	u32 fn;

	do {
		u64 r = fuzz_rand(f);

		switch (r % 16) {
		case 0 ... 5:	/* Shyper's calls, and unused numbers just past them */
			fn = SHYPER_HC((r >> 8) % (SHYPER_HC_LAST + 8));
			break;
		case 6 ... 8:	/* vendor hypervisor service, SMC32 */
			fn = 0x86000000U | ((r >> 8) & 0xffff);
			break;
		case 9 ... 11:	/* vendor hypervisor service, SMC64 */
			fn = 0xc6000000U | ((r >> 8) & 0xffff);
			break;
		default:
			fn = (u32)(r >> 16);
			break;
		}
	} while (fuzz_is_forbidden_id(fn));
	return fn;
}

/* A value or address that is nowhere in the MVM's RAM. */
static u64 fuzz_outside(struct fuzz *f)
{
	u64 v;

	switch (fuzz_below(f, 12)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL - fuzz_below(f, 4096);
	case 2 ... 3:	/* hypervisor memory */
		if (f->ram_start > FUZZ_HV_BASE)
			return FUZZ_HV_BASE + fuzz_below(f, f->ram_start - FUZZ_HV_BASE);
		return FUZZ_HV_BASE - 1 - fuzz_below(f, SZ_1M);
	case 4:		/* starts in hypervisor memory, runs into the MVM's */
		return f->ram_start - 1 - fuzz_below(f, 256);
	case 5 ... 6:	/* above the MVM's RAM: the guest pool and beyond */
		return f->ram_end + fuzz_below(f, SZ_1G);
	case 7:		/* small: lengths, counts, ids */
		return fuzz_below(f, FUZZ_SMALL_MAX + 1);
	case 8:		/* boundaries of the ABI's limits */
		switch (fuzz_below(f, 6)) {
		case 0:
			return SHYPER_HV_INFO_SIZE_V1 - fuzz_below(f, 2);
		case 1:
			return SHYPER_VM_INFO_SIZE_V1 - fuzz_below(f, 2);
		case 2:
			return SHYPER_VM_LIST_MAX + fuzz_below(f, 2);
		case 3:
			return SZ_1M + fuzz_below(f, 2);
		case 4:
			return 1ULL << fuzz_below(f, 64);
		default:
			return (u64)S64_MAX + fuzz_below(f, 2);
		}
	default:	/* anything at all, but not in the MVM's RAM */
		do {
			v = fuzz_rand(f);
			if (fuzz_below(f, 2))
				v &= 0xffffffffULL;
		} while (fuzz_in_ram(f, v));
		return v;
	}
}

/* An address in the arena's window, which the call may write behind. */
static u64 fuzz_arena_addr(struct fuzz *f)
{
	size_t off;

	if (fuzz_below(f, 4))
		off = fuzz_below(f, FUZZ_WINDOW);
	else		/* just before the window's end: straddles it */
		off = FUZZ_WINDOW - 1 - fuzz_below(f, 256);
	f->reach_end = max_t(size_t, f->reach_end, off + FUZZ_REACH);
	f->arena_calls++;
	return f->arena_pa + off;
}

/* A value at most FUZZ_SMALL_MAX or an address outside the MVM's RAM. */
static u64 fuzz_bounded(struct fuzz *f)
{
	u64 v;

	do {
		v = fuzz_outside(f);
	} while (v > FUZZ_SMALL_MAX && v < FUZZ_HV_BASE);
	return v;
}

static void fuzz_count(struct fuzz *f, long status)
{
	if (status <= 0 && status >= -9)
		f->status[-status]++;
	else
		f->status[FUZZ_STATUS_SLOTS - 1]++;
}

/* Lifecycle calls take a VM id in x1: never one of a guest that exists. */
static u64 fuzz_safe_vm_id(struct fuzz *f, u64 id)
{
	unsigned int i;

	for (i = 0; i < f->guest_count; i++)
		if (id == f->guest_ids[i])
			return f->mvm_id;
	return id;
}

static void fuzz_one(struct fuzz *f)
{
	struct arm_smccc_res res;
	u64 a[7];
	u32 fn = fuzz_function_id(f);
	unsigned int i, kind = fuzz_below(f, 8);

	for (i = 1; i <= 6; i++)
		a[i] = fuzz_outside(f);
	if (kind < 3) {
		/*
		 * One or two arguments point into the arena; the others stay
		 * small or far away, so no length reaches past FUZZ_REACH.
		 */
		for (i = 1; i <= 6; i++)
			a[i] = fuzz_bounded(f);
		a[1 + fuzz_below(f, 4)] = fuzz_arena_addr(f);
		if (kind == 0)
			a[1 + fuzz_below(f, 4)] = fuzz_arena_addr(f);
	} else if (kind == 3) {
		/*
		 * The last bytes of the MVM's RAM, with every length too big
		 * to fit: a correct hypervisor refuses whatever the call is.
		 */
		for (i = 1; i <= 6; i++)
			do {
				a[i] = fuzz_outside(f);
			} while (a[i] < SZ_64K);
		a[1 + fuzz_below(f, 4)] = f->ram_end - 1 - fuzz_below(f, 63);
	}
	if (fn >= SHYPER_HC_VM_LOAD && fn <= SHYPER_HC_LAST)
		a[1] = fuzz_safe_vm_id(f, a[1]);

	arm_smccc_1_1_hvc(fn, a[1], a[2], a[3], a[4], a[5], a[6], &res);
	fuzz_count(f, (long)res.a0);
}

/* EVENT_SETUP with arguments it must refuse; each would move shyper.ko's ring. */
static void fuzz_event_setup(struct fuzz *f)
{
	const struct {
		u64 ipa, size;
	} bad[] = {
		{ f->arena_pa + 8, PAGE_SIZE },		/* unaligned */
		{ f->arena_pa + 2048, PAGE_SIZE },
		{ f->arena_pa, 0 },			/* no size */
		{ f->arena_pa, 17 * PAGE_SIZE },	/* too big */
		{ f->arena_pa, ~0ULL & PAGE_MASK },
		{ FUZZ_HV_BASE, PAGE_SIZE },		/* hypervisor memory */
		{ f->ram_start - PAGE_SIZE, 2 * PAGE_SIZE }, /* straddles RAM's start */
		{ f->ram_end - PAGE_SIZE, 2 * PAGE_SIZE },   /* and its end */
		{ f->ram_end, PAGE_SIZE },		/* the guest pool */
		{ ~0ULL & PAGE_MASK, PAGE_SIZE },
	};
	struct arm_smccc_res res;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		arm_smccc_1_1_hvc(SHYPER_HC_EVENT_SETUP, bad[i].ipa, bad[i].size, &res);
		if ((long)res.a0 == SHYPER_OK) {
			pr_err("EVENT_SETUP accepted a bad ring (%#llx, %#llx)\n",
			       bad[i].ipa, bad[i].size);
			f->failures++;
		}
	}
}

/* What must not change: HV_INFO but for uptime and free pool, and VM_LIST. */
struct fuzz_snapshot {
	struct shyper_hv_info info;
	struct shyper_vm_info vms[SHYPER_VM_LIST_MAX];
	u64 vm_total;
	long info_status, list_status;
};

static void fuzz_snapshot(struct fuzz_snapshot *s)
{
	struct arm_smccc_res res;

	memset(s, 0, sizeof(*s));
	arm_smccc_1_1_hvc(SHYPER_HC_HV_INFO, virt_to_phys(&s->info), sizeof(s->info), &res);
	s->info_status = res.a0;
	arm_smccc_1_1_hvc(SHYPER_HC_VM_LIST, virt_to_phys(s->vms), SHYPER_VM_LIST_MAX, &res);
	s->list_status = res.a0;
	s->vm_total = res.a1;
	s->info.uptime_ns = 0;
	s->info.pool_free = 0;
}

static void fuzz_learn_vms(struct fuzz *f, const struct fuzz_snapshot *s)
{
	unsigned int i, n = min_t(u64, s->vm_total, SHYPER_VM_LIST_MAX);

	for (i = 0; i < n && s->list_status == SHYPER_OK; i++) {
		if (s->vms[i].type == SHYPER_VM_MVM)
			f->mvm_id = s->vms[i].id;
		else
			f->guest_ids[f->guest_count++] = s->vms[i].id;
	}
}

static bool fuzz_same_vm(const struct shyper_vm_info *a, const struct shyper_vm_info *b)
{
	/* Identity and configuration; not the counters that move. */
	return a->id == b->id && a->type == b->type && a->state == b->state &&
	       a->vcpu_count == b->vcpu_count && a->memory == b->memory &&
	       !memcmp(a->name, b->name, sizeof(a->name));
}

static void fuzz_compare(struct fuzz *f, const struct fuzz_snapshot *before,
			 const struct fuzz_snapshot *after)
{
	unsigned int i, n = min_t(u64, before->vm_total, SHYPER_VM_LIST_MAX);

	if (after->info_status != before->info_status ||
	    memcmp(&after->info, &before->info, sizeof(after->info))) {
		pr_err("HV_INFO changed (status %ld -> %ld, %u -> %u VMs, pool %llu -> %llu)\n",
		       before->info_status, after->info_status, before->info.vm_count,
		       after->info.vm_count, before->info.pool_total, after->info.pool_total);
		f->failures++;
	}
	if (after->list_status != before->list_status || after->vm_total != before->vm_total) {
		pr_err("VM_LIST changed (status %ld -> %ld, %llu -> %llu VMs)\n",
		       before->list_status, after->list_status, before->vm_total,
		       after->vm_total);
		f->failures++;
		return;
	}
	for (i = 0; i < n; i++) {
		if (!fuzz_same_vm(&before->vms[i], &after->vms[i])) {
			pr_err("VM %u changed\n", before->vms[i].id);
			f->failures++;
		}
	}
}

static void fuzz_check_arena(struct fuzz *f)
{
	size_t off, first_bad = 0, bad = 0;

	for (off = min_t(size_t, f->reach_end, FUZZ_ARENA_SIZE); off < FUZZ_ARENA_SIZE; off++) {
		if (f->arena[off] != FUZZ_CANARY) {
			if (!bad)
				first_bad = off;
			bad++;
		}
	}
	if (bad) {
		pr_err("%zu canary bytes overwritten beyond any call's reach (first at arena offset %#zx, reach ended at %#zx)\n",
		       bad, first_bad, f->reach_end);
		f->failures++;
	}
}

static int __init fuzz_init(void)
{
	static const char * const names[FUZZ_STATUS_SLOTS] = {
		"ok", "not_supported", "invalid", "denied", "bad_address",
		"no_entry", "busy", "exists", "no_memory", "too_many", "other",
	};
	struct fuzz_snapshot *before, *after;
	struct fuzz *f;
	unsigned int i;
	char line[256];
	int len = 0, ret = 0;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	before = kzalloc(sizeof(*before), GFP_KERNEL);
	after = kzalloc(sizeof(*after), GFP_KERNEL);
	f->arena = (u8 *)__get_free_pages(GFP_KERNEL, FUZZ_ARENA_ORDER);
	if (!f || !before || !after || !f->arena) {
		ret = -ENOMEM;
		goto out;
	}
	memset(f->arena, FUZZ_CANARY, FUZZ_ARENA_SIZE);
	f->arena_pa = virt_to_phys(f->arena);

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM, 0, ~0ULL, f,
			    fuzz_ram_range);
	if (!f->ram_end || !fuzz_in_ram(f, f->arena_pa)) {
		pr_err("cannot find the MVM's RAM in the resource tree\n");
		ret = -ENODEV;
		goto out;
	}

	if (!seed)
		seed = get_random_u64() | 1;
	f->rng = seed;

	fuzz_snapshot(before);
	fuzz_learn_vms(f, before);

	for (i = 0; i < calls; i++) {
		fuzz_one(f);
		if (!(i % 1024))
			cond_resched();
	}
	fuzz_event_setup(f);

	fuzz_snapshot(after);
	fuzz_compare(f, before, after);
	fuzz_check_arena(f);

	for (i = 0; i < FUZZ_STATUS_SLOTS; i++)
		if (f->status[i])
			len += scnprintf(line + len, sizeof(line) - len, " %s %lu", names[i],
					 f->status[i]);
	pr_info("%u calls (seed %#lx, RAM %pa-%pa, %lu into the canary buffer):%s; %s\n",
		calls, seed, &f->ram_start, &f->ram_end, f->arena_calls, line,
		f->failures ? "FAIL" : "ok");
	if (f->failures)
		ret = -EIO;
out:
	if (f && f->arena)
		free_pages((unsigned long)f->arena, FUZZ_ARENA_ORDER);
	kfree(after);
	kfree(before);
	kfree(f);
	return ret;
}
module_init(fuzz_init);

static void __exit fuzz_exit(void)
{
}
module_exit(fuzz_exit);

MODULE_DESCRIPTION("Random hypercalls at the Shyper hypervisor (test)");
MODULE_LICENSE("GPL");
