/*
 * check_util.c - the shared runner main for every check suite.
 *
 * It wires check's own runner: output mode CK_NORMAL (one summary line
 * per suite plus every failure), XML log when CK_XML_LOG_FILE_NAME is set
 * (check reads the variable itself), and an exit status the build can act on.
 * It also writes the completion records of check_util.h.
 *
 * Invariants:
 *   1. The record channel is taken before the suite is built: its
 *      descriptor from the environment (the variable is then wiped, also
 *      from the initial stack /proc/self/environ shows) and the token from
 *      a pipe read once and closed, so the token is in no environment and
 *      no file: only in this process's memory.
 *   2. A record is one write() of less than PIPE_BUF bytes: records of
 *      concurrent test children never interleave.
 *   3. The record descriptor is close-on-exec: a program a test starts
 *      (the pager, an app) never holds it.
 */
#include "check_util.h"

#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Under AddressSanitizer or ThreadSanitizer an allocation too large to
 * satisfy returns NULL, as malloc does without them, instead of stopping
 * the program: the out-of-memory tests (check_slotmap, check_pagefile)
 * then test the kit's refusal, not the sanitizer's.  Unused otherwise. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "allocator_may_return_null=1";
}

#define RECORD_VAR "PAGELAB_RECORD"
#define RECORD_TOKEN_MAX 64

/* The record channel (-1: none) and its token, set once in main. */
static int record_fd = -1;
static char record_token[RECORD_TOKEN_MAX + 1];

/* The test running in this process (set in the test's own child). */
static const char *current_test;
static int current_iteration;

/* Read the token from descriptor fd (PAGELAB_RECORD="<fd>:@<token-fd>":
 * the grader's pipe, read once and closed) into record_token.  0 or -1. */
static int read_token(int fd)
{
    ssize_t n = read(fd, record_token, RECORD_TOKEN_MAX);
    close(fd);
    if (n <= 0)
        return -1;
    record_token[n] = '\0';
    record_token[strcspn(record_token, " \n")] = '\0';
    return record_token[0] != '\0' ? 0 : -1;
}

/* Take PAGELAB_RECORD from the environment and wipe it (invariant 1);
 * read the token.  A malformed value leaves the channel off. */
static void take_record_channel(void)
{
    extern char **environ;
    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, RECORD_VAR "=", sizeof RECORD_VAR) != 0)
            continue;
        char *value = *e + sizeof RECORD_VAR, *colon = strchr(value, ':');
        if (colon != NULL && colon[1] == '@') {
            record_fd = atoi(value);
            if (read_token(atoi(colon + 2)) != 0
                || fcntl(record_fd, F_SETFD, FD_CLOEXEC) != 0)
                record_fd = -1;
        }
        memset(*e, 0, strlen(*e));
        break;
    }
    unsetenv(RECORD_VAR);
}

/* Write one record of kind (invariant 2); silent when there is no
 * channel. */
static void write_record(const char *kind)
{
    if (record_fd < 0 || current_test == NULL)
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "PLREC %s %s %s %d\n", record_token,
                     kind, current_test, current_iteration);
    if (n > 0 && (size_t)n < sizeof line)
        (void)!write(record_fd, line, (size_t)n);
}

/* See check_util.h. */
void check_util_test_begin(const char *name, int iteration)
{
    current_test = name;
    current_iteration = iteration;
    write_record("begin");
}

/* See check_util.h. */
void check_util_test_done(void)
{
    write_record("done");
    current_test = NULL;
}

/* See check_util.h. */
void check_util_expect_death(void)
{
    write_record("armed");
}

/* check's own rule: fork mode unless CK_FORK is "no". */
int check_util_forking(void)
{
    const char *mode = getenv("CK_FORK");
    return mode == NULL || strcmp(mode, "no") != 0;
}

/* Run suite with check's environment-driven options.  Returns 0 when every
 * test passed, 1 otherwise. */
