/*
 * check_pfn.c - the PFN database: initial state, list moves, pop order,
 * counts, names, and the aborts on misuse.
 */
#include <errno.h>
#include <stdint.h>

#include "catch_abort.h"
#include "check_util.h"
#include "pagefile.h"
#include "pfn.h"

/* Sum of every state's list count. */
static uint64_t total_on_lists(const struct pfn_db *db)
{
    uint64_t n = 0;
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        n += pfn_count(db, (enum pfn_state)s);
    return n;
}

START_TEST(test_init_puts_every_frame_free_in_order)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, 10), 0);
    ck_assert_uint_eq(db.nframes, 10);
    ck_assert_uint_eq(pfn_count(&db, PFN_FREE), 10);
    ck_assert_uint_eq(total_on_lists(&db), 10);
    for (uint64_t f = 0; f < 10; f++) {
        struct pfn *p = pfn_pop(&db, PFN_FREE);
        ck_assert_ptr_eq(p, pfn_get(&db, f));
        ck_assert_uint_eq(pfn_number(&db, p), f);
        ck_assert_uint_eq(p->state, PFN_FREE);
        ck_assert_uint_eq(p->vpn, PFN_NO_VPN);
        ck_assert_uint_eq(p->slot, PAGEFILE_NO_SLOT);
        ck_assert_uint_eq(p->flags, 0);
        pfn_link(&db, p, PFN_FREE);
    }
    for (int s = 0; s < PFN_STATE_COUNT; s++)
        ck_assert_int_eq(list_check(&db.lists[s]), 0);
    pfn_db_destroy(&db);
    ck_assert_ptr_null(db.frames);
    ck_assert_uint_eq(db.nframes, 0);
}
END_TEST

START_TEST(test_move_changes_state_and_list)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, 4), 0);
    struct pfn *p = pfn_get(&db, 2);
    pfn_move(&db, p, PFN_ACTIVE);
    ck_assert_uint_eq(p->state, PFN_ACTIVE);
    ck_assert_uint_eq(pfn_count(&db, PFN_ACTIVE), 1);
    ck_assert_uint_eq(pfn_count(&db, PFN_FREE), 3);
    pfn_move(&db, p, PFN_MODIFIED);
    pfn_move(&db, p, PFN_STANDBY);
    ck_assert_uint_eq(p->state, PFN_STANDBY);
    ck_assert_uint_eq(pfn_count(&db, PFN_MODIFIED), 0);
    ck_assert_uint_eq(pfn_count(&db, PFN_STANDBY), 1);
    pfn_move(&db, p, PFN_FREE);
    ck_assert_uint_eq(total_on_lists(&db), 4);
    pfn_db_destroy(&db);
}
END_TEST

START_TEST(test_pop_keeps_state_and_link_appends_at_tail)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, 3), 0);
    struct pfn *first = pfn_pop(&db, PFN_FREE);
    ck_assert_uint_eq(pfn_number(&db, first), 0);
    ck_assert_uint_eq(first->state, PFN_FREE);
    ck_assert(!list_node_linked(&first->link));
    ck_assert_uint_eq(pfn_count(&db, PFN_FREE), 2);
    pfn_link(&db, first, PFN_FREE);
    ck_assert_uint_eq(pfn_number(&db, pfn_pop(&db, PFN_FREE)), 1);
    ck_assert_uint_eq(pfn_number(&db, pfn_pop(&db, PFN_FREE)), 2);
    ck_assert_uint_eq(pfn_number(&db, pfn_pop(&db, PFN_FREE)), 0);
    ck_assert_ptr_null(pfn_pop(&db, PFN_FREE));
    ck_assert_ptr_null(pfn_pop(&db, PFN_STANDBY));
    for (uint64_t f = 0; f < 3; f++)
        pfn_link(&db, pfn_get(&db, f), PFN_FREE);
    ck_assert_uint_eq(pfn_count(&db, PFN_FREE), 3);
    pfn_db_destroy(&db);
}
END_TEST

START_TEST(test_unlink_takes_frame_off_its_list)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, 2), 0);
    struct pfn *p = pfn_get(&db, 1);
    pfn_unlink(&db, p);
    ck_assert(!list_node_linked(&p->link));
    ck_assert_uint_eq(pfn_count(&db, PFN_FREE), 1);
    pfn_link(&db, p, PFN_FREE);
    ck_assert_uint_eq(pfn_count(&db, PFN_FREE), 2);
    pfn_db_destroy(&db);
}
END_TEST

/* An unlisted state: link only sets the state, unlink leaves the frame,
 * pop finds nothing, and count counts the unflagged frames in it. */
