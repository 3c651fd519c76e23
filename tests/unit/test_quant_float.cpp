// float_conv.h: fp16, bf16, e4m3, e2m1, e8m0 against known values and against a brute-force
// "nearest representable value, ties to the even code" search over each format's value table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "quant/float_conv.h"
#include "quant/quant.h"
#include "unit/test_quant_ref.h"

namespace dsv4::test {
namespace {

// Non-negative magnitudes of a format in ascending order with their codes.
struct Grid {
  std::vector<double> value;
  std::vector<uint32_t> code;
};

// Nearest grid entry to |x| (ties → even code); x beyond the last entry → the last entry.
uint32_t nearest_code(const Grid &g, double ax) {
  auto it = std::lower_bound(g.value.begin(), g.value.end(), ax);
  if (it == g.value.end()) return g.code.back();
  size_t k = static_cast<size_t>(it - g.value.begin());
  if (g.value[k] == ax || k == 0) return g.code[k];
  const double below = ax - g.value[k - 1], above = g.value[k] - ax;
  if (below < above) return g.code[k - 1];
  if (above < below) return g.code[k];
  return (g.code[k] & 1) ? g.code[k - 1] : g.code[k];
}

Grid fp16_grid() {  // finite magnitudes plus 65536 standing for Inf (code 0x7c00, even)
  Grid g;
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    g.value.push_back(ref_fp16(static_cast<uint16_t>(h)));
    g.code.push_back(h);
  }
  g.value.push_back(65536.0);
  g.code.push_back(0x7c00);
  return g;
}

Grid e4m3_grid() {
  Grid g;
  for (uint32_t c = 0; c <= 0x7e; ++c) {
    g.value.push_back(ref_e4m3(static_cast<uint8_t>(c)));
    g.code.push_back(c);
  }
  return g;
}

Grid e2m1_grid() {
  Grid g;
  for (uint32_t c = 0; c < 8; ++c) {
    g.value.push_back(ref_e2m1(static_cast<uint8_t>(c)));
    g.code.push_back(c);
  }
  return g;
}

// Random floats spread over many binades, both signs, plus exact midpoints of neighbours.
std::vector<float> probe_values(uint32_t seed, int min_exp, int max_exp, int count) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> mant(1.0f, 2.0f);
  std::uniform_int_distribution<int> ex(min_exp, max_exp);
  std::vector<float> v;
  for (int i = 0; i < count; ++i) {
    float x = std::ldexp(mant(rng), ex(rng));
    v.push_back((rng() & 1) ? -x : x);
  }
  return v;
}

TEST(QuantFloat, Fp16KnownValues) {
  EXPECT_EQ(fp16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(fp16_to_f32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(fp16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(fp16_to_f32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(fp16_to_f32(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::signbit(fp16_to_f32(0x8000)) && fp16_to_f32(0x8000) == 0.0f);
  EXPECT_EQ(fp16_to_f32(0x7c00), INFINITY);
  EXPECT_EQ(fp16_to_f32(0xfc00), -INFINITY);
  EXPECT_TRUE(std::isnan(fp16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(fp16_to_f32(0xfc01)));

  EXPECT_EQ(f32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie → even
  EXPECT_EQ(f32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie → even (up)
  EXPECT_EQ(f32_to_fp16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00);  // halfway to 2^16 rounds to Inf
  EXPECT_EQ(f32_to_fp16(1e10f), 0x7c00);
  EXPECT_EQ(f32_to_fp16(-INFINITY), 0xfc00);
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);      // half the smallest subnormal: tie → 0
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.01f, -25)), 0x0001);
  EXPECT_EQ(f32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);      // tie between 1 and 2 quanta → 2
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)), 0x0400);  // rounds into normal
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -126)), 0x0000);
  const uint16_t nan = f32_to_fp16(NAN);
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x3ff, 0);
}

TEST(QuantFloat, Fp16RoundTripsEveryCode) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_f32(static_cast<uint16_t>(h));
    ASSERT_TRUE(same_value(f, ref_fp16(static_cast<uint16_t>(h)))) << std::hex << h;
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(fp16_to_f32(f32_to_fp16(f))));
    } else {
      ASSERT_EQ(f32_to_fp16(f), h) << std::hex << h;
    }
  }
}

