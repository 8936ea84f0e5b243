// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's state as it moves between boards (see hv/vmstate.h).
 *
 * Saving copies the guest's part of each structure into a record and
 * leaves out what binds it to this board. Loading treats the string as
 * hostile: it is copied in whole first (the MVM could change it while we
 * read), parsed with every length and offset checked, each payload
 * converted from the sender's layout to ours into a staging area, every
 * field that matters checked there, and only when all of it passed is
 * anything written into the VM.
 */
#include <hv/arch.h>
#include <hv/guest_mem.h>
#include <hv/heap.h>
#include <hv/irqchip.h>
#include <hv/log.h>
#include <hv/state_convert.h>
#include <hv/stats.h>
#include <hv/vmstate.h>
#include <string.h>
#include <vmstate_layouts.h> /* generated: VMSTATE_DESC_* */

static const char *const descs[VMSTATE_KINDS] = {
	[VMSTATE_VM] = VMSTATE_DESC_vmstate_vm,
	[VMSTATE_VCPU] = VMSTATE_DESC_vmstate_vcpu,
	[VMSTATE_CONSOLE] = VMSTATE_DESC_vconsole,
	[VMSTATE_GPIO] = VMSTATE_DESC_vgpio,
	[VMSTATE_RTC] = VMSTATE_DESC_vrtc,
	[VMSTATE_VIRTIO] = VMSTATE_DESC_virtio_dev,
};

static const uint64_t sizes[VMSTATE_KINDS] = {
	[VMSTATE_VM] = sizeof(struct vmstate_vm),
	[VMSTATE_VCPU] = sizeof(struct vmstate_vcpu),
	[VMSTATE_CONSOLE] = sizeof(struct vconsole),
	[VMSTATE_GPIO] = sizeof(struct vgpio),
	[VMSTATE_RTC] = sizeof(struct vrtc),
	[VMSTATE_VIRTIO] = sizeof(struct virtio_dev),
};

/* Flags of an interrupt that may travel: not HW (nothing physical moves). */
#define VIRQ_PORTABLE (VIRQ_ENABLED | VIRQ_EDGE | VIRQ_GROUP1 | VIRQ_PENDING | VIRQ_LINE_HIGH | \
		       VIRQ_IN_LR)

/* Everything a load decodes, checked whole before the VM changes. */
struct staging {
	struct vmstate_vm vm;
	struct vmstate_vcpu vcpu[MAX_VCPUS];
	struct vconsole console;
	struct vgpio gpio;
	struct vrtc rtc;
	struct virtio_dev virtio[VIRTIO_SLOTS];
	bool have_vm, have_console, have_gpio, have_rtc;
	bool have_vcpu[MAX_VCPUS], have_virtio[VIRTIO_SLOTS];
	/* one record's payload converted to our layout */
	union {
		struct vmstate_vm vm;
		struct vmstate_vcpu vcpu;
		struct vconsole console;
		struct vgpio gpio;
		struct vrtc rtc;
		struct virtio_dev virtio;
	} scratch;
	char desc[VMSTATE_DESC_MAX + 1];
};

static uint64_t pages_for(uint64_t bytes)
{
	return ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
}

static void *scratch_alloc(uint64_t bytes)
{
	void *p = heap_alloc_pages(pages_for(bytes), 1);

	if (p)
		memset(p, 0, pages_for(bytes) * PAGE_SIZE);
	return p;
}

static void scratch_free(void *p, uint64_t bytes)
{
	if (p)
		heap_free_pages(p, pages_for(bytes));
}

/* ---- Saving ----------------------------------------------------------- */

struct writer {
	uint8_t *out;
	uint64_t room, at;
	uint32_t records;
	bool full;
};

static void put(struct writer *w, const void *p, uint64_t n)
{
	if (w->full || n > w->room - w->at) {
		w->full = true;
		return;
	}
	memcpy(w->out + w->at, p, n);
	w->at += n;
}

