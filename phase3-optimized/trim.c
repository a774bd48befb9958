/*
 * trim.c - trimming: a clock over the PTE regions that samples accessed
 * bits into per-frame ages and takes old pages from their owners
 * (ACTIVE -> MODIFIED if dirty, STANDBY if clean: phase3_trim).
 *
 * The clock.  'trim_hand' names the next virtual page to look at; one
 * trim runs at a time (trim_lock), so the trimmer thread and faulting
 * threads trimming inline take turns.  For each VALID PTE the hand
 * passes: accessed -> clear the bit, age = 0; otherwise age + 1.  A page
 * whose age reaches the threshold is trimmed.  Without PHASE3_OPT_AGING
 * the threshold is 1 (the second-chance clock).  With it, the threshold
 * adapts: it rises while old pages are easy to find (so only the oldest
 * go) and falls when a lap finds too few (trim_clock).
 *
 * Batching (PHASE3_OPT_BATCH_TRIM).  Trimmed PTEs become TRANSITION while
 * their region locks are held; the regions a batch visits are locked in
 * increasing address order (the nestable region class) so one batch can
 * span region boundaries.  A region whose valid mask shows nothing ahead
 * of the hand is passed by without its lock (trim_nothing_to_visit).
 * The batch is unmapped with one machine_unmap_batch call, then the frames
 * leave the active list under one list lock (no lock at all when active
 * frames are kept on no list, PHASE3_OPT_UNLISTED_ACTIVE) and join the
 * modified / standby lists under one each.  Without the option each page
 * is unmapped and moved on its own.
 *
 * Invariants:
 *   1. PTE first, then unmap, then the frame joins modified/standby (the
 *      shootdown contract: nobody can write the frame once it is listed).
 *   2. A batch holds at most P3_TRIM_MAX_REGIONS region locks, all in
 *      increasing address order, and at most PAGEFILE_MAX_BATCH pages.
 *   3. A flagged ACTIVE frame is one a read took back from the writer
 *      (write.c); the clock leaves it alone until the write ends.
 *      An unflagged ACTIVE frame of a locked region is touched by nobody
 *      else (no other path takes frames off the active list, and nothing
 *      flags it), so its move needs only the list locks.
 *
 * Lock order: trim_lock -> regions (increasing) -> pfn -> list.
 */
#include "phase3_impl.h"
#include "panic.h"

#include <errno.h>
#include <string.h>

#ifdef SOLUTION

struct trim_batch {
    uint64_t vpns[PAGEFILE_MAX_BATCH];
    uint64_t frames[PAGEFILE_MAX_BATCH];
    bool dirty[PAGEFILE_MAX_BATCH];
    unsigned n;
    uint64_t regions[P3_TRIM_MAX_REGIONS];
    unsigned nregions;
};

/* Move the batch's frames from the active list to modified / standby: one
 * lock round trip per list (none for the active list when active frames
 * are kept on no list, PHASE3_OPT_UNLISTED_ACTIVE).  Returns the modified
 * list's length after.  Holds: the batch's regions. */
static uint64_t trim_relist(struct stage *s, struct pfn **ps, bool *dirty,
                            unsigned n)
{
    uint64_t modified = 0;
    struct pfn_db *db = &s->core.pfns;
    if (pfn_listed(db, PFN_ACTIVE)) {
        phase3_lock_acquire(&s->lists[PFN_ACTIVE].lock);
        for (unsigned i = 0; i < n; i++)
            pfn_unlink(db, ps[i]);
        phase3_lock_release(&s->lists[PFN_ACTIVE].lock);
    }
    for (int d = 1; d >= 0; d--) {
        enum pfn_state st = d ? PFN_MODIFIED : PFN_STANDBY;
        phase3_lock_acquire(&s->lists[st].lock);
        for (unsigned i = 0; i < n; i++)
            if (dirty[i] == (bool)d)
                pfn_link(db, ps[i], st);
        if (d)
            modified = pfn_count(db, st);
        phase3_lock_release(&s->lists[st].lock);
    }
    return modified;
}

/* Settle the batch's frames after the unmap; returns how many went to
 * standby, and in *modified the modified list's length.  Holds: the
 * batch's regions. */
