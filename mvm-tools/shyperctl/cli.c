// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl's command line: the command table, option parsing, help texts,
 * and the one way the tool reports errors (one "shyperctl: " line on
 * stderr; exit 1 when an operation fails, 2 for a bad command line).
 *
 * Options may come anywhere (before or after the command); "--" ends them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <shyper/domain.h>

#include "shyperctl.h"

#define MAX_POSITIONALS 16

struct command {
	const char *group;   /* "hv", "vm" */
	const char *name;    /* "info" */
	const char *args;    /* usage of its arguments, "" if none */
	int min_args;
	int max_args;
	const char *summary; /* one line, for the lists */
	const char *description;
	int (*run)(struct shyperctl *ctx, int argc, char **argv);
};

struct group {
	const char *name;
	const char *summary;
};

static const struct group groups[] = {
	{ "hv", "The hypervisor: information, log and live update" },
	{ "vm", "Virtual machines: define, run, stop, inspect, console" },
};

static const struct command commands[] = {
	{ "hv", "info", "", 0, 0, "Show the hypervisor's version, board, CPUs, memory and uptime",
	  "Shows the hypervisor's version and ABI version, the board and its GIC\n"
	  "version, the physical CPUs online, the memory of the board, what the\n"
	  "hypervisor keeps for itself, the guest memory pool (total and free),\n"
	  "the number of VMs and the hypervisor's uptime.\n",
	  shyperctl_hv_info },
	{ "hv", "stats", "", 0, 0, "Show what each physical CPU has done",
	  "Shows, for each physical CPU since it came online, the VM and vCPU it\n"
	  "runs now, the exits from guests and the interrupts it handled (IPIS: of\n"
	  "those, the hypervisor's own between pCPUs), and where its time went:\n"
	  "at EL2 handling them, idle, and in guests (the rest), as shares of it.\n"
	  "An RT pCPU shows only what its real-time VM causes. --json gives the\n"
	  "counters themselves (nanoseconds); rates are the difference of two.\n"
	  "--interval SECONDS (-i) shows the same over the next SECONDS instead:\n"
	  "exits and interrupts per second, and the shares of that time.\n",
	  shyperctl_hv_stats },
	{ "hv", "log", "", 0, 0, "Print the hypervisor's log",
	  "Prints everything the hypervisor's log ring holds, oldest line first.\n",
	  shyperctl_hv_log },
	{ "hv", "update", "IMAGE", 1, 1, "Replace the running hypervisor, VMs running on",
	  "Puts the hypervisor image IMAGE (a file, or an http:// or https:// URL)\n"
	  "in place of the running hypervisor while every VM keeps running: the\n"
	  "hypervisor checks the image (its header, architecture, ABI, state layout\n"
	  "and SHA-256), stops every physical CPU for the hand-over and resumes\n"
	  "every vCPU in the new one. Prints each phase (stage, check, hand-over,\n"
	  "resume) with its duration, and the longest pause any vCPU saw. A bad\n"
	  "image is refused with the reason; if the new hypervisor cannot take\n"
	  "over, the old one takes control back and nothing changes. --check only\n"
	  "checks the image and says whether it would be accepted. Root only.\n",
	  shyperctl_hv_update },
	{ "vm", "list", "", 0, 0, "List the VMs",
	  "Lists every VM as a table: the hypervisor's (the management VM first,\n"
	  "with their ids), then the defined VMs that are not running (id '-').\n"
	  "Columns: id, name, type (mvm, gvm, rtvm), state (defined, running,\n"
	  "paused, shut off, crashed), vCPUs and memory. 'defined' is a VM never\n"
	  "started since it was defined; 'shut off' one that ran and stopped.\n",
	  shyperctl_vm_list },
	{ "vm", "info", "NAME|ID", 1, 1, "Show one VM",
	  "Shows one VM: id, name, UUID, type, state, whether it is defined,\n"
	  "vCPUs and the pCPU each runs on (or will run on), memory, uptime and\n"
	  "the number of exits to the hypervisor. A VM's name is looked up first;\n"
	  "a number that names no VM is taken as an id.\n",
	  shyperctl_vm_info },
	{ "vm", "stats", "NAME|ID", 1, 1, "Show what a running VM's vCPUs and devices do",
	  "Shows a VM's counters, the same the dashboard shyper-top reads: per\n"
	  "vCPU its pCPU, state (running, blocked in WFI, paused, off), time in\n"
	  "the guest and CPU% of one pCPU, interrupts injected and exits, and\n"
	  "exits by kind (hypercall, SMC, data and instruction aborts: emulated\n"
	  "MMIO, system registers, WFI/WFE, physical interrupts, other); per\n"
	  "virtio device the requests answered and the bytes into the guest\n"
	  "(disk reads, received packets) and out of it, virtio headers included.\n"
	  "Without --interval the counts are since the VM was created and CPU%\n"
	  "is over its uptime; --interval SECONDS (-i, e.g. 1 or 0.5) gives rates\n"
	  "over the next SECONDS. An RTVM's own interrupts reach it without the\n"
	  "hypervisor and are not counted. --json gives counters and rates.\n",
	  shyperctl_vm_stats },
	{ "vm", "define", "FILE.xml", 1, 1, "Define a VM from libvirt domain XML",
	  "Reads a VM definition (libvirt domain XML, <domain type='shyper'>; the\n"
	  "supported subset is in docs/domain-xml.md), checks it against this\n"
	  "board (pCPUs, guest pool, files it names) and keeps it. Unsupported\n"
	  "elements are errors naming their line; harmless ones are warnings. A\n"
	  "definition without <uuid> gets one. Defining an existing name again\n"
	  "with its UUID replaces the definition, from the VM's next start.\n",
	  shyperctl_vm_define },
	{ "vm", "create", "FILE.xml", 1, 1, "Define a VM and start it",
	  "'vm define' and 'vm start' in one: if the VM cannot start, it is not\n"
	  "kept. The name must be new.\n",
	  shyperctl_vm_create },
	{ "vm", "start", "NAME", 1, 1, "Start a defined VM",
	  "Creates the VM in the hypervisor from its definition: memory from the\n"
	  "guest pool, zeroed; the kernel, initrd and device tree (generated, or\n"
	  "its <dtb>) loaded; vCPU 0 started on its pCPU.\n",
	  shyperctl_vm_start },
	{ "vm", "stop", "NAME", 1, 1, "Shut a VM down gracefully",
	  "Presses the VM's power button and waits for it to power off, at most\n"
	  "--timeout SECONDS (default 30); then powers it off by force, like\n"
	  "'virsh shutdown' followed by 'virsh destroy'. --force skips the\n"
	  "asking. Its memory goes back to the guest pool; its definition stays.\n",
	  shyperctl_vm_stop },
	{ "vm", "destroy", "NAME", 1, 1, "Power a VM off at once",
	  "Stops the VM's vCPUs now and gives its memory back (zeroed). The\n"
	  "definition stays. A crashed VM is cleared the same way.\n",
	  shyperctl_vm_destroy },
	{ "vm", "reboot", "NAME", 1, 1, "Reset a VM",
	  "Powers the VM off, loads its kernel, initrd and device tree again and\n"
	  "starts it, keeping its id (a reset, like 'virsh reset').\n",
	  shyperctl_vm_reboot },
	{ "vm", "pause", "NAME", 1, 1, "Pause a running VM",
	  "Takes the VM's vCPUs off their pCPUs until 'vm resume'.\n",
	  shyperctl_vm_pause },
	{ "vm", "resume", "NAME", 1, 1, "Resume a paused VM",
	  "Lets a paused VM's vCPUs run again.\n",
	  shyperctl_vm_resume },
	{ "vm", "save", "NAME FILE", 2, 2, "Save a VM's memory and state to a file",
	  "Pauses the VM, writes its memory (pages of zeroes as numbers only),\n"
	  "registers, devices and console history to FILE as a migration stream\n"
	  "(docs/migration.md), then stops it, like 'virsh save'. If anything\n"
	  "fails, FILE is removed and the VM goes on running. --live copies its\n"
	  "memory while it runs first, round after round with dirty-page\n"
	  "logging, until what is left takes at most --max-downtime MS (300)\n"
	  "at the rate measured, then pauses it for the rest, as migration does.\n",
	  shyperctl_vm_save },
	{ "vm", "restore", "FILE", 1, 1, "Resume a VM from a saved file",
	  "Reads FILE (from 'vm save', here or on another board), defines the VM\n"
	  "it holds (the same name and UUID), creates it and resumes it where it\n"
	  "stopped: its virtual counter goes on from the value it had. Refused\n"
	  "whole, leaving nothing behind, if FILE is damaged or cut short.\n",
	  shyperctl_vm_restore },
	{ "vm", "migrate", "NAME DEST", 2, 2, "Move a running VM to another board",
	  "Moves the VM to board DEST (a board name such as board-2, host[:port],\n"
	  "or an https:// URL) while it runs: its memory is copied round after\n"
	  "round with dirty-page tracking until what is left takes at most\n"
	  "--max-downtime MS (300) at the rate measured, then it is paused for\n"
	  "the rest and its state, started there, and destroyed and undefined\n"
	  "here. --offline pauses it first and copies once; --bandwidth MIB/S\n"
	  "caps the rate. The boards prove who they are with the fleet's\n"
	  "certificates in /etc/shyper/ (HTTPS both ways); --plain sends plain\n"
	  "HTTP, which DEST takes only if its shyperd was started with\n"
	  "--migrate-plain. Its disk images must be at the same path on DEST\n"
	  "(shared storage), or --copy-storage sends them too: DEST creates\n"
	  "them at that path, where no file may be yet (the copies here stay).\n"
	  "Refused: the MVM, a guest with <hostdev>, this\n"
	  "board. Ctrl-C, or 'vm migrate --cancel NAME' from elsewhere, stops\n"
	  "it and the VM goes on here. Until DEST says the guest runs there it\n"
	  "runs here; it never runs on both.\n",
	  shyperctl_vm_migrate },
	{ "vm", "undefine", "NAME", 1, 1, "Forget a VM's definition",
	  "Removes the definition of a VM that is not running.\n",
	  shyperctl_vm_undefine },
	{ "vm", "dumpxml", "NAME", 1, 1, "Print a VM's definition",
	  "Prints the VM's definition as libvirt domain XML, which 'vm define'\n"
	  "reads back to the same VM. With --json: {\"schema\", \"name\", \"xml\"}.\n",
	  shyperctl_vm_dumpxml },
	{ "vm", "console", "NAME", 1, 1, "Attach to a VM's console",
	  "Connects this terminal to the VM's console: its output, from where\n"
	  "the last reader left off (the hypervisor keeps the latest 16 KiB), then\n"
	  "live; keys go to the VM. Ctrl-] detaches. Ends when the VM stops.\n",
	  shyperctl_vm_console },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char options_help[] =
	"Options (anywhere on the command line; \"--\" ends them):\n"
	"  -j, --json           print JSON (schema in docs/json-schema.md) instead of text\n"
	"  -d, --device PATH    the device (default: $SHYPER_DEVICE, else /dev/shyper)\n"
	"  -t, --timeout SECS   vm stop: how long to wait for a graceful power-off\n"
	"  -i, --interval SECS  vm stats, hv stats: rates over the next SECS (0.1-3600)\n"
	"  -f, --force          vm stop: power off at once, without asking the guest\n"
	"      --check          hv update: only check the image, change nothing\n"
	"  -h, --help           show help for the tool, a command or a subcommand\n"
	"  -V, --version        show the version\n";

static const char exit_help[] =
	"Exit status: 0 success, 1 the operation failed, 2 bad command line.\n"
	"Errors are one line on stderr starting with \"shyperctl: \".\n";

int shyperctl_fail(struct shyperctl *ctx, int status, const char *fmt, ...)
{
	va_list ap;

	fputs("shyperctl: ", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
	return status;
}

int shyperctl_fail_lib(struct shyperctl *ctx, int rc)
{
	const char *message = shyper_last_error_message(ctx->handle);

	return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "%s",
			      message && *message ? message : shyper_strerror(rc));
}

int shyperctl_open(struct shyperctl *ctx)
{
	int rc;

	ctx->handle = shyper_open(ctx->device, &rc);
	if (ctx->handle)
		return SHYPERCTL_EXIT_OK;
	return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "%s",
			      *shyper_last_error_message(NULL) ? shyper_last_error_message(NULL)
							       : shyper_strerror(rc));
}

