// Activation quantization exactly as llama.cpp's CPU backend does it before an integer dot
// product with a quantized weight row (ggml-formats.md §4.2, §4.3). Reproducing it is what makes
// our logits match the *.logits.f32 files produced by llama.cpp (as opposed to *.ref.logits.f32).
#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"

namespace dsv4 {
namespace {

void check_length(const char *what, int64_t n, int64_t block) {
  if (n < 0 || n % block != 0)
    fail(DSV4_ERR_INVALID_ARGUMENT,
         std::string(what) + ": length " + std::to_string(n) + " is not a multiple of " + std::to_string(block));
}

// Codes of one 32-element block (§4.2 steps 1–4); returns the unrounded float d = amax/127.
float q8_codes_32(const float *x, int8_t *qs, Q8ActRecipe recipe) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  for (int j = 0; j < 32; ++j) {
    int q;
    if (recipe == Q8ActRecipe::kX86Avx) {
      const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
      q = quant_detail::round_nearest_even(x[j] * id);
    } else {
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      q = static_cast<int>(std::round(x[j] * id));  // ties away from zero, like roundf
    }
    // |x·id| ≤ 127 up to one rounding, so the clamp never changes a code; it keeps int8 defined.
    qs[j] = static_cast<int8_t>(std::clamp(q, -127, 127));
  }
  return d;
}

}  // namespace

void quantize_row_q8_0_act(const float *x, BlockQ8_0 *dst, int64_t n, Q8ActRecipe recipe) {
  check_length("quantize_row_q8_0_act", n, 32);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float d = q8_codes_32(x + 32 * b, dst[b].qs, recipe);
    dst[b].d = f32_to_fp16(d);  // the codes above used the unrounded d (step 5)
  }
}

void quantize_row_q8_1_act(const float *x, BlockQ8_1 *dst, int64_t n, Q8ActRecipe recipe) {
  check_length("quantize_row_q8_1_act", n, 32);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float d = q8_codes_32(x + 32 * b, dst[b].qs, recipe);
    int sum = 0;
    for (int j = 0; j < 32; ++j) sum += dst[b].qs[j];
    dst[b].d = f32_to_fp16(d);
    dst[b].s = f32_to_fp16(d * static_cast<float>(sum));  // block sum, for Q4_1/Q5_1's min term
  }
}

void quantize_row_q8_k_act(const float *x, BlockQ8_K *dst, int64_t n) {
  check_length("quantize_row_q8_k_act", n, 256);
  for (int64_t b = 0; b < n / 256; ++b, x += 256) {
    BlockQ8_K &y = dst[b];
    // The signed value of the first element of largest magnitude (replace only on strictly greater).
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 256; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      y.d = 0.0f;
      std::fill(std::begin(y.qs), std::end(y.qs), int8_t{0});
      std::fill(std::begin(y.bsums), std::end(y.bsums), int16_t{0});
      continue;
    }
    // Negative iscale: the element at `max` gets code −127 and d = 1/iscale carries the sign.
    const float iscale = -127.0f / max;
    for (int j = 0; j < 256; ++j)
      y.qs[j] = static_cast<int8_t>(std::clamp(quant_detail::round_nearest_even(iscale * x[j]), -128, 127));
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += y.qs[16 * g + j];
      y.bsums[g] = static_cast<int16_t>(sum);
    }
    y.d = 1.0f / iscale;
  }
}

}  // namespace dsv4
