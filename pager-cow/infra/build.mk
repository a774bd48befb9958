# pager-cow/infra/: the 'pager' program (hosting the student's $(LIBPAGER))
# and the app library libvmapp.a that app programs link with.
#
# App code and the app library are built without sanitizers: an app's arena
# lives at a fixed address (0x600000000) that ASan reserves for its shadow,
# and apps are the students' test programs, not the kit.  --coverage stays.
INFRA_SRCS := pager-cow/infra/pager_main.c pager-cow/infra/infra_server.c \
              pager-cow/infra/infra_machine.c pager-cow/infra/vm_proto.c
VMAPP_SRCS := pager-cow/infra/vm_app.c pager-cow/infra/vm_proto.c
PAGER_BIN := $(BUILD)/pager
LIBVMAPP := $(BUILD)/lib/libvmapp.a

# Objects for app-side code: own tree, no sanitizer flags.
app_objs = $(patsubst %.c,$(O)/app/%.o,$(1))
APP_CFLAGS = $(filter-out -fsanitize%,$(CFLAGS)) -Ipager-cow -Ipager-cow/infra
# --coverage: pull in __gcov_dump, which the app library calls (weakly)
# before an app dies without exit.
APP_LDFLAGS = $(filter-out -fsanitize%,$(LDFLAGS)) \
  $(if $(findstring --coverage,$(LDFLAGS)),-Wl$(comma)--undefined=__gcov_dump)
comma := ,
APP_LDLIBS := -ldl

$(call objs,$(INFRA_SRCS)): CFLAGS += -Ipager-cow -Ipager-cow/infra

$(O)/app/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(APP_CFLAGS) -c -o $@ $<

LIBS += $(LIBVMAPP)
$(LIBVMAPP): $(call app_objs,$(VMAPP_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

ifneq ($(PAGER_SRCS),)
PROGRAMS += $(PAGER_BIN)
$(PAGER_BIN): $(call objs,$(INFRA_SRCS)) $(LIBPAGER)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBPAGER) $(LDLIBS)
endif
