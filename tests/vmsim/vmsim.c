/*
 * vmsim.c - one driver for every phase: build a stage from the command
 * line, run user threads on a workload through stage_run_workload, audit,
 * and print the configuration and what happened (text or --json).
 *
 *   vmsim [--stage NAME] [--va SIZE] [--phys N|P%] [--pagefile-slots N]
 *         [--accesses N] [--pattern uniform|walk|hotcold|phases]
 *         [--threads T] [--shares fixed|pooled] [--mmu hw|soft] [--seed S]
 *         [--trim-batch N]
 *         [--write-batch N] [--options all|none|name,name] [--json]
 *         [--list-stages]
 *
 * With no argument it runs the original projects' machine (16 MiB virtual,
 * 2% physical, uniform random accesses, hw MMU) on the first stage built.
 * The stages are those of $(STAGES): the build defines HAVE_<stage> for each.
 *
 * Invariants:
 *   1. The exit status says whether the run was sound: 0 every stamp checked
 *      out and the final audit was clean; 1 it was not; 2 the command line
 *      or the configuration was refused (one line on stderr, plus a hint).
 *   2. --accesses is the total over all threads (split evenly, or drawn
 *      from one pool with --shares pooled), so runs with different thread
 *      counts do the same work.
 *
 * Locking: none of its own; the progress thread only reads the stats
 * (relaxed atomics) and a done flag.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stage.h"

/* Each phase's public header declares the same. */
#ifdef HAVE_phase1
extern const struct stage_ops phase1_ops;
#endif
#ifdef HAVE_phase2
extern const struct stage_ops phase2_ops;
#endif
#ifdef HAVE_phase3
extern const struct stage_ops phase3_ops;
#endif

static const struct stage_ops *const vmsim_stages[] = {
#ifdef HAVE_phase1
    &phase1_ops,
#endif
#ifdef HAVE_phase2
    &phase2_ops,
#endif
#ifdef HAVE_phase3
    &phase3_ops,
#endif
    NULL,
};

/* The names of phase3's option bits (enum phase3_option), bit 0 first;
 * cfg.options is stage-specific and the other stages ignore it. */
static const char *const vmsim_option_names[] = {
    "batch_trim", "batch_write", "frame_cache", "spin_locks",
    "lockfree_fast", "aging", "read_ahead", "multi_writer",
    "direct_reclaim", "unlisted_active",
};
#define VMSIM_OPTION_COUNT \
    (sizeof(vmsim_option_names) / sizeof(vmsim_option_names[0]))
#define VMSIM_OPTIONS_ALL ((1ull << VMSIM_OPTION_COUNT) - 1)

#define VMSIM_DEFAULT_ACCESSES 500000ull
#define VMSIM_EXIT_BAD_RUN 1
#define VMSIM_EXIT_USAGE 2

struct vmsim_args {
    const struct stage_ops *ops;
    struct stage_config cfg;
    double phys_percent;      /* > 0: frames are a share of the pages */
    bool slots_given;
    uint64_t accesses;        /* total over all threads */
    enum workload_pattern pattern;
    bool pooled;              /* --shares pooled (workload.h: Shares) */
    uint64_t seed;
    bool json;
};

/* What one run measured. */
struct vmsim_result {
    struct workload_result wl;
    int rc;                   /* stage_run_workload's */
    double seconds;           /* wall time of the workload */
    double cpu_seconds;       /* user + system time of the process in it */
    uint64_t stats[STAT_COUNT];
    struct machine_counters mc;
    uint64_t io[2][2];        /* [op][0: calls, 1: pages] */
    char audit[256];          /* "" when clean */
};

/* Print "vmsim: <message>" and the usage hint; exit 2. */
__attribute__((format(printf, 1, 2), noreturn))
static void vmsim_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("vmsim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(try 'vmsim --help')\n", stderr);
    exit(VMSIM_EXIT_USAGE);
}

