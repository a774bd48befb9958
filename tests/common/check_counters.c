/*
 * check_counters.c - sharded counters: a new set reads zero, adds from one
 * thread and from many threads at once all arrive, threads count into
 * different shards, and a bad counter id aborts.
 */
#include <pthread.h>
#include <stdlib.h>

#include "catch_abort.h"
#include "check_util.h"
#include "counters.h"

/* A counter set on the heap (it is aligned to cache lines). */
static struct counters *new_set(void)
{
    struct counters *c = aligned_alloc(_Alignof(struct counters), sizeof *c);
    ck_assert_ptr_nonnull(c);
    counters_init(c);
    return c;
}

/* How many shards hold a non-zero value of counter id. */
static unsigned shards_used(const struct counters *c, unsigned id)
{
    unsigned n = 0;
    for (unsigned s = 0; s < COUNTERS_SHARDS; s++)
        n += atomic_load(&c->shard[s].value[id]) != 0;
    return n;
}

START_TEST(test_new_set_reads_zero)
{
    struct counters *c = new_set();
    for (unsigned id = 0; id < COUNTERS_MAX; id++)
        ck_assert_uint_eq(counters_get(c, id), 0);
    free(c);
}
END_TEST

START_TEST(test_adds_in_one_thread_sum_per_counter)
{
    struct counters *c = new_set();
    counters_add(c, 0, 1);
    counters_add(c, 0, 2);
    counters_add(c, COUNTERS_MAX - 1, 40);
    counters_add(c, 3, 0);
    ck_assert_uint_eq(counters_get(c, 0), 3);
    ck_assert_uint_eq(counters_get(c, COUNTERS_MAX - 1), 40);
    ck_assert_uint_eq(counters_get(c, 3), 0);
    ck_assert_uint_eq(shards_used(c, 0), 1);
    free(c);
}
END_TEST

#define ADD_THREADS 8
#define ADDS 100000

static void *add_many(void *p)
{
    for (int i = 0; i < ADDS; i++) {
        counters_add(p, 1, 1);
        counters_add(p, 2, 3);
    }
    return NULL;
}

/* Eight threads at once: no count lost, and (fewer threads than shards)
 * each thread counted into a shard of its own. */
START_TEST(test_threads_count_into_own_shards_without_loss)
{
    struct counters *c = new_set();
    pthread_t t[ADD_THREADS];
    for (int i = 0; i < ADD_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, add_many, c), 0);
    for (int i = 0; i < ADD_THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(counters_get(c, 1), (uint64_t)ADD_THREADS * ADDS);
    ck_assert_uint_eq(counters_get(c, 2), 3ull * ADD_THREADS * ADDS);
    ck_assert_uint_eq(shards_used(c, 1), ADD_THREADS);
    free(c);
}
END_TEST

static void add_bad_id(void *c) { counters_add(c, COUNTERS_MAX, 1); }
static void get_bad_id(void *c) { counters_get(c, COUNTERS_MAX + 3); }

START_TEST(test_bad_counter_id_aborts)
{
    struct counters *c = new_set();
    bool add_aborted = catch_abort(add_bad_id, c);
    bool get_aborted = catch_abort(get_bad_id, c);
    for (unsigned id = 0; id < COUNTERS_MAX; id++)
        ck_assert_uint_eq(counters_get(c, id), 0);
    free(c);
    ck_assert(add_aborted);
    ck_assert(get_aborted);
}
END_TEST

static Suite *make_counters_suite(void)
{
    Suite *s = suite_create("counters");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_new_set_reads_zero);
    tcase_add_test(core, test_adds_in_one_thread_sum_per_counter);
    tcase_add_test(core, test_threads_count_into_own_shards_without_loss);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_bad_counter_id_aborts);
    return s;
}

CHECK_MAIN(make_counters_suite)
