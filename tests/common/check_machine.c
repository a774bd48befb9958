/*
 * check_machine.c - the simulated machine, both MMU backends: faults reach
 * the handler with the right write bit, user addresses and the kernel
 * window share the frames, unmap really removes access (the shootdown
 * contract, with a parked access for soft and a cross-thread fault for hw),
 * batched unmaps coalesce, errors come back from the accessors, SIGSEGVs
 * that are not ours reach the previous handler, and bad input is refused.
 *
 * Loop tests run once per backend: _i indexes rig_mmus.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catch_abort.h"
#include "check_util.h"
#include "machine.h"

#define RIG_FRAMES 16
#define RIG_PAGES 64
#define PAGE MACHINE_PAGE_SIZE

static const enum machine_mmu rig_mmus[2] = {MACHINE_MMU_HW,
                                             MACHINE_MMU_SOFT};

/* A machine, its page table, and a fault handler that maps frame
 * vpn % RIG_FRAMES (read-only on a read fault unless map_writable). */
struct rig {
    struct machine *m;
    pte_cell_t *ptes;
    pthread_mutex_t lock;      /* guards frozen */
    pthread_cond_t thawed;
    bool frozen;               /* the handler waits while set */
    _Atomic int fail_with;     /* nonzero: the handler returns it */
    _Atomic bool map_writable;
    _Atomic uint64_t calls;    /* handler invocations */
    _Atomic uint64_t last_va;
    _Atomic bool last_write;
};

/* Map frame at vpn in both the PTE (soft) and the machine.  0 or -errno. */
static int rig_map(struct rig *r, uint64_t vpn, uint64_t frame,
                   bool writable)
{
    pte_store(&r->ptes[vpn], pte_make_valid(frame, writable, false, false));
    return machine_map(r->m, vpn, frame, writable);
}

/* Invalidate vpn's PTE, then unmap it (the order stages follow). */
static void rig_unmap(struct rig *r, uint64_t vpn)
{
    pte_store(&r->ptes[vpn], pte_make_zero());
    machine_unmap(r->m, vpn);
}

static int rig_fault(void *ctx, uint64_t va, bool is_write)
{
    struct rig *r = ctx;
    atomic_fetch_add(&r->calls, 1);
    atomic_store(&r->last_va, va);
    atomic_store(&r->last_write, is_write);
    int fail = atomic_load(&r->fail_with);
    if (fail != 0)
        return fail;
    pthread_mutex_lock(&r->lock);
    while (r->frozen)
        pthread_cond_wait(&r->thawed, &r->lock);
    uint64_t vpn = machine_vpn(r->m, va);
    int rc = rig_map(r, vpn, vpn % RIG_FRAMES,
                     is_write || atomic_load(&r->map_writable));
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* Build a machine of RIG_FRAMES frames and RIG_PAGES pages and attach the
 * calling thread. */
static void rig_open(struct rig *r, enum machine_mmu mmu)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->thawed, NULL);
    r->ptes = calloc(RIG_PAGES, sizeof(*r->ptes));
    ck_assert_ptr_nonnull(r->ptes);
    struct machine_config cfg = {
        .nframes = RIG_FRAMES, .virtual_pages = RIG_PAGES, .mmu = mmu};
    char err[256];
    ck_assert_int_eq(machine_create(&cfg, &r->m, err, sizeof(err)), 0);
    machine_set_fault_handler(r->m, rig_fault, r);
    machine_set_page_table(r->m, r->ptes);
    ck_assert_int_eq(machine_thread_attach(r->m), 0);
}

static void rig_close(struct rig *r)
{
    machine_thread_detach(r->m);
    machine_destroy(r->m);
    free(r->ptes);
    pthread_cond_destroy(&r->thawed);
    pthread_mutex_destroy(&r->lock);
}

static void rig_freeze(struct rig *r, bool frozen)
{
    pthread_mutex_lock(&r->lock);
    r->frozen = frozen;
    pthread_cond_broadcast(&r->thawed);
    pthread_mutex_unlock(&r->lock);
}

static uint64_t rig_va(const struct rig *r, uint64_t vpn, uint64_t word)
{
    return machine_va_base(r->m) + vpn * PAGE + word * 8;
}

/* Word 'word' of frame, read through the kernel window. */
static uint64_t rig_frame_word(struct rig *r, uint64_t frame, uint64_t word)
{
    uint64_t *p = machine_frame(r->m, frame);
    return __atomic_load_n(&p[word], __ATOMIC_RELAXED);
}

static struct machine_counters rig_counters(const struct rig *r)
{
    struct machine_counters c;
    machine_counters(r->m, &c);
    return c;
}

START_TEST(test_read_fault_maps_read_only_then_write_faults_as_write)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    uint64_t va = rig_va(&r, 3, 5), v = 1;
    ck_assert_int_eq(machine_read64(r.m, va, &v), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 1);
    ck_assert(!atomic_load(&r.last_write));
    ck_assert_uint_eq(atomic_load(&r.last_va), va);
    ck_assert_int_eq(machine_read64(r.m, va, &v), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 1); /* mapped: no new fault */
    ck_assert_int_eq(machine_write64(r.m, va, 77), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 2);
    ck_assert(atomic_load(&r.last_write));
    ck_assert_int_eq(machine_read64(r.m, va, &v), 0);
    ck_assert_uint_eq(v, 77);
    ck_assert_uint_eq(rig_counters(&r).faults, 2);
    rig_close(&r);
}
END_TEST

START_TEST(test_read_write_mapping_takes_no_fault)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    ck_assert_int_eq(rig_map(&r, 7, 2, true), 0);
    uint64_t v = 0;
    ck_assert_int_eq(machine_write64(r.m, rig_va(&r, 7, 0), 0x1234), 0);
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 7, 0), &v), 0);
    ck_assert_uint_eq(v, 0x1234);
    ck_assert_uint_eq(atomic_load(&r.calls), 0);
    ck_assert_uint_eq(rig_counters(&r).maps, 1);
    rig_close(&r);
}
END_TEST

