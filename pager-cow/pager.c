/*
 * pager.c - the pager of pager-cow: swap- and file-backed pages, a clock
 * (second chance) replacement queue, copy-on-write fork and a pinned zero
 * page, for the processes the infrastructure runs (see vm_pager.h and the
 * policy in README.md, whose rule numbers the comments below cite).
 *
 * Data structures
 *   process  one per managed pid: the page table the MMU reads and one
 *            mapping record per arena page.  Valid pages are exactly
 *            0 .. nvalid-1: vm_map hands out the lowest invalid page and
 *            nothing ever unmaps a single page.
 *   mapping  one arena page of one process: the page it shows.
 *   page     the contents mappings show.  A swap-backed page is shared by
 *            its copy-on-write sharers; a file-backed page by every mapping
 *            of its (filename, block).  page->mappers is the reverse map
 *            from the contents to every PTE that shows it.
 *   frame    one physical page: the page it holds, its reference and dirty
 *            bits, and its link in the clock queue.
 *
 * A page is in one of three states (README.md has the diagram):
 *   ZERO      swap-backed, never written: maps frame 0 read-only.
 *   RESIDENT  in a frame, on the clock queue.
 *   ON_DISK   in its file block, or in its swap block.
 *
 * Invariants
 *   1. Frame 0 is all zeros, holds no page and is never on the clock queue.
 *   2. A page is RESIDENT iff it holds a frame f > 0; then frames[f].page
 *      is that page and f is on the clock queue.  Free frames hold no page
 *      and are on no queue; nfree counts them.
 *   3. Every PTE of a valid mapping equals what page_pte computes from its
 *      page (state, frame bits, sharers), and page_sync sets all of them
 *      at once: mappers of a page change together.  Invalid pages have
 *      no access.
 *   4. A ZERO page owns no frame and no swap block.  An ON_DISK swap page
 *      owns a swap block; so does a clean RESIDENT swap page (its block
 *      holds the same bytes).
 *   5. swap_reserved is the number of swap-backed mappings in all
 *      processes, never above swap_blocks; blocks in use never exceed it,
 *      so giving a page a block when it is first written cannot fail.
 *   6. A page without mappers is a RESIDENT file page (kept cached); every
 *      other page without mappers has been freed.
 *   7. Every file page is on file_pages, and no two have the same
 *      (filename, block).
 *
 * Debug and test builds (PAGELAB_DEBUG) check every invariant after each
 * call (pager_check) and poison frames as they are taken from or returned
 * to the free frames.
 *
 * Locking: none.  The infrastructure calls the pager from one thread.
 */
#include "vm_pager.h"
#include "vm_infra.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SOLUTION
#include "list.h"
#include "panic.h"

#define NO_BLOCK UINT32_MAX
#define MAX_FRAMES (1u << 20) /* ppage is a 20-bit field */

enum page_kind { PAGE_SWAP, PAGE_FILE };
enum page_state { PAGE_ZERO, PAGE_RESIDENT, PAGE_ON_DISK };

struct page {
    enum page_kind kind;
    enum page_state state;
    char *filename;       /* PAGE_FILE: private copy of the name */
    unsigned block;       /* file block, or swap block (NO_BLOCK: none yet) */
    unsigned frame;       /* RESIDENT: the frame holding it; otherwise 0 */
    struct list mappers;  /* struct mapping: every PTE showing this page */
    struct list_node file_link; /* PAGE_FILE: on pager.file_pages */
};

struct mapping {
    struct process *proc;
    unsigned vpn;
    struct page *page;           /* NULL: invalid arena page */
    struct list_node rmap_link;  /* on page->mappers */
};

struct process {
    pid_t pid;
    unsigned nvalid;             /* pages 0 .. nvalid-1 are valid */
    page_table_t table;          /* what page_table_base_register shows */
    struct mapping maps[VM_ARENA_PAGES];
    struct list_node link;       /* on pager.processes */
};

struct frame {
    struct page *page;           /* NULL: free (or frame 0) */
    bool referenced;
    bool dirty;
    struct list_node clock_link; /* on pager.clock while RESIDENT */
};

static struct {
    bool ready;                  /* vm_init succeeded */
    unsigned nframes;
    unsigned nfree;
    struct frame *frames;        /* nframes records; [0] is the zero page */
    struct list clock;           /* resident frames, head = next candidate */
    unsigned swap_blocks;
    unsigned swap_reserved;
    bool *swap_used;             /* swap_blocks flags */
    struct list processes;
    struct list file_pages;
    struct process *current;     /* NULL before vm_switch / after exit */
} pager;

