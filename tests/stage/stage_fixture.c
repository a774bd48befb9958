/*
 * stage_fixture.c - the helper layer of the stage suite (see
 * stage_fixture.h): fixtures, page access, and one-line assertions that
 * name the caller's line and say what was found.
 *
 * Invariants:
 *   1. A fixture is opened and closed in the same test; fx_close asserts
 *      the world is as the test found it (audit clean, no lock held, no
 *      descriptor left open).
 *   2. Helpers only use the stage through STAGE_OPS and the shared core,
 *      so the suite serves every phase.
 *   3. Every call that waits for the stage's threads (start, stop, a
 *      workload run) runs on a helper thread and is waited for with the
 *      deadline of common/bounded_wait.h, so a lost wake-up or a deadlock
 *      fails the test in seconds with a sentence instead of hanging the
 *      suite.  What such a call may still touch after its deadline lives
 *      on the heap and is never freed (the test is failing anyway).
 */
#include "stage_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bounded_wait.h"
#include "lockorder.h"
#include "pagefile.h"

void fx_config(struct stage_config *cfg, uint64_t pages, uint64_t frames,
               enum machine_mmu mmu)
{
    stage_config_defaults(cfg);
    cfg->virtual_pages = pages;
    cfg->physical_frames = frames;
    cfg->pagefile_slots = pages;
    cfg->mmu = mmu;
    cfg->trim_batch = FX_BATCH;
    cfg->write_batch = FX_BATCH;
    cfg->user_threads = 1;
    cfg->options = 0;
}

int fx_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

void fx_open(struct fx *fx, const struct stage_config *cfg)
{
    char err[256] = "";
    memset(fx, 0, sizeof(*fx));
    fx->ops = &STAGE_OPS;
    fx->fds_before = fx_count_fds();
    int rc = fx->ops->create(cfg, &fx->s, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s create failed (%d): %s", fx->ops->name, rc,
                  err);
    fx->core = fx->ops->core(fx->s);
    fx->m = fx->core->machine;
    fx->pf = fx->core->pagefile;
    ck_assert_int_eq(machine_thread_attach(fx->m), 0);
}

void fx_open_small(struct fx *fx, int mmu)
{
    struct stage_config cfg;
    fx_config(&cfg, FX_PAGES, FX_FRAMES,
              mmu == 0 ? MACHINE_MMU_HW : MACHINE_MMU_SOFT);
    fx_open(fx, &cfg);
}

void fx_close(struct fx *fx)
{
    assert_audit_clean(fx);
    ck_assert_uint_eq(lockorder_held(), 0);
    machine_thread_detach(fx->m);
    fx->ops->destroy(fx->s);
    fx->s = NULL;
    ck_assert_int_eq(fx_count_fds(), fx->fds_before);
}

/* A call of start or stop on a helper thread (heap: invariant 3). */
struct fx_call {
    const struct stage_ops *ops;
    struct stage *s;
    int rc; /* start's result; read after the call returned */
};

/* bounded_call body: c->rc = ops->start(s).  No lock held. */
static void fx_start_main(void *arg)
{
    struct fx_call *c = arg;
    c->rc = c->ops->start(c->s);
}

/* bounded_call body: ops->stop(s), then c->rc = 0.  No lock held. */
static void fx_stop_main(void *arg)
{
    struct fx_call *c = arg;
    c->ops->stop(c->s);
    c->rc = 0;
}

/* Run fn (fx_start_main or fx_stop_main) on fx's stage within the
 * deadline, else fail saying 'what' got stuck and why it may have.
 * Returns the call's rc. */
static int fx_bounded_call(struct fx *fx, void (*fn)(void *),
                           const char *what, const char *why)
{
    struct fx_call *c = malloc(sizeof(*c));
    ck_assert_ptr_nonnull(c);
    *c = (struct fx_call){.ops = fx->ops, .s = fx->s, .rc = -1};
    int err = bounded_call(fn, c);
    if (err != ETIMEDOUT) {
        int rc = c->rc;
        free(c);
        ck_assert_msg(err == 0, "%s: cannot run %s on a thread: %s",
                      fx->ops->name, what, strerror(err));
        return rc;
    }
    ck_abort_msg("%s: %s did not return within %.0f s: %s (lost wake-up "
                 "or deadlock?)", fx->ops->name, what, bounded_wait_seconds(),
                 why);
    return -1;
}

void fx_start(struct fx *fx)
{
    int rc = fx_bounded_call(fx, fx_start_main, "start",
                             "it waits for a system thread that never "
                             "reports it runs");
    ck_assert_msg(rc == 0, "%s: start failed (%d)", fx->ops->name, rc);
    fx->started = true;
}

