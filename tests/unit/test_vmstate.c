// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's state between boards (core/vmstate.c): saved from a paused
 * guest and loaded into a fresh one, what the guest had comes across and
 * its next start resumes it where it stopped, virtual counter included;
 * and every malformed, foreign or dangerous string is refused with the
 * destination unchanged.
 */
#include <stdlib.h>
#include <hv/arch.h>
#include <hv/heap.h>
#include <hv/irqchip.h>
#include <hv/hypercall.h>
#include <hv/log.h>
#include <hv/state.h>
#include <hv/vgic.h>
#include <hv/virtio.h>
#include <hv/vmstate.h>
#include <shyper/abi.h>
#include "mvm_fixture.h"
#include "unit.h"

#define BLOB_IPA (MVM_RAM_IPA + 0x100000)
#define BLOB_ROOM (1 * MiB)
/* A saved list register holding a pending interrupt (the ICH_LR encoding). */
#define LR_PENDING ((uint64_t)LR_STATE_PENDING << ICH_LR_STATE_SHIFT)

static struct vm *src, *dst;
static uint8_t *blob;
static uint64_t blob_len;

/* A guest as the stream would describe it, with a PL031 too so that its
 * state moves with the rest. */
static struct vm *create(const char *name, unsigned vcpus)
{
	struct shyper_device_config *dev = in_mvm(CFG_IPA);
	struct vm *vm;

	guest_config(name, vcpus, 4 * MiB);
	vm = guest_create();
	if (!vm)
		return NULL;
	memset(dev, 0, sizeof(*dev));
	dev->size = SHYPER_DEVICE_CONFIG_SIZE_V1;
	dev->kind = SHYPER_DEV_RTC;
	if (call(SHYPER_HC_VM_ADD_DEVICE, vm->id, CFG_IPA, sizeof(*dev), 0) != SHYPER_OK)
		return NULL;
	return vm;
}

static int setup(void **state)
{
	(void)state;
	if (mvm_fixture_setup(2048))
		return -1;
	blob = in_mvm(BLOB_IPA);

	/* The guest that moves: started, given state, paused. */
	src = create("mover", 2);
	if (!src || call(SHYPER_HC_VM_START, src->id, 0, 0, 0) != SHYPER_OK)
		return -1;
	for (unsigned r = 0; r < 31; r++)
		src->vcpus[1].regs.x[r] = 0x1000 + r;
	src->vcpus[0].regs.elr = SHYPER_GUEST_RAM_BASE + 0x1234;
	src->vcpus[0].regs.spsr = 0x3c5; /* EL1h, DAIF masked */
	src->vcpus[1].regs.spsr = 0x3c5;
	src->vcpus[1].power = VCPU_ON;
	src->vcpus[1].sys.ttbr1 = 0xabcdef000;
	src->vcpus[1].sys.cntv_cval = 0x55555;
	src->vcpus[1].sys.cntv_ctl = 1;
	src->vcpus[1].fp.v[7] = 0x77;
	src->vcpus[1].vgic.priv[27].flags |= VIRQ_ENABLED | VIRQ_PENDING;
	src->vgic.spi[5].flags |= VIRQ_ENABLED;
	src->vgic.spi[5].priority = 0x40;
	src->vgic.spi[5].target = 1;
	memcpy(src->console.out, "hello from before", 17);
	src->console.out_written = 17;
	src->console.imsc = 0x50;
	src->gpio.dir = 0x0f;
	src->gpio.presses = 3;
	src->rtc.mr = 1234;
	src->rtc.imsc = 1;
	src->board.cntvoff = 1000;
	fake_counter_now = 50000;
	if (call(SHYPER_HC_VM_PAUSE, src->id, 0, 0, 0) != SHYPER_OK)
		return -1;
	fake_counter_now = 60000;
	/* Where it lands: the same definition, never started. */
	dst = create("arrival", 2);
	return dst ? 0 : -1;
}

static void save(void)
{
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, src->id, BLOB_IPA, BLOB_ROOM, 0), SHYPER_OK);
	blob_len = caller->regs.x[1];
	assert_true(blob_len > sizeof(struct vmstate_header) && blob_len < BLOB_ROOM);
}

