/*
 * write.c - modified-page write-back: MODIFIED -> (WRITING) -> STANDBY
 * (phase3_write_modified), and clean pages in memory giving their slots
 * back when the page file is full (phase3_reclaim_slots).
 *
 * A pass takes up to PAGEFILE_MAX_BATCH frames off the modified list under
 * one lock round trip and flags them WRITING (on no list).  With
 * PHASE3_OPT_BATCH_WRITE it claims contiguous slot runs from the page-file
 * bitmap (pagefile_alloc_run) and writes each run with one vectored call
 * straight from the kernel window; without it, one slot and one write per
 * page.  Written frames take their slot and join the standby list (one
 * lock round trip for the batch; a frame whose lock is busy is done on its
 * own afterwards).  Frames that could not be written (no slot, I/O error)
 * go back to the modified list unchanged: nothing is lost.
 *
 * A read fault may take a frame back while it is being written
 * (fault.c, fault_take_from_writer): the frame turns ACTIVE, its page is
 * mapped read-only, and it stays WRITING.  When the write ends such a
 * frame gets the slot its bytes went to (they are still the page's bytes)
 * and goes on the active list instead of standby.
 *
 * Invariants:
 *   1. A WRITING frame is on no list and its contents do not change: its
 *      page is TRANSITION, or VALID read-only when a read took it back; a
 *      write fault or upgrade waits until the flag is cleared
 *      (phase3_wait_write), so a finished write is never stale.
 *   2. A frame keeps a slot only if its bytes were written there; a slot
 *      whose write failed is freed again.
 *
 * Lock order: list -> pfn by trylock only; pfn -> list otherwise.
 */
#include "phase3_impl.h"

#include <errno.h>

#ifdef SOLUTION

/* Take up to want frames off the modified list, flagged WRITING.  Frames
 * whose lock is busy are skipped.  Returns the number taken. */
static unsigned write_grab(struct stage *s, struct pfn **ps, unsigned want)
{
    uint64_t left;
    return phase3_list_grab(s, PFN_MODIFIED, PFN_FLAG_WRITING, 0, ps, want,
                            &left);
}

/* The list written frame p (locked) goes to: active when a read took it
 * back meanwhile, else standby with a slot, or back to modified when
 * slot is PAGEFILE_NO_SLOT (the write failed or found no slot). */
static enum pfn_state write_state_after(const struct pfn *p, uint64_t slot)
{
    if (p->state == PFN_ACTIVE)
        return PFN_ACTIVE;
    return slot == PAGEFILE_NO_SLOT ? PFN_MODIFIED : PFN_STANDBY;
}

/* Clear WRITING on p (locked), give it slot and list it (write_state_after).
 * Holds: p's lock and, when 'locked', the target list's lock. */
static void write_release_frame(struct stage *s, struct pfn *p, uint64_t slot,
                                bool locked)
{
    enum pfn_state st = write_state_after(p, slot);
    p->flags &= (uint8_t)~PFN_FLAG_WRITING;
    p->slot = slot;
    if (locked)
        pfn_link(&s->core.pfns, p, st);
    else
        phase3_list_link(s, p, st);
}

/* File n grabbed frames where their write left them (write_state_after);
 * slots[i] is frame i's slot, PAGEFILE_NO_SLOT when it was not written.
 * The frames bound for the list of the first (standby when it was
 * written, else modified) go under one list lock round trip; frames whose
 * lock is busy, or bound elsewhere (a read took them back: active), are
 * done afterwards one by one. */