void fx_stop(struct fx *fx)
{
    fx_bounded_call(fx, fx_stop_main, "stop",
                    "the trimmer or the writer never leaves its loop, or "
                    "stop waits for a pass that never ends");
    fx->started = false;
}

const char *fx_describe_run(const struct fx *fx,
                            const struct workload_config *wl, char *buf,
                            size_t len)
{
    snprintf(buf, len, "%s: %s on the %s MMU, options %#" PRIx64 "%s",
             fx->ops->name, workload_pattern_name(wl->pattern),
             machine_mmu_name(fx->core->config.mmu), fx->core->config.options,
             fx->started ? ", with the system threads" : "");
    return buf;
}

/* A workload run on a helper thread and its own copy of the workload
 * (heap: invariant 3). */
struct fx_run {
    struct bounded_run run;
    struct workload_config wl;
};

int fx_run_workload(struct fx *fx, const struct workload_config *wl,
                    unsigned nthreads, struct workload_result *res)
{
    struct fx_run *r = malloc(sizeof(*r));
    ck_assert_ptr_nonnull(r);
    r->wl = *wl;
    int err = bounded_run_start(&r->run, fx->ops, fx->s, &r->wl, nthreads);
    if (err != 0)
        free(r);
    ck_assert_msg(err == 0, "%s: cannot start the workload's thread: %s",
                  fx->ops->name, strerror(err));
    if (bounded_run_finish(&r->run) == BOUNDED_RUN_STUCK) {
        char what[160];
        ck_abort_msg("%s: no access completed for %.0f s (%" PRIu64 " of %"
                     PRIu64 " done): a user thread is stuck in the fault "
                     "handler%s (lost wake-up or deadlock?)",
                     fx_describe_run(fx, wl, what, sizeof(what)),
                     bounded_wait_seconds(), bounded_run_accesses(&r->run),
                     wl->accesses * nthreads,
                     fx->started ? ", waiting for a frame or a write the "
                                   "system threads never deliver" : "");
    }
    *res = r->run.res;
    int rc = r->run.rc;
    free(r);
    return rc;
}

uint64_t fx_va(const struct fx *fx, uint64_t vpn)
{
    return machine_va_base(fx->m) + vpn * MACHINE_PAGE_SIZE;
}

pte_t fx_pte(const struct fx *fx, uint64_t vpn)
{
    return pte_load(&fx->core->ptes[vpn]);
}

uint64_t fx_stamp(uint64_t vpn, unsigned v)
{
    return 0x5ca1ab1e00000000ull ^ (vpn << 16) ^ v;
}

int fx_read(struct fx *fx, uint64_t vpn, uint64_t *value)
{
    return machine_read64(fx->m, fx_va(fx, vpn), value);
}

int fx_write(struct fx *fx, uint64_t vpn, uint64_t value)
{
    return machine_write64(fx->m, fx_va(fx, vpn), value);
}

/* Repeat step(s, batch) until the list of 'state' is empty; each call must
 * move at least one page.  Returns the pages moved. */
static uint64_t fx_drain(struct fx *fx, enum pfn_state state,
                         int (*step)(struct stage *, unsigned))
{
    uint64_t moved = 0;
    while (pfn_count(&fx->core->pfns, state) > 0) {
        int n = step(fx->s, FX_BATCH);
        ck_assert_msg(n > 0, "%s: no progress draining the %s list (%d)",
                      fx->ops->name, pfn_state_name(state), n);
        moved += (uint64_t)n;
    }
    return moved;
}

uint64_t fx_trim_all(struct fx *fx)
{
    return fx_drain(fx, PFN_ACTIVE, fx->ops->trim);
}

uint64_t fx_write_all(struct fx *fx)
{
    return fx_drain(fx, PFN_MODIFIED, fx->ops->write_modified);
}

uint64_t fx_make_modified(struct fx *fx, uint64_t vpn, uint64_t value)
{
    ck_assert_int_eq(fx_write(fx, vpn, value), 0);
    ck_assert_int_eq(fx->ops->trim(fx->s, 1), 1);
    assert_audit_clean(fx);
    return assert_pte_transition(fx, vpn, PFN_MODIFIED);
}

uint64_t fx_make_standby(struct fx *fx, uint64_t vpn, uint64_t value)
{
    fx_make_modified(fx, vpn, value);
    ck_assert_int_eq(fx->ops->write_modified(fx->s, 1), 1);
    assert_audit_clean(fx);
    return assert_pte_transition(fx, vpn, PFN_STANDBY);
}

