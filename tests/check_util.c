/*
 * check_util.c - the shared runner main for every check suite.
 *
 * It only wires check's own runner: output mode CK_NORMAL (one summary line
 * per suite plus every failure), XML log when CK_XML_LOG_FILE_NAME is set
 * (check reads the variable itself), and an exit status the build can act on.
 */
#include "check_util.h"

#include <stdlib.h>
#include <string.h>

/* check's own rule: fork mode unless CK_FORK is "no". */
int check_util_forking(void)
{
    const char *mode = getenv("CK_FORK");
    return mode == NULL || strcmp(mode, "no") != 0;
}

/* Run suite with check's environment-driven options.  Returns 0 when every
 * test passed, 1 otherwise. */
int check_util_run(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Create a tagged test case with an optional timeout and add it to s. */
TCase *check_util_tcase(Suite *s, const char *name, const char *tags,
                        double timeout_seconds)
{
    TCase *tc = tcase_create(name);
    tcase_set_tags(tc, tags);
    if (timeout_seconds > 0)
        tcase_set_timeout(tc, timeout_seconds);
    suite_add_tcase(s, tc);
    return tc;
}
