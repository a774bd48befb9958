/*
 * phase3.h - phase3-optimized: the multithreaded NT-style memory manager of
 * phase2, built to scale.  Drivers and tests use it through phase3_ops (see
 * common/stage.h); cfg.options (enum phase3_option) switches each
 * optimization on or off.
 *
 * The few functions below let tests and benches look inside: they are not
 * part of the stage interface and are safe only while the stage is
 * quiescent unless noted.
 */
#ifndef PAGELAB_PHASE3_H
#define PAGELAB_PHASE3_H

#include <stdint.h>

#include "stage.h"

extern const struct stage_ops phase3_ops;

/* phase3's optimizations, each switchable at run time: the bits of
 * cfg.options (struct stage_config).  create refuses any other bit. */
enum phase3_option {
    PHASE3_OPT_BATCH_TRIM = 1u << 0,
    PHASE3_OPT_BATCH_WRITE = 1u << 1,
    PHASE3_OPT_FRAME_CACHE = 1u << 2,
    PHASE3_OPT_SPIN_LOCKS = 1u << 3,
    PHASE3_OPT_LOCKFREE_FAST = 1u << 4,
    PHASE3_OPT_AGING = 1u << 5,
    PHASE3_OPT_READ_AHEAD = 1u << 6,
    PHASE3_OPT_MULTI_WRITER = 1u << 7,
    PHASE3_OPT_DIRECT_RECLAIM = 1u << 8,
    PHASE3_OPT_UNLISTED_ACTIVE = 1u << 9,
    PHASE3_OPT_ALL = 0x3ffu,
};

/* Frames in the calling thread's private cache (0 when it has none). */
unsigned phase3_cached_frames(struct stage *s);
/* Give every thread's cached frames back to the free and standby lists. */
void phase3_cache_drain(struct stage *s);
/* Fill the calling thread's cache from the free and standby lists (as a
 * fault would).  Returns the frames it now holds. */
unsigned phase3_cache_fill(struct stage *s);
/* The aging trim threshold in force (1 = plain clock). */
unsigned phase3_age_threshold(struct stage *s);
/* Number of writer threads running (0 while stopped). */
unsigned phase3_writer_threads(struct stage *s);
/* Times a user thread has woken a system thread (the trimmer or a
 * writer) since create; safe at any time. */
uint64_t phase3_system_wakeups(struct stage *s);
/* TEST ONLY: call fn(arg) each time a write-back pass has taken its
 * batch off the modified list (the frames WRITING, no lock held), before
 * it writes them; fn may fault pages from there.  NULL removes it.  Set
 * it while the stage is quiescent. */
void phase3_set_write_hook(struct stage *s, void (*fn)(void *arg),
                           void *arg);

#endif
