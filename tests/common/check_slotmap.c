/*
 * check_slotmap.c - the lock-free slot bitmap: next fit and wrapping,
 * runs in a fragmented map and at its end, a full map, free and reclaim,
 * every slot claimed exactly once by concurrent claimers (stamp-checked),
 * claims and frees racing without ever sharing a slot, no lock taken, bad
 * sizes refused, and misuse aborting.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "catch_abort.h"
#include "check_util.h"
#include "lock.h"
#include "slotmap.h"

/* An empty map of n slots; asserts success. */
static struct slotmap *make_map(uint64_t n)
{
    struct slotmap *m = NULL;
    ck_assert_int_eq(slotmap_create(n, &m), 0);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(slotmap_capacity(m), n);
    ck_assert_uint_eq(slotmap_count(m), 0);
    return m;
}

/* Claim a run of up to want slots; expect it at first with got slots. */
static void expect_run(struct slotmap *m, size_t want, uint64_t first,
                       size_t got)
{
    uint64_t f;
    size_t g;
    ck_assert_int_eq(slotmap_claim_run(m, want, &f, &g), 0);
    ck_assert_uint_eq(f, first);
    ck_assert_uint_eq(g, got);
}

/* Free slots 0..n-1 (all claimed) and expect an empty map. */
static void free_all(struct slotmap *m, uint64_t n)
{
    for (uint64_t s = 0; s < n; s++)
        slotmap_free(m, s);
    ck_assert_uint_eq(slotmap_count(m), 0);
}

START_TEST(test_claim_is_next_fit_and_wraps)
{
    struct slotmap *m = make_map(4);
    uint64_t s[4];
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(slotmap_claim(m, &s[i]), 0);
        ck_assert_uint_eq(s[i], (uint64_t)i);
        ck_assert(slotmap_in_use(m, s[i]));
    }
    slotmap_free(m, 1);
    ck_assert(!slotmap_in_use(m, 1));
    uint64_t again;
    ck_assert_int_eq(slotmap_claim(m, &again), 0);
    ck_assert_uint_eq(again, 1);
    slotmap_free(m, 0);
    slotmap_free(m, 3);
    /* the hint is past slot 1, so slot 3 comes before slot 0 */
    ck_assert_int_eq(slotmap_claim(m, &again), 0);
    ck_assert_uint_eq(again, 3);
    ck_assert_int_eq(slotmap_claim(m, &again), 0);
    ck_assert_uint_eq(again, 0);
    ck_assert_uint_eq(slotmap_count(m), 4);
    free_all(m, 4);
    slotmap_destroy(m);
}
END_TEST

START_TEST(test_free_and_reclaim_every_slot)
{
    /* 65 slots: a full word and one slot of the next */
    struct slotmap *m = make_map(65);
    uint64_t slot;
    for (int round = 0; round < 3; round++) {
        for (uint64_t i = 0; i < 65; i++)
            ck_assert_int_eq(slotmap_claim(m, &slot), 0);
        ck_assert_int_eq(slotmap_claim(m, &slot), -ENOSPC);
        for (uint64_t s = 0; s < 65; s++)
            ck_assert(slotmap_in_use(m, s));
        free_all(m, 65);
        for (uint64_t s = 0; s < 65; s++)
            ck_assert(!slotmap_in_use(m, s));
    }
    slotmap_destroy(m);
}
END_TEST

START_TEST(test_run_claims_in_a_fragmented_map)
{
    struct slotmap *m = make_map(200);
    expect_run(m, 200, 0, 200);
    /* free slots 60..69 (inside a word) and 120..139 (across slot 128) */
    for (uint64_t s = 60; s < 70; s++)
        slotmap_free(m, s);
    for (uint64_t s = 120; s < 140; s++)
        slotmap_free(m, s);
    expect_run(m, 16, 60, 10);
    expect_run(m, 16, 120, 16);
    expect_run(m, 16, 136, 4);
    ck_assert_uint_eq(slotmap_count(m), 200);
    for (uint64_t s = 0; s < 200; s++)
        ck_assert(slotmap_in_use(m, s));
    free_all(m, 200);
    slotmap_destroy(m);
}
END_TEST

