/*
 * grader.c - the pagelab autograder core: rubrics in, scorecard and
 * results out.
 *
 *   grader --rubrics DIR --build DIR --ref-build DIR --kit DIR --out DIR
 *          [--milestone M1[,M2...]] [--build-log FILE] [--autolab]
 *          [--strict] [--exit-zero] [--mem-mb N] [--nproc N] [--timeout-scale X]
 *          [--view DIR[:DIR...]] [--view-rw DIR] [--notes FILE]
 *   grader --list BINARY     (print a rubric line for each test it runs)
 *   grader --run BINARY      (run one suite sandboxed; 0 when all passed)
 *   grader --sandbox ... -- CMD  (run one command sandboxed: sandbox_cli.c)
 *
 * For each milestone rubric (DIR/M*.rubric, weights in DIR/weights):
 *   1. not available (no <stage>/MANIFEST in the kit, or the reference
 *      build lacks a test binary): reported, counted neither way;
 *   2. the submission build lacks a test binary: a zero-point "build"
 *      entry with the compiler's messages, every item lost;
 *   3. otherwise each (suite, case) the rubric names runs once in the
 *      sandbox (runner.h) and its check XML log (ckxml.h) decides each
 *      item; performance items compare the submission's time with the
 *      reference's, measured now.
 * Then the scorecard goes to stdout (and OUT/scorecard.txt), results.json
 * to OUT, and with --autolab Autolab's line ends stdout.
 *
 * Invariants:
 *   1. Exactly one entry per rubric item of an available milestone, so
 *      the reference scores 100% iff every item passed.
 *   2. Nothing the submission prints or writes is read except through the
 *      log and record pipes, and a log is believed only when complete, well
 *      formed, and consistent with the runner's exit status.
 *   4. A test counts as passed only when check's log says so AND the run's
 *      record pipe carries its completion record with the run's token
 *      (tests/check_util.h): a body cut short by exit, exec, a signal or a
 *      jump out never wrote one.
 *   3. Exit status 0 at full marks of what was graded (every item of
 *      every available milestone, hidden ones too; --exit-zero: whenever
 *      grading ran), 1 below full marks, 2 on a usage or rubric error or
 *      when results.json cannot be written (--strict: also when a rubric
 *      names a test the log lacks).
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckxml.h"
#include "report.h"
#include "rubric.h"
#include "runner.h"

#define MAX_RUBRICS 16
#define OUTPUT_TAIL 1500   /* bytes of runner output shown with a failure */
#define MESSAGES_MAX 600   /* bytes of a run's own messages shown */
#define BUILD_MSG_MAX 3500 /* bytes of compiler messages in a build entry */

struct options {
    const char *rubrics, *build, *ref_build, *kit, *out, *build_log;
    const char *milestones; /* comma list, NULL: all */
    const char *view;       /* what the submission's runs see (--view) */
    const char *view_rw;    /* and may write (--view-rw) */
    const char *notes;      /* lines for the student (--notes FILE) */
    int autolab, strict, exit_zero;
    double timeout_scale;
    struct runner_limits lim;
};

/* Grading state shared by the steps. */
struct grading {
    struct options opt;
    struct rubric rubrics[MAX_RUBRICS];
    size_t nrubrics;
    struct report rep;
    int rubric_errors;
    double milestone_start; /* monotonic seconds: the budget's start */
    const char *case_binary; /* the test program of the case being graded */
};

/* Seconds on the monotonic clock. */
static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds left of milestone r's time budget (scaled). */
static double budget_left(const struct grading *g, const struct rubric *r)
{
    return r->budget * g->opt.timeout_scale - (mono_now() - g->milestone_start);
}

static const char *usage =
    "usage: grader --rubrics DIR --build DIR --ref-build DIR --kit DIR "
    "--out DIR [--milestone M1,M2] [--build-log FILE] [--autolab] "
    "[--strict] [--exit-zero] [--mem-mb N] [--nproc N] "
    "[--timeout-scale X] [--view DIR[:DIR...]] [--view-rw DIR] "
    "[--notes FILE]\n"
    "exit status: 0 full marks of what was graded (--exit-zero: whenever "
    "grading ran), 1 below full marks, 2 usage, rubric or output error\n";

/* Parse argv into *o.  0, or -1 after printing usage. */
static int parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .timeout_scale = 1,
                           .lim = { .cpu_seconds = 0, .mem_mb = 8192,
                                    .fsize_mb = 512, .nproc = 512,
                                    .run_mem_mb = 3072 } };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(a, "--rubrics") ? &o->rubrics
                          : !strcmp(a, "--build") ? &o->build
                          : !strcmp(a, "--ref-build") ? &o->ref_build
                          : !strcmp(a, "--kit") ? &o->kit
                          : !strcmp(a, "--out") ? &o->out
                          : !strcmp(a, "--build-log") ? &o->build_log
                          : !strcmp(a, "--view") ? &o->view
                          : !strcmp(a, "--view-rw") ? &o->view_rw
                          : !strcmp(a, "--notes") ? &o->notes
                          : !strcmp(a, "--milestone") ? &o->milestones : NULL;
        if (slot != NULL && v != NULL)
            *slot = v, i++;
        else if (!strcmp(a, "--autolab") || !strcmp(a, "--strict"))
            *(a[2] == 'a' ? &o->autolab : &o->strict) = 1;
        else if (!strcmp(a, "--exit-zero"))
            o->exit_zero = 1;
        else if (!strcmp(a, "--mem-mb") && v != NULL)
            o->lim.mem_mb = strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--nproc") && v != NULL)
            o->lim.nproc = (unsigned)strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--timeout-scale") && v != NULL)
            o->timeout_scale = strtod(v, NULL), i++;
        else
            break;
        if (i == argc - 1 && o->rubrics && o->build && o->ref_build
            && o->kit && o->out && o->timeout_scale > 0)
            return 0;
    }
    fputs(usage, stderr);
    return -1;
}

