// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The life of a managed VM: the operations that take it from its definition
 * through its life in the hypervisor: start, graceful and forced stop,
 * reboot, pause, resume, release, and what follows when a guest stops by
 * itself (its definition's <on_poweroff>, <on_reboot>, <on_crash>).
 * shyperctl and shyperd both work through here, so there is one meaning of
 * "start" and one of "stop".
 *
 * Every call takes an exclusive flock on STATE_DIR/lock first, and checks
 * the current state only once it holds it, so two tools racing on one VM
 * are serialised and the loser gets a clear "already running" rather than
 * a half-made VM.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <shyper/domain.h>

#include "domain_internal.h"
#include "hostdev_internal.h"
#include "internal.h"
#include "manage_internal.h"

/* How often a graceful stop looks whether the guest has powered off. */
#define SHUTDOWN_POLL_NS 50000000L

/* ---- Starting ------------------------------------------------------------------ */

/* Gives VM ID (just created) the devices DOM's machine has: its virtio
 * devices, in the slots the guest's device tree names. */
int manage_add_devices(struct shyper *h, const struct shyper_domain *dom, uint32_t id)
{
	struct shyper_device_config devs[SHYPER_GUEST_VIRTIO_SLOTS];
	size_t disk = 0;
	int rc = 0;

	/* A NIC's tap goes on a bridge of the MVM (shyperd plugs it in): the
	 * bridge must be there, or the guest would start cut off. */
	for (size_t i = 0; i < dom->interface_count; i++) {
		const char *bridge = shyper_domain_interface_bridge(&dom->interfaces[i]);
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/class/net/%s/bridge", shyper_sysfs_root(), bridge);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			return shyper_fail(h, SHYPER_ERR_NO_ENTRY,
					   "VM '%s': interface %zu: the MVM has no bridge '%s'%s", dom->name,
					   i, bridge,
					   dom->interfaces[i].type == SHYPER_INTERFACE_NETWORK ?
					   " (the MVM's init makes it for network 'default')" : "");
	}
	shyper_guest_virtio_devices(dom, devs);
	for (unsigned int slot = 0; !rc && slot < SHYPER_GUEST_VIRTIO_SLOTS; slot++) {
		if (devs[slot].kind == SHYPER_DEV_VIRTIO_BLOCK) {
			uint64_t size = 0;

			rc = manage_check_file(h, dom->name, "disk image", dom->disks[disk++].source,
					       &size);
			devs[slot].capacity = size / 512;
		}
		if (!rc && devs[slot].kind)
			rc = shyper_vm_add_device(h, id, &devs[slot]);
	}
	if (!rc && shyper_guest_has_rtc(dom)) {
		struct shyper_device_config rtc = { .size = SHYPER_DEVICE_CONFIG_SIZE_V1,
						    .kind = SHYPER_DEV_RTC };

		rc = shyper_domain_rtc_time(dom, time(NULL), &rtc.rtc_time);
		if (rc)
			return shyper_fail(h, rc, "VM '%s': its <clock> gives a time its real-time "
					   "clock cannot show (before 1970 or after 2106)",
					   dom->name);
		rc = shyper_vm_add_device(h, id, &rtc);
	}
	return rc;
}

/* Keeps the current message, with "starting VM 'NAME': " in front. */
static int prefix_message(struct shyper *h, int rc, const char *verb, const char *name)
{
	char message[SHYPER_MESSAGE_LEN];
	char own[SHYPER_NAME_LEN + 48];

	snprintf(own, sizeof(own), "%s VM '", verb);
	if (!strncmp(h->message, "VM '", 4) || !strncmp(h->message, own, strlen(own)))
		return rc; /* it names the VM already */
	snprintf(message, sizeof(message), "%s", h->message);
	return shyper_fail(h, rc, "%s VM '%s': %s", verb, name, message);
}

int manage_release_vm(struct shyper *h, const char *name, uint32_t id)
{
	struct shyper_domain *dom = NULL;
	int rc = shyper_vm_destroy(h, id);

	/* Only once the hypervisor has taken the devices back from the guest
	 * may the MVM's drivers touch them again. */
	if (rc)
		return rc;
	if (manage_running_copy_read(h, name, &dom) == 0) {
		if (dom->hostdev_count)
			shyper_hostdev_detach(h, dom);
		manage_rt_give_back_cpus(h, dom);
	}
	shyper_domain_free(dom);
	manage_stopping_mark(h, name, false);
	shyper_clear_error(h);
	return 0;
}

