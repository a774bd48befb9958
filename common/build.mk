# common/: the core every stage shares -> libcommon.a
COMMON_SRCS := $(wildcard common/*.c)
LIBCOMMON := $(BUILD)/lib/libcommon.a
$(eval $(call static_lib,$(LIBCOMMON),$(COMMON_SRCS)))
