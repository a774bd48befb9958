/*
 * exit_early.c - hostile sample: the test runner exits with status 0
 * before any test runs (a naive grader that trusts the exit status would
 * see "all passed").  No complete log is written, so every test of the
 * run scores zero.
 */
#include <stdlib.h>

__attribute__((constructor)) static void hostile_exit_early(void)
{
    exit(0);
}
