/*
 * bench_floor.c - the machine's floor: what the simulated hardware costs
 * before any stage logic runs.
 *
 *   bench_floor [--json]
 *       ns per operation of: a hw fault round trip (touch a PROT_NONE page,
 *       SIGSEGV, the handler maps the frame, the access retries), one
 *       machine_map, one page of a batched unmap (16 contiguous pages: one
 *       overlay call; 16 scattered pages: sixteen), one 4 KiB page-file
 *       read and write, and one soft-MMU access that hits.
 *   bench_floor --replay faults=N,maps=N,unmap_pages=N,unmap_calls=N,
 *                        reads=N,writes=N[,mmu=hw|soft] [--json]
 *       performs exactly that mix of machine and page-file operations, with
 *       no stage logic (faults are resolved by a handler that only maps),
 *       and prints the total time and the time per fault: the floor a
 *       phase bench compares its own run of the same counters with.
 *
 * Invariants:
 *   1. Only the operations named are inside a timed span; setup (mapping
 *      pages so they can be unmapped, touching them) is outside.
 *   2. Each result is the median of BENCH_ROUNDS rounds, so one noisy
 *      round on a busy 2-core machine does not move it.
 * Exit status: 0, or 1 with one line on stderr for bad arguments or a
 * machine / page file that cannot be built.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine.h"
#include "pagefile.h"

#define BENCH_ROUNDS 5
#define BENCH_PAGES 4096   /* frames = virtual pages in the micro benches */
#define BENCH_BATCH 16     /* pages per batched unmap */
#define BENCH_SOFT_OPS (1u << 20)
#define REPLAY_FRAMES 4096
#define REPLAY_PAGES 65536 /* 256 MiB of user range */

/* A machine whose fault handler maps frame vpn % nframes read-write. */
struct bench_rig {
    struct machine *m;
    pte_cell_t *ptes;
};

/* Print one line naming what failed and exit 1. */
static void bench_die(const char *what, const char *why)
{
    fprintf(stderr, "bench_floor: %s: %s\n", what, why);
    exit(1);
}

/* Monotonic time in ns. */
static uint64_t bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Map the faulting page (soft: through its PTE). */
static int bench_fault(void *ctx, uint64_t va, bool is_write)
{
    struct bench_rig *r = ctx;
    (void)is_write;
    uint64_t vpn = machine_vpn(r->m, va);
    uint64_t frame = vpn % machine_nframes(r->m);
    pte_store(&r->ptes[vpn], pte_make_valid(frame, true, true, true));
    return machine_map(r->m, vpn, frame, true);
}

/* Build a machine and attach the calling thread; exits on failure. */
static void bench_open(struct bench_rig *r, enum machine_mmu mmu,
                       uint64_t frames, uint64_t pages)
{
    struct machine_config cfg = {
        .nframes = frames, .virtual_pages = pages, .mmu = mmu};
    char err[256];
    r->ptes = calloc(pages, sizeof(*r->ptes));
    if (r->ptes == NULL)
        bench_die("page table", "out of memory");
    if (machine_create(&cfg, &r->m, err, sizeof(err)) != 0)
        bench_die("machine", err);
    machine_set_fault_handler(r->m, bench_fault, r);
    machine_set_page_table(r->m, r->ptes);
    if (machine_thread_attach(r->m) != 0)
        bench_die("machine", "cannot attach");
}

/* Detach and free a rig. */
static void bench_close(struct bench_rig *r)
{
    machine_thread_detach(r->m);
    machine_destroy(r->m);
    free(r->ptes);
}

/* Address of word 0 of vpn. */
static uint64_t bench_va(struct bench_rig *r, uint64_t vpn)
{
    return machine_va_base(r->m) + vpn * MACHINE_PAGE_SIZE;
}

/* Touch vpn (a fault when it is unmapped); exits if the access fails. */
static void bench_touch(struct bench_rig *r, uint64_t vpn)
{
    uint64_t v;
    if (machine_read64(r->m, bench_va(r, vpn), &v) != 0)
        bench_die("access", "the fault handler failed");
}

/* Unmap n pages from vpn in one batch (PTEs first, as stages do). */
static void bench_unmap_range(struct bench_rig *r, uint64_t vpn, uint64_t n)
{
    uint64_t vpns[BENCH_BATCH * 4];
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < BENCH_BATCH * 4 ? n - done : BENCH_BATCH * 4;
        for (uint64_t i = 0; i < k; i++) {
            vpns[i] = vpn + done + i;
            pte_store(&r->ptes[vpns[i]], pte_make_zero());
        }
        machine_unmap_batch(r->m, vpns, k);
        done += k;
    }
}

