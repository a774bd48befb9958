# tests/: check suites.  tests/common/check_<module>.c -> build/tests/check_<module>
# tests/stage/*.c is built once per phase in STAGES (set by the phase
# fragments) -> build/tests/check_stage_<phase>, with -DSTAGE_OPS=<phase>_ops
# and the phase's STAGE_OPTIONS_CFLAGS_<phase> (set by its fragment, if any).
CHECK_UTIL_SRCS := tests/check_util.c

$(foreach f,$(wildcard tests/common/check_*.c),\
  $(eval $(call check_test,$(basename $(notdir $(f))),$(f) $(CHECK_UTIL_SRCS),$(LIBCOMMON))))

STAGE_TEST_SRCS := $(wildcard tests/stage/*.c)
define stage_test
$(O)/stage-$(1)/%.o: %.c | deps
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(CHECK_CFLAGS) -Itests -DSTAGE_OPS=$(1)_ops $$(STAGE_OPTIONS_CFLAGS_$(1)) -c -o $$@ $$<
TEST_BINS += $(BUILD)/tests/check_stage_$(1)
$(BUILD)/tests/check_stage_$(1): $(patsubst %.c,$(O)/stage-$(1)/%.o,$(STAGE_TEST_SRCS)) $(call objs,$(CHECK_UTIL_SRCS)) $(LIB_$(1)) $(LIBCOMMON)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB_$(1)) $(LIBCOMMON) $$(CHECK_LIBS) $$(LDLIBS)
endef
ifneq ($(STAGE_TEST_SRCS),)
$(foreach s,$(STAGES),$(eval $(call stage_test,$(s))))
endif

-include tests/*/build.mk
