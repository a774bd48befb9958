/*
 * report.c - collect grading outcomes and render them (see report.h).
 *
 * Invariants:
 *   1. For an available milestone, the possible points of its entries add
 *      up to the rubric's possible points (the grader adds exactly one
 *      entry per rubric item; build entries are worth 0).
 *   2. Every string written to JSON is valid UTF-8 with control
 *      characters escaped, whatever bytes a submission printed.
 */
#include "report.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JSON_OUTPUT_MAX 4000 /* bytes of one test's output in results.json */

/* See report.h. */
size_t report_add_milestone(struct report *rep, const struct rubric *r,
                            bool available, const char *note)
{
    struct report_milestone *m = realloc(
        rep->milestones, (rep->nmilestones + 1) * sizeof *m);
    if (m == NULL)
        return (size_t)-1;
    rep->milestones = m;
    m += rep->nmilestones;
    m->rubric = r;
    m->available = available;
    m->note = note != NULL ? strdup(note) : NULL;
    return rep->nmilestones++;
}

/* See report.h. */
int report_add(struct report *rep, size_t milestone, const char *section,
               const char *name, double earned, double possible, bool hidden,
               const char *output)
{
    struct report_entry *e =
        realloc(rep->entries, (rep->nentries + 1) * sizeof *e);
    if (e == NULL)
        return -1;
    rep->entries = e;
    e += rep->nentries;
    *e = (struct report_entry){ .milestone = milestone, .section = section,
                                .name = strdup(name), .earned = earned,
                                .possible = possible, .hidden = hidden,
                                .passed = earned >= possible && possible > 0,
                                .output = strdup(output ? output : "") };
    if (e->name == NULL || e->output == NULL) {
        free(e->name);
        free(e->output);
        return -1;
    }
    rep->nentries++;
    return 0;
}

void report_free(struct report *rep)
{
    for (size_t i = 0; i < rep->nentries; i++) {
        free(rep->entries[i].name);
        free(rep->entries[i].output);
    }
    for (size_t i = 0; i < rep->nmilestones; i++)
        free(rep->milestones[i].note);
    free(rep->entries);
    free(rep->milestones);
    memset(rep, 0, sizeof *rep);
}

/* Rubric points of milestone m: earned and possible (optionally only in
 * one section). */
static void sum_points(const struct report *rep, size_t m,
                       const char *section, double *earned, double *possible)
{
    *earned = *possible = 0;
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        if (e->milestone != m
            || (section != NULL
                && (e->section == NULL || strcmp(e->section, section) != 0)))
            continue;
        *earned += e->earned;
        *possible += e->possible;
    }
}

/* Points -> share of the total, for milestone m. */
static double scale_of(const struct report *rep, size_t m)
{
    double earned, possible;
    sum_points(rep, m, NULL, &earned, &possible);
    return possible > 0 ? rep->milestones[m].rubric->weight / possible : 0;
}

/* See report.h. */
void report_totals(const struct report *rep, double *score, double *out_of)
{
    *score = *out_of = 0;
    for (size_t m = 0; m < rep->nmilestones; m++) {
        double earned, possible;
        if (!rep->milestones[m].available)
            continue;
        sum_points(rep, m, NULL, &earned, &possible);
        *score += earned * scale_of(rep, m);
        *out_of += rep->milestones[m].rubric->weight;
    }
}

/* Print the first line of text, at most 200 bytes, indented. */
static void print_reason(FILE *out, const char *text)
{
    int n = (int)strcspn(text, "\n");
    fprintf(out, "        %.*s%s\n", n > 200 ? 200 : n, text,
            n > 200 || text[n] != '\0' ? " ..." : "");
}

/* The scorecard block of one milestone. */
static void print_milestone(const struct report *rep, size_t m, FILE *out)
{
    const struct report_milestone *rm = &rep->milestones[m];
    const struct rubric *r = rm->rubric;
    fprintf(out, "\n%s  %s (%s), weight %g\n", r->id, r->title, r->stage,
            r->weight);
    if (!rm->available) {
        fprintf(out, "    milestone not available: %s\n", rm->note);
        return;
    }
    if (rm->note != NULL)
        fprintf(out, "    %s\n", rm->note);
    for (size_t s = 0; s < r->nsections; s++) {
        double earned, possible;
        sum_points(rep, m, r->sections[s], &earned, &possible);
        fprintf(out, "    %-20s %7.2f / %7.2f\n", r->sections[s], earned,
                possible);
    }
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        if (e->milestone != m || e->passed || e->possible == 0)
            continue;
        fprintf(out, "    lost %5.2f  %s%s\n", e->possible - e->earned,
                e->name, e->hidden ? " (hidden)" : "");
        print_reason(out, e->output);
    }
    double earned, possible;
    sum_points(rep, m, NULL, &earned, &possible);
    fprintf(out, "    %s: %.2f / %.2f points = %.2f of %g\n", r->id, earned,
            possible, earned * scale_of(rep, m), r->weight);
}

