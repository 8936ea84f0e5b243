// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A managed VM's images: the files its definition names are checked
 * (kernel, initrd, dtb, disk images), its kernel inspected (an arm64 Image,
 * whose header says how far it reaches, or an ELF executable, loaded by its
 * segments), and kernel, initrd and device tree loaded into the VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shyper/domain.h>

#include "internal.h"
#include "manage_internal.h"

/* An arm64 Linux Image: its header says how much memory it really needs. */
#define ARM64_IMAGE_MAGIC 0x644d5241U /* "ARM\x64" at byte 56 */
#define ARM64_IMAGE_HEADER 64

/* A file the VM needs (WHAT: "kernel") must be a readable regular file. */
int manage_check_file(struct shyper *h, const char *vm, const char *what, const char *path,
		      uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return shyper_fail(h, errno == ENOENT ? SHYPER_ERR_NO_ENTRY : SHYPER_ERR_SYSTEM,
				   "VM '%s': %s %s: %s", vm, what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': %s %s is not a regular file",
				   vm, what, path);
	if (st.st_size == 0)
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': %s %s is empty", vm, what, path);
	if (access(path, R_OK) < 0)
		return shyper_fail(h, SHYPER_ERR_PERMISSION, "VM '%s': %s %s: %s", vm, what, path,
				   strerror(errno));
	if (size)
		*size = (uint64_t)st.st_size;
	return 0;
}

int manage_check_files(struct shyper *h, const struct shyper_domain *dom)
{
	int rc;

	if (!dom->kernel)
		return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': no <kernel> in <os>", dom->name);
	rc = manage_check_file(h, dom->name, "kernel", dom->kernel, NULL);
	if (!rc && dom->initrd)
		rc = manage_check_file(h, dom->name, "initrd", dom->initrd, NULL);
	if (!rc && dom->dtb)
		rc = manage_check_file(h, dom->name, "dtb", dom->dtb, NULL);
	for (size_t i = 0; !rc && i < dom->disk_count; i++) {
		const struct shyper_domain_disk *d = &dom->disks[i];
		uint64_t size;

		rc = manage_check_file(h, dom->name, "disk image", d->source, &size);
		if (!rc && size % 512)
			rc = shyper_fail(h, SHYPER_ERR_INVALID,
					 "VM '%s': disk image %s is %llu bytes, not a whole number "
					 "of 512-byte sectors", dom->name, d->source,
					 (unsigned long long)size);
		if (!rc && !d->readonly && access(d->source, W_OK) < 0)
			rc = shyper_fail(h, SHYPER_ERR_PERMISSION,
					 "VM '%s': disk image %s is not writable (add <readonly/> "
					 "if the guest should only read it): %s", dom->name,
					 d->source, strerror(errno));
	}
	return rc;
}

/* How far past its load address the kernel reaches once running: an arm64
 * Image says so in its header; anything else is just its file. */
static uint64_t kernel_extent(const char *path, uint64_t file_size)
{
	uint8_t hdr[ARM64_IMAGE_HEADER];
	uint64_t image_size = 0;
	uint32_t magic = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return file_size;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr))
		return file_size;
	for (int i = 3; i >= 0; i--)
		magic = magic << 8 | hdr[56 + i];
	for (int i = 7; i >= 0; i--)
		image_size = image_size << 8 | hdr[16 + i];
	if (magic != ARM64_IMAGE_MAGIC || image_size < file_size || image_size > (1ULL << 32))
		return file_size;
	return image_size;
}

void manage_kernel_image_free(struct kernel_image *img)
{
	free(img->data);
	img->data = NULL;
}

/*
 * DOM's kernel, read once for a start (or a reboot) and handed on to
 * manage_load_images(): an ELF's entry point, given to VM_CREATE, and the
 * segments loaded after it come from the same read of the file, even if the
 * file is replaced meanwhile. (A flat Image is only looked at here: its
 * header says how far it reaches; its bytes are loaded from the file.)
 */
int manage_kernel_inspect(struct shyper *h, const struct shyper_domain *dom,
			  struct kernel_image *img)
{
	uint64_t ram_end = SHYPER_GUEST_RAM_BASE + dom->memory;
	uint8_t head[4] = { 0 };
	uint64_t file_size;
	char err[256];
	int fd, rc;

