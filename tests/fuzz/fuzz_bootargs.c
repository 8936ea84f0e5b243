// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the hypervisor's command-line parser on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hv/bootargs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct hv_options opt;
	char err[200];

	memcpy(text, data, size);
	text[size] = '\0';
	if (bootargs_parse(text, &opt, err, sizeof(err)) == 0) {
		if (opt.loglevel > 3 || (opt.pool_size & ((2 << 20) - 1)))
			abort();
	} else if (!strstr(err, "bad boot argument")) {
		abort();
	}
	free(text);
	return 0;
}
