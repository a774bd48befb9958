# tests/stage/: the stage suite's waits with a deadline (the workload runs,
# start and stop) come from tests/common/bounded_wait.c, linked into every
# check_stage_<phase> that tests/build.mk defines.
$(foreach s,$(STAGES),\
  $(eval $(BUILD)/tests/check_stage_$(s): $(call objs,tests/common/bounded_wait.c)))
