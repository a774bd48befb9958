# tests/phase3/: phase3-optimized's own suite (stress + optimization edge
# cases) -> build/tests/check_phase3 (stage helpers: p3_fixture.c; waits with a deadline:
# tests/common/bounded_wait.c).
$(O)/tests/phase3/%.o: CFLAGS += -Iphase3-optimized -Itests/common
$(eval $(call check_test,check_phase3,tests/phase3/check_phase3.c tests/phase3/p3_fixture.c tests/common/bounded_wait.c $(CHECK_UTIL_SRCS),$(LIB_phase3) $(LIBCOMMON)))
# The hidden items (tests/phase3/check_phase3_hidden.c, not in student
# handouts) -> build/tests/check_phase3_hidden; absent file, no binary.
ifneq ($(wildcard tests/phase3/check_phase3_hidden.c),)
$(eval $(call check_test,check_phase3_hidden,tests/phase3/check_phase3_hidden.c tests/phase3/p3_fixture.c tests/common/bounded_wait.c $(CHECK_UTIL_SRCS),$(LIB_phase3) $(LIBCOMMON)))
endif
