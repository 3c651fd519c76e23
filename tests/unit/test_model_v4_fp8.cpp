// FP8 E4M3 weights with 128×128 block scales (deepseek-v4.md §3.7, §6.3), stored as I8 codes
// plus a sibling ".scale" tensor (f32, or E8M0 bytes): a model whose dense matrices are FP8
// gives the logits of the same model with those matrices dequantized to F32 (to f32 rounding).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include "common/error.h"
#include "common/testdata.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "quant/float_conv.h"
#include "quant/quant.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "unit/test_v4_gguf_copy.h"

namespace dsv4::test {
namespace {

bool is_fp8_matrix(const std::string &name) {
  static const std::set<std::string> kSuffix = {"attn_q_a.weight",       "attn_q_b.weight",       "attn_kv.weight",
                                                "attn_output_a.weight",  "attn_output_b.weight",  "indexer.attn_q_b.weight",
                                                "ffn_gate_shexp.weight", "ffn_up_shexp.weight", "ffn_down_shexp.weight"};
  const size_t dot = name.find('.', 4);  // after "blk.N"
  return name.rfind("blk.", 0) == 0 && dot != std::string::npos && kSuffix.count(name.substr(dot + 1));
}

// Quantizes an F32 matrix [ne1][ne0] to e4m3 codes with one scale per 128×128 block: E8M0
// (power of two, DeepSeek V4) or f32 (amax / 448, DeepSeek V3). Also returns the dequantized
// matrix, computed as the library dequantizes.
struct Fp8Matrix {
  std::vector<uint8_t> codes;
  std::vector<float> scale_f32;
  std::vector<uint8_t> scale_e8m0;
  std::vector<float> dequant;
};
Fp8Matrix quantize_fp8(const float *w, int64_t ne0, int64_t ne1, bool e8m0) {
  const int64_t gr = (ne1 + 127) / 128, gc = (ne0 + 127) / 128;
  Fp8Matrix m;
  m.codes.resize(static_cast<size_t>(ne0 * ne1));
  m.dequant.resize(m.codes.size());
  std::vector<float> s(static_cast<size_t>(gr * gc));
  for (int64_t bi = 0; bi < gr; ++bi)
    for (int64_t bj = 0; bj < gc; ++bj) {
      float amax = 0;
      for (int64_t r = bi * 128; r < std::min(ne1, bi * 128 + 128); ++r)
        for (int64_t c = bj * 128; c < std::min(ne0, bj * 128 + 128); ++c) amax = std::max(amax, std::fabs(w[r * ne0 + c]));
      const int k = ue8m0_scale_exponent(amax, 1e-4f, 1.0f / 448.0f);
      s[static_cast<size_t>(bi * gc + bj)] = e8m0 ? pow2_f32(k) : std::max(amax, 1e-4f) / 448.0f;
      if (e8m0) m.scale_e8m0.push_back(static_cast<uint8_t>(k + 127));
    }
  if (!e8m0) m.scale_f32 = s;
  for (int64_t r = 0; r < ne1; ++r)
    for (int64_t c = 0; c < ne0; ++c) {
      const float sc = s[static_cast<size_t>(r / 128 * gc + c / 128)];
      const uint8_t code = f32_to_e4m3(std::clamp(w[r * ne0 + c] / sc, -448.0f, 448.0f));
      m.codes[static_cast<size_t>(r * ne0 + c)] = code;
      m.dequant[static_cast<size_t>(r * ne0 + c)] = e4m3_to_f32(code) * sc;
    }
  return m;
}

std::vector<uint8_t> bytes_of(const void *p, size_t n) {
  const auto *b = static_cast<const uint8_t *>(p);
  return std::vector<uint8_t>(b, b + n);
}

// Writes the FP8 model (fp8 = true) or its F32 twin.
std::string make_model(const std::string &dir, bool fp8, bool drop_one_scale = false) {
  const std::string path = dir + (fp8 ? "/fp8.gguf" : "/f32.gguf");
  int counter = 0;
  copy_gguf(testdata_path("models/dsv4-tiny-f32.gguf"), path, "", nullptr,
            [&](const gguf::TensorInfo &t) -> std::vector<TensorOut> {
              if (!is_fp8_matrix(t.name)) return {same(t)};
              const int64_t ne0 = t.ne[0], ne1 = t.ne[1];
              const bool e8m0 = (counter++ % 2) == 0;  // both scale encodings
              const Fp8Matrix m = quantize_fp8(reinterpret_cast<const float *>(t.data), ne0, ne1, e8m0);
              if (!fp8) return {TensorOut{t.name, GGML_F32, {ne0, ne1}, bytes_of(m.dequant.data(), m.dequant.size() * 4)}};
              std::vector<TensorOut> out = {TensorOut{t.name, GGML_I8, {ne0, ne1}, m.codes}};
              if (drop_one_scale && counter == 1) return out;
              const std::string scale = t.name.substr(0, t.name.size() - 7) + ".scale";
              const std::vector<int64_t> grid = {(ne0 + 127) / 128, (ne1 + 127) / 128};
              if (e8m0) out.push_back(TensorOut{scale, GGML_I8, grid, m.scale_e8m0});
              else out.push_back(TensorOut{scale, GGML_F32, grid, bytes_of(m.scale_f32.data(), m.scale_f32.size() * 4)});
              return out;
            });
  return path;
}

std::vector<float> logits(const std::string &path, const std::vector<int32_t> &tokens) {
  auto m = Model::load(path, ModelLoadOptions{});
  SessionOptions so;
  so.n_ctx = static_cast<int64_t>(tokens.size());
  so.n_threads = 2;
  Session s(*m, so);
  std::vector<uint8_t> all(tokens.size(), 1);
  s.eval(tokens.data(), static_cast<int64_t>(tokens.size()), all.data());
  return s.logits();
}

TEST(Deepseek4Fp8Weights, MatchDequantizedTwin) {
  const std::string dir = make_temp_dir("v4fp8");
  auto tokens = read_token_file(testdata_path("models/dsv4-tiny-f32.tokens"));
  tokens.resize(40);
  const auto a = logits(make_model(dir, true), tokens), b = logits(make_model(dir, false), tokens);
  ASSERT_EQ(a.size(), b.size());
  // Same weights, both on the exact path; only the dot kernels may differ (F32 rows can take a
  // SIMD kernel, FP8 rows are dequantized first), so f32 rounding apart.
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) num += (a[i] - b[i]) * (a[i] - b[i]), den += b[i] * b[i];
  EXPECT_LT(std::sqrt(num / den), 1e-6);
  // And the rounding is real: the FP8 model differs from the original F32 one.
  const auto ref = read_f32(testdata_path("models/dsv4-tiny-f32.logits.f32"));
  num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) num += (a[i] - ref[i]) * (a[i] - ref[i]), den += ref[i] * ref[i];
  EXPECT_GT(std::sqrt(num / den), 1e-4);
  EXPECT_LT(std::sqrt(num / den), 0.5);
}

TEST(Deepseek4Fp8Weights, MissingScaleIsNamed) {
  const std::string dir = make_temp_dir("v4fp8bad");
  try {
    Model::load(make_model(dir, true, true), ModelLoadOptions{});
    FAIL() << "expected FORMAT";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_FORMAT);
    EXPECT_NE(e.message().find("blk.0.attn_q_a.scale"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dsv4::test
