// SPDX-License-Identifier: GPL-2.0
/*
 * testguest: a bare-metal guest for Shyper's system tests. It reads what to
 * do from its device tree's /chosen/bootargs (space-separated words; others,
 * like console=..., are ignored), prints on the guest machine's PL011 and,
 * unless told to run forever, powers its VM off with PSCI SYSTEM_OFF.
 *
 *   mode=hello         print a line, power off (also with no mode or no DTB)
 *   mode=hvc-mgmt      call every Shyper management hypercall of
 *                      <shyper/abi.h>, print "hvc 0xc60000NN -> STATUS (NAME)"
 *                      for each (a guest must get SHYPER_E_DENIED, -3), then
 *                      "hvc-mgmt done"
 *   touch=A[,A...]     read, then (second pass) write, each address; an abort
 *                      the hypervisor injects is caught by our vector:
 *                      "fault: read 0xA ESR=0x... FAR=0x..."; an access that
 *                      does not fault prints "no fault: ..."; then "touch done"
 *   pattern=BYTE       check that all our RAM but the image, its stack and the
 *                      DTB came zeroed, fill it with BYTE, verify: "pattern ok";
 *                      then=wait (default) WFI for ever, then=off power off,
 *                      then=recheck verify again about once a second for ever
 *   mode=dirty         migration's test guest (as QEMU's own migration test):
 *                      add one to the first byte of every page of its RAM
 *                      (pattern= ranges), page after page, pass after pass,
 *                      for ever. About once a second, between two passes,
 *                      check that every page holds the pass count and print
 *                      "dirty ok pass N gap G us" (G: the longest the loop
 *                      ever waited between two pages, in its virtual time),
 *                      or "dirty BAD page 0xA has X, pass N" (a write lost:
 *                      a page copied before its last change and never again)
 *   dirtymib=N         with mode=dirty: only the first N MiB of those pages
 *                      (a guest that dirties part of its RAM at a steady rate)
 *   mode=spin          a busy loop for ever (a runaway guest)
 *   work=N             N rounds of a CPU-bound loop; prints the counter ticks
 *                      (CNTVCT_EL0) they took and the counter frequency
 *   mode=reset         print a line, wait a second (long enough to be seen
 *                      running, e.g. by `shyperctl vm console`, when the MVM
 *                      reboots it again and again), PSCI SYSTEM_RESET
 *   mode=smp           start every other vCPU of /cpus with PSCI CPU_ON; each
 *                      prints "vCPU N up" (N = MPIDR Aff0), then power off
 *   mode=wait          print "waiting", WFI for ever
 *   mode=crash         a load pair from the PL011 (an access the hypervisor
 *                      cannot decode: ISV clear): the VM crashes
 *   mode=hold-off      claim an active interrupt at priority 0 in
 *                      ICC_AP1R0_EL1 (real in an RTVM: it then masks every
 *                      interrupt, the hypervisor's too), then spin for ever
 *   blk=SLOT[,ROSLOT]  drive the virtio-blk disk in virtio-mmio SLOT (and the
 *                      read-only one in ROSLOT) like a hostile guest would
 *                      (blk.c): "blk: NAME status=N" per request, then
 *                      "blk done"
 *   blkread=SLOT       read the first 64 KiB of the disk in SLOT:
 *                      "blkread: status=N capacity=SECTORS fnv=HEX"
 *   blkdirty=SLOT      write the first 256 KiB of the disk in SLOT over and
 *                      over, each pass marked with its number, and read it
 *                      back: "blkdirty ok pass N" or "blkdirty BAD block B
 *                      has pass P, pass N" (migration's disk test guest)
 *   blkstorm=SLOT      reads and writes on the disk in SLOT, a full queue of
 *                      them, for ever (to be destroyed mid-request)
 *   anything else      print "unknown mode ...", power off
 *
 * then=wait makes any mode that would power off print "testguest: done,
 * waiting" and WFI for ever instead (to read its console at leisure, e.g.
 * with `shyperctl vm console`); then=off powers off after pattern=.
 *
 * Every line it prints starts with "testguest: ", except the per-item lines
 * named above, which tests match exactly.
 */
