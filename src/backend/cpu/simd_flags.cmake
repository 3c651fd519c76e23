# Per-file compile flags of the CPU kernels (included by the top-level CMakeLists.txt after the
# dsv4_objects target). Only these files get -m flags; everything else stays baseline x86-64, and
# kernels.cpp picks a family at run time from CPUID, so one binary runs on any x86-64.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64|i.86")
  set(_dsv4_cpu src/backend/cpu)
  # GCC 12's avx512fintrin.h initialises _mm512_undefined_*() from itself, which -Wall reports
  # as uninitialised wherever such an intrinsic is inlined (a false positive).
  set(_dsv4_quiet "")
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(_dsv4_quiet "-Wno-uninitialized;-Wno-maybe-uninitialized")
  endif()
  # The scalar kernels must not contract a*b+c into FMA (they reproduce vec_dot's bits).
  set_source_files_properties(
    ${_dsv4_cpu}/dot_f32_scalar.cpp ${_dsv4_cpu}/dot_q8_scalar.cpp ${_dsv4_cpu}/dot_q8k_scalar.cpp
    PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
  set_source_files_properties(
    ${_dsv4_cpu}/dot_f32_avx2.cpp ${_dsv4_cpu}/dot_f32k_avx2.cpp
    ${_dsv4_cpu}/dot_q8_avx2.cpp ${_dsv4_cpu}/dot_q8k_avx2.cpp ${_dsv4_cpu}/act_quant_avx2.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
  set_source_files_properties(
    ${_dsv4_cpu}/dot_f32_avx512.cpp ${_dsv4_cpu}/dot_f32k_avx512.cpp
    ${_dsv4_cpu}/dot_q8_avx512.cpp ${_dsv4_cpu}/dot_q8k_avx512.cpp ${_dsv4_cpu}/act_quant_avx512.cpp
    ${_dsv4_cpu}/packed_q4_k_avx512.cpp ${_dsv4_cpu}/packed_q6_k_avx512.cpp ${_dsv4_cpu}/packed_q32_avx512.cpp
    PROPERTIES COMPILE_OPTIONS
      "-mavx2;-mfma;-mf16c;-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;${_dsv4_quiet}")
  unset(_dsv4_cpu)
  unset(_dsv4_quiet)
endif()
