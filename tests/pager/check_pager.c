/*
 * check_pager.c - the pager's API: the zero page, vm_map's addresses,
 * vm_switch, vm_destroy's release of frames and swap, and every error
 * return (calls before vm_switch, unknown and duplicate pids, addresses
 * outside the valid arena, arena full, swap full, bad vm_init sizes).
 */
#include <signal.h>

#include "check_util.h"
#include "simkernel.h"

START_TEST(test_swap_page_maps_zero_page_read_only)
{
    ck_assert_int_eq(simk_begin(4, 4, 100), 0);
    char *p = vm_map(NULL, 0);
    ck_assert_ptr_eq(p, simk_va(0, 0));
    ck_assert_str_eq(simk_perm(p), "r");
    ck_assert_uint_eq(simk_ppage(p), 0);
    ck_assert_int_eq(simk_read_byte(p + 123), 0);
    ck_assert_str_eq(simk_perm(p), "r");
    ck_assert_uint_eq(simk_frame_byte(0, VM_PAGESIZE - 1), 0);
    vm_destroy();
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

START_TEST(test_first_write_takes_zeroed_frame_without_read)
{
    ck_assert_int_eq(simk_begin(4, 4, 100), 0);
    char *p = vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(p + 7, 0x42), 0);
    ck_assert_str_eq(simk_perm(p), "rw");
    ck_assert_uint_eq(simk_ppage(p), 1);
    ck_assert_int_eq(simk_read_byte(p + 7), 0x42);
    /* the rest of the frame was zeroed over the kernel's poison */
    ck_assert_int_eq(simk_read_byte(p), 0);
    ck_assert_int_eq(simk_read_byte(p + VM_PAGESIZE - 1), 0);
    ck_assert_uint_eq(simk_frame_byte(0, 7), 0);
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_vm_map_hands_out_lowest_pages_in_order)
{
    ck_assert_int_eq(simk_begin(4, 8, 100), 0);
    for (unsigned v = 0; v < 5; v++)
        ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(v, 0));
    ck_assert_str_eq(simk_perms(6), "r r r r r -");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_switch_shows_each_process_its_own_table)
{
    ck_assert_int_eq(simk_start(4, 4), 0);
    ck_assert_int_eq(vm_create(SIMK_LAUNCHER, 100), 0);
    ck_assert_int_eq(vm_create(SIMK_LAUNCHER, 200), 0);
    vm_switch(100);
    page_table_t *t100 = page_table_base_register;
    char *p = vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(p, 1), 0);
    vm_switch(200);
    ck_assert_ptr_nonnull(page_table_base_register);
    ck_assert_ptr_ne(page_table_base_register, t100);
    ck_assert_str_eq(simk_perms(1), "-");
    ck_assert_ptr_eq(vm_map(NULL, 0), p);
    ck_assert_int_eq(simk_read_byte(p), 0);
    vm_destroy();
    vm_switch(100);
    ck_assert_ptr_eq(page_table_base_register, t100);
    ck_assert_int_eq(simk_read_byte(p), 1);
    vm_destroy();
    ck_assert_ptr_null(page_table_base_register);
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

START_TEST(test_destroy_frees_frames_and_swap_without_io)
{
    ck_assert_int_eq(simk_begin(3, 2, 100), 0);
    char *a = vm_map(NULL, 0), *b = vm_map(NULL, 0);
    ck_assert_ptr_null(vm_map(NULL, 0));
    ck_assert_int_eq(simk_write_byte(a, 1), 0);
    ck_assert_int_eq(simk_write_byte(b, 2), 0);
    vm_destroy();
    ck_assert_int_eq(simk_spawn(200), 0);
    a = vm_map(NULL, 0);
    b = vm_map(NULL, 0);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(simk_write_byte(b, 3), 0);
    ck_assert_int_eq(simk_write_byte(a, 4), 0);
    ck_assert_uint_eq(simk_ppage(b), 1);
    ck_assert_uint_eq(simk_ppage(a), 2);
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_spurious_fault_changes_nothing)
{
    ck_assert_int_eq(simk_begin(4, 4, 100), 0);
    char *p = vm_map(NULL, 0);
    ck_assert_int_eq(vm_fault(p, false), 0);
    ck_assert_str_eq(simk_perm(p), "r");
    ck_assert_int_eq(simk_write_byte(p, 9), 0);
    ck_assert_int_eq(vm_fault(p, true), 0);
    ck_assert_int_eq(vm_fault(p, false), 0);
    ck_assert_str_eq(simk_perm(p), "rw");
    ck_assert_uint_eq(simk_ppage(p), 1);
    ck_assert_int_eq(simk_read_byte(p), 9);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_calls_before_any_switch_fail)
{
    ck_assert_int_eq(simk_start(4, 4), 0);
    ck_assert_ptr_null(page_table_base_register);
    ck_assert_int_eq(vm_fault(simk_va(0, 0), false), -1);
    ck_assert_int_eq(vm_fault(simk_va(0, 0), true), -1);
    ck_assert_ptr_null(vm_map(NULL, 0));
    vm_destroy();
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), SIMK_FAULT);
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