#include <shyper/abi.h>

#include "testguest.h"

/* What bootargs asked for. */
enum mode { MODE_HELLO, MODE_HVC_MGMT, MODE_TOUCH, MODE_PATTERN, MODE_DIRTY, MODE_SPIN, MODE_WORK,
	    MODE_CRASH, MODE_HOLD_OFF, MODE_RESET, MODE_SMP, MODE_WAIT, MODE_BLK, MODE_BLK_READ, MODE_BLK_STORM,
	    MODE_BLK_DIRTY,
	    MODE_UNKNOWN };
enum then { THEN_DEFAULT, THEN_WAIT, THEN_OFF, THEN_RECHECK };

struct options {
	enum mode mode;
	enum then then;
	const char *mode_word;	/* for "unknown mode" */
	const char *touch_list;	/* at the first address, ends at ' ' or NUL */
	uint8_t pattern;
	uint64_t work_rounds;
	unsigned int blk_slot;
	int blk_ro_slot;	/* -1: none */
	uint64_t dirty_mib;	/* mode=dirty's region; 0: all it may write */
};

/* The device tree vCPU 0 got in x0, once checked (else NULL). */
static const void *dtb;
static uint32_t dtb_size;

/* ---- Power ---------------------------------------------------------------- */

static void __attribute__((noreturn)) wait_forever(void)
{
	for (;;)
		__asm__ volatile("wfi");
}

static void __attribute__((noreturn)) system_off(void)
{
	struct smccc_res res = smccc_call(PSCI_SYSTEM_OFF, 0, 0, 0);

	console_printf("testguest: SYSTEM_OFF returned %ld\n", (long)res.a0);
	wait_forever();
}

/* Busy-waits on the virtual counter (no interrupts are set up). */
static void delay_seconds(unsigned int seconds)
{
	uint64_t end = counter_ticks() + seconds * read_sysreg(cntfrq_el0);

	while (counter_ticks() < end)
		;
}

/* ---- Exceptions --------------------------------------------------------------- */

/* A fault probe_read()/probe_write() is waiting for (touch mode). */
static volatile bool probe_armed;
static volatile bool probe_faulted;
static volatile uint64_t probe_esr, probe_far;

#define VECTOR_CURRENT_SPX_SYNC 4

void exception_handle(unsigned int kind, struct exception_frame *frame)
{
	uint64_t esr = read_sysreg(esr_el1), far = read_sysreg(far_el1);

	if (kind == VECTOR_CURRENT_SPX_SYNC && probe_armed) {
		probe_armed = false;
		probe_faulted = true;
		probe_esr = esr;
		probe_far = far;
		frame->elr += 4; /* step over the one access of the probe */
		return;
	}
	console_printf("testguest: unexpected exception (vector %u) ESR=%#lx FAR=%#lx ELR=%#lx\n",
		       kind, (unsigned long)esr, (unsigned long)far, (unsigned long)frame->elr);
	system_off();
}

/* ---- Bootargs ------------------------------------------------------------------ */

/* Does WORD (ending at ' ' or NUL) start with PREFIX? Then *REST is after it. */
static bool word_has_prefix(const char *word, const char *prefix, const char **rest)
{
	while (*prefix && *word == *prefix) {
		word++;
		prefix++;
	}
	if (*prefix)
		return false;
	*rest = word;
	return true;
}

static bool word_is(const char *word, const char *value)
{
	while (*value && *word == *value) {
		word++;
		value++;
	}
	return !*value && (*word == ' ' || *word == '\0');
}

