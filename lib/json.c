// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * JSON documents of the library's objects, through json-c. The schema is
 * docs/json-schema.md: keep both in step, and bump SHYPER_JSON_SCHEMA only
 * when a field changes meaning or goes away (adding fields is compatible).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <shyper/domain.h>

#include "domain_internal.h"
#include "internal.h"

/* Adds KEY = VALUE; a NULL value (out of memory) fails the whole object. */
static int put(json_object *obj, const char *key, json_object *value)
{
	if (!value)
		return -1;
	if (json_object_object_add(obj, key, value)) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

/* A new empty object at the end of LIST, or NULL (out of memory). */
static json_object *append_object(json_object *list)
{
	json_object *obj = json_object_new_object();

	if (obj && json_object_array_add(list, obj)) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

static json_object *new_document(void)
{
	json_object *doc = json_object_new_object();

	if (doc && put(doc, "schema", json_object_new_int(SHYPER_JSON_SCHEMA))) {
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

static json_object *finish(json_object *obj, int failed)
{
	if (failed) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* Length of the valid UTF-8 sequence at P (at most LEFT bytes), or 0. */
static size_t utf8_sequence(const unsigned char *p, size_t left)
{
	size_t n;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode are not text. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * JSON strings are Unicode: bytes that are not UTF-8 (a log cut in the
 * middle of a character, garbage) become U+FFFD rather than invalid JSON.
 */
static json_object *new_text(const char *text, size_t len)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)text;
	json_object *obj;
	char *clean;
	size_t out = 0;

	clean = malloc(len * 3 + 1);
	if (!clean)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(p + i, len - i);

		if (n) {
			memcpy(clean + out, p + i, n);
			out += n;
			i += n;
		} else {
			memcpy(clean + out, replacement, 3);
			out += 3;
			i++;
		}
	}
	obj = json_object_new_string_len(clean, (int)out);
	free(clean);
	return obj;
}

/* A C string field of a fixed-size ABI array (NUL-terminated by the library). */
static json_object *new_field_string(const char *field, size_t size)
{
	return new_text(field, strnlen(field, size));
}

struct json_object *shyper_hv_info_to_json(const struct shyper_hv_info *info)
{
	json_object *doc;
	char abi[24];
	int failed = 0;

	if (!info || !(doc = new_document()))
		return NULL;
	snprintf(abi, sizeof(abi), "%u.%u", info->abi_version >> 16, info->abi_version & 0xffff);
	failed |= put(doc, "version", new_field_string(info->version, sizeof(info->version)));
	failed |= put(doc, "abi_version", json_object_new_string(abi));
	failed |= put(doc, "abi_major", json_object_new_int64(info->abi_version >> 16));
	failed |= put(doc, "abi_minor", json_object_new_int64(info->abi_version & 0xffff));
	failed |= put(doc, "board", new_field_string(info->board, sizeof(info->board)));
	failed |= put(doc, "gic_version", json_object_new_int64(info->gic_version));
	failed |= put(doc, "pcpu_count", json_object_new_int64(info->pcpu_count));
	failed |= put(doc, "memory_total_bytes", json_object_new_uint64(info->mem_total));
	failed |= put(doc, "memory_hypervisor_bytes", json_object_new_uint64(info->mem_hypervisor));
	failed |= put(doc, "pool_total_bytes", json_object_new_uint64(info->pool_total));
	failed |= put(doc, "pool_free_bytes", json_object_new_uint64(info->pool_free));
	failed |= put(doc, "uptime_ns", json_object_new_uint64(info->uptime_ns));
	failed |= put(doc, "vm_count", json_object_new_int64(info->vm_count));
	failed |= put(doc, "vm_max", json_object_new_int64(info->vm_max));
	if (info->size >= __builtin_offsetof(struct shyper_hv_info, update_count)) {
		char id[2 * sizeof(info->build_id) + 1];

		shyper_build_id_text(info, id, sizeof(id));
		failed |= put(doc, "build_id", json_object_new_string(id));
		failed |= put(doc, "state_version", json_object_new_int64(info->state_version));
	}
	if (info->size >= sizeof(*info)) {
		failed |= put(doc, "update_count", json_object_new_int64(info->update_count));
		failed |= put(doc, "memory_hypervisor_free_bytes",
			      json_object_new_uint64(info->mem_hypervisor_free));
		failed |= put(doc, "last_update_pause_ns",
			      json_object_new_uint64(info->last_update_pause_ns));
	}
	return finish(doc, failed);
}

static void hex_id(const uint8_t *id, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * n] = '\0';
}

struct json_object *shyper_update_report_to_json(const struct shyper_update_report *r)
{
	char old_id[17], new_id[17];
	json_object *doc, *phases;
	int failed = 0;

	if (!r || !(doc = new_document()))
		return NULL;
	hex_id(r->old_build_id, sizeof(r->old_build_id), old_id);
	hex_id(r->new_build_id, sizeof(r->new_build_id), new_id);
	failed |= put(doc, "check_only", json_object_new_boolean(r->flags & SHYPER_UPDATE_CHECK_ONLY));
	failed |= put(doc, "accepted", json_object_new_boolean(r->size && !r->reason));
	failed |= put(doc, "reason", json_object_new_int64(r->reason));
	failed |= put(doc, "reason_text", json_object_new_string(shyper_update_reason_text(r->reason)));
	if (r->reason == SHYPER_UPDATE_ROLLED_BACK)
		failed |= put(doc, "detail", new_field_string(r->detail, sizeof(r->detail)));
	if (r->reason == SHYPER_UPDATE_RENDEZVOUS)
		failed |= put(doc, "pcpu", json_object_new_int64(r->pcpu));
	failed |= put(doc, "old_version", new_field_string(r->old_version, sizeof(r->old_version)));
	failed |= put(doc, "old_build_id", json_object_new_string(old_id));
	failed |= put(doc, "old_state_version", json_object_new_int64(r->old_state_version));
	failed |= put(doc, "new_version", new_field_string(r->new_version, sizeof(r->new_version)));
	failed |= put(doc, "new_build_id", json_object_new_string(new_id));
	failed |= put(doc, "new_state_version", json_object_new_int64(r->new_state_version));
	failed |= put(doc, "image_bytes", json_object_new_uint64(r->image_size));
	failed |= put(doc, "update_count", json_object_new_int64(r->update_count));
	failed |= put(doc, "state_converted", json_object_new_boolean(r->converted));
	phases = json_object_new_object();
	if (!phases || json_object_object_add(doc, "phases_ns", phases)) {
		json_object_put(phases);
		failed = 1;
	} else {
		failed |= put(phases, "stage", json_object_new_uint64(r->stage_ns));
		failed |= put(phases, "check", json_object_new_uint64(r->check_ns));
		failed |= put(phases, "rendezvous", json_object_new_uint64(r->rendezvous_ns));
		failed |= put(phases, "takeover", json_object_new_uint64(r->takeover_ns));
		failed |= put(phases, "resume", json_object_new_uint64(r->resume_ns));
	}
	failed |= put(doc, "pause_ns", json_object_new_uint64(r->pause_ns));
	return finish(doc, failed);
}

/* Which pCPU, and the VM and vCPU it runs (JSON null: nothing now). */
static int put_pcpu_where(json_object *p, const struct shyper_pcpu_stats *s)
{
	int failed = put(p, "pcpu", json_object_new_int64(s->pcpu));

	failed |= put(p, "online", json_object_new_boolean(s->online));
	if (s->vm_id == SHYPER_NO_VM) {
		failed |= json_object_object_add(p, "vm_id", NULL) != 0;
		failed |= json_object_object_add(p, "vcpu", NULL) != 0;
	} else {
		failed |= put(p, "vm_id", json_object_new_int64(s->vm_id));
		failed |= put(p, "vcpu", json_object_new_int64(s->vcpu));
	}
	return failed;
}

struct json_object *shyper_hv_stats_to_json(const struct shyper_pcpu_stats *stats, size_t count)
{
	json_object *doc, *list;
	int failed = 0;

	if (!(doc = new_document()))
		return NULL;
	list = json_object_new_array();
	for (size_t i = 0; list && i < count; i++) {
		const struct shyper_pcpu_stats *s = &stats[i];
		uint64_t busy = s->el2_ns + s->idle_ns;
		json_object *p = append_object(list);

		if (!p) {
			failed = 1;
			break;
		}
		failed |= put_pcpu_where(p, s);
		failed |= put(p, "exits", json_object_new_uint64(s->exits));
		failed |= put(p, "irqs", json_object_new_uint64(s->irqs));
		failed |= put(p, "ipis", json_object_new_uint64(s->ipis));
		failed |= put(p, "el2_ns", json_object_new_uint64(s->el2_ns));
		failed |= put(p, "idle_ns", json_object_new_uint64(s->idle_ns));
		failed |= put(p, "guest_ns", json_object_new_uint64(s->online_ns > busy ?
									s->online_ns - busy : 0));
		failed |= put(p, "online_ns", json_object_new_uint64(s->online_ns));
	}
	failed |= put(doc, "pcpus", list);
	return finish(doc, failed);
}

/* The fields of one VM, into OBJ (a document or a list entry). */
static int put_vm_fields(json_object *obj, const struct shyper_vm_info *info)
{
	json_object *vcpus = json_object_new_array();
	uint32_t placed = info->vcpu_count < SHYPER_MAX_VCPUS ? info->vcpu_count : SHYPER_MAX_VCPUS;
	int failed = 0;

	failed |= put(obj, "id", json_object_new_int64(info->id));
	failed |= put(obj, "name", new_field_string(info->name, sizeof(info->name)));
	failed |= put(obj, "type", json_object_new_string(shyper_vm_type_name(info->type)));
	failed |= put(obj, "state", json_object_new_string(shyper_vm_state_name(info->state)));
	failed |= put(obj, "vcpu_count", json_object_new_int64(info->vcpu_count));
	failed |= put(obj, "memory_bytes", json_object_new_uint64(info->memory));
	failed |= put(obj, "uptime_ns", json_object_new_uint64(info->uptime_ns));
	failed |= put(obj, "exits", json_object_new_uint64(info->exits));
	for (uint32_t i = 0; vcpus && i < placed; i++) {
		json_object *vcpu = append_object(vcpus);

		if (!vcpu) {
			failed = 1;
			break;
		}
		failed |= put(vcpu, "vcpu", json_object_new_int64(i));
		failed |= put(vcpu, "pcpu", json_object_new_int64(info->vcpu_pcpu[i]));
	}
	failed |= put(obj, "vcpus", vcpus);
	return failed;
}

struct json_object *shyper_vm_info_to_json(const struct shyper_vm_info *info)
{
	json_object *doc;

	if (!info || !(doc = new_document()))
		return NULL;
	return finish(doc, put_vm_fields(doc, info));
}

struct json_object *shyper_vm_list_to_json(const struct shyper_vm_info *vms, size_t count)
{
	json_object *doc, *list;
	int failed = 0;

	if ((!vms && count) || !(doc = new_document()))
		return NULL;
	list = json_object_new_array();
	failed |= put(doc, "vms", list);
	for (size_t i = 0; !failed && i < count; i++) {
		json_object *vm = append_object(list);

		failed |= vm ? put_vm_fields(vm, &vms[i]) : 1;
	}
	return finish(doc, failed);
}

struct json_object *shyper_log_to_json(const struct shyper_log *log)
{
	json_object *doc;
	int failed = 0;

	if (!log || !(doc = new_document()))
		return NULL;
	failed |= put(doc, "text", new_text(log->text ? log->text : "", log->text ? log->len : 0));
	failed |= put(doc, "length_bytes", json_object_new_uint64(log->len));
	failed |= put(doc, "start_offset_bytes", json_object_new_uint64(log->start));
	failed |= put(doc, "written_bytes", json_object_new_uint64(log->written));
	failed |= put(doc, "lost_bytes", json_object_new_uint64(log->lost));
	return finish(doc, failed);
}

/* A managed VM: the VM object's fields (id null when it is not in the
 * hypervisor), plus its UUID and whether it is defined and active. */
static int put_managed_fields(json_object *obj, const struct shyper_managed_vm *vm)
{
	struct shyper_vm_info info = vm->info;
	char uuid[37];
	int failed;

	snprintf(info.name, sizeof(info.name), "%s", vm->name);
	info.type = vm->type;
	info.state = vm->state;
	info.vcpu_count = vm->vcpu_count;
	info.memory = vm->memory;
	memcpy(info.vcpu_pcpu, vm->vcpu_pcpu, sizeof(info.vcpu_pcpu));
	if (!vm->active) {
		info.uptime_ns = 0;
		info.exits = 0;
	}
	failed = put_vm_fields(obj, &info);
	if (!vm->active)
		json_object_object_add(obj, "id", NULL);
	if (vm->defined && !shyper_uuid_is_zero(vm->uuid)) {
		shyper_uuid_format(vm->uuid, uuid);
		failed |= put(obj, "uuid", json_object_new_string(uuid));
	} else {
		json_object_object_add(obj, "uuid", NULL);
	}
	failed |= put(obj, "defined", json_object_new_boolean(vm->defined));
	failed |= put(obj, "active", json_object_new_boolean(vm->active));
	return failed;
}

struct json_object *shyper_managed_vm_to_json(const struct shyper_managed_vm *vm)
{
	json_object *doc;

	if (!vm || !(doc = new_document()))
		return NULL;
	return finish(doc, put_managed_fields(doc, vm));
}

struct json_object *shyper_managed_list_to_json(const struct shyper_managed_vm *vms, size_t count)
{
	json_object *doc, *list;
	int failed = 0;

	if ((!vms && count) || !(doc = new_document()))
		return NULL;
	list = json_object_new_array();
	failed |= put(doc, "vms", list);
	for (size_t i = 0; !failed && i < count; i++) {
		json_object *vm = append_object(list);

		failed |= vm ? put_managed_fields(vm, &vms[i]) : 1;
	}
	return finish(doc, failed);
}

/* A vCPU's counters and rates (no rates without an earlier sample). */
static int put_vcpu_stats(json_object *list, uint32_t index, const struct shyper_vcpu_stats *s,
			  const struct shyper_vcpu_rates *r)
{
	json_object *v = append_object(list), *exits, *rates;
	int failed = 0;

	if (!v)
		return 1;
	failed |= put(v, "vcpu", json_object_new_int64(index));
	failed |= put(v, "pcpu", json_object_new_int64(s->pcpu));
	failed |= put(v, "state", json_object_new_string(shyper_vcpu_state_name(s->state)));
	failed |= put(v, "run_ns", json_object_new_uint64(s->run_ns));
	failed |= put(v, "irqs", json_object_new_uint64(s->irqs));
	failed |= put(v, "cpu_percent", json_object_new_double(r->cpu_pct));
	failed |= put(v, "irqs_per_s", json_object_new_double(r->irqs_per_s));
	failed |= put(v, "exits_per_s", json_object_new_double(r->exits_per_s));
	exits = json_object_new_object();
	rates = json_object_new_object();
	failed |= put(v, "exits", exits);
	failed |= put(v, "exit_kinds_per_s", rates);
	for (unsigned k = 0; !failed && k < SHYPER_EXIT_KINDS; k++) {
		failed |= put(exits, shyper_exit_kind_name(k), json_object_new_uint64(s->exits[k]));
		failed |= put(rates, shyper_exit_kind_name(k),
			      json_object_new_double(r->exit_kind_per_s[k]));
	}
	return failed;
}

static int put_vdev_stats(json_object *list, const struct shyper_vdev_rates *d)
{
	json_object *v = append_object(list);
	int failed = 0;

	if (!v)
		return 1;
	failed |= put(v, "slot", json_object_new_int64(d->slot));
	failed |= put(v, "kind", json_object_new_string(shyper_vdev_kind_name(d->kind)));
	failed |= put(v, "requests", json_object_new_uint64(d->requests));
	failed |= put(v, "bytes_in", json_object_new_uint64(d->bytes_in));
	failed |= put(v, "bytes_out", json_object_new_uint64(d->bytes_out));
	failed |= put(v, "requests_per_s", json_object_new_double(d->requests_per_s));
	failed |= put(v, "in_bytes_per_s", json_object_new_double(d->in_bytes_per_s));
	failed |= put(v, "out_bytes_per_s", json_object_new_double(d->out_bytes_per_s));
	return failed;
}

/* A VM's identity (as vm info has it), counters and rates into OBJ. */
static int put_vm_rates(json_object *obj, const struct shyper_vm_info *info,
			const struct shyper_vm_stats *stats, const struct shyper_vm_rates *r)
{
	json_object *vcpus, *devs;
	int failed = put_vm_fields(obj, info);

	/* "vcpus" of vm info says where each runs; the counters replace it. */
	json_object_object_del(obj, "vcpus");
	failed |= put(obj, "fresh", json_object_new_boolean(r->fresh));
	failed |= put(obj, "cpu_percent", json_object_new_double(r->cpu_pct));
	failed |= put(obj, "exits_per_s", json_object_new_double(r->exits_per_s));
	failed |= put(obj, "irqs_per_s", json_object_new_double(r->irqs_per_s));
	failed |= put(obj, "disk_read_bytes_per_s", json_object_new_double(r->disk_read_bytes_per_s));
	failed |= put(obj, "disk_write_bytes_per_s",
		      json_object_new_double(r->disk_write_bytes_per_s));
	failed |= put(obj, "net_rx_bytes_per_s", json_object_new_double(r->net_rx_bytes_per_s));
	failed |= put(obj, "net_tx_bytes_per_s", json_object_new_double(r->net_tx_bytes_per_s));
	vcpus = json_object_new_array();
	devs = json_object_new_array();
	failed |= put(obj, "vcpus", vcpus);
	failed |= put(obj, "devices", devs);
	for (uint32_t v = 0; !failed && stats && v < r->vcpu_count; v++)
		failed |= put_vcpu_stats(vcpus, v, &stats->vcpus[v], &r->vcpus[v]);
	for (unsigned d = 0; !failed && d < SHYPER_GUEST_VIRTIO_SLOTS; d++)
		if (r->vdevs[d].kind)
			failed |= put_vdev_stats(devs, &r->vdevs[d]);
	return failed;
}

struct json_object *shyper_vm_rates_to_json(const struct shyper_vm_info *info,
					    const struct shyper_vm_stats *stats,
					    const struct shyper_vm_rates *rates)
{
	json_object *doc;

	if (!info || !rates || !(doc = new_document()))
		return NULL;
	return finish(doc, put_vm_rates(doc, info, stats, rates));
}

struct json_object *shyper_sample_to_json(const struct shyper_sample *cur,
					  const struct shyper_vm_rates *vms,
					  const struct shyper_pcpu_rates *pcpus)
{
	json_object *doc, *hv, *list;
	int failed = 0;

	if (!cur || (!vms && cur->vm_count) || !(doc = new_document()))
		return NULL;
	hv = shyper_hv_info_to_json(&cur->hv);
	if (hv)
		json_object_object_del(hv, "schema");
	failed |= put(doc, "hypervisor", hv);
	list = json_object_new_array();
	failed |= put(doc, "pcpus", list);
	for (size_t i = 0; !failed && i < cur->pcpu_count; i++) {
		const struct shyper_pcpu_stats *s = &cur->pcpus[i];
		json_object *p = append_object(list);

		if (!p) {
			failed = 1;
			break;
		}
		failed |= put_pcpu_where(p, s);
		if (!pcpus)
			continue;
		failed |= put(p, "guest_percent", json_object_new_double(pcpus[i].guest_pct));
		failed |= put(p, "el2_percent", json_object_new_double(pcpus[i].el2_pct));
		failed |= put(p, "idle_percent", json_object_new_double(pcpus[i].idle_pct));
		failed |= put(p, "exits_per_s", json_object_new_double(pcpus[i].exits_per_s));
		failed |= put(p, "irqs_per_s", json_object_new_double(pcpus[i].irqs_per_s));
	}
	list = json_object_new_array();
	failed |= put(doc, "vms", list);
	for (size_t i = 0; !failed && i < cur->vm_count; i++) {
		json_object *vm = append_object(list);

		failed |= vm ? put_vm_rates(vm, &cur->vms[i],
					    cur->stats[i].size ? &cur->stats[i] : NULL, &vms[i])
			     : 1;
	}
	return finish(doc, failed);
}
