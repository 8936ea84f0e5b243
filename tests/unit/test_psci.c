// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI as guests see it (core/psci.c, with core/vm.c for the VM lookups),
 * on a state area with one VM of four vCPUs: vCPU 0 on, the others off.
 */
#include <stdlib.h>
#include <hv/log.h>
#include <hv/psci.h>
#include <hv/state.h>
#include "unit.h"

#define RAM_IPA 0x40000000ULL
#define RAM_SIZE (256 * MiB)
#define ENTRY (RAM_IPA + 0x80000)

static struct vm *vm;
static struct vcpu *v[4];

static int setup(void **state)
{
	(void)state;
	fake_reset();
	if (!unit_state_new())
		return -1;
	vm = &hv_state->vms[0];
	vm->type = VM_TYPE_MVM;
	vm->state = VM_STATE_RUNNING;
	strcpy(vm->name, "mvm");
	vm->board.mem_count = 1;
	vm->board.mem[0] = (struct mem_region){ .ipa = ipa_init(RAM_IPA), .pa = pa_init(0x80000000), .size = RAM_SIZE };
	vm->vcpu_count = 4;
	for (unsigned i = 0; i < 4; i++) {
		v[i] = &vm->vcpus[i];
		v[i]->vm_id = vm->id;
		v[i]->index = (uint8_t)i;
		v[i]->pcpu = (uint8_t)i;
		v[i]->vmpidr = i;
		v[i]->power = i == 0 ? VCPU_ON : VCPU_OFF;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_state_free();
	return 0;
}

static bool log_has(const char *text)
{
	static char ring[LOG_RING_SIZE + 1];
	size_t n = log_ring_read(ring, LOG_RING_SIZE, 0);

	ring[n] = '\0';
	return strstr(ring, text) != NULL;
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(psci_call(v[0], PSCI_VERSION, 0, 0, 0), 0x10001);
	assert_int_equal(psci_call(v[0], PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
}

static void test_cpu_on(void **state)
{
	(void)state;
	v[1]->regs.x[5] = 0x5555;
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 1, ENTRY, 0xc0ffee), PSCI_RET_SUCCESS);
	assert_int_equal(v[1]->power, VCPU_ON_PENDING);
	assert_int_equal(v[1]->regs.elr, ENTRY);
	assert_int_equal(v[1]->regs.x[0], 0xc0ffee);
	assert_int_equal(v[1]->regs.x[5], 0); /* fresh registers */
	assert_true(v[1]->reset_pending);
	assert_int_equal(fake_kick_count, 1);
	assert_ptr_equal(fake_last_kicked, v[1]);
	/* Nobody else moved. */
	assert_int_equal(v[2]->power, VCPU_OFF);
	assert_int_equal(v[3]->power, VCPU_OFF);

	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 1, ENTRY + 0x100, 1), PSCI_RET_ON_PENDING);
	assert_int_equal(v[1]->regs.elr, ENTRY);
	v[1]->power = VCPU_ON;
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 1, ENTRY, 0), PSCI_RET_ALREADY_ON);
	assert_int_equal(psci_call(v[1], PSCI_CPU_ON_64, 0, ENTRY, 0), PSCI_RET_ALREADY_ON);
	assert_int_equal(fake_kick_count, 1);
	/* The firmware is not involved: vCPUs are the hypervisor's business. */
	assert_int_equal(fake_fw_cpu_on_calls, 0);
}

static void test_cpu_on_unknown_mpidr(void **state)
{
	(void)state;
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 4, ENTRY, 0), PSCI_RET_INVALID_PARAMS);
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 0x101, ENTRY, 0), PSCI_RET_INVALID_PARAMS);
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 0x100000001ULL, ENTRY, 0),
			 PSCI_RET_INVALID_PARAMS);
	assert_int_equal(fake_kick_count, 0);
}

