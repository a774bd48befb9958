/*
 * stats.c - per-thread counters: each thread's block of a set on cache
 * lines of its own, summed on demand (see stats.h).
 *
 * A set holds STATS_MAX_THREADS blocks of n counters.  A thread claims a
 * free block the first time it counts into the set and remembers it in a
 * thread-specific value under the set's own pthread key, so one thread
 * may count into several sets, and a block is found again in O(1).  When
 * the thread exits, the key's destructor hands the block back (its counts
 * stay and keep adding to the sums); a later thread may claim it and go on
 * counting into it.  So the limit is STATS_MAX_THREADS threads counting
 * into one set at the same time.  A block's position in the set is the
 * thread's index there (stats_thread_index).
 *
 * Why a block per thread and not shards picked by a thread hash: a shard
 * two threads may share needs a locked add (an atomic read-modify-write)
 * for every count; a block only its owner writes needs a plain load and
 * store.  stats_add runs several times on every fault.
 *
 * Invariants:
 *   1. A claimed block is written only by the thread that claimed it, so
 *      an add is a relaxed atomic load and store (no locked instruction);
 *      a concurrent stats_get is race-free and sees a recent value.  A
 *      block handed on at thread exit is ordered by the release store and
 *      acquire claim of its 'claimed' flag.
 *   2. The sum of a counter over all blocks, modulo 2^64, is what was
 *      added to it since the set was created (adds of UINT64_MAX
 *      subtract); it is exact when no thread is counting.
 *   3. Each block starts on a 64-byte boundary and spans whole cache lines,
 *      so two threads never write the same line.
 *   4. Live threads hold distinct blocks, so stats_thread_index never
 *      gives two live threads the same index.
 *   5. Blocks at or past 'used' were never claimed and hold zeros, so a
 *      sum reads only blocks 0..used-1.  Claims take the lowest free
 *      block, so 'used' is the most threads that ever counted into the
 *      set at once: a sum reads a few lines, not STATS_MAX_THREADS (the
 *      page file's in-use count is read on every write-back).
 *
 *   6. A thread's cache entry for a set (stats_cache) names the set by its
 *      id, which no other set ever gets, so an entry of a destroyed set is
 *      never matched again; the key's destructor empties the exiting
 *      thread's cache before its block is handed on.
 *
 * Why a cache in front of the key: the machine, the page file and the slot
 * map each count a few times per fault, and pthread_getspecific plus the
 * call cost more than the count itself.  A thread-local entry per set
 * (indexed by the set's id modulo STATS_CACHE_ENTRIES) is one load and one
 * compare; the key remains the record that survives a collision.
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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_LINE 64
#define STATS_CACHE_ENTRIES 8 /* sets a thread finds without its key */

/* One thread's block; the set's blocks are 'stride' bytes apart. */
struct stats_block {
    _Atomic bool claimed;       /* owned by a live thread */
    unsigned index;             /* place in the set, set by create */
    _Atomic uint64_t counter[]; /* the set's n, written by the owner only */
};

/* The set's header fills its first cache line; the blocks follow. */
struct stats {
    /* Set by stats_create_set, read-only afterwards. */
    pthread_key_t key;    /* this thread's block in this set, or NULL */
    uint64_t id;          /* unique to this set, never reused (inv. 6) */
    unsigned ncounters;
    size_t stride;        /* bytes from a block to the next: whole lines */
    unsigned char *blocks; /* STATS_MAX_THREADS blocks after the header */

    /* Raised (never lowered) by stats_claim: 1 + the highest block index
     * ever claimed (invariant 5). */
    _Atomic unsigned used;
};

_Static_assert(sizeof(struct stats) <= STATS_LINE,
               "the header fits the set's first line");

/* A thread's remembered (set, block) pairs, indexed by set id modulo
 * STATS_CACHE_ENTRIES (invariant 6).  Id 0 is never a set's: empty. */
struct stats_cache_entry {
    uint64_t set_id;
    struct stats_block *block;
};

static _Thread_local struct stats_cache_entry
    stats_cache[STATS_CACHE_ENTRIES];

/* Ids handed to sets: 1, 2, 3, ... (never 0, never twice). */
static _Atomic uint64_t stats_last_id;

/* Block i of s. */
static struct stats_block *stats_block(const struct stats *s, unsigned i)
{
    return (struct stats_block *)(s->blocks + (size_t)i * s->stride);
}

/* Key destructor: the thread exits, its block becomes free to claim. */
static void stats_release_block(void *value)
{
    struct stats_block *b = value;
    memset(stats_cache, 0, sizeof stats_cache); /* invariant 6 */
    atomic_store_explicit(&b->claimed, false, memory_order_release);
}

/* A set of n counters, every counter 0.  Returns NULL for n outside
 * 1..STATS_MAX_COUNTERS, or when out of memory (or pthread keys). */
