// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl vm ...: the virtual machines, from their definitions (libvirt
 * domain XML) through their lives. The work is libshyper's (lib/manage_*.c);
 * this file turns it into readable output, JSON and one-line errors.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <shyper/domain.h>

#include "shyperctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "shut off" reads better than the JSON's "shutoff". */
static const char *state_text(uint32_t state)
{
	return state == SHYPER_VM_SHUTOFF ? "shut off" : shyper_vm_state_name(state);
}

static void uuid_text(const uint8_t uuid[16], char *buf, size_t size)
{
	snprintf(buf, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8],
		 uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}

/* After an operation on NAME: its JSON document, or LINE in plain text. */
static int report(struct shyperctl *ctx, const char *name, const char *line)
{
	struct shyper_managed_vm vm;
	int rc;

	if (!ctx->json) {
		fprintf(ctx->out, "%s\n", line);
		return SHYPERCTL_EXIT_OK;
	}
	rc = shyper_managed_get(ctx->handle, name, &vm);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	return shyperctl_print_json(ctx, shyper_managed_vm_to_json(&vm));
}

int shyperctl_vm_list(struct shyperctl *ctx, int argc, char **argv)
{
	static const char *const headers[] = { "ID", "NAME", "TYPE", "STATE", "VCPUS", "MEMORY" };
	struct shyper_managed_vm *vms;
	struct shyperctl_row *rows;
	size_t count;
	int rc;

	(void)argc;
	(void)argv;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_managed_list(ctx->handle, &vms, &count);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json) {
		rc = shyperctl_print_json(ctx, shyper_managed_list_to_json(vms, count));
		free(vms);
		return rc;
	}
	rows = calloc(count ? count : 1, sizeof(*rows));
	if (!rows) {
		free(vms);
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		char(*cell)[SHYPERCTL_CELL_LEN] = rows[i].cell;

		if (vms[i].active)
			snprintf(cell[0], SHYPERCTL_CELL_LEN, "%u", vms[i].info.id);
		else
			snprintf(cell[0], SHYPERCTL_CELL_LEN, "-");
		snprintf(cell[1], SHYPERCTL_CELL_LEN, "%s", vms[i].name);
		snprintf(cell[2], SHYPERCTL_CELL_LEN, "%s", shyper_vm_type_name(vms[i].type));
		snprintf(cell[3], SHYPERCTL_CELL_LEN, "%s", state_text(vms[i].state));
		snprintf(cell[4], SHYPERCTL_CELL_LEN, "%u", vms[i].vcpu_count);
		shyperctl_format_bytes(cell[5], SHYPERCTL_CELL_LEN, vms[i].memory);
	}
	shyperctl_print_table(ctx->out, headers, "rlllrr", (int)ARRAY_SIZE(headers), rows, count);
	free(rows);
	free(vms);
	return SHYPERCTL_EXIT_OK;
}

