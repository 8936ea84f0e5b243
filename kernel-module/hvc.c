// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercalls into Shyper: the HVC conduit of the SMC Calling Convention
 * 1.1, the mapping of Shyper's status codes to errno values, and the check
 * that the hypervisor underneath really is Shyper, speaking our ABI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/printk.h>
#include "shyper.h"

long shyper_hvc(u32 fn, unsigned long a1, unsigned long a2, unsigned long a3,
		struct arm_smccc_res *res)
{
	arm_smccc_1_1_hvc(fn, a1, a2, a3, res);
	return (long)res->a0;
}

long shyper_hvc4(u32 fn, unsigned long a1, unsigned long a2, unsigned long a3,
		 unsigned long a4, struct arm_smccc_res *res)
{
	arm_smccc_1_1_hvc(fn, a1, a2, a3, a4, res);
	return (long)res->a0;
}

int shyper_status_to_errno(long status)
{
	switch (status) {
	case SHYPER_OK:
		return 0;
	case SHYPER_E_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case SHYPER_E_INVALID:
		return -EINVAL;
	case SHYPER_E_DENIED:
		return -EPERM;
	case SHYPER_E_BAD_ADDRESS:
		return -EFAULT;
	case SHYPER_E_NO_ENTRY:
		return -ENOENT;
	case SHYPER_E_BUSY:
		return -EBUSY;
	case SHYPER_E_EXISTS:
		return -EEXIST;
	case SHYPER_E_NO_MEMORY:
		return -ENOMEM;
	case SHYPER_E_TOO_MANY:
		return -ENOSPC;
	case SHYPER_E_ABORTED:
		return -ECANCELED;
	default:
		/* Not in the ABI: the hypervisor misbehaved. */
		return -EIO;
	}
}

/*
 * Asks the vendor-specific hypervisor service who it is (Call UID) and which
 * ABI it speaks (Revision); gives its minor version. Only called once the
 * device tree has named a Shyper node, so an HVC is known to reach a
 * hypervisor. Only the major must match ours: minors add calls, and a call
 * the hypervisor lacks answers NOT_SUPPORTED (EOPNOTSUPP), so this module
 * works with a hypervisor of an older or newer minor.
 */
int shyper_identify(u32 *minor_out)
{
	struct arm_smccc_res res;
	u32 major, minor;

	shyper_hvc(SHYPER_HC_CALL_UID, 0, 0, 0, &res);
	if ((u32)res.a0 != SHYPER_UID_W0 || (u32)res.a1 != SHYPER_UID_W1 ||
	    (u32)res.a2 != SHYPER_UID_W2 || (u32)res.a3 != SHYPER_UID_W3) {
		pr_err("not running under the Shyper hypervisor (vendor hypervisor UID %08x %08x %08x %08x)\n",
		       (u32)res.a0, (u32)res.a1, (u32)res.a2, (u32)res.a3);
		return -ENODEV;
	}

	shyper_hvc(SHYPER_HC_REVISION, 0, 0, 0, &res);
	major = (u32)res.a0;
	minor = (u32)res.a1;
	if (major != SHYPER_ABI_MAJOR) {
		pr_err("Shyper hypervisor ABI %u.%u is not supported (this module speaks %u.%u)\n",
		       major, minor, SHYPER_ABI_MAJOR, SHYPER_ABI_MINOR);
		return -ENODEV;
	}
	pr_debug("Shyper hypervisor ABI %u.%u\n", major, minor);
	*minor_out = minor;
	return 0;
}
