/*
 * stats.c - event counters kept per thread, each thread's block on its own
 * cache lines, summed on demand.
 *
 * A stats object holds STATS_MAX_THREADS blocks.  A thread claims a free
 * block the first time it counts into the object and remembers it in a
 * thread-specific value under the object's own pthread key, so one thread
 * may count into several stats objects, and a block is found again in
 * O(1).  When the thread exits, the key's destructor hands the block back
 * (its counts stay and keep adding to the sums); a later thread may claim
 * it and go on counting into it.  So the limit is STATS_MAX_THREADS threads
 * counting into one object at the same time.
 *
 * Invariants:
 *   1. A claimed block is written only by the thread that claimed it, so
 *      an add is a relaxed atomic load and store (no locked instruction);
 *      a concurrent stats_get is race-free and sees a recent value.  A
 *      block handed on at thread exit is ordered by the release store and
 *      acquire claim of its 'claimed' flag.
 *   2. A block's counters never decrease; the sum over all blocks is the
 *      count since stats_create.
 *   3. Each block starts on a 64-byte boundary and spans whole cache lines,
 *      so two threads never write the same line.
 *
 * Locking: none.  Claiming is a compare-exchange on the block's 'claimed'
 * flag.  stats_destroy must not race with threads still counting (they
 * must have finished, as with any object's destruction).
 */
#include "stats.h"
#include "panic.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_LINE 64

struct stats_block {
    _Alignas(STATS_LINE) _Atomic bool claimed; /* owned by a live thread */
    _Atomic uint64_t counters[STAT_COUNT];     /* written by the owner only */
};

_Static_assert(sizeof(struct stats_block) % STATS_LINE == 0,
               "a stats block must span whole cache lines");

struct stats {
    pthread_key_t key; /* this thread's block in this object, or NULL */
    struct stats_block blocks[STATS_MAX_THREADS];
};

/* Key destructor: the thread exits, its block becomes free to claim. */
static void stats_release_block(void *value)
{
    struct stats_block *b = value;
    atomic_store_explicit(&b->claimed, false, memory_order_release);
}

/* A stats object with every counter 0.  Returns NULL when out of memory
 * (or out of pthread keys). */
struct stats *stats_create(void)
{
    struct stats *s = aligned_alloc(STATS_LINE, sizeof *s);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    for (int i = 0; i < STATS_MAX_THREADS; i++) {
        atomic_init(&s->blocks[i].claimed, false);
        for (int c = 0; c < STAT_COUNT; c++)
            atomic_init(&s->blocks[i].counters[c], 0);
    }
    if (pthread_key_create(&s->key, stats_release_block) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* Free s.  No thread may count into s any more; threads still alive keep
 * a stale value under the deleted key, which is never read again. */
void stats_destroy(struct stats *s)
{
    if (s == NULL)
        return;
    pthread_key_delete(s->key);
    free(s);
}

/* Claim a free block for the calling thread and remember it under s->key.
 * Aborts when all STATS_MAX_THREADS blocks are claimed.  Kept out of line
 * so the counting fast path stays small. */
__attribute__((noinline))
static struct stats_block *stats_claim(struct stats *s)
{
    for (int i = 0; i < STATS_MAX_THREADS; i++) {
        struct stats_block *b = &s->blocks[i];
        bool expected = false;
        if (atomic_compare_exchange_strong_explicit(
                &b->claimed, &expected, true, memory_order_acquire,
                memory_order_relaxed)) {
            if (pthread_setspecific(s->key, b) != 0)
                panic("stats_add", "cannot record the thread's block");
            return b;
        }
    }
    panic("stats_add", "more than STATS_MAX_THREADS threads are counting");
    return NULL;
}

/* Add n to counter id in the calling thread's block (claimed on first
 * use).  Aborts on an id out of range. */
void stats_add(struct stats *s, enum stat_id id, uint64_t n)
{
    if ((unsigned)id >= STAT_COUNT)
        panic("stats_add", "counter id out of range");
    struct stats_block *b = pthread_getspecific(s->key);
    if (b == NULL)
        b = stats_claim(s);
    /* Single writer (invariant 1): a relaxed load and store suffice and
     * spare the locked read-modify-write. */
    uint64_t v = atomic_load_explicit(&b->counters[id], memory_order_relaxed);
    atomic_store_explicit(&b->counters[id], v + n, memory_order_relaxed);
}

/* Sum of counter id over every block.  Aborts on an id out of range. */
uint64_t stats_get(const struct stats *s, enum stat_id id)
{
    if ((unsigned)id >= STAT_COUNT)
        panic("stats_get", "counter id out of range");
    uint64_t sum = 0;
    for (int i = 0; i < STATS_MAX_THREADS; i++)
        sum += atomic_load_explicit(&s->blocks[i].counters[id],
                                    memory_order_relaxed);
    return sum;
}

/* out[c] = stats_get(s, c) for every counter, in one pass. */
void stats_sum(const struct stats *s, uint64_t *out)
{
    memset(out, 0, STAT_COUNT * sizeof *out);
    for (int i = 0; i < STATS_MAX_THREADS; i++)
        for (int c = 0; c < STAT_COUNT; c++)
            out[c] += atomic_load_explicit(&s->blocks[i].counters[c],
                                           memory_order_relaxed);
}

/* Short snake_case name of a counter; "?" outside the enum. */
const char *stats_name(enum stat_id id)
{
    static const char *const names[STAT_COUNT] = {
        [STAT_ACCESSES] = "accesses",
        [STAT_FAULT_ZERO] = "fault_zero",
        [STAT_FAULT_TRANSITION] = "fault_transition",
        [STAT_FAULT_DISK] = "fault_disk",
        [STAT_FAULT_UPGRADE] = "fault_upgrade",
        [STAT_FAULT_SPURIOUS] = "fault_spurious",
        [STAT_RESCUE_MODIFIED] = "rescue_modified",
        [STAT_RESCUE_STANDBY] = "rescue_standby",
        [STAT_REPURPOSE] = "repurpose",
        [STAT_TRIM] = "trim",
        [STAT_TRIM_CLEAN] = "trim_clean",
        [STAT_PAGE_READ] = "page_read",
        [STAT_PAGE_WRITE] = "page_write",
        [STAT_WRITE_CALLS] = "write_calls",
        [STAT_READ_AHEAD] = "read_ahead",
        [STAT_WAIT_FRAME] = "wait_frame",
    };
    return (unsigned)id < STAT_COUNT ? names[id] : "?";
}