int shyperctl_vm_info(struct shyperctl *ctx, int argc, char **argv)
{
	static const char *const vcpu_keys[SHYPER_MAX_VCPUS] = {
		"vCPU 0", "vCPU 1", "vCPU 2", "vCPU 3", "vCPU 4", "vCPU 5", "vCPU 6", "vCPU 7",
	};
	struct shyperctl_field f[10 + SHYPER_MAX_VCPUS] = {
		{ .key = "ID" },     { .key = "Name" },    { .key = "UUID" },   { .key = "Type" },
		{ .key = "State" },  { .key = "Defined" }, { .key = "vCPUs" },  { .key = "Memory" },
		{ .key = "Uptime" }, { .key = "Exits" },
	};
	struct shyper_managed_vm vm;
	size_t n = 10;
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_managed_get(ctx->handle, argv[0], &vm);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json)
		return shyperctl_print_json(ctx, shyper_managed_vm_to_json(&vm));

	if (vm.active)
		snprintf(f[0].value, sizeof(f[0].value), "%u", vm.info.id);
	else
		snprintf(f[0].value, sizeof(f[0].value), "-");
	snprintf(f[1].value, sizeof(f[1].value), "%s", vm.name);
	if (vm.defined)
		uuid_text(vm.uuid, f[2].value, sizeof(f[2].value));
	else
		snprintf(f[2].value, sizeof(f[2].value), "-");
	snprintf(f[3].value, sizeof(f[3].value), "%s", shyper_vm_type_name(vm.type));
	snprintf(f[4].value, sizeof(f[4].value), "%s", state_text(vm.state));
	snprintf(f[5].value, sizeof(f[5].value), "%s", vm.defined ? "yes" : "no");
	snprintf(f[6].value, sizeof(f[6].value), "%u", vm.vcpu_count);
	shyperctl_format_bytes(f[7].value, sizeof(f[7].value), vm.memory);
	if (vm.active && (vm.state == SHYPER_VM_RUNNING || vm.state == SHYPER_VM_PAUSED))
		shyperctl_format_duration(f[8].value, sizeof(f[8].value), vm.info.uptime_ns);
	else
		snprintf(f[8].value, sizeof(f[8].value), "-");
	if (vm.active)
		snprintf(f[9].value, sizeof(f[9].value), "%llu",
			 (unsigned long long)vm.info.exits);
	else
		snprintf(f[9].value, sizeof(f[9].value), "-");
	for (uint32_t i = 0; i < vm.vcpu_count && i < SHYPER_MAX_VCPUS; i++, n++) {
		f[n].key = vcpu_keys[i];
		snprintf(f[n].value, sizeof(f[n].value), "pCPU %u%s", vm.vcpu_pcpu[i],
			 vm.active ? "" : " (when running)");
	}
	shyperctl_print_fields(ctx->out, f, n);
	return SHYPERCTL_EXIT_OK;
}

/*
 * Parses FILE into *DOM, its diagnostics into *DIAG. Warnings are printed as
 * "shyperctl: FILE:LINE: warning: ..." (with --json they go into the
 * output instead) and do not stop it; errors make it fail with the first
 * one as the message (and how many more there are).
 */
static int parse_definition(struct shyperctl *ctx, const char *file, struct shyper_domain **dom,
			    struct shyper_domain_diag *diag_out)
{
	struct shyper_domain_diag diag = { 0 };
	const struct shyper_diag_entry *first = NULL;
	int rc = shyper_domain_parse_file(file, dom, &diag);

	for (size_t i = 0; i < diag.count; i++) {
		const struct shyper_diag_entry *e = &diag.entries[i];

		if (e->severity == SHYPER_DIAG_WARNING && ctx->json) {
			continue;
		} else if (e->severity == SHYPER_DIAG_WARNING) {
			if (e->line)
				shyperctl_fail(ctx, 0, "%s:%ld: warning: %s", file, e->line,
					       e->message);
			else
				shyperctl_fail(ctx, 0, "%s: warning: %s", file, e->message);
		} else if (!first) {
			first = e;
		}
	}
	if (rc && first) {
		char more[48] = "";

		if (diag.error_count > 1)
			snprintf(more, sizeof(more), " (and %zu more error%s)", diag.error_count - 1,
				 diag.error_count > 2 ? "s" : "");
		if (first->line)
			shyperctl_fail(ctx, 0, "%s:%ld: error: %s%s", file, first->line,
				       first->message, more);
		else
			shyperctl_fail(ctx, 0, "%s: error: %s%s", file, first->message, more);
	} else if (rc) {
		shyperctl_fail(ctx, 0, "%s: %s", file, shyper_strerror(rc));
	}
	*diag_out = diag;
	return rc ? SHYPERCTL_EXIT_FAILURE : SHYPERCTL_EXIT_OK;
}

/* The result of define or create: LINE, and how many warnings the file
 * had; with --json the VM's object with a "warnings" list. */
