// DeepSeek V4 ops of the CPU backend. Spec references are to ../shared/spec/deepseek-v4.md.
#include "backend/cpu/cpu_ops_v4.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "backend/cpu/thread_pool.h"
#include "backend/cpu/vec.h"
#include "backend/kv_format.h"
#include "common/error.h"
#include "format/ggml_type.h"
#include "backend/cpu/weight_row.h"
#include "quant/quant.h"

namespace dsv4::cpu_v4 {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }


// The 4×4 mixing matrix from its logits, in the exact order of §4.2 step 7: one row softmax
// (+ eps), one column normalisation, then (iters − 1) × (row, column) normalisations, every
// divisor + eps. c[j*hc + k]: row j = source stream, column k = destination.
void sinkhorn(float *c, int64_t hc, int32_t iters, float eps) {
  for (int64_t j = 0; j < hc; ++j) {
    float *row = c + j * hc;
    const float mx = *std::max_element(row, row + hc);
    float sum = 0.0f;
    for (int64_t k = 0; k < hc; ++k) {
      row[k] = std::exp(row[k] - mx);
      sum += row[k];
    }
    for (int64_t k = 0; k < hc; ++k) row[k] = row[k] / sum + eps;
  }
  auto normalise_columns = [&] {
    for (int64_t k = 0; k < hc; ++k) {
      float sum = 0.0f;
      for (int64_t j = 0; j < hc; ++j) sum += c[j * hc + k];
      for (int64_t j = 0; j < hc; ++j) c[j * hc + k] /= sum + eps;
    }
  };
  normalise_columns();
  for (int32_t it = 1; it < iters; ++it) {
    for (int64_t j = 0; j < hc; ++j) {
      float *row = c + j * hc;
      float sum = 0.0f;
      for (int64_t k = 0; k < hc; ++k) sum += row[k];
      for (int64_t k = 0; k < hc; ++k) row[k] /= sum + eps;
    }
    normalise_columns();
  }
}

// pre / post / comb of one token from its mixes m (§4.2 steps 4–7; head: pre only, §4.7).
void mix_to_weights(const HcParams &p, const float *m, float *pre, float *post, float *comb) {
  const int64_t hc = p.n_stream;
  for (int64_t j = 0; j < hc; ++j) pre[j] = sigmoid(m[j] * p.scale[0] + p.base[j]) + p.hc_eps;
  if (post)
    for (int64_t j = 0; j < hc; ++j) post[j] = 2.0f * sigmoid(m[hc + j] * p.scale[1] + p.base[hc + j]);
  if (comb) {
    for (int64_t i = 0; i < hc * hc; ++i) comb[i] = m[2 * hc + i] * p.scale[2] + p.base[2 * hc + i];
    sinkhorn(comb, hc, p.sinkhorn_iters, p.hc_eps);
  }
}

void collapse_row(const float *x, const float *pre, int64_t hc, int64_t D, float *y) {
  for (int64_t d = 0; d < D; ++d) {
    float acc = 0.0f;
    for (int64_t j = 0; j < hc; ++j) acc += pre[j] * x[j * D + d];
    y[d] = acc;
  }
}

// The fused mixing of one token: mixes m = (fn·x̂)·ρ computed inline.
void token_mixes(const HcParams &p, const float *x, float *m) {
  const int64_t n = p.n_stream * p.n_embd;
  const float rho = rms_inv(x, n, p.norm_eps);
  for (int64_t r = 0; r < p.fn.ne1; ++r) m[r] = vec_dot(weight_row_f32(p.fn, r), x, n) * rho;
}

// Top-k of scores[0..n) into picks[0..k): best first by score, the lower index on exact ties;
// then written in ascending index order, −1 padded when n < k.
void select_row(const float *scores, int64_t n, int64_t k, int32_t *picks, std::vector<int32_t> &order) {
  if (n <= k) {
    for (int64_t i = 0; i < k; ++i) picks[i] = i < n ? static_cast<int32_t>(i) : -1;
    return;
  }
  order.resize(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  std::sort(order.begin(), order.begin() + k);
  std::copy(order.begin(), order.begin() + k, picks);
}

}  // namespace

