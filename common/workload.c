/*
 * workload.c - what user threads do: pick pages by a pattern, write stamps
 * on their own pages, check the stamp of every page they read.
 *
 * An access is to one page p (the pattern picks it; WALK also tracks the
 * word it is on, and moves to the next page after the page's last word).
 * The owner of p (thread p % nthreads) writes with probability
 * write_percent; every other access reads.
 *
 *   write (owner only)  check the stamp as the owner; n = published[p]
 *                       + 1; word 0 = page address; word 1 = n;
 *                       published[p] = n (release).
 *   read                pb = published[p] (acquire); v = word 1;
 *                       a = word 0; pa = published[p] (acquire).
 *
 * The stamp checks out iff pb <= v <= high, where high is pa + 1 for a
 * reader (the owner may be between its store and its publish) and pa
 * itself for the owner (nobody else writes its pages), and
 *   a is the page address, or
 *   a is 0 and the page was unpublished when the read began (pb == 0) and
 *   v <= 1: never written, or a first write seen half done (the two words
 *   are separate relaxed accesses, so no order between them is assumed).
 * So a torn stamp never looks bad, while a write the memory manager lost
 * (an old or zero version, a page that belongs elsewhere, a frame that was
 * never zeroed) always does.  The accessor calls are out-of-line, so the
 * compiler keeps their program order, which x86-64 keeps too.
 *
 * Invariants:
 *   1. Only page p's owner writes p's stamp or published[p], and
 *      published[p] only grows.
 *   2. A thread's random stream depends only on (seed, thread index), and
 *      the PHASES working set only on (seed, phase number), so a run with
 *      the same stage decisions is reproduced exactly.
 *
 * Locking: none; published[] is atomic, everything else is per thread.
 */
#include "workload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKLOAD_WORDS (MACHINE_PAGE_SIZE / sizeof(uint64_t))
#define WORKLOAD_STATS_BATCH 256 /* accesses counted per stats_add */

struct workload_run {
    struct workload_config cfg; /* immutable after create */
    struct machine *m;
    unsigned nthreads;
    uint64_t npages;
    uint64_t base;              /* va of page 0 */
    _Atomic uint64_t *published; /* [npages], see invariant 1 */
    /* Pooled shares: accesses handed out so far (drawn once per
     * WORKLOAD_CHUNK accesses, too seldom to need a line of its own). */
    _Atomic uint64_t drawn;
};

/* One thread's position and random stream (private to the thread). */
struct workload_thread {
    struct workload_run *run;
    unsigned index;
    uint64_t rng[4];            /* xoshiro256** state */
    uint64_t walk_page;         /* WALK: current page and word */
    uint64_t walk_word;
    uint64_t done;              /* accesses made */
    struct workload_result *res;
};

static const char *const workload_names[WORKLOAD_PATTERN_COUNT] = {
    [WORKLOAD_UNIFORM] = "uniform",
    [WORKLOAD_WALK] = "walk",
    [WORKLOAD_HOTCOLD] = "hotcold",
    [WORKLOAD_PHASES] = "phases",
};

/* splitmix64: advance *x and return a well-mixed 64-bit value. */
static uint64_t workload_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Rotate x left by k (0 < k < 64). */
static uint64_t workload_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: the next value of the thread's stream. */
static uint64_t workload_next(struct workload_thread *t)
{
    uint64_t *s = t->rng;
    uint64_t out = workload_rotl(s[1] * 5, 7) * 9;
    uint64_t shifted = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= shifted;
    s[3] = workload_rotl(s[3], 45);
    return out;
}

/* A value in [0, n), n > 0. */
static uint64_t workload_below(struct workload_thread *t, uint64_t n)
{
    return workload_next(t) % n;
}

/* True with probability percent / 100. */
static bool workload_chance(struct workload_thread *t, unsigned percent)
{
    return workload_below(t, 100) < percent;
}

