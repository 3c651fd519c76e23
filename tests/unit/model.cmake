# Tests of src/model: deepseek4's building blocks, planner and metadata validation.
dsv4_add_test(test_model_v4 SOURCES
  unit/test_model_v4_ops.cpp
  unit/test_model_v4_plan.cpp
  unit/test_model_v4_metadata.cpp
  unit/test_model_v4_fp8.cpp
  LABELS unit)
# The per-element reference values must round exactly like the library.
target_compile_options(test_model_v4 PRIVATE -ffp-contract=off)
# test_model_v4_plan runs the dsv4 binary.
add_dependencies(test_model_v4 dsv4_cli)
