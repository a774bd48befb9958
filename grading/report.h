/*
 * report.h - what a grading run found, and its three renderings: the
 * human scorecard, Gradescope's results.json and Autolab's score line.
 *
 * Points: each entry carries rubric points (earned, possible).  A
 * milestone's share of the total is its weight; an entry's Gradescope
 * score is its rubric points scaled by weight / milestone possible, so the
 * tests add up to the weighted total.  Milestones that are not available
 * count neither way.
 */
#ifndef PAGELAB_GRADING_REPORT_H
#define PAGELAB_GRADING_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "rubric.h"

struct report_entry {
    size_t milestone;     /* index into report.milestones */
    const char *section;  /* NULL for the build / availability entries */
    char *name;           /* the test id, or "build" */
    double earned, possible; /* rubric points */
    bool passed;
    bool hidden;
    char *output;         /* why points were lost ("" when passed) */
};

struct report_milestone {
    const struct rubric *rubric;
    bool available;
    char *note;           /* why not available / build failure, or NULL */
};

struct report {
    struct report_milestone *milestones;
    size_t nmilestones;
    struct report_entry *entries;
    size_t nentries;
    double seconds;       /* execution time */
};

/* Add a milestone; returns its index, or (size_t)-1 when out of memory. */
size_t report_add_milestone(struct report *rep, const struct rubric *r,
                            bool available, const char *note);
/* Add an entry (name and output are copied).  0, or -1 out of memory. */
int report_add(struct report *rep, size_t milestone, const char *section,
               const char *name, double earned, double possible, bool hidden,
               const char *output);
void report_free(struct report *rep);

/* Weighted score and weight of the available milestones. */
void report_totals(const struct report *rep, double *score, double *out_of);

/* The scorecard: per milestone and section, earned of possible, each lost
 * test with its message, and the total. */
void report_print_scorecard(const struct report *rep, FILE *out);
/* Write results.json atomically (temp file + rename).  0 or -errno. */
int report_write_json(const struct report *rep, const char *path);
/* {"scores": {"M1": x, ...}} on one line. */
void report_print_autolab(const struct report *rep, FILE *out);

#endif
