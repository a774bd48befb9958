/*
 * check_my_stage.c - a sample of what a student hands in to
 * 'make grade-tests' for M1: a check suite of their own, built against the
 * stage through common/stage.h (STAGE_OPS names the stage's ops table).
 * CI grades it: it passes on the reference and exposes some planted bugs.
 */
#include <errno.h>

#include "check_util.h"
#include "stage.h"

extern const struct stage_ops STAGE_OPS;

#define PAGES 128

struct rig {
    struct stage *s;
    struct machine *m;
    uint64_t base;
};

/* A small machine under heavy pressure: 4 frames for 128 pages. */
static void rig_up(struct rig *r)
{
    struct stage_config cfg;
    char err[256];
    stage_config_defaults(&cfg);
    cfg.virtual_pages = PAGES;
    cfg.physical_frames = 4;
    cfg.pagefile_slots = PAGES;
    cfg.mmu = MACHINE_MMU_SOFT;
    cfg.trim_batch = 2;
    cfg.write_batch = 2;
    ck_assert_msg(STAGE_OPS.create(&cfg, &r->s, err, sizeof err) == 0, "%s",
                  err);
    r->m = STAGE_OPS.core(r->s)->machine;
    r->base = machine_va_base(r->m);
    ck_assert_int_eq(machine_thread_attach(r->m), 0);
}

static void rig_down(struct rig *r)
{
    char msg[256];
    machine_thread_detach(r->m);
    ck_assert_msg(STAGE_OPS.audit(r->s, msg, sizeof msg) == 0, "%s", msg);
    STAGE_OPS.destroy(r->s);
}

static uint64_t at(const struct rig *r, uint64_t page)
{
    return r->base + page * MACHINE_PAGE_SIZE + 8;
}

START_TEST(test_values_survive_heavy_paging)
{
    struct rig r;
    uint64_t v;
    rig_up(&r);
    for (uint64_t p = 0; p < PAGES; p++) {
        ck_assert_int_eq(machine_read64(r.m, at(&r, p), &v), 0);
        ck_assert_int_eq(machine_write64(r.m, at(&r, p), p * 7 + 1), 0);
    }
    for (int round = 0; round < 3; round++)
        for (uint64_t p = 0; p < PAGES; p++) {
            ck_assert_int_eq(machine_read64(r.m, at(&r, p), &v), 0);
            ck_assert_uint_eq(v, p * 7 + 1 + (uint64_t)round);
            ck_assert_int_eq(machine_write64(r.m, at(&r, p), v + 1), 0);
        }
    rig_down(&r);
}
END_TEST

START_TEST(test_untouched_pages_read_zero_after_recycling)
{
    struct rig r;
    uint64_t v;
    rig_up(&r);
    for (uint64_t p = 0; p < PAGES / 2; p++)
        ck_assert_int_eq(machine_write64(r.m, at(&r, p), ~0ull), 0);
    for (uint64_t p = PAGES / 2; p < PAGES; p++) {
        ck_assert_int_eq(machine_read64(r.m, at(&r, p), &v), 0);
        ck_assert_uint_eq(v, 0);
    }
    rig_down(&r);
}
END_TEST

START_TEST(test_fault_outside_range_is_refused)
{
    struct rig r;
    rig_up(&r);
    ck_assert_int_eq(STAGE_OPS.fault(r.s, r.base + PAGES * MACHINE_PAGE_SIZE,
                                     false), -EFAULT);
    rig_down(&r);
}
END_TEST

static Suite *make_my_stage_suite(void)
{
    Suite *s = suite_create("my_stage");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_values_survive_heavy_paging);
    tcase_add_test(core, test_untouched_pages_read_zero_after_recycling);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_fault_outside_range_is_refused);
    return s;
}

CHECK_MAIN(make_my_stage_suite)