START_TEST(test_run_stops_at_the_last_slot)
{
    struct slotmap *m = make_map(128);
    expect_run(m, 120, 0, 120);
    expect_run(m, 64, 120, 8);
    /* wrapped: the next run starts over at a freed slot 0 */
    slotmap_free(m, 0);
    slotmap_free(m, 1);
    expect_run(m, 64, 0, 2);
    free_all(m, 128);
    slotmap_destroy(m);
}
END_TEST

START_TEST(test_calls_take_no_lock)
{
    /* a caller may hold any of its locks: the map is lock-free, so no
     * lock is taken (or left held) by these calls */
    static const struct lockorder_class caller = {"test caller", 99, false};
    struct lock held;
    lock_init(&held, &caller);
    struct slotmap *m = make_map(8);
    lock_acquire(&held);
    uint64_t slot;
    ck_assert_int_eq(slotmap_claim(m, &slot), 0);
    ck_assert(slotmap_in_use(m, slot));
    ck_assert_uint_eq(lockorder_held(), 1);
    slotmap_free(m, slot);
    ck_assert_uint_eq(slotmap_count(m), 0);
    ck_assert_uint_eq(lockorder_held(), 1);
    lock_release(&held);
    ck_assert_uint_eq(lockorder_held(), 0);
    slotmap_destroy(m);
    lock_destroy(&held);
}
END_TEST

/* Claimers: CLAIM_THREADS threads start together and claim until the map
 * is full, single slots and runs of 1..7 in turn; each records every slot
 * it got.  Afterwards the records are the stamps: together they must
 * name every slot exactly once. */
#define CLAIM_THREADS 4
#define CLAIM_SLOTS 1030 /* 16 words and 6 slots: runs cross words */

struct claimer {
    struct slotmap *m;
    pthread_barrier_t *start;
    unsigned id;
    uint64_t got[CLAIM_SLOTS];
    size_t n;
    int bad_rc; /* a result other than 0 or -ENOSPC, else 0 */
};

/* Claim (one, or a run of 1..7) until -ENOSPC; record each slot. */
static void *claimer_main(void *p)
{
    struct claimer *c = p;
    unsigned seed = c->id * 2654435761u;
    pthread_barrier_wait(c->start);
    for (;;) {
        seed = seed * 1103515245u + 12345u;
        uint64_t first;
        size_t got = 1;
        int rc = seed & 0x10000 ? slotmap_claim(c->m, &first)
                                : slotmap_claim_run(c->m, 1 + (seed >> 17) % 7,
                                                    &first, &got);
        if (rc != 0) {
            c->bad_rc = rc == -ENOSPC ? 0 : rc;
            return NULL;
        }
        for (size_t i = 0; i < got && c->n < CLAIM_SLOTS; i++)
            c->got[c->n++] = first + i;
    }
}

START_TEST(test_concurrent_claimers_get_every_slot_once)
{
    struct slotmap *m = make_map(CLAIM_SLOTS);
    static struct claimer cl[CLAIM_THREADS];
    pthread_t t[CLAIM_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, CLAIM_THREADS);
    for (unsigned i = 0; i < CLAIM_THREADS; i++) {
        cl[i] = (struct claimer){.m = m, .start = &start, .id = i + 1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, claimer_main, &cl[i]),
                         0);
    }
    for (unsigned i = 0; i < CLAIM_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    static unsigned owner[CLAIM_SLOTS];
    memset(owner, 0, sizeof owner);
    size_t total = 0;
    for (unsigned i = 0; i < CLAIM_THREADS; i++) {
        ck_assert_int_eq(cl[i].bad_rc, 0);
        for (size_t j = 0; j < cl[i].n; j++) {
            uint64_t s = cl[i].got[j];
            ck_assert_uint_lt(s, CLAIM_SLOTS);
            ck_assert_msg(owner[s] == 0, "slot %llu went to threads %u and %u",
                          (unsigned long long)s, owner[s], cl[i].id);
            owner[s] = cl[i].id;
        }
        total += cl[i].n;
    }
    ck_assert_uint_eq(total, CLAIM_SLOTS); /* nothing lost */
    ck_assert_uint_eq(slotmap_count(m), CLAIM_SLOTS);
    uint64_t slot;
    ck_assert_int_eq(slotmap_claim(m, &slot), -ENOSPC);
    free_all(m, CLAIM_SLOTS);
    slotmap_destroy(m);
}
END_TEST

