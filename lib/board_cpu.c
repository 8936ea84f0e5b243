// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The board's CPU models, by the names QEMU and libvirt give them, read from
 * the MVM: a guest's vCPU is the pCPU it is pinned to (the hypervisor shows
 * guests the physical MIDR), so a definition's <cpu mode='custom'><model>
 * must name what that pCPU is. The MVM's CPU n runs on pCPU n, and Linux
 * shows its MIDR_EL1 in sysfs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_cpu.h"
#include "hostdev_internal.h"

/* Implementer and part number (MIDR_EL1 bits 31:24 and 15:4), by name. */
static const struct {
	uint32_t implementer, part;
	const char *name;
} cpu_models[] = {
	{ 0x41, 0xd03, "cortex-a53" }, { 0x41, 0xd04, "cortex-a35" },
	{ 0x41, 0xd05, "cortex-a55" }, { 0x41, 0xd07, "cortex-a57" },
	{ 0x41, 0xd08, "cortex-a72" }, { 0x41, 0xd09, "cortex-a73" },
	{ 0x41, 0xd0b, "cortex-a76" }, { 0x41, 0xd0c, "neoverse-n1" },
	{ 0x41, 0xd40, "neoverse-v1" }, { 0x41, 0xd49, "neoverse-n2" },
	{ 0x4e, 0x003, "denver2" },    { 0x46, 0x001, "a64fx" },
};

const char *board_cpu_model_name(uint64_t midr)
{
	uint32_t implementer = (uint32_t)(midr >> 24) & 0xff, part = (uint32_t)(midr >> 4) & 0xfff;

	for (size_t i = 0; i < sizeof(cpu_models) / sizeof(cpu_models[0]); i++)
		if (cpu_models[i].implementer == implementer && cpu_models[i].part == part)
			return cpu_models[i].name;
	return NULL;
}

int board_cpu_midr(unsigned int pcpu, uint64_t *midr)
{
	char path[512], text[32], *end;
	FILE *f;

	snprintf(path, sizeof(path), "%s/devices/system/cpu/cpu%u/regs/identification/midr_el1",
		 shyper_sysfs_root(), pcpu);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(text, sizeof(text), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	*midr = strtoull(text, &end, 0);
	return end != text && (*end == '\n' || *end == '\0') ? 0 : -1;
}
