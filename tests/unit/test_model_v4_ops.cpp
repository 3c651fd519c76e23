// DeepSeek V4 building blocks: the cache row formats (exactly DeepSeek's FP8 / FP4 roundings,
// spec §3.5 / §3.6), the FP8 activation rounding (§3.7), and the CPU backend's V4 ops — fused
// against unfused, and against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "backend/backend.h"
#include "backend/kv_format.h"
#include "format/ggml_type.h"
#include "model/arch/deepseek4_impl.h"
#include "quant/float_conv.h"
#include "quant/quant.h"

namespace dsv4::test {
namespace {

std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float &x : v) x = d(g);
  return v;
}

WeightView f32_view(const std::vector<float> &m, int64_t ne0, int64_t ne1) {
  WeightView w;
  w.type = GGML_F32;
  w.ne0 = ne0;
  w.ne1 = ne1;
  w.row_bytes = static_cast<uint64_t>(ne0) * 4;
  w.matrix_bytes = w.row_bytes * static_cast<uint64_t>(ne1);
  w.data = reinterpret_cast<const uint8_t *>(m.data());
  return w;
}

// ---- row formats ------------------------------------------------------------------------------

TEST(V4KvFormat, Fp8RowIsDeepSeeksFakeQuantAndKeepsRotaryDimsInBf16) {
  const int64_t dim = 128, n_quant = 96;  // a partial last block of 32
  auto x = randn(dim, 1, 3.0f);
  x[5] = 1e-9f;
  std::vector<uint8_t> row(kv_row_bytes(KvFormat::kFP8, dim, n_quant));
  EXPECT_EQ(row.size(), 96u + 2u + 64u);
  kv_encode_row(KvFormat::kFP8, dim, n_quant, x.data(), row.data());
  std::vector<float> got(dim), want = x;
  kv_decode_row(KvFormat::kFP8, dim, n_quant, row.data(), got.data());
  fake_quant_fp8_row(want.data(), want.data(), 64, 64);
  fake_quant_fp8_row(want.data() + 64, want.data() + 64, 32, 32);
  for (int64_t i = n_quant; i < dim; ++i) want[i] = bf16_to_f32(f32_to_bf16(x[i]));
  for (int64_t i = 0; i < dim; ++i) EXPECT_EQ(got[i], want[i]) << i;
  // kv_fake_quant_fp8 is the same rounding on the leading dims, the rotary dims untouched.
  std::vector<float> fq = x;
  kv_fake_quant_fp8(fq.data(), n_quant);
  for (int64_t i = 0; i < n_quant; ++i) EXPECT_EQ(fq[i], want[i]);
  for (int64_t i = n_quant; i < dim; ++i) EXPECT_EQ(fq[i], x[i]);
}

TEST(V4KvFormat, Fp8HandWorkedBlock) {
  // amax 1 -> s = 2^ceil(log2(1/448)) = 2^-8; 0.3/s = 76.8 -> e4m3 80 (step 8 in [64, 128)).
  std::vector<float> x(64, 0.0f);
  x[0] = 1.0f;
  x[1] = 0.3f;
  x[2] = -0.0009f;  // /s = -0.2304 = -1.8432·2^-3 -> mantissa 1.875 -> -0.234375
  kv_fake_quant_fp8(x.data(), 64);
  EXPECT_EQ(x[0], 1.0f);
  EXPECT_EQ(x[1], 0.3125f);
  EXPECT_EQ(x[2], -0.234375f * std::ldexp(1.0f, -8));
}

TEST(V4KvFormat, Fp4KeyIsDeepSeeksFakeQuant) {
  const int64_t dim = 64;
  auto x = randn(dim, 2, 0.7f);
  std::vector<uint8_t> row(kv_row_bytes(KvFormat::kFP4, dim, 0));
  EXPECT_EQ(row.size(), 32u + 2u);  // §5.2: 64 B of e2m1 + 4 scale bytes per 128 dims
  kv_encode_row(KvFormat::kFP4, dim, 0, x.data(), row.data());
  std::vector<float> got(dim), want(dim);
  kv_decode_row(KvFormat::kFP4, dim, 0, row.data(), got.data());
  fake_quant_fp4_row(x.data(), want.data(), dim);
  for (int64_t i = 0; i < dim; ++i) EXPECT_EQ(got[i], want[i]) << i;
  // Hand-worked: amax 3 -> s = 2^ceil(log2(0.5)) = 0.5; 1.1/0.5 = 2.2 -> 2 -> 1.0; 2.6/0.5 = 5.2 -> 6 -> 3.
  std::vector<float> y(32, 0.0f);
  y[0] = 3.0f;
  y[1] = 1.1f;
  y[2] = -2.6f;
  y[3] = 0.125f;  // 0.25 -> ties to the even code 0
  fake_quant_fp4_row(y.data(), y.data(), 32);
  EXPECT_EQ(y[0], 3.0f);
  EXPECT_EQ(y[1], 1.0f);
  EXPECT_EQ(y[2], -3.0f);
  EXPECT_EQ(y[3], 0.0f);
}

