/*
 * check_phase2_hidden.c - phase2-locks' hidden items: the races and
 * stress runs of check_phase2.c under other parameters (other pages,
 * frame counts, thread counts of 3 and 4, other patterns, seeds and
 * lengths), so a stage tuned to the public tests' page 0 / 8 frames / 1-2-4
 * threads fails here.  Suite "phase2_hidden" -> build/tests/
 * check_phase2_hidden (tests/phase2/build.mk); left out of student
 * handouts (*_hidden.c).
 *
 *   core    a rescue while the writer writes the page, a write fault that
 *           waits for the write in flight, the owner rescuing the page a
 *           repurpose snapshotted (whichever page that is), with 3 and 5
 *           frames and pages near the end of the range; 3 and 4 user
 *           threads (system threads and race amplifier on, audited while
 *           running) and 3 threads doing the work inline.
 *   limits  a full page file of the minimum size answering -ENOSPC to a
 *           fault waiting on another page, with the threads running.
 *
 * Every wait has a deadline (tests/common/bounded_wait.h); assertions run
 * in the test's thread; p2fx_close asserts a clean audit, no lock held and
 * every descriptor closed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "bounded_wait.h"
#include "lockorder.h"
#include "p2_fixture.h"

static const enum machine_mmu mmus[2] = {MACHINE_MMU_HW, MACHINE_MMU_SOFT};

/* Machines of the race tests: pages, frames. */
static const struct {
    uint64_t pages, frames;
} machines[2] = {{53, 3}, {97, 5}};

static void assert_lists(struct p2fx *fx, uint64_t nfree, uint64_t active,
                         uint64_t modified, uint64_t standby)
{
    struct pfn_db *db = &fx->core->pfns;
    ck_assert_uint_eq(pfn_count(db, PFN_FREE), nfree);
    ck_assert_uint_eq(pfn_count(db, PFN_ACTIVE), active);
    ck_assert_uint_eq(pfn_count(db, PFN_MODIFIED), modified);
    ck_assert_uint_eq(pfn_count(db, PFN_STANDBY), standby);
}

static uint64_t stamp(uint64_t vpn, unsigned v)
{
    return 0x41d0000000000000ull ^ (vpn << 12) ^ v;
}

/* A nested fault from inside a race window: on the first call for vpn
 * (any page when any is set), fault that page. */
struct nested {
    struct p2fx *fx;
    uint64_t vpn;
    bool any;
    bool fired;
    uint64_t hit;       /* the page it faulted */
    int rc;
    uint8_t flags_after;
    uint8_t state_after;
};

static void nested_fault_hook(void *arg, enum phase2_hook_point point,
                              uint64_t vpn)
{
    struct nested *n = arg;
    (void)point;
    if (n->fired || (!n->any && vpn != n->vpn))
        return;
    n->fired = true;
    n->hit = vpn;
    n->rc = phase2_ops.fault(n->fx->s, p2fx_va(n->fx, vpn), false);
    struct pfn *f = p2fx_pfn_of(n->fx, vpn);
    n->flags_after = f->flags;
    n->state_after = f->state;
}

/* _i: machine _i / 2, MMU _i % 2.  A read rescues the page one before the
 * last while the writer writes it: the writer drops the slot it wrote and
 * files the page ACTIVE; the page's later trips keep its last stamp. */
