/*
 * stage_limits.c - the stage suite's "limits" case: addresses outside the
 * range, refused configurations, a genuinely full page file, injected
 * -ENOSPC and -EIO on writes and reads.  Every error must be reported as an
 * error code and lose nothing: the pages stay where they were, readable,
 * and the audit stays clean.
 */
#include <errno.h>
#include <string.h>

#include "stage_fixture.h"

START_TEST(test_fault_outside_range_returns_efault)
{
    struct fx fx;
    uint64_t word;
    fx_open_small(&fx, _i);
    uint64_t base = machine_va_base(fx.m);
    uint64_t end = fx_va(&fx, FX_PAGES);
    const uint64_t bad[] = {0, base - 1, base - MACHINE_PAGE_SIZE, end,
                            end + MACHINE_PAGE_SIZE, UINT64_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(fx.ops->fault(fx.s, bad[i], false), -EFAULT);
        ck_assert_int_eq(fx.ops->fault(fx.s, bad[i], true), -EFAULT);
    }
    ck_assert_int_eq(machine_read64(fx.m, end, &word), -EFAULT);
    ck_assert_int_eq(machine_write64(fx.m, base - 8, 1), -EFAULT);
    assert_lists(&fx, FX_FRAMES, 0, 0, 0);
    assert_io(&fx, 0, 0, 0, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

/* create must refuse cfg with -EINVAL and a sentence, leaving nothing. */
static void expect_refused(const struct stage_config *cfg)
{
    char err[256] = "";
    struct stage *s = NULL;
    int fds = fx_count_fds();
    ck_assert_int_eq(STAGE_OPS.create(cfg, &s, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strlen(err) > 0, "refusal gave no reason");
    ck_assert_ptr_null(s);
    ck_assert_int_eq(fx_count_fds(), fds);
}

START_TEST(test_create_refuses_bad_config)
{
    struct stage_config cfg;
    fx_config(&cfg, FX_PAGES, 0, MACHINE_MMU_HW);
    expect_refused(&cfg);
    fx_config(&cfg, FX_PAGES, FX_PAGES + 1, MACHINE_MMU_SOFT);
    expect_refused(&cfg);
    fx_config(&cfg, FX_PAGES, FX_FRAMES, MACHINE_MMU_HW);
    cfg.pagefile_slots = FX_PAGES - FX_FRAMES - 1;
    expect_refused(&cfg);
    fx_config(&cfg, 0, 0, MACHINE_MMU_HW);
    expect_refused(&cfg);
    fx_config(&cfg, FX_PAGES, FX_FRAMES, MACHINE_MMU_HW);
    cfg.trim_batch = 0;
    expect_refused(&cfg);
}
END_TEST

START_TEST(test_nothing_to_trim_or_write_returns_zero)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    ck_assert_int_eq(fx.ops->trim(fx.s, FX_BATCH), 0);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, FX_BATCH), 0);
    ck_assert_int_eq(fx_write(&fx, 1, fx_stamp(1, 1)), 0);
    ck_assert_int_eq(fx.ops->trim(fx.s, 0), 0);
    assert_pte_valid(&fx, 1, true, true);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, FX_BATCH), 0);
    assert_lists(&fx, FX_FRAMES - 1, 1, 0, 0);
    assert_io(&fx, 0, 0, 0, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

/* 16 pages, 4 frames, 12 slots: once every page was written, the 12 pages
 * off memory fill the page file, and the 4 dirty resident pages cannot be
 * written anywhere. */
START_TEST(test_full_pagefile_returns_enospc_and_keeps_pages)
{
    struct stage_config cfg;
    struct fx fx;
    uint64_t word;
    fx_config(&cfg, 16, 4, _i == 0 ? MACHINE_MMU_HW : MACHINE_MMU_SOFT);
    cfg.pagefile_slots = 12;
    fx_open(&fx, &cfg);
    for (uint64_t v = 0; v < 16; v++)
        ck_assert_int_eq(fx_write(&fx, v, fx_stamp(v, 1)), 0);
    fx_trim_all(&fx);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, FX_BATCH), -ENOSPC);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), 12);
    assert_lists(&fx, 0, 0, 4, 0);
    for (uint64_t v = 0; v < 16; v++) {
        if (pte_format(fx_pte(&fx, v)) == PTE_DISK)
            ck_assert_int_eq(fx_read(&fx, v, &word), -ENOSPC);
    }
    assert_audit_clean(&fx);
    for (uint64_t v = 0; v < 16; v++) {
        if (pte_format(fx_pte(&fx, v)) == PTE_TRANSITION)
            assert_stamp(&fx, v, fx_stamp(v, 1));
    }
    assert_lists(&fx, 0, 4, 0, 0);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_injected_enospc_fails_fault_without_loss)
{
    struct fx fx;
    uint64_t word;
    fx_open_small(&fx, _i);
    for (uint64_t v = 0; v < FX_FRAMES; v++)
        ck_assert_int_eq(fx_write(&fx, v, fx_stamp(v, 1)), 0);
    fx_trim_all(&fx);
    assert_lists(&fx, 0, 0, FX_FRAMES, 0);
    pagefile_inject_error(fx.pf, PAGEFILE_OP_WRITE, 1, -ENOSPC);
    ck_assert_int_eq(fx_read(&fx, 50, &word), -ENOSPC);
    assert_pte_zero(&fx, 50);
    assert_lists(&fx, 0, 0, FX_FRAMES, 0);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), 0);
    assert_audit_clean(&fx);
    assert_stamp(&fx, 50, 0);
    for (uint64_t v = 0; v < FX_FRAMES; v++)
        assert_stamp(&fx, v, fx_stamp(v, 1));
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_injected_write_error_keeps_page_modified)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    fx_make_modified(&fx, 3, fx_stamp(3, 1));
    pagefile_inject_error(fx.pf, PAGEFILE_OP_WRITE, 1, -EIO);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, FX_BATCH), -EIO);
    assert_pte_transition(&fx, 3, PFN_MODIFIED);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), 0);
    assert_audit_clean(&fx);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, FX_BATCH), 1);
    assert_pte_transition(&fx, 3, PFN_STANDBY);
    assert_stamp(&fx, 3, fx_stamp(3, 1));
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_injected_read_error_keeps_page_on_disk)
{
    struct fx fx;
    uint64_t word;
    fx_open_small(&fx, _i);
    uint64_t slot = fx_push_to_disk(&fx, 8, fx_stamp(8, 1));
    pagefile_inject_error(fx.pf, PAGEFILE_OP_READ, 1, -EIO);
    ck_assert_int_eq(fx_read(&fx, 8, &word), -EIO);
    ck_assert_uint_eq(assert_pte_disk(&fx, 8), slot);
    assert_audit_clean(&fx);
    ck_assert_int_eq(fx_write(&fx, 8, fx_stamp(8, 1) + 1), 0);
    assert_stamp(&fx, 8, fx_stamp(8, 1) + 1);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_injected_read_error_then_read_succeeds)
{
    struct fx fx;
    uint64_t word;
    fx_open_small(&fx, _i);
    fx_push_to_disk(&fx, 9, fx_stamp(9, 1));
    pagefile_inject_error(fx.pf, PAGEFILE_OP_READ, 1, -EIO);
    ck_assert_int_eq(fx_read(&fx, 9, &word), -EIO);
    assert_pte_disk(&fx, 9);
    assert_stamp(&fx, 9, fx_stamp(9, 1));
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_trim_beyond_one_batch_trims_every_page)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    for (uint64_t v = 0; v < FX_FRAMES; v++)
        ck_assert_int_eq(fx_write(&fx, v, fx_stamp(v, 1)), 0);
    ck_assert_int_eq(fx.ops->trim(fx.s, 1000), FX_FRAMES);
    assert_lists(&fx, 0, 0, FX_FRAMES, 0);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, 1000), FX_FRAMES);
    assert_lists(&fx, 0, 0, 0, FX_FRAMES);
    assert_io(&fx, 0, 0, FX_FRAMES, FX_FRAMES);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_audit_catches_writable_clean_page)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    ck_assert_int_eq(fx_write(&fx, 2, fx_stamp(2, 1)), 0);
    assert_audit_catches_pte(&fx, 2, pte_with_dirty(fx_pte(&fx, 2), false));
    fx_close(&fx);
}
END_TEST

