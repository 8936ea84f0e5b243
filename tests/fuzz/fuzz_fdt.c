// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: reading a board device tree and deriving the MVM's from
 * it, on arbitrary (possibly malformed) device-tree blobs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hv/board.h>
#include <hv/mvm.h>
#include <hv/state.h>
#include <libfdt.h>

static uint8_t out[256 * 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct board_info b;
	struct mem_region mem[2] = { { { 0x42000000 }, { 0x42000000 }, 64 << 20 },
				     { { 0x80000000 }, { 0x80000000 }, 32 << 20 } };
	struct mmio_range dev[64];
	uint64_t mpidr[2] = { 0, 1 };
	struct mvm_fdt_params params = {
		.mem = mem, .mem_count = 2, .bootargs = "console=ttyAMA0",
		.cpu_mpidr = mpidr, .cpu_count = 2, .hv_version = "fuzz", .notify_intid = 300,
	};
	char err[200];
	void *blob;

	/* libfdt reads the blob in place: give it its own aligned copy. */
	blob = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (!blob)
		return 0;
	memcpy(blob, data, size);
	/* The board's DT comes from firmware and is trusted to be as long as it
	 * says; the fuzzer must not lie about that. */
	if (size >= 40 && fdt_totalsize(blob) <= size &&
	    board_parse(blob, &b, err, sizeof(err)) == 0) {
		if (b.pcpu_count == 0 || b.pcpu_count > MAX_PCPUS || b.mem_count == 0)
			abort();
		if (mvm_fdt_build(blob, &params, out, sizeof(out), err, sizeof(err)) == 0)
			fdt_collect_devices(out, dev, 64);
	}
	free(blob);
	return 0;
}