START_TEST(test_user_writes_show_in_kernel_window_and_back)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    ck_assert_int_eq(rig_map(&r, 10, 4, true), 0);
    ck_assert_int_eq(machine_write64(r.m, rig_va(&r, 10, 9), 0xabcdef), 0);
    ck_assert_uint_eq(rig_frame_word(&r, 4, 9), 0xabcdef);
    uint64_t *kw = machine_frame(r.m, 4);
    __atomic_store_n(&kw[511], 0x55aa, __ATOMIC_RELAXED);
    uint64_t v = 0;
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 10, 511), &v), 0);
    ck_assert_uint_eq(v, 0x55aa);
    rig_close(&r);
}
END_TEST

START_TEST(test_unmap_then_access_faults)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    ck_assert_int_eq(rig_map(&r, 1, 1, true), 0);
    uint64_t v;
    ck_assert_int_eq(machine_write64(r.m, rig_va(&r, 1, 0), 9), 0);
    rig_unmap(&r, 1);
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 1, 0), &v), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 1);
    ck_assert_uint_eq(v, 9); /* the handler mapped frame 1 again */
    struct machine_counters c = rig_counters(&r);
    ck_assert_uint_eq(c.unmap_pages, 1);
    ck_assert_uint_eq(c.unmap_calls, 1);
    rig_close(&r);
}
END_TEST

START_TEST(test_batch_unmap_issues_one_call_per_contiguous_run)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    uint64_t vpns[] = {40, 9, 4, 21, 3, 5, 20, 4};
    size_t n = sizeof(vpns) / sizeof(vpns[0]);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(rig_map(&r, vpns[i], vpns[i] % RIG_FRAMES, true), 0);
    for (size_t i = 0; i < n; i++)
        pte_store(&r.ptes[vpns[i]], pte_make_zero());
    machine_unmap_batch(r.m, vpns, n);
    struct machine_counters c = rig_counters(&r);
    if (rig_mmus[_i] == MACHINE_MMU_HW) {
        ck_assert_uint_eq(c.unmap_calls, 4); /* 3-5, 9, 20-21, 40 */
        ck_assert_uint_eq(c.unmap_pages, 7); /* the duplicate 4 once */
        for (size_t i = 1; i < n; i++)
            ck_assert_uint_le(vpns[i - 1], vpns[i]);
    } else {
        ck_assert_uint_eq(c.unmap_calls, 1); /* one wait for the batch */
        ck_assert_uint_eq(c.unmap_pages, n);
    }
    uint64_t v;
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(machine_read64(r.m, rig_va(&r, vpns[i], 0), &v), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 7); /* each page faulted */
    rig_close(&r);
}
END_TEST

START_TEST(test_handler_error_comes_back_from_accessor)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    uint64_t v = 0;
    atomic_store(&r.fail_with, -EIO);
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 2, 0), &v), -EIO);
    atomic_store(&r.fail_with, -ENOSPC);
    ck_assert_int_eq(machine_write64(r.m, rig_va(&r, 2, 0), 1), -ENOSPC);
    atomic_store(&r.fail_with, 0);
    ck_assert_int_eq(machine_write64(r.m, rig_va(&r, 2, 0), 5), 0);
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 2, 0), &v), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_uint_eq(atomic_load(&r.calls), 3);
    rig_close(&r);
}
END_TEST

START_TEST(test_two_machines_alive_at_once)
{
    struct rig a, b;
    rig_open(&a, rig_mmus[_i]);
    rig_open(&b, rig_mmus[1 - _i]);
    ck_assert_int_eq(machine_write64(a.m, rig_va(&a, 5, 0), 111), 0);
    ck_assert_int_eq(machine_write64(b.m, rig_va(&b, 5, 0), 222), 0);
    uint64_t v;
    ck_assert_int_eq(machine_read64(a.m, rig_va(&a, 5, 0), &v), 0);
    ck_assert_uint_eq(v, 111);
    ck_assert_int_eq(machine_read64(b.m, rig_va(&b, 5, 0), &v), 0);
    ck_assert_uint_eq(v, 222);
    ck_assert_uint_eq(atomic_load(&a.calls), 1);
    ck_assert_uint_eq(atomic_load(&b.calls), 1);
    rig_close(&a);
    /* b still works after a is gone (hw: the handler stays installed). */
    ck_assert_int_eq(machine_read64(b.m, rig_va(&b, 6, 0), &v), 0);
    ck_assert_uint_eq(atomic_load(&b.calls), 2);
    rig_close(&b);
}
END_TEST

START_TEST(test_soft_access_sets_accessed_bit)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    ck_assert_int_eq(rig_map(&r, 8, 3, false), 0);
    ck_assert(!pte_accessed(pte_load(&r.ptes[8])));
    uint64_t v;
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 8, 0), &v), 0);
    pte_t p = pte_load(&r.ptes[8]);
    ck_assert(pte_accessed(p));
    ck_assert_uint_eq(pte_frame(p), 3);
    ck_assert(!pte_writable(p));
    rig_close(&r);
}
END_TEST

START_TEST(test_fresh_frames_are_poisoned_in_debug_builds)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
#ifdef PAGELAB_DEBUG
    const uint8_t expect = 0xA5;
#else
    const uint8_t expect = 0;
#endif
    for (uint64_t f = 0; f < RIG_FRAMES; f++) {
        const uint8_t *p = machine_frame(r.m, f);
        ck_assert_uint_eq(p[0], expect);
        ck_assert_uint_eq(p[PAGE - 1], expect);
    }
    rig_close(&r);
}
END_TEST

START_TEST(test_mmu_names_parse_both_ways)
{
    enum machine_mmu mmu;
    ck_assert_int_eq(machine_mmu_parse("hw", &mmu), 0);
    ck_assert_int_eq(mmu, MACHINE_MMU_HW);
    ck_assert_int_eq(machine_mmu_parse("soft", &mmu), 0);
    ck_assert_int_eq(mmu, MACHINE_MMU_SOFT);
    ck_assert_str_eq(machine_mmu_name(MACHINE_MMU_HW), "hw");
    ck_assert_str_eq(machine_mmu_name(MACHINE_MMU_SOFT), "soft");
    ck_assert_int_eq(machine_mmu_parse("HW", &mmu), -EINVAL);
    ck_assert_int_eq(machine_mmu_parse("", &mmu), -EINVAL);
    ck_assert_int_eq(machine_mmu_parse(NULL, &mmu), -EINVAL);
}
END_TEST

