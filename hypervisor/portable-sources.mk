# The hypervisor's sources that build for the host against the fake arch/
# (arch/fake/fake.c), for the unit tests and the fuzz targets: one list, so
# a new device or core file is added once. Paths are relative to hypervisor/.
HV_PORTABLE_SRCS := core/galloc.c core/heap.c core/pgtable.c core/bootargs.c core/board.c \
	core/mvm_fdt.c core/psci.c core/state.c core/log.c core/vm.c core/panic.c \
	core/vgic.c core/hypercall.c core/guest_mem.c core/events.c core/vm_lifecycle.c \
	core/mmio.c core/vm_device.c core/stats.c core/rt.c core/irq.c core/smccc.c core/image.c core/update.c \
	core/state_convert.c core/dirty.c core/migrate.c core/vmstate.c \
	devices/vgicv3.c devices/vpl011.c devices/vpl061.c devices/vpl031.c devices/virtq.c \
	devices/virtio_mmio.c devices/virtio_console.c devices/virtio_blk.c devices/virtio_net.c \
	devices/virtio_rng.c devices/virtio_mediated.c devices/passthrough.c \
	lib/printf.c lib/sha256.c platform/platforms.c arch/fake/fake.c