static unsigned trim_settle(struct stage *s, struct trim_batch *b,
                            uint64_t *modified)
{
    struct pfn *ps[PAGEFILE_MAX_BATCH];
    bool dirty[PAGEFILE_MAX_BATCH];
    unsigned clean = 0;
    for (unsigned i = 0; i < b->n; i++) {
        struct pfn *p = pfn_get(&s->core.pfns, b->frames[i]);
        phase3_pfn_lock(p);
        if (p->flags != 0 || p->state != PFN_ACTIVE || p->vpn != b->vpns[i])
            panic("trim_settle", "trimmed frame is not an unflagged active "
                                 "frame of its page");
        dirty[i] = b->dirty[i] || p->slot == PAGEFILE_NO_SLOT;
        phase3_pfn_unlock(p);
        ps[i] = p;
        clean += !dirty[i];
    }
    *modified = trim_relist(s, ps, dirty, b->n);
    return clean;
}

/* Unmap and settle the batch's pages, count them, wake who needs them
 * (the writer once a write batch of pages is modified, unless threads
 * reclaim directly: then the trimming thread writes them itself).
 * Returns the pages trimmed.  Holds: the batch's regions (kept). */
static unsigned trim_finish(struct stage *s, struct trim_batch *b)
{
    unsigned n = b->n;
    if (n == 0)
        return 0;
    uint64_t vpns[PAGEFILE_MAX_BATCH];
    memcpy(vpns, b->vpns, n * sizeof vpns[0]);
    machine_unmap_batch(s->core.machine, vpns, n);
    uint64_t modified;
    unsigned clean = trim_settle(s, b, &modified);
    b->n = 0;
    stats_add(s->core.stats, STAT_TRIM, n);
    stats_add(s->core.stats, STAT_TRIM_CLEAN, clean);
    if (modified >= s->core.config.write_batch &&
        !phase3_opt(s, PHASE3_OPT_DIRECT_RECLAIM))
        phase3_wake_system(s, false, true);
    if (clean > 0)
        phase3_frames_available(s);
    return n;
}

/* trim_finish() the batch, then release its region locks.  Returns pages. */
static unsigned trim_flush(struct stage *s, struct trim_batch *b)
{
    unsigned n = trim_finish(s, b);
    while (b->nregions > 0)
        phase3_lock_release(&s->regions[b->regions[--b->nregions]].lock);
    return n;
}

/* One lap's parameters and progress. */
struct trim_lap {
    unsigned want;      /* pages still to trim */
    unsigned threshold; /* trim pages at least this old */
    bool count;         /* visits add to the ages */
    unsigned got;       /* pages trimmed so far */
    uint64_t seen;      /* VALID pages visited */
    /* Idle pages seen but too young, by age (capped): what a lower
     * threshold would yield. */
    unsigned young[P3_AGE_MAX_THRESHOLD + 1];
};

/* Age the VALID page behind cell (its region locked) and say whether it
 * is old enough to trim now.  lap->count says whether this visit adds to
 * the age (the first lap of a call) or only compares (later laps). */
static bool trim_age_page(struct stage *s, pte_cell_t *cell, pte_t pte,
                          struct trim_lap *lap)
{
    struct pfn *p = pfn_get(&s->core.pfns, pte_frame(pte));
    lap->seen++;
    if (pte_accessed(pte)) {
        pte_t expect = pte;
        pte_cas(cell, &expect, pte_with_accessed(pte, false));
        phase3_pfn_set_age(p, 0);
        return false;
    }
    unsigned age = phase3_pfn_age(p);
    if (lap->count && age < UINT8_MAX)
        phase3_pfn_set_age(p, (uint8_t)++age);
    if (age >= lap->threshold)
        return true;
    lap->young[age < P3_AGE_MAX_THRESHOLD ? age : P3_AGE_MAX_THRESHOLD]++;
    return false;
}

/* Is frame still being written (a read took it back from the writer)?
 * Such a page cannot be trimmed until the write ends.  Holds: the
 * region lock of its page (so the flag can only clear meanwhile). */