/* Fill cfg with the defaults workload.h lists (seed 1). */
void workload_defaults(struct workload_config *cfg)
{
    *cfg = (struct workload_config){
        .pattern = WORKLOAD_UNIFORM,
        .accesses = 100000,
        .pooled_shares = false,
        .write_percent = 50,
        .jump_percent = 10,
        .hot_percent = 10,
        .hot_access_percent = 90,
        .phase_length = 20000,
        .phase_pages_percent = 10,
        .seed = 1,
    };
}

/* Pattern -> name ("unknown" out of range). */
const char *workload_pattern_name(enum workload_pattern p)
{
    if ((unsigned)p >= WORKLOAD_PATTERN_COUNT)
        return "unknown";
    return workload_names[p];
}

/* Name -> pattern.  Returns 0, or -EINVAL for an unknown name. */
int workload_pattern_parse(const char *name, enum workload_pattern *out)
{
    for (int p = 0; name != NULL && p < WORKLOAD_PATTERN_COUNT; p++) {
        if (strcmp(name, workload_names[p]) == 0) {
            *out = (enum workload_pattern)p;
            return 0;
        }
    }
    return -EINVAL;
}

/* Build the shared state of a run.  Returns NULL with errno EINVAL for a
 * bad configuration (no threads, an unknown pattern, a percentage above
 * 100, a pooled total beyond 64 bits) or ENOMEM when out of memory. */
struct workload_run *workload_run_create(const struct workload_config *cfg,
                                         struct machine *m,
                                         unsigned nthreads)
{
    if (cfg == NULL || m == NULL || nthreads == 0 ||
        (unsigned)cfg->pattern >= WORKLOAD_PATTERN_COUNT ||
        cfg->write_percent > 100 || cfg->jump_percent > 100 ||
        cfg->hot_percent > 100 || cfg->hot_access_percent > 100 ||
        cfg->phase_pages_percent > 100 ||
        (cfg->pooled_shares && cfg->accesses > UINT64_MAX / nthreads)) {
        errno = EINVAL;
        return NULL;
    }
    struct workload_run *run = calloc(1, sizeof(*run));
    if (run == NULL)
        return NULL;
    atomic_init(&run->drawn, 0);
    run->npages = machine_virtual_pages(m);
    run->published = calloc(run->npages, sizeof(*run->published));
    if (run->published == NULL) {
        free(run);
        return NULL;
    }
    run->cfg = *cfg;
    run->m = m;
    run->nthreads = nthreads;
    run->base = machine_va_base(m);
    return run;
}

/* Free a run (NULL is fine).  No thread may still be running it. */
void workload_run_destroy(struct workload_run *run)
{
    if (run == NULL)
        return;
    free(run->published);
    free(run);
}

/* n percent of the pages, at least 1. */
static uint64_t workload_share(const struct workload_run *run, unsigned n)
{
    uint64_t pages = run->npages * n / 100;
    return pages == 0 ? 1 : pages;
}

/* WALK: the page of the next word, jumping or wrapping at page ends. */
static uint64_t workload_walk(struct workload_thread *t)
{
    struct workload_run *run = t->run;
    if (++t->walk_word == WORKLOAD_WORDS) {
        t->walk_word = 0;
        if (workload_chance(t, run->cfg.jump_percent))
            t->walk_page = workload_below(t, run->npages);
        else
            t->walk_page = (t->walk_page + 1) % run->npages;
    }
    return t->walk_page;
}

/* HOTCOLD: pages [0, hot) are hot and take hot_access_percent. */
static uint64_t workload_hotcold(struct workload_thread *t)
{
    struct workload_run *run = t->run;
    uint64_t hot = workload_share(run, run->cfg.hot_percent);
    if (hot >= run->npages || workload_chance(t, run->cfg.hot_access_percent))
        return workload_below(t, hot);
    return hot + workload_below(t, run->npages - hot);
}

/* PHASES: the working set of this access's phase, the same for every
 * thread (its start depends on seed and phase number only). */
static uint64_t workload_phases(struct workload_thread *t)
{
    struct workload_run *run = t->run;
    uint64_t len = run->cfg.phase_length;
    uint64_t mix = run->cfg.seed ^ (len == 0 ? 0 : t->done / len);
    uint64_t start = workload_splitmix(&mix) % run->npages;
    uint64_t size = workload_share(run, run->cfg.phase_pages_percent);
    return (start + workload_below(t, size)) % run->npages;
}

