/* pager-args: -m 2 -s 8
 * swap_block_reuse: a child's pages take swap blocks 0 and 1; when it exits
 * they are freed with no I/O, and the parent's next evicted page gets the
 * lowest free block again (block 0).
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    pid_t child = fork();
    if (child == 0) {
        char *a = vm_map(NULL, 0);
        char *b = vm_map(NULL, 0);
        char *c = vm_map(NULL, 0);
        a[0] = 1;
        b[0] = 2;   /* a -> block 0 */
        c[0] = 3;   /* b -> block 1 */
        printf("child done\n");
        return 0;
    }
    vm_yield();     /* the child runs to its end */
    char *x = vm_map(NULL, 0);
    char *y = vm_map(NULL, 0);
    x[0] = 'x';
    y[0] = 'y';     /* x -> lowest free block: 0 again */
    printf("parent reads %c\n", x[0]);
    return 0;
}