/* qsort order for doubles. */
static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the rounds. */
static double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp);
    return v[n / 2];
}

/* --- micro benchmarks ----------------------------------------------------- */

/* Everything the micro benchmarks share. */
struct bench_env {
    struct bench_rig hw;      /* BENCH_PAGES frames, 2 * BENCH_PAGES pages */
    struct bench_rig soft;    /* 64 frames and pages, all mapped */
    struct pagefile *pf;      /* BENCH_PAGES slots */
};

/* Touch every page of a fresh range: one fault round trip each. */
static double round_fault(struct bench_env *e)
{
    uint64_t t0 = bench_now();
    for (uint64_t vpn = 0; vpn < BENCH_PAGES; vpn++)
        bench_touch(&e->hw, vpn);
    uint64_t ns = bench_now() - t0;
    bench_unmap_range(&e->hw, 0, BENCH_PAGES);
    return (double)ns / BENCH_PAGES;
}

/* Map every other page (no two mappings adjacent). */
static double round_map(struct bench_env *e)
{
    uint64_t t0 = bench_now();
    for (uint64_t i = 0; i < BENCH_PAGES; i++)
        if (machine_map(e->hw.m, 2 * i, i, true) != 0)
            bench_die("machine_map", "failed");
    uint64_t ns = bench_now() - t0;
    bench_unmap_range(&e->hw, 0, 2 * BENCH_PAGES);
    return (double)ns / BENCH_PAGES;
}

/* Batches of BENCH_BATCH mapped, touched pages, every stride-th page;
 * only the batched unmaps are timed. */
static double round_unmap(struct bench_env *e, uint64_t stride)
{
    uint64_t ns = 0, vpns[BENCH_BATCH];
    uint64_t span = BENCH_BATCH * stride;
    for (uint64_t base = 0; base + span <= 2 * BENCH_PAGES; base += span) {
        for (uint64_t j = 0; j < BENCH_BATCH; j++) {
            vpns[j] = base + j * stride;
            bench_touch(&e->hw, vpns[j]);
            pte_store(&e->hw.ptes[vpns[j]], pte_make_zero());
        }
        uint64_t t0 = bench_now();
        machine_unmap_batch(e->hw.m, vpns, BENCH_BATCH);
        ns += bench_now() - t0;
    }
    return (double)ns / (2 * BENCH_PAGES / stride);
}

/* 16 contiguous pages: one overlay call per batch. */
static double round_unmap_contiguous(struct bench_env *e)
{
    return round_unmap(e, 1);
}

/* 16 pages, none adjacent: sixteen overlay calls per batch. */
static double round_unmap_scattered(struct bench_env *e)
{
    return round_unmap(e, 2);
}

/* Write (or read) every slot from (into) frame slot % frames. */
static double round_pagefile(struct bench_env *e, bool write)
{
    uint64_t t0 = bench_now();
    for (uint64_t s = 0; s < BENCH_PAGES; s++) {
        void *page = machine_frame(e->hw.m, s);
        int rc = write ? pagefile_write(e->pf, s, page)
                       : pagefile_read(e->pf, s, page);
        if (rc != 0)
            bench_die("page file", strerror(-rc));
    }
    return (double)(bench_now() - t0) / BENCH_PAGES;
}

/* One 4 KiB pwrite per slot. */
static double round_pagefile_write(struct bench_env *e)
{
    return round_pagefile(e, true);
}

/* One 4 KiB pread per slot (the write round filled them). */
static double round_pagefile_read(struct bench_env *e)
{
    return round_pagefile(e, false);
}

/* Soft-MMU reads that all hit (every page is mapped and accessed). */
static double round_soft_hit(struct bench_env *e)
{
    uint64_t base = machine_va_base(e->soft.m), v;
    uint64_t t0 = bench_now();
    for (uint64_t i = 0; i < BENCH_SOFT_OPS; i++) {
        uint64_t va = base + (i % 64) * MACHINE_PAGE_SIZE + (i / 64 % 512) * 8;
        if (machine_read64(e->soft.m, va, &v) != 0)
            bench_die("soft access", "failed");
    }
    return (double)(bench_now() - t0) / BENCH_SOFT_OPS;
}

