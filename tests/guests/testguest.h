/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guest's internal interfaces: console output (console.c), a
 * read-only device-tree walker (fdt.c), SMCCC/PSCI calls, and what
 * start.S provides.
 */
#ifndef TESTGUEST_H
#define TESTGUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CPUS 8	/* stack slots in start.S */

/* ---- console.c: the guest machine's PL011 -------------------------------- */

void console_putc(char c);
void console_puts(const char *s);
/* printf subset: %s %c %d %u %x %p, flags '#' '0', width, 'l'/'ll'/'z'. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- fdt.c: just enough of a flattened device tree ----------------------- */

/* Checks the header at BLOB; returns its total size, or 0 if it is no FDT. */
uint32_t fdt_blob_size(const void *blob);

/* A property found by fdt_find_property(). */
struct fdt_prop {
	const uint8_t *data;
	uint32_t len;
};

/*
 * Looks up property NAME of the node at PATH ("/chosen", "/memory"). A
 * path component without '@' matches a node name with any unit address
 * ("memory" matches "memory@40000000"). Returns true when found.
 */
bool fdt_find_property(const void *blob, const char *path, const char *name,
		       struct fdt_prop *prop);

/* Calls FN for each child node of the node at PATH whose "device_type"
 * property is DEVICE_TYPE, with that child's "reg" property (len 0 when it
 * has none). Returns the number of such children. */
typedef void (*fdt_child_fn)(const struct fdt_prop *reg, void *arg);
unsigned int fdt_for_each_child(const void *blob, const char *path, const char *device_type,
				fdt_child_fn fn, void *arg);

/* Reads CELLS (1 or 2) big-endian cells at DATA. */
uint64_t fdt_read_cells(const uint8_t *data, unsigned int cells);

/* ---- SMCCC over HVC #0 ---------------------------------------------------- */

struct smccc_res {
	int64_t a0;
	uint64_t a1, a2, a3;
};

static inline struct smccc_res smccc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fid;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
			   "x14", "x15", "x16", "x17", "memory");
	return (struct smccc_res){ (int64_t)x0, x1, x2, x3 };
}

#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON_64 0xc4000003U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U

/* ---- System registers ----------------------------------------------------- */

#define read_sysreg(reg)                                          \
	({                                                        \
		uint64_t val_;                                    \
		__asm__ volatile("mrs %0, " #reg : "=r"(val_));  \
		val_;                                             \
	})

static inline uint64_t counter_ticks(void)
{
	__asm__ volatile("isb" ::: "memory");
	return read_sysreg(cntvct_el0);
}

/* MPIDR_EL1 without its RES1/U/MT bits: Aff3..Aff0, as PSCI wants it. */
static inline uint64_t cpu_mpidr(void)
{
	return read_sysreg(mpidr_el1) & 0xff00ffffffULL;
}

/* ---- blk.c: a virtio-blk driver, well-behaved or not ------------------------- */

/* The hostile requests on the disk in SLOT (and the read-only one in
 * RO_SLOT, unless it is negative); RAM_END (0: unknown) is where our RAM ends. */
void blk_hostile(unsigned int slot, int ro_slot, uint64_t ram_end);
/* Reads the first 64 KiB of the disk in SLOT; prints their FNV-1a sum. */
void blk_read_sum(unsigned int slot);
/* Keeps a queue of reads and writes going on the disk in SLOT, for ever. */
void blk_storm(unsigned int slot) __attribute__((noreturn));
void blk_dirty(unsigned int slot) __attribute__((noreturn));

/* ---- testguest.c ----------------------------------------------------------- */

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

/* ---- start.S --------------------------------------------------------------- */

extern char _image_start[], _end[];
void secondary_entry(void);
uint64_t probe_read(uint64_t addr);
void probe_write(uint64_t addr, uint64_t value);

/* What exception_handle() saves and restores (start.S's frame layout). */
struct exception_frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t pad;
};

#endif