/* Lines of /proc/self/maps: one per kernel mapping. */
static unsigned count_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(f);
    unsigned lines = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    fclose(f);
    return lines;
}

START_TEST(test_hw_unmap_leaves_no_extra_kernel_mappings)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_HW);
    unsigned before = count_mappings();
    uint64_t vpns[RIG_FRAMES];
    for (uint64_t i = 0; i < RIG_FRAMES; i++) {
        vpns[i] = i * 3 + 1; /* scattered: every mapping splits the range */
        ck_assert_int_eq(rig_map(&r, vpns[i], i, i % 2 == 0), 0);
    }
    ck_assert_uint_ge(count_mappings(), before + RIG_FRAMES);
    machine_unmap_batch(r.m, vpns, RIG_FRAMES);
    ck_assert_uint_eq(count_mappings(), before); /* overlays merged back */
    rig_close(&r);
}
END_TEST

/* --- the shootdown contract ----------------------------------------------
 * soft: a reader parked inside the access window (by the test hook) must
 * hold machine_unmap until it is released. */
struct park {
    struct rig *r;
    uint64_t va;
    _Atomic int parked;      /* the reader is inside the window */
    _Atomic int release;     /* let the reader finish */
    _Atomic int unmapped;    /* machine_unmap returned */
    int read_rc;
    uint64_t read_value;
};

static void park_hook(void *ctx, uint64_t va)
{
    struct park *p = ctx;
    if (va != p->va)
        return;
    atomic_store(&p->parked, 1);
    while (!atomic_load(&p->release))
        sched_yield();
}

static void *park_reader(void *arg)
{
    struct park *p = arg;
    if (machine_thread_attach(p->r->m) != 0)
        return NULL;
    p->read_rc = machine_read64(p->r->m, p->va, &p->read_value);
    machine_thread_detach(p->r->m);
    return NULL;
}

static void *park_unmapper(void *arg)
{
    struct park *p = arg;
    rig_unmap(p->r, machine_vpn(p->r->m, p->va));
    atomic_store(&p->unmapped, 1);
    return NULL;
}

START_TEST(test_soft_unmap_waits_for_parked_access)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct park p = {.r = &r, .va = rig_va(&r, 12, 0)};
    ck_assert_int_eq(rig_map(&r, 12, 6, true), 0);
    ck_assert_int_eq(machine_write64(r.m, p.va, 4242), 0);
    machine_set_access_hook(r.m, park_hook, &p);
    pthread_t reader, unmapper;
    ck_assert_int_eq(pthread_create(&reader, NULL, park_reader, &p), 0);
    while (!atomic_load(&p.parked))
        sched_yield();
    ck_assert_int_eq(pthread_create(&unmapper, NULL, park_unmapper, &p), 0);
    /* However long we let it run, unmap must not return while parked. */
    int early = 0;
    for (int i = 0; i < 2000 && !early; i++) {
        early = atomic_load(&p.unmapped);
        sched_yield();
    }
    usleep(20000);
    early |= atomic_load(&p.unmapped);
    ck_assert_msg(!early, "machine_unmap returned while an access was "
                          "still inside the old translation");
    atomic_store(&p.release, 1);
    pthread_join(unmapper, NULL);
    pthread_join(reader, NULL);
    ck_assert_int_eq(atomic_load(&p.unmapped), 1);
    ck_assert_int_eq(p.read_rc, 0);
    ck_assert_uint_eq(p.read_value, 4242);
    machine_set_access_hook(r.m, NULL, NULL);
    ck_assert_uint_eq(atomic_load(&r.calls), 0);
    uint64_t v; /* the page is gone: the next access faults */
    ck_assert_int_eq(machine_read64(r.m, p.va, &v), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 1);
    rig_close(&r);
}
END_TEST

START_TEST(test_soft_unmap_does_not_wait_for_idle_threads)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    uint64_t v;
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 3, 0), &v), 0);
    /* The main thread is attached but between accesses: no wait. */
    rig_unmap(&r, 3);
    ck_assert_uint_eq(rig_counters(&r).unmap_calls, 1);
    rig_close(&r);
}
END_TEST

/* hw: after unmap returns in one thread, another thread's access faults. */
struct cross {
    struct rig *r;
    uint64_t va;
    _Atomic int step;        /* 1: read now; 2: read after unmap; 3: done */
    _Atomic int done;        /* the reader finished step */
    int rc[2];
    uint64_t value[2];
};

static void *cross_reader(void *arg)
{
    struct cross *c = arg;
    if (machine_thread_attach(c->r->m) != 0)
        return NULL;
    for (int s = 1; s <= 2; s++) {
        while (atomic_load(&c->step) != s)
            sched_yield();
        c->rc[s - 1] = machine_read64(c->r->m, c->va, &c->value[s - 1]);
        atomic_store(&c->done, s);
    }
    machine_thread_detach(c->r->m);
    return NULL;
}

START_TEST(test_hw_access_after_unmap_faults_in_other_thread)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_HW);
    struct cross c = {.r = &r, .va = rig_va(&r, 30, 2)};
    ck_assert_int_eq(rig_map(&r, 30, 30 % RIG_FRAMES, true), 0);
    ck_assert_int_eq(machine_write64(r.m, c.va, 31), 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cross_reader, &c), 0);
    atomic_store(&c.step, 1);
    while (atomic_load(&c.done) != 1)
        sched_yield();
    ck_assert_uint_eq(atomic_load(&r.calls), 0); /* mapped: the TLB is warm */
    rig_unmap(&r, 30);
    atomic_store(&c.step, 2);
    pthread_join(t, NULL);
    ck_assert_int_eq(c.rc[0], 0);
    ck_assert_int_eq(c.rc[1], 0);
    ck_assert_uint_eq(c.value[0], 31);
    ck_assert_uint_eq(c.value[1], 31);
    ck_assert_uint_eq(atomic_load(&r.calls), 1);
    ck_assert_uint_eq(atomic_load(&r.last_va), c.va);
    ck_assert(!atomic_load(&r.last_write));
    rig_close(&r);
}
END_TEST