static const struct bench_micro {
    const char *key;
    const char *label;
    double (*round)(struct bench_env *e);
} bench_micros[] = {
    {"fault_round_trip_ns", "hw fault round trip", round_fault},
    {"map_ns", "machine_map (hw)", round_map},
    {"unmap_contiguous_ns_per_page", "batched unmap, 16 contiguous, per page",
     round_unmap_contiguous},
    {"unmap_scattered_ns_per_page", "batched unmap, 16 scattered, per page",
     round_unmap_scattered},
    {"pagefile_write_ns", "page-file write (4 KiB)", round_pagefile_write},
    {"pagefile_read_ns", "page-file read (4 KiB)", round_pagefile_read},
    {"soft_access_hit_ns", "soft-MMU access (hit)", round_soft_hit},
};
#define BENCH_MICROS (sizeof(bench_micros) / sizeof(bench_micros[0]))

/* Build the rigs (frames pre-faulted in the kernel, soft pages mapped)
 * and the page file. */
static void bench_env_open(struct bench_env *e)
{
    bench_open(&e->hw, MACHINE_MMU_HW, BENCH_PAGES, 2 * BENCH_PAGES);
    memset(machine_frame(e->hw.m, 0), 0, BENCH_PAGES * MACHINE_PAGE_SIZE);
    bench_open(&e->soft, MACHINE_MMU_SOFT, 64, 64);
    for (uint64_t vpn = 0; vpn < 64; vpn++)
        bench_touch(&e->soft, vpn);
    struct pagefile_config pc = {.slots = BENCH_PAGES,
                                 .page_size = MACHINE_PAGE_SIZE};
    char err[256];
    if (pagefile_create(&pc, &e->pf, err, sizeof(err)) != 0)
        bench_die("page file", err);
}

/* Free what bench_env_open built. */
static void bench_env_close(struct bench_env *e)
{
    pagefile_destroy(e->pf);
    bench_close(&e->soft);
    bench_close(&e->hw);
}

/* Run every micro benchmark; print a table or one JSON object. */
static void bench_micro_all(bool json)
{
    struct bench_env e;
    bench_env_open(&e);
    printf(json ? "{" : "# machine floor, ns per operation (median of %d)\n",
           BENCH_ROUNDS);
    for (size_t b = 0; b < BENCH_MICROS; b++) {
        double v[BENCH_ROUNDS];
        for (int i = 0; i < BENCH_ROUNDS; i++)
            v[i] = bench_micros[b].round(&e);
        double ns = bench_median(v, BENCH_ROUNDS);
        if (json)
            printf("%s\"%s\": %.1f", b ? ", " : "", bench_micros[b].key, ns);
        else
            printf("%-42s %10.1f ns\n", bench_micros[b].label, ns);
    }
    printf(json ? "}\n" : "");
    bench_env_close(&e);
}

/* --- replay --------------------------------------------------------------- */

enum replay_op { OP_FAULT, OP_MAP, OP_UNMAP, OP_READ, OP_WRITE, OP_COUNT };

/* The counters a phase bench hands over, as --replay spells them. */
struct replay_spec {
    uint64_t faults, maps, unmap_pages, unmap_calls, reads, writes;
    enum machine_mmu mmu;
};

/* The replay in progress: pages mapped in FIFO order, a time meter that
 * can be paused for untimed setup. */
struct replay {
    struct bench_rig rig;
    struct pagefile *pf;
    uint64_t want[OP_COUNT], done[OP_COUNT];
    uint64_t *fifo;       /* mapped vpns, oldest first (a ring) */
    uint64_t head, count;
    bool *mapped;         /* [REPLAY_PAGES] */
    uint64_t cursor;      /* where the search for an unmapped page starts */
    uint64_t *batch;      /* one unmap call's vpns */
    uint64_t batch_max;
    uint64_t ns, since;   /* accumulated time; start of the running span */
};

/* Stop the meter (untimed work follows). */
static void replay_pause(struct replay *r)
{
    r->ns += bench_now() - r->since;
}

/* Start the meter again. */
static void replay_resume(struct replay *r)
{
    r->since = bench_now();
}

/* Parse "key=N,..." into *spec.  Returns 0, or -EINVAL with the bad part
 * named on stderr. */
