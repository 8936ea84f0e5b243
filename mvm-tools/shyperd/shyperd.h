/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* shyperd's parts: the event loop (shyperd.c) and the device backends. */
#ifndef SHYPERD_H
#define SHYPERD_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

struct shyper;

/* Logs one line: to stderr as "shyperd: ...", or to syslog. */
void say(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- virtio block (blk.c) ------------------------------------------------------ */

/* Disk images open at once, all VMs together. */
#define SHYPERD_MAX_DISKS 32

/* Serves VM ID's disk in virtio-mmio SLOT until its queue is empty. */
void blk_service(struct shyper *h, uint32_t id, uint16_t slot);

/* Serves every open disk (after events may have been missed). */
void blk_service_all(struct shyper *h);

/* Closes VM ID's images (it is gone or shut off). */
void blk_forget_vm(uint32_t id);

#endif /* SHYPERD_H */
