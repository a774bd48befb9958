/*
 * check_pagefile.c - the page file: real I/O round trips (single and
 * vectored), its slot calls reaching the slot map (the bitmap itself is
 * check_slotmap's), error injection, files at a given path, each thread's
 * own descriptor of the file (and the shared one when no other can be
 * opened), and bad configurations.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catch_abort.h"
#include "check_util.h"
#include "pagefile.h"

#define PAGE 4096

/* A page file of slots slots at path (NULL: temporary); asserts success. */
static struct pagefile *make_pagefile(uint64_t slots, const char *path)
{
    struct pagefile_config cfg = {.slots = slots, .page_size = PAGE,
                                  .path = path};
    char err[256] = "";
    struct pagefile *pf = NULL;
    int rc = pagefile_create(&cfg, &pf, err, sizeof err);
    ck_assert_msg(rc == 0, "pagefile_create: %d %s", rc, err);
    ck_assert_ptr_nonnull(pf);
    ck_assert_uint_eq(pagefile_capacity(pf), slots);
    ck_assert_uint_eq(pagefile_in_use(pf), 0);
    return pf;
}

/* Fill page with a pattern unique to tag. */
static void fill_page(unsigned char *page, unsigned tag)
{
    for (size_t i = 0; i < PAGE; i++)
        page[i] = (unsigned char)(tag * 31 + i * 7 + (i >> 8));
}

/* True when page holds the pattern of tag. */
static bool page_matches(const unsigned char *page, unsigned tag)
{
    unsigned char want[PAGE];
    fill_page(want, tag);
    return memcmp(page, want, PAGE) == 0;
}

/* A unique path under /tmp for this test process. */
static void temp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "/tmp/pagelab-check-%ld-%s", (long)getpid(), name);
}

/* Claim a run of up to want slots; expect it at first with got slots. */
static void expect_run(struct pagefile *pf, size_t want, uint64_t first,
                       size_t got)
{
    uint64_t f;
    size_t g;
    ck_assert_int_eq(pagefile_alloc_run(pf, want, &f, &g), 0);
    ck_assert_uint_eq(f, first);
    ck_assert_uint_eq(g, got);
}

/* Free slots 0..n-1 (all allocated) and expect an empty page file. */
static void free_all(struct pagefile *pf, uint64_t n)
{
    for (uint64_t s = 0; s < n; s++)
        pagefile_free(pf, s);
    ck_assert_uint_eq(pagefile_in_use(pf), 0);
}

