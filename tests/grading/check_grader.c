/*
 * check_grader.c - the grader graded: it scores an honest fixture suite
 * right, and no hostile sample (grading/samples/) gains anything: fake
 * output, a forged log, an early exit, a hang, a fork bomb, an escaped
 * daemon.  Limits: rubric errors are refused, a milestone without a
 * manifest is "not available", a missing test binary gives a build entry.
 *
 * Each test builds a private world in a temporary directory (rubric,
 * weights, a kit with the fixture stage's MANIFEST, an output folder),
 * runs the real grader binary on the fixture binaries and reads the
 * Autolab line it prints (the same numbers as results.json).  The world is
 * removed at the end of every test.
 */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_util.h"

#define HONEST_SCORE 22.5 /* 3 of 4 points, weight 30 */
#define CANARY "/tmp/pagelab-escape-canary"

struct world {
    char dir[256];
    char out[65536]; /* the grader's stdout and stderr */
    int status;      /* its exit status */
    double score;    /* from its Autolab line, -1 when absent */
};

static const char *rubric_text =
    "milestone F1 fixture\n"
    "title the grader's fixture\n"
    "binary fixture %s\n"
    "timeout 4\n"
    "test_timeout 1\n"
    "section functionality\n"
    "1 fixture/core/test_passes_first public\n"
    "1 fixture/core/test_passes_second public\n"
    "1 fixture/core/test_fails_on_purpose public\n"
    "section extra\n"
    "1 fixture/limits/test_hidden_passes hidden\n"
    "%s";

/* Write text to dir/name. */
static void put_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A world grading fixture binary 'binary', with extra rubric lines; the
 * kit has the stage's MANIFEST unless without_manifest. */
static void world_make(struct world *w, const char *binary,
                       const char *extra, int without_manifest)
{
    char rubric[2048], sub[512];
    strcpy(w->dir, "/tmp/pagelab-check-grader-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(w->dir));
    chmod(w->dir, 0755);
    const char *dirs[] = { "rubrics", "kit", "kit/fixture", "out" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(sub, sizeof sub, "%s/%s", w->dir, dirs[i]);
        ck_assert_int_eq(mkdir(sub, 0755), 0);
    }
    snprintf(rubric, sizeof rubric, rubric_text, binary, extra);
    snprintf(sub, sizeof sub, "%s/rubrics", w->dir);
    put_file(sub, "M1.rubric", rubric);
    put_file(sub, "weights", "F1 30\n");
    snprintf(sub, sizeof sub, "%s/kit/fixture", w->dir);
    if (!without_manifest)
        put_file(sub, "MANIFEST", "fixture/student.c\n");
}

/* Run the grader on the world with extra options; fills out/status/score. */
static void world_grade(struct world *w, const char *build,
                        const char *options)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s --rubrics %s/rubrics --build %s --ref-build %s --kit %s/kit "
             "--out %s/out --mem-mb 0 --autolab %s 2>&1",
             GRADER_BIN, w->dir, build, FIXTURE_BUILD, w->dir, w->dir,
             options);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(w->out, 1, sizeof w->out - 1, p);
    w->out[n] = '\0';
    w->status = WEXITSTATUS(pclose(p));
    const char *line = strstr(w->out, "{\"scores\": {\"F1\": ");
    w->score = line ? atof(line + strlen("{\"scores\": {\"F1\": ")) : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void world_destroy(struct world *w)
{
    nftw(w->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Read the world's results.json into json (len bytes). */
static void world_results(const struct world *w, char *json, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/out/results.json", w->dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no results.json");
    json[fread(json, 1, len - 1, f)] = '\0';
    fclose(f);
}

/* Grade fixture 'binary' in a fresh world; returns the score. */
static double grade_fixture(const char *binary, struct world *w)
{
    world_make(w, binary, "", 0);
    world_grade(w, FIXTURE_BUILD, "");
    /* every fixture scores below full marks: exit status 1 */
    ck_assert_msg(w->status == 1, "grader exited %d:\n%s", w->status,
                  w->out);
    char path[512];
    snprintf(path, sizeof path, "%s/out/results.json", w->dir);
    ck_assert_msg(access(path, R_OK) == 0, "no results.json");
    return w->score;
}

/* Processes (not root's) still running one of the fixture binaries. */
static int sandbox_processes(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], cmd[512] = "";
        struct stat st;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || stat(path, &st) != 0
            || st.st_uid == 0)
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            cmd[fread(cmd, 1, sizeof cmd - 1, f)] = '\0';
            fclose(f);
        }
        n += strstr(cmd, FIXTURE_BUILD "/tests/") != NULL;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

