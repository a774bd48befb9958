/*
 * check_pager_cow.c - vm_create and copy-on-write (rules 2, 5, 7, 8):
 * children of unmanaged parents are empty, a fork shares every page
 * without copying, a write to a shared swap page gives the writer a
 * private copy (from memory, from swap, or in place when the clock picks
 * the source itself), the copy sets a resident source's reference bit
 * (not a source the clock evicted for it), the last sharer regains write
 * access without a fault only when the page is dirty, file pages stay
 * shared, fork chains and many processes keep their own bytes, and eager
 * swap reservation.
 */
#include "check_util.h"
#include "simkernel.h"

/* Process 100 writes value at S0 (page 0) in a world of memory_pages
 * frames and 8 swap blocks; S1 and S2 are mapped but not written. */
static void start_parent(unsigned memory_pages, unsigned char value)
{
    ck_assert_int_eq(simk_begin(memory_pages, 8, 100), 0);
    for (unsigned v = 0; v < 3; v++)
        ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(v, 0));
    ck_assert_int_eq(simk_write_byte(simk_va(0, 0), value), 0);
}

/* Fork 100 into 200 and run 200. */
static void fork_child(void)
{
    ck_assert_int_eq(vm_create(100, 200), 0);
    vm_switch(200);
}

/* Write value at page vpn of the current process. */
static void put(unsigned vpn, unsigned char value)
{
    ck_assert_int_eq(simk_write_byte(simk_va(vpn, 0), value), 0);
}

/* Read page vpn of the current process; it must hold value. */
static void expect(unsigned vpn, unsigned char value)
{
    ck_assert_int_eq(simk_read_byte(simk_va(vpn, 0)), value);
}

/* Destroy processes pids[0..n-1] (in that order) and end the world. */
static void destroy_all_and_stop(const pid_t *pids, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        vm_switch(pids[i]);
        vm_destroy();
    }
    ck_assert_int_eq(simk_stop(), 0);
}

START_TEST(test_child_of_unmanaged_parent_is_empty)
{
    ck_assert_int_eq(simk_start(4, 4), 0);
    ck_assert_int_eq(vm_create(12345, 100), 0);
    vm_switch(100);
    ck_assert_int_eq(vm_fault(simk_va(0, 0), false), -1);
    ck_assert_str_eq(simk_perms(2), "- -");
    ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(0, 0));
    destroy_all_and_stop((pid_t[]){ 100 }, 1);
}
END_TEST

