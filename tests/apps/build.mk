# tests/apps/: app programs run against the real pager program.
#   tests/apps/<name>.c      -> $(BUILD)/apps/<name> (linked with libvmapp.a)
#   tests/apps/<name>.cpp    -> the same, a C++ app built as EECS 482 does
#   tests/apps/<name>.err    optional: the pager's expected stderr
#   tests/apps/<name>.trace  the expected pager trace (pids normalized)
#   tests/apps/<name>.out    the expected app output, plus its exit line
#   tests/apps/data/         files the apps map (copied per run)
#   check_apps.c             the check suite running every app
APP_TEST_SRCS := $(filter-out tests/apps/check_apps.c,$(wildcard tests/apps/*.c))
APP_BINS := $(patsubst tests/apps/%.c,$(BUILD)/apps/%,$(APP_TEST_SRCS))
PROGRAMS += $(APP_BINS)

# -O0: every arena access in an app happens, in program order, with gcc and
# clang alike, so the trace does not depend on the compiler's optimizer.
$(O)/app/tests/apps/%.o: APP_CFLAGS += -O0

$(BUILD)/apps/%: $(O)/app/tests/apps/%.o $(LIBVMAPP)
	@mkdir -p $(@D)
	$(APP_LINK) $(APP_LDFLAGS) -o $@ $< $(LIBVMAPP) $(APP_LDLIBS)
APP_LINK = $(CC)

# C++ apps (tests/apps/<name>.cpp): built as EECS 482's Makefiles build
# them, g++ -g -Wall -fno-builtin -std=c++17, plus -Werror (no optimizer
# either, so the -O0 rule above holds for them too), and linked with g++.
APP_CXX := g++
DEB_PACKAGES += g++
APP_CXXFLAGS := -g -Wall -fno-builtin -std=c++17 -Werror -Ipager-cow -Itests/apps
APP_CXX_SRCS := $(wildcard tests/apps/*.cpp)
APP_CXX_BINS := $(patsubst tests/apps/%.cpp,$(BUILD)/apps/%,$(APP_CXX_SRCS))
PROGRAMS += $(APP_CXX_BINS)
$(APP_CXX_BINS): APP_LINK = $(APP_CXX)

$(O)/app/tests/apps/%.o: tests/apps/%.cpp | deps
	@mkdir -p $(@D)
	$(APP_CXX) $(APP_CXXFLAGS) -MMD -MP -c -o $@ $<

# vm_app.h must compile cleanly as C11 and as C++11/14/17/20 with -Wall
# -Wextra (tests/apps/compile/vm_app_482.cc uses it as 482 programs do).
APP_HEADER_CHECK := $(BUILD)/apps/.vm_app_482.ok
$(APP_HEADER_CHECK): tests/apps/compile/vm_app_482.cc pager-cow/vm_app.h \
                     pager-cow/vm_arena.h
	@mkdir -p $(@D)
	$(CC) -x c -std=c11 -Wall -Wextra -Werror -fsyntax-only -Ipager-cow $<
	for std in c++11 c++14 c++17 c++20; do \
	  $(APP_CXX) -x c++ -std=$$std -Wall -Wextra -Werror -fsyntax-only \
	    -Ipager-cow $< || exit 1; \
	done
	touch $@

ifneq ($(PAGER_SRCS),)
$(O)/tests/apps/check_apps.o: CFLAGS += \
  -DAPPS_SRC_DIR='"$(CURDIR)/tests/apps"' \
  -DAPPS_BIN_DIR='"$(abspath $(BUILD))/apps"' \
  -DAPPS_PAGER='"$(abspath $(PAGER_BIN))"' -Ipager-cow -Ipager-cow/infra
$(eval $(call check_test,check_apps,tests/apps/check_apps.c $(CHECK_UTIL_SRCS) pager-cow/infra/vm_proto.c,))
$(BUILD)/tests/check_apps: $(PAGER_BIN) $(APP_BINS) $(APP_CXX_BINS) \
                           $(APP_HEADER_CHECK)
endif
.PRECIOUS: $(O)/app/tests/apps/%.o
-include $(patsubst tests/apps/%.cpp,$(O)/app/tests/apps/%.d,$(APP_CXX_SRCS))