START_TEST(test_honest_suite_scores_exactly_its_passed_tests)
{
    struct world w;
    double score = grade_fixture("fixture_honest", &w);
    ck_assert_msg(score > HONEST_SCORE - 0.01 && score < HONEST_SCORE + 0.01,
                  "score %.2f, expected %.2f:\n%s", score, HONEST_SCORE,
                  w.out);
    ck_assert_ptr_nonnull(strstr(w.out, "planted failure"));
    char json[65536];
    world_results(&w, json, sizeof json);
    ck_assert_ptr_nonnull(strstr(json, "\"visibility\": \"after_due_date\""));
    ck_assert_ptr_nonnull(strstr(json, "\"status\": \"failed\""));
    ck_assert_ptr_nonnull(strstr(json, "\"execution_time\""));
    world_destroy(&w);
}
END_TEST

/* Each hostile sample scores at most the honest baseline. */
static void assert_gains_nothing(const char *binary)
{
    struct world w;
    double score = grade_fixture(binary, &w);
    ck_assert_msg(score >= 0 && score <= HONEST_SCORE + 0.01,
                  "%s scored %.2f (> %.2f):\n%s", binary, score,
                  HONEST_SCORE, w.out);
    world_destroy(&w);
    if (geteuid() == 0)
        ck_assert_int_eq(sandbox_processes(), 0);
}

START_TEST(test_fake_output_gains_nothing)
{
    assert_gains_nothing("fixture_fake_output");
}
END_TEST

START_TEST(test_forged_log_and_results_gain_nothing)
{
    assert_gains_nothing("fixture_forge_log");
}
END_TEST

START_TEST(test_early_exit_gains_nothing)
{
    assert_gains_nothing("fixture_exit_early");
}
END_TEST

START_TEST(test_hang_is_killed_at_the_deadline)
{
    assert_gains_nothing("fixture_hang");
}
END_TEST

START_TEST(test_fork_bomb_is_contained)
{
    assert_gains_nothing("fixture_fork_bomb");
}
END_TEST

START_TEST(test_escaped_daemon_is_killed)
{
    unlink(CANARY);
    assert_gains_nothing("fixture_escape");
    sleep(5); /* the daemon would have written the canary after 4 s */
    ck_assert_msg(access(CANARY, F_OK) != 0, "the daemon survived");
}
END_TEST

/* A world for a performance item: the "submission" program sleeps
 * (runs) sub_command, the reference's sleeps 0.1 s; the item is worth 4
 * points, full marks from a ratio of 0.5.  Returns the Autolab score. */
static double grade_perf(const char *sub_command)
{
    struct world w;
    char dir[512], script[256], cmd[4096];
    world_make(&w, "fixture_honest", "", 0);
    snprintf(dir, sizeof dir, "%s/rubrics", w.dir);
    put_file(dir, "M1.rubric",
             "milestone F1 fixture\nperf p 1 0.5 perf/prog\n"
             "section performance\n4 perf/p public\n");
    const char *sides[2][2] = { { "sub", sub_command },
                                { "ref", "sleep 0.1" } };
    for (int i = 0; i < 2; i++) {
        snprintf(dir, sizeof dir, "%s/%s/perf", w.dir, sides[i][0]);
        snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
        ck_assert_int_eq(system(cmd), 0);
        snprintf(script, sizeof script, "#!/bin/sh\n%s\n", sides[i][1]);
        put_file(dir, "prog", script);
        strcat(dir, "/prog");
        chmod(dir, 0755);
    }
    snprintf(cmd, sizeof cmd,
             "%s --rubrics %s/rubrics --build %s/sub --ref-build %s/ref "
             "--kit %s/kit --out %s/out --autolab 2>&1", GRADER_BIN, w.dir,
             w.dir, w.dir, w.dir, w.dir);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    w.out[fread(w.out, 1, sizeof w.out - 1, p)] = '\0';
    ck_assert_int_le(WEXITSTATUS(pclose(p)), 1); /* 1: below full marks */
    const char *line = strstr(w.out, "{\"scores\": {\"F1\": ");
    ck_assert_msg(line != NULL, "no score line:\n%s", w.out);
    double score = atof(line + strlen("{\"scores\": {\"F1\": "));
    world_destroy(&w);
    return score;
}

