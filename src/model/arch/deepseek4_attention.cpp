// The deepseek4 attention sub-layer (../shared/spec/deepseek-v4.md §4.3–§4.5), top to bottom:
//   qr = q_norm(wq_a x);  q = rms_per_head(wq_b qr), RoPE            [T, H, hd]
//   kv = RoPE(kv_norm(wkv x))                                         [T, hd]  (one K=V head)
//   compressors append finished blocks: compressed KV (r = 4, 128), index keys (r = 4)
//   keys of query t: window rows t−W+1 … t, then compressed entries — all visible ones (HCA)
//   or the indexer's top-k (CSA); sparse attention with sinks           [T, H, hd]
//   inverse RoPE on the output; grouped low-rank output wo_b(wo_a_g o_g) [T, D]
// One code path serves prefill, chunked prefill and decode: a query reads keys of earlier calls
// from the window ring, keys of this call from its own rows, and every row goes through the
// cache's row format first, so the numbers never depend on how the tokens were chunked.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/kv_format.h"
#include "format/ggml_type.h"
#include "model/arch/deepseek4_impl.h"
#include "quant/quant.h"

namespace dsv4::v4 {
namespace {

// List length per query: W window slots, then the compressed entries a query can see.
int64_t max_compressed_keys(const Deepseek4Config &c, const StateOptions &o, int32_t ratio) {
  if (ratio == 4) return c.idx_top_k;
  if (ratio == 128) return o.n_ctx / 128;
  return 0;
}
int64_t list_stride(const Deepseek4Config &c, const StateOptions &o) {
  int64_t m = 0;
  for (int64_t il = 0; il < c.n_layer; ++il) m = std::max(m, max_compressed_keys(c, o, c.ratio(il)));
  return c.window + m;
}

// Buffers of one sub-layer call, shared by its runs.
struct Bufs {
  float *q, *kv, *o;
  uint8_t *kv_enc;              // [T][kv_row]: this call's rows in the cache format
  float *ck, *cg;               // main compressor inputs [T][c·hd]
  float *qi, *iw, *ik, *ig;     // indexer query [T][nh·di], weights [T][nh], compressor inputs [T][2·di]
  int32_t *lists;               // [T][stride]
  int64_t stride;
  int64_t *n_visible;           // [T]
  int32_t *picks;               // [T][top_k]
  float *entry;                 // [max(hd, di)]
  float *gather, *probs;        // unfused attention: [stride][hd], [H][stride]
};

// Pools a finished block, normalises it and rotates it at the block's first position (§4.4).
void finish_entry(const Ctx &cx, const CompressorState &cs, const CompressorWeights &w, const float *freqs,
                  int64_t block, float *entry) {
  const Deepseek4Config &c = cx.c;
  const int64_t d = cs.dim;
  cx.be.compress_pool(cs.ratio, d, cs.kv.data(), cs.score.data(), entry);
  cx.be.rms_norm(ConstRows{entry, 1, d}, d, w.norm.data(), c.rms_eps, Rows{entry, 1, d});
  const int64_t pos = block * cs.ratio;
  cx.be.rope(Rows{entry, 1, d}, 1, d, d - c.d_rope, freqs, c.d_rope / 2, &pos, false);
}

// Runs the compressors over tokens [a, a+n) at positions P… (§4.4, incremental form): every
// block that completes is pooled and written to the compressed KV / index-key cache.
void run_compressors(const Ctx &cx, const Layer &L, Deepseek4State &st, LayerState &ls, int64_t a, int64_t n, int64_t P,
                     const Bufs &B) {
  const Deepseek4Config &c = cx.c;
  const int64_t hd = c.head_dim, di = c.idx_head_dim, cw = ls.main.width();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = a + i, p = P + i;
    ls.main.write(p, B.ck + t * cw, B.cg + t * cw);
    if (ls.main.completes_block(p)) {
      const int64_t j = p / L.ratio;
      finish_entry(cx, ls.main, L.comp, L.rope_freqs, j, B.entry);
      if (cx.numerics & kV4KvFp8) kv_fake_quant_fp8(B.entry, c.d_nope());
      kv_encode_row(st.kv_format, hd, c.d_nope(), B.entry, ls.compressed.data() + j * st.kv_row);
      ls.main.advance();
    }
    if (L.ratio != 4) continue;
    ls.index.write(p, B.ik + t * 2 * di, B.ig + t * 2 * di);
    if (ls.index.completes_block(p)) {
      const int64_t j = p / 4;
      finish_entry(cx, ls.index, L.idx_comp, L.rope_freqs, j, B.entry);
      // Index keys live in the Hadamard-rotated basis like the queries (§4.5, §3.8): the
      // scores are unchanged, and DeepSeek's FP4 rounding acts in this basis.
      cx.be.hadamard(Rows{B.entry, 1, di}, 1, di);
      if (cx.numerics & kV4IndexerFp4) fake_quant_fp4_row(B.entry, B.entry, di);
      kv_encode_row(st.key_format, di, 0, B.entry, ls.index_keys.data() + j * st.key_row);
      ls.index.advance();
    }
  }
}

// CSA selection of run rows [a, a+n) into picks (unfused: scores materialised per query).
void select_blocks(const Ctx &cx, Deepseek4State &st, LayerState &ls, int64_t a, int64_t n, int64_t P, int64_t n_comp,
                   const Bufs &B) {
  const Deepseek4Config &c = cx.c;
  const int64_t nh = c.idx_n_head, di = c.idx_head_dim, K = c.idx_top_k;
  for (int64_t i = 0; i < n; ++i) B.n_visible[i] = (P + i + 1) / 4;  // block j visible iff j < ⌊(t+1)/4⌋
  KvTable keys;
  keys.format = st.key_format;
  keys.dim = di;
  keys.row_bytes = st.key_row;
  keys.seg[0] = KvSegment{ls.index_keys.data(), n_comp};
  if (!cx.unfused()) {
    IndexerParams ip;
    ip.n_head = nh;
    ip.head_dim = di;
    ip.q = ConstRows{B.qi + a * nh * di, n, nh * di};
    ip.weights = ConstRows{B.iw + a * nh, n, nh};
    ip.keys = keys;
    ip.n_visible = B.n_visible;
    ip.top_k = K;
    ip.picks = B.picks;
    cx.be.indexer_topk(ip, cx.pool());
    return;
  }
  // Unfused: dots [nh][nv] by a matmul over the decoded keys, score_j = Σ_h relu(dot)·w_h,
  // then the same selection rule. (Debug path: its buffers are outside the scratch plan.)
  std::vector<float> keyf, dots, score;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t nv = B.n_visible[i];
    score.assign(static_cast<size_t>(std::max<int64_t>(nv, 1)), 0.0f);
    if (nv > K) {
      keyf.resize(static_cast<size_t>(nv * di));
      for (int64_t j = 0; j < nv; ++j) {
        const float *row = kv_table_row(keys, j, keyf.data() + j * di);
        if (row != keyf.data() + j * di) std::memcpy(keyf.data() + j * di, row, static_cast<size_t>(di) * 4);
      }
      WeightView kw;
      kw.type = GGML_F32;
      kw.ne0 = di;
      kw.ne1 = nv;
      kw.row_bytes = static_cast<uint64_t>(di) * 4;
      kw.matrix_bytes = kw.row_bytes * static_cast<uint64_t>(nv);
      kw.data = reinterpret_cast<const uint8_t *>(keyf.data());
      dots.resize(static_cast<size_t>(nh * nv));
      cx.be.matmul(kw, ConstRows{B.qi + (a + i) * nh * di, nh, di}, Rows{dots.data(), nh, nv}, cx.pool());
      const float *w = B.iw + (a + i) * nh;
      for (int64_t j = 0; j < nv; ++j) {
        float s = 0.0f;
        for (int64_t h = 0; h < nh; ++h) s += std::max(dots[static_cast<size_t>(h * nv + j)], 0.0f) * w[h];
        score[static_cast<size_t>(j)] = s;
      }
    }
    cx.be.select_topk(ConstRows{score.data(), 1, nv}, &B.n_visible[i], K, B.picks + i * K);
  }
}