START_TEST(test_rescue_during_write_of_other_page)
{
    uint64_t pages = machines[_i / 2].pages, frames = machines[_i / 2].frames;
    uint64_t vpn = pages - 2;
    struct p2fx fx;
    p2fx_open(&fx, pages, frames, mmus[_i % 2]);
    p2fx_write(&fx, 1, stamp(1, 1));
    p2fx_write(&fx, vpn, stamp(vpn, 1));
    p2fx_flush(&fx);
    ck_assert_uint_eq(p2fx_read(&fx, 1), stamp(1, 1));
    p2fx_write(&fx, vpn, stamp(vpn, 2)); /* dirty again, slot released */
    ck_assert_int_eq(phase2_ops.trim(fx.s, (unsigned)frames), 2);
    assert_lists(&fx, frames - 2, 0, 1, 1);
    struct nested n = {.fx = &fx, .vpn = vpn};
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WRITE_IN_FLIGHT, nested_fault_hook, &n);
    ck_assert_int_eq(phase2_ops.write_modified(fx.s, 3), 0);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WRITE_IN_FLIGHT, NULL, NULL);
    ck_assert(n.fired);
    ck_assert_int_eq(n.rc, 0);
    ck_assert_uint_eq(n.flags_after, PFN_FLAG_WRITING | PFN_FLAG_REWRITE);
    ck_assert_uint_eq(n.state_after, PFN_ACTIVE);
    pte_t p = p2fx_pte(&fx, vpn);
    ck_assert_int_eq(pte_format(p), PTE_VALID);
    ck_assert(pte_dirty(p) && !pte_writable(p));
    ck_assert_uint_eq(p2fx_pfn_of(&fx, vpn)->flags, 0);
    ck_assert_uint_eq(p2fx_pfn_of(&fx, vpn)->slot, PAGEFILE_NO_SLOT);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), 1); /* page 1's */
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_RESCUE_MODIFIED), 1);
    assert_lists(&fx, frames - 2, 1, 0, 1);
    p2fx_audit(&fx);
    ck_assert_uint_eq(p2fx_read(&fx, vpn), stamp(vpn, 2));
    for (uint64_t v = 2; v < 2 + 2 * frames; v++)
        p2fx_write(&fx, v, stamp(v, 3)); /* pushes vpn to the page file */
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, vpn)), PTE_DISK);
    ck_assert_uint_eq(p2fx_read(&fx, vpn), stamp(vpn, 2));
    ck_assert_uint_eq(p2fx_read(&fx, 1), stamp(1, 1));
    p2fx_close(&fx);
}
END_TEST

/* A store into page vpn from a user thread of its own while the writer
 * (the test's thread) holds vpn's write in flight. */
struct blocked {
    struct p2fx *fx;
    uint64_t vpn;
    bool started;
    unsigned seen;
    int rc;
    struct bounded_thread thread;
};

#define BLOCKED_WAITING 1u

static void blocked_main(void *arg)
{
    struct blocked *b = arg;
    machine_thread_attach(b->fx->m);
    b->rc = machine_write64(b->fx->m, p2fx_va(b->fx, b->vpn), stamp(b->vpn, 9));
    machine_thread_detach(b->fx->m);
}

static void blocked_wait_hook(void *arg, enum phase2_hook_point point,
                              uint64_t vpn)
{
    struct blocked *b = arg;
    (void)point;
    if (vpn == b->vpn)
        bounded_event_raise(&b->thread.event, BLOCKED_WAITING);
}

static void blocked_start_hook(void *arg, enum phase2_hook_point point,
                               uint64_t vpn)
{
    struct blocked *b = arg;
    (void)point;
    if (b->started || vpn != b->vpn)
        return;
    if (bounded_thread_start(&b->thread, blocked_main, b) != 0)
        return;
    b->started = true;
    b->seen = bounded_event_wait(&b->thread.event,
                                 BLOCKED_WAITING | BOUNDED_THREAD_ENDED);
}

/* _i: machine _i / 2, MMU _i % 2.  Two modified pages are written in one
 * pass; a store into the second waits for its write, then rescues it from
 * standby (slot released); the first stays standby. */
