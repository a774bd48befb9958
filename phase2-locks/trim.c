/*
 * trim.c - trimming active pages, safe beside faulting user threads:
 * phase1's clock walked by snapshot-then-verify, one page at a time.  The
 * trimmer thread (threads.c) loops over phase2_trim; so does a faulting
 * thread when the system threads are not running.
 *
 * Transitions performed here:
 *   ACTIVE -> MODIFIED  trim_page: dirty page unmapped
 *   ACTIVE -> STANDBY   trim_page: clean page (owns a slot)
 *
 * The clock peeks the head of the active list, locks the owner's region
 * and the frame in order, checks the frame is still that list's head
 * candidate (phase2_lock_owner), then acts.
 *
 * Invariants kept:
 *   1. Trim changes the PTE to TRANSITION, THEN unmaps (the shootdown
 *      contract: once machine_unmap returns nobody can write the frame
 *      through the old translation), THEN files the frame; a write that
 *      raced the unmap either landed before it (and the page is dirty,
 *      since only a writable mapping allows it) or faults after it.
 *   2. An accessed page loses its accessed bit and goes to the tail of the
 *      active list (second chance); a sweep looks at no more than two
 *      revolutions' worth of heads.
 *
 * Locking: region(vpn) -> frame -> list (phase2_impl.h).
 */
#include "phase2_impl.h"
#include "panic.h"

#ifdef SOLUTION
/* Unmap the unaccessed active page vpn (frame f, PTE p) and file it as
 * MODIFIED (dirty) or STANDBY (clean).  region(vpn) and f's lock held. */
static void trim_page(struct stage *s, uint64_t vpn, struct pfn *f, pte_t p)
{
    bool dirty = pte_dirty(p);
    if (dirty != (f->slot == PAGEFILE_NO_SLOT))
        panic("trim_page", "dirty bit and slot disagree");
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
static int trim_one(struct stage *s, uint64_t frame, uint64_t vpn)
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
        trim_page(s, vpn, f, p);
        trimmed = 1;
    }
    phase2_unlock_owner(s, frame, vpn);
    return trimmed;
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
        done += (unsigned)trim_one(s, frame, vpn);
    return (int)done;
#else
    (void)s;
    (void)max_pages;
    return -ENOSYS; /* TODO: clock sweep over the active list */
#endif
}
