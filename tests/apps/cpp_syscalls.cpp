/* pager-args: -m 3 -s 8
 * cpp_syscalls: system calls handed arena ranges behave as if the app had
 * touched them: write(2) and writev(2) of disabled and evicted pages fault
 * them in for reading first; read(2) into a page on the zero page faults it
 * in for writing (a store); send/recv on a socket pair too.
 */
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vm_app.h"

int main()
{
    char *p = static_cast<char *>(vm_map(nullptr, 0));
    char *q = static_cast<char *>(vm_map(nullptr, 0));
    char *r = static_cast<char *>(vm_map(nullptr, 0));
    strcpy(p, "write p\n");
    strcpy(q, "writev q\n");
    r[0] = 'r';                       /* clears p and q, evicts p */
    ssize_t n1 = write(1, p, 8);      /* p on disk: read in, evicts q */
    struct iovec iov[2] = { { q, 9 }, { p, 8 } };
    ssize_t n2 = writev(1, iov, 2);   /* q on disk; its read disables p */
    char *z = static_cast<char *>(vm_map(nullptr, 0));
    int fd = open("notes.txt", O_RDONLY);
    ssize_t n3 = read(fd, z, 16);     /* z is on the zero page */
    close(fd);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    ssize_t n4 = send(sv[0], z, 16, 0);
    ssize_t n5 = recv(sv[1], r + 1, 16, 0);
    close(sv[0]);
    close(sv[1]);
    r[17] = '\0';
    char line[64];
    int len = snprintf(line, sizeof line, "%zd %zd %zd %zd %zd\n", n1, n2, n3,
                       n4, n5);
    write(1, line, static_cast<size_t>(len));
    write(1, r + 1, 16);
    return 0;
}
