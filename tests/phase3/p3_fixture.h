/*
 * p3_fixture.h - helpers of the phase3 suites (check_phase3.c and its
 * hidden items): build a small phase3 stage with chosen options, batches
 * and user threads, touch its pages from the test's thread, look at its
 * PTEs and counters, and close it with a clean audit and no lock held.
 *
 * Every helper asserts in the calling (test main) thread.
 */
#ifndef PAGELAB_P3_FIXTURE_H
#define PAGELAB_P3_FIXTURE_H

#include <stdint.h>

#include "check_util.h"
#include "phase3.h"

struct p3 {
    struct stage *s;
    struct stage_core *core;
    struct machine *m;
};

/* Build a stage of pages / frames / slots on mmu with 'options', trim and
 * write batches of 'batch' and up to 'threads' user threads; attach the
 * calling thread to its machine. */
void p3fx_open_batch(struct p3 *x, uint64_t pages, uint64_t frames,
                     uint64_t slots, enum machine_mmu mmu, uint64_t options,
                     unsigned threads, unsigned batch);
/* p3fx_open_batch with batches of 8. */
void p3fx_open(struct p3 *x, uint64_t pages, uint64_t frames, uint64_t slots,
               enum machine_mmu mmu, uint64_t options, unsigned threads);
/* Assert the stage's audit is clean. */
void p3fx_audit(struct p3 *x);
/* Stop, audit, check no lock is held, detach and destroy. */
void p3fx_close(struct p3 *x);
/* The virtual address of page vpn. */
uint64_t p3fx_va(struct p3 *x, uint64_t vpn);
/* Write value to page vpn / read page vpn; each asserts success. */
void p3fx_put(struct p3 *x, uint64_t vpn, uint64_t value);
uint64_t p3fx_get(struct p3 *x, uint64_t vpn);
/* Page vpn's PTE as it is now. */
pte_t p3fx_pte(struct p3 *x, uint64_t vpn);
/* The stage's counter id. */
uint64_t p3fx_stat(struct p3 *x, enum stat_id id);

#endif
