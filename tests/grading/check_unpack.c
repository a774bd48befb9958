/*
 * check_unpack.c - grading/unpack.sh finds a submission's files where
 * students really put them, and says so.
 *
 * Each test lays out a submission in a fresh temporary folder (a folder
 * named otherwise, a deep stage folder, the bare files, an archive inside
 * the folder, a zip holding two stages, a file too large, nothing at all),
 * runs unpack.sh on it for phase1-single's MANIFEST outside the sandbox
 * (it only reads the submission and writes OUTDIR), and asserts the report
 * line for each file and the bytes taken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_util.h"

/* The fixture: a submission folder and an output folder. */
struct layout {
    char dir[128];
    char report[8192];
    int status;
};

/* Make path (relative to the fixture) holding text, folders included. */
static void put(struct layout *l, const char *path, const char *text)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname %s/sub/%s)\" && "
             "printf '%%s' '%s' > %s/sub/%s", l->dir, path, text, l->dir, path);
    ck_assert_int_eq(system(cmd), 0);
}

/* A fresh fixture. */
static void open_layout(struct layout *l)
{
    strcpy(l->dir, "/tmp/pagelab-check-unpack-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(l->dir));
}

/* Run a shell command in the fixture's folder. */
static void shell(struct layout *l, const char *what)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s && %s", l->dir, what);
    ck_assert_int_eq(system(cmd), 0);
}

/* Run unpack.sh on the fixture's 'target' (relative); fills report and
 * status. */
static void unpack(struct layout *l, const char *target)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "TMPDIR=%s bash %s/grading/unpack.sh %s/%s "
             "%s/out phase1-single/fault.c phase1-single/trim.c 2>&1",
             l->dir, KIT_DIR, l->dir, target, l->dir);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    l->report[fread(l->report, 1, sizeof l->report - 1, p)] = '\0';
    l->status = WEXITSTATUS(pclose(p));
}

/* Whether OUTDIR/path holds exactly text. */
static int taken(struct layout *l, const char *path, const char *text)
{
    char file[256], got[256] = "";
    snprintf(file, sizeof file, "%s/out/%s", l->dir, path);
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return 0;
    got[fread(got, 1, sizeof got - 1, f)] = '\0';
    fclose(f);
    return strcmp(got, text) == 0;
}

static void close_layout(struct layout *l)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", l->dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Assert that the report has a line containing want. */
#define ck_report_has(l, want)                                              \
    ck_assert_msg(strstr((l)->report, (want)) != NULL,                      \
                  "no '%s' in the report:\n%s", (want), (l)->report)

START_TEST(test_folder_named_otherwise_is_found)
{
    struct layout l;
    open_layout(&l);
    put(&l, "myphase1/fault.c", "F");
    put(&l, "myphase1/trim.c", "T");
    unpack(&l, "sub");
    ck_assert_int_eq(l.status, 0);
    ck_report_has(&l, "taken    phase1-single/fault.c");
    ck_report_has(&l, "from  myphase1/fault.c");
    ck_assert(taken(&l, "phase1-single/fault.c", "F"));
    ck_assert(taken(&l, "phase1-single/trim.c", "T"));
    close_layout(&l);
}
END_TEST

START_TEST(test_deep_stage_folder_beats_another_stage)
{
    struct layout l;
    open_layout(&l);
    put(&l, "a/b/c/phase1-single/fault.c", "F1");
    put(&l, "a/b/c/phase1-single/trim.c", "T1");
    put(&l, "a/phase2-locks/fault.c", "F2");
    unpack(&l, "sub");
    ck_report_has(&l, "from  a/b/c/phase1-single/fault.c  (the best of 2");
    ck_assert(taken(&l, "phase1-single/fault.c", "F1"));
    close_layout(&l);
}
END_TEST

START_TEST(test_archive_inside_the_folder_is_unpacked)
{
    struct layout l;
    open_layout(&l);
    put(&l, "x/phase1-single/fault.c", "F");
    shell(&l, "mkdir hand && tar -czf hand/work.tar.gz -C sub/x phase1-single");
    unpack(&l, "hand");
    ck_assert_int_eq(l.status, 0);
    ck_report_has(&l, "one archive, work.tar.gz: unpacking it");
    ck_assert(taken(&l, "phase1-single/fault.c", "F"));
    ck_report_has(&l, "missing  phase1-single/trim.c");
    close_layout(&l);
}
END_TEST

START_TEST(test_bare_file_and_zip_are_taken)
{
    struct layout l;
    open_layout(&l);
    put(&l, "fault.c", "BARE");
    unpack(&l, "sub/fault.c");
    ck_assert_int_eq(l.status, 0);
    ck_assert(taken(&l, "phase1-single/fault.c", "BARE"));
    put(&l, "z/phase1-single/trim.c", "ZT");
    shell(&l, "cd sub/z && zip -qr ../../s.zip phase1-single");
    unpack(&l, "s.zip");
    ck_assert(taken(&l, "phase1-single/trim.c", "ZT"));
    close_layout(&l);
}
END_TEST

START_TEST(test_missing_nonexistent_and_too_large_are_named)
{
    struct layout l;
    open_layout(&l);
    put(&l, "readme.txt", "nothing here");
    unpack(&l, "sub");
    ck_assert_int_eq(l.status, 0);
    ck_report_has(&l, "missing  phase1-single/fault.c");
    ck_report_has(&l, "no file named fault.c was submitted");
    shell(&l, "mkdir -p big && head -c 2000000 /dev/zero > big/fault.c");
    unpack(&l, "big");
    ck_report_has(&l, "larger than 1024 KiB");
    unpack(&l, "no-such-thing");
    ck_assert_int_eq(l.status, 1);
    ck_report_has(&l, "error: the submission no-such-thing does not exist");
    close_layout(&l);
}
END_TEST

static Suite *make_unpack_suite(void)
{
    Suite *s = suite_create("unpack");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_folder_named_otherwise_is_found);
    tcase_add_test(core, test_deep_stage_folder_beats_another_stage);
    tcase_add_test(core, test_archive_inside_the_folder_is_unpacked);
    tcase_add_test(core, test_bare_file_and_zip_are_taken);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_missing_nonexistent_and_too_large_are_named);
    return s;
}

CHECK_MAIN(make_unpack_suite)
