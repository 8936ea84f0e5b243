/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine the virtio tests drive (test_virtio.c, test_vio.c) and the
 * virtio-mmio fuzz target (tests/fuzz/fuzz_virtio_mmio.c): an MVM (VM 0)
 * and one guest (VM 2), each with RAM at RAM_IPA backed by a host buffer
 * that has guard pages on both sides, and helpers for both ends of a
 * virtio device - the MVM's hypercalls and the guest driver's register
 * accesses and rings.
 *
 * No test framework here, so that the fuzz target links it too: a helper
 * whose own plumbing fails (an access that no device claimed, a setup
 * hypercall that was refused) prints where and aborts.
 */
#ifndef SHYPER_TESTS_VIRTIO_FIXTURE_H
#define SHYPER_TESTS_VIRTIO_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <hv/virtio.h>
#include <hv/vm.h>
#include <shyper/abi.h>

/* Both VMs' RAM starts here (each in its own address space). */
#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (512 * 1024ULL)     /* the guest's */
#define MVM_RAM_SIZE (256 * 1024ULL)
/* Bytes around each RAM buffer that nothing may ever write. */
#define FIXTURE_GUARD 4096
#define FIXTURE_GUARD_BYTE 0xa5

/* The guest's rings: queue 0 and queue 1 of QSIZE entries, and data. */
#define QSIZE 16
#define Q0_DESC (RAM_IPA + 0x1000)
#define Q0_AVAIL (RAM_IPA + 0x2000)
#define Q0_USED (RAM_IPA + 0x3000)
#define Q1_DESC (RAM_IPA + 0x4000)
#define Q1_AVAIL (RAM_IPA + 0x5000)
#define Q1_USED (RAM_IPA + 0x6000)
#define DATA (RAM_IPA + 0x10000)

/* In the MVM: the device description for VM_ADD_DEVICE, the event ring
 * (if the fixture has one) and the backend's FETCH/COMPLETE buffer. */
#define MVM_DEV_CFG RAM_IPA
#define MVM_RING (RAM_IPA + 0x1000)
#define MVM_BUF (RAM_IPA + 0x10000)
#define MVM_BUF_SIZE (128 * 1024ULL)

#define GUEST_VM_ID 2
#define BASE SHYPER_GUEST_VIRTIO_BASE

/* Transport registers (virtio 1.x, 4.2.2) */
#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define VENDOR_ID 0x00c
#define DEV_FEATURES 0x010
#define DEV_FEATURES_SEL 0x014
#define DRV_FEATURES 0x020
#define DRV_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INT_STATUS 0x060
#define INT_ACK 0x064
#define STATUS 0x070
#define DESC_LO 0x080
#define DESC_HI 0x084
#define DRIVER_LO 0x090
#define DRIVER_HI 0x094
#define DEVICE_LO 0x0a0
#define DEVICE_HI 0x0a4
#define CONFIG_GEN 0x0fc
#define CONFIG 0x100

/* A split-ring descriptor as the guest writes it. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* The fixture's machine; valid between fixture_setup and fixture_teardown. */
extern struct vm *mvm, *gvm;
extern struct vcpu *vcpu;      /* the guest's vCPU 0 */
extern uint8_t *ram, *mvm_ram; /* their RAM, RAM_IPA onwards */
/* The slot rd/wr/offer and the driver helpers talk to. */
extern unsigned cur_slot;
/* x0..x3 as the last hc()/hc_from() left them. */
extern uint64_t hc_out[4];

/*
 * A fresh state area, both VMs (the guest DEFINED, no devices), both RAMs
 * zeroed and their guards filled; with an event ring at MVM_RING if asked.
 * Buffers are kept from one call to the next until fixture_teardown, so a
 * fuzz target may call it once per input. Returns 0, or -1 if out of memory.
 */
int fixture_setup(bool event_ring);
void fixture_teardown(void);
/* Are the guard bytes around both RAM buffers as fixture_setup left them? */
bool fixture_guards_intact(void);
/* Are all n bytes at p equal to value? */
bool fixture_bytes_are(const uint8_t *p, uint64_t n, uint8_t value);

/* The host's pointer to an IPA in the guest's or the MVM's RAM. */
void *guest_at(uint64_t ipa);
void *mvm_at(uint64_t ipa);

/* ---- the MVM's side ---- */

/* A hypercall from vCPU v; returns x0, leaves x0..x3 in hc_out. */
int64_t hc_from(struct vcpu *v, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		uint64_t a4);
/* The same from the MVM's vCPU 0. */
int64_t hc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);
/* VM_ADD_DEVICE of `size` bytes of dev (copied to MVM_DEV_CFG) for VM vm_id. */
int64_t add_device_to(uint32_t vm_id, const struct shyper_device_config *dev, uint64_t size);
/* VM_ADD_DEVICE of dev for the guest. */
int64_t add_device(const struct shyper_device_config *dev);
struct shyper_device_config console_at(uint32_t slot);
struct shyper_device_config blk_at(uint32_t slot, uint64_t capacity, uint32_t flags);
struct shyper_device_config net_at(uint32_t slot); /* MAC 52:54:00:12:34:56 */
/* VIO_FETCH of slot/q into MVM_BUF; token, readable and room in hc_out[1..3]. */
int64_t fetch(unsigned slot, unsigned q, uint64_t len);
/* VIO_COMPLETE with len bytes of answer (copied to MVM_BUF first). */
int64_t complete(uint64_t token, const void *answer, uint64_t len);

/* ---- the guest driver's side (cur_slot) ---- */

uint32_t rd_slot(unsigned slot, uint64_t off);
uint32_t rd(uint64_t off);
void wr(uint64_t off, uint32_t val);
/* A config space read of 1, 2, 4 or 8 bytes. */
uint64_t rd_config(uint64_t off, unsigned size);
bool needs_reset(void);
/* The features the device offers (both words). */
uint64_t device_features(void);
/* Reset, ACKNOWLEDGE, DRIVER, these features, FEATURES_OK (which may not stick). */
void negotiate(uint64_t features);
void queue_setup(uint32_t q, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used);

/* Rings of QSIZE entries in the guest's RAM. */
void set_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
	      uint16_t next);
uint16_t avail_idx(uint64_t avail);
/* Put head in the avail ring and publish it; offer also notifies queue q. */
void make_avail(uint64_t avail, uint16_t head);
void offer(uint32_t q, uint64_t avail, uint16_t head);
uint16_t used_idx(uint64_t used);
uint32_t used_id(uint64_t used, uint16_t n);
uint32_t used_len(uint64_t used, uint16_t n);

#endif
