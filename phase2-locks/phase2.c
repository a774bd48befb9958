/*
 * phase2.c - phase2-locks' top file: create and destroy the stage (its
 * locks, lists and thresholds), the audit, the test hooks' setters, and
 * the operations table.  The state machine is in the transition files,
 * as in phase1 (one name per transition, declared in phase2_impl.h):
 *
 *   fault.c    phase2_fault (dispatch), phase2_map_page, phase2_fault_zero,
 *              phase2_rescue, phase2_page_in, phase2_upgrade
 *   frames.c   phase2_repurpose, phase2_frame_get, phase2_frame_put
 *   trim.c     phase2_trim
 *   write.c    phase2_write_modified, phase2_reclaim_slots
 *   threads.c  the trimmer and writer threads, phase2_start / _stop,
 *              phase2_wait_for_frame (and the reclaim round)
 *   sync.c     the bottom: locks, locked list ops and snapshot-then-verify,
 *              the quiesce gate, wait / wake-up primitives
 * The lock order is written once, in phase2_impl.h.
 *
 * The calls between the files (every .c includes only phase2_impl.h and
 * common/ headers, so there is no include cycle):
 *
 *   phase2.c (ops) --> fault.c --> frames.c ------------------> sync.c
 *                  |      |                                      ^
 *                  |      +--> threads.c --> trim.c, write.c ----+
 *                  +--> threads.c (start/stop), trim.c, write.c
 *
 * DIRECT RECLAIM is the one place the design needs a loop, and phase2
 * keeps it out of the call graph.  In phase1, frames.c makes room by
 * calling trim and write-back, which hand frames back to frames.c
 * (frames.c -> trim.c / write.c -> frames.c).  In phase2 a fault that
 * finds no frame returns PHASE2_NO_FRAME out of the gate, holding nothing,
 * and fault.c asks threads.c (phase2_wait_for_frame): it waits for the
 * workers or runs a reclaim round of trim + write itself, then the fault
 * starts over.  trim.c and write.c never call fault.c, frames.c or
 * threads.c, and sync.c calls nothing above it: a frame gained wakes
 * waiters and kicks workers through condition variables, not calls.  So
 * the loop fault -> reclaim -> fault is a retry loop in phase2_fault, not
 * a cycle between files.
 *
 * Invariants (besides common/pfn.h's, which audit checks when quiescent):
 *   1. A frame's state, flags, vpn, slot and 'claimed' change only under
 *      its frame lock; its list membership changes only under both the
 *      frame lock and that list's lock.
 *   2. A frame with state S, no flags and not claimed is on list S.  A
 *      claimed frame is on no list, has no owner and is referenced by no
 *      PTE: only the fault that claimed it can reach it.
 *   3. A PTE changes only under its region lock (the soft MMU's accessed
 *      bit excepted: it sets it with a compare-exchange).
 *   4. lists[S].count equals core.pfns.lists[S].count whenever the list
 *      lock is free.
 */
#include "phase2_impl.h"
#include "panic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

static const struct lockorder_class phase2_region_class = {
    "phase2 pte region", 20, false};
static const struct lockorder_class phase2_frame_class = {
    "phase2 frame", 30, false};
static const struct lockorder_class phase2_list_class[PFN_STATE_COUNT] = {
    {"phase2 free list", 40, false},
    {"phase2 active list", 40, false},
    {"phase2 modified list", 40, false},
    {"phase2 standby list", 40, false},
};
static const struct lockorder_class phase2_sys_class = {"phase2 sys", 90,
                                                        false};

/* ---- test hooks ------------------------------------------------------- */

/* Install fn/arg at point (test-only; see phase2.h). */
void phase2_set_test_hook(struct stage *s, enum phase2_hook_point point,
                          phase2_hook_fn fn, void *arg)
{
    if ((unsigned)point >= PHASE2_HOOK_COUNT)
        panic("phase2_set_test_hook", "no such hook point");
    atomic_store(&s->hooks[point].arg, arg);
    atomic_store(&s->hooks[point].fn, fn);
}

/* Take frame 0's lock, then region 0's: against the hierarchy. */
void phase2_test_invert_lock_order(struct stage *s)
{
    lock_acquire(phase2_frame_lock(s, 0));
    lock_acquire(phase2_region_lock(s, 0));
    lock_release(phase2_region_lock(s, 0));
    lock_release(phase2_frame_lock(s, 0));
}

/* ---- audit ---------------------------------------------------------------- */

/* No frame may be claimed or in flight while quiescent.  0 or -1, msg. */
static int phase2_audit_idle(struct stage *s, char *msg, size_t msglen)
{
    struct pfn_db *db = &s->core.pfns;
    for (uint64_t i = 0; i < db->nframes; i++) {
        if (s->frames[i].claimed || db->frames[i].flags != 0) {
            snprintf(msg, msglen, "frame %llu is claimed or in flight "
                     "while quiescent", (unsigned long long)i);
            return -1;
        }
    }
    return 0;
}

