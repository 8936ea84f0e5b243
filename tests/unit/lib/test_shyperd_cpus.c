// SPDX-License-Identifier: GPL-2.0
/*
 * Where shyperd runs (mvm-tools/shyperd/cpus.c): the MVM CPUs whose pCPU
 * runs no guest, worked out from the VM list, and the move itself, made on
 * this test process (it needs two CPUs for that part).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cpus.h"

static char said[256];

/* shyperd.c's logger, which this test does not link. */
void say(int priority, const char *fmt, ...)
{
	va_list ap;

	(void)priority;
	va_start(ap, fmt);
	vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
}

static struct shyper_vm_info vm(uint32_t id, uint32_t type, uint32_t state, uint32_t vcpus,
				const uint8_t *pcpus)
{
	struct shyper_vm_info info = { .size = sizeof(info), .id = id, .type = type,
				       .state = state, .vcpu_count = vcpus };

	memcpy(info.vcpu_pcpu, pcpus, vcpus < SHYPER_MAX_VCPUS ? vcpus : SHYPER_MAX_VCPUS);
	return info;
}

static const uint8_t ALL4[] = { 0, 1, 2, 3 };
static const uint8_t ON3[] = { 3 };
static const uint8_t ON1_2[] = { 1, 2 };

static void test_guest_pcpu_left_out(void **state)
{
	struct shyper_vm_info vms[] = {
		vm(0, SHYPER_VM_MVM, SHYPER_VM_RUNNING, 4, ALL4),
		vm(1, SHYPER_VM_GVM, SHYPER_VM_RUNNING, 1, ON3),
	};
	bool use[8];

	(void)state;
	assert_int_equal(cpus_without_guests(vms, 2, use, 8), 3);
	assert_true(use[0] && use[1] && use[2]);
	assert_false(use[3]);
	/* Nothing past the MVM's vCPUs. */
	for (int i = 4; i < 8; i++)
		assert_false(use[i]);
}

static void test_paused_counts_stopped_does_not(void **state)
{
	struct shyper_vm_info vms[] = {
		vm(2, SHYPER_VM_GVM, SHYPER_VM_SHUTOFF, 1, ON3),
		vm(0, SHYPER_VM_MVM, SHYPER_VM_RUNNING, 4, ALL4),
		vm(1, SHYPER_VM_RTVM, SHYPER_VM_PAUSED, 2, ON1_2),
		vm(3, SHYPER_VM_GVM, SHYPER_VM_CRASHED, 1, ON3),
	};
	bool use[4];

	(void)state;
	assert_int_equal(cpus_without_guests(vms, 4, use, 4), 2);
	assert_true(use[0] && use[3]);
	assert_false(use[1] || use[2]);
}

static void test_every_pcpu_shared(void **state)
{
	struct shyper_vm_info vms[] = {
		vm(0, SHYPER_VM_MVM, SHYPER_VM_RUNNING, 4, ALL4),
		vm(1, SHYPER_VM_GVM, SHYPER_VM_RUNNING, 4, ALL4),
	};
	bool use[4];

	(void)state;
	assert_int_equal(cpus_without_guests(vms, 2, use, 4), 0);
	assert_false(use[0] || use[1] || use[2] || use[3]);
}

static void test_no_mvm_or_odd_counts(void **state)
{
	struct shyper_vm_info guest = vm(1, SHYPER_VM_GVM, SHYPER_VM_RUNNING, 1, ON3);
	struct shyper_vm_info vms[2];
	bool use[16];

	(void)state;
	assert_int_equal(cpus_without_guests(&guest, 1, use, 16), 0);
	assert_int_equal(cpus_without_guests(NULL, 0, use, 16), 0);
	/* vCPU counts past the array are bounded, for the MVM and a guest. */
	vms[0] = vm(0, SHYPER_VM_MVM, SHYPER_VM_RUNNING, 4, ALL4);
	vms[0].vcpu_count = 1000;
	memset(vms[0].vcpu_pcpu + 4, 3, SHYPER_MAX_VCPUS - 4); /* with the guest */
	vms[1] = vm(1, SHYPER_VM_GVM, SHYPER_VM_RUNNING, 1, ON3);
	vms[1].vcpu_count = 1000;
	memset(vms[1].vcpu_pcpu, 3, sizeof(vms[1].vcpu_pcpu));
	assert_int_equal(cpus_without_guests(vms, 2, use, 16), 3); /* pCPUs 0, 1, 2 */
	for (int i = SHYPER_MAX_VCPUS; i < 16; i++)
		assert_false(use[i]);
	/* A USE shorter than the MVM's vCPUs. */
	vms[0].vcpu_count = 4;
	assert_int_equal(cpus_without_guests(vms, 2, use, 2), 2);
}

static int allowed(cpu_set_t *set)
{
	return sched_getaffinity(0, sizeof(*set), set);
}

static void test_moves_and_comes_back(void **state)
{
	static const uint8_t first_two[] = { 0, 1 };
	uint8_t one[1];
	struct shyper_vm_info vms[2];
	cpu_set_t original, start, now;
	int a = -1, b = -1;

	(void)state;
	assert_int_equal(allowed(&original), 0);
	for (int i = 0; i < CPU_SETSIZE && b < 0; i++)
		if (CPU_ISSET(i, &original))
			*(a < 0 ? &a : &b) = i;
	if (a != 0 || b != 1)
		skip(); /* the MVM below has CPUs 0 and 1 */
	/* shyperd "starts" on CPUs 0 and 1 only (its first call reads this),
	 * however many this machine has. */
	CPU_ZERO(&start);
	CPU_SET(0, &start);
	CPU_SET(1, &start);
	assert_int_equal(sched_setaffinity(0, sizeof(start), &start), 0);
	/* An MVM whose vCPUs are CPUs 0 and 1; a guest on the second one's
	 * pCPU. */
	vms[0] = vm(0, SHYPER_VM_MVM, SHYPER_VM_RUNNING, 2, first_two);
	one[0] = 1;
	vms[1] = vm(1, SHYPER_VM_GVM, SHYPER_VM_RUNNING, 1, one);
	cpus_follow_guests(vms, 2);
	assert_int_equal(allowed(&now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(0, &now));
	assert_non_null(strstr(said, "running on CPU 0 "));
	/* Unchanged: no second move, nothing logged. */
	said[0] = '\0';
	cpus_follow_guests(vms, 2);
	assert_string_equal(said, "");
	/* Every pCPU shared: back to all it was started with. */
	one[0] = 0;
	vms[1] = vm(1, SHYPER_VM_GVM, SHYPER_VM_RUNNING, 1, one);
	vms[1].vcpu_count = 2;
	vms[1].vcpu_pcpu[1] = 1;
	cpus_follow_guests(vms, 2);
	assert_int_equal(allowed(&now), 0);
	assert_true(CPU_EQUAL(&now, &start));
	/* The guest gone: all again (no move needed). */
	vms[1].state = SHYPER_VM_SHUTOFF;
	said[0] = '\0';
	cpus_follow_guests(vms, 2);
	assert_int_equal(allowed(&now), 0);
	assert_true(CPU_EQUAL(&now, &start));
	assert_string_equal(said, "");
	assert_int_equal(sched_setaffinity(0, sizeof(original), &original), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_pcpu_left_out),
		cmocka_unit_test(test_paused_counts_stopped_does_not),
		cmocka_unit_test(test_every_pcpu_shared),
		cmocka_unit_test(test_no_mvm_or_odd_counts),
		cmocka_unit_test(test_moves_and_comes_back),
	};

	return cmocka_run_group_tests_name("shyperd_cpus", tests, NULL, NULL);
}
