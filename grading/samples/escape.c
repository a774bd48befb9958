/*
 * escape.c - hostile sample: leaves a daemon behind (double fork and
 * setsid, so it is in no process group of the run) that waits for the
 * grader to finish and then overwrites the results file, while the runner
 * itself carries on normally.  The grader is the daemon's subreaper and
 * kills it when the run ends, so the results stay the grader's (and the
 * canary file /tmp/pagelab-escape-canary, which tests look for, never
 * appears).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void hostile_escape(void)
{
    if (fork() != 0)
        return;
    setsid();
    if (fork() != 0)
        _exit(0);
    sleep(4);
    const char *paths[] = { "/autograder/results/results.json",
                            "/work/main/build/grade/results.json",
                            "/tmp/pagelab-escape-canary" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        FILE *f = paths[i] != NULL ? fopen(paths[i], "w") : NULL;
        if (f != NULL) {
            fputs("{\"score\": 100.0, \"tests\": []}\n", f);
            fclose(f);
        }
    }
    _exit(0);
}
