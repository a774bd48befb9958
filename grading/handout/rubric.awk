# rubric.awk - a milestone's rubric as its handout uses it (run by
# grading/handout.sh on grading/rubrics/<M>.rubric).
#
# Variables: m (milestone id), w (its weight), src, and the files to write:
#   rub      the handout's rubric: the public items that need no staff
#            build (every item but hidden and performance ones), with the
#            directives they use;
#   weights  "<m> <weight>": the hundredths those items carry on the
#            autograder, so that 'make grade' totals match its totals;
#   note     what only the autograder grades (hidden, performance), as
#            'make grade' prints it;
#   table    the README's rubric table (Markdown); perfmd: its performance
#            section (empty without performance items); vars: "graded w".
# Hundredths are shared out as the grader does (grading/report.c): item i
# of p_i points out of P gets floor(100 w p_i / P), and the hundredths
# left go one each to the largest remainders (the earlier item on a tie).
function cents(c,   s) { s = sprintf("%d.%02d", int(c / 100), c % 100); return s }
{ line = $0; sub(/#.*/, "", line); n = split(line, t, /[ \t]+/)
  if (n > 0 && t[1] == "") { for (i = 1; i < n; i++) t[i] = t[i + 1]; n-- } }
n == 0 { next }
t[1] == "milestone" || t[1] == "timeout" { dir[++nd] = line; next }
t[1] == "title" { title = line; sub(/^[ \t]*title[ \t]+/, "", title); dir[++nd] = line; next }
t[1] == "binary" { bsuite[++nb] = t[2]; bline[nb] = line; next }
t[1] == "loop" { lpre[++nl] = t[2]; lline[nl] = line; split(t[3], ls, "/"); lsuite[nl] = ls[1]; next }
t[1] == "perf" { pn[t[2]] = t[3]; pthr[t[2]] = t[4]; pargs[t[2]] = t[5]
                 for (i = 6; i <= n; i++) pargs[t[2]] = pargs[t[2]] " " t[i]; next }
t[1] == "section" { sec[++ns] = t[2]; next }
t[1] ~ /^[0-9.]+$/ {
  k++; pts[k] = t[1]; id[k] = t[2]; vis[k] = t[3]; isec[k] = ns
  pc[k] = int(t[1] * 100 + 0.5); total += pc[k]
  split(t[2], p, "/"); pre[k] = p[1]
  kind[k] = vis[k] == "hidden" ? "hidden" : pre[k] == "perf" ? "perf" : "graded"
  next }
{ dir[++nd] = line }   # any other directive (timeout-like): kept as it is
END {
  wc = int(w * 100 + 0.5); given = 0
  for (i = 1; i <= k; i++) {
    q = wc * pc[i]; c[i] = total > 0 ? int(q / total) : 0; r[i] = total > 0 ? q % total : 0
    given += c[i] }
  for (left = wc - given; left > 0; left--) {   # largest remainder, earliest on a tie
    best = 0
    for (i = 1; i <= k; i++) if (!taken[i] && (best == 0 || r[i] > r[best])) best = i
    taken[best] = 1; c[best]++ }
  for (i = 1; i <= k; i++) {
    sum[kind[i]] += c[i]; cnt[kind[i]]++; spts[kind[i]] += pts[i]
    if (kind[i] == "graded") { used[pre[i]] = 1; s_c[isec[i]] += c[i]; s_n[isec[i]]++; s_p[isec[i]] += pts[i] } }

  # the handout's rubric
  print "# " m " rubric of this handout: the public items 'make grade' can grade" > rub
  print "# here (one line per test: points, test id, visibility).  Items only" > rub
  print "# the autograder grades are listed in autograder-only.txt; the weight" > rub
  print "# in 'weights' is what these items carry on the autograder." > rub
  for (i = 1; i <= nd; i++) print dir[i] > rub
  for (i = 1; i <= nb; i++) {
    u = used[bsuite[i]]
    for (j = 1; j <= nl; j++) if (lsuite[j] == bsuite[i] && used[lpre[j]]) u = 1
    if (u) print bline[i] > rub }
  for (j = 1; j <= nl; j++) if (used[lpre[j]]) print lline[j] > rub
  for (s = 1; s <= ns; s++) {
    if (!s_n[s]) continue
    print "\nsection " sec[s] > rub
    for (i = 1; i <= k; i++) if (isec[i] == s && kind[i] == "graded")
      printf "%-4s %-72s public\n", pts[i], id[i] > rub }
  print m " " cents(sum["graded"]) > weights
  print cents(sum["graded"]) " " w > vars

  # what only the autograder grades
  if (cnt["perf"] || cnt["hidden"]) {
    print "Graded by the autograder only (not in this score):" > note
    if (cnt["perf"]) {
      printf "    %s performance: %d item%s worth %s: your build's time on a workload against the staff build's, measured in the same run; full marks from the ratio in the rubric (%s), proportionally less below; cannot be measured here, where there is no staff build\n", \
        m, cnt["perf"], cnt["perf"] == 1 ? "" : "s", cents(sum["perf"]), perfnames() > note }
    if (cnt["hidden"])
      printf "    %s hidden: %d item%s worth %s, results shown after the due date\n", \
        m, cnt["hidden"], cnt["hidden"] == 1 ? "" : "s", cents(sum["hidden"]) > note }

  # the README's table
  print "| section | items | points | share of " w " |" > table
  print "|---|---:|---:|---:|" > table
  for (s = 1; s <= ns; s++) if (s_n[s])
    printf "| %s | %d | %g | %s |\n", sec[s], s_n[s], s_p[s], cents(s_c[s]) > table
  if (cnt["perf"]) printf "| performance (autograder only) | %d | %g | %s |\n", cnt["perf"], spts["perf"], cents(sum["perf"]) > table
  if (cnt["hidden"]) printf "| hidden (autograder only) | %d | %g | %s |\n", cnt["hidden"], spts["hidden"], cents(sum["hidden"]) > table
  printf "| **%s** | %d | %g | %s |\n", m, k, spts["graded"] + spts["perf"] + spts["hidden"], cents(wc) > table

  # the README's performance section
  printf "" > perfmd
  if (cnt["perf"]) {
    print "\n## Performance" > perfmd
    print "\nThe performance items time your stage against the staff's build on the" > perfmd
    print "same machine, in the same grading run: rounds alternate between your" > perfmd
    print "build and the staff's, and the median of each side counts. The score is" > perfmd
    print "the ratio staff time / your time: full marks from the threshold below," > perfmd
    print "proportionally less under it. A run whose stamps or audit fail earns" > perfmd
    print "nothing: a fast but wrong stage gets no performance points. There is no" > perfmd
    print "fixed time to beat.\n" > perfmd
    print "| item | workload (`build/grading/perf_<phase> THREADS ACCESSES PATTERN`) | rounds | full marks from | points | share |" > perfmd
    print "|---|---|---:|---:|---:|---:|" > perfmd
    for (i = 1; i <= k; i++) if (kind[i] == "perf") {
      nm = id[i]; sub(/^perf\//, "", nm)
      printf "| %s | `build/%s` | %s | %s | %g | %s |\n", id[i], pargs[nm], pn[nm], pthr[nm], pts[i], cents(c[i]) > perfmd }
    print "\nThis handout has no staff build, so `make grade` cannot measure them: it" > perfmd
    print "lists them as graded by the autograder only. It builds the same program" > perfmd
    print "(`build/grading/perf_*`), so you can run the workload yourself, e.g." > perfmd
    print "`time build/grading/" substr(pargs[nm], index(pargs[nm], "perf_")) "`, and compare" > perfmd
    print "it with `build/vmsim` runs of your own (see the stage README).\n" > perfmd }
}
function perfnames(   i, s) {
  for (i = 1; i <= k; i++) if (kind[i] == "perf") s = s (s == "" ? "" : ", ") id[i] " from " pthr[substr(id[i], 6)]
  return s }
