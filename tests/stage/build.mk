# tests/stage/: the stage suite's waits with a deadline (the workload runs,
# start and stop) come from tests/common/bounded_wait.c, linked into every
# check_stage_<phase> that tests/build.mk defines.
$(foreach s,$(STAGES),\
  $(eval $(BUILD)/tests/check_stage_$(s): $(call objs,tests/common/bounded_wait.c)))
# tests/stage/hidden/check_stage_hidden.c (the hidden items, not in student
# handouts): built per phase in STAGES, like the stage suite, into
# build/tests/check_stage_hidden_<phase>, with the suite's fixture; absent
# file, no binary.
STAGE_HIDDEN_SRC := $(wildcard tests/stage/hidden/check_stage_hidden.c)
ifneq ($(STAGE_HIDDEN_SRC),)
define stage_hidden_test
TEST_BINS += $(BUILD)/tests/check_stage_hidden_$(1)
$(BUILD)/tests/check_stage_hidden_$(1): $(O)/stage-$(1)/tests/stage/hidden/check_stage_hidden.o $(O)/stage-$(1)/tests/stage/stage_fixture.o $(call objs,$(CHECK_UTIL_SRCS) tests/common/bounded_wait.c) $(LIB_$(1)) $(LIBCOMMON)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB_$(1)) $(LIBCOMMON) $$(CHECK_LIBS) $$(LDLIBS)
endef
$(foreach s,$(STAGES),$(eval $(call stage_hidden_test,$(s))))
endif
