/*
 * rubric.h - milestone rubrics and the weights file (plain text).
 *
 * A rubric file (grading/rubrics/M<n>.rubric) is a list of lines; '#'
 * starts a comment.  Directives:
 *
 *   milestone M1 phase1-single      id and the stage directory it grades
 *   title The page state machine    one line shown on the scorecard
 *   binary stage check_stage_phase1 check suite 'stage' lives in the test
 *                                   binary <build>/tests/check_stage_phase1
 *   timeout 120                     seconds one test case may take in all
 *                                   when none of its tests hangs
 *   test_timeout 10                 seconds one test may take (default 20):
 *                                   a hung test costs this, and itself only
 *   budget 480                      seconds the whole milestone may take
 *                                   (default 480); cases that would start
 *                                   after it are not run, and say so
 *   perf scale4 3 0.8 bin/vmsim ... a performance item: run the program
 *                                   (path under the build directory) 3
 *                                   times for the submission and for the
 *                                   reference; full marks when ref/sub
 *                                   time >= 0.8
 *   loop app apps/core/test_app tests/apps .trace
 *                                   a check loop test: item app/NAME is
 *                                   the iteration whose index is NAME's
 *                                   rank among the kit's tests/apps/NAME.trace files
 *                                   (sorted bytewise, suffix removed)
 *   section functionality           the items below belong to it
 *   3 stage/core/test_x public      an item: points, test id, visibility
 *   5 perf/scale4 public            (public or hidden)
 *
 * A test id is suite/case/test for a check test (suite/case/test:N for
 * iteration N of a check loop test), perf/<name> for a
 * performance item, <loop-prefix>/<name> for an iteration of a loop test.
 * The weights file has lines "M1 25": each milestone's share of the total.
 */
#ifndef PAGELAB_GRADING_RUBRIC_H
#define PAGELAB_GRADING_RUBRIC_H

#include <stdbool.h>
#include <stddef.h>

struct rubric_binary {
    char *suite;
    char *binary;        /* file name under <build>/tests/ */
};

struct rubric_perf {
    char *name;
    unsigned runs;       /* >= 1; the best run counts */
    double threshold;    /* ref/sub time ratio for full marks, (0, 1] */
    char **argv;         /* NULL-terminated; argv[0] under <build>/ */
};

struct rubric_loop {
    char *prefix;        /* item ids prefix/NAME */
    char *suite, *tcase, *test;
    char *dir;           /* kit directory listing the names */
    char *suffix;        /* a name is a file NAME<suffix> there */
};

struct rubric_item {
    double points;       /* > 0 */
    char *id;            /* as written */
    char *suite, *tcase, *test; /* check and loop items */
    const struct rubric_perf *perf; /* perf items, else NULL */
    const struct rubric_loop *loop; /* loop items, else NULL */
    char *loop_name;     /* loop items: NAME */
    int iteration;       /* check items written suite/case/test:N */
    bool hidden;
    size_t section;      /* index into sections */
    unsigned line;
};

struct rubric {
    char *file;
    char *id;            /* "M1" */
    char *stage;         /* "phase1-single" */
    char *title;
    double weight;       /* from the weights file (0 when absent) */
    double timeout;      /* per test case run, seconds */
    double test_timeout; /* per test, seconds */
    double budget;       /* per milestone, seconds */
    struct rubric_binary *binaries;
    size_t nbinaries;
    char **sections;
    size_t nsections;
    struct rubric_item *items;
    size_t nitems;
    struct rubric_perf *perfs;
    size_t nperfs;
    struct rubric_loop *loops;
    size_t nloops;
};

/* Parse one rubric file.  Returns 0, or -1 with "file:line: reason" in err
 * (nothing allocated). */
int rubric_load(const char *path, struct rubric *r, char *err, size_t errlen);
void rubric_free(struct rubric *r);
/* Set r->weight from a weights file.  0, or -1 with err (bad line, or no
 * weight for r). */
int rubric_load_weight(const char *path, struct rubric *r, char *err,
                       size_t errlen);
/* The binary holding suite, or NULL. */
const char *rubric_binary_of(const struct rubric *r, const char *suite);
/* Sum of the items' points. */
double rubric_possible(const struct rubric *r);

#endif