static int64_t load(uint64_t len)
{
	return call(SHYPER_HC_VM_STATE_LOAD, dst->id, BLOB_IPA, len, 0);
}

/* The destination as a load found it (what a refused load must leave). */
static struct vm *snapshot(void)
{
	struct vm *copy = malloc(sizeof(*copy));

	assert_non_null(copy);
	memcpy(copy, dst, sizeof(*copy));
	return copy;
}

static void assert_unchanged(struct vm *before)
{
	assert_memory_equal(before, dst, sizeof(*dst));
	free(before);
}

static void test_round_trip_resumes_where_it_stopped(void **state)
{
	(void)state;
	save();
	assert_int_equal(load(blob_len), SHYPER_OK);
	assert_true(dst->state_loaded);
	assert_int_equal(dst->state, VM_STATE_DEFINED);
	assert_int_equal(dst->vcpus[1].regs.x[30], 0x101e);
	assert_int_equal(dst->vcpus[0].regs.elr, SHYPER_GUEST_RAM_BASE + 0x1234);
	assert_int_equal(dst->vcpus[1].sys.ttbr1, 0xabcdef000);
	assert_int_equal(dst->vcpus[1].fp.v[7], 0x77);
	assert_int_equal(dst->vcpus[1].power, VCPU_ON);
	assert_true(dst->vcpus[1].vgic.priv[27].flags & VIRQ_PENDING);
	assert_int_equal(dst->vcpus[1].vgic.queued, 1);
	assert_int_equal(dst->vgic.spi[5].priority, 0x40);
	assert_int_equal(dst->vgic.spi[5].target, 1);
	assert_int_equal(dst->console.out_written, 17);
	assert_memory_equal(dst->console.out, "hello from before", 17);
	assert_int_equal(dst->console.imsc, 0x50);
	assert_int_equal(dst->gpio.dir, 0x0f);
	assert_int_equal(dst->gpio.presses, 3);
	assert_int_equal(dst->rtc.mr, 1234);
	assert_int_equal(dst->rtc.imsc, 1);
	/* Board-bound things stay the destination's own. */
	assert_int_equal(dst->vcpus[1].pcpu, 2);
	assert_int_not_equal(pa_addr(dst->board.mem[0].pa), pa_addr(src->board.mem[0].pa));

	/* Its virtual counter stopped at the pause (50000 - 1000) and goes on
	 * from there, whatever this board's counter says. */
	fake_counter_now = 900000;
	assert_int_equal(call(SHYPER_HC_VM_START, dst->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(dst->state, VM_STATE_RUNNING);
	assert_false(dst->state_loaded);
	assert_int_equal(fake_counter_now - dst->board.cntvoff, src->paused_at - 1000);
	assert_in_range(src->paused_at, 50000, 50000 + 1000);
	/* Its timer fires at its compare value in its own time. */
	assert_int_equal(arch_vcpu_timer_deadline(&dst->vcpus[1]), 0x55555 + dst->board.cntvoff);
	assert_false(dst->vcpus[1].reset_pending);
}

/* One that was paused there is started here paused: its counter goes on
 * from the same value once it is resumed, and it never ran in between. */
static void test_paused_there_starts_paused_here(void **state)
{
	(void)state;
	/* Nothing loaded: a defined guest is not paused into being. */
	assert_int_equal(call(SHYPER_HC_VM_PAUSE, dst->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(dst->state, VM_STATE_DEFINED);
	save();
	assert_int_equal(load(blob_len), SHYPER_OK);
	fake_counter_now = 700000;
	assert_int_equal(call(SHYPER_HC_VM_PAUSE, dst->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(dst->state, VM_STATE_PAUSED);
	assert_false(dst->state_loaded);
	assert_in_range(dst->paused_at, 700000, 700000 + 1000);
	assert_int_equal(fake_counter_now - dst->board.cntvoff, src->paused_at - 1000);
	/* Paused again: it is already. */
	assert_int_equal(call(SHYPER_HC_VM_PAUSE, dst->id, 0, 0, 0), SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_RESUME, dst->id, 0, 0, 0), SHYPER_OK);
	assert_int_equal(dst->state, VM_STATE_RUNNING);
	assert_int_equal(dst->vcpus[1].regs.x[30], 0x101e);
}

static void test_save_needs_a_paused_guest_and_room(void **state)
{
	(void)state;
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, dst->id, BLOB_IPA, BLOB_ROOM, 0),
			 SHYPER_E_BUSY);
	src->vcpus[0].loaded = true;
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, src->id, BLOB_IPA, BLOB_ROOM, 0),
			 SHYPER_E_BUSY);
	src->vcpus[0].loaded = false;
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, src->id, BLOB_IPA, 100, 0), SHYPER_E_INVALID);
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, src->id, BLOB_IPA, 0, 0), SHYPER_E_INVALID);
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, src->id, MVM_RAM_IPA + MVM_RAM_SIZE - 64,
			      4096, 0), SHYPER_E_BAD_ADDRESS);
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, src->id, BLOB_IPA, SHYPER_VM_STATE_MAX + 1,
			      0), SHYPER_E_INVALID);
	/* Not the MVM's, and not from a guest. */
	assert_int_equal(call(SHYPER_HC_VM_STATE_SAVE, 0, BLOB_IPA, BLOB_ROOM, 0), SHYPER_E_DENIED);
}