/* The page of the thread's next access. */
static uint64_t workload_pick(struct workload_thread *t)
{
    switch (t->run->cfg.pattern) {
    case WORKLOAD_WALK:
        return workload_walk(t);
    case WORKLOAD_HOTCOLD:
        return workload_hotcold(t);
    case WORKLOAD_PHASES:
        return workload_phases(t);
    default:
        return workload_below(t, t->run->npages);
    }
}

/* Record the first problem of the thread in words. */
static void workload_note(struct workload_thread *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void workload_note(struct workload_thread *t, const char *fmt, ...)
{
    if (t->res->first_error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->res->first_error, sizeof(t->res->first_error), fmt, ap);
    va_end(ap);
}

/* The stamp (version v, address a) of the page at addr, read between the
 * published versions pb and high (see the design comment): true when it
 * checks out. */
static bool workload_stamp_ok(uint64_t addr, uint64_t v, uint64_t a,
                              uint64_t pb, uint64_t high)
{
    if (v < pb || v > high)
        return false;
    return a == addr || (a == 0 && pb == 0 && v <= 1);
}

/* Count a bad stamp and describe it: what was expected, what was found. */
static void workload_stamp_error(struct workload_thread *t, uint64_t p,
                                 uint64_t v, uint64_t a, uint64_t pb,
                                 uint64_t high)
{
    uint64_t addr = t->run->base + p * MACHINE_PAGE_SIZE;
    const char *rel = pb == high ? "" : v > high ? "<= " : ">= ";
    uint64_t want = v > high ? high : pb;
    t->res->stamp_errors++;
    workload_note(t, "page 0x%llx (vpn %llu): expected version %s%llu "
                  "(address 0x%llx), found version %llu (address 0x%llx)",
                  (unsigned long long)addr, (unsigned long long)p, rel,
                  (unsigned long long)want, (unsigned long long)addr,
                  (unsigned long long)v, (unsigned long long)a);
}

/* Count an accessor failure on page p.  Returns false (for chaining). */
static bool workload_access_error(struct workload_thread *t, uint64_t p,
                                  const char *what, int rc)
{
    t->res->access_errors++;
    workload_note(t, "page 0x%llx (vpn %llu): %s failed: %s",
                  (unsigned long long)(t->run->base + p * MACHINE_PAGE_SIZE),
                  (unsigned long long)p, what, strerror(-rc));
    return false;
}

/* Read and check page p's stamp; *version gets the version found.  Returns
 * true when it was read and checked out (errors are counted). */
static bool workload_check(struct workload_thread *t, uint64_t p,
                           uint64_t *version)
{
    struct workload_run *run = t->run;
    uint64_t addr = run->base + p * MACHINE_PAGE_SIZE, a, v;
    uint64_t pb = atomic_load_explicit(&run->published[p],
                                       memory_order_acquire);
    int rc = machine_read64(run->m, addr + sizeof(uint64_t), &v);
    if (rc != 0)
        return workload_access_error(t, p, "read", rc);
    if ((rc = machine_read64(run->m, addr, &a)) != 0)
        return workload_access_error(t, p, "read", rc);
    uint64_t pa = atomic_load_explicit(&run->published[p],
                                       memory_order_acquire);
    uint64_t high = p % run->nthreads == t->index ? pa : pa + 1;
    *version = v;
    if (workload_stamp_ok(addr, v, a, pb, high))
        return true;
    workload_stamp_error(t, p, v, a, pb, high);
    return false;
}

/* Owner's write of page p: check the stamp exactly (so a lost write shows
 * up even when the page is written again before it is read), then stamp
 * and publish the next version. */
static void workload_write(struct workload_thread *t, uint64_t p)
{
    struct workload_run *run = t->run;
    uint64_t addr = run->base + p * MACHINE_PAGE_SIZE, seen;
    if (!workload_check(t, p, &seen))
        return;
    uint64_t next = atomic_load_explicit(&run->published[p],
                                         memory_order_relaxed) + 1;
    int rc = machine_write64(run->m, addr, addr);
    if (rc == 0)
        rc = machine_write64(run->m, addr + sizeof(uint64_t), next);
    if (rc != 0) {
        workload_access_error(t, p, "write", rc);
        return;
    }
    atomic_store_explicit(&run->published[p], next, memory_order_release);
    t->res->writes++;
}

/* Seed the thread's stream from (seed, index) and place its walk. */
static void workload_thread_init(struct workload_thread *t,
                                 struct workload_run *run, unsigned index,
                                 struct workload_result *res)
{
    memset(t, 0, sizeof(*t));
    t->run = run;
    t->index = index;
    t->res = res;
    uint64_t x = run->cfg.seed ^ (0xd1b54a32d192ed03ull * (index + 1ull));
    for (int i = 0; i < 4; i++)
        t->rng[i] = workload_splitmix(&x);
    t->walk_page = workload_below(t, run->npages);
}

/* More accesses the thread may make, counted from those it made: the
 * rest of its fixed share, or the next chunk of the pool (0: done). */
static uint64_t workload_draw(struct workload_thread *t)
{
    struct workload_run *run = t->run;
    if (!run->cfg.pooled_shares)
        return run->cfg.accesses - t->done;
    uint64_t total = run->cfg.accesses * run->nthreads;
    uint64_t first = atomic_fetch_add_explicit(&run->drawn, WORKLOAD_CHUNK,
                                               memory_order_relaxed);
    if (first >= total)
        return 0;
    return total - first < WORKLOAD_CHUNK ? total - first : WORKLOAD_CHUNK;
}

/* One access of thread t (a write to its own page or a checked read),
 * counted into stats in batches. */
static void workload_step(struct workload_thread *t, struct stats *stats)
{
    struct workload_run *run = t->run;
    uint64_t p = workload_pick(t), seen;
    if (p % run->nthreads == t->index &&
        workload_chance(t, run->cfg.write_percent))
        workload_write(t, p);
    else if (workload_check(t, p, &seen))
        t->res->reads++;
    if (stats != NULL && (t->done + 1) % WORKLOAD_STATS_BATCH == 0)
        stats_add(stats, STAT_ACCESSES, WORKLOAD_STATS_BATCH);
}

/* Run thread 'index' of run in the calling thread (see workload.h).
 * Returns 0 when every access succeeded and every stamp checked out, -1
 * otherwise (also for a bad index or a failed attach), details in *res. */
int workload_thread_run(struct workload_run *run, unsigned index,
                        struct stats *stats, struct workload_result *res)
{
    memset(res, 0, sizeof(*res));
    if (index >= run->nthreads) {
        snprintf(res->first_error, sizeof(res->first_error),
                 "thread index %u out of range (%u threads)", index,
                 run->nthreads);
        res->access_errors = 1;
        return -1;
    }
    int rc = machine_thread_attach(run->m);
    if (rc != 0) {
        snprintf(res->first_error, sizeof(res->first_error),
                 "thread %u could not attach: %s", index, strerror(-rc));
        res->access_errors = 1;
        return -1;
    }
    struct workload_thread t;
    workload_thread_init(&t, run, index, res);
    for (uint64_t more; (more = workload_draw(&t)) > 0;)
        for (uint64_t end = t.done + more; t.done < end; t.done++)
            workload_step(&t, stats);
    if (stats != NULL && t.done % WORKLOAD_STATS_BATCH != 0)
        stats_add(stats, STAT_ACCESSES, t.done % WORKLOAD_STATS_BATCH);
    machine_thread_detach(run->m);
    return res->stamp_errors == 0 && res->access_errors == 0 ? 0 : -1;
}

/* Add b's counts into a, keeping a's first error, else b's. */
void workload_result_merge(struct workload_result *a,
                           const struct workload_result *b)
{
    a->reads += b->reads;
    a->writes += b->writes;
    a->stamp_errors += b->stamp_errors;
    a->access_errors += b->access_errors;
    if (a->first_error[0] == '\0')
        memcpy(a->first_error, b->first_error, sizeof(a->first_error));
}
