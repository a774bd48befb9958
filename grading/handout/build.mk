# grading/: the grader, for grading yourself.
#
#   make grade [GRADE_EXIT_ZERO=1]
#       build this tree and grade it on the public tests of its milestone,
#       exactly as the autograder grades them: the scorecard on stdout,
#       build/grade/results.json; items only the autograder grades are
#       listed at the end.  Exit status 0 only at full marks of what was
#       graded, 1 below, 2 or more when grading could not run;
#       GRADE_EXIT_ZERO=1: 0 at any score.  See grading/README.md.
DEB_PACKAGES += libxml2-dev jq

GRADER_SRCS := $(wildcard grading/*.c)
GRADER := $(BUILD)/grading/grader
XML_CFLAGS = $(shell pkg-config --cflags libxml-2.0)
XML_LIBS = $(shell pkg-config --libs libxml-2.0)
PROGRAMS += $(GRADER)

$(O)/grading/%.o: CFLAGS += $(XML_CFLAGS)

$(GRADER): $(call objs,$(GRADER_SRCS))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XML_LIBS) $(LDLIBS)

.PHONY: grade
grade:
	@REF_BUILD="$(BUILD)" GRADE_EXIT_ZERO="$(GRADE_EXIT_ZERO)" \
	  grading/self_grade.sh

# The workload the autograder times for performance items, when this
# milestone has them: $(BUILD)/grading/perf_<phase> THREADS ACCESSES
# PATTERN (see grading/perf/perf_stage.c).
ifneq ($(wildcard grading/perf/perf_stage.c),)
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
endif

# The Debian packages this tree needs, one line.
.PHONY: print-deb-packages
print-deb-packages:
	@echo $(sort $(DEB_PACKAGES))