START_TEST(test_write_then_read_round_trips)
{
    struct pagefile *pf = make_pagefile(8, NULL);
    static unsigned char out[PAGE], in[PAGE];
    uint64_t slot;
    ck_assert_int_eq(pagefile_alloc(pf, &slot), 0);
    fill_page(out, 5);
    ck_assert_int_eq(pagefile_write(pf, slot, out), 0);
    memset(in, 0, sizeof in);
    ck_assert_int_eq(pagefile_read(pf, slot, in), 0);
    ck_assert(page_matches(in, 5));
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_WRITE), 1);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_READ), 1);
    ck_assert_uint_eq(pagefile_pages_moved(pf, PAGEFILE_OP_WRITE), 1);
    ck_assert_uint_eq(pagefile_pages_moved(pf, PAGEFILE_OP_READ), 1);
    pagefile_free(pf, slot);
    ck_assert_uint_eq(pagefile_in_use(pf), 0);
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_vectored_io_moves_a_batch_in_one_call)
{
    enum { N = 16 };
    struct pagefile *pf = make_pagefile(64, NULL);
    static unsigned char bufs[N][PAGE], back[N][PAGE];
    const void *out[N];
    void *in[N];
    for (unsigned i = 0; i < N; i++) {
        fill_page(bufs[i], 100 + i);
        out[i] = bufs[i];
        in[i] = back[i];
    }
    const uint64_t first = 0;
    expect_run(pf, N, first, N);
    ck_assert_int_eq(pagefile_writev(pf, first, out, N), 0);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_WRITE), 1);
    ck_assert_uint_eq(pagefile_pages_moved(pf, PAGEFILE_OP_WRITE), N);
    ck_assert_int_eq(pagefile_readv(pf, first, in, N), 0);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_READ), 1);
    for (unsigned i = 0; i < N; i++)
        ck_assert(page_matches(back[i], 100 + i));
    /* single-page reads see the same bytes the batch wrote */
    ck_assert_int_eq(pagefile_read(pf, first + 3, back[0]), 0);
    ck_assert(page_matches(back[0], 103));
    free_all(pf, N);
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_unwritten_slot_reads_zeros)
{
    struct pagefile *pf = make_pagefile(4, NULL);
    static unsigned char in[PAGE];
    memset(in, 0xab, sizeof in);
    ck_assert_int_eq(pagefile_read(pf, 3, in), 0);
    for (size_t i = 0; i < PAGE; i++)
        ck_assert_uint_eq(in[i], 0);
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_slots_come_from_the_slot_map)
{
    /* the bitmap itself is check_slotmap's; here: the page file's calls
     * reach it, and a full file is -ENOSPC */
    struct pagefile *pf = make_pagefile(70, NULL);
    uint64_t slot;
    ck_assert_int_eq(pagefile_alloc(pf, &slot), 0);
    ck_assert_uint_eq(slot, 0);
    ck_assert(pagefile_slot_in_use(pf, 0));
    expect_run(pf, 100, 1, 69);
    ck_assert_uint_eq(pagefile_in_use(pf), 70);
    ck_assert_int_eq(pagefile_alloc(pf, &slot), -ENOSPC);
    uint64_t first;
    size_t got;
    ck_assert_int_eq(pagefile_alloc_run(pf, 2, &first, &got), -ENOSPC);
    pagefile_free(pf, 33);
    ck_assert(!pagefile_slot_in_use(pf, 33));
    expect_run(pf, 2, 33, 1);
    free_all(pf, 70);
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_injected_read_error_leaves_page_untouched)
{
    struct pagefile *pf = make_pagefile(4, NULL);
    static unsigned char out[PAGE], in[PAGE];
    fill_page(out, 9);
    ck_assert_int_eq(pagefile_write(pf, 2, out), 0);
    pagefile_inject_error(pf, PAGEFILE_OP_READ, 2, -EIO);
    memset(in, 0x5a, sizeof in);
    ck_assert_int_eq(pagefile_read(pf, 2, in), 0); /* 1st: fine */
    ck_assert(page_matches(in, 9));
    memset(in, 0x5a, sizeof in);
    ck_assert_int_eq(pagefile_read(pf, 2, in), -EIO); /* 2nd: fails */
    for (size_t i = 0; i < PAGE; i++)
        ck_assert_uint_eq(in[i], 0x5a);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_READ), 1);
    ck_assert_uint_eq(pagefile_pages_moved(pf, PAGEFILE_OP_READ), 1);
    ck_assert_int_eq(pagefile_read(pf, 2, in), 0); /* disarmed again */
    ck_assert(page_matches(in, 9));
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_injected_write_error_changes_no_data)
{
    struct pagefile *pf = make_pagefile(4, NULL);
    static unsigned char a[PAGE], b[PAGE], in[PAGE];
    fill_page(a, 1);
    fill_page(b, 2);
    ck_assert_int_eq(pagefile_write(pf, 0, a), 0);
    const void *batch[2] = {b, b};
    pagefile_inject_error(pf, PAGEFILE_OP_WRITE, 1, ENOSPC);
    ck_assert_int_eq(pagefile_writev(pf, 0, batch, 2), -ENOSPC);
    ck_assert_int_eq(pagefile_read(pf, 0, in), 0);
    ck_assert(page_matches(in, 1));
    ck_assert_uint_eq(pagefile_pages_moved(pf, PAGEFILE_OP_WRITE), 1);
    pagefile_inject_error(pf, PAGEFILE_OP_WRITE, 1, 0);
    ck_assert_int_eq(pagefile_write(pf, 0, b), -EIO);
    pagefile_inject_error(pf, PAGEFILE_OP_WRITE, 1, -EIO);
    pagefile_inject_error(pf, PAGEFILE_OP_WRITE, 0, -EIO); /* disarm */
    ck_assert_int_eq(pagefile_writev(pf, 0, batch, 2), 0);
    ck_assert_int_eq(pagefile_read(pf, 1, in), 0);
    ck_assert(page_matches(in, 2));
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_file_at_given_path_is_created_and_removed)
{
    char path[128];
    temp_path(path, sizeof path, "created");
    unlink(path);
    struct pagefile *pf = make_pagefile(8, path);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 8 * PAGE);
    static unsigned char out[PAGE];
    fill_page(out, 3);
    ck_assert_int_eq(pagefile_write(pf, 7, out), 0);
    /* the bytes really are in the file, at slot * page size */
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    static unsigned char in[PAGE];
    ck_assert_int_eq(pread(fd, in, PAGE, 7 * PAGE), PAGE);
    close(fd);
    ck_assert(page_matches(in, 3));
    pagefile_destroy(pf);
    ck_assert_int_eq(stat(path, &st), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_existing_file_is_truncated_and_kept)
{
    char path[128];
    temp_path(path, sizeof path, "existing");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("old contents", f);
    fclose(f);
    struct pagefile *pf = make_pagefile(2, path);
    static unsigned char in[PAGE];
    ck_assert_int_eq(pagefile_read(pf, 0, in), 0);
    ck_assert_uint_eq(in[0], 0);
    pagefile_destroy(pf);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(test_truncated_file_read_is_eio)
{
    char path[128];
    temp_path(path, sizeof path, "short");
    unlink(path);
    struct pagefile *pf = make_pagefile(4, path);
    ck_assert_int_eq(truncate(path, PAGE + PAGE / 2), 0);
    static unsigned char in[PAGE];
    memset(in, 0x11, sizeof in);
    ck_assert_int_eq(pagefile_read(pf, 1, in), -EIO);
    ck_assert_int_eq(pagefile_read(pf, 3, in), -EIO);
    ck_assert_uint_eq(pagefile_pages_moved(pf, PAGEFILE_OP_READ), 0);
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_path_in_missing_directory_is_refused)
{
    struct pagefile_config cfg = {.slots = 4, .page_size = PAGE,
                                  .path = "/nonexistent-pagelab/dir/pf"};
    char err[256] = "";
    struct pagefile *pf = NULL;
    ck_assert_int_eq(pagefile_create(&cfg, &pf, err, sizeof err), -ENOENT);
    ck_assert_ptr_null(pf);
    ck_assert_str_eq(err, "pagefile: cannot create the page file "
                          "/nonexistent-pagelab/dir/pf: No such file or "
                          "directory");
}
END_TEST

/* A page file whose slot bitmap cannot be allocated (2^62 slots of one
 * byte) is refused with -ENOMEM and a sentence. */
START_TEST(test_bitmap_too_big_for_memory_is_enomem)
{
    struct pagefile_config cfg = {.slots = 1ull << 62, .page_size = 1};
    char err[256] = "";
    struct pagefile *pf = NULL;
    ck_assert_int_eq(pagefile_create(&cfg, &pf, err, sizeof err), -ENOMEM);
    ck_assert_ptr_null(pf);
    ck_assert_msg(strncmp(err, "pagefile: out of memory for a bitmap of ",
                          40) == 0, "err: %s", err);
}
END_TEST

START_TEST(test_path_that_is_not_a_regular_file_is_refused)
{
    const char *paths[] = {"/tmp", "/dev/null"};
    struct pagefile_config cfg = {.slots = 4, .page_size = PAGE,
                                  .path = paths[_i]};
    char err[256] = "";
    struct pagefile *pf = NULL;
    ck_assert_int_lt(pagefile_create(&cfg, &pf, err, sizeof err), 0);
    ck_assert_ptr_null(pf);
    ck_assert_msg(strncmp(err, "pagefile: ", 10) == 0 &&
                  strstr(err, paths[_i]) != NULL, "err: %s", err);
}
END_TEST

/* pagefile_create of a 4-slot temporary file with $TMPDIR set to dir (and
 * put back afterwards).  Returns its result; *pf and err as it left them. */
static int create_in_tmpdir(const char *dir, struct pagefile **pf, char *err,
                            size_t errlen)
{
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TMPDIR", dir, 1);
    struct pagefile_config cfg = {.slots = 4, .page_size = PAGE};
    int rc = pagefile_create(&cfg, pf, err, errlen);
    if (saved) {
        setenv("TMPDIR", saved, 1);
        free(saved);
    } else {
        unsetenv("TMPDIR");
    }
    return rc;
}

START_TEST(test_missing_tmpdir_is_refused)
{
    char err[256] = "";
    struct pagefile *pf = NULL;
    ck_assert_int_eq(create_in_tmpdir("/nonexistent-pagelab-tmp", &pf, err,
                                      sizeof err), -ENOENT);
    ck_assert_ptr_null(pf);
    ck_assert_str_eq(err, "pagefile: cannot create a temporary page file in "
                          "/nonexistent-pagelab-tmp: No such file or "
                          "directory");
}
END_TEST

START_TEST(test_overlong_tmpdir_is_refused)
{
    static char dir[PATH_MAX + 100];
    memset(dir, 'd', sizeof dir - 1);
    dir[0] = '/';
    dir[sizeof dir - 1] = '\0';
    char err[256] = "";
    struct pagefile *pf = NULL;
    ck_assert_int_eq(create_in_tmpdir(dir, &pf, err, sizeof err),
                     -ENAMETOOLONG);
    ck_assert_ptr_null(pf);
    ck_assert_str_eq(err, "pagefile: the temporary directory's name "
                          "($TMPDIR, 4195 bytes) is too long");
}
END_TEST

START_TEST(test_empty_tmpdir_means_tmp)
{
    char err[256] = "";
    struct pagefile *pf = NULL;
    ck_assert_msg(create_in_tmpdir("", &pf, err, sizeof err) == 0, "%s", err);
    static unsigned char out[PAGE], in[PAGE];
    fill_page(out, 8);
    ck_assert_int_eq(pagefile_write(pf, 0, out), 0);
    ck_assert_int_eq(pagefile_read(pf, 0, in), 0);
    ck_assert(page_matches(in, 8));
    pagefile_destroy(pf);
}
END_TEST

/* Lower the file size limit to bytes, ignoring SIGXFSZ; restore with
 * fsize_restore(&saved). */
struct fsize_saved {
    struct rlimit limit;
    void (*handler)(int);
};

static void fsize_limit(struct fsize_saved *saved, rlim_t bytes)
{
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved->limit), 0);
    saved->handler = signal(SIGXFSZ, SIG_IGN);
    struct rlimit low = {.rlim_cur = bytes, .rlim_max = saved->limit.rlim_max};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &low), 0);
}