static bool trim_in_flight(struct stage *s, uint64_t frame)
{
    struct pfn *p = pfn_get(&s->core.pfns, frame);
    phase3_pfn_lock(p);
    bool writing = (p->flags & PFN_FLAG_WRITING) != 0;
    phase3_pfn_unlock(p);
    return writing;
}

/* The first page past region r (the range's end for the last region). */
static uint64_t trim_region_end(const struct stage *s, uint64_t r)
{
    uint64_t end = (r + 1) * P3_REGION_PAGES;
    return end < s->core.config.virtual_pages ? end
                                              : s->core.config.virtual_pages;
}

/* Put the clock hand at vpn, wrapping to page 0 at the range's end.
 * Holds: trim_lock. */
static void trim_set_hand(struct stage *s, uint64_t vpn)
{
    s->trim_hand = vpn == s->core.config.virtual_pages ? 0 : vpn;
}

/* Sweep locked region r from the hand to the region's end into the batch
 * while the lap wants pages, visiting only VALID PTEs (the region's mask,
 * a 64-bit word: empty stretches cost one shift); without batching each
 * page is finished at once.  Returns the pages visited.  Holds: region r
 * (kept), trim_lock. */
static uint64_t trim_sweep(struct stage *s, uint64_t r, struct trim_batch *b,
                           struct trim_lap *lap)
{
    bool batching = phase3_opt(s, PHASE3_OPT_BATCH_TRIM);
    uint64_t start = s->trim_hand, vpn = start, end = trim_region_end(s, r);
    for (; vpn < end && lap->got + b->n < lap->want &&
           b->n < PAGEFILE_MAX_BATCH; vpn++) {
        uint64_t bits = atomic_load_explicit(&s->regions[r].valid,
                                             memory_order_relaxed) >>
                        (vpn % P3_REGION_PAGES);
        if (bits == 0) {
            vpn = end;
            break;
        }
        vpn += (uint64_t)__builtin_ctzll(bits);
        pte_cell_t *cell = &s->core.ptes[vpn];
        pte_t pte = pte_load(cell);
        if (!trim_age_page(s, cell, pte, lap) ||
            trim_in_flight(s, pte_frame(pte)))
            continue;
        pte_store(cell, pte_make_transition(pte_frame(pte)));
        phase3_set_valid(s, vpn, false);
        b->vpns[b->n] = vpn;
        b->frames[b->n] = pte_frame(pte);
        b->dirty[b->n++] = pte_dirty(pte);
        if (!batching)
            lap->got += trim_finish(s, b);
    }
    trim_set_hand(s, vpn);
    return vpn - start;
}

/* Does region r hold no VALID page from the hand to its end?  A peek
 * without the region lock: a page made VALID just after it is passed by
 * this lap, as if the hand had gone by a moment earlier.  Reading the
 * mask leaves the line shared; taking the lock would take the line away
 * from the core that faults in the region next.  Holds: trim_lock. */
static bool trim_nothing_to_visit(struct stage *s, uint64_t r)
{
    uint64_t mask = atomic_load_explicit(&s->regions[r].valid,
                                         memory_order_relaxed);
    return (mask >> (s->trim_hand % P3_REGION_PAGES)) == 0;
}

/* Move the hand past region r without visiting it; returns the pages
 * passed.  Holds: trim_lock. */
static uint64_t trim_pass_by(struct stage *s, uint64_t r)
{
    uint64_t start = s->trim_hand, end = trim_region_end(s, r);
    trim_set_hand(s, end);
    return end - start;
}

/* At most one lap of the clock from the hand.  A batch keeps its regions
 * locked in increasing address order (invariant 2), so it is flushed
 * when the hand wraps to address 0 or holds P3_TRIM_MAX_REGIONS.  Holds:
 * trim_lock. */
