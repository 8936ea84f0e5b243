// SPDX-License-Identifier: GPL-2.0
/* The machine of the virtio tests and fuzz target (see virtio_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hv/events.h>
#include <hv/hypercall.h>
#include <hv/state.h>
#include <hv/vconsole.h>
#include <hv/vgic.h>
#include "fake.h"
#include "virtio_fixture.h"

struct vm *mvm, *gvm;
struct vcpu *vcpu;
uint8_t *ram, *mvm_ram;
unsigned cur_slot;
uint64_t hc_out[4];

/* RAM buffers with FIXTURE_GUARD bytes each side, and the state area. */
static uint8_t *guest_area, *mvm_area;
static struct hv_state *state_area;

#define FIXTURE_CHECK(cond)                                                             \
	do {                                                                            \
		if (!(cond))                                                            \
			fixture_fail(__FILE__, __LINE__, #cond);                        \
	} while (0)

static void __attribute__((noreturn)) fixture_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fixture: %s failed; console:\n%s\n", file, line, what,
		fake_console);
	abort();
}

static uint8_t *guarded_buffer(uint8_t **area, uint64_t size)
{
	if (!*area && posix_memalign((void **)area, 4096, FIXTURE_GUARD + size + FIXTURE_GUARD))
		*area = NULL;
	if (!*area)
		return NULL;
	memset(*area, FIXTURE_GUARD_BYTE, FIXTURE_GUARD);
	memset(*area + FIXTURE_GUARD, 0, size);
	memset(*area + FIXTURE_GUARD + size, FIXTURE_GUARD_BYTE, FIXTURE_GUARD);
	return *area + FIXTURE_GUARD;
}

bool fixture_bytes_are(const uint8_t *p, uint64_t n, uint8_t value)
{
	/* Each byte equals the next and the first is value (fast: fuzz targets
	 * check after every step). */
	return !n || (p[0] == value && !memcmp(p, p + 1, n - 1));
}

static bool guard_intact(const uint8_t *area, uint64_t size)
{
	return fixture_bytes_are(area, FIXTURE_GUARD, FIXTURE_GUARD_BYTE) &&
	       fixture_bytes_are(area + FIXTURE_GUARD + size, FIXTURE_GUARD, FIXTURE_GUARD_BYTE);
}

bool fixture_guards_intact(void)
{
	return guard_intact(guest_area, RAM_SIZE) && guard_intact(mvm_area, MVM_RAM_SIZE);
}

static void vm_up(struct vm *vm, enum vm_type type, enum vm_state state, uint8_t *mem,
		  uint64_t size, uint32_t nr_spis)
{
	vm->type = type;
	vm->state = state;
	vm->board.mem_count = 1;
	vm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = hv_pa(mem), .size = size };
	vm->vcpu_count = 1;
	vm->vcpus[0].vm_id = vm->id;
	vm->vcpus[0].power = VCPU_ON;
	vgic_vm_init(vm, nr_spis);
	vgic_vcpu_init(&vm->vcpus[0]);
}

int fixture_setup(bool event_ring)
{
	fake_reset();
	/* Device generations start from the counter: the same every time. */
	fake_counter_now = 0;
	if (!state_area)
		state_area = malloc(sizeof(*state_area));
	ram = guarded_buffer(&guest_area, RAM_SIZE);
	mvm_ram = guarded_buffer(&mvm_area, MVM_RAM_SIZE);
	if (!state_area || !ram || !mvm_ram)
		return -1;
	state_create(state_area, sizeof(*state_area));
	cur_slot = 0;
	memset(hc_out, 0, sizeof(hc_out));

	mvm = &hv_state->vms[0];
	vm_up(mvm, VM_TYPE_MVM, VM_STATE_RUNNING, mvm_ram, MVM_RAM_SIZE, 64);
	if (event_ring && events_setup(mvm, ipa_init(MVM_RING), 4096) != SHYPER_OK)
		return -1;

	gvm = &hv_state->vms[GUEST_VM_ID];
	strcpy(gvm->name, "guest");
	vm_up(gvm, VM_TYPE_GVM, VM_STATE_DEFINED, ram, RAM_SIZE, SHYPER_GUEST_NR_SPIS);
	vcpu = &gvm->vcpus[0];
	vconsole_init(&gvm->console, SHYPER_GUEST_UART_BASE, 32 + SHYPER_GUEST_UART_SPI);
	return 0;
}

void fixture_teardown(void)
{
	free(guest_area);
	free(mvm_area);
	free(state_area);
	guest_area = mvm_area = NULL;
	state_area = NULL;
	hv_state = NULL;
	ram = mvm_ram = NULL;
	mvm = gvm = NULL;
	vcpu = NULL;
}

void *guest_at(uint64_t ipa)
{
	FIXTURE_CHECK(ipa >= RAM_IPA && ipa - RAM_IPA < RAM_SIZE);
	return ram + (ipa - RAM_IPA);
}

void *mvm_at(uint64_t ipa)
{
	FIXTURE_CHECK(ipa >= RAM_IPA && ipa - RAM_IPA < MVM_RAM_SIZE);
	return mvm_ram + (ipa - RAM_IPA);
}

/* ---- the MVM's side ---- */

int64_t hc_from(struct vcpu *v, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		uint64_t a4)
{
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.x[0] = fid;
	v->regs.x[1] = a1;
	v->regs.x[2] = a2;
	v->regs.x[3] = a3;
	v->regs.x[4] = a4;
	hypercall_handle(v);
	memcpy(hc_out, v->regs.x, sizeof(hc_out));
	return (int64_t)v->regs.x[0];
}

