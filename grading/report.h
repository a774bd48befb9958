/*
 * report.h - what a grading run found, and its three renderings: the
 * human scorecard, Gradescope's results.json and Autolab's score line.
 *
 * Points: each entry carries rubric points (earned, possible).  A
 * milestone's share of the total is its weight.  Every number shown
 * outside the rubric's own points is an integer count of hundredths
 * ("cents"), printed with two decimals, so sums are exact: the weight's
 * cents are apportioned over the milestone's entries by the largest
 * remainder (each entry gets floor(W * p / P) cents, and the cents left
 * go one each to the largest remainders, the earlier entry first on a
 * tie), so the entries' max_score values add up to the weight exactly;
 * an entry earns all its cents when it earned all its points, none when
 * none, and round(cents * earned / possible) in between (performance
 * items); a milestone's score is the sum of its entries' cents and the
 * total the sum of the milestones'.  Milestones that are not available
 * count neither way.
 *
 * Visibility: hidden entries count in the grade (results.json "score",
 * the staff scorecard, Autolab's line) but the student's view (the
 * scorecard in results.json's top-level "output", the tests marked
 * "visible") leaves them out: only their number and worth are shown.
 * Hidden entries are tests with visibility "after_due_date".
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
    long max_c, earned_c; /* hundredths of the total (set when rendering) */
    bool has_ratio;       /* a performance item that was measured: */
    double ratio;         /* reference time / submission time */
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
/* Record the last entry added as a measured performance item with this
 * ratio (reference time / submission time): results.json then carries a
 * Gradescope "leaderboard" of every such ratio, named "<milestone> <test>",
 * larger first ("order": "desc"), and Autolab's "scoreboard" them too. */
void report_set_ratio(struct report *rep, double ratio);

/* Apportion the weights into the entries' max_c and earned_c (see above).
 * Idempotent; every renderer below calls it first. */
void report_apportion(struct report *rep);
/* Score and weight of the available milestones, in hundredths. */
void report_totals(struct report *rep, long *score_c, long *out_of_c);
/* Whether every entry of every available milestone earned all its points
 * (true when nothing was available). */
bool report_full_marks(const struct report *rep);

/* The scorecard: per milestone and section, rubric points and share of
 * the weight, each lost test with its message, and the total.  staff:
 * every entry (hidden ones marked); otherwise the student's view, which
 * leaves hidden entries out but for their number and worth. */
void report_print_scorecard(struct report *rep, FILE *out, bool staff);
/* Write results.json atomically (temp file + rename).  0 or -errno. */
int report_write_json(struct report *rep, const char *path);
/* {"scores": {"M1": x, ...}, "scoreboard": [total, ratio...]} on one
 * line: the scoreboard holds the total, then each measured performance
 * item's ratio (report_set_ratio), in rubric order. */
void report_print_autolab(struct report *rep, FILE *out);

#endif