TEST(QuantFloat, Fp16RoundsToNearestEven) {
  const Grid g = fp16_grid();
  auto check = [&](float x) {
    const uint32_t want = nearest_code(g, std::fabs(static_cast<double>(x))) | (std::signbit(x) ? 0x8000u : 0u);
    ASSERT_EQ(f32_to_fp16(x), want) << x;
  };
  for (float x : probe_values(1, -30, 17, 200000)) check(x);
  for (uint32_t h = 0; h < 0x7bff; ++h) {  // exact midpoints and their neighbours
    const float mid = static_cast<float>((static_cast<double>(ref_fp16(static_cast<uint16_t>(h))) +
                                          ref_fp16(static_cast<uint16_t>(h + 1))) / 2);
    check(mid);
    check(std::nextafter(mid, 0.0f));
    check(std::nextafter(mid, 1e9f));
    check(-mid);
  }
}

TEST(QuantFloat, Bf16) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc049), -3.140625f);
  EXPECT_EQ(bf16_to_f32(0x0001), std::ldexp(1.0f, -133));
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f808000u)), 0x3f80);  // tie → even (down)
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f818000u)), 0x3f82);  // tie → even (up)
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f808001u)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x7f7fffffu)), 0x7f80);  // FLT_MAX rounds to Inf
  EXPECT_EQ(f32_to_bf16(-INFINITY), 0xff80);
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x7f800001u)), 0x7fc0);  // signalling NaN made quiet
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0xffc00000u)), 0xffc0);
  // Against a double-precision nearest-of-two-neighbours search.
  std::mt19937 rng(5);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t bits = rng();
    const float x = bits_to_f32(bits);
    if (!std::isfinite(x)) continue;
    const uint32_t down = bits >> 16, up = down + 1;
    const double dx = x, ddown = bf16_to_f32(static_cast<uint16_t>(down));
    const double dup = (up & 0x7fff) == 0x7f80 ? std::copysign(std::ldexp(1.0, 128), dx)
                                              : static_cast<double>(bf16_to_f32(static_cast<uint16_t>(up)));
    const double a = std::fabs(dx - ddown), b = std::fabs(dup - dx);
    const uint32_t want = a < b ? down : b < a ? up : ((down & 1) ? up : down);
    ASSERT_EQ(f32_to_bf16(x), want) << std::hex << bits;
  }
}