static void pad(struct writer *w)
{
	static const uint8_t zero[8];

	put(w, zero, ALIGN_UP(w->at, 8) - w->at);
}

static void record(struct writer *w, enum vmstate_kind kind, unsigned index, const void *payload)
{
	struct vmstate_record r = {
		.kind = (uint16_t)kind,
		.index = (uint16_t)index,
		.desc_len = (uint32_t)strlen(descs[kind]),
		.len = (uint32_t)sizes[kind],
	};

	put(w, &r, sizeof(r));
	put(w, descs[kind], r.desc_len);
	pad(w);
	put(w, payload, sizes[kind]);
	pad(w);
	w->records++;
}

/* The guest's virtual counter for one of this board's counter values. */
static uint64_t to_virtual(const struct vm *vm, uint64_t counter)
{
	return counter ? counter - vm->board.cntvoff : 0;
}

static bool mediated_busy(const struct virtio_dev *dev)
{
	for (unsigned q = 0; q < VIO_QUEUES; q++)
		for (unsigned k = 0; k < ARRAY_SIZE(dev->vio.q[q].busy); k++)
			if (__atomic_load_n(&dev->vio.q[q].busy[k], __ATOMIC_ACQUIRE))
				return true;
	return false;
}

int vmstate_save(const struct vm *vm, uint8_t *out, uint64_t room, uint64_t *len)
{
	struct writer w = { .out = out, .room = room };
	struct vmstate_header h = { .version = VMSTATE_VERSION };
	union {
		struct vmstate_vm vm;
		struct vmstate_vcpu vcpu;
		struct vconsole console;
		struct vgpio gpio;
		struct vrtc rtc;
		struct virtio_dev virtio;
	} *s;
	uint64_t stopped_at;
	int rc = VMSTATE_OK;

	if (vm->state != VM_STATE_PAUSED)
		return VMSTATE_E_BUSY;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (__atomic_load_n(&vm->vcpus[i].loaded, __ATOMIC_ACQUIRE))
			return VMSTATE_E_BUSY; /* still leaving its pCPU */
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++)
		if (vm->virtio[i].device_id != VIRTIO_ID_NONE && mediated_busy(&vm->virtio[i]))
			return VMSTATE_E_BUSY; /* the backend has requests: drain them first */
	s = scratch_alloc(sizeof(*s));
	if (!s)
		return VMSTATE_E_NO_MEMORY;

	memcpy(h.magic, VMSTATE_MAGIC, sizeof(h.magic));
	put(&w, &h, sizeof(h));

	/* Its time stopped when it was paused: it goes on from there. */
	stopped_at = vm->paused_at ? vm->paused_at : arch_counter();
	memset(s, 0, sizeof(*s));
	s->vm.counter_hz = arch_counter_freq();
	s->vm.vcounter = stopped_at - vm->board.cntvoff;
	s->vm.uptime_ns = ticks_to_ns(stopped_at - vm->boot_counter);
	s->vm.vcpu_count = vm->vcpu_count;
	s->vm.gicd_ctlr = vm->vgic.ctlr;
	s->vm.nr_spis = vm->vgic.nr_spis;
	memcpy(s->vm.spi, vm->vgic.spi, sizeof(s->vm.spi));
	record(&w, VMSTATE_VM, 0, &s->vm);

	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		memset(s, 0, sizeof(*s));
		s->vcpu.regs = v->regs;
		s->vcpu.sys = v->sys;
		s->vcpu.fp = v->fp;
		s->vcpu.power = v->power;
		s->vcpu.vtimer_active = v->vtimer_active;
		s->vcpu.irq_direct = v->irq_direct;
		s->vcpu.sleeping = v->vgic.sleeping;
		memcpy(s->vcpu.priv, v->vgic.priv, sizeof(s->vcpu.priv));
		record(&w, VMSTATE_VCPU, i, &s->vcpu);
	}

	if (vm->console.base) {
		memset(s, 0, sizeof(*s));
		s->console = vm->console;
		s->console.lock = (struct spinlock){ 0 };
		record(&w, VMSTATE_CONSOLE, 0, &s->console);
	}
	if (vm->gpio.base) {
		memset(s, 0, sizeof(*s));
		s->gpio = vm->gpio;
		s->gpio.lock = (struct spinlock){ 0 };
		record(&w, VMSTATE_GPIO, 0, &s->gpio);
	}
	if (vm->rtc.base) {
		memset(s, 0, sizeof(*s));
		s->rtc = vm->rtc;
		s->rtc.lock = (struct spinlock){ 0 };
		s->rtc.counter_at = to_virtual(vm, vm->rtc.counter_at);
		s->rtc.alarm_at = to_virtual(vm, vm->rtc.alarm_at);
		record(&w, VMSTATE_RTC, 0, &s->rtc);
	}
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++) {
		if (vm->virtio[i].device_id == VIRTIO_ID_NONE)
			continue;
		memset(s, 0, sizeof(*s));
		s->virtio = vm->virtio[i];
		s->virtio.lock = (struct spinlock){ 0 };
		/* Nothing in flight (checked above): the destination's backend
		 * starts with a clean table of its own. */
		memset(&s->virtio.vio, 0, sizeof(s->virtio.vio));
		record(&w, VMSTATE_VIRTIO, i, &s->virtio);
	}
	scratch_free(s, sizeof(*s));

	if (w.full) {
		rc = VMSTATE_E_ROOM;
	} else {
		h.records = w.records;
		h.size = w.at;
		memcpy(out, &h, sizeof(h));
		*len = w.at;
	}
	return rc;
}

