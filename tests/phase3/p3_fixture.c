/*
 * p3_fixture.c - the phase3 suites' stage helpers (see p3_fixture.h).
 */
#include "p3_fixture.h"

#include "lockorder.h"

void p3fx_open_batch(struct p3 *x, uint64_t pages, uint64_t frames,
                     uint64_t slots, enum machine_mmu mmu, uint64_t options,
                     unsigned threads, unsigned batch)
{
    struct stage_config cfg;
    char err[256] = "";
    stage_config_defaults(&cfg);
    cfg.virtual_pages = pages;
    cfg.physical_frames = frames;
    cfg.pagefile_slots = slots;
    cfg.mmu = mmu;
    cfg.trim_batch = batch;
    cfg.write_batch = batch;
    cfg.user_threads = threads;
    cfg.options = options;
    int rc = phase3_ops.create(&cfg, &x->s, err, sizeof err);
    ck_assert_msg(rc == 0, "create failed (%d): %s", rc, err);
    x->core = phase3_ops.core(x->s);
    x->m = x->core->machine;
    ck_assert_int_eq(machine_thread_attach(x->m), 0);
}

void p3fx_open(struct p3 *x, uint64_t pages, uint64_t frames, uint64_t slots,
               enum machine_mmu mmu, uint64_t options, unsigned threads)
{
    p3fx_open_batch(x, pages, frames, slots, mmu, options, threads, 8);
}

void p3fx_audit(struct p3 *x)
{
    char msg[256] = "";
    ck_assert_msg(phase3_ops.audit(x->s, msg, sizeof msg) == 0, "audit: %s",
                  msg);
}

void p3fx_close(struct p3 *x)
{
    phase3_ops.stop(x->s);
    p3fx_audit(x);
    ck_assert_uint_eq(lockorder_held(), 0);
    machine_thread_detach(x->m);
    phase3_ops.destroy(x->s);
}

uint64_t p3fx_va(struct p3 *x, uint64_t vpn)
{
    return machine_va_base(x->m) + vpn * MACHINE_PAGE_SIZE;
}

void p3fx_put(struct p3 *x, uint64_t vpn, uint64_t value)
{
    ck_assert_int_eq(machine_write64(x->m, p3fx_va(x, vpn), value), 0);
}

uint64_t p3fx_get(struct p3 *x, uint64_t vpn)
{
    uint64_t v = 0;
    ck_assert_int_eq(machine_read64(x->m, p3fx_va(x, vpn), &v), 0);
    return v;
}

pte_t p3fx_pte(struct p3 *x, uint64_t vpn)
{
    return pte_load(&x->core->ptes[vpn]);
}

uint64_t p3fx_stat(struct p3 *x, enum stat_id id)
{
    return stats_get(x->core->stats, id);
}
