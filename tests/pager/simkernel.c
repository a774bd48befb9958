/*
 * simkernel.c - the simulated kernel the pager tests run on (see
 * simkernel.h): vm_infra.h over a static physical memory, real files in a
 * temporary directory and a real swap file, an I/O log, and an MMU-exact
 * accessor for arena bytes.
 *
 * Invariants:
 *   1. Between simk_start and simk_stop, dirfd names the world's directory
 *      and swapfd an unlinked file of swap_blocks blocks.
 *   2. log holds log_len bytes plus a NUL: every I/O since the last clear.
 *   3. An access through the accessor succeeds only when the PTE of the
 *      current table allows it; the pager is called at most once per
 *      access, as the MMU's single retry.
 *
 * Locking: none (tests drive the pager from their main thread).
 */
#include "simkernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIMK_POISON 0xa5
#define SIMK_DIR_PREFIX "/tmp/pagelab-simk-"
#define SIMK_PROBE_PID 999999

/* Physical memory: vm_physmem points here. */
static unsigned char simk_memory[SIMK_MAX_FRAMES * (size_t)VM_PAGESIZE]
    __attribute__((aligned(4096)));

page_table_t *page_table_base_register;
void *const vm_physmem = simk_memory;

static struct {
    char dir[64];
    int dirfd;
    int swapfd;
    unsigned nframes;
    unsigned swap_blocks;
    char *log;
    size_t log_len;
    unsigned fail_in[2];      /* [write]: 0 off; else fail when it is 1 */
} simk = { .dirfd = -1, .swapfd = -1 };

/* Append one I/O entry to the log (invariant 2); aborts when memory runs
 * out, since a lost entry would make a test lie. */
static void simk_log_add(const char *op, const char *name, unsigned block,
                         int rc)
{
    char entry[512];
    int n = snprintf(entry, sizeof(entry), "%s%s %s %u%s",
                     simk.log_len ? "; " : "", op, name ? name : "<swap>",
                     block, rc ? " failed" : "");
    char *bigger = realloc(simk.log, simk.log_len + (size_t)n + 1);
    if (bigger == NULL) {
        fprintf(stderr, "simk_log_add: out of memory\n");
        abort();
    }
    memcpy(bigger + simk.log_len, entry, (size_t)n + 1);
    simk.log = bigger;
    simk.log_len += (size_t)n;
}

/* Open name (NULL: the swap file) for one block transfer.  The descriptor
 * to use, or -1; *owned tells whether the caller must close it. */
static int simk_open(const char *name, int flags, bool *owned)
{
    *owned = name != NULL;
    if (name == NULL)
        return simk.swapfd;
    return openat(simk.dirfd, name, flags | O_CLOEXEC);
}

/* Move one block between buf and file name (NULL: swap): 0, or -1 when
 * the file cannot be opened or the whole block is not inside it (reads,
 * and swap writes beyond swap_blocks). */
static int simk_transfer(const char *name, unsigned block, void *buf,
                         bool write)
{
    bool owned;
    int fd = simk_open(name, write ? O_WRONLY : O_RDONLY, &owned);
    if (fd < 0)
        return -1;
    off_t off = (off_t)block * VM_PAGESIZE;
    struct stat st;
    ssize_t done = -1;
    if (fstat(fd, &st) == 0 &&
        ((write && name != NULL) || off + VM_PAGESIZE <= st.st_size))
        done = write ? pwrite(fd, buf, VM_PAGESIZE, off)
                     : pread(fd, buf, VM_PAGESIZE, off);
    if (owned)
        close(fd);
    return done == VM_PAGESIZE ? 0 : -1;
}

/* One logged transfer, failing when the injected countdown reaches it. */
static int simk_io(const char *name, unsigned block, void *buf, bool write)
{
    int rc = -1;
    if (simk.fail_in[write] != 1)
        rc = simk_transfer(name, block, buf, write);
    if (simk.fail_in[write] > 0)
        simk.fail_in[write]--;
    simk_log_add(write ? "write" : "read", name, block, rc);
    return rc;
}

/* vm_infra.h: one block of filename (NULL: swap) into buf; 0 or -1. */
int file_read(const char *filename, unsigned int block, void *buf)
{
    return simk_io(filename, block, buf, false);
}

/* vm_infra.h: buf into one block of filename (NULL: swap); 0 or -1. */
int file_write(const char *filename, unsigned int block, const void *buf)
{
    return simk_io(filename, block, (void *)buf, true);
}