/* Churn: threads claim runs of 1..9 slots and free them again, holding
 * up to CHURN_HELD slots each, on a map whose words the runs cross (130
 * slots: two words and two slots).  Every claimed slot is recorded in
 * owner[] with an atomic exchange, so a slot handed to two threads at
 * once is caught; afterwards nothing may be left claimed and every slot
 * must be claimable again. */
#define CHURN_THREADS 4
#define CHURN_SLOTS 130
#define CHURN_HELD 24
#define CHURN_ROUNDS 20000

struct churn_arg {
    struct slotmap *m;
    _Atomic unsigned *owner;
    unsigned id;          /* 1.. */
    unsigned doubles;     /* slots found owned by another thread */
    unsigned short_runs;  /* runs that came back shorter than asked */
};

/* Release the slots of held[0..n-1]: owner cleared first, then the bit. */
static void churn_release(struct churn_arg *a, uint64_t *held, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        atomic_store(&a->owner[held[i]], 0);
        slotmap_free(a->m, held[i]);
    }
}

static void *churn_worker(void *p)
{
    struct churn_arg *a = p;
    uint64_t held[CHURN_HELD + 9];
    unsigned n = 0, seed = a->id * 2654435761u;
    for (unsigned r = 0; r < CHURN_ROUNDS; r++) {
        seed = seed * 1103515245u + 12345u;
        size_t want = 1 + (seed >> 16) % 9, got;
        uint64_t first;
        if (slotmap_claim_run(a->m, want, &first, &got) == 0) {
            a->short_runs += got < want;
            for (size_t i = 0; i < got; i++) {
                if (atomic_exchange(&a->owner[first + i], a->id) != 0)
                    a->doubles++;
                held[n++] = first + i;
            }
        }
        if (n >= CHURN_HELD) {
            churn_release(a, held, n);
            n = 0;
        }
    }
    churn_release(a, held, n);
    return NULL;
}

START_TEST(test_concurrent_runs_and_frees_never_share_a_slot)
{
    struct slotmap *m = make_map(CHURN_SLOTS);
    static _Atomic unsigned owner[CHURN_SLOTS];
    static struct churn_arg args[CHURN_THREADS];
    pthread_t t[CHURN_THREADS];
    for (unsigned i = 0; i < CHURN_SLOTS; i++)
        atomic_init(&owner[i], 0);
    for (unsigned i = 0; i < CHURN_THREADS; i++) {
        args[i] = (struct churn_arg){.m = m, .owner = owner, .id = i + 1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, churn_worker, &args[i]),
                         0);
    }
    unsigned short_runs = 0;
    for (unsigned i = 0; i < CHURN_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(args[i].doubles == 0,
                      "thread %u was handed %u slots another thread held",
                      i + 1, args[i].doubles);
        short_runs += args[i].short_runs;
    }
    ck_assert_uint_gt(short_runs, 0); /* the map really was fragmented */
    ck_assert_uint_eq(slotmap_count(m), 0);
    for (uint64_t s = 0; s < CHURN_SLOTS; s++)
        ck_assert_msg(!slotmap_in_use(m, s), "slot %llu leaked",
                      (unsigned long long)s);
    for (uint64_t s = 0; s < CHURN_SLOTS; s++) { /* all free again */
        uint64_t slot;
        ck_assert_int_eq(slotmap_claim(m, &slot), 0);
    }
    uint64_t slot;
    ck_assert_int_eq(slotmap_claim(m, &slot), -ENOSPC);
    free_all(m, CHURN_SLOTS);
    slotmap_destroy(m);
}
END_TEST

START_TEST(test_full_map_gives_enospc)
{
    /* 130 slots: two full words and a padded third one */
    struct slotmap *m = make_map(130);
    uint64_t slot;
    for (uint64_t i = 0; i < 130; i++) {
        ck_assert_int_eq(slotmap_claim(m, &slot), 0);
        ck_assert_uint_eq(slot, i);
    }
    ck_assert_uint_eq(slotmap_count(m), 130);
    ck_assert_int_eq(slotmap_claim(m, &slot), -ENOSPC);
    uint64_t first;
    size_t got;
    ck_assert_int_eq(slotmap_claim_run(m, 4, &first, &got), -ENOSPC);
    slotmap_free(m, 77);
    expect_run(m, 4, 77, 1);
    free_all(m, 130);
    slotmap_destroy(m);
}
END_TEST