static void vmsim_help(void)
{
    printf("usage: vmsim [--stage NAME] [--va SIZE[K|M|G]] [--phys N|P%%]\n"
           "             [--pagefile-slots N] [--accesses N]\n"
           "             [--pattern uniform|walk|hotcold|phases] [--threads T]\n"
           "             [--shares fixed|pooled] [--mmu hw|soft] [--seed S]\n"
           "             [--trim-batch N] [--write-batch N]\n"
           "             [--options all|none|NAME,NAME]\n"
           "             [--json] [--list-stages]\n"
           "defaults: the first stage, 16M virtual, 2%% physical, a page file\n"
           "of the virtual pages beyond physical plus a margin, %llu accesses\n"
           "in all, uniform, 1 thread, fixed shares, hw, seed 1.\n"
           "options: all none",
           VMSIM_DEFAULT_ACCESSES);
    for (size_t i = 0; i < VMSIM_OPTION_COUNT; i++)
        printf(" %s", vmsim_option_names[i]);
    printf("\n");
}

/* A whole unsigned decimal number, or exit 2 naming what. */
static uint64_t vmsim_number(const char *what, const char *text)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        vmsim_usage_error("%s must be a whole number, not '%s'", what, text);
    return v;
}

/* A count that fits an unsigned and is at least 1. */
static unsigned vmsim_count(const char *what, const char *text)
{
    uint64_t v = vmsim_number(what, text);
    if (v == 0 || v > 1000000)
        vmsim_usage_error("%s must be between 1 and 1000000, not '%s'", what,
                          text);
    return (unsigned)v;
}

/* --va: bytes with an optional K/M/G suffix, page aligned; in pages. */
static uint64_t vmsim_parse_va(const char *text)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift != 0)
        end++;
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' ||
        v == 0 || v > (UINT64_MAX >> shift))
        vmsim_usage_error("--va wants a size such as 16M, not '%s'", text);
    v <<= shift;
    if (v % MACHINE_PAGE_SIZE != 0)
        vmsim_usage_error("--va %s is not a multiple of the %lu-byte page",
                          text, MACHINE_PAGE_SIZE);
    return v / MACHINE_PAGE_SIZE;
}

/* --phys: a frame count, or a percentage of the virtual pages ("2%"). */
static void vmsim_parse_phys(struct vmsim_args *a, const char *text)
{
    size_t n = strlen(text);
    if (n > 1 && text[n - 1] == '%') {
        char *end;
        double p = strtod(text, &end);
        if (end != text + n - 1 || !(p > 0 && p <= 100))
            vmsim_usage_error("--phys %s: a percentage must be in (0, 100]",
                              text);
        a->phys_percent = p;
        return;
    }
    a->phys_percent = 0;
    a->cfg.physical_frames = vmsim_number("--phys", text);
}

/* --options: all, none, or names joined by commas. */
static uint64_t vmsim_parse_options(const char *text)
{
    if (strcmp(text, "all") == 0)
        return VMSIM_OPTIONS_ALL;
    if (strcmp(text, "none") == 0)
        return 0;
    uint64_t bits = 0;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", text);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < VMSIM_OPTION_COUNT && strcmp(tok, vmsim_option_names[i]))
            i++;
        if (i == VMSIM_OPTION_COUNT)
            vmsim_usage_error("--options: no optimization named '%s'", tok);
        bits |= 1ull << i;
    }
    return bits;
}

/* "none", "all" or the names of the bits, comma separated, into buf. */
static const char *vmsim_options_text(uint64_t bits, char *buf, size_t len)
{
    if (bits == 0 || bits == VMSIM_OPTIONS_ALL)
        return bits == 0 ? "none" : "all";
    buf[0] = '\0';
    for (size_t i = 0; i < VMSIM_OPTION_COUNT; i++) {
        if (bits & (1ull << i)) {
            size_t used = strlen(buf);
            snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                     vmsim_option_names[i]);
        }
    }
    return buf;
}

/* The stage called name, or exit 2 listing the ones built. */
static const struct stage_ops *vmsim_find_stage(const char *name)
{
    for (size_t i = 0; vmsim_stages[i] != NULL; i++) {
        if (strcmp(vmsim_stages[i]->name, name) == 0)
            return vmsim_stages[i];
    }
    vmsim_usage_error("no stage '%s' in this build (vmsim --list-stages)", name);
}

static void vmsim_list_stages(void)
{
    for (size_t i = 0; vmsim_stages[i] != NULL; i++)
        printf("%s\n", vmsim_stages[i]->name);
    exit(0);
}