int check_util_run(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Create a tagged test case with an optional timeout and add it to s. */
TCase *check_util_tcase(Suite *s, const char *name, const char *tags,
                        double timeout_seconds)
{
    TCase *tc = tcase_create(name);
    tcase_set_tags(tc, tags);
    const char *each = getenv("PAGELAB_TEST_TIMEOUT");
    if (each != NULL && atof(each) > 0) /* the grader's per-test limit */
        timeout_seconds = atof(each);
    if (timeout_seconds > 0)
        tcase_set_timeout(tc, timeout_seconds);
    suite_add_tcase(s, tc);
    return tc;
}

/* --- crash reports ------------------------------------------------------
 * When the grader runs a suite (the record channel is on), a test that
 * crashes prints, before it dies of its signal as before:
 *     pagelab-crash <test> <iteration>: signal <n> at address 0x<addr>
 *     pagelab-frame <test> <iteration> 0x<offset>      (one per frame)
 * offsets being relative to the test program's load address, so the
 * grader can name each frame's function, file and line with addr2line and
 * show the student where their code crashed.  Only async-signal-safe
 * calls run in the handler (backtrace is warmed up beforehand). */

static uintptr_t program_base; /* the main program's load address */

/* dl_iterate_phdr callback: the first object is the main program. */
static int find_program_base(struct dl_phdr_info *info, size_t size,
                             void *data)
{
    (void)size;
    (void)data;
    program_base = (uintptr_t)info->dlpi_addr;
    return 1;
}

/* Append the text s to buf at *n (bounded). */
static void put_text(char *buf, size_t *n, size_t cap, const char *s)
{
    while (*s != '\0' && *n + 1 < cap)
        buf[(*n)++] = *s++;
}

/* Append v as 0x<hex> (or decimal when !hex) to buf at *n. */
static void put_number(char *buf, size_t *n, size_t cap, uintptr_t v,
                       int hex)
{
    char digits[24];
    int k = 0;
    do {
        unsigned d = (unsigned)(v % (hex ? 16 : 10));
        digits[k++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= hex ? 16 : 10;
    } while (v != 0 && k < (int)sizeof digits);
    if (hex)
        put_text(buf, n, cap, "0x");
    while (k > 0 && *n + 1 < cap)
        buf[(*n)++] = digits[--k];
}

/* The test and iteration prefix of a crash line. */
static void put_test(char *buf, size_t *n, size_t cap, const char *kind)
{
    put_text(buf, n, cap, kind);
    put_text(buf, n, cap, current_test ? current_test : "?");
    put_text(buf, n, cap, " ");
    put_number(buf, n, cap, (uintptr_t)current_iteration, 0);
}

/* The crash handler: report, then die of the same signal. */
static void report_crash(int sig, siginfo_t *info, void *context)
{
    (void)context;
    char line[256];
    size_t n = 0;
    put_test(line, &n, sizeof line, "pagelab-crash ");
    put_text(line, &n, sizeof line, ": signal ");
    put_number(line, &n, sizeof line, (uintptr_t)sig, 0);
    put_text(line, &n, sizeof line, " at address ");
    put_number(line, &n, sizeof line, (uintptr_t)info->si_addr, 1);
    put_text(line, &n, sizeof line, "\n");
    (void)!write(STDERR_FILENO, line, n);
    void *frames[24];
    int depth = backtrace(frames, 24);
    for (int i = 0; i < depth; i++) {
        n = 0;
        put_test(line, &n, sizeof line, "pagelab-frame ");
        put_text(line, &n, sizeof line, " ");
        /* a return address points after its call: step back into it */
        put_number(line, &n, sizeof line,
                   (uintptr_t)frames[i] - program_base - (i > 0), 1);
        put_text(line, &n, sizeof line, "\n");
        (void)!write(STDERR_FILENO, line, n);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Install the crash handler (grader runs only: sanitizer builds keep
 * their own reports). */
static void install_crash_reports(void)
{
    static char alt_stack[64 * 1024]; /* reports even a stack overflow */
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
    void *warm[2];
    (void)backtrace(warm, 2); /* loads the unwinder outside a handler */
    dl_iterate_phdr(find_program_base, NULL);
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack };
    (void)sigaltstack(&ss, NULL);
    struct sigaction sa = { .sa_sigaction = report_crash,
                            .sa_flags = SA_SIGINFO | SA_ONSTACK };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        (void)sigaction(sigs[i], &sa, NULL);
}

/* See check_util.h. */
void check_util_init(void)
{
    take_record_channel();
    if (record_fd >= 0)
        install_crash_reports();
}
