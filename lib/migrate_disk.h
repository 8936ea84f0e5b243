/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A guest's disk images in its migration stream (`vm migrate
 * --copy-storage`): the sender reads each image in chunks and remembers
 * each chunk's SHA-256; the first pass, while the guest runs, sends every
 * chunk that is not all zeroes, and the last, once the guest is paused
 * and its disk requests have finished, every chunk whose digest changed.
 * The receiver creates each image where the definition says (never over
 * an existing file), writes what comes, and removes what it created if
 * the guest does not arrive.
 */
#ifndef SHYPER_MIGRATE_DISK_H
#define SHYPER_MIGRATE_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include <shyper/domain.h>

#include "migrate_stream.h"

#define DISK_CHUNK (1024 * 1024)

struct disk_sender {
	struct shyper *h;
	size_t count;
	struct {
		int fd;
		uint64_t size;
		uint8_t (*sum)[32];   /* each chunk's SHA-256 as the destination has it */
	} d[MIG_DISKS_MAX];
	uint8_t *buf;
	uint64_t bytes;               /* disk bytes sent */
};

/* Opens DOM's images for reading. */
int disk_send_open(struct disk_sender *ds, struct shyper *h, const struct shyper_domain *dom);
/* A pass over every image (see above); PACE runs after each chunk sent
 * and stops the pass with what it returns if that is not 0. */
int disk_send(struct disk_sender *ds, struct mig_writer *w, bool final, int (*pace)(void *ctx),
	      void *ctx);
void disk_send_close(struct disk_sender *ds);

struct disk_receiver {
	struct shyper *h;
	const struct shyper_domain *dom;
	int fd[MIG_DISKS_MAX];
	bool sized[MIG_DISKS_MAX];
	uint32_t created;             /* a bit per image this receiver created */
};

/* Could DOM's images be created here (absent, in a directory that is)? */
int disk_receive_check(struct shyper *h, const struct shyper_domain *dom);
/* Creates DOM's images, empty; DR->created says which (even on failure). */
int disk_receive_create(struct disk_receiver *dr, struct shyper *h,
			const struct shyper_domain *dom);
/* One DISK section, as the stream reader checked it. */
int disk_receive(struct disk_receiver *dr, const struct mig_disk *d, const void *data);
/* Every image got its size and is on stable storage: closes them. */
int disk_receive_finish(struct disk_receiver *dr);
void disk_receive_close(struct disk_receiver *dr);
/* Removes the images of DOM whose bits are set in CREATED. */
void disk_remove_created(const struct shyper_domain *dom, uint32_t created);

#endif
