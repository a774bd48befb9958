/*
 * check_pte.c - PTE formats: round trips, tag separation, bit updates,
 * descriptions, atomic access, and the aborts on format misuse.
 */
#include <pthread.h>
#include <string.h>

#include "catch_abort.h"
#include "check_util.h"
#include "pte.h"

START_TEST(test_zero_entry_is_the_word_zero)
{
    pte_t p = pte_make_zero();
    ck_assert_uint_eq(p, 0);
    ck_assert_int_eq(pte_format(p), PTE_ZERO);
}
END_TEST

START_TEST(test_valid_round_trips_frame_and_bits)
{
    for (int bits = 0; bits < 8; bits++) {
        bool w = bits & 1, a = bits & 2, d = bits & 4;
        pte_t p = pte_make_valid(PTE_NUMBER_MAX, w, a, d);
        ck_assert_int_eq(pte_format(p), PTE_VALID);
        ck_assert_uint_eq(pte_frame(p), PTE_NUMBER_MAX);
        ck_assert(pte_writable(p) == w);
        ck_assert(pte_accessed(p) == a);
        ck_assert(pte_dirty(p) == d);
    }
    pte_t p = pte_make_valid(7, false, false, false);
    ck_assert_uint_eq(p, (7ull << 12) | 1);
}
END_TEST

START_TEST(test_disk_slot_zero_is_not_a_zero_entry)
{
    pte_t p = pte_make_disk(0);
    ck_assert_uint_eq(p, 0x3);
    ck_assert_int_eq(pte_format(p), PTE_DISK);
    ck_assert_uint_eq(pte_slot(p), 0);
    ck_assert_uint_ne(p, pte_make_zero());
}
END_TEST

START_TEST(test_transition_and_disk_keep_their_numbers)
{
    uint64_t nums[] = {0, 1, 12345, PTE_NUMBER_MAX};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        pte_t t = pte_make_transition(nums[i]);
        pte_t d = pte_make_disk(nums[i]);
        ck_assert_int_eq(pte_format(t), PTE_TRANSITION);
        ck_assert_int_eq(pte_format(d), PTE_DISK);
        ck_assert_uint_eq(pte_frame(t), nums[i]);
        ck_assert_uint_eq(pte_slot(d), nums[i]);
        ck_assert_uint_eq(t >> 52, 0);
        ck_assert_uint_eq(d & 0xffc, 0);
    }
}
END_TEST

START_TEST(test_with_bit_changes_only_that_bit)
{
    pte_t p = pte_make_valid(42, false, false, false);
    pte_t q = pte_with_accessed(p, true);
    ck_assert(pte_accessed(q));
    ck_assert(!pte_writable(q) && !pte_dirty(q));
    ck_assert_uint_eq(pte_frame(q), 42);
    q = pte_with_writable(q, true);
    q = pte_with_dirty(q, true);
    ck_assert(pte_writable(q) && pte_dirty(q) && pte_accessed(q));
    ck_assert_uint_eq(pte_with_accessed(q, false),
                      pte_make_valid(42, true, false, true));
    q = pte_with_dirty(pte_with_writable(q, false), false);
    ck_assert_uint_eq(q, pte_make_valid(42, false, true, false));
}
END_TEST

START_TEST(test_format_names_and_descriptions)
{
    ck_assert_str_eq(pte_format_name(PTE_ZERO), "zero");
    ck_assert_str_eq(pte_format_name(PTE_VALID), "valid");
    ck_assert_str_eq(pte_format_name(PTE_TRANSITION), "transition");
    ck_assert_str_eq(pte_format_name(PTE_DISK), "disk");
    ck_assert_str_eq(pte_format_name((enum pte_format)9), "?");
    char buf[80];
    pte_describe(pte_make_valid(7, true, true, true), buf, sizeof buf);
    ck_assert_str_eq(buf, "valid{frame 7, rw, accessed, dirty}");
    pte_describe(pte_make_valid(3, false, false, false), buf, sizeof buf);
    ck_assert_str_eq(buf, "valid{frame 3, ro}");
    pte_describe(pte_make_transition(5), buf, sizeof buf);
    ck_assert_str_eq(buf, "transition{frame 5}");
    pte_describe(pte_make_disk(0), buf, sizeof buf);
    ck_assert_str_eq(buf, "disk{slot 0}");
    pte_describe(pte_make_zero(), buf, sizeof buf);
    ck_assert_str_eq(buf, "zero");
}
END_TEST

