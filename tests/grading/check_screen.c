/*
 * check_screen.c - grading/screen.sh screened: every known bypass of the
 * old include grep and every object-level attack is refused with one
 * exact line (file, line, construct), and the unmodified reference and
 * the starter of every stage screen clean in both modes.
 *
 * The world is made once per run (an unchecked fixture calls
 * tests/grading/screen_fixtures/run.sh): a copy of the kit's sources
 * with the starters in place and the fixtures in phase1-single/fx/, built
 * with the kit's own flags (SCREEN_CC, SCREEN_CFLAGS, fixed at compile
 * time) next to links to the kit build this suite belongs to
 * (SCREEN_BUILD); screen.sh runs once per mode over all fixtures.  Each
 * test then reads the outputs; the world is removed after the last test
 * case ("limits").
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"

#define FX "phase1-single/fx/"

static char world[256];

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Make the world unless this run already has (both test cases share it). */
static void world_make(void)
{
    char cmd[1024];
    if (world[0] != '\0')
        return;
    strcpy(world, "/tmp/pagelab-check-screen-XXXXXX");
    if (mkdtemp(world) == NULL)
        return;
    setenv("SCREEN_CC", SCREEN_CC, 1);
    setenv("SCREEN_CFLAGS", SCREEN_CFLAGS, 1);
    snprintf(cmd, sizeof cmd, "%s/tests/grading/screen_fixtures/run.sh %s %s %s",
             SCREEN_KIT, SCREEN_KIT, SCREEN_BUILD, world);
    if (system(cmd) != 0)
        fprintf(stderr, "check_screen: %s failed\n", cmd);
}

static void world_destroy(void)
{
    if (world[0] != '\0')
        nftw(world, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Read WORLD/name into buf (len bytes); "" when absent. */
static void world_read(const char *name, char *buf, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", world, name);
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f != NULL) {
        buf[fread(buf, 1, len - 1, f)] = '\0';
        fclose(f);
    }
}

/* The run's output has exactly the lines expected[] for fixture fx (each
 * given up to the '(' that opens the reason) and no other line for it. */
static void assert_refusals(const char *out_name, const char *fx,
                            const char *const *expected, size_t n)
{
    static char out[65536];
    char prefix[128], line[1024];
    size_t found = 0;
    world_read(out_name, out, sizeof out);
    snprintf(prefix, sizeof prefix, FX "%s.c:", fx);
    for (const char *p = out; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        snprintf(line, sizeof line, "%.*s", (int)l, p);
        p += l + (nl != NULL);
        if (strncmp(line, prefix, strlen(prefix)) != 0)
            continue;
        size_t i;
        for (i = 0; i < n; i++) {
            size_t el = strlen(expected[i]);
            if (strncmp(line, expected[i], el) == 0 && line[el] == '(')
                break;
        }
        ck_assert_msg(i < n, "unexpected refusal: %s", line);
        found++;
    }
    ck_assert_msg(found == n, "%s: %zu of %zu refusals in:\n%s", fx, found,
                  n, out);
}

#define REFUSED(out, fx, ...)                                            \
    do {                                                                 \
        const char *const e_[] = { __VA_ARGS__ };                        \
        assert_refusals(out, fx, e_, sizeof e_ / sizeof e_[0]);          \
    } while (0)

#define HEADER(fx, line, path)                                           \
    REFUSED("headers.out", fx, FX fx ".c:" #line ": refused: #include of " path " ")

START_TEST(test_macro_include_of_reference_is_refused)
{
    HEADER("macro_include", 3, "phase1-single/fault.c");
}
END_TEST

START_TEST(test_digraph_include_is_refused)
{
    HEADER("digraph", 2, "phase1-single/trim.c");
}
END_TEST

START_TEST(test_backslash_split_include_is_refused)
{
    HEADER("backslash", 3, "phase2-locks/fault.c");
}
END_TEST

START_TEST(test_comment_in_include_is_refused)
{
    HEADER("comment_include", 2, "phase3-optimized/fault.c");
}
END_TEST

START_TEST(test_include_of_etc_passwd_is_refused)
{
    HEADER("etc_passwd", 2, "/etc/passwd");
}
END_TEST

START_TEST(test_include_of_test_source_is_refused)
{
    HEADER("tests_source", 2, "tests/check_util.c");
}
END_TEST

START_TEST(test_self_include_is_refused)
{
    HEADER("self_include", 4, FX "self_include.c itself");
}
END_TEST

#define OBJECT(fx, ...) REFUSED("objects.out", fx, __VA_ARGS__)
#define AT(fx, line, what) FX fx ".c:" #line ": refused: " what " "

START_TEST(test_inline_asm_and_raw_syscall_are_refused)
{
    OBJECT("inline_asm", AT("inline_asm", 4, "inline assembly"),
           AT("inline_asm", 2, "instruction syscall"));
}
END_TEST

START_TEST(test_split_incbin_is_refused)
{
    OBJECT("incbin", AT("incbin", 3, ".incbin"));
}
END_TEST

START_TEST(test_split_asm_include_is_refused)
{
    OBJECT("asm_include", AT("asm_include", 4, ".include"));
}
END_TEST

START_TEST(test_constructor_is_refused)
{
    OBJECT("constructor", AT("constructor", 4, "constructor phase1_early"));
}
END_TEST

START_TEST(test_destructor_is_refused)
{
    OBJECT("destructor", AT("destructor", 3, "destructor phase1_late"));
}
END_TEST

START_TEST(test_ifunc_is_refused)
{
    OBJECT("ifunc", AT("ifunc", 4, "ifunc phase1_chosen"));
}
END_TEST

START_TEST(test_own_section_is_refused)
{
    OBJECT("section", AT("section", 3, "section .x"));
}
END_TEST

START_TEST(test_asm_label_defining_exit_is_refused)
{
    OBJECT("asm_label", AT("asm_label", 4, "definition of exit"));
}
END_TEST

START_TEST(test_forbidden_calls_are_refused)
{
    OBJECT("calls", AT("calls", 9, "use of exit"), AT("calls", 11, "use of _exit"),
           AT("calls", 13, "use of execve"), AT("calls", 15, "use of system"),
           AT("calls", 17, "use of syscall"), AT("calls", 19, "use of getenv"),
           AT("calls", 20, "use of fopen"));
}
END_TEST

START_TEST(test_interposing_libcheck_is_refused)
{
    OBJECT("check_symbols",
           AT("check_symbols", 2, "definition of _ck_assert_failed"),
           AT("check_symbols", 6, "definition of srunner_ntests_failed"));
}
END_TEST

START_TEST(test_pragma_weak_alias_of_exit_is_refused)
{
    OBJECT("pragma_weak", AT("pragma_weak", 5, "definition of exit"));
}
END_TEST

START_TEST(test_refusing_runs_exit_one)
{
    char rc[16];
    world_read("headers.rc", rc, sizeof rc);
    ck_assert_str_eq(rc, "1\n");
    world_read("objects.rc", rc, sizeof rc);
    ck_assert_str_eq(rc, "1\n");
}
END_TEST

/* Both modes of a stage's reference (kind "ref") or starter ("starter")
 * print nothing and exit 0. */
static void assert_clean(const char *kind)
{
    static const char *const stages[] = { "phase1-single", "phase2-locks",
                                          "phase3-optimized", "pager-cow" };
    char name[128], buf[8192];
    for (size_t i = 0; i < 4; i++)
        for (int m = 0; m < 2; m++) {
            const char *mode = m ? "objects" : "headers";
            snprintf(name, sizeof name, "%s-%s-%s.out", kind, mode, stages[i]);
            world_read(name, buf, sizeof buf);
            ck_assert_msg(buf[0] == '\0', "%s:\n%s", name, buf);
            snprintf(name, sizeof name, "%s-%s-%s.rc", kind, mode, stages[i]);
            world_read(name, buf, sizeof buf);
            ck_assert_msg(strcmp(buf, "0\n") == 0, "%s: '%s'", name, buf);
        }
}

START_TEST(test_reference_of_every_stage_is_clean)
{
    assert_clean("ref");
}
END_TEST

START_TEST(test_starter_of_every_stage_is_clean)
{
    assert_clean("starter");
}
END_TEST

START_TEST(test_runaway_self_include_runs_out_of_time)
{
    REFUSED("headers.out", "blowup",
            FX "blowup.c:2: refused: #include of " FX "blowup.c itself ",
            FX "blowup.c:1: refused: preprocessing ran out of time ");
}
END_TEST

START_TEST(test_usage_errors_exit_two)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/grading/screen.sh frobnicate 2>/dev/null",
             SCREEN_KIT);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd,
             "%s/grading/screen.sh objects --tree %s --stage no-such "
             "--build %s x.c 2>/dev/null", SCREEN_KIT, SCREEN_KIT, SCREEN_BUILD);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
}
END_TEST

