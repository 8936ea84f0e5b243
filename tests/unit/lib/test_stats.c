// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libshyper's counters and rates (lib/stats.c) against the fake device:
 * a sample in a fixed number of calls, rates between two samples that are
 * never negative, VMs that come, go or start over, records that do not
 * make sense, and the JSON of a refresh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#include "../../../lib/manage_internal.h"
#include "fake_transport.h"

#define SEC 1000000000ULL

static struct shyper *h;

static int setup(void **state)
{
	int err;

	(void)state;
	fake_reset();
	unsetenv("SHYPER_DEVICE");
	h = shyper_open(NULL, &err);
	return h ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	shyper_close(h);
	return 0;
}

static struct shyper_vm_stats *stats_of(uint32_t id)
{
	for (unsigned i = 0; i < fake.vm_count; i++)
		if (fake.vms[i].id == id)
			return &fake.vm_stats[i];
	fail_msg("no fake VM %u", id);
	return NULL;
}

static void take(struct shyper_sample *s)
{
	assert_int_equal(shyper_sample_take(h, s), 0);
}

/* Two refreshes one second apart (by the hypervisor's clock): a busy vCPU,
 * an idle one, exits by kind, interrupts, a disk and a NIC. */
static void test_rates_between_two_samples(void **state)
{
	struct shyper_sample a, b;
	struct shyper_vm_rates r[2];
	struct shyper_pcpu_rates p[4];
	struct shyper_vm_stats *g;

	(void)state;
	fake_add_vm(3, "web")->vcpu_count = 2;
	g = stats_of(3);
	g->vcpus[0] = (struct shyper_vcpu_stats){ .pcpu = 1, .state = SHYPER_VCPU_RUNNING,
						  .run_ns = 10 * SEC, .irqs = 100 };
	g->vcpus[0].exits[SHYPER_EXIT_DABT] = 1000;
	g->vcpus[1] = (struct shyper_vcpu_stats){ .pcpu = 2, .state = SHYPER_VCPU_BLOCKED,
						  .run_ns = SEC };
	g->vdevs[0] = (struct shyper_vdev_stats){ .kind = SHYPER_DEV_VIRTIO_BLOCK, .requests = 5,
						  .bytes_in = 4096, .bytes_out = 512 };
	g->vdevs[2] = (struct shyper_vdev_stats){ .kind = SHYPER_DEV_VIRTIO_NET, .slot = 2 };
	fake.pcpu_stats[1] = (struct shyper_pcpu_stats){ .online = 1, .online_ns = 10 * SEC,
							 .el2_ns = SEC, .idle_ns = SEC, .vm_id = 3 };
	take(&a);
	assert_int_equal(a.vm_count, 2);
	assert_int_equal(a.pcpu_count, 4);
	assert_ptr_equal(shyper_sample_vm_stats(&a, 3), &a.stats[1]);
	assert_null(shyper_sample_vm_stats(&a, 9));

	fake.hv.uptime_ns += 2 * SEC;
	g->vcpus[0].run_ns += 19 * SEC / 10; /* 95% of the two seconds */
	g->vcpus[0].irqs += 50;
	g->vcpus[0].exits[SHYPER_EXIT_DABT] += 400;
	g->vcpus[0].exits[SHYPER_EXIT_WFX] += 200;
	g->vcpus[1].run_ns += SEC / 50; /* 1% */
	g->vdevs[0].requests += 10;
	g->vdevs[0].bytes_in += 2 << 20;  /* reads: 1 MiB/s */
	g->vdevs[0].bytes_out += 4 << 20; /* writes: 2 MiB/s */
	g->vdevs[2].bytes_in += 3000;
	g->vdevs[2].bytes_out += 1000;
	fake.pcpu_stats[1].online_ns += 2 * SEC;
	fake.pcpu_stats[1].el2_ns += SEC / 5;
	fake.pcpu_stats[1].idle_ns += SEC / 5;
	take(&b);
	shyper_rates_compute(&a, &b, r, p);

	assert_true(r[0].fresh == false && r[1].fresh == false);
	assert_int_equal(r[1].id, 3);
	assert_int_equal(r[1].vcpu_count, 2);
	assert_float_equal(r[1].vcpus[0].cpu_pct, 95.0, 0.01);
	assert_float_equal(r[1].vcpus[1].cpu_pct, 1.0, 0.01);
	assert_float_equal(r[1].cpu_pct, 96.0, 0.01);
	assert_int_equal(r[1].vcpus[1].state, SHYPER_VCPU_BLOCKED);
	assert_int_equal(r[1].vcpus[1].pcpu, 2);
	assert_float_equal(r[1].vcpus[0].exits_per_s, 300.0, 0.01);
	assert_float_equal(r[1].vcpus[0].exit_kind_per_s[SHYPER_EXIT_DABT], 200.0, 0.01);
	assert_float_equal(r[1].vcpus[0].exit_kind_per_s[SHYPER_EXIT_WFX], 100.0, 0.01);
	assert_float_equal(r[1].exits_per_s, 300.0, 0.01);
	assert_float_equal(r[1].irqs_per_s, 25.0, 0.01);
	assert_float_equal(r[1].disk_read_bytes_per_s, 1048576.0, 0.5);
	assert_float_equal(r[1].disk_write_bytes_per_s, 2097152.0, 0.5);
	assert_float_equal(r[1].net_rx_bytes_per_s, 1500.0, 0.01);
	assert_float_equal(r[1].net_tx_bytes_per_s, 500.0, 0.01);
	assert_float_equal(r[1].vdevs[0].requests_per_s, 5.0, 0.01);
	assert_int_equal(r[1].vdevs[0].requests, 15);
	assert_int_equal(r[1].vdevs[1].kind, 0);
	/* The pCPU: 10% at EL2, 10% idle, the rest in its guest. */
	assert_true(p[1].online);
	assert_float_equal(p[1].el2_pct, 10.0, 0.01);
	assert_float_equal(p[1].idle_pct, 10.0, 0.01);
	assert_float_equal(p[1].guest_pct, 80.0, 0.01);
	assert_int_equal(p[1].vm_id, 3);
	assert_false(p[3].online);
	shyper_sample_free(&a);
	shyper_sample_free(&b);
}

