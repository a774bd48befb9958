/* pager-args: -m 4 -s 8
 * file_shared_independent: two processes that each vm_map the same file
 * block on their own share one frame: the second map gets the block's
 * current access at once, and the child's write shows in the parent.
 */
#include <stdio.h>
#include <unistd.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("notes.txt");
    pid_t child = fork();
    char *n = vm_map(name, 0);   /* each process maps the block itself */
    if (child == 0) {
        n[0] = 'K';              /* byte stores: the fault is at n[0] */
        n[1] = 'I';
        n[2] = 'D';
        app_print_line("child wrote", n);
        return 0;
    }
    app_print_line("parent before", n);
    vm_yield();
    app_print_line("parent after", n);
    return 0;
}