/* strtoul for a word: base 0 (0x.. hex, else decimal); *END after the digits. */
static uint64_t parse_number(const char *s, const char **end)
{
	unsigned int base = 10, digit;
	uint64_t value = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			digit = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = (unsigned int)(*s - 'A' + 10);
		else
			break;
		value = value * base + digit;
	}
	*end = s;
	return value;
}

static void parse_word(const char *word, struct options *opt)
{
	static const struct {
		const char *name;
		enum mode mode;
	} plain_modes[] = {
		{ "hello", MODE_HELLO }, { "hvc-mgmt", MODE_HVC_MGMT }, { "spin", MODE_SPIN },
		{ "reset", MODE_RESET }, { "smp", MODE_SMP },		{ "wait", MODE_WAIT },
		{ "crash", MODE_CRASH }, { "hold-off", MODE_HOLD_OFF }, { "dirty", MODE_DIRTY },
	};
	const char *rest, *end;
	size_t i;

	if (word_has_prefix(word, "mode=", &rest)) {
		opt->mode = MODE_UNKNOWN;
		opt->mode_word = word;
		for (i = 0; i < sizeof(plain_modes) / sizeof(plain_modes[0]); i++)
			if (word_is(rest, plain_modes[i].name))
				opt->mode = plain_modes[i].mode;
	} else if (word_has_prefix(word, "touch=", &rest)) {
		opt->mode = MODE_TOUCH;
		opt->touch_list = rest;
	} else if (word_has_prefix(word, "pattern=", &rest)) {
		opt->mode = MODE_PATTERN;
		opt->mode_word = word;
		opt->pattern = (uint8_t)parse_number(rest, &end);
		if (end == rest || (*end != ' ' && *end))
			opt->mode = MODE_UNKNOWN;
	} else if (word_has_prefix(word, "work=", &rest)) {
		opt->mode = MODE_WORK;
		opt->mode_word = word;
		opt->work_rounds = parse_number(rest, &end);
		if (end == rest || (*end != ' ' && *end))
			opt->mode = MODE_UNKNOWN;
	} else if (word_has_prefix(word, "blk=", &rest)) {
		opt->mode = MODE_BLK;
		opt->mode_word = word;
		opt->blk_slot = (unsigned int)parse_number(rest, &end);
		opt->blk_ro_slot = -1;
		if (end != rest && *end == ',') {
			rest = end + 1;
			opt->blk_ro_slot = (int)parse_number(rest, &end);
		}
		if (end == rest || (*end != ' ' && *end))
			opt->mode = MODE_UNKNOWN;
	} else if (word_has_prefix(word, "blkread=", &rest) ||
		   word_has_prefix(word, "blkstorm=", &rest) ||
		   word_has_prefix(word, "blkdirty=", &rest)) {
		opt->mode = word[3] == 'r' ? MODE_BLK_READ
			  : word[3] == 's' ? MODE_BLK_STORM : MODE_BLK_DIRTY;
		opt->mode_word = word;
		opt->blk_slot = (unsigned int)parse_number(rest, &end);
		if (end == rest || (*end != ' ' && *end))
			opt->mode = MODE_UNKNOWN;
	} else if (word_has_prefix(word, "dirtymib=", &rest)) {
		opt->dirty_mib = parse_number(rest, &end);
		if (end == rest || (*end != ' ' && *end) || !opt->dirty_mib)
			opt->mode = MODE_UNKNOWN;
	} else if (word_has_prefix(word, "then=", &rest)) {
		if (word_is(rest, "off"))
			opt->then = THEN_OFF;
		else if (word_is(rest, "recheck"))
			opt->then = THEN_RECHECK;
		else if (word_is(rest, "wait"))
			opt->then = THEN_WAIT;
	}
}

static void parse_bootargs(const char *args, uint32_t len, struct options *opt)
{
	uint32_t i = 0;

	/* The property is NUL-terminated (checked by the caller). */
	while (i < len && args[i]) {
		while (args[i] == ' ')
			i++;
		if (args[i])
			parse_word(&args[i], opt);
		while (args[i] && args[i] != ' ')
			i++;
	}
}

