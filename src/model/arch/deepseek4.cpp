// DeepSeek V4 forward pass (../shared/spec/deepseek-v4.md §4), top to bottom:
//   X = embed(tokens) copied into hc residual streams                     [T, hc, D]
//   per layer, two sub-layers with the same pattern (§4.2) — no plain residual add anywhere:
//     y, post, comb = HC_PRE(X);  a = Attention(attn_norm(y));  X = HC_POST(a, X, post, comb)
//     y, post, comb = HC_PRE(X);  f = MoE(ffn_norm(y), tokens); X = HC_POST(f, X, post, comb)
//   logits = output(output_norm(HC_HEAD(X)))                              (§4.7)
// The attention sub-layer is in deepseek4_attention.cpp. Default numerics are llama.cpp's
// (the reference logits); DeepSeek's own roundings are StateOptions::v4_numerics bits.
#include "model/arch/deepseek4.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/backend.h"
#include "common/error.h"
#include "common/memory.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "model/arch/arch.h"
#include "model/arch/deepseek4_impl.h"
#include "model/arch/deepseek4_state.h"
#include "model/arch/expert_stats.h"
#include "model/config.h"
#include "model/rope_freqs.h"
#include "model/weights.h"
#include "quant/quant.h"

namespace dsv4 {
namespace v4 {

void fake_quant_fp8_blocks(float *x, int64_t n, int64_t block) {
  for (int64_t b = 0; b < n; b += block) {
    const int64_t len = std::min(block, n - b);
    fake_quant_fp8_row(x + b, x + b, len, len);
  }
}

void linear(const Ctx &cx, const WeightView &w, const float *x, int64_t T, float *y, bool fp8_site) {
  const int64_t K = w.ne0;
  if (fp8_site && (cx.numerics & kV4ActFp8)) {
    // §3.7: the activation is rounded to FP8 per block of 128 along K before the GEMM.
    std::memcpy(cx.act_buf, x, static_cast<size_t>(T * K) * 4);
    for (int64_t t = 0; t < T; ++t) fake_quant_fp8_blocks(cx.act_buf + t * K, K, 128);
    x = cx.act_buf;
  }
  cx.be.matmul(w, ConstRows{x, T, K}, Rows{y, T, w.ne1}, cx.pool());
}

namespace {

// Every input width an FP8-site linear sees (for the activation-rounding buffer).
int64_t max_linear_input(const Deepseek4Config &c) {
  return std::max({c.n_embd, c.q_lora_rank, c.o_groups * c.o_lora_rank, c.n_ff_exp * std::max<int64_t>(1, c.n_expert_shared)});
}

// A small f32 matrix {ne0, ne1} copied out of the file, row-major [ne1][ne0].
std::vector<float> f32_matrix(const WeightLoader &w, const std::string &name, int64_t ne0, int64_t ne1) {
  const WeightView v = w.matrix(name, {ne0, ne1});
  std::vector<float> out(static_cast<size_t>(ne0 * ne1));
  for (int64_t r = 0; r < ne1; ++r) dequantize_row(v.type, v.row(r), out.data() + r * ne0, ne0);
  return out;
}

HcWeights load_hc(const WeightLoader &w, const std::string &p, int64_t width, int64_t n_mix, int64_t n_scale) {
  HcWeights h;
  h.fn = w.matrix(p + "_fn.weight", {width, n_mix});
  h.base = w.vector(p + "_base.weight", n_mix);
  h.scale = w.vector(p + "_scale.weight", n_scale);
  return h;
}

CompressorWeights load_compressor(const WeightLoader &w, const std::string &p, int64_t D, int64_t width, int64_t ratio,
                                  int64_t d) {
  CompressorWeights cw;
  cw.kv = w.matrix(p + "_kv.weight", {D, width});
  cw.gate = w.matrix(p + "_gate.weight", {D, width});
  cw.ape = f32_matrix(w, p + "_ape.weight", width, ratio);
  cw.norm = w.vector(p + "_norm.weight", d);
  return cw;
}

// tid2eid {K, V}: the experts of each token id (hash routing, §4.6), checked once.
std::vector<int32_t> load_tid2eid(const gguf::File &f, const WeightLoader &w, const std::string &name, int64_t K,
                                  int64_t V, int64_t E) {
  const WeightView v = w.matrix(name, {K, V});
  if (v.type != GGML_I32 && v.type != GGML_I64)
    fail(DSV4_ERR_FORMAT, f.path() + ": tensor '" + name + "' has type " + type_info(v.type)->name + ", expected i32 or i64");
  std::vector<int32_t> out(static_cast<size_t>(K * V));
  for (int64_t i = 0; i < K * V; ++i) {
    int64_t e;
    if (v.type == GGML_I32) {
      int32_t x;
      std::memcpy(&x, v.data + 4 * i, 4);
      e = x;
    } else {
      std::memcpy(&e, v.data + 8 * i, 8);
    }
    if (e < 0 || e >= E)
      fail(DSV4_ERR_FORMAT, f.path() + ": tensor '" + name + "' maps token " + std::to_string(i / K) + " to expert " +
                                std::to_string(e) + ", outside [0, " + std::to_string(E) + ")");
    out[static_cast<size_t>(i)] = static_cast<int32_t>(e);
  }
  return out;
}

class Deepseek4Model final : public ArchModel {
 public:
  Deepseek4Model(const gguf::File &file, const Deepseek4Config &c, PackedWeights *packer)
      : c_(c), be_(cpu_backend()) {
    WeightLoader w(file, packer);
    const int64_t D = c.n_embd, H = c.n_head, hd = c.head_dim, hc = c.n_hc, V = c.n_vocab;
    const int64_t E = c.n_expert, I = c.n_ff_exp, Is = c.n_ff_exp * c.n_expert_shared;
    tok_embd_ = w.matrix("token_embd.weight", {D, V});
    output_norm_ = w.vector("output_norm.weight", D);
    output_ = w.matrix("output.weight", {D, V});
    head_hc_ = load_hc(w, "output_hc", hc * D, hc, 1);
    plain_freqs_ = yarn_rope_freqs(c.d_rope, c.rope_base, 1.0f, 0, c.yarn_beta_fast, c.yarn_beta_slow);
    compressed_freqs_ = yarn_rope_freqs(c.d_rope, c.compress_rope_base, c.yarn_factor, c.yarn_orig_ctx,
                                        c.yarn_beta_fast, c.yarn_beta_slow);
    layers_.resize(static_cast<size_t>(c.n_layer));
    for (int64_t il = 0; il < c.n_layer; ++il) {
      Layer &L = layers_[static_cast<size_t>(il)];
      const std::string p = "blk." + std::to_string(il) + ".";
      L.ratio = c.ratio(il);
      L.rope_freqs = L.ratio > 0 ? compressed_freqs_.data() : plain_freqs_.data();
      L.hc_attn = load_hc(w, p + "hc_attn", hc * D, c.n_hc_mix(), 3);
      L.hc_ffn = load_hc(w, p + "hc_ffn", hc * D, c.n_hc_mix(), 3);
      L.attn_norm = w.vector(p + "attn_norm.weight", D);
      L.ffn_norm = w.vector(p + "ffn_norm.weight", D);
      L.q_a = w.matrix(p + "attn_q_a.weight", {D, c.q_lora_rank});
      L.q_a_norm = w.vector(p + "attn_q_a_norm.weight", c.q_lora_rank);
      L.q_b = w.matrix(p + "attn_q_b.weight", {c.q_lora_rank, H * hd});
      L.kv = w.matrix(p + "attn_kv.weight", {D, hd});
      L.kv_norm = w.vector(p + "attn_kv_a_norm.weight", hd);
      L.sinks = w.vector(p + "attn_sinks.weight", H);
      L.wo_a = w.matrix(p + "attn_output_a.weight", {H * hd / c.o_groups, c.o_groups * c.o_lora_rank});
      L.wo_b = w.matrix(p + "attn_output_b.weight", {c.o_groups * c.o_lora_rank, D});
      if (L.ratio > 0) {
        const int64_t width = (L.ratio == 4 ? 2 : 1) * hd;
        L.comp = load_compressor(w, p + "attn_compressor", D, width, L.ratio, hd);
      }
      if (L.ratio == 4) {
        L.idx_q_b = w.matrix(p + "indexer.attn_q_b.weight", {c.q_lora_rank, c.idx_n_head * c.idx_head_dim});
        L.idx_proj = w.matrix(p + "indexer.proj.weight", {D, c.idx_n_head});
        L.idx_comp = load_compressor(w, p + "indexer_compressor", D, 2 * c.idx_head_dim, 4, c.idx_head_dim);
      }
      L.gate_inp = w.matrix(p + "ffn_gate_inp.weight", {D, E});
      if (c.is_hash_layer(il)) {
        L.tid2eid = load_tid2eid(file, w, p + "ffn_gate_tid2eid.weight", c.n_expert_used, V, E);
      } else if (w.has(p + "exp_probs_b.bias")) {
        L.probs_bias = w.vector(p + "exp_probs_b.bias", E);
      }
      L.gate_exps = w.matrix(p + "ffn_gate_exps.weight", {D, I, E});
      L.up_exps = w.matrix(p + "ffn_up_exps.weight", {D, I, E});
      L.down_exps = w.matrix(p + "ffn_down_exps.weight", {I, D, E});
      if (Is > 0) {
        L.gate_shexp = w.matrix(p + "ffn_gate_shexp.weight", {D, Is});
        L.up_shexp = w.matrix(p + "ffn_up_shexp.weight", {D, Is});
        L.down_shexp = w.matrix(p + "ffn_down_shexp.weight", {Is, D});
      }
    }
  }