struct stats *stats_create_set(unsigned n)
{
    if (n == 0 || n > STATS_MAX_COUNTERS)
        return NULL;
    size_t block = sizeof(struct stats_block) + n * sizeof(uint64_t);
    size_t stride = (block + STATS_LINE - 1) / STATS_LINE * STATS_LINE;
    size_t size = STATS_LINE + STATS_MAX_THREADS * stride;
    struct stats *s = aligned_alloc(STATS_LINE, size);
    if (s == NULL)
        return NULL;
    memset(s, 0, size);
    s->ncounters = n;
    s->id = atomic_fetch_add_explicit(&stats_last_id, 1,
                                      memory_order_relaxed) + 1;
    s->stride = stride;
    s->blocks = (unsigned char *)s + STATS_LINE;
    atomic_init(&s->used, 0);
    for (unsigned i = 0; i < STATS_MAX_THREADS; i++) {
        struct stats_block *b = stats_block(s, i);
        atomic_init(&b->claimed, false);
        b->index = i;
        for (unsigned c = 0; c < n; c++)
            atomic_init(&b->counter[c], 0);
    }
    if (pthread_key_create(&s->key, stats_release_block) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* The stage's set: STAT_COUNT counters.  NULL when out of memory/keys. */
struct stats *stats_create(void)
{
    return stats_create_set(STAT_COUNT);
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

/* Raise s->used to at least n (invariant 5).  Release: a sum that reads
 * the new value also sees the block's claim. */
static void stats_raise_used(struct stats *s, unsigned n)
{
    unsigned u = atomic_load_explicit(&s->used, memory_order_relaxed);
    while (u < n && !atomic_compare_exchange_weak_explicit(
                        &s->used, &u, n, memory_order_release,
                        memory_order_relaxed))
        ;
}

/* Blocks a sum must read (invariant 5). */
static unsigned stats_used(const struct stats *s)
{
    return atomic_load_explicit(&s->used, memory_order_acquire);
}

/* Claim a free block for the calling thread and remember it under s->key.
 * Aborts (as func) when all STATS_MAX_THREADS blocks are claimed.  Kept
 * out of line so the counting fast path stays small. */
__attribute__((noinline))
static struct stats_block *stats_claim(struct stats *s, const char *func)
{
    for (unsigned i = 0; i < STATS_MAX_THREADS; i++) {
        struct stats_block *b = stats_block(s, i);
        bool expected = false;
        if (atomic_compare_exchange_strong_explicit(
                &b->claimed, &expected, true, memory_order_acquire,
                memory_order_relaxed)) {
            if (pthread_setspecific(s->key, b) != 0)
                panic(func, "cannot record the thread's block");
            stats_raise_used(s, i + 1);
            return b;
        }
    }
    panic(func, "more than STATS_MAX_THREADS threads are counting");
}

/* The calling thread's block in s from its key, claimed (as func) on
 * first use; remembered in the thread's cache. */
static struct stats_block *stats_lookup(struct stats *s, const char *func)
{
    struct stats_block *b = pthread_getspecific(s->key);
    if (b == NULL)
        b = stats_claim(s, func);
    stats_cache[s->id % STATS_CACHE_ENTRIES] =
        (struct stats_cache_entry){.set_id = s->id, .block = b};
    return b;
}

/* The calling thread's cache entry where s would be remembered; it holds
 * s's block when its set_id is s->id. */
static inline const struct stats_cache_entry *
stats_entry(const struct stats *s)
{
    return &stats_cache[s->id % STATS_CACHE_ENTRIES];
}

/* The calling thread's block in s, claimed (as func) on first use. */
static inline struct stats_block *stats_mine(struct stats *s,
                                             const char *func)
{
    const struct stats_cache_entry *e = stats_entry(s);
    return e->set_id == s->id ? e->block : stats_lookup(s, func);
}

/* Abort (as func) unless id names a counter of s. */
static inline void stats_require_id(const struct stats *s, const char *func,
                                    unsigned id)
{
    if (id >= s->ncounters)
        panic(func, "counter id out of range");
}

/* Add n to counter id of block b.  Single writer (invariant 1): a relaxed
 * load and store suffice and spare the locked read-modify-write. */
static inline void stats_bump(struct stats_block *b, unsigned id, uint64_t n)
{
    uint64_t v = atomic_load_explicit(&b->counter[id], memory_order_relaxed);
    atomic_store_explicit(&b->counter[id], v + n, memory_order_relaxed);
}

/* stats_add when the cache does not answer or id is bad: check id, find or
 * claim the block, count.  Out of line, so that the fast path saves no
 * registers. */
__attribute__((noinline))
static void stats_add_slow(struct stats *s, unsigned id, uint64_t n)
{
    stats_require_id(s, "stats_add", id);
    stats_bump(stats_lookup(s, "stats_add"), id, n);
}

/* Add n to counter id in the calling thread's block (claimed on first
 * use).  Aborts on an id out of range.  Runs several times per fault: the
 * usual case is a cache hit with a good id, a dozen instructions. */
void stats_add(struct stats *s, unsigned id, uint64_t n)
{
    const struct stats_cache_entry *e = stats_entry(s);
    if (e->set_id == s->id && id < s->ncounters)
        stats_bump(e->block, id, n);
    else
        stats_add_slow(s, id, n);
}

/* Sum of counter id over the blocks ever claimed.  Aborts on an id out
 * of range. */
uint64_t stats_get(const struct stats *s, unsigned id)
{
    stats_require_id(s, "stats_get", id);
    uint64_t sum = 0;
    for (unsigned i = 0, n = stats_used(s); i < n; i++)
        sum += atomic_load_explicit(&stats_block(s, i)->counter[id],
                                    memory_order_relaxed);
    return sum;
}

/* out[c] = stats_get(s, c) for every counter of s, in one pass. */
void stats_sum(const struct stats *s, uint64_t *out)
{
    memset(out, 0, s->ncounters * sizeof *out);
    for (unsigned i = 0, n = stats_used(s); i < n; i++) {
        const struct stats_block *b = stats_block(s, i);
        for (unsigned c = 0; c < s->ncounters; c++)
            out[c] += atomic_load_explicit(&b->counter[c],
                                           memory_order_relaxed);
    }
}

/* The calling thread's block index in s (invariant 4), claimed on first
 * use; aborts past STATS_MAX_THREADS threads. */
unsigned stats_thread_index(struct stats *s)
{
    return stats_mine(s, "stats_thread_index")->index;
}

/* Short snake_case name of a stage counter; "?" outside the enum. */
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