// Unfused sparse attention: per query, gather its keys densely, scores by a matmul, softmax
// with the sink, then the weighted sum by a transposed matmul.
void attention_unfused(const Ctx &cx, const SparseAttnParams &p, const Bufs &B) {
  const int64_t H = p.n_head, hd = p.head_dim;
  for (int64_t t = 0; t < p.q.n_rows; ++t) {
    const int32_t *idx = p.idx + t * p.idx_stride;
    int64_t m = 0;
    for (int64_t j = 0; j < p.idx_stride; ++j) {
      if (idx[j] < 0) continue;
      float *dst = B.gather + m * hd;
      const float *row = kv_table_row(p.kv, idx[j], dst);
      if (row != dst) std::memcpy(dst, row, static_cast<size_t>(hd) * 4);
      ++m;
    }
    WeightView kw;
    kw.type = GGML_F32;
    kw.ne0 = hd;
    kw.ne1 = m;
    kw.row_bytes = static_cast<uint64_t>(hd) * 4;
    kw.matrix_bytes = kw.row_bytes * static_cast<uint64_t>(m);
    kw.data = reinterpret_cast<const uint8_t *>(B.gather);
    cx.be.matmul(kw, ConstRows{p.q.row(t), H, hd}, Rows{B.probs, H, m}, cx.pool());
    cx.be.softmax_with_sink(Rows{B.probs, H, m}, m, p.scale, p.sinks);
    cx.be.matmul_t(kw, ConstRows{B.probs, H, m}, Rows{p.out.row(t), H, hd}, cx.pool());
  }
}