START_TEST(test_fork_shares_every_page_without_copying)
{
    start_parent(4, 'a');
    ck_assert_int_eq(simk_make_file("data", VM_PAGESIZE, 10), 0);
    ck_assert_int_eq(simk_write_str(simk_va(1, 0), "data"), 0);
    ck_assert_ptr_eq(vm_map(simk_va(1, 0), 0), simk_va(3, 0));
    ck_assert_int_eq(vm_create(100, 200), 0);
    ck_assert_str_eq(simk_perms(4), "r r r -");
    vm_switch(200);
    ck_assert_str_eq(simk_perms(4), "r r r -");
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 1);
    ck_assert_uint_eq(simk_ppage(simk_va(1, 0)), 2);
    ck_assert_uint_eq(simk_ppage(simk_va(2, 0)), 0);
    expect(0, 'a');
    expect(1, 'd');
    ck_assert_str_eq(simk_log(), "");
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_writer_gets_copy_and_last_dirty_sharer_regains_write)
{
    start_parent(4, 'a');
    ck_assert_int_eq(simk_write_byte(simk_va(0, 1), 'A'), 0);
    fork_child();
    put(0, 'b');
    ck_assert_str_eq(simk_perms(3), "rw r r");
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 2);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 1)), 'A');
    vm_switch(100);
    /* no fault needed: the page is dirty and has one sharer left */
    ck_assert_str_eq(simk_perms(3), "rw r r");
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 1);
    expect(0, 'a');
    ck_assert_str_eq(simk_log(), "");
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_write_to_shared_zero_page_leaves_sharers_on_zero_page)
{
    start_parent(4, 'a');
    fork_child();
    put(2, 'z');
    ck_assert_str_eq(simk_perms(3), "r r rw");
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "r r r");
    ck_assert_uint_eq(simk_ppage(simk_va(2, 0)), 0);
    expect(2, 0);
    ck_assert_uint_eq(simk_frame_byte(0, 0), 0);
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_last_sharer_of_clean_page_needs_a_write_fault)
{
    start_parent(3, 'a');
    put(1, 'b');
    put(2, 'c');
    expect(0, 'a');
    ck_assert_str_eq(simk_log(), "write <swap> 0; write <swap> 1; "
                                 "read <swap> 0");
    fork_child();
    simk_log_clear();
    put(0, 'x');
    ck_assert_str_eq(simk_log(), "write <swap> 2");
    ck_assert_str_eq(simk_perms(3), "rw - -");
    vm_switch(100);
    /* the copy read S0 (rule 7): referenced, so readable; clean, so not
     * writable */
    ck_assert_str_eq(simk_perms(3), "r - -");
    expect(0, 'a');
    put(0, 'y');
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 2);
    ck_assert_str_eq(simk_log(), "write <swap> 2");
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_cow_source_picked_by_clock_becomes_the_copy)
{
    start_parent(2, 'a');
    ck_assert_int_eq(simk_write_byte(simk_va(0, 1), 'A'), 0);
    put(1, 'b');
    expect(0, 'a');
    ck_assert_str_eq(simk_log(), "write <swap> 0; write <swap> 1; "
                                 "read <swap> 0");
    fork_child();
    simk_log_clear();
    put(0, 'x');
    /* the clean source was evicted into the very frame it is copied to */
    ck_assert_str_eq(simk_log(), "");
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 1);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 1)), 'A');
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "- - r");
    expect(0, 'a');
    ck_assert_str_eq(simk_log(), "write <swap> 2; read <swap> 0");
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

/* Process 100 has S0..S4 and has written S0..S4 in a world of 5 frames
 * (1..4 usable): S0 went to swap block 0; the clock cleared S1, S2 and S3,
 * so the queue is [S1, S2, S3, S4] with only S4 referenced.  Then 100
 * forks 200 and 200 runs. */
static void start_cleared_queue(void)
{
    ck_assert_int_eq(simk_begin(5, 16, 100), 0);
    for (unsigned v = 0; v < 5; v++)
        ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(v, 0));
    for (unsigned v = 0; v < 5; v++)
        put(v, (unsigned char)('a' + v));
    ck_assert_str_eq(simk_log(), "write <swap> 0");
    ck_assert_str_eq(simk_perms(5), "- - - - rw");
    fork_child();
    simk_log_clear();
}

