/*
 * sync.c - the bottom of phase3: its locks, by what they protect, the
 * locked list operations and the wait / wake primitives.  Nothing here
 * calls up into the other files of the stage.
 *
 *   - a switchable lock (struct p3_lock): a pthread mutex or a spin lock
 *     with bounded exponential backoff (PHASE3_OPT_SPIN_LOCKS);
 *   - the PTE region locks, the region of a page and its valid mask;
 *   - the per-frame lock: a bit in the frame's stage word, which also
 *     holds the frame's cache tag and age (their accessors are inline in
 *     phase3_impl.h);
 *   - a thread context's frame-cache lock;
 *   - the list locks: link / unlink / count / grab a batch;
 *   - the generations (frames available, write batches done) and the
 *     wake-ups of the system threads.
 *
 * The spin lock is a test-and-test-and-set word.  A waiter spins on a
 * plain load (the line stays shared until the holder releases), and after
 * each failed exchange doubles its pause, up to SPIN_MAX_PAUSE; past that
 * it yields the CPU, so a holder that was preempted on this 2-core machine
 * gets to run instead of being starved by spinners.
 *
 * Invariants:
 *   1. A spin word is 1 exactly while one thread holds it; it is released
 *      with a release store and taken with an acquire exchange.
 *   2. Every acquire and release is reported to lockorder (debug builds),
 *      so the hierarchy in phase3_impl.h is checked whichever kind runs.
 *   3. A frame's stage word: bit 0 is the frame's lock (taken with an
 *      acquire fetch_or, dropped with a release fetch_and); bits 8-15 the
 *      tag of the cache holding it, changed only by the frame lock's
 *      holder; bits 16-23 its age, changed only under the region lock of
 *      the page it belongs to.  Tag and age change by fetch_xor from the
 *      value their (single) writer knows, so no change to one field can
 *      undo a concurrent change to another.
 *   4. No wake-up is missed, though the generations are bumped without a
 *      lock (a lock round trip per trim and write batch, from both cores,
 *      was measurable).  A waiter increments its waiter count (under
 *      events) and only then reads the generation; a bumper increments
 *      the generation and only then reads the waiter count; both
 *      sequentially consistent.  So either the bumper sees the waiter and
 *      broadcasts under events (the waiter holds events until it sleeps,
 *      so the broadcast finds it asleep), or the waiter sees the new
 *      generation and does not sleep.
 *
 * Lock order: see phase3_impl.h.  This file implements the locks and the
 * list operations that take them.
 */
#include "phase3_impl.h"
#include "panic.h"

#include <sched.h>

#define SPIN_MAX_PAUSE 64

const struct lockorder_class phase3_trim_class = {"p3_trim", 5, false};
const struct lockorder_class phase3_region_class = {"p3_region", 10, true};
static const struct lockorder_class sync_pfn_class = {"p3_pfn", 20, false};
const struct lockorder_class phase3_list_class = {"p3_list", 30, false};
static const struct lockorder_class sync_cache_class = {"p3_cache", 40,
                                                        false};
const struct lockorder_class phase3_events_class = {"p3_events", 50, false};

/* One pause instruction's worth of waiting. */
static inline void sync_spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Back off after a failed attempt: *pause pauses, doubled each time, then
 * yields once past SPIN_MAX_PAUSE. */
static inline void sync_spin_backoff(unsigned *pause)
{
    if (*pause <= SPIN_MAX_PAUSE) {
        for (unsigned i = 0; i < *pause; i++)
            sync_spin_pause();
        *pause <<= 1;
    } else {
        sched_yield();
    }
}

/* Take the spin word w: spin with bounded exponential backoff, then yield.
 * Returns with w held (no lockorder bookkeeping here). */
static void sync_spin_take(_Atomic uint32_t *w)
{
    unsigned pause = 1;
    for (;;) {
        if (atomic_load_explicit(w, memory_order_relaxed) == 0 &&
            atomic_exchange_explicit(w, 1, memory_order_acquire) == 0)
            return;
        sync_spin_backoff(&pause);
    }
}

