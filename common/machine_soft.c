/*
 * machine_soft.c - the software MMU backend: accessors translate through
 * the stage's PTE array; a fault is a plain call of the fault handler.
 *
 * An access, by an attached thread with slot s:
 *   1. s.epoch++ (now odd: "inside an access"), a sequentially consistent
 *      store (only the owner writes its epoch, so no read-modify-write);
 *   2. load the PTE (sequentially consistent); if it is not VALID, or the
 *      access is a write and it is not writable: s.epoch++ (even), call the
 *      fault handler outside the window, and start again;
 *   3. set the accessed bit with a compare-exchange if it is clear (a lost
 *      race re-reads the PTE: step 2);
 *   4. load or store the word in the frame through the kernel window
 *      (relaxed atomics);
 *   5. s.epoch++ (even: left), a release store.
 *
 * The shootdown contract.  A stage changes the PTE first, then calls
 * machine_unmap, which snapshots every used slot's epoch and waits (with
 * sched_yield) until each slot that was odd has changed.  Why that is
 * enough: steps 1-2 and the stage's PTE store then the snapshot are two
 * sequentially consistent store-load pairs (Dekker), so either the
 * accessor's PTE load sees the new PTE, or the snapshot sees its odd
 * epoch and unmap waits for step 5.  Step 5 is a release and the wait's
 * load an acquire, so everything the access did happens before unmap
 * returns, and the stage can then write or reuse the frame.  Accesses that
 * start after the snapshot see the new PTE.
 *
 * Invariants:
 *   1. A slot's epoch is odd exactly while its thread is between steps 1
 *      and 5.  The fault handler always runs with the epoch even (so it may
 *      itself unmap); the test-only access hook runs with it odd (it is how
 *      a test parks a thread inside the window).
 *   2. Only the slot's owner writes its epoch.
 *
 * Locking: none; the stage's locks are never taken here.
 */
#include "machine_impl.h"
#include "panic.h"

#include <errno.h>
#include <sched.h>

/* Wait until every thread that is inside an access now has left it.
 * Only slots below slots_high were ever claimed: a thread claiming a
 * higher one raises slots_high before its first access, so if this load
 * misses the raise, that access comes later in the sequentially
 * consistent order than the stage's PTE store, and sees it. */
void machine_soft_shootdown(struct machine *m)
{
    uint64_t snap[MACHINE_MAX_THREADS];
    unsigned n = atomic_load(&m->slots_high);
    for (unsigned i = 0; i < n; i++)
        snap[i] = atomic_load(&m->slots[i].epoch);
    for (unsigned i = 0; i < n; i++) {
        if ((snap[i] & 1) == 0)
            continue;
        while (atomic_load(&m->slots[i].epoch) == snap[i])
            sched_yield();
    }
    stats_add(m->counts, MACHINE_COUNT_UNMAP_CALLS, 1);
}

/* Inside the window (epoch odd): translate va for the access.  Returns
 * the word's kernel-window address, or NULL when the access must fault. */
static uint64_t *machine_soft_translate(struct machine *m, uint64_t va,
                                        bool is_write)
{
    pte_cell_t *cell = &m->ptes[machine_vpn(m, va)];
    pte_t pte = pte_load(cell);
    for (;;) {
        if (pte_format(pte) != PTE_VALID || (is_write && !pte_writable(pte)))
            return NULL;
        if (pte_accessed(pte) ||
            pte_cas(cell, &pte, pte_with_accessed(pte, true)))
            break;
    }
    uint8_t *frame = machine_frame(m, pte_frame(pte));
    return (uint64_t *)(frame + (va & (MACHINE_PAGE_SIZE - 1)));
}

/* Access the word at va (valid, aligned) for the thread owning slot
 * through the PTEs, calling the fault handler until the translation allows
 * the access.  Returns 0 or the handler's error.  Aborts if no page table
 * was set. */
int machine_soft_access(struct machine *m, struct machine_slot *slot,
                        uint64_t va, uint64_t *value, bool is_write)
{
    if (m->ptes == NULL)
        panic("machine_soft_access", "no page table set");
    /* Only this thread writes its epoch: plain stores, no read-modify-
     * write.  Entering must be sequentially consistent (the Dekker pair
     * with the PTE load); leaving only needs release. */
    uint64_t epoch = atomic_load_explicit(&slot->epoch, memory_order_relaxed);
    for (;; epoch += 2) {
        atomic_store(&slot->epoch, epoch + 1);
        uint64_t *word = machine_soft_translate(m, va, is_write);
        if (word != NULL) {
            if (m->access_hook != NULL)
                m->access_hook(m->access_hook_ctx, va);
            if (is_write)
                __atomic_store_n(word, *value, __ATOMIC_RELAXED);
            else
                *value = __atomic_load_n(word, __ATOMIC_RELAXED);
            atomic_store_explicit(&slot->epoch, epoch + 2,
                                  memory_order_release);
            return 0;
        }
        atomic_store_explicit(&slot->epoch, epoch + 2, memory_order_release);
        int rc = machine_call_fault(m, va, is_write);
        if (rc != 0)
            return rc;
    }
}