/* Prints the word at S (up to ' ' or NUL). */
static void print_word(const char *s)
{
	while (*s && *s != ' ')
		console_putc(*s++);
}

/* ---- Modes ------------------------------------------------------------------------ */

static void mode_hello(void)
{
	console_printf("testguest: hello from vCPU %u\n", (unsigned int)(cpu_mpidr() & 0xff));
}

static void mode_hvc_mgmt(void)
{
	static const struct {
		uint32_t fid;
		const char *name;
	} calls[] = {
		{ SHYPER_HC_HV_INFO, "HV_INFO" },
		{ SHYPER_HC_LOG_READ, "LOG_READ" },
		{ SHYPER_HC_VM_LIST, "VM_LIST" },
		{ SHYPER_HC_VM_INFO, "VM_INFO" },
		{ SHYPER_HC_EVENT_SETUP, "EVENT_SETUP" },
		{ SHYPER_HC_EVENT_PING, "EVENT_PING" },
		{ SHYPER_HC_HV_STATS, "HV_STATS" },
		{ SHYPER_HC_VM_CREATE, "VM_CREATE" },
		{ SHYPER_HC_VM_LOAD, "VM_LOAD" },
		{ SHYPER_HC_VM_START, "VM_START" },
		{ SHYPER_HC_VM_STOP, "VM_STOP" },
		{ SHYPER_HC_VM_DESTROY, "VM_DESTROY" },
		{ SHYPER_HC_VM_PAUSE, "VM_PAUSE" },
		{ SHYPER_HC_VM_RESUME, "VM_RESUME" },
		{ SHYPER_HC_CONSOLE_READ, "CONSOLE_READ" },
		{ SHYPER_HC_CONSOLE_WRITE, "CONSOLE_WRITE" },
		{ SHYPER_HC_VM_SHUTDOWN, "VM_SHUTDOWN" },
		{ SHYPER_HC_VM_ADD_DEVICE, "VM_ADD_DEVICE" },
		{ SHYPER_HC_VIO_FETCH, "VIO_FETCH" },
		{ SHYPER_HC_VIO_COMPLETE, "VIO_COMPLETE" },
		{ SHYPER_HC_HV_UPDATE_STAGE, "HV_UPDATE_STAGE" },
		{ SHYPER_HC_HV_UPDATE, "HV_UPDATE" },
		{ SHYPER_HC_VM_DIRTY_LOG, "VM_DIRTY_LOG" },
		{ SHYPER_HC_VM_DIRTY_FETCH, "VM_DIRTY_FETCH" },
		{ SHYPER_HC_VM_MEM_READ, "VM_MEM_READ" },
		{ SHYPER_HC_VM_MEM_WRITE, "VM_MEM_WRITE" },
		{ SHYPER_HC_VM_STATE_SAVE, "VM_STATE_SAVE" },
		{ SHYPER_HC_VM_STATE_LOAD, "VM_STATE_LOAD" },
		{ SHYPER_HC_VM_STATS, "VM_STATS" },
	};
	struct smccc_res res;
	size_t i;

	/* The queries anyone may make, for the record. */
	res = smccc_call(SHYPER_HC_CALL_UID, 0, 0, 0);
	console_printf("testguest: on Shyper: %s\n",
		       (uint32_t)res.a0 == SHYPER_UID_W0 && (uint32_t)res.a1 == SHYPER_UID_W1 &&
				       (uint32_t)res.a2 == SHYPER_UID_W2 &&
				       (uint32_t)res.a3 == SHYPER_UID_W3
			       ? "yes"
			       : "no");
	/* Arguments name the MVM (VM 0) and its RAM: harmless only if refused. */
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		res = smccc_call(calls[i].fid, 0, SHYPER_GUEST_RAM_BASE, 0x1000);
		console_printf("hvc %#x -> %ld (%s)\n", calls[i].fid, (long)res.a0, calls[i].name);
	}
	console_printf("hvc-mgmt done\n");
}