/* ---- Loading: checks -------------------------------------------------- */

/* A bool as converted from someone else's bytes: 0 or 1, nothing else. */
static bool byte_is_bool(const void *p)
{
	uint8_t b;

	memcpy(&b, p, 1);
	return b <= 1;
}

static bool irqs_ok(const struct vgic_irq *irq, unsigned n, uint32_t vcpus, bool private)
{
	for (unsigned i = 0; i < n; i++) {
		if (irq[i].flags & ~VIRQ_PORTABLE)
			return false;
		if (!private && irq[i].target >= vcpus)
			return false;
	}
	return true;
}

static int check_vm(const struct vm *vm, const struct vmstate_vm *s)
{
	if (s->counter_hz != arch_counter_freq()) {
		pr_warn("vm %u: its counter ran at %lu Hz, this board's at %lu Hz", vm->id,
			(unsigned long)s->counter_hz, (unsigned long)arch_counter_freq());
		return VMSTATE_E_MISMATCH;
	}
	if (s->vcpu_count != vm->vcpu_count || s->nr_spis != SHYPER_GUEST_NR_SPIS)
		return VMSTATE_E_MISMATCH;
	if (!irqs_ok(s->spi, s->nr_spis, s->vcpu_count, false))
		return VMSTATE_E_VALUE;
	return VMSTATE_OK;
}

/* May a vCPU from elsewhere bring this saved list register (ICH_LR_*)?
 * Empty, or a virtual interrupt below 1020 that names nothing physical but
 * the virtual timer, hardware-linked to its own PPI. */
static bool saved_lr_ok(uint64_t lr)
{
	uint32_t vintid = (uint32_t)lr;

	if (!(lr >> ICH_LR_STATE_SHIFT))
		return true; /* nothing in it */
	if (vintid >= 1020)
		return false;
	if (lr & ICH_LR_HW)
		return vintid == PPI_VIRT_TIMER &&
		       ((lr >> ICH_LR_PINTID_SHIFT) & 0x3ff) == PPI_VIRT_TIMER;
	return true;
}

/* It returns to EL1 or EL0 in AArch64 state (SPSR_EL2.M[4:0]: EL0t 0,
 * EL1t 4, EL1h 5), never to EL2, and brings nothing physical. */
