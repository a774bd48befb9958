/*
 * report.c - collect grading outcomes and render them (see report.h).
 *
 * Invariants:
 *   1. For an available milestone, the possible points of its entries add
 *      up to the rubric's possible points (the grader adds exactly one
 *      entry per rubric item; build entries are worth 0).
 *   2. Every string written to JSON is valid UTF-8 with control
 *      characters escaped, whatever bytes a submission printed.
 *   3. Numbers outside rubric points are whole hundredths: an available
 *      milestone's max_c add up to its weight's hundredths exactly, and
 *      every score printed is a sum of earned_c (report_apportion).
 *   4. The student's view (top-level "output") names no hidden entry and
 *      counts none of its points; hidden entries appear only as tests
 *      with visibility "after_due_date".
 */
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JSON_OUTPUT_MAX 4000 /* bytes of one test's output in results.json */
#define SCORECARD_MAX 200000 /* bytes of the scorecard in results.json */

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

/* See report.h. */
void report_set_ratio(struct report *rep, double ratio)
{
    if (rep->nentries > 0) {
        rep->entries[rep->nentries - 1].has_ratio = true;
        rep->entries[rep->nentries - 1].ratio = ratio;
    }
}

/* Whether some entry carries a measured ratio. */
static bool has_ratios(const struct report *rep)
{
    for (size_t i = 0; i < rep->nentries; i++)
        if (rep->entries[i].has_ratio)
            return true;
    return false;
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

/* Whether entry e belongs to milestone m (and section, unless NULL) and
 * to the view (staff: every entry; otherwise public entries only). */
static bool in_view(const struct report_entry *e, size_t m,
                    const char *section, bool staff)
{
    return e->milestone == m && (staff || !e->hidden)
           && (section == NULL
               || (e->section != NULL && strcmp(e->section, section) == 0));
}

/* Rubric points and hundredths of milestone m in a view (optionally of
 * one section only). */
static void sum_view(const struct report *rep, size_t m, const char *section,
                     bool staff, double pts[2], long cents[2])
{
    pts[0] = pts[1] = 0;
    cents[0] = cents[1] = 0;
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        if (!in_view(e, m, section, staff))
            continue;
        pts[0] += e->earned;
        pts[1] += e->possible;
        cents[0] += e->earned_c;
        cents[1] += e->max_c;
    }
}

/* Rubric points in hundredths (a rubric's points have two decimals). */
static long points_c(double points)
{
    return llround(points * 100);
}

/* The next entry of milestone m to get one more cent: the largest
 * remainder (weight_c * points_c mod total_c) below the previous pick
 * (*rem, *at) in the order (remainder descending, index ascending). */
static size_t next_remainder(const struct report *rep, size_t m,
                             long weight_c, long total_c, long *rem,
                             size_t *at)
{
    size_t best = (size_t)-1;
    long best_rem = 0;
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        long r = weight_c * points_c(e->possible) % total_c;
        bool below = r < *rem || (r == *rem && i > *at);
        if (e->milestone == m && r > 0 && below && r > best_rem)
            best = i, best_rem = r;
    }
    *rem = best_rem;
    *at = best;
    return best;
}

/* Apportion milestone m's weight over its entries (see report.h): the
 * floors, then one cent each to the largest remainders.  Their sum is
 * exactly the weight's cents: sum(q) - sum(floor(q)) is a whole number of
 * cents, below the number of entries with a remainder. */
static void apportion_milestone(struct report *rep, size_t m)
{
    const struct report_milestone *rm = &rep->milestones[m];
    long weight_c = rm->available ? points_c(rm->rubric->weight) : 0;
    long total_c = 0, given = 0;
    for (size_t i = 0; i < rep->nentries; i++)
        if (rep->entries[i].milestone == m)
            total_c += points_c(rep->entries[i].possible);
    for (size_t i = 0; i < rep->nentries; i++) {
        struct report_entry *e = &rep->entries[i];
        if (e->milestone != m)
            continue;
        e->max_c = total_c > 0 ? weight_c * points_c(e->possible) / total_c
                               : 0;
        given += e->max_c;
    }
    long rem = LONG_MAX;
    size_t at = 0;
    for (long left = total_c > 0 ? weight_c - given : 0; left > 0; left--)
        rep->entries[next_remainder(rep, m, weight_c, total_c, &rem, &at)]
            .max_c++;
}

