/*
 * stage_fixture.h - the helper layer of the stage suite: build a small
 * stage of the phase under test (STAGE_OPS, set by tests/build.mk), touch
 * its pages through the machine, and assert PTE formats, PFN states, list
 * counts, page-file I/O and the audit in one line each.
 *
 * The assert_* macros report the caller's file and line.  ANY in a
 * writable/dirty argument means "not checked" (a phase's own policy).
 */
#ifndef PAGELAB_STAGE_FIXTURE_H
#define PAGELAB_STAGE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check_util.h"
#include "stage.h"

/* The phase under test; every phase header declares the same. */
extern const struct stage_ops STAGE_OPS;

/* cfg.options is stage-specific: only phase3 has option bits (enum
 * phase3_option, its header named by STAGE_OPTIONS_HEADER, which its
 * build.mk sets for its suites).  FX_OPT(NAME) is phase3's PHASE3_OPT_NAME,
 * 0 for a stage without options (phase1/2 would ignore them anyway). */
#ifdef STAGE_OPTIONS_HEADER
#include STAGE_OPTIONS_HEADER
#define FX_OPT(name) PHASE3_OPT_##name
#else
#define FX_OPT(name) 0u
#endif

#define ANY (-1)

/* The small machine most tests use: transitions are forced quickly. */
#define FX_PAGES 64
#define FX_FRAMES 8
#define FX_BATCH 4

struct fx {
    const struct stage_ops *ops;
    struct stage *s;
    struct stage_core *core;
    struct machine *m;
    struct pagefile *pf;
    int fds_before; /* open descriptors before the stage existed */
    bool started;   /* the system threads run (fx_start without fx_stop) */
};

/* A configuration of pages / frames / mmu, page file of 'pages' slots,
 * batches of FX_BATCH, one user thread, no phase3 option. */
void fx_config(struct stage_config *cfg, uint64_t pages, uint64_t frames,
               enum machine_mmu mmu);
/* Create the stage of cfg and attach the calling thread to its machine. */
void fx_open(struct fx *fx, const struct stage_config *cfg);
/* fx_open of the FX_PAGES / FX_FRAMES machine on mmu (0: hw, 1: soft, so a
 * loop test's _i picks the backend). */
void fx_open_small(struct fx *fx, int mmu);
/* Assert the audit is clean and no lock is held, detach, destroy, and
 * assert every descriptor the stage opened is closed again. */
void fx_close(struct fx *fx);
/* Open descriptors of the process right now. */
int fx_count_fds(void);

/* Start / stop the stage's system threads (phase1: no-ops).  Each call
 * runs on a helper thread and must return within bounded_wait_seconds(),
 * else the test fails saying which call got stuck; fx_start also asserts
 * start returned 0. */
void fx_start(struct fx *fx);
void fx_stop(struct fx *fx);
/* stage_run_workload of wl with nthreads user threads, on a helper thread:
 * fails the test with a sentence when no access completes for
 * bounded_wait_seconds() (a user thread stuck in the fault handler).
 * Otherwise stores the result in *res and returns stage_run_workload's. */
int fx_run_workload(struct fx *fx, const struct workload_config *wl,
                    unsigned nthreads, struct workload_result *res);
/* "<stage>: <pattern> on the <mmu> MMU, options <hex>[, with the system
 * threads]" for wl on fx's stage, into buf (a message's subject). */
const char *fx_describe_run(const struct fx *fx,
                            const struct workload_config *wl, char *buf,
                            size_t len);

uint64_t fx_va(const struct fx *fx, uint64_t vpn);
pte_t fx_pte(const struct fx *fx, uint64_t vpn);
/* The stamp the tests write into page vpn, version v. */
uint64_t fx_stamp(uint64_t vpn, unsigned v);
/* Read / write the first word of page vpn; return the accessor's result. */
int fx_read(struct fx *fx, uint64_t vpn, uint64_t *value);
int fx_write(struct fx *fx, uint64_t vpn, uint64_t value);
/* A random walk over a stage, checked against a shadow copy of every
 * page: each step draws r (xorshift64 on *rng) and, by r % ways, trims
 * (0), writes back (1..writebacks), writes a stamp (the next 'writes'
 * values) or reads and checks a page (the rest); trims and write-backs
 * take 1..max_batch pages.  The audit must be clean after every step. */
struct fx_walk {
    uint64_t pages;     /* pages walked: 0..pages-1 (shadow has as many) */
    unsigned ways;      /* r % ways chooses the step */
    unsigned writebacks;
    unsigned writes;
    unsigned max_batch;
};
/* One step of walk w (step numbers the stamps written). */
void fx_walk_step(struct fx *fx, const struct fx_walk *w, uint64_t *shadow,
                  uint64_t *rng, unsigned step);

