/*
 * check_pager_hidden.c - pager-cow's hidden items: the behaviours of the
 * public pager suites (check_pager*, tests/apps) under other parameters,
 * so a pager tuned to the public tests' 4-frame worlds, block 0 and
 * 3-deep fork chains fails here: the clock's second chance with 5 and 7
 * usable frames, fork chains 4 and 6 deep, file-backed pages at blocks 1,
 * 3 and 4 (cached after exit, dropped clean, written back dirty), and a
 * small swap filled exactly.  Suite "pager_hidden" ->
 * build/tests/check_pager_hidden (tests/pager/build.mk's check_pager*
 * rule); left out of student handouts (*_hidden.c).
 *
 * Every test asserts PTE permissions, frames, the exact file/swap I/O and
 * every byte, and ends the world with simk_stop / simk_end, which checks
 * that swap reservations are back at their baseline.
 */
#include "check_util.h"
#include "simkernel.h"

/* _i: memory 6 or 8 (5 or 7 usable frames).  Fill memory with swap pages
 * A0.., overflow by one: the clock clears every bit and evicts A0.  Re-
 * reference A1 and A3, write A0 back in: A1 gets its second chance, A2
 * goes; read A2 back: A3's second chance, A4 goes.  Every byte survives. */
START_TEST(test_clock_second_chance_with_more_frames)
{
    unsigned mem = _i ? 8 : 6, n = mem; /* mem - 1 frames, one page more */
    ck_assert_int_eq(simk_begin(mem, n + 3, 100), 0);
    for (unsigned v = 0; v < n; v++)
        ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(v, 0));
    for (unsigned v = 0; v + 1 < n; v++) {
        ck_assert_int_eq(simk_write_byte(simk_va(v, 0), 30 + v), 0);
        ck_assert_uint_eq(simk_ppage(simk_va(v, 0)), v + 1);
    }
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_write_byte(simk_va(n - 1, 0), 30 + n - 1), 0);
    ck_assert_str_eq(simk_log(), "write <swap> 0");
    const char *cleared = _i ? "- - - - - - - rw" : "- - - - - rw";
    ck_assert_str_eq(simk_perms(n), cleared);
    ck_assert_uint_eq(simk_ppage(simk_va(n - 1, 0)), 1);
    ck_assert_int_eq(simk_swap_byte(0, 0), 30);
    simk_log_clear();
    ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), 31);
    ck_assert_int_eq(simk_read_byte(simk_va(3, 0)), 33);
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_write_byte(simk_va(0, 1), 99), 0);
    ck_assert_str_eq(simk_log(), "write <swap> 1; read <swap> 0");
    ck_assert_uint_eq(simk_ppage(simk_va(0, 0)), 3);
    ck_assert_int_eq(simk_swap_byte(1, 0), 32);
    simk_log_clear();
    ck_assert_int_eq(simk_read_byte(simk_va(2, 0)), 32);
    ck_assert_str_eq(simk_log(), "write <swap> 2; read <swap> 1");
    ck_assert_uint_eq(simk_ppage(simk_va(2, 0)), 5);
    ck_assert_int_eq(simk_swap_byte(2, 0), 34);
    const char *after = _i ? "rw - r - - - - rw" : "rw - r - - rw";
    ck_assert_str_eq(simk_perms(n), after);
    for (unsigned v = 0; v < n; v++)
        ck_assert_int_eq(simk_read_byte(simk_va(v, 0)), 30 + v);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 1)), 99);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

/* _i: depth 4 or 6.  Process 100 writes page 0 and page 1, then forks a
 * chain 100 -> 101 -> ...; each descendant, deepest first, writes page 0
 * and gets its own copy; page 1 stays one shared frame; the root, last
 * sharer of a dirty page, regains write access without a fault. */
START_TEST(test_fork_chain_of_other_depth)
{
    unsigned depth = _i ? 6 : 4;
    ck_assert_int_eq(simk_begin(depth + 4, 2 * (depth + 1) + 2, 100), 0);
    ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(0, 0));
    ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(1, 0));
    ck_assert_int_eq(simk_write_byte(simk_va(0, 0), 200), 0);
    ck_assert_int_eq(simk_write_byte(simk_va(1, 0), 'S'), 0);
    unsigned shared = simk_ppage(simk_va(1, 0));
    for (unsigned d = 0; d < depth; d++)
        ck_assert_int_eq(vm_create(100 + d, 101 + d), 0);
    for (unsigned d = depth; d >= 1; d--) {
        vm_switch(100 + d);
        ck_assert_str_eq(simk_perms(2), "r r");
        ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), 200);
        ck_assert_int_eq(simk_write_byte(simk_va(0, 0), 200 + d), 0);
        ck_assert_str_eq(simk_perms(2), "rw r");
    }
    vm_switch(100);
    ck_assert_str_eq(simk_perm(simk_va(0, 0)), "rw");
    for (unsigned d = 0; d <= depth; d++) {
        vm_switch(100 + d);
        ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), 200 + d);
        ck_assert_int_eq(simk_read_byte(simk_va(1, 0)), 'S');
        ck_assert_uint_eq(simk_ppage(simk_va(1, 0)), shared);
        for (unsigned e = 0; e < d; e++) {
            vm_switch(100 + e);
            unsigned fe = simk_ppage(simk_va(0, 0));
            vm_switch(100 + d);
            ck_assert_uint_ne(simk_ppage(simk_va(0, 0)), fe);
        }
    }
    ck_assert_str_eq(simk_log(), "");
    for (unsigned d = 0; d <= depth; d++) { /* middle ones first */
        vm_switch(100 + (d + depth / 2) % (depth + 1));
        vm_destroy();
    }
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

