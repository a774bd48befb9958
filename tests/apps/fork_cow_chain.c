/* pager-args: -m 8 -s 16
 * fork_cow_chain: a grandparent, parent and child share a page three ways;
 * each writes in turn and gets a private copy, so all three values live.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm_app.h"

int main(void)
{
    char *p = vm_map(NULL, 0);
    strcpy(p, "gen0");
    if (fork() == 0) {
        if (fork() == 0) {
            strcpy(p, "gen2");
            printf("grandchild %s\n", p);
            return 0;
        }
        vm_yield();
        strcpy(p, "gen1");
        printf("child %s\n", p);
        return 0;
    }
    vm_yield();
    printf("original %s\n", p);
    strcpy(p, "gen0b");
    printf("original %s\n", p);
    return 0;
}
