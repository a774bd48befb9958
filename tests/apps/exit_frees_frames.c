/* pager-args: -m 4 -s 8
 * exit_frees_frames: a child fills memory with its own pages and exits;
 * its frames come back free (no write-back), so the parent's pages take
 * free frames lowest first with no eviction.
 */
#include <stdio.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    if (fork() == 0) {
        for (int i = 0; i < 3; i++) {
            char *p = vm_map(NULL, 0);
            p[0] = (char)i;
        }
        printf("child filled memory\n");
        return 0;
    }
    vm_yield();
    char *a = vm_map(NULL, 0);
    char *b = vm_map(NULL, 0);
    a[0] = 'a';
    b[0] = 'b';
    char x = a[0], y = b[0];
    printf("parent has %c %c\n", x, y);
    return 0;
}
