/*
 * frames.c - getting a frame for a fault, and putting one back: phase1's
 * frames.c with claims made by snapshot-then-verify.
 *
 * Transitions performed here:
 *   STANDBY -> claimed  phase2_repurpose: the owner's PTE becomes DISK
 *                       naming the frame's slot
 *   FREE    -> claimed  phase2_frame_get (free list first, else repurpose
 *                       the standby head)
 *   claimed -> FREE     phase2_frame_put (the fault did not use it)
 * A claimed frame is off every list, has no owner and no slot, and only
 * the fault that claimed it can reach it.  There is no "make room" here as
 * in phase1: when both lists are empty phase2_frame_get says so
 * (PHASE2_NO_FRAME) and the fault, out of the gate, asks threads.c
 * (phase2_wait_for_frame), which trims and writes or waits for the
 * workers that do.
 *
 * Invariants kept:
 *   1. A frame is claimed only under its frame lock, after verifying that
 *      the snapshot taken from its list still holds (state, no flags, not
 *      claimed; for standby also the owner and its TRANSITION PTE).
 *   2. Repurposing changes the owner's PTE from TRANSITION to DISK(slot)
 *      under the owner's region lock: the slot now belongs to the PTE.
 *   3. A frame given back carries no owner and no slot.
 *
 * Locking: no lock held on entry or exit of any function here; inside,
 * (owner's region ->) frame -> list (phase2_impl.h).
 */
#include <string.h>

#include "phase2_impl.h"

#define FRAMES_POISON_FREE 0xdf /* debug: bytes of a frame given back */

/* Repurpose standby frame 'frame' owned by vpn (a snapshot): lock in
 * order, verify, turn the owner's PTE into DISK(slot), claim the frame.
 * No lock held on entry or exit.  true when claimed; false when the
 * snapshot was stale (nothing changed). */
bool phase2_repurpose(struct stage *s, uint64_t frame, uint64_t vpn)
{
#ifdef SOLUTION
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    pte_t p;
    if (!phase2_lock_owner(s, frame, vpn, PFN_STANDBY, &p))
        return false;
    phase2_list_del(s, f);
    pte_store(&s->core.ptes[vpn], pte_make_disk(f->slot));
    f->slot = PAGEFILE_NO_SLOT;
    f->vpn = PFN_NO_VPN;
    f->state = PFN_FREE;
    s->frames[frame].claimed = true;
    stats_inc(s->core.stats, STAT_REPURPOSE);
    phase2_unlock_owner(s, frame, vpn);
    return true;
#else
    (void)s;
    (void)frame;
    (void)vpn;
    return false; /* TODO: lock owner, verify, old PTE -> DISK, claim */
#endif
}

#ifdef SOLUTION
/* Claim the head of the free list.  No lock held on entry or exit.
 * 0 and *out, or PHASE2_NO_FRAME when the list is empty. */
static int frames_claim_free(struct stage *s, uint64_t *out)
{
    uint64_t frame, vpn;
    while (phase2_list_peek(s, PFN_FREE, &frame, &vpn)) {
        struct pfn *f = pfn_get(&s->core.pfns, frame);
        lock_acquire(phase2_frame_lock(s, frame));
        bool ok = f->state == PFN_FREE && f->flags == 0 &&
                  !s->frames[frame].claimed;
        if (ok) {
            phase2_list_del(s, f);
            s->frames[frame].claimed = true;
        }
        lock_release(phase2_frame_lock(s, frame));
        if (ok) {
            *out = frame;
            return 0;
        }
    }
    return PHASE2_NO_FRAME;
}
#endif

/* Claim a frame for a fault: the free list first, else repurpose the
 * standby head; then kick a worker whose threshold now says there is work.
 * No lock held on entry or exit.  0 and *out (claimed, on no list, no
 * owner, no slot, contents undefined), or PHASE2_NO_FRAME (both lists
 * empty: nothing changed). */
int phase2_frame_get(struct stage *s, uint64_t *out)
{
#ifdef SOLUTION
    int rc = frames_claim_free(s, out);
    uint64_t frame, vpn;
    while (rc != 0 && phase2_list_peek(s, PFN_STANDBY, &frame, &vpn)) {
        phase2_hook(s, PHASE2_HOOK_REPURPOSE_SNAPSHOT, vpn);
        if (phase2_repurpose(s, frame, vpn)) {
            *out = frame;
            rc = 0;
        }
    }
    phase2_kick(s);
    return rc;
#else
    (void)s;
    (void)out;
    return -ENOSYS; /* TODO: claim from the free list, else repurpose */
#endif
}

/* Give back claimed frame 'frame' the fault did not use (debug builds
 * poison its bytes, so a stale read of a free frame shows).  No lock held
 * on entry or exit. */
void phase2_frame_put(struct stage *s, uint64_t frame)
{
#ifdef SOLUTION
    struct pfn *f = pfn_get(&s->core.pfns, frame);
#ifdef PAGELAB_DEBUG
    memset(machine_frame(s->core.machine, frame), FRAMES_POISON_FREE,
           MACHINE_PAGE_SIZE);
#endif
    lock_acquire(phase2_frame_lock(s, frame));
    s->frames[frame].claimed = false;
    f->vpn = PFN_NO_VPN;
    f->slot = PAGEFILE_NO_SLOT;
    phase2_list_add(s, f, PFN_FREE);
    lock_release(phase2_frame_lock(s, frame));
#else
    (void)s;
    (void)frame; /* TODO: unclaim, forget owner and slot, free list */
#endif
}
