/* pager-args: -m 4 -s 8
 * invalid_address: touching an arena page that was never mapped is
 * rejected; the app is killed with a message while its child, waiting in
 * the ready queue, runs on.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    if (fork() == 0) {
        printf("child runs after the crash, reads %d\n", p[0]);
        return 0;
    }
    volatile char *bad = (char *)VM_ARENA_BASEADDR + 3 * VM_PAGESIZE + 7;
    printf("parent touches an invalid page\n");
    *bad = 1;
    printf("not reached\n");
    return 0;
}
