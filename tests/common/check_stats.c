/*
 * check_stats.c - per-thread counters, the one way pagelab counts: the
 * stage's set and sets of any size, sums across threads, subtraction by
 * wrapping adds, several sets in one thread, block reuse after threads
 * exit, each live thread's own index, more sets than a thread's cache
 * holds, a set made where a destroyed one was, names, limits.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "catch_abort.h"
#include "check_util.h"
#include "stats.h"

START_TEST(test_new_stats_are_zero)
{
    struct stats *s = stats_create();
    ck_assert_ptr_nonnull(s);
    uint64_t all[STAT_COUNT];
    memset(all, 0xff, sizeof all);
    stats_sum(s, all);
    for (int c = 0; c < STAT_COUNT; c++) {
        ck_assert_uint_eq(all[c], 0);
        ck_assert_uint_eq(stats_get(s, (enum stat_id)c), 0);
    }
    stats_destroy(s);
}
END_TEST

START_TEST(test_add_and_inc_count_in_one_thread)
{
    struct stats *s = stats_create();
    stats_inc(s, STAT_FAULT_ZERO);
    stats_inc(s, STAT_FAULT_ZERO);
    stats_add(s, STAT_PAGE_WRITE, 16);
    stats_add(s, STAT_WAIT_FRAME, 0);
    ck_assert_uint_eq(stats_get(s, STAT_FAULT_ZERO), 2);
    ck_assert_uint_eq(stats_get(s, STAT_PAGE_WRITE), 16);
    ck_assert_uint_eq(stats_get(s, STAT_WAIT_FRAME), 0);
    ck_assert_uint_eq(stats_get(s, STAT_ACCESSES), 0);
    stats_destroy(s);
}
END_TEST

START_TEST(test_one_thread_counts_into_several_objects)
{
    struct stats *a = stats_create(), *b = stats_create();
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    stats_add(a, STAT_TRIM, 3);
    stats_add(b, STAT_TRIM, 5);
    stats_add(a, STAT_TRIM, 1);
    ck_assert_uint_eq(stats_get(a, STAT_TRIM), 4);
    ck_assert_uint_eq(stats_get(b, STAT_TRIM), 5);
    stats_destroy(a);
    /* a new object (maybe at a's address) starts clean for this thread */
    struct stats *c = stats_create();
    stats_inc(c, STAT_TRIM);
    ck_assert_uint_eq(stats_get(c, STAT_TRIM), 1);
    ck_assert_uint_eq(stats_get(b, STAT_TRIM), 5);
    stats_destroy(b);
    stats_destroy(c);
}
END_TEST

#define COUNT_THREADS 8
#define COUNT_ADDS 50000

struct count_arg {
    struct stats *s[2];
};

/* Count COUNT_ADDS events into both objects. */
static void *counter_thread(void *p)
{
    struct count_arg *a = p;
    for (int i = 0; i < COUNT_ADDS; i++) {
        stats_inc(a->s[0], STAT_ACCESSES);
        stats_add(a->s[1], STAT_PAGE_READ, 2);
    }
    return NULL;
}

START_TEST(test_threads_sum_without_losing_counts)
{
    struct count_arg arg = {{stats_create(), stats_create()}};
    pthread_t t[COUNT_THREADS];
    for (int i = 0; i < COUNT_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, counter_thread, &arg), 0);
    for (int i = 0; i < COUNT_THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(stats_get(arg.s[0], STAT_ACCESSES),
                      COUNT_THREADS * COUNT_ADDS);
    uint64_t all[STAT_COUNT];
    stats_sum(arg.s[1], all);
    ck_assert_uint_eq(all[STAT_PAGE_READ], 2ull * COUNT_THREADS * COUNT_ADDS);
    ck_assert_uint_eq(all[STAT_ACCESSES], 0);
    stats_destroy(arg.s[0]);
    stats_destroy(arg.s[1]);
}
END_TEST