int shyperctl_print_json(struct shyperctl *ctx, struct json_object *obj)
{
	if (!obj)
		return shyperctl_fail(ctx, SHYPERCTL_EXIT_FAILURE, "out of memory");
	fprintf(ctx->out, "%s\n",
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return SHYPERCTL_EXIT_OK;
}

static int usage_error(struct shyperctl *ctx, const char *help_for, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line: the problem, then where help is. */
static int usage_error(struct shyperctl *ctx, const char *help_for, const char *fmt, ...)
{
	char problem[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	return shyperctl_fail(ctx, SHYPERCTL_EXIT_USAGE, "%s (see 'shyperctl %s%s--help')", problem,
			      help_for, *help_for ? " " : "");
}

static void print_tool_help(FILE *out)
{
	fputs("Usage: shyperctl [OPTIONS] COMMAND SUBCOMMAND [ARGS]\n\n"
	      "Manages the Shyper hypervisor from its management VM (MVM), through\n"
	      "/dev/shyper.\n\nCommands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char name[40];

		snprintf(name, sizeof(name), "%s %s %s", commands[i].group, commands[i].name,
			 commands[i].args);
		fprintf(out, "  %-18s %s\n", name, commands[i].summary);
	}
	fprintf(out, "\n%s\n%s", options_help, exit_help);
}

static void print_group_help(FILE *out, const struct group *g)
{
	fprintf(out, "Usage: shyperctl %s SUBCOMMAND [OPTIONS] [ARGS]\n\n%s.\n\nSubcommands:\n",
		g->name, g->summary);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char name[40];

		if (strcmp(commands[i].group, g->name))
			continue;
		snprintf(name, sizeof(name), "%s %s", commands[i].name, commands[i].args);
		fprintf(out, "  %-15s %s\n", name, commands[i].summary);
	}
	fprintf(out, "\n%s", options_help);
}

static void print_command_help(FILE *out, const struct command *c)
{
	fprintf(out, "Usage: shyperctl %s %s [OPTIONS]%s%s\n\n%s.\n\n%s\n%s", c->group, c->name,
		*c->args ? " " : "", c->args, c->summary, c->description, options_help);
}

static void print_version(FILE *out)
{
	fprintf(out, "shyperctl %s (libshyper %s, ABI %d.%d)\n", SHYPERCTL_VERSION,
		shyper_library_version(), SHYPER_ABI_MAJOR, SHYPER_ABI_MINOR);
}

struct parsed {
	int help;
	int version;
	int count;
	char *positional[MAX_POSITIONALS];
};

void shyperctl_sleep_ms(int ms)
{
	struct timespec left = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&left, &left) && errno == EINTR)
		;
}

