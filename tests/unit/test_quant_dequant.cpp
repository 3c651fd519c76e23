// dequantize_row / vec_dot_f32 against the independent per-element formulas of test_quant_ref.h:
// hand-built blocks with known values, then 200 random blocks per type, exact equality.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "common/error.h"
#include "format/ggml_type.h"
#include "quant/quant.h"
#include "unit/test_quant_ref.h"

namespace dsv4::test {
namespace {

struct DequantCase {
  uint32_t type;
  int block_elems;
  int block_bytes;
  float (*ref)(const uint8_t *, int);
};

const DequantCase kCases[] = {
    {GGML_Q4_0, 32, 18, ref_q4_0},   {GGML_Q4_1, 32, 20, ref_q4_1},   {GGML_Q5_0, 32, 22, ref_q5_0},
    {GGML_Q5_1, 32, 24, ref_q5_1},   {GGML_Q8_0, 32, 34, ref_q8_0},   {GGML_MXFP4, 32, 17, ref_mxfp4},
    {GGML_Q2_K, 256, 84, ref_q2_k},  {GGML_Q3_K, 256, 110, ref_q3_k}, {GGML_Q4_K, 256, 144, ref_q4_k},
    {GGML_Q5_K, 256, 176, ref_q5_k}, {GGML_Q6_K, 256, 210, ref_q6_k},
};

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto &b : v) b = static_cast<uint8_t>(rng() & 0xff);
  return v;
}

std::vector<float> dequant(uint32_t type, const std::vector<uint8_t> &bytes, int64_t n) {
  std::vector<float> out(n);
  dequantize_row(type, bytes.data(), out.data(), n);
  return out;
}

TEST(QuantDequant, BlockTableMatchesTypeInfo) {
  for (const auto &c : kCases) {
    const TypeInfo *info = type_info(c.type);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->block_size, static_cast<uint32_t>(c.block_elems)) << info->name;
    EXPECT_EQ(info->type_size, static_cast<uint32_t>(c.block_bytes)) << info->name;
  }
}

// 200 random blocks per type as one row, every element compared with the formula.
TEST(QuantDequant, RandomBlocksMatchSpecFormula) {
  for (const auto &c : kCases) {
    const int n_blocks = 200;
    const auto bytes = random_bytes(static_cast<size_t>(n_blocks) * c.block_bytes, 1234 + c.type);
    const auto out = dequant(c.type, bytes, static_cast<int64_t>(n_blocks) * c.block_elems);
    int mismatches = 0, finite = 0;
    for (int b = 0; b < n_blocks; ++b)
      for (int i = 0; i < c.block_elems; ++i) {
        const float want = c.ref(bytes.data() + static_cast<size_t>(b) * c.block_bytes, i);
        const float got = out[static_cast<size_t>(b) * c.block_elems + i];
        finite += std::isfinite(want) ? 1 : 0;
        if (!same_value(got, want) && ++mismatches <= 5)
          ADD_FAILURE() << type_info(c.type)->name << " block " << b << " element " << i << ": got " << got
                        << ", want " << want;
      }
    EXPECT_EQ(mismatches, 0) << type_info(c.type)->name;
    EXPECT_GT(finite, n_blocks * c.block_elems * 9 / 10) << "random data should be mostly finite";
  }
}

TEST(QuantDequant, FloatRows) {
  const uint8_t f16[] = {0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c};  // 1, -2, 2^-24, +Inf
  float out[4];
  dequantize_row(GGML_F16, f16, out, 4);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(out[3]) && out[3] > 0);
  const uint8_t bf16[] = {0x80, 0x3f, 0x49, 0xc0};  // 1.0, -3.140625
  dequantize_row(GGML_BF16, bf16, out, 2);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -3.140625f);
  const float f32[] = {1.5f, -0.0f};
  dequantize_row(GGML_F32, f32, out, 2);
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_TRUE(std::signbit(out[1]));
}

TEST(QuantDequant, HandBuiltQ4_0Q8_0) {
  // Q4_0: d = 1.0 (0x3c00), qs[0] = 0x21 → element 0 code 1, element 16 code 2; others code 8 (0).
  uint8_t q4[18] = {0x00, 0x3c};
  for (int j = 0; j < 16; ++j) q4[2 + j] = 0x88;
  q4[2] = 0x21;
  q4[17] = 0xf0;  // element 15 code 0 (−8), element 31 code 15 (+7)
  float out[32];
  dequantize_row(GGML_Q4_0, q4, out, 32);
  EXPECT_EQ(out[0], -7.0f);
  EXPECT_EQ(out[16], -6.0f);
  EXPECT_EQ(out[15], -8.0f);
  EXPECT_EQ(out[31], 7.0f);
  EXPECT_EQ(out[1], 0.0f);

  // Q8_0: d = 2.0 (0x4000), qs[3] = −5, qs[31] = −128 (legal to read).
  uint8_t q8[34] = {0x00, 0x40};
  q8[2 + 3] = static_cast<uint8_t>(-5);
  q8[2 + 31] = 0x80;
  dequantize_row(GGML_Q8_0, q8, out, 32);
  EXPECT_EQ(out[3], -10.0f);
  EXPECT_EQ(out[31], -256.0f);
  EXPECT_EQ(out[0], 0.0f);
}