/* The first refresh has nothing to compare with; a VM that is new, or
 * whose counters started over (destroyed, another took its id), is fresh
 * with zero rates, never negative ones. */
static void test_fresh_and_restarted_vms_have_no_rates(void **state)
{
	struct shyper_sample a, b;
	struct shyper_vm_rates r[3];
	struct shyper_vm_stats *g;

	(void)state;
	fake_add_vm(2, "db");
	g = stats_of(2);
	g->vcpus[0].run_ns = 50 * SEC;
	g->vcpus[0].irqs = 1000;
	take(&a);
	shyper_rates_compute(NULL, &a, r, NULL);
	assert_true(r[0].fresh && r[1].fresh);
	assert_float_equal(r[1].cpu_pct, 0.0, 0);

	fake.hv.uptime_ns += SEC;
	g->vcpus[0].run_ns = SEC / 2; /* started over */
	g->vcpus[0].irqs = 10;
	fake_add_vm(5, "new");
	take(&b);
	shyper_rates_compute(&a, &b, r, NULL);
	assert_int_equal(b.vm_count, 3);
	assert_true(r[1].fresh);
	assert_float_equal(r[1].cpu_pct, 0.0, 0);
	assert_float_equal(r[1].irqs_per_s, 0.0, 0);
	assert_true(r[2].fresh);
	assert_false(r[0].fresh);
	/* A counter that went back alone (the rest went on) is 0, not negative. */
	shyper_sample_free(&a);
	a = b;
	memset(&b, 0, sizeof(b));
	fake.hv.uptime_ns += SEC;
	g->vcpus[0].run_ns += SEC / 4;
	g->vcpus[0].irqs = 5;
	take(&b);
	shyper_rates_compute(&a, &b, r, NULL);
	assert_false(r[1].fresh);
	assert_float_equal(r[1].cpu_pct, 25.0, 0.01);
	assert_float_equal(r[1].irqs_per_s, 0.0, 0);
	/* The same clock reading twice: no rates rather than a division by 0. */
	shyper_rates_compute(&b, &b, r, NULL);
	assert_true(r[1].fresh);
	shyper_sample_free(&a);
	shyper_sample_free(&b);
}