TEST(QuantFloat, E4m3) {
  EXPECT_EQ(e4m3_to_f32(0x7e), 448.0f);
  EXPECT_EQ(e4m3_to_f32(0xfe), -448.0f);
  EXPECT_EQ(e4m3_to_f32(0x38), 1.0f);
  EXPECT_EQ(e4m3_to_f32(0x08), std::ldexp(1.0f, -6));
  EXPECT_EQ(e4m3_to_f32(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(e4m3_to_f32(0x07), std::ldexp(7.0f, -9));
  EXPECT_EQ(e4m3_to_f32(0x78), 256.0f);  // e = 15 is a normal exponent in e4m3fn
  EXPECT_TRUE(std::isnan(e4m3_to_f32(0x7f)));
  EXPECT_TRUE(std::isnan(e4m3_to_f32(0xff)));
  EXPECT_TRUE(std::signbit(e4m3_to_f32(0x80)));
  for (uint32_t c = 0; c < 256; ++c) {
    const float f = e4m3_to_f32(static_cast<uint8_t>(c));
    ASSERT_TRUE(same_value(f, static_cast<float>(ref_e4m3(static_cast<uint8_t>(c))))) << c;
    if (!std::isnan(f)) {
      ASSERT_EQ(f32_to_e4m3(f), c) << c;
    }
  }
  EXPECT_EQ(f32_to_e4m3(1.0625f), 0x38);  // tie between 1 and 1.125 → even (1)
  EXPECT_EQ(f32_to_e4m3(1.1875f), 0x3a);  // tie between 1.125 and 1.25 → even (1.25)
  EXPECT_EQ(f32_to_e4m3(464.0f), 0x7e);   // saturates
  EXPECT_EQ(f32_to_e4m3(-1e9f), 0xfe);
  EXPECT_EQ(f32_to_e4m3(INFINITY), 0x7e);
  EXPECT_EQ(f32_to_e4m3(NAN), 0x7f);
  EXPECT_EQ(f32_to_e4m3(std::ldexp(1.0f, -10)), 0x00);  // half the smallest subnormal → 0
  EXPECT_EQ(f32_to_e4m3(std::ldexp(3.0f, -10)), 0x02);  // 1.5 quanta → 2
  const Grid g = e4m3_grid();
  for (float x : probe_values(2, -12, 10, 200000)) {
    const uint32_t want = nearest_code(g, std::fabs(static_cast<double>(x))) | (std::signbit(x) ? 0x80u : 0u);
    ASSERT_EQ(f32_to_e4m3(x), want) << x;
  }
}

TEST(QuantFloat, E2m1) {
  const float table[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  for (int c = 0; c < 16; ++c) {
    EXPECT_EQ(e2m1_to_f32(static_cast<uint8_t>(c)), table[c]) << c;
    EXPECT_EQ(std::signbit(e2m1_to_f32(static_cast<uint8_t>(c))), c >= 8) << c;
    EXPECT_EQ(f32_to_e2m1(table[c]), c) << c;
  }
  EXPECT_EQ(f32_to_e2m1(0.25f), 0);   // ties → even code
  EXPECT_EQ(f32_to_e2m1(0.75f), 2);
  EXPECT_EQ(f32_to_e2m1(1.25f), 2);
  EXPECT_EQ(f32_to_e2m1(1.75f), 4);
  EXPECT_EQ(f32_to_e2m1(2.5f), 4);
  EXPECT_EQ(f32_to_e2m1(3.5f), 6);
  EXPECT_EQ(f32_to_e2m1(5.0f), 6);
  EXPECT_EQ(f32_to_e2m1(5.01f), 7);
  EXPECT_EQ(f32_to_e2m1(7.0f), 7);    // saturates
  EXPECT_EQ(f32_to_e2m1(-1e30f), 15);
  EXPECT_EQ(f32_to_e2m1(-0.1f), 8);   // sign kept on zero
  EXPECT_EQ(f32_to_e2m1(NAN), 0);
  const Grid g = e2m1_grid();
  for (float x : probe_values(3, -4, 3, 100000)) {
    const uint32_t want = nearest_code(g, std::fabs(static_cast<double>(x))) | (std::signbit(x) ? 8u : 0u);
    ASSERT_EQ(f32_to_e2m1(x), want) << x;
  }
}

TEST(QuantFloat, E8m0AndPowerOfTwoScales) {
  EXPECT_EQ(e8m0_to_f32(127), 1.0f);
  EXPECT_EQ(e8m0_to_f32(128), 2.0f);
  EXPECT_EQ(e8m0_to_f32(120), 1.0f / 128);
  EXPECT_EQ(e8m0_to_f32(254), std::ldexp(1.0f, 127));
  EXPECT_EQ(e8m0_to_f32(1), std::ldexp(1.0f, -126));
  EXPECT_EQ(e8m0_to_f32(0), std::ldexp(1.0f, -127));
  EXPECT_TRUE(std::isnan(e8m0_to_f32(255)));

  EXPECT_EQ(ceil_log2_bits(1.0f), 0);
  EXPECT_EQ(ceil_log2_bits(1.5f), 1);
  EXPECT_EQ(ceil_log2_bits(0.75f), 0);
  EXPECT_EQ(ceil_log2_bits(2.0f), 1);
  EXPECT_EQ(ceil_log2_bits(0.25f), -2);
  EXPECT_EQ(ceil_log2_bits(std::ldexp(1.0f, -140)), -126);  // subnormal, as the kernel computes
  for (int k = -149; k <= 127; ++k) EXPECT_EQ(pow2_f32(k), std::ldexp(1.0f, k)) << k;

  // amax = 1: 1·fl(1/448) ∈ (2^-9, 2^-8) → 2^-8. amax = 448·2^k exactly: fl(448·fl(1/448)) decides.
  EXPECT_EQ(ue8m0_scale_exponent(1.0f, 1e-4f, 1.0f / 448.0f), -8);
  EXPECT_EQ(ue8m0_scale_exponent(0.0f, 1e-4f, 1.0f / 448.0f), -22);  // clamped: 1e-4/448 ≈ 2^-22.09
  EXPECT_EQ(ue8m0_scale_exponent(6.0f, 0.0f, 1.0f / 6.0f), 0);       // fl(6·fl(1/6)) = 1 exactly
  EXPECT_EQ(ue8m0_scale_exponent(3.0f, 0.0f, 1.0f / 6.0f), -1);
  EXPECT_EQ(ue8m0_scale_exponent(6.5f, 0.0f, 1.0f / 6.0f), 1);
}

}  // namespace
}  // namespace dsv4::test
