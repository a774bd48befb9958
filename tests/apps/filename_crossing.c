/* pager-args: -m 4 -s 8
 * filename_crossing: a filename running off the end of the valid arena is
 * refused; once the next page is valid the same name works, read across
 * the page boundary.
 */
#include <stdio.h>
#include <string.h>

#include "vm_app.h"

int main(void)
{
    char *page = vm_map(NULL, 0);
    char *name = page + VM_PAGESIZE - 5;
    memcpy(name, "notes", 5);           /* no terminator yet: page ends */
    printf("running off: %p\n", vm_map(name, 0));
    char *next = vm_map(NULL, 0);       /* the page after it */
    strcpy(next, ".txt");
    char *n = vm_map(name, 0);
    printf("crossing: %s\n", n != NULL ? "mapped" : "refused");
    printf("line: %.15s\n", n);
    return 0;
}