TEST(V4KvFormat, Bf16AndF32AndTableRows) {
  auto x = randn(16, 3);
  for (KvFormat f : {KvFormat::kF32, KvFormat::kBF16}) {
    std::vector<uint8_t> rows(2 * kv_row_bytes(f, 16, 0));
    kv_encode_row(f, 16, 0, x.data(), rows.data());
    kv_encode_row(f, 16, 0, x.data(), rows.data() + rows.size() / 2);
    KvTable t;
    t.format = f;
    t.dim = 16;
    t.row_bytes = kv_row_bytes(f, 16, 0);
    t.seg[0] = KvSegment{rows.data(), 1};
    t.seg[2] = KvSegment{rows.data() + t.row_bytes, 1};  // an empty middle segment is skipped
    std::vector<float> buf(16);
    const float *r1 = kv_table_row(t, 1, buf.data());
    for (int i = 0; i < 16; ++i)
      EXPECT_EQ(r1[i], f == KvFormat::kF32 ? x[i] : bf16_to_f32(f32_to_bf16(x[i])));
  }
}

TEST(V4Numerics, ActivationFp8RoundsPer128Block) {
  auto x = randn(300, 4, 2.0f);
  std::vector<float> got = x, want = x;
  v4::fake_quant_fp8_blocks(got.data(), 300, 128);
  fake_quant_fp8_row(want.data(), want.data(), 256, 128);
  fake_quant_fp8_row(want.data() + 256, want.data() + 256, 44, 44);  // the short last block
  for (int i = 0; i < 300; ++i) EXPECT_EQ(got[i], want[i]) << i;
}

// ---- backend ops ------------------------------------------------------------------------------

TEST(V4Ops, HadamardIsSylvesterAndOrthonormal) {
  const Backend &be = cpu_backend();
  std::vector<float> e(8, 0.0f);
  e[3] = 1.0f;  // column 3 of H_8 / sqrt(8): (−1)^popcount(i & 3)
  be.hadamard(Rows{e.data(), 1, 8}, 1, 8);
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(e[i], (__builtin_popcount(i & 3) % 2 ? -1.0f : 1.0f) / std::sqrt(8.0f));
  auto x = randn(128, 5), y = x;
  be.hadamard(Rows{y.data(), 1, 128}, 2, 64);
  be.hadamard(Rows{y.data(), 1, 128}, 2, 64);
  for (int i = 0; i < 128; ++i) EXPECT_NEAR(y[i], x[i], 1e-5f);
}

TEST(V4Ops, SwigluClamp) {
  const Backend &be = cpu_backend();
  const float g[4] = {3.0f, -5.0f, 0.5f, 12.0f}, u[4] = {-4.0f, 1.0f, 20.0f, 1.0f};
  float y[4];
  be.swiglu_clamped(ConstRows{g, 1, 4}, ConstRows{u, 1, 4}, 4, 2.0f, Rows{y, 1, 4});
  auto silu = [](float z) { return z / (1.0f + std::exp(-z)); };
  EXPECT_FLOAT_EQ(y[0], silu(2.0f) * -2.0f);  // gate clamped above, up clamped both ways
  EXPECT_FLOAT_EQ(y[1], silu(-5.0f) * 1.0f);  // the gate is not clamped from below
  EXPECT_FLOAT_EQ(y[2], silu(0.5f) * 2.0f);
  be.swiglu_clamped(ConstRows{g, 1, 4}, ConstRows{u, 1, 4}, 4, 0.0f, Rows{y, 1, 4});
  EXPECT_FLOAT_EQ(y[3], silu(12.0f));  // limit 0: no clamp
}