static void test_cpu_on_bad_entry(void **state)
{
	static const uint64_t bad[] = {
		0, 0x1000, RAM_IPA - 4, RAM_IPA + RAM_SIZE, RAM_IPA + RAM_SIZE + 0x1000,
		ENTRY + 2, ENTRY + 1, 0xfffffffffffffffcULL,
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		v[2]->regs.elr = 0x77;
		assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 2, bad[i], 0),
				 PSCI_RET_INVALID_ADDRESS);
		assert_int_equal(v[2]->power, VCPU_OFF);
		assert_int_equal(v[2]->regs.elr, 0x77);
	}
	assert_int_equal(fake_kick_count, 0);
	/* The last word of RAM is a fine entry point. */
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 2, RAM_IPA + RAM_SIZE - 4, 0),
			 PSCI_RET_SUCCESS);
}

static void test_affinity_info(void **state)
{
	(void)state;
	assert_int_equal(psci_call(v[1], PSCI_AFFINITY_INFO_64, 0, 0, 0), PSCI_AFFINITY_ON);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_64, 2, 0, 0), PSCI_AFFINITY_OFF);
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 2, ENTRY, 0), PSCI_RET_SUCCESS);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_64, 2, 0, 0), PSCI_AFFINITY_ON_PENDING);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_32, 2, 0, 0), PSCI_AFFINITY_ON_PENDING);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_32, 3, 0, 0), PSCI_AFFINITY_OFF);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_64, 0, 1, 0), PSCI_RET_INVALID_PARAMS);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_64, 0, 2, 0), PSCI_RET_INVALID_PARAMS);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_64, 9, 0, 0), PSCI_RET_INVALID_PARAMS);
}

static void test_cpu_off(void **state)
{
	(void)state;
	v[3]->power = VCPU_ON;
	assert_int_equal(psci_call(v[3], PSCI_CPU_OFF, 0, 0, 0), PSCI_RET_SUCCESS);
	assert_int_equal(v[3]->power, VCPU_OFF);
	assert_int_equal(v[0]->power, VCPU_ON);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_64, 3, 0, 0), PSCI_AFFINITY_OFF);
	/* And it can be brought back. */
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 3, ENTRY, 0), PSCI_RET_SUCCESS);
}

static void test_features(void **state)
{
	static const uint32_t supported[] = {
		PSCI_VERSION, PSCI_CPU_OFF, PSCI_CPU_ON_32, PSCI_CPU_ON_64, PSCI_AFFINITY_INFO_32,
		PSCI_AFFINITY_INFO_64, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES,
		PSCI_MIGRATE_INFO_TYPE,
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(supported); i++)
		assert_int_equal(psci_call(v[0], PSCI_FEATURES, supported[i], 0, 0), 0);
	assert_int_equal(psci_call(v[0], PSCI_FEATURES, PSCI_CPU_SUSPEND_64, 0, 0), 0);
	/* MIGRATE, SYSTEM_SUSPEND, an unallocated id, a non-PSCI id */
	assert_int_equal(psci_call(v[0], PSCI_FEATURES, 0xc4000005, 0, 0), PSCI_RET_NOT_SUPPORTED);
	assert_int_equal(psci_call(v[0], PSCI_FEATURES, 0xc400000e, 0, 0), PSCI_RET_NOT_SUPPORTED);
	assert_int_equal(psci_call(v[0], PSCI_FEATURES, 0x8400001f, 0, 0), PSCI_RET_NOT_SUPPORTED);
	assert_int_equal(psci_call(v[0], PSCI_FEATURES, 0x82000000, 0, 0), PSCI_RET_NOT_SUPPORTED);
}

/* Run a call that may end in a noreturn firmware call; what the fake saw. */
static enum fake_noreturn call_catching(struct vcpu *vcpu, uint32_t fid, int64_t *ret)
{
	jmp_buf jb;

	fake_noreturn_event = FAKE_RETURNED;
	fake_noreturn_jmp = &jb;
	if (setjmp(jb) == 0)
		*ret = psci_call(vcpu, fid, 0, 0, 0);
	fake_noreturn_jmp = NULL;
	return fake_noreturn_event;
}