/* See report.h. */
void report_apportion(struct report *rep)
{
    for (size_t m = 0; m < rep->nmilestones; m++)
        apportion_milestone(rep, m);
    for (size_t i = 0; i < rep->nentries; i++) {
        struct report_entry *e = &rep->entries[i];
        double share = e->possible > 0 ? e->earned / e->possible : 0;
        e->earned_c = e->passed ? e->max_c
                    : share <= 0 ? 0
                    : share >= 1 ? e->max_c : llround(e->max_c * share);
    }
}

/* See report.h. */
void report_totals(struct report *rep, long *score_c, long *out_of_c)
{
    report_apportion(rep);
    *score_c = *out_of_c = 0;
    for (size_t m = 0; m < rep->nmilestones; m++) {
        if (!rep->milestones[m].available)
            continue;
        *out_of_c += points_c(rep->milestones[m].rubric->weight);
        for (size_t i = 0; i < rep->nentries; i++)
            if (rep->entries[i].milestone == m)
                *score_c += rep->entries[i].earned_c;
    }
}

/* See report.h. */
bool report_full_marks(const struct report *rep)
{
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        if (rep->milestones[e->milestone].available
            && e->earned < e->possible)
            return false;
    }
    return true;
}

/* Hundredths c as "12.34" in buf (32 bytes); returns buf. */
static const char *cents(char *buf, long c)
{
    snprintf(buf, 32, "%s%ld.%02ld", c < 0 ? "-" : "", labs(c) / 100,
             labs(c) % 100);
    return buf;
}

/* Print the first line of text, at most 200 bytes, indented. */
static void print_reason(FILE *out, const char *text)
{
    int n = (int)strcspn(text, "\n");
    fprintf(out, "        %.*s%s\n", n > 200 ? 200 : n, text,
            n > 200 || text[n] != '\0' ? " ..." : "");
}

/* One subtotal line: rubric points and share of the weight. */
static void print_subtotal(FILE *out, const char *label, const double pts[2],
                           const long c[2])
{
    char a[32], b[32];
    fprintf(out, "    %-20s %7.2f / %7.2f points = %6s / %6s\n", label,
            pts[0], pts[1], cents(a, c[0]), cents(b, c[1]));
}

/* The section subtotals of milestone m in a view; a section with no
 * entry in the view is left out. */
static void print_sections(const struct report *rep, size_t m, bool staff,
                           FILE *out)
{
    const struct rubric *r = rep->milestones[m].rubric;
    for (size_t s = 0; s < r->nsections; s++) {
        double pts[2];
        long c[2];
        bool any = false;
        for (size_t i = 0; i < rep->nentries && !any; i++)
            any = in_view(&rep->entries[i], m, r->sections[s], staff);
        sum_view(rep, m, r->sections[s], staff, pts, c);
        if (any)
            print_subtotal(out, r->sections[s], pts, c);
    }
}

/* Whether two reasons read the same on their first line. */
static bool same_reason(const char *a, const char *b)
{
    size_t na = strcspn(a, "\n"), nb = strcspn(b, "\n");
    return na == nb && memcmp(a, b, na) == 0;
}

/* Whether entry e is a lost item of milestone m in the view. */
static bool lost_in_view(const struct report_entry *e, size_t m, bool staff)
{
    return in_view(e, m, NULL, staff) && !e->passed && e->possible != 0;
}

/* The lost entries of milestone m in a view, each with its reason; three
 * or more that fail the same way are folded into one entry that names the
 * first ("28 tests fail the same way, first ..."). */
