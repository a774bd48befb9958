/*
 * write.c - write-back: copy modified pages to the page file,
 * MODIFIED -> STANDBY.
 *
 * Transitions performed here (see states.dot):
 *   MODIFIED -> STANDBY   phase1_write_modified (slot claimed, page written)
 *   MODIFIED -> MODIFIED  the same, when the page file is full or the write
 *                         fails (the page stays, nothing lost)
 * Called by the stage's ops (ops->write_modified) and by frames.c when a
 * fault needs a frame; calls nothing in the other files.
 *
 * Invariants kept:
 *   1. A MODIFIED frame owns no slot; a STANDBY frame owns exactly one,
 *      holding the same bytes as the frame.
 *   2. A frame on the modified list is unmapped (trim.c), so its bytes
 *      cannot change while they are written.
 *   3. A failed write-back leaves the page MODIFIED at the head of its list
 *      and frees the slot it had claimed: nothing is lost or leaked.
 *
 * Locking: none; phase1 runs in one thread.
 */
#include <errno.h>

#include "phase1_impl.h"

#ifdef SOLUTION
/* Write modified frame f to a newly claimed slot and move it to standby.
 * Returns 0, or -ENOSPC / -EIO with f still modified and no slot held. */
static int write_one(struct stage *s, struct pfn *f)
{
    struct pagefile *pf = s->core.pagefile;
    uint64_t slot;
    int err = pagefile_alloc(pf, &slot);
    if (err != 0)
        return err;
    uint64_t frame = pfn_number(&s->core.pfns, f);
    err = pagefile_write(pf, slot, machine_frame(s->core.machine, frame));
    if (err != 0) {
        pagefile_free(pf, slot);
        return err;
    }
    f->slot = slot;
    pfn_move(&s->core.pfns, f, PFN_STANDBY);
    stats_inc(s->core.stats, STAT_PAGE_WRITE);
    stats_inc(s->core.stats, STAT_WRITE_CALLS);
    return 0;
}
#endif

/* Write up to max_pages pages from the head of the modified list to the
 * page file and move them to standby.  Returns the number written (0 when
 * the list is empty); when the first write fails returns its error
 * (-ENOSPC: page file full, -EIO) with every page still modified.  A failure
 * after some pages were written ends the pass early and returns the count:
 * the next pass reports it. */
int phase1_write_modified(struct stage *s, unsigned max_pages)
{
#ifdef SOLUTION
    struct list *modified = &s->core.pfns.lists[PFN_MODIFIED];
    unsigned done = 0;
    int err = 0;
    while (done < max_pages && !list_empty(modified)) {
        err = write_one(s, list_entry(list_head(modified), struct pfn, link));
        if (err != 0)
            break;
        done++;
    }
    return done > 0 ? (int)done : err;
#else
    (void)s;
    (void)max_pages;
    return -ENOSYS; /* TODO: claim a slot, write, move to standby */
#endif
}
