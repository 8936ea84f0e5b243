// SPDX-License-Identifier: GPL-2.0
/*
 * Test module: makes the MVM do something the hypervisor cannot handle.
 * Loading it reads CNTP_CTL_EL0, the EL1 physical timer, which Shyper keeps
 * for itself (CNTHCTL_EL2.EL1PCEN = 0): the access traps to EL2, and the
 * hypervisor must log the exception and stop this VM while it keeps
 * running. Used by tests/system/test_traps.py on a board of its own.
 */
#include <linux/module.h>
#include <linux/printk.h>

static int __init shyper_trap_init(void)
{
	u64 ctl;

	pr_info("shyper_trap: reading CNTP_CTL_EL0\n");
	asm volatile("mrs %0, cntp_ctl_el0" : "=r"(ctl));
	/* Only reached if the access was not trapped. */
	pr_err("shyper_trap: CNTP_CTL_EL0 = %llx: the access was not trapped\n", ctl);
	return -EIO;
}
module_init(shyper_trap_init);

MODULE_DESCRIPTION("Shyper test: provoke a trap the hypervisor cannot handle");
MODULE_LICENSE("GPL");
