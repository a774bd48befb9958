/* pager-args: -m 4 -s 3
 * fork_swap_full: a child needs as many swap blocks as its parent has
 * swap-backed pages; when they are not free, fork fails (vm_create -1)
 * and the parent goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *a = vm_map(NULL, 0);
    char *b = vm_map(NULL, 0);
    a[0] = 'a';
    b[0] = 'b';
    pid_t child = fork();
    if (child == 0) {
        printf("child must not run\n");
        return 1;
    }
    printf("fork %s (EAGAIN: %s)\n", child < 0 ? "failed" : "worked",
           errno == EAGAIN ? "yes" : "no");
    char x = a[0], y = b[0];
    printf("parent pages %c %c\n", x, y);
    return 0;
}