START_TEST(test_perf_item_scores_ratio_to_reference)
{
    /* 0.1 s against 0.4 s: ratio 0.25, half of the 0.5 needed: ~15 of 30 */
    double slow = grade_perf("sleep 0.4");
    ck_assert_msg(slow > 11 && slow < 20, "slow submission scored %.2f", slow);
    ck_assert(grade_perf("sleep 0.1") > 29.9);
    ck_assert(grade_perf("exit 1") == 0); /* a failing run earns nothing */
}
END_TEST

/* Grade the honest fixture in a world changed by 'extra' rubric lines /
 * no manifest / an empty submission build, with grader options; assert
 * the exit status and that the output names 'text'. */
static void expect_outcome(const char *extra, int without_manifest,
                           int empty_build, const char *options, int status,
                           const char *text)
{
    struct world w;
    world_make(&w, "fixture_honest", extra, without_manifest);
    world_grade(&w, empty_build ? w.dir : FIXTURE_BUILD, options);
    ck_assert_msg(w.status == status, "exit %d, expected %d:\n%s", w.status,
                  status, w.out);
    ck_assert_msg(strstr(w.out, text) != NULL, "no '%s' in:\n%s", text,
                  w.out);
    if (empty_build)
        ck_assert(w.score == 0);
    world_destroy(&w);
}

/* A test killed by an abort: check records only the signal; the entry
 * also shows the "function: reason" line the run printed, once. */
START_TEST(test_abort_entry_shows_the_reason_printed)
{
    struct world w;
    world_make(&w, "fixture_honest",
               "1 fixture/crash/test_aborts_on_purpose public\n", 0);
    world_grade(&w, FIXTURE_BUILD, "");
    ck_assert_msg(w.status == 1, "grader exited %d:\n%s", w.status, w.out);
    char json[65536];
    world_results(&w, json, sizeof json);
    const char *entry = strstr(json, "Received signal 6");
    ck_assert_msg(entry != NULL, "no signal entry:\n%s", json);
    const char *reason = "fixture_invariant: a frame is on two lists";
    const char *first = strstr(entry, reason);
    ck_assert_msg(first != NULL, "the reason is not shown:\n%s", json);
    ck_assert_ptr_null(strstr(first + 1, reason));
    world_destroy(&w);
}
END_TEST

/* A test that code under test ends early fails, however check itself saw
 * it end (exit or _exit with 0, exec, a forged record, a death before
 * the armed point); an armed expected death passes.  Scores: 1 of 6. */
START_TEST(test_cut_short_tests_fail_without_completion_record)
{
    struct world w;
    world_make(&w, "fixture_honest",
               "section cutshort\n"
               "5 fixture/cutshort/test_exits_zero_midway public\n"
               "5 fixture/cutshort/test_underscore_exits_zero_midway public\n"
               "5 fixture/cutshort/test_execs_true_midway public\n"
               "5 fixture/cutshort/test_forges_a_record public\n"
               "5 fixture/cutshort/test_dies_before_armed public\n"
               "5 fixture/cutshort/test_dies_after_armed public\n", 0);
    world_grade(&w, FIXTURE_BUILD, "");
    ck_assert_msg(w.status == 1, "grader exited %d:\n%s", w.status, w.out);
    /* the five cut-short tests fail the same way: one folded entry */
    ck_assert_msg(strstr(w.out, "lost 25.00  5 tests fail the same way, "
                                "first fixture/cutshort/test_exits_zero_midway")
                      != NULL, "the five cut-short tests did not all fail");
    ck_assert_msg(strstr(w.out, "did not run to its end") != NULL,
                  "no explanation");
    /* honest items: 2 of 3 core passes, hidden passes; cutshort: 1 of 6 */
    double expect = 30.0 * (2 + 1 + 5) / (3 + 1 + 30);
    ck_assert_msg(w.score > expect - 0.02 && w.score < expect + 0.02,
                  "scored %.2f, expected %.2f", w.score, expect);
    world_destroy(&w);
}
END_TEST

