/*
 * check_stage.c - the stage suite: every transition of the page state
 * machine, written only against struct stage_ops, so one suite checks
 * phase1, phase2 and phase3 (tests/build.mk builds it once per phase with
 * -DSTAGE_OPS=<phase>_ops into build/tests/check_stage_<phase>).
 *
 * Each "core" test performs one transition on a small machine (64 pages, 8
 * frames), drives the system's work itself with ops->trim and
 * ops->write_modified (system threads are not started, so every phase is
 * deterministic here), and after each step asserts the PTE format, the PFN
 * state, the list counts, the page-file I/O and a clean audit.  Loop tests
 * run on both MMU backends (_i 0: hw, 1: soft).  "limits" tests are in
 * stage_limits.c, "integrity" runs in stage_integrity.c, and the "phase1"
 * case (phase1's own bookkeeping, added only for phase1) in
 * stage_phase1.c.
 */
#include "stage_fixture.h"

START_TEST(test_zero_fault_takes_free_frame)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    assert_lists(&fx, FX_FRAMES, 0, 0, 0);
    assert_pte_zero(&fx, 3);
    assert_stamp(&fx, 3, 0);
    uint64_t frame = assert_pte_valid(&fx, 3, false, ANY);
    uint64_t *bytes = machine_frame(fx.m, frame);
    for (size_t i = 0; i < MACHINE_PAGE_SIZE / sizeof(*bytes); i++)
        ck_assert_uint_eq(bytes[i], 0);
    assert_lists(&fx, FX_FRAMES - 1, 1, 0, 0);
    assert_io(&fx, 0, 0, 0, 0);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_FAULT_ZERO), 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_zero_write_fault_maps_writable_dirty)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    ck_assert_int_eq(fx_write(&fx, 9, fx_stamp(9, 1)), 0);
    assert_pte_valid(&fx, 9, true, true);
    assert_stamp(&fx, 9, fx_stamp(9, 1));
    assert_lists(&fx, FX_FRAMES - 1, 1, 0, 0);
    assert_io(&fx, 0, 0, 0, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_trim_dirty_to_modified)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    ck_assert_int_eq(fx_write(&fx, 5, fx_stamp(5, 1)), 0);
    uint64_t frame = assert_pte_valid(&fx, 5, true, true);
    struct machine_counters before, after;
    machine_counters(fx.m, &before);
    ck_assert_int_eq(fx.ops->trim(fx.s, 1), 1);
    machine_counters(fx.m, &after);
    ck_assert_uint_eq(after.unmap_pages, before.unmap_pages + 1);
    ck_assert_uint_eq(assert_pte_transition(&fx, 5, PFN_MODIFIED), frame);
    ck_assert_uint_eq(pfn_get(&fx.core->pfns, frame)->slot, PAGEFILE_NO_SLOT);
    assert_lists(&fx, FX_FRAMES - 1, 0, 1, 0);
    assert_io(&fx, 0, 0, 0, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_write_modified_to_standby)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    ck_assert_int_eq(fx_write(&fx, 7, fx_stamp(7, 1)), 0);
    ck_assert_int_eq(fx.ops->trim(fx.s, 1), 1);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, FX_BATCH), 1);
    uint64_t frame = assert_pte_transition(&fx, 7, PFN_STANDBY);
    uint64_t slot = pfn_get(&fx.core->pfns, frame)->slot;
    ck_assert(pagefile_slot_in_use(fx.pf, slot));
    ck_assert_uint_eq(pagefile_in_use(fx.pf), 1);
    assert_lists(&fx, FX_FRAMES - 1, 0, 0, 1);
    assert_io(&fx, 0, 0, 1, 1);
    ck_assert_uint_eq(fx_slot_word(&fx, slot), fx_stamp(7, 1)); /* 1 read */
    ck_assert_int_eq(fx.ops->write_modified(fx.s, FX_BATCH), 0);
    assert_io(&fx, 1, 1, 1, 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_rescue_from_modified)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    uint64_t frame = fx_make_modified(&fx, 11, fx_stamp(11, 1));
    assert_stamp(&fx, 11, fx_stamp(11, 1));
    ck_assert_uint_eq(assert_pte_valid(&fx, 11, ANY, true), frame);
    assert_lists(&fx, FX_FRAMES - 1, 1, 0, 0);
    assert_io(&fx, 0, 0, 0, 0);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_RESCUE_MODIFIED), 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_rescue_from_standby)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    uint64_t frame = fx_make_standby(&fx, 12, fx_stamp(12, 1));
    assert_stamp(&fx, 12, fx_stamp(12, 1));
    ck_assert_uint_eq(assert_pte_valid(&fx, 12, false, false), frame);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), 1);
    assert_lists(&fx, FX_FRAMES - 1, 1, 0, 0);
    assert_io(&fx, 0, 0, 1, 1);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_RESCUE_STANDBY), 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_write_rescue_from_standby_releases_slot)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    fx_make_standby(&fx, 13, fx_stamp(13, 1));
    ck_assert_int_eq(fx_write(&fx, 13, fx_stamp(13, 2)), 0);
    assert_pte_valid(&fx, 13, true, true);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), 0);
    assert_stamp(&fx, 13, fx_stamp(13, 2));
    assert_io(&fx, 0, 0, 1, 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_trim_clean_with_slot_to_standby)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    uint64_t frame = fx_make_standby(&fx, 20, fx_stamp(20, 1));
    uint64_t slot = pfn_get(&fx.core->pfns, frame)->slot;
    assert_stamp(&fx, 20, fx_stamp(20, 1));
    assert_pte_valid(&fx, 20, false, false);
    assert_audit_clean(&fx);
    ck_assert_int_eq(fx.ops->trim(fx.s, 1), 1);
    ck_assert_uint_eq(assert_pte_transition(&fx, 20, PFN_STANDBY), frame);
    ck_assert_uint_eq(pfn_get(&fx.core->pfns, frame)->slot, slot);
    assert_lists(&fx, FX_FRAMES - 1, 0, 0, 1);
    assert_io(&fx, 0, 0, 1, 1);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_TRIM_CLEAN), 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_repurpose_standby_writes_old_pte_to_disk)
{
    struct fx fx;
    uint64_t word;
    fx_open_small(&fx, _i);
    uint64_t frame = fx_make_standby(&fx, 0, fx_stamp(0, 1));
    uint64_t slot = pfn_get(&fx.core->pfns, frame)->slot;
    for (uint64_t v = 1; v < FX_FRAMES; v++)
        ck_assert_int_eq(fx_read(&fx, v, &word), 0);
    assert_lists(&fx, 0, FX_FRAMES - 1, 0, 1);
    assert_audit_clean(&fx);
    ck_assert_int_eq(fx_read(&fx, 40, &word), 0);
    ck_assert_uint_eq(word, 0);
    ck_assert_uint_eq(assert_pte_disk(&fx, 0), slot);
    ck_assert_uint_eq(assert_pte_valid(&fx, 40, false, ANY), frame);
    assert_lists(&fx, 0, FX_FRAMES, 0, 0);
    assert_io(&fx, 0, 0, 1, 1);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_REPURPOSE), 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_disk_fault_reads_slot)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    uint64_t slot = fx_push_to_disk(&fx, 2, fx_stamp(2, 1));
    ck_assert_uint_eq(fx_slot_word(&fx, slot), fx_stamp(2, 1));
    /* the fault must bring in what the file holds, whatever else a stage
     * may remember: change the page in the file behind the stage's back */
    fx_set_slot_word(&fx, slot, fx_stamp(2, 9));
    uint64_t reads = pagefile_pages_moved(fx.pf, PAGEFILE_OP_READ);
    uint64_t calls = pagefile_io_calls(fx.pf, PAGEFILE_OP_READ);
    assert_audit_clean(&fx);
    assert_stamp(&fx, 2, fx_stamp(2, 9));
    assert_pte_valid(&fx, 2, false, ANY);
    ck_assert_uint_eq(pagefile_pages_moved(fx.pf, PAGEFILE_OP_READ), reads + 1);
    ck_assert_uint_eq(pagefile_io_calls(fx.pf, PAGEFILE_OP_READ), calls + 1);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_FAULT_DISK), 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_disk_write_fault_releases_slot)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    uint64_t slot = fx_push_to_disk(&fx, 4, fx_stamp(4, 1));
    ck_assert_int_eq(fx_write(&fx, 4, fx_stamp(4, 2)), 0);
    assert_pte_valid(&fx, 4, true, true);
    ck_assert(!pagefile_slot_in_use(fx.pf, slot));
    assert_stamp(&fx, 4, fx_stamp(4, 2));
    assert_audit_clean(&fx);
    fx_trim_all(&fx);
    assert_pte_transition(&fx, 4, PFN_MODIFIED);
    assert_audit_clean(&fx);
    fx_write_all(&fx);
    fx_push_to_disk(&fx, 4, fx_stamp(4, 3));
    assert_stamp(&fx, 4, fx_stamp(4, 3));
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_write_upgrades_read_only_page)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    assert_stamp(&fx, 30, 0);
    uint64_t frame = assert_pte_valid(&fx, 30, false, ANY);
    assert_audit_clean(&fx);
    ck_assert_int_eq(fx_write(&fx, 30, fx_stamp(30, 1)), 0);
    ck_assert_uint_eq(assert_pte_valid(&fx, 30, true, true), frame);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_FAULT_UPGRADE), 1);
    assert_stamp(&fx, 30, fx_stamp(30, 1));
    assert_lists(&fx, FX_FRAMES - 1, 1, 0, 0);
    assert_io(&fx, 0, 0, 0, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_write_upgrade_releases_stale_slot)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    uint64_t slot = fx_push_to_disk(&fx, 6, fx_stamp(6, 1));
    assert_stamp(&fx, 6, fx_stamp(6, 1));
    assert_pte_valid(&fx, 6, false, ANY);
    assert_audit_clean(&fx);
    ck_assert_int_eq(fx_write(&fx, 6, fx_stamp(6, 2)), 0);
    assert_pte_valid(&fx, 6, true, true);
    ck_assert(!pagefile_slot_in_use(fx.pf, slot));
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_spurious_fault_is_harmless)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    ck_assert_int_eq(fx_write(&fx, 14, fx_stamp(14, 1)), 0);
    pte_t before = fx_pte(&fx, 14);
    ck_assert_int_eq(fx.ops->fault(fx.s, fx_va(&fx, 14), false), 0);
    ck_assert_int_eq(fx.ops->fault(fx.s, fx_va(&fx, 14) + 8, true), 0);
    ck_assert_uint_eq(fx_pte(&fx, 14), before);
    assert_stamp(&fx, 14, fx_stamp(14, 1));
    assert_lists(&fx, FX_FRAMES - 1, 1, 0, 0);
    assert_io(&fx, 0, 0, 0, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_fault_without_free_frame_trims_and_writes)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    for (uint64_t v = 0; v <= FX_FRAMES; v++)
        ck_assert_int_eq(fx_write(&fx, v, fx_stamp(v, 1)), 0);
    assert_pte_valid(&fx, FX_FRAMES, true, true);
    ck_assert_uint_ge(stats_get(fx.core->stats, STAT_TRIM), 1);
    ck_assert_uint_ge(pagefile_pages_moved(fx.pf, PAGEFILE_OP_WRITE), 1);
    ck_assert_uint_eq(pfn_count(&fx.core->pfns, PFN_FREE), 0);
    assert_audit_clean(&fx);
    for (uint64_t v = 0; v <= FX_FRAMES; v++)
        assert_stamp(&fx, v, fx_stamp(v, 1));
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_trim_honours_accessed_bit)
{
    struct fx fx;
    uint64_t word;
    fx_open_small(&fx, 1); /* soft: every access sets the accessed bit */
    for (uint64_t v = 0; v < 3; v++)
        ck_assert_int_eq(fx_write(&fx, v, fx_stamp(v, 1)), 0);
    ck_assert_int_eq(fx.ops->trim(fx.s, 1), 1);
    assert_pte_transition(&fx, 0, PFN_MODIFIED);
    ck_assert(!pte_accessed(fx_pte(&fx, 1)));
    ck_assert_int_eq(fx_read(&fx, 1, &word), 0);
    ck_assert(pte_accessed(fx_pte(&fx, 1)));
    ck_assert_int_eq(fx.ops->trim(fx.s, 1), 1);
    assert_pte_transition(&fx, 2, PFN_MODIFIED);
    assert_pte_valid(&fx, 1, true, true);
    assert_lists(&fx, FX_FRAMES - 3, 1, 2, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_stamp_survives_every_trip)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    for (unsigned round = 1; round <= 3; round++) {
        fx_push_to_disk(&fx, 33, fx_stamp(33, round));
        assert_audit_clean(&fx);
        assert_stamp(&fx, 33, fx_stamp(33, round));
        fx_trim_all(&fx);
        assert_stamp(&fx, 33, fx_stamp(33, round));
        fx_trim_all(&fx);
        fx_write_all(&fx);
        assert_stamp(&fx, 33, fx_stamp(33, round));
        assert_audit_clean(&fx);
    }
    fx_close(&fx);
}
END_TEST

