// The CPU backend's reference ops: weights dequantized row by row (never whole tensors) and
// multiplied with f32 activations. Each output element is computed by one thread in a fixed
// order, so results are bitwise identical for any thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/cpu_ops_v4.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/matmul_options.h"
#include "backend/cpu/packed.h"
#include "backend/cpu/thread_pool.h"
#include "backend/cpu/vec.h"
#include "backend/cpu/weight_row.h"
#include "format/ggml_type.h"
#include "quant/float_conv.h"
#include "quant/quant.h"

namespace dsv4 {

WeightView WeightView::matrix(int64_t i2) const {
  WeightView v = *this;
  v.data = data + static_cast<uint64_t>(i2) * matrix_bytes;
  if (packed) v.packed = packed + static_cast<uint64_t>(i2) * packed_matrix_bytes;
  v.ne2 = 1;
  if (is_fp8()) {
    const int64_t grid = (fp8_rows + 127) / 128 * ((ne0 + 127) / 128);
    if (v.fp8_scale_f32) v.fp8_scale_f32 += i2 * grid;
    if (v.fp8_scale_e8m0) v.fp8_scale_e8m0 += i2 * grid;
  }
  return v;
}

WeightView WeightView::rows(int64_t first, int64_t n) const {
  WeightView v = stacked_rows(first, n);
  v.ne2 = 1;
  v.matrix_bytes = row_bytes * static_cast<uint64_t>(n);
  return v;
}

WeightView WeightView::stacked_rows(int64_t first, int64_t n) const {
  WeightView v = *this;
  v.data = data + static_cast<uint64_t>(first) * row_bytes;
  v.ne1 = n;
  v.fp8_row0 = fp8_row0 + first;
  // A packed view stays packed only when its first row starts a group.
  if (packed && first % cpu::kPackRows == 0)
    v.packed = packed + static_cast<uint64_t>(first / cpu::kPackRows) * packed_group_bytes;
  else
    v.packed = nullptr;
  return v;
}

void dequantize_weight_row(const WeightView &w, int64_t r, float *dst) {
  if (!w.is_fp8()) {
    dequantize_row(w.type, w.row(r), dst, w.ne0);
    return;
  }
  // The scale grid is indexed by the row in the whole matrix.
  const uint8_t *whole = w.data - static_cast<uint64_t>(w.fp8_row0) * w.row_bytes;
  if (w.fp8_scale_f32) dequantize_fp8_block_scaled(whole, w.fp8_scale_f32, w.fp8_rows, w.ne0, w.fp8_row0 + r, dst);
  else dequantize_fp8_block_scaled_e8m0(whole, w.fp8_scale_e8m0, w.fp8_rows, w.ne0, w.fp8_row0 + r, dst);
}

namespace {

// A per-thread, 64-byte aligned buffer for the rounded activations of one matmul.
uint8_t *act_scratch(size_t bytes) {
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < bytes + 64) buf.resize(bytes + 64);
  const auto addr = reinterpret_cast<uintptr_t>(buf.data());
  return buf.data() + ((64 - addr % 64) % 64);
}

// Tokens per pass over a thread's rows: their activations stay in cache while the rows stream by,
// and the xN kernels read each row once per pass.
constexpr int64_t kTokenBlock = 16;

// Query rows (token x head) per block of the MLA attention: bounds the scores buffer.
constexpr int64_t kMlaQueryRows = 256;

// For every matrix m of a stack and row r: y[t][m*y_step + r] = dot(row r of matrix m, tokens
// [t0, t0 + tn)); the rows of all matrices are split over the threads in one region.
template <class Dot>
void rows_by_token_blocks(const WeightView &w, int64_t n_mats, const int32_t *ids, int64_t T, Rows y,
                          int64_t y_step, ThreadPool *pool, const Dot &dot) {
  const int64_t N = w.ne1;
  parallel_for(pool, n_mats * N, [&](int64_t g0, int64_t g1) {
    float out[kTokenBlock];
    for (int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
      const int64_t tn = std::min(kTokenBlock, T - t0);
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t m = g / N, r = g % N;
        const uint8_t *row = w.data + static_cast<uint64_t>(ids ? ids[m] : m) * w.matrix_bytes +
                             static_cast<uint64_t>(r) * w.row_bytes;
        dot(row, m, t0, tn, out);
        for (int64_t t = 0; t < tn; ++t) y.row(t0 + t)[m * y_step + r] = out[t];
      }
    }
  });
}

