# Tests of src/quant.
dsv4_add_test(test_quant SOURCES
  unit/test_quant_float.cpp
  unit/test_quant_dequant.cpp
  unit/test_quant_roundtrip.cpp
  unit/test_quant_act.cpp
  unit/test_quant_deepseek.cpp
  LABELS unit)
# The per-element reference formulas in the tests must round exactly like the library's.
target_compile_options(test_quant PRIVATE -ffp-contract=off)
