/*
 * threads.c - the system threads (trimmer, modified-page writer), their
 * start and stop, and how a fault that found no frame gets one
 * (phase2_wait_for_frame, with the reclaim round it may run itself).
 *
 * A worker sleeps on its condition variable until its threshold says
 * there is work (phase2_work_needed, sync.c, which also draws the
 * thresholds).  Who wakes it (all through sync.c):
 *   - a fault that claimed a frame (phase2_kick);
 *   - a user thread that found no frame (it kicks both, then waits);
 *   - a frame becoming ACTIVE or MODIFIED (phase2_list_gained kicks).
 * A pass that achieved nothing marks the worker stalled at the current
 * kick generation; it sleeps until the next kick instead of spinning.
 * A failed pass (page file full, I/O error) wakes the waiting user
 * threads.  A worker's failure is a snapshot that may already be stale (a
 * slot freed since, a page read in whose slot can be taken back), so each
 * waiter then does one round of trimming and writing itself
 * (threads_reclaim_round) and its fault returns the error only when that
 * round failed too while no other thread was at work (nothing is lost
 * either way).
 *
 * While the workers are not running (start not called, or after stop) a
 * fault that finds no frame trims and writes itself, as phase1 does.
 * When its write failed but not finally (other faults were at work
 * meanwhile), it waits for a list to gain a frame, THREADS_WATCHDOG_MS at
 * most, and retries.
 *
 * Invariants:
 *   1. running is true exactly while both worker threads exist.
 *   2. A user thread waits on frame_cv only with waiters (waiting for
 *      the workers) or inline_waiters (for any list to gain a frame)
 *      counting it.
 *   3. No lock is held while waiting, except sys (released by the wait).
 *
 * Locking: only 'sys', a leaf (phase2_impl.h); passes run with no lock
 * held.
 */
#include "phase2_impl.h"

#include <errno.h>
#include <string.h>

/* The longest a fault waits for a frame in another thread's hands before
 * it looks again (a watchdog, not the synchronization: a list gaining a
 * frame wakes it first). */
#define THREADS_WATCHDOG_MS 10

#ifdef SOLUTION
/* Sleep until worker w has work (true) or must exit (false); 'busy': the
 * last pass moved pages, so the 'continue' threshold applies until the
 * worker first waits.  No lock held on entry or exit; *gen gets the kick
 * generation the pass starts at. */
static bool threads_worker_sleep(struct stage *s, enum phase2_worker w,
                                 bool busy, uint64_t *gen)
{
    lock_acquire(&s->sys);
    atomic_store(&s->idle[w], true);
    while (!s->stopping &&
           (!phase2_work_needed(s, w, busy) ||
            (s->stalled[w] && s->stalled_gen[w] == s->kick_gen))) {
        lock_wait(&s->sys, &s->work_cv[w]);
        busy = false;
    }
    atomic_store(&s->idle[w], false);
    bool go = !s->stopping;
    *gen = s->kick_gen;
    lock_release(&s->sys);
    return go;
}

/* One pass of worker w inside the gate.  Pages moved or -errno. */
static int threads_worker_pass(struct stage *s, enum phase2_worker w)
{
    phase2_gate_enter(s);
    int n = w == PHASE2_TRIMMER
                ? phase2_trim(s, s->core.config.trim_batch)
                : phase2_write_modified(s, s->core.config.write_batch);
    phase2_gate_exit(s);
    return n;
}

/* Record the outcome n of a pass started at kick generation gen: a pass
 * that moved nothing stalls the worker until the next kick; a failure is
 * reported to the user threads waiting for a frame.  No lock held. */
static void threads_worker_after(struct stage *s, enum phase2_worker w,
                                 int n, uint64_t gen)
{
    if (n > 0) {
        phase2_kick(s);
        return;
    }
    lock_acquire(&s->sys);
    s->stalled[w] = true;
    s->stalled_gen[w] = gen;
    if (n < 0) {
        s->frame_error = n;
        s->error_gen++;
        pthread_cond_broadcast(&s->frame_cv);
    }
    lock_release(&s->sys);
}

