# tests/apps/: app programs run against the real pager program.
#   tests/apps/<name>.c      -> $(BUILD)/apps/<name> (linked with libvmapp.a)
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
	$(CC) $(APP_LDFLAGS) -o $@ $< $(LIBVMAPP) $(APP_LDLIBS)

ifneq ($(PAGER_SRCS),)
$(O)/tests/apps/check_apps.o: CFLAGS += \
  -DAPPS_SRC_DIR='"$(CURDIR)/tests/apps"' \
  -DAPPS_BIN_DIR='"$(abspath $(BUILD))/apps"' \
  -DAPPS_PAGER='"$(abspath $(PAGER_BIN))"' -Ipager-cow -Ipager-cow/infra
$(eval $(call check_test,check_apps,tests/apps/check_apps.c $(CHECK_UTIL_SRCS) pager-cow/infra/vm_proto.c,))
$(BUILD)/tests/check_apps: $(PAGER_BIN) $(APP_BINS)
endif
.PRECIOUS: $(O)/app/tests/apps/%.o