START_TEST(test_rubric_naming_missing_test_fails_strict)
{
    expect_outcome("1 fixture/core/test_no_such public\n", 0, 0, "--strict",
                   2, "test_no_such");
}
END_TEST

START_TEST(test_malformed_rubric_is_refused)
{
    expect_outcome("two fixture/core/x public\n", 0, 0, "", 2,
                   "M1.rubric:12:");
}
END_TEST

START_TEST(test_missing_manifest_reports_not_available)
{
    expect_outcome("", 1, 0, "", 0, "milestone not available");
}
END_TEST

START_TEST(test_missing_binary_gives_build_entry)
{
    /* the world itself is the "submission build": it has no tests/ */
    expect_outcome("", 0, 1, "", 1, "did not build");
}
END_TEST

/* Sum of every "key": N.NN number in json, in hundredths; each must be
 * written with exactly two decimals.  Also counts them into *n. */
static long sum_cents(const char *json, const char *key, int *n)
{
    char pat[64];
    long sum = 0;
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    *n = 0;
    for (const char *p = strstr(json, pat); p != NULL;
         p = strstr(p + 1, pat)) {
        long units, hundredths;
        int len = 0;
        ck_assert_msg(sscanf(p + strlen(pat), "%ld.%2ld%n", &units,
                             &hundredths, &len) == 2
                      && p[strlen(pat) + (size_t)len - 3] == '.',
                      "%s is not N.NN: %.40s", key, p);
        sum += units * 100 + hundredths;
        (*n)++;
    }
    return sum;
}

/* Grade the honest fixture under a rubric of its own (items text, weight
 * line), with grader options. */
static void grade_rubric(struct world *w, const char *items,
                         const char *weight, const char *options)
{
    char dir[512], rubric[2048];
    world_make(w, "fixture_honest", "", 0);
    snprintf(dir, sizeof dir, "%s/rubrics", w->dir);
    snprintf(rubric, sizeof rubric, "milestone F1 fixture\n"
             "binary fixture fixture_honest\ntimeout 20\n%s", items);
    put_file(dir, "M1.rubric", rubric);
    put_file(dir, "weights", weight);
    world_grade(w, FIXTURE_BUILD, options);
}

/* Items of 1, 2 and 4 points share a weight of 10: 1.43 + 2.86 + 5.71
 * (largest remainders), exactly 10.00; the score is exactly the sum of
 * the tests' scores (the first two pass), here and in Autolab's line. */
START_TEST(test_max_scores_add_up_to_the_weight_exactly)
{
    struct world w;
    char json[65536];
    grade_rubric(&w, "section s\n1 fixture/core/test_passes_first public\n"
                 "2 fixture/core/test_passes_second public\n"
                 "4 fixture/core/test_fails_on_purpose public\n",
                 "F1 10\n", "");
    world_results(&w, json, sizeof json);
    int n, ns;
    ck_assert_int_eq(sum_cents(json, "max_score", &n), 1000);
    ck_assert_int_eq(n, 3);
    long all = sum_cents(json, "score", &ns); /* the top level's too */
    const char *top = strstr(json, "\"score\": ");
    long top_c = atol(top + 9) * 100 + atol(strchr(top, '.') + 1);
    ck_assert_int_eq(ns, 4);
    ck_assert_int_eq(top_c, 429);         /* 1.43 + 2.86 */
    ck_assert_int_eq(all - top_c, top_c); /* the tests add up to it */
    ck_assert_ptr_nonnull(strstr(json, "\"max_score\": 1.43"));
    ck_assert_ptr_nonnull(strstr(json, "\"max_score\": 5.71"));
    ck_assert_msg(w.score > 4.285 && w.score < 4.295, "autolab %.3f",
                  w.score);
    world_destroy(&w);
}
END_TEST