static bool guest_state_ok(const struct vcpu_regs *regs, const struct vcpu_sysregs *sys)
{
	uint64_t mode = regs->spsr & 0x1f;

	if (mode != 0 && mode != 4 && mode != 5)
		return false;
	for (unsigned i = 0; i < ARRAY_SIZE(sys->ich_lr); i++)
		if (!saved_lr_ok(sys->ich_lr[i]))
			return false;
	return true;
}

static int check_vcpu(const struct vm *vm, const struct vmstate_vcpu *s)
{
	if (s->power > VCPU_ON || !byte_is_bool(&s->vtimer_active) ||
	    !byte_is_bool(&s->irq_direct) || !byte_is_bool(&s->sleeping))
		return VMSTATE_E_VALUE;
	/* Direct interrupts are an RTVM's alone. */
	if (s->irq_direct && vm->type != VM_TYPE_RTVM)
		return VMSTATE_E_VALUE;
	/* Above all: it returns to EL1 or EL0, never here. */
	if (!guest_state_ok(&s->regs, &s->sys))
		return VMSTATE_E_VALUE;
	if (!irqs_ok(s->priv, VGIC_NR_PRIVATE, vm->vcpu_count, true))
		return VMSTATE_E_VALUE;
	return VMSTATE_OK;
}

static int check_console(const struct vm *vm, const struct vconsole *s)
{
	if (s->base != vm->console.base || s->intid != vm->console.intid)
		return VMSTATE_E_MISMATCH;
	if (s->rx_head - s->rx_tail > VCONSOLE_RX_SIZE || !byte_is_bool(&s->tx_irq_cleared) ||
	    !byte_is_bool(&s->notify_armed))
		return VMSTATE_E_VALUE;
	return VMSTATE_OK;
}

static int check_gpio(const struct vm *vm, const struct vgpio *s)
{
	if (s->base != vm->gpio.base || s->intid != vm->gpio.intid)
		return VMSTATE_E_MISMATCH;
	return VMSTATE_OK;
}

static int check_rtc(const struct vm *vm, const struct vrtc *s)
{
	if (s->base != vm->rtc.base || s->intid != vm->rtc.intid)
		return VMSTATE_E_MISMATCH;
	return VMSTATE_OK;
}

static int check_virtio(const struct virtio_dev *ours, const struct virtio_dev *s)
{
	const struct virtio_device_ops *ops = virtio_dev_ops(ours);

	if (s->device_id != ours->device_id || s->intid != ours->intid || !ops)
		return VMSTATE_E_MISMATCH;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		const struct virtq *vq = &s->vq[q];

		if (!byte_is_bool(&vq->ready) || !byte_is_bool(&vq->broken))
			return VMSTATE_E_VALUE;
		if (vq->size & (vq->size - 1) || vq->size > VIRTQ_MAX_SIZE ||
		    vq->size > ops->queue_max || (q >= ops->queue_count && (vq->size || vq->ready)))
			return VMSTATE_E_VALUE;
		if (vq->ready && !vq->size)
			return VMSTATE_E_VALUE;
	}
	if (s->device_id == VIRTIO_ID_CONSOLE &&
	    s->u.console.rx_head - s->u.console.rx_tail > VIRTIO_CONSOLE_RX_SIZE)
		return VMSTATE_E_VALUE;
	return VMSTATE_OK;
}

/* ---- Loading: parsing --------------------------------------------------- */

/* The record at *AT of BUF (SIZE bytes): its header, description and
 * payload, all inside; *AT moves past it. */
