# phase2-locks/: the concurrent stage -> libphase2.a (the shared stage
# suite is built for it as build/tests/check_stage_phase2).
STAGES += phase2
LIB_phase2 := $(BUILD)/lib/libphase2.a
$(eval $(call static_lib,$(LIB_phase2),$(wildcard phase2-locks/*.c)))