/* See report.h. */
void report_print_scorecard(const struct report *rep, FILE *out)
{
    fprintf(out, "pagelab scorecard\n");
    for (size_t m = 0; m < rep->nmilestones; m++)
        print_milestone(rep, m, out);
    double score, out_of;
    report_totals(rep, &score, &out_of);
    fprintf(out, "\nTOTAL %.2f / %.2f (%.1f%%)  graded in %.1f s\n", score,
            out_of, out_of > 0 ? 100.0 * score / out_of : 0.0,
            rep->seconds);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
             : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Write s as a JSON string, at most max bytes of it (invariant 2). */
static void json_string(FILE *out, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t done = 0;
    fputc('"', out);
    while (*p != '\0' && done < max) {
        size_t n = 1;
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else if (*p < 0x80)
            fputc(*p, out);
        else if ((n = utf8_len(p)) > 0)
            fwrite(p, 1, n, out);
        else
            fputs("\\ufffd", out), n = 1;
        p += n;
        done += n;
    }
    if (*p != '\0')
        fputs(" [output truncated]", out);
    fputc('"', out);
}

/* One element of the "tests" array. */
static void json_test(const struct report *rep, const struct report_entry *e,
                      unsigned number, FILE *out)
{
    const struct rubric *r = rep->milestones[e->milestone].rubric;
    double k = scale_of(rep, e->milestone);
    fprintf(out, "    {\"name\": ");
    char name[512];
    snprintf(name, sizeof name, "%s %s: %s", r->id,
             e->section ? e->section : "build", e->name);
    json_string(out, name, sizeof name);
    fprintf(out, ", \"number\": \"%zu.%u\", \"score\": %.4f, "
                 "\"max_score\": %.4f, \"status\": \"%s\", ",
            e->milestone + 1, number, e->earned * k, e->possible * k,
            e->passed ? "passed" : "failed");
    fprintf(out, "\"visibility\": \"%s\", \"tags\": [\"%s\", \"%s\", "
                 "\"%s\"], \"output\": ",
            e->hidden ? "after_due_date" : "visible", r->id,
            e->section ? e->section : "build",
            e->hidden ? "hidden" : "public");
    json_string(out, e->output, JSON_OUTPUT_MAX);
    fputc('}', out);
}

/* The whole document. */
static void json_document(const struct report *rep, FILE *out)
{
    double score, out_of;
    report_totals(rep, &score, &out_of);
    fprintf(out, "{\n  \"score\": %.4f,\n  \"execution_time\": %.0f,\n"
                 "  \"output\": ", score, rep->seconds);
    char summary[256];
    snprintf(summary, sizeof summary, "pagelab: %.2f of %.2f points",
             score, out_of);
    json_string(out, summary, sizeof summary);
    fprintf(out, ",\n  \"stdout_visibility\": \"hidden\",\n  \"tests\": [\n");
    unsigned number = 0;
    size_t last = (size_t)-1;
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        number = e->milestone == last ? number + 1 : 1;
        last = e->milestone;
        json_test(rep, e, number, out);
        fputs(i + 1 < rep->nentries ? ",\n" : "\n", out);
    }
    fprintf(out, "  ]\n}\n");
}

/* See report.h. */
int report_write_json(const struct report *rep, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -errno;
    json_document(rep, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int err = -errno;
        unlink(tmp);
        return err;
    }
    return 0;
}

/* See report.h. */
void report_print_autolab(const struct report *rep, FILE *out)
{
    fprintf(out, "{\"scores\": {");
    for (size_t m = 0; m < rep->nmilestones; m++) {
        double earned, possible;
        sum_points(rep, m, NULL, &earned, &possible);
        fprintf(out, "%s\"%s\": %.2f", m > 0 ? ", " : "",
                rep->milestones[m].rubric->id,
                earned * scale_of(rep, m));
    }
    fprintf(out, "}}\n");
}
