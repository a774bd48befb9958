# toplevel.awk - screen.sh's pass over the preprocessed text of one file:
# the top-level asm statements of the file itself ('asm', '__asm' or
# '__asm__' at brace depth 0, after ';', '}' or at the start).  Prints one
# 'LINE<TAB>CONSTRUCT<TAB>WHY' record per statement; the construct is
# .incbin/.include/.symver when the statement's string literals, joined,
# hold that directive, else "top-level assembly".  Variable: main (the
# file's path as compiled).  Only locates and names: that assembly exists
# at all is known from the compiler's output.

function record(line, text) {
    gsub(/\\[nt]/, " ", text); gsub(/[ \t]+/, " ", text)
    if (text ~ /(^|[;\n ])\.incbin/) c = ".incbin"
    else if (text ~ /(^|[;\n ])\.include/) c = ".include"
    else if (text ~ /(^|[;\n ])\.symver/) c = ".symver"
    else c = ""
    if (c == ".incbin") w = "it copies another file's bytes into the object"
    else if (c == ".include") w = "it reads another file into the assembly"
    else if (c == ".symver") w = "it renames symbols behind the linker's back"
    else { c = "top-level assembly"; w = "a submission is C only: assembly can do what the screen cannot check" }
    printf "%d\t%s\t%s\n", line, c, w
}

/^# [0-9]+ "/ {
    name = $0; sub(/^# [0-9]+ "/, "", name); sub(/".*$/, "", name)
    inmain = (name == main); line = $2; next
}
{
    if (!inmain) { line++; next }
    s = $0; i = 1; n = length(s)
    while (i <= n) {
        ch = substr(s, i, 1)
        if (ch == "\"" || ch == "'") {           # a literal: skip, keep asm text
            j = i + 1
            while (j <= n && substr(s, j, 1) != ch) j += (substr(s, j, 1) == "\\") ? 2 : 1
            if (collecting && ch == "\"") text = text substr(s, i + 1, j - i - 1)
            i = j + 1; prev = "lit"; continue
        }
        if (ch ~ /[A-Za-z_]/) {
            j = i; while (j <= n && substr(s, j, 1) ~ /[A-Za-z0-9_]/) j++
            w = substr(s, i, j - i)
            if (depth == 0 && (w == "asm" || w == "__asm" || w == "__asm__") &&
                (prev == "" || prev == ";" || prev == "}" || prev == "__extension__")) {
                collecting = 1; text = ""; at = line
            }
            prev = w; i = j; continue
        }
        if (ch == "{") depth++
        else if (ch == "}") depth--
        else if (ch == ";" && collecting && depth == 0) { record(at, text); collecting = 0 }
        if (ch !~ /[ \t]/) prev = ch
        i++
    }
    line++
}