/* Try the spin word once; true when taken. */
static bool sync_spin_try(_Atomic uint32_t *w)
{
    return atomic_load_explicit(w, memory_order_relaxed) == 0 &&
           atomic_exchange_explicit(w, 1, memory_order_acquire) == 0;
}

/* Release the spin word.  Debug builds check invariant 1 with an
 * exchange (aborting on a word that was not held); release builds use a
 * plain release store, which costs no locked instruction. */
static void sync_spin_drop(_Atomic uint32_t *w, const char *func)
{
#ifdef PAGELAB_DEBUG
    if (atomic_exchange_explicit(w, 0, memory_order_release) != 1)
        panic(func, "released a lock that was not held");
#else
    (void)func;
    atomic_store_explicit(w, 0, memory_order_release);
#endif
}

/* Initialise l of class cls: a spin lock when mutex is NULL, otherwise
 * a lock over *mutex (storage the caller keeps for l's lifetime). */
void phase3_lock_init(struct p3_lock *l, const struct lockorder_class *cls,
                      struct lock *mutex)
{
    atomic_init(&l->spin, 0);
    l->cls = cls;
    l->mutex = mutex;
    if (mutex != NULL)
        lock_init(mutex, cls);
}

void phase3_lock_destroy(struct p3_lock *l)
{
    if (l->mutex != NULL)
        lock_destroy(l->mutex);
}

/* Blocking acquire (order-checked).  No locks of a lower rank may be
 * needed afterwards. */
void phase3_lock_acquire(struct p3_lock *l)
{
    if (l->mutex != NULL) {
        lock_acquire(l->mutex);
        return;
    }
    lockorder_acquire(l->cls, l);
    lock_amplifier_point();
    sync_spin_take(&l->spin);
}

/* Non-blocking acquire; true when taken (recorded, not order-checked). */
bool phase3_lock_try(struct p3_lock *l)
{
    if (l->mutex != NULL)
        return lock_try(l->mutex);
    if (!sync_spin_try(&l->spin))
        return false;
    lockorder_acquired_try(l->cls, l);
    return true;
}

/* Release a lock taken by acquire or a successful try. */
void phase3_lock_release(struct p3_lock *l)
{
    if (l->mutex != NULL) {
        lock_release(l->mutex);
        return;
    }
    lockorder_release(l->cls, l);
    sync_spin_drop(&l->spin, "phase3_lock_release");
    lock_amplifier_point();
}

/* ---- regions ------------------------------------------------------------ */

/* Record in the region's mask whether vpn's PTE is VALID.  Holds: the
 * region's lock. */
void phase3_set_valid(struct stage *s, uint64_t vpn, bool valid)
{
    uint64_t bit = 1ull << (vpn % P3_REGION_PAGES);
    struct p3_region *r = phase3_region_of(s, vpn);
    uint64_t mask = atomic_load_explicit(&r->valid, memory_order_relaxed);
    atomic_store_explicit(&r->valid, valid ? mask | bit : mask & ~bit,
                          memory_order_relaxed);
}

/* Lock / unlock the region holding vpn.  Order: no pfn, list, cache or
 * events lock held; other regions only at lower addresses. */
void phase3_region_lock(struct stage *s, uint64_t vpn)
{
    phase3_lock_acquire(&phase3_region_of(s, vpn)->lock);
}

void phase3_region_unlock(struct stage *s, uint64_t vpn)
{
    phase3_lock_release(&phase3_region_of(s, vpn)->lock);
}

/* ---- frames: the lock bit, the cache tag and the age (invariant 3) ------ */

/* Lock frame p (the lock bit of its stage word).  Holds: no list or cache
 * lock (rank order). */