/* A VM that came between the list and the counters has none in the sample. */
static void test_vm_without_counters(void **state)
{
	struct shyper_sample s;
	struct shyper_vm_rates r[2];

	(void)state;
	fake_add_vm(4, "late");
	fake.vm_stats_skip = 4 + 1;
	take(&s);
	assert_int_equal(s.vm_count, 2);
	assert_int_equal(s.stats[1].size, 0);
	assert_null(shyper_sample_vm_stats(&s, 4));
	shyper_rates_compute(&s, &s, r, NULL);
	assert_true(r[1].fresh);
	assert_int_equal(r[1].vcpu_count, 0);
	shyper_sample_free(&s);
	shyper_sample_free(&s); /* a freed (zeroed) sample may be freed again */
}

/* Records that do not make sense are refused as a protocol error; an old
 * module or hypervisor says so. Nothing is returned either way. */
static void test_bad_answers(void **state)
{
	struct shyper_vm_stats *stats = (void *)1;
	size_t count = 99;

	(void)state;
	fake_add_vm(1, "a");
	fake.vm_stats[1].vcpu_count = SHYPER_MAX_VCPUS + 1;
	assert_int_equal(shyper_vm_stats(h, &stats, &count), SHYPER_ERR_PROTOCOL);
	assert_non_null(strstr(shyper_last_error_message(h), "record 1"));
	assert_ptr_equal(stats, (void *)1);
	assert_int_equal(count, 99);
	fake.vm_stats[1].vcpu_count = 1;
	fake.vm_stats[1].size = 16;
	assert_int_equal(shyper_vm_stats(h, &stats, &count), SHYPER_ERR_PROTOCOL);
	fake.vm_stats[1].size = 0;
	fake.fail_cmd = SHYPER_IOC_VM_STATS;
	fake.fail_errno = ENOTTY;
	assert_int_equal(shyper_vm_stats(h, &stats, &count), SHYPER_ERR_NOT_SUPPORTED);
	assert_non_null(strstr(shyper_last_error_message(h), "older than ABI 1.10"));
	fake.fail_errno = 0;
	assert_int_equal(shyper_vm_stats(h, &stats, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(stats[1].id, 1);
	free(stats);
}

static json_object *member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(obj, key, &v));
	return v;
}

/* A refresh as JSON: the hypervisor, pCPUs with their shares, VMs with
 * their rates, vCPUs and devices. */
