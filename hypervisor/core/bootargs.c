// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's command line. Anything it does not understand stops the
 * boot with a message naming the word: a typo must not silently boot a
 * different configuration.
 */
#include <hv/bootargs.h>
#include <hv/log.h>
#include <string.h>

bool parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t digits = 0;

	while (digits < len && s[digits] >= '0' && s[digits] <= '9') {
		unsigned d = (unsigned)(s[digits] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		digits++;
	}
	if (digits == 0)
		return false;
	if (digits < len) {
		if (digits + 1 != len)
			return false;
		switch (s[digits]) {
		case 'k': case 'K': mult = KiB; break;
		case 'm': case 'M': mult = MiB; break;
		case 'g': case 'G': mult = GiB; break;
		default: return false;
		}
	}
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

static int bad(char *err, size_t err_len, const char *word, size_t len, const char *why)
{
	snprintf(err, err_len, "bad boot argument '%.*s': %s", (int)MIN(len, 64), word, why);
	return -1;
}

int bootargs_parse(const char *args, struct hv_options *opt, char *err, size_t err_len)
{
	const char *p = args ? args : "";

	memset(opt, 0, sizeof(*opt));
	opt->loglevel = LOG_INFO;
	while (*p) {
		const char *word, *eq;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		word = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		len = (size_t)(p - word);
		eq = memchr(word, '=', len);
		if (!eq)
			return bad(err, err_len, word, len, "expected key=value");
		if (eq - word == 4 && !strncmp(word, "pool", 4)) {
			if (!parse_size(eq + 1, len - 5, &opt->pool_size))
				return bad(err, err_len, word, len,
					   "expected a size such as 512M or 1G");
			if (!IS_ALIGNED(opt->pool_size, BLOCK_2M))
				return bad(err, err_len, word, len, "must be a multiple of 2M");
			opt->pool_set = true;
		} else if (eq - word == 8 && !strncmp(word, "loglevel", 8)) {
			if (len != 10 || eq[1] < '0' || eq[1] > '3')
				return bad(err, err_len, word, len, "expected 0 (errors) to 3 (debug)");
			opt->loglevel = (unsigned)(eq[1] - '0');
			opt->loglevel_set = true;
		} else {
			return bad(err, err_len, word, len, "unknown argument (known: pool=, loglevel=)");
		}
	}
	return 0;
}