  int64_t n_vocab() const override { return c_.n_vocab; }
  int64_t n_layer() const override { return c_.n_layer; }
  int64_t n_embd() const override { return c_.n_embd; }
  int64_t n_ctx_train() const override { return c_.n_ctx_train; }
  std::vector<std::string> describe() const override { return c_.describe(); }

  uint64_t state_bytes(const StateOptions &o) const override { return plan_deepseek4_state(c_, o).total(); }

  uint64_t scratch_bytes(int64_t T, const StateOptions &o) const override { return deepseek4_scratch_bytes(c_, o, T); }

  std::unique_ptr<ArchState> new_state(const StateOptions &o) const override {
    if (o.cache_type == CacheType::kFP8 && c_.idx_head_dim % 32 != 0)
      fail(DSV4_ERR_UNSUPPORTED, "cache type fp8 needs an indexer head dim that is a multiple of 32");
    return std::make_unique<Deepseek4State>(c_, o);
  }

  // Entries of compressed blocks before n_keep stay valid (they only depend on earlier tokens);
  // the ring and the compressors' partial blocks come back from the newest snapshot <= n_keep,
  // and the caller re-feeds the tokens from there.
  int64_t truncate(ArchState &state, int32_t seq, int64_t n_keep) const override {
    auto &st = static_cast<Deepseek4State &>(state);
    SeqState &s = st.seqs[static_cast<size_t>(seq)];
    if (!s.dirty && n_keep == s.n_past) return n_keep;
    const int64_t from = st.newest_snapshot(seq, std::min(n_keep, s.n_past));
    st.restore(seq, from);
    return from;
  }