// Tokens [a, a+n) of one sequence at positions P … P+n−1: compressors, key lists, attention,
// then the window ring.
void attend_run(const Ctx &cx, const Layer &L, Deepseek4State &st, LayerState &ls, int64_t a, int64_t n, int64_t P,
                const Bufs &B) {
  const Deepseek4Config &c = cx.c;
  const int64_t W = c.window, H = c.n_head, hd = c.head_dim, r = L.ratio;
  if (r > 0) run_compressors(cx, L, st, ls, a, n, P, B);
  const int64_t n_comp = r > 0 ? (P + n) / r : 0;  // entries written so far

  // Key lists (§4.3 steps 3–6): table = [ring (W) | this run's rows (n) | compressed entries].
  const int64_t S = B.stride;
  int32_t *lists = B.lists;
  std::fill(lists, lists + n * S, -1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t p = P + i;
    int32_t *li = lists + i * S;
    int64_t k = 0;
    for (int64_t q = std::max<int64_t>(0, p - W + 1); q <= p; ++q)
      li[k++] = static_cast<int32_t>(q < P ? q % W : W + (q - P));
    if (r == 128)
      for (int64_t j = 0; j < (p + 1) / 128; ++j) li[W + j] = static_cast<int32_t>(W + n + j);
  }
  if (r == 4) {
    select_blocks(cx, st, ls, a, n, P, n_comp, B);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t m = 0; m < c.idx_top_k; ++m) {
        const int32_t pick = B.picks[i * c.idx_top_k + m];
        lists[i * S + W + m] = pick < 0 ? -1 : static_cast<int32_t>(W + n + pick);
      }
  }

  SparseAttnParams sp;
  sp.n_head = H;
  sp.head_dim = hd;
  sp.scale = c.kq_scale();
  sp.sinks = L.sinks.data();
  sp.q = ConstRows{B.q + a * H * hd, n, H * hd};
  sp.kv.format = st.kv_format;
  sp.kv.dim = hd;
  sp.kv.n_quant = c.d_nope();
  sp.kv.row_bytes = st.kv_row;
  sp.kv.seg[0] = KvSegment{ls.ring.data(), W};
  sp.kv.seg[1] = KvSegment{B.kv_enc + a * st.kv_row, n};
  sp.kv.seg[2] = KvSegment{ls.compressed.data(), n_comp};
  sp.idx = lists;
  sp.idx_stride = S;
  sp.out = Rows{B.o + a * H * hd, n, H * hd};
  if (cx.unfused()) attention_unfused(cx, sp, B);
  else cx.be.sparse_attention(sp, cx.pool());

  // The ring keeps the last W positions: slot p mod W.
  for (int64_t i = std::max<int64_t>(0, n - W); i < n; ++i)
    std::memcpy(ls.ring.data() + ((P + i) % W) * st.kv_row, B.kv_enc + (a + i) * st.kv_row, st.kv_row);
}