static void write_settle(struct stage *s, struct pfn **ps,
                         const uint64_t *slots, unsigned n)
{
    if (n == 0)
        return;
    enum pfn_state st = slots[0] == PAGEFILE_NO_SLOT ? PFN_MODIFIED
                                                     : PFN_STANDBY;
    bool done[PAGEFILE_MAX_BATCH] = {false};
    phase3_lock_acquire(&s->lists[st].lock);
    for (unsigned i = 0; i < n; i++) {
        if (!phase3_pfn_trylock(ps[i]))
            continue;
        if (write_state_after(ps[i], slots[i]) != st) {
            phase3_pfn_unlock(ps[i]);
            continue;
        }
        write_release_frame(s, ps[i], slots[i], true);
        phase3_pfn_unlock(ps[i]);
        done[i] = true;
    }
    phase3_lock_release(&s->lists[st].lock);
    for (unsigned i = 0; i < n; i++) {
        if (done[i])
            continue;
        phase3_pfn_lock(ps[i]);
        write_release_frame(s, ps[i], slots[i], false);
        phase3_pfn_unlock(ps[i]);
    }
}

/* Claim slots for up to n frames and write them: one run and one
 * (vectored) write; each written frame's slot goes into slots[].  Returns
 * the frames written (>= 1) or a negative errno (-ENOSPC: no slot;
 * -EIO...: the write failed, its slots freed). */
static int write_run(struct stage *s, struct pfn **ps, uint64_t *slots,
                     unsigned n)
{
    struct pagefile *pf = s->core.pagefile;
    uint64_t first;
    size_t got = 1;
    int r = phase3_opt(s, PHASE3_OPT_BATCH_WRITE)
                ? pagefile_alloc_run(pf, n, &first, &got)
                : pagefile_alloc(pf, &first);
    if (r < 0)
        return r;
    const void *pages[PAGEFILE_MAX_BATCH];
    for (size_t i = 0; i < got; i++)
        pages[i] = machine_frame(s->core.machine,
                                 pfn_number(&s->core.pfns, ps[i]));
    r = got == 1 ? pagefile_write(pf, first, pages[0])
                 : pagefile_writev(pf, first, pages, got);
    if (r < 0) {
        for (size_t i = 0; i < got; i++)
            pagefile_free(pf, first + i);
        return r;
    }
    for (size_t i = 0; i < got; i++)
        slots[i] = first + i;
    return (int)got;
}

/* Does the page file have room for clean pages to keep their slots?  A
 * clean page in memory that keeps its slot saves a write when it is
 * trimmed, but the slot is then not available to write-back: keep them
 * only while more than slot_reserve slots are free.  Faults read the
 * answer write-back last computed (keep_slots), so the fault path never
 * takes the page file's lock for it. */
bool phase3_slot_slack(struct stage *s)
{
    return atomic_load_explicit(&s->keep_slots, memory_order_relaxed);
}

/* Recompute keep_slots after write-back moved slots. */
static void write_update_slack(struct stage *s)
{
    struct pagefile *pf = s->core.pagefile;
    bool slack = pagefile_capacity(pf) - pagefile_in_use(pf) > s->slot_reserve;
    atomic_store_explicit(&s->keep_slots, slack, memory_order_relaxed);
}

/* Reserve room for up to max_pages (at most a batch) frames in flight
 * within the write budget: every frame being written holds a slot, and
 * with user threads writing back directly there can be many writers.  A
 * writer that finds nobody writing may always take a whole batch.
 * Returns the frames reserved (0 when the budget is spent); the caller
 * gives them back from 'writing' when done. */
static unsigned write_reserve(struct stage *s, unsigned max_pages)
{
    unsigned want = max_pages < PAGEFILE_MAX_BATCH ? max_pages
                                                   : PAGEFILE_MAX_BATCH;
    unsigned cur = atomic_load(&s->writing);
    unsigned take;
    do {
        unsigned room = cur == 0                ? want
                        : cur < s->write_budget ? s->write_budget - cur
                                                : 0;
        take = want < room ? want : room;
    } while (take > 0 &&
             !atomic_compare_exchange_weak(&s->writing, &cur, cur + take));
    return take;
}

/* stage_ops.write_modified: write up to max_pages modified pages to the
 * page file and move them to standby.  The pass files its frames once,
 * after its last write: with a fragmented bitmap a batch takes many short
 * runs, and one list lock round trip per run was measurable.  Returns
 * pages written, 0 when none were modified, or -ENOSPC / -EIO when none
 * could be written (the pages stay modified).  Holds nothing on entry or
 * exit. */
