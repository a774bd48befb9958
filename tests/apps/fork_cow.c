/* pager-args: -m 4 -s 8
 * fork_cow: after fork a written swap-backed page is shared copy-on-write;
 * the child's write copies it, and the parent keeps its own value.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    strcpy(p, "parent");
    if (fork() == 0) {
        printf("child sees %s\n", p);
        strcpy(p, "child");
        printf("child wrote %s\n", p);
        return 0;
    }
    vm_yield();
    printf("parent still %s\n", p);
    return 0;
}