TEST(QuantDequant, HandBuiltQ5_1) {
  // d = 0.5 (0x3800), m = −1 (0xbc00); element 20: low nibble hi(qs[4]) = 3, bit 20 of qh set → 19.
  uint8_t b[24] = {0x00, 0x38, 0x00, 0xbc};
  b[4 + 2] = 0x10;  // qh byte 2, bit 4 = bit 20
  b[8 + 4] = 0x30;
  float out[32];
  dequantize_row(GGML_Q5_1, b, out, 32);
  EXPECT_EQ(out[20], 19 * 0.5f - 1.0f);
  EXPECT_EQ(out[4], -1.0f);
}

TEST(QuantDequant, HandBuiltMxfp4) {
  // e = 127 → scale 1; qs[0] = 0x7f: element 0 code 15 (−6), element 16 code 7 (+6).
  uint8_t b[17] = {127, 0x7f, 0x21, 0x08};
  float out[32];
  dequantize_row(GGML_MXFP4, b, out, 32);
  EXPECT_EQ(out[0], -6.0f);
  EXPECT_EQ(out[16], 6.0f);
  EXPECT_EQ(out[1], 0.5f);   // code 1
  EXPECT_EQ(out[17], 1.0f);  // code 2
  EXPECT_EQ(out[2], -0.0f);  // code 8
  EXPECT_FALSE(std::signbit(out[2])) << "ggml's doubled-int table yields +0 for code 8";
  b[0] = 129;  // ×4
  dequantize_row(GGML_MXFP4, b, out, 32);
  EXPECT_EQ(out[0], -24.0f);
  // e = 0 and 1 are subnormal scales (2^-127, 2^-126 as the product), e = 255 is not NaN.
  b[0] = 0;
  dequantize_row(GGML_MXFP4, b, out, 32);
  EXPECT_EQ(out[1], std::ldexp(1.0f, -128));
  EXPECT_EQ(out[16], 6.0f * std::ldexp(1.0f, -127));
  b[0] = 255;
  dequantize_row(GGML_MXFP4, b, out, 32);
  EXPECT_EQ(out[1], std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isinf(out[16]));
}

TEST(QuantDequant, HandBuiltQ4_K) {
  // d = 1, dmin = 0.5; sub-block 0: SC 2, M 3; sub-block 5: SC = 0x25 (37), M = 0x1a (26).
  uint8_t b[144] = {0x00, 0x3c, 0x00, 0x38};
  uint8_t *sc = b + 4;
  sc[0] = 2;
  sc[4] = 3;
  sc[1] = 0x80;                  // top bits of SC_5 = 2 (bits 6-7 of byte 1)
  sc[5] = 0x40;                  // top bits of M_5 = 1 (bits 6-7 of byte 5)
  sc[9] = 0xa5;                  // SC_5 low 5, M_5 low 10
  b[16 + 0] = 0x05;              // element 0: code 5 (sub-block 0)
  b[16 + 64 + 7] = 0x90;         // element 128 + 32 + 7 = 167 (sub-block 5): high nibble 9
  float out[256];
  dequantize_row(GGML_Q4_K, b, out, 256);
  EXPECT_EQ(out[0], 2.0f * 5 - 0.5f * 3);
  EXPECT_EQ(out[1], -1.5f);
  EXPECT_EQ(out[167], 37.0f * 9 - 0.5f * 26);
}