START_TEST(test_cow_sets_the_source_reference_bit)
{
    start_cleared_queue();
    put(2, 'x');  /* the clock evicts S1 (the head); S2 is copied */
    ck_assert_str_eq(simk_log(), "write <swap> 1");
    ck_assert_uint_eq(simk_ppage(simk_va(2, 0)), 2);
    vm_switch(100);
    /* S2 was read for the copy: referenced again, and 100 is its last
     * sharer with a dirty page, so it is writable without a fault */
    ck_assert_str_eq(simk_perms(5), "- - rw - r");
    ck_assert_uint_eq(simk_ppage(simk_va(2, 0)), 3);
    vm_switch(200);
    put(0, 'y');  /* S2 gets its second chance; S3 is evicted */
    ck_assert_str_eq(simk_log(), "write <swap> 1; write <swap> 2; "
                                 "read <swap> 0");
    vm_switch(100);
    ck_assert_uint_eq(simk_ppage(simk_va(2, 0)), 3);
    ck_assert_uint_eq(simk_ppage(simk_va(3, 0)), 0);
    expect(2, 'c');
    expect(3, 'd');
    vm_switch(200);
    expect(2, 'x');
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_cow_source_next_victim_is_evicted_unreferenced)
{
    start_cleared_queue();
    put(1, 'x');  /* S1 is the clock's next victim: it becomes the copy */
    ck_assert_str_eq(simk_log(), "write <swap> 1");
    ck_assert_uint_eq(simk_ppage(simk_va(1, 0)), 2);
    vm_switch(100);
    /* S1 is on disk, with no reference bit; S2 and S3 were not touched */
    ck_assert_str_eq(simk_perms(5), "- - - - r");
    ck_assert_uint_eq(simk_ppage(simk_va(1, 0)), 0);
    ck_assert_uint_eq(simk_ppage(simk_va(2, 0)), 3);
    expect(1, 'b');
    vm_switch(200);
    expect(1, 'x');
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_cow_of_page_on_disk_reads_swap_into_private_frame)
{
    start_parent(3, 'a');
    put(1, 'b');
    put(2, 'c');
    fork_child();
    simk_log_clear();
    put(0, 'x');
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0");
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 2);
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "- - r");
    expect(0, 'a');
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0; "
                                 "write <swap> 2; read <swap> 0");
    vm_switch(200);
    expect(0, 'x');
    expect(1, 'b');
    expect(2, 'c');
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_fork_chain_gives_each_writer_its_own_copy)
{
    ck_assert_int_eq(simk_begin(8, 16, 100), 0);
    vm_map(NULL, 0);
    put(0, 1);
    ck_assert_int_eq(vm_create(100, 200), 0);
    ck_assert_int_eq(vm_create(200, 300), 0);
    vm_switch(300);
    put(0, 3);
    vm_switch(200);
    ck_assert_str_eq(simk_perm(simk_va(0, 0)), "r");
    put(0, 2);
    vm_switch(100);
    ck_assert_str_eq(simk_perm(simk_va(0, 0)), "rw");
    pid_t pids[] = { 100, 200, 300 };
    unsigned frames[] = { 1, 3, 2 };
    for (unsigned i = 0; i < 3; i++) {
        vm_switch(pids[i]);
        ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), frames[i]);
        expect(0, (unsigned char)(i + 1));
    }
    ck_assert_str_eq(simk_log(), "");
    destroy_all_and_stop(pids, 3);
}
END_TEST

START_TEST(test_many_processes_keep_their_own_bytes)
{
    enum { CHILDREN = 20 };
    ck_assert_int_eq(simk_begin(4, 64, 100), 0);
    vm_map(NULL, 0);
    vm_map(NULL, 0);
    put(0, 7);
    put(1, 8);
    pid_t pids[CHILDREN + 1];
    for (unsigned i = 0; i < CHILDREN; i++) {
        pids[i] = (pid_t)(1000 + i);
        ck_assert_int_eq(vm_create(100, pids[i]), 0);
        vm_switch(pids[i]);
        put(0, (unsigned char)(50 + i));
        expect(1, 8);
    }
    for (unsigned i = 0; i < CHILDREN; i++) {
        vm_switch(pids[i]);
        expect(0, (unsigned char)(50 + i));
    }
    vm_switch(100);
    expect(0, 7);
    expect(1, 8);
    pids[CHILDREN] = 100;
    destroy_all_and_stop(pids, CHILDREN + 1);
}
END_TEST