static void test_truncated_or_padded_strings_are_refused(void **state)
{
	struct vm *before;

	(void)state;
	save();
	before = snapshot();
	/* Every cut a byte string can have. */
	for (uint64_t len = 1; len < blob_len; len += len < 64 ? 1 : 61)
		assert_int_equal(load(len), SHYPER_E_INVALID);
	assert_int_equal(load(blob_len - 1), SHYPER_E_INVALID);
	/* A byte more than it says. */
	assert_int_equal(load(blob_len + 8), SHYPER_E_INVALID);
	assert_int_equal(load(0), SHYPER_E_INVALID);
	assert_unchanged(before);
}

/* Flip one bit at a time over the headers, descriptions and a sample of
 * payload: each is refused or, if it only changed a value the guest may
 * hold, loaded; never anything else, and the checks hold either way. */
static void test_flipped_bits_never_get_past_the_checks(void **state)
{
	uint8_t *orig;

	(void)state;
	save();
	orig = malloc(blob_len);
	assert_non_null(orig);
	memcpy(orig, blob, blob_len);
	for (uint64_t i = 0; i < blob_len; i += (i < 4096 ? 1 : 97)) {
		for (unsigned b = 0; b < 8; b += 3) {
			int64_t rc;

			memcpy(blob, orig, blob_len);
			blob[i] ^= (uint8_t)(1U << b);
			dst->state_loaded = false;
			rc = load(blob_len);
			assert_true(rc == SHYPER_OK || rc == SHYPER_E_INVALID);
			if (rc == SHYPER_OK) {
				for (unsigned v = 0; v < dst->vcpu_count; v++) {
					uint64_t mode = dst->vcpus[v].regs.spsr & 0x1f;

					assert_true(mode == 0 || mode == 4 || mode == 5);
					assert_true(dst->vcpus[v].power <= VCPU_ON);
				}
				assert_true(dst->console.rx_head - dst->console.rx_tail <=
					    VCONSOLE_RX_SIZE);
				for (unsigned s = 0; s < dst->vgic.nr_spis; s++)
					assert_true(dst->vgic.spi[s].target < dst->vcpu_count);
			}
		}
	}
	free(orig);
}

/* Patch the record of KIND (and INDEX) in the saved string: returns its payload. */
static uint8_t *payload_of(uint16_t kind, uint16_t index)
{
	uint64_t at = sizeof(struct vmstate_header);

	while (at < blob_len) {
		struct vmstate_record r;

		memcpy(&r, blob + at, sizeof(r));
		at += sizeof(r) + ALIGN_UP(r.desc_len, 8);
		if (r.kind == kind && r.index == index)
			return blob + at;
		at += ALIGN_UP(r.len, 8);
	}
	fail_msg("no record %u/%u", kind, index);
	return NULL;
}