static int replay_parse(const char *text, struct replay_spec *spec)
{
    static const char *const keys[] = {"faults", "maps", "unmap_pages",
                                       "unmap_calls", "reads", "writes"};
    uint64_t *fields[] = {&spec->faults, &spec->maps, &spec->unmap_pages,
                          &spec->unmap_calls, &spec->reads, &spec->writes};
    char *copy = strdup(text), *save = NULL;
    int rc = copy == NULL ? -ENOMEM : 0;
    memset(spec, 0, sizeof(*spec));
    for (char *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv && !rc;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '='), *end = NULL;
        rc = -EINVAL;
        if (eq == NULL)
            break;
        *eq = '\0';
        if (strcmp(kv, "mmu") == 0) {
            rc = machine_mmu_parse(eq + 1, &spec->mmu);
            continue;
        }
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (strcmp(kv, keys[k]) != 0)
                continue;
            errno = 0;
            *fields[k] = strtoull(eq + 1, &end, 10);
            rc = (errno || end == eq + 1 || *end || eq[1] == '-') ? -EINVAL
                                                                  : 0;
        }
    }
    if (rc == 0 && spec->unmap_pages < spec->unmap_calls)
        rc = -EINVAL;
    if (rc != 0)
        fprintf(stderr, "bench_floor: bad --replay spec '%s' (want "
                "faults=N,maps=N,unmap_pages=N,unmap_calls=N,reads=N,"
                "writes=N[,mmu=hw|soft], unmap_pages >= unmap_calls)\n", text);
    free(copy);
    return rc;
}

/* Untimed: unmap every mapped page so the range has room again. */
static void replay_flush(struct replay *r)
{
    replay_pause(r);
    for (; r->count > 0; r->count--, r->head = (r->head + 1) % REPLAY_PAGES) {
        uint64_t vpn = r->fifo[r->head];
        bench_unmap_range(&r->rig, vpn, 1);
        r->mapped[vpn] = false;
    }
    replay_resume(r);
}

/* The next unmapped page, recorded as mapped (the caller maps it). */
static uint64_t replay_take(struct replay *r)
{
    if (r->count == REPLAY_PAGES)
        replay_flush(r);
    while (r->mapped[r->cursor])
        r->cursor = (r->cursor + 1) % REPLAY_PAGES;
    uint64_t vpn = r->cursor;
    r->mapped[vpn] = true;
    r->fifo[(r->head + r->count++) % REPLAY_PAGES] = vpn;
    return vpn;
}

/* One unmap call of the oldest mapped pages (call number 'call' gets its
 * share of unmap_pages); pages missing are mapped first, untimed. */
static void replay_unmap(struct replay *r, const struct replay_spec *spec,
                         uint64_t call)
{
    uint64_t n = spec->unmap_pages / spec->unmap_calls +
                 (call < spec->unmap_pages % spec->unmap_calls);
    uint64_t *vpns = r->batch;
    if (n > r->batch_max)
        n = r->batch_max;
    replay_pause(r);
    while (r->count < n)
        bench_fault(&r->rig, bench_va(&r->rig, replay_take(r)), true);
    for (uint64_t i = 0; i < n; i++) {
        vpns[i] = r->fifo[r->head];
        r->head = (r->head + 1) % REPLAY_PAGES;
        r->count--;
        r->mapped[vpns[i]] = false;
        pte_store(&r->rig.ptes[vpns[i]], pte_make_zero());
    }
    replay_resume(r);
    machine_unmap_batch(r->rig.m, vpns, n);
}

/* The operation furthest behind its share of the mix, or OP_COUNT when
 * everything is done. */
static enum replay_op replay_next(const struct replay *r)
{
    enum replay_op best = OP_COUNT;
    double best_frac = 2.0;
    for (int op = 0; op < OP_COUNT; op++) {
        if (r->done[op] >= r->want[op])
            continue;
        double frac = (double)r->done[op] / (double)r->want[op];
        if (frac < best_frac) {
            best_frac = frac;
            best = (enum replay_op)op;
        }
    }
    return best;
}

/* Perform one operation of the mix (timed). */
static void replay_step(struct replay *r, const struct replay_spec *spec,
                        enum replay_op op)
{
    uint64_t i = r->done[op]++;
    uint64_t frame = i % REPLAY_FRAMES;
    int rc = 0;
    switch (op) {
    case OP_FAULT:
        bench_touch(&r->rig, replay_take(r));
        break;
    case OP_MAP:
        rc = bench_fault(&r->rig, bench_va(&r->rig, replay_take(r)), true);
        break;
    case OP_UNMAP:
        replay_unmap(r, spec, i);
        break;
    case OP_READ:
        rc = pagefile_read(r->pf, i % REPLAY_FRAMES,
                           machine_frame(r->rig.m, frame));
        break;
    case OP_WRITE:
        rc = pagefile_write(r->pf, i % REPLAY_FRAMES,
                            machine_frame(r->rig.m, frame));
        break;
    case OP_COUNT:
        break;
    }
    if (rc != 0)
        bench_die("replay", strerror(-rc));
}