static void fsize_restore(const struct fsize_saved *saved)
{
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved->limit), 0);
    signal(SIGXFSZ, saved->handler);
}

START_TEST(test_file_size_limit_fails_create_and_removes_the_file)
{
    char path[128];
    temp_path(path, sizeof path, "fsize");
    unlink(path);
    struct pagefile_config cfg = {.slots = 8, .page_size = PAGE, .path = path};
    char err[256] = "";
    struct pagefile *pf = NULL;
    struct fsize_saved saved;
    fsize_limit(&saved, 2 * PAGE);
    int rc = pagefile_create(&cfg, &pf, err, sizeof err);
    fsize_restore(&saved);
    ck_assert_int_eq(rc, -EFBIG);
    ck_assert_ptr_null(pf);
    ck_assert_str_eq(err, "pagefile: cannot size the page file to 8 slots: "
                          "File too large");
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_failing_write_returns_the_errno_and_keeps_data)
{
    struct pagefile *pf = make_pagefile(8, NULL);
    static unsigned char a[PAGE], in[PAGE];
    fill_page(a, 4);
    ck_assert_int_eq(pagefile_write(pf, 1, a), 0);
    struct fsize_saved saved;
    fsize_limit(&saved, 2 * PAGE);
    const void *batch[2] = {a, a};
    int single = pagefile_write(pf, 5, a);
    int batched = pagefile_writev(pf, 6, batch, 2);
    fsize_restore(&saved);
    ck_assert_int_eq(single, -EFBIG);
    ck_assert_int_eq(batched, -EFBIG);
    ck_assert_uint_eq(pagefile_pages_moved(pf, PAGEFILE_OP_WRITE), 1);
    ck_assert_int_eq(pagefile_read(pf, 5, in), 0);
    ck_assert_uint_eq(in[0], 0);
    ck_assert_int_eq(pagefile_read(pf, 1, in), 0);
    ck_assert(page_matches(in, 4));
    pagefile_destroy(pf);
}
END_TEST

