# Tests of the CPU kernels (src/backend/cpu/kernels.h) and the matmul built on them.
dsv4_add_test(test_cpu_kernels
  SOURCES unit/test_cpu_kernels.cpp golden/golden_util.cpp
  LABELS ops)