static int next_record(const uint8_t *buf, uint64_t size, uint64_t *at, struct vmstate_record *r,
		       const uint8_t **desc, const uint8_t **payload)
{
	uint64_t p = *at;

	if (size - p < sizeof(*r))
		return VMSTATE_E_FORMAT;
	memcpy(r, buf + p, sizeof(*r));
	p += sizeof(*r);
	if (r->reserved || r->desc_len == 0 || r->desc_len > VMSTATE_DESC_MAX)
		return VMSTATE_E_FORMAT;
	if (ALIGN_UP((uint64_t)r->desc_len, 8) > size - p)
		return VMSTATE_E_FORMAT;
	*desc = buf + p;
	p += ALIGN_UP((uint64_t)r->desc_len, 8);
	if (ALIGN_UP((uint64_t)r->len, 8) > size - p)
		return VMSTATE_E_FORMAT;
	*payload = buf + p;
	p += ALIGN_UP((uint64_t)r->len, 8);
	*at = p;
	return VMSTATE_OK;
}

/* Convert a payload in the sender's layout into ours (the staging scratch). */
static int convert(struct staging *st, const struct vmstate_record *r, const uint8_t *desc,
		   const uint8_t *payload)
{
	enum state_convert_result c;

	/* NUL-terminated, and without a NUL inside: a description is text. */
	if (memchr(desc, 0, r->desc_len))
		return VMSTATE_E_FORMAT;
	memcpy(st->desc, desc, r->desc_len);
	st->desc[r->desc_len] = '\0';
	memset(&st->scratch, 0, sizeof(st->scratch));
	c = layout_convert(&st->scratch, sizeof(st->scratch), descs[r->kind], payload, r->len,
			   st->desc);
	return c == CONVERT_OK ? VMSTATE_OK : VMSTATE_E_LAYOUT;
}

static int take(const struct vm *vm, struct staging *st, const struct vmstate_record *r)
{
	int rc;

	switch (r->kind) {
	case VMSTATE_VM:
		if (st->have_vm || r->index)
			return VMSTATE_E_FORMAT;
		rc = check_vm(vm, &st->scratch.vm);
		st->vm = st->scratch.vm;
		st->have_vm = true;
		return rc;
	case VMSTATE_VCPU:
		if (r->index >= vm->vcpu_count || st->have_vcpu[r->index])
			return r->index >= vm->vcpu_count ? VMSTATE_E_MISMATCH : VMSTATE_E_FORMAT;
		rc = check_vcpu(vm, &st->scratch.vcpu);
		st->vcpu[r->index] = st->scratch.vcpu;
		st->have_vcpu[r->index] = true;
		return rc;
	case VMSTATE_CONSOLE:
		if (st->have_console || r->index)
			return VMSTATE_E_FORMAT;
		rc = check_console(vm, &st->scratch.console);
		st->console = st->scratch.console;
		st->have_console = true;
		return rc;
	case VMSTATE_GPIO:
		if (st->have_gpio || r->index)
			return VMSTATE_E_FORMAT;
		rc = check_gpio(vm, &st->scratch.gpio);
		st->gpio = st->scratch.gpio;
		st->have_gpio = true;
		return rc;
	case VMSTATE_RTC:
		if (st->have_rtc || r->index)
			return VMSTATE_E_FORMAT;
		rc = check_rtc(vm, &st->scratch.rtc);
		st->rtc = st->scratch.rtc;
		st->have_rtc = true;
		return rc;
	case VMSTATE_VIRTIO:
		if (r->index >= VIRTIO_SLOTS || st->have_virtio[r->index])
			return VMSTATE_E_FORMAT;
		rc = check_virtio(&vm->virtio[r->index], &st->scratch.virtio);
		st->virtio[r->index] = st->scratch.virtio;
		st->have_virtio[r->index] = true;
		return rc;
	default:
		/* A kind this build does not know: its state would be lost. */
		return VMSTATE_E_VERSION;
	}
}