/* Make the directory options absolute (the tests run in a scratch cwd).
 * 0, or -1 naming the directory that does not exist. */
static int absolute_dirs(struct options *o)
{
    const char **dirs[] = { &o->build, &o->ref_build, &o->kit, &o->out };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *abs = realpath(*dirs[i], NULL);
        if (abs == NULL) {
            fprintf(stderr, "grader: %s: %s\n", *dirs[i], strerror(errno));
            return -1;
        }
        *dirs[i] = abs; /* kept for the life of the process */
    }
    return 0;
}

/* True when the comma list wanted (NULL: everything) contains id. */
static int wanted(const char *list, const char *id)
{
    if (list == NULL || *list == '\0')
        return 1;
    size_t n = strlen(id);
    for (const char *p = list; p != NULL; p = strchr(p, ',')) {
        p += *p == ',';
        if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/* Load the rubrics the options select.  0, or -1 with a message. */
static int load_rubrics(struct grading *g)
{
    char pattern[4096], weights[4096], err[512];
    snprintf(pattern, sizeof pattern, "%s/M*.rubric", g->opt.rubrics);
    snprintf(weights, sizeof weights, "%s/weights", g->opt.rubrics);
    glob_t gl;
    if (glob(pattern, 0, NULL, &gl) != 0) {
        fprintf(stderr, "grader: no rubric matches %s\n", pattern);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < gl.gl_pathc && rc == 0; i++) {
        struct rubric *r = &g->rubrics[g->nrubrics];
        if (g->nrubrics == MAX_RUBRICS
            || rubric_load(gl.gl_pathv[i], r, err, sizeof err) != 0
            || rubric_load_weight(weights, r, err, sizeof err) != 0) {
            fprintf(stderr, "grader: %s\n", g->nrubrics == MAX_RUBRICS
                                                ? "too many rubrics" : err);
            rc = -1;
        } else if (wanted(g->opt.milestones, r->id)) {
            g->nrubrics++;
        } else {
            rubric_free(r);
        }
    }
    globfree(&gl);
    if (rc == 0 && g->nrubrics == 0)
        fprintf(stderr, "grader: no rubric for milestone %s\n",
                g->opt.milestones), rc = -1;
    return rc;
}

/* True when path names an executable file. */
static int is_exec(const char *dir, const char *sub, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, sub, name);
    return access(path, X_OK) == 0;
}

/* Why milestone r cannot be graded in this kit, or NULL when it can. */
static const char *unavailable(const struct grading *g,
                               const struct rubric *r, char *buf,
                               size_t len)
{
    char manifest[4096];
    struct stat st;
    snprintf(manifest, sizeof manifest, "%s/%s/MANIFEST", g->opt.kit,
             r->stage);
    if (stat(manifest, &st) != 0) {
        snprintf(buf, len, "stage %s has no MANIFEST in the kit yet",
                 r->stage);
        return buf;
    }
    for (size_t i = 0; i < r->nbinaries; i++)
        if (!is_exec(g->opt.ref_build, "tests/", r->binaries[i].binary)) {
            snprintf(buf, len, "%s/tests/%s is missing: it did not "
                     "build (see the build log)", g->opt.ref_build,
                     r->binaries[i].binary);
            return buf;
        }
    return NULL;
}

/* Whether a build-log line is worth showing the student: a refusal of
 * the screen (kind 1), or a compiler, linker or sandbox error (kind 2);
 * never make's command lines, which only bury them. */
static bool shown_line(const char *line, int kind)
{
    if (kind == 1)
        return strstr(line, ": refused: ") != NULL;
    return strstr(line, "error:") != NULL
           || strstr(line, "undefined reference") != NULL
           || strncmp(line, "sandbox: ", 9) == 0;
}

/* Append the build log's lines of one kind (shown_line) to text. */
static void append_lines(const char *log, int kind, char *text, size_t len)
{
    FILE *f = log != NULL ? fopen(log, "r") : NULL;
    char line[1024];
    size_t used = strlen(text);
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (shown_line(line, kind) && used + strlen(line) < len) {
            strcat(text, line);
            used += strlen(line);
        }
    if (f != NULL)
        fclose(f);
}

/* Append the build's messages to text: the screen's refusals alone when
 * there are any (what the compiler printed then is never shown: it could
 * quote a file the submission tried to include), else the error lines. */
static void build_messages(const char *log, char *text, size_t len)
{
    size_t before = strlen(text);
    append_lines(log, 1, text, len);
    if (strlen(text) > before) {
        char head[] = "The screen refused the submission (see "
                      "grading/README.md, \"The screen\"):\n";
        if (strlen(text) + sizeof head < len) {
            memmove(text + before + sizeof head - 1, text + before,
                    strlen(text + before) + 1);
            memcpy(text + before, head, sizeof head - 1);
        }
    } else {
        append_lines(log, 2, text, len);
    }
    if (strlen(text) + 40 >= len)
        strcpy(text + len - 40, "\n[compiler messages truncated]\n");
}

/* Every item of milestone m lost with one reason. */
static void lose_all(struct grading *g, size_t m, const struct rubric *r,
                     const char *why)
{
    for (size_t i = 0; i < r->nitems; i++)
        report_add(&g->rep, m, r->sections[r->items[i].section],
                   r->items[i].id, 0, r->items[i].points,
                   r->items[i].hidden, why);
}

/* The submission build lacks a binary: a build entry, everything lost.
 * Returns 1 when that happened, 0 when the build is complete. */
static int check_built(struct grading *g, size_t m, const struct rubric *r)
{
    for (size_t i = 0; i < r->nbinaries; i++) {
        if (is_exec(g->opt.build, "tests/", r->binaries[i].binary))
            continue;
        char text[BUILD_MSG_MAX];
        snprintf(text, sizeof text,
                 "the submission did not build (no tests/%s).\n",
                 r->binaries[i].binary);
        build_messages(g->opt.build_log, text, sizeof text);
        report_add(&g->rep, m, NULL, "build", 0, 0, false, text);
        lose_all(g, m, r, "not graded: the submission did not build");
        return 1;
    }
    return 0;
}

/* The tail of a run's output, behind a header, appended to text. */
static void append_tail(char *text, size_t len,
                        const struct runner_result *res)
{
    if (res->output_len == 0)
        return;
    size_t from = res->output_len > OUTPUT_TAIL
                      ? res->output_len - OUTPUT_TAIL : 0;
    size_t used = strlen(text);
    snprintf(text + used, len - used, "\n--- output%s ---\n%s",
             from > 0 || res->output_truncated ? " (truncated)" : "",
             res->output + from);
}

/* Whether line (len bytes) is check's own report: "Running suite(s):",
 * "NN%: Checks: ...", or a result line "file:line:P|F|E:...". */
static bool is_check_line(const char *line, size_t len)
{
    if (len >= 9 && strncmp(line, "Running s", 9) == 0)
        return true;
    const char *pct = memchr(line, '%', len);
    if (pct != NULL && (size_t)(line + len - pct) > 9 &&
        strncmp(pct, "%: Checks:", 10) == 0)
        return true;
    const char *c1 = memchr(line, ':', len);
    if (c1 == NULL || c1 == line)
        return false;
    const char *p = c1 + 1;
    while (p < line + len && *p >= '0' && *p <= '9')
        p++;
    return p > c1 + 1 && p + 2 < line + len && p[0] == ':' &&
           (p[1] == 'P' || p[1] == 'F' || p[1] == 'E') && p[2] == ':';
}

/* The lines a case run printed besides check's report (e.g. an invariant
 * abort's "function: reason", which check does not record: it only sees
 * the signal), each distinct line once, at most MESSAGES_MAX bytes, behind
 * a header, appended to text.  They belong to the whole test case, not to
 * one test. */
static void append_messages(char *text, size_t len,
                            const struct runner_result *res)
{
    size_t used = strlen(text), shown = 0, used_at_start = used;
    bool header = false;
    const char *p = res->output, *end = res->output + res->output_len;
    while (p < end && shown < MESSAGES_MAX) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        char line[256];
        snprintf(line, sizeof line, "\n%.*s", (int)n, p);
        if (n > 0 && !is_check_line(p, n) && strncmp(p, "pagelab-", 8) != 0 &&
            strstr(text + used_at_start, line) == NULL) {
            if (!header)
                snprintf(text + used, len - used, "\n--- printed by this "
                         "test case's run ---");
            header = true;
            used = strlen(text);
            snprintf(text + used, len - used, "%s", line);
            used = strlen(text);
            shown += n;
        }
        p = nl ? nl + 1 : end;
    }
}

