// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Diagnostics of domain XML: the list of errors and warnings a parse
 * collects, each with its line, and how the readers add to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

#include "domain_xml.h"

int shyper_diag_add(struct shyper_domain_diag *diag, enum shyper_diag_severity severity,
		    long line, const char *fmt, ...)
{
	struct shyper_diag_entry *entries;
	va_list ap;
	char *message;
	int len;

	if (!diag)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return SHYPER_ERR_NO_MEMORY;
	message = malloc((size_t)len + 1);
	if (!message)
		return SHYPER_ERR_NO_MEMORY;
	va_start(ap, fmt);
	vsnprintf(message, (size_t)len + 1, fmt, ap);
	va_end(ap);

	entries = realloc(diag->entries, (diag->count + 1) * sizeof(*entries));
	if (!entries) {
		free(message);
		return SHYPER_ERR_NO_MEMORY;
	}
	diag->entries = entries;
	entries[diag->count].severity = severity;
	entries[diag->count].line = line;
	entries[diag->count].message = message;
	diag->count++;
	if (severity == SHYPER_DIAG_ERROR)
		diag->error_count++;
	else
		diag->warning_count++;
	return 0;
}

void shyper_domain_diag_free(struct shyper_domain_diag *diag)
{
	size_t i;

	if (!diag)
		return;
	for (i = 0; i < diag->count; i++)
		free(diag->entries[i].message);
	free(diag->entries);
	memset(diag, 0, sizeof(*diag));
}

void shyper_domain_diag_print(const struct shyper_domain_diag *diag, const char *source,
			      FILE *out)
{
	size_t i;

	for (i = 0; diag && i < diag->count; i++) {
		const struct shyper_diag_entry *e = &diag->entries[i];
		const char *what = e->severity == SHYPER_DIAG_ERROR ? "error" : "warning";

		if (e->line > 0)
			fprintf(out, "%s:%ld: %s: %s\n", source, e->line, what, e->message);
		else
			fprintf(out, "%s: %s: %s\n", source, what, e->message);
	}
}

static void report(struct parse_ctx *ctx, enum shyper_diag_severity severity, long line,
		   const char *fmt, va_list ap)
{
	char message[512];

	vsnprintf(message, sizeof(message), fmt, ap);
	if (shyper_diag_add(ctx->diag, severity, line, "%s", message) < 0)
		ctx->oom = 1;
}

void dx_error_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, SHYPER_DIAG_ERROR, node ? xmlGetLineNo(node) : 0, fmt, ap);
	va_end(ap);
}

void dx_warn_at(struct parse_ctx *ctx, xmlNode *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, SHYPER_DIAG_WARNING, node ? xmlGetLineNo(node) : 0, fmt, ap);
	va_end(ap);
}
