/*
 * rubric.c - parse rubric files and the weights file (format in rubric.h).
 *
 * Parsing is line by line into growing arrays; item -> perf links are
 * resolved after the whole file is read (a perf may be declared after the
 * items that use it).  Invariants of a loaded rubric:
 *   1. Every check item's suite has a binary; every perf item names a
 *      declared perf; every item belongs to a section.
 *   2. No two items share a test id.
 *   3. Any error leaves nothing allocated.
 */
#include "rubric.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 64

struct parser {
    struct rubric *r;
    const char *file;
    unsigned line;
    char *err;
    size_t errlen;
};

/* Record "file:line: reason" and return -1. */
static int fail(struct parser *p, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%u: %s", p->file, p->line, reason);
    return -1;
}

/* Split line in place at whitespace, dropping a '#' comment.  Returns the
 * token count (at most MAX_TOKENS). */
static size_t tokenize(char *line, char **tok)
{
    size_t n = 0;
    line[strcspn(line, "#\r\n")] = '\0';
    for (char *s = strtok(line, " \t"); s != NULL && n < MAX_TOKENS;
         s = strtok(NULL, " \t"))
        tok[n++] = s;
    return n;
}

/* Grow *arr (of *n elements of size sz) by one zeroed element; returns it
 * or NULL when out of memory. */
static void *grow(void *arr, size_t *n, size_t sz)
{
    char *a = realloc(*(void **)arr, (*n + 1) * sz);
    if (a == NULL)
        return NULL;
    *(void **)arr = a;
    memset(a + *n * sz, 0, sz);
    return a + (*n)++ * sz;
}

/* Join tok[0..n) with single spaces into a new string. */
static char *join(char **tok, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(tok[i]) + 1;
    char *s = calloc(1, len);
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (i > 0)
            strcat(s, " ");
        strcat(s, tok[i]);
    }
    return s;
}

/* Parse a number in [lo, hi]; 0 or -1. */
static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

/* perf NAME RUNS THRESHOLD PROGRAM [ARGS...] */
static int parse_perf(struct parser *p, char **tok, size_t n)
{
    double runs, thr;
    if (n < 5)
        return fail(p, "perf needs: name runs threshold program [args]");
    if (parse_num(tok[2], 1, 50, &runs) != 0
        || parse_num(tok[3], 0.01, 1, &thr) != 0)
        return fail(p, "perf runs must be 1..50, threshold in (0, 1]");
    struct rubric_perf *pf = grow(&p->r->perfs, &p->r->nperfs, sizeof *pf);
    if (pf == NULL)
        return fail(p, "out of memory");
    pf->name = strdup(tok[1]);
    pf->runs = (unsigned)runs;
    pf->threshold = thr;
    pf->argv = calloc(n - 3, sizeof *pf->argv);
    for (size_t i = 4; pf->argv != NULL && i < n; i++)
        pf->argv[i - 4] = strdup(tok[i]);
    return pf->name && pf->argv ? 0 : fail(p, "out of memory");
}

/* Split "suite/case/test" into the item.  0 or -1. */
static int split_id(struct parser *p, struct rubric_item *it)
{
    char *a = strdup(it->id), *s1 = a ? strchr(a, '/') : NULL;
    char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    char *colon = s2 ? strchr(s2 + 1, ':') : NULL, *end = NULL;
    long n = colon ? strtol(colon + 1, &end, 10) : 0;
    if (s2 == NULL || strchr(s2 + 1, '/') != NULL || s1 == a
        || s2 == s1 + 1 || s2[1] == '\0' || s2 + 1 == colon
        || (colon != NULL
            && (end == colon + 1 || *end != '\0' || n < 0 || n > 100000))) {
        free(a);
        return fail(p, "test id '%s' is not suite/case/test[:N] or "
                    "perf/name", it->id);
    }
    *s1 = *s2 = '\0';
    if (colon != NULL)
        *colon = '\0';
    it->iteration = (int)n;
    it->suite = a;
    it->tcase = strdup(s1 + 1);
    it->test = strdup(s2 + 1);
    return 0;
}

/* loop PREFIX SUITE/CASE/TEST DIR SUFFIX */
static int parse_loop(struct parser *p, char **tok, size_t n)
{
    if (n != 5 || strchr(tok[1], '/') != NULL)
        return fail(p, "loop needs: prefix suite/case/test kit-dir suffix");
    struct rubric_item probe = { .id = tok[2] };
    if (split_id(p, &probe) != 0)
        return -1;
    struct rubric_loop *l = grow(&p->r->loops, &p->r->nloops, sizeof *l);
    if (l == NULL)
        return fail(p, "out of memory");
    *l = (struct rubric_loop){ .prefix = strdup(tok[1]),
                               .suite = probe.suite, .tcase = probe.tcase,
                               .test = probe.test, .dir = strdup(tok[3]),
                               .suffix = strdup(tok[4]) };
    return 0;
}

