# tests/pager/: check suites that drive the pager in-process through the
# simulated kernel.  tests/pager/check_pager*.c -> build/tests/check_pager*
PAGER_TEST_SRCS := tests/pager/simkernel.c $(CHECK_UTIL_SRCS)
$(O)/tests/pager/%.o: CFLAGS += -Ipager-cow

ifneq ($(PAGER_SRCS),)
$(foreach f,$(wildcard tests/pager/check_pager*.c),\
  $(eval $(call check_test,$(basename $(notdir $(f))),$(f) $(PAGER_TEST_SRCS),$(LIBPAGER))))
endif