/* Both backends: a writer hammers a page while the main thread unmaps it
 * (with the handler frozen so nobody maps it back); once unmap returns, the
 * frame must not change. */
struct hammer {
    struct rig *r;
    uint64_t va;
    _Atomic int stop;
    _Atomic int started;
    int rc;
};

static void *hammer_writer(void *arg)
{
    struct hammer *h = arg;
    if (machine_thread_attach(h->r->m) != 0)
        return NULL;
    atomic_store(&h->started, 1);
    for (uint64_t n = 1; !atomic_load(&h->stop) && h->rc == 0; n++)
        h->rc = machine_write64(h->r->m, h->va, n);
    machine_thread_detach(h->r->m);
    return NULL;
}

START_TEST(test_no_write_lands_after_unmap_returns)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    const uint64_t vpn = 17, frame = vpn % RIG_FRAMES;
    struct hammer h = {.r = &r, .va = rig_va(&r, vpn, 0)};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, hammer_writer, &h), 0);
    while (!atomic_load(&h.started))
        sched_yield();
    for (int round = 0; round < 200; round++) {
        rig_freeze(&r, true);
        rig_unmap(&r, vpn);
        /* Plain reads, as a page-file write would do: under TSan a
         * shootdown that orders nothing shows up as a race here. */
        uint64_t before, after;
        memcpy(&before, machine_frame(r.m, frame), sizeof(before));
        for (int k = 0; k < 20; k++)
            sched_yield();
        memcpy(&after, machine_frame(r.m, frame), sizeof(after));
        ck_assert_uint_eq(after, before);
        rig_freeze(&r, false);
        for (int k = 0; k < 5; k++)
            sched_yield();
    }
    atomic_store(&h.stop, 1);
    pthread_join(t, NULL);
    ck_assert_int_eq(h.rc, 0);
    ck_assert_uint_ge(atomic_load(&r.calls), 1);
    rig_close(&r);
}
END_TEST

/* --- limits --------------------------------------------------------------- */

START_TEST(test_address_outside_range_is_efault)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    uint64_t v, base = machine_va_base(r.m);
    ck_assert_int_eq(machine_read64(r.m, base - 8, &v), -EFAULT);
    ck_assert_int_eq(machine_read64(r.m, base + RIG_PAGES * PAGE, &v),
                     -EFAULT);
    ck_assert_int_eq(machine_write64(r.m, base + 4, 1), -EFAULT);
    ck_assert_int_eq(machine_read64(r.m, 0, &v), -EFAULT);
    ck_assert(!machine_va_valid(r.m, base + RIG_PAGES * PAGE));
    ck_assert(machine_va_valid(r.m, base + RIG_PAGES * PAGE - 1));
    ck_assert_uint_eq(atomic_load(&r.calls), 0);
    rig_close(&r);
}
END_TEST

START_TEST(test_fault_without_handler_is_efault)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    machine_set_fault_handler(r.m, NULL, NULL);
    uint64_t v;
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 0, 0), &v), -EFAULT);
    ck_assert_uint_eq(rig_counters(&r).faults, 1);
    rig_close(&r);
}
END_TEST

START_TEST(test_map_out_of_range_is_einval)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    ck_assert_int_eq(machine_map(r.m, RIG_PAGES, 0, true), -EINVAL);
    ck_assert_int_eq(machine_map(r.m, 0, RIG_FRAMES, true), -EINVAL);
    ck_assert_uint_eq(rig_counters(&r).maps, 0);
    rig_close(&r);
}
END_TEST

static uint64_t max_map_count(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    unsigned long long v = 0;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%llu", &v), 1);
    fclose(f);
    return v;
}

START_TEST(test_too_many_frames_refused_naming_max_map_count)
{
    struct machine_config cfg = {
        .nframes = 1ull << 32, .virtual_pages = 64, .mmu = MACHINE_MMU_HW};
    struct machine *m = NULL;
    char err[256] = "";
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -E2BIG);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(err, "vm.max_map_count"));
    cfg.nframes = 40000; /* just past 65530 / 2, the default limit */
    if (cfg.nframes * 2 > max_map_count())
        ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -E2BIG);
    cfg.mmu = MACHINE_MMU_SOFT; /* no mappings: soft does not refuse */
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), 0);
    machine_destroy(m);
}
END_TEST

START_TEST(test_bad_config_refused_with_einval)
{
    struct machine_config cfg = {
        .nframes = 0, .virtual_pages = 8, .mmu = MACHINE_MMU_SOFT};
    struct machine *m = NULL;
    char err[256] = "";
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "machine_create"));
    cfg.nframes = 8;
    cfg.virtual_pages = 0;
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -EINVAL);
    cfg.virtual_pages = 8;
    cfg.mmu = (enum machine_mmu)7;
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(machine_create(NULL, &m, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(m);
}
END_TEST

/* Open file descriptors of the process. */
static unsigned count_fds(void)
{
    unsigned n = 0;
    char path[64];
    for (int fd = 0; fd < 1024; fd++) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n += access(path, F_OK) == 0;
    }
    return n;
}

START_TEST(test_unmappable_sizes_fail_cleanly)
{
    unsigned fds = count_fds();
    struct machine_config cfg = {.nframes = 8, .virtual_pages = 1ull << 40,
                                 .mmu = MACHINE_MMU_SOFT};
    struct machine *m = NULL;
    char err[256] = "";
    ck_assert_int_lt(machine_create(&cfg, &m, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "user range"));
    cfg.virtual_pages = 8;
    cfg.nframes = 1ull << 38; /* 1 PiB of frames: more than any RAM */
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -ENOMEM);
    ck_assert_ptr_nonnull(strstr(err, "physical memory"));
    ck_assert_ptr_null(m);
    ck_assert_uint_eq(count_fds(), fds); /* the memfds were closed */
}
END_TEST

/* A SIGSEGV outside every machine must reach the handler that was there
 * before the first hw machine. */
static sigjmp_buf prev_env;
static volatile sig_atomic_t prev_hits;

static void prev_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    prev_hits++;
    siglongjmp(prev_env, 1);
}

