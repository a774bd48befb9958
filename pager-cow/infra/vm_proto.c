/*
 * vm_proto.c - message transfer for the pager <-> app protocol.
 *
 * Messages are fixed-size structs on a SOCK_SEQPACKET socket, so one send is
 * one receive.  Invariants:
 *   1. A receive accepts only a message of exactly the expected size; the
 *      caller never sees half a request.
 *   2. A descriptor passed with a message is either handed to the caller or
 *      closed here: none leaks.
 *   3. Sends never raise SIGPIPE (MSG_NOSIGNAL): a vanished peer is an
 *      error return.
 */
#include "vm_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Fill buf with the socket path ($VM_PAGER_SOCKET or the per-user default).
 * Returns buf. */
char *vmproto_socket_path(char *buf, size_t size)
{
    const char *env = getenv(VMPROTO_SOCKET_ENV);
    if (env != NULL && env[0] != '\0')
        snprintf(buf, size, "%s", env);
    else
        snprintf(buf, size, "/tmp/pagelab-pager-%u.sock", (unsigned)getuid());
    return buf;
}

/* Send msg (len bytes) on fd, with pass_fd as SCM_RIGHTS when >= 0.
 * Returns 0, or -1 with errno set. */
int vmproto_send(int fd, const void *msg, size_t len, int pass_fd)
{
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (pass_fd >= 0) {
        memset(&control, 0, sizeof control);
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof control.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if ((size_t)n != len) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

/* Take the descriptor passed in mh (if any): into *got_fd, or closed. */
static void vmproto_take_fd(struct msghdr *mh, int *got_fd)
{
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
         c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
    }
    if (got_fd != NULL)
        *got_fd = fd;
    else if (fd >= 0)
        close(fd);
}

/* Receive one message of exactly len bytes (see vm_proto.h). */
int vmproto_recv(int fd, void *msg, size_t len, int *got_fd)
{
    struct iovec iov = { .iov_base = msg, .iov_len = len };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf };
    if (got_fd != NULL)
        *got_fd = -1;
    ssize_t n;
    do
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    vmproto_take_fd(&mh, got_fd);
    if (n == 0) {
        errno = 0;
        return -1;
    }
    if ((size_t)n != len || (mh.msg_flags & MSG_TRUNC)) {
        if (got_fd != NULL && *got_fd >= 0) {
            close(*got_fd);
            *got_fd = -1;
        }
        errno = EPROTO;
        return -1;
    }
    return 0;
}