void phase3_pfn_lock(struct pfn *p)
{
    lockorder_acquire(&sync_pfn_class, p);
    lock_amplifier_point();
    unsigned pause = 1;
    for (;;) {
        if (!(atomic_load_explicit(&p->stage_word, memory_order_relaxed) &
              P3_PFN_LOCKED) &&
            !(atomic_fetch_or_explicit(&p->stage_word, P3_PFN_LOCKED,
                                       memory_order_acquire) &
              P3_PFN_LOCKED))
            return;
        sync_spin_backoff(&pause);
    }
}

/* Try to lock frame p: legal while holding a list lock. */
bool phase3_pfn_trylock(struct pfn *p)
{
    if ((atomic_load_explicit(&p->stage_word, memory_order_relaxed) &
         P3_PFN_LOCKED) ||
        (atomic_fetch_or_explicit(&p->stage_word, P3_PFN_LOCKED,
                                  memory_order_acquire) &
         P3_PFN_LOCKED))
        return false;
    lockorder_acquired_try(&sync_pfn_class, p);
    return true;
}

/* Unlock frame p.  A fetch_and, not a store: the age may change
 * meanwhile under the region lock (invariant 3). */
void phase3_pfn_unlock(struct pfn *p)
{
    lockorder_release(&sync_pfn_class, p);
    uint32_t old = atomic_fetch_and_explicit(&p->stage_word, ~P3_PFN_LOCKED,
                                             memory_order_release);
#ifdef PAGELAB_DEBUG
    if (!(old & P3_PFN_LOCKED))
        panic("phase3_pfn_unlock", "released a lock that was not held");
#else
    (void)old;
#endif
}

/* Is frame p locked?  (Audits, quiescent.) */
bool phase3_pfn_locked(struct pfn *p)
{
    return atomic_load(&p->stage_word) & P3_PFN_LOCKED;
}

/* Lock a thread context's frame cache (a leaf: take nothing under it). */
void phase3_cache_lock(struct p3_thread *t)
{
    lockorder_acquire(&sync_cache_class, t);
    sync_spin_take(&t->cache_lock);
}

void phase3_cache_unlock(struct p3_thread *t)
{
    lockorder_release(&sync_cache_class, t);
    sync_spin_drop(&t->cache_lock, "phase3_cache_unlock");
}

/* ---- lists -------------------------------------------------------------- */

/* Link p onto the list of state st.  Holds: p's pfn lock (or p is in hand);
 * takes and drops the list lock.  A state kept on no list
 * (PHASE3_OPT_UNLISTED_ACTIVE: active frames) has no list to lock: only
 * the frame's state changes, under the locks the caller holds. */
void phase3_list_link(struct stage *s, struct pfn *p, enum pfn_state st)
{
    if (!pfn_listed(&s->core.pfns, st)) {
        pfn_link(&s->core.pfns, p, st);
        return;
    }
    phase3_lock_acquire(&s->lists[st].lock);
    pfn_link(&s->core.pfns, p, st);
    phase3_lock_release(&s->lists[st].lock);
}

/* Take p off the list its state names.  Holds: what phase3_list_link does. */
void phase3_list_unlink(struct stage *s, struct pfn *p)
{
    if (!pfn_listed(&s->core.pfns, p->state))
        return;
    struct p3_lock *l = &s->lists[p->state].lock;
    phase3_lock_acquire(l);
    pfn_unlink(&s->core.pfns, p);
    phase3_lock_release(l);
}

/* Frames on the list of state st (a consistent read under its lock). */
uint64_t phase3_list_count(struct stage *s, enum pfn_state st)
{
    phase3_lock_acquire(&s->lists[st].lock);
    uint64_t n = pfn_count(&s->core.pfns, st);
    phase3_lock_release(&s->lists[st].lock);
    return n;
}

