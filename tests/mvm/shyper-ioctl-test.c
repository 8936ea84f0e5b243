// SPDX-License-Identifier: GPL-2.0
/*
 * shyper-ioctl-test: checks how /dev/shyper's ioctls treat bad input, from
 * user space in the MVM, the guest lifecycle ioctls included (refusals
 * only: a guest is never left behind). Runs as root.
 *
 *   shyper-ioctl-test             every check (events too: every reader gets
 *                                 every event; a slow one loses the oldest);
 *                                 exit 0 if all pass, else 1
 *   shyper-ioctl-test --bench N   CNTVCT ticks per SHYPER_IOC_NOP over N calls
 *   shyper-ioctl-test --hv-info   print HV_INFO as "field value" lines
 *   shyper-ioctl-test --events    PING with a fresh cookie, then poll() and
 *                                 read() until its PONG arrives (5 s at most)
 *   shyper-ioctl-test --wait-pong COOKIE
 *                                 open, print "waiting", then block in read()
 *                                 until the PONG for COOKIE (10 s at most)
 *   shyper-ioctl-test --ping COOKIE
 *                                 one PING with COOKIE
 *   shyper-ioctl-test --load KO   load module KO with one finit_module()
 *                                 call (busybox's insmod retries a failed
 *                                 load with init_module(), running the
 *                                 module's init twice); prints the result
 *   shyper-ioctl-test --open-as UID
 *                                 drop to UID (and GID) and try to open the
 *                                 device; prints the errno name; exit 0 if
 *                                 the open was refused with EACCES
 *
 * Each failed check prints one line "FAIL: ..."; a summary line ends the run.
 */
#define _GNU_SOURCE /* process_vm_readv */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <shyper/abi.h>

#define DEVICE "/dev/shyper"

static int failures;
static int checks;

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "success";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOENT: return "ENOENT";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case ENODEV: return "ENODEV";
	case EEXIST: return "EEXIST";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	default: return strerror(e);
	}
}

/* Records one check: the call's result (rc, errno) against what is wanted. */
static void expect(const char *what, int rc, int want_errno)
{
	int got = rc < 0 ? errno : 0;

	checks++;
	if (got != want_errno) {
		printf("FAIL: %s: got %s, want %s\n", what, errno_name(got),
		       errno_name(want_errno));
		failures++;
	}
}

/* An address that is certainly not mapped: a page we unmapped ourselves. */
static void *unmapped_address(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	munmap(p, page);
	return p;
}

