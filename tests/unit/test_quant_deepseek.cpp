// DeepSeek's own formats (deepseek-v4.md §6.3) and fake quantisation (§3.5, §3.6).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "common/error.h"
#include "quant/float_conv.h"
#include "quant/quant.h"
#include "unit/test_quant_ref.h"

namespace dsv4::test {
namespace {

TEST(QuantDeepSeek, Fp8BlockScaledF32Scales) {
  // 200 × 300: neither dimension a multiple of 128, so the last grid row/column are partial.
  const int64_t rows = 200, cols = 300, grid_rows = 2, grid_cols = 3;
  std::mt19937 rng(31);
  std::vector<uint8_t> w(rows * cols);
  for (auto &b : w) b = static_cast<uint8_t>(rng());
  std::vector<float> scales(grid_rows * grid_cols);
  for (auto &s : scales) s = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f, static_cast<int>(rng() % 20) - 10);
  std::vector<float> out(cols);
  for (int64_t r = 0; r < rows; ++r) {
    dequantize_fp8_block_scaled(w.data(), scales.data(), rows, cols, r, out.data());
    for (int64_t c = 0; c < cols; ++c) {
      const float want = static_cast<float>(ref_e4m3(w[r * cols + c])) * scales[(r / 128) * grid_cols + c / 128];
      ASSERT_TRUE(same_value(out[c], want)) << r << "," << c;
    }
  }
  // Hand-built: 0x7e = 448, 0x38 = 1, 0xb8 = −1 under scale 0.5 / 4.
  const uint8_t w2[2 * 130] = {0x7e, 0x38};
  std::vector<uint8_t> wm(w2, w2 + 260);
  wm[129] = 0xb8;
  const float s2[2] = {0.5f, 4.0f};  // grid [1][2]
  float row0[130];
  dequantize_fp8_block_scaled(wm.data(), s2, 2, 130, 0, row0);
  EXPECT_EQ(row0[0], 224.0f);
  EXPECT_EQ(row0[1], 0.5f);
  EXPECT_EQ(row0[129], -4.0f);
  EXPECT_EQ(row0[2], 0.0f);

  try {
    dequantize_fp8_block_scaled(wm.data(), s2, 2, 130, 2, row0);
    ADD_FAILURE() << "row out of range accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_INVALID_ARGUMENT);
  }
  EXPECT_THROW(dequantize_fp8_block_scaled(wm.data(), s2, 2, 130, -1, row0), Error);
}

TEST(QuantDeepSeek, Fp8BlockScaledE8m0Scales) {
  const int64_t rows = 256 + 5, cols = 128;
  std::mt19937 rng(32);
  std::vector<uint8_t> w(rows * cols);
  for (auto &b : w) b = static_cast<uint8_t>(rng());
  std::vector<uint8_t> scales = {120, 127, 135};  // grid [3][1]
  std::vector<float> out(cols);
  for (int64_t r = 0; r < rows; ++r) {
    dequantize_fp8_block_scaled_e8m0(w.data(), scales.data(), rows, cols, r, out.data());
    const double s = std::ldexp(1.0, scales[r / 128] - 127);
    for (int64_t c = 0; c < cols; ++c)
      ASSERT_TRUE(same_value(out[c], static_cast<float>(ref_e4m3(w[r * cols + c]) * s))) << r << "," << c;
  }
  scales[0] = 255;  // NaN scale
  dequantize_fp8_block_scaled_e8m0(w.data(), scales.data(), rows, cols, 0, out.data());
  EXPECT_TRUE(std::isnan(out[0]));
}

TEST(QuantDeepSeek, Fp4E8m0Row) {
  // Byte k: element 2k low nibble, 2k+1 high nibble (not ggml's MXFP4 order).
  uint8_t packed[32] = {0x71, 0xf9};  // elements 0..3: 0.5, 6, −0.5, −6
  const uint8_t scales[2] = {128, 126};  // ×2 for elements 0..31, ×0.5 for 32..63
  packed[16] = 0x25;                      // elements 32, 33: 3, 1
  float out[64];
  dequantize_fp4_e8m0_row(packed, scales, 64, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 12.0f);
  EXPECT_EQ(out[2], -1.0f);
  EXPECT_EQ(out[3], -12.0f);
  EXPECT_EQ(out[32], 1.5f);
  EXPECT_EQ(out[33], 0.5f);
  std::mt19937 rng(33);
  std::vector<uint8_t> p(512), s(32);
  for (auto &b : p) b = static_cast<uint8_t>(rng());
  for (auto &b : s) b = static_cast<uint8_t>(rng() % 255);
  std::vector<float> o(1024);
  dequantize_fp4_e8m0_row(p.data(), s.data(), 1024, o.data());
  for (int i = 0; i < 1024; ++i) {
    const uint8_t code = static_cast<uint8_t>((i % 2) ? p[i / 2] >> 4 : p[i / 2] & 15);
    ASSERT_EQ(o[i], static_cast<float>(ref_e2m1(code) * std::ldexp(1.0, s[i / 32] - 127))) << i;
  }
  EXPECT_THROW(dequantize_fp4_e8m0_row(p.data(), s.data(), 48, o.data()), Error);
}

TEST(QuantDeepSeek, FakeQuantFp8HandComputed) {
  // Block of 128: amax = 1 → s = 2^ceil(log2(1/448)) = 2^-8.
  //   1.0 → 256 (exact in e4m3) → 1.0;  0.3 → 76.8 → nearest e4m3 80 (step 8 in [64,128)) → 0.3125;
  //   −0.01 → −2.56 → −2.5 (step 0.25 in [2,4)) → −0.009765625;  2^-20 → 2^-12 → below half the
  //   smallest subnormal 2^-9 → 0.
  std::vector<float> x(128, 0.0f), y(128);
  x[0] = 1.0f;
  x[1] = 0.3f;
  x[2] = -0.01f;
  x[3] = std::ldexp(1.0f, -20);
  x[4] = 0.99f;  // 253.44 → 256 (step 16 in [128,256) rounds up to 256) → 1.0
  fake_quant_fp8_row(x.data(), y.data(), 128, 128);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 0.3125f);
  EXPECT_EQ(y[2], -0.009765625f);
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_EQ(y[4], 1.0f);
  EXPECT_EQ(y[5], 0.0f);