static int report_definition(struct shyperctl *ctx, const char *name, const char *line,
			     const struct shyper_domain_diag *diag)
{
	struct shyper_managed_vm vm;
	struct json_object *obj, *warnings;
	int rc;

	if (!ctx->json) {
		if (diag->warning_count)
			fprintf(ctx->out, "%s; %zu warning%s above: %s ignored\n", line,
				diag->warning_count, diag->warning_count == 1 ? "" : "s",
				diag->warning_count == 1 ? "that part was" : "those parts were");
		else
			fprintf(ctx->out, "%s\n", line);
		return SHYPERCTL_EXIT_OK;
	}
	rc = shyper_managed_get(ctx->handle, name, &vm);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	obj = shyper_managed_vm_to_json(&vm);
	warnings = json_object_new_array();
	if (!obj || !warnings) {
		json_object_put(obj);
		json_object_put(warnings);
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
	}
	for (size_t i = 0; i < diag->count; i++) {
		const struct shyper_diag_entry *e = &diag->entries[i];
		struct json_object *w;

		if (e->severity != SHYPER_DIAG_WARNING)
			continue;
		w = json_object_new_object();
		if (!w || json_object_object_add(w, "line", json_object_new_int64(e->line)) ||
		    json_object_object_add(w, "message", json_object_new_string(e->message)) ||
		    json_object_array_add(warnings, w)) {
			json_object_put(w);
			json_object_put(warnings);
			json_object_put(obj);
			return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
		}
	}
	json_object_object_add(obj, "warnings", warnings);
	return shyperctl_print_json(ctx, obj);
}

static int define(struct shyperctl *ctx, const char *file, bool start)
{
	struct shyper_domain_diag diag = { 0 }, parsed = { 0 };
	struct shyper_domain *dom = NULL;
	struct shyper_managed_vm existing;
	char line[256], uuid[40];
	bool replaced = false;
	uint32_t id = 0;
	int rc;

	rc = parse_definition(ctx, file, &dom, &parsed);
	if (rc) {
		shyper_domain_diag_free(&parsed);
		return rc;
	}
	rc = shyperctl_open(ctx);
	if (rc)
		goto out;
	/* create makes a new VM: it never changes an existing definition. */
	if (start && shyper_managed_get(ctx->handle, dom->name, &existing) == 0) {
		rc = shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE,
				    "VM '%s' already exists (%s): 'shyperctl vm start %s' starts it",
				    dom->name, state_text(existing.state), dom->name);
		goto out;
	}
	rc = shyper_domain_define(ctx->handle, dom, &replaced);
	if (rc) {
		rc = shyperctl_fail_lib(ctx, rc);
		goto out;
	}
	uuid_text(dom->uuid, uuid, sizeof(uuid));
	if (start) {
		rc = shyper_domain_start(ctx->handle, dom->name, &id, &diag);
		if (rc) {
			rc = shyperctl_fail_lib(ctx, rc);
			/* Nothing changes: the definition goes again. */
			shyper_domain_undefine(ctx->handle, dom->name);
			goto out;
		}
		snprintf(line, sizeof(line), "VM '%s' created and started (id %u, UUID %s)",
			 dom->name, id, uuid);
	} else {
		snprintf(line, sizeof(line), "VM '%s' %s from %s (UUID %s)", dom->name,
			 replaced ? "redefined" : "defined", file, uuid);
	}
	rc = report_definition(ctx, dom->name, line, &parsed);
out:
	shyper_domain_diag_free(&diag);
	shyper_domain_diag_free(&parsed);
	shyper_domain_free(dom);
	return rc;
}

int shyperctl_vm_define(struct shyperctl *ctx, int argc, char **argv)
{
	(void)argc;
	return define(ctx, argv[0], false);
}

int shyperctl_vm_create(struct shyperctl *ctx, int argc, char **argv)
{
	(void)argc;
	return define(ctx, argv[0], true);
}

int shyperctl_vm_start(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_domain_diag diag = { 0 };
	char line[128];
	uint32_t id;
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_domain_start(ctx->handle, argv[0], &id, &diag);
	shyper_domain_diag_free(&diag);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	snprintf(line, sizeof(line), "VM '%s' started (id %u)", argv[0], id);
	return report(ctx, argv[0], line);
}

