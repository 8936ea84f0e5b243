// SPDX-License-Identifier: GPL-2.0
/*
 * shyper_bench.ko: what a hypercall costs, seen from the MVM kernel.
 *
 *   insmod shyper_bench.ko [calls=100000] [batches=5]; dmesg; rmmod shyper_bench
 *
 * Times `calls` null hypercalls (SHYPER_HC_NOP over HVC) and, as the
 * reference, `calls` PSCI_VERSION calls through the conduit Linux itself
 * uses for PSCI (arm_smccc_1_1_invoke), in virtual-counter ticks. Each is
 * run in `batches` batches; the median batch's ticks per call is reported,
 * with the counter frequency, as one line in the kernel log.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/arm-smccc.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <uapi/linux/psci.h>
#include <asm/barrier.h>
#include <asm/sysreg.h>
#include <shyper/abi.h>

static unsigned int calls = 100000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "calls per batch (default 100000)");

static unsigned int batches = 5;
module_param(batches, uint, 0444);
MODULE_PARM_DESC(batches, "batches per measurement, median reported (default 5)");

#define BENCH_MAX_BATCHES 31

static u64 bench_counter(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static int bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 bench_nop_batch(void)
{
	struct arm_smccc_res res;
	u64 start = bench_counter();
	unsigned int i;

	for (i = 0; i < calls; i++)
		arm_smccc_1_1_hvc(SHYPER_HC_NOP, &res);
	return bench_counter() - start;
}

static u64 bench_psci_batch(void)
{
	struct arm_smccc_res res;
	u64 start = bench_counter();
	unsigned int i;

	for (i = 0; i < calls; i++)
		arm_smccc_1_1_invoke(PSCI_0_2_FN_PSCI_VERSION, &res);
	return bench_counter() - start;
}

/* Median over the batches of the total ticks, in hundredths of a tick per call. */
static u64 bench_run(u64 (*batch)(void))
{
	u64 ticks[BENCH_MAX_BATCHES];
	unsigned int i;

	for (i = 0; i < batches; i++) {
		ticks[i] = batch();
		cond_resched();
	}
	sort(ticks, batches, sizeof(ticks[0]), bench_cmp, NULL);
	return div64_u64(ticks[batches / 2] * 100, calls);
}

static const char *bench_conduit_name(void)
{
	switch (arm_smccc_1_1_get_conduit()) {
	case SMCCC_CONDUIT_HVC:
		return "hvc";
	case SMCCC_CONDUIT_SMC:
		return "smc";
	default:
		return NULL;
	}
}

static int __init bench_init(void)
{
	struct arm_smccc_res res;
	const char *conduit = bench_conduit_name();
	u64 freq = read_sysreg(cntfrq_el0);
	u64 nop, psci = 0;

	if (!calls || !batches || batches > BENCH_MAX_BATCHES)
		return -EINVAL;
	arm_smccc_1_1_hvc(SHYPER_HC_NOP, &res);
	if (res.a0 != SHYPER_OK) {
		pr_err("SHYPER_HC_NOP returned %ld: not running under Shyper\n", (long)res.a0);
		return -ENODEV;
	}

	nop = bench_run(bench_nop_batch);
	if (conduit)
		psci = bench_run(bench_psci_batch);

	if (psci)
		pr_info("counter %llu Hz, %u calls x %u batches (median): SHYPER_HC_NOP (hvc) %llu.%02llu ticks/call, PSCI_VERSION (%s) %llu.%02llu ticks/call, ratio %llu.%02llu\n",
			freq, calls, batches, nop / 100, nop % 100, conduit,
			psci / 100, psci % 100, nop / psci, nop * 100 / psci % 100);
	else
		pr_info("counter %llu Hz, %u calls x %u batches (median): SHYPER_HC_NOP (hvc) %llu.%02llu ticks/call, PSCI_VERSION: no SMCCC 1.1 conduit\n",
			freq, calls, batches, nop / 100, nop % 100);
	return 0;
}
module_init(bench_init);

static void __exit bench_exit(void)
{
}
module_exit(bench_exit);

MODULE_DESCRIPTION("Round-trip cost of Shyper hypercalls (test)");
MODULE_LICENSE("GPL");