static void test_dangerous_values_are_refused(void **state)
{
	struct vm *before;
	struct vmstate_vcpu *v;
	struct vmstate_vm *w;
	struct vconsole *c;

	(void)state;
	save();
	before = snapshot();
	v = (struct vmstate_vcpu *)payload_of(VMSTATE_VCPU, 1);
	/* A return to EL2 (EL2h, EL2t), or to AArch32. */
	for (uint64_t mode = 0; mode < 32; mode++) {
		v->regs.spsr = 0x3c0 | mode;
		assert_int_equal(load(blob_len), mode == 0 || mode == 4 || mode == 5 ? SHYPER_OK
										  : SHYPER_E_INVALID);
		dst->state_loaded = false;
	}
	memcpy(dst, before, sizeof(*dst));
	v->regs.spsr = 0x3c5;
	/* A list register that would deactivate a physical interrupt. */
	v->sys.ich_lr[0] = LR_PENDING | ICH_LR_HW | (33ULL << ICH_LR_PINTID_SHIFT) | 27;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	v->sys.ich_lr[0] = LR_PENDING | ICH_LR_HW | (27ULL << ICH_LR_PINTID_SHIFT) | 27; /* its timer */
	assert_int_equal(load(blob_len), SHYPER_OK);
	memcpy(dst, before, sizeof(*dst));
	v->sys.ich_lr[0] = LR_PENDING | 5000;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	v->sys.ich_lr[0] = 0;
	v->power = 7;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	v->power = VCPU_ON;
	memset(&v->vtimer_active, 2, 1);
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	memset(&v->vtimer_active, 0, 1);
	v->irq_direct = true; /* a GVM */
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	v->irq_direct = false;
	v->priv[27].flags |= VIRQ_HW;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	v->priv[27].flags &= (uint8_t)~VIRQ_HW;

	w = (struct vmstate_vm *)payload_of(VMSTATE_VM, 0);
	w->spi[5].target = 2; /* a vCPU it does not have */
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	w->spi[5].target = 1;
	w->counter_hz++; /* a board whose counter ticks otherwise */
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	w->counter_hz--;
	w->vcpu_count = 1;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	w->vcpu_count = 2;

	c = (struct vconsole *)payload_of(VMSTATE_CONSOLE, 0);
	c->rx_head = c->rx_tail + VCONSOLE_RX_SIZE + 1; /* more input than the FIFO holds */
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	c->rx_head = c->rx_tail;
	c->base = 0x1000; /* not where this guest's UART is */
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	assert_unchanged(before);
}

static void test_foreign_strings_are_refused(void **state)
{
	struct vm *before;
	struct vmstate_header *h = (void *)NULL;
	struct vmstate_record *r;

	(void)state;
	save();
	before = snapshot();
	h = (struct vmstate_header *)blob;
	h->version = 2;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	h->version = VMSTATE_VERSION;
	h->magic[0] = 'X';
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	h->magic[0] = 'S';
	/* An unknown record kind: its state would be lost. */
	r = (struct vmstate_record *)(blob + sizeof(*h));
	r->kind = 99;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	r->kind = VMSTATE_VM;
	/* A description that does not parse, and one for another structure. */
	((char *)(r + 1))[0] = 'x';
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	((char *)(r + 1))[0] = 's';
	r->reserved = 1;
	assert_int_equal(load(blob_len), SHYPER_E_INVALID);
	r->reserved = 0;
	/* Into a guest that ran, or the MVM: refused too. */
	assert_int_equal(call(SHYPER_HC_VM_STATE_LOAD, src->id, BLOB_IPA, blob_len, 0),
			 SHYPER_E_BUSY);
	assert_int_equal(call(SHYPER_HC_VM_STATE_LOAD, 0, BLOB_IPA, blob_len, 0), SHYPER_E_DENIED);
	assert_int_equal(call(SHYPER_HC_VM_STATE_LOAD, dst->id, MVM_RAM_IPA + MVM_RAM_SIZE - 8,
			      blob_len, 0), SHYPER_E_BAD_ADDRESS);
	assert_unchanged(before);
	/* And still loads once whole again. */
	assert_int_equal(load(blob_len), SHYPER_OK);
}