/* The body of worker w's thread. */
static void threads_worker_loop(struct stage *s, enum phase2_worker w)
{
    uint64_t gen;
    int n = 0;
    while (threads_worker_sleep(s, w, n > 0, &gen)) {
        n = threads_worker_pass(s, w);
        threads_worker_after(s, w, n, gen);
    }
}

/* pthread entry points of the two workers; arg is the stage. */
static void *threads_trimmer_main(void *arg)
{
    threads_worker_loop(arg, PHASE2_TRIMMER);
    return NULL;
}

static void *threads_writer_main(void *arg)
{
    threads_worker_loop(arg, PHASE2_WRITER);
    return NULL;
}

/* One round of the workers' work in the caller's thread, inside the
 * gate: a trim batch, then a write batch.  Returns 1 when a frame is
 * available or pages moved (retry the fault); the write's error when that
 * failure is final; else 0 (nothing to do now).
 *
 * A failure is final only if this thread was alone in the gate from its
 * entry until it had looked at the lists again (phase2_gate_alone:
 * nobody inside when it entered, nobody entering since; everything that
 * moves a frame or a slot happens inside the gate).  Then what failed is
 * the stage as it is, not a moment of another thread's work (a slot held
 * by a write in flight, a frame claimed by a fault, a page read in whose
 * slot can be taken back).  No lock held. */
static int threads_reclaim_round(struct stage *s)
{
    uint64_t entry = phase2_gate_enter(s);
    int trimmed = phase2_trim(s, s->core.config.trim_batch);
    int written = phase2_write_modified(s, s->core.config.write_batch);
    bool moved = trimmed > 0 || written > 0 || phase2_available(s) > 0;
    bool alone = phase2_gate_alone(s, entry);
    phase2_gate_exit(s);
    if (moved)
        return 1;
    if (written < 0 && alone)
        return written;
    return 0;
}

/* Sleep until a list gains a frame or THREADS_WATCHDOG_MS pass, whichever
 * is first (a frame in another thread's hands will come back to a list).
 * No lock held. */
static void threads_wait_for_any_frame(struct stage *s)
{
    struct timespec deadline = lock_deadline_in_ms(THREADS_WATCHDOG_MS);
    lock_acquire(&s->sys);
    atomic_fetch_add(&s->inline_waiters, 1);
    if (phase2_available(s) == 0)
        lock_wait_until(&s->sys, &s->frame_cv, &deadline);
    atomic_fetch_sub(&s->inline_waiters, 1);
    lock_release(&s->sys);
}

/* Workers running: kick them and wait until a frame is available, the
 * workers report an error, or they stop.  After an error, confirm it with
 * a round of our own (threads_reclaim_round): its error is the fault's;
 * when that round freed nothing but failed not finally, wait for a list
 * to gain a frame (THREADS_WATCHDOG_MS at most).  No lock held.  0 (retry
 * the fault) or the error. */
static int threads_wait_for_workers(struct stage *s)
{
    lock_acquire(&s->sys);
    atomic_fetch_add(&s->waiters, 1);
    phase2_kick_locked(s);
    stats_inc(s->core.stats, STAT_WAIT_FRAME);
    uint64_t error_gen = s->error_gen;
    while (s->running && phase2_available(s) == 0 &&
           s->error_gen == error_gen)
        lock_wait(&s->sys, &s->frame_cv);
    bool failed = s->error_gen != error_gen && phase2_available(s) == 0;
    atomic_fetch_sub(&s->waiters, 1);
    lock_release(&s->sys);
    if (!failed)
        return 0;
    int rc = threads_reclaim_round(s);
    if (rc < 0)
        return rc;
    if (rc == 0)
        threads_wait_for_any_frame(s);
    return 0;
}