/* Every piece this VM has, and nothing it does not. */
static int complete(const struct vm *vm, const struct staging *st)
{
	if (!st->have_vm)
		return VMSTATE_E_FORMAT;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (!st->have_vcpu[i])
			return VMSTATE_E_FORMAT;
	if (st->have_console != !!vm->console.base || st->have_gpio != !!vm->gpio.base ||
	    st->have_rtc != !!vm->rtc.base)
		return VMSTATE_E_MISMATCH;
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++)
		if (st->have_virtio[i] != (vm->virtio[i].device_id != VIRTIO_ID_NONE))
			return VMSTATE_E_MISMATCH;
	return VMSTATE_OK;
}

static int parse(const struct vm *vm, struct staging *st, const uint8_t *buf, uint64_t len)
{
	struct vmstate_header h;
	uint64_t at = sizeof(h);
	int rc;

	if (len < sizeof(h))
		return VMSTATE_E_FORMAT;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, VMSTATE_MAGIC, sizeof(h.magic)) || h.size != len)
		return VMSTATE_E_FORMAT;
	if (h.version != VMSTATE_VERSION)
		return VMSTATE_E_VERSION;
	for (uint32_t i = 0; i < h.records; i++) {
		struct vmstate_record r;
		const uint8_t *desc, *payload;

		rc = next_record(buf, len, &at, &r, &desc, &payload);
		if (rc)
			return rc;
		if (r.kind == 0 || r.kind >= VMSTATE_KINDS)
			return VMSTATE_E_VERSION;
		rc = convert(st, &r, desc, payload);
		if (rc)
			return rc;
		rc = take(vm, st, &r);
		if (rc)
			return rc;
	}
	if (at != len)
		return VMSTATE_E_FORMAT; /* bytes after the last record */
	return complete(vm, st);
}

/* ---- Loading: the change ------------------------------------------------ */

/* Device state SRC over the live DST, which keeps its lock. */
#define device_commit(dst, src)                        \
	do {                                           \
		struct spinlock kept_ = (dst)->lock;   \
		*(dst) = *(src);                       \
		(dst)->lock = kept_;                   \
	} while (0)

static void commit(struct vm *vm, const struct staging *st)
{
	memset(&vm->vgic.spi, 0, sizeof(vm->vgic.spi));
	vm->vgic.nr_spis = st->vm.nr_spis;
	vm->vgic.ctlr = st->vm.gicd_ctlr;
	memcpy(vm->vgic.spi, st->vm.spi, st->vm.nr_spis * sizeof(st->vm.spi[0]));
	vm->loaded_vcounter = st->vm.vcounter;
	vm->loaded_uptime_ns = st->vm.uptime_ns;

	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		const struct vmstate_vcpu *s = &st->vcpu[i];
		uint32_t queued = 0;

		v->regs = s->regs;
		v->sys = s->sys;
		v->fp = s->fp;
		v->power = s->power;
		v->vtimer_active = s->vtimer_active;
		v->irq_direct = s->irq_direct;
		v->reset_pending = false;
		v->vgic.sleeping = s->sleeping;
		memcpy(v->vgic.priv, s->priv, sizeof(v->vgic.priv));
		for (unsigned k = 0; k < VGIC_NR_PRIVATE; k++)
			queued += !!(s->priv[k].flags & VIRQ_PENDING);
		for (unsigned k = 0; k < st->vm.nr_spis; k++)
			queued += st->vm.spi[k].target == i && (st->vm.spi[k].flags & VIRQ_PENDING);
		v->vgic.queued = queued;
	}
	/* The PL011, PL061 and PL031 whole, but for their locks: where they
	 * are (base, SPI) was checked to be where this board has them. The
	 * RTC's counter values are virtual until the start makes them ours. */
	if (st->have_console)
		device_commit(&vm->console, &st->console);
	if (st->have_gpio)
		device_commit(&vm->gpio, &st->gpio);
	if (st->have_rtc)
		device_commit(&vm->rtc, &st->rtc);
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++) {
		struct virtio_dev *d = &vm->virtio[i];
		const struct virtio_dev *s = &st->virtio[i];

		if (!st->have_virtio[i])
			continue;
		d->status = s->status;
		d->int_status = s->int_status;
		d->device_features_sel = s->device_features_sel;
		d->driver_features_sel = s->driver_features_sel;
		d->queue_sel = s->queue_sel;
		d->driver_features = s->driver_features;
		d->config_generation = s->config_generation;
		memcpy(d->vq, s->vq, sizeof(d->vq));
		if (d->device_id == VIRTIO_ID_CONSOLE)
			d->u.console = s->u.console;
	}
	vm->state_loaded = true;
}