/* Kernel address of frame f in physical memory. */
static char *frame_addr(unsigned f)
{
    return (char *)vm_physmem + (size_t)f * VM_PAGESIZE;
}

#ifdef PAGELAB_DEBUG
#define POISON_FRESH 0xa1 /* a frame just taken from the free frames */
#define POISON_FREED 0xf5 /* a frame just made free */
/* Debug builds: fill frame f with a poison byte, so a page that relies on
 * bytes it never wrote is caught. */
static void frame_poison(unsigned f, int byte)
{
    memset(frame_addr(f), byte, VM_PAGESIZE);
}
#else
#define POISON_FRESH 0
#define POISON_FREED 0
static void frame_poison(unsigned f, int byte)
{
    (void)f;
    (void)byte;
}
#endif

/* A frame taken by frame_alloc but left unused goes back to the free
 * frames. */
static void frame_unuse(unsigned f)
{
    frame_poison(f, POISON_FREED);
    pager.nfree++;
}

/* A swap-backed page seen by more than one process (rule 7). */
static bool page_cow_shared(const struct page *p)
{
    return p->kind == PAGE_SWAP && list_count(&p->mappers) > 1;
}

/* The PTE every mapping of p must have (invariant 3): ZERO maps frame 0
 * read-only; a RESIDENT page is readable when referenced, and writable
 * too when dirty and not copy-on-write shared (rules 4 and 7); an ON_DISK
 * page is not accessible. */
static page_table_entry_t page_pte(const struct page *p)
{
    page_table_entry_t pte = { .ppage = p->frame };
    pte.read_enable = p->state == PAGE_ZERO;
    pte.write_enable = 0;
    if (p->state == PAGE_RESIDENT) {
        const struct frame *f = &pager.frames[p->frame];
        pte.read_enable = f->referenced;
        pte.write_enable = f->referenced && f->dirty && !page_cow_shared(p);
    }
    return pte;
}

/* Set the PTE of every mapping of p from p's state (rule 6: they change
 * together). */
static void page_sync(struct page *p)
{
    page_table_entry_t pte = page_pte(p);
    for (struct list_node *n = list_head(&p->mappers); n != NULL;
         n = list_next(&p->mappers, n)) {
        struct mapping *m = list_entry(n, struct mapping, rmap_link);
        m->proc->table.ptes[m->vpn] = pte;
    }
}

/* A new page of the given kind and state with no mappers, or NULL when
 * memory runs out.  filename (PAGE_FILE) becomes the page's. */
static struct page *page_new(enum page_kind kind, enum page_state state,
                             char *filename, unsigned block)
{
    struct page *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->kind = kind;
    p->state = state;
    p->filename = filename;
    p->block = block;
    list_init(&p->mappers);
    list_node_init(&p->file_link);
    if (kind == PAGE_FILE)
        list_push_tail(&pager.file_pages, &p->file_link);
    return p;
}

/* Free p, which holds no frame and has no mappers, with its swap block or
 * its file_pages entry. */
static void page_free(struct page *p)
{
    if (p->state == PAGE_RESIDENT || !list_empty(&p->mappers))
        panic("page_free", "page still resident or mapped");
    if (p->kind == PAGE_FILE)
        list_remove(&pager.file_pages, &p->file_link);
    else if (p->block != NO_BLOCK)
        pager.swap_used[p->block] = false;
    free(p->filename);
    free(p);
}

/* Show p at mapping m (invalid until now) and set m's PTE. */
static void mapping_attach(struct mapping *m, struct page *p)
{
    m->page = p;
    list_push_tail(&p->mappers, &m->rmap_link);
    page_sync(p);
}

/* Frame f (resident, queued) becomes free; no I/O. */
static void frame_release(unsigned f)
{
    list_remove(&pager.clock, &pager.frames[f].clock_link);
    pager.frames[f].page = NULL;
    pager.frames[f].dirty = false;
    pager.frames[f].referenced = false;
    pager.nfree++;
}

/* Put page p into frame f (taken by frame_alloc): the tail of the clock
 * queue, reference bit set (rule 3), dirty as given. */
