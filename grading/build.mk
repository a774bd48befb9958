# grading/: the autograder (grader), rubrics, handout, planted bugs and
# Gradescope/Autolab packaging.  Targets:
#
#   make grade [SUBMISSION=dir|tarball] [MILESTONE=M1] [AUTOLAB=1]
#              grade the reference (no SUBMISSION) or a submission;
#              scorecard on stdout, build/grade/results.json
#   make grade-tests STUDENT_TESTS=dir [MILESTONE=M1] [BUGS_FOR_FULL=n]
#              grade a student's own tests against the planted bugs
#   make grade-samples   grade the hostile samples; prove none gains
#   make grade-coverage [MILESTONE=M1] [STUDENT_TESTS=dir]
#              line/branch coverage of the stage code (lcov HTML + summary)
#   make check-bugs      prove the kit's tests catch every planted bug
#   make handout         the student starter kit: build/handout/
#   make handout-check   the handout builds, fails cleanly, grades low
#   make autograder      build/autograder/: Gradescope zip, Autolab files
DEB_PACKAGES += libxml2-dev unifdef zip unzip rsync patch jq

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
	  AUTOLAB="$(AUTOLAB)" COVERAGE="$(COVERAGE)" grading/grade.sh

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
	$$(CC) $$(CFLAGS) -DSTAGE_OPS=$(1)_ops -c -o $$@ $$<
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
