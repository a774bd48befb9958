/*
 * infra_machine.c - physical memory, swap and file I/O for the pager program.
 *
 * Physical memory is one memfd of memory_pages * VM_PAGESIZE bytes.  The
 * pager sees it at vm_physmem, a fixed address: a page-aligned static area
 * sized for INFRA_MAX_MEMORY_PAGES, over which the memfd is mapped
 * (MAP_FIXED); the part past memory_pages is made PROT_NONE so an overrun
 * crashes at once.  Apps map single frames of the same memfd, so the pager's
 * copies and the apps' loads and stores see the same bytes.
 *
 * The swap file is a real, unlinked temporary file, sized (sparsely) to
 * swap_blocks blocks.  file_read / file_write print their trace line, then
 * any error on the following line, exactly as the trace format says.
 *
 * Invariants:
 *   1. A block exists only if it lies entirely inside its file; reading any
 *      other block fails with "block out of range" and copies nothing.
 *   2. A successful file_read fills the whole buffer; a failed one leaves it
 *      untouched.
 *   3. Files named by the pager are opened per call (relative to the
 *      pager's working directory) and closed before the call returns.
 *   4. Only regular files are opened: nothing the pager does can block on
 *      a FIFO or touch a device.
 */
#include "infra_machine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm_infra.h"

#define INFRA_PHYSMEM_BYTES ((size_t)INFRA_MAX_MEMORY_PAGES * VM_PAGESIZE)

static unsigned char infra_physmem_area[INFRA_PHYSMEM_BYTES]
    __attribute__((aligned(4096)));

void *const vm_physmem = infra_physmem_area;
page_table_t *page_table_base_register;

/* The machine's state (the pager program is single-threaded). */
static struct {
    int memfd;
    int swapfd;
    unsigned memory_pages;
} machine = { .memfd = -1, .swapfd = -1 };

/* Print "pager: what: <errno text>" and return -1. */
static int infra_fail(const char *what)
{
    fprintf(stderr, "pager: %s: %s\n", what, strerror(errno));
    return -1;
}

/* Map the memfd over the static area and fence off the rest.  Returns 0 or
 * -1 (message printed). */
static int infra_map_physmem(size_t bytes)
{
    if (mmap(vm_physmem, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             machine.memfd, 0) == MAP_FAILED)
        return infra_fail("mmap of physical memory");
    if (bytes < INFRA_PHYSMEM_BYTES &&
        mprotect(infra_physmem_area + bytes, INFRA_PHYSMEM_BYTES - bytes,
                 PROT_NONE) != 0)
        return infra_fail("mprotect past physical memory");
    return 0;
}

/* Create the unlinked swap file of swap_blocks blocks (fd into
 * machine.swapfd).  Returns 0 or -1 (message printed). */