static void frame_attach(unsigned f, struct page *p, bool dirty)
{
    struct frame *fr = &pager.frames[f];
    fr->page = p;
    fr->referenced = true;
    fr->dirty = dirty;
    list_push_tail(&pager.clock, &fr->clock_link);
    p->state = PAGE_RESIDENT;
    p->frame = f;
}

/* m stops showing its page; the page loses a mapper.  The last sharer of
 * a swap page regains write access at once (rule 7); a page nobody maps is
 * freed with its frame and swap block, without I/O (rule 8), except a
 * resident file page, which stays cached (rule 6). */
static void mapping_detach(struct mapping *m)
{
    struct page *p = m->page;
    list_remove(&p->mappers, &m->rmap_link);
    m->page = NULL;
    if (!list_empty(&p->mappers)) {
        page_sync(p);
        return;
    }
    if (p->kind == PAGE_FILE && p->state == PAGE_RESIDENT)
        return;
    if (p->state == PAGE_RESIDENT) {
        frame_release(p->frame);
        frame_poison(p->frame, POISON_FREED);
        p->state = PAGE_ON_DISK;
        p->frame = 0;
    }
    page_free(p);
}

/* Write p's frame to its file block, or to its swap block (given the
 * lowest free one if it has none yet: rule 5).  0, or -1 when file_write
 * fails. */
static int page_write_back(struct page *p)
{
    if (p->kind == PAGE_FILE)
        return file_write(p->filename, p->block, frame_addr(p->frame));
    if (p->block == NO_BLOCK) {
        unsigned b = 0;
        while (b < pager.swap_blocks && pager.swap_used[b])
            b++;
        if (b == pager.swap_blocks)
            panic("page_write_back", "no swap block despite reservation");
        pager.swap_used[b] = true;
        p->block = b;
    }
    return file_write(NULL, p->block, frame_addr(p->frame));
}

/* The clock (rule 3): give referenced heads a second chance (bit cleared,
 * access disabled, moved to the tail); evict the first unreferenced head,
 * writing it back if dirty.  0 with its frame in *out, or -1 when the
 * queue is empty or the write-back failed (the victim then stays
 * resident and dirty, at the tail, unreferenced). */
static int frame_evict(unsigned *out)
{
    struct list_node *n;
    while ((n = list_pop_head(&pager.clock)) != NULL) {
        struct frame *fr = list_entry(n, struct frame, clock_link);
        struct page *p = fr->page;
        list_push_tail(&pager.clock, n);
        if (fr->referenced) {
            fr->referenced = false;
            page_sync(p);
            continue;
        }
        if (fr->dirty && page_write_back(p) != 0)
            return -1;
        *out = p->frame;
        frame_release(p->frame);
        p->state = PAGE_ON_DISK;
        p->frame = 0;
        page_sync(p);
        if (list_empty(&p->mappers))
            page_free(p);
        pager.nfree--;
        return 0;
    }
    return -1;
}

/* A frame for new contents: the lowest free frame, else the clock's victim
 * (rule 3).  0 with the frame in *out (free, on no queue), or -1. */
static int frame_alloc(unsigned *out)
{
    if (pager.nfree == 0)
        return frame_evict(out);
    for (unsigned f = 1; f < pager.nframes; f++) {
        if (pager.frames[f].page == NULL) {
            pager.nfree--;
            frame_poison(f, POISON_FRESH);
            *out = f;
            return 0;
        }
    }
    panic("frame_alloc", "free count disagrees with the frame table");
    return -1;
}

/* Bring ON_DISK page p in from its file or swap block (rule 2: only now);
 * dirty when a write brought it.  0, or -1 when no frame can be had or
 * the read fails (the frame is then free again). */
static int page_load(struct page *p, bool dirty)
{
    unsigned f;
    if (frame_alloc(&f) != 0)
        return -1;
    const char *name = p->kind == PAGE_FILE ? p->filename : NULL;
    if (file_read(name, p->block, frame_addr(f)) != 0) {
        frame_unuse(f);
        return -1;
    }
    frame_attach(f, p, dirty);
    page_sync(p);
    return 0;
}

/* A read fault on p: a ZERO page is always readable; a resident page gets
 * its reference bit back without moving (rule 4); an ON_DISK page is read
 * in, clean.  0, or -1 when the read fails. */