void hc_pre(const HcParams &p, ConstRows streams, Rows y, float *post, float *comb, ThreadPool *pool) {
  const int64_t hc = p.n_stream, n_mix = p.fn.ne1;
  parallel_for(pool, streams.n_rows, [&](int64_t t0, int64_t t1) {
    std::vector<float> m(static_cast<size_t>(n_mix)), pre(static_cast<size_t>(hc));
    for (int64_t t = t0; t < t1; ++t) {
      token_mixes(p, streams.row(t), m.data());
      mix_to_weights(p, m.data(), pre.data(), post + t * hc, comb + t * hc * hc);
      collapse_row(streams.row(t), pre.data(), hc, p.n_embd, y.row(t));
    }
  });
}

void hc_head(const HcParams &p, ConstRows streams, Rows y, ThreadPool *pool) {
  const int64_t hc = p.n_stream;
  parallel_for(pool, streams.n_rows, [&](int64_t t0, int64_t t1) {
    std::vector<float> m(static_cast<size_t>(p.fn.ne1)), pre(static_cast<size_t>(hc));
    for (int64_t t = t0; t < t1; ++t) {
      token_mixes(p, streams.row(t), m.data());
      mix_to_weights(p, m.data(), pre.data(), nullptr, nullptr);
      collapse_row(streams.row(t), pre.data(), hc, p.n_embd, y.row(t));
    }
  });
}

void hc_mix_weights(const HcParams &p, ConstRows mixes, float *pre, float *post, float *comb) {
  const int64_t hc = p.n_stream;
  for (int64_t t = 0; t < mixes.n_rows; ++t)
    mix_to_weights(p, mixes.row(t), pre + t * hc, post ? post + t * hc : nullptr, comb ? comb + t * hc * hc : nullptr);
}

void hc_collapse(ConstRows streams, const float *pre, int64_t n_stream, int64_t n_embd, Rows y) {
  for (int64_t t = 0; t < streams.n_rows; ++t)
    collapse_row(streams.row(t), pre + t * n_stream, n_stream, n_embd, y.row(t));
}

void hc_post(ConstRows f, ConstRows resid, const float *post, const float *comb, int64_t hc, int64_t D, Rows out) {
  for (int64_t t = 0; t < f.n_rows; ++t) {
    const float *ft = f.row(t), *r = resid.row(t), *pt = post + t * hc, *ct = comb + t * hc * hc;
    float *o = out.row(t);
    for (int64_t k = 0; k < hc; ++k)
      for (int64_t d = 0; d < D; ++d) {
        float acc = pt[k] * ft[d];
        for (int64_t j = 0; j < hc; ++j) acc += ct[j * hc + k] * r[j * D + d];
        o[k * D + d] = acc;
      }
  }
}

void compress_pool(int64_t ratio, int64_t dim, const float *kv, const float *score, float *out) {
  // ratio 4: 8 (row, column offset) pairs per channel — rows 0..3 at column ch (previous
  // block, half A), rows 4..7 at column dim + ch (this block, half B); otherwise `ratio` rows.
  const bool overlap = ratio == 4;
  const int64_t n_rows = overlap ? 8 : ratio, width = overlap ? 2 * dim : dim;
  for (int64_t ch = 0; ch < dim; ++ch) {
    auto col = [&](int64_t r) { return r * width + ch + (overlap && r >= 4 ? dim : 0); };
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < n_rows; ++r) mx = std::max(mx, score[col(r)]);
    float den = 0.0f, num = 0.0f;
    for (int64_t r = 0; r < n_rows; ++r) {
      const float e = std::exp(score[col(r)] - mx);
      den += e;
      num += e * kv[col(r)];
    }
    out[ch] = num / den;
  }
}

