// Per-type entry points behind quant.h's dispatchers, and the unaligned little-endian field
// access they share. Each function handles `nb` whole blocks; byte layouts are in
// ../shared/spec/ggml-formats.md §2 (offsets are quoted next to each use).
#pragma once

#include <cstdint>
#include <cstring>

#include "quant/float_conv.h"

namespace dsv4::quant_detail {

// Blocks sit at any byte offset in a file (17-, 22-, 34-byte blocks), so fields are read by
// memcpy, never through a cast pointer.
inline uint16_t load_u16(const uint8_t *p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint32_t load_u32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline float load_fp16(const uint8_t *p) { return fp16_to_f32(load_u16(p)); }
inline void store_u16(uint8_t *p, uint16_t v) { std::memcpy(p, &v, sizeof v); }
inline void store_u32(uint8_t *p, uint32_t v) { std::memcpy(p, &v, sizeof v); }

// Block geometry (elements, bytes) of the types implemented here.
inline constexpr int kQK = 32;    // Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 MXFP4
inline constexpr int kQKK = 256;  // K-quants
inline constexpr int kQ4_0Bytes = 18, kQ4_1Bytes = 20, kQ5_0Bytes = 22, kQ5_1Bytes = 24, kQ8_0Bytes = 34;
inline constexpr int kMxfp4Bytes = 17;
inline constexpr int kQ2_KBytes = 84, kQ3_KBytes = 110, kQ4_KBytes = 144, kQ5_KBytes = 176, kQ6_KBytes = 210;

// Round to nearest, ties to even, for |v| < 2^22, independent of the FP environment.
int round_nearest_even(float v);

// fp16 code of a block scale whose magnitude is at least |d| (the nearest fp16, moved one step
// away from zero if that rounded down), saturating at ±65504. Quantizers compute their codes
// with this stored scale, and a scale that never shrinks means the block's extreme value never
// clips; in particular a tiny nonzero scale never becomes 0.
uint16_t fp16_scale_at_least(float d);

// quant_float.cpp (nb = elements)
void dequantize_f16(const uint8_t *src, float *dst, int64_t nb);
void dequantize_bf16(const uint8_t *src, float *dst, int64_t nb);
void quantize_f16(const float *src, uint8_t *dst, int64_t nb);
void quantize_bf16(const float *src, uint8_t *dst, int64_t nb);

// quant_q4_q5_q8.cpp
void dequantize_q4_0(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q4_1(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q5_0(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q5_1(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q8_0(const uint8_t *src, float *dst, int64_t nb);
void quantize_q4_0(const float *src, uint8_t *dst, int64_t nb);
void quantize_q4_1(const float *src, uint8_t *dst, int64_t nb);
void quantize_q5_0(const float *src, uint8_t *dst, int64_t nb);
void quantize_q5_1(const float *src, uint8_t *dst, int64_t nb);
void quantize_q8_0(const float *src, uint8_t *dst, int64_t nb);

// quant_k_dequant.cpp / quant_k_quantize.cpp
void dequantize_q2_k(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q3_k(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q4_k(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q5_k(const uint8_t *src, float *dst, int64_t nb);
void dequantize_q6_k(const uint8_t *src, float *dst, int64_t nb);
void quantize_q2_k(const float *src, uint8_t *dst, int64_t nb);
void quantize_q3_k(const float *src, uint8_t *dst, int64_t nb);
void quantize_q4_k(const float *src, uint8_t *dst, int64_t nb);
void quantize_q5_k(const float *src, uint8_t *dst, int64_t nb);
void quantize_q6_k(const float *src, uint8_t *dst, int64_t nb);

// The 12-byte 6-bit scale/min packing shared by Q4_K and Q5_K (spec §2.10).
void unpack_scale_min_k4(const uint8_t *packed, uint8_t scales[8], uint8_t mins[8]);
void pack_scale_min_k4(const uint8_t scales[8], const uint8_t mins[8], uint8_t *packed);

// quant_mxfp4_fp8.cpp
void dequantize_mxfp4(const uint8_t *src, float *dst, int64_t nb);
void quantize_mxfp4(const float *src, uint8_t *dst, int64_t nb);

}  // namespace dsv4::quant_detail
