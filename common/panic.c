/*
 * panic.c - print "function: reason" and abort (see panic.h).
 *
 * Invariants: none kept; this is where broken ones end.
 * Locking: none (stderr is unbuffered; one fprintf is one write).
 */
#include "panic.h"

#include <stdio.h>
#include <stdlib.h>

/* Print "func: reason" on stderr and abort(). */
_Noreturn void panic(const char *func, const char *reason)
{
    fprintf(stderr, "%s: %s\n", func, reason);
    abort();
}
