// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libshyper's JSON documents, serialised, parsed back with json-c and
 * checked field by field against docs/json-schema.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include <shyper/libshyper.h>

#include "fake_transport.h"

/* "MAJOR.MINOR" of the ABI header, as the tools print it. */
#define ABI_STR_(x) #x
#define ABI_STR(x) ABI_STR_(x)
#define ABI_TEXT ABI_STR(SHYPER_ABI_MAJOR) "." ABI_STR(SHYPER_ABI_MINOR)

/* Serialises OBJ (releasing it) and parses the text back. */
static json_object *round_trip(json_object *obj)
{
	json_object *parsed;

	assert_non_null(obj);
	parsed = json_tokener_parse(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY));
	json_object_put(obj);
	assert_non_null(parsed);
	assert_true(json_object_is_type(parsed, json_type_object));
	return parsed;
}

static json_object *field(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		fail_msg("missing field '%s'", key);
	return value;
}

static void check_int(json_object *obj, const char *key, uint64_t expected)
{
	json_object *value = field(obj, key);

	assert_true(json_object_is_type(value, json_type_int));
	assert_int_equal(json_object_get_uint64(value), expected);
}

static void check_string(json_object *obj, const char *key, const char *expected)
{
	json_object *value = field(obj, key);

	assert_true(json_object_is_type(value, json_type_string));
	assert_string_equal(json_object_get_string(value), expected);
}

static void check_keys(json_object *obj, const char *const *keys, size_t count)
{
	assert_int_equal(json_object_object_length(obj), count);
	for (size_t i = 0; i < count; i++)
		field(obj, keys[i]);
}

static const char *const vm_keys[] = {
	"id", "name", "type", "state", "vcpu_count", "memory_bytes", "uptime_ns", "exits", "vcpus",
};