static int start_locked(struct shyper *h, const char *name, uint32_t *id_out,
			struct shyper_domain_diag *diag)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_config config;
	struct kernel_image img = { 0 };
	struct shyper_vm_info info;
	uint32_t id;
	int rc;

	rc = manage_def_read(h, name, &dom);
	if (rc)
		return rc;
	rc = manage_hv_find(h, name, &info);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		if (info.state == SHYPER_VM_RUNNING || info.state == SHYPER_VM_PAUSED) {
			rc = shyper_fail(h, SHYPER_ERR_BUSY, "VM '%s' is already %s (id %u)", name,
					 shyper_vm_state_name(info.state), info.id);
			goto out;
		}
		if (info.state == SHYPER_VM_CRASHED) {
			rc = shyper_fail(h, SHYPER_ERR_BUSY,
					 "VM '%s' has crashed: 'shyperctl vm destroy %s' clears it "
					 "(its memory is kept until then for inspection)", name, name);
			goto out;
		}
		/* Powered off but not yet released: start afresh. */
		rc = manage_release_vm(h, name, info.id);
		if (rc)
			goto out;
	}
	rc = manage_check_files(h, dom);
	if (!rc)
		rc = manage_rt_check_start(h, dom);
	/* Inspected once: what VM_CREATE is told and what is loaded agree. */
	if (!rc)
		rc = manage_kernel_inspect(h, dom, &img);
	if (!rc) {
		rc = shyper_domain_to_config(dom, &config);
		config.entry_ipa = img.entry; /* an ELF kernel says where */
	}
	if (!rc)
		rc = shyper_vm_create(h, &config, &id);
	if (rc)
		goto out;
	rc = manage_add_devices(h, dom, id);
	if (!rc)
		rc = shyper_hostdev_attach(h, id, dom);
	if (!rc)
		rc = manage_load_images(h, dom, &img, id, diag);
	if (!rc)
		rc = manage_rt_take_cpus(h, dom);
	if (!rc) {
		rc = shyper_vm_start(h, id);
		if (rc)
			manage_rt_give_back_cpus(h, dom);
	}
	if (rc) {
		char message[SHYPER_MESSAGE_LEN];

		snprintf(message, sizeof(message), "%s", h->message);
		/* Nothing changes: the VM goes, and its devices back to the MVM. */
		if (shyper_vm_destroy(h, id) == 0)
			shyper_hostdev_detach(h, dom);
		snprintf(h->message, sizeof(h->message), "%s", message);
		goto out;
	}
	manage_mark_run(h, name);
	manage_stopping_mark(h, name, false);
	manage_running_copy_save(h, dom);
	shyper_console_cursor_set(h, name, id, 0);
	if (id_out)
		*id_out = id;
out:
	manage_kernel_image_free(&img);
	shyper_domain_free(dom);
	return rc;
}

int shyper_domain_start(struct shyper *h, const char *name, uint32_t *id,
			struct shyper_domain_diag *diag)
{
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = start_locked(h, name, id, diag);
	if (rc)
		rc = prefix_message(h, rc, "starting", name ? name : "");
	manage_store_unlock(lock);
	return rc;
}

/* ---- Stopping -------------------------------------------------------------------- */

/* The hypervisor's VM called NAME, for an operation on it: 1 found (in
 * *INFO), or an error: the MVM is never ours to stop or pause, and a
 * defined VM that is not in the hypervisor is "not running". Guests
 * without a definition (made through the raw lifecycle calls) are found
 * too: they can be stopped, paused and destroyed, but not rebooted. */
static int active_vm(struct shyper *h, const char *name, const char *verb,
		     struct shyper_vm_info *info)
{
	int rc = manage_hv_find(h, name ? name : "", info);

	if (rc < 0)
		return rc;
	if (rc == 1 && info->type == SHYPER_VM_MVM)
		return shyper_fail(h, SHYPER_ERR_PERMISSION,
				   "%s VM '%s': it is the management VM, which Shyper does not let "
				   "itself be %s", verb, name,
				   !strcmp(verb, "pausing") ? "paused" : "stopped");
	if (rc == 0) {
		struct shyper_domain *dom;

		rc = manage_def_read(h, name, &dom);
		if (rc)
			return rc;
		shyper_domain_free(dom);
		return shyper_fail(h, SHYPER_ERR_BUSY, "%s VM '%s': it is not running", verb, name);
	}
	return 1;
}

/* Powers VM ID off (if needed) and gives its memory back. */
static int power_off_and_release(struct shyper *h, const struct shyper_vm_info *info)
{
	int rc = 0;

	if (info->state == SHYPER_VM_RUNNING || info->state == SHYPER_VM_PAUSED)
		rc = shyper_vm_stop(h, info->id);
	if (!rc)
		rc = manage_release_vm(h, info->name, info->id);
	return rc;
}