START_TEST(test_bad_config_is_refused)
{
    struct pagefile_config cfgs[] = {
        {.slots = 0, .page_size = PAGE},
        {.slots = 4, .page_size = 0},
        {.slots = UINT64_MAX / 2, .page_size = PAGE},
        {.slots = 4, .page_size = PAGE, .path = ""},
    };
    const char *msgs[] = {
        "pagefile: the page file needs at least one slot",
        "pagefile: the page size must be positive",
        "pagefile: slots * page size does not fit in a file offset",
        "pagefile: the page file's path is empty",
    };
    for (int i = 0; i < 4; i++) {
        char err[256] = "";
        struct pagefile *pf = NULL;
        ck_assert_int_eq(pagefile_create(&cfgs[i], &pf, err, sizeof err),
                         -EINVAL);
        ck_assert_ptr_null(pf);
        ck_assert_str_eq(err, msgs[i]);
    }
    struct pagefile *pf = NULL;
    ck_assert_int_eq(pagefile_create(NULL, &pf, NULL, 64), -EINVAL);
    ck_assert_ptr_null(pf);
}
END_TEST

START_TEST(test_bad_batches_are_refused)
{
    struct pagefile *pf = make_pagefile(PAGEFILE_MAX_BATCH + 8, NULL);
    static unsigned char page[PAGE];
    void *pages[PAGEFILE_MAX_BATCH + 1];
    for (int i = 0; i <= PAGEFILE_MAX_BATCH; i++)
        pages[i] = page;
    ck_assert_int_eq(pagefile_readv(pf, 0, pages, 0), -EINVAL);
    ck_assert_int_eq(pagefile_readv(pf, 0, pages, PAGEFILE_MAX_BATCH + 1),
                     -EINVAL);
    ck_assert_int_eq(pagefile_read(pf, 0, NULL), -EFAULT);
    pages[3] = NULL;
    ck_assert_int_eq(pagefile_writev(pf, 0, (const void *const *)pages, 4),
                     -EFAULT);
    uint64_t first;
    size_t got;
    ck_assert_int_eq(pagefile_alloc_run(pf, 0, &first, &got), -EINVAL);
    ck_assert_uint_eq(pagefile_in_use(pf), 0);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_READ), 0);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_WRITE), 0);
    pagefile_destroy(pf);
    pagefile_destroy(NULL);
}
END_TEST