static void touch_one(uint64_t addr, bool write)
{
	const char *what = write ? "write" : "read";
	uint64_t value = 0;

	probe_faulted = false;
	probe_armed = true;
	if (write)
		probe_write(addr, 0x5348595045525f54ULL); /* "T_REPYHS" */
	else
		value = probe_read(addr);
	probe_armed = false;
	if (probe_faulted)
		console_printf("fault: %s %#lx ESR=%#lx FAR=%#lx\n", what, (unsigned long)addr,
			       (unsigned long)probe_esr, (unsigned long)probe_far);
	else if (write)
		console_printf("no fault: write %#lx\n", (unsigned long)addr);
	else
		console_printf("no fault: read %#lx = %#lx\n", (unsigned long)addr,
			       (unsigned long)value);
}

static void mode_touch(const char *list)
{
	const char *p, *end;
	unsigned int pass;
	uint64_t addr;

	for (pass = 0; pass < 2; pass++) {
		for (p = list; *p && *p != ' '; p = *end == ',' ? end + 1 : end) {
			addr = parse_number(p, &end);
			if (end == p || (*end != ',' && *end != ' ' && *end)) {
				console_puts("testguest: bad address in touch=: ");
				print_word(p);
				console_putc('\n');
				return;
			}
			touch_one(addr & ~7ULL, pass == 1);
		}
	}
	console_printf("touch done\n");
}

/* ---- pattern= --------------------------------------------------------------------- */

struct range {
	uint64_t start, end;
};

/* Our RAM from /memory (the first range of its reg). */
static bool ram_range(struct range *ram)
{
	struct fdt_prop prop;
	unsigned int acells = 2, scells = 1;

	if (!dtb)
		return false;
	if (fdt_find_property(dtb, "/", "#address-cells", &prop) && prop.len == 4)
		acells = (unsigned int)fdt_read_cells(prop.data, 1);
	if (fdt_find_property(dtb, "/", "#size-cells", &prop) && prop.len == 4)
		scells = (unsigned int)fdt_read_cells(prop.data, 1);
	if (acells < 1 || acells > 2 || scells < 1 || scells > 2 ||
	    !fdt_find_property(dtb, "/memory", "reg", &prop) || prop.len < 4 * (acells + scells))
		return false;
	ram->start = fdt_read_cells(prop.data, acells);
	ram->end = ram->start + fdt_read_cells(prop.data + 4 * acells, scells);
	return ram->end > ram->start;
}

/*
 * The parts of RAM the pattern covers: RAM minus our image (with bss and
 * stacks) and the DTB, rounded to 8 bytes. Returns how many (at most 3).
 */
static unsigned int pattern_ranges(const struct range *ram, struct range out[3])
{
	struct range holes[2] = {
		{ (uintptr_t)_image_start & ~7ULL, ((uintptr_t)_end + 7) & ~7ULL },
		{ (uintptr_t)dtb & ~7ULL, ((uintptr_t)dtb + dtb_size + 7) & ~7ULL },
	};
	uint64_t at = (ram->start + 7) & ~7ULL, end = ram->end & ~7ULL;
	unsigned int i, n = 0;

	if (holes[1].start < holes[0].start) {
		struct range t = holes[0];

		holes[0] = holes[1];
		holes[1] = t;
	}
	for (i = 0; i < 2; i++) {
		if (holes[i].start > at && at < end)
			out[n++] = (struct range){ at, holes[i].start < end ? holes[i].start : end };
		if (holes[i].end > at)
			at = holes[i].end;
	}
	if (at < end)
		out[n++] = (struct range){ at, end };
	return n;
}