  void forward(ArchState &state, const Batch &b, float *logits, const ForwardOptions &opts) const override {
    auto &st = static_cast<Deepseek4State &>(state);
    const int64_t T = b.size(), D = c_.n_embd, hc = c_.n_hc, HD = hc * D;
    check_batch(st, b);
    for (int64_t t = 0; t < T; ++t) st.seqs[static_cast<size_t>(b.seq[static_cast<size_t>(t)])].dirty = true;

    Arena arena(st.scratch, deepseek4_scratch_bytes(c_, st.opts, T) / 4);
    Ctx cx{c_, be_, opts, arena, st.opts.v4_numerics, arena.take(T * max_linear_input(c_))};
    float *X = arena.take(T * HD), *X2 = arena.take(T * HD);   // residual streams [T][hc][D]
    float *y = arena.take(T * D), *f = arena.take(T * D);      // sub-layer input / output
    float *post = arena.take(T * hc), *comb = arena.take(T * hc * hc);

    // §4.1: embedding, copied into the hc streams.
    be_.get_rows(tok_embd_, b.tokens.data(), T, Rows{y, T, D});
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < hc; ++j) std::memcpy(X + t * HD + j * D, y + t * D, static_cast<size_t>(D) * 4);

    for (int64_t il = 0; il < c_.n_layer; ++il) {
      if (opts.cancel && opts.cancel->load(std::memory_order_relaxed)) fail(DSV4_CANCELLED, "evaluation cancelled");
      const Layer &L = layers_[static_cast<size_t>(il)];
      // Attention sub-layer
      hc_pre(cx, L.hc_attn, X, T, y, post, comb);
      be_.rms_norm(ConstRows{y, T, D}, D, L.attn_norm.data(), c_.rms_eps, Rows{y, T, D});
      trace(opts, il, "attn_norm", y, T, D);
      attention_sublayer(cx, il, L, st, b, y, f);
      trace(opts, il, "attn_out", f, T, D);
      be_.hc_post(ConstRows{f, T, D}, ConstRows{X, T, HD}, post, comb, hc, D, Rows{X2, T, HD});
      std::swap(X, X2);
      trace(opts, il, "attn_resid", X, T, HD);
      // FFN sub-layer
      hc_pre(cx, L.hc_ffn, X, T, y, post, comb);
      be_.rms_norm(ConstRows{y, T, D}, D, L.ffn_norm.data(), c_.rms_eps, Rows{y, T, D});
      trace(opts, il, "ffn_norm", y, T, D);
      moe(cx, il, L, b, y, f);
      trace(opts, il, "ffn_out", f, T, D);
      be_.hc_post(ConstRows{f, T, D}, ConstRows{X, T, HD}, post, comb, hc, D, Rows{X2, T, HD});
      std::swap(X, X2);
      trace(opts, il, "l_out", X, T, HD);
    }
    commit(st, b);

