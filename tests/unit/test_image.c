// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256 (lib/sha256.c) against FIPS 180-4's examples, and the check of an
 * image offered for live update (core/image.c) against every kind of bad
 * image: each refused with its own reason.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <hv/image.h>
#include <hv/state.h>
#include <shyper/abi.h>
#include <state_layout.h>
#include <hv/sha256.h>
#include "unit.h"

static void hex_digest(const uint8_t d[32], char out[65])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[64] = '\0';
}

static void expect_digest(const void *data, size_t len, const char *want)
{
	uint8_t d[32];
	char hex[65];

	sha256(data, len, d);
	hex_digest(d, hex);
	assert_string_equal(hex, want);
}

static void test_sha256_known_answers(void **state)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = malloc(1000000);

	(void)state;
	expect_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_digest(two_blocks, strlen(two_blocks),
		      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	expect_digest(million, 1000000,
		      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void test_sha256_any_split_gives_the_same(void **state)
{
	uint8_t data[300], whole[32], parts[32];

	(void)state;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	sha256(data, sizeof(data), whole);
	for (size_t a = 0; a <= sizeof(data); a += 13) {
		for (size_t b = a; b <= sizeof(data); b += 29) {
			struct sha256 s;

			sha256_init(&s);
			sha256_update(&s, data, a);
			sha256_update(&s, data + a, b - a);
			sha256_update(&s, data + b, sizeof(data) - b);
			sha256_final(&s, parts);
			assert_memory_equal(whole, parts, 32);
		}
	}
}

/* --- images ---------------------------------------------------------------- */

#define ABI ((1U << 16) | 6)
#define STATE 5
#define ROOM (1U << 20)
#define CODE_AT 512

static uint8_t *img;
static size_t img_len;

static struct shyper_image_header *hdr(void)
{
	return (struct shyper_image_header *)(img + SHYPER_IMAGE_HEADER_OFFSET);
}

/* Digest as the build seals it: over the file with the digest zeroed. */
static void seal(void)
{
	memset(hdr()->sha256, 0, sizeof(hdr()->sha256));
	sha256(img, img_len, hdr()->sha256);
}

static void make_image(size_t len)
{
	free(img);
	img_len = len;
	img = calloc(1, len);
	assert_non_null(img);
	img[0] = 0x10; /* code0: a branch over the headers */
	img[SHYPER_IMAGE_ARM64_MAGIC_OFFSET] = 'A';
	img[SHYPER_IMAGE_ARM64_MAGIC_OFFSET + 1] = 'R';
	img[SHYPER_IMAGE_ARM64_MAGIC_OFFSET + 2] = 'M';
	img[SHYPER_IMAGE_ARM64_MAGIC_OFFSET + 3] = 0x64;
	*hdr() = (struct shyper_image_header){
		.magic = SHYPER_IMAGE_MAGIC,
		.header_size = sizeof(struct shyper_image_header),
		.arch = SHYPER_IMAGE_ARCH_AARCH64,
		.abi_version = ABI,
		.state_version = STATE,
		.state_version_min = STATE,
		.state_layout = 0x1234,
		.handover_entry = 256,
		.image_size = len,
		.version = "0.1.0-test",
	};
	/* In memory: the file and as much again of zeroed data. */
	*(uint64_t *)(img + SHYPER_IMAGE_ARM64_SIZE_OFFSET) = 2 * len;
	for (size_t i = CODE_AT; i < len; i++)
		img[i] = (uint8_t)(i ^ (i >> 8));
	seal();
}

static enum image_check_result check(void)
{
	struct shyper_image_header out;

	return image_check(img, img_len, ROOM, ABI, STATE, &out);
}

static int setup(void **state)
{
	(void)state;
	make_image(64 * 1024);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(img);
	img = NULL;
	return 0;
}

static void test_good_image(void **state)
{
	struct shyper_image_header out;

	(void)state;
	assert_int_equal(image_check(img, img_len, ROOM, ABI, STATE, &out), IMAGE_OK);
	assert_string_equal(out.version, "0.1.0-test");
	/* A newer minor ABI and a newer state layout it can convert from ours: fine. */
	hdr()->abi_version = ABI + 1;
	hdr()->state_version = STATE + 1;
	seal();
	assert_int_equal(check(), IMAGE_OK);
}

static void test_truncated_anywhere(void **state)
{
	static const size_t cuts[] = { 1, 10, 59, 60, 64, 71, 72, 100, 175, 176, 4096 };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cuts); i++) {
		struct shyper_image_header out;
		enum image_check_result r = image_check(img, cuts[i], ROOM, ABI, STATE, &out);

		if (r != IMAGE_TRUNCATED)
			fail_msg("cut at %zu: %s", cuts[i], image_check_result_name(r));
	}
	assert_int_equal(image_check(img, img_len - 1, ROOM, ABI, STATE, NULL), IMAGE_TRUNCATED);
	assert_int_equal(image_check(img, 0, ROOM, ABI, STATE, NULL), IMAGE_EMPTY);
}

