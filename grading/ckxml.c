/*
 * ckxml.c - check's XML log -> a list of test results (see ckxml.h).
 *
 * The document is parsed by libxml2 without network access and without
 * entity substitution; the tree is then walked and checked against the
 * shape check writes.  Invariants:
 *   1. On success every test has a suite, a case, an id, a result and a
 *      message (possibly empty); on failure nothing is kept.
 *   2. The same suite/case/test appearing twice rejects the log (a
 *      runner never reports one test twice).
 */
#include "ckxml.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* Keep libxml2's own messages off the grader's output. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* True when node is an element named name. */
static bool is_elem(const xmlNode *node, const char *name)
{
    return node != NULL && node->type == XML_ELEMENT_NODE
           && strcmp((const char *)node->name, name) == 0;
}

/* The text of child element name of parent, malloc'd; NULL when missing. */
static char *child_text(const xmlNode *parent, const char *name)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (!is_elem(c, name))
            continue;
        xmlChar *t = xmlNodeGetContent(c);
        char *s = strdup(t != NULL ? (const char *)t : "");
        xmlFree(t);
        return s;
    }
    return NULL;
}

/* Map check's result attribute; -1 when unknown. */
static int parse_result(const xmlNode *test)
{
    xmlChar *r = xmlGetProp(test, (const xmlChar *)"result");
    int v = -1;
    if (r != NULL && strcmp((const char *)r, "success") == 0)
        v = CKXML_PASS;
    else if (r != NULL && strcmp((const char *)r, "failure") == 0)
        v = CKXML_FAIL;
    else if (r != NULL && strcmp((const char *)r, "error") == 0)
        v = CKXML_ERROR;
    xmlFree(r);
    return v;
}

static void test_free(struct ckxml_test *t)
{
    free(t->suite);
    free(t->tcase);
    free(t->id);
    free(t->message);
}

/* Append the <test> node of suite to log.  0, or -1 with err. */
static int add_test(struct ckxml_log *log, const char *suite,
                    const xmlNode *node, char *err, size_t errlen)
{
    struct ckxml_test t = { .suite = strdup(suite),
                            .tcase = child_text(node, "description"),
                            .id = child_text(node, "id"),
                            .message = child_text(node, "message") };
    int r = parse_result(node);
    if (t.suite == NULL || t.tcase == NULL || t.id == NULL
        || t.message == NULL || r < 0) {
        snprintf(err, errlen, "a <test> in suite '%s' is incomplete", suite);
        test_free(&t);
        return -1;
    }
    char *it = child_text(node, "iteration");
    t.iteration = it != NULL ? atoi(it) : 0;
    free(it);
    if (ckxml_find(log, t.suite, t.tcase, t.id, t.iteration) != NULL) {
        snprintf(err, errlen, "test %s/%s/%s is reported twice", t.suite,
                 t.tcase, t.id);
        test_free(&t);
        return -1;
    }
    t.result = (enum ckxml_result)r;
    struct ckxml_test *grown =
        realloc(log->tests, (log->ntests + 1) * sizeof *grown);
    if (grown == NULL) {
        snprintf(err, errlen, "out of memory");
        test_free(&t);
        return -1;
    }
    log->tests = grown;
    log->tests[log->ntests++] = t;
    return 0;
}

/* Walk one <suite>.  0, or -1 with err. */
static int walk_suite(struct ckxml_log *log, const xmlNode *suite, char *err,
                      size_t errlen)
{
    char *title = child_text(suite, "title");
    if (title == NULL) {
        snprintf(err, errlen, "a <suite> has no <title>");
        return -1;
    }
    int rc = 0;
    for (const xmlNode *c = suite->children; c != NULL && rc == 0;
         c = c->next)
        if (is_elem(c, "test"))
            rc = add_test(log, title, c, err, errlen);
    free(title);
    return rc;
}

/* Walk <testsuites>: suites, then the closing <duration>. */
static int walk_root(struct ckxml_log *log, const xmlNode *root, char *err,
                     size_t errlen)
{
    if (!is_elem(root, "testsuites")) {
        snprintf(err, errlen, "the root element is not <testsuites>");
        return -1;
    }
    bool closed = false;
    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        if (is_elem(c, "suite")) {
            if (closed || walk_suite(log, c, err, errlen) != 0) {
                if (closed)
                    snprintf(err, errlen, "a <suite> follows <duration>");
                return -1;
            }
        } else if (is_elem(c, "duration")) {
            closed = true;
        }
    }
    if (!closed)
        snprintf(err, errlen, "the log is incomplete (no final <duration>)");
    return closed ? 0 : -1;
}

/* See ckxml.h. */
int ckxml_parse(const char *buf, size_t len, struct ckxml_log *log,
                char *err, size_t errlen)
{
    memset(log, 0, sizeof *log);
    xmlSetGenericErrorFunc(NULL, quiet);
    if (len == 0) {
        snprintf(err, errlen, "no log was written");
        return -1;
    }
    xmlDoc *doc = xmlReadMemory(buf, (int)len, "check.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR
                                    | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        const xmlError *e = xmlGetLastError();
        snprintf(err, errlen, "the log is not well-formed XML%s%s",
                 e != NULL && e->message != NULL ? ": " : "",
                 e != NULL && e->message != NULL ? e->message : "");
        err[strcspn(err, "\n")] = '\0';
        return -1;
    }
    int rc = walk_root(log, xmlDocGetRootElement(doc), err, errlen);
    xmlFreeDoc(doc);
    if (rc != 0)
        ckxml_free(log);
    return rc;
}

void ckxml_free(struct ckxml_log *log)
{
    for (size_t i = 0; i < log->ntests; i++)
        test_free(&log->tests[i]);
    free(log->tests);
    log->tests = NULL;
    log->ntests = 0;
}

/* See ckxml.h. */
const struct ckxml_test *ckxml_find(const struct ckxml_log *log,
                                    const char *suite, const char *tcase,
                                    const char *id, int iteration)
{
    for (size_t i = 0; i < log->ntests; i++) {
        const struct ckxml_test *t = &log->tests[i];
        if (strcmp(t->suite, suite) == 0 && strcmp(t->tcase, tcase) == 0
            && strcmp(t->id, id) == 0 && t->iteration == iteration)
            return t;
    }
    return NULL;
}
