/* pager-args: -m 4 -s 8 -w 1
 * cpp_watchdog_pipe_read: a child blocks reading a pipe its parent would
 * write only on its next turn.  The watchdog kills the blocked child
 * after 1 s (one line on stderr) and runs the parent again.
 */
#include <cstdio>
#include <unistd.h>

#include "vm_app.h"

int main()
{
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    if (fork() == 0) {
        close(fds[1]);
        char c;
        printf("child reads the pipe\n");
        ssize_t n = read(fds[0], &c, 1);
        printf("not reached %zd\n", n);
        return 0;
    }
    close(fds[0]);
    vm_yield();                   /* the child runs and blocks */
    printf("parent runs again\n");
    close(fds[1]);
    return 0;
}