static int fault_read(struct page *p)
{
    if (p->state == PAGE_ON_DISK)
        return page_load(p, false);
    if (p->state == PAGE_RESIDENT) {
        pager.frames[p->frame].referenced = true;
        page_sync(p);
    }
    return 0;
}

/* Fill frame f (just allocated) with src's bytes.  src_frame is the frame
 * src held before the allocation: when the clock chose src itself, f is
 * that frame and already holds them.  0, or -1 when a swap read fails. */
static int page_copy_into(const struct page *src, unsigned src_frame,
                          unsigned f)
{
    if (src->state == PAGE_ZERO)
        memset(frame_addr(f), 0, VM_PAGESIZE);
    else if (src->state == PAGE_RESIDENT)
        memcpy(frame_addr(f), frame_addr(src->frame), VM_PAGESIZE);
    else if (src_frame != f)
        return file_read(NULL, src->block, frame_addr(f));
    return 0;
}

/* A write to a ZERO or copy-on-write shared page (rules 1 and 7): m gets
 * a private, dirty, writable copy in a new frame; the source loses m.  A
 * source still resident once the frame is found was just read: its
 * reference bit is set (its other sharers regain read access); a source
 * the clock evicted for the copy is not resident and gets nothing.
 * 0, or -1 (nothing changed except evictions) when memory runs out or
 * the swap read fails. */
static int fault_write_private(struct mapping *m)
{
    struct page *src = m->page;
    unsigned src_frame = src->frame, f;
    struct page *copy = page_new(PAGE_SWAP, PAGE_ON_DISK, NULL, NO_BLOCK);
    if (copy == NULL)
        return -1;
    if (frame_alloc(&f) != 0) {
        page_free(copy);
        return -1;
    }
    if (page_copy_into(src, src_frame, f) != 0) {
        frame_unuse(f);
        page_free(copy);
        return -1;
    }
    if (src->state == PAGE_RESIDENT)
        pager.frames[src->frame].referenced = true;
    mapping_detach(m);
    frame_attach(f, copy, true);
    mapping_attach(m, copy);
    return 0;
}

/* A write fault at m: private copy for ZERO and shared swap pages; an
 * ON_DISK page is read in dirty; a resident one becomes referenced and
 * dirty, for every mapper at once (rule 6).  0 or -1. */
static int fault_write(struct mapping *m)
{
    struct page *p = m->page;
    if (p->state == PAGE_ZERO || page_cow_shared(p))
        return fault_write_private(m);
    if (p->state == PAGE_ON_DISK)
        return page_load(p, true);
    pager.frames[p->frame].referenced = true;
    pager.frames[p->frame].dirty = true;
    page_sync(p);
    return 0;
}

/* The valid mapping of proc holding arena address va, or NULL when proc
 * is NULL or va lies outside the valid part of its arena. */
static struct mapping *mapping_at(struct process *proc, uintptr_t va)
{
    uintptr_t base = (uintptr_t)VM_ARENA_BASEADDR;
    if (proc == NULL || va < base || va - base >= VM_ARENA_SIZE)
        return NULL;
    unsigned vpn = (unsigned)((va - base) / VM_PAGESIZE);
    return vpn < proc->nvalid ? &proc->maps[vpn] : NULL;
}

/* Copy the C string at arena address va of proc into a new heap string,
 * making each page it touches readable as a read fault would (rule 9).
 * NULL when the string leaves the valid arena, a fault fails or memory
 * runs out. */
static char *arena_string(struct process *proc, uintptr_t va)
{
    size_t len = 0, cap = 64;
    char *s = malloc(cap);
    for (; s != NULL; va++) {
        struct mapping *m = mapping_at(proc, va);
        if (m == NULL || (!proc->table.ptes[m->vpn].read_enable &&
                          fault_read(m->page) != 0))
            break;
        unsigned ppage = proc->table.ptes[m->vpn].ppage;
        char c = frame_addr(ppage)[va % VM_PAGESIZE];
        if (len == cap) {
            char *bigger = realloc(s, cap *= 2);
            if (bigger == NULL)
                break;
            s = bigger;
        }
        s[len++] = c;
        if (c == '\0')
            return s;
    }
    free(s);
    return NULL;
}

/* The file page for (name at arena address va, block): the existing one
 * (resident, cached or on disk: rule 6) or a new ON_DISK one; nothing is
 * read from the file (rule 2).  NULL when the name cannot be read. */
