/*
 * check_lock.c - the stages' mutex: trylock (refused while another thread
 * holds the lock, exempt from the order, recorded), condition waits that
 * really release the lock and come back holding it (lockorder agrees), and
 * the race amplifier (seed reporting, the PAGELAB_RACE_SEED override, and
 * mutual exclusion that survives its perturbations).
 *
 * Helper threads only take and release locks and set flags; every
 * assertion is made by the test's main thread.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catch_abort.h"
#include "check_util.h"
#include "lock.h"

/* lockorder records held locks only in test builds (PAGELAB_LOCKORDER). */
#ifdef PAGELAB_LOCKORDER
#define HELD(n) (n)
#else
#define HELD(n) 0
#endif

static const struct lockorder_class low_class = {"test.low", 1, false};
static const struct lockorder_class high_class = {"test.high", 2, false};

/* A lock, a condition, and the flags a helper thread works with. */
struct pair {
    struct lock lock;
    pthread_cond_t cv;
    _Atomic int held;      /* the helper holds the lock */
    _Atomic int go;        /* the helper may release it */
    bool ready;            /* guarded by lock: the predicate waited for */
    _Atomic int tried;     /* the helper's lock_try result (+1: taken) */
};

static void pair_init(struct pair *p)
{
    memset(p, 0, sizeof(*p));
    lock_init(&p->lock, &low_class);
    pthread_cond_init(&p->cv, NULL);
}

static void pair_destroy(struct pair *p)
{
    pthread_cond_destroy(&p->cv);
    lock_destroy(&p->lock);
}

/* Hold the lock until told to let go. */
static void *holder(void *arg)
{
    struct pair *p = arg;
    lock_acquire(&p->lock);
    atomic_store(&p->held, 1);
    while (!atomic_load(&p->go))
        sched_yield();
    lock_release(&p->lock);
    return NULL;
}

/* Take the lock (possible only while the waiter is waiting), make the
 * predicate true and signal. */
static void *signaller(void *arg)
{
    struct pair *p = arg;
    lock_acquire(&p->lock);
    p->ready = true;
    pthread_cond_signal(&p->cv);
    lock_release(&p->lock);
    return NULL;
}

/* One lock_try, result in p->tried (1 taken, -1 refused). */
static void *trier(void *arg)
{
    struct pair *p = arg;
    bool got = lock_try(&p->lock);
    if (got)
        lock_release(&p->lock);
    atomic_store(&p->tried, got ? 1 : -1);
    return NULL;
}

/* Run fn(p) in a new thread and wait for it. */
static void run_thread(void *(*fn)(void *), struct pair *p)
{
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fn, p), 0);
    pthread_join(t, NULL);
}

START_TEST(test_try_takes_a_free_lock_and_records_it)
{
    struct pair p;
    pair_init(&p);
    ck_assert_uint_eq(lockorder_held(), 0);
    ck_assert(lock_try(&p.lock));
    ck_assert_uint_eq(lockorder_held(), HELD(1));
    lockorder_assert_held(&low_class, &p.lock);
    run_thread(trier, &p); /* held here: another thread is refused */
    ck_assert_int_eq(atomic_load(&p.tried), -1);
    lock_release(&p.lock);
    ck_assert_uint_eq(lockorder_held(), 0);
    run_thread(trier, &p);
    ck_assert_int_eq(atomic_load(&p.tried), 1);
    pair_destroy(&p);
}
END_TEST

START_TEST(test_try_fails_while_another_thread_holds_it)
{
    struct pair p;
    pair_init(&p);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, holder, &p), 0);
    while (!atomic_load(&p.held))
        sched_yield();
    bool got = lock_try(&p.lock);
    unsigned held = lockorder_held();
    atomic_store(&p.go, 1);
    pthread_join(t, NULL);
    ck_assert(!got);
    ck_assert_uint_eq(held, 0); /* a refused try records nothing */
    ck_assert(lock_try(&p.lock)); /* let go: free again */
    lock_release(&p.lock);
    pair_destroy(&p);
}
END_TEST

START_TEST(test_try_is_exempt_from_the_order)
{
    struct lock low, high;
    lock_init(&low, &low_class);
    lock_init(&high, &high_class);
    lock_acquire(&high);
    /* low after high would abort as a blocking acquire; a try cannot
     * deadlock, so it is allowed and recorded */
    ck_assert(lock_try(&low));
    ck_assert_uint_eq(lockorder_held(), HELD(2));
    lock_release(&low);
    lock_release(&high);
    ck_assert_uint_eq(lockorder_held(), 0);
    lock_acquire(&low); /* the written order still works */
    lock_acquire(&high);
    ck_assert_uint_eq(lockorder_held(), HELD(2));
    lock_release(&high);
    lock_release(&low);
    lock_destroy(&low);
    lock_destroy(&high);
}
END_TEST

