/*
 * check_results.c - every kind of results.json the kit writes is what
 * Gradescope reads: each is produced for real and handed to
 * grading/check_results.sh, which validates it against
 * grading/gradescope-results.schema.json with Debian's validator and
 * checks the kit's exact numbers (whole hundredths; score = the sum of
 * the tests' scores; max_score values adding up to the weight).
 *
 * Produced here: the reference graded for M1 by grade.sh (deadlines
 * scaled down), a submission that did not build (the grader on an empty
 * build directory, as grade.sh hands it one), the zero-score placeholder
 * grade.sh writes when a submission cannot be unpacked, and a fixture
 * world with a hidden item.  (grade-tests' results.json files are
 * checked the same way by 'make grade-samples'.)  Each test works in its
 * own temporary directory, removed at its end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_util.h"

/* Run a shell command built from fmt in the kit's directory; returns its
 * exit status (-1 when it did not exit). */
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4200];
    snprintf(full, sizeof full, "cd '%s' && { %s; }", KIT_DIR, cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A fresh temporary directory in dir (64 bytes). */
static void make_tmp(char *dir)
{
    strcpy(dir, "/tmp/pagelab-check-results-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove tmp; assert check_results.sh passes on file (with --weight w
 * unless w is NULL). */
static void expect_valid(const char *tmp, const char *file, const char *w)
{
    int rc = sh("grading/check_results.sh %s%s %s/%s > %s/check.log 2>&1",
                w ? "--weight " : "", w ? w : "", tmp, file, tmp);
    if (rc != 0)
        sh("cat %s/check.log >&2", tmp);
    sh("rm -rf '%s'", tmp);
    ck_assert_msg(rc == 0, "%s is not a valid results.json", file);
}

START_TEST(test_reference_results_match_the_schema)
{
    char tmp[64];
    make_tmp(tmp);
    int rc = sh("REF_BUILD='%s' GRADE_OUT=%s/out GRADE_TREE=%s/tree "
                "MILESTONE=M1 GRADE_TIMEOUT_SCALE=0.5 grading/grade.sh "
                "> %s/grade.log 2>&1", BUILD_DIR, tmp, tmp, tmp);
    if (rc != 0)
        sh("tail -n 30 %s/grade.log >&2", tmp);
    ck_assert_msg(rc == 0, "grade.sh exited %d on the reference", rc);
    expect_valid(tmp, "out/results.json", "25");
}
END_TEST

START_TEST(test_build_failure_results_match_the_schema)
{
    char tmp[64];
    make_tmp(tmp);
    int rc = sh("mkdir -p %s/empty %s/out && echo 'x.c:1:1: error: "
                "expected declaration' > %s/build.log && '%s/grading/grader' "
                "--rubrics grading/rubrics --build %s/empty --ref-build '%s' "
                "--kit . --out %s/out --milestone M1 --build-log %s/build.log"
                " > %s/grade.log 2>&1", tmp, tmp, tmp, BUILD_DIR, tmp,
                BUILD_DIR, tmp, tmp, tmp);
    ck_assert_msg(rc == 1, "the grader exited %d, not 1", rc);
    ck_assert_int_eq(sh("grep -q 'expected declaration' %s/out/results.json",
                        tmp), 0);
    expect_valid(tmp, "out/results.json", "25");
}
END_TEST

START_TEST(test_placeholder_results_match_the_schema)
{
    char tmp[64];
    make_tmp(tmp);
    sh("echo 'not an archive' > %s/sub.tar.gz && REF_BUILD='%s' "
       "GRADE_OUT=%s/out GRADE_TREE=%s/tree SUBMISSION=%s/sub.tar.gz"
       " MILESTONE=M1 grading/grade.sh > %s/grade.log 2>&1",
       tmp, BUILD_DIR, tmp, tmp, tmp, tmp);
    expect_valid(tmp, "out/results.json", NULL);
}
END_TEST

/* A fixture world (see check_grader.c): three public items (1, 1 and 1.5
 * points), one failing, and a hidden one of 1 point, weight 10: 2.22,
 * 2.22, 3.34 (the largest remainder) and 2.22, exactly 10.00. */
START_TEST(test_hidden_item_results_match_the_schema)
{
    char tmp[64];
    make_tmp(tmp);
    int rc = sh("mkdir -p %s/r %s/kit/fixture %s/out && "
                "echo fixture/student.c > %s/kit/fixture/MANIFEST && "
                "printf 'milestone F1 fixture\\nbinary fixture fixture_honest"
                "\\ntimeout 20\\nsection s\\n1 fixture/core/test_passes_first "
                "public\\n1 fixture/core/test_fails_on_purpose public\\n"
                "1.5 fixture/core/test_passes_second public\\nsection h\\n"
                "1 fixture/limits/test_hidden_passes hidden\\n' > %s/r/M1.rubric"
                " && echo 'F1 10' > %s/r/weights && '%s/grading/grader' "
                "--rubrics %s/r --build '%s' --ref-build '%s' --kit %s/kit "
                "--out %s/out --mem-mb 0 > %s/grade.log 2>&1", tmp, tmp, tmp,
                tmp, tmp, tmp, BUILD_DIR, tmp, FIXTURE_BUILD, FIXTURE_BUILD,
                tmp, tmp, tmp);
    ck_assert_msg(rc == 1, "the grader exited %d, not 1", rc);
    ck_assert_int_eq(sh("grep -q after_due_date %s/out/results.json", tmp),
                     0);
    expect_valid(tmp, "out/results.json", "10");
}
END_TEST

static Suite *make_results_suite(void)
{
    Suite *s = suite_create("results");
    TCase *core = check_util_tcase(s, "core", "public", 300);
    tcase_add_test(core, test_reference_results_match_the_schema);
    tcase_add_test(core, test_build_failure_results_match_the_schema);
    tcase_add_test(core, test_hidden_item_results_match_the_schema);
    TCase *limits = check_util_tcase(s, "limits", "public", 300);
    tcase_add_test(limits, test_placeholder_results_match_the_schema);
    return s;
}

CHECK_MAIN(make_results_suite)
