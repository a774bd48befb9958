/*
 * threads.c - the system threads (a trimmer, one or two modified page
 * writers), how user threads wait for a frame, and direct reclaim.  The
 * generations and wake-up primitives they use are sync.c's.
 *
 * Who wakes whom:
 *   - a user thread whose refill leaves fewer than low_water free+standby
 *     frames wakes the trimmer (trim_wanted, trim_cv);
 *   - the trimmer, when it moved dirty pages to the modified list, wakes
 *     the writer (write_wanted, write_cv);
 *   - whoever makes frames available (clean trims, writes, cache drains,
 *     frames given back) bumps frame_gen and broadcasts frame_cv;
 *   - a write batch that completes bumps write_gen and broadcasts
 *     written_cv (rescues of frames being written wait there).
 * A user thread that finds no frame at all first does one batch of write
 * or trim work itself (direct reclaim, as Linux does: it does not depend
 * on the scheduler running the system threads soon); if that found
 * nothing, it records frame_gen, asks both system threads to work, and
 * sleeps on frame_cv until frame_gen moves.
 * After WATCHDOG_MS with no frame made available the waiter re-asks and
 * does a round of trimming and writing itself (a pass may have found
 * nothing to do, e.g. every page had just been touched); it is a
 * watchdog, not the synchronization.  Only that round's own failure, with
 * nothing trimmable and no write in flight, ends the wait with -ENOSPC /
 * -EIO.  While the system threads are stopped, the user thread trims and
 * writes itself.
 *
 * Invariants:
 *   1. No wake-up is missed (sync.c, invariant 4: the waiter counts
 *      itself in before it reads the generation; the bumper bumps before
 *      it reads the waiter count).
 *   2. running is true exactly between a successful start and stop; the
 *      threads exit only when stopping is set.
 *
 * Lock order: events is a leaf; the system threads hold no lock while
 * trimming or writing.
 */
#include "phase3_impl.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#define WATCHDOG_MS 50

/* One trim batch in the caller's thread, unless another thread holds the
 * trim lock (its batch is on the way: never queue behind it).  Returns the
 * pages trimmed.  Holds nothing on entry or exit. */
static unsigned threads_trim_unless_busy(struct stage *s)
{
    if (!lock_try(&s->trim_lock))
        return 0;
    unsigned got = phase3_trim_locked(s, s->core.config.trim_batch);
    lock_release(&s->trim_lock);
    return got;
}

/* The pool of free + standby frames fell below low_water (a refill saw
 * it).  Without PHASE3_OPT_DIRECT_RECLAIM, wake the trimmer (it trims up
 * to high_water and wakes the writer).  With it, the calling thread does
 * one trim batch itself (unless another thread is trimming: then frames
 * are on their way) and writes one batch when a batch of modified pages
 * waits.  A hand-off to a system thread costs two context switches and a
 * wake-up on each side; at hundreds of thousands of faults a second that
 * is most of the CPU, so the faulting thread pays in its own time, and
 * the system threads are left for the slow path (phase3_wait_frame).
 * Holds nothing on entry or exit. */
void phase3_replenish(struct stage *s)
{
    if (!phase3_opt(s, PHASE3_OPT_DIRECT_RECLAIM)) {
        phase3_wake_system(s, true, false);
        return;
    }
    threads_trim_unless_busy(s);
    if (phase3_list_count(s, PFN_MODIFIED) >= s->core.config.write_batch)
        phase3_write_modified(s, s->core.config.write_batch);
}

/* One round of the system's work in the caller's thread: a trim batch
 * and a write batch.  Returns 1 when that (or anyone) may have made
 * frames available, the write-back error when nothing can be freed (no
 * page to trim, the write failed, no other write in flight), else 0. */
static int threads_reclaim_round(struct stage *s, uint64_t gen)
{
    int t = phase3_trim(s, s->core.config.trim_batch);
    int w = phase3_write_modified(s, s->core.config.write_batch);
    if (t > 0 || w > 0 || phase3_frame_gen(s) != gen)
        return 1;
    if (w < 0 && atomic_load(&s->writing) == 0)
        return w;
    return 0;
}

/* No system threads: reclaim in the caller's thread; when every frame is
 * in another thread's hands, wait (a watchdog period at most) for one to
 * come back.  Returns 0 to retry or the write-back error. */
static int threads_reclaim_inline(struct stage *s, uint64_t gen)
{
    stats_inc(s->core.stats, STAT_WAIT_FRAME);
    int r = threads_reclaim_round(s, gen);
    if (r != 0)
        return r < 0 ? r : 0;
    struct timespec deadline = lock_deadline_in_ms(WATCHDOG_MS);
    lock_acquire(&s->events);
    atomic_fetch_add(&s->frame_waiters, 1);
    if (atomic_load(&s->frame_gen) == gen)
        lock_wait_until(&s->events, &s->frame_cv, &deadline);
    atomic_fetch_sub(&s->frame_waiters, 1);
    lock_release(&s->events);
    return 0;
}

/* Direct reclaim: with the system threads running, a user thread out of
 * frames first does one batch of their work itself (a write, or a trim if
 * no other thread is trimming), so it does not sleep while the scheduler
 * gets round to them.  True when that made frames available. */
static bool threads_reclaim_direct(struct stage *s)
{
    if (phase3_write_modified(s, s->core.config.write_batch) > 0)
        return true;
    return threads_trim_unless_busy(s) > 0 &&
           phase3_list_count(s, PFN_STANDBY) > 0;
}