/* Returns the first address in RANGES[0..N) whose word is not VALUE, or 0. */
static uint64_t pattern_find_mismatch(const struct range *ranges, unsigned int n, uint64_t value,
				      uint64_t *found)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		for (volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)ranges[i].start;
		     (uintptr_t)p < ranges[i].end; p++)
			if (*p != value) {
				*found = *p;
				return (uintptr_t)p;
			}
	return 0;
}

static void mode_pattern(uint8_t byte, enum then then)
{
	struct range ram, ranges[3];
	uint64_t value = byte * 0x0101010101010101ULL, bytes = 0, bad, found = 0, pass;
	unsigned int n, i;

	if (!ram_range(&ram)) {
		console_printf("testguest: pattern: no /memory in the device tree\n");
		return;
	}
	n = pattern_ranges(&ram, ranges);
	for (i = 0; i < n; i++)
		bytes += ranges[i].end - ranges[i].start;
	console_printf("testguest: pattern %#x over %lu KiB of RAM %#lx-%#lx\n", byte,
		       (unsigned long)(bytes >> 10), (unsigned long)ram.start,
		       (unsigned long)ram.end);

	bad = pattern_find_mismatch(ranges, n, 0, &found);
	if (bad)
		console_printf("pattern: fresh memory not zero at %#lx (%#lx)\n", (unsigned long)bad,
			       (unsigned long)found);
	else
		console_printf("pattern: fresh memory zero\n");

	for (i = 0; i < n; i++)
		for (volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)ranges[i].start;
		     (uintptr_t)p < ranges[i].end; p++)
			*p = value;
	bad = pattern_find_mismatch(ranges, n, value, &found);
	if (bad) {
		console_printf("pattern BAD at %#lx (%#lx)\n", (unsigned long)bad,
			       (unsigned long)found);
		return;
	}
	console_printf("pattern ok\n");

	if (then == THEN_OFF)
		return;
	if (then != THEN_RECHECK)
		wait_forever();
	for (pass = 1;; pass++) {
		delay_seconds(1);
		bad = pattern_find_mismatch(ranges, n, value, &found);
		if (bad) {
			console_printf("pattern BAD at %#lx (%#lx) on recheck %lu\n",
				       (unsigned long)bad, (unsigned long)found, (unsigned long)pass);
			wait_forever();
		}
		console_printf("pattern still ok (recheck %lu)\n", (unsigned long)pass);
	}
}

/* ---- mode=dirty ------------------------------------------------------------------- */

static void __attribute__((noreturn)) mode_dirty(uint64_t mib)
{
	struct range ram, ranges[3];
	uint64_t freq = read_sysreg(cntfrq_el0), pages = 0, pass = 0, gap = 0;
	uint64_t last, next_check;
	unsigned int n, i;

	if (!ram_range(&ram)) {
		console_printf("testguest: dirty: no /memory in the device tree\n");
		wait_forever();
	}
	n = pattern_ranges(&ram, ranges);
	/* Whole pages only; the first MIB MiB of them when asked. */
	for (i = 0; i < n; i++) {
		uint64_t room = mib ? mib * 256 - pages : ~0ULL; /* pages still allowed */

		ranges[i].start = (ranges[i].start + 4095) & ~4095ULL;
		ranges[i].end &= ~4095ULL;
		if (ranges[i].end <= ranges[i].start)
			ranges[i].end = ranges[i].start;
		if ((ranges[i].end - ranges[i].start) / 4096 > room)
			ranges[i].end = ranges[i].start + room * 4096;
		pages += (ranges[i].end - ranges[i].start) / 4096;
	}
	console_printf("testguest: dirty: %lu pages, one byte each pass\n", (unsigned long)pages);
	last = counter_ticks();
	next_check = last + freq;
	for (;;) {
		pass++;
		for (i = 0; i < n; i++) {
			for (uint64_t a = ranges[i].start; a < ranges[i].end; a += 4096) {
				volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)a;
				uint64_t now = counter_ticks();

				*p = (uint8_t)(*p + 1);
				if (now - last > gap)
					gap = now - last;
				last = now;
			}
		}
		if (counter_ticks() < next_check)
			continue;
		for (i = 0; i < n; i++) {
			for (uint64_t a = ranges[i].start; a < ranges[i].end; a += 4096) {
				uint8_t have = *(volatile uint8_t *)(uintptr_t)a;

				if (have != (uint8_t)pass) {
					console_printf("dirty BAD page %#lx has %u, pass %lu\n",
						       (unsigned long)a, have, (unsigned long)pass);
					wait_forever();
				}
			}
		}
		console_printf("dirty ok pass %lu gap %lu us\n", (unsigned long)pass,
			       (unsigned long)(gap * 1000000 / freq));
		last = counter_ticks();
		next_check = last + freq;
	}
}