static void test_system_off_and_reset_from_mvm(void **state)
{
	int64_t ret = 99;

	(void)state;
	assert_int_equal(call_catching(v[0], PSCI_SYSTEM_OFF, &ret), FAKE_SYSTEM_OFF);
	assert_int_equal(ret, 99);
	assert_true(log_has("power-off"));
	assert_int_equal(call_catching(v[0], PSCI_SYSTEM_RESET, &ret), FAKE_SYSTEM_RESET);
	assert_true(log_has("reset"));
	assert_int_equal(ret, 99);
}

static void test_system_off_from_guest(void **state)
{
	int64_t ret = 99;

	(void)state;
	vm->type = VM_TYPE_GVM;
	fake_cpu = 0;
	assert_int_equal(call_catching(v[0], PSCI_SYSTEM_OFF, &ret), FAKE_RETURNED);
	assert_int_equal(ret, PSCI_RET_SUCCESS);
	assert_int_equal(vm->state, VM_STATE_SHUTOFF);
	/* The scheduler is told about every one of its vCPUs, this pCPU's
	 * included (sched_kick raises need_resched locally, IPIs elsewhere). */
	assert_int_equal(fake_kick_count, 4);
	assert_ptr_equal(fake_last_kicked, v[3]);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fake_ipi_count[i], 0); /* all through the scheduler */

	vm->state = VM_STATE_RUNNING;
	assert_int_equal(call_catching(v[0], PSCI_SYSTEM_RESET, &ret), FAKE_RETURNED);
	assert_int_equal(vm->state, VM_STATE_SHUTOFF);
}

static void test_unknown_function(void **state)
{
	(void)state;
	assert_int_equal(psci_call(v[0], 0x8400001f, 0, 0, 0), PSCI_RET_NOT_SUPPORTED);
	assert_int_equal(psci_call(v[0], 0xc4000005, 1, ENTRY, 0), PSCI_RET_NOT_SUPPORTED);
	assert_int_equal(psci_call(v[0], 0x8400000e, 0, 0, 0), PSCI_RET_NOT_SUPPORTED);
	assert_int_equal(v[1]->power, VCPU_OFF);
}

static void test_cpu_on_32_truncates(void **state)
{
	(void)state;
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_32, 1, 0xffffffff00000000ULL | ENTRY,
				   0x123456789abcdef0ULL),
			 PSCI_RET_SUCCESS);
	assert_int_equal(v[1]->regs.elr, ENTRY);
	assert_int_equal(v[1]->regs.x[0], 0x9abcdef0);
	/* The 64-bit call takes the whole register: not RAM. */
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_64, 2, 0xffffffff00000000ULL | ENTRY, 0),
			 PSCI_RET_INVALID_ADDRESS);
}

/*
 * SMCCC says a 32-bit function (bit 30 of the id clear) ignores the upper
 * halves of all its argument registers. Regression test: psci.c once
 * narrowed only some of them, so CPU_ON_32 with stale upper bits in the
 * target MPIDR failed with INVALID_PARAMS.
 */
static void test_smc32_ignores_upper_halves(void **state)
{
	(void)state;
	assert_int_equal(psci_call(v[0], PSCI_CPU_ON_32, 0xdeadbeef00000001ULL, ENTRY, 0),
			 PSCI_RET_SUCCESS);
	assert_int_equal(v[1]->power, VCPU_ON_PENDING);
	assert_int_equal(psci_call(v[0], PSCI_AFFINITY_INFO_32, 0xdeadbeef00000001ULL,
				   0xdeadbeef00000000ULL, 0),
			 PSCI_AFFINITY_ON_PENDING);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_version),
		T(test_cpu_on),
		T(test_cpu_on_unknown_mpidr),
		T(test_cpu_on_bad_entry),
		T(test_affinity_info),
		T(test_cpu_off),
		T(test_features),
		T(test_system_off_and_reset_from_mvm),
		T(test_system_off_from_guest),
		T(test_unknown_function),
		T(test_cpu_on_32_truncates),
		T(test_smc32_ignores_upper_halves),
	};

	return cmocka_run_group_tests_name("psci", tests, NULL, NULL);
}
