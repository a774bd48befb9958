/* pager-args: -m 2 -s 4
 * dirty_evict: with one usable frame every new page evicts the last; a
 * written page is written to swap when evicted and comes back intact.
 */
#include <stdio.h>
#include <string.h>

#include "vm_app.h"

int main(void)
{
    char *a = vm_map(NULL, 0);
    char *b = vm_map(NULL, 0);
    strcpy(a, "alpha");
    strcpy(b, "beta");
    printf("a=%s\n", a);
    printf("b=%s\n", b);
    return 0;
}