/* ---- work=, spin ------------------------------------------------------------------ */

static void mode_work(uint64_t rounds)
{
	uint64_t start, ticks, i, x = 1;

	start = counter_ticks();
	for (i = 0; i < rounds; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(x)); /* keep every round */
	}
	ticks = counter_ticks() - start;
	console_printf("work: %lu rounds in %lu ticks at %lu Hz (%#lx)\n", (unsigned long)rounds,
		       (unsigned long)ticks, (unsigned long)read_sysreg(cntfrq_el0),
		       (unsigned long)x);
}

static void __attribute__((noreturn)) mode_spin(void)
{
	console_printf("testguest: spinning\n");
	for (;;)
		__asm__ volatile("");
}

static void __attribute__((noreturn)) mode_crash(void)
{
	uint64_t a, b;

	console_printf("testguest: crashing\n");
	__asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"(SHYPER_GUEST_UART_BASE) : "memory");
	console_printf("testguest: still here (%#lx %#lx)\n", (unsigned long)a, (unsigned long)b);
	for (;;)
		__asm__ volatile("wfi");
}

static void __attribute__((noreturn)) mode_hold_off(void)
{
	console_printf("testguest: holding off interrupts\n");
	__asm__ volatile("msr S3_0_C12_C9_0, %0\n\tisb" : : "r"(1UL) : "memory");
	for (;;)
		__asm__ volatile("");
}

/* ---- smp ----------------------------------------------------------------------------- */

struct cpu_list {
	unsigned int count;
	uint64_t mpidr[MAX_CPUS];
};

/* Set by each secondary vCPU (indexed by stack slot) once it has printed. */
static volatile uint32_t cpu_up[MAX_CPUS];

static void collect_cpu(const struct fdt_prop *reg, void *arg)
{
	struct cpu_list *cpus = arg;

	if (cpus->count < MAX_CPUS && (reg->len == 4 || reg->len == 8))
		cpus->mpidr[cpus->count++] = fdt_read_cells(reg->data, reg->len / 4);
}

void testguest_secondary(uint64_t slot)
{
	console_printf("vCPU %u up\n", (unsigned int)(cpu_mpidr() & 0xff));
	__asm__ volatile("dsb sy" ::: "memory");
	cpu_up[slot] = 1;
	__asm__ volatile("dsb sy" ::: "memory");
	smccc_call(PSCI_CPU_OFF, 0, 0, 0);
	wait_forever();
}