/* A destination defined otherwise (another vCPU count) is not this guest's. */
static void test_another_definition_is_a_mismatch(void **state)
{
	struct vm *other;

	(void)state;
	save();
	other = create("other", 1);
	assert_non_null(other);
	assert_int_equal(call(SHYPER_HC_VM_STATE_LOAD, other->id, BLOB_IPA, blob_len, 0),
			 SHYPER_E_INVALID);
	assert_false(other->state_loaded);
}

/* A newer sender whose vCPU record has a field more (and so every field
 * after it moved) still loads: records convert by name. */
static void test_a_record_with_another_layout_converts(void **state)
{
	static const char prefix[] = "s1360{extra@0:b8,";
	struct vmstate_record *r;
	uint8_t *copy;
	uint64_t at = sizeof(struct vmstate_header), out;

	(void)state;
	save();
	copy = calloc(1, BLOB_ROOM);
	assert_non_null(copy);
	memcpy(copy, blob, sizeof(struct vmstate_header));
	out = sizeof(struct vmstate_header);
	while (at < blob_len) {
		struct vmstate_record rec;
		const char *desc;
		const uint8_t *payload;

		memcpy(&rec, blob + at, sizeof(rec));
		desc = (const char *)blob + at + sizeof(rec);
		payload = blob + at + sizeof(rec) + ALIGN_UP(rec.desc_len, 8);
		at += sizeof(rec) + ALIGN_UP(rec.desc_len, 8) + ALIGN_UP(rec.len, 8);
		if (rec.kind != VMSTATE_VCPU) {
			uint64_t n = sizeof(rec) + ALIGN_UP(rec.desc_len, 8) + ALIGN_UP(rec.len, 8);

			memcpy(copy + out, blob + at - n, n);
			out += n;
			continue;
		}
		/* Rewrite "s1352{regs@0:...,sys@264:..." with every offset + 8. */
		char newdesc[VMSTATE_DESC_MAX];
		size_t k = 0;
		const char *p = strchr(desc, '{') + 1;

		k += (size_t)snprintf(newdesc, sizeof(newdesc), "%s", prefix);
		for (int depth = 0; p < desc + rec.desc_len; p++) {
			if (*p == '{')
				depth++;
			if (*p == '}')
				depth--;
			if (*p == '@' && depth == 0) {
				unsigned long off = strtoul(p + 1, (char **)&p, 10);

				k += (size_t)snprintf(newdesc + k, sizeof(newdesc) - k, "@%lu", off + 8);
				p--;
				continue;
			}
			newdesc[k++] = *p;
		}
		r = (struct vmstate_record *)(copy + out);
		*r = rec;
		r->desc_len = (uint32_t)k;
		r->len = rec.len + 8;
		out += sizeof(*r);
		memcpy(copy + out, newdesc, k);
		out += ALIGN_UP(k, 8);
		memset(copy + out, 0xee, 8); /* the new field: whatever it holds */
		memcpy(copy + out + 8, payload, rec.len);
		out += ALIGN_UP(rec.len + 8, 8);
	}
	((struct vmstate_header *)copy)->size = out;
	memcpy(blob, copy, out);
	free(copy);
	assert_int_equal(load(out), SHYPER_OK);
	assert_int_equal(dst->vcpus[1].regs.x[30], 0x101e);
	assert_int_equal(dst->vcpus[1].sys.ttbr1, 0xabcdef000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_resumes_where_it_stopped, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_paused_there_starts_paused_here, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_save_needs_a_paused_guest_and_room, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_or_padded_strings_are_refused, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flipped_bits_never_get_past_the_checks, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_dangerous_values_are_refused, setup, mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_strings_are_refused, setup, mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_another_definition_is_a_mismatch, setup,
						mvm_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_record_with_another_layout_converts, setup,
						mvm_fixture_teardown),
	};

	return cmocka_run_group_tests_name("vmstate", tests, NULL, NULL);
}
