/*
 * slotmap.c - a lock-free bitmap of slots (see slotmap.h for the API).
 *
 * Allocation policy (next fit).  A rotating hint names the slot after the
 * last one handed out.  slotmap_claim takes the first free slot at or
 * after the hint, wrapping at the end; the scan looks at a 64-bit word at
 * a time (find-first-zero with __builtin_ctzll on the inverted word).
 * slotmap_claim_run takes the first free slot found the same way and
 * extends the run over the free slots that directly follow it, up to
 * 'want' and never past the last slot; it does not look elsewhere for a
 * longer run (a short run still makes one vectored write for the page
 * file, and a search would cost a full scan on a fragmented bitmap).
 * Frees do not move the hint.
 *
 * Invariants:
 *   1. For s < slots, bit s of the bitmap is set iff slot s is claimed.
 *      The padding bits past 'slots' in the last word are always set, so
 *      scans never hand them out.
 *   2. A bit goes from 0 to 1 only by a compare-and-swap that saw it 0,
 *      and from 1 to 0 only by slotmap_free's atomic and: so of two
 *      threads that found the same free slot, exactly one claims it.
 *   3. When no call is in progress, the in-use count equals the number of
 *      claimed slots (set bits below slots).
 *   4. hint < slots.
 *
 * Memory order.  A claim's compare-and-swap and a free's atomic and are
 * acq_rel: what a thread wrote before freeing a slot happens before what
 * the next claimer of that slot does with it (the page file's callers
 * rely on their own locks for the page's data, this is only a backstop).
 * Scans load words relaxed (a claim's compare-and-swap checks the word
 * again), the hint is a relaxed atomic (only a place to start looking),
 * and the count a per-thread counter (stats.h), whose frees are adds of
 * UINT64_MAX.
 *
 * Locking: none.  A claim that loses a race for the slot it found scans
 * again.  Why not a mutex: the page file frees a slot on every hard fault
 * and claims some on every write-back, so with two threads faulting a
 * mutex here was taken by both cores hundreds of thousands of times a
 * second, and a contended pthread mutex sleeps in the kernel.
 */
#include "slotmap.h"
#include "panic.h"
#include "stats.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SLOTMAP_WORD_BITS 64
#define SLOTMAP_IN_USE 0 /* the one counter of 'count' */

struct slotmap {
    /* Set by slotmap_create, read-only afterwards. */
    uint64_t slots;
    uint64_t nwords;
    struct stats *count;       /* SLOTMAP_IN_USE, per thread */
    /* The words are changed only by atomic read-modify-writes. */
    _Atomic uint64_t *bitmap;
    /* On a line of its own, so claims do not take the fields every call
     * reads away from other cores. */
    _Alignas(64) _Atomic uint64_t hint;
};

/* Make an empty bitmap for m->slots slots, padding bits set (invariant
 * 1).  Returns 0 or -ENOMEM. */
static int slotmap_bitmap_init(struct slotmap *m)
{
    m->nwords = (m->slots + SLOTMAP_WORD_BITS - 1) / SLOTMAP_WORD_BITS;
    m->bitmap = calloc(m->nwords, sizeof(m->bitmap[0]));
    if (m->bitmap == NULL)
        return -ENOMEM;
    unsigned used = (unsigned)(m->slots % SLOTMAP_WORD_BITS);
    if (used != 0)
        atomic_init(&m->bitmap[m->nwords - 1], ~0ull << used);
    return 0;
}

/* An empty map of n slots.  0 with *out, -EINVAL for n == 0 or too large
 * to number (the word count would overflow), or -ENOMEM; nothing is left
 * allocated on failure. */
int slotmap_create(uint64_t n, struct slotmap **out)
{
    if (n == 0 || n > SLOTMAP_NO_SLOT - SLOTMAP_WORD_BITS)
        return -EINVAL;
    struct slotmap *m = aligned_alloc(_Alignof(struct slotmap), sizeof *m);
    if (m == NULL)
        return -ENOMEM;
    memset(m, 0, sizeof *m);
    m->slots = n;
    if ((m->count = stats_create_set(1)) == NULL) {
        free(m);
        return -ENOMEM;
    }
    if (slotmap_bitmap_init(m) != 0) {
        stats_destroy(m->count);
        free(m);
        return -ENOMEM;
    }
    *out = m;
    return 0;
}

/* Free the bitmap, the counter and m. */
void slotmap_destroy(struct slotmap *m)
{
    if (m == NULL)
        return;
    stats_destroy(m->count);
    free(m->bitmap);
    free(m);
}

/* Word w of the bitmap as it is now (a relaxed load: the bitmap orders no
 * other data; a claim's compare-and-swap checks the word again). */
static uint64_t slotmap_word(const struct slotmap *m, uint64_t w)
{
    return atomic_load_explicit(&m->bitmap[w], memory_order_relaxed);
}

/* First free slot at or after 'from', wrapping; SLOTMAP_NO_SLOT when every
 * slot looked taken.  Looks at nwords + 1 words at most (the first one
 * again, unmasked, at the end).  With other threads claiming and freeing,
 * a slot it returns may be gone by the time it is claimed. */
static uint64_t slotmap_find_free(const struct slotmap *m, uint64_t from)
{
    uint64_t w = from / SLOTMAP_WORD_BITS;
    uint64_t mask = ~0ull << (from % SLOTMAP_WORD_BITS);
    for (uint64_t i = 0; i <= m->nwords; i++) {
        uint64_t free_bits = ~slotmap_word(m, w) & mask;
        if (free_bits != 0)
            return w * SLOTMAP_WORD_BITS +
                   (uint64_t)__builtin_ctzll(free_bits);
        mask = ~0ull;
        w = w + 1 == m->nwords ? 0 : w + 1;
    }
    return SLOTMAP_NO_SLOT;
}

