/* pager-args: -m 4 -s 8
 * cpp_special_files: a FIFO, a Unix socket and a device as the mapped
 * file.  vm_map succeeds (rule 2: nothing is read), and the first touch
 * fails at once with "open: not a regular file" instead of blocking the
 * pager in open(); each child that touches one is killed, and the parent
 * goes on.
 */
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm_app.h"

/* Fork a child that maps 'name' and touches it; wait for it (yield). */
static void try_file(const char *name)
{
    char *arena_name = static_cast<char *>(vm_map(nullptr, 0));
    strcpy(arena_name, name);
    if (fork() == 0) {
        char *page = static_cast<char *>(vm_map(arena_name, 0));
        printf("%s mapped\n", name);
        printf("%s reads %d\n", name, page[0]);
        _exit(0);
    }
    vm_yield();
}

int main()
{
    mkfifo("fifo", 0600);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, "unix-socket");
    bind(s, reinterpret_cast<struct sockaddr *>(&addr), sizeof addr);
    try_file("fifo");
    try_file("unix-socket");
    try_file("/dev/zero");
    close(s);
    printf("parent done\n");
    return 0;
}
