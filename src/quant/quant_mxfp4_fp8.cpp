// Microscaling formats: ggml's MXFP4 blocks, DeepSeek's FP8 (E4M3, 128×128 block scales) and FP4
// (E2M1, E8M0 scale per 32) checkpoint tensors, and the FP8/FP4 fake quantisation of the V4
// reference. Specs: ggml-formats.md §2.7; deepseek-v4.md §3.5, §3.6, §6.3.
#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"

namespace dsv4 {
namespace quant_detail {
namespace {

// ggml evaluates MXFP4 as (2·E2M1 value, an int) × 2^(e − 128) (spec §2.7). Doing the same keeps
// e = 255 finite-scaled (2^127 instead of an unrepresentable 2^128) and code 8 a +0, so the
// result is bit-identical to ggml for every byte pattern.
constexpr int8_t kE2M1Doubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

float e8m0_half(uint8_t e) {
  if (e >= 2) return bits_to_f32(static_cast<uint32_t>(e - 1) << 23);
  return bits_to_f32(e == 1 ? 0x00400000u : 0x00200000u);  // 2^-127, 2^-128 (subnormal)
}

float block_absmax(const float *x, int64_t n) {
  float amax = 0.0f;
  for (int64_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

// Smallest amax the FP4 recipe allows (§3.6): 6·2^-126, exact in float32.
constexpr float kFp4AmaxFloor = 6.0f * pow2_f32(-126);

}  // namespace

void dequantize_mxfp4(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kMxfp4Bytes, dst += kQK) {
    const float d = e8m0_half(src[0]);  // offset 0: E8M0 exponent
    const uint8_t *qs = src + 1;        // offset 1: element j low nibble, j + 16 high nibble
    for (int j = 0; j < 16; ++j) {
      dst[j] = d * static_cast<float>(kE2M1Doubled[qs[j] & 15]);
      dst[j + 16] = d * static_cast<float>(kE2M1Doubled[qs[j] >> 4]);
    }
  }
}

// DeepSeek's FP4 recipe (§3.6 scale rule): s = 2^ceil(log2(amax/6)), codes e2m1(x/s) rounded to
// nearest even and saturated at ±6. The E8M0 byte is log2(s) + 127.
void quantize_mxfp4(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQK, dst += kMxfp4Bytes) {
    const int k = std::clamp(ue8m0_scale_exponent(block_absmax(src, kQK), kFp4AmaxFloor, 1.0f / 6.0f), -126, 127);
    dst[0] = static_cast<uint8_t>(k + 127);
    const float inv_s = pow2_f32(-k);  // exact: x · 2^-k equals x / 2^k
    for (int j = 0; j < 16; ++j) {
      const uint8_t lo = f32_to_e2m1(src[j] * inv_s), hi = f32_to_e2m1(src[j + 16] * inv_s);
      dst[1 + j] = static_cast<uint8_t>(lo | hi << 4);
    }
  }
}

}  // namespace quant_detail

int ue8m0_scale_exponent(float amax, float amax_floor, float inv_fmt_max) {
  return ceil_log2_bits(std::max(amax, amax_floor) * inv_fmt_max);
}

// ---- DeepSeek checkpoint tensors ----------------------------------------------------------------

namespace {

void check_fp8_args(int64_t rows, int64_t cols, int64_t row) {
  if (rows <= 0 || cols <= 0 || row < 0 || row >= rows)
    fail(DSV4_ERR_INVALID_ARGUMENT, "dequantize_fp8_block_scaled: row " + std::to_string(row) +
                                        " of a " + std::to_string(rows) + "x" + std::to_string(cols) +
                                        " matrix is out of range");
}

// Scale grid [ceil(rows/128)][ceil(cols/128)]: row `row` uses grid row row/128.
template <typename ScaleOf>
void dequantize_fp8_row(const uint8_t *w, int64_t cols, int64_t row, ScaleOf scale_of, float *dst) {
  const int64_t grid_cols = (cols + 127) / 128;
  const int64_t grid_row = row / 128;
  const uint8_t *wr = w + row * cols;
  for (int64_t c = 0; c < cols; ++c) dst[c] = e4m3_to_f32(wr[c]) * scale_of(grid_row * grid_cols + c / 128);
}

}  // namespace

void dequantize_fp8_block_scaled(const uint8_t *w, const float *scales, int64_t rows, int64_t cols, int64_t row,
                                 float *dst) {
  check_fp8_args(rows, cols, row);
  dequantize_fp8_row(w, cols, row, [scales](int64_t i) { return scales[i]; }, dst);
}

void dequantize_fp8_block_scaled_e8m0(const uint8_t *w, const uint8_t *scales, int64_t rows, int64_t cols,
                                      int64_t row, float *dst) {
  check_fp8_args(rows, cols, row);
  dequantize_fp8_row(w, cols, row, [scales](int64_t i) { return e8m0_to_f32(scales[i]); }, dst);
}

void dequantize_fp4_e8m0_row(const uint8_t *packed, const uint8_t *scales, int64_t n, float *dst) {
  if (n < 0 || n % 32 != 0)
    fail(DSV4_ERR_INVALID_ARGUMENT,
         "dequantize_fp4_e8m0_row: length " + std::to_string(n) + " is not a multiple of 32");
  for (int64_t k = 0; k < n / 2; ++k) {
    const float s = e8m0_to_f32(scales[(2 * k) / 32]);
    dst[2 * k] = e2m1_to_f32(packed[k] & 15) * s;
    dst[2 * k + 1] = e2m1_to_f32(packed[k] >> 4) * s;
  }
}

// ---- Fake quantisation --------------------------------------------------------------------------

namespace {

void check_fake_quant_args(const char *what, int64_t n, int64_t block_size) {
  if (block_size <= 0 || n < 0 || n % block_size != 0)
    fail(DSV4_ERR_INVALID_ARGUMENT, std::string(what) + ": length " + std::to_string(n) +
                                        " is not a multiple of the block size " + std::to_string(block_size));
}

}  // namespace

void fake_quant_fp8_row(const float *src, float *dst, int64_t n, int64_t block_size) {
  check_fake_quant_args("fake_quant_fp8_row", n, block_size);
  for (int64_t b = 0; b < n; b += block_size) {
    // amax is taken before anything is written, so dst == src is safe.
    const int k = ue8m0_scale_exponent(quant_detail::block_absmax(src + b, block_size), 1e-4f, 1.0f / 448.0f);
    const float s = pow2_f32(std::clamp(k, -149, 127));
    for (int64_t j = b; j < b + block_size; ++j) {
      const float q = std::clamp(src[j] / s, -448.0f, 448.0f);
      dst[j] = e4m3_to_f32(f32_to_e4m3(q)) * s;
    }
  }
}

void fake_quant_fp4_row(const float *src, float *dst, int64_t n) {
  check_fake_quant_args("fake_quant_fp4_row", n, 32);
  for (int64_t b = 0; b < n; b += 32) {
    const int k = ue8m0_scale_exponent(quant_detail::block_absmax(src + b, 32), quant_detail::kFp4AmaxFloor,
                                       1.0f / 6.0f);
    const float s = pow2_f32(std::clamp(k, -149, 127));
    for (int64_t j = b; j < b + 32; ++j) {
      const float q = std::clamp(src[j] / s, -6.0f, 6.0f);
      dst[j] = e2m1_to_f32(f32_to_e2m1(q)) * s;
    }
  }
}

}  // namespace dsv4