/* "2", "0.5" -> milliseconds; 0.1 to 3600 s, at most 3 decimals. */
static int parse_interval(const char *text, int *ms)
{
	long whole = 0, frac = 0, scale = 1000;
	const char *c = text;

	if (!*text || strlen(text) > 9)
		return -1;
	for (; *c >= '0' && *c <= '9'; c++)
		whole = whole * 10 + (*c - '0');
	if (c == text && *c != '.')
		return -1;
	if (*c == '.') {
		const char *digits = ++c;

		for (; *c >= '0' && *c <= '9' && scale > 1; c++) {
			scale /= 10;
			frac += (*c - '0') * scale;
		}
		if (c == digits)
			return -1;
	}
	if (*c || whole > 3600 || whole * 1000 + frac < 100 || whole * 1000 + frac > 3600000)
		return -1;
	*ms = (int)(whole * 1000 + frac);
	return 0;
}

/* "30" -> 30000 ms; 1 to 3600 s. */
static int parse_seconds(const char *text, int *ms)
{
	long value = 0;

	if (!*text || strlen(text) > 4)
		return -1;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		value = value * 10 + (*c - '0');
	}
	if (value < 1 || value > 3600)
		return -1;
	*ms = (int)value * 1000;
	return 0;
}

static int parse_options(struct shyperctl *ctx, int argc, char **argv, struct parsed *p)
{
	int options_done = 0;

	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (p->count == MAX_POSITIONALS)
				return usage_error(ctx, "", "too many arguments");
			p->positional[p->count++] = arg;
		} else if (strcmp(arg, "--") == 0) {
			options_done = 1;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			p->help = 1;
		} else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			p->version = 1;
		} else if (strcmp(arg, "-j") == 0 || strcmp(arg, "--json") == 0) {
			ctx->json = 1;
		} else if (strcmp(arg, "-f") == 0 || strcmp(arg, "--force") == 0) {
			ctx->force = 1;
		} else if (strcmp(arg, "--check") == 0) {
			ctx->check = 1;
		} else if (strcmp(arg, "--live") == 0) {
			ctx->live = 1;
		} else if (strcmp(arg, "--offline") == 0) {
			ctx->offline = 1;
		} else if (strcmp(arg, "--plain") == 0) {
			ctx->plain = 1;
		} else if (strcmp(arg, "--cancel") == 0) {
			ctx->cancel = 1;
		} else if (strcmp(arg, "--copy-storage") == 0) {
			ctx->copy_storage = 1;
		} else if (strncmp(arg, "--bandwidth=", 12) == 0 || strcmp(arg, "--bandwidth") == 0) {
			const char *value = arg[11] == '=' ? arg + 12 : NULL;
			char *end;
			unsigned long mib;

			if (!value) {
				if (i + 1 == argc)
					return usage_error(ctx, "", "option '%s' needs MiB/s", arg);
				value = argv[++i];
			}
			errno = 0;
			mib = strtoul(value, &end, 10);
			if (errno || end == value || *end || mib < 1 || mib > 100000 || value[0] == '-')
				return usage_error(ctx, "", "bad --bandwidth '%s': MiB/s, 1 to 100000",
						   value);
			ctx->bandwidth_mib = (unsigned int)mib;
		} else if (strncmp(arg, "--max-downtime=", 15) == 0 ||
			   strcmp(arg, "--max-downtime") == 0) {
			const char *value = arg[14] == '=' ? arg + 15 : NULL;
			char *end;
			unsigned long ms;

			if (!value) {
				if (i + 1 == argc)
					return usage_error(ctx, "", "option '%s' needs milliseconds", arg);
				value = argv[++i];
			}
			errno = 0;
			ms = strtoul(value, &end, 10);
			if (errno || end == value || *end || ms < 1 || ms > 60000 || value[0] == '-')
				return usage_error(ctx, "", "bad --max-downtime '%s': milliseconds, 1 to 60000",
						   value);
			ctx->max_downtime_ms = (unsigned int)ms;
		} else if (strncmp(arg, "--timeout=", 10) == 0 || strcmp(arg, "-t") == 0 ||
			   strcmp(arg, "--timeout") == 0) {
			const char *value = arg[1] == '-' && arg[9] == '=' ? arg + 10 : NULL;

			if (!value) {
				if (i + 1 == argc)
					return usage_error(ctx, "", "option '%s' needs a number of seconds",
							   arg);
				value = argv[++i];
			}
			if (parse_seconds(value, &ctx->timeout_ms))
				return usage_error(ctx, "", "bad --timeout '%s': a whole number of seconds, 1 to 3600",
						   value);
			ctx->timeout_set = 1;
		} else if (strncmp(arg, "--interval=", 11) == 0 || strcmp(arg, "-i") == 0 ||
			   strcmp(arg, "--interval") == 0) {
			const char *value = arg[1] == '-' && arg[10] == '=' ? arg + 11 : NULL;

			if (!value) {
				if (i + 1 == argc)
					return usage_error(ctx, "", "option '%s' needs a number of seconds",
							   arg);
				value = argv[++i];
			}
			if (parse_interval(value, &ctx->interval_ms))
				return usage_error(ctx, "", "bad --interval '%s': seconds, 0.1 to 3600",
						   value);
		} else if (strncmp(arg, "--device=", 9) == 0) {
			ctx->device = arg + 9;
		} else if (strcmp(arg, "-d") == 0 || strcmp(arg, "--device") == 0) {
			if (i + 1 == argc)
				return usage_error(ctx, "", "option '%s' needs a device path", arg);
			ctx->device = argv[++i];
		} else {
			return usage_error(ctx, "", "unknown option '%s'", arg);
		}
	}
	if (ctx->device && !*ctx->device)
		return usage_error(ctx, "", "empty device path");
	return SHYPERCTL_EXIT_OK;
}