uint64_t fx_push_to_disk(struct fx *fx, uint64_t vpn, uint64_t value)
{
    uint64_t pages = machine_virtual_pages(fx->m), word;
    ck_assert_int_eq(fx_write(fx, vpn, value), 0);
    fx_trim_all(fx);
    fx_write_all(fx);
    assert_audit_clean(fx);
    for (uint64_t other = 0; other < pages; other++) {
        if (pte_format(fx_pte(fx, vpn)) == PTE_DISK)
            break;
        if (other != vpn)
            ck_assert_int_eq(fx_read(fx, other, &word), 0);
    }
    assert_audit_clean(fx);
    return assert_pte_disk(fx, vpn);
}

/* Slot's page as the file holds it (one read I/O), in a buffer the next
 * call reuses. */
static unsigned char *fx_slot_page(struct fx *fx, uint64_t slot)
{
    static _Alignas(64) unsigned char page[MACHINE_PAGE_SIZE];
    ck_assert_int_eq(pagefile_read(fx->pf, slot, page), 0);
    return page;
}

uint64_t fx_slot_word(struct fx *fx, uint64_t slot)
{
    uint64_t word;
    memcpy(&word, fx_slot_page(fx, slot), sizeof word);
    return word;
}

void fx_set_slot_word(struct fx *fx, uint64_t slot, uint64_t value)
{
    unsigned char *page = fx_slot_page(fx, slot);
    memcpy(page, &value, sizeof value);
    ck_assert_int_eq(pagefile_write(fx->pf, slot, page), 0);
}

void fx_assert_zero(struct fx *fx, uint64_t vpn, const char *file, int line)
{
    char d[96];
    pte_describe(fx_pte(fx, vpn), d, sizeof(d));
    ck_assert_msg(fx_pte(fx, vpn) == pte_make_zero(),
                  "%s:%d: page %" PRIu64 " should be zero, is %s", file, line,
                  vpn, d);
}

/* Assert frame's record is in state and owned by vpn. */
static void fx_assert_frame(struct fx *fx, uint64_t frame, uint64_t vpn,
                            enum pfn_state state, const char *file, int line)
{
    struct pfn *f = pfn_get(&fx->core->pfns, frame);
    ck_assert_msg(f->state == state && f->flags == 0 && f->vpn == vpn,
                  "%s:%d: frame %" PRIu64 " should be %s for page %" PRIu64
                  ", is %s (flags %u) for page %" PRIu64,
                  file, line, frame, pfn_state_name(state), vpn,
                  pfn_state_name(f->state), f->flags, f->vpn);
}

uint64_t fx_assert_valid(struct fx *fx, uint64_t vpn, int writable, int dirty,
                         const char *file, int line)
{
    pte_t p = fx_pte(fx, vpn);
    char d[96];
    pte_describe(p, d, sizeof(d));
    ck_assert_msg(pte_format(p) == PTE_VALID &&
                      (writable == ANY || pte_writable(p) == (writable != 0)) &&
                      (dirty == ANY || pte_dirty(p) == (dirty != 0)),
                  "%s:%d: page %" PRIu64 " should be valid (writable %d, "
                  "dirty %d), is %s", file, line, vpn, writable, dirty, d);
    fx_assert_frame(fx, pte_frame(p), vpn, PFN_ACTIVE, file, line);
    return pte_frame(p);
}

uint64_t fx_assert_transition(struct fx *fx, uint64_t vpn,
                              enum pfn_state state, const char *file,
                              int line)
{
    pte_t p = fx_pte(fx, vpn);
    char d[96];
    pte_describe(p, d, sizeof(d));
    ck_assert_msg(pte_format(p) == PTE_TRANSITION,
                  "%s:%d: page %" PRIu64 " should be transition, is %s", file,
                  line, vpn, d);
    fx_assert_frame(fx, pte_frame(p), vpn, state, file, line);
    return pte_frame(p);
}

uint64_t fx_assert_disk(struct fx *fx, uint64_t vpn, const char *file,
                        int line)
{
    pte_t p = fx_pte(fx, vpn);
    char d[96];
    pte_describe(p, d, sizeof(d));
    ck_assert_msg(pte_format(p) == PTE_DISK &&
                      pagefile_slot_in_use(fx->pf, pte_slot(p)),
                  "%s:%d: page %" PRIu64 " should be on disk in an allocated "
                  "slot, is %s", file, line, vpn, d);
    return pte_slot(p);
}

