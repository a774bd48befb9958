# tests/vmsim/: the driver for every phase (build/vmsim) and its bench.
# vmsim links every stage in $(STAGES) and is told which exist with
# -DHAVE_<stage>.
VMSIM := $(BUILD)/vmsim
VMSIM_LIBS := $(foreach s,$(STAGES),$(LIB_$(s))) $(LIBCOMMON)
PROGRAMS += $(VMSIM)

$(O)/tests/vmsim/vmsim.o: CFLAGS += $(foreach s,$(STAGES),-DHAVE_$(s))
$(VMSIM): $(O)/tests/vmsim/vmsim.o $(VMSIM_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(VMSIM_LIBS) $(LDLIBS)

# make bench: every stage x MMU x threads x pattern, the phase3 ablation and
# the floor ratio, into build/bench/.
bench-run:: $(BUILD)/.built
	tests/vmsim/bench.sh $(BUILD)
