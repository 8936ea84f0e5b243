// SPDX-License-Identifier: GPL-2.0
/*
 * shyper-guest-run: runs one guest VM from start to end through
 * /dev/shyper's lifecycle ioctls, in the MVM. The end-to-end check of
 * VM_CREATE, VM_LOAD, VM_CONTROL and CONSOLE_READ on the real board.
 *
 *   shyper-guest-run [options] IMAGE
 *       creates a guest (1 vCPU; default name "guest-run", 4 MiB, pinned
 *       to pCPU 1, entry 0x40200000, no device tree), loads the flat binary
 *       IMAGE at the entry address, starts it, copies its console to
 *       stdout until it shuts off, then destroys it. Exit 0 if it shut off
 *       by itself within the timeout, else 1 (the guest is still destroyed).
 *       --name NAME --memory BYTES --pcpu N --timeout SECONDS
 *   shyper-guest-run --destroy ID
 *       one VM_CONTROL(DESTROY) of VM ID; prints the errno name.
 *
 * It uses the ioctls directly, not libshyper: it is a test of the module.
 * Failures print one line "shyper-guest-run: ..." naming the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <shyper/abi.h>

#define DEVICE "/dev/shyper"
#define ENTRY_IPA (SHYPER_GUEST_RAM_BASE + 0x200000) /* as shyper_domain_to_config() */
#define POLL_MS 50
#define DESTROY_RETRY_MS 2000

struct run_options {
	const char *image;
	const char *dtb;        /* loaded at the start of RAM, passed in x0 */
	const char *initrd;
	uint64_t initrd_ipa;
	const char *name;
	uint64_t memory;
	unsigned int pcpu;
	unsigned int timeout_s;
};

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	default: return "errno";
	}
}

static int fail(const char *what, int e)
{
	fprintf(stderr, "shyper-guest-run: %s: %s (%s)\n", what, errno_name(e), strerror(e));
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int vm_control(int fd, uint32_t id, uint32_t op)
{
	struct shyper_ioc_vm_control req = { .id = id, .op = op };

	return ioctl(fd, SHYPER_IOC_VM_CONTROL, &req) < 0 ? -errno : 0;
}

/*
 * DESTROY right after the guest powered itself off can find its vCPU still
 * leaving its pCPU: EBUSY for a moment. Retry for a while.
 */
static int vm_destroy(int fd, uint32_t id)
{
	uint64_t deadline = now_ms() + DESTROY_RETRY_MS;
	int rc;

	while ((rc = vm_control(fd, id, SHYPER_VM_OP_DESTROY)) == -EBUSY && now_ms() < deadline)
		usleep(10000);
	return rc;
}

/* Reads IMAGE whole into a malloc'd buffer. */
static int read_image(const char *path, void **data, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t done = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return st.st_size <= 0 ? -EINVAL : -errno;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n <= 0) {
			free(buf);
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		done += n;
	}
	close(fd);
	*data = buf;
	*len = done;
	return 0;
}

/* Copies the console output from *NEXT on to stdout. Returns 0 or -errno. */
static int console_follow(int fd, uint32_t id, uint64_t *next)
{
	static char buf[4096];
	struct shyper_ioc_console req;

	for (;;) {
		memset(&req, 0, sizeof(req));
		req.id = id;
		req.len = sizeof(buf);
		req.buf = (uintptr_t)buf;
		req.offset = *next;
		if (ioctl(fd, SHYPER_IOC_CONSOLE_READ, &req) < 0)
			return -errno;
		if (req.done > sizeof(buf))
			return -EIO;
		if (req.done && req.offset > *next)
			fprintf(stderr, "shyper-guest-run: %llu console bytes lost\n",
				(unsigned long long)(req.offset - *next));
		if (!req.done)
			return 0;
		fwrite(buf, 1, req.done, stdout);
		fflush(stdout);
		*next = req.offset + req.done;
	}
}

/* Drains the event ring: events only wake us; state is asked for directly. */
static void events_drain(int fd)
{
	struct shyper_event ev[8];

	while (read(fd, ev, sizeof(ev)) > 0)
		;
}

static int vm_state(int fd, uint32_t id, uint32_t *state)
{
	struct shyper_ioc_vm_info req;

	memset(&req, 0, sizeof(req));
	req.id = id;
	if (ioctl(fd, SHYPER_IOC_VM_INFO, &req) < 0)
		return -errno;
	*state = req.info.state;
	return 0;
}

/* Follows the running guest until it stops or the time is up. */
static int follow(int fd, uint32_t id, unsigned int timeout_s)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000, next = 0;
	uint32_t state = SHYPER_VM_RUNNING;
	int rc;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, POLL_MS) > 0 && (pfd.revents & POLLIN))
			events_drain(fd);
		/* State first: output written before the stop is then all there. */
		rc = vm_state(fd, id, &state);
		if (rc)
			return fail("VM_INFO", -rc);
		rc = console_follow(fd, id, &next);
		if (rc)
			return fail("CONSOLE_READ", -rc);
		if (state == SHYPER_VM_SHUTOFF)
			return 0;
		if (state == SHYPER_VM_CRASHED) {
			fprintf(stderr, "shyper-guest-run: VM %u crashed\n", id);
			return 1;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "shyper-guest-run: VM %u still %s after %u s\n", id,
				state == SHYPER_VM_PAUSED ? "paused" : "running", timeout_s);
			return 1;
		}
	}
}

