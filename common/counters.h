/*
 * counters.h - sharded statistics counters for objects that any thread
 * may count into (the machine's maps and faults, the page file's I/O).
 *
 * A plain shared counter costs a locked add on a cache line that every
 * core writes: at hundreds of thousands of events a second the line
 * bounces between the cores on every event.  Here each counter set has
 * COUNTERS_SHARDS copies, each on its own cache line; a thread always
 * counts into the same shard (threads take shards round robin, so up to
 * COUNTERS_SHARDS threads never share one), and a read sums the shards.
 *
 * Invariants:
 *   1. The sum of a counter over the shards is the number counted since
 *      counters_init; counts are never lost (adds are atomic, in case two
 *      threads share a shard).
 *   2. Each shard starts on a cache-line boundary and spans whole lines.
 *
 * Locking: none; adds and reads are relaxed atomics (statistics, not
 * synchronization).
 */
#ifndef PAGELAB_COUNTERS_H
#define PAGELAB_COUNTERS_H

#include <stdatomic.h>
#include <stdint.h>

#define COUNTERS_MAX 8     /* counters one set holds (one line a shard) */
#define COUNTERS_SHARDS 16 /* copies of each counter */

struct counters_shard {
    _Alignas(64) _Atomic uint64_t value[COUNTERS_MAX];
};

struct counters {
    struct counters_shard shard[COUNTERS_SHARDS];
};

/* Set every counter of c to zero (before any thread counts). */
void counters_init(struct counters *c);
/* Add n to counter id (< COUNTERS_MAX; aborts otherwise) in the calling
 * thread's shard. */
void counters_add(struct counters *c, unsigned id, uint64_t n);
/* The sum of counter id over the shards (a recent value while others
 * count). */
uint64_t counters_get(const struct counters *c, unsigned id);
/* The calling thread's shard index (0..COUNTERS_SHARDS-1), taken on first
 * use and the same for the thread's whole life.  Other modules use it to
 * pick their own per-thread copies (the page file's descriptors). */
unsigned counters_shard_of_caller(void);

#endif