/* Each list's published count equals its real count.  0 or -1, msg. */
static int phase2_audit_mirrors(struct stage *s, char *msg, size_t msglen)
{
    struct pfn_db *db = &s->core.pfns;
    for (int st = 0; st < PFN_STATE_COUNT; st++) {
        if (phase2_count(s, st) != pfn_count(db, st)) {
            snprintf(msg, msglen, "the %s list counts %llu frames but its "
                     "mirror says %llu", pfn_state_name(st),
                     (unsigned long long)pfn_count(db, st),
                     (unsigned long long)phase2_count(s, st));
            return -1;
        }
    }
    return 0;
}

/* ops->audit: every invariant, while quiescent. */
static int phase2_audit(struct stage *s, char *msg, size_t msglen)
{
    if (audit_core(&s->core, msg, msglen) != 0 ||
        phase2_audit_idle(s, msg, msglen) != 0 ||
        audit_dirty(&s->core, AUDIT_DIRTY_MEANS_NO_SLOT, msg, msglen) ||
        phase2_audit_mirrors(s, msg, msglen) != 0)
        return -1;
    return 0;
}

/* ---- create / destroy ----------------------------------------------------- */

/* Thresholds from the frame count and batch sizes. */
static void phase2_set_watermarks(struct stage *s)
{
    uint64_t n = s->core.config.physical_frames;
    uint64_t batch = s->core.config.write_batch;
    s->low_water = n / 8 > 1 ? n / 8 : 1;
    s->high_water = n / 4 > 2 ? n / 4 : 2;
    if (s->high_water > n)
        s->high_water = n;
    s->write_threshold = batch < n / 8 ? batch : n / 8;
    if (s->write_threshold == 0)
        s->write_threshold = 1;
}

/* Allocate and initialise the lock arrays.  0 or -ENOMEM (nothing left). */
static int phase2_locks_init(struct stage *s)
{
    uint64_t nframes = s->core.config.physical_frames;
    s->nregions = (s->core.config.virtual_pages + PHASE2_PTES_PER_LOCK - 1) /
                  PHASE2_PTES_PER_LOCK;
    s->regions = calloc(s->nregions, sizeof(*s->regions));
    s->frames = calloc(nframes, sizeof(*s->frames));
    if (s->regions == NULL || s->frames == NULL) {
        free(s->regions);
        free(s->frames);
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < s->nregions; i++)
        lock_init(&s->regions[i], &phase2_region_class);
    for (uint64_t i = 0; i < nframes; i++)
        lock_init(&s->frames[i].lock, &phase2_frame_class);
    for (int st = 0; st < PFN_STATE_COUNT; st++) {
        lock_init(&s->lists[st].lock, &phase2_list_class[st]);
        atomic_store(&s->lists[st].count, pfn_count(&s->core.pfns, st));
    }
    lock_init(&s->sys, &phase2_sys_class);
    for (int w = 0; w < PHASE2_WORKERS; w++)
        pthread_cond_init(&s->work_cv[w], NULL);
    pthread_cond_init(&s->frame_cv, NULL);
    pthread_cond_init(&s->gate_cv, NULL);
    pthread_cond_init(&s->write_done_cv, NULL);
    return 0;
}

/* Release what phase2_locks_init made. */
static void phase2_locks_destroy(struct stage *s)
{
    for (uint64_t i = 0; i < s->nregions; i++)
        lock_destroy(&s->regions[i]);
    for (uint64_t i = 0; i < s->core.config.physical_frames; i++)
        lock_destroy(&s->frames[i].lock);
    for (int st = 0; st < PFN_STATE_COUNT; st++)
        lock_destroy(&s->lists[st].lock);
    lock_destroy(&s->sys);
    for (int w = 0; w < PHASE2_WORKERS; w++)
        pthread_cond_destroy(&s->work_cv[w]);
    pthread_cond_destroy(&s->frame_cv);
    pthread_cond_destroy(&s->gate_cv);
    pthread_cond_destroy(&s->write_done_cv);
    free(s->regions);
    free(s->frames);
}

/* ops->create: build the stage (threads not started).  0 or -errno with
 * one sentence in err; nothing is left allocated on failure. */
static int phase2_create(const struct stage_config *cfg, struct stage **out,
                         char *err, size_t errlen)
{
    struct stage *s = stage_alloc(_Alignof(struct stage), sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "phase2: out of memory for the stage");
        return -ENOMEM;
    }
    int rc = stage_core_init(&s->core, cfg, &phase2_ops, s, err, errlen);
    if (rc != 0) {
        free(s);
        return rc;
    }
    if (phase2_locks_init(s) != 0) {
        stage_core_destroy(&s->core);
        free(s);
        snprintf(err, errlen, "phase2: out of memory for the lock arrays");
        return -ENOMEM;
    }
    phase2_set_watermarks(s);
    *out = s;
    return 0;
}

/* ops->destroy: stop the threads, release everything. */
static void phase2_destroy(struct stage *s)
{
    if (s == NULL)
        return;
    phase2_stop(s);
    stage_core_destroy(&s->core);
    phase2_locks_destroy(s);
    free(s);
}

const struct stage_ops phase2_ops = {
    .name = "phase2",
    .create = phase2_create,
    .destroy = phase2_destroy,
    .fault = phase2_fault,
    .trim = phase2_trim,
    .write_modified = phase2_write_modified,
    .start = phase2_start,
    .stop = phase2_stop,
    .audit = phase2_audit,
    .core = stage_core_of,
};
