/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * What domain.c shares with guest_fdt.c inside libshyper: recording
 * diagnostics.
 */
#ifndef SHYPER_LIB_DOMAIN_INTERNAL_H
#define SHYPER_LIB_DOMAIN_INTERNAL_H

#include <shyper/domain.h>

/* Appends a message to DIAG (ignored when DIAG is NULL). Returns 0, or
 * SHYPER_ERR_NO_MEMORY when the message could not be stored. */
int shyper_diag_add(struct shyper_domain_diag *diag, enum shyper_diag_severity severity,
		    long line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* SHYPER_LIB_DOMAIN_INTERNAL_H */