int shyperctl_vm_stop(struct shyperctl *ctx, int argc, char **argv)
{
	char line[160];
	bool forced;
	int timeout_ms, rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	timeout_ms = ctx->force ? 0 : ctx->timeout_ms;
	rc = shyper_domain_shutdown(ctx->handle, argv[0], timeout_ms, &forced);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->force)
		snprintf(line, sizeof(line), "VM '%s' powered off", argv[0]);
	else if (forced)
		snprintf(line, sizeof(line),
			 "VM '%s' did not power off within %d s and was powered off by force",
			 argv[0], timeout_ms / 1000);
	else
		snprintf(line, sizeof(line), "VM '%s' shut down", argv[0]);
	return report(ctx, argv[0], line);
}

int shyperctl_vm_destroy(struct shyperctl *ctx, int argc, char **argv)
{
	char line[128];
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_domain_destroy(ctx->handle, argv[0]);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	snprintf(line, sizeof(line), "VM '%s' destroyed", argv[0]);
	return report(ctx, argv[0], line);
}

int shyperctl_vm_reboot(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_domain_diag diag = { 0 };
	char line[128];
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_domain_reboot(ctx->handle, argv[0], &diag);
	shyper_domain_diag_free(&diag);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	snprintf(line, sizeof(line), "VM '%s' rebooted", argv[0]);
	return report(ctx, argv[0], line);
}

static int pause_resume(struct shyperctl *ctx, const char *name, bool pause)
{
	char line[128];
	int rc;

	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = pause ? shyper_domain_pause(ctx->handle, name) : shyper_domain_resume(ctx->handle, name);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	snprintf(line, sizeof(line), "VM '%s' %s", name, pause ? "paused" : "resumed");
	return report(ctx, name, line);
}

int shyperctl_vm_pause(struct shyperctl *ctx, int argc, char **argv)
{
	(void)argc;
	return pause_resume(ctx, argv[0], true);
}

int shyperctl_vm_resume(struct shyperctl *ctx, int argc, char **argv)
{
	(void)argc;
	return pause_resume(ctx, argv[0], false);
}

int shyperctl_vm_undefine(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_managed_vm vm;
	char line[128];
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	/* The JSON answer describes the VM as it was. */
	if (ctx->json && shyper_managed_get(ctx->handle, argv[0], &vm) != 0)
		return shyperctl_fail_lib(ctx, SHYPER_ERR_NO_ENTRY);
	rc = shyper_domain_undefine(ctx->handle, argv[0]);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	if (ctx->json) {
		vm.defined = false;
		return shyperctl_print_json(ctx, shyper_managed_vm_to_json(&vm));
	}
	snprintf(line, sizeof(line), "VM '%s' undefined", argv[0]);
	fprintf(ctx->out, "%s\n", line);
	return SHYPERCTL_EXIT_OK;
}

int shyperctl_vm_dumpxml(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_domain *dom;
	char *xml;
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_domain_lookup(ctx->handle, argv[0], &dom);
	if (rc)
		return shyperctl_fail_lib(ctx, rc);
	xml = shyper_domain_to_xml(dom);
	shyper_domain_free(dom);
	if (!xml)
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
	if (ctx->json) {
		struct json_object *doc = json_object_new_object();

		if (doc && (json_object_object_add(doc, "schema", json_object_new_int(SHYPER_JSON_SCHEMA)) ||
			    json_object_object_add(doc, "name", json_object_new_string(argv[0])) ||
			    json_object_object_add(doc, "xml", json_object_new_string(xml)))) {
			json_object_put(doc);
			doc = NULL;
		}
		free(xml);
		return shyperctl_print_json(ctx, doc);
	}
	fputs(xml, ctx->out);
	free(xml);
	return SHYPERCTL_EXIT_OK;
}

/* ---- vm stats ---------------------------------------------------------------- */

/* A rate with one decimal, or a count when there is no interval. */
static void cell_number(char *buf, size_t size, double value)
{
	snprintf(buf, size, "%.1f", value);
}

static void cell_count(char *buf, size_t size, uint64_t value)
{
	snprintf(buf, size, "%llu", (unsigned long long)value);
}