int vmstate_load(struct vm *vm, const uint8_t *in, uint64_t len)
{
	struct staging *st;
	uint8_t *copy;
	int rc;

	if (vm->state != VM_STATE_DEFINED)
		return VMSTATE_E_BUSY;
	if (len > VMSTATE_MAX)
		return VMSTATE_E_FORMAT;
	st = scratch_alloc(sizeof(*st));
	copy = scratch_alloc(len);
	if (!st || !copy) {
		scratch_free(st, sizeof(*st));
		scratch_free(copy, len);
		return VMSTATE_E_NO_MEMORY;
	}
	/* One read of what the MVM gave: it cannot change it under our checks. */
	memcpy(copy, in, len);
	rc = parse(vm, st, copy, len);
	if (rc == VMSTATE_OK)
		commit(vm, st);
	scratch_free(copy, len);
	scratch_free(st, sizeof(*st));
	return rc;
}

const char *vmstate_error_name(int err)
{
	switch (err) {
	case VMSTATE_OK:
		return "loaded";
	case VMSTATE_E_FORMAT:
		return "not a well-formed VM state";
	case VMSTATE_E_VERSION:
		return "a version or record this hypervisor does not know";
	case VMSTATE_E_LAYOUT:
		return "a record's layout does not convert";
	case VMSTATE_E_VALUE:
		return "a value out of range";
	case VMSTATE_E_MISMATCH:
		return "not this VM's state (vCPUs, devices or counter differ)";
	case VMSTATE_E_ROOM:
		return "the buffer is too small";
	case VMSTATE_E_NO_MEMORY:
		return "no hypervisor memory to work in";
	case VMSTATE_E_BUSY:
		return "the VM is not in a state for it";
	}
	return "?";
}

/* ---- The hypercalls ------------------------------------------------------- */

static int64_t status_of(int err)
{
	switch (err) {
	case VMSTATE_OK:
		return SHYPER_OK;
	case VMSTATE_E_BUSY:
		return SHYPER_E_BUSY;
	case VMSTATE_E_NO_MEMORY:
		return SHYPER_E_NO_MEMORY;
	default:
		return SHYPER_E_INVALID;
	}
}

int64_t vmstate_save_call(struct vm *vm, const struct vm *caller, uint64_t ipa, uint64_t size,
			  uint64_t *len)
{
	uint8_t *out;
	int rc;

	if (size == 0 || size > VMSTATE_MAX)
		return SHYPER_E_INVALID;
	out = guest_mem_ptr(caller, ipa_init(ipa), size);
	if (!out)
		return SHYPER_E_BAD_ADDRESS;
	rc = vmstate_save(vm, out, size, len);
	return status_of(rc); /* too small a buffer: INVALID */
}

int64_t vmstate_load_call(struct vm *vm, const struct vm *caller, uint64_t ipa, uint64_t size)
{
	const uint8_t *in;
	int rc;

	if (size == 0 || size > VMSTATE_MAX)
		return SHYPER_E_INVALID;
	in = guest_mem_ptr(caller, ipa_init(ipa), size);
	if (!in)
		return SHYPER_E_BAD_ADDRESS;
	rc = vmstate_load(vm, in, size);
	if (rc != VMSTATE_OK)
		pr_warn("vm %u (%s): incoming state refused: %s", vm->id, vm->name,
			vmstate_error_name(rc));
	return status_of(rc);
}
