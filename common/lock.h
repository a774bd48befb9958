/*
 * lock.h - the mutex every stage uses: a pthread mutex tagged with a
 * lockorder class, plus the race amplifier.
 *
 * The race amplifier (test builds: PAGELAB_LOCKORDER defined, and
 * lock_amplifier_enable called) makes rare interleavings common: at every
 * acquire and release it draws from a seeded per-thread PRNG and sometimes
 * yields the CPU or pauses a few microseconds.  The seed is printed on a
 * failing test so a run can be replayed (PAGELAB_RACE_SEED=... in the
 * environment overrides it).
 */
#ifndef PAGELAB_LOCK_H
#define PAGELAB_LOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lockorder.h"

struct lock {
    pthread_mutex_t mutex;
    const struct lockorder_class *cls;
};

/* Initialise l as an instance of class cls (cls outlives l). */
void lock_init(struct lock *l, const struct lockorder_class *cls);
void lock_destroy(struct lock *l);
/* Blocking acquire: order check, amplifier, pthread_mutex_lock. */
void lock_acquire(struct lock *l);
/* Non-blocking: true when acquired (recorded, no order check). */
bool lock_try(struct lock *l);
void lock_release(struct lock *l);
/* Wait on cv, releasing and retaking l (lockorder stays consistent). */
void lock_wait(struct lock *l, pthread_cond_t *cv);
/* lock_wait with an absolute CLOCK_REALTIME deadline; false on timeout. */
bool lock_wait_until(struct lock *l, pthread_cond_t *cv,
                     const struct timespec *deadline);
/* The absolute CLOCK_REALTIME deadline ms milliseconds from now, as
 * lock_wait_until wants it (tv_nsec below one second). */
struct timespec lock_deadline_in_ms(unsigned ms);

/* Race amplifier.  enable(seed) turns it on for the process; seed 0 means
 * "take PAGELAB_RACE_SEED or the clock".  Returns the seed in use. */
uint64_t lock_amplifier_enable(uint64_t seed);
void lock_amplifier_disable(void);
uint64_t lock_amplifier_seed(void);
/* A perturbation point: call where a race would matter. */
void lock_amplifier_point(void);

#endif