int phase3_write_modified(struct stage *s, unsigned max_pages)
{
    struct pfn *ps[PAGEFILE_MAX_BATCH];
    uint64_t slots[PAGEFILE_MAX_BATCH];
    unsigned want = write_reserve(s, max_pages);
    unsigned n = write_grab(s, ps, want), done = 0, calls = 0;
    int err = 0;
    while (done < n) {
        int r = write_run(s, ps + done, slots + done, n - done);
        if (r == -ENOSPC && phase3_reclaim_slots(s, n - done) > 0)
            r = write_run(s, ps + done, slots + done, n - done);
        if (r < 0) {
            err = r;
            break;
        }
        done += (unsigned)r;
        calls++;
    }
    write_settle(s, ps, slots, done);
    for (unsigned i = done; i < n; i++)
        slots[i] = PAGEFILE_NO_SLOT;
    write_settle(s, ps + done, slots + done, n - done);
    atomic_fetch_sub(&s->writing, want);
    write_update_slack(s);
    stats_add(s->core.stats, STAT_PAGE_WRITE, done);
    stats_add(s->core.stats, STAT_WRITE_CALLS, calls);
    if (n > 0)
        phase3_writes_done(s);
    if (done > 0)
        phase3_frames_available(s);
    return done > 0 ? (int)done : err;
}

/* Give up the slot of clean read-only page vpn if it has one.  Returns 1
 * when a slot was freed.  Holds: vpn's region lock. */
static unsigned write_drop_slot(struct stage *s, uint64_t vpn)
{
    pte_t pte = pte_load(&s->core.ptes[vpn]);
    if (pte_format(pte) != PTE_VALID || pte_dirty(pte))
        return 0;
    struct pfn *p = pfn_get(&s->core.pfns, pte_frame(pte));
    unsigned freed = 0;
    phase3_pfn_lock(p);
    if (p->slot != PAGEFILE_NO_SLOT) {
        pagefile_free(s->core.pagefile, p->slot);
        p->slot = PAGEFILE_NO_SLOT;
        freed = 1;
    }
    phase3_pfn_unlock(p);
    return freed;
}

/* The page file is full: free up to want slots held by clean pages in
 * memory (they will be written again if trimmed).  Returns slots freed.
 * Holds nothing (takes trim_lock, which owns reclaim_hand, then regions). */
unsigned phase3_reclaim_slots(struct stage *s, unsigned want)
{
    uint64_t pages = s->core.config.virtual_pages, seen = 0;
    unsigned freed = 0;
    lock_acquire(&s->trim_lock);
    while (freed < want && seen < pages) {
        uint64_t vpn = s->reclaim_hand;
        uint64_t end = (vpn / P3_REGION_PAGES + 1) * P3_REGION_PAGES;
        if (end > pages)
            end = pages;
        phase3_region_lock(s, vpn);
        for (; vpn < end && freed < want; vpn++, seen++)
            freed += write_drop_slot(s, vpn);
        phase3_region_unlock(s, vpn - 1);
        s->reclaim_hand = vpn == pages ? 0 : vpn;
    }
    lock_release(&s->trim_lock);
    return freed;
}

#else /* !SOLUTION: the starter students begin from */

/* Starter: may clean pages keep their slots?  (see phase3_slot_slack) */
bool phase3_slot_slack(struct stage *s)
{
    (void)s;
    return false; /* TODO */
}

/* Starter: stage_ops.write_modified. */
int phase3_write_modified(struct stage *s, unsigned max_pages)
{
    (void)s;
    (void)max_pages;
    return -ENOSYS; /* TODO */
}

/* Starter: free slots of clean pages in memory; returns slots freed. */
unsigned phase3_reclaim_slots(struct stage *s, unsigned want)
{
    (void)s;
    (void)want;
    return 0; /* TODO */
}

#endif /* SOLUTION */
