/*
 * slotmap.h - a lock-free bitmap of N slots: claim one, claim a run of
 * consecutive ones, free, test, count.  The page file allocates its slots
 * with it; nothing in it knows about files or pages.
 *
 * Slots are numbered 0..N-1.  Claims follow next fit: a rotating hint
 * names the slot after the last one handed out, and a claim takes the
 * first free slot at or after it, wrapping, scanning a 64-bit word at a
 * time.  A run extends that first free slot over the free slots directly
 * after it (never past slot N-1).
 *
 * Invariants (slotmap.c has the full list):
 *   1. Slot s is in use iff it was claimed and not freed since: no slot is
 *      handed to two claimers at once, however many threads claim.
 *   2. slotmap_count is exact when no call is in progress.
 *
 * Errors: -ENOSPC when no slot is free, -EINVAL for a bad size; freeing a
 * slot that is not in use, or naming one past the end, is a caller bug and
 * aborts with "function: reason" (panic.h).
 *
 * Locking: none is taken, so a caller may hold any of its locks.  Claims
 * and frees are atomic operations on the bitmap's words; the count is a
 * per-thread counter (stats.h).
 */
#ifndef PAGELAB_SLOTMAP_H
#define PAGELAB_SLOTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLOTMAP_NO_SLOT UINT64_MAX

struct slotmap;

/* An empty map of n slots (1..SLOTMAP_NO_SLOT - 64).  Returns 0 with *out,
 * -EINVAL for n out of range, or -ENOMEM. */
int slotmap_create(uint64_t n, struct slotmap **out);
/* Free m (NULL: nothing).  No call on m may be in progress. */
void slotmap_destroy(struct slotmap *m);

/* Claim one free slot.  Returns 0 and *slot, or -ENOSPC.  Lock-free. */
int slotmap_claim(struct slotmap *m, uint64_t *slot);
/* Claim up to want (>= 1) consecutive free slots: the first free one by
 * next fit and the free ones right after it.  Returns 0 with *first and
 * *got (1..want), -ENOSPC when no slot is free, -EINVAL for want 0. */
int slotmap_claim_run(struct slotmap *m, size_t want, uint64_t *first,
                      size_t *got);
/* Release a claimed slot; aborts on a slot out of range or not claimed. */
void slotmap_free(struct slotmap *m, uint64_t slot);
/* True when slot (< capacity, else abort) is claimed. */
bool slotmap_in_use(const struct slotmap *m, uint64_t slot);
/* Slots claimed now (exact when no call is in progress). */
uint64_t slotmap_count(const struct slotmap *m);
/* N, the number of slots. */
uint64_t slotmap_capacity(const struct slotmap *m);

#endif
