/*
 * p2_fixture.c - helpers of the phase2 suite (see p2_fixture.h).
 *
 * The audited run: a helper thread runs stage_run_workload (which starts
 * and joins the user threads; bounded_wait.h's bounded_run); the test's
 * thread loops quiesce -> audit -> resume, pacing itself with 3 ms waits
 * for the run's end (the slice only paces the audits; the end is
 * signalled).  The first failed audit is kept and asserted on once the
 * helper is joined.  A run that counts no access for the bounded wait's
 * deadline is stuck (a lost wake-up, a fault waiting for a write that
 * already ended): the test fails saying so instead of hanging.
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

/* One quiesce -> audit -> resume; keeps the first failure in first. */
static void p2fx_audit_once(struct p2fx *fx, char *first, size_t len)
{
    char msg[512] = "";
    phase2_quiesce(fx->s);
    int rc = phase2_ops.audit(fx->s, msg, sizeof(msg));
    phase2_resume(fx->s);
    if (rc != 0 && first[0] == '\0')
        snprintf(first, len, "%s", msg);
}

unsigned p2fx_run_audited(struct p2fx *fx, const struct workload_config *cfg,
                          unsigned nthreads)
{
    struct bounded_run r;
    char first[512] = "";
    unsigned audits = 0;
    ck_assert_int_eq(bounded_run_start(&r, &phase2_ops, fx->s, cfg, nthreads),
                     0);
    enum bounded_run_state st;
    do {
        st = bounded_run_wait(&r, 3);
        if (st != BOUNDED_RUN_STUCK)
            p2fx_audit_once(fx, first, sizeof(first));
        audits++;
    } while (st == BOUNDED_RUN_RUNNING);
    ck_assert_msg(st == BOUNDED_RUN_DONE, "the workload stopped making "
                  "progress: no access done in %.0f s (%llu of %llu done); "
                  "a user thread waits for a frame or a write that never "
                  "comes (race seed %llu)", bounded_wait_seconds(),
                  (unsigned long long)bounded_run_accesses(&r),
                  (unsigned long long)(cfg->accesses * nthreads),
                  (unsigned long long)fx->seed);
    ck_assert_msg(first[0] == '\0', "audit while running: %s (race seed %llu)",
                  first, (unsigned long long)fx->seed);
    ck_assert_msg(r.rc == 0 && r.res.stamp_errors == 0 &&
                      r.res.access_errors == 0,
                  "workload: %s (race seed %llu)", r.res.first_error,
                  (unsigned long long)fx->seed);
    ck_assert_uint_eq(r.res.reads + r.res.writes, cfg->accesses * nthreads);
    return audits;
}
