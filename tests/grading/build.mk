# tests/grading/: the grader's own tests.
#   fixture_suite.c  -> $(BUILD)/grading-fixture/tests/fixture_honest, and
#                       one fixture_<sample> per grading/samples/<sample>.c
#                       (no_compile excepted) linked with that sample
#   check_grader.c   -> $(BUILD)/tests/check_grader: grades the fixtures
#                       with the real grader and checks no sample gains
#   check_results.c  -> $(BUILD)/tests/check_results: every kind of
#                       results.json the kit writes validates against
#                       grading/gradescope-results.schema.json
GRADING_FIXTURE_DIR := $(BUILD)/grading-fixture
GRADING_SAMPLES := $(filter-out no_compile,$(basename $(notdir $(wildcard grading/samples/*.c))))
GRADING_FIXTURES := $(GRADING_FIXTURE_DIR)/tests/fixture_honest \
  $(patsubst %,$(GRADING_FIXTURE_DIR)/tests/fixture_%,$(GRADING_SAMPLES))
PROGRAMS += $(GRADING_FIXTURES)

$(GRADING_FIXTURE_DIR)/tests/fixture_honest: $(O)/tests/grading/fixture_suite.o $(call objs,$(CHECK_UTIL_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

$(GRADING_FIXTURE_DIR)/tests/fixture_%: $(O)/tests/grading/fixture_suite.o $(O)/grading/samples/%.o $(call objs,$(CHECK_UTIL_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

$(O)/tests/grading/check_grader.o: CFLAGS += \
  -DGRADER_BIN='"$(abspath $(BUILD)/grading/grader)"' \
  -DFIXTURE_BUILD='"$(abspath $(GRADING_FIXTURE_DIR))"'
$(eval $(call check_test,check_grader,tests/grading/check_grader.c $(CHECK_UTIL_SRCS),))
$(BUILD)/tests/check_grader: $(BUILD)/grading/grader $(GRADING_FIXTURES)

$(O)/tests/grading/check_results.o: CFLAGS += -DKIT_DIR='"$(abspath .)"' \
  -DBUILD_DIR='"$(abspath $(BUILD))"' \
  -DFIXTURE_BUILD='"$(abspath $(GRADING_FIXTURE_DIR))"'
$(eval $(call check_test,check_results,tests/grading/check_results.c $(CHECK_UTIL_SRCS),))
$(BUILD)/tests/check_results: $(BUILD)/grading/grader $(GRADING_FIXTURES)

#   check_screen.c   -> $(BUILD)/tests/check_screen: grading/screen.sh on
#                       the fixtures in screen_fixtures/ (built with this
#                       build's compiler and flags, next to its objects)
SCREEN_TEST_CFLAGS := $(filter-out -MMD -MP,$(CFLAGS))
$(O)/tests/grading/check_screen.o: CFLAGS += \
  -DSCREEN_KIT='"$(abspath .)"' -DSCREEN_BUILD='"$(abspath $(BUILD))"' \
  -DSCREEN_CC='"$(CC)"' -DSCREEN_CFLAGS='"$(SCREEN_TEST_CFLAGS)"'
$(eval $(call check_test,check_screen,tests/grading/check_screen.c $(CHECK_UTIL_SRCS),))

#   check_sandbox.c  -> $(BUILD)/tests/check_sandbox: small hostile programs
#                       run through 'grader --sandbox' (visibility, network,
#                       private /tmp, daemons, uid, memory, fork bomb, deep
#                       trees, deadline); skips where bubblewrap cannot run
$(O)/tests/grading/check_sandbox.o: CFLAGS += \
  -DGRADER_BIN='"$(abspath $(BUILD)/grading/grader)"' \
  -DKIT_DIR='"$(abspath .)"' -DSCRATCH_DIR='"$(abspath $(BUILD))"'
$(eval $(call check_test,check_sandbox,tests/grading/check_sandbox.c $(CHECK_UTIL_SRCS),))
$(BUILD)/tests/check_sandbox: $(BUILD)/grading/grader

#   check_engines.sh -> $(BUILD)/tests/check_engines: every engine's entry
#                       point (grading/engines/) on the reference and a
#                       broken submission, in that platform's layout, its
#                       output checked against the platform's format
TEST_BINS += $(BUILD)/tests/check_engines
$(BUILD)/tests/check_engines: tests/grading/check_engines.sh $(BUILD)/grading/grader
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec bash %s %s\n' "$(abspath tests/grading/check_engines.sh)" \
	  "$(abspath $(BUILD))" > $@ && chmod +x $@

#   check_unpack.c   -> $(BUILD)/tests/check_unpack: grading/unpack.sh finds
#                       a submission's files in the layouts students use
$(O)/tests/grading/check_unpack.o: CFLAGS += -DKIT_DIR='"$(abspath .)"'
$(eval $(call check_test,check_unpack,tests/grading/check_unpack.c $(CHECK_UTIL_SRCS),))
