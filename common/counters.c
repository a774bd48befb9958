/*
 * counters.c - sharded statistics counters (see counters.h for the design
 * and invariants).
 *
 * A thread's shard is chosen once, the first time it counts into any set,
 * from a process-wide round robin, and kept in a thread-local variable:
 * the same index serves every counter set.
 */
#include "counters.h"

#include <stdio.h>
#include <stdlib.h>

_Static_assert(sizeof(struct counters_shard) % 64 == 0,
               "a shard must span whole cache lines");

static _Atomic unsigned counters_next_shard;
static _Thread_local int counters_my_shard = -1;

/* The calling thread's shard index, taken on first use. */
unsigned counters_shard_of_caller(void)
{
    if (counters_my_shard < 0)
        counters_my_shard = (int)(atomic_fetch_add(&counters_next_shard, 1) %
                                  COUNTERS_SHARDS);
    return (unsigned)counters_my_shard;
}

void counters_init(struct counters *c)
{
    for (unsigned s = 0; s < COUNTERS_SHARDS; s++)
        for (unsigned i = 0; i < COUNTERS_MAX; i++)
            atomic_init(&c->shard[s].value[i], 0);
}

/* Abort (as func) unless id names a counter of a set. */
static void counters_require_id(const char *func, unsigned id)
{
    if (id >= COUNTERS_MAX) {
        fprintf(stderr, "%s: counter id out of range\n", func);
        abort();
    }
}

void counters_add(struct counters *c, unsigned id, uint64_t n)
{
    counters_require_id("counters_add", id);
    struct counters_shard *mine = &c->shard[counters_shard_of_caller()];
    atomic_fetch_add_explicit(&mine->value[id], n, memory_order_relaxed);
}

uint64_t counters_get(const struct counters *c, unsigned id)
{
    counters_require_id("counters_get", id);
    uint64_t sum = 0;
    for (unsigned s = 0; s < COUNTERS_SHARDS; s++)
        sum += atomic_load_explicit(&c->shard[s].value[id],
                                    memory_order_relaxed);
    return sum;
}