    // §4.7 output head, for the rows that want logits.
    std::vector<int64_t> out_rows;
    for (int64_t t = 0; t < T; ++t)
      if (b.output[static_cast<size_t>(t)]) out_rows.push_back(t);
    const int64_t n_out = static_cast<int64_t>(out_rows.size());
    if (n_out == 0) return;
    for (int64_t i = 0; i < n_out; ++i)  // gather into X2 (free now)
      std::memcpy(X2 + i * HD, X + out_rows[static_cast<size_t>(i)] * HD, static_cast<size_t>(HD) * 4);
    HcParams hp = hc_params(head_hc_);
    if (opts.unfused) {
      float *mix = arena.take(n_out * hc), *pre = arena.take(n_out * hc), *xn = arena.take(n_out * HD);
      hc_mixes_unfused(hp, X2, n_out, xn, mix);
      be_.hc_mix_weights(hp, ConstRows{mix, n_out, hc}, pre, nullptr, nullptr);
      be_.hc_collapse(ConstRows{X2, n_out, HD}, pre, hc, D, Rows{y, n_out, D});
    } else {
      be_.hc_head(hp, ConstRows{X2, n_out, HD}, Rows{y, n_out, D}, opts.pool);
    }
    trace(opts, "hc_head_out", y, n_out, D);
    be_.rms_norm(ConstRows{y, n_out, D}, D, output_norm_.data(), c_.rms_eps, Rows{y, n_out, D});
    trace(opts, "output_norm", y, n_out, D);
    be_.matmul(output_, ConstRows{y, n_out, D}, Rows{logits, n_out, c_.n_vocab}, opts.pool);
  }

 private:
  static void trace(const ForwardOptions &o, const std::string &name, const float *data, int64_t r, int64_t cols) {
    if (o.trace && *o.trace) (*o.trace)(name, data, r, cols);
  }
  // Per-layer intermediates: the name is only built when a hook listens.
  static void trace(const ForwardOptions &o, int64_t il, const char *what, const float *data, int64_t r, int64_t cols) {
    if (o.trace && *o.trace) (*o.trace)("blk." + std::to_string(il) + "." + what, data, r, cols);
  }

