/*
 * phase3.h - phase3-optimized: the multithreaded NT-style memory manager of
 * phase2, built to scale.  Drivers and tests use it through phase3_ops (see
 * common/stage.h); cfg.options switches each optimization on or off.
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