void sparse_attention(const SparseAttnParams &p, ThreadPool *pool) {
  const int64_t T = p.q.n_rows, H = p.n_head, hd = p.head_dim;
  parallel_for(pool, T * H, [&](int64_t i0, int64_t i1) {
    std::vector<float> l, buf(static_cast<size_t>(hd));
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t t = i / H, h = i % H;
      const float *q = p.q.row(t) + h * hd;
      const int32_t *idx = p.idx + t * p.idx_stride;
      l.assign(static_cast<size_t>(p.idx_stride), 0.0f);
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < p.idx_stride; ++j) {
        if (idx[j] < 0) continue;
        l[j] = vec_dot(kv_table_row(p.kv, idx[j], buf.data()), q, hd) * p.scale;
        mx = std::max(mx, l[j]);
      }
      float den = 0.0f;
      for (int64_t j = 0; j < p.idx_stride; ++j) {
        if (idx[j] < 0) continue;
        l[j] = std::exp(l[j] - mx);
        den += l[j];
      }
      den += std::exp(p.sinks[h] - mx);  // the sink enlarges the denominator only (§3.9)
      const float inv = 1.0f / den;
      float *o = p.out.row(t) + h * hd;
      std::fill(o, o + hd, 0.0f);
      for (int64_t j = 0; j < p.idx_stride; ++j)
        if (idx[j] >= 0) vec_axpy(o, kv_table_row(p.kv, idx[j], buf.data()), l[j] * inv, hd);
    }
  });
}

void softmax_with_sink(Rows x, int64_t n, float scale, const float *sinks) {
  for (int64_t h = 0; h < x.n_rows; ++h) {
    float *r = x.row(h);
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      r[j] *= scale;
      mx = std::max(mx, r[j]);
    }
    float den = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
      r[j] = std::exp(r[j] - mx);
      den += r[j];
    }
    den += std::exp(sinks[h] - mx);
    const float inv = 1.0f / den;
    for (int64_t j = 0; j < n; ++j) r[j] *= inv;
  }
}

void indexer_topk(const IndexerParams &p, ThreadPool *pool) {
  const int64_t T = p.q.n_rows, H = p.n_head, d = p.head_dim;
  parallel_for(pool, T, [&](int64_t t0, int64_t t1) {
    std::vector<float> scores, buf(static_cast<size_t>(d));
    std::vector<int32_t> order;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t nv = p.n_visible[t];
      scores.resize(static_cast<size_t>(std::max<int64_t>(nv, 0)));
      if (nv > p.top_k) {
        const float *q = p.q.row(t), *w = p.weights.row(t);
        for (int64_t j = 0; j < nv; ++j) {
          const float *key = kv_table_row(p.keys, j, buf.data());
          float s = 0.0f;
          for (int64_t h = 0; h < H; ++h) s += std::max(vec_dot(key, q + h * d, d), 0.0f) * w[h];
          scores[j] = s;
        }
      }
      select_row(scores.data(), nv, p.top_k, p.picks + t * p.top_k, order);
    }
  });
}

void select_topk(ConstRows scores, const int64_t *n_visible, int64_t top_k, int32_t *picks) {
  std::vector<int32_t> order;
  for (int64_t t = 0; t < scores.n_rows; ++t) select_row(scores.row(t), n_visible[t], top_k, picks + t * top_k, order);
}

void swiglu_clamped(ConstRows gate, ConstRows up, int64_t n, float limit, Rows y) {
  for (int64_t t = 0; t < gate.n_rows; ++t) {
    const float *g = gate.row(t), *u = up.row(t);
    float *o = y.row(t);
    for (int64_t i = 0; i < n; ++i) {
      float gi = g[i], ui = u[i];
      if (limit > 0.0f) {
        gi = std::min(gi, limit);                 // the gate is clamped from above only
        ui = std::clamp(ui, -limit, limit);
      }
      o[i] = gi / (1.0f + std::exp(-gi)) * ui;
    }
  }
}

void hadamard(Rows x, int64_t n_heads, int64_t n) {
  if (n <= 0 || (n & (n - 1)) != 0)
    fail(DSV4_ERR_INVALID_ARGUMENT, "hadamard: head size " + std::to_string(n) + " is not a power of two");
  const float norm = static_cast<float>(1.0 / std::sqrt(static_cast<double>(n)));
  for (int64_t t = 0; t < x.n_rows; ++t)
    for (int64_t h = 0; h < n_heads; ++h) {
      float *v = x.row(t) + h * n;
      // Sylvester order: butterflies of doubling span give H[i][j] = (−1)^popcount(i & j).
      for (int64_t len = 1; len < n; len <<= 1)
        for (int64_t i = 0; i < n; i += 2 * len)
          for (int64_t j = i; j < i + len; ++j) {
            const float a = v[j], b = v[j + len];
            v[j] = a + b;
            v[j + len] = a - b;
          }
      for (int64_t i = 0; i < n; ++i) v[i] *= norm;
    }
}

}  // namespace dsv4::cpu_v4
