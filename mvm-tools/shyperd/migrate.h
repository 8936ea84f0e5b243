/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* shyperd's migration endpoint (migrate.c). */
#ifndef SHYPERD_MIGRATE_H
#define SHYPERD_MIGRATE_H

#include <stdbool.h>

struct shyper;

/* The port boards send guests to, unless told another. */
#define SHYPER_MIGRATE_PORT 7979

/*
 * Starts taking guests on PORT: with TLS and the certificates in CERT_DIR
 * (none there: not at all, and 0), or with PLAIN as plain HTTP. DEVICE is
 * /dev/shyper's path (NULL: the default). 0, or -1 if the port cannot be
 * taken.
 */
int migrate_start(const char *device, unsigned int port, bool plain, const char *cert_dir);
void migrate_stop(void);
/* Throws away arrived guests whose commit did not come in time. */
void migrate_expire(struct shyper *h);

#endif