TEST(V4Ops, CompressPoolBlockZeroIgnoresTheMissingHalf) {
  const Backend &be = cpu_backend();
  const int64_t d = 3;
  std::vector<float> kv(8 * 2 * d, 0.0f), score(8 * 2 * d, -std::numeric_limits<float>::infinity());
  for (int r = 4; r < 8; ++r)
    for (int ch = 0; ch < d; ++ch) {
      kv[r * 2 * d + d + ch] = static_cast<float>(r + ch);
      score[r * 2 * d + d + ch] = static_cast<float>(r == 5 ? 1.0 : 0.0);
    }
  float out[3];
  be.compress_pool(4, d, kv.data(), score.data(), out);
  const double e = std::exp(1.0), den = 3 + e;
  for (int ch = 0; ch < d; ++ch)
    EXPECT_NEAR(out[ch], ((4 + ch) + e * (5 + ch) + (6 + ch) + (7 + ch)) / den, 1e-5);
}

TEST(V4Ops, SinkhornIsNearlyDoublyStochastic) {
  const Backend &be = cpu_backend();
  const int64_t hc = 4, D = 8, n_mix = 24;
  auto fn = randn(static_cast<size_t>(n_mix * hc * D), 6, 0.3f), X = randn(hc * D, 7);
  auto base = randn(n_mix, 8);
  std::vector<float> scale = {0.7f, 0.9f, 1.3f};
  HcParams p;
  p.n_stream = hc;
  p.n_embd = D;
  p.fn = f32_view(fn, hc * D, n_mix);
  p.scale = scale.data();
  p.base = base.data();
  std::vector<float> y(D), post(hc), comb(hc * hc), y2(D), post2(hc), comb2(hc * hc), mix(n_mix), pre(hc), xn(hc * D);
  be.hc_pre(p, ConstRows{X.data(), 1, hc * D}, Rows{y.data(), 1, D}, post.data(), comb.data(), nullptr);
  for (int k = 0; k < hc; ++k) {
    double col = 0, row = 0;
    for (int j = 0; j < hc; ++j) col += comb[j * hc + k], row += comb[k * hc + j];
    EXPECT_NEAR(col, 1.0, 1e-5);  // the last step normalises columns
    EXPECT_NEAR(row, 1.0, 1e-2);  // 20 iterations do not fully converge rows
    EXPECT_GT(post[k], 0.0f);
    EXPECT_LT(post[k], 2.0f);
  }
  // Unfused: rms-normalise, project, weights, collapse.
  be.rms_norm(ConstRows{X.data(), 1, hc * D}, hc * D, nullptr, p.norm_eps, Rows{xn.data(), 1, hc * D});
  be.matmul(p.fn, ConstRows{xn.data(), 1, hc * D}, Rows{mix.data(), 1, n_mix}, nullptr);
  be.hc_mix_weights(p, ConstRows{mix.data(), 1, n_mix}, pre.data(), post2.data(), comb2.data());
  be.hc_collapse(ConstRows{X.data(), 1, hc * D}, pre.data(), hc, D, Rows{y2.data(), 1, D});
  for (int i = 0; i < D; ++i) EXPECT_NEAR(y[i], y2[i], 1e-5f);
  for (int i = 0; i < hc * hc; ++i) EXPECT_NEAR(comb[i], comb2[i], 1e-6f);
}

TEST(V4Ops, SparseAttentionWithSinkFusedMatchesUnfusedAndHand) {
  const Backend &be = cpu_backend();
  const int64_t H = 2, hd = 8, n = 5;
  auto kv = randn(n * hd, 9), q = randn(H * hd, 10);
  const std::vector<float> sinks = {0.3f, -1.0f};
  const int32_t idx[6] = {4, -1, 0, 2, 3, -1};
  std::vector<float> out(H * hd);
  SparseAttnParams sp;
  sp.n_head = H;
  sp.head_dim = hd;
  sp.scale = 0.35f;
  sp.sinks = sinks.data();
  sp.q = ConstRows{q.data(), 1, H * hd};
  sp.kv.format = KvFormat::kF32;
  sp.kv.dim = hd;
  sp.kv.row_bytes = hd * 4;
  sp.kv.seg[0] = KvSegment{reinterpret_cast<const uint8_t *>(kv.data()), n};
  sp.idx = idx;
  sp.idx_stride = 6;
  sp.out = Rows{out.data(), 1, H * hd};
  be.sparse_attention(sp, nullptr);
  for (int64_t h = 0; h < H; ++h) {
    double l[4], mx = -1e30, den = 0, o[8] = {};
    const int rows[4] = {4, 0, 2, 3};
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int i = 0; i < hd; ++i) s += q[h * hd + i] * kv[rows[j] * hd + i];
      l[j] = s * 0.35;
      mx = std::max(mx, l[j]);
    }
    for (double &v : l) den += std::exp(v - mx);
    den += std::exp(sinks[h] - mx);
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < hd; ++i) o[i] += std::exp(l[j] - mx) / den * kv[rows[j] * hd + i];
    for (int i = 0; i < hd; ++i) EXPECT_NEAR(out[h * hd + i], o[i], 1e-5);
  }
}

