# grading/: the autograder (grader), rubrics, handout, planted bugs and
# Gradescope/Autolab packaging.  Targets:
#
#   make grade [SUBMISSION=dir|tarball] [MILESTONE=M1] [AUTOLAB=1]
#              [GRADE_EXIT_ZERO=1]
#              grade the reference (no SUBMISSION) or a submission;
#              scorecard on stdout, build/grade/results.json; exit 0 only
#              at full marks (GRADE_EXIT_ZERO=1: always), 1 below, 2+ error
#   make grade-tests STUDENT_TESTS=dir [MILESTONE=M1] [BUGS_FOR_FULL=n]
#              grade a student's own tests against the planted bugs
#   make grade-samples   grade the hostile samples; prove none gains
#   make grade-coverage [MILESTONE=M1] [STUDENT_TESTS=dir]
#              line/branch coverage of the stage code (lcov HTML + summary)
#   make check-bugs      prove the kit's tests catch every planted bug
#   make handout         the student starter kit: build/handout/
#   make handout-check   the handout builds, fails cleanly, grades low
#   make autograder      build/autograder/: Gradescope zip, Autolab files
DEB_PACKAGES += libxml2-dev unifdef zip unzip rsync patch jq python3-jsonschema \
  bubblewrap libarchive-tools binutils