static const struct group *find_group(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

static const struct command *find_command(const char *group, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].group, group) == 0 && strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "info, log": a group's subcommands, for messages. */
static void list_subcommands(const char *group, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(commands) && used < size; i++) {
		if (strcmp(commands[i].group, group))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
					 commands[i].name);
	}
}

static int dispatch(struct shyperctl *ctx, struct parsed *p)
{
	const struct group *g;
	const struct command *c;
	char subcommands[256], help_for[40];

	if (p->version) {
		print_version(ctx->out);
		return SHYPERCTL_EXIT_OK;
	}
	if (p->count == 0) {
		if (p->help) {
			print_tool_help(ctx->out);
			return SHYPERCTL_EXIT_OK;
		}
		return usage_error(ctx, "", "missing command");
	}
	g = find_group(p->positional[0]);
	if (!g)
		return usage_error(ctx, "", "unknown command '%s'", p->positional[0]);
	list_subcommands(g->name, subcommands, sizeof(subcommands));
	if (p->count == 1) {
		if (p->help) {
			print_group_help(ctx->out, g);
			return SHYPERCTL_EXIT_OK;
		}
		return usage_error(ctx, g->name, "%s: missing subcommand (%s)", g->name, subcommands);
	}
	c = find_command(g->name, p->positional[1]);
	if (!c)
		return usage_error(ctx, g->name, "unknown %s subcommand '%s' (%s)", g->name,
				   p->positional[1], subcommands);
	if (p->help) {
		print_command_help(ctx->out, c);
		return SHYPERCTL_EXIT_OK;
	}
	snprintf(help_for, sizeof(help_for), "%s %s", c->group, c->name);
	if ((ctx->force || ctx->timeout_set) && c->run != shyperctl_vm_stop)
		return usage_error(ctx, help_for, "%s: --force and --timeout are for 'vm stop' only",
				   help_for);
	if (ctx->force && ctx->timeout_set)
		return usage_error(ctx, help_for, "%s: --force and --timeout exclude each other",
				   help_for);
	if (ctx->interval_ms && c->run != shyperctl_vm_stats && c->run != shyperctl_hv_stats)
		return usage_error(ctx, help_for, "%s: --interval is for 'vm stats' and 'hv stats' only",
				   help_for);
	if (ctx->live && c->run != shyperctl_vm_save)
		return usage_error(ctx, help_for, "%s: --live is for 'vm save' only", help_for);
	if (ctx->max_downtime_ms && c->run != shyperctl_vm_save && c->run != shyperctl_vm_migrate)
		return usage_error(ctx, help_for, "%s: --max-downtime is for 'vm save --live' and "
				   "'vm migrate' only", help_for);
	if (ctx->max_downtime_ms && c->run == shyperctl_vm_save && !ctx->live)
		return usage_error(ctx, help_for, "%s: --max-downtime is for a --live save", help_for);
	if ((ctx->offline || ctx->plain || ctx->cancel || ctx->copy_storage || ctx->bandwidth_mib) &&
	    c->run != shyperctl_vm_migrate)
		return usage_error(ctx, help_for, "%s: --offline, --plain, --cancel, --copy-storage "
				   "and --bandwidth are for 'vm migrate' only", help_for);
	if (ctx->offline && ctx->max_downtime_ms)
		return usage_error(ctx, help_for, "%s: --offline and --max-downtime exclude each other",
				   help_for);
	if (ctx->cancel && c->run == shyperctl_vm_migrate) {
		if (p->count - 2 != 1)
			return usage_error(ctx, help_for, "%s --cancel: NAME only", help_for);
		return c->run(ctx, 1, p->positional + 2);
	}
	if (p->count - 2 < c->min_args)
		return usage_error(ctx, help_for, "%s: missing argument %s", help_for, c->args);
	if (p->count - 2 > c->max_args)
		return usage_error(ctx, help_for, "%s: unexpected argument '%s'", help_for,
				   p->positional[2 + c->max_args]);
	return c->run(ctx, p->count - 2, p->positional + 2);
}

int shyperctl_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct shyperctl ctx = { .out = out, .err = err, .timeout_ms = SHYPER_SHUTDOWN_TIMEOUT_MS };
	struct parsed parsed = { 0 };
	int status = parse_options(&ctx, argc, argv, &parsed);

	if (status == SHYPERCTL_EXIT_OK)
		status = dispatch(&ctx, &parsed);
	shyper_close(ctx.handle);
	if (fflush(out) != 0 || ferror(out)) {
		if (status == SHYPERCTL_EXIT_OK)
			status = shyperctl_fail(&ctx, SHYPERCTL_EXIT_FAILURE, "error writing output");
	}
	return status;
}
