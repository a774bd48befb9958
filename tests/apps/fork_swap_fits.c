/* pager-args: -m 4 -s 4
 * fork_swap_fits: with exactly enough free blocks the fork succeeds; the
 * child's own vm_map then finds swap full.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *a = vm_map(NULL, 0);
    char *b = vm_map(NULL, 0);
    a[0] = 'a';
    if (fork() == 0) {
        printf("child maps %s\n", vm_map(NULL, 0) ? "granted" : "refused");
        char x = a[0], y = b[0];
        printf("child reads %c %d\n", x, y);
        return 0;
    }
    vm_yield();
    printf("parent done\n");
    return 0;
}
