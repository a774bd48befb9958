#!/usr/bin/env bash
# run.sh KIT BUILD WORLD - the world check_screen.c asserts on, made once
# per test run: WORLD/tree is a copy of the kit's stage and common sources
# with the STARTER version of every manifest file and the fixtures of this
# folder in phase1-single/fx/; WORLD/build holds their objects next to
# links to BUILD's kit objects (libcommon.a, the stages' other objects,
# the test harness).  Then it runs grading/screen.sh and leaves, in WORLD:
#   headers.out / objects.out      the fixtures screened (one run each)
#   ref-<stage>.out, starter-<stage>.out   both modes on the unmodified
#                                  reference (KIT, BUILD) and the starters
#   *.rc                           screen.sh's exit statuses
# SCREEN_CC and SCREEN_CFLAGS come from the environment.  Header fixtures
# are named in HEADER_FIXTURES below; every other fixture is an object one.
set -u
KIT=$1 BUILD=$2 W=$3
STAGES="phase1-single phase2-locks phase3-optimized pager-cow"
HEADER_FIXTURES="macro_include digraph backslash comment_include etc_passwd tests_source self_include blowup"
SCREEN=$KIT/grading/screen.sh
cd "$W" || exit 2
mkdir -p tree/tests build/obj
for d in common $STAGES; do cp -r "$KIT/$d" tree/; done
cp "$KIT"/tests/*.c "$KIT"/tests/*.h tree/tests/
mkdir -p tree/phase1-single/fx build/obj/phase1-single/fx
cp "$KIT"/tests/grading/screen_fixtures/*.c tree/phase1-single/fx/
ln -s "$BUILD/lib" build/lib
ln -s "$BUILD/obj/tests" build/obj/tests
manifests=""
for st in $STAGES; do
  mkdir -p "build/obj/$st"
  for o in "$BUILD/obj/$st"/*.o; do ln -s "$o" "build/obj/$st/"; done
  [ -d "$BUILD/obj/$st/infra" ] && ln -s "$BUILD/obj/$st/infra" "build/obj/$st/infra"
  for m in $(cat "$KIT/$st/MANIFEST"); do
    rm -f "build/obj/${m%.c}.o"
    unifdef -USOLUTION -x2 "$KIT/$m" > "tree/$m"
    manifests="$manifests $m"
  done
done
objfx=""
for f in tree/phase1-single/fx/*.c; do
  n=$(basename "$f" .c)
  case " $HEADER_FIXTURES " in *" $n "*) ;; *) objfx="$objfx phase1-single/fx/$n.c" ;; esac
done
# Compile the starters and object fixtures, two at a time.
(cd tree && printf '%s\n' $manifests $objfx |
  xargs -P 2 -I{} sh -c 'timeout 20 $SCREEN_CC $SCREEN_CFLAGS -c -o "../build/obj/$(echo {} | sed "s/\.c$/.o/")" {} 2>/dev/null' )
hdrfx=""
for n in $HEADER_FIXTURES; do hdrfx="$hdrfx phase1-single/fx/$n.c"; done
run() { # NAME CMD...: CMD's stdout to NAME.out, status to NAME.rc
  local name=$1; shift
  "$@" > "$name.out" 2> "$name.err"; echo $? > "$name.rc"
}
SCREEN_SECONDS=3 run headers "$SCREEN" headers --tree tree --stage phase1-single $hdrfx &
run objects "$SCREEN" objects --tree tree --stage phase1-single --build build $objfx
wait
for st in $STAGES; do
  files=$(cat "$KIT/$st/MANIFEST")
  run "ref-headers-$st" "$SCREEN" headers --tree "$KIT" --stage "$st" $files &
  run "ref-objects-$st" "$SCREEN" objects --tree "$KIT" --stage "$st" --build "$BUILD" $files
  wait
  run "starter-headers-$st" "$SCREEN" headers --tree tree --stage "$st" $files &
  run "starter-objects-$st" "$SCREEN" objects --tree tree --stage "$st" --build build $files
  wait
done
