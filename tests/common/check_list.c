/*
 * check_list.c - the intrusive list: order, counts, ring soundness, misuse.
 */
#include <stdlib.h>

#include "catch_abort.h"
#include "check_util.h"
#include "list.h"

struct item {
    int value;
    struct list_node link;
};

/* Fill l (in place: the sentinel's address matters) with n items. */
static void make_list(struct list *l, struct item *items, int n)
{
    list_init(l);
    for (int i = 0; i < n; i++) {
        items[i].value = i;
        list_node_init(&items[i].link);
        list_push_tail(l, &items[i].link);
    }
}

START_TEST(test_push_tail_keeps_fifo_order)
{
    struct item items[5];
    struct list l;
    make_list(&l, items, 5);
    ck_assert_uint_eq(list_count(&l), 5);
    for (int i = 0; i < 5; i++) {
        struct list_node *n = list_pop_head(&l);
        ck_assert_ptr_nonnull(n);
        ck_assert_int_eq(list_entry(n, struct item, link)->value, i);
        ck_assert(!list_node_linked(n));
    }
    ck_assert(list_empty(&l));
    ck_assert_ptr_null(list_pop_head(&l));
    ck_assert_int_eq(list_check(&l), 0);
}
END_TEST

START_TEST(test_push_head_and_remove_middle)
{
    struct item items[3];
    struct list l;
    make_list(&l, items, 3);
    list_remove(&l, &items[1].link);
    ck_assert_uint_eq(list_count(&l), 2);
    list_push_head(&l, &items[1].link);
    ck_assert_ptr_eq(list_head(&l), &items[1].link);
    ck_assert_ptr_eq(list_tail(&l), &items[2].link);
    ck_assert_ptr_eq(list_next(&l, &items[1].link), &items[0].link);
    ck_assert_ptr_null(list_next(&l, &items[2].link));
    ck_assert_int_eq(list_check(&l), 0);
}
END_TEST

START_TEST(test_empty_list_has_no_head_or_tail)
{
    struct list l;
    list_init(&l);
    ck_assert_ptr_null(list_head(&l));
    ck_assert_ptr_null(list_tail(&l));
    ck_assert_int_eq(list_check(&l), 0);
}
END_TEST

START_TEST(test_check_detects_bad_count)
{
    struct item items[2];
    struct list l;
    make_list(&l, items, 2);
    l.count = 3;
    ck_assert_int_eq(list_check(&l), -1);
    l.count = 1;
    ck_assert_int_eq(list_check(&l), -1);
    l.count = 2;
    items[0].link.next->prev = NULL;
    ck_assert_int_eq(list_check(&l), -1);
}
END_TEST

struct list_and_node {
    struct list *list;
    struct list_node *node;
};

static void remove_node(void *arg)
{
    struct list_and_node *ln = arg;
    list_remove(ln->list, ln->node);
}

static void push_node(void *arg)
{
    struct list_and_node *ln = arg;
    list_push_tail(ln->list, ln->node);
}

START_TEST(test_remove_unlinked_node_aborts)
{
    struct item items[1];
    struct list l;
    make_list(&l, items, 1);
    struct item stray;
    list_node_init(&stray.link);
    struct list_and_node ln = {&l, &stray.link};
    ck_assert(catch_abort(remove_node, &ln));
    ck_assert_uint_eq(list_count(&l), 1);
    ck_assert_int_eq(list_check(&l), 0);
}
END_TEST

START_TEST(test_remove_from_empty_list_aborts)
{
    struct list l, other;
    struct item items[1];
    make_list(&other, items, 1);
    list_init(&l);
    struct list_and_node ln = {&l, &items[0].link};
    ck_assert(catch_abort(remove_node, &ln));
    ck_assert_int_eq(list_check(&other), 0);
}
END_TEST

START_TEST(test_double_insert_aborts)
{
    struct item items[1];
    struct list l;
    make_list(&l, items, 1);
    struct list_and_node ln = {&l, &items[0].link};
    ck_assert(catch_abort(push_node, &ln));
    ck_assert_uint_eq(list_count(&l), 1);
    ck_assert_int_eq(list_check(&l), 0);
}
END_TEST

static Suite *make_list_suite(void)
{
    Suite *s = suite_create("list");
    TCase *core = check_util_tcase(s, "core", "public", 0);
    tcase_add_test(core, test_push_tail_keeps_fifo_order);
    tcase_add_test(core, test_push_head_and_remove_middle);
    tcase_add_test(core, test_empty_list_has_no_head_or_tail);
    TCase *limits = check_util_tcase(s, "limits", "public", 0);
    tcase_add_test(limits, test_check_detects_bad_count);
    tcase_add_test(limits, test_remove_unlinked_node_aborts);
    tcase_add_test(limits, test_remove_from_empty_list_aborts);
    tcase_add_test(limits, test_double_insert_aborts);
    return s;
}

CHECK_MAIN(make_list_suite)