static void trim_run_lap(struct stage *s, struct trim_lap *lap)
{
    struct trim_batch b = {.n = 0, .nregions = 0};
    bool batching = phase3_opt(s, PHASE3_OPT_BATCH_TRIM);
    uint64_t visited = 0;
    while (lap->got + b.n < lap->want &&
           visited < s->core.config.virtual_pages) {
        uint64_t r = s->trim_hand / P3_REGION_PAGES;
        if (trim_nothing_to_visit(s, r)) {
            visited += trim_pass_by(s, r);
            continue;
        }
        bool ascending = b.nregions > 0 && b.regions[b.nregions - 1] < r;
        if (b.nregions == P3_TRIM_MAX_REGIONS ||
            (b.nregions > 0 && !ascending))
            lap->got += trim_flush(s, &b);
        phase3_lock_acquire(&s->regions[r].lock);
        b.regions[b.nregions++] = r;
        visited += trim_sweep(s, r, &b, lap);
        if (!batching || b.n == PAGEFILE_MAX_BATCH)
            lap->got += trim_flush(s, &b);
    }
    lap->got += trim_flush(s, &b);
}

/* The highest threshold below lap->threshold at which the pages the lap
 * saw would fill the rest of the quota (1 when none would). */
static unsigned trim_lower_threshold(const struct trim_lap *lap)
{
    unsigned need = lap->want - lap->got, have = 0;
    for (unsigned t = lap->threshold - 1; t > 1; t--) {
        have += lap->young[t];
        if (have >= need)
            return t;
    }
    return 1;
}

/* The clock.  A lap at the aging threshold ages the pages it visits and
 * trims the old enough ones.  If that fell short, one more lap (no ageing)
 * at the threshold the first lap's age counts say will fill the quota, so
 * the oldest pages go first; if still short, the second-chance lap
 * (threshold 1, ageing).  The threshold in force rises when the first lap
 * filled the quota within a quarter of memory's pages (old pages are
 * plentiful) and drops to the one that worked when it fell short.
 * Without aging the
 * threshold is 1: the first lap is the clock's, the last its second
 * chance.  Returns pages trimmed.  Holds: trim_lock. */
static unsigned trim_clock(struct stage *s, unsigned max_pages)
{
    bool aging = phase3_opt(s, PHASE3_OPT_AGING);
    unsigned th = aging ? atomic_load(&s->age_threshold) : 1;
    struct trim_lap lap = {.want = max_pages, .threshold = th, .count = true};
    trim_run_lap(s, &lap);
    if (aging && lap.got == max_pages && th < P3_AGE_MAX_THRESHOLD &&
        lap.seen * 4 < s->core.config.physical_frames)
        atomic_store(&s->age_threshold, th + 1);
    if (aging && lap.got < max_pages && th > 1) {
        lap.threshold = trim_lower_threshold(&lap);
        lap.count = false;
        trim_run_lap(s, &lap);
        atomic_store(&s->age_threshold, lap.threshold);
    }
    if (lap.got < max_pages) {
        lap.threshold = 1;
        lap.count = true;
        trim_run_lap(s, &lap);
    }
    return lap.got;
}

/* Trim with trim_lock already held (direct reclaim takes it by trylock).
 * Returns pages trimmed. */
unsigned phase3_trim_locked(struct stage *s, unsigned max_pages)
{
    return max_pages == 0 ? 0 : trim_clock(s, max_pages);
}

/* stage_ops.trim: move up to max_pages old ACTIVE pages to modified /
 * standby.  Returns the pages trimmed (0 when none could be).  Holds
 * nothing on entry or exit (takes trim_lock: one trim at a time). */
int phase3_trim(struct stage *s, unsigned max_pages)
{
    if (max_pages == 0)
        return 0;
    lock_acquire(&s->trim_lock);
    unsigned got = phase3_trim_locked(s, max_pages);
    lock_release(&s->trim_lock);
    return (int)got;
}

#else /* !SOLUTION: the starter students begin from */

/* Starter: trim with trim_lock held; returns pages trimmed. */
unsigned phase3_trim_locked(struct stage *s, unsigned max_pages)
{
    (void)s;
    (void)max_pages;
    return 0; /* TODO: the clock (see the design comment) */
}

/* Starter: stage_ops.trim. */
int phase3_trim(struct stage *s, unsigned max_pages)
{
    (void)s;
    (void)max_pages;
    return -ENOSYS; /* TODO */
}

#endif /* SOLUTION */
