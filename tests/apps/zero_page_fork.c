/* pager-args: -m 4 -s 8
 * zero_page_fork: pages still on the zero page are shared by parent and
 * child; the child's first write takes a fresh frame (no copy, no read)
 * and the parent still reads zeros.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    printf("parent reads %d\n", p[0]);
    if (fork() == 0) {
        p[0] = 'c';
        printf("child wrote %c\n", p[0]);
        return 0;
    }
    vm_yield();
    printf("parent reads %d\n", p[0]);
    return 0;
}