START_TEST(test_foreign_fault_reaches_previous_handler)
{
    struct sigaction sa, saved, now;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = prev_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    ck_assert_int_eq(sigaction(SIGSEGV, &sa, &saved), 0);
    char *guard = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
    ck_assert(guard != MAP_FAILED);
    struct rig r;
    rig_open(&r, MACHINE_MMU_HW);
    prev_hits = 0;
    if (sigsetjmp(prev_env, 1) == 0) /* 1: TSan blocks SIGSEGV */
        *(volatile char *)guard = 1;
    ck_assert_int_eq(prev_hits, 1);
    ck_assert_uint_eq(atomic_load(&r.calls), 0);
    uint64_t v; /* and the machine's own faults still work */
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 0, 0), &v), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 1);
    rig_close(&r);
    ck_assert_int_eq(sigaction(SIGSEGV, NULL, &now), 0);
    ck_assert_ptr_eq((void *)now.sa_sigaction, (void *)prev_handler);
    ck_assert_int_eq(sigaction(SIGSEGV, &saved, NULL), 0);
    munmap(guard, PAGE);
}
END_TEST

/* MACHINE_MAX_THREADS threads hold every slot; one more gets -EAGAIN. */
struct crowd {
    struct machine *m;
    pthread_barrier_t in, out;
    _Atomic int failures;
};

static void *crowd_member(void *arg)
{
    struct crowd *c = arg;
    int rc = machine_thread_attach(c->m);
    if (rc != 0)
        atomic_fetch_add(&c->failures, 1);
    pthread_barrier_wait(&c->in);
    pthread_barrier_wait(&c->out);
    if (rc == 0)
        machine_thread_detach(c->m);
    return NULL;
}

START_TEST(test_attach_past_max_threads_is_eagain)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    machine_thread_detach(r.m);
    struct crowd c = {.m = r.m};
    pthread_t t[MACHINE_MAX_THREADS];
    pthread_barrier_init(&c.in, NULL, MACHINE_MAX_THREADS + 1);
    pthread_barrier_init(&c.out, NULL, MACHINE_MAX_THREADS + 1);
    for (int i = 0; i < MACHINE_MAX_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, crowd_member, &c), 0);
    pthread_barrier_wait(&c.in);
    int full = machine_thread_attach(r.m);
    pthread_barrier_wait(&c.out);
    for (int i = 0; i < MACHINE_MAX_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&c.in);
    pthread_barrier_destroy(&c.out);
    ck_assert_int_eq(atomic_load(&c.failures), 0);
    ck_assert_int_eq(full, -EAGAIN);
    ck_assert_int_eq(machine_thread_attach(r.m), 0); /* slots came back */
    ck_assert_int_eq(machine_thread_attach(r.m), 0); /* nesting */
    machine_thread_detach(r.m);
    rig_close(&r);
}
END_TEST

/* Misuse aborts with "function: reason"; catch_abort brings the test back
 * so it can check the machine is still sound and clean up. */
static void call_detach(void *arg)
{
    machine_thread_detach(((struct rig *)arg)->m);
}

static void call_read(void *arg)
{
    struct rig *r = arg;
    uint64_t v;
    machine_read64(r->m, rig_va(r, 0, 0), &v);
}

static void call_frame_past_end(void *arg)
{
    machine_frame(((struct rig *)arg)->m, RIG_FRAMES);
}

START_TEST(test_detach_when_not_attached_aborts)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    machine_thread_detach(r.m);
    ck_assert(catch_abort(call_detach, &r));
    ck_assert_int_eq(machine_thread_attach(r.m), 0);
    rig_close(&r);
}
END_TEST

START_TEST(test_access_from_unattached_thread_aborts)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    machine_thread_detach(r.m);
    ck_assert(catch_abort(call_read, &r));
    ck_assert_uint_eq(atomic_load(&r.calls), 0); /* refused before access */
    ck_assert_int_eq(machine_thread_attach(r.m), 0);
    rig_close(&r);
}
END_TEST

START_TEST(test_frame_out_of_range_aborts)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    ck_assert(catch_abort(call_frame_past_end, &r));
    ck_assert_ptr_nonnull(machine_frame(r.m, RIG_FRAMES - 1));
    rig_close(&r);
}
END_TEST

/* --- more limits: refusals, resource exhaustion, misuse ------------------ */

START_TEST(test_unknown_mmu_value_is_named_unknown)
{
    ck_assert_str_eq(machine_mmu_name((enum machine_mmu)7), "unknown");
    machine_destroy(NULL); /* a no-op, like free(NULL) */
}
END_TEST

START_TEST(test_unaddressable_sizes_refused_with_a_sentence)
{
    struct machine_config cfg = {.nframes = PTE_NUMBER_MAX + 1,
                                 .virtual_pages = 8, .mmu = MACHINE_MMU_SOFT};
    struct machine *m = NULL;
    char err[256] = "";
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "machine_create: nframes is too large to address");
    cfg.nframes = 8;
    cfg.virtual_pages = 1ull << 60; /* 2^72 bytes: past any size_t */
    ck_assert_int_eq(machine_create(&cfg, &m, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err,
                     "machine_create: virtual_pages is too large to address");
    ck_assert_ptr_null(m);
}
END_TEST

/* A resource limit that makes one step of machine_create fail. */
struct squeeze {
    int resource;              /* RLIMIT_... */
    int expect;                /* the negative errno machine_create returns */
    const char *step;          /* the step err must name */
    uint64_t nframes;
};

static const struct squeeze squeezes[] = {
    {RLIMIT_NOFILE, -EMFILE, "memfd_create failed", 4},
    {RLIMIT_FSIZE, -EFBIG, "ftruncate of the frame memfd failed", 4},
    {RLIMIT_AS, -ENOMEM, "mmap of the kernel window failed", 16384},
};

/* Virtual size of the process in bytes (VmSize). */
static uint64_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
            break;
    fclose(f);
    ck_assert_uint_gt(kb, 0);
    return (uint64_t)kb << 10;
}

/* The soft limit that starves sq's step: no free descriptor, a file size
 * of one page, or 16 MiB of address space to spare. */
