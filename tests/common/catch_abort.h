/*
 * catch_abort.h - run a call that must abort ("function: reason") inside
 * the test process and come back, so such tests also run (and count for
 * coverage) when check does not fork (CK_FORK=no).
 *
 * A SIGABRT handler installed for the duration of the call jumps back to
 * catch_abort with siglongjmp (restoring the signal mask); glibc's abort()
 * supports a handler that does not return.  Only aborts raised by the
 * calling thread are caught.  The test then undoes what the call left
 * behind, as every test must.
 */
#ifndef PAGELAB_CATCH_ABORT_H
#define PAGELAB_CATCH_ABORT_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

static sigjmp_buf catch_abort_env;

static void catch_abort_handler(int sig)
{
    (void)sig;
    siglongjmp(catch_abort_env, 1);
}

/* Run fn(arg); true when it aborted, false when it returned. */
static inline bool catch_abort(void (*fn)(void *), void *arg)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = catch_abort_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, &old);
    volatile bool aborted = true;
    if (sigsetjmp(catch_abort_env, 1) == 0) {
        fn(arg);
        aborted = false;
    }
    sigaction(SIGABRT, &old, NULL);
    return aborted;
}

#endif
