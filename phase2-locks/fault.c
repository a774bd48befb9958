/*
 * fault.c - phase2's page-fault handler, safe with many faulting threads.
 *
 * A fault locks the PTE region of its page, reads the PTE and acts on its
 * format:
 *   VALID       phase2_fault_valid: write to a read-only page -> upgrade
 *               (writable, dirty, stale slot freed); otherwise spurious
 *               (another thread resolved it first: nothing to do);
 *   TRANSITION  phase2_fault_rescue: take the frame back from the modified
 *               or standby list, or, for a read, from under the writer
 *               (REWRITE);
 *   ZERO, DISK  phase2_fault_new: needs a frame.  Frames are claimed with
 *               NO lock held (claiming may repurpose a standby frame, which
 *               locks that page's region), so the fault drops its region
 *               lock, claims, re-locks and re-reads the PTE: the page may
 *               have been resolved meanwhile (then the frame goes back to
 *               the free list and the fault is spurious).
 * When no frame is free or on standby the fault leaves the gate and asks
 * threads.c for one (phase2_wait_for_frame), then starts over.  A write
 * fault on a page whose frame is being written waits (region unlocked)
 * for the write to end, then starts over: a page is never writable while
 * the writer copies it, so the copy is never torn.
 *
 * Invariants kept (VALID bits and the slot rule: phase2_impl.h):
 *   1. A read fault maps read-only, a write fault read-write; writable
 *      implies dirty, and a dirty page owns no slot.  No page is writable
 *      while its frame is WRITING.
 *   2. The frame's contents are ready (zeroed or read) before the PTE
 *      publishes it, and the hw mapping exists before the region unlocks.
 *   3. A fault that fails leaves its page as it found it; a claimed frame
 *      it could not use goes back to the free list.
 *
 * Locking: region(vpn) -> frame -> list / page file, as in phase2.c.
 * Frame claims (free list, standby repurpose) run with no lock held.
 */
#include <string.h>

#include "phase2_impl.h"
#include "panic.h"

#define PHASE2_NONE UINT64_MAX
#define PHASE2_POISON_FREE 0xdf /* debug: bytes of a frame given back */

/* Resolve a fault at va; see stage_ops.fault.  No lock held on entry or
 * exit.  0, -EFAULT (outside the range), -ENOSPC / -EIO (nothing lost). */
int phase2_fault(struct stage *s, uint64_t va, bool is_write)
{
    struct machine *m = s->core.machine;
    if (!machine_va_valid(m, va))
        return -EFAULT;
    uint64_t vpn = machine_vpn(m, va);
    phase2_hook(s, PHASE2_HOOK_FAULT_ENTER, vpn);
    for (;;) {
        phase2_gate_enter(s);
        int rc = phase2_fault_page(s, vpn, is_write);
        phase2_gate_exit(s);
        if (rc != PHASE2_NO_FRAME)
            return rc;
        rc = phase2_wait_for_frame(s);
        if (rc < 0)
            return rc;
    }
}

#ifdef SOLUTION
/* Claim the head of the free list.  No lock held on entry or exit.
 * 0 and *out, or PHASE2_NO_FRAME when the list is empty. */
static int phase2_claim_free(struct stage *s, uint64_t *out)
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

/* Repurpose standby frame 'frame' owned by vpn (a snapshot): lock in
 * order, verify, turn the owner's PTE into DISK(slot), claim the frame.
 * No lock held on entry or exit.  true when claimed. */
static bool phase2_repurpose(struct stage *s, uint64_t frame, uint64_t vpn)
{
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
}

/* Claim a frame: the free list first, else repurpose the standby head.
 * No lock held on entry or exit.  0 and *out (claimed, on no list, no
 * owner, no slot), or PHASE2_NO_FRAME. */
static int phase2_claim_frame(struct stage *s, uint64_t *out)
{
    int rc = phase2_claim_free(s, out);
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
}

/* Give back a claimed frame the fault did not use (debug builds poison
 * its bytes, so a stale read of a free frame shows).  No lock held. */