static struct page *file_page_get(struct process *proc, uintptr_t va,
                                  unsigned block)
{
    char *name = arena_string(proc, va);
    if (name == NULL)
        return NULL;
    for (struct list_node *n = list_head(&pager.file_pages); n != NULL;
         n = list_next(&pager.file_pages, n)) {
        struct page *p = list_entry(n, struct page, file_link);
        if (p->block == block && strcmp(p->filename, name) == 0) {
            free(name);
            return p;
        }
    }
    struct page *p = page_new(PAGE_FILE, PAGE_ON_DISK, name, block);
    if (p == NULL)
        free(name);
    return p;
}

/* A new ZERO swap page with one more swap block reserved (rule 5), or
 * NULL when every block is reserved or memory runs out. */
static struct page *swap_page_new(void)
{
    if (pager.swap_reserved == pager.swap_blocks)
        return NULL;
    struct page *p = page_new(PAGE_SWAP, PAGE_ZERO, NULL, NO_BLOCK);
    if (p != NULL)
        pager.swap_reserved++;
    return p;
}

/* The managed process pid, or NULL. */
static struct process *process_find(pid_t pid)
{
    for (struct list_node *n = list_head(&pager.processes); n != NULL;
         n = list_next(&pager.processes, n)) {
        struct process *proc = list_entry(n, struct process, link);
        if (proc->pid == pid)
            return proc;
    }
    return NULL;
}

/* Number of swap-backed pages in proc's arena. */
static unsigned process_swap_pages(const struct process *proc)
{
    unsigned count = 0;
    for (unsigned v = 0; v < proc->nvalid; v++)
        count += proc->maps[v].page->kind == PAGE_SWAP;
    return count;
}

/* Give child (empty) every page of parent: swap pages shared
 * copy-on-write (the parent loses write access), file pages shared; no
 * data moves (rule 2). */
static void process_share(struct process *child, struct process *parent)
{
    for (unsigned v = 0; v < parent->nvalid; v++) {
        struct page *p = parent->maps[v].page;
        mapping_attach(&child->maps[v], p);
        child->nvalid++;
    }
}

/* Release every page of proc (swap blocks unreserved) and free it. */
static void process_free(struct process *proc)
{
    for (unsigned v = 0; v < proc->nvalid; v++) {
        if (proc->maps[v].page->kind == PAGE_SWAP)
            pager.swap_reserved--;
        mapping_detach(&proc->maps[v]);
    }
    list_remove(&pager.processes, &proc->link);
    free(proc);
}

/* Free every process, cached page and table; the pager is not ready. */
static void pager_reset(void)
{
    struct list_node *n;
    while ((n = list_head(&pager.processes)) != NULL)
        process_free(list_entry(n, struct process, link));
    while ((n = list_head(&pager.file_pages)) != NULL) {
        struct page *p = list_entry(n, struct page, file_link);
        frame_release(p->frame);
        p->state = PAGE_ON_DISK;
        page_free(p);
    }
    free(pager.frames);
    free(pager.swap_used);
    memset(&pager, 0, sizeof(pager));
    list_init(&pager.processes);
    list_init(&pager.file_pages);
    list_init(&pager.clock);
    page_table_base_register = NULL;
}
#ifdef PAGELAB_DEBUG
/* The debug checker (debug and test builds): after every call it walks
 * the whole state and aborts with "pager_check: reason" on the first
 * broken invariant.  Conditions are combined with | and & so that a
 * healthy run leaves no branch of the checker untaken but one. */
static void check(bool ok, const char *reason)
{
    if (!ok)
        panic("pager_check", reason);
}

/* Invariants 1 and 2. */
static void check_frames(void)
{
    static const char zeros[VM_PAGESIZE];
    unsigned nfree = 0;
    check(memcmp(frame_addr(0), zeros, VM_PAGESIZE) == 0,
          "the zero page is not all zeros");
    for (unsigned f = 1; f < pager.nframes; f++)
        nfree += pager.frames[f].page == NULL;
    check(nfree == pager.nfree, "the free frame count is wrong");
    check(pager.frames[0].page == NULL, "frame 0 holds a page");
    check(list_count(&pager.clock) + nfree + 1 == pager.nframes,
          "queued and free frames do not add up to memory");
    for (struct list_node *n = list_head(&pager.clock); n != NULL;
         n = list_next(&pager.clock, n)) {
        const struct frame *fr = list_entry(n, struct frame, clock_link);
        check(fr->page != NULL, "a queued frame holds no page");
        check(fr->page->frame == (unsigned)(fr - pager.frames),
              "a queued frame's page names another frame");
        check(fr->page->state == PAGE_RESIDENT,
              "a queued frame's page is not resident");
    }
}