/* Claim the free slots of one word that start at slot s, at most want:
 * one compare-and-swap, retried while the word changes and slot s is
 * still free.  Returns the slots claimed (0 when slot s is taken). */
static size_t slotmap_claim_in_word(struct slotmap *m, uint64_t s,
                                    size_t want)
{
    unsigned bit = (unsigned)(s % SLOTMAP_WORD_BITS);
    _Atomic uint64_t *word = &m->bitmap[s / SLOTMAP_WORD_BITS];
    uint64_t old = atomic_load_explicit(word, memory_order_relaxed);
    for (;;) {
        uint64_t taken = old >> bit;
        size_t avail = taken != 0 ? (size_t)__builtin_ctzll(taken)
                                  : SLOTMAP_WORD_BITS - bit;
        if (avail == 0)
            return 0;
        size_t n = avail < want ? avail : want;
        uint64_t mask = (n == SLOTMAP_WORD_BITS ? ~0ull : (1ull << n) - 1)
                        << bit;
        if (atomic_compare_exchange_weak_explicit(word, &old, old | mask,
                                                  memory_order_acq_rel,
                                                  memory_order_relaxed))
            return n;
    }
}

/* Claim up to want contiguous slots from 'first' on, word by word, until
 * the run meets a taken slot, the last slot, or want.  Returns the slots
 * claimed (0 when 'first' was taken meanwhile). */
static size_t slotmap_claim_from(struct slotmap *m, uint64_t first,
                                 size_t want)
{
    size_t got = 0;
    while (got < want && first + got < m->slots) {
        uint64_t s = first + got;
        size_t n = slotmap_claim_in_word(m, s, want - got);
        got += n;
        if (n == 0 || (s + n) % SLOTMAP_WORD_BITS != 0)
            break; /* the run ended inside this word */
    }
    return got;
}

/* Claim up to want contiguous slots by the next-fit policy.  Returns 0
 * with *first and *got, or -ENOSPC when no slot is free.  Lock-free. */
static int slotmap_claim_next_fit(struct slotmap *m, size_t want,
                                  uint64_t *first, size_t *got)
{
    for (;;) {
        uint64_t hint = atomic_load_explicit(&m->hint, memory_order_relaxed);
        uint64_t start = slotmap_find_free(m, hint);
        if (start == SLOTMAP_NO_SLOT)
            return -ENOSPC;
        size_t n = slotmap_claim_from(m, start, want);
        if (n == 0)
            continue; /* another thread took it first: look again */
        stats_add(m->count, SLOTMAP_IN_USE, n);
        atomic_store_explicit(&m->hint, start + n == m->slots ? 0 : start + n,
                              memory_order_relaxed);
        *first = start;
        *got = n;
        return 0;
    }
}

/* Claim one free slot.  0 with *slot, or -ENOSPC.  Lock-free. */
int slotmap_claim(struct slotmap *m, uint64_t *slot)
{
    size_t got;
    return slotmap_claim_next_fit(m, 1, slot, &got);
}

/* Claim up to want (>= 1, else -EINVAL) contiguous free slots.  0 with
 * *first and *got in 1..want, or -ENOSPC.  Lock-free. */
int slotmap_claim_run(struct slotmap *m, size_t want, uint64_t *first,
                      size_t *got)
{
    if (want == 0)
        return -EINVAL;
    return slotmap_claim_next_fit(m, want, first, got);
}

/* Abort (as func) when slot is beyond the capacity. */
static void slotmap_require_slot(const char *func, const struct slotmap *m,
                                 uint64_t slot)
{
    if (slot >= m->slots)
        panic(func, "slot beyond the capacity of the map");
}

/* Release a claimed slot: one atomic and on its word.  Aborts on a slot
 * out of range or not claimed (the and then changed nothing). */
void slotmap_free(struct slotmap *m, uint64_t slot)
{
    slotmap_require_slot("slotmap_free", m, slot);
    uint64_t bit = 1ull << (slot % SLOTMAP_WORD_BITS);
    uint64_t old = atomic_fetch_and_explicit(
        &m->bitmap[slot / SLOTMAP_WORD_BITS], ~bit, memory_order_acq_rel);
    if ((old & bit) == 0)
        panic("slotmap_free", "slot is not claimed");
    stats_add(m->count, SLOTMAP_IN_USE, UINT64_MAX); /* minus one */
}

/* True when slot (< capacity, else abort) is claimed. */
bool slotmap_in_use(const struct slotmap *m, uint64_t slot)
{
    slotmap_require_slot("slotmap_in_use", m, slot);
    return (slotmap_word(m, slot / SLOTMAP_WORD_BITS) >>
            (slot % SLOTMAP_WORD_BITS)) & 1;
}

/* Number of claimed slots (exact when no call is in progress: invariant
 * 3).  The blocks' sum wraps modulo 2^64, so the frees counted as adds of
 * UINT64_MAX subtract. */
uint64_t slotmap_count(const struct slotmap *m)
{
    return stats_get(m->count, SLOTMAP_IN_USE);
}

/* Number of slots. */
uint64_t slotmap_capacity(const struct slotmap *m)
{
    return m->slots;
}