int shyper_domain_destroy(struct shyper *h, const char *name)
{
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, "destroying", &info);
	if (rc == 1) {
		if (info.state == SHYPER_VM_SHUTOFF || info.state == SHYPER_VM_DEFINED) {
			/* Off already; releasing it is housekeeping, not an answer. */
			manage_release_vm(h, name, info.id);
			rc = shyper_fail(h, SHYPER_ERR_BUSY, "destroying VM '%s': it is not running",
					 name);
		} else {
			rc = power_off_and_release(h, &info);
		}
	}
	manage_store_unlock(lock);
	return rc;
}

int shyper_domain_release(struct shyper *h, const char *name)
{
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = manage_hv_find(h, name ? name : "", &info);
	if (rc == 1) {
		rc = 0;
		if (info.type != SHYPER_VM_MVM && info.state == SHYPER_VM_SHUTOFF)
			rc = manage_release_vm(h, name, info.id);
	}
	manage_store_unlock(lock);
	return rc;
}

static void sleep_ns(long ns)
{
	nanosleep(&(struct timespec){ .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L },
		  NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int shyper_domain_shutdown(struct shyper *h, const char *name, int timeout_ms, bool *forced)
{
	struct shyper_vm_info info;
	uint32_t id;
	int64_t deadline;
	int lock = -1, rc;

	shyper_clear_error(h);
	if (forced)
		*forced = false;
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, "stopping", &info);
	if (rc != 1)
		goto out;
	if (info.state == SHYPER_VM_CRASHED) {
		rc = shyper_fail(h, SHYPER_ERR_BUSY,
				 "stopping VM '%s': it has crashed; 'shyperctl vm destroy %s' clears it",
				 name, name);
		goto out;
	}
	if (info.state == SHYPER_VM_SHUTOFF || info.state == SHYPER_VM_DEFINED) {
		manage_release_vm(h, name, info.id);
		rc = shyper_fail(h, SHYPER_ERR_BUSY, "stopping VM '%s': it is not running", name);
		goto out;
	}
	id = info.id;
	rc = 0;
	/* A paused guest cannot hear the button: let it run to hear it. */
	if (timeout_ms > 0 && info.state == SHYPER_VM_PAUSED)
		rc = shyper_vm_resume(h, id);
	if (!rc && timeout_ms > 0) {
		/* The power-off that follows is ours: no <on_poweroff> restart. */
		manage_stopping_mark(h, name, true);
		rc = shyper_vm_control(h, id, SHYPER_VM_OP_SHUTDOWN);
		if (rc == SHYPER_ERR_NOT_SUPPORTED) {
			/* A hypervisor before ABI 1.2 has no button: force it. */
			shyper_clear_error(h);
			rc = 0;
			timeout_ms = 0;
		}
	}
	if (rc)
		goto out;
	/* Wait without the lock: others may look meanwhile. */
	manage_store_unlock(lock);
	lock = -1;
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	while (now_ms() < deadline) {
		rc = shyper_vm_info(h, id, &info);
		if (rc || strncmp(info.name, name, SHYPER_NAME_LEN) ||
		    info.state != SHYPER_VM_RUNNING)
			break;
		sleep_ns(SHUTDOWN_POLL_NS);
	}
	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = manage_hv_find(h, name, &info);
	if (rc <= 0 || info.id != id) {
		rc = rc < 0 ? rc : 0; /* gone already: released by someone else */
		goto out;
	}
	if (info.state == SHYPER_VM_RUNNING || info.state == SHYPER_VM_PAUSED) {
		if (forced)
			*forced = true;
	}
	rc = power_off_and_release(h, &info);
out:
	if (rc)
		rc = prefix_message(h, rc, "stopping", name ? name : "");
	manage_store_unlock(lock);
	return rc;
}

/* ---- Reboot, pause, resume --------------------------------------------------------- */

/* Reloads and restarts NAME (its VM is INFO), under the store's lock. */
static int reboot_locked(struct shyper *h, const char *name, struct shyper_vm_info *info,
			 struct shyper_domain_diag *diag)
{
	struct shyper_domain *dom = NULL;
	struct kernel_image img = { 0 };
	int rc;

	if (info->state == SHYPER_VM_CRASHED)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "rebooting VM '%s': it has crashed; destroy it, then start it", name);
	/* Everything that can fail without touching the VM comes first. */
	rc = manage_running_copy_read(h, name, &dom);
	if (rc == SHYPER_ERR_NO_ENTRY)
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "rebooting VM '%s': it has no definition to load it from again",
				   name);
	if (!rc)
		rc = manage_check_files(h, dom);
	if (rc)
		goto out;
	/* The VM keeps the shape it was created with. */
	dom->memory = info->memory;
	dom->vcpu_count = info->vcpu_count;
	if (info->state == SHYPER_VM_RUNNING || info->state == SHYPER_VM_PAUSED)
		rc = shyper_vm_stop(h, info->id);
	if (!rc)
		rc = manage_kernel_inspect(h, dom, &img);
	if (!rc)
		rc = manage_load_images(h, dom, &img, info->id, diag);
	if (!rc)
		rc = shyper_vm_start(h, info->id);
	if (rc) {
		/* Half rebooted is no state to leave a VM in: power it off. */
		char message[SHYPER_MESSAGE_LEN];

		snprintf(message, sizeof(message), "%s", h->message);
		if (manage_hv_find(h, name, info) == 1)
			power_off_and_release(h, info);
		shyper_fail(h, rc, "%s (the VM is now shut off)", message);
	}