/* Invariant 4 for page p. */
static void check_page(const struct page *p)
{
    bool swap = p->kind == PAGE_SWAP, resident = p->state == PAGE_RESIDENT;
    check(p->frame < pager.nframes, "a page names a frame beyond memory");
    check(resident == (p->frame != 0), "a page's frame disagrees with its state");
    check(!resident | (pager.frames[p->frame].page == p),
          "a resident page's frame holds another page");
    check((p->state != PAGE_ZERO) | (swap & (p->block == NO_BLOCK)),
          "a ZERO page is file-backed or owns a swap block");
    check(!swap | (p->state != PAGE_ON_DISK) | (p->block != NO_BLOCK),
          "a swap page on disk owns no swap block");
    check(!swap | !resident | pager.frames[p->frame].dirty |
          (p->block != NO_BLOCK), "a clean resident swap page owns no block");
    check(!swap | (p->block == NO_BLOCK) | (p->block < pager.swap_blocks),
          "a swap page owns a block beyond the swap file");
}

/* Invariant 3 for proc; adds its swap-backed mappings to *swap_maps. */
static void check_process(const struct process *proc, unsigned *swap_maps)
{
    for (unsigned v = 0; v < VM_ARENA_PAGES; v++) {
        const struct page *p = proc->maps[v].page;
        page_table_entry_t pte = proc->table.ptes[v];
        check((v < proc->nvalid) == (p != NULL),
              "the valid pages are not exactly 0..nvalid-1");
        if (p == NULL) {
            check(!pte.read_enable & !pte.write_enable,
                  "an invalid page is accessible");
            continue;
        }
        page_table_entry_t want = page_pte(p);
        check((pte.ppage == want.ppage) &
              (pte.read_enable == want.read_enable) &
              (pte.write_enable == want.write_enable),
              "a PTE disagrees with its page");
        check_page(p);
        *swap_maps += p->kind == PAGE_SWAP;
    }
}

/* Every invariant of the design comment. */
static void pager_check(void)
{
    unsigned swap_maps = 0, used = 0;
    if (!pager.ready)
        return;
    check_frames();
    for (struct list_node *n = list_head(&pager.processes); n != NULL;
         n = list_next(&pager.processes, n))
        check_process(list_entry(n, struct process, link), &swap_maps);
    for (unsigned b = 0; b < pager.swap_blocks; b++)
        used += pager.swap_used[b];
    check(swap_maps == pager.swap_reserved,
          "reservations disagree with the swap-backed mappings");
    check((used <= swap_maps) & (swap_maps <= pager.swap_blocks),
          "more swap blocks in use than reserved, or reserved than exist");
    for (struct list_node *n = list_head(&pager.file_pages); n != NULL;
         n = list_next(&pager.file_pages, n)) {
        const struct page *p = list_entry(n, struct page, file_link);
        check((p->kind == PAGE_FILE) & ((p->state == PAGE_RESIDENT) |
              !list_empty(&p->mappers)), "a file page is neither mapped nor cached");
        check_page(p);
    }
}
#define PAGER_CHECK() pager_check()
#else
#define PAGER_CHECK() ((void)0)
#endif
#endif /* SOLUTION */

/* Start the pager with memory_pages physical pages (page 0 becomes the
 * zero page) and swap_blocks swap blocks.  A second call first frees
 * everything the pager holds (no I/O).  memory_pages must be 1 .. 2^20;
 * otherwise (or when memory runs out) it prints one line on stderr and
 * the pager stays unready: every later call fails. */
void vm_init(unsigned memory_pages, unsigned swap_blocks)
{
#ifdef SOLUTION
    pager_reset();
    if (memory_pages < 1 || memory_pages > MAX_FRAMES) {
        fprintf(stderr, "vm_init: memory_pages must be 1..%u, not %u\n",
                MAX_FRAMES, memory_pages);
        return;
    }
    pager.frames = calloc(memory_pages, sizeof(*pager.frames));
    pager.swap_used = calloc((size_t)swap_blocks + 1, sizeof(*pager.swap_used));
    if (pager.frames == NULL || pager.swap_used == NULL) {
        fprintf(stderr, "vm_init: out of memory\n");
        pager_reset();
        return;
    }
    for (unsigned f = 0; f < memory_pages; f++)
        list_node_init(&pager.frames[f].clock_link);
    memset(vm_physmem, 0, VM_PAGESIZE);
    pager.nframes = memory_pages;
    pager.nfree = memory_pages - 1;
    pager.swap_blocks = swap_blocks;
    pager.ready = true;
    PAGER_CHECK();
#else
    (void)memory_pages;
    (void)swap_blocks;
#endif
}