static rlim_t squeeze_limit(const struct squeeze *sq)
{
    if (sq->resource == RLIMIT_NOFILE) {
        int lowest = open("/dev/null", O_RDONLY); /* lowest free fd */
        ck_assert_int_ge(lowest, 0);
        close(lowest);
        return (rlim_t)lowest;
    }
    if (sq->resource == RLIMIT_FSIZE)
        return PAGE;
    return vm_size() + (16u << 20);
}

/* machine_create under sq's limit (restored before returning). */
static int create_squeezed(const struct squeeze *sq, enum machine_mmu mmu,
                           struct machine **m, char *err, size_t errlen)
{
    struct machine_config cfg = {.nframes = sq->nframes, .virtual_pages = 8,
                                 .mmu = mmu};
    struct rlimit saved, low;
    ck_assert_int_eq(getrlimit(sq->resource, &saved), 0);
    low = (struct rlimit){squeeze_limit(sq), saved.rlim_max};
    void (*xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(sq->resource, &low), 0);
    int rc = machine_create(&cfg, m, err, errlen);
    int restored = setrlimit(sq->resource, &saved);
    signal(SIGXFSZ, xfsz);
    ck_assert_int_eq(restored, 0);
    return rc;
}

START_TEST(test_starved_create_undoes_every_step)
{
    const struct squeeze *sq = &squeezes[_i / 2];
    enum machine_mmu mmu = rig_mmus[_i % 2];
    struct sigaction before, after;
    ck_assert_int_eq(sigaction(SIGSEGV, NULL, &before), 0);
    unsigned fds = count_fds();
    uint64_t size = vm_size();
    struct machine *m = NULL;
    char err[256] = "";
    int rc = create_squeezed(sq, mmu, &m, err, sizeof(err));
    ck_assert_msg(rc == sq->expect, "rc %d: %s", rc, err);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, sq->step) != NULL, "%s", err);
    ck_assert_msg(strstr(err, strerror(-sq->expect)) != NULL, "%s", err);
    ck_assert_uint_eq(count_fds(), fds);      /* the memfd was closed */
    ck_assert_uint_le(vm_size(), size + (8u << 20)); /* nothing left mapped */
    ck_assert_int_eq(sigaction(SIGSEGV, NULL, &after), 0);
    ck_assert_ptr_eq((void *)after.sa_sigaction, (void *)before.sa_sigaction);
    struct rig r; /* and the same machine builds once the limit is gone */
    rig_open(&r, mmu);
    rig_close(&r);
}
END_TEST

#define MANY 256 /* more machines than any limit of one kind */

START_TEST(test_hw_machines_past_the_registry_are_eagain)
{
    struct sigaction before, after;
    ck_assert_int_eq(sigaction(SIGSEGV, NULL, &before), 0);
    static struct machine *ms[MANY];
    struct machine_config cfg = {.nframes = 1, .virtual_pages = 1,
                                 .mmu = MACHINE_MMU_HW};
    char err[256] = "";
    int n = 0, rc = 0;
    while (n < MANY && (rc = machine_create(&cfg, &ms[n], err,
                                            sizeof(err))) == 0)
        n++;
    ck_assert_msg(n > 0, "%s", err); /* nothing to undo when none was made */
    int registry = -1;
    sscanf(err, "machine_create: more than %d hw machines alive at once",
           &registry);
    struct machine *again = NULL;
    machine_destroy(ms[--n]); /* one slot free: one more fits */
    int rc_again = machine_create(&cfg, &again, err, sizeof(err));
    machine_destroy(again);
    while (n > 0)
        machine_destroy(ms[--n]);
    ck_assert_int_eq(rc, -EAGAIN);
    ck_assert_int_gt(registry, 1);
    ck_assert_int_eq(rc_again, 0);
    ck_assert_int_eq(sigaction(SIGSEGV, NULL, &after), 0);
    ck_assert_ptr_eq((void *)after.sa_sigaction, (void *)before.sa_sigaction);
}
END_TEST

START_TEST(test_thread_attached_to_too_many_machines_gets_eagain)
{
    static struct machine *ms[MANY];
    struct machine_config cfg = {.nframes = 1, .virtual_pages = 1,
                                 .mmu = MACHINE_MMU_SOFT};
    char err[256];
    int n = 0, rc = 0;
    for (; n < MANY; n++) {
        ck_assert_int_eq(machine_create(&cfg, &ms[n], err, sizeof(err)), 0);
        if ((rc = machine_thread_attach(ms[n])) != 0)
            break;
    }
    ck_assert_int_lt(n, MANY);
    ck_assert_int_eq(rc, -EAGAIN);
    machine_thread_detach(ms[0]); /* one record free: the last one fits */
    int rc_last = machine_thread_attach(ms[n]);
    for (int i = 1; i <= n; i++)
        if (i < n || rc_last == 0)
            machine_thread_detach(ms[i]);
    for (int i = 0; i <= n; i++)
        machine_destroy(ms[i]);
    ck_assert_int_eq(rc_last, 0);
}
END_TEST

/* A thread that leaves a machine without detaching keeps a stale record;
 * it must not count as an attachment to a new machine, even one at the
 * same address.  Run in its own thread so the stale record dies with it. */
struct stale {
    bool same_address;
    int attach_rc;
    bool extra_detach_aborted;
};

static void detach_machine(void *m)
{
    machine_thread_detach(m);
}

static void *stale_main(void *arg)
{
    struct stale *st = arg;
    struct machine_config cfg = {.nframes = 2, .virtual_pages = 4,
                                 .mmu = MACHINE_MMU_SOFT};
    struct machine *a, *b;
    char err[256];
    if (machine_create(&cfg, &a, err, sizeof(err)) != 0 ||
        machine_thread_attach(a) != 0)
        return NULL;
    machine_destroy(a); /* still attached: the record goes stale */
    if (machine_create(&cfg, &b, err, sizeof(err)) != 0)
        return NULL;
    st->same_address = a == b;
    st->attach_rc = machine_thread_attach(b);
    machine_thread_detach(b);
    st->extra_detach_aborted = catch_abort(detach_machine, b);
    machine_destroy(b);
    return NULL;
}

START_TEST(test_stale_attachment_does_not_match_a_new_machine)
{
    struct stale st = {.attach_rc = 1};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, stale_main, &st), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(st.attach_rc, 0);
    ck_assert_msg(st.extra_detach_aborted, "one detach undid an attach %s",
                  st.same_address ? "and a stale record at the same address"
                                  : "twice");
}
END_TEST