  // Every run of a sequence must continue where its state stands, inside the context.
  void check_batch(const Deepseek4State &st, const Batch &b) const {
    const int64_t T = b.size();
    std::vector<int64_t> next(st.seqs.size());
    for (size_t s = 0; s < st.seqs.size(); ++s) {
      if (st.seqs[s].dirty) fail(DSV4_ERR_INTERNAL, "deepseek4 state of sequence " + std::to_string(s) + " needs a truncate first");
      next[s] = st.seqs[s].n_past;
    }
    for (int64_t t = 0; t < T; ++t) {
      const int32_t s = b.seq[static_cast<size_t>(t)];
      if (s < 0 || s >= static_cast<int32_t>(st.seqs.size()))
        fail(DSV4_ERR_INVALID_ARGUMENT, "sequence " + std::to_string(s) + " has no state slot");
      if (b.pos[static_cast<size_t>(t)] != next[static_cast<size_t>(s)])
        fail(DSV4_ERR_INVALID_ARGUMENT, "deepseek4: token " + std::to_string(t) + " of sequence " + std::to_string(s) +
                                            " is at position " + std::to_string(b.pos[static_cast<size_t>(t)]) +
                                            ", expected " + std::to_string(next[static_cast<size_t>(s)]));
      if (b.pos[static_cast<size_t>(t)] >= st.opts.n_ctx)
        fail(DSV4_ERR_CONTEXT_FULL, "position " + std::to_string(b.pos[static_cast<size_t>(t)]) + " is past n_ctx " +
                                        std::to_string(st.opts.n_ctx));
      ++next[static_cast<size_t>(s)];
    }
  }

  // After every layer took the batch: positions advance, snapshots passed become valid.
  void commit(Deepseek4State &st, const Batch &b) const {
    for (int64_t t = 0; t < b.size(); ++t) {
      SeqState &s = st.seqs[static_cast<size_t>(b.seq[static_cast<size_t>(t)])];
      s.n_past = b.pos[static_cast<size_t>(t)] + 1;
      const int64_t slot = st.snapshot_slot(s.n_past);
      if (slot >= 0) s.snapshot_valid[static_cast<size_t>(slot)] = 1;
    }
    for (SeqState &s : st.seqs) s.dirty = false;
  }

  HcParams hc_params(const HcWeights &w) const {
    HcParams p;
    p.n_stream = c_.n_hc;
    p.n_embd = c_.n_embd;
    p.sinkhorn_iters = c_.sinkhorn_iters;
    p.hc_eps = c_.hc_eps;
    p.norm_eps = c_.rms_eps;
    p.fn = w.fn;
    p.scale = w.scale.data();
    p.base = w.base.data();
    return p;
  }

  // Unfused mixes: x̂ = X / rms(X) over all hc·D values, then m = fn · x̂ (a plain matmul).
  void hc_mixes_unfused(const HcParams &p, const float *X, int64_t T, float *xn, float *mix) const {
    const int64_t HD = p.n_stream * p.n_embd;
    be_.rms_norm(ConstRows{X, T, HD}, HD, nullptr, p.norm_eps, Rows{xn, T, HD});
    be_.matmul(p.fn, ConstRows{xn, T, HD}, Rows{mix, T, p.fn.ne1}, nullptr);
  }

  // HC_PRE (§4.2): y [T][D] and this sub-layer's post / comb.
  void hc_pre(const Ctx &cx, const HcWeights &w, const float *X, int64_t T, float *y, float *post, float *comb) const {
    const HcParams p = hc_params(w);
    const int64_t hc = c_.n_hc, D = c_.n_embd;
    if (!cx.unfused()) {
      be_.hc_pre(p, ConstRows{X, T, hc * D}, Rows{y, T, D}, post, comb, cx.pool());
      return;
    }
    const size_t mark = cx.arena.mark();
    float *xn = cx.arena.take(T * hc * D), *mix = cx.arena.take(T * c_.n_hc_mix()), *pre = cx.arena.take(T * hc);
    hc_mixes_unfused(p, X, T, xn, mix);
    be_.hc_mix_weights(p, ConstRows{mix, T, c_.n_hc_mix()}, pre, post, comb);
    be_.hc_collapse(ConstRows{X, T, hc * D}, pre, hc, D, Rows{y, T, D});
    cx.arena.release(mark);
  }