/* Count one access into s. */
static void *one_shot(void *p)
{
    stats_inc(p, STAT_ACCESSES);
    return NULL;
}

START_TEST(test_exited_threads_hand_their_blocks_on)
{
    struct stats *s = stats_create();
    enum { RUNS = 3 * STATS_MAX_THREADS };
    for (int i = 0; i < RUNS; i++) {
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, one_shot, s), 0);
        pthread_join(t, NULL);
    }
    ck_assert_uint_eq(stats_get(s, STAT_ACCESSES), RUNS);
    stats_destroy(s);
}
END_TEST

START_TEST(test_sets_of_any_size_count_per_id)
{
    static const unsigned sizes[] = {1, 5, STAT_COUNT + 1, STATS_MAX_COUNTERS};
    for (int k = 0; k < 4; k++) {
        unsigned n = sizes[k];
        struct stats *s = stats_create_set(n);
        ck_assert_ptr_nonnull(s);
        for (unsigned id = 0; id < n; id++)
            ck_assert_uint_eq(stats_get(s, id), 0);
        for (unsigned id = 0; id < n; id++)
            stats_add(s, id, id + 1);
        stats_add(s, n - 1, 40);
        uint64_t all[STATS_MAX_COUNTERS + 1];
        all[n] = 12345; /* stats_sum writes n entries, no more */
        stats_sum(s, all);
        for (unsigned id = 0; id < n; id++) {
            uint64_t want = id + 1 + (id == n - 1 ? 40 : 0);
            ck_assert_uint_eq(stats_get(s, id), want);
            ck_assert_uint_eq(all[id], want);
        }
        ck_assert_uint_eq(all[n], 12345);
        stats_destroy(s);
    }
}
END_TEST

/* Add 5 to counter 0 of the set. */
static void *add_five(void *s)
{
    stats_add(s, 0, 5);
    return NULL;
}

START_TEST(test_adding_uint64_max_subtracts_across_threads)
{
    /* a count that goes up in one thread and down in another (the slot
     * map's in-use count) is exact once they stop */
    struct stats *s = stats_create_set(1);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, add_five, s), 0);
    pthread_join(t, NULL);
    for (int i = 0; i < 3; i++)
        stats_add(s, 0, UINT64_MAX);
    ck_assert_uint_eq(stats_get(s, 0), 2);
    for (int i = 0; i < 2; i++)
        stats_add(s, 0, UINT64_MAX);
    ck_assert_uint_eq(stats_get(s, 0), 0);
    stats_destroy(s);
}
END_TEST

/* INDEX_THREADS threads hold their index at once. */
#define INDEX_THREADS 8

struct index_arg {
    struct stats *s;
    pthread_barrier_t *all_in; /* every thread has its index */
    unsigned index, again;
};

static void *take_index(void *p)
{
    struct index_arg *a = p;
    a->index = stats_thread_index(a->s);
    stats_inc(a->s, 0);
    pthread_barrier_wait(a->all_in);
    a->again = stats_thread_index(a->s);
    return NULL;
}

