/*
 * phase3_trim.c - trimming: a clock over the PTE regions that samples
 * accessed bits into per-frame ages and takes old pages from their owners
 * (ACTIVE -> MODIFIED if dirty, STANDBY if clean).
 *
 * The clock.  'hand' names the next region; each trim call takes regions
 * from it with an atomic increment, so a trimmer thread and faulting
 * threads trimming inline never sweep the same region at once.  For each
 * VALID PTE of a region: accessed -> clear the bit, age = 0; otherwise
 * age + 1.  A page whose age reaches the threshold is trimmed.  Without
 * STAGE_OPT_AGING the threshold is 1 (the second-chance clock).  With it,
 * the threshold adapts: it rises while pages are easy to find (so only
 * the oldest go) and falls when a full lap finds too few.
 *
 * Batching (STAGE_OPT_BATCH_TRIM).  Trimmed PTEs become TRANSITION while
 * their region locks are held; consecutive regions are locked in
 * increasing address order (the nestable region class) so one batch can
 * span region boundaries.  The batch is unmapped with one
 * machine_unmap_batch call, then the frames leave the active list under
 * one list lock and join the modified / standby lists under one each.
 * Without the option each page is unmapped and moved on its own.
 *
 * Invariants:
 *   1. PTE first, then unmap, then the frame joins modified/standby (the
 *      shootdown contract: nobody can write the frame once it is listed).
 *   2. A batch holds at most P3_TRIM_MAX_REGIONS region locks, all in
 *      increasing address order, and at most PAGEFILE_MAX_BATCH pages.
 *   3. An ACTIVE frame is never flagged (a rescue waits for a write in
 *      flight), and of a locked region it is touched by nobody else (no
 *      other path takes frames off the active list), so its move needs
 *      only the list locks.
 *
 * Lock order: regions (increasing) -> pfn -> list.
 */
#include "phase3_impl.h"

#include <errno.h>
#include <string.h>

struct trim_batch {
    uint64_t vpns[PAGEFILE_MAX_BATCH];
    uint64_t frames[PAGEFILE_MAX_BATCH];
    bool dirty[PAGEFILE_MAX_BATCH];
    unsigned n;
    uint64_t regions[P3_TRIM_MAX_REGIONS];
    unsigned nregions;
};

/* Move the batch's unflagged frames from the active list to modified /
 * standby: one lock round trip per list.  Holds: the batch's regions. */
static void relist(struct stage *s, struct pfn **ps, bool *dirty, unsigned n)
{
    struct pfn_db *db = &s->core.pfns;
    phase3_lock_acquire(&s->lists[PFN_ACTIVE]);
    for (unsigned i = 0; i < n; i++)
        pfn_unlink(db, ps[i]);
    phase3_lock_release(&s->lists[PFN_ACTIVE]);
    for (int d = 1; d >= 0; d--) {
        enum pfn_state st = d ? PFN_MODIFIED : PFN_STANDBY;
        phase3_lock_acquire(&s->lists[st]);
        for (unsigned i = 0; i < n; i++)
            if (dirty[i] == (bool)d)
                pfn_link(db, ps[i], st);
        phase3_lock_release(&s->lists[st]);
    }
}

/* Settle the batch's frames after the unmap; returns how many went to
 * standby.  Holds: the batch's regions. */
static unsigned settle(struct stage *s, struct trim_batch *b)
{
    struct pfn *ps[PAGEFILE_MAX_BATCH];
    bool dirty[PAGEFILE_MAX_BATCH];
    unsigned clean = 0;
    for (unsigned i = 0; i < b->n; i++) {
        struct pfn *p = pfn_get(&s->core.pfns, b->frames[i]);
        phase3_pfn_lock(p);
        if (p->flags != 0 || p->state != PFN_ACTIVE || p->vpn != b->vpns[i])
            phase3_die("settle", "trimmed frame is not an unflagged active "
                                 "frame of its page");
        dirty[i] = b->dirty[i] || p->slot == PAGEFILE_NO_SLOT;
        phase3_pfn_unlock(p);
        ps[i] = p;
        clean += !dirty[i];
    }
    relist(s, ps, dirty, b->n);
    return clean;
}

/* Unmap and settle the batch's pages, count them, wake who needs them.
 * Returns the pages trimmed.  Holds: the batch's regions (kept). */
static unsigned finish(struct stage *s, struct trim_batch *b)
{
    unsigned n = b->n;
    if (n == 0)
        return 0;
    uint64_t vpns[PAGEFILE_MAX_BATCH];
    memcpy(vpns, b->vpns, n * sizeof vpns[0]);
    machine_unmap_batch(s->core.machine, vpns, n);
    unsigned clean = settle(s, b);
    b->n = 0;
    stats_add(s->core.stats, STAT_TRIM, n);
    stats_add(s->core.stats, STAT_TRIM_CLEAN, clean);
    phase3_wake_system(s, false, n > clean);
    if (clean > 0)
        phase3_frames_available(s);
    return n;
}

