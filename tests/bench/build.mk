# tests/bench/: the machine's floor benchmark (a program, not a check suite).
#   build/<...>/tests/bench_floor [--json] [--replay faults=N,...]
# 'make bench' runs it from a release build into build/bench/floor.txt
# (and floor.json); phase benches call it with --replay for their floor.
BENCH_FLOOR := $(BUILD)/tests/bench_floor
PROGRAMS += $(BENCH_FLOOR)

$(BENCH_FLOOR): $(call objs,tests/bench/bench_floor.c) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) $(LDLIBS)

bench-run:: $(BENCH_FLOOR)
	@mkdir -p build/bench
	$(BENCH_FLOOR) > build/bench/floor.txt
	$(BENCH_FLOOR) --json > build/bench/floor.json
	@cat build/bench/floor.txt
