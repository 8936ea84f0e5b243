/* SPDX-License-Identifier: GPL-2.0 */
/* The hypervisor's own command line (/chosen/bootargs of the board DT). */
#ifndef HV_BOOTARGS_H
#define HV_BOOTARGS_H

#include <hv/types.h>

#define DEFAULT_POOL_PERCENT 40

struct hv_options {
	uint64_t pool_size;     /* bytes; 0 = default share of RAM */
	bool pool_set;
	unsigned loglevel;      /* enum log_level */
	bool loglevel_set;
};

/*
 * Parse "key=value" words. Known keys: pool=SIZE (K/M/G suffix, or 0),
 * loglevel=0..3. Returns 0, or -1 with a message naming the bad word in err.
 */
int bootargs_parse(const char *args, struct hv_options *opt, char *err, size_t err_len);
/* Parse a size with an optional K/M/G suffix; false if malformed or too big. */
bool parse_size(const char *s, size_t len, uint64_t *out);

#endif
