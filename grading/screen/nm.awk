# nm.awk - screen.sh's symbol check of one built object.  Input lines
# (tab-separated, in this order): 'starter_any NAME' (globals of the
# stage's starter files), 'starter NAME' (of this file's starter), 'api
# NAME' (the kit's), 'allow PATTERN' (allowlists; * and ? globs), 'prefix
# P', 'foreign NAME WHOSE' (never to be defined), 'sym NAME TYPE' (nm -P
# of the object).  Prints 'LINE<TAB>CONSTRUCT<TAB>WHY' records, LINE
# '@NAME'.
#
# Rules: an undefined symbol (U, w, v) must be in api, starter_any, an
# allowlist, or carry a stage prefix.  A defined global must be in starter
# or carry a prefix, and never be foreign (ASan's __odr_asan.NAME counts
# as NAME).  Names must look like C names.

function glob_to_re(p) {
    gsub(/[.$^+(){}|\[\]\\]/, "\\\\&", p)
    gsub(/\*/, ".*", p); gsub(/\?/, ".", p)
    return "^" p "$"
}

function prefixed(name,   i) {
    for (i = 1; i <= nprefix; i++)
        if (index(name, prefix[i]) == 1) return 1
    return 0
}

function allowed(name,   i) {
    if (name in api || name in starter_any || name in allow || prefixed(name)) return 1
    for (i = 1; i <= nglob; i++) if (name ~ glob[i]) return 1
    return 0
}

function record(name, construct, why) { printf "@%s\t%s\t%s\n", name, construct, why }

$1 == "starter_any" { starter_any[$2] = 1; next }
$1 == "starter" { starter[$2] = 1; next }
$1 == "api" { api[$2] = 1; next }
$1 == "allow" { if ($2 ~ /[*?]/) glob[++nglob] = glob_to_re($2); else allow[$2] = 1; next }
$1 == "prefix" { prefix[++nprefix] = $2; next }
$1 == "foreign" { if (!($2 in foreign)) foreign[$2] = $3; next }
$1 == "sym" {
    name = $2; type = $3
    if (type ~ /^[Uwv]$/) {
        if (name !~ /^[A-Za-z_][A-Za-z0-9_.$]*$/)
            record(name, "symbol " name, "it is not a C name")
        else if (!allowed(name))
            record(name, "use of " name, "it is not on the list of functions a submission may use: grading/screen/libc.allow, grading/screen/" stage ".allow")
        next
    }
    if (type !~ /^[A-Z]$/ && type != "u" && type != "i") next   # local symbols
    # ASan's one-definition-rule indicator of a global: judged as the global.
    if (name ~ /^__odr_asan[._]/) { name = name; sub(/^__odr_asan[._]/, "", name) }
    if (type == "i") { record(name, "ifunc " name, "its resolver runs while the program loads, before any test"); next }
    if (name !~ /^[A-Za-z_][A-Za-z0-9_]*$/)
        record(name, "definition of " name, "it is not a C name")
    else if (name in foreign && !(name in starter))
        record(name, "definition of " name, "it is " foreign[name] ": defining it would replace it in the whole test program")
    else if (!(name in starter) && !prefixed(name))
        record(name, "definition of " name, "a submission defines only the starter's functions and names starting with " prefixlist())
}
function prefixlist(   i, s) {
    for (i = 1; i <= nprefix; i++) s = s (i > 1 ? " or " : "") prefix[i]
    return s
}
