/* pager-args: -m 4 -s 8
 * zero_many: several fresh swap-backed pages all read from the one zero
 * page (ppage 0) without using a frame; writes then give each its frame.
 */
#include <stdio.h>

#include "vm_app.h"

int main(void)
{
    char *p[3];
    for (int i = 0; i < 3; i++)
        p[i] = vm_map(NULL, 0);
    int sum = 0;
    for (int i = 0; i < 3; i++)
        sum += p[i][100 * i];
    printf("sum of zero reads %d\n", sum);
    for (int i = 0; i < 3; i++)
        p[i][0] = (char)('a' + i);
    char x = p[0][0], y = p[1][0], z = p[2][0];
    printf("pages hold %c %c %c\n", x, y, z);
    return 0;
}