START_TEST(test_live_threads_have_distinct_indexes)
{
    struct stats *s = stats_create_set(2);
    unsigned mine = stats_thread_index(s);
    ck_assert_uint_lt(mine, STATS_MAX_THREADS);
    pthread_barrier_t all_in;
    pthread_barrier_init(&all_in, NULL, INDEX_THREADS);
    struct index_arg a[INDEX_THREADS];
    pthread_t t[INDEX_THREADS];
    for (int i = 0; i < INDEX_THREADS; i++) {
        a[i] = (struct index_arg){.s = s, .all_in = &all_in};
        ck_assert_int_eq(pthread_create(&t[i], NULL, take_index, &a[i]), 0);
    }
    for (int i = 0; i < INDEX_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&all_in);
    bool seen[STATS_MAX_THREADS] = {false};
    seen[mine] = true;
    for (int i = 0; i < INDEX_THREADS; i++) {
        ck_assert_uint_lt(a[i].index, STATS_MAX_THREADS);
        ck_assert_uint_eq(a[i].again, a[i].index);
        ck_assert_msg(!seen[a[i].index], "index %u given twice", a[i].index);
        seen[a[i].index] = true;
    }
    ck_assert_uint_eq(stats_thread_index(s), mine);
    ck_assert_uint_eq(stats_get(s, 0), INDEX_THREADS);
    /* the threads have gone: a new one gets one of the freed indexes */
    pthread_barrier_init(&all_in, NULL, 1);
    struct index_arg late = {.s = s, .all_in = &all_in};
    ck_assert_int_eq(pthread_create(&t[0], NULL, take_index, &late), 0);
    pthread_join(t[0], NULL);
    pthread_barrier_destroy(&all_in);
    ck_assert_uint_ne(late.index, mine);
    ck_assert(seen[late.index]);
    ck_assert_uint_eq(stats_get(s, 0), INDEX_THREADS + 1);
    stats_destroy(s);
}
END_TEST

/* SETS sets (more than a thread's cache holds) counted into in turn by
 * two threads, each set a different number of times. */
#define SETS 21

static void *count_into_every_set(void *p)
{
    struct stats **sets = p;
    for (int round = 0; round < 50; round++)
        for (int k = 0; k < SETS; k++)
            stats_add(sets[k], 0, (uint64_t)k + 1);
    return NULL;
}

START_TEST(test_many_sets_in_turn_count_exactly)
{
    struct stats *sets[SETS];
    for (int k = 0; k < SETS; k++)
        ck_assert_ptr_nonnull(sets[k] = stats_create_set(1));
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, count_into_every_set, sets), 0);
    count_into_every_set(sets);
    pthread_join(t, NULL);
    for (int k = 0; k < SETS; k++) {
        ck_assert_uint_eq(stats_get(sets[k], 0), 2 * 50 * ((uint64_t)k + 1));
        stats_destroy(sets[k]);
    }
}
END_TEST

START_TEST(test_a_set_made_after_one_is_destroyed_starts_at_zero)
{
    /* the new set may well sit where the old one was: the thread must not
     * count into the old set's block through what it remembers */
    for (int i = 0; i < 20; i++) {
        struct stats *s = stats_create_set(2);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_eq(stats_get(s, 1), 0);
        stats_add(s, 1, 7);
        ck_assert_uint_eq(stats_get(s, 1), 7);
        ck_assert_uint_eq(stats_get(s, 0), 0);
        stats_destroy(s);
    }
}
END_TEST

