/* pager-args: -m 4 -s 8
 * cow_child_write_visible: a sample student app test that is WRONG (it
 * is invalid on the reference and scores zero): it expects a forked
 * child's write to a swap-backed page to show in the parent, which
 * copy-on-write forbids (only file-backed pages are shared that way).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    strcpy(p, "old");
    if (fork() == 0) {
        strcpy(p, "new");
        return 0;
    }
    vm_yield();
    if (strcmp(p, "new") != 0) {
        printf("FAIL: parent sees '%s', expected the child's 'new'\n", p);
        return 1;
    }
    printf("parent sees the child's write\n");
    return 0;
}