START_TEST(test_wait_releases_the_lock_and_retakes_it)
{
    struct pair p;
    pair_init(&p);
    lock_acquire(&p.lock);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, signaller, &p), 0);
    while (!p.ready) /* the signaller can only get in while we wait */
        lock_wait(&p.lock, &p.cv);
    unsigned held = lockorder_held();
    run_thread(trier, &p); /* and we hold the lock again */
    lock_release(&p.lock);
    pthread_join(t, NULL);
    ck_assert(p.ready);
    ck_assert_uint_eq(held, HELD(1));
    ck_assert_int_eq(atomic_load(&p.tried), -1);
    ck_assert_uint_eq(lockorder_held(), 0);
    pair_destroy(&p);
}
END_TEST

START_TEST(test_wait_until_returns_true_when_signalled)
{
    struct pair p;
    pair_init(&p);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 600; /* a deadlock guard, never a timing claim */
    lock_acquire(&p.lock);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, signaller, &p), 0);
    bool woken = true;
    while (!p.ready && woken)
        woken = lock_wait_until(&p.lock, &p.cv, &deadline);
    unsigned held = lockorder_held();
    lock_release(&p.lock);
    pthread_join(t, NULL);
    ck_assert(woken);
    ck_assert(p.ready);
    ck_assert_uint_eq(held, HELD(1));
    pair_destroy(&p);
}
END_TEST

/* --- the race amplifier --------------------------------------------------- */

#define AMP_THREADS 4
#define AMP_ROUNDS 3000

struct amp {
    struct lock lock;
    uint64_t counter; /* guarded by lock (plain, so a lost update shows) */
    uint64_t tries;   /* guarded by lock: increments made via lock_try */
};

static void *amp_worker(void *arg)
{
    struct amp *a = arg;
    for (int i = 0; i < AMP_ROUNDS; i++) {
        if (i % 3 == 0 && lock_try(&a->lock)) {
            a->tries++;
        } else {
            lock_acquire(&a->lock);
        }
        a->counter++;
        lock_amplifier_point();
        lock_release(&a->lock);
    }
    return NULL;
}

/* Run AMP_THREADS workers on a fresh lock; returns the final counter. */
static uint64_t amp_run(uint64_t *tries)
{
    struct amp a = {.counter = 0};
    lock_init(&a.lock, &low_class);
    pthread_t t[AMP_THREADS];
    for (int i = 0; i < AMP_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, amp_worker, &a), 0);
    for (int i = 0; i < AMP_THREADS; i++)
        pthread_join(t[i], NULL);
    lock_destroy(&a.lock);
    *tries = a.tries;
    return a.counter;
}

/* Save PAGELAB_RACE_SEED and clear it; restore with env_restore. */
static char *env_clear(void)
{
    const char *v = getenv("PAGELAB_RACE_SEED");
    char *saved = v != NULL ? strdup(v) : NULL;
    unsetenv("PAGELAB_RACE_SEED");
    return saved;
}

static void env_restore(char *saved)
{
    if (saved != NULL)
        setenv("PAGELAB_RACE_SEED", saved, 1);
    else
        unsetenv("PAGELAB_RACE_SEED");
    free(saved);
}

START_TEST(test_amplified_locks_still_exclude)
{
    char *saved = env_clear();
    ck_assert_uint_eq(lock_amplifier_enable(12345), 12345);
    uint64_t tries, counter = amp_run(&tries);
    ck_assert_uint_eq(lock_amplifier_enable(999), 999); /* reseeds threads */
    uint64_t tries2, counter2 = amp_run(&tries2);
    lock_amplifier_disable();
    env_restore(saved);
    ck_assert_uint_eq(counter, (uint64_t)AMP_THREADS * AMP_ROUNDS);
    ck_assert_uint_eq(counter2, (uint64_t)AMP_THREADS * AMP_ROUNDS);
    ck_assert_uint_le(tries, counter);
    ck_assert_uint_eq(lockorder_held(), 0);
}
END_TEST

START_TEST(test_amplifier_reports_its_seed_and_honours_the_environment)
{
    char *saved = env_clear();
    uint64_t given = lock_amplifier_enable(42);
    uint64_t given_seen = lock_amplifier_seed();
    setenv("PAGELAB_RACE_SEED", "0x77", 1);
    uint64_t from_env = lock_amplifier_enable(42);
    setenv("PAGELAB_RACE_SEED", "", 1); /* empty: as if unset */
    uint64_t empty_env = lock_amplifier_enable(43);
    unsetenv("PAGELAB_RACE_SEED");
    uint64_t from_clock = lock_amplifier_enable(0);
    uint64_t clock_seen = lock_amplifier_seed();
    lock_amplifier_disable();
    env_restore(saved);
    ck_assert_uint_eq(given, 42);
    ck_assert_uint_eq(given_seen, 42);
    ck_assert_uint_eq(from_env, 0x77);
    ck_assert_uint_eq(empty_env, 43);
    ck_assert_uint_ne(from_clock, 0);
    ck_assert_uint_eq(clock_seen, from_clock);
}
END_TEST

