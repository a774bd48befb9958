/* pager-args: -m 3 -s 8
 * cpp_puts_disabled_page: puts and fputs of arena strings on a file page
 * and a swap page the clock has disabled and evicted, with output to
 * stdout and stderr interleaved line by line.
 */
#include <cstdio>
#include <cstring>

#include "vm_app.h"

int main()
{
    char *name = static_cast<char *>(vm_map(nullptr, 0));
    strcpy(name, "notes.txt");
    char *notes = static_cast<char *>(vm_map(name, 0));
    char *s = static_cast<char *>(vm_map(nullptr, 0));
    notes[15] = '\0';          /* "notes line 0000": a dirty file page */
    strcpy(s, "swap page");    /* clears name and notes, evicts name */
    puts(notes);               /* resident, disabled */
    fputs(s, stderr);
    fputc('\n', stderr);
    puts(name);                /* on disk: read back from swap */
    fputs(notes, stderr);
    fputc('\n', stderr);
    return 0;
}