static void test_one_bit_flipped(void **state)
{
	static const size_t at[] = { 0, 8, SHYPER_IMAGE_HEADER_OFFSET + 48,
				     SHYPER_IMAGE_HEADER_OFFSET + 60, CODE_AT, 40000 };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(at); i++) {
		img[at[i]] ^= 0x20;
		if (check() != IMAGE_DIGEST_MISMATCH)
			fail_msg("bit flipped at %zu: %s", at[i], image_check_result_name(check()));
		img[at[i]] ^= 0x20;
	}
	/* In the digest itself too. */
	hdr()->sha256[5] ^= 1;
	assert_int_equal(check(), IMAGE_DIGEST_MISMATCH);
}

static void test_not_an_image_of_ours(void **state)
{
	(void)state;
	hdr()->magic ^= 1;
	assert_int_equal(check(), IMAGE_NOT_SHYPER);
	/* An arm64 Linux Image: its header, no Shyper header after it. */
	memset(hdr(), 0, sizeof(*hdr()));
	assert_int_equal(check(), IMAGE_NOT_SHYPER);
	img[SHYPER_IMAGE_ARM64_MAGIC_OFFSET] = 'X';
	assert_int_equal(check(), IMAGE_NOT_ARM64_IMAGE);
	memcpy(img, "\x7f" "ELF\x02\x01\x01", 7);
	assert_int_equal(check(), IMAGE_ELF);
}

static void test_header_fields(void **state)
{
	static const struct {
		const char *what;
		size_t offset;
		uint32_t value;
		enum image_check_result want;
	} bad[] = {
		{ "header size", offsetof(struct shyper_image_header, header_size), 100,
		  IMAGE_BAD_HEADER },
		{ "entry in the headers", offsetof(struct shyper_image_header, handover_entry), 64,
		  IMAGE_BAD_HEADER },
		{ "entry not aligned", offsetof(struct shyper_image_header, handover_entry), 258,
		  IMAGE_BAD_HEADER },
		{ "entry past the end", offsetof(struct shyper_image_header, handover_entry),
		  64 * 1024, IMAGE_BAD_HEADER },
		{ "arch", offsetof(struct shyper_image_header, arch), 62, IMAGE_WRONG_ARCH },
		{ "ABI major", offsetof(struct shyper_image_header, abi_version), (2U << 16) | 6,
		  IMAGE_ABI_MISMATCH },
		{ "ABI older minor", offsetof(struct shyper_image_header, abi_version),
		  (1U << 16) | 5, IMAGE_ABI_MISMATCH },
		{ "state layout older than ours", offsetof(struct shyper_image_header, state_version),
		  STATE - 1, IMAGE_STATE_TOO_NEW },
		{ "cannot convert ours", offsetof(struct shyper_image_header, state_version_min),
		  STATE + 1, IMAGE_BAD_HEADER },
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		make_image(64 * 1024);
		memcpy((uint8_t *)hdr() + bad[i].offset, &bad[i].value, 4);
		/* An image for an older layout converts from nothing older. */
		if (bad[i].want == IMAGE_STATE_TOO_NEW)
			hdr()->state_version_min = hdr()->state_version;
		seal();
		if (check() != bad[i].want)
			fail_msg("%s: %s", bad[i].what, image_check_result_name(check()));
	}
	/* Newer layout, converting only from newer than ours. */
	make_image(64 * 1024);
	hdr()->state_version = STATE + 2;
	hdr()->state_version_min = STATE + 1;
	seal();
	assert_int_equal(check(), IMAGE_STATE_TOO_OLD);
	/* A version string without its NUL. */
	make_image(64 * 1024);
	memset(hdr()->version, 'v', sizeof(hdr()->version));
	seal();
	assert_int_equal(check(), IMAGE_BAD_HEADER);
}

