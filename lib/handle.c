// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Opening and closing the device: the handle, the default device path and
 * the ABI version check every handle passes before it is handed out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef SHYPER_LIB_VERSION
#define SHYPER_LIB_VERSION "unknown"
#endif

const char *shyper_library_version(void)
{
	return SHYPER_LIB_VERSION;
}

static const char *default_device(void)
{
	const char *env = getenv("SHYPER_DEVICE");

	return env && *env ? env : SHYPER_DEFAULT_DEVICE;
}

static int open_failure(struct shyper *h, int neg_errno)
{
	switch (-neg_errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return shyper_fail(h, SHYPER_ERR_NO_DEVICE,
				   "%s not found: is the shyper module loaded?", h->path);
	case EACCES:
	case EPERM:
		return shyper_fail(h, SHYPER_ERR_PERMISSION,
				   "cannot open %s: %s (are you root?)", h->path,
				   strerror(-neg_errno));
	default:
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "cannot open %s: %s", h->path,
				   strerror(-neg_errno));
	}
}

/* A handle is only handed out if the hypervisor speaks our ABI major. */
static int check_abi(struct shyper *h)
{
	struct shyper_hv_info info;
	unsigned int major, minor;
	int rc = shyper_hv_info(h, &info);

	if (rc)
		return rc;
	major = info.abi_version >> 16;
	minor = info.abi_version & 0xffff;
	if (major != SHYPER_ABI_MAJOR)
		return shyper_fail(h, SHYPER_ERR_ABI,
				   "hypervisor ABI %u.%u is not supported: libshyper %s speaks ABI %u.x",
				   major, minor, SHYPER_LIB_VERSION, SHYPER_ABI_MAJOR);
	return 0;
}

struct shyper *shyper_open(const char *device, int *err)
{
	char *open_message = shyper_open_message_buffer();
	struct shyper *h = calloc(1, sizeof(*h));
	int rc;

	open_message[0] = '\0';
	if (!h || !(h->path = strdup(device ? device : default_device()))) {
		free(h);
		snprintf(open_message, SHYPER_MESSAGE_LEN, "cannot open the shyper device: %s",
			 strerror(ENOMEM));
		rc = SHYPER_ERR_NO_MEMORY;
		goto out;
	}
	h->fd = -1;
	rc = shyper_transport_open(h, h->path);
	if (rc < 0)
		rc = open_failure(h, rc);
	else
		rc = check_abi(h);
	if (rc) {
		memcpy(open_message, h->message, SHYPER_MESSAGE_LEN);
		shyper_close(h);
		h = NULL;
	}
out:
	if (err)
		*err = rc;
	return h;
}

void shyper_close(struct shyper *h)
{
	if (!h)
		return;
	if (h->vio_map)
		shyper_transport_unmap(h, h->vio_map, SHYPER_VIO_IO_MAX);
	shyper_transport_close(h);
	free(h->path);
	free(h->state_dir);
	free(h->run_dir);
	free(h);
}

const char *shyper_device_path(const struct shyper *h)
{
	return h->path;
}

const char *shyper_vm_type_name(uint32_t type)
{
	switch (type) {
	case SHYPER_VM_MVM:
		return "mvm";
	case SHYPER_VM_GVM:
		return "gvm";
	case SHYPER_VM_RTVM:
		return "rtvm";
	default:
		return "unknown";
	}
}

const char *shyper_vm_state_name(uint32_t state)
{
	switch (state) {
	case SHYPER_VM_DEFINED:
		return "defined";
	case SHYPER_VM_RUNNING:
		return "running";
	case SHYPER_VM_PAUSED:
		return "paused";
	case SHYPER_VM_SHUTOFF:
		return "shutoff";
	case SHYPER_VM_CRASHED:
		return "crashed";
	default:
		return "unknown";
	}
}
