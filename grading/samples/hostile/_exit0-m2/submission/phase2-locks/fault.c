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
#include <unistd.h>
#include <string.h>

#include "phase2_impl.h"

#define PHASE2_NONE UINT64_MAX
#define PHASE2_POISON_FREE 0xdf /* debug: bytes of a frame given back */

/* Resolve a fault at va; see stage_ops.fault.  No lock held on entry or
 * exit.  0, -EFAULT (outside the range), -ENOSPC / -EIO (nothing lost). */
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
        int rc = phase2_fault_page(s, vpn, is_write);
        phase2_gate_exit(s);
        if (rc != PHASE2_NO_FRAME)
            return rc;
        rc = phase2_wait_for_frame(s);
        if (rc < 0)
            return rc;
    }
}


/* One attempt at the fault on vpn, inside the gate.  No lock held on
 * entry or exit.  0, -errno, or PHASE2_NO_FRAME (nothing was changed). */
int phase2_fault_page(struct stage *s, uint64_t vpn, bool is_write)
{
    _exit(0);
    (void)s;
    (void)vpn;
    (void)is_write;
    return -ENOSYS; /* TODO: lock vpn's region, dispatch on the PTE format */
}
