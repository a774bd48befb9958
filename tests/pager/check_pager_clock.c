/*
 * check_pager_clock.c - frame allocation and the clock (rules 1, 3, 4, 5):
 * free frames lowest first, second chance, the exact order of evictions
 * and write-backs, clean pages dropped without a write, swap blocks taken
 * lowest first and kept for life, the zero page never evicted, and what a
 * failed write-back or swap read leaves behind.
 *
 * Most tests run on 3 usable frames (memory 4) with swap pages A0..A3
 * holding the values 10..13.
 */
#include "check_util.h"
#include "simkernel.h"

/* Map four swap pages and write A0, A1, A2 (frames 1..3), then A3: the
 * clock clears all three bits and evicts A0 to swap block 0. */
static void fill_and_overflow(void)
{
    ck_assert_int_eq(simk_begin(4, 8, 100), 0);
    for (unsigned v = 0; v < 4; v++)
        ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(v, 0));
    for (unsigned v = 0; v < 3; v++)
        ck_assert_int_eq(simk_write_byte(simk_va(v, 0), 10 + v), 0);
    ck_assert_str_eq(simk_perms(4), "rw rw rw r");
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_write_byte(simk_va(3, 0), 13), 0);
}

/* After fill_and_overflow: re-reference A1 (cleared by the clock), then
 * write A0 back in: A1 gets its second chance in place, A2 goes. */
static void refault_after_overflow(void)
{
    simk_log_clear();
    ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), 11);
    ck_assert_str_eq(simk_perms(4), "- rw - rw");
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_write_byte(simk_va(0, 1), 20), 0);
}

/* A0..A3 still hold their values 10..13 at offset 0. */
static void assert_values_intact(void)
{
    for (unsigned v = 0; v < 4; v++)
        ck_assert_int_eq(simk_read_byte(simk_va(v, 0)), 10 + v);
}

