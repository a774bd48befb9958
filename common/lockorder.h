/*
 * lockorder.h - a small lockdep: each lock belongs to a class with a rank;
 * a thread may only acquire a class whose rank is higher than every class
 * it holds.  A class marked 'nestable' may be held several times if the
 * instances are taken in increasing address order (PTE regions).
 *
 * On a violation it prints "lockorder: acquiring 'A' (rank 5) while holding
 * 'B' (rank 7)" and aborts.  A trylock is exempt from the order (it cannot
 * deadlock) but is recorded as held.
 *
 * Compiled in when PAGELAB_LOCKORDER is defined (debug and test builds);
 * otherwise the calls are empty inline functions.
 */
#ifndef PAGELAB_LOCKORDER_H
#define PAGELAB_LOCKORDER_H

#include <stdbool.h>

struct lockorder_class {
    const char *name;
    unsigned rank;   /* acquire in increasing rank */
    bool nestable;   /* same class again, increasing address order */
};

#define LOCKORDER_MAX_HELD 32

#ifdef PAGELAB_LOCKORDER
/* Check and record a blocking acquisition of 'instance' of class c. */
void lockorder_acquire(const struct lockorder_class *c, const void *instance);
/* Record a successful trylock (no order check). */
void lockorder_acquired_try(const struct lockorder_class *c,
                            const void *instance);
/* Forget a held instance; aborts if the thread does not hold it. */
void lockorder_release(const struct lockorder_class *c, const void *instance);
/* Number of locks the calling thread holds (tests assert 0 at the end). */
unsigned lockorder_held(void);
/* Abort unless the calling thread holds 'instance'. */
void lockorder_assert_held(const struct lockorder_class *c,
                           const void *instance);
#else
static inline void lockorder_acquire(const struct lockorder_class *c,
                                     const void *i) { (void)c; (void)i; }
static inline void lockorder_acquired_try(const struct lockorder_class *c,
                                          const void *i) { (void)c; (void)i; }
static inline void lockorder_release(const struct lockorder_class *c,
                                     const void *i) { (void)c; (void)i; }
static inline unsigned lockorder_held(void) { return 0; }
static inline void lockorder_assert_held(const struct lockorder_class *c,
                                         const void *i) { (void)c; (void)i; }
#endif

#endif
