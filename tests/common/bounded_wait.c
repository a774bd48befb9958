/*
 * bounded_wait.c - waits with a deadline for the multithreaded tests (see
 * bounded_wait.h).
 *
 * Invariants:
 *   1. Every condition variable made here (or by bounded_cond_init) times
 *      out on CLOCK_MONOTONIC, so the absolute deadlines below, taken from
 *      that clock, are the ones pthread_cond_timedwait compares against.
 *   2. An event's bits only grow, and only under its mutex; every raise
 *      broadcasts, so no waiter misses the bit it waits for.
 *   3. A bounded_thread raises BOUNDED_THREAD_ENDED as the very last thing
 *      its function's thread does with t, so once a waiter saw the bit,
 *      pthread_join returns at once.
 *   4. A bounded_call's bookkeeping is on the heap and freed only after the
 *      join, so a call still running past the deadline never writes into
 *      freed memory or into the frame of a caller that has gone on.
 *
 * Locking: each event's mutex is a leaf (nothing is called while holding
 * it but the condition wait).
 */
#include "bounded_wait.h"

#include <errno.h>
#include <stdlib.h>

#define BOUNDED_NS_PER_S 1000000000L

/* Seconds, scaled by CK_TIMEOUT_MULTIPLIER when it is a positive number. */
double bounded_wait_seconds(void)
{
    const char *env = getenv("CK_TIMEOUT_MULTIPLIER");
    double k = env != NULL ? strtod(env, NULL) : 1.0;
    return BOUNDED_WAIT_SECONDS * (k > 0 ? k : 1.0);
}

/* Now plus ns nanoseconds on CLOCK_MONOTONIC. */
static struct timespec bounded_after_ns(int64_t ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    ns += t.tv_nsec;
    t.tv_sec += (time_t)(ns / BOUNDED_NS_PER_S);
    t.tv_nsec = (long)(ns % BOUNDED_NS_PER_S);
    return t;
}

/* Has CLOCK_MONOTONIC reached t? */
static bool bounded_passed(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec ||
           (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

struct timespec bounded_deadline(void)
{
    return bounded_after_ns((int64_t)(bounded_wait_seconds() * 1e9));
}

void bounded_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

bool bounded_cond_wait(pthread_cond_t *cv, pthread_mutex_t *mu,
                       const struct timespec *deadline)
{
    return pthread_cond_timedwait(cv, mu, deadline) != ETIMEDOUT;
}

/* ---- events ------------------------------------------------------------ */

void bounded_event_init(struct bounded_event *e)
{
    pthread_mutex_init(&e->mu, NULL);
    bounded_cond_init(&e->cv);
    e->bits = 0;
}

void bounded_event_destroy(struct bounded_event *e)
{
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
}

void bounded_event_raise(struct bounded_event *e, unsigned bits)
{
    pthread_mutex_lock(&e->mu);
    e->bits |= bits;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* Wait until a bit of 'any' is raised or 'until' passes; all bits raised. */
static unsigned bounded_event_wait_until(struct bounded_event *e,
                                         unsigned any,
                                         const struct timespec *until)
{
    pthread_mutex_lock(&e->mu);
    while ((e->bits & any) == 0 && bounded_cond_wait(&e->cv, &e->mu, until))
        ;
    unsigned bits = e->bits;
    pthread_mutex_unlock(&e->mu);
    return bits;
}

unsigned bounded_event_wait(struct bounded_event *e, unsigned any)
{
    struct timespec deadline = bounded_deadline();
    return bounded_event_wait_until(e, any, &deadline);
}

unsigned bounded_event_wait_ms(struct bounded_event *e, unsigned any,
                               long ms)
{
    struct timespec until = bounded_after_ns((int64_t)ms * 1000000);
    return bounded_event_wait_until(e, any, &until);
}

/* ---- threads ----------------------------------------------------------- */

/* pthread entry: run the function, then say so (invariant 3). */
static void *bounded_thread_main(void *arg)
{
    struct bounded_thread *t = arg;
    t->fn(t->arg);
    bounded_event_raise(&t->event, BOUNDED_THREAD_ENDED);
    return NULL;
}

int bounded_thread_start(struct bounded_thread *t, void (*fn)(void *),
                         void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->joined = false;
    bounded_event_init(&t->event);
    int err = pthread_create(&t->tid, NULL, bounded_thread_main, t);
    if (err != 0)
        bounded_event_destroy(&t->event);
    return err;
}

/* The thread ended (its bit seen): join it and destroy t. */
static void bounded_thread_reap(struct bounded_thread *t)
{
    pthread_join(t->tid, NULL);
    bounded_event_destroy(&t->event);
    t->joined = true;
}

bool bounded_thread_join(struct bounded_thread *t)
{
    if (t->joined)
        return true;
    if ((bounded_event_wait(&t->event, BOUNDED_THREAD_ENDED) &
         BOUNDED_THREAD_ENDED) == 0)
        return false;
    bounded_thread_reap(t);
    return true;
}

int bounded_call(void (*fn)(void *arg), void *arg)
{
    struct bounded_thread *t = malloc(sizeof(*t));
    if (t == NULL)
        return ENOMEM;
    int err = bounded_thread_start(t, fn, arg);
    if (err != 0) {
        free(t);
        return err;
    }
    if (!bounded_thread_join(t))
        return ETIMEDOUT; /* t stays: the thread still raises its bit */
    free(t);
    return 0;
}

/* ---- workload runs ----------------------------------------------------- */

/* The helper thread: the whole run. */
static void bounded_run_main(void *arg)
{
    struct bounded_run *r = arg;
    r->rc = stage_run_workload(r->ops, r->s, r->cfg, r->nthreads, &r->res);
}

uint64_t bounded_run_accesses(const struct bounded_run *r)
{
    return stats_get(r->stats, STAT_ACCESSES);
}

int bounded_run_start(struct bounded_run *r, const struct stage_ops *ops,
                      struct stage *s, const struct workload_config *cfg,
                      unsigned nthreads)
{
    *r = (struct bounded_run){.ops = ops, .s = s, .cfg = cfg,
                              .nthreads = nthreads, .rc = -1};
    r->stats = ops->core(s)->stats;
    r->accesses = bounded_run_accesses(r);
    r->deadline = bounded_deadline();
    return bounded_thread_start(&r->thread, bounded_run_main, r);
}

enum bounded_run_state bounded_run_wait(struct bounded_run *r, long ms)
{
    if (bounded_event_wait_ms(&r->thread.event, BOUNDED_THREAD_ENDED, ms) &
        BOUNDED_THREAD_ENDED) {
        bounded_thread_reap(&r->thread);
        return BOUNDED_RUN_DONE;
    }
    uint64_t accesses = bounded_run_accesses(r);
    if (accesses != r->accesses) {
        r->accesses = accesses;
        r->deadline = bounded_deadline();
        return BOUNDED_RUN_RUNNING;
    }
    return bounded_passed(&r->deadline) ? BOUNDED_RUN_STUCK
                                        : BOUNDED_RUN_RUNNING;
}

enum bounded_run_state bounded_run_finish(struct bounded_run *r)
{
    enum bounded_run_state st;
    while ((st = bounded_run_wait(r, BOUNDED_RUN_POLL_MS)) ==
           BOUNDED_RUN_RUNNING)
        ;
    return st;
}
