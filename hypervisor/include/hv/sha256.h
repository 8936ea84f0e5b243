/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SHA-256 (FIPS 180-4), for checking a hypervisor image before it is let
 * anywhere near the running one (live update). Incremental: init, update
 * any number of times with any lengths, final.
 */
#ifndef HV_SHA256_H
#define HV_SHA256_H

#include <hv/types.h>

#define SHA256_DIGEST_SIZE 32

struct sha256 {
	uint32_t h[8];
	uint64_t length;     /* bytes hashed so far */
	uint8_t block[64];   /* a partial block */
	uint32_t used;       /* bytes of it */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_SIZE]);
/* The digest of one buffer. */
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