/* Build the replay's machine, page file and bookkeeping (untimed). */
static void replay_open(struct replay *r, const struct replay_spec *spec)
{
    memset(r, 0, sizeof(*r));
    bench_open(&r->rig, spec->mmu, REPLAY_FRAMES, REPLAY_PAGES);
    memset(machine_frame(r->rig.m, 0), 0, REPLAY_FRAMES * MACHINE_PAGE_SIZE);
    struct pagefile_config pc = {.slots = REPLAY_FRAMES,
                                 .page_size = MACHINE_PAGE_SIZE};
    char err[256];
    if (pagefile_create(&pc, &r->pf, err, sizeof(err)) != 0)
        bench_die("page file", err);
    r->batch_max = spec->unmap_calls == 0 ? 1
        : (spec->unmap_pages + spec->unmap_calls - 1) / spec->unmap_calls;
    if (r->batch_max > REPLAY_PAGES)
        r->batch_max = REPLAY_PAGES;
    r->fifo = calloc(REPLAY_PAGES, sizeof(*r->fifo));
    r->mapped = calloc(REPLAY_PAGES, sizeof(*r->mapped));
    r->batch = calloc(r->batch_max, sizeof(*r->batch));
    if (r->fifo == NULL || r->mapped == NULL || r->batch == NULL)
        bench_die("replay", "out of memory");
    r->want[OP_FAULT] = spec->faults;
    r->want[OP_MAP] = spec->maps > spec->faults ? spec->maps - spec->faults : 0;
    r->want[OP_UNMAP] = spec->unmap_calls;
    r->want[OP_READ] = spec->reads;
    r->want[OP_WRITE] = spec->writes;
}

/* Free what replay_open built. */
static void replay_close(struct replay *r)
{
    free(r->batch);
    free(r->mapped);
    free(r->fifo);
    pagefile_destroy(r->pf);
    bench_close(&r->rig);
}

/* Perform the mix and print its total time and time per fault. */
static void replay_run(const struct replay_spec *spec, bool json)
{
    struct replay r;
    replay_open(&r, spec);
    replay_resume(&r);
    for (enum replay_op op; (op = replay_next(&r)) != OP_COUNT;)
        replay_step(&r, spec, op);
    replay_pause(&r);
    double per_fault = spec->faults ? (double)r.ns / spec->faults : 0;
    const char *fmt = json
        ? "{\"mmu\": \"%s\", \"faults\": %llu, \"maps\": %llu, "
          "\"unmap_pages\": %llu, \"unmap_calls\": %llu, \"reads\": %llu, "
          "\"writes\": %llu, \"total_ns\": %llu, \"ns_per_fault\": %.1f}\n"
        : "replay mmu=%s faults=%llu maps=%llu unmap_pages=%llu "
          "unmap_calls=%llu reads=%llu writes=%llu: total %llu ns, "
          "%.1f ns per fault\n";
    printf(fmt, machine_mmu_name(spec->mmu),
           (unsigned long long)spec->faults, (unsigned long long)spec->maps,
           (unsigned long long)spec->unmap_pages,
           (unsigned long long)spec->unmap_calls,
           (unsigned long long)spec->reads, (unsigned long long)spec->writes,
           (unsigned long long)r.ns, per_fault);
    replay_close(&r);
}

/* Print the usage line and exit 1. */
static void bench_usage(void)
{
    fprintf(stderr, "usage: bench_floor [--json] [--replay faults=N,maps=N,"
            "unmap_pages=N,unmap_calls=N,reads=N,writes=N[,mmu=hw|soft]]\n");
    exit(1);
}

/* Parse the options, run the micro benchmarks or the replay. */
int main(int argc, char **argv)
{
    bool json = false;
    const char *replay = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--replay") == 0 && i + 1 < argc)
            replay = argv[++i];
        else if (strncmp(argv[i], "--replay=", 9) == 0)
            replay = argv[i] + 9;
        else
            bench_usage();
    }
    if (replay == NULL) {
        bench_micro_all(json);
        return 0;
    }
    struct replay_spec spec;
    if (replay_parse(replay, &spec) != 0)
        return 1;
    replay_run(&spec, json);
    return 0;
}
