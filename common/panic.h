/*
 * panic.h - the one way pagelab stops on a violated invariant.
 *
 * Every module of common/ and every stage calls panic() when something
 * that must never happen did (a frame on the wrong list, a slot freed
 * twice, a lock released by a thread that does not hold it).  The message
 * is always "function: reason" on one line of stderr, then abort(), so a
 * test (tests/common/catch_abort.h) or a student reading a crash sees
 * which rule broke and where.  Running out of a resource is never a
 * panic: that returns an error the caller can act on.
 */
#ifndef PAGELAB_PANIC_H
#define PAGELAB_PANIC_H

/* Print "func: reason" on stderr and abort().  Never returns. */
_Noreturn void panic(const char *func, const char *reason);

#endif
