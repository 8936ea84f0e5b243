// SPDX-License-Identifier: GPL-2.0
/* Creating and adopting the persistent state area (see hv/state.h). */
#include <hv/irq.h>
#include <hv/log.h>
#include <hv/state.h>
#include <string.h>
#include <state_layout.h> /* generated: HV_STATE_LAYOUT */

struct hv_state *hv_state;

void state_header_init(struct hv_state *s)
{
	s->magic = HV_STATE_MAGIC;
	s->version = HV_STATE_VERSION;
	s->size = sizeof(*s);
	s->layout = HV_STATE_LAYOUT;
	s->vm_size = sizeof(struct vm);
	s->vcpu_size = sizeof(struct vcpu);
	s->board_size = sizeof(struct board_info);
	s->galloc_size = sizeof(struct galloc);
}

struct hv_state *state_create(void *at, uint64_t size)
{
	struct hv_state *s = at;

	if (size < sizeof(*s))
		return NULL;
	memset(s, 0, sizeof(*s));
	state_header_init(s);
	memset(s->spi_owner, IRQ_OWNER_NONE, sizeof(s->spi_owner));
	s->log_ring_level = LOG_INFO;
	s->log_console_level = LOG_INFO;
	for (unsigned i = 0; i < MAX_VMS; i++)
		s->vms[i].id = (uint16_t)i;
	hv_state = s;
	return s;
}

static void lock_reset(struct spinlock *l)
{
	__atomic_store_n(&l->next, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
}

static void locks_reset(struct hv_state *s)
{
	lock_reset(&s->heap.lock);
	lock_reset(&s->pool.lock);
	for (unsigned i = 0; i < MAX_VMS; i++) {
		struct vm *vm = &s->vms[i];

		lock_reset(&vm->vgic.lock);
		lock_reset(&vm->console.lock);
		lock_reset(&vm->gpio.lock);
		lock_reset(&vm->rtc.lock);
		for (unsigned d = 0; d < VIRTIO_SLOTS; d++)
			lock_reset(&vm->virtio[d].lock);
		for (unsigned v = 0; v < MAX_VCPUS; v++)
			lock_reset(&vm->vcpus[v].vgic.lock);
	}
}

enum state_adopt_result state_adopt(void *at, uint64_t size)
{
	struct hv_state *s = at;

	if (size < __builtin_offsetof(struct hv_state, layout) + sizeof(s->layout) || s->magic != HV_STATE_MAGIC)
		return STATE_NOT_A_STATE;
	if (s->version > HV_STATE_VERSION)
		return STATE_VERSION_NEWER;
	if (s->version < HV_STATE_VERSION)
		return STATE_VERSION_OLDER;
	if (s->layout != HV_STATE_LAYOUT)
		return STATE_LAYOUT_DIFFERS;
	if (s->size != sizeof(*s) || size < sizeof(*s))
		return STATE_TOO_SMALL;
	locks_reset(s);
	hv_state = s;
	return STATE_ADOPTED;
}

const char *state_adopt_result_name(enum state_adopt_result r)
{
	switch (r) {
	case STATE_ADOPTED:
		return "adopted";
	case STATE_NOT_A_STATE:
		return "no state area there";
	case STATE_VERSION_NEWER:
		return "laid out by a newer hypervisor";
	case STATE_VERSION_OLDER:
		return "an older layout this hypervisor cannot convert";
	case STATE_LAYOUT_DIFFERS:
		return "same version, different layout";
	case STATE_TOO_SMALL:
		return "size does not match";
	}
	return "?";
}