GRADER_SRCS := $(wildcard grading/*.c)
GRADER := $(BUILD)/grading/grader
XML_CFLAGS = $(shell pkg-config --cflags libxml-2.0)
XML_LIBS = $(shell pkg-config --libs libxml-2.0)
PROGRAMS += $(GRADER)

$(O)/grading/%.o: CFLAGS += $(XML_CFLAGS)

$(GRADER): $(call objs,$(GRADER_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS) $(LDLIBS)

.PHONY: grade-tests grade-samples check-bugs handout handout-check autograder

grade:
	@REF_BUILD="$(BUILD)" SUBMISSION="$(SUBMISSION)" MILESTONE="$(MILESTONE)" \
	  AUTOLAB="$(AUTOLAB)" COVERAGE="$(COVERAGE)" \
	  GRADE_EXIT_ZERO="$(GRADE_EXIT_ZERO)" grading/grade.sh

grade-tests:
	@STUDENT_TESTS="$(STUDENT_TESTS)" MILESTONE="$(MILESTONE)" \
	  BUGS_FOR_FULL="$(BUGS_FOR_FULL)" REF_BUILD="$(BUILD)" grading/grade_tests.sh

grade-samples:
	@grading/test_samples.sh

check-bugs:
	@grading/check_bugs.sh

handout:
	@grading/handout.sh

handout-check:
	@grading/handout.sh --check

autograder:
	@MILESTONE="$(MILESTONE)" grading/package.sh

# The program the grader times for performance items, one per stage:
# $(BUILD)/grading/perf_<phase> (see grading/perf/perf_stage.c).
define grading_perf
PROGRAMS += $(BUILD)/grading/perf_$(1)
$(O)/grading/perf-$(1)/perf_stage.o: grading/perf/perf_stage.c | deps
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -DSTAGE_OPS=$(1)_ops $$(STAGE_OPTIONS_CFLAGS_$(1)) -c -o $$@ $$<
$(BUILD)/grading/perf_$(1): $(O)/grading/perf-$(1)/perf_stage.o $(LIB_$(1)) $(LIBCOMMON)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(LIB_$(1)) $(LIBCOMMON) $$(LDLIBS)
endef
$(foreach s,$(STAGES),$(eval $(call grading_perf,$(s))))

# The Debian packages the kit needs, one line (for setup.sh).
.PHONY: print-deb-packages
print-deb-packages:
	@echo $(sort $(DEB_PACKAGES))

.PHONY: grade-coverage
grade-coverage:
	@MILESTONE="$(MILESTONE)" STUDENT_TESTS="$(STUDENT_TESTS)" grading/coverage.sh

# App runners for 'make grade-tests' in app mode (M4, grading/grade_tests.sh):
# tests/apps/check_apps.c (the judge) and grading/apptest/record_apps.c
# (the recorder, which includes check_apps.c) built against a folder of
# apps other than tests/apps.
#   $(call app_runner,BINARY,SOURCE,APPS-DIR,APPS-BIN-DIR,RECORD-DIR)
# The kit's own build makes $(BUILD)/grading/record_apps against tests/apps
# (never run: it proves the recorder compiles in every build flavour).
define app_runner
$(O)/app-runners/$(notdir $(1)).o: $(2) | deps
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(CHECK_CFLAGS) -Itests -Itests/apps -Ipager-cow \
	  -Ipager-cow/infra -DAPPS_SRC_DIR='"$(abspath $(3))"' \
	  -DAPPS_BIN_DIR='"$(abspath $(4))"' \
	  -DAPPS_PAGER='"$(abspath $(PAGER_BIN))"' \
	  -DAPPS_RECORD_DIR='"$(abspath $(5))"' -c -o $$@ $$<
$(1): $(O)/app-runners/$(notdir $(1)).o \
      $(call objs,$(CHECK_UTIL_SRCS) pager-cow/infra/vm_proto.c)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(CHECK_LIBS) $$(LDLIBS)
endef

ifneq ($(PAGER_SRCS),)
PROGRAMS += $(BUILD)/grading/record_apps
$(eval $(call app_runner,$(BUILD)/grading/record_apps,grading/apptest/record_apps.c,tests/apps,$(BUILD)/apps,$(BUILD)/grading/app-records))

# A student's apps, copied by grade_tests.sh into tests/student_apps/ of
# its grading tree: $(BUILD)/student_apps/<name>, built like tests/apps
# (-O0, the app library) but warnings are not errors, and the whole app
# library is linked in (an app that calls no vm_* function still starts as
# a managed process instead of leaving the pager waiting).  'make
# student-apps' builds them (with make -k, one app that does not compile
# stops no other), the pager and both runners.
STUDENT_APP_SRCS := $(wildcard tests/student_apps/*.c)
STUDENT_APP_BINS := $(patsubst tests/student_apps/%.c,$(BUILD)/student_apps/%,$(STUDENT_APP_SRCS))
$(O)/app/tests/student_apps/%.o: APP_CFLAGS += -O0 -Wno-error -Itests/apps
$(BUILD)/student_apps/%: $(O)/app/tests/student_apps/%.o $(LIBVMAPP)
	@mkdir -p $(@D)
	$(CC) $(APP_LDFLAGS) -o $@ $< -Wl,--whole-archive $(LIBVMAPP) \
	  -Wl,--no-whole-archive $(APP_LDLIBS)
$(eval $(call app_runner,$(BUILD)/tests/check_student_apps,tests/apps/check_apps.c,tests/student_apps,$(BUILD)/student_apps,$(BUILD)/student_apps))
$(eval $(call app_runner,$(BUILD)/tests/record_student_apps,grading/apptest/record_apps.c,tests/student_apps,$(BUILD)/student_apps,$(BUILD)/app-records))
.PHONY: student-apps
student-apps: $(PAGER_BIN) $(BUILD)/tests/check_student_apps \
              $(BUILD)/tests/record_student_apps $(STUDENT_APP_BINS)
endif

# The compiler and flags the stage sources are built with, for
# grading/screen.sh (SCREEN_CC, SCREEN_CFLAGS): two lines CC=... CFLAGS=...
.PHONY: print-screen-flags
print-screen-flags:
	@echo 'CC=$(CC)'
	@echo 'CFLAGS=$(filter-out -MMD -MP,$(CFLAGS))'

# The grader image (grading/image/build.sh): a root file system from
# Debian's packages (mmdebstrap) with the kit prebuilt, as a tarball for
# 'docker import' / 'podman import': build/image/pagelab-grader.tar.
.PHONY: image
image:
	@grading/image/build.sh