TEST(QuantDequant, HandBuiltQ6_KAndQ3_K) {
  uint8_t q6[210] = {};
  q6[192 + 8] = static_cast<uint8_t>(-3);  // scale of elements 128…143
  q6[208] = 0x00;
  q6[209] = 0x40;                           // d = 2
  // element 130 = 128·1 + 32·0 + 2: low nibble of ql[64 + 2], high bits pair 0 of qh[32 + 2]
  q6[64 + 2] = 0x0a;
  q6[128 + 32 + 2] = 0x02;                  // q = 10 | 2<<4 = 42 → code 10
  float out[256];
  dequantize_row(GGML_Q6_K, q6, out, 256);
  EXPECT_EQ(out[130], 2.0f * -3 * 10);
  EXPECT_EQ(out[131], 2.0f * -3 * -32);

  uint8_t q3[110] = {};
  q3[108] = 0x00;
  q3[109] = 0x3c;  // d = 1
  // scale 0: low 4 bits lo(scales[0]) = 5, high 2 bits of byte 8 = 2 → 37 − 32 = 5
  q3[96] = 0x05;
  q3[96 + 8] = 0x02;
  q3[32 + 0] = 0x03;  // element 0: q2 = 3
  q3[0] = 0x01;       // element 0: high bit set → code 3
  q3[32 + 1] = 0x02;  // element 1: q2 = 2, high bit clear → code −2
  dequantize_row(GGML_Q3_K, q3, out, 256);
  EXPECT_EQ(out[0], 15.0f);
  EXPECT_EQ(out[1], -10.0f);
  // all other scales are 0 − 32 = −32 with codes −4 → 128
  EXPECT_EQ(out[255], 128.0f);
}

TEST(QuantDequant, Q2_KHandBuilt) {
  uint8_t b[84] = {};
  b[0] = 0x21;   // sub-block 0: scale 1, min 2
  b[80] = 0x00;
  b[81] = 0x40;  // d = 2
  b[82] = 0x00;
  b[83] = 0x38;  // dmin = 0.5
  b[16] = 0x03 | 0x02 << 2;  // element 0 → 3, element 32 → 2 (sub-block 2: scale 0, min 0)
  float out[256];
  dequantize_row(GGML_Q2_K, b, out, 256);
  EXPECT_EQ(out[0], 2.0f * 3 - 1.0f);
  EXPECT_EQ(out[1], -1.0f);
  EXPECT_EQ(out[32], 0.0f);
}

TEST(QuantDequant, RejectsUnsupportedTypesAndRaggedRows) {
  float out[256];
  uint8_t bytes[512] = {};
  for (uint32_t t : {static_cast<uint32_t>(GGML_IQ2_XXS), static_cast<uint32_t>(GGML_Q8_K),
                     static_cast<uint32_t>(GGML_I32), 4u, 999u}) {
    try {
      dequantize_row(t, bytes, out, 256);
      ADD_FAILURE() << "type " << t << " accepted";
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), DSV4_ERR_UNSUPPORTED) << e.what();
    }
    EXPECT_THROW(quantize_row(t, out, bytes, 256), Error);
    EXPECT_THROW(vec_dot_f32(t, bytes, out, 256), Error);
  }
  try {
    dequantize_row(GGML_Q4_K, bytes, out, 128);
    ADD_FAILURE() << "ragged row accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("q4_k"), std::string::npos) << e.what();
  }
  EXPECT_THROW(quantize_row(GGML_Q8_0, out, bytes, 33), Error);
  EXPECT_THROW(dequantize_row(GGML_Q8_0, bytes, out, -32), Error);
  EXPECT_NO_THROW(dequantize_row(GGML_Q8_0, bytes, out, 0));
}

// vec_dot_f32: bit-equal to the documented order (sequential f32), close to a double dot.
TEST(QuantDequant, VecDotF32) {
  std::mt19937 rng(77);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const uint32_t types[] = {GGML_F32, GGML_F16, GGML_BF16, GGML_Q4_0, GGML_Q4_1, GGML_Q5_0, GGML_Q5_1,
                            GGML_Q8_0, GGML_Q2_K, GGML_Q3_K, GGML_Q4_K, GGML_Q5_K, GGML_Q6_K, GGML_MXFP4};
  for (uint32_t t : types) {
    for (int64_t n : {256, 768, 2048}) {
      std::vector<float> w(n), x(n);
      for (auto &v : w) v = normal(rng);
      for (auto &v : x) v = normal(rng);
      std::vector<uint8_t> row(row_bytes(*type_info(t), n));
      quantize_row(t, w.data(), row.data(), n);
      std::vector<float> wd(n);
      dequantize_row(t, row.data(), wd.data(), n);
      float seq = 0.0f;
      double exact = 0.0, mag = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        seq += wd[i] * x[i];
        exact += static_cast<double>(wd[i]) * x[i];
        mag += std::fabs(static_cast<double>(wd[i]) * x[i]);
      }
      const float got = vec_dot_f32(t, row.data(), x.data(), n);
      EXPECT_EQ(got, seq) << type_info(t)->name << " n=" << n;
      EXPECT_LE(std::fabs(got - exact), static_cast<double>(n + 1) * 6e-8 * mag) << type_info(t)->name;
    }
  }
}

}  // namespace
}  // namespace dsv4::test
