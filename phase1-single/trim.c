/*
 * trim.c - phase1's system work: trimming active pages, writing modified
 * pages to the page file, and finding a frame for a fault.
 *
 * Transitions performed here (see states.dot):
 *   ACTIVE   -> MODIFIED   phase1_trim, page dirty (no current copy on disk)
 *   ACTIVE   -> STANDBY    phase1_trim, page clean (its slot holds it)
 *   MODIFIED -> STANDBY    phase1_write_modified (slot allocated, written)
 *   STANDBY  -> (taken)    phase1_repurpose (old PTE becomes DISK)
 *   FREE     -> (taken)    phase1_obtain_frame
 *
 * Invariants kept:
 *   1. Trimming changes the PTE to TRANSITION first, then unmaps, then puts
 *      the frame on its list; so when a frame can be written or reused no
 *      translation to it is left (the machine's shootdown contract).
 *   2. A MODIFIED frame owns no slot; a STANDBY frame owns exactly one,
 *      holding the same bytes as the frame.
 *   3. A failed write-back leaves the page MODIFIED at the head of its list
 *      and frees the slot it had claimed: nothing is lost or leaked.
 *   4. The clock examines each active page at most twice per pass: the
 *      first look clears the accessed bit and moves the page to the tail
 *      (second chance), so a pass over a non-empty list always trims.
 *
 * Locking: none; phase1 runs in one thread.
 */
#include <errno.h>
#include <string.h>

#include "phase1_impl.h"
#include "panic.h"

#define TRIM_CHUNK 64 /* pages unmapped with one machine_unmap_batch */
#define POISON_FREE 0xdd /* debug builds: bytes of a frame on the free list */
#define POISON_FRESH 0xa5 /* debug builds: bytes of a frame just taken */

/* A page chosen by the clock, not yet on its new list. */
struct victim {
    struct pfn *frame;
    bool dirty;
};

/* Debug builds fill a frame with 'byte' so stale contents show up. */
static void trim_poison(struct stage *s, struct pfn *f, int byte)
{
#ifdef PAGELAB_DEBUG
    uint64_t frame = pfn_number(&s->core.pfns, f);
    memset(machine_frame(s->core.machine, frame), byte, MACHINE_PAGE_SIZE);
#else
    (void)s;
    (void)f;
    (void)byte;
#endif
}

#ifdef SOLUTION
/* Run the clock over the active list: an accessed page loses its accessed
 * bit and goes to the tail; an idle page gets a TRANSITION PTE, leaves the
 * list and is recorded in v[] / vpns[].  Stops after max pages or when every
 * page has been looked at twice.  Returns the number chosen. */
static unsigned trim_pick(struct stage *s, unsigned max, struct victim *v,
                          uint64_t *vpns)
{
    struct pfn_db *db = &s->core.pfns;
    uint64_t budget = 2 * pfn_count(db, PFN_ACTIVE);
    unsigned n = 0;
    while (n < max && budget-- > 0) {
        struct pfn *f = pfn_pop(db, PFN_ACTIVE);
        if (f == NULL)
            break;
        pte_cell_t *cell = &s->core.ptes[f->vpn];
        pte_t pte = pte_load(cell);
        if (pte_accessed(pte)) {
            pte_store(cell, pte_with_accessed(pte, false));
            pfn_link(db, f, PFN_ACTIVE);
            continue;
        }
        pte_store(cell, pte_make_transition(pfn_number(db, f)));
        v[n] = (struct victim){ .frame = f, .dirty = pte_dirty(pte) };
        vpns[n++] = f->vpn;
    }
    return n;
}

/* Unmap the n chosen pages, then put each frame on the modified list
 * (dirty) or the standby list (clean, its slot holds it). */
static void trim_finish(struct stage *s, struct victim *v, uint64_t *vpns,
                        unsigned n)
{
    unsigned clean = 0;
    machine_unmap_batch(s->core.machine, vpns, n);
    for (unsigned i = 0; i < n; i++) {
        pfn_link(&s->core.pfns, v[i].frame,
                 v[i].dirty ? PFN_MODIFIED : PFN_STANDBY);
        clean += !v[i].dirty;
    }
    stats_add(s->core.stats, STAT_TRIM, n);
    stats_add(s->core.stats, STAT_TRIM_CLEAN, clean);
}
#endif

