// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Live update of the hypervisor (ABI 1.8): getting an image (a file, or an
 * http/https URL through libcurl), handing it over, and saying what
 * happened in words.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <shyper/image.h>

#include "internal.h"

/* Far more than any image (the hypervisor's slot is 2 MiB): a bound on
 * what a wrong path or URL can make us read. */
#define IMAGE_READ_MAX (64u << 20)

const char *shyper_update_reason_text(uint32_t reason)
{
	static const char *const text[] = {
		[SHYPER_UPDATE_OK] = "accepted",
		[SHYPER_UPDATE_EMPTY] = "the image is empty",
		[SHYPER_UPDATE_TRUNCATED] = "the image is truncated",
		[SHYPER_UPDATE_ELF] = "an ELF file: give the flat image (shyper.bin), not shyper.elf",
		[SHYPER_UPDATE_NOT_ARM64_IMAGE] = "not an arm64 image",
		[SHYPER_UPDATE_NOT_SHYPER] = "an arm64 image, but not a Shyper hypervisor (a Linux kernel?)",
		[SHYPER_UPDATE_BAD_HEADER] = "its Shyper header is malformed",
		[SHYPER_UPDATE_WRONG_ARCH] = "built for another architecture",
		[SHYPER_UPDATE_ABI_MISMATCH] = "it serves an ABI the MVM's tools do not speak",
		[SHYPER_UPDATE_STATE_TOO_NEW] =
			"the running hypervisor's state layout is newer than the image knows",
		[SHYPER_UPDATE_STATE_TOO_OLD] =
			"the image cannot take over the running hypervisor's state layout",
		[SHYPER_UPDATE_TOO_LARGE] = "larger than the room the hypervisor set aside for an update",
		[SHYPER_UPDATE_SIZE_MISMATCH] = "longer than its header says",
		[SHYPER_UPDATE_DIGEST_MISMATCH] = "its SHA-256 does not match its header: damaged or altered",
		[SHYPER_UPDATE_NOT_STAGED] = "the image was not all copied in",
		[SHYPER_UPDATE_NO_ROOM] = "the hypervisor has no room set aside for a new image",
		[SHYPER_UPDATE_RENDEZVOUS] = "a pCPU did not stop in time",
		[SHYPER_UPDATE_ROLLED_BACK] = "the new hypervisor could not take over and gave control back",
	};

	return reason < sizeof(text) / sizeof(text[0]) && text[reason] ? text[reason]
								      : "an unknown reason";
}

/* ---- Getting the image ---------------------------------------------------- */

struct fetch {
	char *data;
	size_t len, cap;
	bool too_large;
	shyper_progress_fn progress;
	void *arg;
};

static size_t fetch_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fetch *f = userdata;
	size_t n = size * nmemb;

	if (n > IMAGE_READ_MAX - f->len) {
		f->too_large = true;
		return 0;
	}
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 1 << 20;
		char *grown;

		while (cap < f->len + n)
			cap *= 2;
		grown = realloc(f->data, cap);
		if (!grown)
			return 0;
		f->data = grown;
		f->cap = cap;
	}
	memcpy(f->data + f->len, ptr, n);
	f->len += n;
	return n;
}

static int fetch_progress(void *userdata, curl_off_t total, curl_off_t now, curl_off_t ut,
			  curl_off_t un)
{
	struct fetch *f = userdata;

	(void)ut;
	(void)un;
	if (f->progress)
		f->progress((uint64_t)now, total > 0 ? (uint64_t)total : 0, f->arg);
	return 0;
}

static int read_url(struct shyper *h, const char *url, struct fetch *f)
{
	char curl_error[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	CURL *c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "%s: libcurl would not start", url);
	c = curl_easy_init();
	if (!c)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "%s: out of memory", url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, fetch_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, f->progress ? 0L : 1L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (f->too_large)
		return shyper_fail(h, SHYPER_ERR_INVALID, "%s: more than %u MiB: not a hypervisor image",
				   url, IMAGE_READ_MAX >> 20);
	if (rc != CURLE_OK) {
		if (rc == CURLE_HTTP_RETURNED_ERROR)
			return shyper_fail(h, SHYPER_ERR_NO_ENTRY, "%s: the server answered %ld", url,
					   status);
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "%s: %s", url,
				   curl_error[0] ? curl_error : curl_easy_strerror(rc));
	}
	return 0;
}