  // MoE (§4.6): sqrt-softplus router (top-k with a selection-only bias, or the hash table of
  // the token), routed SwiGLU experts visited in ascending id, then the shared expert.
  void moe(const Ctx &cx, int64_t il, const Layer &L, const Batch &b, const float *x, float *out) const {
    const int64_t T = b.size(), D = c_.n_embd, E = c_.n_expert, K = c_.n_expert_used, I = c_.n_ff_exp;
    Arena &A = cx.arena;
    const size_t mark = A.mark();
    float *router = A.take(T * E);
    be_.matmul(L.gate_inp, ConstRows{x, T, D}, Rows{router, T, E}, cx.pool());
    int32_t *experts = A.take_as<int32_t>(T * K);
    float *weights = A.take(T * K);
    MoeRouteParams rp;
    rp.gating = 4;
    rp.n_expert = E;
    rp.n_used = K;
    rp.norm = c_.expert_weights_norm;
    rp.scale = c_.expert_weights_scale;
    rp.bias = L.probs_bias.empty() ? nullptr : L.probs_bias.data();
    int32_t *fixed = nullptr;
    if (c_.is_hash_layer(il)) {
      fixed = A.take_as<int32_t>(T * K);
      for (int64_t t = 0; t < T; ++t)
        std::memcpy(fixed + t * K, L.tid2eid.data() + static_cast<int64_t>(b.tokens[static_cast<size_t>(t)]) * K,
                    static_cast<size_t>(K) * 4);
      rp.fixed_experts = fixed;
    }
    be_.moe_route(ConstRows{router, T, E}, rp, experts, weights);
    if (cx.opts.expert_stats) cx.opts.expert_stats->add(il, experts, T * K);

    // Slots grouped by expert (counting sort keeps token order inside an expert).
    int32_t *start = A.take_as<int32_t>(E + 1), *slots = A.take_as<int32_t>(T * K);
    std::fill(start, start + E + 1, 0);
    for (int64_t i = 0; i < T * K; ++i) ++start[experts[i] + 1];
    for (int64_t e = 0; e < E; ++e) start[e + 1] += start[e];
    {
      std::vector<int32_t> fill(start, start + E);
      for (int64_t i = 0; i < T * K; ++i) slots[fill[static_cast<size_t>(experts[i])]++] = static_cast<int32_t>(i);
    }
    const bool official_order = (cx.numerics & kV4ActFp8) != 0;  // weight before w2, as DeepSeek does
    const float limit = clamp_limit(c_.clamp_exp[static_cast<size_t>(il)]);
    float *xe = A.take(T * D), *g = A.take(T * I), *u = A.take(T * I), *ye = A.take(T * D);
    std::fill(out, out + T * D, 0.0f);
    for (int64_t e = 0; e < E; ++e) {
      const int64_t n = start[e + 1] - start[e];
      if (n == 0) continue;
      const int32_t *sl = slots + start[e];
      for (int64_t i = 0; i < n; ++i) std::memcpy(xe + i * D, x + (sl[i] / K) * D, static_cast<size_t>(D) * 4);
      linear(cx, L.gate_exps.matrix(e), xe, n, g, true);
      linear(cx, L.up_exps.matrix(e), xe, n, u, true);
      be_.swiglu_clamped(ConstRows{g, n, I}, ConstRows{u, n, I}, I, limit, Rows{g, n, I});
      if (official_order)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t k = 0; k < I; ++k) g[i * I + k] *= weights[sl[i]];
      linear(cx, L.down_exps.matrix(e), g, n, ye, true);
      for (int64_t i = 0; i < n; ++i) {
        const float w = official_order ? 1.0f : weights[sl[i]];
        float *dst = out + (sl[i] / K) * D;
        for (int64_t d = 0; d < D; ++d) dst[d] += w * ye[i * D + d];
      }
    }
    if (L.gate_shexp.valid()) {
      // Shared expert: the clamp rule of the spec's §4.6 ruling (llama.cpp), unless DeepSeek's
      // own numerics are asked for (no clamp).
      const int64_t Is = L.gate_shexp.ne1;
      float *gs = A.take(T * Is), *us = A.take(T * Is), *ys = A.take(T * D);
      linear(cx, L.gate_shexp, x, T, gs, true);
      linear(cx, L.up_shexp, x, T, us, true);
      const float sh_limit = (cx.numerics & kV4NoSharedClamp) ? 0.0f : clamp_limit(c_.clamp_shexp[static_cast<size_t>(il)]);
      be_.swiglu_clamped(ConstRows{gs, T, Is}, ConstRows{us, T, Is}, Is, sh_limit, Rows{gs, T, Is});
      linear(cx, L.down_shexp, gs, T, ys, true);
      for (int64_t i = 0; i < T * D; ++i) out[i] += ys[i];
    }
    A.release(mark);
  }