/* Nanoseconds of CLOCK_REALTIME time t. */
static long long ns_of(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* lock_deadline_in_ms: ms after the clock read while it ran, tv_nsec
 * normalized, across the whole-second carry (999 ms, 1500 ms) and for 0;
 * a wait until a 20 ms deadline times out no earlier than it. */
START_TEST(test_deadline_in_ms_is_that_far_ahead_and_normalized)
{
    static const unsigned ms[] = {0, 1, 10, 999, 1000, 1500};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        struct timespec before, after;
        clock_gettime(CLOCK_REALTIME, &before);
        struct timespec d = lock_deadline_in_ms(ms[i]);
        clock_gettime(CLOCK_REALTIME, &after);
        ck_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
        long long want = (long long)ms[i] * 1000000LL;
        ck_assert(ns_of(d) - ns_of(before) >= want);
        ck_assert(ns_of(d) - ns_of(after) <= want);
    }
    struct pair p;
    pair_init(&p);
    struct timespec start, end;
    clock_gettime(CLOCK_REALTIME, &start);
    struct timespec d = lock_deadline_in_ms(20);
    lock_acquire(&p.lock);
    while (lock_wait_until(&p.lock, &p.cv, &d))
        ; /* nobody signals: only a spurious wake-up returns true */
    clock_gettime(CLOCK_REALTIME, &end);
    lock_release(&p.lock);
    ck_assert(ns_of(end) - ns_of(start) >= 20000000LL);
    pair_destroy(&p);
}
END_TEST

/* --- limits --------------------------------------------------------------- */

START_TEST(test_wait_until_a_past_deadline_times_out_holding_the_lock)
{
    struct pair p;
    pair_init(&p);
    struct timespec past = {.tv_sec = 1, .tv_nsec = 0}; /* 1970 */
    lock_acquire(&p.lock);
    bool woken = lock_wait_until(&p.lock, &p.cv, &past);
    unsigned held = lockorder_held();
    run_thread(trier, &p);
    lock_release(&p.lock);
    ck_assert(!woken);
    ck_assert_uint_eq(held, HELD(1));
    ck_assert_int_eq(atomic_load(&p.tried), -1); /* still ours on return */
    ck_assert_uint_eq(lockorder_held(), 0);
    pair_destroy(&p);
}
END_TEST

/* A deadline with tv_nsec past a second is malformed: the wait must abort
 * naming the function, not sleep or return garbage. */
static void wait_malformed(void *arg)
{
    struct pair *p = arg;
    struct timespec bad = {.tv_sec = 1, .tv_nsec = 2000000000L};
    lock_wait_until(&p->lock, &p->cv, &bad);
}

START_TEST(test_wait_until_a_malformed_deadline_aborts)
{
    struct pair p;
    pair_init(&p);
    lock_acquire(&p.lock);
    bool aborted = catch_abort(wait_malformed, &p);
    unsigned held = lockorder_held();
    /* the wait was refused before it let go of the mutex, but lockorder
     * had already dropped its record: unlock beneath it */
    pthread_mutex_unlock(&p.lock.mutex);
    run_thread(trier, &p);
    ck_assert(aborted);
    ck_assert_uint_eq(held, 0);
    ck_assert_int_eq(atomic_load(&p.tried), 1);
    pair_destroy(&p);
}
END_TEST

static Suite *make_lock_suite(void)
{
    Suite *s = suite_create("lock");
    TCase *core = check_util_tcase(s, "core", "public", 120);
    tcase_add_test(core, test_try_takes_a_free_lock_and_records_it);
    tcase_add_test(core, test_try_fails_while_another_thread_holds_it);
    tcase_add_test(core, test_try_is_exempt_from_the_order);
    tcase_add_test(core, test_wait_releases_the_lock_and_retakes_it);
    tcase_add_test(core, test_wait_until_returns_true_when_signalled);
    tcase_add_test(core, test_amplified_locks_still_exclude);
    tcase_add_test(core, test_deadline_in_ms_is_that_far_ahead_and_normalized);
    tcase_add_test(core,
                   test_amplifier_reports_its_seed_and_honours_the_environment);
    TCase *limits = check_util_tcase(s, "limits", "public", 120);
    tcase_add_test(limits,
                   test_wait_until_a_past_deadline_times_out_holding_the_lock);
    tcase_add_test(limits, test_wait_until_a_malformed_deadline_aborts);
    return s;
}

CHECK_MAIN(make_lock_suite)