/* Trim until no page is active / write until none is modified (each step
 * must make progress); return the pages moved. */
uint64_t fx_trim_all(struct fx *fx);
uint64_t fx_write_all(struct fx *fx);
/* Write stamp value into page vpn, which must be the only active page,
 * and trim it: TRANSITION on the modified list.  Returns the frame. */
uint64_t fx_make_modified(struct fx *fx, uint64_t vpn, uint64_t value);
/* fx_make_modified, then write it back: TRANSITION on the standby list,
 * owning a slot.  Returns the frame. */
uint64_t fx_make_standby(struct fx *fx, uint64_t vpn, uint64_t value);
/* Make page vpn a DISK page holding stamp value (its frame repurposed by
 * touching other pages); returns its slot. */
uint64_t fx_push_to_disk(struct fx *fx, uint64_t vpn, uint64_t value);
/* The first word of slot's page as the page file holds it, read by the test
 * itself (one read I/O in the page file's counts): evidence that a write-back
 * really put the page's bytes in the file. */
uint64_t fx_slot_word(struct fx *fx, uint64_t slot);
/* Change the first word of slot's page in the file behind the stage's back
 * (one read and one write I/O): a fault that then sees value read the page
 * from the file, not from a copy kept elsewhere. */
void fx_set_slot_word(struct fx *fx, uint64_t slot, uint64_t value);

#define assert_pte_zero(fx, vpn) fx_assert_zero((fx), (vpn), __FILE__, __LINE__)
#define assert_pte_valid(fx, vpn, writable, dirty) \
    fx_assert_valid((fx), (vpn), (writable), (dirty), __FILE__, __LINE__)
#define assert_pte_transition(fx, vpn, state) \
    fx_assert_transition((fx), (vpn), (state), __FILE__, __LINE__)
#define assert_pte_disk(fx, vpn) fx_assert_disk((fx), (vpn), __FILE__, __LINE__)
#define assert_lists(fx, nfree, nactive, nmodified, nstandby) \
    fx_assert_lists((fx), (nfree), (nactive), (nmodified), (nstandby), \
                    __FILE__, __LINE__)
#define assert_io(fx, rcalls, rpages, wcalls, wpages) \
    fx_assert_io((fx), (rcalls), (rpages), (wcalls), (wpages), __FILE__, \
                 __LINE__)
#define assert_audit_clean(fx) fx_assert_audit((fx), __FILE__, __LINE__)
/* The audit must fail now and say why (a test corrupted the state). */
#define assert_audit_fails(fx) fx_assert_audit_fails((fx), __FILE__, __LINE__)
/* Store bad in page vpn's PTE, assert the audit fails, put the PTE back,
 * assert the audit is clean again. */
#define assert_audit_catches_pte(fx, vpn, bad) \
    fx_assert_audit_catches_pte((fx), (vpn), (bad), __FILE__, __LINE__)
#define assert_stamp(fx, vpn, value) \
    fx_assert_stamp((fx), (vpn), (value), __FILE__, __LINE__)

void fx_assert_zero(struct fx *fx, uint64_t vpn, const char *file, int line);
/* Returns the frame. */
uint64_t fx_assert_valid(struct fx *fx, uint64_t vpn, int writable, int dirty,
                         const char *file, int line);
/* Returns the frame. */
uint64_t fx_assert_transition(struct fx *fx, uint64_t vpn,
                              enum pfn_state state, const char *file,
                              int line);
/* Returns the slot. */
uint64_t fx_assert_disk(struct fx *fx, uint64_t vpn, const char *file,
                        int line);
void fx_assert_lists(struct fx *fx, uint64_t nfree, uint64_t nactive,
                     uint64_t nmodified, uint64_t nstandby, const char *file,
                     int line);
void fx_assert_io(struct fx *fx, uint64_t rcalls, uint64_t rpages,
                  uint64_t wcalls, uint64_t wpages, const char *file,
                  int line);
void fx_assert_audit(struct fx *fx, const char *file, int line);
void fx_assert_audit_fails(struct fx *fx, const char *file, int line);
void fx_assert_audit_catches_pte(struct fx *fx, uint64_t vpn, pte_t bad,
                                 const char *file, int line);
void fx_assert_stamp(struct fx *fx, uint64_t vpn, uint64_t value,
                     const char *file, int line);

/* Test cases defined by the other files of the suite. */
void stage_add_limits_tests(TCase *tc);
void stage_add_integrity_tests(TCase *tc);
/* Adds the "phase1" case (phase1's own policy) when testing phase1. */
void stage_add_phase1_tests(Suite *s);

#endif