/* Decide whether a case run's log may be believed (invariant 2).
 * Returns 1 and fills *log, or 0 with the reason in why. */
static int judge(const struct runner_result *res, struct ckxml_log *log,
                 char *why, size_t len)
{
    char how[128], err[256];
    runner_describe(res, how, sizeof how);
    if (res->xml_truncated || res->timed_out
        || ckxml_parse(res->xml, res->xml_len, log, err, sizeof err) != 0) {
        snprintf(why, len, "the test runner %s; %s", how,
                 res->xml_truncated ? "its log was too long"
                 : res->timed_out   ? "its log is not trusted"
                                    : err);
        return 0;
    }
    int failures = 0;
    for (size_t i = 0; i < log->ntests; i++)
        failures += log->tests[i].result != CKXML_PASS;
    if ((failures == 0) != (res->exit_code == 0)) {
        snprintf(why, len, "the test runner %s, which contradicts its log "
                 "(%d failures): the log is not trusted", how, failures);
        ckxml_free(log);
        return 0;
    }
    return 1;
}

/* Bytewise order of two names (what the suites sort by). */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The loop iteration rubric item it stands for: the rank of its name
 * among the kit's <dir>/NAME<suffix> files; 0 for a plain test; -1 when the
 * kit has no such name. */
static int item_iteration(const struct grading *g,
                          const struct rubric_item *it)
{
    if (it->loop == NULL)
        return it->iteration;
    char pattern[4096], want[4096];
    snprintf(pattern, sizeof pattern, "%s/%s/*%s", g->opt.kit, it->loop->dir,
             it->loop->suffix);
    snprintf(want, sizeof want, "%s/%s/%s%s", g->opt.kit, it->loop->dir,
             it->loop_name, it->loop->suffix);
    glob_t gl;
    int found = -1;
    if (glob(pattern, GLOB_NOSORT, NULL, &gl) != 0)
        return -1;
    qsort(gl.gl_pathv, gl.gl_pathc, sizeof *gl.gl_pathv, by_name);
    for (size_t i = 0; i < gl.gl_pathc && found < 0; i++)
        if (strcmp(gl.gl_pathv[i], want) == 0)
            found = (int)i;
    globfree(&gl);
    return found;
}

