/*
 * bounded_wait.h - waits with a deadline for the multithreaded tests.
 *
 * A test often waits for something the code under test must make happen:
 * a user thread reaching a wait point, a fault returning, a workload
 * finishing.  If the code is wrong that may never happen, and a plain
 * pthread_cond_wait turns the bug into a silent suite timeout.  These
 * helpers wait at most BOUNDED_WAIT_SECONDS (times check's
 * CK_TIMEOUT_MULTIPLIER, like check's own timeouts), then report the
 * timeout so the test can fail with a sentence saying what did not happen.
 * The deadline never measures speed: it only ends a hang.
 *
 *   bounded_cond_*    a deadline for a test's own mutex / condition pair;
 *   bounded_event_*   bits one thread raises and another waits for;
 *   bounded_thread_*  a thread whose end can be waited for (and whose
 *                     event the test may raise its own bits on);
 *   bounded_call      one function on a helper thread, waited for with the
 *                     deadline (a call into the code under test that may
 *                     never return, e.g. joining its threads);
 *   bounded_run_*     stage_run_workload in a helper thread, waited for in
 *                     slices, declared stuck after a deadline with no
 *                     access counted.
 * Deadlines are on CLOCK_MONOTONIC (a clock change cannot fire them).
 */
#ifndef PAGELAB_BOUNDED_WAIT_H
#define PAGELAB_BOUNDED_WAIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "stage.h"

/* The longest a test waits for something the code under test must do. */
#define BOUNDED_WAIT_SECONDS 10

/* BOUNDED_WAIT_SECONDS scaled by CK_TIMEOUT_MULTIPLIER (for messages). */
double bounded_wait_seconds(void);

/* Initialize cv so that bounded_cond_wait's deadlines use CLOCK_MONOTONIC. */
void bounded_cond_init(pthread_cond_t *cv);
/* The deadline bounded_wait_seconds() from now. */
struct timespec bounded_deadline(void);
/* One wait on cv (made by bounded_cond_init; mu held on entry and exit):
 * false once the deadline has passed, true after a wake-up (possibly
 * spurious: the caller re-checks its predicate).  Use as
 *   while (!pred && bounded_cond_wait(&cv, &mu, &deadline)) ;
 * then test pred. */
bool bounded_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
                       const struct timespec *deadline);

/* Bits raised by one thread, waited for by another. */
struct bounded_event {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned bits; /* under mu: every bit raised so far */
};

void bounded_event_init(struct bounded_event *e);
void bounded_event_destroy(struct bounded_event *e);
/* Raise bits and wake the waiters.  Any thread. */
void bounded_event_raise(struct bounded_event *e, unsigned bits);
/* Wait until one of the bits of 'any' is raised or the deadline passes.
 * Returns every bit raised so far (none of 'any' among them: timed out). */
unsigned bounded_event_wait(struct bounded_event *e, unsigned any);
/* The same, waiting at most ms milliseconds (a pace, not a deadline). */
unsigned bounded_event_wait_ms(struct bounded_event *e, unsigned any,
                               long ms);

/* The bit of a bounded_thread's event raised when its function returned;
 * tests raise their own bits below it. */
#define BOUNDED_THREAD_ENDED (1u << 31)

struct bounded_thread {
    pthread_t tid;
    void (*fn)(void *arg);
    void *arg;
    bool joined;
    struct bounded_event event; /* BOUNDED_THREAD_ENDED, plus the test's */
};

/* Start fn(arg) on a new thread.  0, or pthread_create's error (then
 * nothing is left to destroy). */
int bounded_thread_start(struct bounded_thread *t, void (*fn)(void *),
                         void *arg);
/* Wait for the thread's function to return, then join the thread and
 * destroy t.  false when it had not returned by the deadline: the thread
 * is left running and t alive (the test is failing anyway). */
bool bounded_thread_join(struct bounded_thread *t);

/* Run fn(arg) on a new thread and wait for it to return.  0 once it
 * returned (the thread is joined); ETIMEDOUT when it had not by the
 * deadline (the thread is left running with its own bookkeeping, so arg
 * must stay valid for as long as the process lives: the test is failing
 * anyway); ENOMEM or pthread_create's error when it could not start. */
int bounded_call(void (*fn)(void *arg), void *arg);

/* stage_run_workload of ops on s in a helper thread. */
enum bounded_run_state { BOUNDED_RUN_RUNNING, BOUNDED_RUN_DONE,
                         BOUNDED_RUN_STUCK };

struct bounded_run {
    const struct stage_ops *ops;
    struct stage *s;
    const struct workload_config *cfg;
    unsigned nthreads;
    struct workload_result res; /* read after BOUNDED_RUN_DONE */
    int rc;                     /* stage_run_workload's result, ditto */
    struct stats *stats;        /* the stage's: STAT_ACCESSES is progress */
    uint64_t accesses;          /* at the last progress seen */
    struct timespec deadline;   /* stuck unless progress before it */
    struct bounded_thread thread;
};

/* Start the run.  0 or pthread_create's error. */
int bounded_run_start(struct bounded_run *r, const struct stage_ops *ops,
                      struct stage *s, const struct workload_config *cfg,
                      unsigned nthreads);
/* Wait up to ms milliseconds for the run to end.  DONE: it ended and
 * its thread is joined (r->rc, r->res are final); RUNNING: still going;
 * STUCK: no access was counted for bounded_wait_seconds() (its threads
 * are left running).  The caller stops calling after DONE or STUCK. */
enum bounded_run_state bounded_run_wait(struct bounded_run *r, long ms);
/* Wait for the run to end, BOUNDED_RUN_POLL_MS at a time: DONE or STUCK,
 * as bounded_run_wait says them (never RUNNING). */
#define BOUNDED_RUN_POLL_MS 100
enum bounded_run_state bounded_run_finish(struct bounded_run *r);
/* Accesses counted so far (for the message of a stuck run). */
uint64_t bounded_run_accesses(const struct bounded_run *r);

#endif
