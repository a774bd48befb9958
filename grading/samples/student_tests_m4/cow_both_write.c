/* pager-args: -m 4 -s 8
 * cow_both_write: a sample student app test for 'make grade-tests
 * MILESTONE=M4'.  After fork, parent and child both write the page they
 * share copy-on-write: each must keep seeing its own bytes, whoever
 * writes first.  cow_both_write.out is the output worked out by hand.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    strcpy(p, "before fork");
    if (fork() == 0) {
        printf("child sees '%s'\n", p);
        strcpy(p, "child's copy");
        vm_yield();                 /* the parent writes its copy now */
        printf("child still sees '%s'\n", p);
        return 0;
    }
    vm_yield();                     /* the child runs first */
    printf("parent sees '%s'\n", p);
    strcpy(p, "parent's copy");
    vm_yield();
    printf("parent still sees '%s'\n", p);
    return 0;
}
