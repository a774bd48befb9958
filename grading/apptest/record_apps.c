/*
 * record_apps.c - the recorder of grade-tests' app mode (M4): runs every
 * app of a student's app-test folder under the reference pager and keeps
 * what happened as the expectation the same apps are later judged by.
 *
 * It is tests/apps/check_apps.c compiled a second time (included below,
 * with its main left out), so an app is recorded exactly the way
 * check_apps then runs and compares it: the same private run directory
 * with a copy of APPS_SRC_DIR/data, the same "pager-args:" line, the same
 * deadline, the same pid normalization.  grading/build.mk builds it with
 * APPS_SRC_DIR = the folder of the student's apps, APPS_BIN_DIR = where
 * they were built, APPS_PAGER = the pager, APPS_RECORD_DIR = where the
 * recordings go.
 *
 * For app NAME (listed by check_apps' list_apps: a file NAME.trace in
 * APPS_SRC_DIR, an empty placeholder while recording), loop test
 * test_record_app runs it once and writes APPS_RECORD_DIR/NAME.trace (the
 * pager's output) and NAME.out (the app's output and its "[exit N]" /
 * "[signal N]" line), both normalized.  The test fails, saying why, when
 * the run cannot be a test of the reference: the set-up failed or the
 * deadline passed, the pager did not exit 0, the recording is too long,
 * or the app did not exit 0 although the student gave no NAME.out of
 * their own (a .out stating "[signal 11]" makes a crash the expectation).
 *
 * Invariants:
 *   1. The trace is normalized before the output, with one pid map, as in
 *      check_apps' check_run: a deterministic app's recording on the
 *      reference is what check_apps finds when it runs the app again.
 *   2. A failed test leaves no recording of its app behind.
 */
#include "check_util.h"

/* check_apps.c ends with CHECK_MAIN(make_apps_suite); keep that suite
 * referenced (so nothing in it is unused) but make no main from it. */
#pragma push_macro("CHECK_MAIN")
#undef CHECK_MAIN
#define CHECK_MAIN(make_suite) \
    static Suite *(*const check_apps_suite)(void) \
        __attribute__((unused)) = make_suite;
#include "check_apps.c"
#pragma pop_macro("CHECK_MAIN")

#define RECORD_MAX (1024 * 1024) /* bytes of trace or output kept */

/* Write text to APPS_RECORD_DIR/<name><suffix>.  Returns 0 or -1. */
static int write_record(const char *name, const char *suffix,
                        const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", APPS_RECORD_DIR, name, suffix);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    size_t len = strlen(text);
    int rc = fwrite(text, 1, len, f) == len ? 0 : -1;
    return fclose(f) != 0 ? -1 : rc;
}

/* Remove app name's recordings (invariant 2). */
static void drop_records(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.trace", APPS_RECORD_DIR, name);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s.out", APPS_RECORD_DIR, name);
    unlink(path);
}

/* Why a finished run of app name is not a test of the reference, into why
 * (empty when it is one).  trace and out are the normalized files. */
static void judge_run(const char *name, const struct app_run *run,
                      const char *trace, const char *out, char *why,
                      size_t len)
{
    char own[512];
    snprintf(own, sizeof own, "%s/%s.out", APPS_SRC_DIR, name);
    why[0] = '\0';
    if (trace == NULL || out == NULL)
        snprintf(why, len, "no trace or output was written");
    else if (!WIFEXITED(run->pager_status) ||
             WEXITSTATUS(run->pager_status) != 0)
        snprintf(why, len, "the reference pager ended with status 0x%x",
                 run->pager_status);
    else if (strlen(trace) > RECORD_MAX || strlen(out) > RECORD_MAX)
        snprintf(why, len, "its trace or output is over %d bytes",
                 RECORD_MAX);
    else if ((!WIFEXITED(run->app_status) || WEXITSTATUS(run->app_status))
             && access(own, F_OK) != 0)
        snprintf(why, len, "the app ended with %s %d on the reference (give "
                 "a %s.out ending in that line to expect it)",
                 WIFSIGNALED(run->app_status) ? "signal" : "exit",
                 WIFSIGNALED(run->app_status) ? WTERMSIG(run->app_status)
                                              : WEXITSTATUS(run->app_status),
                 name);
}

/* Run app _i once and record it (see the design comment). */
START_TEST(test_record_app)
{
    ck_assert_int_lt(_i, app_count);
    const char *name = app_names[_i];
    struct app_run run;
    memset(&run, 0, sizeof run);
    int rc = run_app(name, &run);
    struct pid_map m = { .n = 0 };
    char *trace = rc == 0 ? run_file(&run, "trace.txt", &m, 1) : NULL;
    char *out = rc == 0 ? run_file(&run, "out.txt", &m, 0) : NULL;
    static char why[512];
    if (rc != 0)
        snprintf(why, sizeof why, "the run could not be set up or passed "
                 "its %d s deadline", APP_DEADLINE_MS / 1000);
    else
        judge_run(name, &run, trace, out, why, sizeof why);
    if (why[0] == '\0' && (write_record(name, ".trace", trace) != 0 ||
                           write_record(name, ".out", out) != 0))
        snprintf(why, sizeof why, "cannot write its recording in %s",
                 APPS_RECORD_DIR);
    if (why[0] != '\0')
        drop_records(name);
    free(trace);
    free(out);
    remove_run_dir(&run);
    ck_assert_msg(why[0] == '\0', "app %s: %s", name, why);
}
END_TEST

/* The recorder's suite: one loop test over the apps. */
static Suite *make_record_suite(void)
{
    list_apps();
    Suite *s = suite_create("record");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_loop_test(core, test_record_app, 0, app_count);
    return s;
}

CHECK_MAIN(make_record_suite)
