/*
 * phase3_lock.c - the locks phase3 is built from: a switchable lock (pthread
 * mutex or spin lock with bounded exponential backoff), the per-frame lock
 * bit in struct pfn, and the frame-cache lock.
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
 *
 * Lock order: see phase3_impl.h.  This file only implements the locks.
 */
#include "phase3_impl.h"
#include "panic.h"

#include <sched.h>

#define SPIN_MAX_PAUSE 64

const struct lockorder_class phase3_trim_class = {"p3_trim", 5, false};
const struct lockorder_class phase3_region_class = {"p3_region", 10, true};
static const struct lockorder_class pfn_class = {"p3_pfn", 20, false};
const struct lockorder_class phase3_list_class = {"p3_list", 30, false};
static const struct lockorder_class cache_class = {"p3_cache", 40, false};
const struct lockorder_class phase3_events_class = {"p3_events", 50, false};

/* One pause instruction's worth of waiting. */
static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Take the spin word w: spin with bounded exponential backoff, then yield.
 * Returns with w held (no lockorder bookkeeping here). */
static void spin_take(_Atomic uint32_t *w)
{
    unsigned pause = 1;
    for (;;) {
        if (atomic_load_explicit(w, memory_order_relaxed) == 0 &&
            atomic_exchange_explicit(w, 1, memory_order_acquire) == 0)
            return;
        if (pause <= SPIN_MAX_PAUSE) {
            for (unsigned i = 0; i < pause; i++)
                spin_pause();
            pause <<= 1;
        } else {
            sched_yield();
        }
    }
}

/* Try the spin word once; true when taken. */
static bool spin_try(_Atomic uint32_t *w)
{
    return atomic_load_explicit(w, memory_order_relaxed) == 0 &&
           atomic_exchange_explicit(w, 1, memory_order_acquire) == 0;
}

/* Release the spin word.  Debug builds check invariant 1 with an
 * exchange (aborting on a word that was not held); release builds use a
 * plain release store, which costs no locked instruction. */
static void spin_drop(_Atomic uint32_t *w, const char *func)
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
    spin_take(&l->spin);
}

/* Non-blocking acquire; true when taken (recorded, not order-checked). */
bool phase3_lock_try(struct p3_lock *l)
{
    if (l->mutex != NULL)
        return lock_try(l->mutex);
    if (!spin_try(&l->spin))
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
    spin_drop(&l->spin, "phase3_lock_release");
    lock_amplifier_point();
}

/* Lock frame p (its 'lock' word is the lock bit).  Holds: no list or cache
 * lock (rank order). */
void phase3_pfn_lock(struct pfn *p)
{
    lockorder_acquire(&pfn_class, p);
    lock_amplifier_point();
    spin_take(&p->lock);
}

/* Try to lock frame p: legal while holding a list lock. */
bool phase3_pfn_trylock(struct pfn *p)
{
    if (!spin_try(&p->lock))
        return false;
    lockorder_acquired_try(&pfn_class, p);
    return true;
}

void phase3_pfn_unlock(struct pfn *p)
{
    lockorder_release(&pfn_class, p);
    spin_drop(&p->lock, "phase3_pfn_unlock");
}

/* Lock a thread context's frame cache (a leaf: take nothing under it). */
void phase3_cache_lock(struct p3_thread *t)
{
    lockorder_acquire(&cache_class, t);
    spin_take(&t->cache_lock);
}

void phase3_cache_unlock(struct p3_thread *t)
{
    lockorder_release(&cache_class, t);
    spin_drop(&t->cache_lock, "phase3_cache_unlock");
}
