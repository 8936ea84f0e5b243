// SPDX-License-Identifier: GPL-2.0
/* Routing a trapped MMIO access to the emulated device that answers it. */
#include <hv/gicv3_regs.h>
#include <hv/mmio.h>
#include <hv/vconsole.h>
#include <hv/vgpio.h>
#include <hv/vrtc.h>
#include <hv/virtio.h>
#include <hv/vm.h>

bool mmio_claims(const struct vm *vm, uint64_t ipa)
{
	return (ipa >= vm->gicd_base && ipa < vm->gicd_base + GICD_SIZE) ||
	       (ipa >= vm->gicr_base &&
		ipa < vm->gicr_base + (uint64_t)vm->vcpu_count * GICR_FRAME_SIZE) ||
	       (vm->console.base && ipa >= vm->console.base && ipa < vm->console.base + PAGE_SIZE) ||
	       (vm->gpio.base && ipa >= vm->gpio.base && ipa < vm->gpio.base + PAGE_SIZE) ||
	       (vm->rtc.base && ipa >= vm->rtc.base && ipa < vm->rtc.base + PAGE_SIZE) ||
	       virtio_mmio_claims(vm, ipa);
}

bool mmio_emulate(struct vcpu *vcpu, uint64_t ipa, unsigned size, bool write, uint64_t *val)
{
	return vgicv3_mmio(vcpu, ipa, size, write, val) ||
	       vconsole_mmio(vcpu, ipa, size, write, val) ||
	       vgpio_mmio(vcpu, ipa, size, write, val) ||
	       vrtc_mmio(vcpu, ipa, size, write, val) ||
	       virtio_mmio_access(vcpu, ipa, size, write, val);
}