/* The student's scorecard is in results.json's "output"; the hidden item
 * (and its section, which has no other item) is left out of it but for
 * its number and worth, while the staff scorecard on stdout has it. */
START_TEST(test_hidden_item_stays_out_of_the_student_view)
{
    struct world w;
    char json[65536], view[16384];
    grade_fixture("fixture_honest", &w);
    world_results(&w, json, sizeof json);
    const char *out = strstr(json, "\"output\": \"pagelab scorecard");
    const char *end = out ? strstr(out, "\"stdout_visibility\"") : NULL;
    ck_assert_msg(out != NULL && end != NULL, "no scorecard:\n%s", json);
    snprintf(view, sizeof view, "%.*s", (int)(end - out), out);
    ck_assert_ptr_null(strstr(view, "test_hidden_passes"));
    ck_assert_ptr_null(strstr(view, "extra"));
    ck_assert_msg(strstr(view, "hidden: 1 item worth 7.50") != NULL
                  && strstr(view, "15.00 / 22.50") != NULL
                  && strstr(view, "test_fails_on_purpose") != NULL,
                  "student view:\n%s", view);
    ck_assert_ptr_nonnull(strstr(w.out, "extra"));
    ck_assert_ptr_nonnull(strstr(w.out, "TOTAL 22.50 / 30.00"));
    world_destroy(&w);
}
END_TEST

/* Exit status: 0 at full marks of what was graded, 1 below (see
 * grade_fixture), 0 below with --exit-zero. */
START_TEST(test_exit_status_is_zero_only_at_full_marks)
{
    struct world w;
    grade_rubric(&w, "section s\n1 fixture/core/test_passes_first public\n"
                 "1 fixture/limits/test_hidden_passes hidden\n", "F1 30\n",
                 "");
    ck_assert_msg(w.status == 0, "full marks exited %d:\n%s", w.status,
                  w.out);
    world_destroy(&w);
    grade_rubric(&w, "section s\n1 fixture/core/test_fails_on_purpose "
                 "public\n", "F1 30\n", "--exit-zero");
    ck_assert_msg(w.status == 0 && w.score == 0, "--exit-zero: %d:\n%s",
                  w.status, w.out);
    world_destroy(&w);
}
END_TEST

static Suite *make_grader_suite(void)
{
    Suite *s = suite_create("grader");
    TCase *core = check_util_tcase(s, "core", "public", 120);
    tcase_add_test(core, test_honest_suite_scores_exactly_its_passed_tests);
    tcase_add_test(core, test_fake_output_gains_nothing);
    tcase_add_test(core, test_forged_log_and_results_gain_nothing);
    tcase_add_test(core, test_early_exit_gains_nothing);
    tcase_add_test(core, test_hang_is_killed_at_the_deadline);
    tcase_add_test(core, test_fork_bomb_is_contained);
    tcase_add_test(core, test_escaped_daemon_is_killed);
    tcase_add_test(core, test_perf_item_scores_ratio_to_reference);
    tcase_add_test(core, test_abort_entry_shows_the_reason_printed);
    tcase_add_test(core, test_cut_short_tests_fail_without_completion_record);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_rubric_naming_missing_test_fails_strict);
    tcase_add_test(limits, test_malformed_rubric_is_refused);
    tcase_add_test(limits, test_missing_manifest_reports_not_available);
    tcase_add_test(limits, test_missing_binary_gives_build_entry);
    tcase_add_test(core, test_max_scores_add_up_to_the_weight_exactly);
    tcase_add_test(core, test_hidden_item_stays_out_of_the_student_view);
    tcase_add_test(core, test_exit_status_is_zero_only_at_full_marks);
    return s;
}

CHECK_MAIN(make_grader_suite)
