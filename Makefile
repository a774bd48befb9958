# pagelab - top-level build.
#
#   make            build everything into build/ (test build: lockorder on)
#   make test       run every check suite; non-zero exit on any failure
#   make grade      grade the reference solution, print the scorecard
#   make coverage   lcov HTML with branch coverage under build/coverage/
#   make asan|tsan  sanitizer builds (build/asan, build/tsan) running the suites
#   make bench      release build, benchmarks into build/bench/
#   make skeleton   which file of each phase calls which (build/skeleton/)
#
# Each directory adds its own targets in a build.mk fragment included below.

BUILD ?= build
O := $(BUILD)/obj
# The compiler: CC=... on make's command line or in the environment (gcc 11
# and later, clang 14 and later build the kit warning-free); cc otherwise.
# A build directory remembers the compiler it was made with ($(BUILD)/cc.mk)
# and a make that names none uses it: so the grader's sandboxed build of a
# submission, whose environment is empty, compiles with the compiler that
# 'make grade CC=clang-14' (or CC=... grading/grade.sh) built its base with.
ifneq ($(filter default undefined,$(origin CC)),)
  -include $(BUILD)/cc.mk
else
  $(shell mkdir -p $(BUILD) && echo 'CC := $(CC)' > $(BUILD)/cc.mk)
endif

# Debian packages the kit needs (fragments may add more).
DEB_PACKAGES := check lcov pkg-config

CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror
OPT ?= -O2 -g
ifeq ($(RELEASE),1)
  MODE_FLAGS := -DNDEBUG
else
  MODE_FLAGS := -DPAGELAB_LOCKORDER -DPAGELAB_DEBUG
endif
# SOLUTION: the reference solution's regions (the handout strips them).
CFLAGS += $(CSTD) $(WARN) -DSOLUTION $(OPT) $(MODE_FLAGS) $(EXTRA_CFLAGS) -pthread \
          -MMD -MP -Icommon
LDFLAGS += -pthread $(EXTRA_LDFLAGS)
LDLIBS += -lm
# Evaluated when a recipe runs, i.e. after 'deps' has installed check.
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

# Filled in by the fragments.
LIBS :=
PROGRAMS :=
TEST_BINS :=
CLEAN_EXTRA :=

.PHONY: all deps test grade coverage coverage-run asan tsan bench bench-run \
        skeleton clean
all: $(BUILD)/.built

# Keep intermediate objects (app objects, per-stage test objects) so a
# second make has nothing to redo.
.SECONDARY:

# --- helpers ---------------------------------------------------------------
# $(call objs,SOURCES) -> object files under $(O)
objs = $(patsubst %.c,$(O)/%.o,$(1))

# $(call static_lib,LIBPATH,SOURCES)
define static_lib
LIBS += $(1)
$(1): $(call objs,$(2))
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef

# $(call check_test,NAME,SOURCES,LIBS-IN-LINK-ORDER)
define check_test
TEST_BINS += $(BUILD)/tests/$(1)
$(BUILD)/tests/$(1): $(call objs,$(2)) $(3)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(3) $$(CHECK_LIBS) $$(LDLIBS)
endef

$(O)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(if $(findstring tests/,$<),$(CHECK_CFLAGS) -Itests) -c -o $@ $<

# --- fragments -------------------------------------------------------------
include common/build.mk
-include phase1-single/build.mk
-include phase2-locks/build.mk
-include phase3-optimized/build.mk
-include pager-cow/build.mk
include tests/build.mk
-include grading/build.mk

$(BUILD)/.built: $(LIBS) $(PROGRAMS) $(TEST_BINS)
	@touch $@

# --- set-up ----------------------------------------------------------------
# Install missing Debian packages when root with apt-get; otherwise stop
# with one line naming them.  SKIP_DEPS=1: the caller has checked them (the
# grader's sandboxed build, which cannot see the package database).
deps:
	@[ -z "$(SKIP_DEPS)" ] || exit 0; \
	missing=""; \
	for p in $(sort $(DEB_PACKAGES)); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "pagelab: installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
	      || { echo "pagelab: apt-get could not install:$$missing" >&2; exit 1; }; \
	  else \
	    echo "pagelab: missing Debian packages:$$missing (run: sudo apt-get install$$missing)" >&2; \
	    exit 1; \
	  fi; \
	fi

# --- running ---------------------------------------------------------------
test: $(BUILD)/.built
	@tests/run_suites.sh $(TEST_BINS)

asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" test

tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1 -g" \
	  EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" \
	  PAGELAB_TSAN=1 test

coverage:
	$(MAKE) BUILD=build/cov OPT="-O0 -g" EXTRA_CFLAGS="--coverage" \
	  EXTRA_LDFLAGS="--coverage" coverage-run

# (internal) run the suites of a --coverage build without forking, report.
coverage-run: $(BUILD)/.built
	find $(BUILD) -name '*.gcda' -delete
	CK_FORK=no tests/run_suites.sh --no-fail $(TEST_BINS)
	tests/coverage_report.sh $(BUILD) build/coverage

# Benchmarks: a release build (no lockorder, no debug poisoning); each
# fragment appends its part with a 'bench-run::' rule; results go to
# build/bench/.
bench:
	$(MAKE) RELEASE=1 BUILD=build/release bench-run

bench-run:: $(BUILD)/.built
	@mkdir -p build/bench

# The phases' file-to-file calls, read from their objects, drawn side by
# side in the skeleton's order (tests/skeleton_graph.sh).
skeleton: $(BUILD)/.built
	BUILD=$(BUILD) tests/skeleton_graph.sh

clean:
	rm -rf build $(CLEAN_EXTRA)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
