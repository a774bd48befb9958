/*
 * list.c - intrusive doubly linked lists with a sentinel and a count.
 *
 * See list.h for the invariants.  Every operation is O(1) except
 * list_check, which walks the ring.  Misuse (removing a node that is on no
 * list, inserting one that is already linked) aborts with "function: reason".
 */
#include "list.h"
#include "panic.h"

#include <stdio.h>
#include <stdlib.h>

/* Make l an empty ring through its sentinel. */
void list_init(struct list *l)
{
    l->head.next = &l->head;
    l->head.prev = &l->head;
    l->count = 0;
}

/* Mark n as on no list. */
void list_node_init(struct list_node *n)
{
    n->next = NULL;
    n->prev = NULL;
}

/* True when n is on some list. */
bool list_node_linked(const struct list_node *n)
{
    return n->next != NULL;
}

/* Link n between prev and next (n on no list). */
static void list_insert_between(struct list *l, struct list_node *n,
                                struct list_node *prev,
                                struct list_node *next)
{
    if (list_node_linked(n))
        panic("list_insert", "node is already on a list");
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
    l->count++;
}

/* Insert n at the tail of l. */
void list_push_tail(struct list *l, struct list_node *n)
{
    list_insert_between(l, n, l->head.prev, &l->head);
}

/* Insert n at the head of l. */
void list_push_head(struct list *l, struct list_node *n)
{
    list_insert_between(l, n, &l->head, l->head.next);
}

/* Unlink n from l; n must be on l. */
void list_remove(struct list *l, struct list_node *n)
{
    if (!list_node_linked(n))
        panic("list_remove", "node is on no list");
    if (l->count == 0)
        panic("list_remove", "list is empty");
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list_node_init(n);
    l->count--;
}

/* Remove and return the head, or NULL when empty. */
struct list_node *list_pop_head(struct list *l)
{
    struct list_node *n = list_head(l);
    if (n != NULL)
        list_remove(l, n);
    return n;
}

/* The first node, or NULL when empty. */
struct list_node *list_head(const struct list *l)
{
    return l->count == 0 ? NULL : l->head.next;
}

/* The last node, or NULL when empty. */
struct list_node *list_tail(const struct list *l)
{
    return l->count == 0 ? NULL : l->head.prev;
}

/* The node after n, or NULL when n is the last. */
struct list_node *list_next(const struct list *l, const struct list_node *n)
{
    return n->next == &l->head ? NULL : n->next;
}

bool list_empty(const struct list *l)
{
    return l->count == 0;
}

uint64_t list_count(const struct list *l)
{
    return l->count;
}

/* Walk the ring both ways; 0 when links and count agree, -1 otherwise. */
int list_check(const struct list *l)
{
    uint64_t seen = 0;
    const struct list_node *n = &l->head;
    do {
        if (n->next == NULL || n->next->prev != n)
            return -1;
        n = n->next;
        if (n != &l->head && ++seen > l->count)
            return -1;
    } while (n != &l->head);
    return seen == l->count ? 0 : -1;
}
