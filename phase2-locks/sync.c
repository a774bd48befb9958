/*
 * sync.c - phase2's bottom file: the locks by what they protect, the
 * locked list operations and snapshot-then-verify, the quiesce gate, the
 * test hooks' call site, and the wait / wake-up primitives.  Every other
 * file calls down into this one; nothing here calls up into fault.c,
 * frames.c, trim.c, write.c or threads.c.  The lock order is written once,
 * in phase2_impl.h.
 *
 * Invariants (besides common/pfn.h's, which audit checks when quiescent):
 *   1. A frame's state, flags, vpn, slot and 'claimed' change only under
 *      its frame lock; its list membership changes only under both the
 *      frame lock and that list's lock (phase2_list_add / _del).
 *   2. lists[S].count equals core.pfns.lists[S].count whenever the list
 *      lock is free.
 *   3. The gate word's low bits count the faults and passes inside the
 *      gate; its high bits count every entry.  One atomic add changes both,
 *      so a thread that entered when nobody was inside and finds the word
 *      unchanged later was alone in the gate all along (phase2_gate_alone).
 *   4. No lost wake-up: a waiter makes itself known (a counter, or a
 *      generation read under sys), then checks the condition; a waker
 *      changes the condition, then looks for waiters.  Both sides use
 *      sequentially consistent atomics, or the sys lock.
 *
 * Locking: list locks are taken with the frame lock held; sys is a leaf.
 */
#include "phase2_impl.h"
#include "panic.h"

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
 * 'skip': their numbers and owners.  No lock held on entry or exit.
 * Returns how many (0 when the list is empty).  (A frame's vpn does not
 * change while it is on a list, so reading it under the list lock is
 * sound; everything else about the frame must be verified under its own
 * lock.) */
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

/* Frames a fault could take right now (free + standby). */
uint64_t phase2_available(struct stage *s)
{
    return phase2_count(s, PFN_FREE) + phase2_count(s, PFN_STANDBY);
}

/* ---- the quiesce gate -----------------------------------------------------
 * Faults and system passes enter the gate (one atomic add on the gate word
 * counts the entry and the thread inside); a quiescer closes it
 * (quiescing) and waits for nobody to be inside.  The fast path is two
 * sequentially consistent atomics: an entrant adds then checks quiescing,
 * the quiescer sets quiescing then checks the word, so one of them always
 * sees the other. */

/* Back out of the gate and wait (sys lock) until it opens.  No lock held. */
static void sync_gate_wait(struct stage *s)
{
    lock_acquire(&s->sys);
    if ((atomic_fetch_sub(&s->gate, 1) & PHASE2_GATE_INSIDE) == 1)
        pthread_cond_broadcast(&s->gate_cv);
    while (atomic_load(&s->quiescing))
        lock_wait(&s->sys, &s->gate_cv);
    lock_release(&s->sys);
}

/* Enter the gate, waiting while a quiescer holds it closed.  No lock held.
 * Returns the gate word as this entry left it (for phase2_gate_alone). */
uint64_t phase2_gate_enter(struct stage *s)
{
    const uint64_t one = PHASE2_GATE_ENTRY + 1;
    for (;;) {
        uint64_t word = atomic_fetch_add(&s->gate, one) + one;
        if (!atomic_load(&s->quiescing))
            return word;
        sync_gate_wait(s);
    }
}

/* Inside the gate, entered with 'word': was this thread alone in the gate
 * from that entry until now (nobody inside then, nobody entering since)?
 * Everything that moves a frame or a slot happens inside the gate, so a
 * thread alone there sees the stage hold still. */
bool phase2_gate_alone(struct stage *s, uint64_t word)
{
    return (word & PHASE2_GATE_INSIDE) == 1 && atomic_load(&s->gate) == word;
}

