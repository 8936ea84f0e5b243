// SPDX-License-Identifier: GPL-2.0
/*
 * The running image's side of a live update (core/update.c) through its
 * hypercalls: staging refuses pieces out of order or out of bounds, the
 * check refuses bad images with their reason and changes nothing, and the
 * hand-over either times out waiting for a pCPU or, when the new image
 * gives control back (the fake one always does), rolls back cleanly.
 */
#include <stdlib.h>
#include <hv/hypercall.h>
#include <hv/pcpu.h>
#include <hv/sha256.h>
#include <hv/state.h>
#include <hv/update.h>
#include <hv/vgic.h>
#include <shyper/abi.h>
#include <shyper/image.h>
#include <state_layout.h>
#include "unit.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (512 * 4096ULL)
#define IMAGE_IPA (RAM_IPA + 0x1000)
#define IMAGE_LEN (96 * 1024)
#define REPORT_IPA (RAM_IPA + 0x100000)
#define CANARY 0xa5

static struct vm *mvm, *gvm;
static uint8_t *ram, *slot;

static struct shyper_image_header *image_header(void)
{
	return (struct shyper_image_header *)(ram + (IMAGE_IPA - RAM_IPA) +
					      SHYPER_IMAGE_HEADER_OFFSET);
}

/* A sealed image this hypervisor would accept, at IMAGE_IPA in the MVM. */
static void make_image(void)
{
	uint8_t *img = ram + (IMAGE_IPA - RAM_IPA);
	struct shyper_image_header *h = image_header();

	memset(img, 0, IMAGE_LEN);
	for (size_t i = 256; i < IMAGE_LEN; i++)
		img[i] = (uint8_t)(i * 7 + (i >> 9));
	memcpy(img + SHYPER_IMAGE_ARM64_MAGIC_OFFSET, "ARM\x64", 4);
	*(uint64_t *)(img + SHYPER_IMAGE_ARM64_SIZE_OFFSET) = 2 * IMAGE_LEN;
	*h = (struct shyper_image_header){
		.magic = SHYPER_IMAGE_MAGIC,
		.header_size = sizeof(*h),
		.arch = SHYPER_IMAGE_ARCH_AARCH64,
		.abi_version = SHYPER_ABI_MAJOR << 16 | SHYPER_ABI_MINOR,
		.state_version = HV_STATE_VERSION,
		.state_version_min = HV_STATE_VERSION,
		.handover_entry = 512,
		.state_layout = HV_STATE_LAYOUT,
		.image_size = IMAGE_LEN,
		.version = "0.1.0-next",
	};
	sha256(img, IMAGE_LEN, h->sha256);
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	if (posix_memalign((void **)&ram, 4096, RAM_SIZE) ||
	    posix_memalign((void **)&slot, 4096, HV_IMAGE_SLOT_SIZE))
		return -1;
	memset(ram, CANARY, RAM_SIZE);
	memset(slot, 0, HV_IMAGE_SLOT_SIZE);
	hv_state->pcpu_online_mask = 0x1;
	hv_state->update.slot[0] = pa_init(0x40080000);
	hv_state->update.slot[1] = hv_pa(slot);

	mvm = &hv_state->vms[0];
	mvm->type = VM_TYPE_MVM;
	mvm->state = VM_STATE_RUNNING;
	mvm->board.mem_count = 1;
	mvm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = hv_pa(ram), .size = RAM_SIZE };
	mvm->vcpu_count = 1;
	mvm->vcpus[0].vm_id = 0;
	mvm->vcpus[0].power = VCPU_ON;
	vgic_vm_init(mvm, 64);
	vgic_vcpu_init(&mvm->vcpus[0]);
	pcpus[0].current = &mvm->vcpus[0];

	gvm = &hv_state->vms[2];
	gvm->type = VM_TYPE_GVM;
	gvm->state = VM_STATE_RUNNING;
	gvm->board.mem_count = 1;
	gvm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = hv_pa(ram), .size = RAM_SIZE };
	gvm->vcpu_count = 1;
	gvm->vcpus[0].vm_id = 2;
	make_image();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pcpus[0].current = NULL;
	free(ram);
	free(slot);
	unit_state_free();
	return 0;
}

static int64_t stage(struct vcpu *v, uint64_t offset, uint64_t ipa, uint64_t len, uint64_t total)
{
	v->regs.x[0] = SHYPER_HC_HV_UPDATE_STAGE;
	v->regs.x[1] = offset;
	v->regs.x[2] = ipa;
	v->regs.x[3] = len;
	v->regs.x[4] = total;
	hypercall_handle(v);
	return (int64_t)v->regs.x[0];
}

