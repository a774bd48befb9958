/*
 * check_pager_file.c - file-backed pages (rules 2, 6, 9): nothing read at
 * vm_map, one frame and one state per (filename, block) across mappings
 * and processes, a resident block's access given at once, pages cached
 * after exit and written only when evicted, filenames read from the
 * arena (crossing pages, on evicted pages, running off the valid arena),
 * missing and short files, failed write-backs.
 *
 * The file "data" has blocks filled with 10, 11, ... (SIMK_DATA_SEED).
 */
#include "check_util.h"
#include "simkernel.h"

/* In the current process (with no pages yet): the name "data" at page 0,
 * block 0 of it at page 1, returned. */
static char *map_data(void)
{
    char *name = simk_map_name("data");
    ck_assert_ptr_nonnull(name);
    char *d = vm_map(name, 0);
    ck_assert_ptr_eq(d, simk_va(1, 0));
    return d;
}

/* In a new process pid: map_data(). */
static char *spawn_mapping_data(pid_t pid)
{
    ck_assert_int_eq(simk_spawn(pid), 0);
    return map_data();
}

/* In a new process pid: write two swap pages (on 2 frames, this pushes
 * out whatever was resident). */
static void write_two_swap_pages(pid_t pid)
{
    ck_assert_int_eq(simk_spawn(pid), 0);
    char *s0 = vm_map(NULL, 0), *s1 = vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(s0, 1), 0);
    ck_assert_int_eq(simk_write_byte(s1, 2), 0);
}

START_TEST(test_file_map_reads_nothing_until_touched)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 2), 0);
    char *name = simk_map_name("data");
    char *d = vm_map(name, 1);
    ck_assert_ptr_eq(d, simk_va(1, 0));
    ck_assert_str_eq(simk_perms(2), "rw -");
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_read_byte(d + 9), 11);
    ck_assert_str_eq(simk_log(), "read data 1");
    ck_assert_str_eq(simk_perms(2), "rw r");
    ck_assert_int_eq(simk_write_byte(d, 'w'), 0);
    ck_assert_str_eq(simk_perms(2), "rw rw");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_mappings_of_one_block_share_frame_and_state)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 1), 0);
    char *name = simk_map_name("data");
    char *d1 = vm_map(name, 0), *d2 = vm_map(name, 0);
    ck_assert_int_eq(simk_read_byte(d1), 10);
    ck_assert_str_eq(simk_perms(3), "rw r r");
    ck_assert_uint_eq(simk_ppage(d2), simk_ppage(d1));
    char *g = spawn_mapping_data(200);
    /* already resident: the new mapping gets the block's access at once */
    ck_assert_str_eq(simk_perms(2), "rw r");
    ck_assert_uint_eq(simk_ppage(g), simk_ppage(d1));
    ck_assert_int_eq(simk_write_byte(g, 'q'), 0);
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "rw rw rw");
    ck_assert_int_eq(simk_read_byte(d2), 'q');
    ck_assert_str_eq(simk_log(), "read data 0");
    /* the clock clears every PTE of the block together... */
    ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(3, 0));
    ck_assert_int_eq(simk_write_byte(simk_va(3, 0), 1), 0);
    ck_assert_str_eq(simk_log(), "read data 0; write <swap> 0");
    ck_assert_str_eq(simk_perms(4), "- - - rw");
    vm_switch(200);
    ck_assert_str_eq(simk_perms(2), "- -");
    /* ...and one fault gives it back to all of them */
    ck_assert_int_eq(simk_read_byte(g), 'q');
    ck_assert_str_eq(simk_perms(2), "- rw");
    vm_destroy();
    vm_switch(100);
    ck_assert_str_eq(simk_perms(4), "- rw rw rw");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_dirty_page_cached_after_exit_written_only_when_evicted)
{
    ck_assert_int_eq(simk_begin_data(3, 8, 1), 0);
    char *d = map_data();
    ck_assert_int_eq(simk_write_byte(d + 5, 'Z'), 0);
    vm_destroy();
    ck_assert_str_eq(simk_log(), "read data 0");
    ck_assert_int_eq(simk_file_byte("data", 5), 10);
    d = spawn_mapping_data(200);
    ck_assert_str_eq(simk_perms(2), "rw rw");
    ck_assert_int_eq(simk_read_byte(d + 5), 'Z');
    vm_destroy();
    ck_assert_str_eq(simk_log(), "read data 0");
    write_two_swap_pages(300);
    ck_assert_str_eq(simk_log(), "read data 0; write data 0");
    ck_assert_int_eq(simk_file_byte("data", 5), 'Z');
    ck_assert_int_eq(simk_file_byte("data", 6), 10);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_clean_cached_page_dropped_then_read_again)
{
    ck_assert_int_eq(simk_begin_data(3, 8, 1), 0);
    char *d = map_data();
    ck_assert_int_eq(simk_read_byte(d), 10);
    vm_destroy();
    write_two_swap_pages(300);
    vm_destroy();
    ck_assert_str_eq(simk_log(), "read data 0");
    d = spawn_mapping_data(400);
    ck_assert_str_eq(simk_perms(2), "rw -");
    ck_assert_int_eq(simk_read_byte(d), 10);
    ck_assert_str_eq(simk_log(), "read data 0; read data 0");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_filename_may_cross_a_page_boundary)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 1), 0);
    char *p0 = vm_map(NULL, 0);
    ck_assert_ptr_nonnull(vm_map(NULL, 0));
    char *name = p0 + VM_PAGESIZE - 2;
    ck_assert_int_eq(simk_write_str(name, "data"), 0);
    char *d = vm_map(name, 0);
    ck_assert_ptr_eq(d, simk_va(2, 0));
    ck_assert_int_eq(simk_read_byte(d), 10);
    ck_assert_str_eq(simk_log(), "read data 0");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_filename_on_evicted_page_is_read_in_first)
{
    ck_assert_int_eq(simk_begin_data(2, 4, 1), 0);
    char *name = simk_map_name("data");
    char *s = vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(s, 1), 0);
    ck_assert_str_eq(simk_perms(2), "- rw");
    simk_log_clear();
    char *d = vm_map(name, 0);
    ck_assert_ptr_eq(d, simk_va(2, 0));
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0");
    ck_assert_str_eq(simk_perms(3), "r - -");
    ck_assert_int_eq(simk_read_byte(d), 10);
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0; "
                                 "read data 0");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_missing_file_fails_on_first_touch_not_at_map)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 1), 0);
    char *name = simk_map_name("nofile");
    char *f = vm_map(name, 0);
    ck_assert_ptr_eq(f, simk_va(1, 0));
    ck_assert_int_eq(simk_read_byte(f), SIMK_FAULT);
    ck_assert_int_eq(simk_write_byte(f, 1), SIMK_FAULT);
    ck_assert_str_eq(simk_log(), "read nofile 0 failed; read nofile 0 failed");
    ck_assert_str_eq(simk_perms(2), "rw -");
    /* the frame taken for the failed read is free again */
    char *s = vm_map(NULL, 0);
    ck_assert_int_eq(simk_write_byte(s, 1), 0);
    ck_assert_uint_eq(simk_ppage(s), 2);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_short_file_has_only_whole_blocks)
{
    ck_assert_int_eq(simk_start(4, 8), 0);
    ck_assert_int_eq(simk_make_file("data", VM_PAGESIZE * 3 / 2, 10), 0);
    ck_assert_int_eq(simk_spawn(100), 0);
    char *name = simk_map_name("data");
    char *b0 = vm_map(name, 0), *b1 = vm_map(name, 1), *b7 = vm_map(name, 7);
    ck_assert_int_eq(simk_read_byte(b0), 10);
    ck_assert_int_eq(simk_read_byte(b1), SIMK_FAULT);
    ck_assert_int_eq(simk_read_byte(b7), SIMK_FAULT);
    ck_assert_str_eq(simk_log(),
                     "read data 0; read data 1 failed; read data 7 failed");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_filename_outside_valid_arena_is_refused)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 1), 0);
    char *p0 = vm_map(NULL, 0);
    ck_assert_int_eq(simk_fill_page(p0, 'x'), 0);
    ck_assert_ptr_null(vm_map(p0, 0));
    ck_assert_ptr_null(vm_map(p0 + VM_PAGESIZE - 1, 0));
    ck_assert_ptr_null(vm_map(simk_va(5, 0), 0));
    ck_assert_ptr_null(vm_map("data", 0));
    ck_assert_str_eq(simk_perms(2), "rw -");
    ck_assert_str_eq(simk_log(), "");
    ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(1, 0));
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_filename_on_unreadable_file_page_is_refused)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 1), 0);
    char *name = simk_map_name("missing");
    char *m = vm_map(name, 0);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_null(vm_map(m, 0));
    ck_assert_str_eq(simk_log(), "read missing 0 failed");
    /* an empty name (the zero page) maps, and fails when touched */
    char *z = vm_map(NULL, 0);
    char *e = vm_map(z, 0);
    ck_assert_ptr_eq(e, simk_va(3, 0));
    ck_assert_int_eq(simk_read_byte(e), SIMK_FAULT);
    ck_assert_str_eq(simk_log(), "read missing 0 failed; read  0 failed");
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

