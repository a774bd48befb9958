# grading/: the autograder (grader), rubrics, handout, planted bugs and
# Gradescope/Autolab packaging.  Targets:
#
#   make grade [SUBMISSION=dir|tarball] [MILESTONE=M1] [AUTOLAB=1]
#              grade the reference (no SUBMISSION) or a submission;
#              scorecard on stdout, build/grade/results.json
#   make grade-tests STUDENT_TESTS=dir [MILESTONE=M1] [BUGS_FOR_FULL=n]
#              grade a student's own tests against the planted bugs
#   make grade-samples   grade the hostile samples; prove none gains
#   make check-bugs      prove the kit's tests catch every planted bug
#   make handout         the student starter kit: build/handout/
#   make handout-check   the handout builds, fails cleanly, grades low
#   make autograder      build/autograder/: Gradescope zip, Autolab files
DEB_PACKAGES += libxml2-dev unifdef zip rsync patch

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
	@grading/grade.sh

grade-tests:
	@grading/grade_tests.sh

grade-samples:
	@grading/test_samples.sh

check-bugs:
	@grading/check_bugs.sh

handout:
	@grading/handout.sh

handout-check:
	@grading/handout.sh --check

autograder:
	@grading/package.sh