static void test_sample_json(void **state)
{
	struct shyper_sample a, b;
	struct shyper_vm_rates r[2];
	struct shyper_pcpu_rates p[4];
	json_object *doc, *vm, *vcpu, *dev;

	(void)state;
	fake_add_vm(6, "j");
	stats_of(6)->vdevs[1] = (struct shyper_vdev_stats){ .kind = SHYPER_DEV_VIRTIO_NET,
							    .slot = 1, .bytes_in = 10 };
	take(&a);
	fake.hv.uptime_ns += SEC;
	stats_of(6)->vcpus[0].run_ns += SEC / 2;
	stats_of(6)->vdevs[1].bytes_in += 100;
	take(&b);
	shyper_rates_compute(&a, &b, r, p);
	doc = shyper_sample_to_json(&b, r, p);
	assert_non_null(doc);
	assert_int_equal(json_object_get_int(member(doc, "schema")), SHYPER_JSON_SCHEMA);
	assert_string_equal(json_object_get_string(member(member(doc, "hypervisor"), "version")),
			    "0.1.0-test");
	assert_int_equal(json_object_array_length(member(doc, "pcpus")), 4);
	vm = json_object_array_get_idx(member(doc, "vms"), 1);
	assert_string_equal(json_object_get_string(member(vm, "name")), "j");
	assert_float_equal(json_object_get_double(member(vm, "cpu_percent")), 50.0, 0.01);
	assert_float_equal(json_object_get_double(member(vm, "net_rx_bytes_per_s")), 100.0, 0.01);
	vcpu = json_object_array_get_idx(member(vm, "vcpus"), 0);
	assert_string_equal(json_object_get_string(member(vcpu, "state")), "off");
	assert_int_equal(json_object_get_int64(member(vcpu, "run_ns")), SEC / 2);
	assert_non_null(member(member(vcpu, "exit_kinds_per_s"), "wfx"));
	assert_int_equal(json_object_array_length(member(vm, "devices")), 1);
	dev = json_object_array_get_idx(member(vm, "devices"), 0);
	assert_string_equal(json_object_get_string(member(dev, "kind")), "net");
	assert_int_equal(json_object_get_int64(member(dev, "bytes_in")), 110);
	json_object_put(doc);
	assert_null(shyper_sample_to_json(NULL, r, p));
	shyper_sample_free(&a);
	shyper_sample_free(&b);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Guests being sent: what the sender writes is read back; a file whose
 * sender died, or that does not parse, is left out; the sender's own
 * message is never touched by its status file. */
static void test_sends_list(void **state)
{
	char dir[] = "/tmp/shyper-sends-XXXXXX", body[512];
	struct shyper_send_progress p = { .round = 3, .ram_pages = 1000, .round_pages = 200,
					  .round_done = 50, .dirty_pages = 150, .bytes = 4 << 20,
					  .rate = 1 << 20, .elapsed_ns = 7 };
	struct shyper_send_status *list;
	size_t count = 9;
	pid_t dead;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("SHYPER_RUN_DIR", dir, 1);
	shyper_close(h);
	h = shyper_open(NULL, NULL);
	assert_non_null(h);
	assert_int_equal(shyper_sends_list(h, &list, &count), 0);
	assert_int_equal(count, 0);
	free(list);

	shyper_set_error(h, SHYPER_ERR_BUSY, "the sender's own message");
	manage_send_status_write(h, "web", &p);
	assert_string_equal(shyper_last_error_message(h), "the sender's own message");
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(body, sizeof(body), "pid %d\nround 1\nstopped 0\nram_pages 1\nround_pages 1\n"
		 "round_done 0\ndirty_pages 1\nbytes 0\nrate 0\nelapsed_ns 0\n", (int)dead);
	write_file(dir, "gone.sending", body);
	write_file(dir, "junk.sending", "pid 1\nround x\n");
	snprintf(body, sizeof(body), "pid %d\nround 1\nround 2\n", (int)getpid());
	write_file(dir, "twice.sending", body);
	write_file(dir, "web.xml", "<domain/>");
	assert_int_equal(shyper_sends_list(h, &list, &count), 0);
	assert_int_equal(count, 1);
	assert_string_equal(list[0].name, "web");
	assert_int_equal(list[0].pid, getpid());
	assert_int_equal(list[0].progress.round, 3);
	assert_int_equal(list[0].progress.round_done, 50);
	assert_int_equal(list[0].progress.dirty_pages, 150);
	assert_int_equal(list[0].progress.bytes, 4 << 20);
	assert_int_equal(list[0].progress.expected_downtime_ms, 150 * 4096 * 1000 / (1 << 20));
	free(list);
	manage_send_status_clear(h, "web");
	assert_int_equal(shyper_sends_list(h, &list, &count), 0);
	assert_int_equal(count, 0);
	free(list);
	for (const char *const *f = (const char *const[]){ "gone.sending", "junk.sending",
							   "twice.sending", "web.xml", NULL };
	     *f; f++) {
		snprintf(body, sizeof(body), "%s/%s", dir, *f);
		unlink(body);
	}
	rmdir(dir);
	unsetenv("SHYPER_RUN_DIR");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(shyper_vcpu_state_name(SHYPER_VCPU_BLOCKED), "blocked");
	assert_string_equal(shyper_vcpu_state_name(77), "unknown");
	assert_string_equal(shyper_exit_kind_name(SHYPER_EXIT_SYSREG), "sysreg");
	assert_string_equal(shyper_exit_kind_name(SHYPER_EXIT_KINDS), "unknown");
	assert_string_equal(shyper_vdev_kind_name(SHYPER_DEV_VIRTIO_BLOCK), "disk");
	assert_string_equal(shyper_vdev_kind_name(SHYPER_DEV_PASSTHROUGH), "");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rates_between_two_samples),
		T(test_fresh_and_restarted_vms_have_no_rates),
		T(test_vm_without_counters),
		T(test_bad_answers),
		T(test_sample_json),
		T(test_sends_list),
		T(test_names),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
