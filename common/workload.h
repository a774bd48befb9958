/*
 * workload.h - what user threads do: access patterns with stamp checks.
 *
 * Patterns (over the virtual pages of a machine):
 *   UNIFORM  every access picks a page uniformly at random;
 *   WALK     walk forward word by word; at each page boundary jump to a
 *            random page with probability jump_percent (the original
 *            projects' pattern);
 *   HOTCOLD  hot_percent of the pages take hot_access_percent of accesses;
 *   PHASES   a working set of phase_pages_percent of the pages, which moves
 *            to a new random place every phase_length accesses.
 *
 * Stamps.  Page p is written only by thread p % nthreads (its owner), and
 * read by anyone.  A write stores (page address, version) in the page's
 * first two words, then publishes the version.  Every read checks the
 * stamp: a page never written reads (0, 0); otherwise the address matches,
 * and the version is no older than the one published before the read and no
 * newer than one past the one published after it.  The owner checks its
 * own pages exactly.  A lost write therefore always shows up.  A mismatch is
 * reported with address, expected and found.
 *
 * Each thread has its own seeded PRNG (xoshiro256** seeded from seed and
 * the thread index), so a run is reproducible.
 *
 * Shares.  By default each thread makes exactly 'accesses' accesses, so
 * the run lasts as long as its slowest thread, and the same seed gives the
 * same run.  With pooled_shares the threads draw the same total
 * (nthreads * accesses) from one pool, WORKLOAD_CHUNK accesses at a time:
 * a thread whose core runs faster (or is less loaded) makes more of them,
 * and the run ends when the pool is empty.  That is how a throughput
 * benchmark keeps every thread busy to the end; each thread's accesses
 * still come from its own stream, only how many it makes varies.
 */
#ifndef PAGELAB_WORKLOAD_H
#define PAGELAB_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "machine.h"
#include "stats.h"

enum workload_pattern {
    WORKLOAD_UNIFORM,
    WORKLOAD_WALK,
    WORKLOAD_HOTCOLD,
    WORKLOAD_PHASES,
    WORKLOAD_PATTERN_COUNT
};

struct workload_config {
    enum workload_pattern pattern;
    uint64_t accesses;             /* per thread (pooled: on average) */
    bool pooled_shares;            /* draw from one pool (see Shares) */
    unsigned write_percent;        /* of accesses to the thread's own pages */
    unsigned jump_percent;         /* WALK */
    unsigned hot_percent;          /* HOTCOLD: share of pages that are hot */
    unsigned hot_access_percent;   /* HOTCOLD: share of accesses to them */
    uint64_t phase_length;         /* PHASES: accesses per phase */
    unsigned phase_pages_percent;  /* PHASES: working-set size */
    uint64_t seed;
};

struct workload_result {
    uint64_t reads;
    uint64_t writes;
    uint64_t stamp_errors;   /* stamps that did not check out */
    uint64_t access_errors;  /* accessor returned an error */
    char first_error[256];   /* first problem, in words; "" when none */
};

struct workload_run; /* shared state of one run (published versions) */

#define WORKLOAD_CHUNK 1024 /* accesses a thread draws from a pooled share */

/* Reasonable defaults: uniform, 100000 accesses (fixed shares), 50% writes,
 * jump 10%, hot/cold 10/90, phases of 20000 accesses over 10% of the
 * pages. */
void workload_defaults(struct workload_config *cfg);
const char *workload_pattern_name(enum workload_pattern p);
/* Returns 0 or -EINVAL. */
int workload_pattern_parse(const char *name, enum workload_pattern *out);

/* Shared state for nthreads threads over m's pages; NULL with errno
 * EINVAL for a bad configuration, ENOMEM on no memory. */
struct workload_run *workload_run_create(const struct workload_config *cfg,
                                         struct machine *m,
                                         unsigned nthreads);
void workload_run_destroy(struct workload_run *run);
/* Run thread 'index' of the run in the calling thread (which it attaches
 * to the machine for the duration).  Counts STAT_ACCESSES into stats when
 * stats != NULL.  Returns 0 when every stamp checked out, -1 otherwise
 * (details in *res). */
int workload_thread_run(struct workload_run *run, unsigned index,
                        struct stats *stats, struct workload_result *res);
/* Add b's counts into a (keeping a's first error, else b's). */
void workload_result_merge(struct workload_result *a,
                           const struct workload_result *b);

#endif
