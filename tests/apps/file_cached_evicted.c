/* pager-args: -m 3 -s 8
 * file_cached_evicted: a cached file page with no mapper is written back
 * only when the clock evicts it; mapping it later reads the new contents.
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
        memcpy(n, "DIRTY", 5);
        return 0;
    }
    vm_yield();
    char *s = vm_map(NULL, 0);
    s[0] = 's';                  /* the clock takes the name page first */
    char *n = vm_map(name, 0);   /* name read back: notes written back */
    app_print_line("parent reads", n);
    return 0;
}