// As rows_by_token_blocks for a packed view: whole groups of kPackRows rows split over the
// threads; the kernel writes out[t·kPackRows + r] and the rows past ne1 are dropped.
template <class GroupDot>
void groups_by_token_blocks(const WeightView &w, int64_t n_mats, const int32_t *ids, int64_t T, Rows y,
                            int64_t y_step, ThreadPool *pool, const GroupDot &dot) {
  const int64_t N = w.ne1, G = (N + cpu::kPackRows - 1) / cpu::kPackRows;
  parallel_for(pool, n_mats * G, [&](int64_t g0, int64_t g1) {
    alignas(64) float out[kTokenBlock * cpu::kPackRows];
    for (int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
      const int64_t tn = std::min(kTokenBlock, T - t0);
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t m = g / G, r0 = (g % G) * cpu::kPackRows;
        const uint8_t *group = w.packed + static_cast<uint64_t>(ids ? ids[m] : m) * w.packed_matrix_bytes +
                               static_cast<uint64_t>(g % G) * w.packed_group_bytes;
        dot(group, m, t0, tn, out);
        const int64_t nr = std::min(cpu::kPackRows, N - r0);
        for (int64_t t = 0; t < tn; ++t) {
          float *yt = y.row(t0 + t) + m * y_step + r0;
          for (int64_t r = 0; r < nr; ++r) yt[r] = out[t * cpu::kPackRows + r];
        }
      }
    }
  });
}

class CpuBackend final : public Backend {
 public:
  const char *name() const override { return "cpu"; }

  // Kernels of kernels.h chosen by the calling thread's MatmulOptions: the exact path (default)
  // or, in MatmulMode::kInt8, activations rounded once per call and integer dots.
  void matmul(const WeightView &w, ConstRows x, Rows y, ThreadPool *pool) const override {
    matmul_stacked(w, 1, nullptr, x, 0, y, 0, pool);
  }

  void matmul_stacked(const WeightView &w, int64_t n_mats, const int32_t *ids, ConstRows x, int64_t x_step, Rows y,
                      int64_t y_step, ThreadPool *pool) const override {
    const MatmulOptions o = current_matmul_options();
    const Isa isa = effective_isa(o.isa);
    const cpu::TypeKernels *k = w.is_fp8() ? nullptr : cpu::type_kernels(w.type, isa);
    const int64_t T = x.n_rows, n = w.ne0;
    if (!k) {
      for (int64_t m = 0; m < n_mats; ++m)
        matmul_dequant(w.matrix(ids ? ids[m] : m), ConstRows{x.data + m * x_step, T, x.stride},
                       Rows{y.data + m * y_step, T, y.stride}, pool);
      return;
    }
    const bool int8 = o.mode == MatmulMode::kInt8 && k->act != cpu::ActFormat::kF32;
    const RoundedActs acts = int8 ? round_activations(*k, isa, n, n_mats, x, x_step, pool) : RoundedActs{};
    // Row-major dot over rows of the weights in their file format: the int8 or the exact kernels.
    const auto dot = [&](const uint8_t *row, int64_t m, int64_t t0, int64_t tn, float *out) {
      if (int8) {
        const void *xs[kTokenBlock];
        for (int64_t t = 0; t < tn; ++t) xs[t] = acts.row(m, t0 + t);
        k->dot_q8_xN(row, xs, tn, n, out);
      } else {
        const float *xs[kTokenBlock];
        for (int64_t t = 0; t < tn; ++t) xs[t] = x.row(t0 + t) + m * x_step;
        k->dot_f32_xN(row, xs, tn, n, out);
      }
    };
    const cpu::PackedLayout *l = w.packed ? cpu::packed_layout(w.type) : nullptr;
    // Off the packed kernel (the exact path, other kernel families) the rows come from the file's
    // bytes, which stay mapped: the same bits as without repacking, at the row-major speed.
    if (!l || !int8 || isa != Isa::kAvx512 || !l->gemv_avx512) {
      rows_by_token_blocks(w, n_mats, ids, T, y, y_step, pool, dot);
      return;
    }
    groups_by_token_blocks(w, n_mats, ids, T, y, y_step, pool,
                           [&](const uint8_t *group, int64_t m, int64_t t0, int64_t tn, float *out) {
                             const void *xs[kTokenBlock];
                             for (int64_t t = 0; t < tn; ++t) xs[t] = acts.row(m, t0 + t);
                             l->gemv_avx512(group, xs, tn, n, out);
                           });
  }