START_TEST(test_file_pages_stay_shared_after_fork)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 1), 0);
    char *d = vm_map(simk_map_name("data"), 0);
    ck_assert_int_eq(simk_write_byte(d, 'p'), 0);
    fork_child();
    ck_assert_str_eq(simk_perms(2), "r rw");
    ck_assert_int_eq(simk_write_byte(d, 'c'), 0);
    ck_assert_uint_eq(simk_ppage(d), 2);
    vm_switch(100);
    ck_assert_int_eq(simk_read_byte(d), 'c');
    ck_assert_str_eq(simk_log(), "read data 0");
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_exit_of_other_sharer_gives_write_back)
{
    start_parent(4, 'a');
    ck_assert_int_eq(vm_create(100, 200), 0);
    ck_assert_str_eq(simk_perms(1), "r");
    vm_switch(200);
    vm_destroy();
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "rw r r");
    ck_assert_str_eq(simk_log(), "");
    destroy_all_and_stop((pid_t[]){ 100 }, 1);
}
END_TEST

START_TEST(test_fork_fails_without_swap_for_the_child)
{
    ck_assert_int_eq(simk_begin_data(4, 5, 1), 0);
    char *name = simk_map_name("data");
    vm_map(NULL, 0);
    vm_map(name, 0);
    ck_assert_int_eq(vm_create(100, 200), 0);
    ck_assert_int_eq(vm_create(100, 300), -1);
    ck_assert_int_eq(vm_create(200, 300), -1);
    ck_assert_int_eq(vm_create(12345, 300), 0);
    ck_assert_str_eq(simk_perms(3), "r r -");
    vm_switch(200);
    vm_destroy();
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "rw r -");
    ck_assert_int_eq(vm_create(100, 400), 0);
    destroy_all_and_stop((pid_t[]){ 100, 300, 400 }, 3);
}
END_TEST

START_TEST(test_cow_copy_fails_without_a_frame)
{
    ck_assert_int_eq(simk_begin(1, 4, 100), 0);
    vm_map(NULL, 0);
    fork_child();
    ck_assert_int_eq(simk_write_byte(simk_va(0, 0), 1), SIMK_FAULT);
    ck_assert_str_eq(simk_perms(1), "r");
    expect(0, 0);
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

START_TEST(test_cow_copy_fails_when_swap_read_fails)
{
    start_parent(2, 'a');
    put(1, 'b');
    fork_child();
    simk_log_clear();
    simk_fail_read(1);
    ck_assert_int_eq(simk_write_byte(simk_va(0, 0), 'x'), SIMK_FAULT);
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0 failed");
    ck_assert_str_eq(simk_perms(3), "- - r");
    put(0, 'x');
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 1);
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "- - r");
    expect(0, 'a');
    destroy_all_and_stop((pid_t[]){ 100, 200 }, 2);
}
END_TEST

static Suite *make_pager_cow_suite(void)
{
    Suite *s = suite_create("pager_cow");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_test(core, test_child_of_unmanaged_parent_is_empty);
    tcase_add_test(core, test_fork_shares_every_page_without_copying);
    tcase_add_test(core, test_writer_gets_copy_and_last_dirty_sharer_regains_write);
    tcase_add_test(core, test_write_to_shared_zero_page_leaves_sharers_on_zero_page);
    tcase_add_test(core, test_last_sharer_of_clean_page_needs_a_write_fault);
    tcase_add_test(core, test_cow_source_picked_by_clock_becomes_the_copy);
    tcase_add_test(core, test_cow_of_page_on_disk_reads_swap_into_private_frame);
    tcase_add_test(core, test_cow_sets_the_source_reference_bit);
    tcase_add_test(core, test_cow_source_next_victim_is_evicted_unreferenced);
    tcase_add_test(core, test_fork_chain_gives_each_writer_its_own_copy);
    tcase_add_test(core, test_many_processes_keep_their_own_bytes);
    tcase_add_test(core, test_file_pages_stay_shared_after_fork);
    tcase_add_test(core, test_exit_of_other_sharer_gives_write_back);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    tcase_add_test(limits, test_fork_fails_without_swap_for_the_child);
    tcase_add_test(limits, test_cow_copy_fails_without_a_frame);
    tcase_add_test(limits, test_cow_copy_fails_when_swap_read_fails);
    return s;
}

CHECK_MAIN(make_pager_cow_suite)