  // Tiny block: amax clamped to 1e-4 → s = 2^-22; 1e-6 / 2^-22 = 4.194304 → 4 (step 0.5) → 2^-20.
  // 1e-9 / 2^-22 = 0.0042 = 2.15 e4m3 subnormal quanta (2^-9) → 2 → 2^-30 (with a smaller floor
  // the scale would be finer and x/s a normal e4m3 value, which keeps more bits).
  std::vector<float> t(64, 1e-6f), u(64);
  t[1] = 1e-9f;
  fake_quant_fp8_row(t.data(), u.data(), 64, 64);
  EXPECT_EQ(u[0], std::ldexp(1.0f, -20));
  EXPECT_EQ(u[1], std::ldexp(1.0f, -30));

  // Blocks are independent (block size 64 here), and in-place equals out-of-place.
  std::vector<float> two(128, 0.0f);
  two[0] = 1.0f;
  two[1] = 0.3f;
  two[64] = 100.0f;   // s = 2^ceil(log2(100/448)) = 2^-2 → 400: tie of 384 / 416 → even → 96
  two[65] = 0.3f;     // 1.2 → 1.25 → 0.3125
  std::vector<float> out(128);
  fake_quant_fp8_row(two.data(), out.data(), 128, 64);
  EXPECT_EQ(out[1], 0.3125f);
  EXPECT_EQ(out[64], 96.0f);
  EXPECT_EQ(out[65], 0.3125f);
  fake_quant_fp8_row(two.data(), two.data(), 128, 64);
  EXPECT_EQ(two, out);
  EXPECT_THROW(fake_quant_fp8_row(two.data(), two.data(), 100, 64), Error);
}

TEST(QuantDeepSeek, FakeQuantFp8Properties) {
  std::mt19937 rng(41);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(128 * 50), y(x.size());
  for (auto &v : x) v = normal(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 16) - 8);
  fake_quant_fp8_row(x.data(), y.data(), static_cast<int64_t>(x.size()), 128);
  for (size_t b = 0; b < x.size(); b += 128) {
    float amax = 0;
    for (size_t j = b; j < b + 128; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const double s = std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(std::fmax(amax, 1e-4f) / 448.0))));
    for (size_t j = b; j < b + 128; ++j) {
      const double q = y[j] / s;  // must be an e4m3 value within half a grid step of x/s
      ASSERT_EQ(ref_e4m3(f32_to_e4m3(static_cast<float>(q))), q) << j;
      const double exact = x[j] / s;
      const int binade = exact == 0 ? -6 : std::max(static_cast<int>(std::floor(std::log2(std::fabs(exact)))), -6);
      ASSERT_LE(std::fabs(q - exact), std::ldexp(0.5, binade - 3)) << j;
      ASSERT_EQ(static_cast<float>(y[j]), bf16_to_f32(f32_to_bf16(y[j]))) << "bf16-representable";
    }
  }
}

TEST(QuantDeepSeek, FakeQuantFp4HandComputed) {
  // amax = 6 → s = 1: values snap to the e2m1 grid with ties to the even code.
  std::vector<float> x(32, 0.0f), y(32);
  const float in[] = {6.0f, 5.0f, -0.25f, 0.75f, 2.5f, -3.5f, 1.2f, 100.0f / 17};
  const float want[] = {6.0f, 4.0f, -0.0f, 1.0f, 2.0f, -4.0f, 1.0f, 6.0f};
  for (int j = 0; j < 8; ++j) x[j] = in[j];
  fake_quant_fp4_row(x.data(), y.data(), 32);
  for (int j = 0; j < 8; ++j) EXPECT_EQ(y[j], want[j]) << j;

  // amax = 3 → s = 0.5: 3 → 6 → 3; 1.1 → 2.2 → 2 → 1; −0.2 → −0.4 → −0.5 → −0.25.
  std::fill(x.begin(), x.end(), 0.0f);
  x[0] = 3.0f;
  x[1] = 1.1f;
  x[2] = -0.2f;
  fake_quant_fp4_row(x.data(), x.data(), 32);  // in place
  EXPECT_EQ(x[0], 3.0f);
  EXPECT_EQ(x[1], 1.0f);
  EXPECT_EQ(x[2], -0.25f);

  // A zero block stays zero (amax clamps to 6·2^-126, no division by zero).
  std::fill(x.begin(), x.end(), 0.0f);
  fake_quant_fp4_row(x.data(), y.data(), 32);
  for (float v : y) EXPECT_EQ(v, 0.0f);
  EXPECT_THROW(fake_quant_fp4_row(x.data(), y.data(), 31), Error);
}

}  // namespace
}  // namespace dsv4::test