/* Take up to want frames off the list of state st into out[], setting
 * 'flag' on each and tagging it with 'tag' (phase3_pfn_set_tag).  Frames
 * whose lock is busy are skipped.  *left gets the frames left on the list.
 * Frames taken for writing are shown to the test hook, if one is set
 * (phase3_set_write_hook).  Returns the number taken.  Holds nothing;
 * takes the list lock and trylocks frames under it (the one way against
 * the order). */
unsigned phase3_list_grab(struct stage *s, enum pfn_state st, uint8_t flag,
                          uint8_t tag, struct pfn **out, unsigned want,
                          uint64_t *left)
{
    struct pfn_db *db = &s->core.pfns;
    struct list *l = &db->lists[st];
    unsigned n = 0;
    phase3_lock_acquire(&s->lists[st].lock);
    struct list_node *node = list_head(l);
    while (node != NULL && n < want) {
        struct pfn *p = list_entry(node, struct pfn, link);
        node = list_next(l, node);
        if (!phase3_pfn_trylock(p))
            continue;
        pfn_unlink(db, p);
        p->flags |= flag;
        phase3_pfn_set_tag(p, tag);
        phase3_pfn_unlock(p);
        out[n++] = p;
    }
    *left = pfn_count(db, st);
    phase3_lock_release(&s->lists[st].lock);
    if (flag == PFN_FLAG_WRITING && n > 0 && s->write_hook != NULL)
        s->write_hook(s->write_hook_arg);
    return n;
}

void phase3_set_write_hook(struct stage *s, void (*fn)(void *arg), void *arg)
{
    s->write_hook = fn;
    s->write_hook_arg = arg;
}

/* ---- wait and wake (invariant 4) --------------------------------------- */

/* Wake the trimmer and/or the writer if the system threads run.  Holds:
 * nothing (events is taken). */
void phase3_wake_system(struct stage *s, bool trim, bool write)
{
    lock_acquire(&s->events);
    if (s->running && trim && !s->trim_wanted) {
        s->trim_wanted = true;
        pthread_cond_signal(&s->trim_cv);
        atomic_fetch_add_explicit(&s->wakeups, 1, memory_order_relaxed);
    }
    if (s->running && write && !s->write_wanted) {
        s->write_wanted = true;
        pthread_cond_broadcast(&s->write_cv);
        atomic_fetch_add_explicit(&s->wakeups, 1, memory_order_relaxed);
    }
    lock_release(&s->events);
}

/* Bump generation gen; if waiters (the count of threads waiting on cv)
 * may be asleep, broadcast cv under events (invariant 4). */
static void sync_bump_and_wake(struct stage *s, _Atomic uint64_t *gen,
                               _Atomic unsigned *waiters, pthread_cond_t *cv)
{
    atomic_fetch_add(gen, 1);
    if (atomic_load(waiters) == 0)
        return;
    lock_acquire(&s->events);
    pthread_cond_broadcast(cv);
    lock_release(&s->events);
}

/* Frames were put where refill finds them: wake frame waiters. */
void phase3_frames_available(struct stage *s)
{
    sync_bump_and_wake(s, &s->frame_gen, &s->frame_waiters, &s->frame_cv);
}

uint64_t phase3_frame_gen(struct stage *s)
{
    return atomic_load(&s->frame_gen);
}

uint64_t phase3_write_gen(struct stage *s)
{
    return atomic_load(&s->write_gen);
}

/* A write batch finished: wake rescues waiting for it. */
void phase3_writes_done(struct stage *s)
{
    sync_bump_and_wake(s, &s->write_gen, &s->write_waiters, &s->written_cv);
}

/* Wait until a write batch completes after gen was read.  Holds nothing. */
void phase3_wait_write(struct stage *s, uint64_t gen)
{
    lock_acquire(&s->events);
    atomic_fetch_add(&s->write_waiters, 1);
    while (atomic_load(&s->write_gen) == gen)
        lock_wait(&s->events, &s->written_cv);
    atomic_fetch_sub(&s->write_waiters, 1);
    lock_release(&s->events);
}
