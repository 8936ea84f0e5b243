/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * shyperctl's insides, shared by its command line parser, its commands and
 * the host unit tests (which call shyperctl_main() with their own streams
 * and a fake device underneath libshyper).
 */
#ifndef SHYPERCTL_H
#define SHYPERCTL_H

#include <stdint.h>
#include <stdio.h>

#include <shyper/libshyper.h>

#define SHYPERCTL_VERSION "0.1.0"

/* Exit statuses. */
enum shyperctl_status {
	SHYPERCTL_EXIT_OK = 0,
	SHYPERCTL_EXIT_FAILURE = 1, /* the operation failed */
	SHYPERCTL_EXIT_USAGE = 2,   /* bad command line */
};

struct shyperctl {
	FILE *out;
	FILE *err;
	int json;              /* --json */
	const char *device;    /* --device, or NULL for libshyper's default */
	struct shyper *handle; /* opened by shyperctl_open() */
	int timeout_ms;        /* --timeout (vm stop) */
	int force;             /* --force (vm stop) */
	int timeout_set;
	int check;             /* --check (hv update) */
	int live;              /* --live (vm save): pre-copy while it runs */
	unsigned int max_downtime_ms; /* --max-downtime (vm save --live, vm migrate), 0: default */
	unsigned int bandwidth_mib;   /* --bandwidth MIB/S (vm migrate), 0: unlimited */
	int offline;           /* --offline (vm migrate): pause, then copy */
	int plain;             /* --plain (vm migrate): plain HTTP */
	int cancel;            /* --cancel (vm migrate) */
	int copy_storage;      /* --copy-storage (vm migrate) */
	int interval_ms;       /* --interval (vm stats, hv stats): rates over it; 0: none */
};

/* The whole tool: parses ARGV, runs the command, returns the exit status. */
int shyperctl_main(int argc, char **argv, FILE *out, FILE *err);

/* ---- For the commands (cli.c) ---------------------------------------------- */

/* Prints "shyperctl: MESSAGE" as one line on ctx->err; returns STATUS. */
int shyperctl_fail(struct shyperctl *ctx, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports libshyper error RC of the open handle; returns the failure status. */
int shyperctl_fail_lib(struct shyperctl *ctx, int rc);

/* Opens the device into ctx->handle; on failure reports it and returns the
 * failure status. */
int shyperctl_open(struct shyperctl *ctx);

/* Sleeps MS milliseconds, through signals that do not end the tool. */
void shyperctl_sleep_ms(int ms);

/* Prints OBJ pretty and releases it (NULL: out of memory). */
int shyperctl_print_json(struct shyperctl *ctx, struct json_object *obj);

/* ---- Commands (cmd_hv.c, cmd_vm.c): ARGS are the command's own ---------------- */

int shyperctl_hv_info(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_hv_log(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_hv_stats(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_hv_update(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_list(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_info(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_stats(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_define(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_create(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_start(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_stop(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_destroy(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_reboot(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_pause(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_resume(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_save(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_migrate(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_restore(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_undefine(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_dumpxml(struct shyperctl *ctx, int argc, char **argv);
int shyperctl_vm_console(struct shyperctl *ctx, int argc, char **argv);

/* ---- Plain output (format.c) ---------------------------------------------------- */

#define SHYPERCTL_CELL_LEN 72
#define SHYPERCTL_TABLE_COLS 9

/* "512 MiB", "1.5 GiB", "100 B". */
void shyperctl_format_bytes(char *buf, size_t size, uint64_t bytes);

/* "3d 4h 5m 6s", "5m 0s", "12.3s". */
void shyperctl_format_duration(char *buf, size_t size, uint64_t ns);

struct shyperctl_row {
	char cell[SHYPERCTL_TABLE_COLS][SHYPERCTL_CELL_LEN];
};

/*
 * A table with a header line, columns padded to their widest cell. ALIGN
 * has one letter per column: 'l' left, 'r' right.
 */
void shyperctl_print_table(FILE *out, const char *const *headers, const char *align, int cols,
			   const struct shyperctl_row *rows, size_t count);

struct shyperctl_field {
	const char *key;
	char value[SHYPERCTL_CELL_LEN];
};

/* "Key:   value" lines, values aligned. */
void shyperctl_print_fields(FILE *out, const struct shyperctl_field *fields, size_t count);

#endif /* SHYPERCTL_H */