void add_ape(float *g, int64_t T, int64_t width, const std::vector<float> &ape, int64_t ratio, const int64_t *pos) {
  for (int64_t t = 0; t < T; ++t) {
    const float *a = ape.data() + (pos[t] % ratio) * width;
    for (int64_t i = 0; i < width; ++i) g[t * width + i] += a[i];
  }
}

}  // namespace

uint64_t attention_scratch_floats(const Deepseek4Config &c, const StateOptions &o, int64_t T) {
  const int64_t H = c.n_head, hd = c.head_dim, nh = c.idx_n_head, di = c.idx_head_dim, S = list_stride(c, o);
  const uint64_t kv_row = kv_row_bytes(v4_kv_format(o.cache_type), hd, c.d_nope());
  uint64_t n = 0;
  n += T * c.q_lora_rank + 2 * T * H * hd + T * hd + (T * kv_row + 3) / 4;  // qr, q, o, kv, kv_enc
  n += 2 * T * 2 * hd;                                                       // ck, cg
  n += T * nh * di + T * nh + 2 * T * 2 * di;                                // qi, iw, ik, ig
  n += T * c.o_groups * c.o_lora_rank;                                       // u
  n += T * S + 2 * T + T * std::max<int64_t>(c.idx_top_k, 1);                // lists, n_visible, picks
  n += std::max(hd, di) + S * hd + H * S;                                    // entry, unfused gather, probs
  return n + 4 * 24;                                                         // alignment of each take
}