out:
	manage_kernel_image_free(&img);
	shyper_domain_free(dom);
	return rc;
}

int shyper_domain_reboot(struct shyper *h, const char *name, struct shyper_domain_diag *diag)
{
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, "rebooting", &info);
	if (rc == 1)
		rc = reboot_locked(h, name, &info, diag);
	if (rc)
		rc = prefix_message(h, rc, "rebooting", name ? name : "");
	manage_store_unlock(lock);
	return rc;
}

static int pause_resume(struct shyper *h, const char *name, bool pause)
{
	const char *verb = pause ? "pausing" : "resuming";
	struct shyper_vm_info info;
	int lock = -1, rc;

	shyper_clear_error(h);
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = active_vm(h, name, verb, &info);
	if (rc == 1) {
		uint32_t want = pause ? SHYPER_VM_RUNNING : SHYPER_VM_PAUSED;

		if (info.state != want)
			rc = shyper_fail(h, SHYPER_ERR_BUSY, "%s VM '%s': it is %s, not %s", verb,
					 name, shyper_vm_state_name(info.state),
					 shyper_vm_state_name(want));
		else
			rc = pause ? shyper_vm_pause(h, info.id) : shyper_vm_resume(h, info.id);
	}
	manage_store_unlock(lock);
	return rc;
}

int shyper_domain_pause(struct shyper *h, const char *name)
{
	return pause_resume(h, name, true);
}

int shyper_domain_resume(struct shyper *h, const char *name)
{
	return pause_resume(h, name, false);
}

/* ---- A guest that stopped by itself ------------------------------------------------ */

/* What the definition asks for a stop of REASON (or a crash). */
static enum shyper_lifecycle_action settle_action(const struct shyper_domain *dom,
						  const struct shyper_vm_info *info,
						  bool asked_to_stop)
{
	if (info->state == SHYPER_VM_CRASHED)
		return dom->on_crash ?: SHYPER_ACTION_PRESERVE;
	if (asked_to_stop || info->stop_reason == SHYPER_STOP_BY_MVM)
		return SHYPER_ACTION_DESTROY;
	if (info->stop_reason == SHYPER_STOP_GUEST_RESET)
		return dom->on_reboot ?: SHYPER_ACTION_RESTART;
	return dom->on_poweroff ?: SHYPER_ACTION_DESTROY;
}

int shyper_domain_settle(struct shyper *h, const char *name, enum shyper_lifecycle_action *done)
{
	struct shyper_domain *dom = NULL;
	struct shyper_vm_info info;
	enum shyper_lifecycle_action action = SHYPER_ACTION_DEFAULT;
	int lock = -1, rc;

	shyper_clear_error(h);
	*done = SHYPER_ACTION_DEFAULT;
	rc = manage_store_lock(h, &lock);
	if (rc)
		return rc;
	rc = manage_hv_find(h, name ? name : "", &info);
	if (rc != 1 || info.type == SHYPER_VM_MVM ||
	    (info.state != SHYPER_VM_SHUTOFF && info.state != SHYPER_VM_CRASHED))
		goto out; /* gone, or not stopped: nothing to do */
	/* Guests without a definition belong to whoever made them. */
	if (manage_running_copy_read(h, name, &dom)) {
		shyper_clear_error(h);
		rc = 0;
		goto out;
	}
	action = settle_action(dom, &info, manage_stopping_marked(h, name));
	switch (action) {
	case SHYPER_ACTION_DESTROY:
		rc = manage_release_vm(h, name, info.id);
		break;
	case SHYPER_ACTION_RESTART:
		if (info.state == SHYPER_VM_CRASHED) {
			rc = manage_release_vm(h, name, info.id);
			if (!rc)
				rc = start_locked(h, name, NULL, NULL);
		} else {
			rc = reboot_locked(h, name, &info, NULL);
		}
		break;
	default: /* preserve: as it stopped, until someone destroys it */
		/* A real-time VM that no longer runs has no pCPUs of its own. */
		manage_rt_give_back_cpus(h, dom);
		rc = 0;
		break;
	}
	if (!rc)
		*done = action;
	else
		rc = prefix_message(h, rc, action == SHYPER_ACTION_RESTART ? "restarting" : "releasing",
				    name);
out:
	shyper_domain_free(dom);
	manage_store_unlock(lock);
	return rc < 0 ? rc : 0;
}
