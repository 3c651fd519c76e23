// 32-element block types with one fp16 scale: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0.
// Layouts and formulas: ggml-formats.md §2.2–§2.6. Element j of a Q4/Q5 block lives in the low
// nibble of qs[j] for j < 16 and in the high nibble of qs[j − 16] for j ≥ 16.
#include <algorithm>
#include <cmath>

#include "quant/quant_blocks.h"

namespace dsv4::quant_detail {
namespace {

// Element with the largest magnitude, keeping its sign (first one on ties).
float signed_absmax(const float *x, int n) {
  float best = 0.0f;
  for (int j = 0; j < n; ++j)
    if (std::fabs(x[j]) > std::fabs(best)) best = x[j];
  return best;
}

// Codes for an affine type x = q·d + m, q ∈ 0…levels: m = block min (nearest fp16),
// d = range / levels (rounded up), so |x − x̂| ≤ d/2 + |m − min|.
void affine_codes(const float *x, int levels, uint8_t *q, uint16_t *d16, uint16_t *m16) {
  float mn = x[0], mx = x[0];
  for (int j = 1; j < kQK; ++j) {
    mn = std::min(mn, x[j]);
    mx = std::max(mx, x[j]);
  }
  *d16 = fp16_scale_at_least((mx - mn) / static_cast<float>(levels));
  *m16 = f32_to_fp16(std::clamp(mn, -65504.0f, 65504.0f));
  const float d = fp16_to_f32(*d16), m = fp16_to_f32(*m16);
  for (int j = 0; j < kQK; ++j) {
    const int c = d != 0.0f ? round_nearest_even((x[j] - m) / d) : 0;
    q[j] = static_cast<uint8_t>(std::clamp(c, 0, levels));
  }
}

void pack_nibbles(const uint8_t *q, uint8_t *qs) {
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>((q[j] & 15) | (q[j + 16] & 15) << 4);
}

uint32_t pack_fifth_bits(const uint8_t *q) {
  uint32_t qh = 0;
  for (int j = 0; j < kQK; ++j) qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
  return qh;
}

// Code of element j from the Q4 nibble order, plus bit j of qh as bit 4 (qh = 0 for Q4 types).
int code_of(const uint8_t *qs, uint32_t qh, int j) {
  const int low = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
  return low | static_cast<int>((qh >> j) & 1) << 4;
}

}  // namespace

// ---- dequantize: products in ggml's order, (code − offset)·d and code·d + m ---------------------

void dequantize_q4_0(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ4_0Bytes, dst += kQK) {
    const float d = load_fp16(src);  // offset 0
    const uint8_t *qs = src + 2;     // offset 2
    for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(code_of(qs, 0, j) - 8) * d;
  }
}

void dequantize_q4_1(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ4_1Bytes, dst += kQK) {
    const float d = load_fp16(src), m = load_fp16(src + 2);  // offsets 0, 2
    const uint8_t *qs = src + 4;                              // offset 4
    for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(code_of(qs, 0, j)) * d + m;
  }
}

void dequantize_q5_0(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ5_0Bytes, dst += kQK) {
    const float d = load_fp16(src);         // offset 0
    const uint32_t qh = load_u32(src + 2);  // offset 2
    const uint8_t *qs = src + 6;            // offset 6
    for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(code_of(qs, qh, j) - 16) * d;
  }
}

void dequantize_q5_1(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ5_1Bytes, dst += kQK) {
    const float d = load_fp16(src), m = load_fp16(src + 2);  // offsets 0, 2
    const uint32_t qh = load_u32(src + 4);                    // offset 4
    const uint8_t *qs = src + 8;                              // offset 8
    for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(code_of(qs, qh, j)) * d + m;
  }
}

void dequantize_q8_0(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ8_0Bytes, dst += kQK) {
    const float d = load_fp16(src);  // offset 0, then 32 int8 codes
    for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(static_cast<int8_t>(src[2 + j])) * d;
  }
}

// ---- quantize ----------------------------------------------------------------------------------

void quantize_q4_0(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQK, dst += kQ4_0Bytes) {
    // d = v / −8 for the largest-magnitude element v maps v onto code 0 and uses the whole
    // asymmetric range −8…7; codes are computed with the stored (fp16-rounded) scale.
    uint8_t q[kQK];
    const uint16_t d16 = fp16_scale_at_least(signed_absmax(src, kQK) / -8.0f);
    const float d = fp16_to_f32(d16);
    for (int j = 0; j < kQK; ++j)
      q[j] = static_cast<uint8_t>(std::clamp(d != 0.0f ? round_nearest_even(src[j] / d) + 8 : 8, 0, 15));
    store_u16(dst, d16);
    pack_nibbles(q, dst + 2);
  }
}

void quantize_q5_0(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQK, dst += kQ5_0Bytes) {
    uint8_t q[kQK];  // as Q4_0 with codes −16…15
    const uint16_t d16 = fp16_scale_at_least(signed_absmax(src, kQK) / -16.0f);
    const float d = fp16_to_f32(d16);
    for (int j = 0; j < kQK; ++j)
      q[j] = static_cast<uint8_t>(std::clamp(d != 0.0f ? round_nearest_even(src[j] / d) + 16 : 16, 0, 31));
    store_u16(dst, d16);
    store_u32(dst + 2, pack_fifth_bits(q));
    pack_nibbles(q, dst + 6);
  }
}

void quantize_q4_1(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQK, dst += kQ4_1Bytes) {
    uint8_t q[kQK];
    uint16_t d16, m16;
    affine_codes(src, 15, q, &d16, &m16);
    store_u16(dst, d16);
    store_u16(dst + 2, m16);
    pack_nibbles(q, dst + 4);
  }
}

void quantize_q5_1(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQK, dst += kQ5_1Bytes) {
    uint8_t q[kQK];
    uint16_t d16, m16;
    affine_codes(src, 31, q, &d16, &m16);
    store_u16(dst, d16);
    store_u16(dst + 2, m16);
    store_u32(dst + 4, pack_fifth_bits(q));
    pack_nibbles(q, dst + 8);
  }
}

// d = amax/127 stored as fp16 (rounded up); codes round(x/d) with the stored d, so |x − q·d| ≤ d/2.
void quantize_q8_0(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQK, dst += kQ8_0Bytes) {
    const uint16_t d16 = fp16_scale_at_least(std::fabs(signed_absmax(src, kQK)) / 127.0f);
    const float d = fp16_to_f32(d16);
    store_u16(dst, d16);
    for (int j = 0; j < kQK; ++j) {
      const int c = d != 0.0f ? std::clamp(round_nearest_even(src[j] / d), -127, 127) : 0;
      dst[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(c));
    }
  }
}

}  // namespace dsv4::quant_detail
