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

/* CLOCK_MONOTONIC in milliseconds. */
int64_t monotonic_ms(void);

/*
 * shyper_vio_fetch(), but a queue found empty is asked again for up to
 * --poll-us microseconds before SHYPER_ERR_BUSY is returned: a guest that
 * keeps a device busy then has its next request taken at once rather than
 * after an event and a wake-up, for the price of a CPU spinning meanwhile.
 */
int vio_fetch_polling(struct shyper *h, uint32_t id, uint16_t slot, uint16_t queue, void *buf,
		      size_t len, uint64_t *token, size_t *readable, size_t *writable);

/*
 * The device in VM ID's virtio SLOT, as the definition the VM runs with
 * says: the VM's name into NAME, the definition into *DOM (the caller
 * frees it), the device into *DEV and its place among the devices of its
 * kind (the disk or interface it is) into *INDEX. 0, or -1 when the VM,
 * its definition or the slot is not there (logged when it should be).
 */
struct shyper_domain;
struct shyper_device_config;
int running_device(struct shyper *h, uint32_t id, uint16_t slot, char *name,
		   struct shyper_domain **dom, struct shyper_device_config *dev, size_t *index);

/* ---- virtio block (blk.c) ------------------------------------------------------ */

/* Disk images open at once, all VMs together. */
#define SHYPERD_MAX_DISKS 32

/* Serves VM ID's disk in virtio-mmio SLOT until its queue is empty. */
void blk_service(struct shyper *h, uint32_t id, uint16_t slot);

/* Serves every open disk (after events may have been missed). */
void blk_service_all(struct shyper *h);

/* Closes VM ID's images (it is gone or shut off). */
void blk_forget_vm(uint32_t id);

/* ---- virtio network (net.c) ---------------------------------------------------- */

struct pollfd;

/* Guest NICs served at once, all VMs together. */
#define SHYPERD_MAX_NICS 32
/* Receive buffers taken ahead per NIC (the hypervisor allows 128 in flight). */
#define NIC_RX_MAX 128

/* Serves VM ID's NIC in virtio-mmio SLOT: sends what it queued, takes the
 * receive buffers it offers, hands it the frames waiting. */
void net_service(struct shyper *h, uint32_t id, uint16_t slot);

/* Serves every NIC (after events may have been missed). */
void net_service_all(struct shyper *h);

/* VM ID was paused: its NICs' receive buffers go back to it, empty. */
void net_vm_paused(struct shyper *h, uint32_t vm_id);

/* Is VM ID's SLOT a NIC being served? */
bool net_is_nic(uint32_t id, uint16_t slot);

/* Removes VM ID's taps (it is gone or shut off). */
void net_forget_vm(uint32_t id);

/* Fills FDS (at most MAX) with the taps to wait on: those with frames'
 * worth of guest buffers. Returns how many. */
size_t net_pollfds(struct pollfd *fds, size_t max);

/* Serves the taps poll() found readable among FDS. */
void net_pollfds_ready(struct shyper *h, const struct pollfd *fds, size_t count);

/* VM ID (NAME) arrived from another board: its NICs announce its MACs,
 * once it runs. Any thread may call it. */
void net_announce_later(uint32_t id, const char *name);

/* Sends the announcements due at NOW_MS (the event loop's thread). Returns
 * the milliseconds until the next one, or -1 when none is waiting. */
int64_t net_announce_due(struct shyper *h, int64_t now_ms);

/* ---- rng.c: guests' entropy devices, from the MVM's /dev/urandom ---- */

#define SHYPERD_MAX_RNGS 32

/* VM ID's entropy device in SLOT has requests: answers them all. */
void rng_service(struct shyper *h, uint32_t id, uint16_t slot);

/* Answers what every known entropy device has waiting (missed events). */
void rng_service_all(struct shyper *h);

/* VM ID stopped: forgets its devices. */
void rng_forget_vm(uint32_t id);

#endif /* SHYPERD_H */