	memset(img, 0, sizeof(*img));
	rc = manage_check_file(h, dom->name, "kernel", dom->kernel, &file_size);
	if (rc)
		return rc;
	fd = open(dom->kernel, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, head, sizeof(head)) != (ssize_t)sizeof(head))
			memset(head, 0, sizeof(head));
		close(fd);
	}
	if (!shyper_elf_is(head, sizeof(head))) {
		img->entry = SHYPER_DOMAIN_ENTRY_IPA;
		img->extent = kernel_extent(dom->kernel, file_size);
	} else {
		rc = shyper_elf_read(dom->kernel, (size_t)dom->memory, &img->data, &img->size);
		if (rc == -EFBIG)
			return shyper_fail(h, SHYPER_ERR_INVALID,
					   "VM '%s': ELF file %s is larger than its memory", dom->name,
					   dom->kernel);
		if (rc)
			return shyper_fail(h, SHYPER_ERR_SYSTEM, "VM '%s': kernel %s: %s", dom->name,
					   dom->kernel, strerror(-rc));
		if (shyper_elf_parse(dom->kernel, img->data, img->size, SHYPER_DOMAIN_ENTRY_IPA,
				     ram_end, &img->layout, err, sizeof(err))) {
			manage_kernel_image_free(img);
			return shyper_fail(h, SHYPER_ERR_INVALID, "VM '%s': %s", dom->name, err);
		}
		img->elf = true;
		img->entry = img->layout.entry;
		img->extent = img->layout.end - SHYPER_DOMAIN_ENTRY_IPA;
	}
	if (img->extent > dom->memory - (SHYPER_DOMAIN_ENTRY_IPA - SHYPER_GUEST_RAM_BASE)) {
		manage_kernel_image_free(img);
		return shyper_fail(h, SHYPER_ERR_INVALID,
				   "VM '%s': its kernel needs %llu MiB, more than its %llu MiB of memory",
				   dom->name, (unsigned long long)((img->extent + (1 << 20) - 1) >> 20),
				   (unsigned long long)(dom->memory >> 20));
	}
	return 0;
}

/* Loads DOM's images into VM ID (stopped): kernel (as IMG, its inspection,
 * says), initrd, device tree. */
int manage_load_images(struct shyper *h, const struct shyper_domain *dom,
		       const struct kernel_image *img, uint32_t id,
		       struct shyper_domain_diag *diag)
{
	struct shyper_guest_initrd initrd = { 0 };
	size_t dtb_size = 0;
	void *dtb = NULL;
	int rc;

	if (dom->initrd) {
		rc = manage_check_file(h, dom->name, "initrd", dom->initrd, &initrd.size);
		if (rc)
			goto out;
		initrd.ipa = shyper_domain_initrd_ipa(dom, img->extent, initrd.size);
		if (!initrd.ipa) {
			rc = shyper_fail(h, SHYPER_ERR_INVALID,
					 "VM '%s': kernel and initrd (%llu MiB) do not fit in its "
					 "%llu MiB of memory", dom->name,
					 (unsigned long long)((img->extent + initrd.size) >> 20),
					 (unsigned long long)(dom->memory >> 20));
			goto out;
		}
	}
	rc = shyper_guest_fdt_build(dom, dom->initrd ? &initrd : NULL, &dtb, &dtb_size, diag);
	if (rc) {
		rc = shyper_fail(h, rc, "VM '%s': its device tree could not be made%s%s", dom->name,
				 diag && diag->count ? ": " : "",
				 diag && diag->count ? diag->entries[diag->count - 1].message : "");
		goto out;
	}
	if (!img->elf) {
		rc = shyper_vm_load_file(h, id, SHYPER_DOMAIN_ENTRY_IPA, dom->kernel);
	} else {
		for (unsigned int i = 0; !rc && i < img->layout.count; i++) {
			const struct shyper_elf_segment *seg = &img->layout.seg[i];

			if (seg->filesz) /* the rest is the pool's zeroes */
				rc = shyper_vm_load(h, id, seg->paddr,
						    (const char *)img->data + seg->offset,
						    (size_t)seg->filesz);
		}
	}
	if (!rc && dom->initrd)
		rc = shyper_vm_load_file(h, id, initrd.ipa, dom->initrd);
	if (!rc)
		rc = shyper_vm_load(h, id, SHYPER_DOMAIN_DTB_IPA, dtb, dtb_size);
out:
	free(dtb);
	return rc;
}
