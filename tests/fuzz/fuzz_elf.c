// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: libshyper's ELF guest checker (lib/elf.c) on arbitrary
 * files. Whatever it accepts must be safe to load as it says: every
 * segment's bytes inside the file, every segment inside the RAM window,
 * no overlaps, the entry point inside a loaded segment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_internal.h"

#define LOW 0x40200000ULL
#define HIGH 0x48000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shyper_elf elf;
	char err[256];
	int entry_in = 0;

	if (shyper_elf_parse("fuzz", data, size, LOW, HIGH, &elf, err, sizeof(err)))
		return 0;
	if (!elf.count || elf.count > SHYPER_ELF_MAX_SEGMENTS)
		abort();
	for (unsigned int i = 0; i < elf.count; i++) {
		const struct shyper_elf_segment *s = &elf.seg[i];

		if (s->offset > size || s->filesz > size - s->offset || s->filesz > s->memsz)
			abort();
		if (s->paddr < LOW || s->paddr >= HIGH || s->memsz > HIGH - s->paddr)
			abort();
		if (s->paddr + s->memsz > elf.end)
			abort();
		for (unsigned int j = 0; j < i; j++)
			if (s->paddr < elf.seg[j].paddr + elf.seg[j].memsz &&
			    elf.seg[j].paddr < s->paddr + s->memsz)
				abort();
		if (elf.entry >= s->paddr && elf.entry - s->paddr < s->memsz)
			entry_in = 1;
	}
	if (!entry_in)
		abort();
	return 0;
}
