# headers.awk - screen.sh's pass over the preprocessor's output for one
# file: which files did it open, from where?  Reads the linemarkers
# ('# N "name" FLAGS': flag 1 enters a file, flag 2 returns to one) and
# keeps the stack of open files; the line an include came from is the
# line the output had reached in the including file.  Variables: tree
# (TREE, resolved), stage, main (FILE, relative to TREE), sysdirs (the
# compiler's system include directories, resolved, ':'-separated), extra
# (more allowed header folders under TREE, ':'-separated, may be empty).
# Prints 'INCLUDER<TAB>LINE<TAB>CONSTRUCT<TAB>WHY' for each file opened
# outside TREE/common/*.h, TREE/STAGE/**/*.h and the system directories,
# and for the file itself; what a refused file includes in turn is not
# the submission's own doing and is not reported.  Paths are resolved
# lexically ('.' and '..'; the tree holds no symbolic links).

function normal(p,   n, a, i, k, out) {
    if (p !~ /^\//) p = tree "/" p
    n = split(p, a, "/"); k = 0
    for (i = 1; i <= n; i++) {
        if (a[i] == "" || a[i] == ".") continue
        if (a[i] == "..") { if (k > 0) k--; continue }
        part[++k] = a[i]
    }
    out = ""
    for (i = 1; i <= k; i++) out = out "/" part[i]
    return out == "" ? "/" : out
}

function shown(p) { return index(p, tree "/") == 1 ? substr(p, length(tree) + 2) : p }

function allowed(p,   i, rest) {
    if (index(p, tree "/common/") == 1) {
        rest = substr(p, length(tree "/common/") + 1)
        return rest !~ /\// && rest ~ /\.h$/
    }
    if (index(p, tree "/" stage "/") == 1) return p ~ /\.h$/
    for (i = 1; i <= nsys; i++) if (index(p, sys[i] "/") == 1) return 1
    for (i = 1; i <= nextra; i++)
        if (index(p, tree "/" more[i] "/") == 1 && p ~ /\.h$/) return 1
    return 0
}

BEGIN {
    nsys = split(sysdirs, sys, ":")
    nextra = split(extra, more, ":")
    self = normal(main); k = 0; skip = 0
}

/^# [0-9]+ "/ {
    n = $2; name = $0
    sub(/^# [0-9]+ "/, "", name)
    flags = name; sub(/^.*"/, "", flags)
    sub(/"[^"]*$/, "", name)
    gsub(/\\"/, "\"", name); gsub(/\\\\/, "\\", name)
    if (flags ~ /(^| )1( |$)/) {
        path = normal(name)
        # '<built-in>', '<command line>': the compiler's pseudo-files
        # (clang enters them; they open nothing); screen.sh's -H check
        # sees every real file, whatever a #line names
        if (k > 0 && !skip && stack[k] !~ /^</ && name !~ /^</) {
            if (path == self) why = "a file that includes itself can make the compiler run away"
            else if (!allowed(path)) why = "only the kit's headers (common/*.h, " stage "/**/*.h) and the system's may be included"
            else why = ""
            if (why != "") {
                c = path == self ? "#include of " main " itself" : "#include of " shown(path)
                r = shown(normal(stack[k])) "\t" line "\t" c "\t" why
                if (!(r in seen)) { seen[r] = 1; print r }
                skip = k + 1
            }
        }
        stack[++k] = name
    } else if (flags ~ /(^| )2( |$)/) {
        while (k > 1 && stack[k] != name) k--
        if (skip && k < skip) skip = 0
    } else if (k <= 1) {
        k = 1; stack[1] = name
    }
    line = n
    next
}
{ line++ }