/* Leave the gate; the last one out wakes a waiting quiescer. */
void phase2_gate_exit(struct stage *s)
{
    if ((atomic_fetch_sub(&s->gate, 1) & PHASE2_GATE_INSIDE) == 1 &&
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
    while ((atomic_load(&s->gate) & PHASE2_GATE_INSIDE) > 0)
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

/* Call the test hook at point with vpn, if one is installed (phase2.c
 * installs them). */
void phase2_hook(struct stage *s, enum phase2_hook_point point, uint64_t vpn)
{
    phase2_hook_fn fn = atomic_load(&s->hooks[point].fn);
    if (fn != NULL)
        fn(atomic_load(&s->hooks[point].arg), point, vpn);
}

/* ---- waking the workers ----------------------------------------------------
 * Thresholds (phase2.c sets them from the frame count), with hysteresis:
 *   the trimmer wakes when free + standby + modified < high_water / 2 and
 *     works until it reaches high_water (or the active list is empty);
 *   the writer wakes when the modified list is long (>= write_threshold),
 *     or free + standby < low_water, or a user thread waits for a frame,
 *     and works until the modified list is empty.
 * A kick is checked against the worker's 'idle' flag with sequentially
 * consistent atomics: the worker sets idle then reads the counts, a kicker
 * changes a count then reads idle, so one of them sees the other. */

/* Does worker w's threshold say there is work?  Lock-free (a hint).
 * Hysteresis: an idle worker starts at the 'wake' threshold and, once
 * busy, keeps going until the 'continue' one is met, so it sleeps and
 * wakes once per several pages instead of once per page:
 *   trimmer  wake: free + standby + modified < high_water / 2
 *            continue: ... < high_water (and the active list not empty);
 *   writer   wake: modified >= write_threshold, or modified and
 *            (free + standby < low_water or a user thread waits)
 *            continue: modified not empty. */
bool phase2_work_needed(struct stage *s, enum phase2_worker w, bool busy)
{
    uint64_t avail = phase2_available(s);
    uint64_t modified = phase2_count(s, PFN_MODIFIED);
    if (w == PHASE2_TRIMMER) {
        uint64_t mark = busy ? s->high_water : (s->high_water + 1) / 2;
        return phase2_count(s, PFN_ACTIVE) > 0 && avail + modified < mark;
    }
    if (busy)
        return modified > 0;
    return modified > 0 &&
           (modified >= s->write_threshold || avail < s->low_water ||
            atomic_load(&s->waiters) > 0);
}

/* Bump the kick generation and wake both workers.  sys held. */
void phase2_kick_locked(struct stage *s)
{
    s->kick_gen++;
    for (int w = 0; w < PHASE2_WORKERS; w++)
        pthread_cond_signal(&s->work_cv[w]);
}

/* Wake a worker whose threshold says there is work and that may be
 * sleeping.  No lock held, or any lock but sys. */
void phase2_kick(struct stage *s)
{
    for (int w = 0; w < PHASE2_WORKERS; w++) {
        if (atomic_load(&s->idle[w]) && phase2_work_needed(s, w, false)) {
            lock_acquire(&s->sys);
            phase2_kick_locked(s);
            lock_release(&s->sys);
            return;
        }
    }
}

/* List 'state' gained a frame.  Waiters for the workers can only use a
 * FREE or STANDBY frame; inline waiters wait for any list to gain one.  A
 * frame becoming ACTIVE or MODIFIED may give a worker work.  Any lock but
 * sys may be held.  (Lost wake-ups: a waiter counts itself, then reads the
 * list counts; this runs after the count changed, then reads the waiter
 * counts; both sequentially consistent, so one sees the other.) */
void phase2_list_gained(struct stage *s, enum pfn_state state)
{
    bool usable = state == PFN_FREE || state == PFN_STANDBY;
    if ((usable && atomic_load(&s->waiters) > 0) ||
        atomic_load(&s->inline_waiters) > 0) {
        lock_acquire(&s->sys);
        pthread_cond_broadcast(&s->frame_cv);
        lock_release(&s->sys);
    }
    if (!usable)
        phase2_kick(s);
}

/* ---- waiting for a write ------------------------------------------------ */

/* Register a fault that must wait for the write of a frame whose lock it
 * holds (the frame is WRITING).  Returns the generation to wait past. */
uint64_t phase2_write_wait_begin(struct stage *s)
{
    lock_acquire(&s->sys);
    atomic_fetch_add(&s->write_waiters, 1);
    uint64_t gen = s->writes_done;
    lock_release(&s->sys);
    return gen;
}

/* Wait until a write finished after phase2_write_wait_begin returned gen.
 * No lock held.  (Any finished write ends the wait; the fault re-checks.) */
void phase2_write_wait_end(struct stage *s, uint64_t gen)
{
    lock_acquire(&s->sys);
    while (s->writes_done == gen)
        lock_wait(&s->sys, &s->write_done_cv);
    atomic_fetch_sub(&s->write_waiters, 1);
    lock_release(&s->sys);
}

/* The writer cleared WRITING on a frame (its lock held): wake the faults
 * waiting for a write.  The waiter registered under the same frame lock
 * before, so it cannot be missed. */
void phase2_write_finished(struct stage *s)
{
    if (atomic_load(&s->write_waiters) == 0)
        return;
    lock_acquire(&s->sys);
    s->writes_done++;
    pthread_cond_broadcast(&s->write_done_cv);
    lock_release(&s->sys);
}
