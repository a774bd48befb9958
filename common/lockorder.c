/*
 * lockorder.c - a small lockdep: catch lock-order inversions the moment
 * they happen, in any test run, instead of waiting for the deadlock.
 *
 * Every lock belongs to a class with a rank (see lockorder.h).  Each thread
 * keeps a stack of the instances it holds.  A blocking acquisition must be
 * of a class ranked above every class already held; the one exception is a
 * nestable class taken again at a higher address than any instance of it
 * already held (PTE regions locked left to right).
 *
 * Invariants:
 *   1. held[0..nheld) lists exactly the instances this thread holds, in
 *      acquisition order (releases may happen in any order).
 *   2. nheld <= LOCKORDER_MAX_HELD.
 *
 * Locking: none; all state is thread-local.
 */
#include "lockorder.h"
#include "panic.h"

#ifdef PAGELAB_LOCKORDER

#include <stdio.h>
#include <stdlib.h>

struct held_lock {
    const struct lockorder_class *cls;
    const void *instance;
};

static _Thread_local struct held_lock held[LOCKORDER_MAX_HELD];
static _Thread_local unsigned nheld;

/* Print a violation and abort. */
static void lockorder_die(const char *what, const struct lockorder_class *c,
                          const struct held_lock *h)
{
    char why[256];
    snprintf(why, sizeof why, "%s '%s' (rank %u) while holding '%s' (rank %u)",
             what, c->name, c->rank, h->cls->name, h->cls->rank);
    panic("lockorder", why);
}

/* True when taking (c, instance) while holding h respects the order. */
static bool lockorder_allowed(const struct lockorder_class *c,
                              const void *instance, const struct held_lock *h)
{
    if (h->cls == c)
        return c->nestable && (const char *)h->instance < (const char *)instance;
    return h->cls->rank < c->rank;
}

/* Push (c, instance) on this thread's held stack; aborts when full. */
static void lockorder_push(const struct lockorder_class *c, const void *instance)
{
    if (nheld == LOCKORDER_MAX_HELD) {
        panic("lockorder", "more than LOCKORDER_MAX_HELD locks held at once");
    }
    held[nheld].cls = c;
    held[nheld].instance = instance;
    nheld++;
}

/* Check a blocking acquisition against every held lock, then record it. */
void lockorder_acquire(const struct lockorder_class *c, const void *instance)
{
    for (unsigned i = 0; i < nheld; i++) {
        if (held[i].instance == instance)
            lockorder_die("re-acquiring", c, &held[i]);
        if (!lockorder_allowed(c, instance, &held[i]))
            lockorder_die("acquiring", c, &held[i]);
    }
    lockorder_push(c, instance);
}

/* Record a successful trylock: it cannot deadlock, so no order check. */
void lockorder_acquired_try(const struct lockorder_class *c,
                            const void *instance)
{
    lockorder_push(c, instance);
}

/* Index of (c, instance) on the held stack, or -1. */
static int lockorder_find(const struct lockorder_class *c, const void *instance)
{
    for (int i = (int)nheld - 1; i >= 0; i--)
        if (held[i].cls == c && held[i].instance == instance)
            return i;
    return -1;
}

/* Forget a held instance (any order); aborts when it is not held. */
void lockorder_release(const struct lockorder_class *c, const void *instance)
{
    int i = lockorder_find(c, instance);
    if (i < 0) {
        char why[128];
        snprintf(why, sizeof why, "releasing '%s', which this thread does "
                 "not hold", c->name);
        panic("lockorder", why);
    }
    for (unsigned j = (unsigned)i; j + 1 < nheld; j++)
        held[j] = held[j + 1];
    nheld--;
}

unsigned lockorder_held(void)
{
    return nheld;
}

/* Abort unless this thread holds (c, instance). */
void lockorder_assert_held(const struct lockorder_class *c,
                           const void *instance)
{
    if (lockorder_find(c, instance) < 0) {
        char why[128];
        snprintf(why, sizeof why, "'%s' must be held here", c->name);
        panic("lockorder", why);
    }
}

#endif /* PAGELAB_LOCKORDER */