/* Whether the run's record pipe holds a record of kind ("begin",
 * "done", "armed") for test id, iteration, carrying the run's own token. */
static bool has_kind(const struct runner_result *res, const char *kind,
                     const char *id, int iteration)
{
    char want[512];
    int n = snprintf(want, sizeof want, "PLREC %s %s %s %d\n", res->token,
                     kind, id, iteration);
    for (const char *p = res->records; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (len == (size_t)n && memcmp(p, want, len) == 0)
            return true;
        p += len;
    }
    return false;
}

/* Whether the run's record pipe holds a completion record ("done", or
 * "armed" for a test expected to die) for test id, iteration (invariant
 * 4). */
static bool has_record(const struct runner_result *res, const char *id,
                       int iteration)
{
    return has_kind(res, "done", id, iteration)
           || has_kind(res, "armed", id, iteration);
}

#define NO_RECORD_WHY                                                       \
    "the test did not run to its end: check saw it end without a failure, " \
    "but its last statement never ran (the code under test ended the "      \
    "test early: exit, exec, or a jump out)"

/* Why a test failed when its case's run was cut at the deadline and only
 * the records tell what happened: it started and did not finish (it hung,
 * or failed and its message was lost with the run), or it never started. */
static const char *cut_short_why(const struct runner_result *res,
                                 const char *id, int iteration)
{
    static char why[256];
    if (has_kind(res, "begin", id, iteration))
        snprintf(why, sizeof why, "timed out: the run of its test case "
                 "reached its deadline (%.0f s) while this test ran or after "
                 "it failed (its message was lost with the run)",
                 res->seconds);
    else
        snprintf(why, sizeof why, "not run: the run of its test case "
                 "reached its deadline (%.0f s) before this test started",
                 res->seconds);
    return why;
}

/* The errno values the kit's functions return, negated, and what they
 * mean to a student reading a failed assertion. */
static const struct {
    int value;
    const char *name, *meaning;
} errno_names[] = {
    { ENOSYS, "ENOSYS", "not implemented yet" },
    { ENOSPC, "ENOSPC", "no space left in the page file or swap" },
    { EFAULT, "EFAULT", "bad address" },
    { EIO, "EIO", "I/O error" },
    { ENOMEM, "ENOMEM", "out of memory" },
    { EINVAL, "EINVAL", "invalid argument" },
    { EAGAIN, "EAGAIN", "try again" },
    { EBUSY, "EBUSY", "busy" },
};

/* Name each errno value that appears negated in the first line of text
 * ("== -38"), in brackets at the end of that line: "[-38 is -ENOSYS: not
 * implemented yet]".  The scorecard shows first lines. */
static void explain_errnos(char *text, size_t len)
{
    char note[256] = "";
    size_t first = strcspn(text, "\n"), used = 0;
    for (size_t k = 0; k < sizeof errno_names / sizeof errno_names[0]; k++) {
        char want[16];
        int w = snprintf(want, sizeof want, "-%d", errno_names[k].value);
        bool found = false;
        for (const char *p = strstr(text, want); p != NULL
             && p < text + first && !found; p = strstr(p + 1, want))
            found = (p == text || strchr(" (=,[", p[-1]) != NULL)
                    && !(p[w] >= '0' && p[w] <= '9') && p[w] != '.';
        if (found)
            used += (size_t)snprintf(note + used, sizeof note - used,
                                     "%s%s is -%s: %s", used ? "; " : "  [",
                                     want, errno_names[k].name,
                                     errno_names[k].meaning);
        if (used >= sizeof note - 2)
            return;
    }
    if (used == 0 || strlen(text) + used + 2 >= len)
        return;
    strcat(note, "]");
    used++;
    memmove(text + first + used, text + first, strlen(text + first) + 1);
    memcpy(text + first, note, used);
}

/* check's "Test timeout expired", in words a student can act on. */
static const char *timeout_why(const struct rubric *r, double scale)
{
    static char why[200];
    snprintf(why, sizeof why, "timed out after %.0f s (each test may take "
             "at most that long): it hangs, or is far too slow",
             r->test_timeout * scale);
    return why;
}

/* --- crash reports (tests/check_util.c prints them) ---------------- */

static void view_of(const struct grading *g, const char *build_dir,
                    struct sandbox_view *view, char *buf, size_t len);

#define CRASH_FRAMES 24
#define CRASH_SHOWN 6

/* The offsets of test id's (iteration) crash frames in the run's output,
 * and its "signal N at address A" text.  Returns how many frames. */
static int crash_frames(const struct runner_result *res, const char *id,
                        int iteration, char offs[][24], char *head,
                        size_t hlen)
{
    char crash[300], frame[300];
    int n = 0;
    snprintf(crash, sizeof crash, "pagelab-crash %s %d: ", id, iteration);
    snprintf(frame, sizeof frame, "pagelab-frame %s %d ", id, iteration);
    head[0] = '\0';
    for (const char *p = res->output; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, crash, strlen(crash)) == 0)
            snprintf(head, hlen, "%.*s", (int)(len - strlen(crash)),
                     p + strlen(crash));
        else if (strncmp(p, frame, strlen(frame)) == 0 && n < CRASH_FRAMES
                 && len - strlen(frame) < 24)
            snprintf(offs[n++], 24, "%.*s", (int)(len - strlen(frame)),
                     p + strlen(frame));
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

/* A source path as the student knows it: relative to the tree it was
 * built in (the view), not the grading machine's absolute path. */
