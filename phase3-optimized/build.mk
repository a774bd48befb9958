# phase3-optimized/: the scalable stage -> libphase3.a; the shared stage
# suite is built for it as build/tests/check_stage_phase3.
STAGES += phase3
LIB_phase3 := $(BUILD)/lib/libphase3.a
$(eval $(call static_lib,$(LIB_phase3),$(wildcard phase3-optimized/*.c)))
# The stage suites and grading/perf name phase3's option bits (enum phase3_option) through
# its public header.
STAGE_OPTIONS_CFLAGS_phase3 := -Iphase3-optimized \
  -DSTAGE_OPTIONS_HEADER='"phase3.h"'
