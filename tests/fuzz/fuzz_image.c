// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the check of an image offered for live update
 * (core/image.c) on arbitrary bytes. Each input is checked as it is, and
 * again sealed (its digest made right), so that the fuzzer also reaches
 * what lies behind the digest. Whatever the bytes, the check must answer,
 * must not read past them, and must only ever accept a sealed image.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hv/image.h>
#include <hv/sha256.h>

#define ABI ((1U << 16) | 6)
#define STATE 4
#define ROOM (1U << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t digest_at = SHYPER_IMAGE_HEADER_OFFSET +
				 offsetof(struct shyper_image_header, sha256);
	struct shyper_image_header h;
	enum image_check_result r;
	uint8_t *copy;

	/* An exact-size copy: ASan catches any read past the end. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	r = image_check(copy, size, ROOM, ABI, STATE, &h);
	if (r > IMAGE_DIGEST_MISMATCH || !strcmp(image_check_result_name(r), "?"))
		abort();
	if (size >= digest_at + 32) {
		memset(copy + digest_at, 0, 32);
		sha256(copy, size, copy + digest_at);
		r = image_check(copy, size, ROOM, ABI, STATE, &h);
		if (r == IMAGE_DIGEST_MISMATCH)
			abort(); /* sealed, yet refused for its digest */
		if (r == IMAGE_OK && (h.image_size != size || h.arch != SHYPER_IMAGE_ARCH_AARCH64))
			abort();
	}
	free(copy);
	return 0;
}