static int infra_open_swap(unsigned swap_blocks)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/pagelab-swap-XXXXXX", dir);
    machine.swapfd = mkostemp(path, O_CLOEXEC);
    if (machine.swapfd < 0) {
        fprintf(stderr, "pager: cannot create the swap file in %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    unlink(path);
    if (ftruncate(machine.swapfd, (off_t)swap_blocks * VM_PAGESIZE) != 0)
        return infra_fail("swap file size");
    return 0;
}

/* Set up memory and swap (see infra_machine.h). */
int infra_machine_init(unsigned memory_pages, unsigned swap_blocks)
{
    size_t bytes = (size_t)memory_pages * VM_PAGESIZE;
    int rc = 0;
    machine.memfd = memfd_create("pagelab-physmem", MFD_CLOEXEC);
    if (machine.memfd < 0)
        rc = infra_fail("memfd_create");
    else if (ftruncate(machine.memfd, (off_t)bytes) != 0)
        rc = infra_fail("physical memory size");
    machine.memory_pages = rc == 0 ? memory_pages : 0;
    if (rc == 0)
        rc = infra_map_physmem(bytes);
    if (rc == 0)
        rc = infra_open_swap(swap_blocks);
    if (rc != 0)
        infra_machine_fini();
    return rc;
}

/* Close memory and swap; the static area becomes plain zeroed memory
 * again (leak checkers scan it at exit; the PROT_NONE fence would trap
 * them). */
void infra_machine_fini(void)
{
    if (machine.memory_pages != 0 &&
        mmap(vm_physmem, INFRA_PHYSMEM_BYTES, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
        fprintf(stderr, "pager: cannot release physical memory: %s\n",
                strerror(errno));
    if (machine.memfd >= 0)
        close(machine.memfd);
    if (machine.swapfd >= 0)
        close(machine.swapfd);
    machine.memfd = -1;
    machine.swapfd = -1;
    machine.memory_pages = 0;
}

/* The physical memory memfd. */
int infra_machine_memfd(void)
{
    return machine.memfd;
}

/* Frames of physical memory. */
unsigned infra_machine_memory_pages(void)
{
    return machine.memory_pages;
}

/* Print one trace line for a file call. */
static void infra_trace_file(const char *call, const char *filename,
                             unsigned block)
{
    printf("%s\t%s\t%u\n", call, filename != NULL ? filename : "<swap>", block);
}

/* Open filename (NULL: the swap file, dup'ed) with flags.  Only a regular
 * file is opened: a FIFO, socket, device or directory is refused with
 * "open: not a regular file" before open() could block on it (a FIFO
 * without a writer) or act on it (a device); O_NONBLOCK covers a file
 * swapped for a FIFO in between, and fstat catches it.  Returns an fd or
 * -1 with "open: reason" printed. */
static int infra_open_file(const char *filename, int flags)
{
    struct stat st;
    if (filename != NULL && stat(filename, &st) == 0 && !S_ISREG(st.st_mode)) {
        printf("open: not a regular file\n");
        return -1;
    }
    int fd = filename == NULL
        ? dup(machine.swapfd)
        : open(filename, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        printf("open: %s\n", strerror(errno));
    else if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        printf("open: not a regular file\n");
        close(fd);
        return -1;
    }
    return fd;
}

/* Transfer one block at offset with pread or pwrite, looping over short
 * transfers.  Returns 0, or -1 with "read: ..."/"write: ..." printed. */
static int infra_transfer(int fd, bool write, void *buf, off_t offset)
{
    size_t done = 0;
    while (done < VM_PAGESIZE) {
        ssize_t n = write ? pwrite(fd, (char *)buf + done, VM_PAGESIZE - done,
                                   offset + (off_t)done)
                          : pread(fd, (char *)buf + done, VM_PAGESIZE - done,
                                  offset + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            printf("%s: %s\n", write ? "write" : "read",
                   n == 0 ? "unexpected end of file" : strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Open the block's file and check that the block lies inside it.
 * Returns the fd, or -1 with the error printed. */
static int infra_open_block(const char *filename, unsigned block, int flags)
{
    int fd = infra_open_file(filename, flags);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        printf("fstat: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    uint64_t end = ((uint64_t)block + 1) * VM_PAGESIZE;
    if (end > (uint64_t)st.st_size) {
        printf("block out of range\n");
        close(fd);
        return -1;
    }
    return fd;
}

/* Copy block 'block' of filename (NULL: swap) into buf.  Returns 0 or -1
 * (trace and error lines printed). */
int file_read(const char *filename, unsigned int block, void *buf)
{
    infra_trace_file("file_read", filename, block);
    int fd = infra_open_block(filename, block, O_RDONLY);
    if (fd < 0)
        return -1;
    static unsigned char staging[VM_PAGESIZE];
    int rc = infra_transfer(fd, false, staging, (off_t)block * VM_PAGESIZE);
    close(fd);
    if (rc == 0)
        memcpy(buf, staging, VM_PAGESIZE);
    return rc;
}

/* Copy buf into block 'block' of filename (NULL: swap).  Returns 0 or -1
 * (trace and error lines printed). */
int file_write(const char *filename, unsigned int block, const void *buf)
{
    infra_trace_file("file_write", filename, block);
    int fd = infra_open_block(filename, block, O_WRONLY);
    if (fd < 0)
        return -1;
    int rc = infra_transfer(fd, true, (void *)buf, (off_t)block * VM_PAGESIZE);
    close(fd);
    return rc;
}