/* Load a whole file into the guest at ipa; 0 or -errno. */
static int load_file(int fd, uint32_t id, uint64_t ipa, const char *path)
{
	struct shyper_ioc_vm_load load;
	void *data = NULL;
	size_t len = 0;
	int rc = read_image(path, &data, &len);

	if (rc)
		return rc;
	load = (struct shyper_ioc_vm_load){ .id = id, .guest_ipa = ipa, .buf = (uintptr_t)data,
					    .len = len };
	rc = ioctl(fd, SHYPER_IOC_VM_LOAD, &load) < 0 ? -errno : 0;
	free(data);
	return rc;
}

static int run(int fd, const struct run_options *opt)
{
	struct shyper_ioc_vm_create create;
	struct shyper_ioc_vm_load load;
	void *image = NULL;
	size_t len = 0;
	int rc, ret;

	rc = read_image(opt->image, &image, &len);
	if (rc) {
		fprintf(stderr, "shyper-guest-run: %s: %s\n", opt->image, strerror(-rc));
		return 1;
	}

	memset(&create, 0, sizeof(create));
	create.config.size = SHYPER_VM_CONFIG_SIZE_V1;
	create.config.type = SHYPER_VM_GVM;
	snprintf(create.config.name, sizeof(create.config.name), "%s", opt->name);
	create.config.vcpu_count = 1;
	create.config.memory = opt->memory;
	create.config.entry_ipa = ENTRY_IPA;
	if (opt->dtb)
		create.config.dtb_ipa = SHYPER_GUEST_RAM_BASE;
	create.config.vcpu_pcpu[0] = (uint8_t)opt->pcpu;
	if (ioctl(fd, SHYPER_IOC_VM_CREATE, &create) < 0) {
		ret = fail("VM_CREATE", errno);
		free(image);
		return ret;
	}

	load = (struct shyper_ioc_vm_load){ .id = create.id, .guest_ipa = ENTRY_IPA,
					    .buf = (uintptr_t)image, .len = len };
	if (ioctl(fd, SHYPER_IOC_VM_LOAD, &load) < 0)
		ret = fail("VM_LOAD", errno);
	else if (opt->dtb && (rc = load_file(fd, create.id, SHYPER_GUEST_RAM_BASE, opt->dtb)))
		ret = fail("VM_LOAD(dtb)", -rc);
	else if (opt->initrd && (rc = load_file(fd, create.id, opt->initrd_ipa, opt->initrd)))
		ret = fail("VM_LOAD(initrd)", -rc);
	else if ((rc = vm_control(fd, create.id, SHYPER_VM_OP_START)))
		ret = fail("VM_CONTROL(START)", -rc);
	else
		ret = follow(fd, create.id, opt->timeout_s);
	free(image);

	/* Whatever happened, leave no guest behind. STOP fails if it is not running. */
	vm_control(fd, create.id, SHYPER_VM_OP_STOP);
	rc = vm_destroy(fd, create.id);
	if (rc)
		return fail("VM_CONTROL(DESTROY)", -rc);
	if (!ret)
		fprintf(stderr, "shyper-guest-run: VM %u shut off and destroyed\n", create.id);
	return ret;
}

static int destroy(int fd, uint32_t id)
{
	int rc = vm_control(fd, id, SHYPER_VM_OP_DESTROY);

	printf("destroy %u: %s\n", id, rc ? errno_name(-rc) : "destroyed");
	return rc ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: shyper-guest-run [--name NAME] [--memory BYTES] [--pcpu N] "
			"[--timeout SECONDS]\n"
			"                        [--dtb FILE] [--initrd FILE --initrd-ipa ADDR] IMAGE\n"
			"       shyper-guest-run --destroy ID\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct run_options opt = { .name = "guest-run", .memory = 4ULL << 20, .pcpu = 1,
				   .timeout_s = 30 };
	int fd, i, ret;

	fd = open(DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail("cannot open " DEVICE, errno);
	if (argc == 3 && !strcmp(argv[1], "--destroy"))
		return destroy(fd, (uint32_t)strtoul(argv[2], NULL, 0));

	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--name"))
			opt.name = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--memory"))
			opt.memory = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--pcpu"))
			opt.pcpu = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--dtb"))
			opt.dtb = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--initrd"))
			opt.initrd = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--initrd-ipa"))
			opt.initrd_ipa = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--timeout"))
			opt.timeout_s = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (argv[i][0] == '-' || opt.image)
			return usage();
		else
			opt.image = argv[i];
	}
	if (!opt.image)
		return usage();
	ret = run(fd, &opt);
	close(fd);
	return ret;
}
