// SPDX-License-Identifier: GPL-2.0
/* Fatal errors in the hypervisor: report, then stop every pCPU. */
#include <hv/arch.h>
#include <hv/log.h>
#include <hv/panic.h>
#include <hv/pcpu.h>
#include <hv/state.h>

void panic(const char *fmt, ...)
{
	static int panicking;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("PANIC on pCPU %u: %s", arch_cpu_index(), msg);
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_ACQ_REL) == 0 && hv_state) {
		for (unsigned i = 0; i < MAX_PCPUS; i++)
			if ((hv_state->pcpu_online_mask & BIT(i)) && i != arch_cpu_index())
				pcpu_send_ipi(i, IPI_HALT);
		pr_err("all pCPUs halted");
	}
	arch_cpu_halt();
}