/* Link loop item it to its loop and copy the loop's test id.  0 or -1. */
static int link_loop(struct parser *p, struct rubric_item *it)
{
    size_t plen = (size_t)(strchr(it->id, '/') - it->id);
    for (size_t k = 0; k < p->r->nloops; k++) {
        const struct rubric_loop *l = &p->r->loops[k];
        if (strlen(l->prefix) != plen || strncmp(l->prefix, it->id, plen))
            continue;
        it->loop = l;
        it->suite = strdup(l->suite);
        it->tcase = strdup(l->tcase);
        it->test = strdup(l->test);
        return 0;
    }
    return fail(p, "item '%s' names no declared loop", it->id);
}

/* POINTS ID VISIBILITY */
static int parse_item(struct parser *p, char **tok, size_t n)
{
    double pts;
    if (n != 3 || parse_num(tok[0], 0.01, 1000, &pts) != 0)
        return fail(p, "an item is: points (0.01..1000) test-id visibility");
    if (strcmp(tok[2], "public") != 0 && strcmp(tok[2], "hidden") != 0)
        return fail(p, "visibility must be public or hidden, not '%s'",
                    tok[2]);
    if (p->r->nsections == 0)
        return fail(p, "item before any 'section' line");
    for (size_t i = 0; i < p->r->nitems; i++)
        if (strcmp(p->r->items[i].id, tok[1]) == 0)
            return fail(p, "test %s is listed twice", tok[1]);
    struct rubric_item *it = grow(&p->r->items, &p->r->nitems, sizeof *it);
    if (it == NULL || (it->id = strdup(tok[1])) == NULL)
        return fail(p, "out of memory");
    it->points = pts;
    it->hidden = strcmp(tok[2], "hidden") == 0;
    it->section = p->r->nsections - 1;
    it->line = p->line;
    const char *slash = strchr(tok[1], '/');
    if (strncmp(tok[1], "perf/", 5) == 0) {
        it->test = strdup(tok[1] + 5); /* resolved in resolve_links */
        return 0;
    }
    if (slash != NULL && slash != tok[1] && slash[1] != '\0'
        && strchr(slash + 1, '/') == NULL) {
        it->loop_name = strdup(slash + 1); /* resolved in resolve_links */
        return 0;
    }
    return split_id(p, it);
}

/* binary SUITE FILE */
static int parse_binary(struct parser *p, char **tok, size_t n)
{
    if (n != 3 || strchr(tok[2], '/') != NULL)
        return fail(p, "binary needs: suite file-name (no '/')");
    struct rubric_binary *b =
        grow(&p->r->binaries, &p->r->nbinaries, sizeof *b);
    if (b == NULL)
        return fail(p, "out of memory");
    b->suite = strdup(tok[1]);
    b->binary = strdup(tok[2]);
    return 0;
}

/* One directive or item. */
static int parse_line(struct parser *p, char **tok, size_t n)
{
    struct rubric *r = p->r;
    if (strcmp(tok[0], "milestone") == 0 && n == 3 && r->id == NULL) {
        r->id = strdup(tok[1]);
        r->stage = strdup(tok[2]);
        return 0;
    }
    if (strcmp(tok[0], "title") == 0 && n >= 2 && r->title == NULL)
        return (r->title = join(tok + 1, n - 1)) ? 0 : fail(p, "no memory");
    if (strcmp(tok[0], "timeout") == 0 && n == 2)
        return parse_num(tok[1], 1, 3600, &r->timeout) == 0
                   ? 0 : fail(p, "timeout must be 1..3600 seconds");
    if (strcmp(tok[0], "test_timeout") == 0 && n == 2)
        return parse_num(tok[1], 1, 3600, &r->test_timeout) == 0
                   ? 0 : fail(p, "test_timeout must be 1..3600 seconds");
    if (strcmp(tok[0], "budget") == 0 && n == 2)
        return parse_num(tok[1], 10, 36000, &r->budget) == 0
                   ? 0 : fail(p, "budget must be 10..36000 seconds");
    if (strcmp(tok[0], "binary") == 0)
        return parse_binary(p, tok, n);
    if (strcmp(tok[0], "perf") == 0)
        return parse_perf(p, tok, n);
    if (strcmp(tok[0], "loop") == 0)
        return parse_loop(p, tok, n);
    if (strcmp(tok[0], "section") == 0 && n == 2) {
        char **s = grow(&r->sections, &r->nsections, sizeof *s);
        return s && (*s = strdup(tok[1])) ? 0 : fail(p, "no memory");
    }
    if (tok[0][0] >= '0' && tok[0][0] <= '9')
        return parse_item(p, tok, n);
    return fail(p, "unknown or malformed line '%s'", tok[0]);
}