START_TEST(test_store_waits_for_write_of_other_page)
{
    uint64_t pages = machines[_i / 2].pages, frames = machines[_i / 2].frames;
    uint64_t vpn = pages / 2 + 1, other = 2;
    struct p2fx fx;
    p2fx_open(&fx, pages, frames, mmus[_i % 2]);
    p2fx_write(&fx, other, stamp(other, 1));
    p2fx_write(&fx, vpn, stamp(vpn, 1));
    ck_assert_int_eq(phase2_ops.trim(fx.s, (unsigned)frames), 2);
    struct blocked b = {.fx = &fx, .vpn = vpn};
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WAIT_WRITE, blocked_wait_hook, &b);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WRITE_IN_FLIGHT, blocked_start_hook, &b);
    int written = phase2_ops.write_modified(fx.s, 4);
    double secs = bounded_wait_seconds();
    ck_assert_msg(b.started, "the write of modified page %llu never reached "
                  "its WRITE_IN_FLIGHT point", (unsigned long long)vpn);
    ck_assert_msg(b.seen & BLOCKED_WAITING, "a store to page %llu completed "
                  "(or hung) without waiting for the write in flight",
                  (unsigned long long)vpn);
    ck_assert_msg(bounded_thread_join(&b.thread), "the store that waited for "
                  "the write had not returned %.0f s after it ended", secs);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WAIT_WRITE, NULL, NULL);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WRITE_IN_FLIGHT, NULL, NULL);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_int_eq(written, 2);
    pte_t p = p2fx_pte(&fx, vpn);
    ck_assert(pte_format(p) == PTE_VALID && pte_writable(p) && pte_dirty(p));
    ck_assert_uint_eq(p2fx_pfn_of(&fx, vpn)->slot, PAGEFILE_NO_SLOT);
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, other)), PTE_TRANSITION);
    ck_assert_uint_eq(p2fx_pfn_of(&fx, other)->state, PFN_STANDBY);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_RESCUE_STANDBY), 1);
    assert_lists(&fx, frames - 2, 1, 0, 1);
    p2fx_audit(&fx);
    ck_assert_uint_eq(p2fx_read(&fx, vpn), stamp(vpn, 9));
    ck_assert_uint_eq(p2fx_read(&fx, other), stamp(other, 1));
    p2fx_close(&fx);
}
END_TEST

/* _i: machine _i / 2, MMU _i % 2.  Every frame holds a standby page; the
 * owner of whichever page the repurpose snapshots faults on it in the
 * window and rescues it; the repurpose takes another standby frame. */
START_TEST(test_owner_rescues_whichever_page_repurpose_snapshots)
{
    uint64_t pages = machines[_i / 2].pages, frames = machines[_i / 2].frames;
    uint64_t base = pages - frames - 1, target = 5;
    struct p2fx fx;
    p2fx_open(&fx, pages, frames, mmus[_i % 2]);
    for (uint64_t v = base; v < base + frames; v++)
        p2fx_write(&fx, v, stamp(v, 1));
    p2fx_flush(&fx);
    assert_lists(&fx, 0, 0, 0, frames);
    struct nested n = {.fx = &fx, .any = true};
    phase2_set_test_hook(fx.s, PHASE2_HOOK_REPURPOSE_SNAPSHOT,
                         nested_fault_hook, &n);
    p2fx_write(&fx, target, stamp(target, 1));
    phase2_set_test_hook(fx.s, PHASE2_HOOK_REPURPOSE_SNAPSHOT, NULL, NULL);
    ck_assert(n.fired);
    ck_assert_int_eq(n.rc, 0);
    ck_assert(n.hit >= base && n.hit < base + frames);
    pte_t ph = p2fx_pte(&fx, n.hit);
    ck_assert_int_eq(pte_format(ph), PTE_VALID);
    ck_assert(!pte_dirty(ph) && !pte_writable(ph));
    unsigned on_disk = 0;
    for (uint64_t v = base; v < base + frames; v++)
        on_disk += pte_format(p2fx_pte(&fx, v)) == PTE_DISK;
    ck_assert_uint_eq(on_disk, 1);
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, target)), PTE_VALID);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_RESCUE_STANDBY), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_REPURPOSE), 1);
    assert_lists(&fx, 0, 2, 0, frames - 2);
    p2fx_audit(&fx);
    for (uint64_t v = base; v < base + frames; v++)
        ck_assert_uint_eq(p2fx_read(&fx, v), stamp(v, 1));
    ck_assert_uint_eq(p2fx_read(&fx, target), stamp(target, 1));
    p2fx_close(&fx);
}
END_TEST

/* _i = threads (3, 4) * 4 + mmu * 2 + pattern (hot/cold, phases): the
 * system threads and the race amplifier on, audited while running. */
