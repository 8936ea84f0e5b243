// SPDX-License-Identifier: GPL-2.0
/* Creating the persistent state area (see hv/state.h). */
#include <hv/irq.h>
#include <hv/state.h>
#include <string.h>

struct hv_state *hv_state;

struct hv_state *state_create(void *at, uint64_t size)
{
	struct hv_state *s = at;

	if (size < sizeof(*s))
		return NULL;
	memset(s, 0, sizeof(*s));
	s->magic = HV_STATE_MAGIC;
	s->version = HV_STATE_VERSION;
	s->size = sizeof(*s);
	s->vm_size = sizeof(struct vm);
	s->vcpu_size = sizeof(struct vcpu);
	s->board_size = sizeof(struct board_info);
	s->galloc_size = sizeof(struct galloc);
	memset(s->spi_owner, IRQ_OWNER_NONE, sizeof(s->spi_owner));
	for (unsigned i = 0; i < MAX_VMS; i++)
		s->vms[i].id = (uint16_t)i;
	hv_state = s;
	return s;
}
