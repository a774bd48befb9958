/*
 * p2_fixture.c - helpers of the phase2 suite (see p2_fixture.h).
 *
 * The audited run: a helper thread runs stage_run_workload (which starts
 * and joins the user threads; bounded_wait.h's bounded_run) and an
 * auditor thread loops quiesce -> audit -> resume every 3 ms, keeping the
 * first failed audit, while the test's thread waits for the run to end.
 * Neither blocking call is made by the test's thread, so when the stage
 * hangs (a lost wake-up, a fault that never leaves the gate, which also
 * blocks phase2_quiesce) the run counts no access for the bounded wait's
 * deadline and the test fails saying so instead of hanging.
 */
#include "p2_fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "bounded_wait.h"
#include "lock.h"
#include "lockorder.h"

/* Open file descriptors of the process (probing the first 1024). */
int p2fx_open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

/* Create the stage of cfg and attach the calling thread. */
void p2fx_open_config(struct p2fx *fx, const struct stage_config *cfg)
{
    char err[256] = "";
    memset(fx, 0, sizeof(*fx));
    fx->fds_before = p2fx_open_fds();
    int rc = phase2_ops.create(cfg, &fx->s, err, sizeof(err));
    ck_assert_msg(rc == 0, "create: %s", err);
    fx->core = phase2_ops.core(fx->s);
    fx->m = fx->core->machine;
    ck_assert_int_eq(machine_thread_attach(fx->m), 0);
}

/* The small machines of the suite (see p2_fixture.h). */
void p2fx_config(struct stage_config *cfg, uint64_t pages, uint64_t frames,
                 uint64_t slots, enum machine_mmu mmu)
{
    stage_config_defaults(cfg);
    cfg->virtual_pages = pages;
    cfg->physical_frames = frames;
    cfg->pagefile_slots = slots;
    cfg->mmu = mmu;
    cfg->trim_batch = 4;
    cfg->write_batch = 4;
    cfg->user_threads = 4;
}

/* Create a stage with a page file of 'pages' slots. */
void p2fx_open(struct p2fx *fx, uint64_t pages, uint64_t frames,
               enum machine_mmu mmu)
{
    struct stage_config cfg;
    p2fx_config(&cfg, pages, frames, pages, mmu);
    p2fx_open_config(fx, &cfg);
}

/* Tear down after asserting the stage is sound. */
void p2fx_close(struct p2fx *fx)
{
    phase2_ops.stop(fx->s);
    p2fx_audit(fx);
    ck_assert_uint_eq(lockorder_held(), 0);
    machine_thread_detach(fx->m);
    phase2_ops.destroy(fx->s);
    ck_assert_int_eq(p2fx_open_fds(), fx->fds_before);
    if (fx->seed != 0)
        lock_amplifier_disable();
    fx->s = NULL;
}

/* Race amplifier on (seed from PAGELAB_RACE_SEED or the clock). */
void p2fx_amplify(struct p2fx *fx)
{
    fx->seed = lock_amplifier_enable(0);
}

uint64_t p2fx_va(const struct p2fx *fx, uint64_t vpn)
{
    return machine_va_base(fx->m) + vpn * MACHINE_PAGE_SIZE;
}

pte_t p2fx_pte(const struct p2fx *fx, uint64_t vpn)
{
    return pte_load(&fx->core->ptes[vpn]);
}

/* The frame record behind vpn's VALID or TRANSITION PTE. */
struct pfn *p2fx_pfn_of(const struct p2fx *fx, uint64_t vpn)
{
    return pfn_get(&fx->core->pfns, pte_frame(p2fx_pte(fx, vpn)));
}

uint64_t p2fx_stat(const struct p2fx *fx, enum stat_id id)
{
    return stats_get(fx->core->stats, id);
}

void p2fx_write(struct p2fx *fx, uint64_t vpn, uint64_t value)
{
    ck_assert_int_eq(machine_write64(fx->m, p2fx_va(fx, vpn), value), 0);
}

uint64_t p2fx_read(struct p2fx *fx, uint64_t vpn)
{
    uint64_t value = 0;
    ck_assert_int_eq(machine_read64(fx->m, p2fx_va(fx, vpn), &value), 0);
    return value;
}

void p2fx_audit(struct p2fx *fx)
{
    char msg[512] = "";
    int rc = phase2_ops.audit(fx->s, msg, sizeof(msg));
    ck_assert_msg(rc == 0, "audit: %s (race seed %llu)", msg,
                  (unsigned long long)fx->seed);
}

