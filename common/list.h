/*
 * list.h - intrusive doubly linked lists with a sentinel and a count.
 *
 * A list_node is embedded in the object that sits on the list (the PFN
 * record, for frame lists).  The list head is a sentinel node, so insert
 * and remove never test for "empty" or "first".
 *
 * Invariants:
 *   1. head.next/head.prev form a ring through every node on the list and
 *      back to the sentinel.
 *   2. count equals the number of nodes on the ring (sentinel excluded).
 *   3. A node that is on no list has next == prev == NULL.
 *
 * Locking: none.  The caller protects each list (phase2/3 give every list
 * its own lock).
 */
#ifndef PAGELAB_LIST_H
#define PAGELAB_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct list_node {
    struct list_node *next;
    struct list_node *prev;
};

struct list {
    struct list_node head; /* sentinel */
    uint64_t count;
};

/* Recover the enclosing object from its embedded node. */
#define list_entry(node, type, member) \
    ((type *)((char *)(node) - offsetof(type, member)))

/* Make an empty list. */
void list_init(struct list *l);
/* Mark a node as on no list (invariant 3). */
void list_node_init(struct list_node *n);
/* True when the node is on some list. */
bool list_node_linked(const struct list_node *n);
/* Insert n (on no list) at the tail / head of l. */
void list_push_tail(struct list *l, struct list_node *n);
void list_push_head(struct list *l, struct list_node *n);
/* Remove n, which must be on l; aborts if it is on no list. */
void list_remove(struct list *l, struct list_node *n);
/* Remove and return the head, or NULL when l is empty. */
struct list_node *list_pop_head(struct list *l);
/* The head / tail without removing it, or NULL when empty. */
struct list_node *list_head(const struct list *l);
struct list_node *list_tail(const struct list *l);
/* The node after n on l, or NULL at the end. */
struct list_node *list_next(const struct list *l, const struct list_node *n);
bool list_empty(const struct list *l);
uint64_t list_count(const struct list *l);
/* Walk the ring and verify invariants 1-2; 0 when sound, -1 otherwise. */
int list_check(const struct list *l);

#endif