START_TEST(test_audit_catches_pte_naming_another_frame)
{
    struct fx fx;
    fx_open_small(&fx, _i);
    ck_assert_int_eq(fx_write(&fx, 2, fx_stamp(2, 1)), 0);
    ck_assert_int_eq(fx_write(&fx, 3, fx_stamp(3, 1)), 0);
    assert_audit_catches_pte(&fx, 2, fx_pte(&fx, 3));
    fx_close(&fx);
}
END_TEST

void stage_add_limits_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_fault_outside_range_returns_efault, 0, 2);
    tcase_add_test(tc, test_create_refuses_bad_config);
    tcase_add_loop_test(tc, test_nothing_to_trim_or_write_returns_zero, 0, 2);
    tcase_add_loop_test(tc, test_full_pagefile_returns_enospc_and_keeps_pages, 0, 2);
    tcase_add_loop_test(tc, test_injected_enospc_fails_fault_without_loss, 0, 2);
    tcase_add_loop_test(tc, test_injected_write_error_keeps_page_modified, 0, 2);
    tcase_add_loop_test(tc, test_injected_read_error_keeps_page_on_disk, 0, 2);
    tcase_add_loop_test(tc, test_injected_read_error_then_read_succeeds, 0, 2);
    tcase_add_loop_test(tc, test_trim_beyond_one_batch_trims_every_page, 0, 2);
    tcase_add_loop_test(tc, test_audit_catches_writable_clean_page, 0, 2);
    tcase_add_loop_test(tc, test_audit_catches_pte_naming_another_frame, 0, 2);
}
