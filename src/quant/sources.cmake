# Sources of src/quant (explicit list, no GLOB).
set(DSV4_QUANT_SOURCES
  src/quant/quant_act.cpp
  src/quant/quant_float.cpp
  src/quant/quant_k_dequant.cpp
  src/quant/quant_k_quantize.cpp
  src/quant/quant_mxfp4_fp8.cpp
  src/quant/quant_q4_q5_q8.cpp
  src/quant/quant_row.cpp
)
list(APPEND DSV4_LIB_SOURCES ${DSV4_QUANT_SOURCES})
# The reference must be bit-identical to ggml's dequantization and to the summation order
# documented in quant.h: forbid fusing a multiply and an add into one FMA, which GCC does by
# default for C++ whenever the target has FMA (e.g. under -march=native).
set_source_files_properties(${DSV4_QUANT_SOURCES} PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
