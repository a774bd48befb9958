/*
 * check_util.h - what every check suite shares: the runner main and a few
 * assertions about the shared stage data.
 *
 * Each test file defines make_<module>_suite() with test cases "core" and
 * "limits" tagged "public" (hidden suites: tagged "hidden") and ends with
 * CHECK_MAIN(make_<module>_suite).  The runner honours check's own
 * environment: CK_RUN_SUITE, CK_RUN_CASE, CK_INCLUDE_TAGS, CK_FORK,
 * CK_XML_LOG_FILE_NAME, CK_DEFAULT_TIMEOUT.
 */
#ifndef PAGELAB_CHECK_UTIL_H
#define PAGELAB_CHECK_UTIL_H

#include <check.h>

/* True unless CK_FORK=no.  Without fork mode (the coverage pass) a test
 * that is expected to die would take the whole runner with it, so such
 * tests are left out there: the two macros below replace check's own
 * (check's tcase_add_test is tcase_add_test_raise_signal with signal 0). */
int check_util_forking(void);

#undef tcase_add_test_raise_signal
#define tcase_add_test_raise_signal(tc, ttest, signal)                 \
    do {                                                               \
        if ((signal) == 0 || check_util_forking())                     \
            _tcase_add_test((tc), (ttest), (signal), 0, 0, 1);         \
    } while (0)
#undef tcase_add_exit_test
#define tcase_add_exit_test(tc, ttest, expected_exit_value)            \
    do {                                                               \
        if (check_util_forking())                                      \
            _tcase_add_test((tc), (ttest), 0, (expected_exit_value), 0, 1); \
    } while (0)

/* Run one suite; returns the process exit status (0 when all passed). */
int check_util_run(Suite *suite);

#define CHECK_MAIN(make_suite) \
    int main(void) { return check_util_run(make_suite()); }

/* A test case named name, tagged tags ("public" or "hidden"), added to s,
 * with a timeout in seconds (0: check's default). */
TCase *check_util_tcase(Suite *s, const char *name, const char *tags,
                        double timeout_seconds);

#endif
