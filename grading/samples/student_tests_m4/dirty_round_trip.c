/* pager-args: -m 3 -s 8
 * dirty_round_trip: a sample student app test.  Four swap-backed pages
 * share two usable frames, so every page is evicted dirty at least once;
 * then each is read back (from swap), written again and read back again.
 * Every page must keep the last bytes written to it.
 */
#include <stdio.h>
#include <string.h>

#include "vm_app.h"

#define PAGES 4

int main(void)
{
    char *page[PAGES];
    for (int i = 0; i < PAGES; i++) {
        page[i] = vm_map(NULL, 0);
        snprintf(page[i], 32, "first write %d", i);
    }
    for (int i = 0; i < PAGES; i++)
        printf("page %d: %s\n", i, page[i]);
    for (int i = 0; i < PAGES; i += 2)
        snprintf(page[i], 32, "second write %d", i);
    for (int i = 0; i < PAGES; i++)
        printf("page %d: %s\n", i, page[i]);
    return 0;
}
