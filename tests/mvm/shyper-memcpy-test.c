// SPDX-License-Identifier: GPL-2.0
/*
 * shyper-memcpy-test: the hypervisor's assembly memcpy
 * (hypervisor/arch/aarch64/memcpy.S), run on AArch64 in the MVM. The host
 * unit tests cannot run it, and the hypervisor moves every mediated
 * virtio request with it.
 *
 * The assembly is built with -Dmemcpy=hv_memcpy, so that it does not
 * replace the C library's. (User space does not trap unaligned accesses:
 * that the pairs are only used on aligned addresses is the code's
 * business, and the hypervisor's own boot depends on it.) For every source and destination alignment (0..15) and
 * lengths around each path's edges (the byte head, 64-byte blocks, 8-byte
 * words, the byte tail) it checks that exactly the destination changed,
 * to the source's bytes, and that the return value is the destination.
 *
 * Prints "shyper-memcpy-test: N checks, F failed"; exit status 1 if any
 * failed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *hv_memcpy(void *dst, const void *src, size_t n);

#define GUARD 64
#define MAX_LEN (3 * 4096 + 200)

static uint8_t src_area[MAX_LEN + 2 * GUARD] __attribute__((aligned(64)));
static uint8_t dst_area[MAX_LEN + 2 * GUARD] __attribute__((aligned(64)));
static unsigned checks, failed;

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static void check_copy(size_t src_off, size_t dst_off, size_t len)
{
	uint8_t *src = src_area + GUARD + src_off;
	uint8_t *dst = dst_area + GUARD + dst_off;
	size_t total = sizeof(dst_area);
	void *ret;

	fill(src_area, sizeof(src_area), (unsigned)(len + src_off));
	memset(dst_area, 0xa5, total);
	ret = hv_memcpy(dst, src, len);
	checks++;
	if (ret != dst) {
		failed++;
		printf("FAIL: src+%zu dst+%zu len %zu: returned %p, not %p\n", src_off, dst_off,
		       len, ret, (void *)dst);
		return;
	}
	for (size_t i = 0; i < total; i++) {
		uint8_t *p = dst_area + i;
		int inside = p >= dst && p < dst + len;
		uint8_t want = inside ? src[p - dst] : 0xa5;

		if (*p != want) {
			failed++;
			printf("FAIL: src+%zu dst+%zu len %zu: byte %td is %#x, not %#x (%s)\n",
			       src_off, dst_off, len, p - dst, *p, want,
			       inside ? "inside" : "outside the destination");
			return;
		}
	}
}

int main(void)
{
	static const size_t lengths[] = {
		0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 71, 72, 73, 127, 128, 129,
		200, 511, 512, 4095, 4096, 4097, 4096 + 63, 2 * 4096 + 8, MAX_LEN - 16,
	};

	for (size_t s = 0; s < 16; s++)
		for (size_t d = 0; d < 16; d++)
			for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
				check_copy(s, d, lengths[i]);
	/* Every length up to two blocks and a half, aligned and not. */
	for (size_t len = 0; len <= 160; len++) {
		check_copy(0, 0, len);
		check_copy(3, 3, len);
		check_copy(8, 0, len);
		check_copy(5, 2, len);
	}
	printf("shyper-memcpy-test: %u checks, %u failed\n", checks, failed);
	return failed ? 1 : 0;
}