static void call_vpn_past_end(void *arg)
{
    struct rig *r = arg;
    machine_vpn(r->m, rig_va(r, RIG_PAGES, 0));
}

static void call_unmap_past_end(void *arg)
{
    struct rig *r = arg;
    uint64_t vpns[] = {5, RIG_PAGES};
    machine_unmap_batch(r->m, vpns, 2);
}

START_TEST(test_vpn_of_address_outside_range_aborts)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    ck_assert(catch_abort(call_vpn_past_end, &r));
    ck_assert_uint_eq(machine_vpn(r.m, rig_va(&r, RIG_PAGES - 1, 511)),
                      RIG_PAGES - 1);
    rig_close(&r);
}
END_TEST

START_TEST(test_batch_with_a_vpn_out_of_range_aborts_before_unmapping)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    ck_assert_int_eq(rig_map(&r, 5, 5, true), 0);
    ck_assert(catch_abort(call_unmap_past_end, &r));
    struct machine_counters c = rig_counters(&r);
    ck_assert_uint_eq(c.unmap_pages, 0);
    ck_assert_uint_eq(c.unmap_calls, 0);
    uint64_t v; /* page 5 is still mapped: no fault */
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 5, 0), &v), 0);
    ck_assert_uint_eq(atomic_load(&r.calls), 0);
    rig_close(&r);
}
END_TEST

START_TEST(test_soft_access_without_page_table_aborts)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    machine_set_page_table(r.m, NULL);
    ck_assert(catch_abort(call_read, &r));
    ck_assert_uint_eq(rig_counters(&r).faults, 0);
    machine_set_page_table(r.m, r.ptes);
    uint64_t v;
    ck_assert_int_eq(machine_read64(r.m, rig_va(&r, 0, 0), &v), 0);
    rig_close(&r);
}
END_TEST

/* A plain load, as user code outside the accessors would do it. */
static void call_raw_load(void *arg)
{
    struct rig *r = arg;
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)rig_va(r, 9, 0);
    uint64_t v = *p;
    (void)v;
}

START_TEST(test_hw_failed_fault_outside_accessors_aborts)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_HW);
    atomic_store(&r.fail_with, -EIO);
    ck_assert(catch_abort(call_raw_load, &r));
    ck_assert_uint_eq(atomic_load(&r.calls), 1);
    ck_assert_uint_eq(atomic_load(&r.last_va), rig_va(&r, 9, 0));
    atomic_store(&r.fail_with, 0); /* the machine still resolves faults */
    call_raw_load(&r);
    ck_assert_uint_eq(atomic_load(&r.calls), 2);
    rig_close(&r);
}
END_TEST

/* A previous handler that fixes the fault and returns: the faulting
 * instruction must retry and succeed.  _i: 0 an SA_SIGINFO handler, 1 a
 * plain one. */
static char *volatile fix_guard;
static volatile sig_atomic_t fix_hits;

static void fix_plain(int sig)
{
    (void)sig;
    fix_hits++;
    mprotect(fix_guard, PAGE, PROT_READ | PROT_WRITE);
}

static void fix_siginfo(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char *addr = si->si_addr;
    if (addr >= fix_guard && addr < fix_guard + PAGE)
        fix_plain(sig);
}

START_TEST(test_foreign_fault_retries_after_previous_handler_returns)
{
    struct sigaction sa, saved;
    memset(&sa, 0, sizeof(sa));
    if (_i == 0) {
        sa.sa_sigaction = fix_siginfo;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = fix_plain;
    }
    ck_assert_int_eq(sigaction(SIGSEGV, &sa, &saved), 0);
    fix_guard = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    ck_assert(fix_guard != MAP_FAILED);
    fix_hits = 0;
    struct rig r;
    rig_open(&r, MACHINE_MMU_HW);
    fix_guard[100] = 42; /* faults once, fixed by the previous handler */
    ck_assert_int_eq(fix_guard[100], 42);
    ck_assert_int_eq(fix_hits, 1);
    ck_assert_uint_eq(atomic_load(&r.calls), 0);
    rig_close(&r);
    ck_assert_int_eq(sigaction(SIGSEGV, &saved, NULL), 0);
    munmap(fix_guard, PAGE);
}
END_TEST

/* Run fn in a forked child (alarm as a deadlock guard); returns its wait
 * status.  The child exits with fn's result and never returns to check;
 * exit, not _exit, so a coverage build records what the child ran. */
static int in_child(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(20);
        exit(fn(arg));
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

/* Child: with SIG_DFL or SIG_IGN installed before the machine, a stray
 * access outside it must kill the process with SIGSEGV, as without us. */
static int stray_access_child(void *arg)
{
    struct rlimit no_core = {0, 0}; /* the expected death leaves no core */
    setrlimit(RLIMIT_CORE, &no_core);
    signal(SIGSEGV, *(void (**)(int))arg);
    struct machine_config cfg = {.nframes = 1, .virtual_pages = 1,
                                 .mmu = MACHINE_MMU_HW};
    struct machine *m;
    char err[256];
    if (machine_create(&cfg, &m, err, sizeof(err)) != 0)
        return 2;
    char *guard = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
    if (guard == MAP_FAILED)
        return 3;
    *(volatile char *)guard = 1;
    return 4; /* the write went through: wrong */
}

START_TEST(test_foreign_fault_with_default_action_kills)
{
    void (*prev)(int) = _i == 0 ? SIG_DFL : SIG_IGN;
    int status = in_child(stray_access_child, &prev);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
                  "child status 0x%x, not killed by SIGSEGV", status);
}
END_TEST

/* Child: use up vm.max_map_count with a run of split mappings, then map a
 * frame into the middle of the range (arg: vm.max_map_count).  Returns 0
 * when the map fails with -ENOMEM, leaves the page unusable (the fault
 * gets -EFAULT from a machine with no handler) and no hole in the range,
 * and works again once mappings are free; else the failing step. */
