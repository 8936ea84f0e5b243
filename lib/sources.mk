# libshyper's sources, one list for every build of it: the library itself
# (lib/Makefile), its host unit tests (tests/unit/lib) and the fuzz targets.
# LIB_DOMAIN_SRCS is the domain XML reader and writer with the device-tree
# code it needs, which the fuzz target of definitions links alone.
LIB_DOMAIN_SRCS := domain.c domain_diag.c domain_xml.c domain_identity.c domain_memory.c \
	domain_cpu.c domain_os.c domain_devices.c domain_console.c domain_disk.c \
	domain_interface.c domain_hostdev.c domain_metadata.c domain_lifecycle.c \
	domain_features.c guest_fdt.c hostdev_fdt.c
# Managed VMs: the definition store, listing, defining, a guest's images,
# the lifecycle and console cursors.
LIB_MANAGE_SRCS := manage_store.c manage_list.c manage_define.c manage_load.c \
	manage_lifecycle.c manage_rt.c console_cursor.c manage_migrate.c manage_sends.c
# Everything but the transport (lib/transport.c, the real /dev/shyper), which
# the unit tests replace with a fake.
LIB_PORTABLE_SRCS := error.c handle.c hv.c stats.c update.c vm.c json.c guest.c elf.c hostdev.c board_cpu.c \
	migrate_mem.c migrate_stream.c migrate_disk.c migrate_http.c \
	$(LIB_MANAGE_SRCS) $(LIB_DOMAIN_SRCS)
LIB_SRCS_ALL := $(LIB_PORTABLE_SRCS) transport.c