/* File blocks 3 and 1 of "data" (5 blocks) on 3 usable frames: nothing
 * read at vm_map; each touched block read once; after exit both stay
 * cached; a new process's swap pages push them out: clean block 3
 * dropped without a write, dirty block 1 written back to block 1 only. */
START_TEST(test_file_pages_at_other_blocks)
{
    ck_assert_int_eq(simk_begin_data(4, 8, 5), 0);
    char *name = simk_map_name("data");
    ck_assert_ptr_nonnull(name);
    char *b3 = vm_map(name, 3), *b1 = vm_map(name, 1);
    ck_assert_ptr_eq(b3, simk_va(1, 0));
    ck_assert_ptr_eq(b1, simk_va(2, 0));
    ck_assert_str_eq(simk_perms(3), "rw - -");
    ck_assert_str_eq(simk_log(), "");
    ck_assert_int_eq(simk_read_byte(b3 + 77), 13);
    ck_assert_str_eq(simk_log(), "read data 3");
    ck_assert_str_eq(simk_perms(3), "rw r -");
    ck_assert_int_eq(simk_write_byte(b1 + 4095, 'W'), 0);
    ck_assert_str_eq(simk_log(), "read data 3; read data 1");
    ck_assert_str_eq(simk_perms(3), "rw r rw");
    vm_destroy();
    ck_assert_int_eq(simk_file_byte("data", VM_PAGESIZE + 4095), 11);
    ck_assert_int_eq(simk_spawn(200), 0);
    for (unsigned v = 0; v < 3; v++) {
        char *s = vm_map(NULL, 0);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(simk_write_byte(s, 40 + v), 0);
    }
    ck_assert_str_eq(simk_log(), "read data 3; read data 1; write data 1");
    ck_assert_int_eq(simk_file_byte("data", VM_PAGESIZE + 4095), 'W');
    ck_assert_int_eq(simk_file_byte("data", VM_PAGESIZE + 4094), 11);
    ck_assert_int_eq(simk_file_byte("data", 3 * VM_PAGESIZE + 77), 13);
    for (unsigned v = 0; v < 3; v++)
        ck_assert_int_eq(simk_read_byte(simk_va(v, 0)), 40 + v);
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

/* Block 4 mapped twice in one process and once in another: one frame,
 * one state; a write through one mapping is seen through all. */
START_TEST(test_mappings_of_block_four_share_frame)
{
    ck_assert_int_eq(simk_begin_data(5, 8, 5), 0);
    char *name = simk_map_name("data");
    char *a = vm_map(name, 4), *b = vm_map(name, 4);
    ck_assert_int_eq(simk_read_byte(b + 100), 14);
    ck_assert_str_eq(simk_perms(3), "rw r r");
    ck_assert_uint_eq(simk_ppage(a), simk_ppage(b));
    ck_assert_int_eq(simk_spawn(200), 0);
    char *n2 = simk_map_name("data");
    char *c = vm_map(n2, 4);
    ck_assert_str_eq(simk_perms(2), "rw r");
    ck_assert_int_eq(simk_write_byte(c + 100, 'x'), 0);
    unsigned frame = simk_ppage(c);
    vm_switch(100);
    ck_assert_str_eq(simk_perms(3), "rw rw rw");
    ck_assert_uint_eq(simk_ppage(a), frame);
    ck_assert_int_eq(simk_read_byte(a + 100), 'x');
    ck_assert_str_eq(simk_log(), "read data 4");
    vm_destroy();
    vm_switch(200);
    vm_destroy();
    ck_assert_str_eq(simk_log(), "read data 4");
    ck_assert_int_eq(simk_stop(), 0);
}
END_TEST

/* Swap of 5 blocks on 2 usable frames: 5 swap pages fit (the filename
 * page is one of them), the 6th is refused, a file page still maps; all
 * five keep their bytes through the swap. */
START_TEST(test_small_swap_filled_exactly)
{
    ck_assert_int_eq(simk_begin_data(3, 5, 2), 0);
    char *name = simk_map_name("data");
    ck_assert_ptr_eq(name, simk_va(0, 0));
    for (unsigned v = 1; v < 5; v++)
        ck_assert_ptr_eq(vm_map(NULL, 0), simk_va(v, 0));
    ck_assert_ptr_null(vm_map(NULL, 0));
    char *f = vm_map(name, 1);
    ck_assert_ptr_eq(f, simk_va(5, 0));
    for (unsigned v = 1; v < 5; v++)
        ck_assert_int_eq(simk_write_byte(simk_va(v, 9), 60 + v), 0);
    ck_assert_int_eq(simk_read_byte(f), 11);
    for (unsigned v = 1; v < 5; v++)
        ck_assert_int_eq(simk_read_byte(simk_va(v, 9)), 60 + v);
    ck_assert_int_eq(simk_read_byte(simk_va(0, 0)), 'd');
    ck_assert_int_eq(simk_end(), 0);
}
END_TEST

static Suite *make_pager_hidden_suite(void)
{
    Suite *s = suite_create("pager_hidden");
    TCase *core = check_util_tcase(s, "core", "hidden", 30);
    tcase_add_loop_test(core, test_clock_second_chance_with_more_frames, 0, 2);
    tcase_add_loop_test(core, test_fork_chain_of_other_depth, 0, 2);
    tcase_add_test(core, test_file_pages_at_other_blocks);
    tcase_add_test(core, test_mappings_of_block_four_share_frame);
    TCase *limits = check_util_tcase(s, "limits", "hidden", 30);
    tcase_add_test(limits, test_small_swap_filled_exactly);
    return s;
}

CHECK_MAIN(make_pager_hidden_suite)