START_TEST(test_stress_three_and_four_threads)
{
    unsigned nthreads = 3 + (unsigned)(_i / 4);
    struct p2fx fx;
    p2fx_open(&fx, 160, 9, mmus[(_i / 2) % 2]);
    p2fx_amplify(&fx);
    struct workload_config w;
    workload_defaults(&w);
    w.pattern = _i % 2 ? WORKLOAD_PHASES : WORKLOAD_HOTCOLD;
    w.accesses = 4500 / nthreads;
    w.hot_percent = 30;
    w.hot_access_percent = 70;
    w.phase_length = 700;
    w.phase_pages_percent = 15;
    w.write_percent = 60;
    w.seed = 424242 + 17 * (uint64_t)_i;
    ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    ck_assert_uint_ge(p2fx_run_audited(&fx, &w, nthreads), 1);
    phase2_ops.stop(fx.s);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_ACCESSES), w.accesses * nthreads);
    ck_assert_uint_gt(p2fx_stat(&fx, STAT_TRIM), 0);
    ck_assert_uint_gt(p2fx_stat(&fx, STAT_PAGE_WRITE), 0);
    p2fx_close(&fx);
}
END_TEST

/* _i: MMU.  Three user threads, system threads not started, on a tiny
 * machine: faults that find no frame trim and write inline. */
START_TEST(test_inline_work_with_three_threads_on_tiny_machine)
{
    struct p2fx fx;
    p2fx_open(&fx, 90, 6, mmus[_i]);
    p2fx_amplify(&fx);
    struct workload_config w;
    workload_defaults(&w);
    w.pattern = WORKLOAD_WALK;
    w.jump_percent = 40;
    w.accesses = 2500;
    w.seed = 9001 + (uint64_t)_i;
    ck_assert_uint_ge(p2fx_run_audited(&fx, &w, 3), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_ACCESSES), 3 * 2500);
    ck_assert_uint_gt(p2fx_stat(&fx, STAT_PAGE_WRITE), 0);
    p2fx_close(&fx);
}
END_TEST

/* _i: machine _i / 2, MMU _i % 2; page file of exactly the minimum.  A
 * fault on a disk page waits for a frame no one can free: -ENOSPC, from
 * the waiting path and the inline one; nothing is lost. */
START_TEST(test_minimum_page_file_enospc_to_waiting_fault)
{
    uint64_t pages = machines[_i / 2].pages, frames = machines[_i / 2].frames;
    struct stage_config cfg;
    struct p2fx fx;
    p2fx_config(&cfg, pages, frames, pages - frames, mmus[_i % 2]);
    p2fx_open_config(&fx, &cfg);
    ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    for (uint64_t v = pages; v-- > 0;)
        p2fx_write(&fx, v, stamp(v, 1));
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), pages - frames);
    uint64_t victim = pages;
    for (uint64_t v = pages; v-- > 0 && victim == pages;)
        if (pte_format(p2fx_pte(&fx, v)) == PTE_DISK)
            victim = v;
    ck_assert_uint_lt(victim, pages);
    ck_assert_int_eq(p2fx_read_on_own_thread(&fx, victim), -ENOSPC);
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, victim)), PTE_DISK);
    phase2_ops.stop(fx.s);
    uint64_t word;
    ck_assert_int_eq(machine_read64(fx.m, p2fx_va(&fx, victim), &word), -ENOSPC);
    p2fx_audit(&fx);
    for (uint64_t v = 0; v < pages; v++)
        if (pte_format(p2fx_pte(&fx, v)) != PTE_DISK)
            ck_assert_uint_eq(p2fx_read(&fx, v), stamp(v, 1));
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), pages - frames);
    p2fx_close(&fx);
}
END_TEST

static Suite *make_phase2_hidden_suite(void)
{
    Suite *s = suite_create("phase2_hidden");
    TCase *core = check_util_tcase(s, "core", "hidden", 60);
    tcase_add_loop_test(core, test_rescue_during_write_of_other_page, 0, 4);
    tcase_add_loop_test(core, test_store_waits_for_write_of_other_page, 0, 4);
    tcase_add_loop_test(core, test_owner_rescues_whichever_page_repurpose_snapshots, 0, 4);
    tcase_add_loop_test(core, test_stress_three_and_four_threads, 0, 8);
    tcase_add_loop_test(core, test_inline_work_with_three_threads_on_tiny_machine, 0, 2);
    TCase *limits = check_util_tcase(s, "limits", "hidden", 60);
    tcase_add_loop_test(limits, test_minimum_page_file_enospc_to_waiting_fault, 0, 4);
    return s;
}

CHECK_MAIN(make_phase2_hidden_suite)
