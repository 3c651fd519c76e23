// Internal: how the kernel files hand their functions to kernels.cpp. Each kernel file fills the
// slots it implements for a type and leaves the others alone; kernels.cpp merges the families
// (a slot a family lacks comes from the next lower family). Declarations only: this header is
// included by files compiled with different -m flags, so it must not define inline functions.
#pragma once

#include <cstdint>

#include "backend/cpu/kernels.h"

namespace dsv4::cpu::family {

struct Slots {
  DotF32Fn dot_f32 = nullptr;
  DotF32xNFn dot_f32_xN = nullptr;
  DotQ8Fn dot_q8 = nullptr;
  DotQ8xNFn dot_q8_xN = nullptr;
};

// Activation rounding of the int8 path in SIMD, bit-identical to quant.h's scalar recipes
// (act_quant_avx2.cpp, act_quant_avx512.cpp). q8_0: for each 32-element block b, the codes of
// quantize_row_q8_0_act (kX86Avx) at qs + act::q8_0_pos(b, ·), the unrounded scale amax/127 in
// d[b] and, when sum is not null, Σ codes in sum[b]; kernels.cpp rounds the scales to fp16.
// q8_k: the codes, scales and bsums of quantize_row_q8_k_act (qs, d, bsums in element order).
struct ActQuant {
  void (*q8_0)(const float *x, int64_t n, int8_t *qs, float *d, float *sum) = nullptr;
  void (*q8_k)(const float *x, int64_t n, int8_t *qs, float *d, int16_t *bsums) = nullptr;
};
void avx2_act(ActQuant &a);
void avx512_act(ActQuant &a);

// Scalar: dot_f32_scalar.cpp, dot_q8_scalar.cpp (32-element blocks), dot_q8k_scalar.cpp (K-quants).
void scalar_f32(uint32_t type, Slots &s);
void scalar_q8(uint32_t type, Slots &s);
void scalar_q8k(uint32_t type, Slots &s);
// AVX2 + FMA + F16C: dot_f32_avx2.cpp, dot_f32k_avx2.cpp, dot_q8_avx2.cpp, dot_q8k_avx2.cpp.
void avx2_f32(uint32_t type, Slots &s);
void avx2_f32k(uint32_t type, Slots &s);
void avx2_q8(uint32_t type, Slots &s);
void avx2_q8k(uint32_t type, Slots &s);
// AVX-512 F/BW/VL/DQ + VNNI: same file names with _avx512.
void avx512_f32(uint32_t type, Slots &s);
void avx512_f32k(uint32_t type, Slots &s);
void avx512_q8(uint32_t type, Slots &s);
void avx512_q8k(uint32_t type, Slots &s);

}  // namespace dsv4::cpu::family