static void print_lost(const struct report *rep, size_t m, bool staff,
                       FILE *out)
{
    bool *done = calloc(rep->nentries ? rep->nentries : 1, sizeof *done);
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        if (!lost_in_view(e, m, staff) || (done != NULL && done[i]))
            continue;
        size_t same = 1;
        double worth = e->possible - e->earned;
        for (size_t j = i + 1; done != NULL && j < rep->nentries; j++)
            if (lost_in_view(&rep->entries[j], m, staff)
                && same_reason(rep->entries[j].output, e->output))
                same++;
        if (same >= 3) {
            for (size_t j = i + 1; j < rep->nentries; j++)
                if (lost_in_view(&rep->entries[j], m, staff)
                    && same_reason(rep->entries[j].output, e->output)) {
                    done[j] = true;
                    worth += rep->entries[j].possible - rep->entries[j].earned;
                }
            fprintf(out, "    lost %5.2f  %zu tests fail the same way, first "
                    "%s%s:\n", worth, same, e->name,
                    e->hidden ? " (hidden)" : "");
        } else {
            fprintf(out, "    lost %5.2f  %s%s\n", worth, e->name,
                    e->hidden ? " (hidden)" : "");
        }
        print_reason(out, e->output);
    }
    free(done);
}

/* The student's view: how many hidden items there are and their worth. */
static void print_hidden_note(const struct report *rep, size_t m, FILE *out)
{
    size_t n = 0;
    long worth = 0;
    char a[32];
    for (size_t i = 0; i < rep->nentries; i++)
        if (rep->entries[i].milestone == m && rep->entries[i].hidden)
            n++, worth += rep->entries[i].max_c;
    if (n > 0)
        fprintf(out, "    hidden: %zu item%s worth %s, results shown after "
                "the due date\n", n, n == 1 ? "" : "s", cents(a, worth));
}

/* The scorecard block of one milestone in a view. */
static void print_milestone(const struct report *rep, size_t m, bool staff,
                            FILE *out)
{
    const struct report_milestone *rm = &rep->milestones[m];
    const struct rubric *r = rm->rubric;
    char a[32], b[32];
    fprintf(out, "\n%s  %s (%s), weight %g\n", r->id, r->title, r->stage,
            r->weight);
    if (!rm->available) {
        fprintf(out, "    milestone not available: %s\n", rm->note);
        return;
    }
    if (rm->note != NULL)
        fprintf(out, "    %s\n", rm->note);
    print_sections(rep, m, staff, out);
    if (!staff)
        print_hidden_note(rep, m, out);
    print_lost(rep, m, staff, out);
    double pts[2];
    long c[2];
    sum_view(rep, m, NULL, staff, pts, c);
    fprintf(out, "    %s%s: %.2f / %.2f points = %s of %s\n", r->id,
            staff ? "" : " public items", pts[0], pts[1], cents(a, c[0]),
            cents(b, c[1]));
}

