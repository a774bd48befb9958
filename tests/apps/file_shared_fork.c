/* pager-args: -m 4 -s 8
 * file_shared_fork: a file-backed page is shared (never copy-on-write)
 * with a forked child: the child's write is what the parent reads.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("notes.txt");
    char *n = vm_map(name, 0);
    app_print_line("parent before", n);
    if (fork() == 0) {
        memcpy(n, "CHILD", 5);
        app_print_line("child wrote", n);
        return 0;
    }
    vm_yield();
    app_print_line("parent after", n);
    return 0;
}