START_TEST(test_unlisted_state_keeps_frames_on_no_list)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, 4), 0);
    ck_assert(pfn_listed(&db, PFN_ACTIVE));
    pfn_db_unlist(&db, PFN_ACTIVE);
    ck_assert(!pfn_listed(&db, PFN_ACTIVE));
    ck_assert(pfn_listed(&db, PFN_FREE));
    struct pfn *a = pfn_get(&db, 1), *b = pfn_get(&db, 2);
    pfn_move(&db, a, PFN_ACTIVE);
    pfn_move(&db, b, PFN_ACTIVE);
    ck_assert_uint_eq(a->state, PFN_ACTIVE);
    ck_assert(!list_node_linked(&a->link));
    ck_assert_uint_eq(list_count(&db.lists[PFN_ACTIVE]), 0);
    ck_assert_uint_eq(pfn_count(&db, PFN_ACTIVE), 2);
    ck_assert_ptr_null(pfn_pop(&db, PFN_ACTIVE));
    b->flags = PFN_FLAG_WRITING; /* off any list anyway: not counted */
    ck_assert_uint_eq(pfn_count(&db, PFN_ACTIVE), 1);
    b->flags = 0;
    pfn_unlink(&db, b); /* on no list: nothing to do */
    ck_assert_uint_eq(pfn_count(&db, PFN_ACTIVE), 2);
    pfn_move(&db, a, PFN_MODIFIED);
    ck_assert(list_node_linked(&a->link));
    ck_assert_uint_eq(pfn_count(&db, PFN_MODIFIED), 1);
    ck_assert_uint_eq(pfn_count(&db, PFN_ACTIVE), 1);
    ck_assert_uint_eq(pfn_count(&db, PFN_FREE), 2);
    pfn_db_destroy(&db);
    ck_assert(pfn_listed(&db, PFN_ACTIVE));
}
END_TEST

/* Each record is one whole cache line: 64 bytes, starting on a line. */
START_TEST(test_records_are_whole_cache_lines)
{
    struct pfn_db db;
    ck_assert_uint_eq(sizeof(struct pfn), 64);
    ck_assert_int_eq(pfn_db_init(&db, 5), 0);
    for (uint64_t f = 0; f < 5; f++)
        ck_assert_uint_eq((uintptr_t)pfn_get(&db, f) % 64, 0);
    pfn_db_destroy(&db);
}
END_TEST

START_TEST(test_state_names)
{
    ck_assert_str_eq(pfn_state_name(PFN_FREE), "free");
    ck_assert_str_eq(pfn_state_name(PFN_ACTIVE), "active");
    ck_assert_str_eq(pfn_state_name(PFN_MODIFIED), "modified");
    ck_assert_str_eq(pfn_state_name(PFN_STANDBY), "standby");
    ck_assert_str_eq(pfn_state_name(PFN_STATE_COUNT), "?");
    ck_assert_uint_le(sizeof(struct pfn), 64);
}
END_TEST

START_TEST(test_empty_database_is_allowed)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, 0), 0);
    ck_assert_uint_eq(total_on_lists(&db), 0);
    ck_assert_ptr_null(pfn_pop(&db, PFN_FREE));
    pfn_db_destroy(&db);
}
END_TEST

START_TEST(test_huge_database_returns_enomem)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, UINT64_MAX / 2), -ENOMEM);
    ck_assert_ptr_null(db.frames);
    ck_assert_uint_eq(db.nframes, 0);
    pfn_db_destroy(&db);
}
END_TEST

/* Misuses of a 4-frame database db, each of which must abort. */
static void get_past_end(void *db) { pfn_get(db, 4); }
static void number_of_stray(void *db)
{
    struct pfn stray = {0};
    pfn_number(db, &stray);
}
static void number_of_misaligned(void *db)
{
    pfn_number(db, (struct pfn *)((char *)pfn_get(db, 1) + 8));
}
static void unlink_unlinked(void *db)
{
    struct pfn *p = pfn_pop(db, PFN_FREE);
    pfn_unlink(db, p);
}
static void link_linked(void *db) { pfn_link(db, pfn_get(db, 0), PFN_ACTIVE); }
static void link_bad_state(void *db)
{
    pfn_link(db, pfn_pop(db, PFN_FREE), PFN_STATE_COUNT);
}
static void count_bad_state(void *db) { pfn_count(db, PFN_STATE_COUNT); }
static void pop_bad_state(void *db) { pfn_pop(db, PFN_STATE_COUNT); }
static void unlist_nonempty(void *db) { pfn_db_unlist(db, PFN_FREE); }
static void listed_bad_state(void *db) { pfn_listed(db, PFN_STATE_COUNT); }
static void unlink_bad_state(void *db)
{
    struct pfn *p = pfn_get(db, 1);
    p->state = 9;
    pfn_unlink(db, p);
}

static void (*const misuses[])(void *) = {
    get_past_end, number_of_stray, number_of_misaligned, unlink_unlinked,
    link_linked, link_bad_state, count_bad_state, pop_bad_state,
    unlink_bad_state, unlist_nonempty, listed_bad_state,
};
#define NMISUSES ((int)(sizeof misuses / sizeof misuses[0]))

START_TEST(test_misuse_aborts)
{
    struct pfn_db db;
    ck_assert_int_eq(pfn_db_init(&db, 4), 0);
    bool aborted = catch_abort(misuses[_i], &db);
    pfn_db_destroy(&db);
    ck_assert_msg(aborted, "misuse %d did not abort", _i);
}
END_TEST

static Suite *make_pfn_suite(void)
{
    Suite *s = suite_create("pfn");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_test(core, test_init_puts_every_frame_free_in_order);
    tcase_add_test(core, test_move_changes_state_and_list);
    tcase_add_test(core, test_pop_keeps_state_and_link_appends_at_tail);
    tcase_add_test(core, test_unlink_takes_frame_off_its_list);
    tcase_add_test(core, test_unlisted_state_keeps_frames_on_no_list);
    tcase_add_test(core, test_records_are_whole_cache_lines);
    tcase_add_test(core, test_state_names);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    tcase_add_test(limits, test_empty_database_is_allowed);
    tcase_add_test(limits, test_huge_database_returns_enomem);
    tcase_add_loop_test(limits, test_misuse_aborts, 0, NMISUSES);
    return s;
}

CHECK_MAIN(make_pfn_suite)
