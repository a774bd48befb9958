/*
 * stage_phase1.c - the stage suite's "phase1" case: what phase1 promises
 * beyond the shared interface (one user thread only; its audit checks its
 * own dirty/slot bookkeeping).  Added to the suite only when the stage
 * under test is phase1, so the suite still serves every phase.
 */
#include <errno.h>
#include <string.h>

#include "stage_fixture.h"

START_TEST(test_phase1_refuses_more_than_one_thread)
{
    struct stage_config cfg;
    struct stage *s = NULL;
    char err[256] = "";
    fx_config(&cfg, FX_PAGES, FX_FRAMES, MACHINE_MMU_HW);
    cfg.user_threads = 2;
    ck_assert_int_eq(STAGE_OPS.create(&cfg, &s, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "one user thread"));
}
END_TEST

START_TEST(test_phase1_audit_catches_modified_frame_with_slot)
{
    struct fx fx;
    uint64_t slot;
    fx_open_small(&fx, _i);
    struct pfn *f = pfn_get(&fx.core->pfns,
                            fx_make_modified(&fx, 1, fx_stamp(1, 1)));
    ck_assert_int_eq(pagefile_alloc(fx.pf, &slot), 0);
    f->slot = slot;
    assert_audit_fails(&fx);
    f->slot = PAGEFILE_NO_SLOT;
    pagefile_free(fx.pf, slot);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

START_TEST(test_phase1_audit_catches_dirty_page_with_slot)
{
    struct fx fx;
    uint64_t word;
    fx_open_small(&fx, _i);
    fx_push_to_disk(&fx, 5, fx_stamp(5, 1));
    ck_assert_int_eq(fx_read(&fx, 5, &word), 0);
    assert_pte_valid(&fx, 5, false, false);
    assert_audit_catches_pte(&fx, 5, pte_with_dirty(fx_pte(&fx, 5), true));
    fx_close(&fx);
}
END_TEST

void stage_add_phase1_tests(Suite *s)
{
    if (strcmp(STAGE_OPS.name, "phase1") != 0)
        return;
    TCase *tc = check_util_tcase(s, "phase1", "public", 30);
    tcase_add_test(tc, test_phase1_refuses_more_than_one_thread);
    tcase_add_loop_test(tc, test_phase1_audit_catches_modified_frame_with_slot, 0, 2);
    tcase_add_loop_test(tc, test_phase1_audit_catches_dirty_page_with_slot, 0, 2);
}