static void phase2_unclaim(struct stage *s, uint64_t frame)
{
    struct pfn *f = pfn_get(&s->core.pfns, frame);
#ifdef PAGELAB_DEBUG
    memset(machine_frame(s->core.machine, frame), PHASE2_POISON_FREE,
           MACHINE_PAGE_SIZE);
#endif
    lock_acquire(phase2_frame_lock(s, frame));
    s->frames[frame].claimed = false;
    f->vpn = PFN_NO_VPN;
    f->slot = PAGEFILE_NO_SLOT;
    phase2_list_add(s, f, PFN_FREE);
    lock_release(phase2_frame_lock(s, frame));
}

/* VALID: upgrade a read-only page on a write, else nothing to do.  A
 * page whose frame is being written may not become writable: *gen gets
 * what to wait for and the result is PHASE2_BUSY.  region(vpn) held on
 * entry and exit.  0, PHASE2_BUSY, or machine_map's error. */
static int phase2_fault_valid(struct stage *s, uint64_t vpn, pte_t p,
                              bool is_write, uint64_t *gen)
{
    if (!is_write || pte_writable(p)) {
        stats_inc(s->core.stats, STAT_FAULT_SPURIOUS);
        return 0;
    }
    uint64_t frame = pte_frame(p);
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    lock_acquire(phase2_frame_lock(s, frame));
    int rc = PHASE2_BUSY;
    if (f->flags & PFN_FLAG_WRITING)
        *gen = phase2_write_wait_begin(s);
    else
        rc = machine_map(s->core.machine, vpn, frame, true);
    if (rc == 0) {
        if (f->slot != PAGEFILE_NO_SLOT) {
            pagefile_free(s->core.pagefile, f->slot);
            f->slot = PAGEFILE_NO_SLOT;
        }
        pte_store(&s->core.ptes[vpn], pte_make_valid(frame, true, true, true));
        stats_inc(s->core.stats, STAT_FAULT_UPGRADE);
    }
    lock_release(phase2_frame_lock(s, frame));
    return rc;
}

/* Take rescued frame f (lock held) off its list, or, when the writer has
 * it, mark it REWRITE and leave it off the lists (the writer files it). */
static void phase2_rescue_unlist(struct stage *s, struct pfn *f)
{
    stats_inc(s->core.stats, STAT_FAULT_TRANSITION);
    if (f->flags & PFN_FLAG_WRITING) {
        stats_inc(s->core.stats, STAT_RESCUE_MODIFIED);
        f->flags |= PFN_FLAG_REWRITE;
        f->state = PFN_ACTIVE;
        return;
    }
    stats_inc(s->core.stats, f->state == PFN_STANDBY ? STAT_RESCUE_STANDBY
                                                     : STAT_RESCUE_MODIFIED);
    phase2_list_del(s, f);
}

/* TRANSITION: rescue the frame and map it.  A read may rescue a frame the
 * writer is writing (REWRITE, see trim.c); a write must wait for the write
 * to end (PHASE2_BUSY, *gen as in phase2_fault_valid).  region(vpn) held
 * on entry and exit.  0, PHASE2_BUSY, or machine_map's error (nothing
 * changed). */
static int phase2_fault_rescue(struct stage *s, uint64_t vpn, pte_t p,
                               bool is_write, uint64_t *gen)
{
    uint64_t frame = pte_frame(p);
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    lock_acquire(phase2_frame_lock(s, frame));
    if (f->vpn != vpn)
        panic("phase2_fault_rescue", "transition PTE and frame disagree");
    int rc = PHASE2_BUSY;
    if (is_write && (f->flags & PFN_FLAG_WRITING))
        *gen = phase2_write_wait_begin(s);
    else
        rc = machine_map(s->core.machine, vpn, frame, is_write);
    if (rc == 0) {
        bool writing = (f->flags & PFN_FLAG_WRITING) != 0;
        phase2_rescue_unlist(s, f);
        if (is_write && f->slot != PAGEFILE_NO_SLOT) {
            pagefile_free(s->core.pagefile, f->slot);
            f->slot = PAGEFILE_NO_SLOT;
        }
        pte_store(&s->core.ptes[vpn],
                  pte_make_valid(frame, is_write, true,
                                 f->slot == PAGEFILE_NO_SLOT));
        if (!writing)
            phase2_list_add(s, f, PFN_ACTIVE);
    }
    lock_release(phase2_frame_lock(s, frame));
    return rc;
}

