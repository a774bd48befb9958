/*
 * stats.h - event counters, one cache-line-aligned block per thread so
 * counting never bounces a shared line; summed on demand.
 *
 * Invariant: a thread only ever writes its own block (relaxed atomics, so a
 * concurrent sum is race-free and sees a recent value).
 */
#ifndef PAGELAB_STATS_H
#define PAGELAB_STATS_H

#include <stdint.h>

#define STATS_MAX_THREADS 128

enum stat_id {
    STAT_ACCESSES,          /* workload reads + writes */
    STAT_FAULT_ZERO,        /* demand-zero faults */
    STAT_FAULT_TRANSITION,  /* soft faults: rescues */
    STAT_FAULT_DISK,        /* hard faults: page read from the page file */
    STAT_FAULT_UPGRADE,     /* write to a read-only valid page */
    STAT_FAULT_SPURIOUS,    /* nothing to do (already resolved) */
    STAT_RESCUE_MODIFIED,   /* transition fault found the modified list */
    STAT_RESCUE_STANDBY,    /* transition fault found the standby list */
    STAT_REPURPOSE,         /* standby frame taken for another page */
    STAT_TRIM,              /* pages trimmed (active -> modified/standby) */
    STAT_TRIM_CLEAN,        /* of which went straight to standby */
    STAT_PAGE_READ,         /* pages read from the page file */
    STAT_PAGE_WRITE,        /* pages written to the page file */
    STAT_WRITE_CALLS,       /* write I/O calls (a batch counts once) */
    STAT_READ_AHEAD,        /* pages read ahead (phase3) */
    STAT_WAIT_FRAME,        /* times a user thread waited for a frame */
    STAT_COUNT
};

struct stats;

/* Returns NULL when out of memory. */
struct stats *stats_create(void);
void stats_destroy(struct stats *s);
/* Add n to counter id in the calling thread's block (a thread gets a block
 * on its first call; aborts past STATS_MAX_THREADS distinct threads). */
void stats_add(struct stats *s, enum stat_id id, uint64_t n);
static inline void stats_inc(struct stats *s, enum stat_id id)
{
    stats_add(s, id, 1);
}
/* Sum of every thread's counter id. */
uint64_t stats_get(const struct stats *s, enum stat_id id);
/* All counters at once: out[STAT_COUNT]. */
void stats_sum(const struct stats *s, uint64_t *out);
/* Short snake_case name, e.g. "fault_zero". */
const char *stats_name(enum stat_id id);

#endif
