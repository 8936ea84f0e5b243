// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Bare-metal guests as ELF files: a statically linked AArch64 executable
 * whose loadable segments are placed at their physical addresses in the
 * guest's RAM, entered at its entry point. The file is the user's, so
 * every field is checked before anything is loaded: the identity (64-bit,
 * little-endian, AArch64, an executable), the program header table inside
 * the file, each segment's bytes inside the file, each segment inside the
 * guest's RAM above the device tree's 2 MiB, no two segments overlapping,
 * and the entry point inside a loaded, executable segment.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_internal.h"

/* The ELF64 structures, spelled out: <elf.h> is glibc's, not every libc's. */
#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_AARCH64 183
#define PT_LOAD 1
#define PF_X 1

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

/* More program headers than this is not a bare-metal guest. */
#define ELF_MAX_PHNUM 64

bool shyper_elf_is(const void *head, size_t len)
{
	return len >= 4 && !memcmp(head, "\177ELF", 4);
}

/* Fails with a message naming the file. */
static int bad(char *err, size_t err_len, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t err_len, const char *path, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, err_len, "ELF file %s: %s", path, why);
	return -1;
}

static bool ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

int shyper_elf_parse(const char *path, const void *data, size_t size, uint64_t low,
		     uint64_t high, struct shyper_elf *elf, char *err, size_t err_len)
{
	const struct elf64_ehdr *eh = data;
	bool entry_ok = false;

	memset(elf, 0, sizeof(*elf));
	if (size < sizeof(*eh) || !shyper_elf_is(data, size))
		return bad(err, err_len, path, "not an ELF file, or shorter than its header");
	if (eh->e_ident[4] != ELFCLASS64 || eh->e_ident[5] != ELFDATA2LSB ||
	    eh->e_ident[6] != EV_CURRENT)
		return bad(err, err_len, path, "not a 64-bit little-endian ELF file");
	if (eh->e_machine != EM_AARCH64)
		return bad(err, err_len, path, "built for machine %u, not AArch64 (%u)",
			   eh->e_machine, EM_AARCH64);
	if (eh->e_type != ET_EXEC)
		return bad(err, err_len, path, "not a statically linked executable (type %u)",
			   eh->e_type);
	if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_MAX_PHNUM)
		return bad(err, err_len, path, "%u program headers of %u bytes: expected 1 to %d "
			   "of %zu", eh->e_phnum, eh->e_phentsize, ELF_MAX_PHNUM,
			   sizeof(struct elf64_phdr));
	if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) >
					  size - eh->e_phoff)
		return bad(err, err_len, path, "its program headers lie outside the file");

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		struct elf64_phdr ph;
		struct shyper_elf_segment *seg;

		/* e_phoff need not be aligned: copy rather than cast. */
		memcpy(&ph, (const char *)data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return bad(err, err_len, path, "segment %u has more file bytes (%#llx) than "
				   "memory (%#llx)", i, (unsigned long long)ph.p_filesz,
				   (unsigned long long)ph.p_memsz);
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			return bad(err, err_len, path, "segment %u's bytes lie outside the file", i);
		if (ph.p_paddr < low || ph.p_paddr >= high || ph.p_memsz > high - ph.p_paddr)
			return bad(err, err_len, path, "segment %u at %#llx+%#llx is outside the "
				   "guest's RAM above its device tree (%#llx-%#llx)", i,
				   (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz,
				   (unsigned long long)low, (unsigned long long)high);
		for (unsigned int j = 0; j < elf->count; j++)
			if (ranges_overlap(ph.p_paddr, ph.p_memsz, elf->seg[j].paddr,
					   elf->seg[j].memsz))
				return bad(err, err_len, path, "segment %u overlaps an earlier one", i);
		if (elf->count == SHYPER_ELF_MAX_SEGMENTS)
			return bad(err, err_len, path, "more than %d loadable segments",
				   SHYPER_ELF_MAX_SEGMENTS);
		seg = &elf->seg[elf->count++];
		seg->offset = ph.p_offset;
		seg->filesz = ph.p_filesz;
		seg->paddr = ph.p_paddr;
		seg->memsz = ph.p_memsz;
		if (ph.p_paddr + ph.p_memsz > elf->end)
			elf->end = ph.p_paddr + ph.p_memsz;
		if ((ph.p_flags & PF_X) && eh->e_entry >= ph.p_paddr &&
		    eh->e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
	}
	if (!elf->count)
		return bad(err, err_len, path, "nothing to load (no PT_LOAD segment)");
	if (!entry_ok || (eh->e_entry & 3))
		return bad(err, err_len, path, "its entry point %#llx is not an aligned address "
			   "in a loaded executable segment", (unsigned long long)eh->e_entry);
	elf->entry = eh->e_entry;
	return 0;
}

int shyper_elf_read(const char *path, size_t max, void **data, size_t *size)
{
	struct stat st;
	size_t done = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = done;
	return 0;
}