/* Trim everything, then write everything (threads stopped). */
void p2fx_flush(struct p2fx *fx)
{
    while (pfn_count(&fx->core->pfns, PFN_ACTIVE) > 0) {
        int a = phase2_ops.trim(fx->s, 64);
        int b = phase2_ops.trim(fx->s, 64);
        ck_assert_int_gt(a + b, 0);
    }
    while (pfn_count(&fx->core->pfns, PFN_MODIFIED) > 0)
        ck_assert_int_gt(phase2_ops.write_modified(fx->s, 64), 0);
}

/* ---- the audited run ------------------------------------------------- */

/* The auditor's bit on its thread event: the run is over, stop. */
#define P2FX_AUDITOR_STOP 1u

struct p2fx_auditor {
    struct p2fx *fx;
    unsigned audits;  /* read after the join */
    char first[512];  /* the first failed audit's message, "" if none */
    struct bounded_thread thread;
};

/* The auditor thread: quiesce -> audit -> resume every 3 ms until told to
 * stop (at least once).  Keeps the first failure. */
static void p2fx_auditor_main(void *arg)
{
    struct p2fx_auditor *a = arg;
    do {
        char msg[512] = "";
        phase2_quiesce(a->fx->s);
        int rc = phase2_ops.audit(a->fx->s, msg, sizeof(msg));
        phase2_resume(a->fx->s);
        if (rc != 0 && a->first[0] == '\0')
            snprintf(a->first, sizeof(a->first), "%s", msg);
        a->audits++;
    } while ((bounded_event_wait_ms(&a->thread.event, P2FX_AUDITOR_STOP, 3) &
              P2FX_AUDITOR_STOP) == 0);
}

/* Wait for run r to end (asserting it does not get stuck), then stop and
 * join auditor a. */
static void p2fx_finish_audited(struct p2fx *fx, struct bounded_run *r,
                                struct p2fx_auditor *a)
{
    enum bounded_run_state st;
    while ((st = bounded_run_wait(r, 100)) == BOUNDED_RUN_RUNNING)
        ;
    ck_assert_msg(st == BOUNDED_RUN_DONE, "the workload stopped making "
                  "progress: no access done in %.0f s (%llu of %llu done); "
                  "a user thread waits for a frame or a write that never "
                  "comes, or a fault never leaves the stage (race seed %llu)",
                  bounded_wait_seconds(),
                  (unsigned long long)bounded_run_accesses(r),
                  (unsigned long long)(r->cfg->accesses * r->nthreads),
                  (unsigned long long)fx->seed);
    bounded_event_raise(&a->thread.event, P2FX_AUDITOR_STOP);
    ck_assert_msg(bounded_thread_join(&a->thread), "an audit did not "
                  "finish within %.0f s after the workload ended: "
                  "phase2_quiesce waits for a fault or pass that never "
                  "leaves the stage", bounded_wait_seconds());
}

unsigned p2fx_run_audited(struct p2fx *fx, const struct workload_config *cfg,
                          unsigned nthreads)
{
    struct bounded_run r;
    struct p2fx_auditor a = {.fx = fx};
    ck_assert_int_eq(bounded_run_start(&r, &phase2_ops, fx->s, cfg, nthreads),
                     0);
    ck_assert_int_eq(bounded_thread_start(&a.thread, p2fx_auditor_main, &a),
                     0);
    p2fx_finish_audited(fx, &r, &a);
    ck_assert_msg(a.first[0] == '\0', "audit while running: %s (race seed "
                  "%llu)", a.first, (unsigned long long)fx->seed);
    ck_assert_msg(r.rc == 0 && r.res.stamp_errors == 0 &&
                      r.res.access_errors == 0,
                  "workload: %s (race seed %llu)", r.res.first_error,
                  (unsigned long long)fx->seed);
    ck_assert_uint_eq(r.res.reads + r.res.writes, cfg->accesses * nthreads);
    return a.audits;
}

/* The read of p2fx_read_on_own_thread, on its thread. */
struct lone_read {
    struct p2fx *fx;
    uint64_t vpn;
    int rc;
    struct bounded_thread thread;
};

static void lone_read_main(void *arg)
{
    struct lone_read *lr = arg;
    uint64_t v;
    machine_thread_attach(lr->fx->m);
    lr->rc = machine_read64(lr->fx->m, p2fx_va(lr->fx, lr->vpn), &v);
    machine_thread_detach(lr->fx->m);
}

int p2fx_read_on_own_thread(struct p2fx *fx, uint64_t vpn)
{
    struct lone_read lr = {.fx = fx, .vpn = vpn};
    ck_assert_int_eq(bounded_thread_start(&lr.thread, lone_read_main, &lr), 0);
    ck_assert_msg(bounded_thread_join(&lr.thread), "a fault on page %llu "
                  "waiting for a frame was not told within %.0f s that none "
                  "can be made (page file full): the failed pass reached no "
                  "waiter", (unsigned long long)vpn, bounded_wait_seconds());
    return lr.rc;
}