START_TEST(test_switch_to_unknown_pid_leaves_no_process_current)
{
    ck_assert_int_eq(simk_begin(4, 4, 100), 0);
    char *p = vm_map(NULL, 0);
    vm_switch(555);
    ck_assert_ptr_null(page_table_base_register);
    ck_assert_ptr_null(vm_map(NULL, 0));
    ck_assert_int_eq(vm_fault(p, true), -1);
    vm_destroy();
    vm_switch(100);
    ck_assert_str_eq(simk_perms(2), "r -");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_create_of_managed_pid_fails)
{
    ck_assert_int_eq(simk_start(4, 4), 0);
    ck_assert_int_eq(vm_create(SIMK_LAUNCHER, 100), 0);
    ck_assert_int_eq(vm_create(SIMK_LAUNCHER, 100), -1);
    ck_assert_int_eq(vm_create(100, 100), -1);
    ck_assert_int_eq(vm_create(7, 100), -1);
    vm_switch(100);
    vm_destroy();
    ck_assert_int_eq(vm_create(SIMK_LAUNCHER, 100), 0);
    vm_switch(100);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_fault_outside_valid_arena_fails)
{
    ck_assert_int_eq(simk_begin(4, 4, 100), 0);
    char *p = vm_map(NULL, 0);
    char *base = VM_ARENA_BASEADDR;
    ck_assert_int_eq(vm_fault(simk_va(1, 0), false), -1);
    ck_assert_int_eq(vm_fault(simk_va(1, 5), true), -1);
    ck_assert_int_eq(vm_fault(base - 1, false), -1);
    ck_assert_int_eq(vm_fault(base + VM_ARENA_SIZE, true), -1);
    ck_assert_int_eq(vm_fault(NULL, false), -1);
    ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), SIMK_FAULT);
    ck_assert_int_eq(simk_write_byte(simk_va(VM_ARENA_PAGES - 1, 0), 1),
                     SIMK_FAULT);
    ck_assert_int_eq(simk_read_byte(p + VM_PAGESIZE - 1), 0);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_arena_full_returns_null)
{
    ck_assert_int_eq(simk_begin_data(4, VM_ARENA_PAGES + 4, 1), 0);
    char *name = simk_map_name("data");
    for (unsigned v = 1; v < VM_ARENA_PAGES; v++)
        ck_assert_ptr_eq(vm_map(v % 2 ? NULL : name, 0), simk_va(v, 0));
    simk_log_clear();
    ck_assert_ptr_null(vm_map(NULL, 0));
    ck_assert_ptr_null(vm_map(name, 0));
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_read_byte(simk_va(VM_ARENA_PAGES - 2, 0)),
                     SIMK_DATA_SEED);
    ck_assert_str_eq(simk_log(), "read data 0");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_swap_full_refuses_swap_pages_not_file_pages)
{
    ck_assert_int_eq(simk_begin_data(4, 2, 1), 0);
    char *name = simk_map_name("data");
    ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(1, 0));
    ck_assert_ptr_null(vm_map(NULL, 0));
    ck_assert_ptr_eq(vm_map(name, 0), simk_va(2, 0));
    ck_assert_ptr_null(vm_map(NULL, 0));
    ck_assert_int_eq(simk_spawn(200), 0);
    ck_assert_ptr_null(vm_map(NULL, 0));
    vm_destroy();
    vm_switch(100);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_vm_init_refuses_bad_sizes)
{
    ck_assert_int_eq(simk_start(4, 4), 0);
    vm_init(0, 4);
    ck_assert_int_eq(vm_create(SIMK_LAUNCHER, 100), -1);
    vm_init((1u << 20) + 1, 4);
    ck_assert_int_eq(vm_create(SIMK_LAUNCHER, 100), -1);
    vm_switch(100);
    ck_assert_ptr_null(vm_map(NULL, 0));
    vm_init(4, 4);
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

START_TEST(test_zero_page_only_memory_refuses_writes)
{
    ck_assert_int_eq(simk_begin(1, 4, 100), 0);
    char *p = vm_map(NULL, 0);
    ck_assert_int_eq(simk_read_byte(p), 0);
    ck_assert_int_eq(simk_write_byte(p, 1), SIMK_FAULT);
    ck_assert_str_eq(simk_perm(p), "r");
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_reinit_frees_every_process)
{
    ck_assert_int_eq(simk_begin_data(4, 2, 1), 0);
    char *name = simk_map_name("data");
    char *f = vm_map(name, 0);
    ck_assert_int_eq(simk_write_byte(f, 1), 0);
    ck_assert_int_eq(vm_create(100, 200), 0);
    vm_init(4, 2);
    ck_assert_ptr_null(page_table_base_register);
    vm_switch(100);
    ck_assert_ptr_null(page_table_base_register);
    ck_assert_int_eq(simk_spawn(100), 0);
    ck_assert_ptr_nonnull(vm_map(NULL, 0));
    ck_assert_ptr_nonnull(vm_map(NULL, 0));
    vm_destroy();
    ck_assert_str_eq(simk_log(), "read data 0");
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

#ifdef PAGELAB_DEBUG
/* Debug builds check every invariant after each call.  These tests
 * corrupt a PTE behind the pager's back (no files: the process dies). */
static void start_bare_process(void)
{
    vm_init(4, 4);
    ck_assert_int_eq(simk_spawn(100), 0);
    ck_assert_ptr_nonnull(vm_map(NULL, 0));
}

START_TEST(test_checker_aborts_on_writable_zero_page)
{
    start_bare_process();
    page_table_base_register->ptes[0].write_enable = 1;
    check_util_expect_death();
    vm_switch(100);
}
END_TEST

START_TEST(test_checker_aborts_on_scribbled_zero_page)
{
    start_bare_process();
    ((char *)vm_physmem)[VM_PAGESIZE / 2] = 1;
    check_util_expect_death();
    vm_switch(100);
}
END_TEST

START_TEST(test_checker_aborts_on_accessible_invalid_page)
{
    start_bare_process();
    page_table_base_register->ptes[3].read_enable = 1;
    check_util_expect_death();
    vm_fault(simk_va(0, 0), false);
}
END_TEST
#endif

static Suite *make_pager_suite(void)
{
    Suite *s = suite_create("pager");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_test(core, test_swap_page_maps_zero_page_read_only);
    tcase_add_test(core, test_first_write_takes_zeroed_frame_without_read);
    tcase_add_test(core, test_vm_map_hands_out_lowest_pages_in_order);
    tcase_add_test(core, test_switch_shows_each_process_its_own_table);
    tcase_add_test(core, test_destroy_frees_frames_and_swap_without_io);
    tcase_add_test(core, test_spurious_fault_changes_nothing);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    tcase_add_test(limits, test_calls_before_any_switch_fail);
    tcase_add_test(limits, test_switch_to_unknown_pid_leaves_no_process_current);
    tcase_add_test(limits, test_create_of_managed_pid_fails);
    tcase_add_test(limits, test_fault_outside_valid_arena_fails);
    tcase_add_test(limits, test_arena_full_returns_null);
    tcase_add_test(limits, test_swap_full_refuses_swap_pages_not_file_pages);
    tcase_add_test(limits, test_vm_init_refuses_bad_sizes);
    tcase_add_test(limits, test_zero_page_only_memory_refuses_writes);
    tcase_add_test(limits, test_reinit_frees_every_process);
#ifdef PAGELAB_DEBUG
    tcase_add_test_raise_signal(limits, test_checker_aborts_on_writable_zero_page,
                                SIGABRT);
    tcase_add_test_raise_signal(limits,
                                test_checker_aborts_on_accessible_invalid_page,
                                SIGABRT);
    tcase_add_test_raise_signal(limits,
                                test_checker_aborts_on_scribbled_zero_page,
                                SIGABRT);
#endif
    return s;
}

CHECK_MAIN(make_pager_suite)