/* ZERO or DISK: fill claimed frame 'frame' (zeroes or the slot's bytes),
 * map it, publish the PTE.  A read keeps the slot (the page stays clean);
 * a write frees it.  region(vpn) held on entry and exit.  0 (the frame is
 * used), or the read's / map's error (the frame is not used). */
static int phase2_fault_new(struct stage *s, uint64_t vpn, pte_t p,
                            uint64_t frame, bool is_write)
{
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    void *page = machine_frame(s->core.machine, frame);
    uint64_t slot = PAGEFILE_NO_SLOT;
    if (pte_format(p) == PTE_ZERO) {
        memset(page, 0, MACHINE_PAGE_SIZE);
    } else {
        slot = pte_slot(p);
        int rc = pagefile_read(s->core.pagefile, slot, page);
        if (rc < 0)
            return rc;
    }
    int rc = machine_map(s->core.machine, vpn, frame, is_write);
    if (rc < 0)
        return rc;
    bool keep = !is_write && slot != PAGEFILE_NO_SLOT;
    lock_acquire(phase2_frame_lock(s, frame));
    s->frames[frame].claimed = false;
    f->vpn = vpn;
    f->slot = keep ? slot : PAGEFILE_NO_SLOT;
    pte_store(&s->core.ptes[vpn], pte_make_valid(frame, is_write, true, !keep));
    phase2_list_add(s, f, PFN_ACTIVE);
    lock_release(phase2_frame_lock(s, frame));
    if (slot != PAGEFILE_NO_SLOT && !keep)
        pagefile_free(s->core.pagefile, slot);
    stats_inc(s->core.stats, slot == PAGEFILE_NO_SLOT ? STAT_FAULT_ZERO
                                                      : STAT_FAULT_DISK);
    if (slot != PAGEFILE_NO_SLOT)
        stats_inc(s->core.stats, STAT_PAGE_READ);
    return 0;
}
#endif

/* One attempt at the fault on vpn, inside the gate.  No lock held on
 * entry or exit.  0, -errno, or PHASE2_NO_FRAME (nothing was changed). */
int phase2_fault_page(struct stage *s, uint64_t vpn, bool is_write)
{
#ifdef SOLUTION
    uint64_t claimed = PHASE2_NONE;
    struct lock *region = phase2_region_lock(s, vpn);
    for (;;) {
        lock_acquire(region);
        pte_t p = pte_load(&s->core.ptes[vpn]);
        enum pte_format fmt = pte_format(p);
        uint64_t gen = 0;
        int rc;
        if (fmt == PTE_VALID) {
            rc = phase2_fault_valid(s, vpn, p, is_write, &gen);
        } else if (fmt == PTE_TRANSITION) {
            rc = phase2_fault_rescue(s, vpn, p, is_write, &gen);
        } else if (claimed != PHASE2_NONE) {
            rc = phase2_fault_new(s, vpn, p, claimed, is_write);
            if (rc == 0)
                claimed = PHASE2_NONE;
        } else {
            lock_release(region);
            rc = phase2_claim_frame(s, &claimed);
            if (rc != 0)
                return rc;
            phase2_hook(s, PHASE2_HOOK_FRAME_CLAIMED, vpn);
            continue;
        }
        lock_release(region);
        if (rc == PHASE2_BUSY) {
            phase2_hook(s, PHASE2_HOOK_WAIT_WRITE, vpn);
            phase2_write_wait_end(s, gen);
            continue;
        }
        if (claimed != PHASE2_NONE)
            phase2_unclaim(s, claimed);
        return rc;
    }
#else
    (void)s;
    (void)vpn;
    (void)is_write;
    return -ENOSYS; /* TODO: lock vpn's region, dispatch on the PTE format */
#endif
}