static const char *shown_path(const struct grading *g, const char *where)
{
    const char *root = g->opt.view ? g->opt.view : g->opt.kit;
    size_t n = strlen(root);
    return strncmp(where, root, n) == 0 && where[n] == '/' ? where + n + 1
                                                            : where;
}

/* Name the frames with addr2line, run in the sandbox on the test program;
 * appends "  in FUNCTION at FILE:LINE" lines for frames in the kit's or
 * the student's code (not the crash handler's own, not unknown ones). */
static void append_frames(const struct grading *g, char offs[][24], int n,
                          char *text, size_t len)
{
    char *argv[CRASH_FRAMES + 6] = { "/usr/bin/addr2line", "-f", "-e",
                                     (char *)g->case_binary };
    char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };
    for (int i = 0; i < n; i++)
        argv[4 + i] = offs[i];
    struct runner_limits lim = { .wall_seconds = 20, .cpu_seconds = 20,
                                 .mem_mb = 1024, .fsize_mb = 1, .nproc = 8,
                                 .run_mem_mb = 512 };
    struct sandbox_view view;
    char seen[4096];
    view_of(g, g->opt.build, &view, seen, sizeof seen);
    lim.view = &view;
    struct runner_result res;
    if (runner_run(argv, envp, &lim, &res) != 0)
        return;
    int shown = 0;
    char *save = NULL, *func = strtok_r(res.output, "\n", &save);
    while (func != NULL && shown < CRASH_SHOWN) {
        char *where = strtok_r(NULL, "\n", &save);
        if (where == NULL)
            break;
        if (strcmp(func, "??") != 0 && strstr(where, "check_util.c") == NULL
            && strncmp(where, "??", 2) != 0 && strlen(text) + 200 < len) {
            snprintf(text + strlen(text), len - strlen(text),
                     "\n  %s %s at %s", shown ? "called from" : "in", func,
                     shown_path(g, where));
            shown++;
        }
        func = strtok_r(NULL, "\n", &save);
    }
    runner_result_free(&res);
}

/* A crashed test's report in words: the signal, the faulting address and
 * the functions it was in (from the run's crash lines), appended. */
static void append_crash(const struct grading *g,
                         const struct runner_result *res, const char *id,
                         int iteration, char *text, size_t len)
{
    char offs[CRASH_FRAMES][24], head[200];
    int n = crash_frames(res, id, iteration, offs, head, sizeof head);
    if (head[0] == '\0' || strlen(text) + 300 > len)
        return;
    int sig = atoi(head + strlen("signal "));
    const char *at = strstr(head, " at address ");
    snprintf(text + strlen(text), len - strlen(text),
             "\ncrashed: signal %d (%s)%s%s", sig, strsignal(sig),
             at && sig != SIGABRT ? ", touching address " : "",
             at && sig != SIGABRT ? at + strlen(" at address ") : "");
    append_frames(g, offs, n, text, len);
}

/* One entry for check item it, from log (NULL: untrusted, reason why). */
static bool score_item(struct grading *g, size_t m, const struct rubric *r,
                       const struct rubric_item *it,
                       const struct ckxml_log *log, const char *why,
                       const struct runner_result *res)
{
    char text[OUTPUT_TAIL + 1024];
    const struct ckxml_test *t =
        log ? ckxml_find(log, it->suite, it->tcase, it->test,
                         item_iteration(g, it)) : NULL;
    int iteration = item_iteration(g, it);
    bool logged_pass = t != NULL && t->result == CKXML_PASS;
    bool cut = log == NULL && res->timed_out; /* the records decide */
    int passed = (logged_pass || cut) && has_record(res, it->test, iteration);
    snprintf(text, sizeof text, "%s", passed ? "" : cut ? cut_short_why(res,
             it->test, iteration) : why ? why
             : t == NULL ? "the test did not run (it is not in the log)"
             : logged_pass ? NO_RECORD_WHY
             : strcmp(t->message, "Test timeout expired") == 0
                 ? timeout_why(r, g->opt.timeout_scale) : t->message);
    if (!passed)
        explain_errnos(text, sizeof text);
    if (!passed && log == NULL && !cut)
        append_tail(text, sizeof text, res);
    /* A test killed by a signal: check records only the signal; an
     * invariant abort's "function: reason" line is in the run's output. */
    if (!passed && t != NULL && t->message != NULL &&
        strstr(t->message, "Received signal") != NULL) {
        append_crash(g, res, it->test, iteration, text, sizeof text);
        append_messages(text, sizeof text, res);
    }
    if (log != NULL && t == NULL) {
        fprintf(stderr, "grader: %s:%u: rubric names %s, which suite %s's "
                "log does not contain\n", r->file, it->line, it->id,
                it->suite);
        g->rubric_errors++;
    }
    report_add(&g->rep, m, r->sections[it->section], it->id,
               passed ? it->points : 0, it->points, it->hidden, text);
    return passed;
}

/* What a run of a program built in build_dir may see: the tree that
 * build belongs to (its parent directory), read-only: for a submission
 * that is the grading tree, where nothing of the reference exists.
 * --view overrides it for the submission's build (folders separated by
 * ':'; students' own tests are shown only the build and their
 * own files, never the sources).  buf holds the paths. */
