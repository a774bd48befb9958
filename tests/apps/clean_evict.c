/* pager-args: -m 2 -s 4
 * clean_evict: a page read back from swap is clean; evicting it again
 * writes nothing (no second file_write for its block).
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    volatile char *a = vm_map(NULL, 0);
    volatile char *b = vm_map(NULL, 0);
    a[0] = 'a';          /* a gets the frame */
    b[0] = 'b';          /* a is dirty: written to swap block 0 */
    char x = a[0];       /* b written to block 1; a read back, clean */
    char y = b[0];       /* a dropped without a write; b read back */
    printf("read back %c %c\n", x, y);
    return 0;
}
