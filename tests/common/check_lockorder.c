/*
 * check_lockorder.c - the lock-order checker and the lock wrapper: legal
 * orders pass, every kind of inversion aborts naming both locks, trylock is
 * exempt, waits keep the bookkeeping straight, the race amplifier is
 * seeded and replayable.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "catch_abort.h"
#include "check_util.h"
#include "lock.h"
#include "lockorder.h"

static const struct lockorder_class cls_region = {"pte-region", 1, true};
static const struct lockorder_class cls_pfn = {"pfn", 2, false};
static const struct lockorder_class cls_list = {"list", 3, false};
static const struct lockorder_class cls_list2 = {"list-b", 3, false};

START_TEST(test_increasing_ranks_are_allowed)
{
    struct lock a, b, c;
    lock_init(&a, &cls_region);
    lock_init(&b, &cls_pfn);
    lock_init(&c, &cls_list);
    lock_acquire(&a);
    lock_acquire(&b);
    lock_acquire(&c);
    ck_assert_uint_eq(lockorder_held(), 3);
    lockorder_assert_held(&cls_pfn, &b);
    lock_release(&b); /* out-of-order release is fine */
    lock_release(&c);
    lock_release(&a);
    ck_assert_uint_eq(lockorder_held(), 0);
    lock_destroy(&a);
    lock_destroy(&b);
    lock_destroy(&c);
}
END_TEST

START_TEST(test_nestable_class_in_address_order)
{
    struct lock regions[2];
    lock_init(&regions[0], &cls_region);
    lock_init(&regions[1], &cls_region);
    lock_acquire(&regions[0]);
    lock_acquire(&regions[1]);
    ck_assert_uint_eq(lockorder_held(), 2);
    lock_release(&regions[1]);
    lock_release(&regions[0]);
    lock_destroy(&regions[0]);
    lock_destroy(&regions[1]);
}
END_TEST

START_TEST(test_trylock_is_exempt_from_order)
{
    struct lock pfn, list;
    lock_init(&pfn, &cls_pfn);
    lock_init(&list, &cls_list);
    lock_acquire(&list);
    ck_assert(lock_try(&pfn)); /* against the order, but cannot deadlock */
    ck_assert_uint_eq(lockorder_held(), 2);
    lock_release(&pfn);
    lock_release(&list);
    lock_destroy(&pfn);
    lock_destroy(&list);
}
END_TEST

static struct lock busy_lock;

static void *hold_busy_lock(void *arg)
{
    (void)arg;
    lock_acquire(&busy_lock);
    return NULL;
}

START_TEST(test_trylock_fails_when_held_elsewhere)
{
    lock_init(&busy_lock, &cls_pfn);
    pthread_t t;
    pthread_create(&t, NULL, hold_busy_lock, NULL);
    pthread_join(t, NULL); /* the thread exits holding it */
    ck_assert(!lock_try(&busy_lock));
    ck_assert_uint_eq(lockorder_held(), 0);
}
END_TEST

START_TEST(test_wait_keeps_bookkeeping)
{
    struct lock l;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    lock_init(&l, &cls_list);
    lock_acquire(&l);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    ck_assert(!lock_wait_until(&l, &cv, &deadline)); /* times out */
    ck_assert_uint_eq(lockorder_held(), 1);
    lockorder_assert_held(&cls_list, &l);
    lock_release(&l);
    lock_destroy(&l);
}
END_TEST

static struct lock signal_lock;
static pthread_cond_t signal_cv = PTHREAD_COND_INITIALIZER;
static int signalled;

static void *signal_waiter(void *arg)
{
    (void)arg;
    lock_acquire(&signal_lock);
    signalled = 1;
    pthread_cond_signal(&signal_cv);
    lock_release(&signal_lock);
    return NULL;
}

START_TEST(test_wait_returns_when_signalled)
{
    lock_init(&signal_lock, &cls_list);
    lock_acquire(&signal_lock);
    pthread_t t;
    pthread_create(&t, NULL, signal_waiter, NULL);
    while (!signalled)
        lock_wait(&signal_lock, &signal_cv);
    ck_assert_uint_eq(lockorder_held(), 1);
    lock_release(&signal_lock);
    pthread_join(t, NULL);
    lock_destroy(&signal_lock);
}
END_TEST

START_TEST(test_amplifier_seed_is_reported_and_settable)
{
    unsetenv("PAGELAB_RACE_SEED");
    ck_assert_uint_eq(lock_amplifier_enable(1234), 1234);
    ck_assert_uint_eq(lock_amplifier_seed(), 1234);
    setenv("PAGELAB_RACE_SEED", "0x99", 1);
    ck_assert_uint_eq(lock_amplifier_enable(1234), 0x99);
    unsetenv("PAGELAB_RACE_SEED");
    ck_assert_uint_ne(lock_amplifier_enable(0), 0); /* from the clock */
    struct lock l;
    lock_init(&l, &cls_pfn);
    for (int i = 0; i < 2000; i++) { /* exercise yields and pauses */
        lock_acquire(&l);
        lock_release(&l);
    }
    lock_amplifier_disable();
    ck_assert_uint_eq(lockorder_held(), 0);
    lock_destroy(&l);
}
END_TEST

