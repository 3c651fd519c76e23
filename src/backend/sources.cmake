# Sources of src/backend (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/backend/cpu/thread_pool.cpp
  src/backend/cpu/cpu_backend.cpp
  src/backend/cpu/cpu_ops_v4.cpp
  src/backend/kv_format.cpp
)
# CPU kernels chosen at run time (kernels.h); the per-ISA files get their -m flags from
# src/backend/cpu/simd_flags.cmake.
list(APPEND DSV4_LIB_SOURCES
  src/backend/cpu/cpu_features.cpp
  src/backend/cpu/kernels.cpp
  src/backend/cpu/matmul_options.cpp
  src/backend/cpu/dot_f32_scalar.cpp
  src/backend/cpu/dot_q8_scalar.cpp
  src/backend/cpu/dot_q8k_scalar.cpp
  src/backend/cpu/dot_f32_avx2.cpp
  src/backend/cpu/dot_f32k_avx2.cpp
  src/backend/cpu/dot_q8_avx2.cpp
  src/backend/cpu/dot_q8k_avx2.cpp
  src/backend/cpu/dot_f32_avx512.cpp
  src/backend/cpu/dot_f32k_avx512.cpp
  src/backend/cpu/dot_q8_avx512.cpp
  src/backend/cpu/dot_q8k_avx512.cpp
  src/backend/cpu/act_quant_avx2.cpp
  src/backend/cpu/act_quant_avx512.cpp
  src/backend/cpu/packed.cpp
  src/backend/cpu/packed_q4_k.cpp
  src/backend/cpu/packed_q6_k.cpp
  src/backend/cpu/packed_q32.cpp
  src/backend/cpu/packed_q4_k_avx512.cpp
  src/backend/cpu/packed_q6_k_avx512.cpp
  src/backend/cpu/packed_q32_avx512.cpp
)
