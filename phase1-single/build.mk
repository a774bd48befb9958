# phase1-single/: the single-threaded state machine -> libphase1.a
STAGES += phase1
LIB_phase1 := $(BUILD)/lib/libphase1.a
$(eval $(call static_lib,$(LIB_phase1),$(wildcard phase1-single/*.c)))