enum {
    OPT_STAGE = 256, OPT_VA, OPT_PHYS, OPT_SLOTS, OPT_ACCESSES, OPT_PATTERN,
    OPT_THREADS, OPT_MMU, OPT_SEED, OPT_TRIM_BATCH, OPT_WRITE_BATCH,
    OPT_OPTIONS, OPT_JSON, OPT_LIST, OPT_HELP, OPT_SHARES,
};

static const struct option vmsim_long_options[] = {
    {"stage", required_argument, NULL, OPT_STAGE},
    {"va", required_argument, NULL, OPT_VA},
    {"phys", required_argument, NULL, OPT_PHYS},
    {"pagefile-slots", required_argument, NULL, OPT_SLOTS},
    {"accesses", required_argument, NULL, OPT_ACCESSES},
    {"pattern", required_argument, NULL, OPT_PATTERN},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"shares", required_argument, NULL, OPT_SHARES},
    {"mmu", required_argument, NULL, OPT_MMU},
    {"seed", required_argument, NULL, OPT_SEED},
    {"trim-batch", required_argument, NULL, OPT_TRIM_BATCH},
    {"write-batch", required_argument, NULL, OPT_WRITE_BATCH},
    {"options", required_argument, NULL, OPT_OPTIONS},
    {"json", no_argument, NULL, OPT_JSON},
    {"list-stages", no_argument, NULL, OPT_LIST},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Apply one parsed option to a (exits on a bad value). */
static void vmsim_apply(struct vmsim_args *a, int opt, const char *val)
{
    switch (opt) {
    case OPT_STAGE: a->ops = vmsim_find_stage(val); break;
    case OPT_VA: a->cfg.virtual_pages = vmsim_parse_va(val); break;
    case OPT_PHYS: vmsim_parse_phys(a, val); break;
    case OPT_SLOTS:
        a->cfg.pagefile_slots = vmsim_number("--pagefile-slots", val);
        a->slots_given = true;
        break;
    case OPT_ACCESSES: a->accesses = vmsim_number("--accesses", val); break;
    case OPT_PATTERN:
        if (workload_pattern_parse(val, &a->pattern) != 0)
            vmsim_usage_error("--pattern wants uniform, walk, hotcold or "
                              "phases, not '%s'", val);
        break;
    case OPT_THREADS: a->cfg.user_threads = vmsim_count("--threads", val); break;
    case OPT_SHARES:
        if (strcmp(val, "fixed") != 0 && strcmp(val, "pooled") != 0)
            vmsim_usage_error("--shares wants fixed or pooled, not '%s'", val);
        a->pooled = strcmp(val, "pooled") == 0;
        break;
    case OPT_MMU:
        if (machine_mmu_parse(val, &a->cfg.mmu) != 0)
            vmsim_usage_error("--mmu wants hw or soft, not '%s'", val);
        break;
    case OPT_SEED: a->seed = vmsim_number("--seed", val); break;
    case OPT_TRIM_BATCH: a->cfg.trim_batch = vmsim_count("--trim-batch", val); break;
    case OPT_WRITE_BATCH: a->cfg.write_batch = vmsim_count("--write-batch", val); break;
    case OPT_OPTIONS: a->cfg.options = vmsim_parse_options(val); break;
    case OPT_JSON: a->json = true; break;
    case OPT_LIST: vmsim_list_stages(); break;
    case OPT_HELP: vmsim_help(); exit(0);
    default: vmsim_usage_error("unknown argument");
    }
}

/* The sizes that depend on other options: frames from a percentage, and
 * (unless given) a page file of the pages beyond physical memory plus the
 * default configuration's margin. */
static void vmsim_derive_sizes(struct vmsim_args *a,
                               const struct stage_config *defaults)
{
    uint64_t v = a->cfg.virtual_pages;
    if (a->phys_percent > 0) { /* a share: at least one frame */
        a->cfg.physical_frames =
            (uint64_t)llround((double)v * a->phys_percent / 100.0);
        if (a->cfg.physical_frames == 0)
            a->cfg.physical_frames = 1;
    }
    uint64_t margin = defaults->pagefile_slots -
                      (defaults->virtual_pages - defaults->physical_frames);
    if (!a->slots_given && a->cfg.physical_frames <= v)
        a->cfg.pagefile_slots = v - a->cfg.physical_frames + margin;
}