static void test_sizes(void **state)
{
	struct shyper_image_header out;

	(void)state;
	/* Larger than the room set aside, by its header or by its bytes. */
	assert_int_equal(image_check(img, img_len, img_len - 1, ABI, STATE, &out), IMAGE_TOO_LARGE);
	hdr()->image_size = 2 * ROOM;
	seal();
	assert_int_equal(check(), IMAGE_TOO_LARGE);
	/* Needing more room in memory (its zeroed data) than is set aside. */
	make_image(64 * 1024);
	*(uint64_t *)(img + SHYPER_IMAGE_ARM64_SIZE_OFFSET) = ROOM + 4096;
	seal();
	assert_int_equal(check(), IMAGE_TOO_LARGE);
	/* Or less than its own file. */
	*(uint64_t *)(img + SHYPER_IMAGE_ARM64_SIZE_OFFSET) = img_len - 4096;
	seal();
	assert_int_equal(check(), IMAGE_BAD_HEADER);
	/* Longer than it says (something appended). */
	make_image(64 * 1024);
	hdr()->image_size -= 16;
	seal();
	assert_int_equal(check(), IMAGE_SIZE_MISMATCH);
	for (int r = IMAGE_OK; r <= IMAGE_DIGEST_MISMATCH; r++)
		assert_string_not_equal(image_check_result_name((enum image_check_result)r), "?");
}

/* The image the build sealed (SHYPER_IMAGE, set by the Makefile when the
 * hypervisor is built): this hypervisor could hand over to itself. */
static void test_built_image_is_sealed(void **state)
{
	const char *path = getenv("SHYPER_IMAGE");
	struct shyper_image_header out;
	uint8_t *data;
	FILE *f;
	long len;

	(void)state;
	if (!path || !*path)
		skip();
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_int_equal(image_check(data, (uint64_t)len, 16 << 20,
				     (SHYPER_ABI_MAJOR << 16) | SHYPER_ABI_MINOR, HV_STATE_VERSION, &out),
			 IMAGE_OK);
	assert_int_equal(out.state_layout, HV_STATE_LAYOUT);
	assert_int_equal(out.image_size, (uint64_t)len);
	data[len / 2] ^= 1;
	assert_int_equal(image_check(data, (uint64_t)len, 16 << 20,
				     (SHYPER_ABI_MAJOR << 16) | SHYPER_ABI_MINOR, HV_STATE_VERSION, &out),
			 IMAGE_DIGEST_MISMATCH);
	free(data);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known_answers),
		cmocka_unit_test(test_sha256_any_split_gives_the_same),
		T(test_good_image),
		T(test_truncated_anywhere),
		T(test_one_bit_flipped),
		T(test_not_an_image_of_ours),
		T(test_header_fields),
		T(test_sizes),
		cmocka_unit_test(test_built_image_is_sealed),
	};

	return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