/* Workers not running: trim and write in this thread (inside the gate).
 * If modified pages remain but the round freed nothing (its write failed,
 * not finally: other faults were at work), wait for a list to gain a
 * frame (THREADS_WATCHDOG_MS at most); if there was nothing to do
 * (every frame is held by other faults), wait until some list gains a
 * frame.  No lock held.  0 (retry the fault) or the write's error. */
static int threads_work_inline(struct stage *s)
{
    int rc = threads_reclaim_round(s);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (phase2_count(s, PFN_MODIFIED) > 0) {
        /* the write failed, but not finally */
        threads_wait_for_any_frame(s);
        return 0;
    }
    lock_acquire(&s->sys);
    atomic_fetch_add(&s->inline_waiters, 1);
    while (!s->running && phase2_available(s) == 0 &&
           phase2_count(s, PFN_ACTIVE) == 0 &&
           phase2_count(s, PFN_MODIFIED) == 0)
        lock_wait(&s->sys, &s->frame_cv);
    atomic_fetch_sub(&s->inline_waiters, 1);
    lock_release(&s->sys);
    return 0;
}
#endif

/* A fault found no frame.  No lock held on entry or exit.  0: retry the
 * fault; or -ENOSPC / -EIO when no frame can be made. */
int phase2_wait_for_frame(struct stage *s)
{
#ifdef SOLUTION
    lock_acquire(&s->sys);
    bool running = s->running;
    lock_release(&s->sys);
    return running ? threads_wait_for_workers(s) : threads_work_inline(s);
#else
    (void)s;
    return -ENOSYS; /* TODO: wait for the workers, or trim/write inline */
#endif
}

/* ops->start: create the trimmer and the writer (no-op when running).
 * No lock held.  0 or the error of pthread_create (nothing left running). */
int phase2_start(struct stage *s)
{
#ifdef SOLUTION
    lock_acquire(&s->sys);
    bool running = s->running;
    memset(s->stalled, 0, sizeof(s->stalled));
    lock_release(&s->sys);
    if (running)
        return 0;
    int err = pthread_create(&s->threads[PHASE2_TRIMMER], NULL,
                             threads_trimmer_main, s);
    if (err == 0) {
        err = pthread_create(&s->threads[PHASE2_WRITER], NULL,
                             threads_writer_main, s);
        if (err != 0) {
            lock_acquire(&s->sys);
            s->stopping = true;
            pthread_cond_broadcast(&s->work_cv[PHASE2_TRIMMER]);
            lock_release(&s->sys);
            pthread_join(s->threads[PHASE2_TRIMMER], NULL);
        }
    }
    if (err != 0)
        return -err;
    lock_acquire(&s->sys);
    s->running = true;
    pthread_cond_broadcast(&s->frame_cv);
    lock_release(&s->sys);
    return 0;
#else
    (void)s;
    return -ENOSYS; /* TODO: start the trimmer and the writer */
#endif
}

/* ops->stop: tell the workers to exit, join them, and send waiting user
 * threads back to doing the work inline.  No lock held.  No-op when not
 * running.  Waits for a pass in progress (and for a closed gate). */
void phase2_stop(struct stage *s)
{
#ifdef SOLUTION
    lock_acquire(&s->sys);
    bool running = s->running;
    if (running) {
        s->stopping = true;
        for (int w = 0; w < PHASE2_WORKERS; w++)
            pthread_cond_broadcast(&s->work_cv[w]);
    }
    lock_release(&s->sys);
    if (!running)
        return;
    for (int w = 0; w < PHASE2_WORKERS; w++)
        pthread_join(s->threads[w], NULL);
    lock_acquire(&s->sys);
    s->running = false;
    s->stopping = false;
    pthread_cond_broadcast(&s->frame_cv);
    lock_release(&s->sys);
#else
    (void)s; /* TODO: stop and join the trimmer and the writer */
#endif
}