static int read_file(struct shyper *h, const char *path, struct fetch *f)
{
	FILE *in = fopen(path, "rb");
	struct stat st;
	char chunk[65536];
	size_t n;

	if (!in)
		return shyper_fail(h, errno == ENOENT ? SHYPER_ERR_NO_ENTRY : SHYPER_ERR_SYSTEM,
				   "%s: %s", path, strerror(errno));
	if (fstat(fileno(in), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(in);
		return shyper_fail(h, SHYPER_ERR_INVALID, "%s: not a regular file", path);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		if (fetch_write(chunk, 1, n, f) != n) {
			fclose(in);
			return shyper_fail(h, f->too_large ? SHYPER_ERR_INVALID : SHYPER_ERR_NO_MEMORY,
					   "%s: %s", path,
					   f->too_large ? "far too large for a hypervisor image"
							: "out of memory");
		}
		if (f->progress)
			f->progress(f->len, (uint64_t)st.st_size, f->arg);
	}
	if (ferror(in)) {
		int e = errno;

		fclose(in);
		return shyper_fail(h, SHYPER_ERR_SYSTEM, "%s: %s", path, strerror(e));
	}
	fclose(in);
	return 0;
}

int shyper_image_read(struct shyper *h, const char *where, void **data, size_t *len,
		      shyper_progress_fn progress, void *arg)
{
	struct fetch f = { .progress = progress, .arg = arg };
	int rc;

	shyper_clear_error(h);
	*data = NULL;
	*len = 0;
	if (!where || !*where)
		return shyper_fail(h, SHYPER_ERR_INVALID, "no image given");
	if (!strncmp(where, "http://", 7) || !strncmp(where, "https://", 8))
		rc = read_url(h, where, &f);
	else
		rc = read_file(h, where, &f);
	if (rc) {
		free(f.data);
		return rc;
	}
	*data = f.data ? f.data : malloc(1);
	if (!*data)
		return shyper_fail(h, SHYPER_ERR_NO_MEMORY, "out of memory");
	*len = f.len;
	return 0;
}

/* ---- The hand-over --------------------------------------------------------- */

/*
 * What the image plainly is not, from its first bytes (0: it looks like a
 * Shyper image). Only for a friendlier message: the hypervisor checks the
 * image itself, and when it refuses one by its size alone (a Linux kernel
 * is larger than the slot) this says what the file really is.
 */
static uint32_t image_kind(const uint8_t *image, size_t len)
{
	uint64_t magic;

	if (!len)
		return SHYPER_UPDATE_EMPTY;
	if (len >= 4 && !memcmp(image, "\x7f" "ELF", 4))
		return SHYPER_UPDATE_ELF;
	if (len < SHYPER_IMAGE_ARM64_MAGIC_OFFSET + 4 ||
	    memcmp(image + SHYPER_IMAGE_ARM64_MAGIC_OFFSET, "ARM\x64", 4))
		return SHYPER_UPDATE_NOT_ARM64_IMAGE;
	if (len < SHYPER_IMAGE_HEADER_OFFSET + sizeof(magic))
		return SHYPER_UPDATE_TRUNCATED;
	memcpy(&magic, image + SHYPER_IMAGE_HEADER_OFFSET, sizeof(magic));
	return magic == SHYPER_IMAGE_MAGIC ? 0 : SHYPER_UPDATE_NOT_SHYPER;
}

int shyper_hv_update(struct shyper *h, const void *image, size_t len, unsigned flags,
		     struct shyper_update_report *report)
{
	struct shyper_ioc_hv_update req;
	const char *what = (flags & SHYPER_UPDATE_CHECK_ONLY) ? "checking the image"
							      : "updating the hypervisor";
	int rc;

	shyper_clear_error(h);
	memset(report, 0, sizeof(*report));
	if (flags & ~SHYPER_UPDATE_CHECK_ONLY)
		return shyper_fail(h, SHYPER_ERR_INVALID, "%s: unknown flags 0x%x", what, flags);
	memset(&req, 0, sizeof(req));
	req.image = (uint64_t)(uintptr_t)image;
	req.len = len;
	req.flags = flags;
	rc = shyper_transport_ioctl(h, SHYPER_IOC_HV_UPDATE, &req);
	*report = req.report;
	report->detail[sizeof(report->detail) - 1] = '\0';
	report->old_version[sizeof(report->old_version) - 1] = '\0';
	report->new_version[sizeof(report->new_version) - 1] = '\0';
	if (rc == 0)
		return 0;
	if (report->size && report->reason == SHYPER_UPDATE_ROLLED_BACK)
		return shyper_fail(h, SHYPER_ERR_ROLLED_BACK,
				   "%s: the new hypervisor could not take over (%s); the running one "
				   "took control back and every VM goes on", what, report->detail);
	if (report->size && report->reason == SHYPER_UPDATE_RENDEZVOUS)
		return shyper_fail(h, SHYPER_ERR_BUSY,
				   "%s: pCPU %u did not stop in time (a real-time guest holding off "
				   "interrupts, or a long call); nothing changed, try again",
				   what, report->pcpu);
	if (report->size && report->reason) {
		uint32_t kind = image_kind(image, len);

		/* Refused for its size, but it is not even ours: say that. */
		if (kind && kind != report->reason)
			return shyper_fail(h, SHYPER_ERR_INVALID, "%s: refused: %s (and %s); "
					   "nothing changed", what, shyper_update_reason_text(kind),
					   shyper_update_reason_text(report->reason));
		return shyper_fail(h, SHYPER_ERR_INVALID, "%s: refused: %s; nothing changed", what,
				   shyper_update_reason_text(report->reason));
	}
	return shyper_fail_errno(h, rc, what);
}
