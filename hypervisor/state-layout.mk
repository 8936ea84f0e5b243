# The state area's layout fingerprint (HV_STATE_LAYOUT, tools/state-layout.py),
# for each build of the core (the image, the unit tests, the fuzz targets).
# Set STATE_LAYOUT_CC, STATE_LAYOUT_CFLAGS (the build's own flags) and
# STATE_LAYOUT_DIR (a build folder that is on the include path) first, and
# include it after the default goal; make $(STATE_LAYOUT_H) an order-only
# prerequisite of the objects. The header is
# rewritten only when the layout changes, so nothing rebuilds otherwise.
HV_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
STATE_LAYOUT_H := $(STATE_LAYOUT_DIR)/state_layout.h
# The descriptions of the layouts this build takes over (core/state_convert.c),
# from the object and from those recorded in hypervisor/state-layouts/.
STATE_LAYOUTS_H := $(STATE_LAYOUT_DIR)/state_layouts.h
# The descriptions of a guest's state records (core/vmstate.c).
VMSTATE_LAYOUTS_H := $(STATE_LAYOUT_DIR)/vmstate_layouts.h
STATE_LAYOUTS_RECORDED := $(HV_DIR)/state-layouts
STATE_LAYOUT_OBJ := $(STATE_LAYOUT_DIR)/state_layout-dwarf.o
STATE_LAYOUT_STAMP := $(STATE_LAYOUT_DIR)/state_layout.stamp

$(STATE_LAYOUT_OBJ): $(HV_DIR)/core/state_layout.c
	@mkdir -p $(dir $@)
	@$(STATE_LAYOUT_CC) $(STATE_LAYOUT_CFLAGS) -g -MMD -MP -c $< -o $@

$(STATE_LAYOUT_STAMP): $(STATE_LAYOUT_OBJ) $(HV_DIR)/tools/state-layout.py \
		$(wildcard $(STATE_LAYOUTS_RECORDED)/*.txt)
	@/usr/bin/python3 $(HV_DIR)/tools/state-layout.py $< --header $(STATE_LAYOUT_H) \
		--layouts $(STATE_LAYOUTS_H) --recorded $(STATE_LAYOUTS_RECORDED) \
		--vmstate $(VMSTATE_LAYOUTS_H)
	@touch $@

$(STATE_LAYOUT_H) $(STATE_LAYOUTS_H) $(VMSTATE_LAYOUTS_H): $(STATE_LAYOUT_STAMP)
	@:

-include $(STATE_LAYOUT_OBJ:.o=.d)