START_TEST(test_free_frames_are_used_lowest_first)
{
    ck_assert_int_eq(simk_begin(4, 8, 100), 0);
    for (unsigned v = 0; v < 3; v++)
        vm_map(NULL, 0);
    unsigned order[3] = { 2, 0, 1 };
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_int_eq(simk_write_byte(simk_va(order[i], 0), 1), 0);
        ck_assert_uint_eq(simk_ppage(simk_va(order[i], 0)), i + 1);
    }
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_clock_gives_second_chance_then_evicts_fifo_head)
{
    fill_and_overflow();
    ck_assert_str_eq(simk_log(), "write <swap> 0");
    ck_assert_str_eq(simk_perms(4), "- - - rw");
    ck_assert_uint_eq(simk_ppage(simk_va(3, 0)), 1);
    ck_assert_int_eq(simk_swap_byte(0, 0), 10);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_fault_on_cleared_page_sets_reference_without_moving)
{
    fill_and_overflow();
    refault_after_overflow();
    /* A1 stayed at the head: the clock cleared it again and took A2 */
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0");
    ck_assert_str_eq(simk_perms(4), "rw - - rw");
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 3);
    ck_assert_int_eq(simk_swap_byte(1, 0), 12);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 1)), 20);
    assert_values_intact();
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_clean_page_dropped_and_swap_block_kept)
{
    fill_and_overflow();
    refault_after_overflow();
    simk_log_clear();
    ck_assert_int_eq(simk_read_byte(simk_va(2, 0)), 12);
    ck_assert_str_eq(simk_log(), "write <swap> 2; read <swap> 1");
    ck_assert_str_eq(simk_perms(4), "rw - r -");
    simk_log_clear();
    ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), 11);
    ck_assert_int_eq(simk_read_byte(simk_va(3, 0)), 13);
    /* A0 is written to the block it got first, not the lowest free one */
    ck_assert_str_eq(simk_log(), "write <swap> 3; read <swap> 2; "
                                 "write <swap> 0; read <swap> 3");
    simk_log_clear();
    /* A0 comes back from what block 0 holds: change it behind the pager's
     * back first, so a pager that kept a copy elsewhere is caught */
    ck_assert_int_eq(simk_swap_byte(0, 1), 20);
    ck_assert_int_eq(simk_set_swap_byte(0, 1, 21), 0);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 1)), 21);
    /* A2 was read in clean, so it is dropped without a write */
    ck_assert_str_eq(simk_log(), "read <swap> 0");
    ck_assert_str_eq(simk_perms(4), "r - - r");
    assert_values_intact();
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_write_to_clean_resident_page_needs_no_io)
{
    fill_and_overflow();
    refault_after_overflow();
    ck_assert_int_eq(simk_read_byte(simk_va(2, 0)), 12);
    simk_log_clear();
    ck_assert_int_eq(simk_write_byte(simk_va(2, 0), 32), 0);
    ck_assert_str_eq(simk_perm(simk_va(2, 0)), "rw");
    ck_assert_str_eq(simk_log(), "");
    /* now dirty: evicting it writes it back to its own block 1 */
    ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), 11);
    ck_assert_int_eq(simk_read_byte(simk_va(3, 0)), 13);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), 10);
    ck_assert_str_eq(simk_log(), "write <swap> 3; read <swap> 2; "
                                 "write <swap> 0; read <swap> 3; "
                                 "write <swap> 1; read <swap> 0");
    ck_assert_int_eq(simk_swap_byte(1, 0), 32);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_swap_blocks_reused_after_exit)
{
    ck_assert_int_eq(simk_start(2, 4), 0);
    for (pid_t pid = 100; pid <= 200; pid += 100) {
        ck_assert_int_eq(simk_spawn(pid), 0);
        char *a = vm_map(NULL, 0), *b = vm_map(NULL, 0);
        ck_assert_int_eq(simk_write_byte(a, (unsigned char)pid), 0);
        ck_assert_int_eq(simk_write_byte(b, 1), 0);
        ck_assert_int_eq(simk_swap_byte(0, 0), (unsigned char)pid);
        vm_destroy();
    }
    ck_assert_str_eq(simk_log(), "write <swap> 0; write <swap> 0");
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

START_TEST(test_swap_block_kept_when_a_lower_block_frees)
{
    ck_assert_int_eq(simk_begin(2, 4, 100), 0);
    vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(simk_va(0, 0), 'x'), 0);
    ck_assert_int_eq(simk_spawn(200), 0);
    for (unsigned v = 0; v < 2; v++) {
        vm_map(NULL, 0);
        ck_assert_int_eq(simk_write_byte(simk_va(v, 0), 'y' + v), 0);
    }
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), 'y');
    vm_switch(100);
    vm_destroy();
    vm_switch(200);
    /* block 0 is free now, but the page keeps block 1 */
    ck_assert_int_eq(simk_write_byte(simk_va(0, 1), 'Y'), 0);
    ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), 'z');
    ck_assert_str_eq(simk_log(), "write <swap> 0; write <swap> 1; "
                                 "write <swap> 2; read <swap> 1; "
                                 "write <swap> 1; read <swap> 2");
    ck_assert_int_eq(simk_swap_byte(1, 1), 'Y');
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_zero_page_is_never_evicted)
{
    ck_assert_int_eq(simk_begin(2, 8, 100), 0);
    for (unsigned v = 0; v < 5; v++)
        vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(simk_va(0, 0), 5), 0);
    for (unsigned v = 1; v < 5; v++)
        ck_assert_int_eq(simk_read_byte(simk_va(v, 9)), 0);
    ck_assert_str_eq(simk_perms(5), "rw r r r r");
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_write_byte(simk_va(1, 0), 6), 0);
    ck_assert_str_eq(simk_log(), "write <swap> 0");
    ck_assert_str_eq(simk_perms(5), "- rw r r r");
    ck_assert_uint_eq(simk_frame_byte(0, 0), 0);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_failed_write_back_keeps_page_resident)
{
    ck_assert_int_eq(simk_begin(2, 4, 100), 0);
    char *a = vm_map(NULL, 0), *b = vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(a, 'x'), 0);
    simk_fail_write(1);
    ck_assert_int_eq(simk_write_byte(b, 'y'), SIMK_FAULT);
    ck_assert_str_eq(simk_log(), "write <swap> 0 failed");
    ck_assert_str_eq(simk_perms(2), "- r");
    ck_assert_int_eq(simk_read_byte(a), 'x');
    ck_assert_str_eq(simk_perms(2), "rw r");
    ck_assert_int_eq(simk_write_byte(b, 'y'), 0);
    ck_assert_str_eq(simk_log(), "write <swap> 0 failed; write <swap> 0");
    ck_assert_int_eq(simk_swap_byte(0, 0), 'x');
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_failed_swap_read_frees_the_frame)
{
    ck_assert_int_eq(simk_begin(3, 4, 100), 0);
    for (unsigned v = 0; v < 3; v++) {
        vm_map(NULL, 0);
        ck_assert_int_eq(simk_write_byte(simk_va(v, 0), 10 + v), 0);
    }
    simk_log_clear();
    simk_fail_read(1);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), SIMK_FAULT);
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0 failed");
    ck_assert_str_eq(simk_perms(3), "- - rw");
    ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), 11);
    ck_assert_uint_eq(simk_ppage(simk_va(1, 0)), 2);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), 10);
    ck_assert_int_eq(simk_read_byte(simk_va(2, 0)), 12);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

static Suite *make_pager_clock_suite(void)
{
    Suite *s = suite_create("pager_clock");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_test(core, test_free_frames_are_used_lowest_first);
    tcase_add_test(core, test_clock_gives_second_chance_then_evicts_fifo_head);
    tcase_add_test(core, test_fault_on_cleared_page_sets_reference_without_moving);
    tcase_add_test(core, test_clean_page_dropped_and_swap_block_kept);
    tcase_add_test(core, test_write_to_clean_resident_page_needs_no_io);
    tcase_add_test(core, test_swap_blocks_reused_after_exit);
    tcase_add_test(core, test_swap_block_kept_when_a_lower_block_frees);
    tcase_add_test(core, test_zero_page_is_never_evicted);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    tcase_add_test(limits, test_failed_write_back_keeps_page_resident);
    tcase_add_test(limits, test_failed_swap_read_frees_the_frame);
    return s;
}

CHECK_MAIN(make_pager_clock_suite)