static void view_of(const struct grading *g, const char *build_dir,
                    struct sandbox_view *view, char *buf, size_t len)
{
    *view = (struct sandbox_view){ .tmp_mb = 512 };
    if (g->opt.view != NULL && strcmp(build_dir, g->opt.build) == 0) {
        snprintf(buf, len, "%s", g->opt.view);
    } else {
        snprintf(buf, len, "%s", build_dir);
        char *slash = strrchr(buf, '/');
        if (slash != NULL && slash != buf)
            *slash = '\0';
    }
    /* --view may name several folders: "A:B" */
    size_t k = 0;
    for (char *save = NULL, *p = strtok_r(buf, ":", &save);
         p != NULL && k < SANDBOX_MAX_BINDS; p = strtok_r(NULL, ":", &save))
        view->ro[k++] = p;
    /* --view-rw: one folder the runs may write (bound after the others,
     * so it may lie inside one of them) */
    if (g->opt.view_rw != NULL && strcmp(build_dir, g->opt.build) == 0)
        view->rw[0] = g->opt.view_rw;
}

/* One progress line per test case as it finishes, on stderr: on a
 * terminal it overwrites the previous one (a live line), otherwise it is a
 * plain line (logs, CI). */
static void progress(const struct rubric *r, const char *suite,
                     const char *tcase, unsigned passed, unsigned tests,
                     double seconds)
{
    bool live = isatty(STDERR_FILENO);
    fprintf(stderr, "%sgrade: %s %s/%s: %u of %u passed (%.1f s)%s",
            live ? "\r\033[K" : "", r->id, suite, tcase, passed, tests,
            seconds, live ? "" : "\n");
    fflush(stderr);
}

/* The deadline of one run of a test case: long enough for every test of
 * it to use its whole per-test timeout (so that a hung test costs only
 * itself: check kills it and goes on), at least the rubric's timeout, and
 * never past the milestone's budget.  Seconds, scaled; < 1: do not run. */
static double case_deadline(const struct grading *g, const struct rubric *r,
                            const char *suite, const char *tcase)
{
    unsigned tests = 0;
    for (size_t i = 0; i < r->nitems; i++)
        tests += r->items[i].suite != NULL
                 && strcmp(r->items[i].suite, suite) == 0
                 && strcmp(r->items[i].tcase, tcase) == 0;
    double all_hang = tests * r->test_timeout * 1.1 + 2; /* + starting */
    double want = (all_hang > r->timeout ? all_hang : r->timeout)
                  * g->opt.timeout_scale;
    double left = budget_left(g, r);
    return want < left ? want : left;
}

/* Run one test case of a suite in the sandbox and score its items. */
static void grade_case(struct grading *g, size_t m, const struct rubric *r,
                       const char *suite, const char *tcase)
{
    char path[4096], s_env[300], c_env[300], t_env[64], e_env[64], why[512];
    snprintf(path, sizeof path, "%s/tests/%s", g->opt.build,
             rubric_binary_of(r, suite));
    snprintf(s_env, sizeof s_env, "CK_RUN_SUITE=%s", suite);
    snprintf(c_env, sizeof c_env, "CK_RUN_CASE=%s", tcase);
    snprintf(t_env, sizeof t_env, "CK_TIMEOUT_MULTIPLIER=%g",
             g->opt.timeout_scale);
    snprintf(e_env, sizeof e_env, "PAGELAB_TEST_TIMEOUT=%g", r->test_timeout);
    char *argv[] = { path, NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C", "CK_FORK=yes",
                     "CK_VERBOSITY=normal", s_env, c_env, t_env, e_env, NULL };
    g->case_binary = path;
    struct runner_limits lim = g->opt.lim;
    lim.wall_seconds = case_deadline(g, r, suite, tcase);
    lim.cpu_seconds = (unsigned)(lim.wall_seconds * 4) + 10;
    struct sandbox_view view;
    char seen[4096];
    view_of(g, g->opt.build, &view, seen, sizeof seen);
    lim.view = &view;
    struct runner_result res = { 0 };
    struct ckxml_log log = { 0 };
    int trusted = 0;
    if (lim.wall_seconds < 1)
        snprintf(why, sizeof why, "not run: the milestone's time budget "
                 "(%.0f s) ran out before this test case started",
                 r->budget * g->opt.timeout_scale);
    else if (runner_run(argv, envp, &lim, &res) != 0)
        snprintf(why, sizeof why, "the grader could not start %.400s", path);
    else
        trusted = judge(&res, &log, why, sizeof why);
    unsigned tests = 0, passed = 0;
    for (size_t i = 0; i < r->nitems; i++) {
        const struct rubric_item *it = &r->items[i];
        if (it->suite != NULL && strcmp(it->suite, suite) == 0
            && strcmp(it->tcase, tcase) == 0) {
            tests++;
            passed += score_item(g, m, r, it, trusted ? &log : NULL,
                                 trusted ? NULL : why, &res);
        }
    }
    progress(r, suite, tcase, passed, tests, res.seconds);
    ckxml_free(&log);
    runner_result_free(&res);
}

/* Time one run of perf program under dir.  Seconds, or -1 with why. */
static double time_once(const struct grading *g, const struct rubric *r,
                        const char *dir, const struct rubric_perf *pf,
                        char *why, size_t len)
{
    char path[4096], how[128];
    if (pf->argv[0][0] == '/') /* a system program (start_cost) */
        snprintf(path, sizeof path, "%s", pf->argv[0]);
    else
        snprintf(path, sizeof path, "%s/%s", dir, pf->argv[0]);
    size_t n = 0;
    while (pf->argv[n] != NULL)
        n++;
    char **argv = calloc(n + 1, sizeof *argv);
    if (argv == NULL)
        return snprintf(why, len, "out of memory"), -1;
    memcpy(argv, pf->argv, n * sizeof *argv);
    argv[0] = path;
    char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };
    struct runner_limits lim = g->opt.lim;
    lim.wall_seconds = r->timeout * g->opt.timeout_scale;
    lim.cpu_seconds = (unsigned)(lim.wall_seconds * 4) + 10;
    struct sandbox_view view;
    char seen[4096];
    view_of(g, dir, &view, seen, sizeof seen);
    lim.view = &view;
    struct runner_result res;
    double t = -1;
    if (runner_run(argv, envp, &lim, &res) == 0 && res.exit_code == 0)
        t = res.seconds;
    if (t < 0) {
        runner_describe(&res, how, sizeof how);
        snprintf(why, len, "%s %s", pf->argv[0], how);
        append_tail(why, len, &res);
    }
    runner_result_free(&res);
    free(argv);
    return t;
}