/* Parse argv into a: defaults first, then each option, then the derived
 * sizes.  Exits 2 on anything it cannot use. */
static void vmsim_parse(struct vmsim_args *a, int argc, char **argv)
{
    struct stage_config defaults;
    stage_config_defaults(&defaults);
    memset(a, 0, sizeof(*a));
    a->cfg = defaults;
    a->ops = vmsim_stages[0];
    a->phys_percent = 2.0;
    a->accesses = VMSIM_DEFAULT_ACCESSES;
    a->pattern = WORKLOAD_UNIFORM;
    a->seed = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", vmsim_long_options, NULL)) != -1) {
        if (opt == '?')
            vmsim_usage_error("unknown or incomplete option '%s'",
                              argv[optind - 1]);
        vmsim_apply(a, opt, optarg);
    }
    if (optind < argc)
        vmsim_usage_error("unexpected argument '%s'", argv[optind]);
    if (a->ops == NULL)
        vmsim_usage_error("this build has no stage");
    vmsim_derive_sizes(a, &defaults);
    if (a->accesses < a->cfg.user_threads)
        vmsim_usage_error("--accesses %" PRIu64 " is fewer than one per thread",
                          a->accesses);
}

/* Progress on stderr while the workload runs (only when it is a tty). */
struct vmsim_progress {
    struct stats *stats;
    uint64_t total;
    atomic_bool done;
};

static void *vmsim_progress_main(void *arg)
{
    struct vmsim_progress *p = arg;
    const struct timespec tick = {0, 250 * 1000 * 1000};
    while (!atomic_load(&p->done)) {
        nanosleep(&tick, NULL);
        uint64_t n = stats_get(p->stats, STAT_ACCESSES);
        fprintf(stderr, "\rvmsim: %" PRIu64 " / %" PRIu64 " accesses (%.0f%%) ",
                n, p->total, 100.0 * (double)n / (double)p->total);
    }
    fputs("\r\033[K", stderr);
    return NULL;
}

/* Seconds on clock (CLOCK_MONOTONIC: wall; CLOCK_PROCESS_CPUTIME_ID: the
 * CPU time of every thread of the process, steadier on a busy machine). */
static double vmsim_now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the workload of a on s (system threads started around it), timing
 * it and showing progress when stderr is a terminal. */
