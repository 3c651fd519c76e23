// quantize_row → dequantize_row: determinism, per-element error bounds derived from each block's
// stored scales (read with the independent decoders of test_quant_ref.h), and overall quality.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "format/ggml_type.h"
#include "quant/float_conv.h"
#include "quant/quant.h"
#include "unit/test_quant_ref.h"

namespace dsv4::test {
namespace {

constexpr int64_t kN = 4096;  // 16 super-blocks / 128 small blocks

// Test rows: Gaussian weights at two scales, uniform, heavy outliers, and special blocks.
std::vector<std::vector<float>> test_rows() {
  std::mt19937 rng(2024);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<std::vector<float>> rows;
  for (float scale : {0.02f, 3.0f}) {
    std::vector<float> r(kN);
    for (auto &v : r) v = scale * normal(rng);
    rows.push_back(r);
  }
  std::vector<float> r(kN);
  for (auto &v : r) v = uniform(rng);
  rows.push_back(r);
  for (auto &v : r) v = normal(rng) * ((rng() % 50) == 0 ? 30.0f : 1.0f);
  rows.push_back(r);
  // Blocks that are all zero, constant, all positive, all negative, a single spike.
  std::fill(r.begin(), r.end(), 0.0f);
  for (int64_t i = 512; i < 1024; ++i) r[i] = 0.75f;
  for (int64_t i = 1024; i < 1536; ++i) r[i] = 1.0f + std::fabs(normal(rng));
  for (int64_t i = 1536; i < 2048; ++i) r[i] = -1.0f - std::fabs(normal(rng));
  r[2048 + 77] = -5.0f;
  r[2560 + 3] = 1e-3f;
  for (int64_t i = 3072; i < kN; ++i) r[i] = 1e-6f * normal(rng);
  rows.push_back(r);
  return rows;
}

struct RoundTripCase {
  uint32_t type;
  double max_rel_rms;  // on the Gaussian rows
  // Bound on |x − x̂| for element i of the block at `blk` whose source values are x[0 … block).
  std::function<double(const uint8_t *blk, const float *x, int i)> bound;
};

double block_amax(const float *x, int n) {
  double a = 0;
  for (int i = 0; i < n; ++i) a = std::max(a, std::fabs(static_cast<double>(x[i])));
  return a;
}

// Slack for float32 rounding inside dequantization.
double fp_slack(const float *x, int n) { return 1e-6 * block_amax(x, n) + 1e-30; }

// Affine K-quants: |err| ≤ step/2 + dmin/2 (the quantizer never lets the scales shrink).
double affine_k_bound(double step, double dmin, const float *x) { return 0.5 * step + 0.5 * dmin + fp_slack(x, 256); }

const RoundTripCase kCases[] = {
    {GGML_F32, 0.0, [](const uint8_t *, const float *, int) { return 0.0; }},
    {GGML_F16, 3e-4,
     [](const uint8_t *, const float *x, int i) { return std::max(std::ldexp(std::fabs(static_cast<double>(x[i])), -11), std::ldexp(1.0, -25)); }},
    {GGML_BF16, 2.5e-3, [](const uint8_t *, const float *x, int i) { return std::ldexp(std::fabs(x[i]), -8); }},
    {GGML_Q8_0, 0.008,
     [](const uint8_t *b, const float *x, int) { return 0.5 * ref_fp16_at(b) + fp_slack(x, 32); }},
    // Symmetric 32-blocks: the largest-magnitude value lands on the most negative code; values of
    // the other sign can clip at the top code, so |err| ≤ |d|.
    {GGML_Q4_0, 0.11, [](const uint8_t *b, const float *x, int) { return std::fabs(ref_fp16_at(b)) + fp_slack(x, 32); }},
    {GGML_Q5_0, 0.055, [](const uint8_t *b, const float *x, int) { return std::fabs(ref_fp16_at(b)) + fp_slack(x, 32); }},
    {GGML_Q4_1, 0.1,
     [](const uint8_t *b, const float *x, int) {
       const double mn = *std::min_element(x, x + 32);
       return 0.5 * ref_fp16_at(b) + std::fabs(ref_fp16_at(b + 2) - mn) + fp_slack(x, 32);
     }},
    {GGML_Q5_1, 0.05,
     [](const uint8_t *b, const float *x, int) {
       const double mn = *std::min_element(x, x + 32);
       return 0.5 * ref_fp16_at(b) + std::fabs(ref_fp16_at(b + 2) - mn) + fp_slack(x, 32);
     }},
    {GGML_Q2_K, 0.42,
     [](const uint8_t *b, const float *x, int i) {
       const uint8_t sm = b[i / 16];
       return affine_k_bound(ref_fp16_at(b + 80) * lo(sm), ref_fp16_at(b + 82), x);
     }},
    {GGML_Q3_K, 0.2,
     [](const uint8_t *b, const float *x, int i) {
       return std::fabs(ref_fp16_at(b + 108) * ref_q3_k_scale(b, i / 16)) + fp_slack(x, 256);
     }},
    {GGML_Q4_K, 0.1,
     [](const uint8_t *b, const float *x, int i) {
       return affine_k_bound(ref_fp16_at(b) * ref_k4_scale(b + 4, i / 32), ref_fp16_at(b + 2), x);
     }},
    {GGML_Q5_K, 0.05,
     [](const uint8_t *b, const float *x, int i) {
       return affine_k_bound(ref_fp16_at(b) * ref_k4_scale(b + 4, i / 32), ref_fp16_at(b + 2), x);
     }},
    {GGML_Q6_K, 0.025,
     [](const uint8_t *b, const float *x, int i) {
       return std::fabs(ref_fp16_at(b + 208) * static_cast<int8_t>(b[192 + i / 16])) + fp_slack(x, 256);
     }},
    {GGML_MXFP4, 0.14,
     [](const uint8_t *b, const float *x, int i) {
       // Half the E2M1 grid spacing at |x|/s: 0.25 below 2, 0.5 below 4, 1 up to 6.
       const double s = std::ldexp(1.0, b[0] - 127), a = std::fabs(x[i]) / s;
       return s * (a >= 4 ? 1.0 : a >= 2 ? 0.5 : 0.25);
     }},
};

TEST(QuantRoundTrip, ErrorBoundsDeterminismAndQuality) {
  const auto rows = test_rows();
  for (const auto &c : kCases) {
    const TypeInfo &info = *type_info(c.type);
    const int block = static_cast<int>(info.block_size);
    const int block_bytes = static_cast<int>(info.type_size);
    const int bound_block = block == 1 ? 1 : block;
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto &x = rows[r];
      std::vector<uint8_t> q(row_bytes(info, kN)), q2(q.size(), 0xAA);
      quantize_row(c.type, x.data(), q.data(), kN);
      quantize_row(c.type, x.data(), q2.data(), kN);
      ASSERT_EQ(q, q2) << info.name << ": quantization must be deterministic";
      // Block independence: quantizing the second half alone gives the second half's bytes.
      std::vector<uint8_t> half(q.size() / 2);
      quantize_row(c.type, x.data() + kN / 2, half.data(), kN / 2);
      ASSERT_TRUE(std::equal(half.begin(), half.end(), q.begin() + q.size() / 2)) << info.name;

      std::vector<float> y(kN);
      dequantize_row(c.type, q.data(), y.data(), kN);
      double err2 = 0, ref2 = 0;
      int violations = 0;
      for (int64_t i = 0; i < kN; ++i) {
        const int64_t b = i / bound_block;
        const uint8_t *blk = q.data() + b * (block == 1 ? info.type_size : block_bytes);
        const float *xb = x.data() + b * bound_block;
        const double err = std::fabs(static_cast<double>(y[i]) - x[i]);
        const double bound = c.bound(blk, xb, static_cast<int>(i % bound_block));
        ASSERT_TRUE(std::isfinite(y[i])) << info.name << " row " << r << " element " << i;
        if (err > bound && ++violations <= 3)
          ADD_FAILURE() << info.name << " row " << r << " element " << i << ": x " << x[i] << " -> " << y[i]
                        << ", error " << err << " > bound " << bound;
        err2 += err * err;
        ref2 += static_cast<double>(x[i]) * x[i];
      }
      EXPECT_EQ(violations, 0) << info.name << " row " << r;
      if (r < 2) {
        const double rel = std::sqrt(err2 / ref2);
        EXPECT_LE(rel, c.max_rel_rms) << info.name << " row " << r;
        RecordProperty(std::string(info.name) + "_rel_rms_row" + std::to_string(r), std::to_string(rel));
      }
    }
  }
}

TEST(QuantRoundTrip, ZeroAndConstantBlocks) {
  const uint32_t types[] = {GGML_Q4_0, GGML_Q4_1, GGML_Q5_0, GGML_Q5_1, GGML_Q8_0, GGML_Q2_K, GGML_Q3_K,
                            GGML_Q4_K, GGML_Q5_K, GGML_Q6_K, GGML_MXFP4, GGML_F16, GGML_BF16};
  for (uint32_t t : types) {
    const TypeInfo &info = *type_info(t);
    std::vector<float> x(256, 0.0f), y(256, 1.0f);
    std::vector<uint8_t> q(row_bytes(info, 256));
    quantize_row(t, x.data(), q.data(), 256);
    dequantize_row(t, q.data(), y.data(), 256);
    for (float v : y) ASSERT_EQ(v, 0.0f) << info.name;
    // A power-of-two constant is exactly representable by every type's scale choice here.
    std::fill(x.begin(), x.end(), -0.5f);
    quantize_row(t, x.data(), q.data(), 256);
    dequantize_row(t, q.data(), y.data(), 256);
    for (float v : y) ASSERT_NEAR(v, -0.5f, 0.5f / 64) << info.name;
  }
}

TEST(QuantRoundTrip, Q8_0FollowsTheStatedRecipe) {
  // d = amax/127 as fp16 (the nearest, or the next one up if the nearest is smaller);
  // q = round(x/d) with the stored d.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = 0.1f * static_cast<float>(j - 13);
  uint8_t q[34];
  quantize_row(GGML_Q8_0, x.data(), q, 32);
  const float d = ref_fp16_at(q);
  const float want_d = x[31] / 127.0f;
  const uint16_t nearest = f32_to_fp16(want_d);
  const uint16_t stored = static_cast<uint16_t>(q[0] | q[1] << 8);
  EXPECT_TRUE(stored == nearest || (fp16_to_f32(nearest) < want_d && stored == nearest + 1)) << stored;
  EXPECT_GE(d, want_d);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(static_cast<int8_t>(q[2 + j]), static_cast<int>(std::nearbyint(x[j] / d))) << j;
}

TEST(QuantRoundTrip, Mxfp4FollowsDeepSeekRecipe) {
  // amax = 6 → s = 1 (e = 127), codes are the exact E2M1 values; 5 is a tie → 4 (even code).
  float x[32] = {6.0f, -5.0f, 0.25f, 0.75f, -2.5f, 3.0f, 1.5f};
  uint8_t q[17];
  quantize_row(GGML_MXFP4, x, q, 32);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], 0x07);          // element 0 → code 7 (6), element 16 → 0
  EXPECT_EQ(q[2] & 15, 0x8 | 6);  // −5 → −4
  EXPECT_EQ(q[3] & 15, 0);        // 0.25 → 0
  EXPECT_EQ(q[4] & 15, 2);        // 0.75 → 1
  EXPECT_EQ(q[5] & 15, 0x8 | 4);  // −2.5 → −2
  EXPECT_EQ(q[6] & 15, 5);
  EXPECT_EQ(q[7] & 15, 3);
  // Scale: the smallest power of two with amax/s ≤ 6.
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int t = 0; t < 1000; ++t) {
    const float scale = std::ldexp(1.0f, static_cast<int>(rng() % 60) - 30);
    for (auto &v : x) v = normal(rng) * scale;
    quantize_row(GGML_MXFP4, x, q, 32);
    double amax = 0;
    for (float v : x) amax = std::max(amax, std::fabs(static_cast<double>(v)));
    const double s = std::ldexp(1.0, q[0] - 127);
    ASSERT_LE(amax / 6, s * (1 + 1e-6));
    ASSERT_GT(amax / 6, s / 2 * (1 - 1e-6));
  }
}

}  // namespace
}  // namespace dsv4::test