START_TEST(test_failed_file_write_back_keeps_page)
{
    ck_assert_int_eq(simk_start(2, 4), 0);
    ck_assert_int_eq(simk_make_file("data", VM_PAGESIZE, 10), 0);
    char *d = spawn_mapping_data(100);
    ck_assert_int_eq(simk_write_byte(d, 'D'), 0);
    ck_assert_int_eq(simk_remove_file("data"), 0);
    simk_log_clear();
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), SIMK_FAULT);
    ck_assert_str_eq(simk_log(), "write data 0 failed");
    ck_assert_int_eq(simk_read_byte(d), 'D');
    ck_assert_str_eq(simk_perms(2), "- rw");
    ck_assert_int_eq(simk_make_file("data", VM_PAGESIZE, 10), 0);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), 'd');
    ck_assert_str_eq(simk_log(), "write data 0 failed; write data 0; "
                                 "read <swap> 0");
    ck_assert_int_eq(simk_file_byte("data", 0), 'D');
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

static Suite *make_pager_file_suite(void)
{
    Suite *s = suite_create("pager_file");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_test(core, test_file_map_reads_nothing_until_touched);
    tcase_add_test(core, test_mappings_of_one_block_share_frame_and_state);
    tcase_add_test(core, test_dirty_page_cached_after_exit_written_only_when_evicted);
    tcase_add_test(core, test_clean_cached_page_dropped_then_read_again);
    tcase_add_test(core, test_filename_may_cross_a_page_boundary);
    tcase_add_test(core, test_filename_on_evicted_page_is_read_in_first);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    tcase_add_test(limits, test_missing_file_fails_on_first_touch_not_at_map);
    tcase_add_test(limits, test_short_file_has_only_whole_blocks);
    tcase_add_test(limits, test_filename_outside_valid_arena_is_refused);
    tcase_add_test(limits, test_filename_on_unreadable_file_page_is_refused);
    tcase_add_test(limits, test_failed_file_write_back_keeps_page);
    return s;
}

CHECK_MAIN(make_pager_file_suite)
