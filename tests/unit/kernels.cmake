# Tests of the CPU kernels (src/backend/cpu/kernels.h) and the matmul built on them.
dsv4_add_test(test_cpu_kernels
  SOURCES unit/test_cpu_kernels.cpp golden/golden_util.cpp
  LABELS ops)
# Packed (repacked) weight layouts: round trip and the AVX-512 kernels against the scalar int8
# reference (src/backend/cpu/packed.h).
dsv4_add_test(test_packed SOURCES unit/test_packed.cpp golden/golden_util.cpp LABELS unit ops)
