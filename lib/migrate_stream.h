/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The migration stream (docs/migration.md): what one board sends another
 * to move a guest, and what `shyperctl vm save` writes to a file. Written
 * and read here; the reader treats every byte as hostile.
 *
 *   header    magic "SHYMIGR\0", version u32 (1), flags u32 (0), reserved u64 (0)
 *   sections  kind u32, reserved u32 (0), length u64, then the payload:
 *     INFO        struct mig_info: who it is, how much RAM, from where
 *     DEFINITION  its libvirt domain XML
 *     PAGES       count u32, reserved u32, count page numbers u64, count pages
 *     ZERO_PAGES  count u32, reserved u32, count page numbers u64 (pages of zeroes)
 *     DISK        struct mig_disk, then its bytes (none for SIZE and ZERO):
 *                 the guest's disk images, with --copy-storage only
 *     STATE       the hypervisor's state string (VM_STATE_SAVE)
 *     END         pages u64, zero pages u64, SHA-256 of every byte before this section
 *
 * In that order: INFO, DEFINITION, any number of PAGES, ZERO_PAGES and DISK
 * (a page or a disk's byte may come again: the last copy counts), STATE,
 * END. A disk's SIZE comes before any of its bytes. Little-endian.
 */
#ifndef SHYPER_MIGRATE_STREAM_H
#define SHYPER_MIGRATE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shyper/libshyper.h>

#define MIG_MAGIC "SHYMIGR\0"
#define MIG_VERSION 1
#define MIG_DEFINITION_MAX (1024 * 1024)
#define MIG_PAGES_MAX 4096          /* pages in one PAGES section (16 MiB) */
#define MIG_ZERO_PAGES_MAX 65536    /* page numbers in one ZERO_PAGES section */

enum mig_section_kind {
	MIG_INFO = 1,
	MIG_DEFINITION = 2,
	MIG_PAGES = 3,
	MIG_ZERO_PAGES = 4,
	MIG_STATE = 5,
	MIG_END = 6,
	MIG_DISK = 7,
};

struct mig_header {
	char magic[8];
	uint32_t version;
	uint32_t flags;
	uint64_t reserved;
};

struct mig_section {
	uint32_t kind;
	uint32_t reserved;
	uint64_t len;
};

#define MIG_INFO_COPY_STORAGE 1U  /* the disk images come too (DISK sections) */
#define MIG_INFO_PAUSED 2U        /* its user had paused it: it stays paused */

#define MIG_DISKS_MAX 16            /* disks a stream may carry */
#define MIG_DISK_CHUNK_MAX (1024 * 1024) /* bytes in one DISK section */
#define MIG_DISK_SIZE_MAX (1ULL << 40)

/* What a DISK section says. */
enum mig_disk_kind {
	MIG_DISK_SIZE = 1,            /* disk DISK's image is LENGTH bytes (OFFSET 0) */
	MIG_DISK_DATA = 2,            /* LENGTH bytes at OFFSET follow */
	MIG_DISK_ZERO = 3,            /* LENGTH bytes at OFFSET are zeroes */
};

struct mig_disk {
	uint32_t disk;                /* the n-th <disk> of the definition with a file */
	uint32_t kind;                /* MIG_DISK_* */
	uint64_t offset;
	uint64_t length;
};

struct mig_info {
	uint8_t uuid[16];
	char name[SHYPER_NAME_LEN];   /* NUL-terminated */
	char source[64];              /* the sending board's name, NUL-terminated */
	uint64_t ram_pages;           /* pages of guest RAM the stream may name */
	uint64_t counter_hz;          /* the guest's counter frequency */
	uint32_t vcpus;
	uint32_t flags;               /* MIG_INFO_* */
};

struct mig_end {
	uint64_t pages;
	uint64_t zero_pages;
	uint8_t sha256[32];
};

/* ---- Writing ------------------------------------------------------------ */

/* Where the bytes go: returns 0, or a SHYPER_ERR_* having set the message. */
typedef int (*mig_write_fn)(void *ctx, const void *buf, size_t len);

struct mig_writer {
	struct shyper *h;
	mig_write_fn write;
	void *ctx;
	void *sha;                    /* EVP_MD_CTX */
	uint64_t bytes, pages, zero_pages;
};

int mig_writer_start(struct mig_writer *w, struct shyper *h, mig_write_fn write, void *ctx);
int mig_write_info(struct mig_writer *w, const struct mig_info *info);
int mig_write_definition(struct mig_writer *w, const char *xml, size_t len);
/* N pages (numbers in PAGES) and their bytes, or with DATA NULL: pages of zeroes. */
int mig_write_pages(struct mig_writer *w, const uint64_t *pages, size_t n, const void *data);
/* A DISK section; DATA (D->length bytes) for MIG_DISK_DATA only. */
int mig_write_disk(struct mig_writer *w, const struct mig_disk *d, const void *data);
int mig_write_state(struct mig_writer *w, const void *state, size_t len);
int mig_write_end(struct mig_writer *w);
void mig_writer_free(struct mig_writer *w);

/* ---- Reading ------------------------------------------------------------ */

/* Fill BUF with exactly LEN bytes: 0, or SHYPER_ERR_* (message set); a
 * stream that ends early is SHYPER_ERR_PROTOCOL. */
typedef int (*mig_read_fn)(void *ctx, void *buf, size_t len);

/* What the reader hands on, checked: each returns 0 or a SHYPER_ERR_*. */
struct mig_reader_ops {
	int (*info)(void *ctx, const struct mig_info *info);
	int (*definition)(void *ctx, const char *xml, size_t len); /* NUL-terminated too */
	int (*pages)(void *ctx, const uint64_t *pages, size_t n, const void *data);
	/* Checked against the disk's SIZE; DATA for MIG_DISK_DATA only. */
	int (*disk)(void *ctx, const struct mig_disk *d, const void *data);
	int (*state)(void *ctx, const void *state, size_t len);
};

struct mig_totals {
	uint64_t bytes, pages, zero_pages, disk_bytes;
};

/*
 * Read a whole stream, handing each section on as it comes; returns 0 only
 * once END arrived and the digest matched. The pages of a stream that
 * fails later were handed on already: the caller throws the guest away.
 */
int mig_read(struct shyper *h, mig_read_fn read, void *rctx, const struct mig_reader_ops *ops,
	     void *ctx, struct mig_totals *totals);

#endif
