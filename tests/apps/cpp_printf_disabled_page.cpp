/* pager-args: -m 3 -s 8
 * cpp_printf_disabled_page: printf and fwrite of arena strings on pages
 * the clock has evicted or disabled, one of them crossing from a disabled
 * page into an evicted one: stdio copies it into its buffer in user code,
 * where each page faults back in as it is touched, so the whole line comes
 * out (a write(2) straight from the arena would fail with EFAULT).
 * (Printed strings start at a page's first byte or go through fwrite, so
 * the fault addresses do not depend on which strlen the CPU gets.)
 */
#include <cstdio>
#include <cstring>

#include "vm_app.h"

int main()
{
    char *p = static_cast<char *>(vm_map(nullptr, 0));
    char *q = static_cast<char *>(vm_map(nullptr, 0));
    char *r = static_cast<char *>(vm_map(nullptr, 0));
    p[0] = 'p';
    p[1] = '\0';
    for (unsigned i = 0; i < 6; i++)        /* p's last 6 bytes */
        p[VM_PAGESIZE - 6 + i] = "cross-"[i];
    strcpy(q, "page");
    r[0] = 'r';                             /* clears p and q, evicts p */
    printf("%s\n", p);                      /* p on disk: evicts q */
    fwrite(p + VM_PAGESIZE - 6, 1, 10, stdout);  /* q on disk */
    fputc('\n', stdout);
    fwrite(q, 1, 4, stdout);
    fputc('\n', stdout);
    fprintf(stderr, "stderr %s\n", q);
    return 0;
}
