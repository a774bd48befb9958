/*
 * p2_fixture.h - helpers of the phase2 suite: build a small phase2 stage,
 * touch its pages from the test's thread, drive it into a given state, and
 * run a multithreaded workload while the test's thread audits the stage
 * periodically (quiesce, audit, resume).
 *
 * Every helper asserts in the calling (test main) thread.
 */
#ifndef PAGELAB_P2_FIXTURE_H
#define PAGELAB_P2_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "check_util.h"
#include "phase2.h"

struct p2fx {
    struct stage *s;
    struct stage_core *core;
    struct machine *m;
    uint64_t seed; /* race amplifier seed, 0 when it is off */
    int fds_before; /* open descriptors before the stage existed */
};

/* Open file descriptors of the process right now. */
int p2fx_open_fds(void);

/* A configuration of pages / frames / slots on mmu, batches of 4, up to
 * 4 user threads. */
void p2fx_config(struct stage_config *cfg, uint64_t pages, uint64_t frames,
                 uint64_t slots, enum machine_mmu mmu);
/* Create the stage of cfg and attach the calling thread to its machine. */
void p2fx_open_config(struct p2fx *fx, const struct stage_config *cfg);
/* p2fx_open_config of p2fx_config(pages, frames, slots = pages, mmu). */
void p2fx_open(struct p2fx *fx, uint64_t pages, uint64_t frames,
               enum machine_mmu mmu);
/* Read page vpn from a user thread of its own (attached to the stage's
 * machine) and return machine_read64's result.  A read that has not
 * returned within the bounded wait fails the test, saying that a fault
 * waiting for a frame was never told none can be made: the page file is
 * full and the failed pass reached no waiter. */
int p2fx_read_on_own_thread(struct p2fx *fx, uint64_t vpn);
/* Stop the threads, assert a clean audit and no lock held, detach,
 * destroy, assert every descriptor the stage opened is closed, switch the
 * race amplifier off. */
void p2fx_close(struct p2fx *fx);
/* Turn the race amplifier on; its seed is in fx->seed (and in messages). */
void p2fx_amplify(struct p2fx *fx);

uint64_t p2fx_va(const struct p2fx *fx, uint64_t vpn);
pte_t p2fx_pte(const struct p2fx *fx, uint64_t vpn);
struct pfn *p2fx_pfn_of(const struct p2fx *fx, uint64_t vpn);
uint64_t p2fx_stat(const struct p2fx *fx, enum stat_id id);
/* Write / read the first word of page vpn; assert the accessor succeeds. */
void p2fx_write(struct p2fx *fx, uint64_t vpn, uint64_t value);
uint64_t p2fx_read(struct p2fx *fx, uint64_t vpn);
/* Assert the audit is clean. */
void p2fx_audit(struct p2fx *fx);
/* Trim until no page is active, then write until none is modified. */
void p2fx_flush(struct p2fx *fx);

/* Run cfg on nthreads user threads in a helper thread while this thread
 * quiesces, audits and resumes the stage every few milliseconds; assert
 * every stamp checked out and every audit was clean.  Returns the number
 * of audits run (>= 1). */
unsigned p2fx_run_audited(struct p2fx *fx, const struct workload_config *cfg,
                          unsigned nthreads);

#endif