/* finish() the batch, then release its region locks.  Returns pages. */
static unsigned flush(struct stage *s, struct trim_batch *b)
{
    unsigned n = finish(s, b);
    while (b->nregions > 0)
        phase3_lock_release(&s->regions[b->regions[--b->nregions]].lock);
    return n;
}

/* Age the VALID page behind cell (its region locked) and say whether it
 * is old enough to trim now. */
static bool age_page(struct stage *s, pte_cell_t *cell, pte_t pte,
                     unsigned threshold)
{
    struct pfn *p = pfn_get(&s->core.pfns, pte_frame(pte));
    if (pte_accessed(pte)) {
        pte_t expect = pte;
        pte_cas(cell, &expect, pte_with_accessed(pte, false));
        p->age = 0;
        return false;
    }
    if (p->age < UINT8_MAX)
        p->age++;
    return p->age >= threshold;
}

/* Sweep locked region r into the batch while fewer than 'want' pages are
 * trimmed or batched.  Without batching each page is finished at once.
 * Returns the pages finished here.  Holds: region r (kept). */
static unsigned sweep(struct stage *s, uint64_t r, struct trim_batch *b,
                      unsigned want, unsigned threshold)
{
    bool batching = phase3_opt(s, STAGE_OPT_BATCH_TRIM);
    uint64_t vpn = r * P3_REGION_PAGES;
    uint64_t end = vpn + P3_REGION_PAGES;
    if (end > s->core.config.virtual_pages)
        end = s->core.config.virtual_pages;
    unsigned done = 0;
    for (; vpn < end && done + b->n < want && b->n < PAGEFILE_MAX_BATCH;
         vpn++) {
        pte_cell_t *cell = &s->core.ptes[vpn];
        pte_t pte = pte_load(cell);
        if (pte_format(pte) != PTE_VALID || !age_page(s, cell, pte, threshold))
            continue;
        pte_store(cell, pte_make_transition(pte_frame(pte)));
        b->vpns[b->n] = vpn;
        b->frames[b->n] = pte_frame(pte);
        b->dirty[b->n++] = pte_dirty(pte);
        if (!batching)
            done += finish(s, b);
    }
    return done;
}

/* Adapt the aging threshold after a pass that trimmed 'got' of 'want'
 * pages sweeping 'swept' regions. */
static void adapt(struct stage *s, unsigned got, unsigned want, uint64_t swept)
{
    unsigned th = atomic_load(&s->age_threshold);
    if (got < want && th > 1)
        atomic_store(&s->age_threshold, th - 1);
    else if (got >= want && swept * 4 < s->nregions &&
             th < P3_AGE_MAX_THRESHOLD)
        atomic_store(&s->age_threshold, th + 1);
}

/* One clock pass: trim up to max_pages pages with the given threshold,
 * sweeping at most two laps.  Returns pages trimmed.  Holds nothing on
 * entry or exit. */
static unsigned pass(struct stage *s, unsigned max_pages, unsigned threshold)
{
    struct trim_batch b = {.n = 0, .nregions = 0};
    bool batching = phase3_opt(s, STAGE_OPT_BATCH_TRIM);
    unsigned got = 0;
    uint64_t swept = 0;
    while (got + b.n < max_pages && swept < 2 * s->nregions) {
        uint64_t r = atomic_fetch_add(&s->hand, 1) % s->nregions;
        bool adjacent = b.nregions > 0 && b.regions[b.nregions - 1] + 1 == r;
        if (b.nregions == P3_TRIM_MAX_REGIONS || (b.nregions > 0 && !adjacent))
            got += flush(s, &b);
        phase3_lock_acquire(&s->regions[r].lock);
        b.regions[b.nregions++] = r;
        got += sweep(s, r, &b, max_pages - got, threshold);
        if (!batching || b.n == PAGEFILE_MAX_BATCH)
            got += flush(s, &b);
        swept++;
    }
    got += flush(s, &b);
    if (phase3_opt(s, STAGE_OPT_AGING))
        adapt(s, got, max_pages, swept);
    return got;
}

/* stage_ops.trim: move up to max_pages old ACTIVE pages to modified /
 * standby.  With aging, a pass that finds too few at the current
 * threshold is followed by passes at lower thresholds.  Returns the pages
 * trimmed (0 when none could be).  Holds nothing on entry or exit. */
int phase3_trim(struct stage *s, unsigned max_pages)
{
#ifdef SOLUTION
    if (max_pages == 0)
        return 0;
    bool aging = phase3_opt(s, STAGE_OPT_AGING);
    unsigned th = aging ? atomic_load(&s->age_threshold) : 1;
    unsigned got = pass(s, max_pages, th);
    while (aging && got < max_pages && th > 1)
        got += pass(s, max_pages - got, --th);
    return (int)got;
#else
    (void)s; (void)max_pages; (void)pass;
    return -ENOSYS; /* TODO: the clock (see the design comment) */
#endif
}