static int64_t update(struct vcpu *v, uint64_t flags, uint64_t ipa, uint64_t size)
{
	v->regs.x[0] = SHYPER_HC_HV_UPDATE;
	v->regs.x[1] = flags;
	v->regs.x[2] = ipa;
	v->regs.x[3] = size;
	hypercall_handle(v);
	return (int64_t)v->regs.x[0];
}

static struct shyper_update_report *report(void)
{
	return (struct shyper_update_report *)(ram + (REPORT_IPA - RAM_IPA));
}

/* The whole image, in three pieces. */
static void stage_image(void)
{
	struct vcpu *m = &mvm->vcpus[0];

	assert_int_equal(stage(m, 0, IMAGE_IPA, 40000, IMAGE_LEN), SHYPER_OK);
	assert_int_equal(stage(m, 40000, IMAGE_IPA + 40000, 40000, IMAGE_LEN), SHYPER_OK);
	assert_int_equal(stage(m, 80000, IMAGE_IPA + 80000, IMAGE_LEN - 80000, IMAGE_LEN),
			 SHYPER_OK);
}

static void test_guests_may_not_update(void **state)
{
	struct vcpu *g = &gvm->vcpus[0];

	(void)state;
	assert_int_equal(stage(g, 0, IMAGE_IPA, 4096, IMAGE_LEN), SHYPER_E_DENIED);
	assert_int_equal(update(g, 0, REPORT_IPA, sizeof(struct shyper_update_report)),
			 SHYPER_E_DENIED);
	assert_int_equal(slot[0], 0);
	assert_int_equal(fake_handover_calls, 0);
}

