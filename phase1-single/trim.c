/*
 * trim.c - trimming: take pages out of memory with the clock (second
 * chance), ACTIVE -> MODIFIED or STANDBY.
 *
 * Transitions performed here (see states.dot):
 *   ACTIVE -> MODIFIED  phase1_trim, page dirty (no current copy on disk)
 *   ACTIVE -> STANDBY   phase1_trim, page clean (its slot holds it)
 * Called by the stage's ops (ops->trim) and by frames.c when a fault needs
 * a frame and none is free or standby; calls nothing in the other files.
 *
 * Invariants kept:
 *   1. Trimming changes the PTE to TRANSITION first, then unmaps, then puts
 *      the frame on its list; so when a frame can be written or reused no
 *      translation to it is left (the machine's shootdown contract).
 *   2. A dirty page goes to the modified list (it owns no slot), a clean
 *      one to the standby list (its slot holds the same bytes).
 *   3. The clock examines each active page at most twice per pass: the
 *      first look clears the accessed bit and moves the page to the tail
 *      (second chance), so a pass over a non-empty list always trims.
 *
 * Locking: none; phase1 runs in one thread.
 */
#include <errno.h>

#include "phase1_impl.h"

#define TRIM_CHUNK 64 /* pages unmapped with one machine_unmap_batch */

/* A page chosen by the clock, not yet on its new list. */
struct victim {
    struct pfn *frame;
    bool dirty;
};

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
