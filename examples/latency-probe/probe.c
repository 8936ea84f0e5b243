// SPDX-License-Identifier: GPL-2.0
/*
 * The latency probe: how long after its deadline a timer interrupt reaches
 * the guest's handler. It arms its virtual timer at a known deadline, waits
 * (WFI), and on entry to its IRQ handler reads the counter: the sample is
 * handler entry minus deadline, in counter ticks. It does that COUNT times,
 * one period apart, then prints min, mean, p99, max and a histogram as one
 * line of JSON and one line for people, and powers the machine off.
 *
 * The same binary runs on the bare emulated board (the floor: no
 * hypervisor at all), as a real-time VM under Shyper, and as an ordinary
 * guest sharing its pCPU, so the three can be compared side by side.
 *
 * Its command line (/chosen/bootargs; other words are ignored):
 *   period_us=N   time between deadlines (50 .. 1000000; 1000)
 *   count=N       samples (1 .. 65536; 1000)
 *   spin=N        first start CPUs 1..N (PSCI CPU_ON, MPIDR Aff0 = 1..N; 0 .. 7;
 *                 0) in a busy loop: the floor under load, each emulated CPU
 *                 as busy as the MVM's are when loaded (docs/benchmarks.md)
 *
 * The machine is QEMU virt's, which a Shyper guest's is modelled on: a
 * PL011 at 0x09000000, a GICv3 with its distributor at 0x08000000 and
 * vCPU 0's redistributor at 0x080a0000, the virtual timer on PPI 27.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shyper/abi.h>

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1U << 5)

#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP (1U << 31)
#define GICD_CTLR_ARE (1U << 4)
#define GICD_CTLR_GRP1 (1U << 1)
#define GICR_WAKER 0x0014
#define GICR_WAKER_SLEEP (1U << 1)
#define GICR_WAKER_ASLEEP (1U << 2)
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400)

#define TIMER_INTID 27 /* the EL1 virtual timer */
#define SPURIOUS 1020

#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_CPU_ON 0xc4000003U

#define MAX_SAMPLES 65536
#define HIST_BUCKETS 24 /* [0, 64) ns, then doubling up to 2^28 ns and more */

#define read_sysreg(r) ({ uint64_t v_; __asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)))

static uint64_t samples[MAX_SAMPLES];
static volatile uint64_t deadline;
static volatile uint64_t entered; /* counter at handler entry, 0: not yet */
static volatile uint32_t spurious;
static uint32_t early; /* handler entered before its deadline: a broken timer */