START_TEST(test_names_are_snake_case)
{
    ck_assert_str_eq(stats_name(STAT_ACCESSES), "accesses");
    ck_assert_str_eq(stats_name(STAT_FAULT_ZERO), "fault_zero");
    ck_assert_str_eq(stats_name(STAT_WAIT_FRAME), "wait_frame");
    ck_assert_str_eq(stats_name(STAT_COUNT), "?");
    for (int c = 0; c < STAT_COUNT; c++) {
        const char *n = stats_name((enum stat_id)c);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_gt(strlen(n), 0);
        ck_assert_uint_eq(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
        for (int d = 0; d < c; d++)
            ck_assert_str_ne(n, stats_name((enum stat_id)d));
    }
    stats_destroy(NULL);
}
END_TEST

/* STATS_MAX_THREADS threads count at once, each into its own block, while
 * the main thread keeps summing: halfway (all parked at a barrier) the sums
 * are exact, no sum ever goes down, and none is lost. */
#define MANY_ADDS 2000

struct many {
    struct stats *s;
    pthread_barrier_t halfway; /* the counters plus the main thread */
    _Atomic int finished;
};

struct many_arg {
    struct many *many;
    uint64_t index;
};

static void many_adds(struct many_arg *a, int n)
{
    for (int i = 0; i < n; i++) {
        stats_inc(a->many->s, STAT_TRIM);
        stats_add(a->many->s, STAT_PAGE_WRITE, a->index);
    }
}

static void *many_counter(void *p)
{
    struct many_arg *a = p;
    many_adds(a, MANY_ADDS / 2);
    pthread_barrier_wait(&a->many->halfway); /* "half counted" */
    pthread_barrier_wait(&a->many->halfway); /* "go on" */
    many_adds(a, MANY_ADDS / 2);
    atomic_fetch_add(&a->many->finished, 1);
    return NULL;
}

START_TEST(test_sums_only_grow_while_every_block_counts)
{
    static struct many_arg args[STATS_MAX_THREADS];
    static pthread_t t[STATS_MAX_THREADS];
    const uint64_t n = STATS_MAX_THREADS, idx_sum = n * (n + 1) / 2;
    struct many many = {.s = stats_create()};
    ck_assert_ptr_nonnull(many.s);
    pthread_barrier_init(&many.halfway, NULL, STATS_MAX_THREADS + 1);
    for (int i = 0; i < STATS_MAX_THREADS; i++) {
        args[i] = (struct many_arg){&many, (uint64_t)i + 1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, many_counter, &args[i]),
                         0);
    }
    pthread_barrier_wait(&many.halfway);
    uint64_t half[STAT_COUNT];
    stats_sum(many.s, half);
    pthread_barrier_wait(&many.halfway);
    uint64_t last = half[STAT_TRIM], drops = 0;
    do {
        uint64_t now = stats_get(many.s, STAT_TRIM);
        drops += now < last;
        last = now;
    } while (atomic_load(&many.finished) < STATS_MAX_THREADS);
    for (int i = 0; i < STATS_MAX_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&many.halfway);
    uint64_t all[STAT_COUNT];
    stats_sum(many.s, all);
    stats_destroy(many.s);
    ck_assert_uint_eq(half[STAT_TRIM], n * (MANY_ADDS / 2));
    ck_assert_uint_eq(half[STAT_PAGE_WRITE], idx_sum * (MANY_ADDS / 2));
    ck_assert_uint_eq(drops, 0);
    ck_assert_uint_eq(all[STAT_TRIM], n * MANY_ADDS);
    ck_assert_uint_eq(all[STAT_PAGE_WRITE], idx_sum * MANY_ADDS);
    ck_assert_uint_eq(all[STAT_ACCESSES], 0);
}
END_TEST

/* STATS_MAX_THREADS threads that each hold a block until released. */
struct crowd {
    struct stats *s;
    pthread_barrier_t barrier; /* the crowd plus the test's thread */
};

/* Claim a block, then wait twice: "all claimed" and "you may go". */
static void *crowd_member(void *p)
{
    struct crowd *c = p;
    stats_inc(c->s, STAT_TRIM);
    pthread_barrier_wait(&c->barrier);
    pthread_barrier_wait(&c->barrier);
    return NULL;
}

static void count_one(void *s) { stats_inc(s, STAT_TRIM); }
static void index_one(void *s) { stats_thread_index(s); }

START_TEST(test_one_thread_too_many_aborts)
{
    static struct crowd c;
    static pthread_t t[STATS_MAX_THREADS];
    c.s = stats_create();
    pthread_barrier_init(&c.barrier, NULL, STATS_MAX_THREADS + 1);
    for (int i = 0; i < STATS_MAX_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, crowd_member, &c), 0);
    pthread_barrier_wait(&c.barrier); /* every block is held */
    bool aborted = catch_abort(count_one, c.s);
    bool index_aborted = catch_abort(index_one, c.s);
    pthread_barrier_wait(&c.barrier);
    for (int i = 0; i < STATS_MAX_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&c.barrier);
    ck_assert(aborted);
    ck_assert(index_aborted);
    ck_assert_uint_eq(stats_get(c.s, STAT_TRIM), STATS_MAX_THREADS);
    /* the crowd has gone: its blocks are free again */
    count_one(c.s);
    ck_assert_uint_eq(stats_get(c.s, STAT_TRIM), STATS_MAX_THREADS + 1);
    stats_destroy(c.s);
}
END_TEST