/* Per-thread descriptors: a relay of threads, each reading the page the
 * one before wrote and writing the next. */
struct relay_arg {
    struct pagefile *pf;
    uint64_t read_slot;  /* PAGEFILE_NO_SLOT: nothing to read */
    unsigned read_tag;
    uint64_t write_slot;
    unsigned write_tag;
    int rc;              /* 0, a pagefile error, or 1: wrong bytes read */
};

/* Read (and check) one slot, then write one, from a thread of its own. */
static void *relay_worker(void *p)
{
    struct relay_arg *a = p;
    static _Thread_local unsigned char page[PAGE];
    a->rc = 0;
    if (a->read_slot != PAGEFILE_NO_SLOT) {
        a->rc = pagefile_read(a->pf, a->read_slot, page);
        if (a->rc == 0 && !page_matches(page, a->read_tag))
            a->rc = 1;
    }
    if (a->rc == 0) {
        fill_page(page, a->write_tag);
        a->rc = pagefile_write(a->pf, a->write_slot, page);
    }
    return NULL;
}

/* Run a relay of n threads, one after the other: thread i reads the slot
 * thread i-1 wrote (slot 2i-1, tag i) and writes slot 2i+1 with tag i+1;
 * then the main thread reads the last one.  Asserts every step. */
static void run_relay(struct pagefile *pf, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct relay_arg a = {.pf = pf, .read_slot = PAGEFILE_NO_SLOT,
                              .read_tag = i, .write_slot = 2 * i + 1,
                              .write_tag = i + 1};
        if (i > 0)
            a.read_slot = 2 * i - 1;
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, relay_worker, &a), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert_msg(a.rc == 0, "relay thread %u: %d (1: wrong bytes)", i,
                      a.rc);
    }
    unsigned char page[PAGE];
    ck_assert_int_eq(pagefile_read(pf, 2 * n - 1, page), 0);
    ck_assert(page_matches(page, n));
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_WRITE), n);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_READ), n);
}