/* See report.h. */
void report_print_scorecard(struct report *rep, FILE *out, bool staff)
{
    long score, out_of, c[2] = { 0, 0 };
    char a[32], b[32];
    report_totals(rep, &score, &out_of);
    fprintf(out, "pagelab scorecard%s\n", staff ? " (staff: every item)" : "");
    for (size_t m = 0; m < rep->nmilestones; m++) {
        double pts[2];
        long mc[2];
        print_milestone(rep, m, staff, out);
        sum_view(rep, m, NULL, staff, pts, mc);
        c[0] += mc[0], c[1] += mc[1];
    }
    if (!staff)
        score = c[0], out_of = c[1];
    fprintf(out, "\nTOTAL%s %s / %s (%.1f%%)  graded in %.1f s\n",
            staff ? "" : " (public items)", cents(a, score),
            cents(b, out_of), out_of > 0 ? 100.0 * score / out_of : 0.0,
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
    char a[32], b[32], name[512];
    fprintf(out, "    {\"name\": ");
    snprintf(name, sizeof name, "%s %s: %s", r->id,
             e->section ? e->section : "build", e->name);
    json_string(out, name, sizeof name);
    fprintf(out, ", \"number\": \"%zu.%u\", \"score\": %s, "
                 "\"max_score\": %s, \"status\": \"%s\", ",
            e->milestone + 1, number, cents(a, e->earned_c),
            cents(b, e->max_c), e->passed ? "passed" : "failed");
    fprintf(out, "\"visibility\": \"%s\", \"tags\": [\"%s\", \"%s\", "
                 "\"%s\"], \"extra_data\": {\"points\": %g, "
                 "\"points_possible\": %g}, \"output\": ",
            e->hidden ? "after_due_date" : "visible", r->id,
            e->section ? e->section : "build",
            e->hidden ? "hidden" : "public", e->earned, e->possible);
    json_string(out, e->output, JSON_OUTPUT_MAX);
    fputc('}', out);
}

/* The top-level "output": the student's scorecard (hidden items left
 * out), or a one-line summary when it cannot be rendered. */
static void json_output(struct report *rep, FILE *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem != NULL) {
        report_print_scorecard(rep, mem, false);
        fclose(mem);
    }
    json_string(out, text != NULL ? text : "pagelab: no scorecard (out of "
                "memory)", SCORECARD_MAX);
    free(text);
}

/* ,"leaderboard": [...] of the measured performance ratios (Gradescope's
 * leaderboard: name, value, order), nothing when there are none. */
static void json_leaderboard(const struct report *rep, FILE *out)
{
    if (!has_ratios(rep))
        return;
    const char *sep = "";
    fprintf(out, ",\n  \"leaderboard\": [");
    for (size_t i = 0; i < rep->nentries; i++) {
        const struct report_entry *e = &rep->entries[i];
        char name[512];
        if (!e->has_ratio)
            continue;
        snprintf(name, sizeof name, "%s %s",
                 rep->milestones[e->milestone].rubric->id, e->name);
        fprintf(out, "%s\n    {\"name\": ", sep);
        json_string(out, name, sizeof name);
        fprintf(out, ", \"value\": %.2f, \"order\": \"desc\"}", e->ratio);
        sep = ",";
    }
    fprintf(out, "\n  ]");
}

/* The whole document: score is the sum of the tests' scores, in
 * hundredths (report.h). */
static void json_document(struct report *rep, FILE *out)
{
    long score, out_of;
    char a[32];
    report_totals(rep, &score, &out_of);
    fprintf(out, "{\n  \"score\": %s,\n  \"execution_time\": %.0f,\n"
                 "  \"output_format\": \"text\",\n  \"output\": ",
            cents(a, score), rep->seconds);
    json_output(rep, out);
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
    fprintf(out, "  ]");
    json_leaderboard(rep, out);
    fprintf(out, "\n}\n");
}

/* See report.h. */
int report_write_json(struct report *rep, const char *path)
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
void report_print_autolab(struct report *rep, FILE *out)
{
    char a[32];
    report_apportion(rep);
    fprintf(out, "{\"scores\": {");
    for (size_t m = 0; m < rep->nmilestones; m++) {
        double pts[2];
        long c[2];
        sum_view(rep, m, NULL, true, pts, c);
        fprintf(out, "%s\"%s\": %s", m > 0 ? ", " : "",
                rep->milestones[m].rubric->id, cents(a, c[0]));
    }
    long score, out_of; /* Autolab's scoreboard: the total, the ratios */
    report_totals(rep, &score, &out_of);
    fprintf(out, "}, \"scoreboard\": [%s", cents(a, score));
    for (size_t i = 0; i < rep->nentries; i++)
        if (rep->entries[i].has_ratio)
            fprintf(out, ", %.2f", rep->entries[i].ratio);
    fprintf(out, "]}\n");
}