static void add_bad_id(void *s) { stats_add(s, STAT_COUNT, 1); }
static void get_bad_id(void *s) { stats_get(s, STAT_COUNT + 5); }
static void add_past_set(void *s) { stats_add(s, 3, 1); }
static void get_past_set(void *s) { stats_get(s, 3); }

START_TEST(test_bad_counter_id_aborts)
{
    struct stats *s = stats_create();
    struct stats *three = stats_create_set(3);
    bool add_aborted = catch_abort(add_bad_id, s);
    bool get_aborted = catch_abort(get_bad_id, s);
    bool add_set_aborted = catch_abort(add_past_set, three);
    bool get_set_aborted = catch_abort(get_past_set, three);
    for (unsigned id = 0; id < 3; id++)
        ck_assert_uint_eq(stats_get(three, id), 0);
    stats_destroy(s);
    stats_destroy(three);
    ck_assert(add_aborted);
    ck_assert(get_aborted);
    ck_assert(add_set_aborted);
    ck_assert(get_set_aborted);
}
END_TEST

START_TEST(test_set_sizes_out_of_range_are_refused)
{
    ck_assert_ptr_null(stats_create_set(0));
    ck_assert_ptr_null(stats_create_set(STATS_MAX_COUNTERS + 1));
}
END_TEST

START_TEST(test_create_past_the_key_limit_returns_null)
{
    enum { MANY_OBJECTS = 4096 }; /* past PTHREAD_KEYS_MAX (1024) */
    static struct stats *objs[MANY_OBJECTS];
    int n = 0;
    while (n < MANY_OBJECTS && (objs[n] = stats_create()) != NULL)
        n++;
    const int created = n;
    struct stats *late = NULL;
    if (n > 0) {
        stats_destroy(objs[--n]);
        late = stats_create();
    }
    if (late != NULL)
        stats_inc(late, STAT_TRIM);
    uint64_t counted = late != NULL ? stats_get(late, STAT_TRIM) : 0;
    stats_destroy(late);
    while (n > 0)
        stats_destroy(objs[--n]);
    ck_assert_int_lt(created, MANY_OBJECTS); /* out of keys: NULL */
    ck_assert_int_gt(created, 0);
    ck_assert_ptr_nonnull(late); /* a key given back is a key to reuse */
    ck_assert_uint_eq(counted, 1);
    struct stats *again = stats_create();
    ck_assert_ptr_nonnull(again);
    stats_destroy(again);
}
END_TEST

static Suite *make_stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_new_stats_are_zero);
    tcase_add_test(core, test_add_and_inc_count_in_one_thread);
    tcase_add_test(core, test_one_thread_counts_into_several_objects);
    tcase_add_test(core, test_threads_sum_without_losing_counts);
    tcase_add_test(core, test_exited_threads_hand_their_blocks_on);
    tcase_add_test(core, test_sets_of_any_size_count_per_id);
    tcase_add_test(core, test_adding_uint64_max_subtracts_across_threads);
    tcase_add_test(core, test_live_threads_have_distinct_indexes);
    tcase_add_test(core, test_many_sets_in_turn_count_exactly);
    tcase_add_test(core, test_a_set_made_after_one_is_destroyed_starts_at_zero);
    tcase_add_test(core, test_names_are_snake_case);
    tcase_add_test(core, test_sums_only_grow_while_every_block_counts);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_one_thread_too_many_aborts);
    tcase_add_test(limits, test_bad_counter_id_aborts);
    tcase_add_test(limits, test_set_sizes_out_of_range_are_refused);
    tcase_add_test(limits, test_create_past_the_key_limit_returns_null);
    return s;
}

CHECK_MAIN(make_stats_suite)