int64_t hc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	return hc_from(&mvm->vcpus[0], fid, a1, a2, a3, a4);
}

int64_t add_device_to(uint32_t vm_id, const struct shyper_device_config *dev, uint64_t size)
{
	memcpy(mvm_at(MVM_DEV_CFG), dev, sizeof(*dev));
	return hc(SHYPER_HC_VM_ADD_DEVICE, vm_id, MVM_DEV_CFG, size, 0);
}

int64_t add_device(const struct shyper_device_config *dev)
{
	return add_device_to(gvm->id, dev, sizeof(*dev));
}

struct shyper_device_config console_at(uint32_t slot)
{
	return (struct shyper_device_config){ .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					      .kind = SHYPER_DEV_VIRTIO_CONSOLE,
					      .slot = slot };
}

struct shyper_device_config blk_at(uint32_t slot, uint64_t capacity, uint32_t flags)
{
	return (struct shyper_device_config){ .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					      .kind = SHYPER_DEV_VIRTIO_BLOCK,
					      .slot = slot,
					      .flags = flags,
					      .capacity = capacity };
}

struct shyper_device_config net_at(uint32_t slot)
{
	return (struct shyper_device_config){ .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
					      .kind = SHYPER_DEV_VIRTIO_NET,
					      .slot = slot,
					      .mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
}

int64_t fetch(unsigned slot, unsigned q, uint64_t len)
{
	return hc(SHYPER_HC_VIO_FETCH, gvm->id, slot | q << 8, MVM_BUF, len);
}

int64_t complete(uint64_t token, const void *answer, uint64_t len)
{
	if (len)
		memcpy(mvm_at(MVM_BUF), answer, len);
	return hc(SHYPER_HC_VIO_COMPLETE, gvm->id, token, MVM_BUF, len);
}

/* ---- the guest driver's side ---- */

static uint64_t slot_ipa(unsigned slot, uint64_t off)
{
	return BASE + slot * SHYPER_GUEST_VIRTIO_STRIDE + off;
}

uint32_t rd_slot(unsigned slot, uint64_t off)
{
	uint64_t v = 0xdeadbeef;

	FIXTURE_CHECK(virtio_mmio_access(vcpu, slot_ipa(slot, off), 4, false, &v));
	return (uint32_t)v;
}

uint32_t rd(uint64_t off)
{
	return rd_slot(cur_slot, off);
}

void wr(uint64_t off, uint32_t val)
{
	uint64_t v = val;

	FIXTURE_CHECK(virtio_mmio_access(vcpu, slot_ipa(cur_slot, off), 4, true, &v));
}

uint64_t rd_config(uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	FIXTURE_CHECK(virtio_mmio_access(vcpu, slot_ipa(cur_slot, CONFIG + off), size, false, &v));
	return v;
}

bool needs_reset(void)
{
	return rd(STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

uint64_t device_features(void)
{
	uint64_t lo;

	wr(DEV_FEATURES_SEL, 0);
	lo = rd(DEV_FEATURES);
	wr(DEV_FEATURES_SEL, 1);
	return lo | (uint64_t)rd(DEV_FEATURES) << 32;
}

void negotiate(uint64_t features)
{
	wr(STATUS, 0);
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(DRV_FEATURES_SEL, 0);
	wr(DRV_FEATURES, (uint32_t)features);
	wr(DRV_FEATURES_SEL, 1);
	wr(DRV_FEATURES, (uint32_t)(features >> 32));
	wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

void queue_setup(uint32_t q, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(QUEUE_SEL, q);
	wr(QUEUE_NUM, num);
	wr(DESC_LO, (uint32_t)desc);
	wr(DESC_HI, (uint32_t)(desc >> 32));
	wr(DRIVER_LO, (uint32_t)avail);
	wr(DRIVER_HI, (uint32_t)(avail >> 32));
	wr(DEVICE_LO, (uint32_t)used);
	wr(DEVICE_HI, (uint32_t)(used >> 32));
	wr(QUEUE_READY, 1);
}

/* ---- rings ---- */

void set_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
	      uint16_t next)
{
	struct desc d = { addr, len, flags, next };

	memcpy(guest_at(table + sizeof(d) * i), &d, sizeof(d));
}

static uint16_t get16(uint64_t ipa)
{
	uint16_t v;

	memcpy(&v, guest_at(ipa), sizeof(v));
	return v;
}

static uint32_t get32(uint64_t ipa)
{
	uint32_t v;

	memcpy(&v, guest_at(ipa), sizeof(v));
	return v;
}

static void put16(uint64_t ipa, uint16_t v)
{
	memcpy(guest_at(ipa), &v, sizeof(v));
}

uint16_t avail_idx(uint64_t avail)
{
	return get16(avail + 2);
}

void make_avail(uint64_t avail, uint16_t head)
{
	uint16_t idx = avail_idx(avail);

	put16(avail + 4 + 2 * (idx % QSIZE), head);
	put16(avail + 2, (uint16_t)(idx + 1));
}

void offer(uint32_t q, uint64_t avail, uint16_t head)
{
	make_avail(avail, head);
	wr(QUEUE_NOTIFY, q);
}

uint16_t used_idx(uint64_t used)
{
	return get16(used + 2);
}

uint32_t used_id(uint64_t used, uint16_t n)
{
	return get32(used + 4 + 8 * (n % QSIZE));
}

uint32_t used_len(uint64_t used, uint16_t n)
{
	return get32(used + 4 + 8 * (n % QSIZE) + 4);
}