static void mode_smp(void)
{
	struct cpu_list cpus = { 0 };
	uint64_t self = cpu_mpidr(), deadline, freq = read_sysreg(cntfrq_el0);
	unsigned int i, slot = 1, up = 1, listed;
	struct smccc_res res;

	listed = dtb ? fdt_for_each_child(dtb, "/cpus", "cpu", collect_cpu, &cpus) : 0;
	console_printf("testguest: %u vCPUs in the device tree\n", listed);
	console_printf("vCPU %u up\n", (unsigned int)(self & 0xff));
	for (i = 0; i < cpus.count; i++) {
		if (cpus.mpidr[i] == self)
			continue;
		if (slot == MAX_CPUS)
			break;
		res = smccc_call(PSCI_CPU_ON_64, cpus.mpidr[i], (uintptr_t)secondary_entry, slot);
		if (res.a0) {
			console_printf("vCPU %u: CPU_ON -> %ld\n", (unsigned int)(cpus.mpidr[i] & 0xff),
				       (long)res.a0);
			continue;
		}
		/* One at a time, so that they never print at once. */
		deadline = counter_ticks() + 10 * freq;
		while (!cpu_up[slot] && counter_ticks() < deadline)
			;
		if (cpu_up[slot])
			up++;
		else
			console_printf("vCPU %u: not up after 10 s\n",
				       (unsigned int)(cpus.mpidr[i] & 0xff));
		slot++;
	}
	console_printf("smp: %u of %u vCPUs up\n", up, listed ? listed : 1);
}

/* ---- Entry ------------------------------------------------------------------------------ */

void testguest_main(const void *fdt)
{
	struct options opt = { .mode = MODE_HELLO, .then = THEN_DEFAULT };
	struct fdt_prop bootargs;

	dtb_size = fdt_blob_size(fdt);
	dtb = dtb_size ? fdt : NULL;
	if (!dtb)
		console_printf("testguest: no device tree at %p: mode=hello\n", fdt);
	else if (fdt_find_property(dtb, "/chosen", "bootargs", &bootargs) && bootargs.len &&
		 bootargs.data[bootargs.len - 1] == '\0')
		parse_bootargs((const char *)bootargs.data, bootargs.len, &opt);

	switch (opt.mode) {
	case MODE_HELLO:
		mode_hello();
		break;
	case MODE_HVC_MGMT:
		mode_hvc_mgmt();
		break;
	case MODE_TOUCH:
		mode_touch(opt.touch_list);
		break;
	case MODE_DIRTY:
		mode_dirty(opt.dirty_mib);
	case MODE_PATTERN:
		mode_pattern(opt.pattern, opt.then);
		break;
	case MODE_SPIN:
		mode_spin();
	case MODE_CRASH:
		mode_crash();
	case MODE_HOLD_OFF:
		mode_hold_off();
	case MODE_WORK:
		mode_work(opt.work_rounds);
		break;
	case MODE_RESET: {
		struct smccc_res res;

		console_printf("testguest: resetting in a second\n");
		delay_seconds(1);
		res = smccc_call(PSCI_SYSTEM_RESET, 0, 0, 0);
		console_printf("testguest: SYSTEM_RESET returned %ld\n", (long)res.a0);
		break;
	}
	case MODE_SMP:
		mode_smp();
		break;
	case MODE_WAIT:
		console_printf("waiting\n");
		wait_forever();
	case MODE_BLK: {
		struct range ram = { 0, 0 };

		ram_range(&ram);
		blk_hostile(opt.blk_slot, opt.blk_ro_slot, ram.end);
		break;
	}
	case MODE_BLK_READ:
		blk_read_sum(opt.blk_slot);
		break;
	case MODE_BLK_STORM:
		blk_storm(opt.blk_slot);
	case MODE_BLK_DIRTY:
		blk_dirty(opt.blk_slot);
	case MODE_UNKNOWN:
		console_puts("unknown mode: ");
		print_word(opt.mode_word ? opt.mode_word : "?");
		console_putc('\n');
		break;
	}
	if (opt.then == THEN_WAIT) {
		console_printf("testguest: done, waiting\n");
		wait_forever();
	}
	console_printf("testguest: powering off\n");
	system_off();
}

/* The compiler may emit calls to these for struct copies and zeroing. */
void *memset(void *dst, int c, size_t n)
{
	volatile uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	volatile uint8_t *d = dst;
	const volatile uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