/* Make the world's directory (named after this process, so a later run
 * can tell when it is stale) and swap file (invariant 1).  0 or -1. */
static int simk_make_world(unsigned swap_blocks)
{
    snprintf(simk.dir, sizeof(simk.dir), "%s%ld-XXXXXX", SIMK_DIR_PREFIX,
             (long)getpid());
    if (mkdtemp(simk.dir) == NULL)
        return -1;
    simk.dirfd = open(simk.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char swap_name[] = "/tmp/pagelab-swap-XXXXXX";
    simk.swapfd = mkstemp(swap_name);
    if (simk.swapfd >= 0)
        unlink(swap_name);
    if (simk.dirfd < 0 || simk.swapfd < 0 ||
        ftruncate(simk.swapfd, (off_t)swap_blocks * VM_PAGESIZE) != 0)
        return -1;
    return 0;
}

/* Remove directory path and the files in it (best effort). */
static void simk_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

/* Remove the world's files and directory; close everything. */
static void simk_remove_world(void)
{
    if (simk.dirfd >= 0) {
        close(simk.dirfd);
        simk_remove_tree(simk.dir);
    }
    if (simk.swapfd >= 0)
        close(simk.swapfd);
    simk.dirfd = simk.swapfd = -1;
}

/* A failed assertion ends a forked test at once, before simk_stop: remove
 * the worlds whose process no longer exists. */
static void simk_sweep_stale_worlds(void)
{
    DIR *d = opendir("/tmp");
    struct dirent *e;
    size_t skip = strlen("/tmp/");
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300];
        long pid;
        snprintf(path, sizeof(path), "/tmp/%s", e->d_name);
        if (strncmp(path, SIMK_DIR_PREFIX, strlen(SIMK_DIR_PREFIX)) == 0 &&
            sscanf(path + skip, "pagelab-simk-%ld-", &pid) == 1 &&
            kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            simk_remove_tree(path);
    }
    if (d != NULL)
        closedir(d);
}

/* A fresh world, then vm_init (see simkernel.h); 0 or -1. */
int simk_start(unsigned memory_pages, unsigned swap_blocks)
{
    if (memory_pages > SIMK_MAX_FRAMES) {
        fprintf(stderr, "simk_start: at most %u frames\n", SIMK_MAX_FRAMES);
        return -1;
    }
    simk_sweep_stale_worlds();
    simk_remove_world();
    simk_log_clear();
    simk.fail_in[0] = simk.fail_in[1] = 0;
    simk.nframes = memory_pages;
    simk.swap_blocks = swap_blocks;
    if (simk_make_world(swap_blocks) != 0) {
        perror("simk_start");
        simk_remove_world();
        return -1;
    }
    memset(simk_memory, SIMK_POISON, sizeof(simk_memory));
    vm_init(memory_pages, swap_blocks);
    return 0;
}

/* Probe the swap reservations, then remove the world; 0 or -1. */
int simk_stop(void)
{
    unsigned want = simk.swap_blocks < VM_ARENA_PAGES ? simk.swap_blocks
                                                      : VM_ARENA_PAGES;
    unsigned got = 0;
    int rc = -1;
    if (page_table_base_register != NULL) {
        fprintf(stderr, "simk_stop: a process is still current\n");
    } else if (vm_create(SIMK_LAUNCHER, SIMK_PROBE_PID) == 0) {
        vm_switch(SIMK_PROBE_PID);
        while (got < want && vm_map(NULL, 0) != NULL)
            got++;
        vm_destroy();
        rc = got == want ? 0 : -1;
        if (rc != 0)
            fprintf(stderr, "simk_stop: only %u of %u swap blocks free\n",
                    got, want);
    }
    simk_remove_world();
    free(simk.log);
    simk.log = NULL;
    simk.log_len = 0;
    return rc;
}

/* Arena address of byte offset of virtual page vpn. */
void *simk_va(unsigned vpn, size_t offset)
{
    return (char *)VM_ARENA_BASEADDR + (size_t)vpn * VM_PAGESIZE + offset;
}

/* Is the PTE sound for the MMU: not write-only, not writable on the zero
 * frame, naming a frame of physical memory? */
static bool simk_pte_sound(const page_table_entry_t *pte)
{
    if (pte->write_enable && (!pte->read_enable || pte->ppage == 0))
        return false;
    return !pte->read_enable || pte->ppage < simk.nframes;
}

/* Translate va for one access as the MMU would (invariant 3): the
 * physical address in *phys, or SIMK_FAULT / SIMK_BROKEN. */