  // Activations rounded once per matmul for the int8 kernels: [x matrix][token].
  struct RoundedActs {
    const uint8_t *buf = nullptr;
    size_t stride = 0;
    int64_t T = 0;
    bool shared = true;  // one activation matrix for every weight matrix (x_step == 0)
    const void *row(int64_t m, int64_t t) const { return buf + stride * ((shared ? 0 : m) * T + t); }
  };
  static RoundedActs round_activations(const cpu::TypeKernels &k, Isa isa, int64_t n, int64_t n_mats, ConstRows x,
                                       int64_t x_step, ThreadPool *pool) {
    RoundedActs a;
    a.T = x.n_rows;
    a.shared = x_step == 0;
    a.stride = cpu::act_bytes(k.act, n);
    const int64_t rows = a.T * (a.shared ? 1 : n_mats);
    uint8_t *buf = act_scratch(a.stride * static_cast<size_t>(rows));
    parallel_for(pool, rows, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        cpu::quantize_act(k.act, x.row(i % a.T) + (i / a.T) * x_step, buf + a.stride * i, n, isa);
    });
    a.buf = buf;
    return a;
  }

  // Types without kernels (and FP8 block-scaled weights): dequantize each row, then vec_dot.
  static void matmul_dequant(const WeightView &w, ConstRows x, Rows y, ThreadPool *pool) {
    parallel_for(pool, w.ne1, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float *wr = weight_row_f32(w, r);
        for (int64_t t = 0; t < x.n_rows; ++t) y.row(t)[r] = vec_dot(wr, x.row(t), w.ne0);
      }
    });
  }

  void matmul_t(const WeightView &w, ConstRows x, Rows y, ThreadPool *pool) const override {
    parallel_for(pool, x.n_rows, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        float *yt = y.row(t);
        std::fill(yt, yt + w.ne0, 0.0f);
        for (int64_t j = 0; j < w.ne1; ++j) vec_axpy(yt, weight_row_f32(w, j), x.row(t)[j], w.ne0);
      }
    });
  }

  void get_rows(const WeightView &w, const int32_t *ids, int64_t n, Rows out) const override {
    for (int64_t i = 0; i < n; ++i) dequantize_weight_row(w, ids[i], out.row(i));
  }

  void rms_norm(ConstRows x, int64_t n, const float *w, float eps, Rows y) const override {
    for (int64_t t = 0; t < x.n_rows; ++t) {
      const float *xt = x.row(t);
      float *yt = y.row(t);
      const float inv = rms_inv(xt, n, eps);
      if (w) {
        for (int64_t i = 0; i < n; ++i) yt[i] = xt[i] * inv * w[i];
      } else {
        for (int64_t i = 0; i < n; ++i) yt[i] = xt[i] * inv;
      }
    }
  }

  void rope(Rows x, int64_t n_heads, int64_t head_stride, int64_t offset, const float *freqs, int64_t n_pairs,
            const int64_t *pos, bool inverse) const override {
    for (int64_t t = 0; t < x.n_rows; ++t) {
      for (int64_t i = 0; i < n_pairs; ++i) {
        // Angles in double: pos * freq reaches 1e6 rad at long context.
        const double theta = static_cast<double>(pos[t]) * freqs[i];
        const float c = static_cast<float>(std::cos(theta));
        const float s = static_cast<float>(inverse ? -std::sin(theta) : std::sin(theta));
        for (int64_t h = 0; h < n_heads; ++h) {
          float *p = x.row(t) + h * head_stride + offset + 2 * i;
          const float a = p[0], b = p[1];
          p[0] = a * c - b * s;
          p[1] = a * s + b * c;
        }
      }
    }
  }

  void swiglu(ConstRows gate, ConstRows up, int64_t n, Rows y) const override {
    for (int64_t t = 0; t < gate.n_rows; ++t) {
      const float *g = gate.row(t), *u = up.row(t);
      float *o = y.row(t);
      for (int64_t i = 0; i < n; ++i) o[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
    }
  }

  void moe_route(ConstRows logits, const MoeRouteParams &p, int32_t *experts, float *weights) const override {
    const int64_t E = p.n_expert, K = p.n_used;
    std::vector<float> prob(E), sel(E);
    std::vector<int32_t> order(E);
    for (int64_t t = 0; t < logits.n_rows; ++t) {
      const float *l = logits.row(t);
      route_scores(l, E, p.gating, prob.data());
      if (p.fixed_experts) {
        // Hash routing: the experts are given, only their weights come from the scores.
        for (int64_t k = 0; k < K; ++k) order[k] = p.fixed_experts[t * K + k];
      } else {
        for (int64_t e = 0; e < E; ++e) sel[e] = prob[e] + (p.bias ? p.bias[e] : 0.0f);
        if (p.n_group > 1) mask_groups(sel.data(), E, p.n_group, p.n_group_used);
        // Top-k by selection score; ties go to the lower expert id.
        for (int64_t e = 0; e < E; ++e) order[e] = static_cast<int32_t>(e);
        std::partial_sort(order.begin(), order.begin() + K, order.end(), [&](int32_t a, int32_t b) {
          return sel[a] > sel[b] || (sel[a] == sel[b] && a < b);
        });
      }
      float sum = 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        experts[t * K + k] = order[k];
        weights[t * K + k] = prob[order[k]];
        sum += prob[order[k]];
      }
      const float div = p.norm ? std::max(sum, 6.103515625e-5f) : 1.0f;
      const bool scale = p.scale != 0.0f && p.scale != 1.0f;
      for (int64_t k = 0; k < K; ++k) {
        float w = weights[t * K + k];
        if (p.norm) w /= div;
        if (scale) w *= p.scale;
        weights[t * K + k] = w;
      }
    }
  }

  // MLA attention as two matmuls over the shared latent cache (it is one KV head for all query
  // heads, so every (token, head) query row multiplies the same matrices): scores = Q·Kᵀ with the
  // cache rows as the weight matrix, then out = P·C with the latent part transposed once per call.
  // Both run on the SIMD matmul kernels; queries are taken in blocks so the scores stay small.
  void mla_attention(const MlaParams &p, ThreadPool *pool) const override {
    if (p.unfused || p.q.stride != p.n_head * (p.d_latent + p.d_rope) || p.out.stride != p.n_head * p.d_latent) {
      mla_attention_reference(p, pool);
      return;
    }
    const int64_t T = p.q.n_rows, H = p.n_head, dl = p.d_latent, row = dl + p.d_rope;
    int64_t S = 0;
    for (int64_t t = 0; t < T; ++t) S = std::max(S, p.n_keys[t]);
    WeightView keys;
    keys.type = p.cache_f32 ? GGML_F32 : GGML_BF16;
    keys.ne0 = row;
    keys.ne1 = S;
    keys.row_bytes = static_cast<uint64_t>(row) * (p.cache_f32 ? 4 : 2);
    keys.matrix_bytes = keys.row_bytes * static_cast<uint64_t>(S);
    keys.data = p.cache_f32 ? reinterpret_cast<const uint8_t *>(p.cache_f32) : reinterpret_cast<const uint8_t *>(p.cache_bf16);
    // Cᵀ [dl][S] in f32: row c holds latent channel c of every cached position.
    // The caller's buffers (pool workers must not touch their own thread_local copies).
    thread_local std::vector<float> ct_buf, scores_buf;
    ct_buf.resize(static_cast<size_t>(dl * S));
    float *ct = ct_buf.data();
    parallel_for(pool, S, [&](int64_t s0, int64_t s1) {
      std::vector<float> conv(static_cast<size_t>(row));
      for (int64_t s = s0; s < s1; ++s) {
        const float *k = cache_row(p, s, conv.data());
        for (int64_t c = 0; c < dl; ++c) ct[c * S + s] = k[c];
      }
    });
    WeightView values;
    values.type = GGML_F32;
    values.ne0 = S;
    values.ne1 = dl;
    values.row_bytes = static_cast<uint64_t>(S) * 4;
    values.matrix_bytes = values.row_bytes * static_cast<uint64_t>(dl);
    values.data = reinterpret_cast<const uint8_t *>(ct);
    const int64_t block = std::max<int64_t>(1, kMlaQueryRows / H);
    for (int64_t t0 = 0; t0 < T; t0 += block) {
      const int64_t tn = std::min(block, T - t0), nq = tn * H;
      // Only the keys some query of this block sees: causal prefill skips the masked half.
      int64_t sb = 0;
      for (int64_t t = t0; t < t0 + tn; ++t) sb = std::max(sb, p.n_keys[t]);
      WeightView kb = keys, vb = values;
      kb.ne1 = sb;
      vb.ne0 = sb;  // rows keep their stride S (row_bytes)
      scores_buf.resize(static_cast<size_t>(nq * sb));
      float *scores = scores_buf.data();
      matmul(kb, ConstRows{p.q.row(t0), nq, row}, Rows{scores, nq, sb}, pool);
      parallel_for(pool, nq, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) softmax_row(scores + i * sb, p.n_keys[t0 + i / H], sb, p.scale);
      });
      matmul(vb, ConstRows{scores, nq, sb}, Rows{p.out.row(t0), nq, dl}, pool);
    }
  }

  // scale·x over [0, n) -> softmax; [n, S) (causally masked) -> 0.
  static void softmax_row(float *x, int64_t n, int64_t S, float scale) {
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t s = 0; s < n; ++s) mx = std::max(mx, x[s] * scale);
    float sum = 0.0f;
    for (int64_t s = 0; s < n; ++s) {
      x[s] = std::exp(x[s] * scale - mx);
      sum += x[s];
    }
    const float inv = 1.0f / sum;
    for (int64_t s = 0; s < n; ++s) x[s] *= inv;
    std::fill(x + n, x + S, 0.0f);
  }

  // One (token, head) at a time, straight from the formula (§3.3); the unfused path.
  static void mla_attention_reference(const MlaParams &p, ThreadPool *pool) {
    const int64_t T = p.q.n_rows, H = p.n_head, dl = p.d_latent, dr = p.d_rope, row = dl + dr;
    parallel_for(pool, T * H, [&](int64_t i0, int64_t i1) {
      std::vector<float> scores, conv(p.cache_bf16 ? row : 0);
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t t = i / H, h = i % H;
        const float *q = p.q.row(t) + h * row;
        const int64_t n = p.n_keys[t];
        scores.resize(static_cast<size_t>(n));
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t s = 0; s < n; ++s) {
          const float *k = cache_row(p, s, conv.data());
          const float sc = (vec_dot(q, k, dl) + vec_dot(q + dl, k + dl, dr)) * p.scale;
          scores[s] = sc;
          mx = std::max(mx, sc);
        }
        float sum = 0.0f;
        for (int64_t s = 0; s < n; ++s) {
          scores[s] = std::exp(scores[s] - mx);
          sum += scores[s];
        }
        float *o = p.out.row(t) + h * dl;
        std::fill(o, o + dl, 0.0f);
        const float inv = 1.0f / sum;
        for (int64_t s = 0; s < n; ++s) vec_axpy(o, cache_row(p, s, conv.data()), scores[s] * inv, dl);
      }
    });
  }

  // ---- DeepSeek V4 ops: cpu_ops_v4.cpp ----
  void hc_pre(const HcParams &p, ConstRows streams, Rows y, float *post, float *comb, ThreadPool *pool) const override {
    cpu_v4::hc_pre(p, streams, y, post, comb, pool);
  }
  void hc_head(const HcParams &p, ConstRows streams, Rows y, ThreadPool *pool) const override {
    cpu_v4::hc_head(p, streams, y, pool);
  }
  void hc_mix_weights(const HcParams &p, ConstRows mixes, float *pre, float *post, float *comb) const override {
    cpu_v4::hc_mix_weights(p, mixes, pre, post, comb);
  }
  void hc_collapse(ConstRows streams, const float *pre, int64_t n_stream, int64_t n_embd, Rows y) const override {
    cpu_v4::hc_collapse(streams, pre, n_stream, n_embd, y);
  }
  void hc_post(ConstRows f, ConstRows resid, const float *post, const float *comb, int64_t n_stream, int64_t n_embd,
               Rows out) const override {
    cpu_v4::hc_post(f, resid, post, comb, n_stream, n_embd, out);
  }
  void compress_pool(int64_t ratio, int64_t dim, const float *kv, const float *score, float *out) const override {
    cpu_v4::compress_pool(ratio, dim, kv, score, out);
  }
  void sparse_attention(const SparseAttnParams &p, ThreadPool *pool) const override { cpu_v4::sparse_attention(p, pool); }
  void softmax_with_sink(Rows x, int64_t n, float scale, const float *sinks) const override {
    cpu_v4::softmax_with_sink(x, n, scale, sinks);
  }
  void indexer_topk(const IndexerParams &p, ThreadPool *pool) const override { cpu_v4::indexer_topk(p, pool); }
  void select_topk(ConstRows scores, const int64_t *n_visible, int64_t top_k, int32_t *picks) const override {
    cpu_v4::select_topk(scores, n_visible, top_k, picks);
  }
  void swiglu_clamped(ConstRows gate, ConstRows up, int64_t n, float limit, Rows y) const override {
    cpu_v4::swiglu_clamped(gate, up, n, limit, y);
  }
  void hadamard(Rows x, int64_t n_heads, int64_t head_dim) const override { cpu_v4::hadamard(x, n_heads, head_dim); }

 private:
  static const float *cache_row(const MlaParams &p, int64_t s, float *conv) {
    const int64_t row = p.d_latent + p.d_rope;
    if (p.cache_f32) return p.cache_f32 + s * row;
    const uint16_t *b = p.cache_bf16 + s * row;
    for (int64_t i = 0; i < row; ++i) conv[i] = bf16_to_f32(b[i]);
    return conv;
  }

  static void route_scores(const float *l, int64_t E, int32_t gating, float *out) {
    if (gating == 2) {
      for (int64_t e = 0; e < E; ++e) out[e] = 1.0f / (1.0f + std::exp(-l[e]));
    } else if (gating == 4) {
      // sqrt(softplus(x)), with softplus's large-x branch to avoid overflow.
      for (int64_t e = 0; e < E; ++e) {
        const float sp = l[e] > 20.0f ? l[e] : std::log1p(std::exp(l[e]));
        out[e] = std::sqrt(sp);
      }
    } else {
      float mx = l[0];
      for (int64_t e = 1; e < E; ++e) mx = std::max(mx, l[e]);
      float sum = 0.0f;
      for (int64_t e = 0; e < E; ++e) {
        out[e] = std::exp(l[e] - mx);
        sum += out[e];
      }
      for (int64_t e = 0; e < E; ++e) out[e] /= sum;
    }
  }

  // Keeps the n_used groups with the largest sum of their top-2 scores; masks the rest to -inf.
  static void mask_groups(float *sel, int64_t E, int64_t n_group, int64_t n_used) {
    const int64_t per = E / n_group;
    std::vector<float> gscore(n_group);
    for (int64_t g = 0; g < n_group; ++g) {
      float a = -std::numeric_limits<float>::infinity(), b = a;
      for (int64_t e = g * per; e < (g + 1) * per; ++e) {
        if (sel[e] > a) {
          b = a;
          a = sel[e];
        } else if (sel[e] > b) {
          b = sel[e];
        }
      }
      gscore[g] = per > 1 ? a + b : a;
    }
    std::vector<int64_t> order(n_group);
    for (int64_t g = 0; g < n_group; ++g) order[g] = g;
    std::partial_sort(order.begin(), order.begin() + n_used, order.end(), [&](int64_t x, int64_t y) {
      return gscore[x] > gscore[y] || (gscore[x] == gscore[y] && x < y);
    });
    std::vector<uint8_t> keep(n_group, 0);
    for (int64_t i = 0; i < n_used; ++i) keep[order[i]] = 1;
    for (int64_t g = 0; g < n_group; ++g)
      if (!keep[g])
        for (int64_t e = g * per; e < (g + 1) * per; ++e) sel[e] = -std::numeric_limits<float>::infinity();
  }
};

}  // namespace

const Backend &cpu_backend() {
  static const CpuBackend backend;
  return backend;
}

}  // namespace dsv4
