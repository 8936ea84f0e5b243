// SPDX-License-Identifier: GPL-2.0
/*
 * Checking an image offered for live update (see hv/image.h). Every field
 * is read from the caller's copy, checked before it is used, and the digest
 * last: a bad header says why without hashing megabytes.
 */
#include <hv/image.h>
#include <hv/sha256.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

enum image_check_result image_check(const uint8_t *image, uint64_t len, uint64_t max_size,
				    uint32_t abi_version, uint32_t state_version,
				    struct shyper_image_header *header)
{
	const uint64_t header_end = SHYPER_IMAGE_HEADER_OFFSET + sizeof(struct shyper_image_header);
	const uint64_t digest_at = SHYPER_IMAGE_HEADER_OFFSET +
				   __builtin_offsetof(struct shyper_image_header, sha256);
	static const uint8_t zero[32];
	struct shyper_image_header h;
	uint8_t digest[SHA256_DIGEST_SIZE];
	uint64_t mem_size;
	struct sha256 s;

	if (!len)
		return IMAGE_EMPTY;
	if (len >= 4 && image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' && image[3] == 'F')
		return IMAGE_ELF;
	if (len < SHYPER_IMAGE_ARM64_MAGIC_OFFSET + 4)
		return IMAGE_TRUNCATED;
	if (le32(image + SHYPER_IMAGE_ARM64_MAGIC_OFFSET) != SHYPER_IMAGE_ARM64_MAGIC)
		return IMAGE_NOT_ARM64_IMAGE;
	if (len < SHYPER_IMAGE_HEADER_OFFSET + sizeof(h.magic))
		return IMAGE_TRUNCATED;
	memcpy(&h.magic, image + SHYPER_IMAGE_HEADER_OFFSET, sizeof(h.magic));
	if (h.magic != SHYPER_IMAGE_MAGIC)
		return IMAGE_NOT_SHYPER;
	if (len < header_end)
		return IMAGE_TRUNCATED;
	memcpy(&h, image + SHYPER_IMAGE_HEADER_OFFSET, sizeof(h));
	if (h.header_size != sizeof(h) || !memchr(h.version, '\0', sizeof(h.version)))
		return IMAGE_BAD_HEADER;
	/* Its entry: an instruction past the headers, inside the file. */
	if (h.handover_entry < header_end || h.handover_entry % 4 || h.handover_entry >= h.image_size)
		return IMAGE_BAD_HEADER;
	if (h.arch != SHYPER_IMAGE_ARCH_AARCH64)
		return IMAGE_WRONG_ARCH;
	/* The MVM's tools keep working only with the same major and no fewer calls. */
	if (h.abi_version >> 16 != abi_version >> 16 || (h.abi_version & 0xffff) < (abi_version & 0xffff))
		return IMAGE_ABI_MISMATCH;
	if (h.state_version_min > h.state_version)
		return IMAGE_BAD_HEADER;
	if (state_version > h.state_version)
		return IMAGE_STATE_TOO_NEW;
	if (state_version < h.state_version_min)
		return IMAGE_STATE_TOO_OLD;
	/* In memory it needs its file and its zeroed data: all in the slot. */
	mem_size = le64(image + SHYPER_IMAGE_ARM64_SIZE_OFFSET);
	if (h.image_size > max_size || len > max_size || mem_size > max_size)
		return IMAGE_TOO_LARGE;
	if (mem_size < h.image_size)
		return IMAGE_BAD_HEADER;
	if (len < h.image_size)
		return IMAGE_TRUNCATED;
	if (len > h.image_size)
		return IMAGE_SIZE_MISMATCH;

	sha256_init(&s);
	sha256_update(&s, image, digest_at);
	sha256_update(&s, zero, sizeof(zero));
	sha256_update(&s, image + digest_at + sizeof(zero), len - digest_at - sizeof(zero));
	sha256_final(&s, digest);
	if (memcmp(digest, h.sha256, sizeof(digest)))
		return IMAGE_DIGEST_MISMATCH;
	*header = h;
	return IMAGE_OK;
}

const char *image_check_result_name(enum image_check_result r)
{
	static const char *const names[] = {
		[IMAGE_OK] = "a Shyper image this hypervisor can hand over to",
		[IMAGE_EMPTY] = "the image is empty",
		[IMAGE_TRUNCATED] = "the image is truncated",
		[IMAGE_ELF] = "an ELF file: give the flat image (shyper.bin)",
		[IMAGE_NOT_ARM64_IMAGE] = "not an arm64 image",
		[IMAGE_NOT_SHYPER] = "an arm64 image, but not Shyper's (a Linux kernel?)",
		[IMAGE_BAD_HEADER] = "its Shyper header is malformed",
		[IMAGE_WRONG_ARCH] = "built for another architecture",
		[IMAGE_ABI_MISMATCH] = "it serves an ABI the MVM's tools do not speak",
		[IMAGE_STATE_TOO_NEW] = "this hypervisor's state layout is newer than it knows",
		[IMAGE_STATE_TOO_OLD] = "it cannot convert this hypervisor's older state layout",
		[IMAGE_TOO_LARGE] = "larger than the room set aside for an update",
		[IMAGE_SIZE_MISMATCH] = "longer than its header says",
		[IMAGE_DIGEST_MISMATCH] = "its SHA-256 does not match: damaged or altered",
	};

	return (unsigned)r < ARRAY_SIZE(names) && names[r] ? names[r] : "?";
}
