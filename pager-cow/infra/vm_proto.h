/*
 * vm_proto.h - the wire protocol between the pager program and app
 * processes (a Unix-domain SOCK_SEQPACKET socket: one message per send).
 *
 * An app sends requests; the pager answers every request that returns to
 * the app with one reply carrying the app's whole page table, which the app
 * library applies to its arena before it goes on.  Only the running app
 * sends requests (besides HELLO, the first message of every connection).
 *
 *   HELLO  {parent, pid}      a new app (constructor, or a fork child)
 *   FORK   {pid = child}      the running app forked 'child'
 *   FAULT  {addr, write}      a disallowed access in the arena
 *   MAP    {addr = filename pointer, block}
 *   YIELD                     let the next ready app run
 *   EXIT                      the app is exiting (no reply)
 *
 * Replies: RUN {result, table} resumes the app; REFUSED tells a new app the
 * pager would not create it; KILLED tells the app its fault was rejected.
 * The first reply on a connection carries the physical memory's memfd
 * (SCM_RIGHTS).
 */
#ifndef PAGELAB_VM_PROTO_H
#define PAGELAB_VM_PROTO_H

#include <stdint.h>
#include <sys/types.h>

#include "vm_arena.h"

/* Environment variable naming the socket (the pager's -S option wins). */
#define VMPROTO_SOCKET_ENV "VM_PAGER_SOCKET"

enum vmproto_op {
    VMPROTO_HELLO = 1,
    VMPROTO_FORK,
    VMPROTO_FAULT,
    VMPROTO_MAP,
    VMPROTO_YIELD,
    VMPROTO_EXIT,
};

enum vmproto_reply_kind {
    VMPROTO_RUN = 1,
    VMPROTO_REFUSED,
    VMPROTO_KILLED,
};

/* Page access in a reply's table. */
enum vmproto_prot { VMPROTO_NONE = 0, VMPROTO_R = 1, VMPROTO_RW = 2 };

struct vmproto_request {
    uint32_t op;       /* enum vmproto_op */
    int32_t pid;       /* HELLO: the app; FORK: the child */
    int32_t parent;    /* HELLO: the parent process */
    uint32_t write;    /* FAULT: 1 for a store */
    uint64_t addr;     /* FAULT: the address; MAP: the filename pointer */
    uint32_t block;    /* MAP */
    uint32_t pad;
};

struct vmproto_reply {
    uint32_t kind;                      /* enum vmproto_reply_kind */
    uint32_t memory_pages;              /* frames in the memfd */
    int64_t result;                     /* the call's return value */
    uint32_t ppage[VM_ARENA_PAGES];     /* frame of each arena page */
    uint8_t prot[VM_ARENA_PAGES];       /* enum vmproto_prot */
};

/* The socket path: $VM_PAGER_SOCKET, or a per-user default in /tmp.
 * Writes at most size bytes into buf and returns buf. */
char *vmproto_socket_path(char *buf, size_t size);

/* Send one message of len bytes on fd, passing pass_fd along when it is
 * >= 0.  Returns 0, or -1 with errno set (EPIPE when the peer is gone). */
int vmproto_send(int fd, const void *msg, size_t len, int pass_fd);

/* Receive one message of exactly len bytes.  A passed descriptor is stored
 * in *got_fd (else -1; got_fd may be NULL, then it is closed).  Returns 0,
 * or -1 on end of file (errno 0), a short message (EPROTO) or an error. */
int vmproto_recv(int fd, void *msg, size_t len, int *got_fd);

#endif