static void vmsim_run_workload(const struct vmsim_args *a, struct stage *s,
                               struct vmsim_result *r)
{
    struct stage_core *core = a->ops->core(s);
    unsigned nthreads = a->cfg.user_threads;
    struct workload_config wl;
    workload_defaults(&wl);
    wl.pattern = a->pattern;
    wl.accesses = a->accesses / nthreads;
    wl.pooled_shares = a->pooled;
    wl.seed = a->seed;
    struct vmsim_progress prog = {.stats = core->stats,
                                  .total = wl.accesses * nthreads};
    pthread_t tid;
    bool show = isatty(STDERR_FILENO) &&
                pthread_create(&tid, NULL, vmsim_progress_main, &prog) == 0;
    double start = vmsim_now(CLOCK_MONOTONIC);
    double cpu = vmsim_now(CLOCK_PROCESS_CPUTIME_ID);
    r->rc = stage_run_workload(a->ops, s, &wl, nthreads, &r->wl);
    r->seconds = vmsim_now(CLOCK_MONOTONIC) - start;
    r->cpu_seconds = vmsim_now(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    if (show) {
        atomic_store(&prog.done, true);
        pthread_join(tid, NULL);
    }
}

/* Everything after the run: stop, audit, sum the counters. */
static void vmsim_collect(const struct vmsim_args *a, struct stage *s,
                          struct vmsim_result *r)
{
    struct stage_core *core = a->ops->core(s);
    a->ops->stop(s);
    if (a->ops->audit(s, r->audit, sizeof(r->audit)) == 0)
        r->audit[0] = '\0';
    else if (r->audit[0] == '\0')
        snprintf(r->audit, sizeof(r->audit), "audit failed");
    stats_sum(core->stats, r->stats);
    machine_counters(core->machine, &r->mc);
    for (int op = PAGEFILE_OP_READ; op <= PAGEFILE_OP_WRITE; op++) {
        r->io[op][0] = pagefile_io_calls(core->pagefile, op);
        r->io[op][1] = pagefile_pages_moved(core->pagefile, op);
    }
}

static uint64_t vmsim_accesses(const struct vmsim_result *r)
{
    return r->wl.reads + r->wl.writes;
}

static double vmsim_rate(uint64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

/* Accesses that found their page valid, over all accesses: every page-in
 * (zero, transition or disk fault) is a miss; upgrades and spurious faults
 * are not (the page was there). */
static double vmsim_hit_rate(const struct vmsim_result *r)
{
    uint64_t acc = vmsim_accesses(r);
    uint64_t misses = r->stats[STAT_FAULT_ZERO] +
                      r->stats[STAT_FAULT_TRANSITION] +
                      r->stats[STAT_FAULT_DISK];
    if (acc == 0 || misses >= acc)
        return 0.0;
    return (double)(acc - misses) / (double)acc;
}

static bool vmsim_ok(const struct vmsim_result *r)
{
    return r->rc == 0 && r->wl.stamp_errors == 0 &&
           r->wl.access_errors == 0 && r->audit[0] == '\0';
}

static void vmsim_print_text(const struct vmsim_args *a,
                             const struct vmsim_result *r)
{
    const struct stage_config *c = &a->cfg;
    char opts[256];
    printf("vmsim:    stage %s, mmu %s, %" PRIu64 " virtual pages (%" PRIu64
           " KiB), %" PRIu64 " frames (%.1f%%), %" PRIu64 " page-file slots\n",
           a->ops->name, machine_mmu_name(c->mmu), c->virtual_pages,
           c->virtual_pages * MACHINE_PAGE_SIZE / 1024, c->physical_frames,
           100.0 * (double)c->physical_frames / (double)c->virtual_pages,
           c->pagefile_slots);
    printf("          %s pattern, %u thread(s) (%s shares), %" PRIu64
           " accesses, seed %" PRIu64 ", trim batch %u, write batch %u, "
           "options %s\n", workload_pattern_name(a->pattern), c->user_threads,
           a->pooled ? "pooled" : "fixed",
           vmsim_accesses(r), a->seed, c->trim_batch, c->write_batch,
           vmsim_options_text(c->options, opts, sizeof(opts)));
    printf("run:      %.3f s wall (%.3f s CPU), %.0f accesses/s, %.0f faults/s, "
           "hit rate %.2f%%\n", r->seconds, r->cpu_seconds,
           vmsim_rate(vmsim_accesses(r), r->seconds),
           vmsim_rate(r->mc.faults, r->seconds), 100.0 * vmsim_hit_rate(r));
    const uint64_t *st = r->stats;
    printf("faults:   zero %" PRIu64 ", transition %" PRIu64 " (rescued from "
           "modified %" PRIu64 ", standby %" PRIu64 "), disk %" PRIu64
           ", upgrade %" PRIu64 ", spurious %" PRIu64 "\n",
           st[STAT_FAULT_ZERO], st[STAT_FAULT_TRANSITION],
           st[STAT_RESCUE_MODIFIED], st[STAT_RESCUE_STANDBY],
           st[STAT_FAULT_DISK], st[STAT_FAULT_UPGRADE],
           st[STAT_FAULT_SPURIOUS]);
    printf("system:   trimmed %" PRIu64 " (%" PRIu64 " clean, straight to "
           "standby), repurposed %" PRIu64 ", read ahead %" PRIu64
           ", frame waits %" PRIu64 "\n", st[STAT_TRIM], st[STAT_TRIM_CLEAN],
           st[STAT_REPURPOSE], st[STAT_READ_AHEAD], st[STAT_WAIT_FRAME]);
    printf("machine:  maps %" PRIu64 ", unmapped pages %" PRIu64 " in %"
           PRIu64 " calls, faults %" PRIu64 "\n", r->mc.maps,
           r->mc.unmap_pages, r->mc.unmap_calls, r->mc.faults);
    printf("pagefile: reads %" PRIu64 " pages in %" PRIu64 " calls, writes %"
           PRIu64 " pages in %" PRIu64 " calls\n", r->io[0][1], r->io[0][0],
           r->io[1][1], r->io[1][0]);
    if (vmsim_ok(r))
        printf("result:   ok (every stamp checked out, audit clean)\n");
    else
        printf("result:   FAILED: %" PRIu64 " stamp errors, %" PRIu64
               " access errors%s%s; %s\n", r->wl.stamp_errors,
               r->wl.access_errors, r->audit[0] ? "; audit: " : "", r->audit,
               r->wl.first_error);
}

/* s as a JSON string (quotes and control characters escaped). */
static void vmsim_json_string(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void vmsim_print_json(const struct vmsim_args *a,
                             const struct vmsim_result *r)
{
    const struct stage_config *c = &a->cfg;
    char opts[256];
    printf("{\"stage\": \"%s\", \"mmu\": \"%s\", \"virtual_pages\": %" PRIu64
           ", \"frames\": %" PRIu64 ", \"pagefile_slots\": %" PRIu64
           ", \"pattern\": \"%s\", \"threads\": %u, \"shares\": \"%s\""
           ", \"accesses\": %" PRIu64
           ", \"seed\": %" PRIu64 ", \"trim_batch\": %u, \"write_batch\": %u"
           ", \"options\": \"%s\",\n", a->ops->name, machine_mmu_name(c->mmu),
           c->virtual_pages, c->physical_frames, c->pagefile_slots,
           workload_pattern_name(a->pattern), c->user_threads,
           a->pooled ? "pooled" : "fixed",
           vmsim_accesses(r), a->seed, c->trim_batch, c->write_batch,
           vmsim_options_text(c->options, opts, sizeof(opts)));
    printf(" \"wall_seconds\": %.6f, \"cpu_seconds\": %.6f, "
           "\"accesses_per_second\": %.1f, \"faults_per_second\": %.1f, "
           "\"hit_rate\": %.6f,\n", r->seconds, r->cpu_seconds,
           vmsim_rate(vmsim_accesses(r), r->seconds),
           vmsim_rate(r->mc.faults, r->seconds), vmsim_hit_rate(r));
    printf(" \"stats\": {");
    for (int i = 0; i < STAT_COUNT; i++)
        printf("%s\"%s\": %" PRIu64, i ? ", " : "", stats_name(i), r->stats[i]);
    printf("},\n \"machine\": {\"maps\": %" PRIu64 ", \"unmap_pages\": %" PRIu64
           ", \"unmap_calls\": %" PRIu64 ", \"faults\": %" PRIu64 "},\n",
           r->mc.maps, r->mc.unmap_pages, r->mc.unmap_calls, r->mc.faults);
    printf(" \"pagefile\": {\"read_calls\": %" PRIu64 ", \"read_pages\": %"
           PRIu64 ", \"write_calls\": %" PRIu64 ", \"write_pages\": %" PRIu64
           "},\n", r->io[0][0], r->io[0][1], r->io[1][0], r->io[1][1]);
    printf(" \"stamp_errors\": %" PRIu64 ", \"access_errors\": %" PRIu64
           ", \"audit\": ", r->wl.stamp_errors, r->wl.access_errors);
    vmsim_json_string(r->audit[0] ? r->audit : "clean");
    printf(", \"first_error\": ");
    vmsim_json_string(r->wl.first_error);
    printf(", \"ok\": %s}\n", vmsim_ok(r) ? "true" : "false");
}

int main(int argc, char **argv)
{
    struct vmsim_args a;
    struct vmsim_result r;
    struct stage *s;
    char err[256] = "";
    vmsim_parse(&a, argc, argv);
    int rc = a.ops->create(&a.cfg, &s, err, sizeof(err));
    if (rc != 0)
        vmsim_usage_error("%s refused the configuration: %s", a.ops->name,
                          err);
    memset(&r, 0, sizeof(r));
    rc = a.ops->start(s);
    if (rc != 0) {
        a.ops->destroy(s);
        fprintf(stderr, "vmsim: %s could not start its threads (%d)\n",
                a.ops->name, rc);
        return VMSIM_EXIT_BAD_RUN;
    }
    vmsim_run_workload(&a, s, &r);
    vmsim_collect(&a, s, &r);
    a.ops->destroy(s);
    if (a.json)
        vmsim_print_json(&a, &r);
    else
        vmsim_print_text(&a, &r);
    return vmsim_ok(&r) ? 0 : VMSIM_EXIT_BAD_RUN;
}