static Suite *make_stage_suite(void)
{
    Suite *s = suite_create("stage");
    TCase *core = check_util_tcase(s, "core", "public", 30);
    tcase_add_loop_test(core, test_zero_fault_takes_free_frame, 0, 2);
    tcase_add_loop_test(core, test_zero_write_fault_maps_writable_dirty, 0, 2);
    tcase_add_loop_test(core, test_trim_dirty_to_modified, 0, 2);
    tcase_add_loop_test(core, test_write_modified_to_standby, 0, 2);
    tcase_add_loop_test(core, test_rescue_from_modified, 0, 2);
    tcase_add_loop_test(core, test_rescue_from_standby, 0, 2);
    tcase_add_loop_test(core, test_write_rescue_from_standby_releases_slot, 0, 2);
    tcase_add_loop_test(core, test_trim_clean_with_slot_to_standby, 0, 2);
    tcase_add_loop_test(core, test_repurpose_standby_writes_old_pte_to_disk, 0, 2);
    tcase_add_loop_test(core, test_disk_fault_reads_slot, 0, 2);
    tcase_add_loop_test(core, test_disk_write_fault_releases_slot, 0, 2);
    tcase_add_loop_test(core, test_write_upgrades_read_only_page, 0, 2);
    tcase_add_loop_test(core, test_write_upgrade_releases_stale_slot, 0, 2);
    tcase_add_loop_test(core, test_spurious_fault_is_harmless, 0, 2);
    tcase_add_loop_test(core, test_fault_without_free_frame_trims_and_writes, 0, 2);
    tcase_add_test(core, test_trim_honours_accessed_bit);
    tcase_add_loop_test(core, test_stamp_survives_every_trip, 0, 2);
    TCase *limits = check_util_tcase(s, "limits", "public", 30);
    stage_add_limits_tests(limits);
    TCase *integrity = check_util_tcase(s, "integrity", "public", 120);
    stage_add_integrity_tests(integrity);
    stage_add_phase1_tests(s);
    return s;
}

CHECK_MAIN(make_stage_suite)
