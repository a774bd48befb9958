# asm.awk - screen.sh's pass over the compiler's assembly (-S -g) of one
# file.  Prints 'LINE<TAB>CONSTRUCT<TAB>WHY' records; LINE is '@NAME' for
# the line of symbol NAME (screen.sh resolves it with nm -l) or
# '@toplevel' for top-level assembly (located in the preprocessed text).
# Variables: main (the file's path as compiled), instrumented (1 for
# sanitizer or coverage flags: their own constructors are allowed).
#
# Contract: every #APP..#NO_APP block gives one record (its most telling
# construct); outside blocks, .incbin/.include/.symver, directives the
# compiler never writes, sections outside its ordinary ones, constructor
# table entries and ifuncs each give one.

function why_asm() { return "a submission is C only: assembly can do what the screen cannot check" }

function record(line, construct, why) { printf "%s\t%s\t%s\n", line, construct, why }

# The directive's telling construct, or "" for an ordinary one.
function special(d) {
    if (d == ".incbin") return ".incbin"
    if (d == ".include") return ".include"
    if (d == ".symver") return ".symver"
    return ""
}

function special_why(c) {
    if (c == ".incbin") return "it copies another file's bytes into the object"
    if (c == ".include") return "it reads another file into the assembly"
    return "it renames symbols behind the linker's back"
}

function ordinary_section(name) {
    return name ~ /^\.(text|data|bss|rodata|tdata|tbss)(\.|$)/ ||
           name ~ /^\.(note\.GNU-stack|comment|eh_frame|group|note\.gnu\.property)$/ ||
           name ~ /^\.debug/ || name ~ /^\.gcc_except_table/
}

function section_refusal(line) {
    record(line, "section " pendsect, "only the compiler's ordinary sections may hold the code and data")
}

function ctor_section(name) {
    return name ~ /^\.(init_array|fini_array|preinit_array|ctors|dtors)(\.|$)/
}

# The compiler's own constructors in sanitizer and coverage builds.
function compiler_ctor(sym) {
    return instrumented && (sym ~ /^_sub_[ID]_[0-9]+_[0-9]+$/ ||
        sym ~ /^(asan|tsan|msan|hwasan|sancov)\.module_[cd]tor$/ ||
        sym ~ /^__llvm_gcov_(init|reset|dump)$/)
}

BEGIN {
    n = split(".file .loc .text .data .bss .section .pushsection .popsection " \
        ".previous .align .p2align .balign .globl .global .local .comm .lcomm " \
        ".weak .hidden .protected .internal .type .size .ident .string .ascii " \
        ".asciz .byte .value .short .word .long .int .quad .zero .skip " \
        ".uleb128 .sleb128 .set .equ .weakref .2byte .4byte .8byte .dc.a " \
        ".addrsig .addrsig_sym .loc_mark_labels .octa .base64", d, " ")
    for (i = 1; i <= n; i++) known[d[i]] = 1
    loc = "@file"
}

# Line bookkeeping: .file numbers of the main file, its .loc lines.
$1 == ".file" && $2 ~ /^[0-9]+$/ {
    name = $0; sub(/"[^"]*$/, "", name); sub(/^.*"/, "", name)
    if (name == main || substr(name, length(name) - length(main)) == "/" main)
        mainno[$2] = 1
}
$1 == ".loc" && ($2 in mainno) { loc = $3 }
$1 == ".type" && $0 ~ /[@%]function/ { f = $2; sub(/,.*/, "", f); isfunc[f] = 1 }
$1 == ".type" && $0 ~ /gnu_indirect_function/ {
    f = $2; sub(/,.*/, "", f)
    record("@" f, "ifunc " f, "its resolver runs while the program loads, before any test")
}
/^[A-Za-z_.$][A-Za-z0-9_.$]*:/ {
    l = $1; sub(/:.*/, "", l)
    if (l in isfunc) infunc = 1
    if (pendsect != "" && l !~ /^\.L/) { section_refusal("@" l); pendsect = "" }
}
$1 == ".size" { f = $2; sub(/,.*/, "", f); if (f in isfunc) infunc = 0 }

# Assembly written by the submission.
/^[ \t]*#APP/ { inapp = 1; what = ""; appline = infunc ? loc : "@toplevel"; next }
/^[ \t]*#NO_APP/ {
    inapp = 0
    if (what != "") record(appline, what, special_why(what))
    else if (appline == "@toplevel") record(appline, "top-level assembly", why_asm())
    else record(appline, "inline assembly", why_asm())
    next
}
inapp && /^# [0-9]+ "/ { if (infunc && $2 > 0) appline = $2; next }
inapp {
    c = special($1)
    if (c != "" && (what == "" || c == ".incbin")) what = c
    next
}

# What the compiler wrote (or was tricked into writing).
$1 ~ /^\./ && $1 !~ /:$/ {
    c = special($1)
    if (c != "") { record(loc, c, special_why(c)); next }
    if (!($1 in known) && $1 !~ /^\.cfi_/) {
        record(loc, "assembler directive " $1, "the compiler never writes it, so it came from the submission")
        next
    }
    if ($1 == ".section" || $1 == ".pushsection") {
        s = $2; sub(/,.*/, "", s); gsub(/"/, "", s)
        cursect = s
        if (ctor_section(s)) next
        if (!ordinary_section(s) && !(s in refusedsect)) {
            refusedsect[s] = 1; pendsect = s    # placed at its first symbol
        }
        next
    }
    if ($1 == ".text" || $1 == ".data" || $1 == ".bss") { cursect = $1; next }
    if (ctor_section(cursect) && ($1 == ".quad" || $1 == ".dc.a" || $1 == ".8byte" || $1 == ".long")) {
        sym = $2
        if (!compiler_ctor(sym)) {
            kind = cursect ~ /fini|dtors/ ? "destructor" : "constructor"
            record("@" sym, kind " " sym, "code that runs before main or after the tests is not allowed")
        }
    }
}

END { if (pendsect != "") section_refusal(loc) }