  // A limit <= 1e-6 means no clamp (spec §7.1).
  static float clamp_limit(float v) { return v > 1e-6f ? v : 0.0f; }

  Deepseek4Config c_;
  const Backend &be_;
  WeightView tok_embd_, output_;
  std::vector<float> output_norm_;
  HcWeights head_hc_;
  std::vector<float> plain_freqs_, compressed_freqs_;
  std::vector<Layer> layers_;
};

}  // namespace
}  // namespace v4

uint64_t deepseek4_scratch_bytes(const Deepseek4Config &c, const StateOptions &o, int64_t T) {
  // Mirrors the arena takes of Deepseek4Model::forward: what lives through the call, plus the
  // largest of what one sub-layer (or the head) takes and gives back.
  const int64_t D = c.n_embd, hc = c.n_hc, E = c.n_expert, K = c.n_expert_used;
  const int64_t I = c.n_ff_exp, Is = c.n_ff_exp * c.n_expert_shared;
  const uint64_t persistent = T * v4::max_linear_input(c) + 2 * T * hc * D + 2 * T * D + T * hc + T * hc * hc;
  const uint64_t hc_unfused = T * hc * D + T * c.n_hc_mix() + T * hc;
  const uint64_t moe = T * E + 4 * T * K + (E + 1) + 3 * T * D + 2 * T * I + 2 * T * Is;
  const uint64_t head = T * hc + T * hc + T * hc * D;
  const uint64_t sub = std::max({hc_unfused, v4::attention_scratch_floats(c, o, T), moe, head});
  return (persistent + sub + 4 * 32) * 4;  // + the 16-byte alignment of each take
}

std::unique_ptr<ArchModel> load_deepseek4(const gguf::File &file, uint64_t memory_limit, PackedWeights *packer) {
  const Deepseek4Config c = Deepseek4Config::from_gguf(file);
  // Owned at load (f32): the 1-D tensors, the compressor ape tables (at most 128·hd for
  // ratio 128, 8·hd for ratio 4, plus the indexer's 8·di) and the rope tables; tid2eid (i32).
  const uint64_t per_layer = 2 * c.n_embd + c.q_lora_rank + 2 * c.head_dim + c.n_head + c.n_expert +
                             2 * (c.n_hc_mix() + 3) + 128 * c.head_dim + 8 * c.idx_head_dim + c.idx_head_dim;
  const uint64_t owned = 4 * (static_cast<uint64_t>(c.n_layer) * per_layer + c.n_embd + c.n_hc + 1 + c.d_rope) +
                         static_cast<uint64_t>(c.n_hash_layer) * c.n_vocab * c.n_expert_used * 4;
  check_memory_plan("deepseek4 model tables", owned, memory_limit);
  return std::make_unique<v4::Deepseek4Model>(file, c, packer);
}

}  // namespace dsv4
