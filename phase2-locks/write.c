/*
 * write.c - writing modified pages to the page file, safe beside faulting
 * user threads: phase1's write-back with the write I/O run unlocked, and
 * the slot reclaim a full page file needs.  The writer thread (threads.c)
 * loops over phase2_write_modified; so does a faulting thread when the
 * system threads are not running.
 *
 * Transitions performed here:
 *   MODIFIED -> WRITING   write_one: slot taken, frame off the lists
 *   WRITING  -> STANDBY   write_done: the slot holds the page
 *   WRITING  -> MODIFIED  write_done: the write failed (slot freed)
 *   (WRITING, rescued)    write_done: REWRITE -> ACTIVE, the slot just
 *                         written is stale and freed
 *   clean ACTIVE -> dirty ACTIVE  phase2_reclaim_slots: the page file is
 *                         full, a clean page's slot is taken back
 *
 * Invariants kept:
 *   1. A frame being written carries WRITING, is on no list and is never
 *      mapped writable (a write fault on it waits for the write); the slot
 *      being written is held in a local, not in the frame, until the write
 *      is known good and not stale, so a rescuer never frees it under the
 *      writer.
 *   2. Every end of a write wakes the faults waiting for one
 *      (phase2_write_finished), whatever becomes of the frame.
 *   3. A failed write puts the page back on the modified list: nothing is
 *      lost.  A full page file first makes the writer take back the slots
 *      of clean active pages (they become dirty), so clean frames holding
 *      slots cannot starve the writer.
 *
 * Locking: (region(vpn) ->) frame -> list / page file (phase2_impl.h).
 * The write I/O runs with no lock held.
 */
#include "phase2_impl.h"
#include "panic.h"

/* Active frames phase2_reclaim_slots looks at per snapshot. */
#define WRITE_RECLAIM_SCAN 32

#ifdef SOLUTION
/* The write of frame f to slot finished with rc: file the frame.  f's
 * lock held.  1 written (now STANDBY), 0 stale (rescued meanwhile: back to
 * ACTIVE, slot freed), or rc < 0 (back to MODIFIED, slot freed). */
static int write_done(struct stage *s, struct pfn *f, uint64_t slot, int rc)
{
    f->flags &= (uint8_t)~PFN_FLAG_WRITING;
    phase2_write_finished(s);
    if (f->flags & PFN_FLAG_REWRITE) {
        f->flags &= (uint8_t)~PFN_FLAG_REWRITE;
        pagefile_free(s->core.pagefile, slot);
        phase2_list_add(s, f, PFN_ACTIVE);
        return 0;
    }
    if (rc < 0) {
        pagefile_free(s->core.pagefile, slot);
        phase2_list_add(s, f, PFN_MODIFIED);
        return rc;
    }
    f->slot = slot;
    phase2_list_add(s, f, PFN_STANDBY);
    stats_inc(s->core.stats, STAT_PAGE_WRITE);
    stats_inc(s->core.stats, STAT_WRITE_CALLS);
    return 1;
}

/* Write the snapshot (frame, vpn) of the modified head: verify, take a
 * slot, mark WRITING and unlist, write with no lock, then file it.  No lock
 * held on entry or exit.  1 written, 0 stale snapshot or rescued, or
 * -ENOSPC / -EIO (the page stays modified). */
static int write_one(struct stage *s, uint64_t frame, uint64_t vpn)
{
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    struct lock *fl = phase2_frame_lock(s, frame);
    uint64_t slot;
    lock_acquire(fl);
    if (f->state != PFN_MODIFIED || f->flags != 0 || f->vpn != vpn) {
        lock_release(fl);
        return 0;
    }
    if (f->slot != PAGEFILE_NO_SLOT)
        panic("write_one", "a modified frame owns a slot");
    int rc = pagefile_alloc(s->core.pagefile, &slot);
    if (rc < 0) {
        lock_release(fl);
        return rc;
    }
    phase2_list_del(s, f);
    f->flags |= PFN_FLAG_WRITING;
    lock_release(fl);
    phase2_hook(s, PHASE2_HOOK_WRITE_IN_FLIGHT, vpn);
    rc = pagefile_write(s->core.pagefile, slot,
                        machine_frame(s->core.machine, frame));
    lock_acquire(fl);
    rc = write_done(s, f, slot, rc);
    lock_release(fl);
    return rc;
}
#endif

/* Write up to max_pages modified pages to the page file and move them to
 * standby.  When the page file is full, first take back the slots of
 * clean active pages (phase2_reclaim_slots).  No lock held on entry or
 * exit.  Returns the pages written, or -ENOSPC / -EIO when the first page
 * could not be written (it stays modified, nothing is lost). */
int phase2_write_modified(struct stage *s, unsigned max_pages)
{
#ifdef SOLUTION
    unsigned done = 0;
    uint64_t budget = phase2_count(s, PFN_MODIFIED) + max_pages;
    uint64_t frame, vpn;
    while (done < max_pages && budget-- > 0 &&
           phase2_list_peek(s, PFN_MODIFIED, &frame, &vpn)) {
        int rc = write_one(s, frame, vpn);
        if (rc == -ENOSPC && phase2_reclaim_slots(s) > 0)
            continue;
        if (rc < 0)
            return done > 0 ? (int)done : rc;
        done += (unsigned)rc;
    }
    return (int)done;
#else
    (void)s;
    (void)max_pages;
    return -ENOSYS; /* TODO: write modified pages, move them to standby */
#endif
}

#ifdef SOLUTION
/* Take back the slot of active page vpn (frame) if it is clean; it
 * becomes dirty.  No lock held on entry or exit.  1 when freed, else 0. */
static unsigned write_reclaim_one(struct stage *s, uint64_t frame,
                                  uint64_t vpn)
{
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    pte_t p;
    if (!phase2_lock_owner(s, frame, vpn, PFN_ACTIVE, &p))
        return 0;
    unsigned freed = 0;
    if (f->slot != PAGEFILE_NO_SLOT) {
        stage_drop_stale_slot(&s->core, f);
        pte_store(&s->core.ptes[vpn], pte_with_dirty(p, true));
        freed = 1;
    }
    phase2_unlock_owner(s, frame, vpn);
    return freed;
}
#endif

/* The page file is full: take back the slots of clean active pages,
 * WRITE_RECLAIM_SCAN snapshots at a time, until some are freed or the
 * list is walked.  Those pages become dirty: their next trim sends them to
 * the writer instead of straight to standby.  No lock held on entry or
 * exit.  Returns the slots freed. */
unsigned phase2_reclaim_slots(struct stage *s)
{
#ifdef SOLUTION
    uint64_t frames[WRITE_RECLAIM_SCAN], vpns[WRITE_RECLAIM_SCAN];
    unsigned freed = 0;
    uint64_t seen = 0;
    size_t n;
    do {
        n = phase2_list_snapshot(s, PFN_ACTIVE, seen, frames, vpns,
                                 WRITE_RECLAIM_SCAN);
        seen += n;
        for (size_t i = 0; i < n; i++)
            freed += write_reclaim_one(s, frames[i], vpns[i]);
    } while (freed == 0 && n == WRITE_RECLAIM_SCAN);
    return freed;
#else
    (void)s;
    return 0; /* TODO: take back clean active pages' slots (they get dirty) */
#endif
}
