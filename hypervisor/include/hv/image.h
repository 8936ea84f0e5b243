/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checking a hypervisor image offered for live update (core/image.c): it
 * must be a sealed Shyper image (shyper/image.h) for this architecture,
 * serve an ABI the MVM's tools speak, be able to take over this state area,
 * fit the room set aside for it, and hash to what its header says.
 */
#ifndef HV_IMAGE_H
#define HV_IMAGE_H

#include <hv/types.h>
#include <shyper/image.h>

enum image_check_result {
	IMAGE_OK = 0,
	IMAGE_EMPTY,            /* no bytes at all */
	IMAGE_TRUNCATED,        /* shorter than its headers, or than it says */
	IMAGE_ELF,              /* an ELF file: the flat image is wanted */
	IMAGE_NOT_ARM64_IMAGE,  /* no arm64 Image header */
	IMAGE_NOT_SHYPER,       /* an arm64 Image, but not Shyper's (a Linux kernel?) */
	IMAGE_BAD_HEADER,       /* header size, reserved field or version string wrong */
	IMAGE_WRONG_ARCH,
	IMAGE_ABI_MISMATCH,     /* another ABI major, or an older minor */
	IMAGE_STATE_TOO_NEW,    /* our state area is newer than it knows */
	IMAGE_STATE_TOO_OLD,    /* it cannot convert from our state area's version */
	IMAGE_TOO_LARGE,        /* more than the room set aside */
	IMAGE_SIZE_MISMATCH,    /* longer than its header says */
	IMAGE_DIGEST_MISMATCH,  /* its bytes are not what was sealed */
};

/*
 * Check IMAGE (LEN bytes) against what the running hypervisor is: its ABI
 * version, its state layout version, and MAX_SIZE bytes of room. On
 * IMAGE_OK (and only then) *HEADER is a copy of the image's header.
 */
enum image_check_result image_check(const uint8_t *image, uint64_t len, uint64_t max_size,
				    uint32_t abi_version, uint32_t state_version,
				    struct shyper_image_header *header);
const char *image_check_result_name(enum image_check_result r);

#endif