static int simk_translate(uintptr_t va, bool write, unsigned char **phys)
{
    uintptr_t base = (uintptr_t)VM_ARENA_BASEADDR;
    if (va < base || va - base >= VM_ARENA_SIZE)
        return SIMK_FAULT;
    size_t vpn = (va - base) / VM_PAGESIZE;
    for (int tries = 0;; tries++) {
        page_table_entry_t *pte = page_table_base_register == NULL
            ? NULL : &page_table_base_register->ptes[vpn];
        if (pte != NULL && !simk_pte_sound(pte))
            return SIMK_BROKEN;
        if (pte != NULL && (write ? pte->write_enable : pte->read_enable)) {
            *phys = simk_memory + (size_t)pte->ppage * VM_PAGESIZE +
                    (va - base) % VM_PAGESIZE;
            return 0;
        }
        if (tries > 0)
            return SIMK_BROKEN;
        if (vm_fault((const void *)va, write) != 0)
            return SIMK_FAULT;
    }
}

/* Copy len bytes between buf and the arena at va, one access per page. */
static int simk_copy(uintptr_t va, unsigned char *buf, size_t len,
                     bool write)
{
    while (len > 0) {
        size_t chunk = VM_PAGESIZE - va % VM_PAGESIZE;
        if (chunk > len)
            chunk = len;
        unsigned char *phys;
        int rc = simk_translate(va, write, &phys);
        if (rc != 0)
            return rc;
        if (write)
            memcpy(phys, buf, chunk);
        else
            memcpy(buf, phys, chunk);
        va += chunk;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}

/* MMU-exact load of len bytes; 0, SIMK_FAULT or SIMK_BROKEN. */
int simk_read(const void *va, void *buf, size_t len)
{
    return simk_copy((uintptr_t)va, buf, len, false);
}

/* MMU-exact store of len bytes; 0, SIMK_FAULT or SIMK_BROKEN. */
int simk_write(void *va, const void *buf, size_t len)
{
    return simk_copy((uintptr_t)va, (unsigned char *)buf, len, true);
}

/* One byte loaded (0..255), or SIMK_FAULT / SIMK_BROKEN. */
int simk_read_byte(const void *va)
{
    unsigned char c;
    int rc = simk_read(va, &c, 1);
    return rc != 0 ? rc : c;
}

/* One byte stored; 0, SIMK_FAULT or SIMK_BROKEN. */
int simk_write_byte(void *va, unsigned char value)
{
    return simk_write(va, &value, 1);
}

/* Store s with its NUL; 0, SIMK_FAULT or SIMK_BROKEN. */
int simk_write_str(void *va, const char *s)
{
    return simk_write(va, s, strlen(s) + 1);
}

/* Store value in every byte of va's page; 0 or an accessor error. */
int simk_fill_page(void *va, unsigned char value)
{
    static unsigned char page[VM_PAGESIZE];
    memset(page, value, sizeof(page));
    uintptr_t start = (uintptr_t)va - (uintptr_t)va % VM_PAGESIZE;
    return simk_write((void *)start, page, sizeof(page));
}

/* The current PTE of the page holding va, or NULL. */
static page_table_entry_t *simk_pte(const void *va)
{
    uintptr_t base = (uintptr_t)VM_ARENA_BASEADDR, a = (uintptr_t)va;
    if (page_table_base_register == NULL || a < base ||
        a - base >= VM_ARENA_SIZE)
        return NULL;
    return &page_table_base_register->ptes[(a - base) / VM_PAGESIZE];
}

/* "-", "r", "rw", "w" (illegal) or "none" for va's current PTE. */
const char *simk_perm(const void *va)
{
    const page_table_entry_t *pte = simk_pte(va);
    if (pte == NULL)
        return "none";
    if (pte->write_enable)
        return pte->read_enable ? "rw" : "w";
    return pte->read_enable ? "r" : "-";
}

/* The frame va's current PTE names (0 without a table). */
unsigned simk_ppage(const void *va)
{
    const page_table_entry_t *pte = simk_pte(va);
    return pte == NULL ? 0 : pte->ppage;
}

/* A byte of physical memory, read without the MMU. */
unsigned char simk_frame_byte(unsigned frame, size_t offset)
{
    return simk_memory[(size_t)frame * VM_PAGESIZE + offset];
}

/* Create name of size bytes, block b filled with seed + b; 0 or -1. */
int simk_make_file(const char *name, size_t size, unsigned char seed)
{
    int fd = openat(simk.dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0600);
    if (fd < 0)
        return -1;
    static unsigned char block[VM_PAGESIZE];
    int rc = 0;
    for (size_t off = 0; off < size && rc == 0; off += VM_PAGESIZE) {
        size_t n = size - off < VM_PAGESIZE ? size - off : VM_PAGESIZE;
        memset(block, (unsigned char)(seed + off / VM_PAGESIZE), n);
        rc = pwrite(fd, block, n, (off_t)off) == (ssize_t)n ? 0 : -1;
    }
    close(fd);
    return rc;
}

/* Byte at offset of an open descriptor (closed here when owned), or -1. */
static int simk_fd_byte(int fd, bool owned, off_t offset)
{
    unsigned char c;
    int rc = fd >= 0 && pread(fd, &c, 1, offset) == 1 ? c : -1;
    if (owned && fd >= 0)
        close(fd);
    return rc;
}

/* The byte at offset of file name, or -1. */
int simk_file_byte(const char *name, size_t offset)
{
    bool owned;
    int fd = simk_open(name, O_RDONLY, &owned);
    return simk_fd_byte(fd, owned, (off_t)offset);
}

/* The byte at offset of swap block block, or -1. */
int simk_swap_byte(unsigned block, size_t offset)
{
    return simk_fd_byte(simk.swapfd, false,
                        (off_t)block * VM_PAGESIZE + (off_t)offset);
}

/* Set the byte at offset of swap block block to value behind the pager's
 * back (not logged); 0 or -1. */
int simk_set_swap_byte(unsigned block, size_t offset, unsigned char value)
{
    off_t at = (off_t)block * VM_PAGESIZE + (off_t)offset;
    return simk.swapfd >= 0 && pwrite(simk.swapfd, &value, 1, at) == 1 ? 0
                                                                       : -1;
}

/* Delete file name from the world; 0 or -1. */
int simk_remove_file(const char *name)
{
    return unlinkat(simk.dirfd, name, 0);
}

/* The I/O log since the last clear ("" when empty). */
const char *simk_log(void)
{
    return simk.log != NULL ? simk.log : "";
}

/* Empty the I/O log. */
void simk_log_clear(void)
{
    if (simk.log != NULL)
        simk.log[0] = '\0';
    simk.log_len = 0;
}

/* Arm (nth > 0) or disarm the failure of the nth file_read from now. */
void simk_fail_read(unsigned nth)
{
    simk.fail_in[0] = nth;
}

/* Arm (nth > 0) or disarm the failure of the nth file_write from now. */
void simk_fail_write(unsigned nth)
{
    simk.fail_in[1] = nth;
}

/* A process pid forked from the launcher, made current; 0 or -1. */
int simk_spawn(pid_t pid)
{
    if (vm_create(SIMK_LAUNCHER, pid) != 0)
        return -1;
    vm_switch(pid);
    return 0;
}

/* simk_start, then simk_spawn(pid); 0 or -1. */
int simk_begin(unsigned memory_pages, unsigned swap_blocks, pid_t pid)
{
    if (simk_start(memory_pages, swap_blocks) != 0)
        return -1;
    return simk_spawn(pid);
}

/* simk_start, the file "data", simk_spawn(SIMK_FIRST_PID); 0 or -1. */
int simk_begin_data(unsigned memory_pages, unsigned swap_blocks,
                    unsigned data_blocks)
{
    if (simk_start(memory_pages, swap_blocks) != 0 ||
        simk_make_file("data", (size_t)data_blocks * VM_PAGESIZE,
                       SIMK_DATA_SEED) != 0)
        return -1;
    return simk_spawn(SIMK_FIRST_PID);
}

/* Exit the current process (if any), then simk_stop; 0 or -1. */
int simk_end(void)
{
    if (page_table_base_register != NULL)
        vm_destroy();
    return simk_stop();
}

/* A new swap page holding the string name; its address or NULL. */
char *simk_map_name(const char *name)
{
    char *page = vm_map(NULL, 0);
    if (page == NULL || simk_write_str(page, name) != 0)
        return NULL;
    return page;
}

/* simk_perm of pages 0..npages-1, space-separated (static buffer). */
const char *simk_perms(unsigned npages)
{
    static char buf[4 * VM_ARENA_PAGES + 1];
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned v = 0; v < npages && v < VM_ARENA_PAGES; v++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
                                v ? " " : "", simk_perm(simk_va(v, 0)));
    return buf;
}
