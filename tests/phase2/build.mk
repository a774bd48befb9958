# tests/phase2/: phase2-locks' concurrency suite -> build/tests/check_phase2
# (waits with a deadline: tests/common/bounded_wait.c)
ifneq ($(LIB_phase2),)
$(O)/tests/phase2/%.o: CFLAGS += -Iphase2-locks -Itests/common
$(eval $(call check_test,check_phase2,tests/phase2/check_phase2.c tests/phase2/p2_fixture.c tests/common/bounded_wait.c $(CHECK_UTIL_SRCS),$(LIB_phase2) $(LIBCOMMON)))
endif
# The hidden items (tests/phase2/check_phase2_hidden.c, not in student
# handouts) -> build/tests/check_phase2_hidden; absent file, no binary.
ifneq ($(LIB_phase2),)
ifneq ($(wildcard tests/phase2/check_phase2_hidden.c),)
$(eval $(call check_test,check_phase2_hidden,tests/phase2/check_phase2_hidden.c tests/phase2/p2_fixture.c tests/common/bounded_wait.c $(CHECK_UTIL_SRCS),$(LIB_phase2) $(LIBCOMMON)))
endif
endif
