# tests/phase2/: phase2-locks' concurrency suite -> build/tests/check_phase2
ifneq ($(LIB_phase2),)
$(O)/tests/phase2/%.o: CFLAGS += -Iphase2-locks
$(eval $(call check_test,check_phase2,tests/phase2/check_phase2.c tests/phase2/p2_fixture.c $(CHECK_UTIL_SRCS),$(LIB_phase2) $(LIBCOMMON)))
endif
