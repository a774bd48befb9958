/*
 * trim.c - the system's work: trimming active pages and writing modified
 * pages to the page file, safe beside faulting user threads.  The trimmer
 * and writer threads (threads.c) loop over these; so does a faulting
 * thread when the system threads are not running.
 *
 * Transitions performed here:
 *   ACTIVE   -> MODIFIED  phase2_trim_page: dirty page unmapped
 *   ACTIVE   -> STANDBY   phase2_trim_page: clean page (owns a slot)
 *   MODIFIED -> STANDBY   phase2_write_one + phase2_write_done
 *   (WRITING, rescued)    phase2_write_done: REWRITE -> ACTIVE, the slot
 *                         just written is stale and freed
 *
 * Both walk a list from its head by snapshot-then-verify (phase2.c): peek
 * the head, lock the owner's region (trim only) and the frame in order,
 * check the frame is still that list's head candidate, act.
 *
 * Invariants kept:
 *   1. Trim changes the PTE to TRANSITION, THEN unmaps (the shootdown
 *      contract: once machine_unmap returns nobody can write the frame
 *      through the old translation), THEN files the frame; a write that
 *      raced the unmap either landed before it (and the page is dirty,
 *      since only a writable mapping allows it) or faults after it.
 *   2. A frame being written carries WRITING, is on no list and is never
 *      mapped writable (a write fault on it waits for the write); the slot
 *      being written is held in a local, not in the frame, until the write
 *      is known good and not stale, so a rescuer never frees it under the
 *      writer.
 *   3. A failed write puts the page back on the modified list: nothing is
 *      lost.  A full page file first makes the writer take back the slots
 *      of clean active pages (they become dirty), so clean frames holding
 *      slots cannot starve the writer.
 *
 * Locking: region(vpn) -> frame -> list / page file.  The write I/O runs
 * with no lock held.
 */
#include "phase2_impl.h"
#include "panic.h"

/* Active frames phase2_reclaim_slots looks at when the page file is full. */
#define PHASE2_RECLAIM_SCAN 32

#ifdef SOLUTION
/* Unmap the unaccessed active page vpn (frame f, PTE p) and file it as
 * MODIFIED (dirty) or STANDBY (clean).  region(vpn) and f's lock held. */
static void phase2_trim_page(struct stage *s, uint64_t vpn, struct pfn *f,
                             pte_t p)
{
    bool dirty = pte_dirty(p);
    if (dirty != (f->slot == PAGEFILE_NO_SLOT))
        panic("phase2_trim_page", "dirty bit and slot disagree");
    pte_store(&s->core.ptes[vpn], pte_make_transition(pte_frame(p)));
    phase2_hook(s, PHASE2_HOOK_TRIM_BEFORE_UNMAP, vpn);
    machine_unmap(s->core.machine, vpn);
    phase2_list_del(s, f);
    phase2_list_add(s, f, dirty ? PFN_MODIFIED : PFN_STANDBY);
    stats_inc(s->core.stats, STAT_TRIM);
    if (!dirty)
        stats_inc(s->core.stats, STAT_TRIM_CLEAN);
}

/* Clock step on the snapshot (frame, vpn) of the active head: verify it,
 * then give an accessed page a second chance (clear the bit, move it to
 * the tail) or trim it.  No lock held on entry or exit.  1 when trimmed,
 * 0 otherwise (second chance, or the snapshot was stale). */
static int phase2_trim_one(struct stage *s, uint64_t frame, uint64_t vpn)
{
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    pte_t p;
    if (!phase2_lock_owner(s, frame, vpn, PFN_ACTIVE, &p))
        return 0;
    int trimmed = 0;
    if (pte_accessed(p)) {
        pte_store(&s->core.ptes[vpn], pte_with_accessed(p, false));
        phase2_list_del(s, f);
        phase2_list_add(s, f, PFN_ACTIVE);
    } else {
        phase2_trim_page(s, vpn, f, p);
        trimmed = 1;
    }
    phase2_unlock_owner(s, frame, vpn);
    return trimmed;
}

/* The write of frame f to slot finished with rc: file the frame.  f's
 * lock held.  1 written (now STANDBY), 0 stale (rescued meanwhile: back to
 * ACTIVE, slot freed), or rc < 0 (back to MODIFIED, slot freed). */
static int phase2_write_done(struct stage *s, struct pfn *f, uint64_t slot,
                             int rc)
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
static int phase2_write_one(struct stage *s, uint64_t frame, uint64_t vpn)
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
        panic("phase2_write_one", "a modified frame owns a slot");
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
    rc = phase2_write_done(s, f, slot, rc);
    lock_release(fl);
    return rc;
}

/* Take back the slot of active page vpn (frame) if it is clean; it
 * becomes dirty.  No lock held on entry or exit.  1 when freed, else 0. */
static unsigned phase2_reclaim_one(struct stage *s, uint64_t frame,
                                   uint64_t vpn)
{
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    pte_t p;
    if (!phase2_lock_owner(s, frame, vpn, PFN_ACTIVE, &p))
        return 0;
    unsigned freed = 0;
    if (f->slot != PAGEFILE_NO_SLOT) {
        pagefile_free(s->core.pagefile, f->slot);
        f->slot = PAGEFILE_NO_SLOT;
        pte_store(&s->core.ptes[vpn], pte_with_dirty(p, true));
        freed = 1;
    }
    phase2_unlock_owner(s, frame, vpn);
    return freed;
}

/* The page file is full: take back the slots of clean active pages,
 * PHASE2_RECLAIM_SCAN snapshots at a time, until some are freed or the
 * list is walked.  Those pages become dirty: their next trim sends them to
 * the writer instead of straight to standby.  No lock held.  Returns the
 * slots freed. */
static unsigned phase2_reclaim_slots(struct stage *s)
{
    uint64_t frames[PHASE2_RECLAIM_SCAN], vpns[PHASE2_RECLAIM_SCAN];
    unsigned freed = 0;
    uint64_t seen = 0;
    size_t n;
    do {
        n = phase2_list_snapshot(s, PFN_ACTIVE, seen, frames, vpns,
                                 PHASE2_RECLAIM_SCAN);
        seen += n;
        for (size_t i = 0; i < n; i++)
            freed += phase2_reclaim_one(s, frames[i], vpns[i]);
    } while (freed == 0 && n == PHASE2_RECLAIM_SCAN);
    return freed;
}
#endif

/* Move up to max_pages active pages to modified/standby with a clock over
 * the active list (accessed pages get a second chance).  The sweep looks
 * at no more than two revolutions' worth of heads.  No lock held on entry
 * or exit.  Returns the pages trimmed (0 when none could be). */
int phase2_trim(struct stage *s, unsigned max_pages)
{
#ifdef SOLUTION
    unsigned done = 0;
    uint64_t budget = 2 * phase2_count(s, PFN_ACTIVE) + max_pages;
    uint64_t frame, vpn;
    while (done < max_pages && budget-- > 0 &&
           phase2_list_peek(s, PFN_ACTIVE, &frame, &vpn))
        done += (unsigned)phase2_trim_one(s, frame, vpn);
    return (int)done;
#else
    (void)s;
    (void)max_pages;
    return -ENOSYS; /* TODO: clock sweep over the active list */
#endif
}

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
        int rc = phase2_write_one(s, frame, vpn);
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
