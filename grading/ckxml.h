/*
 * ckxml.h - read check's XML log (CK_XML_LOG_FILE_NAME) with libxml2.
 *
 * A log is accepted only when it is one complete, well-formed document in
 * check's shape: <testsuites> holding <datetime>, <suite> elements (a
 * <title> and <test result="success|failure|error"> elements with <id>,
 * <description> = the test case and <message>) and the closing <duration>
 * check writes last.  Anything else (a truncated log from a killed runner,
 * extra text written on the log channel, a second document) is rejected
 * as a whole, so no partial or forged log is ever scored.
 */
#ifndef PAGELAB_GRADING_CKXML_H
#define PAGELAB_GRADING_CKXML_H

#include <stddef.h>

enum ckxml_result { CKXML_PASS, CKXML_FAIL, CKXML_ERROR };

struct ckxml_test {
    char *suite;    /* suite title */
    char *tcase;    /* test case (check's <description>) */
    char *id;       /* test function name */
    int iteration;  /* loop tests: which iteration (0 otherwise) */
    enum ckxml_result result;
    char *message;  /* check's message ("Passed", the assertion, ...) */
};

struct ckxml_log {
    struct ckxml_test *tests;
    size_t ntests;
};

/* Parse len bytes at buf into *log.  Returns 0, or -1 with one sentence in
 * err (log left empty). */
int ckxml_parse(const char *buf, size_t len, struct ckxml_log *log,
                char *err, size_t errlen);
void ckxml_free(struct ckxml_log *log);
/* The test suite/tcase/id (iteration) in log, or NULL. */
const struct ckxml_test *ckxml_find(const struct ckxml_log *log,
                                    const char *suite, const char *tcase,
                                    const char *id, int iteration);

#endif