/* Descriptors the process has open (the directory's own not counted). */
static int open_descriptors(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

#define RELAY_THREADS 3

/* A thread that writes one slot, then stays alive until released. */
struct holder_arg {
    struct pagefile *pf;
    pthread_barrier_t *barrier; /* "all have written", "you may go" */
    uint64_t slot;
    int rc;
};

static void *holder_worker(void *p)
{
    struct holder_arg *a = p;
    static _Thread_local unsigned char page[PAGE];
    fill_page(page, (unsigned)a->slot);
    a->rc = pagefile_write(a->pf, a->slot, page);
    pthread_barrier_wait(a->barrier);
    pthread_barrier_wait(a->barrier);
    return NULL;
}

START_TEST(test_each_thread_does_io_through_its_own_descriptor)
{
    int before = open_descriptors();
    struct pagefile *pf = make_pagefile(2 * RELAY_THREADS + 2, NULL);
    ck_assert_int_eq(open_descriptors(), before + 1);
    /* one after the other, each thread takes over the index (and so the
     * descriptor) of the one that exited before it; the main thread too */
    run_relay(pf, RELAY_THREADS);
    ck_assert_int_eq(open_descriptors(), before + 1 + 1);
    /* threads alive at once each open their own */
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, RELAY_THREADS + 1);
    struct holder_arg h[RELAY_THREADS];
    pthread_t t[RELAY_THREADS];
    for (unsigned i = 0; i < RELAY_THREADS; i++) {
        h[i] = (struct holder_arg){.pf = pf, .barrier = &barrier,
                                   .slot = 2 * i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, holder_worker, &h[i]),
                         0);
    }
    pthread_barrier_wait(&barrier);
    int during = open_descriptors();
    pthread_barrier_wait(&barrier);
    for (unsigned i = 0; i < RELAY_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(h[i].rc, 0);
    }
    pthread_barrier_destroy(&barrier);
    ck_assert_int_eq(during, before + 1 + 1 + RELAY_THREADS);
    unsigned char page[PAGE];
    for (unsigned i = 0; i < RELAY_THREADS; i++) {
        ck_assert_int_eq(pagefile_read(pf, 2 * i, page), 0);
        ck_assert(page_matches(page, 2 * i));
    }
    pagefile_destroy(pf);
    ck_assert_int_eq(open_descriptors(), before); /* all closed */
}
END_TEST

