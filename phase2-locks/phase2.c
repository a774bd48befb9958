/*
 * phase2.c - phase2-locks' frame: create and destroy the stage, its locks
 * and lists, the quiesce gate, the audit, the test hooks, and the
 * operations table.  The state machine itself is in fault.c (faults),
 * trim.c (trim and write-back) and threads.c (the system threads).
 *
 * THE LOCK HIERARCHY.  A thread takes locks only downward along this tree
 * (lockorder enforces the ranks in test builds):
 *
 *   PTE-region lock (rank 20, one per 64 PTEs; at most one held)
 *    +-- frame lock (rank 30, one per physical frame; at most one held)
 *         +-- list lock (rank 40: free, active, modified, standby;
 *         |             at most one held)
 *         (the page-file bitmap takes no lock: common/pagefile is
 *          lock-free, so it may be called holding any of these)
 *   sys lock (rank 90: thread control, wake-ups, the quiesce gate; a
 *             leaf: it may be taken under any lock above, and no lock is
 *             ever taken while it is held)
 *
 * Where the order must be broken.  A list hands out a frame before we know
 * (or hold) its owner's PTE region; a frame found on a list is locked
 * before its list (list -> frame would invert the order).  phase2 never
 * inverts: it takes a SNAPSHOT of the list head (frame number and owner
 * vpn) under the list lock, drops it, takes the locks in hierarchy order
 * (owner's region, then the frame), and VERIFIES that the frame is still
 * what the snapshot said (state, no flags, same owner, PTE still pointing
 * at it).  A failed check just retries with a fresh snapshot.  We chose
 * snapshot-then-verify over trylock-and-retry because the verify is needed
 * anyway (a trylock that succeeds still finds a frame that may have moved)
 * and because it never spins on a lock held by a thread that is itself
 * waiting: a blocking acquire in order cannot deadlock.
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

/* ---- locks and lists ---------------------------------------------------- */

/* The lock of the PTE region holding vpn (vpn < virtual pages). */
struct lock *phase2_region_lock(struct stage *s, uint64_t vpn)
{
    return &s->regions[vpn / PHASE2_PTES_PER_LOCK];
}

/* The lock of frame (frame < nframes). */
struct lock *phase2_frame_lock(struct stage *s, uint64_t frame)
{
    return &s->frames[frame].lock;
}

/* Link f (on no list, frame lock held) onto list 'state' and set its
 * state; then wake who can use it (phase2_list_gained). */
void phase2_list_add(struct stage *s, struct pfn *f, enum pfn_state state)
{
    struct phase2_list *l = &s->lists[state];
    lock_acquire(&l->lock);
    pfn_link(&s->core.pfns, f, state);
    atomic_store(&l->count, pfn_count(&s->core.pfns, state));
    lock_release(&l->lock);
    phase2_list_gained(s, state);
}

/* Unlink f (frame lock held) from the list of its state. */
void phase2_list_del(struct stage *s, struct pfn *f)
{
    struct phase2_list *l = &s->lists[f->state];
    lock_acquire(&l->lock);
    pfn_unlink(&s->core.pfns, f);
    atomic_store(&l->count, pfn_count(&s->core.pfns, f->state));
    lock_release(&l->lock);
}

/* Snapshot up to max frames of list 'state', after skipping the first
 * 'skip': their numbers and owners.  No lock held on entry or exit.  Returns how many (0 when
 * the list is empty).  (A frame's vpn does not change while it is on a
 * list, so reading it under the list lock is sound; everything else about
 * the frame must be verified under its own lock.) */
size_t phase2_list_snapshot(struct stage *s, enum pfn_state state,
                            uint64_t skip, uint64_t *frames, uint64_t *vpns,
                            size_t max)
{
    struct phase2_list *l = &s->lists[state];
    struct list *list = &s->core.pfns.lists[state];
    size_t n = 0;
    lock_acquire(&l->lock);
    for (struct list_node *node = list_head(list); node != NULL && n < max;
         node = list_next(list, node)) {
        if (skip > 0) {
            skip--;
            continue;
        }
        struct pfn *f = list_entry(node, struct pfn, link);
        frames[n] = pfn_number(&s->core.pfns, f);
        vpns[n++] = f->vpn;
    }
    lock_release(&l->lock);
    return n;
}

/* Snapshot the head of list 'state' (see phase2_list_snapshot).  false
 * when the list is empty. */