/* Manage child_pid, forked from parent_pid (see vm_pager.h).  -1 when the
 * pager is not ready, child_pid is already managed, the child's
 * swap-backed pages cannot all be reserved (rule 5) or memory runs out;
 * nothing changes then. */
int vm_create(pid_t parent_pid, pid_t child_pid)
{
#ifdef SOLUTION
    if (!pager.ready || process_find(child_pid) != NULL)
        return -1;
    struct process *parent = process_find(parent_pid);
    unsigned need = parent != NULL ? process_swap_pages(parent) : 0;
    if (need > pager.swap_blocks - pager.swap_reserved)
        return -1;
    struct process *child = calloc(1, sizeof(*child));
    if (child == NULL)
        return -1;
    child->pid = child_pid;
    for (unsigned v = 0; v < VM_ARENA_PAGES; v++) {
        child->maps[v].proc = child;
        child->maps[v].vpn = v;
        list_node_init(&child->maps[v].rmap_link);
    }
    list_push_tail(&pager.processes, &child->link);
    pager.swap_reserved += need;
    if (parent != NULL)
        process_share(child, parent);
    PAGER_CHECK();
    return 0;
#else
    (void)parent_pid;
    (void)child_pid;
    return -1;
#endif
}

/* Run pid: page_table_base_register shows its table.  An unknown pid
 * leaves no process current (one line on stderr), so later calls fail. */
void vm_switch(pid_t pid)
{
#ifdef SOLUTION
    pager.current = process_find(pid);
    page_table_base_register = pager.current ? &pager.current->table : NULL;
    if (pager.current == NULL)
        fprintf(stderr, "vm_switch: pid %ld is not managed\n", (long)pid);
    PAGER_CHECK();
#else
    (void)pid;
#endif
}

/* The current process touched addr without permission.  0 once the access
 * is allowed; -1 when no process is current, addr is outside the valid
 * arena, no frame can be had or a file read fails. */
int vm_fault(const void *addr, bool write_flag)
{
#ifdef SOLUTION
    struct mapping *m = mapping_at(pager.current, (uintptr_t)addr);
    if (m == NULL)
        return -1;
    int rc = write_flag ? fault_write(m) : fault_read(m->page);
    PAGER_CHECK();
    return rc;
#else
    (void)addr;
    (void)write_flag;
    return -1;
#endif
}

/* The current process exits: its pages are released (rule 8; file pages
 * stay cached: rule 6) and no process is current.  Without a current
 * process it prints one line on stderr and does nothing. */
void vm_destroy(void)
{
#ifdef SOLUTION
    if (pager.current == NULL) {
        fprintf(stderr, "vm_destroy: no current process\n");
        return;
    }
    process_free(pager.current);
    pager.current = NULL;
    page_table_base_register = NULL;
    PAGER_CHECK();
#else
#endif
}

/* Make the lowest invalid page of the current process valid (rule 1:
 * swap-backed maps the zero page; rule 2: file-backed reads nothing) and
 * return its address.  NULL when no process is current, the arena is
 * full, no swap block can be reserved, or the name cannot be read. */
void *vm_map(const char *filename, unsigned block)
{
#ifdef SOLUTION
    struct process *proc = pager.current;
    if (proc == NULL || proc->nvalid == VM_ARENA_PAGES)
        return NULL;
    struct page *p = filename == NULL
        ? swap_page_new()
        : file_page_get(proc, (uintptr_t)filename, block);
    char *va = NULL;
    if (p != NULL) {
        struct mapping *m = &proc->maps[proc->nvalid++];
        mapping_attach(m, p);
        va = (char *)VM_ARENA_BASEADDR + (size_t)m->vpn * VM_PAGESIZE;
    }
    PAGER_CHECK();
    return va;
#else
    (void)filename;
    (void)block;
    return NULL;
#endif
}
