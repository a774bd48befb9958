/*
 * app_util.h - what several test apps share: putting a file name into the
 * arena (vm_map reads the name from there) and printing a line of a page.
 */
#ifndef PAGELAB_APP_UTIL_H
#define PAGELAB_APP_UTIL_H

#include <stdio.h>
#include <string.h>

#include "vm_app.h"

/* Map a swap-backed page and copy name to its start; returns the arena
 * copy (NULL when the pager refused the page). */
static inline char *app_name_in_arena(const char *name)
{
    char *page = vm_map(NULL, 0);
    if (page != NULL)
        strcpy(page, name);
    return page;
}

/* Print the 16-byte line at p (data files hold 16-byte lines), prefixed. */
static inline void app_print_line(const char *what, const char *p)
{
    printf("%s: %.15s\n", what, p);
}

#endif
