/*
 * stats.h - per-thread counters: the one way pagelab counts events that
 * any thread may count (the stage's faults and trims, the machine's maps
 * and faults, the page file's I/O and slots in use).
 *
 * A counter set holds n counters.  Every thread that counts into a set
 * gets a block of its own there, on cache lines no other thread writes, so
 * counting never bounces a shared line and needs no locked instruction; a
 * read sums the blocks.  The stage's set (stats_create) has the STAT_*
 * counters below; another module makes a set of its own size
 * (stats_create_set) and names the ids in its own enum.  The index of the
 * caller's block (stats_thread_index) is also a per-thread index that a
 * module may use for other per-thread copies (the page file's descriptors).
 *
 * Invariant: a thread only ever writes its own block (relaxed atomics, so a
 * concurrent sum is race-free and sees a recent value); the sum over the
 * blocks is exact once no thread is counting.
 */
#ifndef PAGELAB_STATS_H
#define PAGELAB_STATS_H

#include <stdint.h>

#define STATS_MAX_THREADS 128 /* threads counting into one set at once */
#define STATS_MAX_COUNTERS 64 /* counters one set may hold */

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

/* The stage's event counters: a set of STAT_COUNT counters, ids enum
 * stat_id.  Returns NULL when out of memory (or out of pthread keys). */
struct stats *stats_create(void);
/* A set of n counters (1..STATS_MAX_COUNTERS), ids 0..n-1 named by the
 * caller.  Returns NULL for n out of range or out of memory (or keys). */
struct stats *stats_create_set(unsigned n);
/* Free s (NULL: nothing).  No thread may count into s any more. */
void stats_destroy(struct stats *s);
/* Add n to counter id (< the set's size; aborts otherwise) in the calling
 * thread's block (a thread gets a block on its first call; aborts past
 * STATS_MAX_THREADS threads counting into s at once).  Adding UINT64_MAX
 * subtracts one: sums wrap modulo 2^64. */
void stats_add(struct stats *s, unsigned id, uint64_t n);
static inline void stats_inc(struct stats *s, unsigned id)
{
    stats_add(s, id, 1);
}
/* Sum of every thread's counter id (aborts on an id out of range). */
uint64_t stats_get(const struct stats *s, unsigned id);
/* All counters at once: out[0..n-1] for a set of n (STAT_COUNT for the
 * stage's). */
void stats_sum(const struct stats *s, uint64_t *out);
/* The index (0..STATS_MAX_THREADS-1) of the calling thread's block in s,
 * claimed on first use like stats_add.  The same for the thread's life;
 * no two live threads share one; a thread that starts after another exited
 * may get the exited one's. */
unsigned stats_thread_index(struct stats *s);
/* Short snake_case name of a stage counter, e.g. "fault_zero". */
const char *stats_name(enum stat_id id);

#endif