/* What starting an empty program in the sandbox costs, seen from the
 * grader (bwrap's namespaces and mounts, the control group): the least of
 * three runs of /bin/true with the view of build dir.  Taken off every
 * timed run, so that it does not pull every ratio towards 1. */
static double start_cost(const struct grading *g, const struct rubric *r,
                         const char *dir)
{
    static const char *const argv[] = { "/bin/true", NULL };
    struct rubric_perf empty = { .argv = (char **)argv };
    char why[OUTPUT_TAIL + 512];
    double best = -1;
    for (int i = 0; i < 3; i++) {
        double t = time_once(g, r, dir, &empty, why, sizeof why);
        if (t >= 0 && (best < 0 || t < best))
            best = t;
    }
    return best > 0 ? best : 0;
}

/* The median of n > 0 values (sorts them). */
static double median(double *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define PERF_MAX_ROUNDS 15

/* Time pf->runs interleaved rounds of the submission and the reference
 * (who goes first alternates, so a machine that gets busier or quieter
 * favours neither); fills their medians, start cost taken off.  Returns 0,
 * -1 when the submission failed (why in text), -2 when the reference did. */
static int time_rounds(const struct grading *g, const struct rubric *r,
                       const struct rubric_perf *pf, double *sub,
                       double *ref, char *text, size_t len)
{
    double s[PERF_MAX_ROUNDS], f[PERF_MAX_ROUNDS];
    unsigned n = pf->runs < PERF_MAX_ROUNDS ? pf->runs : PERF_MAX_ROUNDS;
    double cost = start_cost(g, r, g->opt.build);
    for (unsigned i = 0; i < n; i++) {
        for (int side = 0; side < 2; side++) {
            bool submission = (side == 0) == (i % 2 == 0);
            const char *dir = submission ? g->opt.build : g->opt.ref_build;
            double t = time_once(g, r, dir, pf, text, len);
            if (t < 0)
                return submission ? -1 : -2;
            t = t - cost > 0.001 ? t - cost : 0.001;
            (submission ? s : f)[i] = t;
        }
    }
    *sub = median(s, n);
    *ref = median(f, n);
    return 0;
}

/* Score a performance item as a ratio to the reference, both measured
 * now in interleaved rounds; the median of each side counts. */
static void grade_perf(struct grading *g, size_t m, const struct rubric *r,
                       const struct rubric_item *it)
{
    const struct rubric_perf *pf = it->perf;
    char text[OUTPUT_TAIL + 512] = "";
    double sub = -1, ref = -1, earned = 0;
    int rc = budget_left(g, r) < r->timeout * g->opt.timeout_scale ? -3
             : time_rounds(g, r, pf, &sub, &ref, text, sizeof text);
    if (rc == -3)
        snprintf(text, sizeof text, "not run: the milestone's time budget "
                 "(%.0f s) ran out before this item started",
                 r->budget * g->opt.timeout_scale);
    if (rc == -2) {
        g->rubric_errors++;
        strcat(text, " (the reference failed: full marks given)");
        earned = it->points;
    } else if (rc == 0) {
        double ratio = ref / sub;
        earned = it->points * (ratio >= pf->threshold ? 1
                                                      : ratio / pf->threshold);
        snprintf(text, sizeof text, "%.3f s against the reference's %.3f s "
                 "(medians of %u interleaved rounds): ratio %.2f (full "
                 "marks from %.2f)", sub, ref, pf->runs, ratio,
                 pf->threshold);
    }
    report_add(&g->rep, m, r->sections[it->section], it->id, earned,
               it->points, it->hidden, text);
    if (rc == 0) /* the leaderboard / scoreboard (report.h) */
        report_set_ratio(&g->rep, ref / sub);
}

/* The lines of --notes (where each submitted file was taken from) that
 * concern milestone r's stage, or the whole submission, as a zero-point
 * "submission" entry the student sees. */
static void add_notes(struct grading *g, size_t m, const struct rubric *r)
{
    char line[512], text[BUILD_MSG_MAX] = "", stage[300];
    FILE *f = g->opt.notes != NULL ? fopen(g->opt.notes, "r") : NULL;
    snprintf(stage, sizeof stage, " %s/", r->stage);
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if ((strstr(line, stage) != NULL || strncmp(line, "note", 4) == 0
             || strncmp(line, "error", 5) == 0)
            && strlen(text) + strlen(line) < sizeof text)
            strcat(text, line);
    if (f != NULL)
        fclose(f);
    if (text[0] != '\0')
        report_add(&g->rep, m, NULL, "submission", 0, 0, false, text);
}

/* Grade every item of one milestone (one entry each, invariant 1). */
static void grade_milestone(struct grading *g, const struct rubric *r)
{
    char buf[512];
    const char *why = unavailable(g, r, buf, sizeof buf);
    size_t m = report_add_milestone(&g->rep, r, why == NULL, why);
    g->milestone_start = mono_now();
    if (m != (size_t)-1 && why == NULL)
        add_notes(g, m, r);
    if (m == (size_t)-1 || why != NULL || check_built(g, m, r))
        return;
    for (size_t i = 0; i < r->nitems; i++) {
        const struct rubric_item *it = &r->items[i];
        size_t j = 0;
        if (it->perf != NULL) {
            grade_perf(g, m, r, it);
            continue;
        }
        while (j < i && (r->items[j].suite == NULL
                         || strcmp(r->items[j].suite, it->suite) != 0
                         || strcmp(r->items[j].tcase, it->tcase) != 0))
            j++;
        if (j == i) /* first item of its case */
            grade_case(g, m, r, it->suite, it->tcase);
    }
}

/* Staff scorecard (stdout and OUT/scorecard.txt), results.json (the
 * student's scorecard in its "output"), Autolab line.  Returns the
 * process exit status (invariant 3). */
static int write_outputs(struct grading *g)
{
    char path[4096];
    report_print_scorecard(&g->rep, stdout, true);
    snprintf(path, sizeof path, "%s/scorecard.txt", g->opt.out);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        report_print_scorecard(&g->rep, f, true);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/results.json", g->opt.out);
    int err = report_write_json(&g->rep, path);
    if (err != 0)
        fprintf(stderr, "grader: cannot write %s: %s\n", path,
                strerror(-err));
    else
        printf("results: %s\n", path);
    if (g->opt.autolab)
        report_print_autolab(&g->rep, stdout);
    if (g->rubric_errors > 0)
        fprintf(stderr, "grader: %d rubric error(s)\n", g->rubric_errors);
    if ((g->opt.strict && g->rubric_errors > 0) || err != 0)
        return 2;
    return g->opt.exit_zero || report_full_marks(&g->rep) ? 0 : 1;
}

/* Run one suite binary on its own in the sandbox, as the grader runs a
 * submission's tests (no case selection), and judge its log.  Returns 1
 * with *log filled, 0 with the reason in why, -1 when it could not be run
 * (message printed). */
static int run_alone(const char *binary, struct ckxml_log *log, char *why,
                     size_t len)
{
    char path[PATH_MAX];
    if (realpath(binary, path) == NULL) {
        fprintf(stderr, "grader: %s: %s\n", binary, strerror(errno));
        return -1;
    }
    char *argv[] = { path, NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C", "CK_FORK=yes", NULL };
    /* it sees its build folder (BUILD/tests/BINARY: two levels up) */
    char seen[PATH_MAX];
    snprintf(seen, sizeof seen, "%s", path);
    for (int up = 0; up < 2 && strrchr(seen, '/') != NULL
                     && strrchr(seen, '/') != seen; up++)
        *strrchr(seen, '/') = '\0';
    struct sandbox_view view = { .ro = { seen }, .tmp_mb = 512 };
    struct runner_limits lim = { .wall_seconds = 600, .cpu_seconds = 2400,
                                 .mem_mb = 8192, .fsize_mb = 512,
                                 .nproc = 512, .run_mem_mb = 3072,
                                 .view = &view };
    struct runner_result res;
    runner_init();
    if (runner_run(argv, envp, &lim, &res) != 0) {
        fprintf(stderr, "grader: %s could not be started\n", binary);
        return -1;
    }
    int ok = judge(&res, log, why, len);
    runner_result_free(&res);
    return ok;
}

/* grader --list BINARY: print one rubric line (1 point, public) per test
 * the binary's log reports.  Returns the exit status. */
static int list_tests(const char *binary)
{
    struct ckxml_log log = { 0 };
    char why[512];
    int ok = run_alone(binary, &log, why, sizeof why);
    if (ok == 0)
        fprintf(stderr, "grader: %s: %s\n", binary, why);
    for (size_t i = 0; ok == 1 && i < log.ntests; i++) {
        const struct ckxml_test *t = &log.tests[i];
        printf("1 %s/%s/%s", t->suite, t->tcase, t->id);
        if (t->iteration != 0)
            printf(":%d", t->iteration);
        printf(" public\n");
    }
    ckxml_free(&log);
    return ok == 1 ? 0 : 1;
}

/* grader --run BINARY: prints "BINARY: N tests, M failed" (or why the log
 * was rejected); returns 0 only when the log is trusted and every test
 * passed. */
static int run_suite(const char *binary)
{
    struct ckxml_log log = { 0 };
    char why[512];
    int ok = run_alone(binary, &log, why, sizeof why);
    size_t failed = 0;
    for (size_t i = 0; ok == 1 && i < log.ntests; i++)
        failed += log.tests[i].result != CKXML_PASS;
    if (ok == 1)
        printf("%s: %zu tests, %zu failed\n", binary, log.ntests, failed);
    else if (ok == 0)
        printf("%s: %s\n", binary, why);
    ckxml_free(&log);
    return ok == 1 && failed == 0 ? 0 : ok < 0 ? 2 : 1;
}

/* See the design comment. */
int main(int argc, char **argv)
{
    static struct grading g;
    if (argc >= 2 && strcmp(argv[1], "--sandbox") == 0)
        return runner_cli(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "--list") == 0)
        return list_tests(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--run") == 0)
        return run_suite(argv[2]);
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        return fputs(usage, stdout), 0;
    if (parse_args(argc, argv, &g.opt) != 0 || absolute_dirs(&g.opt) != 0
        || load_rubrics(&g) != 0)
        return 2;
    runner_init();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < g.nrubrics; i++)
        grade_milestone(&g, &g.rubrics[i]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (isatty(STDERR_FILENO))
        fputc('\n', stderr); /* end the live line */
    g.rep.seconds = (double)(t1.tv_sec - t0.tv_sec)
                    + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return write_outputs(&g);
}