/* Trim up to max_pages active pages (clock, honouring accessed bits) to
 * the modified or standby list.  Returns the number trimmed (0 when the
 * active list is empty).  Never fails in phase1. */
int phase1_trim(struct stage *s, unsigned max_pages)
{
#ifdef SOLUTION
    struct victim v[TRIM_CHUNK];
    uint64_t vpns[TRIM_CHUNK];
    unsigned done = 0;
    while (done < max_pages) {
        unsigned want = max_pages - done;
        if (want > TRIM_CHUNK)
            want = TRIM_CHUNK;
        unsigned n = trim_pick(s, want, v, vpns);
        trim_finish(s, v, vpns, n);
        done += n;
        if (n < want)
            break;
    }
    return (int)done;
#else
    (void)s;
    (void)max_pages;
    return -ENOSYS; /* TODO: clock sweep; PTE, then unmap, then list */
#endif
}

#ifdef SOLUTION
/* Write modified frame f to a newly claimed slot and move it to standby.
 * Returns 0, or -ENOSPC / -EIO with f still modified and no slot held. */
static int trim_write_one(struct stage *s, struct pfn *f)
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
        err = trim_write_one(s, list_entry(list_head(modified), struct pfn,
                                           link));
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

/* Take standby frame f (already off its list) away from its page: the
 * page's PTE goes from TRANSITION to DISK naming f's slot, which now belongs
 * to the PTE; f is left with no page and no slot.  (f was unmapped when it
 * was trimmed, so nothing can still reach it.) */
void phase1_repurpose(struct stage *s, struct pfn *f)
{
#ifdef SOLUTION
    pte_store(&s->core.ptes[f->vpn], pte_make_disk(f->slot));
    f->vpn = PFN_NO_VPN;
    f->slot = PAGEFILE_NO_SLOT;
    stats_inc(s->core.stats, STAT_REPURPOSE);
#else
    (void)s;
    (void)f; /* TODO: old PTE -> DISK, frame forgets page and slot */
#endif
}

#ifdef SOLUTION
/* There is neither a free nor a standby frame: trim a batch, then write a
 * batch of modified pages (which makes them standby, ready to reuse).
 * Returns 0 when something moved or a standby frame is waiting (try
 * again), or the write-back error when nothing could move. */
static int trim_make_room(struct stage *s)
{
    const struct stage_config *cfg = &s->core.config;
    int trimmed = phase1_trim(s, cfg->trim_batch);
    int written = phase1_write_modified(s, cfg->write_batch);
    if (trimmed > 0 || written > 0 ||
        pfn_count(&s->core.pfns, PFN_STANDBY) > 0)
        return 0;
    if (written < 0)
        return written;
    panic("phase1_obtain_frame", "every frame is off the lists");
}
#endif

/* Find a frame for a new page: the head of the free list, else the head of
 * the standby list (repurposed), else trim and write back, then retry.
 * *out is on no list, with no page and no slot (contents undefined).
 * Returns 0, or -ENOSPC / -EIO when write-back failed and no frame could be
 * had: then the trimmed pages wait on the modified list, nothing lost. */
int phase1_obtain_frame(struct stage *s, struct pfn **out)
{
#ifdef SOLUTION
    struct pfn_db *db = &s->core.pfns;
    for (;;) {
        struct pfn *f = pfn_pop(db, PFN_FREE);
        if (f == NULL && (f = pfn_pop(db, PFN_STANDBY)) != NULL)
            phase1_repurpose(s, f);
        if (f != NULL) {
            trim_poison(s, f, POISON_FRESH);
            *out = f;
            return 0;
        }
        int err = trim_make_room(s);
        if (err != 0)
            return err;
    }
#else
    (void)s;
    (void)out;
    return -ENOSYS; /* TODO: free list, else repurpose standby, else trim */
#endif
}

/* Given: return frame f (on no list, taken by phase1_obtain_frame, its
 * slot already released or handed back) to the free list. */
void phase1_release_frame(struct stage *s, struct pfn *f)
{
    f->vpn = PFN_NO_VPN;
    f->slot = PAGEFILE_NO_SLOT;
    trim_poison(s, f, POISON_FREE);
    pfn_link(&s->core.pfns, f, PFN_FREE);
}
