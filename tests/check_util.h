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

/* Run one suite; returns the process exit status (0 when all passed). */
int check_util_run(Suite *suite);

#define CHECK_MAIN(make_suite) \
    int main(void) { return check_util_run(make_suite()); }

/* A test case named name, tagged tags ("public" or "hidden"), added to s,
 * with a timeout in seconds (0: check's default). */
TCase *check_util_tcase(Suite *s, const char *name, const char *tags,
                        double timeout_seconds);

#endif