static void test_staging_rules(void **state)
{
	struct vcpu *m = &mvm->vcpus[0];

	(void)state;
	/* Too large for the slot: refused by size alone, with the reason. */
	assert_int_equal(stage(m, 0, IMAGE_IPA, 4096, HV_IMAGE_SLOT_SIZE + 1), SHYPER_E_INVALID);
	assert_int_equal(m->regs.x[1], SHYPER_UPDATE_TOO_LARGE);
	/* A piece past the total, larger than allowed, or outside the MVM's RAM. */
	assert_int_equal(stage(m, 0, IMAGE_IPA, 8192, 4096), SHYPER_E_INVALID);
	assert_int_equal(m->regs.x[1], 0);
	assert_int_equal(stage(m, 0, IMAGE_IPA, SHYPER_UPDATE_PIECE_MAX + 1, HV_IMAGE_SLOT_SIZE),
			 SHYPER_E_INVALID);
	assert_int_equal(stage(m, 0, RAM_IPA + RAM_SIZE - 100, 4096, IMAGE_LEN),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(slot[0], 0);
	/* Out of order: only the next piece of the image begun is taken. */
	assert_int_equal(stage(m, 0, IMAGE_IPA, 4096, IMAGE_LEN), SHYPER_OK);
	assert_int_equal(stage(m, 8192, IMAGE_IPA + 8192, 4096, IMAGE_LEN), SHYPER_E_INVALID);
	assert_int_equal(stage(m, 4096, IMAGE_IPA + 4096, 4096, IMAGE_LEN + 1), SHYPER_E_INVALID);
	/* Half an image is not an image. */
	assert_int_equal(update(m, SHYPER_UPDATE_CHECK_ONLY, REPORT_IPA, sizeof(*report())),
			 SHYPER_E_INVALID);
	assert_int_equal(report()->reason, SHYPER_UPDATE_NOT_STAGED);
	assert_memory_equal(slot, ram + (IMAGE_IPA - RAM_IPA), 4096);
}

static void test_report_arguments(void **state)
{
	struct vcpu *m = &mvm->vcpus[0];

	(void)state;
	stage_image();
	assert_int_equal(update(m, 0x2, REPORT_IPA, sizeof(*report())), SHYPER_E_INVALID);
	assert_int_equal(update(m, 0, REPORT_IPA, SHYPER_UPDATE_REPORT_SIZE_V1 - 1), SHYPER_E_INVALID);
	assert_int_equal(update(m, 0, RAM_IPA + RAM_SIZE - 8, sizeof(*report())),
			 SHYPER_E_BAD_ADDRESS);
	assert_int_equal(((uint8_t *)report())[0], CANARY);
	assert_int_equal(fake_handover_calls, 0);
}

static void test_check_only(void **state)
{
	struct vcpu *m = &mvm->vcpus[0];

	(void)state;
	stage_image();
	assert_int_equal(update(m, SHYPER_UPDATE_CHECK_ONLY, REPORT_IPA, sizeof(*report())),
			 SHYPER_OK);
	assert_int_equal(report()->size, sizeof(*report()));
	assert_int_equal(report()->reason, SHYPER_UPDATE_OK);
	assert_string_equal(report()->new_version, "0.1.0-next");
	assert_int_equal(report()->new_state_version, HV_STATE_VERSION);
	assert_int_equal(report()->image_size, IMAGE_LEN);
	assert_int_equal(fake_handover_calls, 0);
	assert_int_equal(hv_state->update.count, 0);

	/* One bit flipped in the MVM's copy after staging changes nothing... */
	ram[IMAGE_IPA - RAM_IPA + 5000] ^= 1;
	assert_int_equal(update(m, SHYPER_UPDATE_CHECK_ONLY, REPORT_IPA, sizeof(*report())),
			 SHYPER_OK);
	/* ...staged again, it is refused by its digest. */
	stage_image();
	assert_int_equal(update(m, 0, REPORT_IPA, sizeof(*report())), SHYPER_E_INVALID);
	assert_int_equal(report()->reason, SHYPER_UPDATE_DIGEST_MISMATCH);
	assert_int_equal(fake_handover_calls, 0);
}

static void test_rollback(void **state)
{
	struct vcpu *m = &mvm->vcpus[0];

	(void)state;
	stage_image();
	assert_int_equal(update(m, 0, REPORT_IPA, sizeof(*report())), SHYPER_E_ABORTED);
	assert_int_equal(fake_handover_calls, 1);
	assert_int_equal(fake_icache_syncs, 1);
	assert_int_equal(fake_handover_entry, (uint64_t)(uintptr_t)slot + 512);
	assert_int_equal(fake_handover_seen.magic, HANDOVER_MAGIC);
	assert_int_equal(fake_handover_seen.state_pa, (uint64_t)(uintptr_t)hv_state);
	assert_int_equal(fake_handover_seen.image_pa, (uint64_t)(uintptr_t)slot);
	assert_int_equal(fake_handover_seen.old_image_pa, 0x40080000);
	assert_int_equal(fake_handover_seen.pcpu, 0);
	assert_int_equal(fake_handover_seen.pcpu_mask, 0);
	assert_int_equal(fake_handover_seen.caller_vm, 0);
	assert_int_equal(fake_handover_seen.report_ipa, REPORT_IPA);
	/* Its vCPU was put for the hand-over; the scheduler takes it up again. */
	assert_null(pcpus[0].current);
	assert_true(pcpus[0].need_resched);
	assert_int_equal(report()->reason, SHYPER_UPDATE_ROLLED_BACK);
	assert_string_equal(report()->detail, "a fake image that never takes over");
	assert_int_equal(hv_state->update.count, 0);
	assert_int_equal(hv_state->update.failed, 1);
	assert_int_equal(hv_state->update.running_slot, 0);
	/* The image ran from the slot: it must be staged again. */
	assert_int_equal(update(m, 0, REPORT_IPA, sizeof(*report())), SHYPER_E_INVALID);
	assert_int_equal(report()->reason, SHYPER_UPDATE_NOT_STAGED);
}

static void test_rendezvous_timeout(void **state)
{
	struct vcpu *m = &mvm->vcpus[0];

	(void)state;
	/* pCPUs 1..3 online but never stopping (nothing runs them here). */
	hv_state->pcpu_online_mask = 0xf;
	stage_image();
	assert_int_equal(update(m, 0, REPORT_IPA, sizeof(*report())), SHYPER_E_BUSY);
	assert_int_equal(report()->reason, SHYPER_UPDATE_RENDEZVOUS);
	assert_int_equal(report()->pcpu, 1);
	assert_int_equal(fake_handover_calls, 0);
	for (unsigned i = 1; i < 4; i++)
		assert_true(fake_ipi_count[i] >= 1);
	/* Called off: nobody is asked to stop any more. */
	assert_false(update_requested());
	assert_int_equal(hv_state->update.count, 0);
}

static void test_no_room(void **state)
{
	struct vcpu *m = &mvm->vcpus[0];

	(void)state;
	hv_state->update.slot[1] = pa_init(0);
	assert_int_equal(stage(m, 0, IMAGE_IPA, 4096, IMAGE_LEN), SHYPER_E_INVALID);
	assert_int_equal(m->regs.x[1], SHYPER_UPDATE_NO_ROOM);
	assert_int_equal(update(m, 0, REPORT_IPA, sizeof(*report())), SHYPER_E_INVALID);
	assert_int_equal(report()->reason, SHYPER_UPDATE_NO_ROOM);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_guests_may_not_update),
		T(test_staging_rules),
		T(test_report_arguments),
		T(test_check_only),
		T(test_rollback),
		T(test_rendezvous_timeout),
		T(test_no_room),
	};

	return cmocka_run_group_tests_name("update", tests, NULL, NULL);
}
