/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * ELF bare-metal guests inside libshyper (elf.c): checking an executable's
 * headers against the guest's RAM, for manage_load.c to load its segments.
 */
#ifndef SHYPER_LIB_ELF_INTERNAL_H
#define SHYPER_LIB_ELF_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHYPER_ELF_MAX_SEGMENTS 16

struct shyper_elf_segment {
	uint64_t offset;  /* of its bytes in the file */
	uint64_t filesz;  /* bytes from the file; the rest of memsz stays zero */
	uint64_t paddr;   /* guest physical address (IPA) */
	uint64_t memsz;
};

struct shyper_elf {
	uint64_t entry;
	uint64_t end;     /* the highest segment's end */
	unsigned int count;
	struct shyper_elf_segment seg[SHYPER_ELF_MAX_SEGMENTS];
};

/* Whether the LEN bytes at HEAD start an ELF file. */
bool shyper_elf_is(const void *head, size_t len);

/*
 * Checks the SIZE-byte ELF file at DATA (read from PATH, which messages
 * name) as a bare-metal AArch64 guest whose segments must lie in
 * [LOW, HIGH). Returns 0 and fills *ELF, or -1 with the reason in ERR.
 */
int shyper_elf_parse(const char *path, const void *data, size_t size, uint64_t low,
		     uint64_t high, struct shyper_elf *elf, char *err, size_t err_len);

/* Reads the whole file at PATH if it is at most MAX bytes: 0, or -errno
 * (-EFBIG when larger). *DATA is for free(). */
int shyper_elf_read(const char *path, size_t max, void **data, size_t *size);

#endif /* SHYPER_LIB_ELF_INTERNAL_H */