static void check_vm(json_object *vm, const struct shyper_vm_info *info)
{
	json_object *vcpus = field(vm, "vcpus");

	check_int(vm, "id", info->id);
	check_string(vm, "name", info->name);
	check_string(vm, "type", shyper_vm_type_name(info->type));
	check_string(vm, "state", shyper_vm_state_name(info->state));
	check_int(vm, "vcpu_count", info->vcpu_count);
	check_int(vm, "memory_bytes", info->memory);
	check_int(vm, "uptime_ns", info->uptime_ns);
	check_int(vm, "exits", info->exits);
	assert_true(json_object_is_type(vcpus, json_type_array));
	assert_int_equal(json_object_array_length(vcpus), info->vcpu_count);
	for (uint32_t i = 0; i < info->vcpu_count; i++) {
		json_object *vcpu = json_object_array_get_idx(vcpus, i);

		check_int(vcpu, "vcpu", i);
		check_int(vcpu, "pcpu", info->vcpu_pcpu[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

static void test_build_id_text(void **state)
{
	struct shyper_hv_info info = fake.hv;
	char buf[17];

	(void)state;
	shyper_build_id_text(&info, buf, sizeof(buf));
	assert_string_equal(buf, "0123456789abcdef");
	memset(info.build_id, 0, sizeof(info.build_id));
	shyper_build_id_text(&info, buf, sizeof(buf));
	assert_string_equal(buf, "unsealed");
	info.size = SHYPER_HV_INFO_SIZE_V1; /* a 1.6 hypervisor */
	shyper_build_id_text(&info, buf, sizeof(buf));
	assert_string_equal(buf, "unknown");
	info = fake.hv;
	shyper_build_id_text(&info, buf, 8); /* no room: nothing half written */
	assert_string_equal(buf, "");
}

static void test_hv_info_json(void **state)
{
	static const char *const keys[] = {
		"schema", "version", "abi_version", "abi_major", "abi_minor", "board", "gic_version",
		"pcpu_count", "memory_total_bytes", "memory_hypervisor_bytes", "pool_total_bytes",
		"pool_free_bytes", "uptime_ns", "vm_count", "vm_max", "build_id", "state_version",
		"update_count", "memory_hypervisor_free_bytes", "last_update_pause_ns",
	};
	json_object *doc;

	(void)state;
	doc = round_trip(shyper_hv_info_to_json(&fake.hv));
	check_keys(doc, keys, sizeof(keys) / sizeof(keys[0]));
	check_int(doc, "schema", 1);
	check_string(doc, "version", "0.1.0-test");
	check_string(doc, "abi_version", ABI_TEXT);
	check_int(doc, "abi_major", 1);
	check_int(doc, "abi_minor", SHYPER_ABI_MINOR);
	check_string(doc, "board", "QEMU virt (test)");
	check_int(doc, "gic_version", 3);
	check_int(doc, "pcpu_count", 4);
	check_int(doc, "memory_total_bytes", 2048ULL << 20);
	check_int(doc, "memory_hypervisor_bytes", 64ULL << 20);
	check_int(doc, "pool_total_bytes", 512ULL << 20);
	check_int(doc, "pool_free_bytes", 384ULL << 20);
	check_string(doc, "build_id", "0123456789abcdef");
	check_int(doc, "state_version", 5);
	check_int(doc, "update_count", 2);
	check_int(doc, "memory_hypervisor_free_bytes", 40ULL << 20);
	check_int(doc, "last_update_pause_ns", 812000);
	check_int(doc, "uptime_ns", 3723500000000ULL);
	check_int(doc, "vm_count", 1);
	check_int(doc, "vm_max", 8);
	json_object_put(doc);
}

/* Values past 2^63 stay exact (json-c keeps them as unsigned). */
static void test_big_numbers(void **state)
{
	json_object *doc;

	(void)state;
	fake.hv.uptime_ns = UINT64_MAX;
	doc = round_trip(shyper_hv_info_to_json(&fake.hv));
	assert_int_equal(json_object_get_uint64(field(doc, "uptime_ns")), UINT64_MAX);
	json_object_put(doc);
}

static void test_vm_info_json(void **state)
{
	json_object *doc;
	struct shyper_vm_info *vm;

	(void)state;
	doc = round_trip(shyper_vm_info_to_json(&fake.vms[0]));
	check_int(doc, "schema", 1);
	assert_int_equal(json_object_object_length(doc), 1 + sizeof(vm_keys) / sizeof(vm_keys[0]));
	check_vm(doc, &fake.vms[0]);
	check_string(doc, "type", "mvm");
	check_string(doc, "state", "running");
	json_object_put(doc);

	vm = fake_add_vm(6, "rt");
	vm->type = SHYPER_VM_RTVM;
	vm->state = SHYPER_VM_SHUTOFF;
	vm->uptime_ns = 0;
	doc = round_trip(shyper_vm_info_to_json(vm));
	check_string(doc, "type", "rtvm");
	check_string(doc, "state", "shutoff");
	json_object_put(doc);

	vm->type = 9;
	vm->state = 0;
	doc = round_trip(shyper_vm_info_to_json(vm));
	check_string(doc, "type", "unknown");
	check_string(doc, "state", "unknown");
	json_object_put(doc);

	assert_null(shyper_vm_info_to_json(NULL));
	assert_null(shyper_hv_info_to_json(NULL));
	assert_null(shyper_log_to_json(NULL));
}

static void test_every_state_and_type_is_a_string(void **state)
{
	static const char *const states[] = { "defined", "running", "paused", "shutoff", "crashed" };
	static const char *const types[] = { "mvm", "gvm", "rtvm" };
	struct shyper_vm_info vm = fake.vms[0];

	(void)state;
	for (uint32_t s = SHYPER_VM_DEFINED; s <= SHYPER_VM_CRASHED; s++) {
		json_object *doc;

		vm.state = s;
		vm.type = (s - 1) % 3;
		doc = round_trip(shyper_vm_info_to_json(&vm));
		check_string(doc, "state", states[s - 1]);
		check_string(doc, "type", types[(s - 1) % 3]);
		json_object_put(doc);
	}
}

static void test_vm_list_json(void **state)
{
	json_object *doc, *list;

	(void)state;
	fake_add_vm(1, "web");
	fake_add_vm(2, "db");
	doc = round_trip(shyper_vm_list_to_json(fake.vms, fake.vm_count));
	check_int(doc, "schema", 1);
	assert_int_equal(json_object_object_length(doc), 2);
	list = field(doc, "vms");
	assert_true(json_object_is_type(list, json_type_array));
	assert_int_equal(json_object_array_length(list), 3);
	for (size_t i = 0; i < 3; i++) {
		json_object *vm = json_object_array_get_idx(list, i);

		check_keys(vm, vm_keys, sizeof(vm_keys) / sizeof(vm_keys[0]));
		check_vm(vm, &fake.vms[i]);
	}
	json_object_put(doc);

	doc = round_trip(shyper_vm_list_to_json(NULL, 0));
	assert_int_equal(json_object_array_length(field(doc, "vms")), 0);
	json_object_put(doc);
}

static void test_log_json(void **state)
{
	struct shyper_log log = {
		.text = (char *)"Shyper\n\ttab \"quoted\" \\ /path\n", .len = 30,
		.start = 100, .written = 130, .lost = 7,
	};
	json_object *doc;

	(void)state;
	log.len = strlen(log.text);
	doc = round_trip(shyper_log_to_json(&log));
	check_int(doc, "schema", 1);
	check_string(doc, "text", log.text);
	check_int(doc, "length_bytes", log.len);
	check_int(doc, "start_offset_bytes", 100);
	check_int(doc, "written_bytes", 130);
	check_int(doc, "lost_bytes", 7);
	json_object_put(doc);
}

/* Bytes that are not UTF-8 become U+FFFD; valid UTF-8 and NULs survive. */
static void test_log_json_is_valid_unicode(void **state)
{
	static const char raw[] = "ok \xff \xc3\xa9 \xe2\x82 end\0z";
	struct shyper_log log = { .text = (char *)raw, .len = sizeof(raw) - 1 };
	json_object *doc, *text;

	(void)state;
	doc = round_trip(shyper_log_to_json(&log));
	text = field(doc, "text");
	assert_int_equal(json_object_get_string_len(text),
			 strlen("ok \xef\xbf\xbd \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end") + 2);
	assert_memory_equal(json_object_get_string(text),
			    "ok \xef\xbf\xbd \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end\0z",
			    (size_t)json_object_get_string_len(text));
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hv_info_json, setup),
		cmocka_unit_test_setup(test_build_id_text, setup),
		cmocka_unit_test_setup(test_big_numbers, setup),
		cmocka_unit_test_setup(test_vm_info_json, setup),
		cmocka_unit_test_setup(test_every_state_and_type_is_a_string, setup),
		cmocka_unit_test_setup(test_vm_list_json, setup),
		cmocka_unit_test_setup(test_log_json, setup),
		cmocka_unit_test_setup(test_log_json_is_valid_unicode, setup),
	};

	return cmocka_run_group_tests_name("libshyper-json", tests, NULL, NULL);
}