START_TEST(test_io_uses_the_shared_descriptor_when_no_other_opens)
{
    int before = open_descriptors();
    struct pagefile *pf = make_pagefile(2 * RELAY_THREADS + 2, NULL);
    /* Allow only descriptor numbers below the lowest free one: every
     * further open fails with EMFILE. */
    int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(lowest, 0);
    close(lowest);
    struct rlimit old, tight;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    tight = old;
    tight.rlim_cur = (rlim_t)lowest;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
    run_relay(pf, RELAY_THREADS);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    ck_assert_int_eq(open_descriptors(), before + 1); /* none was opened */
    pagefile_destroy(pf);
    ck_assert_int_eq(open_descriptors(), before);
}
END_TEST

/* Misuses of a 4-slot page file pf, each of which must abort. */
static void free_free_slot(void *pf) { pagefile_free(pf, 2); }
static void in_use_past_end(void *pf) { pagefile_slot_in_use(pf, 100); }
static void read_past_end(void *pf)
{
    static unsigned char page[PAGE];
    pagefile_read(pf, 4, page);
}
static void readv_across_end(void *pf)
{
    static unsigned char page[PAGE];
    void *pages[2] = {page, page};
    pagefile_readv(pf, 3, pages, 2);
}
static void calls_of_bad_op(void *pf)
{
    pagefile_io_calls(pf, (enum pagefile_op)2);
}
static void moved_of_bad_op(void *pf)
{
    pagefile_pages_moved(pf, (enum pagefile_op)-1);
}
static void inject_bad_op(void *pf)
{
    pagefile_inject_error(pf, (enum pagefile_op)5, 1, -EIO);
}

static void (*const misuses[])(void *) = {
    free_free_slot, in_use_past_end, read_past_end,
    readv_across_end, calls_of_bad_op, moved_of_bad_op, inject_bad_op,
};
#define NMISUSES ((int)(sizeof misuses / sizeof misuses[0]))

START_TEST(test_misuse_aborts)
{
    struct pagefile *pf = make_pagefile(4, NULL);
    bool aborted = catch_abort(misuses[_i], pf);
    ck_assert_uint_eq(pagefile_in_use(pf), 0); /* nothing half done */
    pagefile_destroy(pf);
    ck_assert_msg(aborted, "misuse %d did not abort", _i);
}
END_TEST

static Suite *make_pagefile_suite(void)
{
    Suite *s = suite_create("pagefile");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_write_then_read_round_trips);
    tcase_add_test(core, test_vectored_io_moves_a_batch_in_one_call);
    tcase_add_test(core, test_unwritten_slot_reads_zeros);
    tcase_add_test(core, test_slots_come_from_the_slot_map);
    tcase_add_test(core, test_file_at_given_path_is_created_and_removed);
    tcase_add_test(core, test_existing_file_is_truncated_and_kept);
    tcase_add_test(core, test_each_thread_does_io_through_its_own_descriptor);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_injected_read_error_leaves_page_untouched);
    tcase_add_test(limits, test_injected_write_error_changes_no_data);
    tcase_add_test(limits, test_truncated_file_read_is_eio);
    tcase_add_test(limits, test_path_in_missing_directory_is_refused);
    tcase_add_test(limits, test_bitmap_too_big_for_memory_is_enomem);
    tcase_add_loop_test(limits, test_path_that_is_not_a_regular_file_is_refused,
                        0, 2);
    tcase_add_test(limits, test_missing_tmpdir_is_refused);
    tcase_add_test(limits, test_overlong_tmpdir_is_refused);
    tcase_add_test(limits, test_empty_tmpdir_means_tmp);
    tcase_add_test(limits,
                   test_file_size_limit_fails_create_and_removes_the_file);
    tcase_add_test(limits, test_failing_write_returns_the_errno_and_keeps_data);
    tcase_add_test(limits, test_bad_config_is_refused);
    tcase_add_test(limits,
                   test_io_uses_the_shared_descriptor_when_no_other_opens);
    tcase_add_test(limits, test_bad_batches_are_refused);
    tcase_add_loop_test(limits, test_misuse_aborts, 0, NMISUSES);
    return s;
}

CHECK_MAIN(make_pagefile_suite)