/* Wait for frames after a refill found none (frame_gen was gen before the
 * attempt).  After a watchdog period with no frame made available the
 * waiter does a round of reclaim itself; it returns that round's -ENOSPC
 * / -EIO only when nothing could be trimmed, its write failed and no
 * other write was in flight (never a stale error of another thread).
 * Returns 0 to retry.  Holds nothing. */
int phase3_wait_frame(struct stage *s, uint64_t gen)
{
    lock_acquire(&s->events);
    bool running = s->running;
    lock_release(&s->events);
    if (!running)
        return threads_reclaim_inline(s, gen);
    if (threads_reclaim_direct(s))
        return 0;
    stats_inc(s->core.stats, STAT_WAIT_FRAME);
    lock_acquire(&s->events);
    atomic_fetch_add(&s->frame_waiters, 1);
    int r = 0;
    while (r >= 0 && s->running && atomic_load(&s->frame_gen) == gen) {
        s->trim_wanted = s->write_wanted = true;
        pthread_cond_signal(&s->trim_cv);
        pthread_cond_broadcast(&s->write_cv);
        atomic_fetch_add_explicit(&s->wakeups, 2, memory_order_relaxed);
        struct timespec deadline = lock_deadline_in_ms(WATCHDOG_MS);
        if (lock_wait_until(&s->events, &s->frame_cv, &deadline))
            continue;
        lock_release(&s->events); /* a quiet period: look for ourselves */
        r = threads_reclaim_round(s, gen);
        lock_acquire(&s->events);
    }
    atomic_fetch_sub(&s->frame_waiters, 1);
    lock_release(&s->events);
    return r < 0 ? r : 0;
}

/* Sleep until 'flag' is set or the stage stops; clear it.  Returns false
 * when stopping.  Holds: events on entry and exit. */
static bool threads_await_work(struct stage *s, bool *flag, pthread_cond_t *cv)
{
    while (!*flag && !s->stopping)
        lock_wait(&s->events, cv);
    *flag = false;
    return !s->stopping;
}

/* Whether a system thread should keep going.  The trimmer counts modified
 * pages as on their way (the writer turns them into standby); the writer
 * goes on while there are modified pages and waiters or a shortage. */
static bool threads_keep_going(struct stage *s, bool writer)
{
    lock_acquire(&s->events);
    bool stop = s->stopping, waiters = atomic_load(&s->frame_waiters) > 0;
    lock_release(&s->events);
    if (stop)
        return false;
    uint64_t avail = phase3_list_count(s, PFN_FREE) +
                     phase3_list_count(s, PFN_STANDBY);
    uint64_t modified = phase3_list_count(s, PFN_MODIFIED);
    if (writer)
        return modified > 0 && (waiters || avail < s->high_water);
    return avail + modified < s->high_water;
}

/* The trimmer thread: trim batches while frames are short. */
static void *threads_trimmer_main(void *arg)
{
    struct stage *s = arg;
    lock_acquire(&s->events);
    while (threads_await_work(s, &s->trim_wanted, &s->trim_cv)) {
        lock_release(&s->events);
        while (threads_keep_going(s, false) &&
               phase3_trim(s, s->core.config.trim_batch) > 0)
            ;
        lock_acquire(&s->events);
    }
    lock_release(&s->events);
    return NULL;
}

/* A writer thread: write batches while modified pages wait and frames
 * are short. */
static void *threads_writer_main(void *arg)
{
    struct stage *s = arg;
    lock_acquire(&s->events);
    while (threads_await_work(s, &s->write_wanted, &s->write_cv)) {
        lock_release(&s->events);
        int r;
        do {
            r = phase3_write_modified(s, s->core.config.write_batch);
        } while (r > 0 && threads_keep_going(s, true));
        lock_acquire(&s->events);
    }
    lock_release(&s->events);
    return NULL;
}

/* stage_ops.start: start the trimmer and the writer(s).  0, or -errno
 * with nothing left running.  Idempotent. */
int phase3_start(struct stage *s)
{
    lock_acquire(&s->events);
    bool running = s->running;
    s->stopping = false;
    lock_release(&s->events);
    if (running)
        return 0;
    unsigned nw = phase3_opt(s, PHASE3_OPT_MULTI_WRITER) ? P3_MAX_WRITERS : 1;
    int r = pthread_create(&s->trimmer, NULL, threads_trimmer_main, s);
    if (r != 0)
        return -r;
    s->nwriters = 0;
    for (unsigned i = 0; i < nw && r == 0; i++) {
        r = pthread_create(&s->writers[i], NULL, threads_writer_main, s);
        if (r == 0)
            s->nwriters++;
    }
    lock_acquire(&s->events);
    s->running = true;
    lock_release(&s->events);
    if (r != 0) {
        phase3_stop(s);
        return -r;
    }
    return 0;
}

/* stage_ops.stop: stop and join the system threads; waiting user threads
 * fall back to reclaiming inline.  Idempotent. */
void phase3_stop(struct stage *s)
{
    lock_acquire(&s->events);
    bool running = s->running;
    s->stopping = true;
    s->running = false;
    pthread_cond_broadcast(&s->trim_cv);
    pthread_cond_broadcast(&s->write_cv);
    pthread_cond_broadcast(&s->frame_cv);
    lock_release(&s->events);
    if (!running)
        return;
    pthread_join(s->trimmer, NULL);
    for (unsigned i = 0; i < s->nwriters; i++)
        pthread_join(s->writers[i], NULL);
    s->nwriters = 0;
}

uint64_t phase3_system_wakeups(struct stage *s)
{
    return atomic_load_explicit(&s->wakeups, memory_order_relaxed);
}

unsigned phase3_writer_threads(struct stage *s)
{
    lock_acquire(&s->events);
    unsigned n = s->running ? s->nwriters : 0;
    lock_release(&s->events);
    return n;
}
