/*
 * check_util.h - what every check suite shares: the runner main and a few
 * assertions about the shared stage data.
 *
 * Each test file defines make_<module>_suite() with test cases "core" and
 * "limits" tagged "public" (hidden suites: tagged "hidden") and ends with
 * CHECK_MAIN(make_<module>_suite).  The runner honours check's own
 * environment: CK_RUN_SUITE, CK_RUN_CASE, CK_INCLUDE_TAGS, CK_FORK,
 * CK_XML_LOG_FILE_NAME, CK_DEFAULT_TIMEOUT.
 *
 * Completion records (grading integrity, see grading/README.md "Threat
 * model").  check's fork mode counts a test child that exits with status 0
 * as passed, so code under test that calls exit(0) would pass every test.
 * The grader therefore believes a pass only with positive evidence that the
 * test body ran to its end: START_TEST below wraps each body so that, after
 * its last statement, the runner writes one line
 *     PLREC <token> done <test> <iteration>
 * to a pipe the grader owns (and a "begin" record when the body starts, so
 * that after a run cut at its deadline the grader knows which tests
 * started).  The grader hands each run the record pipe's descriptor and a
 * second pipe holding a fresh random token, in PAGELAB_RECORD="<fd>:@<fd>";
 * main reads the token once, before any code under test runs (the screen
 * refuses constructors), closes that pipe and wipes the variable: the
 * token is in no environment and no file.  Without the variable
 * (make test, a student's own run) no record is written.  A record names
 * no test case: the grader runs one case at a time (CK_RUN_CASE).
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

/* Called by START_TEST's wrapper: the test named name (iteration i)
 * begins, and has just ended normally.  Not for direct use. */
void check_util_test_begin(const char *name, int iteration);
void check_util_test_done(void);

/* A test that is expected to die (tcase_add_test_raise_signal) calls this
 * just before the statement that must kill it: it records that the body
 * reached that point, so a death earlier on does not count as a pass. */
void check_util_expect_death(void);

/* START_TEST as check defines it, plus the completion record: the test
 * function check runs calls the body, then records that it returned. */
#undef START_TEST
#define START_TEST(__testname)                                               \
    static void __testname##_body(int _i);                                  \
    static void __testname##_fn(int _i)                                     \
    {                                                                       \
        check_util_test_begin(#__testname, _i);                             \
        __testname##_body(_i);                                              \
        check_util_test_done();                                             \
    }                                                                       \
    static const TTest __testname##_ttest = { "" #__testname,               \
                                              __testname##_fn, __FILE__,    \
                                              __LINE__ };                   \
    static const TTest *__testname = &__testname##_ttest;                   \
    static void __testname##_body(int _i CK_ATTRIBUTE_UNUSED)

/* Run one suite; returns the process exit status (0 when all passed). */
int check_util_run(Suite *suite);

/* Take the record channel from the environment (check_util.h's design
 * comment); CHECK_MAIN calls it before it builds the suite. */
void check_util_init(void);

#define CHECK_MAIN(make_suite)                                              \
    int main(void)                                                          \
    {                                                                       \
        check_util_init();                                                  \
        return check_util_run(make_suite());                                \
    }

/* A test case named name, tagged tags ("public" or "hidden"), added to s,
 * with a timeout in seconds for each of its tests (0: check's default).
 * PAGELAB_TEST_TIMEOUT (seconds), set by the grader, replaces it: one hung
 * test then costs that long and no more. */
TCase *check_util_tcase(Suite *s, const char *name, const char *tags,
                        double timeout_seconds);

#endif
