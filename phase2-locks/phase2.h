/*
 * phase2.h - phase2-locks: the Windows-NT-style page state machine made
 * correct under concurrency: N user threads fault at once while a trimmer
 * thread and a modified-page writer thread run beside them, all under
 * fine-grained locks (a lock per run of PTEs, per frame, per list).
 *
 * Users of the stage go through phase2_ops (see common/stage.h).  Besides
 * the operations table, the stage exports:
 *   - phase2_quiesce / phase2_resume: stop the world for an audit while
 *     user threads keep running (faults and system passes wait at a gate);
 *   - a TEST-ONLY hook API: a test registers a callback that the stage calls
 *     at a named point of a race window, so the test can force a race
 *     deterministically (e.g. fault on a page while the writer has it).
 */
#ifndef PAGELAB_PHASE2_H
#define PAGELAB_PHASE2_H

#include <stdint.h>

#include "stage.h"

extern const struct stage_ops phase2_ops;

/* PTEs covered by one PTE-region lock. */
#define PHASE2_PTES_PER_LOCK 64

/* Block new faults and system-thread passes, then wait until the ones in
 * flight have finished.  On return the PTEs, PFN database and lists hold
 * still (user threads may still load and store through existing mappings)
 * and ops->audit may run.  The caller must hold no stage lock and must not
 * be a thread that is inside a fault.  One quiescer at a time. */
void phase2_quiesce(struct stage *s);
/* Let the faults and passes held at the gate go on. */
void phase2_resume(struct stage *s);

/* ---- test-only API ------------------------------------------------------
 * Named points inside race windows.  Locks held when the hook runs:
 *   FAULT_ENTER        none; a fault on vpn begins.
 *   FRAME_CLAIMED      none; the fault on vpn claimed a frame and will now
 *                      re-lock its PTE region and re-check the PTE.
 *   REPURPOSE_SNAPSHOT none; vpn is the owner of the standby frame about to
 *                      be repurposed (snapshot taken, not yet verified).
 *   TRIM_BEFORE_UNMAP  vpn's PTE-region lock and its frame's lock; the PTE
 *                      is already TRANSITION, the old mapping still exists.
 *   WRITE_IN_FLIGHT    none; vpn's frame is marked WRITING, off every list,
 *                      and its write has not started.
 *   WAIT_WRITE         none; a write fault on vpn found its frame being
 *                      written and is about to wait for the write to end.
 * A hook may call ops->fault from the hooked thread only where no lock is
 * held.  Hooks are for tests: set them while no thread is in the stage. */
enum phase2_hook_point {
    PHASE2_HOOK_FAULT_ENTER,
    PHASE2_HOOK_FRAME_CLAIMED,
    PHASE2_HOOK_REPURPOSE_SNAPSHOT,
    PHASE2_HOOK_TRIM_BEFORE_UNMAP,
    PHASE2_HOOK_WRITE_IN_FLIGHT,
    PHASE2_HOOK_WAIT_WRITE,
    PHASE2_HOOK_COUNT
};

typedef void (*phase2_hook_fn)(void *arg, enum phase2_hook_point point,
                               uint64_t vpn);

/* Install fn (NULL: remove) at point; fn gets arg.  Test-only. */
void phase2_set_test_hook(struct stage *s, enum phase2_hook_point point,
                          phase2_hook_fn fn, void *arg);

/* Test-only: take a frame lock, then a PTE-region lock: the inverse of the
 * hierarchy.  A lockorder build aborts naming both locks; otherwise it just
 * takes and releases them. */
void phase2_test_invert_lock_order(struct stage *s);

#endif
