/*
 * lock.c - the stages' mutex: a pthread mutex that knows its lockorder
 * class, plus the race amplifier.
 *
 * The race amplifier makes rare interleavings common in test builds.  At
 * each acquire and release point it draws from a per-thread xorshift PRNG
 * seeded from the process seed and a thread number, and with small
 * probabilities yields the CPU or sleeps a few microseconds.  The same seed
 * does not replay the same schedule exactly (the OS scheduler still
 * decides), but it replays the same perturbations, which is what makes a
 * reported failure likely to come back.
 *
 * Invariants:
 *   1. A lock's lockorder record is taken after the mutex is acquired
 *      (trylock) or before it is waited for (blocking), and dropped before
 *      the mutex is released: the checker never claims a lock the thread
 *      does not hold.
 *
 * Locking: the amplifier's state is process-wide atomics plus thread-local
 * PRNG state; no locks.
 */
#include "lock.h"
#include "panic.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_bool amp_enabled;
static _Atomic uint64_t amp_seed;
static _Atomic uint64_t amp_epoch;    /* bumped by every enable */
#ifdef PAGELAB_LOCKORDER
static _Atomic uint64_t amp_threads;  /* thread numbers handed out */
static _Thread_local uint64_t amp_state;
static _Thread_local uint64_t amp_state_epoch;
#endif

/* Abort with the function name and the pthread error. */
static void lock_die(const char *func, int err)
{
    char why[32];
    snprintf(why, sizeof why, "pthread error %d", err);
    panic(func, why);
}

/* Initialise l as an instance of cls. */
void lock_init(struct lock *l, const struct lockorder_class *cls)
{
    int err = pthread_mutex_init(&l->mutex, NULL);
    if (err != 0)
        lock_die("lock_init", err);
    l->cls = cls;
}

void lock_destroy(struct lock *l)
{
    pthread_mutex_destroy(&l->mutex);
}

/* Blocking acquire in hierarchy order (checked in test builds). */
void lock_acquire(struct lock *l)
{
    lock_amplifier_point();
    lockorder_acquire(l->cls, l);
    int err = pthread_mutex_lock(&l->mutex);
    if (err != 0)
        lock_die("lock_acquire", err);
}

/* Try once; true (and recorded) when acquired. */
bool lock_try(struct lock *l)
{
    lock_amplifier_point();
    int err = pthread_mutex_trylock(&l->mutex);
    if (err == EBUSY)
        return false;
    if (err != 0)
        lock_die("lock_try", err);
    lockorder_acquired_try(l->cls, l);
    return true;
}

/* Release a held lock. */
void lock_release(struct lock *l)
{
    lockorder_release(l->cls, l);
    int err = pthread_mutex_unlock(&l->mutex);
    if (err != 0)
        lock_die("lock_release", err);
    lock_amplifier_point();
}

/* Wait on cv; l is released while waiting and held again on return. */
void lock_wait(struct lock *l, pthread_cond_t *cv)
{
    lockorder_release(l->cls, l);
    int err = pthread_cond_wait(cv, &l->mutex);
    if (err != 0)
        lock_die("lock_wait", err);
    lockorder_acquired_try(l->cls, l);
}

/* lock_wait with an absolute CLOCK_REALTIME deadline; false on timeout. */
bool lock_wait_until(struct lock *l, pthread_cond_t *cv,
                     const struct timespec *deadline)
{
    lockorder_release(l->cls, l);
    int err = pthread_cond_timedwait(cv, &l->mutex, deadline);
    if (err != 0 && err != ETIMEDOUT)
        lock_die("lock_wait_until", err);
    lockorder_acquired_try(l->cls, l);
    return err == 0;
}

struct timespec lock_deadline_in_ms(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* splitmix64: spreads a seed into well-mixed PRNG state. */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Turn the amplifier on.  seed 0: PAGELAB_RACE_SEED, else the clock.
 * Returns the seed in use (print it when a test fails). */
uint64_t lock_amplifier_enable(uint64_t seed)
{
    const char *env = getenv("PAGELAB_RACE_SEED");
    if (env != NULL && *env != '\0')
        seed = strtoull(env, NULL, 0);
    if (seed == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = splitmix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32));
    }
    atomic_store(&amp_seed, seed);
    atomic_fetch_add(&amp_epoch, 1);
    atomic_store(&amp_enabled, true);
    return seed;
}

void lock_amplifier_disable(void)
{
    atomic_store(&amp_enabled, false);
}

uint64_t lock_amplifier_seed(void)
{
    return atomic_load(&amp_seed);
}

#ifdef PAGELAB_LOCKORDER
/* Next value of this thread's PRNG (reseeded after each enable). */
static uint64_t amp_next(void)
{
    uint64_t epoch = atomic_load_explicit(&amp_epoch, memory_order_relaxed);
    if (amp_state_epoch != epoch || amp_state == 0) {
        uint64_t n = atomic_fetch_add(&amp_threads, 1);
        amp_state = splitmix64(atomic_load(&amp_seed) ^ (n * 0x9e37u)) | 1;
        amp_state_epoch = epoch;
    }
    amp_state ^= amp_state << 13;
    amp_state ^= amp_state >> 7;
    amp_state ^= amp_state << 17;
    return amp_state;
}
#endif

/* A perturbation point: usually nothing; sometimes a yield (1 in 8) or a
 * pause of up to 20 us (1 in 64).  Does nothing unless enabled in a test
 * build. */
void lock_amplifier_point(void)
{
#ifdef PAGELAB_LOCKORDER
    if (!atomic_load_explicit(&amp_enabled, memory_order_relaxed))
        return;
    uint64_t r = amp_next();
    if ((r & 7) == 0) {
        sched_yield();
    } else if ((r & 63) == 1) {
        struct timespec pause = {0, (long)((r >> 8) % 20000)};
        nanosleep(&pause, NULL);
    }
#endif
}