START_TEST(test_cell_load_store_and_cas)
{
    pte_cell_t cell = {0};
    ck_assert_uint_eq(pte_load(&cell), 0);
    pte_store(&cell, pte_make_disk(9));
    ck_assert_uint_eq(pte_load(&cell), pte_make_disk(9));
    pte_t expected = pte_make_zero();
    ck_assert(!pte_cas(&cell, &expected, pte_make_transition(1)));
    ck_assert_uint_eq(expected, pte_make_disk(9));
    ck_assert(pte_cas(&cell, &expected, pte_make_transition(1)));
    ck_assert_uint_eq(pte_load(&cell), pte_make_transition(1));
}
END_TEST

#define CAS_THREADS 2
#define CAS_ROUNDS 20000

/* Bump the frame number of a shared VALID entry CAS_ROUNDS times. */
static void *cas_incrementer(void *arg)
{
    pte_cell_t *cell = arg;
    for (int i = 0; i < CAS_ROUNDS; i++) {
        pte_t old = pte_load(cell);
        while (!pte_cas(cell, &old,
                        pte_make_valid(pte_frame(old) + 1, true, false, false)))
            ;
    }
    return NULL;
}

START_TEST(test_concurrent_cas_loses_no_update)
{
    pte_cell_t cell;
    pte_store(&cell, pte_make_valid(0, true, false, false));
    pthread_t t[CAS_THREADS];
    for (int i = 0; i < CAS_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, cas_incrementer, &cell),
                         0);
    for (int i = 0; i < CAS_THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(pte_frame(pte_load(&cell)), CAS_THREADS * CAS_ROUNDS);
}
END_TEST

START_TEST(test_describe_truncates_safely)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    pte_describe(pte_make_valid(123456, true, true, true), buf, sizeof buf);
    ck_assert_uint_eq(strlen(buf), sizeof buf - 1);
    pte_describe(pte_make_zero(), buf, 0);
    pte_describe(pte_make_zero(), NULL, 4);
    ck_assert_uint_eq(strlen(buf), sizeof buf - 1);
}
END_TEST

/* Misuses of the format, each of which must abort. */
static void frame_of_disk(void *x) { (void)x; pte_frame(pte_make_disk(1)); }
static void frame_of_zero(void *x) { (void)x; pte_frame(pte_make_zero()); }
static void slot_of_valid(void *x)
{
    (void)x;
    pte_slot(pte_make_valid(1, true, true, true));
}
static void wide_disk(void *x) { (void)x; pte_make_disk(PTE_NUMBER_MAX + 1); }
static void wide_valid(void *x)
{
    (void)x;
    pte_make_valid(PTE_NUMBER_MAX + 1, false, false, false);
}
static void wide_transition(void *x)
{
    (void)x;
    pte_make_transition(UINT64_MAX);
}
static void dirty_of_transition(void *x)
{
    (void)x;
    pte_dirty(pte_make_transition(1));
}
static void writable_of_disk(void *x)
{
    (void)x;
    pte_writable(pte_make_disk(1));
}
static void accessed_of_zero(void *x)
{
    (void)x;
    pte_accessed(pte_make_zero());
}
static void set_dirty_of_transition(void *x)
{
    (void)x;
    pte_with_dirty(pte_make_transition(1), true);
}
static void set_accessed_of_disk(void *x)
{
    (void)x;
    pte_with_accessed(pte_make_disk(1), true);
}
static void set_writable_of_zero(void *x)
{
    (void)x;
    pte_with_writable(pte_make_zero(), true);
}

static void (*const misuses[])(void *) = {
    frame_of_disk, frame_of_zero, slot_of_valid, wide_disk, wide_valid,
    wide_transition, dirty_of_transition, writable_of_disk, accessed_of_zero,
    set_dirty_of_transition, set_accessed_of_disk, set_writable_of_zero,
};
#define NMISUSES ((int)(sizeof misuses / sizeof misuses[0]))

START_TEST(test_format_misuse_aborts)
{
    ck_assert_msg(catch_abort(misuses[_i], NULL), "misuse %d did not abort",
                  _i);
}
END_TEST

static Suite *make_pte_suite(void)
{
    Suite *s = suite_create("pte");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_test(core, test_zero_entry_is_the_word_zero);
    tcase_add_test(core, test_valid_round_trips_frame_and_bits);
    tcase_add_test(core, test_disk_slot_zero_is_not_a_zero_entry);
    tcase_add_test(core, test_transition_and_disk_keep_their_numbers);
    tcase_add_test(core, test_with_bit_changes_only_that_bit);
    tcase_add_test(core, test_format_names_and_descriptions);
    tcase_add_test(core, test_cell_load_store_and_cas);
    tcase_add_test(core, test_concurrent_cas_loses_no_update);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    tcase_add_test(limits, test_describe_truncates_safely);
    tcase_add_loop_test(limits, test_format_misuse_aborts, 0, NMISUSES);
    return s;
}

CHECK_MAIN(make_pte_suite)