bool phase2_list_peek(struct stage *s, enum pfn_state state, uint64_t *frame,
                      uint64_t *vpn)
{
    return phase2_list_snapshot(s, state, 0, frame, vpn, 1) == 1;
}

/* Lock the owner's region, then the frame, and VERIFY a snapshot (frame,
 * vpn) taken from list 'state': the frame is still in that state with no
 * flags, owned by vpn, and vpn's PTE (VALID for ACTIVE, TRANSITION for
 * MODIFIED / STANDBY) names it.  No lock held on entry.  true: both locks
 * held and *pte is the PTE; false: no lock held (the snapshot was stale). */
bool phase2_lock_owner(struct stage *s, uint64_t frame, uint64_t vpn,
                       enum pfn_state state, pte_t *pte)
{
    struct pfn *f = pfn_get(&s->core.pfns, frame);
    enum pte_format want = state == PFN_ACTIVE ? PTE_VALID : PTE_TRANSITION;
    lock_acquire(phase2_region_lock(s, vpn));
    lock_acquire(phase2_frame_lock(s, frame));
    *pte = pte_load(&s->core.ptes[vpn]);
    if (f->state == state && f->flags == 0 && f->vpn == vpn &&
        pte_format(*pte) == want && pte_frame(*pte) == frame)
        return true;
    phase2_unlock_owner(s, frame, vpn);
    return false;
}

/* Release what a successful phase2_lock_owner took. */
void phase2_unlock_owner(struct stage *s, uint64_t frame, uint64_t vpn)
{
    lock_release(phase2_frame_lock(s, frame));
    lock_release(phase2_region_lock(s, vpn));
}

/* Last published count of list 'state'. */
uint64_t phase2_count(struct stage *s, enum pfn_state state)
{
    return atomic_load(&s->lists[state].count);
}

/* ---- the quiesce gate -----------------------------------------------------
 * Faults and system passes enter the gate (in_flight++); a quiescer closes
 * it (quiescing) and waits for in_flight to reach 0.  The fast path is two
 * sequentially consistent atomics: an entrant increments then checks
 * quiescing, the quiescer sets quiescing then checks in_flight, so one of
 * them always sees the other. */

/* Back out of the gate and wait (sys lock) until it opens.  No lock held. */
static void phase2_gate_wait(struct stage *s)
{
    lock_acquire(&s->sys);
    if (atomic_fetch_sub(&s->in_flight, 1) == 1)
        pthread_cond_broadcast(&s->gate_cv);
    while (atomic_load(&s->quiescing))
        lock_wait(&s->sys, &s->gate_cv);
    lock_release(&s->sys);
}

/* Enter the gate, waiting while a quiescer holds it closed.  No lock held. */
void phase2_gate_enter(struct stage *s)
{
    atomic_fetch_add(&s->gate_entries, 1);
    for (;;) {
        atomic_fetch_add(&s->in_flight, 1);
        if (!atomic_load(&s->quiescing))
            return;
        phase2_gate_wait(s);
    }
}

/* Leave the gate; the last one out wakes a waiting quiescer. */
void phase2_gate_exit(struct stage *s)
{
    if (atomic_fetch_sub(&s->in_flight, 1) == 1 &&
        atomic_load(&s->quiescing)) {
        lock_acquire(&s->sys);
        pthread_cond_broadcast(&s->gate_cv);
        lock_release(&s->sys);
    }
}

/* Close the gate and wait until nothing is inside.  No lock held. */
void phase2_quiesce(struct stage *s)
{
    lock_acquire(&s->sys);
    if (atomic_load(&s->quiescing))
        panic("phase2_quiesce", "already quiescing");
    atomic_store(&s->quiescing, true);
    while (atomic_load(&s->in_flight) > 0)
        lock_wait(&s->sys, &s->gate_cv);
    lock_release(&s->sys);
}

/* Open the gate again. */
void phase2_resume(struct stage *s)
{
    lock_acquire(&s->sys);
    atomic_store(&s->quiescing, false);
    pthread_cond_broadcast(&s->gate_cv);
    lock_release(&s->sys);
}

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

/* Call the hook at point with vpn, if one is installed. */
void phase2_hook(struct stage *s, enum phase2_hook_point point, uint64_t vpn)
{
    phase2_hook_fn fn = atomic_load(&s->hooks[point].fn);
    if (fn != NULL)
        fn(atomic_load(&s->hooks[point].arg), point, vpn);
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