START_TEST(test_one_slot_and_one_word_maps)
{
    static const uint64_t sizes[] = {1, 63, 64};
    for (int i = 0; i < 3; i++) {
        struct slotmap *m = make_map(sizes[i]);
        expect_run(m, 100, 0, (size_t)sizes[i]);
        uint64_t slot;
        ck_assert_int_eq(slotmap_claim(m, &slot), -ENOSPC);
        free_all(m, sizes[i]);
        slotmap_destroy(m);
    }
}
END_TEST

START_TEST(test_bad_sizes_are_refused)
{
    struct slotmap *m = NULL;
    ck_assert_int_eq(slotmap_create(0, &m), -EINVAL);
    ck_assert_int_eq(slotmap_create(SLOTMAP_NO_SLOT, &m), -EINVAL);
    ck_assert_int_eq(slotmap_create(SLOTMAP_NO_SLOT - 63, &m), -EINVAL);
    ck_assert_ptr_null(m);
    m = make_map(8);
    uint64_t first = 99;
    size_t got = 99;
    ck_assert_int_eq(slotmap_claim_run(m, 0, &first, &got), -EINVAL);
    ck_assert_uint_eq(first, 99);
    ck_assert_uint_eq(slotmap_count(m), 0);
    slotmap_destroy(m);
    slotmap_destroy(NULL);
}
END_TEST

/* Misuses of a 4-slot map with slot 0 claimed, each of which must abort. */
static void free_free_slot(void *m) { slotmap_free(m, 2); }
static void free_past_end(void *m) { slotmap_free(m, 4); }
static void free_no_slot(void *m) { slotmap_free(m, SLOTMAP_NO_SLOT); }
static void in_use_past_end(void *m) { slotmap_in_use(m, 100); }

static void (*const misuses[])(void *) = {
    free_free_slot, free_past_end, free_no_slot, in_use_past_end,
};
#define NMISUSES ((int)(sizeof misuses / sizeof misuses[0]))

/* A map whose bitmap cannot be allocated (2^62 slots: 2^59 bytes) is
 * refused with -ENOMEM, and *out is left alone. */
START_TEST(test_map_too_big_for_memory_is_enomem)
{
    struct slotmap *m = (struct slotmap *)&m;
    ck_assert_int_eq(slotmap_create(1ull << 62, &m), -ENOMEM);
    ck_assert_ptr_eq(m, (struct slotmap *)&m);
}
END_TEST

START_TEST(test_misuse_aborts)
{
    struct slotmap *m = make_map(4);
    uint64_t slot;
    ck_assert_int_eq(slotmap_claim(m, &slot), 0);
    bool aborted = catch_abort(misuses[_i], m);
    /* nothing half done */
    ck_assert_uint_eq(slotmap_count(m), 1);
    for (uint64_t s = 0; s < 4; s++)
        ck_assert(slotmap_in_use(m, s) == (s == 0));
    slotmap_free(m, 0);
    slotmap_destroy(m);
    ck_assert_msg(aborted, "misuse %d did not abort", _i);
}
END_TEST

static Suite *make_slotmap_suite(void)
{
    Suite *s = suite_create("slotmap");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_claim_is_next_fit_and_wraps);
    tcase_add_test(core, test_free_and_reclaim_every_slot);
    tcase_add_test(core, test_run_claims_in_a_fragmented_map);
    tcase_add_test(core, test_run_stops_at_the_last_slot);
    tcase_add_test(core, test_calls_take_no_lock);
    tcase_add_test(core, test_concurrent_claimers_get_every_slot_once);
    tcase_add_test(core, test_concurrent_runs_and_frees_never_share_a_slot);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_full_map_gives_enospc);
    tcase_add_test(limits, test_one_slot_and_one_word_maps);
    tcase_add_test(limits, test_bad_sizes_are_refused);
    tcase_add_test(limits, test_map_too_big_for_memory_is_enomem);
    tcase_add_loop_test(limits, test_misuse_aborts, 0, NMISUSES);
    return s;
}

CHECK_MAIN(make_slotmap_suite)