static void check_bad_pointers(int fd)
{
	void *bad[2] = { NULL, unmapped_address() };
	const char *bad_name[2] = { "NULL", "unmapped" };
	char msg[128];
	int i;

	for (i = 0; i < 2; i++) {
		struct shyper_ioc_log_read log = { 0 };
		struct shyper_ioc_vm_list list = { 0 };
		struct shyper_ioc_hv_stats stats = { 0 };

		snprintf(msg, sizeof(msg), "HV_INFO(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_HV_INFO, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "LOG_READ(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_LOG_READ, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "VM_LIST(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_LIST, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "VM_INFO(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_INFO, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "PING(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_PING, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "HV_STATS(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_HV_STATS, bad[i]), EFAULT);

		/* A good struct whose data pointer is bad. */
		log.buf = (uintptr_t)bad[i];
		log.len = 64;
		snprintf(msg, sizeof(msg), "LOG_READ(buf %s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_LOG_READ, &log), EFAULT);
		list.buf = (uintptr_t)bad[i];
		list.max = SHYPER_VM_LIST_MAX;
		snprintf(msg, sizeof(msg), "VM_LIST(buf %s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_LIST, &list), EFAULT);
		stats.buf = (uintptr_t)bad[i];
		stats.max = SHYPER_PCPU_STATS_MAX;
		snprintf(msg, sizeof(msg), "HV_STATS(buf %s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_HV_STATS, &stats), EFAULT);
	}
}

static void check_hv_stats_fields(int fd)
{
	static struct shyper_pcpu_stats pcpus[SHYPER_PCPU_STATS_MAX + 1];
	struct shyper_ioc_hv_stats stats = { .buf = (uintptr_t)pcpus };

	stats.max = SHYPER_PCPU_STATS_MAX + 1;
	expect("HV_STATS(max+1)", ioctl(fd, SHYPER_IOC_HV_STATS, &stats), EINVAL);
	stats.max = 0xffffffffU;
	expect("HV_STATS(max ~0)", ioctl(fd, SHYPER_IOC_HV_STATS, &stats), EINVAL);
	stats.max = 0;
	expect("HV_STATS(max 0)", ioctl(fd, SHYPER_IOC_HV_STATS, &stats), 0);
	if (stats.count < 1 || stats.count > SHYPER_PCPU_STATS_MAX) {
		printf("FAIL: HV_STATS(max 0) counts %u pCPUs\n", stats.count);
		failures++;
	}
	/* One record asked for: one written, the rest untouched. */
	memset(pcpus, 0xa5, sizeof(pcpus));
	stats.max = 1;
	expect("HV_STATS(max 1)", ioctl(fd, SHYPER_IOC_HV_STATS, &stats), 0);
	if (pcpus[0].pcpu != 0 || pcpus[1].pcpu != 0xa5a5a5a5U) {
		printf("FAIL: HV_STATS(max 1) wrote pCPU %u, then %#x\n", pcpus[0].pcpu,
		       pcpus[1].pcpu);
		failures++;
	}
}

static void check_bad_fields(int fd)
{
	static char buf[SHYPER_LOG_READ_MAX + 1];
	static struct shyper_vm_info vms[SHYPER_VM_LIST_MAX + 1];
	struct shyper_ioc_log_read log = { .buf = (uintptr_t)buf, .len = 64 };
	struct shyper_ioc_vm_list list = { .buf = (uintptr_t)vms, .max = SHYPER_VM_LIST_MAX };
	struct shyper_ioc_vm_info info = { 0 };

	log.reserved = 1;
	expect("LOG_READ(reserved 1)", ioctl(fd, SHYPER_IOC_LOG_READ, &log), EINVAL);
	log.reserved = 0;
	log.len = SHYPER_LOG_READ_MAX + 1;
	expect("LOG_READ(len max+1)", ioctl(fd, SHYPER_IOC_LOG_READ, &log), EINVAL);
	log.len = 0xffffffffU;
	expect("LOG_READ(len ~0)", ioctl(fd, SHYPER_IOC_LOG_READ, &log), EINVAL);
	log.len = SHYPER_LOG_READ_MAX;
	expect("LOG_READ(len max)", ioctl(fd, SHYPER_IOC_LOG_READ, &log), 0);
	if (log.copied > SHYPER_LOG_READ_MAX || log.copied > log.held) {
		printf("FAIL: LOG_READ: copied %llu of %llu held\n",
		       (unsigned long long)log.copied, (unsigned long long)log.held);
		failures++;
	}

	list.max = SHYPER_VM_LIST_MAX + 1;
	expect("VM_LIST(max+1)", ioctl(fd, SHYPER_IOC_VM_LIST, &list), EINVAL);
	list.max = 0xffffffffU;
	expect("VM_LIST(max ~0)", ioctl(fd, SHYPER_IOC_VM_LIST, &list), EINVAL);
	list.max = 0;
	expect("VM_LIST(max 0)", ioctl(fd, SHYPER_IOC_VM_LIST, &list), 0);
	if (list.count < 1) {
		printf("FAIL: VM_LIST(max 0) counts %u VMs, want at least the MVM\n", list.count);
		failures++;
	}
	list.max = SHYPER_VM_LIST_MAX;
	expect("VM_LIST(max)", ioctl(fd, SHYPER_IOC_VM_LIST, &list), 0);

	check_hv_stats_fields(fd);

	info.id = vms[0].id;
	info.reserved = 1;
	expect("VM_INFO(reserved 1)", ioctl(fd, SHYPER_IOC_VM_INFO, &info), EINVAL);
	info.reserved = 0;
	expect("VM_INFO(MVM)", ioctl(fd, SHYPER_IOC_VM_INFO, &info), 0);
	if (info.info.id != vms[0].id || info.info.size < SHYPER_VM_INFO_SIZE_V1) {
		printf("FAIL: VM_INFO(MVM) gave id %u size %u\n", info.info.id, info.info.size);
		failures++;
	}
	info.id = 0x7fffffff;
	expect("VM_INFO(missing id)", ioctl(fd, SHYPER_IOC_VM_INFO, &info), ENOENT);
	info.id = 0xffffffffU;
	expect("VM_INFO(id ~0)", ioctl(fd, SHYPER_IOC_VM_INFO, &info), ENOENT);
}

/* A guest config the hypervisor accepts (until a field is spoilt). */
static void good_config(struct shyper_vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = SHYPER_VM_CONFIG_SIZE_V1;
	cfg->type = SHYPER_VM_GVM;
	strcpy(cfg->name, "ioctl-test");
	cfg->vcpu_count = 1;
	cfg->memory = SHYPER_GUEST_MEM_ALIGN;
	cfg->entry_ipa = SHYPER_GUEST_RAM_BASE + 0x80000;
	cfg->vcpu_pcpu[0] = 1;
}

/* Each spoilt config must be refused, and no VM must be left behind. */
static void check_create_refused(int fd, const char *what, struct shyper_ioc_vm_create *req,
				 int want_errno)
{
	char msg[128];
	int rc;

	snprintf(msg, sizeof(msg), "VM_CREATE(%s)", what);
	rc = ioctl(fd, SHYPER_IOC_VM_CREATE, req);
	expect(msg, rc, want_errno);
	if (rc == 0) {
		struct shyper_ioc_vm_control destroy = { .id = req->id, .op = SHYPER_VM_OP_DESTROY };

		ioctl(fd, SHYPER_IOC_VM_CONTROL, &destroy);
	}
}

/*
 * VM_CONTROL's SHUTDOWN (ABI 1.2) must reach the hypervisor: the module
 * never refuses op 6 with EINVAL. A hypervisor that has VM_SHUTDOWN answers
 * like the other guest calls: ENOENT for a missing id, EPERM for the MVM.
 * A hypervisor built before VM_SHUTDOWN landed answers NOT_SUPPORTED, which
 * the module turns into EOPNOTSUPP. That is accepted (with a "note:" line),
 * but only for both ids at once: a hypervisor that knows the call must tell
 * the two apart.
 */
static void check_shutdown_op(int fd, uint32_t missing, uint32_t mvm_id)
{
	struct shyper_ioc_vm_control control = { .id = missing, .op = SHYPER_VM_OP_SHUTDOWN };
	int rc_missing, errno_missing, rc_mvm, errno_mvm;

	rc_missing = ioctl(fd, SHYPER_IOC_VM_CONTROL, &control);
	errno_missing = errno;
	control.id = mvm_id;
	rc_mvm = ioctl(fd, SHYPER_IOC_VM_CONTROL, &control);
	errno_mvm = errno;
	if (rc_missing < 0 && errno_missing == EOPNOTSUPP &&
	    rc_mvm < 0 && errno_mvm == EOPNOTSUPP) {
		checks += 2;
		printf("note: VM_CONTROL(shutdown): the hypervisor has no VM_SHUTDOWN yet (EOPNOTSUPP)\n");
		return;
	}
	errno = errno_missing;
	expect("VM_CONTROL(shutdown, missing id)", rc_missing, ENOENT);
	errno = errno_mvm;
	expect("VM_CONTROL(shutdown, MVM)", rc_mvm, EPERM);
}

/* The device ioctls (ABI 1.3, 1.4), refusals only: no guest runs. */
/* The zero-copy buffer: only all of it, shared, at offset 0; it starts
 * zeroed; with it, buf 0 reaches the hypervisor. */
/*
 * The mapped buffer is made of pages the kernel can pin, so a backend can
 * do O_DIRECT I/O straight from it. process_vm_readv() pins the pages it
 * reads (a PFN mapping would fail with EFAULT), and here reads them from
 * this very process.
 */
static void check_vio_pinnable(const unsigned char *map, size_t size)
{
	static unsigned char copy[64 * 1024];
	struct iovec local = { copy, sizeof(copy) };
	struct iovec remote = { (void *)(map + size - sizeof(copy)), sizeof(copy) };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (n != (ssize_t)sizeof(copy)) {
		printf("FAIL the mapped buffer cannot be pinned: process_vm_readv gave %zd (%s)\n",
		       n, n < 0 ? strerror(errno) : "short");
		failures++;
		return;
	}
	for (size_t i = 0; i < sizeof(copy); i++) {
		if (copy[i] != 0x5a) {
			printf("FAIL the mapped buffer read through its pinned pages: byte %zu is "
			       "%#x\n", i, copy[i]);
			failures++;
			return;
		}
	}
	checks++;
}

static void check_vio_mapping(int fd, uint32_t missing)
{
	struct shyper_ioc_vio_fetch fetch = { .id = missing, .len = 64 };
	struct shyper_ioc_vio_complete complete = { .id = missing, .len = 16 };
	size_t size = SHYPER_VIO_IO_MAX;
	unsigned char *map;
	size_t nonzero = 0;

	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	expect("mmap(4 KiB)", map == MAP_FAILED ? -1 : 0, EINVAL);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	expect("mmap(offset 4096)", map == MAP_FAILED ? -1 : 0, EINVAL);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	expect("mmap(private)", map == MAP_FAILED ? -1 : 0, EINVAL);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		printf("FAIL mmap(%zu bytes, shared): %s\n", size, strerror(errno));
		failures++;
		return;
	}
	for (size_t i = 0; i < size; i++)
		nonzero += map[i] != 0;
	if (nonzero) {
		printf("FAIL the mapped buffer has %zu non-zero bytes\n", nonzero);
		failures++;
	}
	memset(map, 0x5a, size); /* it is ours to write */
	check_vio_pinnable(map, size);
	expect("VIO_FETCH(mapped, missing id)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), ENOENT);
	/* ABI 1.5: an offset into the mapped buffer, within it. */
	fetch.offset = 4096 - 16;
	expect("VIO_FETCH(mapped, offset 4080, missing id)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch),
	       ENOENT);
	fetch.offset = SHYPER_VIO_IO_MAX - 63;
	expect("VIO_FETCH(mapped, offset past the end)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch),
	       EINVAL);
	fetch.offset = 4096;
	fetch.len = SHYPER_VIO_IO_MAX;
	expect("VIO_FETCH(mapped, offset + len past the end)",
	       ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), EINVAL);
	fetch.offset = 0xffffffffU;
	fetch.len = 64;
	expect("VIO_FETCH(mapped, offset 2^32-1)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), EINVAL);
	expect("VIO_COMPLETE(mapped, missing id)", ioctl(fd, SHYPER_IOC_VIO_COMPLETE, &complete),
	       ENOENT);
	munmap(map, size);
}

static void check_device_calls(int fd, uint32_t missing, uint32_t mvm_id)
{
	void *bad[2] = { NULL, unmapped_address() };
	const char *bad_name[2] = { "NULL", "unmapped" };
	static char data[64];
	struct shyper_ioc_vm_device dev;
	struct shyper_ioc_vio_fetch fetch;
	struct shyper_ioc_vio_complete complete;
	char msg[128];

	for (int i = 0; i < 2; i++) {
		snprintf(msg, sizeof(msg), "VM_ADD_DEVICE(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_ADD_DEVICE, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "VIO_FETCH(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VIO_FETCH, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "VIO_COMPLETE(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VIO_COMPLETE, bad[i]), EFAULT);
		/* An answer the module cannot read is refused before any call;
		 * buf 0 means the shared buffer, and this file mapped none. */
		complete = (struct shyper_ioc_vio_complete){ .id = missing, .len = 16,
							     .buf = (uintptr_t)bad[i] };
		snprintf(msg, sizeof(msg), "VIO_COMPLETE(buf %s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VIO_COMPLETE, &complete), i ? EFAULT : EINVAL);
	}
	fetch = (struct shyper_ioc_vio_fetch){ .id = missing, .len = 64 };
	expect("VIO_FETCH(buf 0, nothing mapped)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), EINVAL);

	memset(&dev, 0, sizeof(dev));
	dev.id = missing;
	dev.device.size = SHYPER_DEVICE_CONFIG_SIZE_V1;
	dev.device.kind = SHYPER_DEV_VIRTIO_CONSOLE;
	dev.reserved = 1;
	expect("VM_ADD_DEVICE(reserved 1)", ioctl(fd, SHYPER_IOC_VM_ADD_DEVICE, &dev), EINVAL);
	dev.reserved = 0;
	expect("VM_ADD_DEVICE(missing id)", ioctl(fd, SHYPER_IOC_VM_ADD_DEVICE, &dev), ENOENT);
	dev.id = mvm_id;
	expect("VM_ADD_DEVICE(MVM)", ioctl(fd, SHYPER_IOC_VM_ADD_DEVICE, &dev), EPERM);

	fetch = (struct shyper_ioc_vio_fetch){ .id = missing, .buf = (uintptr_t)data,
					       .len = sizeof(data), .offset = 1 };
	expect("VIO_FETCH(offset 1, own buffer)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), EINVAL);
	fetch.offset = 0;
	fetch.len = SHYPER_VIO_IO_MAX + 1;
	expect("VIO_FETCH(len max+1)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), EINVAL);
	fetch.len = sizeof(data);
	fetch.slot = 256;
	expect("VIO_FETCH(slot 256)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), EINVAL);
	fetch.slot = 0;
	expect("VIO_FETCH(missing id)", ioctl(fd, SHYPER_IOC_VIO_FETCH, &fetch), ENOENT);

	complete = (struct shyper_ioc_vio_complete){ .id = missing, .buf = (uintptr_t)data,
						     .len = SHYPER_VIO_IO_MAX + 1 };
	expect("VIO_COMPLETE(len max+1)", ioctl(fd, SHYPER_IOC_VIO_COMPLETE, &complete), EINVAL);
	complete.len = sizeof(data);
	expect("VIO_COMPLETE(missing id)", ioctl(fd, SHYPER_IOC_VIO_COMPLETE, &complete), ENOENT);
	check_vio_mapping(fd, missing);
}

/* The guest lifecycle ioctls (ABI 1.1), refusals only: no guest runs. */
static void check_migration_memory(int fd, uint32_t mvm_id);

static void check_guest_calls(int fd)
{
	void *bad[2] = { NULL, unmapped_address() };
	const char *bad_name[2] = { "NULL", "unmapped" };
	static char data[SHYPER_CONSOLE_IO_MAX + 1];
	struct shyper_ioc_vm_create create;
	struct shyper_ioc_vm_load load;
	struct shyper_ioc_vm_control control;
	struct shyper_ioc_console console;
	struct shyper_vm_info mvm;
	struct shyper_ioc_vm_list list = { .buf = (uintptr_t)&mvm, .max = 1 };
	struct shyper_hv_info hv = { 0 };
	const uint32_t missing = 0x7fffffff;
	char msg[128];
	uint32_t op;
	int i;

	memset(&mvm, 0, sizeof(mvm));
	if (ioctl(fd, SHYPER_IOC_VM_LIST, &list) < 0 || ioctl(fd, SHYPER_IOC_HV_INFO, &hv) < 0) {
		printf("FAIL: VM_LIST/HV_INFO for the guest checks: %s\n", strerror(errno));
		failures++;
		return;
	}

	for (i = 0; i < 2; i++) {
		snprintf(msg, sizeof(msg), "VM_CREATE(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_CREATE, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "VM_LOAD(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_LOAD, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "VM_CONTROL(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_CONTROL, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "CONSOLE_READ(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_CONSOLE_READ, bad[i]), EFAULT);
		snprintf(msg, sizeof(msg), "CONSOLE_WRITE(%s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_CONSOLE_WRITE, bad[i]), EFAULT);

		/* Good structs whose data pointers are bad: refused before any call. */
		load = (struct shyper_ioc_vm_load){ .id = missing, .guest_ipa = SHYPER_GUEST_RAM_BASE,
						    .buf = (uintptr_t)bad[i], .len = 4096 };
		snprintf(msg, sizeof(msg), "VM_LOAD(buf %s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_LOAD, &load), EFAULT);
		console = (struct shyper_ioc_console){ .id = missing, .len = 16,
						       .buf = (uintptr_t)bad[i] };
		snprintf(msg, sizeof(msg), "CONSOLE_WRITE(buf %s)", bad_name[i]);
		expect(msg, ioctl(fd, SHYPER_IOC_CONSOLE_WRITE, &console), EFAULT);
	}

	/* Reserved fields and limits: refused by the module. */
	good_config(&create.config);
	create.id = 0;
	create.reserved = 1;
	check_create_refused(fd, "reserved 1", &create, EINVAL);
	load = (struct shyper_ioc_vm_load){ .id = missing, .reserved = 1,
					    .guest_ipa = SHYPER_GUEST_RAM_BASE,
					    .buf = (uintptr_t)data, .len = 16 };
	expect("VM_LOAD(reserved 1)", ioctl(fd, SHYPER_IOC_VM_LOAD, &load), EINVAL);
	load.reserved = 0;
	load.len = 0;
	expect("VM_LOAD(len 0)", ioctl(fd, SHYPER_IOC_VM_LOAD, &load), EINVAL);
	load.len = 16;
	load.guest_ipa = ~0ULL - 7;
	expect("VM_LOAD(guest_ipa + len overflows)", ioctl(fd, SHYPER_IOC_VM_LOAD, &load), EINVAL);
	console = (struct shyper_ioc_console){ .id = missing, .len = SHYPER_CONSOLE_IO_MAX + 1,
					       .buf = (uintptr_t)data };
	expect("CONSOLE_READ(len max+1)", ioctl(fd, SHYPER_IOC_CONSOLE_READ, &console), EINVAL);
	expect("CONSOLE_WRITE(len max+1)", ioctl(fd, SHYPER_IOC_CONSOLE_WRITE, &console), EINVAL);
	for (op = 0; op < 3; op++) {
		const uint32_t bad_op[3] = { 0, SHYPER_VM_OP_SHUTDOWN + 1, 0xffffffffU };

		control = (struct shyper_ioc_vm_control){ .id = missing, .op = bad_op[op] };
		snprintf(msg, sizeof(msg), "VM_CONTROL(op %#x)", bad_op[op]);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_CONTROL, &control), EINVAL);
	}

	/* No such VM; and the MVM, which is not a guest to manage. */
	load = (struct shyper_ioc_vm_load){ .id = missing, .guest_ipa = SHYPER_GUEST_RAM_BASE,
					    .buf = (uintptr_t)data, .len = 16 };
	expect("VM_LOAD(missing id)", ioctl(fd, SHYPER_IOC_VM_LOAD, &load), ENOENT);
	load.id = mvm.id;
	expect("VM_LOAD(MVM)", ioctl(fd, SHYPER_IOC_VM_LOAD, &load), EPERM);
	for (op = SHYPER_VM_OP_START; op <= SHYPER_VM_OP_RESUME; op++) {
		control = (struct shyper_ioc_vm_control){ .id = missing, .op = op };
		snprintf(msg, sizeof(msg), "VM_CONTROL(op %u, missing id)", op);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_CONTROL, &control), ENOENT);
		control.id = mvm.id;
		snprintf(msg, sizeof(msg), "VM_CONTROL(op %u, MVM)", op);
		expect(msg, ioctl(fd, SHYPER_IOC_VM_CONTROL, &control), EPERM);
	}
	check_shutdown_op(fd, missing, mvm.id);
	check_device_calls(fd, missing, mvm.id);
	check_migration_memory(fd, mvm.id);
	control = (struct shyper_ioc_vm_control){ .id = 0xffffffffU, .op = SHYPER_VM_OP_DESTROY };
	expect("VM_CONTROL(destroy, id ~0)", ioctl(fd, SHYPER_IOC_VM_CONTROL, &control), ENOENT);
	console = (struct shyper_ioc_console){ .id = missing, .len = 16, .buf = (uintptr_t)data };
	expect("CONSOLE_READ(missing id)", ioctl(fd, SHYPER_IOC_CONSOLE_READ, &console), ENOENT);
	expect("CONSOLE_WRITE(missing id)", ioctl(fd, SHYPER_IOC_CONSOLE_WRITE, &console), ENOENT);
	console.id = mvm.id;
	expect("CONSOLE_READ(MVM)", ioctl(fd, SHYPER_IOC_CONSOLE_READ, &console), EPERM);
	expect("CONSOLE_WRITE(MVM)", ioctl(fd, SHYPER_IOC_CONSOLE_WRITE, &console), EPERM);

	/* Bad configs: the module's checks, then the hypervisor's. */
	create.reserved = 0;
	create.config.size = 0;
	check_create_refused(fd, "config size 0", &create, EINVAL);
	create.config.size = SHYPER_VM_CONFIG_SIZE_V1 - 1;
	check_create_refused(fd, "config size V1-1", &create, EINVAL);
	create.config.size = SHYPER_VM_CONFIG_SIZE_V1 + 8;
	check_create_refused(fd, "config size too large", &create, EINVAL);
	good_config(&create.config);
	create.config.flags = 1;
	check_create_refused(fd, "flags 1", &create, EINVAL);
	good_config(&create.config);
	create.config.type = SHYPER_VM_MVM;
	check_create_refused(fd, "type MVM", &create, EINVAL);
	good_config(&create.config);
	create.config.name[0] = '\0';
	check_create_refused(fd, "empty name", &create, EINVAL);
	good_config(&create.config);
	strcpy(create.config.name, "no spaces");
	check_create_refused(fd, "name with a space", &create, EINVAL);
	good_config(&create.config);
	create.config.vcpu_count = 0;
	check_create_refused(fd, "0 vCPUs", &create, EINVAL);
	good_config(&create.config);
	create.config.vcpu_count = SHYPER_MAX_VCPUS + 1;
	check_create_refused(fd, "MAX_VCPUS+1 vCPUs", &create, EINVAL);
	good_config(&create.config);
	create.config.memory = SHYPER_GUEST_MEM_ALIGN + 4096;
	check_create_refused(fd, "memory not 2 MiB aligned", &create, EINVAL);
	good_config(&create.config);
	create.config.entry_ipa = SHYPER_GUEST_RAM_BASE + SHYPER_GUEST_MEM_ALIGN;
	check_create_refused(fd, "entry outside RAM", &create, EINVAL);
	good_config(&create.config);
	create.config.vcpu_pcpu[0] = 200;
	check_create_refused(fd, "pCPU 200", &create, EINVAL);
	good_config(&create.config);
	memcpy(create.config.name, mvm.name, SHYPER_NAME_LEN);
	check_create_refused(fd, "the MVM's name", &create, EEXIST);
	good_config(&create.config);
	create.config.memory = (hv.pool_free / SHYPER_GUEST_MEM_ALIGN + 1) * SHYPER_GUEST_MEM_ALIGN;
	if (create.config.memory <= SHYPER_GUEST_MEM_MAX)
		check_create_refused(fd, "more memory than the pool has free", &create, ENOMEM);
}

/*
 * Live update (ABI 1.8): bad requests are refused before anything is
 * staged; an image the hypervisor refuses says why in the report; and the
 * call wants CAP_SYS_ADMIN even from a process that could open the device.
 * Only CHECK_ONLY is ever asked for: nothing here replaces the hypervisor.
 */
static void expect_eperm_without_cap_sys_admin(int fd, const char *what, unsigned long cmd,
					       void *arg);

static void check_update(int fd)
{
	static const uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	struct shyper_ioc_hv_update req;

	memset(&req, 0, sizeof(req));
	req.image = (uintptr_t)elf;
	req.len = sizeof(elf);
	req.flags = SHYPER_UPDATE_CHECK_ONLY;
	req.reserved = 1;
	expect("HV_UPDATE(reserved)", ioctl(fd, SHYPER_IOC_HV_UPDATE, &req), EINVAL);
	req.reserved = 0;
	req.flags = 0x80;
	expect("HV_UPDATE(flags)", ioctl(fd, SHYPER_IOC_HV_UPDATE, &req), EINVAL);
	req.flags = SHYPER_UPDATE_CHECK_ONLY;
	req.image = (uintptr_t)unmapped_address();
	expect("HV_UPDATE(image unmapped)", ioctl(fd, SHYPER_IOC_HV_UPDATE, &req), EFAULT);
	expect("HV_UPDATE(request unmapped)",
	       ioctl(fd, SHYPER_IOC_HV_UPDATE, unmapped_address()), EFAULT);

	req.image = (uintptr_t)elf;
	expect("HV_UPDATE(an ELF file)", ioctl(fd, SHYPER_IOC_HV_UPDATE, &req), EINVAL);
	checks++;
	if (req.report.size < SHYPER_UPDATE_REPORT_SIZE_V1 || req.report.reason != SHYPER_UPDATE_ELF) {
		printf("FAIL: HV_UPDATE(an ELF file): report size %u reason %u, want reason %u\n",
		       req.report.size, req.report.reason, SHYPER_UPDATE_ELF);
		failures++;
	}
	req.len = 0;
	expect("HV_UPDATE(empty)", ioctl(fd, SHYPER_IOC_HV_UPDATE, &req), EINVAL);
	checks++;
	if (req.report.reason != SHYPER_UPDATE_EMPTY) {
		printf("FAIL: HV_UPDATE(empty): reason %u, want %u\n", req.report.reason,
		       SHYPER_UPDATE_EMPTY);
		failures++;
	}
	req.len = 3ULL << 20; /* more than the slot: refused by its size alone */
	req.image = (uintptr_t)mmap(NULL, req.len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect("HV_UPDATE(3 MiB)", ioctl(fd, SHYPER_IOC_HV_UPDATE, &req), EINVAL);
	checks++;
	if (req.report.reason != SHYPER_UPDATE_TOO_LARGE) {
		printf("FAIL: HV_UPDATE(3 MiB): reason %u, want %u\n", req.report.reason,
		       SHYPER_UPDATE_TOO_LARGE);
		failures++;
	}
	munmap((void *)(uintptr_t)req.image, req.len);

	req.image = (uintptr_t)elf;
	req.len = sizeof(elf);
	expect_eperm_without_cap_sys_admin(fd, "HV_UPDATE", SHYPER_IOC_HV_UPDATE, &req);
}

/*
 * A call made (on the device already open) by a process without
 * CAP_SYS_ADMIN must fail with EPERM.
 */
static void expect_eperm_without_cap_sys_admin(int fd, const char *what, unsigned long cmd,
					       void *arg)
{
	pid_t child;
	int status;

	child = fork();
	if (child == 0) {
		struct { uint32_t version; int pid; } hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
		struct { uint32_t effective, permitted, inheritable; } data[2];

		if (syscall(SYS_capget, &hdr, data))
			_exit(3);
		data[0].effective &= ~(1U << 21); /* CAP_SYS_ADMIN */
		if (syscall(SYS_capset, &hdr, data))
			_exit(3);
		_exit(ioctl(fd, cmd, arg) < 0 && errno == EPERM ? 0 : 1);
	}
	checks++;
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("FAIL: %s without CAP_SYS_ADMIN was not refused with EPERM (%d)\n", what,
		       status);
		failures++;
	}
}

/* Dirty-page logging and a guest's pages (ABI 1.9), on a guest that never runs. */
static void check_migration_memory(int fd, uint32_t mvm_id)
{
	static uint8_t data[3 * 4096];
	uint64_t list[3], bitmap[4];
	struct shyper_ioc_vm_create create;
	struct shyper_ioc_vm_control destroy = { .op = SHYPER_VM_OP_DESTROY };
	struct shyper_ioc_dirty_log log = { .op = SHYPER_DIRTY_START };
	struct shyper_ioc_dirty_fetch fetch = { 0 };
	struct shyper_ioc_vm_pages pages = { 0 };
	uint64_t total;

	good_config(&create.config);
	create.id = 0;
	create.reserved = 0;
	if (ioctl(fd, SHYPER_IOC_VM_CREATE, &create) < 0) {
		printf("FAIL: VM_CREATE for the migration checks: %s\n", strerror(errno));
		failures++;
		return;
	}
	total = SHYPER_GUEST_MEM_ALIGN / 4096;
	log.id = create.id;
	expect("VM_DIRTY_LOG(start)", ioctl(fd, SHYPER_IOC_VM_DIRTY_LOG, &log), 0);
	checks++;
	if (log.pages != total) {
		printf("FAIL: VM_DIRTY_LOG(start): %llu pages, want %llu\n",
		       (unsigned long long)log.pages, (unsigned long long)total);
		failures++;
	}
	expect("VM_DIRTY_LOG(start again)", ioctl(fd, SHYPER_IOC_VM_DIRTY_LOG, &log), EBUSY);

	/* Pages in (it never ran), then out again in another order. */
	memset(data, 0x5a, 4096);
	memset(data + 4096, 0xc3, 4096);
	list[0] = 3;
	list[1] = total - 1;
	pages = (struct shyper_ioc_vm_pages){ .id = create.id, .count = 2,
					      .pages = (uintptr_t)list, .buf = (uintptr_t)data };
	expect("VM_MEM_WRITE", ioctl(fd, SHYPER_IOC_VM_MEM_WRITE, &pages), 0);
	memset(data, 0, sizeof(data));
	list[0] = total - 1;
	list[1] = 0;
	list[2] = 3;
	pages.count = 3;
	expect("VM_MEM_READ", ioctl(fd, SHYPER_IOC_VM_MEM_READ, &pages), 0);
	checks++;
	if (data[0] != 0xc3 || data[4095] != 0xc3 || data[4096] != 0 || data[8191] != 0 ||
	    data[8192] != 0x5a || data[3 * 4096 - 1] != 0x5a) {
		printf("FAIL: VM_MEM_READ gave back %02x %02x %02x\n", data[0], data[4096],
		       data[8192]);
		failures++;
	}

	/* The window of the first 256 pages: nothing ran, nothing is dirty. */
	fetch = (struct shyper_ioc_dirty_fetch){ .id = create.id, .buf = (uintptr_t)bitmap,
						 .len = sizeof(bitmap) };
	memset(bitmap, 0xff, sizeof(bitmap));
	expect("VM_DIRTY_FETCH", ioctl(fd, SHYPER_IOC_VM_DIRTY_FETCH, &fetch), 0);
	checks++;
	if (fetch.dirty || bitmap[0] || bitmap[3]) {
		printf("FAIL: VM_DIRTY_FETCH: %llu dirty in a guest that never ran\n",
		       (unsigned long long)fetch.dirty);
		failures++;
	}

	/* Refused, and nothing changes. */
	list[0] = total;
	pages.count = 1;
	expect("VM_MEM_READ(page past its RAM)", ioctl(fd, SHYPER_IOC_VM_MEM_READ, &pages), EINVAL);
	list[0] = 0;
	pages.count = 0;
	expect("VM_MEM_READ(no pages)", ioctl(fd, SHYPER_IOC_VM_MEM_READ, &pages), EINVAL);
	pages.count = SHYPER_IOC_PAGES_MAX + 1;
	expect("VM_MEM_READ(too many)", ioctl(fd, SHYPER_IOC_VM_MEM_READ, &pages), EINVAL);
	pages.count = 1;
	pages.buf = (uintptr_t)unmapped_address();
	expect("VM_MEM_READ(buf unmapped)", ioctl(fd, SHYPER_IOC_VM_MEM_READ, &pages), EFAULT);
	pages.buf = (uintptr_t)data;
	pages.pages = (uintptr_t)unmapped_address();
	expect("VM_MEM_WRITE(list unmapped)", ioctl(fd, SHYPER_IOC_VM_MEM_WRITE, &pages), EFAULT);
	pages.pages = (uintptr_t)list;
	pages.id = mvm_id;
	expect("VM_MEM_READ(the MVM)", ioctl(fd, SHYPER_IOC_VM_MEM_READ, &pages), EPERM);
	pages.id = 0x7fffffff;
	expect("VM_MEM_READ(no such VM)", ioctl(fd, SHYPER_IOC_VM_MEM_READ, &pages), ENOENT);
	pages.id = create.id;
	fetch.first_page = 63;
	expect("VM_DIRTY_FETCH(first page 63)", ioctl(fd, SHYPER_IOC_VM_DIRTY_FETCH, &fetch), EINVAL);
	fetch.first_page = 0;
	fetch.len = 7;
	expect("VM_DIRTY_FETCH(7 bytes)", ioctl(fd, SHYPER_IOC_VM_DIRTY_FETCH, &fetch), EINVAL);
	fetch.len = 8;
	fetch.reserved = 1;
	expect("VM_DIRTY_FETCH(reserved)", ioctl(fd, SHYPER_IOC_VM_DIRTY_FETCH, &fetch), EINVAL);
	fetch.reserved = 0;
	fetch.first_page = total + 64;
	expect("VM_DIRTY_FETCH(past its RAM)", ioctl(fd, SHYPER_IOC_VM_DIRTY_FETCH, &fetch), EINVAL);
	fetch.first_page = 0;
	log.id = mvm_id;
	expect("VM_DIRTY_LOG(the MVM)", ioctl(fd, SHYPER_IOC_VM_DIRTY_LOG, &log), EPERM);
	log.id = create.id;
	log.op = 9;
	expect("VM_DIRTY_LOG(op 9)", ioctl(fd, SHYPER_IOC_VM_DIRTY_LOG, &log), EINVAL);
	expect_eperm_without_cap_sys_admin(fd, "VM_MEM_READ", SHYPER_IOC_VM_MEM_READ, &pages);
	expect_eperm_without_cap_sys_admin(fd, "VM_DIRTY_FETCH", SHYPER_IOC_VM_DIRTY_FETCH, &fetch);
	log.op = SHYPER_DIRTY_STOP;
	expect_eperm_without_cap_sys_admin(fd, "VM_DIRTY_LOG", SHYPER_IOC_VM_DIRTY_LOG, &log);

	/* A guest's state: only a paused one gives it, only a fresh one takes
	 * it, and only whole and well-formed (the hypervisor checks). */
	{
		struct shyper_ioc_vm_state st = { .id = create.id, .buf = (uintptr_t)data,
						  .len = sizeof(data) };

		expect("VM_STATE_SAVE(not paused)", ioctl(fd, SHYPER_IOC_VM_STATE_SAVE, &st), EBUSY);
		memset(data, 0, sizeof(data));
		memcpy(data, "SHYVMST", 8);
		expect("VM_STATE_LOAD(garbage)", ioctl(fd, SHYPER_IOC_VM_STATE_LOAD, &st), EINVAL);
		st.len = 0;
		expect("VM_STATE_LOAD(empty)", ioctl(fd, SHYPER_IOC_VM_STATE_LOAD, &st), EINVAL);
		st.len = SHYPER_VM_STATE_MAX + 1;
		expect("VM_STATE_LOAD(too large)", ioctl(fd, SHYPER_IOC_VM_STATE_LOAD, &st), EINVAL);
		st.len = 64;
		st.reserved = 1;
		expect("VM_STATE_SAVE(reserved)", ioctl(fd, SHYPER_IOC_VM_STATE_SAVE, &st), EINVAL);
		st.reserved = 0;
		st.buf = (uintptr_t)unmapped_address();
		expect("VM_STATE_LOAD(unmapped)", ioctl(fd, SHYPER_IOC_VM_STATE_LOAD, &st), EFAULT);
		st.buf = (uintptr_t)data;
		st.id = mvm_id;
		expect("VM_STATE_SAVE(the MVM)", ioctl(fd, SHYPER_IOC_VM_STATE_SAVE, &st), EPERM);
		st.id = create.id;
		expect_eperm_without_cap_sys_admin(fd, "VM_STATE_LOAD", SHYPER_IOC_VM_STATE_LOAD, &st);
	}

	expect("VM_DIRTY_LOG(stop)", ioctl(fd, SHYPER_IOC_VM_DIRTY_LOG, &log), 0);
	expect("VM_DIRTY_LOG(stop again)", ioctl(fd, SHYPER_IOC_VM_DIRTY_LOG, &log), EBUSY);
	expect("VM_DIRTY_FETCH(logging off)", ioctl(fd, SHYPER_IOC_VM_DIRTY_FETCH, &fetch), EBUSY);
	/* A log left on goes with the VM. */
	log.op = SHYPER_DIRTY_START;
	expect("VM_DIRTY_LOG(start, then destroy)", ioctl(fd, SHYPER_IOC_VM_DIRTY_LOG, &log), 0);
	destroy.id = create.id;
	expect("VM_CONTROL(destroy)", ioctl(fd, SHYPER_IOC_VM_CONTROL, &destroy), 0);
}

static void check_bad_numbers(int fd)
{
	struct { unsigned long cmd; const char *what; } bad[] = {
		{ _IO(SHYPER_IOC_MAGIC, 0x05), "magic, unused number 0x05" },
		{ _IO(SHYPER_IOC_MAGIC, 0x07), "magic, unused number 0x07" },
		{ _IO(SHYPER_IOC_MAGIC, 0xff), "magic, number 0xff" },
		{ _IO(SHYPER_IOC_MAGIC, 0x01), "HV_INFO without direction and size" },
		{ _IOW(SHYPER_IOC_MAGIC, 0x01, struct shyper_hv_info), "HV_INFO as _IOW" },
		{ _IOR(SHYPER_IOC_MAGIC, 0x01, uint32_t), "HV_INFO with size 4" },
		{ _IOWR(SHYPER_IOC_MAGIC, 0x02, uint64_t), "LOG_READ with size 8" },
		{ _IOWR(SHYPER_IOC_MAGIC, 0x03, struct shyper_ioc_log_read), "VM_LIST with LOG_READ's size" },
		{ _IOR(SHYPER_IOC_MAGIC, 0x04, struct shyper_ioc_vm_info), "VM_INFO as _IOR" },
		{ _IOW(SHYPER_IOC_MAGIC, 0x06, uint32_t), "PING with size 4" },
		{ _IOR(SHYPER_IOC_MAGIC + 1, 0x01, struct shyper_hv_info), "HV_INFO with the wrong magic" },
		{ _IO(SHYPER_IOC_MAGIC, 0x00) | 0x40000000UL, "NOP with a direction bit" },
		{ 0, "number 0" },
		{ TCGETS, "TCGETS" },
	};
	struct shyper_hv_info scratch[4];
	char msg[160];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg), "ioctl %#lx (%s)", bad[i].cmd, bad[i].what);
		expect(msg, ioctl(fd, bad[i].cmd, scratch), ENOTTY);
	}
}

static void check_good_calls(int fd)
{
	struct shyper_hv_info info;

	expect("NOP", ioctl(fd, SHYPER_IOC_NOP), 0);
	memset(&info, 0, sizeof(info));
	expect("HV_INFO", ioctl(fd, SHYPER_IOC_HV_INFO, &info), 0);
	if (info.size < SHYPER_HV_INFO_SIZE_V1 ||
	    info.abi_version >> 16 != SHYPER_ABI_MAJOR) {
		printf("FAIL: HV_INFO gave size %u, ABI %#x\n", info.size, info.abi_version);
		failures++;
	}
}

static void check_read(int fd)
{
	struct shyper_event ev;
	char small[sizeof(ev) - 1];
	int flags = fcntl(fd, F_GETFL);
	ssize_t n = 0;
	int i;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	expect("read(count < one event)", (int)read(fd, small, sizeof(small)), EINVAL);
	/* Drain what waits (whole records only); then an empty ring: EAGAIN. */
	for (i = 0; i < 1000; i++) {
		n = read(fd, &ev, sizeof(ev));
		if (n != (ssize_t)sizeof(ev))
			break;
	}
	expect("read(O_NONBLOCK, empty ring)", (int)n, EAGAIN);
	fcntl(fd, F_SETFL, flags);
}

static int open_device(void)
{
	int fd = open(DEVICE, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "shyper-ioctl-test: cannot open %s: %s\n", DEVICE, strerror(errno));
		exit(2);
	}
	return fd;
}

/* A PING cookie no other run or call of this one uses. */
static uint64_t fresh_cookie(void)
{
	static uint64_t calls;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return ((uint64_t)now.tv_sec << 32 ^ (uint64_t)now.tv_nsec ^ (uint64_t)getpid() << 16) +
	       ++calls;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

/*
 * Reads fd (blocking in poll(), 5 s at most) until the PONG with cookie
 * arrives; stores it in *pong. Returns 0 if it came, -1 if not. Events
 * before it are skipped; a PONG for `unwanted` among them is a failure
 * (pass 0 for none).
 */
static int read_pong(int fd, uint64_t cookie, uint64_t unwanted, struct shyper_event *pong,
		     const char *who)
{
	struct shyper_event ev[8];
	int waited_ms = 0, i;
	ssize_t n;

	while (waited_ms < 5000) {
		if (!wait_readable(fd, 100)) {
			waited_ms += 100;
			continue;
		}
		n = read(fd, ev, sizeof(ev));
		if (n < 0 || n % sizeof(ev[0])) {
			printf("FAIL: %s: read gave %zd (%s), want whole events\n", who, n,
			       n < 0 ? errno_name(errno) : "success");
			failures++;
			return -1;
		}
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type != SHYPER_EVENT_PONG)
				continue;
			if (unwanted && ev[i].data[0] == unwanted) {
				printf("FAIL: %s: got the PONG %#llx of a PING made before it opened\n",
				       who, (unsigned long long)unwanted);
				failures++;
			}
			if (ev[i].data[0] == cookie) {
				*pong = ev[i];
				return 0;
			}
		}
	}
	printf("FAIL: %s: no PONG for cookie %#llx within 5 s\n", who, (unsigned long long)cookie);
	failures++;
	return -1;
}

static int ping(int fd, uint64_t cookie, const char *what)
{
	if (ioctl(fd, SHYPER_IOC_PING, &cookie) == 0)
		return 0;
	printf("FAIL: %s: PING: %s\n", what, errno_name(errno));
	failures++;
	return -1;
}

/*
 * Every open file gets every event posted after it was opened: two files
 * both get one PONG (same seq), each file's poll() answers for itself, and
 * a file opened after an event does not get it.
 */
static void check_events_every_reader(void)
{
	int first = open_device(), second = open_device(), late;
	struct shyper_event pong_first, pong_second, pong_late, ev;
	uint64_t cookie = fresh_cookie(), late_cookie = fresh_cookie();

	checks += 6;
	if (ping(first, cookie, "two readers") ||
	    read_pong(first, cookie, 0, &pong_first, "first reader"))
		goto out;
	/* The first file has read it; the second still has it waiting. */
	fcntl(first, F_SETFL, fcntl(first, F_GETFL) | O_NONBLOCK);
	if (read(first, &ev, sizeof(ev)) >= 0 || errno != EAGAIN) {
		printf("FAIL: first reader: more than the PONG to read, or not EAGAIN: %s\n",
		       errno_name(errno));
		failures++;
	}
	if (wait_readable(first, 0)) {
		printf("FAIL: poll(first reader) says readable after it read everything\n");
		failures++;
	}
	if (!wait_readable(second, 0)) {
		printf("FAIL: poll(second reader) not readable though it has not read the PONG\n");
		failures++;
	}
	if (read_pong(second, cookie, 0, &pong_second, "second reader"))
		goto out;
	if (pong_first.seq != pong_second.seq) {
		printf("FAIL: the two readers got the PONG with seq %llu and %llu\n",
		       (unsigned long long)pong_first.seq, (unsigned long long)pong_second.seq);
		failures++;
	}

	/* Opened after the first PONG: it gets the next one, not that one. */
	late = open_device();
	if (!ping(second, late_cookie, "late reader") &&
	    !read_pong(late, late_cookie, cookie, &pong_late, "late reader") &&
	    pong_late.seq <= pong_first.seq) {
		printf("FAIL: late reader: PONG seq %llu, not after the earlier %llu\n",
		       (unsigned long long)pong_late.seq, (unsigned long long)pong_first.seq);
		failures++;
	}
	if (!read_pong(first, late_cookie, 0, &ev, "first reader, second PONG") &&
	    ev.seq != pong_late.seq) {
		printf("FAIL: first and late reader got the second PONG with seq %llu and %llu\n",
		       (unsigned long long)ev.seq, (unsigned long long)pong_late.seq);
		failures++;
	}
	close(late);
out:
	close(first);
	close(second);
}

/*
 * kernel-module/shyper.h's SHYPER_EVENT_HISTORY: events the driver keeps.
 * A reader further behind loses the oldest (and the kernel log says so).
 */
#define DRIVER_EVENT_HISTORY 256
#define OVERRUN_PINGS (2 * DRIVER_EVENT_HISTORY + 44)

/*
 * A reader that does not keep up skips to the oldest event held: after
 * OVERRUN_PINGS PONGs it reads exactly the last DRIVER_EVENT_HISTORY, in
 * seq order without holes, the gap before them visible in seq. Meanwhile a
 * reader that keeps up gets every PONG, and the hypervisor's ring (drained
 * on each read) never fills: no PING is refused.
 */
static void check_events_overrun(void)
{
	static struct shyper_event got[OVERRUN_PINGS + 1];
	int idle = open_device(), eager = open_device();
	uint64_t first_seq = 0, last_seq = 0;
	struct shyper_event ev;
	int i, pongs = 0;
	ssize_t n;

	checks += 3;
	fcntl(eager, F_SETFL, fcntl(eager, F_GETFL) | O_NONBLOCK);
	fcntl(idle, F_SETFL, fcntl(idle, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < OVERRUN_PINGS; i++) {
		uint64_t cookie = 0x5eed0000ULL + (uint64_t)i;

		if (ping(eager, cookie, "overrun"))
			goto out;
		while (read(eager, &ev, sizeof(ev)) == (ssize_t)sizeof(ev)) {
			if (ev.type != SHYPER_EVENT_PONG || ev.data[0] != cookie)
				continue;
			if (!first_seq)
				first_seq = ev.seq;
			last_seq = ev.seq;
			pongs++;
		}
	}
	if (pongs != OVERRUN_PINGS) {
		printf("FAIL: overrun: the reader that kept up got %d of %d PONGs\n", pongs,
		       OVERRUN_PINGS);
		failures++;
	}

	n = read(idle, got, sizeof(got));
	if (n != DRIVER_EVENT_HISTORY * (ssize_t)sizeof(got[0])) {
		printf("FAIL: overrun: the idle reader read %zd bytes (%s), want %d events\n", n,
		       n < 0 ? errno_name(errno) : "success", DRIVER_EVENT_HISTORY);
		failures++;
		goto out;
	}
	for (i = 1; i < DRIVER_EVENT_HISTORY; i++) {
		if (got[i].seq != got[i - 1].seq + 1) {
			printf("FAIL: overrun: seq %llu follows %llu\n",
			       (unsigned long long)got[i].seq, (unsigned long long)got[i - 1].seq);
			failures++;
			goto out;
		}
	}
	if (got[DRIVER_EVENT_HISTORY - 1].seq != last_seq ||
	    got[0].seq != last_seq - DRIVER_EVENT_HISTORY + 1 || got[0].seq <= first_seq) {
		printf("FAIL: overrun: the idle reader got seq %llu..%llu, PONGs were %llu..%llu\n",
		       (unsigned long long)got[0].seq,
		       (unsigned long long)got[DRIVER_EVENT_HISTORY - 1].seq,
		       (unsigned long long)first_seq, (unsigned long long)last_seq);
		failures++;
	}
out:
	close(idle);
	close(eager);
}

static uint64_t counter(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

#define BENCH_BATCHES 5

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median over BENCH_BATCHES batches of n calls, in ticks per call. */
static double bench_median(int fd, long n, int use_ioctl)
{
	uint64_t ticks[BENCH_BATCHES], start;
	long i;
	int b;

	for (b = 0; b < BENCH_BATCHES; b++) {
		start = counter();
		for (i = 0; i < n; i++) {
			if (!use_ioctl) {
				syscall(SYS_getppid);
			} else if (ioctl(fd, SHYPER_IOC_NOP) < 0) {
				fprintf(stderr, "shyper-ioctl-test: SHYPER_IOC_NOP: %s\n",
					strerror(errno));
				exit(1);
			}
		}
		ticks[b] = counter() - start;
	}
	qsort(ticks, BENCH_BATCHES, sizeof(ticks[0]), cmp_u64);
	return (double)ticks[BENCH_BATCHES / 2] / n;
}

/* Null ioctl, and a null system call (getppid) as the reference. */
static int bench(long n)
{
	int fd = open_device();
	double nop, syscall_ref;
	uint64_t freq;

	if (n <= 0) {
		fprintf(stderr, "shyper-ioctl-test: --bench needs a positive count\n");
		return 2;
	}
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	nop = bench_median(fd, n, 1);
	syscall_ref = bench_median(fd, n, 0);
	printf("ioctl-bench: %ld SHYPER_IOC_NOP calls x %d batches (median): %.2f ticks/call; "
	       "getppid() %.2f ticks/call; counter %llu Hz\n",
	       n, BENCH_BATCHES, nop, syscall_ref, (unsigned long long)freq);
	return 0;
}

static int print_hv_info(void)
{
	struct shyper_hv_info info;
	int fd = open_device();

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SHYPER_IOC_HV_INFO, &info) < 0) {
		fprintf(stderr, "shyper-ioctl-test: HV_INFO: %s\n", strerror(errno));
		return 1;
	}
	printf("size %u\nabi_version %#x\nversion %.32s\nboard %.64s\ngic_version %u\n"
	       "pcpu_count %u\nmem_total %llu\nmem_hypervisor %llu\npool_total %llu\n"
	       "pool_free %llu\nuptime_ns %llu\nvm_count %u\nvm_max %u\n",
	       info.size, info.abi_version, info.version, info.board, info.gic_version,
	       info.pcpu_count, (unsigned long long)info.mem_total,
	       (unsigned long long)info.mem_hypervisor, (unsigned long long)info.pool_total,
	       (unsigned long long)info.pool_free, (unsigned long long)info.uptime_ns,
	       info.vm_count, info.vm_max);
	return 0;
}

/* PING, then wait for the PONG carrying our cookie; other events are skipped. */
static int events(void)
{
	int fd = open_device();
	struct shyper_event ev[4];
	uint64_t cookie = fresh_cookie();
	int waited_ms = 0, i;
	ssize_t n;

	if (ioctl(fd, SHYPER_IOC_PING, &cookie) < 0) {
		fprintf(stderr, "shyper-ioctl-test: PING: %s\n", strerror(errno));
		return 1;
	}
	while (waited_ms < 5000) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) < 0) {
			perror("poll");
			return 1;
		}
		waited_ms += 100;
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(fd, ev, sizeof(ev));
		if (n < 0) {
			perror("read");
			return 1;
		}
		if (n % sizeof(ev[0])) {
			fprintf(stderr, "shyper-ioctl-test: read %zd bytes: not whole events\n", n);
			return 1;
		}
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type == SHYPER_EVENT_PONG && ev[i].data[0] == cookie) {
				printf("events: PONG %#llx (seq %llu)\n", (unsigned long long)cookie,
				       (unsigned long long)ev[i].seq);
				return 0;
			}
		}
	}
	fprintf(stderr, "shyper-ioctl-test: no PONG for cookie %#llx within 5 s\n",
		(unsigned long long)cookie);
	return 1;
}

/*
 * Opens the device, says "waiting" and then blocks in read() (no poll(),
 * no O_NONBLOCK) until the PONG with cookie arrives; 10 s at most.
 */
static int wait_pong(uint64_t cookie)
{
	int fd = open_device();
	struct shyper_event ev;
	ssize_t n;

	printf("waiting\n");
	fflush(stdout);
	alarm(10);
	for (;;) {
		n = read(fd, &ev, sizeof(ev));
		if (n != (ssize_t)sizeof(ev)) {
			fprintf(stderr, "shyper-ioctl-test: read gave %zd: %s\n", n,
				n < 0 ? strerror(errno) : "not one event");
			return 1;
		}
		if (ev.type == SHYPER_EVENT_PONG && ev.data[0] == cookie) {
			printf("wait-pong: PONG %#llx (seq %llu)\n", (unsigned long long)cookie,
			       (unsigned long long)ev.seq);
			return 0;
		}
	}
}

static int ping_once(uint64_t cookie)
{
	int fd = open_device();

	if (ioctl(fd, SHYPER_IOC_PING, &cookie) < 0) {
		fprintf(stderr, "shyper-ioctl-test: PING: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long rc;

	if (fd < 0) {
		fprintf(stderr, "shyper-ioctl-test: %s: %s\n", path, strerror(errno));
		return 2;
	}
	rc = syscall(SYS_finit_module, fd, "", 0);
	printf("load %s: %s\n", path, rc ? errno_name(errno) : "loaded");
	close(fd);
	return rc ? 1 : 0;
}

static int open_as(long uid)
{
	int fd;

	if (setgid(uid) || setuid(uid)) {
		fprintf(stderr, "shyper-ioctl-test: cannot become uid %ld: %s\n", uid, strerror(errno));
		return 2;
	}
	fd = open(DEVICE, O_RDWR);
	printf("open-as %ld: %s\n", uid, fd < 0 ? errno_name(errno) : "opened");
	return fd < 0 && errno == EACCES ? 0 : 1;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(strtol(argv[2], NULL, 0));
	if (argc == 2 && !strcmp(argv[1], "--hv-info"))
		return print_hv_info();
	if (argc == 2 && !strcmp(argv[1], "--events"))
		return events();
	if (argc == 3 && !strcmp(argv[1], "--wait-pong"))
		return wait_pong(strtoull(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "--ping"))
		return ping_once(strtoull(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "--load"))
		return load_module(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--open-as"))
		return open_as(strtol(argv[2], NULL, 0));
	if (argc != 1) {
		fprintf(stderr, "usage: shyper-ioctl-test [--bench N | --hv-info | --events | "
			"--wait-pong COOKIE | --ping COOKIE | --load KO | --open-as UID]\n");
		return 2;
	}

	fd = open_device();
	check_good_calls(fd);
	check_bad_pointers(fd);
	check_bad_fields(fd);
	check_guest_calls(fd);
	check_bad_numbers(fd);
	check_update(fd);
	check_read(fd);
	close(fd);
	check_events_every_reader();
	check_events_overrun();
	printf("shyper-ioctl-test: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