static Suite *make_screen_suite(void)
{
    Suite *s = suite_create("screen");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_unchecked_fixture(core, world_make, NULL);
    tcase_add_test(core, test_macro_include_of_reference_is_refused);
    tcase_add_test(core, test_digraph_include_is_refused);
    tcase_add_test(core, test_backslash_split_include_is_refused);
    tcase_add_test(core, test_comment_in_include_is_refused);
    tcase_add_test(core, test_include_of_etc_passwd_is_refused);
    tcase_add_test(core, test_include_of_test_source_is_refused);
    tcase_add_test(core, test_self_include_is_refused);
    tcase_add_test(core, test_inline_asm_and_raw_syscall_are_refused);
    tcase_add_test(core, test_split_incbin_is_refused);
    tcase_add_test(core, test_split_asm_include_is_refused);
    tcase_add_test(core, test_constructor_is_refused);
    tcase_add_test(core, test_destructor_is_refused);
    tcase_add_test(core, test_ifunc_is_refused);
    tcase_add_test(core, test_own_section_is_refused);
    tcase_add_test(core, test_asm_label_defining_exit_is_refused);
    tcase_add_test(core, test_forbidden_calls_are_refused);
    tcase_add_test(core, test_interposing_libcheck_is_refused);
    tcase_add_test(core, test_pragma_weak_alias_of_exit_is_refused);
    tcase_add_test(core, test_refusing_runs_exit_one);
    tcase_add_test(core, test_reference_of_every_stage_is_clean);
    tcase_add_test(core, test_starter_of_every_stage_is_clean);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    tcase_add_unchecked_fixture(limits, world_make, world_destroy);
    tcase_add_test(limits, test_runaway_self_include_runs_out_of_time);
    tcase_add_test(limits, test_usage_errors_exit_two);
    return s;
}

CHECK_MAIN(make_screen_suite)
