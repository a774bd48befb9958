/* pager-args: -m 4 -s 8
 * file_cached_after_exit: a child writes a file-backed page and exits; the
 * page stays cached (dirty, no write) and the parent's later vm_map of the
 * same block reuses the frame without reading the file.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app_util.h"

int main(void)
{
    char *name = app_name_in_arena("notes.txt");
    if (fork() == 0) {
        char *n = vm_map(name, 0);
        memcpy(n, "CACHE", 5);
        printf("child exits\n");
        return 0;
    }
    vm_yield();
    char *n = vm_map(name, 0);
    app_print_line("parent maps", n);
    return 0;
}