static void cell_bytes_rate(char *buf, size_t size, double per_s)
{
	char bytes[32];

	shyperctl_format_bytes(bytes, sizeof(bytes), (uint64_t)(per_s + 0.5));
	snprintf(buf, size, "%s/s", bytes);
}

static void print_vm_stats(struct shyperctl *ctx, const struct shyper_vm_info *info,
			   const struct shyper_vm_stats *s, const struct shyper_vm_rates *r,
			   bool rates)
{
	static const char *const vcpu_headers[] = { "VCPU", "PCPU", "STATE", "RUN", "CPU%",
						    "IRQS", "EXITS" };
	static const char *const vcpu_rate_headers[] = { "VCPU", "PCPU", "STATE", "RUN", "CPU%",
							 "IRQS/S", "EXITS/S" };
	static const char *const kind_headers[] = { "VCPU", "HVC", "SMC", "DABT", "IABT",
						    "SYSREG", "WFX", "IRQ", "OTHER" };
	static const char *const dev_headers[] = { "SLOT", "DEVICE", "REQUESTS", "IN", "OUT",
						   "REQ/S", "IN/S", "OUT/S" };
	struct shyperctl_row rows[SHYPER_MAX_VCPUS > SHYPER_GUEST_VIRTIO_SLOTS ?
				  SHYPER_MAX_VCPUS : SHYPER_GUEST_VIRTIO_SLOTS];
	struct shyperctl_field f[4] = {
		{ .key = "ID" }, { .key = "Name" }, { .key = "State" }, { .key = "Uptime" },
	};
	size_t n = 0;

	snprintf(f[0].value, sizeof(f[0].value), "%u", info->id);
	snprintf(f[1].value, sizeof(f[1].value), "%.*s", (int)sizeof(info->name), info->name);
	snprintf(f[2].value, sizeof(f[2].value), "%s", state_text(info->state));
	shyperctl_format_duration(f[3].value, sizeof(f[3].value), info->uptime_ns);
	shyperctl_print_fields(ctx->out, f, ARRAY_SIZE(f));

	fprintf(ctx->out, "\n%s\n", rates ? "vCPUs (CPU% of one pCPU, over the interval):"
					  : "vCPUs (CPU% of one pCPU, over the uptime):");
	for (uint32_t v = 0; v < r->vcpu_count; v++) {
		const struct shyper_vcpu_stats *c = &s->vcpus[v];
		struct shyperctl_row *row = &rows[v];
		uint64_t exits = 0;

		for (unsigned k = 0; k < SHYPER_EXIT_KINDS; k++)
			exits += c->exits[k];
		cell_count(row->cell[0], sizeof(row->cell[0]), v);
		cell_count(row->cell[1], sizeof(row->cell[1]), c->pcpu);
		snprintf(row->cell[2], sizeof(row->cell[2]), "%s", shyper_vcpu_state_name(c->state));
		shyperctl_format_duration(row->cell[3], sizeof(row->cell[3]), c->run_ns);
		if (rates) {
			cell_number(row->cell[4], sizeof(row->cell[4]), r->vcpus[v].cpu_pct);
			cell_number(row->cell[5], sizeof(row->cell[5]), r->vcpus[v].irqs_per_s);
			cell_number(row->cell[6], sizeof(row->cell[6]), r->vcpus[v].exits_per_s);
		} else {
			cell_number(row->cell[4], sizeof(row->cell[4]),
				    info->uptime_ns ? (double)c->run_ns * 100.0 / (double)info->uptime_ns
						    : 0.0);
			cell_count(row->cell[5], sizeof(row->cell[5]), c->irqs);
			cell_count(row->cell[6], sizeof(row->cell[6]), exits);
		}
	}
	shyperctl_print_table(ctx->out, rates ? vcpu_rate_headers : vcpu_headers, "rrllrrr", 7,
			      rows, r->vcpu_count);

	fprintf(ctx->out, "\n%s\n", rates ? "Exits per second by kind:" : "Exits by kind:");
	for (uint32_t v = 0; v < r->vcpu_count; v++) {
		cell_count(rows[v].cell[0], sizeof(rows[v].cell[0]), v);
		for (unsigned k = 0; k < SHYPER_EXIT_KINDS; k++) {
			if (rates)
				cell_number(rows[v].cell[1 + k], sizeof(rows[v].cell[1 + k]),
					    r->vcpus[v].exit_kind_per_s[k]);
			else
				cell_count(rows[v].cell[1 + k], sizeof(rows[v].cell[1 + k]),
					   s->vcpus[v].exits[k]);
		}
	}
	shyperctl_print_table(ctx->out, kind_headers, "rrrrrrrrr", 9, rows, r->vcpu_count);

	for (unsigned d = 0; d < SHYPER_GUEST_VIRTIO_SLOTS; d++) {
		const struct shyper_vdev_rates *dev = &r->vdevs[d];
		struct shyperctl_row *row = &rows[n];

		if (!dev->kind)
			continue;
		cell_count(row->cell[0], sizeof(row->cell[0]), dev->slot);
		snprintf(row->cell[1], sizeof(row->cell[1]), "%s", shyper_vdev_kind_name(dev->kind));
		cell_count(row->cell[2], sizeof(row->cell[2]), dev->requests);
		shyperctl_format_bytes(row->cell[3], sizeof(row->cell[3]), dev->bytes_in);
		shyperctl_format_bytes(row->cell[4], sizeof(row->cell[4]), dev->bytes_out);
		if (rates) {
			cell_number(row->cell[5], sizeof(row->cell[5]), dev->requests_per_s);
			cell_bytes_rate(row->cell[6], sizeof(row->cell[6]), dev->in_bytes_per_s);
			cell_bytes_rate(row->cell[7], sizeof(row->cell[7]), dev->out_bytes_per_s);
		}
		n++;
	}
	if (n) {
		fprintf(ctx->out, "\nVirtio devices (IN: into the guest, disk reads and received "
				  "packets; OUT: the other way):\n");
		shyperctl_print_table(ctx->out, dev_headers, "rlrrrrrr", rates ? 8 : 5, rows, n);
	}
}

