// SPDX-License-Identifier: GPL-2.0
/* The hypervisor command line (core/bootargs.c). */
#include <hv/bootargs.h>
#include <hv/log.h>
#include "unit.h"

static struct hv_options opt;
static char err[160];

static int parse(const char *args)
{
	memset(err, 0, sizeof(err));
	memset(&opt, 0xa5, sizeof(opt)); /* the parser must set every field */
	return bootargs_parse(args, &opt, err, sizeof(err));
}

static void test_empty_gives_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(opt.pool_size, 0);
	assert_false(opt.pool_set);
	assert_int_equal(opt.loglevel, LOG_INFO);
	assert_int_equal(parse(""), 0);
	assert_false(opt.pool_set);
	assert_int_equal(opt.loglevel, LOG_INFO);
	assert_int_equal(parse("  \t\n "), 0);
	assert_false(opt.pool_set);
}

static void test_good_words(void **state)
{
	(void)state;
	assert_int_equal(parse("pool=512M"), 0);
	assert_true(opt.pool_set);
	assert_int_equal(opt.pool_size, 512 * MiB);
	assert_int_equal(parse("pool=1G"), 0);
	assert_int_equal(opt.pool_size, 1 * GiB);
	assert_int_equal(parse("pool=0"), 0);
	assert_true(opt.pool_set);
	assert_int_equal(opt.pool_size, 0);
	assert_int_equal(parse("loglevel=3"), 0);
	assert_int_equal(opt.loglevel, LOG_DEBUG);
	assert_false(opt.pool_set);
	assert_int_equal(parse(" loglevel=0\tpool=2048k\n"), 0);
	assert_int_equal(opt.loglevel, LOG_ERR);
	assert_int_equal(opt.pool_size, 2 * MiB);
	/* The last word wins. */
	assert_int_equal(parse("pool=2M pool=4M"), 0);
	assert_int_equal(opt.pool_size, 4 * MiB);
}

static void expect_bad(const char *args, const char *word, const char *why)
{
	int rc = parse(args);

	if (rc != -1)
		fail_msg("\"%s\" was accepted", args);
	assert_contains(err, word);
	if (why)
		assert_contains(err, why);
}

/*
 * Regression: bootargs.c formats the word with "%.*s"; before lib/printf.c
 * learnt precisions, it took the length as the pointer of the next %s and
 * every rejected word crashed here (a data abort at EL2 on the board).
 */
static void test_bad_words_are_named(void **state)
{
	(void)state;
	expect_bad("pool=banana", "'pool=banana'", "size");
	expect_bad("pool=3M", "'pool=3M'", "multiple of 2M");
	expect_bad("pool=99999999999999999999G", "'pool=99999999999999999999G'", NULL);
	expect_bad("pool=17179869184G", "'pool=17179869184G'", NULL); /* 2^64 bytes */
	expect_bad("pool=", "'pool='", NULL);
	expect_bad("pool=1T", "'pool=1T'", NULL);
	expect_bad("pool=1GG", "'pool=1GG'", NULL);
	expect_bad("loglevel=7", "'loglevel=7'", "0");
	expect_bad("loglevel=", "'loglevel='", NULL);
	expect_bad("loglevel=11", "'loglevel=11'", NULL);
	expect_bad("frobnicate=1", "'frobnicate=1'", "unknown");
	expect_bad("quiet", "'quiet'", "key=value");
	/* A bad word after good ones is the one named. */
	expect_bad("pool=512M loglevel=2 poolx=1", "'poolx=1'", "unknown");
	expect_bad("loglevel=2 pool", "'pool'", "key=value");
	expect_bad("pools=1G", "'pools=1G'", NULL);
}

static void test_parse_size(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_true(parse_size("0", 1, &v));
	assert_int_equal(v, 0);
	assert_true(parse_size("4096", 4, &v));
	assert_int_equal(v, 4096);
	assert_true(parse_size("4k", 2, &v));
	assert_int_equal(v, 4 * KiB);
	assert_true(parse_size("4K", 2, &v));
	assert_int_equal(v, 4 * KiB);
	assert_true(parse_size("3m", 2, &v));
	assert_int_equal(v, 3 * MiB);
	assert_true(parse_size("2G", 2, &v));
	assert_int_equal(v, 2 * GiB);
	/* Only len characters count. */
	assert_true(parse_size("12Mjunk", 3, &v));
	assert_int_equal(v, 12 * MiB);
	assert_true(parse_size("18446744073709551615", 20, &v));
	assert_int_equal(v, UINT64_MAX);
	assert_true(parse_size("17179869183G", 12, &v));
	assert_int_equal(v, 17179869183ULL * GiB);

	v = 42;
	assert_false(parse_size("", 0, &v));
	assert_false(parse_size("M", 1, &v));
	assert_false(parse_size("-1", 2, &v));
	assert_false(parse_size("1 G", 3, &v));
	assert_false(parse_size("1X", 2, &v));
	assert_false(parse_size("18446744073709551616", 20, &v));
	assert_false(parse_size("17179869184G", 12, &v));
	assert_int_equal(v, 42); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_gives_defaults),
		cmocka_unit_test(test_good_words),
		cmocka_unit_test(test_bad_words_are_named),
		cmocka_unit_test(test_parse_size),
	};

	return cmocka_run_group_tests_name("bootargs", tests, NULL, NULL);
}
