/*
 * fixture_suite.c - a small check suite the grader's own tests grade (it
 * is a fixture, not a kit suite: it is never run by 'make test' itself).
 *
 * Suite "fixture": three tests in "core" (two pass, one fails on purpose),
 * one in "limits" that passes (the rubric marks it hidden), and one in
 * "crash" that aborts like a stage whose invariant broke (only the rubric
 * of the test that wants it names that case), and in "cutshort" the ways
 * code under test can end a test early (each must fail: no completion
 * record) beside one expected death that is armed (it must pass).  Linked
 * alone it is the honest baseline; linked with one of the grading/samples/ files
 * it carries that sample's hostile behaviour, which must gain nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Ends with status 0 after a passing assertion: check alone calls it a
 * pass. */
START_TEST(test_exits_zero_midway)
{
    ck_assert_int_eq(1, 1);
    exit(0);
}
END_TEST

START_TEST(test_underscore_exits_zero_midway)
{
    _exit(0);
}
END_TEST

/* Replaces itself with a program that succeeds. */
START_TEST(test_execs_true_midway)
{
    execl("/bin/true", "true", (char *)NULL);
}
END_TEST

/* Writes a record with a guessed token, then leaves. */
START_TEST(test_forges_a_record)
{
    const char *line = "PLREC 0123456789abcdef0123456789abcdef done "
                       "test_forges_a_record 0\n";
    (void)!write(4, line, strlen(line)); /* the record pipe's number */
    _exit(0);
}
END_TEST

/* Expected to die, but dies before it reaches the armed point. */
START_TEST(test_dies_before_armed)
{
    raise(SIGABRT);
    check_util_expect_death();
    abort();
}
END_TEST

/* Expected to die, and dies where it should. */
START_TEST(test_dies_after_armed)
{
    check_util_expect_death();
    abort();
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
    TCase *cut = check_util_tcase(s, "cutshort", "public", 10);
    tcase_add_test(cut, test_exits_zero_midway);
    tcase_add_test(cut, test_underscore_exits_zero_midway);
    tcase_add_test(cut, test_execs_true_midway);
    tcase_add_test(cut, test_forges_a_record);
    tcase_add_test_raise_signal(cut, test_dies_before_armed, SIGABRT);
    tcase_add_test_raise_signal(cut, test_dies_after_armed, SIGABRT);
    return s;
}

CHECK_MAIN(make_fixture_suite)
