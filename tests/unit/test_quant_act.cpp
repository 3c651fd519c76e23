// Activation quantization (ggml-formats.md §4.2, §4.3) against hand-computed blocks and an
// independent transcription of the recipes.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <random>
#include <vector>

#include "common/error.h"
#include "quant/float_conv.h"
#include "quant/quant.h"
#include "unit/test_quant_ref.h"

namespace dsv4::test {
namespace {

std::vector<float> random_activations(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto &v : x) v = normal(rng) * ((rng() % 7) == 0 ? 10.0f : 1.0f);
  return x;
}

TEST(QuantAct, Q8_0HandBuiltTies) {
  // amax = 127 → d = 1, id = 1 in both recipes; the codes are the rounded inputs.
  float x[32] = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 3.4f, -126.6f};
  BlockQ8_0 avx[1], ref[1];
  quantize_row_q8_0_act(x, avx, 32, Q8ActRecipe::kX86Avx);
  quantize_row_q8_0_act(x, ref, 32, Q8ActRecipe::kReference);
  EXPECT_EQ(avx[0].d, 0x3c00);
  EXPECT_EQ(ref[0].d, 0x3c00);
  const int want_avx[8] = {127, 0, 2, 2, 0, -2, 3, -127};  // ties to even
  const int want_ref[8] = {127, 1, 2, 3, -1, -3, 3, -127};  // ties away from zero
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(avx[0].qs[j], want_avx[j]) << j;
    EXPECT_EQ(ref[0].qs[j], want_ref[j]) << j;
  }
  // All-zero block: d = 0, codes 0.
  float z[32] = {};
  quantize_row_q8_0_act(z, avx, 32);
  EXPECT_EQ(avx[0].d, 0);
  for (int8_t q : avx[0].qs) EXPECT_EQ(q, 0);
}

TEST(QuantAct, Q8_0AndQ8_1MatchTranscribedRecipe) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);  // nearbyint below is the ties-to-even rounding
  const int n = 32 * 300;
  const auto x = random_activations(n, 11);
  std::vector<BlockQ8_0> a0(n / 32), r0(n / 32);
  std::vector<BlockQ8_1> a1(n / 32), r1(n / 32);
  quantize_row_q8_0_act(x.data(), a0.data(), n, Q8ActRecipe::kX86Avx);
  quantize_row_q8_0_act(x.data(), r0.data(), n, Q8ActRecipe::kReference);
  quantize_row_q8_1_act(x.data(), a1.data(), n, Q8ActRecipe::kX86Avx);
  quantize_row_q8_1_act(x.data(), r1.data(), n, Q8ActRecipe::kReference);
  int recipe_differences = 0;
  for (int b = 0; b < n / 32; ++b) {
    const float *xb = x.data() + 32 * b;
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id_avx = 127.0f / amax, id_ref = 1.0f / d;
    int sum_avx = 0, sum_ref = 0;
    for (int j = 0; j < 32; ++j) {
      const int qa = static_cast<int>(std::nearbyint(xb[j] * id_avx));
      const int qr = static_cast<int>(std::roundf(xb[j] * id_ref));
      ASSERT_EQ(a0[b].qs[j], qa) << b << ":" << j;
      ASSERT_EQ(r0[b].qs[j], qr) << b << ":" << j;
      ASSERT_EQ(a1[b].qs[j], qa);
      ASSERT_EQ(r1[b].qs[j], qr);
      recipe_differences += qa != qr;
      sum_avx += qa;
      sum_ref += qr;
      // The dequantized activation is within half a step of x (step = the stored fp16 d, up to
      // its rounding).
      ASSERT_LE(std::fabs(qa * ref_fp16(a0[b].d) - xb[j]), 0.5 * d + 127 * std::fabs(ref_fp16(a0[b].d) - d) + 1e-6 * amax);
    }
    ASSERT_EQ(a0[b].d, f32_to_fp16(d));
    ASSERT_EQ(a1[b].d, f32_to_fp16(d));
    ASSERT_EQ(a1[b].s, f32_to_fp16(d * static_cast<float>(sum_avx)));
    ASSERT_EQ(r1[b].s, f32_to_fp16(d * static_cast<float>(sum_ref)));
  }
  EXPECT_LT(recipe_differences, n / 100) << "the two recipes differ only in rare ties / last bits";
}

TEST(QuantAct, Q8_KHandBuilt) {
  std::vector<float> x(256, 0.0f);
  x[10] = 2.0f;   // largest magnitude, positive → code −127, d = 1/(−127/2) < 0
  x[11] = -2.0f;  // same magnitude later: not strictly greater, so `max` stays +2
  x[12] = 1.0f;
  x[20] = -0.5f;
  BlockQ8_K y[1];
  quantize_row_q8_k_act(x.data(), y, 256);
  const float iscale = -127.0f / 2.0f;
  EXPECT_EQ(y[0].d, 1.0f / iscale);
  EXPECT_LT(y[0].d, 0.0f);
  EXPECT_EQ(y[0].qs[10], -127);
  EXPECT_EQ(y[0].qs[11], 127);
  EXPECT_EQ(y[0].qs[12], -64);  // −63.5 → ties to even → −64
  EXPECT_EQ(y[0].qs[20], 32);   // 31.75 → 32
  EXPECT_EQ(y[0].bsums[0], -127 + 127 - 64);
  EXPECT_EQ(y[0].bsums[1], 32);
  for (int g = 2; g < 16; ++g) EXPECT_EQ(y[0].bsums[g], 0);

  std::fill(x.begin(), x.end(), 0.0f);
  quantize_row_q8_k_act(x.data(), y, 256);
  EXPECT_EQ(y[0].d, 0.0f);
  for (int g = 0; g < 16; ++g) EXPECT_EQ(y[0].bsums[g], 0);
}

TEST(QuantAct, Q8_KMatchesTranscribedRecipe) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  const int n = 256 * 40;
  const auto x = random_activations(n, 12);
  std::vector<BlockQ8_K> y(n / 256);
  quantize_row_q8_k_act(x.data(), y.data(), n);
  for (int b = 0; b < n / 256; ++b) {
    const float *xb = x.data() + 256 * b;
    float amax = 0, max = 0;
    for (int j = 0; j < 256; ++j)
      if (std::fabs(xb[j]) > amax) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    const float iscale = -127.0f / max;
    ASSERT_EQ(y[b].d, 1.0f / iscale);
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int j = 16 * g; j < 16 * g + 16; ++j) {
        const int q = std::min(127, static_cast<int>(std::nearbyint(iscale * xb[j])));
        ASSERT_EQ(y[b].qs[j], q) << b << ":" << j;
        sum += q;
        ASSERT_LE(std::fabs(y[b].d * q - xb[j]), 0.5 * std::fabs(y[b].d) * (1 + 1e-5));
      }
      ASSERT_EQ(y[b].bsums[g], sum);
    }
  }
}

TEST(QuantAct, RejectsRaggedRows) {
  float x[256] = {};
  BlockQ8_0 b0[8];
  BlockQ8_K bk[1];
  EXPECT_THROW(quantize_row_q8_0_act(x, b0, 33), Error);
  EXPECT_THROW(quantize_row_q8_k_act(x, bk, 255), Error);
}

}  // namespace
}  // namespace dsv4::test