/* The compiler may call it for a zeroed array; there is no C library. */
void *memset(void *dst, int c, size_t n);
void *memset(void *dst, int c, size_t n)
{
	volatile uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

/* ---- Console: the PL011, polled ---------------------------------------- */

static volatile uint32_t *uart(unsigned int offset)
{
	return (volatile uint32_t *)(uintptr_t)(SHYPER_GUEST_UART_BASE + offset);
}

static void putc_(char c)
{
	if (c == '\n')
		putc_('\r');
	while (*uart(UART_FR) & UART_FR_TXFF)
		;
	*uart(UART_DR) = (uint8_t)c;
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void put_u64(uint64_t v)
{
	char digits[21];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_(digits[--n]);
}

/* ---- The device tree: one property of a node at the top level --------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* NODE (a child of the root, unit address ignored) PROP's value, or NULL. */
static const char *fdt_prop(const uint8_t *fdt, const char *node, const char *prop)
{
	const uint8_t *p, *end, *strings;
	int depth = 0;
	bool inside = false;

	if (!fdt || be32(fdt) != 0xd00dfeedU)
		return NULL;
	p = fdt + be32(fdt + 8);
	end = fdt + be32(fdt + 4);
	strings = fdt + be32(fdt + 12);
	while (p + 4 <= end) {
		uint32_t token = be32(p);

		p += 4;
		if (token == 1) { /* BEGIN_NODE: a NUL-terminated name, padded */
			const char *name = (const char *)p;
			size_t len = 0;
			bool match = true;

			while (p[len])
				len++;
			for (size_t i = 0; node[i] || (name[i] && name[i] != '@'); i++)
				if (i >= len || node[i] != name[i]) {
					match = false;
					break;
				}
			depth++;
			inside = depth == 2 && match;
			p += (len + 4) & ~3UL;
		} else if (token == 2) { /* END_NODE */
			depth--;
			inside = false;
		} else if (token == 3) { /* PROP: len, name offset, value */
			uint32_t len = be32(p), nameoff = be32(p + 4);

			if (inside && same((const char *)strings + nameoff, prop))
				return (const char *)p + 8;
			p += 8 + ((len + 3) & ~3U);
		} else if (token != 4) { /* NOP; anything else: END */
			break;
		}
	}
	return NULL;
}

/* KEY=N in ARGS (space-separated words), within [lo, hi]; DEF otherwise. */
static uint64_t arg_u64(const char *args, const char *key, uint64_t def, uint64_t lo, uint64_t hi)
{
	for (const char *w = args; w && *w;) {
		const char *k = key, *v = w;
		uint64_t n = 0;
		bool digits = false;

		while (*k && *v == *k) {
			k++;
			v++;
		}
		if (!*k && *v == '=') {
			for (v++; *v >= '0' && *v <= '9' && n < hi; v++, digits = true)
				n = n * 10 + (uint64_t)(*v - '0');
			if (digits && (*v == ' ' || !*v) && n >= lo && n <= hi)
				return n;
		}
		while (*w && *w != ' ')
			w++;
		while (*w == ' ')
			w++;
	}
	return def;
}

/* ---- The GICv3: just enough to take the timer's PPI -------------------- */

static volatile uint32_t *mmio32(uint64_t addr)
{
	return (volatile uint32_t *)(uintptr_t)addr;
}

static void gic_init(void)
{
	volatile uint32_t *ctlr = mmio32(SHYPER_GUEST_GICD_BASE + GICD_CTLR);
	volatile uint32_t *waker = mmio32(SHYPER_GUEST_GICR_BASE + GICR_WAKER);

	*ctlr |= GICD_CTLR_ARE | GICD_CTLR_GRP1;
	while (*ctlr & GICD_CTLR_RWP)
		;
	*waker &= ~GICR_WAKER_SLEEP;
	while (*waker & GICR_WAKER_ASLEEP)
		;
	*mmio32(SHYPER_GUEST_GICR_BASE + GICR_IGROUPR0) |= 1U << TIMER_INTID;
	*((volatile uint8_t *)(uintptr_t)(SHYPER_GUEST_GICR_BASE + GICR_IPRIORITYR + TIMER_INTID)) =
		0x80;
	*mmio32(SHYPER_GUEST_GICR_BASE + GICR_ISENABLER0) = 1U << TIMER_INTID;

	write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
	__asm__ volatile("isb");
	write_sysreg(S3_0_C4_C6_0, 0xff);  /* ICC_PMR_EL1: everything passes */
	write_sysreg(S3_0_C12_C12_7, 1);   /* ICC_IGRPEN1_EL1 */
	__asm__ volatile("isb");
}

/* ---- The measurement ---------------------------------------------------- */

void probe_exception(uint64_t kind)
{
	/* First thing: when did we get here. */
	uint64_t now = read_sysreg(cntvct_el0);
	uint64_t intid;

	if (kind != 1 && kind != 5) {
		puts_("latency-probe: unexpected exception ");
		put_u64(kind);
		puts_(", ESR ");
		put_u64(read_sysreg(esr_el1));
		puts_("\n");
		for (;;)
			__asm__ volatile("wfi");
	}
	intid = read_sysreg(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
	if (intid >= SPURIOUS) {
		spurious++;
		return;
	}
	if (intid == TIMER_INTID) {
		write_sysreg(cntv_ctl_el0, 2); /* masked: the line drops */
		entered = now;
	}
	write_sysreg(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

static void shell_sort(uint64_t *a, size_t n)
{
	size_t gap = 1;

	while (gap < n / 3)
		gap = gap * 3 + 1;
	for (; gap; gap /= 3)
		for (size_t i = gap; i < n; i++) {
			uint64_t v = a[i];
			size_t j = i;

			for (; j >= gap && a[j - gap] > v; j -= gap)
				a[j] = a[j - gap];
			a[j] = v;
		}
}

static uint64_t ticks_to_ns(uint64_t ticks, uint64_t freq)
{
	return ticks / freq * 1000000000ULL + ticks % freq * 1000000000ULL / freq;
}

static unsigned int bucket_of(uint64_t ns)
{
	unsigned int b = 0;

	for (uint64_t edge = 64; ns >= edge && b < HIST_BUCKETS - 1; edge <<= 1)
		b++;
	return b;
}

static int64_t psci(const uint8_t *fdt, uint64_t fid, uint64_t a1, uint64_t a2)
{
	const char *method = fdt_prop(fdt, "psci", "method");
	register uint64_t x0 __asm__("x0") = fid;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = 0;

	if (method && same(method, "smc"))
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (int64_t)x0;
}

static void power_off(const uint8_t *fdt)
{
	psci(fdt, PSCI_SYSTEM_OFF, 0, 0);
}

void spin_entry(void); /* start.S: a busy loop, no stack */

static void start_spinners(const uint8_t *fdt, uint64_t n)
{
	for (uint64_t cpu = 1; cpu <= n; cpu++) {
		int64_t r = psci(fdt, PSCI_CPU_ON, cpu, (uint64_t)(uintptr_t)spin_entry);

		puts_("latency-probe: CPU ");
		put_u64(cpu);
		puts_(r == 0 ? " spinning\n" : " did not start\n");
	}
}

void probe_main(const uint8_t *fdt)
{
	const char *args = fdt_prop(fdt, "chosen", "bootargs");
	const uint64_t freq = read_sysreg(cntfrq_el0);
	const uint64_t period_us = arg_u64(args, "period_us", 1000, 50, 1000000);
	const uint64_t count = arg_u64(args, "count", 1000, 1, MAX_SAMPLES);
	const uint64_t spin = arg_u64(args, "spin", 0, 0, 7);
	const uint64_t period = freq * period_us / 1000000;
	uint64_t hist[HIST_BUCKETS] = { 0 };
	uint64_t sum = 0, min_ns, max_ns, p99_ns, mean_ns;

	puts_("latency-probe: ");
	put_u64(count);
	puts_(" samples, one every ");
	put_u64(period_us);
	puts_(" us, counter at ");
	put_u64(freq);
	puts_(" Hz\n");
	start_spinners(fdt, spin);
	gic_init();
	for (uint64_t i = 0; i < count; i++) {
		entered = 0;
		deadline = read_sysreg(cntvct_el0) + period;
		write_sysreg(cntv_cval_el0, deadline);
		write_sysreg(cntv_ctl_el0, 1); /* enabled, unmasked */
		__asm__ volatile("isb");
		/*
		 * Look and sleep with IRQs masked, then let the interrupt in: one
		 * that comes between the look and the WFI stays pending and
		 * wakes the WFI. With IRQs on it would be taken just before the
		 * WFI, which would then sleep for good (the handler masked the
		 * timer): a timer due the moment the probe runs again, after a
		 * live update's pause, made that happen.
		 */
		while (!entered) {
			__asm__ volatile("wfi");
			__asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
		}
		if (entered < deadline)
			early++;
		samples[i] = entered >= deadline ? entered - deadline : 0;
	}
	write_sysreg(cntv_ctl_el0, 0);

	for (uint64_t i = 0; i < count; i++) {
		sum += samples[i];
		hist[bucket_of(ticks_to_ns(samples[i], freq))]++;
	}
	shell_sort(samples, count);
	min_ns = ticks_to_ns(samples[0], freq);
	max_ns = ticks_to_ns(samples[count - 1], freq);
	p99_ns = ticks_to_ns(samples[(count * 99 + 99) / 100 - 1], freq);
	mean_ns = ticks_to_ns(sum / count, freq);

	puts_("latency-probe: {\"count\": ");
	put_u64(count);
	puts_(", \"period_us\": ");
	put_u64(period_us);
	puts_(", \"counter_hz\": ");
	put_u64(freq);
	puts_(", \"min_ns\": ");
	put_u64(min_ns);
	puts_(", \"mean_ns\": ");
	put_u64(mean_ns);
	puts_(", \"p99_ns\": ");
	put_u64(p99_ns);
	puts_(", \"max_ns\": ");
	put_u64(max_ns);
	puts_(", \"spurious\": ");
	put_u64(spurious);
	puts_(", \"early\": ");
	put_u64(early);
	puts_(", \"hist_edges_ns\": [");
	for (unsigned int b = 0; b + 1 < HIST_BUCKETS; b++) {
		put_u64(64ULL << b);
		puts_(b + 2 < HIST_BUCKETS ? ", " : "");
	}
	puts_("], \"hist\": [");
	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		put_u64(hist[b]);
		puts_(b + 1 < HIST_BUCKETS ? ", " : "");
	}
	puts_("]}\n");
	puts_("latency-probe: done: min ");
	put_u64(min_ns);
	puts_(" ns, mean ");
	put_u64(mean_ns);
	puts_(" ns, p99 ");
	put_u64(p99_ns);
	puts_(" ns, max ");
	put_u64(max_ns);
	puts_(" ns\n");
	power_off(fdt);
}
