# pager-cow/: the student's pager (libpager.a) and, in infra/, the pager
# program and the app library.  pager.c uses common/list.c, which goes into
# libpager.a too, so the archive links on its own.
PAGER_SRCS := $(wildcard pager-cow/pager.c)
LIBPAGER := $(BUILD)/lib/libpager.a
ifneq ($(PAGER_SRCS),)
$(eval $(call static_lib,$(LIBPAGER),$(PAGER_SRCS) common/list.c common/panic.c))
endif
-include pager-cow/infra/build.mk