TEST(V4Ops, TopkTieRuleAndIndexerSelection) {
  const Backend &be = cpu_backend();
  // Exact ties at the boundary: the lower block index wins; picks come out ascending.
  const float s[6] = {0.0f, 2.0f, 0.0f, 0.0f, 1.0f, 0.0f};
  const int64_t nv[2] = {6, 2};
  int32_t picks[6];
  be.select_topk(ConstRows{s, 1, 6}, nv, 3, picks);
  EXPECT_EQ(picks[0], 0);
  EXPECT_EQ(picks[1], 1);
  EXPECT_EQ(picks[2], 4);
  be.select_topk(ConstRows{s, 1, 6}, nv + 1, 3, picks + 3);  // fewer visible than k: all, −1 padded
  EXPECT_EQ(picks[3], 0);
  EXPECT_EQ(picks[4], 1);
  EXPECT_EQ(picks[5], -1);
  // Fused indexer vs scores worked out densely.
  const int64_t nh = 3, d = 32, n_keys = 20, K = 5;
  auto keys = randn(n_keys * d, 11), q = randn(nh * d, 12), w = randn(nh, 13);
  IndexerParams ip;
  ip.n_head = nh;
  ip.head_dim = d;
  ip.q = ConstRows{q.data(), 1, nh * d};
  ip.weights = ConstRows{w.data(), 1, nh};
  ip.keys.format = KvFormat::kF32;
  ip.keys.dim = d;
  ip.keys.row_bytes = d * 4;
  ip.keys.seg[0] = KvSegment{reinterpret_cast<const uint8_t *>(keys.data()), n_keys};
  const int64_t vis = 17;
  ip.n_visible = &vis;
  ip.top_k = K;
  int32_t got[K];
  ip.picks = got;
  be.indexer_topk(ip, nullptr);
  std::vector<float> score(vis);
  for (int64_t j = 0; j < vis; ++j) {
    float acc = 0;
    for (int64_t h = 0; h < nh; ++h) {
      float dot = 0;
      for (int64_t i = 0; i < d; ++i) dot += q[h * d + i] * keys[j * d + i];
      acc += std::max(dot, 0.0f) * w[h];
    }
    score[j] = acc;
  }
  int32_t want[K];
  be.select_topk(ConstRows{score.data(), 1, vis}, &vis, K, want);
  for (int k = 0; k < K; ++k) EXPECT_EQ(got[k], want[k]);
}

TEST(V4Ops, HashRoutingKeepsTheGivenExperts) {
  const Backend &be = cpu_backend();
  const float logits[4] = {0.1f, 2.0f, -1.0f, 0.5f};
  const int32_t fixed[2] = {2, 0};
  MoeRouteParams p;
  p.gating = 4;
  p.n_expert = 4;
  p.n_used = 2;
  p.norm = true;
  p.scale = 1.5f;
  p.fixed_experts = fixed;
  int32_t e[2];
  float w[2];
  be.moe_route(ConstRows{logits, 1, 4}, p, e, w);
  EXPECT_EQ(e[0], 2);
  EXPECT_EQ(e[1], 0);
  const float s2 = std::sqrt(std::log1p(std::exp(-1.0f))), s0 = std::sqrt(std::log1p(std::exp(0.1f)));
  EXPECT_NEAR(w[0], s2 / (s2 + s0) * 1.5f, 1e-6);
  EXPECT_NEAR(w[1], s0 / (s2 + s0) * 1.5f, 1e-6);
}

}  // namespace
}  // namespace dsv4::test
