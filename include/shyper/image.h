/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What makes a file a Shyper hypervisor image that a running hypervisor may
 * take as its replacement (live update): shared by the hypervisor (which
 * checks it, core/image.c), the MVM's tools (which check it first for
 * friendlier messages) and the build (which seals it).
 *
 * The image is the flat shyper.bin. It starts with an arm64 Linux `Image`
 * header (64 bytes, so that QEMU and boot loaders load it like a kernel);
 * struct shyper_image_header follows at SHYPER_IMAGE_HEADER_OFFSET. The
 * build fills the header in after linking; its SHA-256 covers the whole
 * file with the sha256 field itself zeroed.
 */
#ifndef SHYPER_IMAGE_H
#define SHYPER_IMAGE_H

#include <stdint.h>

#define SHYPER_IMAGE_MAGIC 0x4d49524550594853ULL /* "SHYPERIM" little-endian */
#define SHYPER_IMAGE_HEADER_OFFSET 64
#define SHYPER_IMAGE_ARCH_AARCH64 183              /* ELF's EM_AARCH64 */
#define SHYPER_IMAGE_VERSION_LEN 32

/* The arm64 Linux Image header's magic, "ARM\x64" at byte 56; at byte 16
 * the bytes the image needs in memory, its zeroed data included. */
#define SHYPER_IMAGE_ARM64_MAGIC 0x644d5241U
#define SHYPER_IMAGE_ARM64_MAGIC_OFFSET 56
#define SHYPER_IMAGE_ARM64_SIZE_OFFSET 16

struct shyper_image_header {
	uint64_t magic;             /* SHYPER_IMAGE_MAGIC */
	uint32_t header_size;       /* sizeof(struct shyper_image_header) */
	uint32_t arch;              /* SHYPER_IMAGE_ARCH_* */
	uint32_t abi_version;       /* major << 16 | minor of the ABI it serves */
	uint32_t state_version;     /* the state layout version it lays out */
	uint32_t state_version_min; /* the oldest it can take over, converting */
	uint32_t handover_entry;    /* byte offset of its live-update entry (hv/update.h) */
	uint64_t state_layout;      /* its layout fingerprint (HV_STATE_LAYOUT) */
	uint64_t image_size;        /* bytes of the whole file */
	char version[SHYPER_IMAGE_VERSION_LEN]; /* NUL-terminated */
	uint8_t sha256[32];         /* of the whole file, this field zeroed */
};
_Static_assert(sizeof(struct shyper_image_header) == 112, "image header layout");

#endif
