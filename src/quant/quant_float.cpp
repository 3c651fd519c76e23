// Plain float rows (F16, BF16) and the rounding helper shared by the block quantizers.
// Spec: ggml-formats.md §2.1.
#include <cmath>

#include "quant/quant_blocks.h"

namespace dsv4::quant_detail {

int round_nearest_even(float v) {
  // Integer-and-compare arithmetic only (a − trunc(a) is exact), so the FP rounding mode and
  // compiler flags cannot change the result. Callers clamp to their code range afterwards; the
  // guard below only keeps the int conversion defined.
  float a = std::fabs(v);
  if (!(a < 4194304.0f)) a = std::isnan(a) ? 0.0f : 4194304.0f;  // 2^22
  int i = static_cast<int>(a);
  const float frac = a - static_cast<float>(i);
  if (frac > 0.5f || (frac == 0.5f && (i & 1))) ++i;
  return v < 0.0f ? -i : i;
}

uint16_t fp16_scale_at_least(float d) {
  const float mag = std::fmin(std::fabs(d), 65504.0f);
  uint16_t h = f32_to_fp16(mag);
  if (fp16_to_f32(h) < mag) ++h;  // mag ≤ 65504, so h < 0x7bff here and h + 1 is finite
  return static_cast<uint16_t>(h | (std::signbit(d) ? 0x8000u : 0u));
}

void dequantize_f16(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) dst[i] = load_fp16(src + 2 * i);
}

void dequantize_bf16(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) dst[i] = bf16_to_f32(load_u16(src + 2 * i));
}

void quantize_f16(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) store_u16(dst + 2 * i, f32_to_fp16(src[i]));
}

void quantize_bf16(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) store_u16(dst + 2 * i, f32_to_bf16(src[i]));
}

}  // namespace dsv4::quant_detail
