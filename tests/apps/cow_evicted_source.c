/* pager-args: -m 3 -s 8
 * cow_evicted_source: a copy-on-write page that was evicted to swap is
 * shared through its swap block; the child's write reads it back, then
 * copies it into its own frame.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    char *q = vm_map(NULL, 0);
    char *r = vm_map(NULL, 0);
    strcpy(p, "shared");
    q[0] = 'q';
    r[0] = 'r';                 /* evicts p to swap */
    if (fork() == 0) {
        strcpy(p + 6, "+child");
        printf("child %s\n", p);
        return 0;
    }
    vm_yield();
    printf("parent %s\n", p);
    return 0;
}
