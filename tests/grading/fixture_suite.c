/*
 * fixture_suite.c - a small check suite the grader's own tests grade (it
 * is a fixture, not a kit suite: it is never run by 'make test' itself).
 *
 * Suite "fixture": three tests in "core" (two pass, one fails on purpose),
 * one in "limits" that passes (the rubric marks it hidden), and one in
 * "crash" that aborts like a stage whose invariant broke (only the rubric
 * of the test that wants it names that case).  Linked
 * alone it is the honest baseline; linked with one of the grading/samples/ files
 * it carries that sample's hostile behaviour, which must gain nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check_util.h"

START_TEST(test_passes_first)
{
    ck_assert_int_eq(2 + 2, 4);
}
END_TEST

START_TEST(test_passes_second)
{
    ck_assert_str_eq("page", "page");
}
END_TEST

START_TEST(test_fails_on_purpose)
{
    ck_assert_msg(0, "planted failure: the fixture's wrong answer");
}
END_TEST

START_TEST(test_aborts_on_purpose)
{
    fprintf(stderr, "fixture_invariant: a frame is on two lists\n");
    abort();
}
END_TEST

START_TEST(test_hidden_passes)
{
    ck_assert_uint_eq(sizeof(long long), 8);
}
END_TEST

static Suite *make_fixture_suite(void)
{
    Suite *s = suite_create("fixture");
    TCase *core = check_util_tcase(s, "core", "public", 10);
    tcase_add_test(core, test_passes_first);
    tcase_add_test(core, test_passes_second);
    tcase_add_test(core, test_fails_on_purpose);
    TCase *limits = check_util_tcase(s, "limits", "public", 10);
    tcase_add_test(limits, test_hidden_passes);
    TCase *crash = check_util_tcase(s, "crash", "public", 10);
    tcase_add_test(crash, test_aborts_on_purpose);
    return s;
}

CHECK_MAIN(make_fixture_suite)
