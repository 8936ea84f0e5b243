// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's vsnprintf (lib/printf.c). Called as snprintf here: the
 * build maps that name to hv_snprintf (see the Makefile), so these are the
 * hypervisor's functions, not the C library's.
 */
#include <hv/log.h>
#include "unit.h"

static char buf[128];

#define expect_fmt(want, ...)                                                  \
	do {                                                                   \
		memset(buf, 'X', sizeof(buf));                                 \
		int n_ = snprintf(buf, sizeof(buf), __VA_ARGS__);              \
		assert_string_equal(buf, want);                                \
		assert_int_equal(n_, strlen(want));                            \
	} while (0)

static void test_integers(void **state)
{
	(void)state;
	expect_fmt("-42", "%d", -42);
	expect_fmt("0", "%d", 0);
	expect_fmt("-2147483648", "%d", INT32_MIN);
	expect_fmt("-9223372036854775808", "%ld", (long)INT64_MIN);
	expect_fmt("4294967295", "%u", 4294967295U);
	expect_fmt("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
	expect_fmt("7", "%i", 7);
	expect_fmt("dead", "%x", 0xdeadU);
	expect_fmt("BEEF", "%X", 0xbeefU);
	expect_fmt("123456789abcdef0", "%lx", 0x123456789abcdef0UL);
	expect_fmt("ffffffff", "%x", -1);
	expect_fmt("42", "%zu", (size_t)42);
	expect_fmt("1", "%llu", 1ULL);
}

static void test_width_and_flags(void **state)
{
	(void)state;
	expect_fmt("0000000000001234", "%016lx", 0x1234UL);
	expect_fmt("0000000000000000", "%016lx", 0UL);
	expect_fmt("   42", "%5d", 42);
	expect_fmt("00042", "%05d", 42);
	expect_fmt("42   |", "%-5d|", 42);
	expect_fmt("ab   |", "%-5s|", "ab");
	expect_fmt("   ab|", "%5s|", "ab");
	expect_fmt("abcdef", "%3s", "abcdef");
	expect_fmt("    x", "%*c", 5, 'x');
	expect_fmt("x", "%c", 'x');
}

static void test_strings_pointers_percent(void **state)
{
	/* Through a volatile, so the compiler cannot see the NULL and object. */
	const char *volatile none = NULL;

	(void)state;
	expect_fmt("<(null)>", "<%s>", none);
	expect_fmt("0x1000", "%p", (void *)0x1000);
	expect_fmt("0x0", "%p", (void *)0);
	expect_fmt("100%", "%d%%", 100);
	expect_fmt("", "%s", "");
	expect_fmt("vm 3 (linux) stopped", "vm %u (%s) stopped", 3U, "linux");
}

/*
 * Regression: core/bootargs.c prints the bad word with "%.*s". Without
 * precision support the format came out as text and the length was then
 * read as the pointer of the next %s.
 */
static void test_precision(void **state)
{
	(void)state;
	memset(buf, 'X', sizeof(buf));
	int n = snprintf(buf, sizeof(buf), "'%.*s'", 3, "pool=512M");
	assert_string_equal(buf, "'poo'");
	assert_int_equal(n, 5);
	n = snprintf(buf, sizeof(buf), "%.2s|%.10s|%.0s|", "abc", "de", "fgh");
	assert_string_equal(buf, "ab|de||");
	assert_int_equal(n, 7);
	/* A negative precision from '*' means none; width still applies. */
	n = snprintf(buf, sizeof(buf), "%.*s|%-4.1s|", -1, "xyz", "uvw");
	assert_string_equal(buf, "xyz|u   |");
	assert_int_equal(n, 9);
}

static void test_truncation(void **state)
{
	char small[8];
	int n;

	(void)state;
	memset(small, 'X', sizeof(small));
	n = snprintf(small, sizeof(small), "%s-%d", "hypervisor", 12345);
	assert_int_equal(n, 16);
	assert_string_equal(small, "hypervi");

	memset(small, 'X', sizeof(small));
	n = snprintf(small, 1, "%x", 0xabcU);
	assert_int_equal(n, 3);
	assert_int_equal(small[0], '\0');
	assert_int_equal(small[1], 'X');

	/* size 0: nothing written at all, the length still counted */
	memset(small, 'X', sizeof(small));
	n = snprintf(small, 0, "%016lx", 1UL);
	assert_int_equal(n, 16);
	assert_int_equal(small[0], 'X');

	/* Exactly fitting: 7 characters and the NUL. */
	n = snprintf(small, sizeof(small), "%07d", 1);
	assert_int_equal(n, 7);
	assert_string_equal(small, "0000001");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_width_and_flags),
		cmocka_unit_test(test_strings_pointers_percent),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