/* Invariant 1: link perf items, check every suite has a binary. */
static int resolve_links(struct parser *p)
{
    struct rubric *r = p->r;
    if (r->id == NULL)
        return fail(p, "no 'milestone ID STAGE' line");
    for (size_t i = 0; i < r->nitems; i++) {
        struct rubric_item *it = &r->items[i];
        p->line = it->line;
        if (it->loop_name != NULL && link_loop(p, it) != 0)
            return -1;
        if (it->suite != NULL) {
            if (rubric_binary_of(r, it->suite) == NULL)
                return fail(p, "suite '%s' has no 'binary' line", it->suite);
            continue;
        }
        for (size_t k = 0; k < r->nperfs; k++)
            if (strcmp(r->perfs[k].name, it->test) == 0)
                it->perf = &r->perfs[k];
        if (it->perf == NULL)
            return fail(p, "perf item '%s' has no 'perf' line", it->test);
    }
    return 0;
}

/* See rubric.h. */
int rubric_load(const char *path, struct rubric *r, char *err, size_t errlen)
{
    struct parser p = { .r = r, .file = path, .err = err, .errlen = errlen };
    memset(r, 0, sizeof *r);
    r->timeout = 120;
    r->test_timeout = 20;
    r->budget = 480;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024], *tok[MAX_TOKENS];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        p.line++;
        size_t n = tokenize(line, tok);
        if (n > 0)
            rc = parse_line(&p, tok, n);
    }
    fclose(f);
    if (rc == 0)
        rc = resolve_links(&p);
    r->file = strdup(path);
    if (r->title == NULL && r->stage != NULL)
        r->title = strdup(r->stage);
    if (rc != 0)
        rubric_free(r);
    return rc;
}

/* See rubric.h. */
int rubric_load_weight(const char *path, struct rubric *r, char *err,
                       size_t errlen)
{
    struct rubric dummy = { .id = NULL };
    struct parser p = { .r = &dummy, .file = path, .err = err,
                        .errlen = errlen };
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[256], *tok[MAX_TOKENS];
    int rc = 0, found = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        p.line++;
        size_t n = tokenize(line, tok);
        double w;
        if (n == 0)
            continue;
        if (n != 2 || parse_num(tok[1], 0, 1000, &w) != 0)
            rc = fail(&p, "a weight line is: milestone-id weight (0..1000)");
        else if (strcmp(tok[0], r->id) == 0)
            r->weight = w, found = 1;
    }
    fclose(f);
    if (rc == 0 && !found) {
        snprintf(err, errlen, "%s: no weight for milestone %s", path, r->id);
        rc = -1;
    }
    return rc;
}

void rubric_free(struct rubric *r)
{
    for (size_t i = 0; i < r->nitems; i++) {
        free(r->items[i].id);
        free(r->items[i].suite);
        free(r->items[i].tcase);
        free(r->items[i].test);
        free(r->items[i].loop_name);
    }
    for (size_t i = 0; i < r->nperfs; i++) {
        for (char **a = r->perfs[i].argv; a != NULL && *a != NULL; a++)
            free(*a);
        free(r->perfs[i].argv);
        free(r->perfs[i].name);
    }
    for (size_t i = 0; i < r->nloops; i++) {
        struct rubric_loop *l = &r->loops[i];
        free(l->prefix);
        free(l->suite);
        free(l->tcase);
        free(l->test);
        free(l->dir);
        free(l->suffix);
    }
    free(r->loops);
    for (size_t i = 0; i < r->nbinaries; i++) {
        free(r->binaries[i].suite);
        free(r->binaries[i].binary);
    }
    for (size_t i = 0; i < r->nsections; i++)
        free(r->sections[i]);
    free(r->items);
    free(r->perfs);
    free(r->binaries);
    free(r->sections);
    free(r->file);
    free(r->id);
    free(r->stage);
    free(r->title);
    memset(r, 0, sizeof *r);
}

/* See rubric.h. */
const char *rubric_binary_of(const struct rubric *r, const char *suite)
{
    for (size_t i = 0; i < r->nbinaries; i++)
        if (strcmp(r->binaries[i].suite, suite) == 0)
            return r->binaries[i].binary;
    return NULL;
}

double rubric_possible(const struct rubric *r)
{
    double sum = 0;
    for (size_t i = 0; i < r->nitems; i++)
        sum += r->items[i].points;
    return sum;
}