void attention_sublayer(const Ctx &cx, int64_t il, const Layer &L, Deepseek4State &st, const Batch &b, const float *x,
                        float *out) {
  const Deepseek4Config &c = cx.c;
  const Backend &be = cx.be;
  const int64_t T = b.size(), H = c.n_head, hd = c.head_dim, rd = c.d_rope, nd = c.d_nope();
  const int64_t R = c.q_lora_rank, G = c.o_groups, Ro = c.o_lora_rank;
  const int64_t nh = c.idx_n_head, di = c.idx_head_dim, r = L.ratio;
  const int64_t *pos = b.pos.data();
  Arena &A = cx.arena;
  const size_t mark = A.mark();
  Bufs B{};

  // 1. Query (§4.3 step 1): qr = q_norm(wq_a x); q = wq_b qr per head / its RMS (§3.3); RoPE.
  float *qr = A.take(T * R);
  linear(cx, L.q_a, x, T, qr, true);
  be.rms_norm(ConstRows{qr, T, R}, R, L.q_a_norm.data(), c.rms_eps, Rows{qr, T, R});
  B.q = A.take(T * H * hd);
  linear(cx, L.q_b, qr, T, B.q, true);
  be.rms_norm(ConstRows{B.q, T * H, hd}, hd, nullptr, c.rms_eps, Rows{B.q, T * H, hd});
  be.rope(Rows{B.q, T, H * hd}, H, hd, nd, L.rope_freqs, rd / 2, pos, false);

  // 2. Window KV (step 2): kv = RoPE(kv_norm(wkv x)), stored in the cache's row format.
  B.kv = A.take(T * hd);
  linear(cx, L.kv, x, T, B.kv, true);
  be.rms_norm(ConstRows{B.kv, T, hd}, hd, L.kv_norm.data(), c.rms_eps, Rows{B.kv, T, hd});
  be.rope(Rows{B.kv, T, hd}, 1, hd, nd, L.rope_freqs, rd / 2, pos, false);
  B.kv_enc = A.take_as<uint8_t>(T * static_cast<int64_t>(st.kv_row));
  for (int64_t t = 0; t < T; ++t) {
    if (cx.numerics & kV4KvFp8) kv_fake_quant_fp8(B.kv + t * hd, nd);
    kv_encode_row(st.kv_format, hd, nd, B.kv + t * hd, B.kv_enc + t * st.kv_row);
  }

  // 3. Compressor inputs (§4.4): k = wkv x, g = wgate x + ape[pos mod r], width c·hd.
  if (r > 0) {
    const int64_t cw = (r == 4 ? 2 : 1) * hd;
    B.ck = A.take(T * cw);
    B.cg = A.take(T * cw);
    linear(cx, L.comp.kv, x, T, B.ck, false);
    linear(cx, L.comp.gate, x, T, B.cg, false);
    add_ape(B.cg, T, cw, L.comp.ape, r, pos);
  }

  // 4. Indexer inputs (§4.5): qi = Hadamard(RoPE(wq_b qr)) per head; weights
  //    w = proj(x)·(di·nh)^−½; its own compressor (d = di, ratio 4).
  if (r == 4) {
    B.qi = A.take(T * nh * di);
    linear(cx, L.idx_q_b, qr, T, B.qi, true);
    be.rope(Rows{B.qi, T, nh * di}, nh, di, di - rd, L.rope_freqs, rd / 2, pos, false);
    be.hadamard(Rows{B.qi, T, nh * di}, nh, di);
    if (cx.numerics & kV4IndexerFp4) fake_quant_fp4_row(B.qi, B.qi, T * nh * di);
    B.iw = A.take(T * nh);
    linear(cx, L.idx_proj, x, T, B.iw, false);
    const float w_scale = 1.0f / std::sqrt(static_cast<float>(di * nh));
    for (int64_t i = 0; i < T * nh; ++i) B.iw[i] *= w_scale;
    B.ik = A.take(T * 2 * di);
    B.ig = A.take(T * 2 * di);
    linear(cx, L.idx_comp.kv, x, T, B.ik, false);
    linear(cx, L.idx_comp.gate, x, T, B.ig, false);
    add_ape(B.ig, T, 2 * di, L.idx_comp.ape, 4, pos);
  }

  // 5. Per sequence run, split where a snapshot is due: compressors, key lists, attention.
  B.o = A.take(T * H * hd);
  B.stride = list_stride(c, st.opts);
  B.lists = A.take_as<int32_t>(T * B.stride);
  B.n_visible = A.take_as<int64_t>(T);
  B.picks = A.take_as<int32_t>(T * std::max<int64_t>(c.idx_top_k, 1));
  B.entry = A.take(std::max(hd, di));
  B.gather = A.take(B.stride * hd);
  B.probs = A.take(H * B.stride);
  const int64_t K = st.opts.snapshot_interval;
  for (int64_t a = 0; a < T;) {
    const int32_t seq = b.seq[static_cast<size_t>(a)];
    int64_t e = a + 1;
    while (e < T && b.seq[static_cast<size_t>(e)] == seq) ++e;
    LayerState &ls = st.seqs[static_cast<size_t>(seq)].layers[static_cast<size_t>(il)];
    while (a < e) {
      const int64_t P = pos[a];
      const int64_t next_snap = (P / K + 1) * K;
      const int64_t n = std::min(e - a, next_snap - P);
      attend_run(cx, L, st, ls, a, n, P, B);
      const int64_t slot = st.snapshot_slot(P + n);
      if (slot >= 0) st.save_snapshot(seq, il, slot);
      a += n;
    }
  }

  // 6. Inverse RoPE on the output (step 9), grouped output projection (step 10):
  //    u_g = wo_a[g] o_g over head group g; out = wo_b u.
  be.rope(Rows{B.o, T, H * hd}, H, hd, nd, L.rope_freqs, rd / 2, pos, true);
  float *u = A.take(T * G * Ro);
  const int64_t group_width = H / G * hd;
  for (int64_t g = 0; g < G; ++g)
    be.matmul(L.wo_a.rows(g * Ro, Ro), ConstRows{B.o + g * group_width, T, H * hd}, Rows{u + g * Ro, T, G * Ro},
              cx.pool());
  linear(cx, L.wo_b, u, T, out, true);
  A.release(mark);
}

}  // namespace dsv4::v4