void fx_assert_lists(struct fx *fx, uint64_t nfree, uint64_t nactive,
                     uint64_t nmodified, uint64_t nstandby, const char *file,
                     int line)
{
    const struct pfn_db *db = &fx->core->pfns;
    uint64_t f = pfn_count(db, PFN_FREE), a = pfn_count(db, PFN_ACTIVE),
             m = pfn_count(db, PFN_MODIFIED), s = pfn_count(db, PFN_STANDBY);
    ck_assert_msg(f == nfree && a == nactive && m == nmodified &&
                      s == nstandby,
                  "%s:%d: lists free/active/modified/standby are %" PRIu64
                  "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 ", expected %" PRIu64
                  "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
                  file, line, f, a, m, s, nfree, nactive, nmodified, nstandby);
}

void fx_assert_io(struct fx *fx, uint64_t rcalls, uint64_t rpages,
                  uint64_t wcalls, uint64_t wpages, const char *file,
                  int line)
{
    uint64_t rc = pagefile_io_calls(fx->pf, PAGEFILE_OP_READ),
             rp = pagefile_pages_moved(fx->pf, PAGEFILE_OP_READ),
             wc = pagefile_io_calls(fx->pf, PAGEFILE_OP_WRITE),
             wp = pagefile_pages_moved(fx->pf, PAGEFILE_OP_WRITE);
    ck_assert_msg(rc == rcalls && rp == rpages && wc == wcalls &&
                      wp == wpages,
                  "%s:%d: page file reads %" PRIu64 " calls/%" PRIu64
                  " pages, writes %" PRIu64 "/%" PRIu64 "; expected %" PRIu64
                  "/%" PRIu64 ", %" PRIu64 "/%" PRIu64,
                  file, line, rc, rp, wc, wp, rcalls, rpages, wcalls, wpages);
}

void fx_assert_audit(struct fx *fx, const char *file, int line)
{
    char msg[256] = "";
    int rc = fx->ops->audit(fx->s, msg, sizeof(msg));
    ck_assert_msg(rc == 0, "%s:%d: audit failed: %s", file, line, msg);
}

void fx_assert_audit_fails(struct fx *fx, const char *file, int line)
{
    char msg[256] = "";
    int rc = fx->ops->audit(fx->s, msg, sizeof(msg));
    ck_assert_msg(rc == -1 && strlen(msg) > 0,
                  "%s:%d: audit should fail with a reason, gave %d \"%s\"",
                  file, line, rc, msg);
}

void fx_assert_audit_catches_pte(struct fx *fx, uint64_t vpn, pte_t bad,
                                 const char *file, int line)
{
    pte_t good = fx_pte(fx, vpn);
    pte_store(&fx->core->ptes[vpn], bad);
    fx_assert_audit_fails(fx, file, line);
    pte_store(&fx->core->ptes[vpn], good);
    fx_assert_audit(fx, file, line);
}

void fx_assert_stamp(struct fx *fx, uint64_t vpn, uint64_t value,
                     const char *file, int line)
{
    uint64_t got = 0;
    int rc = fx_read(fx, vpn, &got);
    ck_assert_msg(rc == 0 && got == value,
                  "%s:%d: page %" PRIu64 " read %d / 0x%" PRIx64
                  ", expected 0 / 0x%" PRIx64, file, line, vpn, rc, got,
                  value);
}

/* xorshift64: the next pseudo-random number of *state (never 0). */
static uint64_t walk_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

void fx_walk_step(struct fx *fx, const struct fx_walk *w, uint64_t *shadow,
                  uint64_t *rng, unsigned step)
{
    uint64_t r = walk_random(rng);
    uint64_t vpn = (r >> 8) % w->pages;
    unsigned way = (unsigned)(r % w->ways);
    unsigned batch = 1 + (unsigned)((r >> 40) % w->max_batch);
    if (way == 0) {
        ck_assert_int_ge(fx->ops->trim(fx->s, batch), 0);
    } else if (way <= w->writebacks) {
        /* the page file may be full until a clean page is trimmed */
        int rc = fx->ops->write_modified(fx->s, batch);
        ck_assert(rc >= 0 || rc == -ENOSPC);
    } else if (way <= w->writebacks + w->writes) {
        shadow[vpn] = fx_stamp(vpn, step);
        ck_assert_int_eq(fx_write(fx, vpn, shadow[vpn]), 0);
    } else {
        assert_stamp(fx, vpn, shadow[vpn]);
    }
    assert_audit_clean(fx);
}