/* --- limits: each violation aborts -------------------------------------
 * Each runs the offending call through catch_abort (so it also runs without
 * fork), asserts the abort, then releases what the test still holds. */

struct two_locks {
    struct lock *first;  /* taken legally before the offending call */
    struct lock *second; /* the offending acquisition */
};

static void acquire_second(void *arg)
{
    lock_acquire(((struct two_locks *)arg)->second);
}

/* Hold first, try to take second: must abort; leaves nothing held. */
static void assert_second_acquire_aborts(const struct lockorder_class *c1,
                                         const struct lockorder_class *c2,
                                         bool second_below_first)
{
    struct lock pair[2];
    struct lock *first = second_below_first ? &pair[1] : &pair[0];
    struct lock *second = second_below_first ? &pair[0] : &pair[1];
    lock_init(first, c1);
    lock_init(second, c2);
    lock_acquire(first);
    struct two_locks t = {first, second};
    ck_assert(catch_abort(acquire_second, &t));
    ck_assert_uint_eq(lockorder_held(), 1); /* the refused lock was not recorded */
    lock_release(first);
    lock_destroy(first);
    lock_destroy(second);
}

START_TEST(test_inverted_acquisition_aborts)
{
    assert_second_acquire_aborts(&cls_list, &cls_pfn, false);
}
END_TEST

START_TEST(test_equal_rank_classes_abort)
{
    assert_second_acquire_aborts(&cls_list, &cls_list2, false);
}
END_TEST

START_TEST(test_nestable_in_decreasing_address_aborts)
{
    assert_second_acquire_aborts(&cls_region, &cls_region, true);
}
END_TEST

START_TEST(test_same_class_not_nestable_aborts)
{
    assert_second_acquire_aborts(&cls_pfn, &cls_pfn, false);
}
END_TEST

static void reacquire(void *arg)
{
    lockorder_acquire(&cls_region, arg);
}

START_TEST(test_reacquire_aborts)
{
    struct lock a;
    lock_init(&a, &cls_region);
    lock_acquire(&a);
    ck_assert(catch_abort(reacquire, &a)); /* would self-deadlock */
    ck_assert_uint_eq(lockorder_held(), 1);
    lock_release(&a);
    lock_destroy(&a);
}
END_TEST

static void release_unheld(void *arg)
{
    lockorder_release(&cls_pfn, arg);
}

START_TEST(test_release_not_held_aborts)
{
    struct lock a;
    lock_init(&a, &cls_pfn);
    ck_assert(catch_abort(release_unheld, &a));
    ck_assert_uint_eq(lockorder_held(), 0);
    lock_destroy(&a);
}
END_TEST

static void assert_held(void *arg)
{
    lockorder_assert_held(&cls_pfn, arg);
}

START_TEST(test_assert_held_aborts_when_not_held)
{
    struct lock a;
    lock_init(&a, &cls_pfn);
    ck_assert(catch_abort(assert_held, &a));
    lock_destroy(&a);
}
END_TEST

static struct lock many[LOCKORDER_MAX_HELD + 1];

static void acquire_many(void *arg)
{
    (void)arg;
    for (int i = 0; i <= LOCKORDER_MAX_HELD; i++)
        lock_acquire(&many[i]); /* increasing addresses: legal order */
}

START_TEST(test_too_many_held_aborts)
{
    for (int i = 0; i <= LOCKORDER_MAX_HELD; i++)
        lock_init(&many[i], &cls_region);
    ck_assert(catch_abort(acquire_many, NULL));
    ck_assert_uint_eq(lockorder_held(), LOCKORDER_MAX_HELD);
    for (int i = LOCKORDER_MAX_HELD; i >= 0; i--) {
        if (i < LOCKORDER_MAX_HELD) /* the last was refused before locking */
            lock_release(&many[i]);
        lock_destroy(&many[i]);
    }
    ck_assert_uint_eq(lockorder_held(), 0);
}
END_TEST

static Suite *make_lockorder_suite(void)
{
    Suite *s = suite_create("lockorder");
    TCase *core = check_util_tcase(s, "core", "public", 10);
    tcase_add_test(core, test_increasing_ranks_are_allowed);
    tcase_add_test(core, test_nestable_class_in_address_order);
    tcase_add_test(core, test_trylock_is_exempt_from_order);
    tcase_add_test(core, test_trylock_fails_when_held_elsewhere);
    tcase_add_test(core, test_wait_keeps_bookkeeping);
    tcase_add_test(core, test_wait_returns_when_signalled);
    tcase_add_test(core, test_amplifier_seed_is_reported_and_settable);
    TCase *limits = check_util_tcase(s, "limits", "public", 10);
    tcase_add_test(limits, test_inverted_acquisition_aborts);
    tcase_add_test(limits, test_equal_rank_classes_abort);
    tcase_add_test(limits, test_nestable_in_decreasing_address_aborts);
    tcase_add_test(limits, test_same_class_not_nestable_aborts);
    tcase_add_test(limits, test_reacquire_aborts);
    tcase_add_test(limits, test_release_not_held_aborts);
    tcase_add_test(limits, test_assert_held_aborts_when_not_held);
    tcase_add_test(limits, test_too_many_held_aborts);
    return s;
}

CHECK_MAIN(make_lockorder_suite)
