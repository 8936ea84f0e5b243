/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * What the files of managed VMs share: the definition store and the run
 * directory (manage_store.c), finding a VM in the hypervisor
 * (manage_list.c), checking and loading a guest's images (manage_load.c)
 * and releasing a VM (manage_lifecycle.c). Definitions are made and
 * removed in manage_define.c, console cursors kept in console_cursor.c.
 *
 * Every call that changes something takes the store's lock
 * (manage_store_lock()) first and checks the current state only once it
 * holds it, so two tools racing on one VM are serialised.
 */
#ifndef SHYPER_LIB_MANAGE_INTERNAL_H
#define SHYPER_LIB_MANAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shyper/domain.h>
#include <shyper/libshyper.h>

#include "elf_internal.h"

/* ---- The store and the run directory (manage_store.c) ------------------------- */

/* The run directory ($SHYPER_RUN_DIR, or the default); NULL: out of memory. */
const char *manage_run_dir(struct shyper *h);

/* mkdir -p for one or two levels; 0 or the errno. */
int manage_make_dir(const char *path);

/* Whether NAME can be a VM's file name: the parser's characters, never "." or "..". */
bool manage_name_ok(const char *name);

/* STATE_DIR/vms/NAME.xml and RUN_DIR/NAME.SUFFIX into BUF. */
int manage_def_path(struct shyper *h, const char *name, char *buf, size_t size);
int manage_run_path(struct shyper *h, const char *name, const char *suffix, char *buf,
		    size_t size);

/* Takes the store's lock into *FD (blocks while another tool holds it);
 * manage_store_unlock() drops it. */
int manage_store_lock(struct shyper *h, int *fd);
void manage_store_unlock(int fd);

/* Writes LEN bytes of DATA to PATH so that readers see the old content or
 * the new, never a part. */
int manage_write_atomic(struct shyper *h, const char *path, const char *data, size_t len);

/* Reads NAME's definition; SHYPER_ERR_NO_ENTRY when there is none. */
int manage_def_read(struct shyper *h, const char *name, struct shyper_domain **dom);

/* Names of all definitions, sorted; release with manage_names_free(). */
int manage_def_names(struct shyper *h, char ***names, size_t *count);
void manage_names_free(char **names, size_t count);

/* The definition a VM was started from (RUN_DIR/NAME.xml): saved at start,
 * read by reboot and release; read falls back to the definition. */
void manage_running_copy_save(struct shyper *h, const struct shyper_domain *dom);
int manage_running_copy_read(struct shyper *h, const char *name, struct shyper_domain **dom);

/* RUN_DIR/NAME.ran: NAME has been started, so it is listed as shut off
 * rather than defined. */
bool manage_has_run(struct shyper *h, const char *name);
void manage_mark_run(struct shyper *h, const char *name);

/* RUN_DIR/NAME.stopping: the tools asked NAME to stop. */
void manage_stopping_mark(struct shyper *h, const char *name, bool on);
bool manage_stopping_marked(struct shyper *h, const char *name);

/* RUN_DIR/NAME.sending: NAME is being sent, this far (manage_sends.c).
 * Neither fails nor touches the handle's message. */
void manage_send_status_write(struct shyper *h, const char *name,
			      const struct shyper_send_progress *p);
void manage_send_status_clear(struct shyper *h, const char *name);

/* Forgets what the run directory knows about NAME. */
void manage_run_forget(struct shyper *h, const char *name);

/* ---- The hypervisor's VMs (manage_list.c, manage_lifecycle.c) ------------------ */

/* The hypervisor's VM called NAME into *INFO: 1 found, 0 none, or an error. */
int manage_hv_find(struct shyper *h, const char *name, struct shyper_vm_info *info);

/* Destroys VM ID (NAME's) and gives its passed-through devices back to the
 * MVM's drivers. */
int manage_release_vm(struct shyper *h, const char *name, uint32_t id);
/* Gives VM ID (just created) the devices DOM's machine has: its virtio
 * devices in the slots its device tree names, and its RTC. */
int manage_add_devices(struct shyper *h, const struct shyper_domain *dom, uint32_t id);

/* ---- Real-time VMs' pCPUs (manage_rt.c) --------------------------------------- */

/* Before DOM starts: no started VM on a pCPU it would have to itself (an
 * RTVM), nor DOM on a started RTVM's pCPU. A clear failure, else 0. */
int manage_rt_check_start(struct shyper *h, const struct shyper_domain *dom);
/* An RTVM's pCPUs from the MVM (its CPUs there offline), all or none. */
int manage_rt_take_cpus(struct shyper *h, const struct shyper_domain *dom);
/* ... and back once it no longer runs (errors are not the caller's). */
void manage_rt_give_back_cpus(struct shyper *h, const struct shyper_domain *dom);

/* ---- A guest's images (manage_load.c) ------------------------------------------ */

/* The kernel as it will be loaded: a flat image entered at
 * SHYPER_DOMAIN_ENTRY_IPA, or an ELF executable's segments. */
struct kernel_image {
	bool elf;
	void *data;               /* the whole ELF file */
	size_t size;
	struct shyper_elf layout;
	uint64_t entry;
	uint64_t extent;          /* bytes from SHYPER_DOMAIN_ENTRY_IPA it reaches */
};

/* A file the VM needs (WHAT: "kernel") must be a readable regular file;
 * its size into *SIZE (when not NULL). */
int manage_check_file(struct shyper *h, const char *vm, const char *what, const char *path,
		      uint64_t *size);

/* All of DOM's files: kernel, initrd, dtb and disk images. */
int manage_check_files(struct shyper *h, const struct shyper_domain *dom);
/* shyper_domain_define(); DISKS_HERE false: its disk images are not yet
 * (a migration stream brings them), the rest of its files must be. */
int manage_define(struct shyper *h, struct shyper_domain *dom, bool *replaced, bool disks_here);

/* Reads DOM's kernel, once, into *IMG: where it is entered, what it loads
 * and how far it reaches. Release with manage_kernel_image_free(). */
int manage_kernel_inspect(struct shyper *h, const struct shyper_domain *dom,
			  struct kernel_image *img);
void manage_kernel_image_free(struct kernel_image *img);

/* Loads DOM's images into VM ID (stopped): the kernel as IMG (inspected
 * from DOM) says, its initrd and device tree. */
int manage_load_images(struct shyper *h, const struct shyper_domain *dom,
		       const struct kernel_image *img, uint32_t id,
		       struct shyper_domain_diag *diag);

#endif /* SHYPER_LIB_MANAGE_INTERNAL_H */