static int map_count_child(void *arg)
{
    const uint64_t *limit = arg;
    struct machine_config cfg = {.nframes = 2, .virtual_pages = 16,
                                 .mmu = MACHINE_MMU_HW};
    struct machine *m;
    char err[256];
    if (machine_create(&cfg, &m, err, sizeof(err)) != 0 ||
        machine_thread_attach(m) != 0)
        return 2;
    size_t pages = 2 * (size_t)*limit + 2;
    char *junk = (char *)syscall(SYS_mmap, NULL, pages * PAGE, PROT_NONE,
                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                                 -1, 0);
    if (junk == MAP_FAILED)
        return 3;
    size_t i = 0;
    while (i < pages &&
           syscall(SYS_mprotect, junk + i * PAGE, PAGE, PROT_READ) == 0)
        i += 2;
    if (i >= pages || errno != ENOMEM)
        return 4; /* the limit was never reached */
    int rc = machine_map(m, 7, 1, true);
    uint64_t va = machine_va_base(m) + 7 * PAGE, v = 0;
    int read_rc = machine_read64(m, va, &v);
    syscall(SYS_munmap, junk, pages * PAGE);
    if (rc != -ENOMEM)
        return 5;
    if (read_rc != -EFAULT)
        return 6;
    void *hole = mmap((void *)(uintptr_t)va, PAGE, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                      -1, 0);
    if (hole != MAP_FAILED)
        return 8; /* the range had a hole a stranger could take */
    if (machine_map(m, 7, 1, true) != 0 || machine_write64(m, va, 99) != 0 ||
        ((uint64_t *)machine_frame(m, 1))[0] != 99)
        return 7;
    machine_thread_detach(m);
    machine_destroy(m);
    return 0;
}

/* AddressSanitizer's runtime maps memory on demand (allocator regions,
 * shadow) and dies once vm.max_map_count is used up, so ASan builds leave
 * the map-count test out (ThreadSanitizer copes: the test uses raw system
 * calls it does not shadow). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

START_TEST(test_hw_map_failure_returns_errno_and_leaves_no_hole)
{
    uint64_t limit = max_map_count();
    int status = in_child(map_count_child, &limit);
    ck_assert_msg(WIFEXITED(status), "child died (status 0x%x)", status);
    ck_assert_msg(WEXITSTATUS(status) == 0, "child failed at step %d",
                  WEXITSTATUS(status));
}
END_TEST

static Suite *make_machine_suite(void)
{
    Suite *s = suite_create("machine");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_loop_test(core,
        test_read_fault_maps_read_only_then_write_faults_as_write, 0, 2);
    tcase_add_loop_test(core, test_read_write_mapping_takes_no_fault, 0, 2);
    tcase_add_loop_test(core, test_user_writes_show_in_kernel_window_and_back,
                        0, 2);
    tcase_add_loop_test(core, test_unmap_then_access_faults, 0, 2);
    tcase_add_loop_test(core,
        test_batch_unmap_issues_one_call_per_contiguous_run, 0, 2);
    tcase_add_loop_test(core, test_handler_error_comes_back_from_accessor,
                        0, 2);
    tcase_add_loop_test(core, test_two_machines_alive_at_once, 0, 2);
    tcase_add_test(core, test_soft_access_sets_accessed_bit);
    tcase_add_loop_test(core, test_fresh_frames_are_poisoned_in_debug_builds,
                        0, 2);
    tcase_add_test(core, test_mmu_names_parse_both_ways);
    tcase_add_test(core, test_hw_unmap_leaves_no_extra_kernel_mappings);
    tcase_add_test(core, test_soft_unmap_waits_for_parked_access);
    tcase_add_test(core, test_soft_unmap_does_not_wait_for_idle_threads);
    tcase_add_test(core, test_hw_access_after_unmap_faults_in_other_thread);
    tcase_add_loop_test(core, test_no_write_lands_after_unmap_returns, 0, 2);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_loop_test(limits, test_address_outside_range_is_efault, 0, 2);
    tcase_add_loop_test(limits, test_fault_without_handler_is_efault, 0, 2);
    tcase_add_loop_test(limits, test_map_out_of_range_is_einval, 0, 2);
    tcase_add_test(limits, test_too_many_frames_refused_naming_max_map_count);
    tcase_add_test(limits, test_bad_config_refused_with_einval);
    tcase_add_test(limits, test_unmappable_sizes_fail_cleanly);
    tcase_add_test(limits, test_foreign_fault_reaches_previous_handler);
    tcase_add_loop_test(limits, test_attach_past_max_threads_is_eagain, 0, 2);
    tcase_add_loop_test(limits, test_detach_when_not_attached_aborts, 0, 2);
    tcase_add_loop_test(limits, test_access_from_unattached_thread_aborts,
                        0, 2);
    tcase_add_loop_test(limits, test_frame_out_of_range_aborts, 0, 2);
    tcase_add_test(limits, test_unknown_mmu_value_is_named_unknown);
    tcase_add_test(limits, test_unaddressable_sizes_refused_with_a_sentence);
    tcase_add_loop_test(limits, test_starved_create_undoes_every_step, 0,
                        2 * (int)(sizeof(squeezes) / sizeof(squeezes[0])));
    tcase_add_test(limits, test_hw_machines_past_the_registry_are_eagain);
    tcase_add_test(limits,
                   test_thread_attached_to_too_many_machines_gets_eagain);
    tcase_add_test(limits, test_stale_attachment_does_not_match_a_new_machine);
    tcase_add_loop_test(limits, test_vpn_of_address_outside_range_aborts, 0,
                        2);
    tcase_add_loop_test(limits,
        test_batch_with_a_vpn_out_of_range_aborts_before_unmapping, 0, 2);
    tcase_add_test(limits, test_soft_access_without_page_table_aborts);
    tcase_add_test(limits, test_hw_failed_fault_outside_accessors_aborts);
    tcase_add_loop_test(limits,
        test_foreign_fault_retries_after_previous_handler_returns, 0, 2);
    tcase_add_loop_test(limits, test_foreign_fault_with_default_action_kills,
                        0, 2);
    if (!UNDER_ASAN)
        tcase_add_test(limits,
                       test_hw_map_failure_returns_errno_and_leaves_no_hole);
    return s;
}

CHECK_MAIN(make_machine_suite)