int shyperctl_vm_stats(struct shyperctl *ctx, int argc, char **argv)
{
	struct shyper_sample a = { 0 }, b = { 0 };
	const struct shyper_sample *cur = &a, *prev = NULL;
	struct shyper_vm_rates *rates = NULL;
	struct shyper_vm_info info;
	size_t i;
	int rc;

	(void)argc;
	rc = shyperctl_open(ctx);
	if (rc)
		return rc;
	rc = shyper_vm_lookup(ctx->handle, argv[0], &info);
	if (!rc)
		rc = shyper_sample_take(ctx->handle, &a);
	if (!rc && ctx->interval_ms) {
		shyperctl_sleep_ms(ctx->interval_ms);
		rc = shyper_sample_take(ctx->handle, &b);
		prev = &a;
		cur = &b;
	}
	if (rc) {
		rc = shyperctl_fail_lib(ctx, rc);
		goto out;
	}
	for (i = 0; i < cur->vm_count && cur->vms[i].id != info.id; i++)
		;
	if (i == cur->vm_count || !cur->stats[i].size ||
	    strncmp(cur->vms[i].name, info.name, sizeof(info.name))) {
		rc = shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "VM '%s' went away meanwhile",
				    argv[0]);
		goto out;
	}
	rates = calloc(cur->vm_count, sizeof(*rates));
	if (!rates) {
		rc = shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
		goto out;
	}
	shyper_rates_compute(prev, cur, rates, NULL);
	if (ctx->json) {
		rc = shyperctl_print_json(ctx, shyper_vm_rates_to_json(&cur->vms[i], &cur->stats[i],
									&rates[i]));
		goto out;
	}
	print_vm_stats(ctx, &cur->vms[i], &cur->stats[i], &rates[i], prev && !rates[i].fresh);
	rc = SHYPERCTL_EXIT_OK;
out:
	free(rates);
	shyper_sample_free(&a);
	shyper_sample_free(&b);
	return rc;
}
