// DeepSeek V2 / V3 forward pass (../shared/spec/deepseek-v3.md §3), top to bottom:
//   h = embed(tokens)
//   per layer:  h += MLA(attn_norm(h));  h += FFN(ffn_norm(h))   (dense SwiGLU or MoE)
//   logits = output(output_norm(h))
// Attention always runs in the absorbed form over the latent cache (§3.3): per token and layer
// the cache holds only the normalised latent c (kv_lora_rank) and the rotated k_pe (qk_rope).
#include "model/arch/deepseek2.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/thread_pool.h"
#include "common/error.h"
#include "common/memory.h"
#include "format/gguf.h"
#include "model/arch/arch.h"
#include "model/arch/expert_stats.h"
#include "model/config.h"
#include "model/rope_freqs.h"
#include "model/weights.h"
#include "quant/float_conv.h"

namespace dsv4 {
namespace {

struct Layer {
  std::vector<float> attn_norm, q_a_norm, kv_a_norm, ffn_norm;
  WeightView q_a, q_b, q;          // q LoRA (q_a, q_b) or direct q
  WeightView kv_a;                 // {D, c + d_rope}
  WeightView k_b, v_b;             // split layout: {d_nope, c, H}, {c, d_v, H}
  WeightView kv_b;                 // legacy layout: {c, H*(d_nope + d_v)}
  WeightView attn_out;             // {H*d_v, D}
  WeightView ffn_gate, ffn_up, ffn_down;  // dense layers
  WeightView gate_inp;             // router {D, E}
  std::vector<float> probs_bias;   // selection bias [E] (empty when absent)
  WeightView uv;                   // W_UV of every head as a stack {C, d_v, H} (either layout)
  WeightView gate_exps, up_exps, down_exps;  // {D, I, E}, {D, I, E}, {I, D, E}; for the fused
                                             // ffn_gate_up_exps {D, 2I, E} views of its two halves
  WeightView gate_shexp, up_shexp, down_shexp;
};

// Scratch of the forward pass, kept with the state so decode steps do not allocate.
struct Scratch {
  std::vector<float> x, cur, qa, q, kv, qabs, lat, o, tmp, router, moe_g, moe_u, moe_y, moe_x, slots, sh_g, sh_u;
  std::vector<int32_t> experts;
  std::vector<int64_t> first, fill, order;  // MoE slots grouped by expert
  std::vector<int64_t> out_rows;             // rows whose logits are wanted
  std::vector<float> head;                   // their final hidden states
  std::vector<float> weights;
  std::vector<int64_t> n_keys;
};

class Deepseek2State final : public ArchState {
 public:
  Deepseek2State(const Deepseek2Config &c, const StateOptions &o)
      : n_ctx(o.n_ctx), n_seq(o.n_seq), type(o.cache_type), row(c.kv_lora_rank + c.d_rope), n_layer(c.n_layer) {
    const size_t n = static_cast<size_t>(n_layer * n_seq * n_ctx * row);
    if (type == CacheType::kF32) f32.assign(n, 0.0f);
    else bf16.assign(n, 0);
  }
  uint64_t allocated_bytes() const override { return f32.size() * 4 + bf16.size() * 2; }

  size_t offset(int64_t il, int32_t seq, int64_t pos) const {
    return static_cast<size_t>(((il * n_seq + seq) * n_ctx + pos) * row);
  }

  int64_t n_ctx;
  int32_t n_seq;
  CacheType type;
  int64_t row;
  int64_t n_layer;
  std::vector<float> f32;
  std::vector<uint16_t> bf16;
  Scratch scratch;
};


ConstRows crows(const std::vector<float> &v, int64_t n, int64_t stride, int64_t off = 0) {
  return ConstRows{v.data() + off, n, stride};
}
Rows rows(std::vector<float> &v, int64_t n, int64_t stride, int64_t off = 0) { return Rows{v.data() + off, n, stride}; }

class Deepseek2Model final : public ArchModel {
 public:
  Deepseek2Model(const gguf::File &file, const Deepseek2Config &c, PackedWeights *packer)
      : c_(c), be_(cpu_backend()) {
    WeightLoader w(file, packer);
    const int64_t D = c.n_embd, H = c.n_head, C = c.kv_lora_rank, dr = c.d_rope, dn = c.d_nope, dv = c.d_v;
    tok_embd_ = w.matrix("token_embd.weight", {D, c.n_vocab});
    output_norm_ = w.vector("output_norm.weight", D);
    output_ = c.tied_output ? tok_embd_ : w.matrix("output.weight", {D, c.n_vocab});
    layers_.resize(static_cast<size_t>(c.n_layer));
    for (int64_t il = 0; il < c.n_layer; ++il) {
      Layer &L = layers_[static_cast<size_t>(il)];
      const std::string p = "blk." + std::to_string(il) + ".";
      L.attn_norm = w.vector(p + "attn_norm.weight", D);
      if (c.q_lora_rank > 0) {
        L.q_a = w.matrix(p + "attn_q_a.weight", {D, c.q_lora_rank});
        L.q_a_norm = w.vector(p + "attn_q_a_norm.weight", c.q_lora_rank);
        L.q_b = w.matrix(p + "attn_q_b.weight", {c.q_lora_rank, H * c.d_qk()});
      } else {
        L.q = w.matrix(p + "attn_q.weight", {D, H * c.d_qk()});
      }
      L.kv_a = w.matrix(p + "attn_kv_a_mqa.weight", {D, C + dr});
      L.kv_a_norm = w.vector(p + "attn_kv_a_norm.weight", C);
      if (c.mla_split) {
        L.k_b = w.matrix(p + "attn_k_b.weight", {dn, C, H});
        L.v_b = w.matrix(p + "attn_v_b.weight", {C, dv, H});
        L.uv = L.v_b;
      } else {
        L.kv_b = w.matrix(p + "attn_kv_b.weight", {C, H * (dn + dv)});
        // Head h's W_UV: rows h*(dn+dv)+dn .. +dv of attn_kv_b, a stack with a (dn+dv)-row stride.
        L.uv = L.kv_b.rows(dn, dv);
        L.uv.ne2 = H;
        L.uv.matrix_bytes = L.kv_b.row_bytes * static_cast<uint64_t>(dn + dv);
      }
      L.attn_out = w.matrix(p + "attn_output.weight", {H * dv, D});
      L.ffn_norm = w.vector(p + "ffn_norm.weight", D);
      if (!c.is_moe_layer(il)) {
        L.ffn_gate = w.matrix(p + "ffn_gate.weight", {D, c.n_ff});
        L.ffn_up = w.matrix(p + "ffn_up.weight", {D, c.n_ff});
        L.ffn_down = w.matrix(p + "ffn_down.weight", {c.n_ff, D});
        continue;
      }
      const int64_t E = c.n_expert, I = c.n_ff_exp, S = c.n_ff_exp * c.n_expert_shared;
      L.gate_inp = w.matrix(p + "ffn_gate_inp.weight", {D, E});
      if (w.has(p + "exp_probs_b.bias")) L.probs_bias = w.vector(p + "exp_probs_b.bias", E);
      if (w.has(p + "ffn_gate_up_exps.weight")) {
        const WeightView both = w.matrix(p + "ffn_gate_up_exps.weight", {D, 2 * I, E});
        L.gate_exps = both.stacked_rows(0, I);
        L.up_exps = both.stacked_rows(I, I);
      } else {
        L.gate_exps = w.matrix(p + "ffn_gate_exps.weight", {D, I, E});
        L.up_exps = w.matrix(p + "ffn_up_exps.weight", {D, I, E});
      }
      L.down_exps = w.matrix(p + "ffn_down_exps.weight", {I, D, E});
      if (S > 0) {
        L.gate_shexp = w.matrix(p + "ffn_gate_shexp.weight", {D, S});
        L.up_shexp = w.matrix(p + "ffn_up_shexp.weight", {D, S});
        L.down_shexp = w.matrix(p + "ffn_down_shexp.weight", {S, D});
      }
    }
    rope_freqs_ = yarn_rope_freqs(c.d_rope, c.rope_base, c.yarn ? c.yarn_factor : 1.0f, c.yarn_orig_ctx,
                                  c.yarn_beta_fast, c.yarn_beta_slow);
    kq_scale_ = c.kq_scale();
    route_.gating = c.gating;
    route_.n_expert = c.n_expert;
    route_.n_used = c.n_expert_used;
    route_.n_group = c.n_group;
    route_.n_group_used = c.n_group_used;
    route_.norm = c.expert_weights_norm;
    route_.scale = c.expert_weights_scale;
  }

  int64_t n_vocab() const override { return c_.n_vocab; }
  int64_t n_layer() const override { return c_.n_layer; }
  int64_t n_embd() const override { return c_.n_embd; }
  int64_t n_ctx_train() const override { return c_.n_ctx_train; }
  std::vector<std::string> describe() const override { return c_.describe(); }

  uint64_t state_bytes(const StateOptions &o) const override {
    const uint64_t per = o.cache_type == CacheType::kF32 ? 4 : 2;
    return static_cast<uint64_t>(c_.n_layer) * o.n_seq * o.n_ctx * (c_.kv_lora_rank + c_.d_rope) * per;
  }

  uint64_t scratch_bytes(int64_t T, const StateOptions &o) const override {
    return deepseek2_scratch_bytes(c_, T, o.n_ctx);
  }

  std::unique_ptr<ArchState> new_state(const StateOptions &o) const override {
    if (o.cache_type == CacheType::kFP8)
      fail(DSV4_ERR_UNSUPPORTED, "cache type fp8 is not supported for deepseek2 (use f32 or bf16)");
    return std::make_unique<Deepseek2State>(c_, o);
  }

  int64_t truncate(ArchState &, int32_t, int64_t n_keep) const override {
    // The latent cache is indexed by position: rows past the new length are simply overwritten.
    return n_keep;
  }

  void forward(ArchState &state_base, const Batch &b, float *logits, const ForwardOptions &opts) const override {
    auto &st = static_cast<Deepseek2State &>(state_base);
    const int64_t T = b.size(), D = c_.n_embd;
    ThreadPool *pool = opts.pool;
    Scratch &s = st.scratch;
    s.x.resize(static_cast<size_t>(T * D));
    // [T, D] token embeddings
    be_.get_rows(tok_embd_, b.tokens.data(), T, rows(s.x, T, D));
    for (int64_t il = 0; il < c_.n_layer; ++il) {
      if (opts.cancel && opts.cancel->load(std::memory_order_relaxed))
        fail(DSV4_CANCELLED, "evaluation cancelled");
      layer_forward(il, st, b, s, opts);
    }
    // Output rows only: [n_out, D] -> output_norm -> [n_out, n_vocab]
    std::vector<int64_t> &out_rows = s.out_rows;
    out_rows.clear();
    for (int64_t t = 0; t < T; ++t)
      if (b.output[static_cast<size_t>(t)]) out_rows.push_back(t);
    const int64_t n_out = static_cast<int64_t>(out_rows.size());
    std::vector<float> &h = s.head;
    h.resize(static_cast<size_t>(n_out * D));
    for (int64_t i = 0; i < n_out; ++i)
      std::memcpy(h.data() + i * D, s.x.data() + out_rows[static_cast<size_t>(i)] * D, static_cast<size_t>(D) * 4);
    be_.rms_norm(crows(h, n_out, D), D, output_norm_.data(), c_.rms_eps, rows(h, n_out, D));
    trace(opts, "output_norm", h.data(), n_out, D);
    be_.matmul(output_, crows(h, n_out, D), Rows{logits, n_out, c_.n_vocab}, pool);
  }

 private:
  static void trace(const ForwardOptions &o, const std::string &name, const float *data, int64_t r, int64_t cols) {
    if (o.trace && *o.trace) (*o.trace)(name, data, r, cols);
  }
  // Per-layer intermediates: the name is only built when a hook listens (not per token otherwise).
  static void trace(const ForwardOptions &o, int64_t il, const char *what, const float *data, int64_t r, int64_t cols) {
    if (o.trace && *o.trace) (*o.trace)("blk." + std::to_string(il) + "." + what, data, r, cols);
  }

  void layer_forward(int64_t il, Deepseek2State &st, const Batch &b, Scratch &s, const ForwardOptions &opts) const {
    const Layer &L = layers_[static_cast<size_t>(il)];
    const int64_t T = b.size(), D = c_.n_embd;
    s.cur.resize(static_cast<size_t>(T * D));
    s.tmp.resize(static_cast<size_t>(T * D));

    // Attention block: cur = attn_norm(x); x += MLA(cur)
    be_.rms_norm(crows(s.x, T, D), D, L.attn_norm.data(), c_.rms_eps, rows(s.cur, T, D));
    trace(opts, il, "attn_norm", s.cur.data(), T, D);
    mla(L, il, st, b, s, opts.pool, opts.unfused);  // -> s.tmp [T, D]
    trace(opts, il, "attn_out", s.tmp.data(), T, D);
    for (size_t i = 0; i < s.x.size(); ++i) s.x[i] += s.tmp[i];
    trace(opts, il, "attn_resid", s.x.data(), T, D);

    // FFN block: cur = ffn_norm(x); x += FFN(cur)
    be_.rms_norm(crows(s.x, T, D), D, L.ffn_norm.data(), c_.rms_eps, rows(s.cur, T, D));
    trace(opts, il, "ffn_norm", s.cur.data(), T, D);
    if (c_.is_moe_layer(il)) {
      moe(L, T, s, opts.pool);
      if (opts.expert_stats) opts.expert_stats->add(il, s.experts.data(), static_cast<int64_t>(s.experts.size()));
    } else {
      dense_ffn(L.ffn_gate, L.ffn_up, L.ffn_down, crows(s.cur, T, D), rows(s.tmp, T, D), s, opts.pool);
    }
    trace(opts, il, "ffn_out", s.tmp.data(), T, D);
    for (size_t i = 0; i < s.x.size(); ++i) s.x[i] += s.tmp[i];
    trace(opts, il, "l_out", s.x.data(), T, D);
  }

  // Multi-head latent attention, absorbed form (§3.3). Input s.cur [T, D]; output s.tmp [T, D].
  void mla(const Layer &L, int64_t il, Deepseek2State &st, const Batch &b, Scratch &s, ThreadPool *pool,
           bool unfused) const {
    const int64_t T = b.size(), D = c_.n_embd, H = c_.n_head, C = c_.kv_lora_rank, dr = c_.d_rope;
    const int64_t dn = c_.d_nope, dv = c_.d_v, dqk = c_.d_qk(), krow = C + dr;

    // q [T, H*dqk]: per head [nope | rope]
    s.q.resize(static_cast<size_t>(T * H * dqk));
    if (c_.q_lora_rank > 0) {
      const int64_t R = c_.q_lora_rank;
      s.qa.resize(static_cast<size_t>(T * R));
      be_.matmul(L.q_a, crows(s.cur, T, D), rows(s.qa, T, R), pool);
      be_.rms_norm(crows(s.qa, T, R), R, L.q_a_norm.data(), c_.rms_eps, rows(s.qa, T, R));
      be_.matmul(L.q_b, crows(s.qa, T, R), rows(s.q, T, H * dqk), pool);
    } else {
      be_.matmul(L.q, crows(s.cur, T, D), rows(s.q, T, H * dqk), pool);
    }
    // kv [T, C + dr] = [latent | k_pe]; the norm applies to the latent only.
    s.kv.resize(static_cast<size_t>(T * krow));
    be_.matmul(L.kv_a, crows(s.cur, T, D), rows(s.kv, T, krow), pool);
    be_.rms_norm(crows(s.kv, T, krow), C, L.kv_a_norm.data(), c_.rms_eps, rows(s.kv, T, krow));
    const int64_t n_pairs = dr / 2;
    be_.rope(rows(s.kv, T, krow), 1, krow, C, rope_freqs_.data(), n_pairs, b.pos.data(), false);
    be_.rope(rows(s.q, T, H * dqk), H, dqk, dn, rope_freqs_.data(), n_pairs, b.pos.data(), false);

    // Append [c | k_pe] to the cache at each token's position.
    for (int64_t t = 0; t < T; ++t) {
      const size_t off = st.offset(il, b.seq[static_cast<size_t>(t)], b.pos[static_cast<size_t>(t)]);
      const float *src = s.kv.data() + t * krow;
      if (st.type == CacheType::kF32) std::memcpy(st.f32.data() + off, src, static_cast<size_t>(krow) * 4);
      else
        for (int64_t i = 0; i < krow; ++i) st.bf16[off + static_cast<size_t>(i)] = f32_to_bf16(src[i]);
    }

    // Absorbed query per head: [W_UK^T q_nope | q_pe]  -> qabs [T, H, C + dr]
    s.qabs.resize(static_cast<size_t>(T * H * krow));
    if (c_.mla_split)
      be_.matmul_stacked(L.k_b, H, nullptr, crows(s.q, T, H * dqk), dqk, rows(s.qabs, T, H * krow), krow, pool);
    for (int64_t h = 0; h < H; ++h) {
      if (!c_.mla_split)
        be_.matmul_t(L.kv_b.rows(h * (dn + dv), dn), crows(s.q, T, H * dqk, h * dqk),
                     rows(s.qabs, T, H * krow, h * krow), pool);
      for (int64_t t = 0; t < T; ++t)
        std::memcpy(s.qabs.data() + (t * H + h) * krow + C, s.q.data() + t * H * dqk + h * dqk + dn,
                    static_cast<size_t>(dr) * 4);
    }

    // Attention over the cache of each token's sequence -> lat [T, H, C]
    s.lat.resize(static_cast<size_t>(T * H * C));
    s.n_keys.resize(static_cast<size_t>(T));
    for (int64_t t0 = 0; t0 < T;) {
      int64_t t1 = t0 + 1;
      const int32_t seq = b.seq[static_cast<size_t>(t0)];
      while (t1 < T && b.seq[static_cast<size_t>(t1)] == seq) ++t1;
      for (int64_t t = t0; t < t1; ++t) s.n_keys[static_cast<size_t>(t)] = b.pos[static_cast<size_t>(t)] + 1;
      MlaParams mp;
      mp.n_head = H;
      mp.d_latent = C;
      mp.d_rope = dr;
      mp.scale = kq_scale_;
      mp.unfused = unfused;
      mp.q = ConstRows{s.qabs.data() + t0 * H * krow, t1 - t0, H * krow};
      const size_t base = st.offset(il, seq, 0);
      if (st.type == CacheType::kF32) mp.cache_f32 = st.f32.data() + base;
      else mp.cache_bf16 = st.bf16.data() + base;
      mp.n_keys = s.n_keys.data() + t0;
      mp.out = Rows{s.lat.data() + t0 * H * C, t1 - t0, H * C};
      be_.mla_attention(mp, pool);
      t0 = t1;
    }

    // Per-head value up-projection W_UV -> o [T, H*dv], then the output projection.
    s.o.resize(static_cast<size_t>(T * H * dv));
    be_.matmul_stacked(L.uv, H, nullptr, crows(s.lat, T, H * C), C, rows(s.o, T, H * dv), dv, pool);
    be_.matmul(L.attn_out, crows(s.o, T, H * dv), rows(s.tmp, T, D), pool);
  }

  // y = down(silu(gate x) * up x)
  void dense_ffn(const WeightView &gate, const WeightView &up, const WeightView &down, ConstRows x, Rows y,
                 Scratch &s, ThreadPool *pool) const {
    const int64_t T = x.n_rows, F = gate.ne1;
    s.sh_g.resize(static_cast<size_t>(T * F));
    s.sh_u.resize(static_cast<size_t>(T * F));
    be_.matmul(gate, x, rows(s.sh_g, T, F), pool);
    be_.matmul(up, x, rows(s.sh_u, T, F), pool);
    be_.swiglu(crows(s.sh_g, T, F), crows(s.sh_u, T, F), F, rows(s.sh_g, T, F));
    be_.matmul(down, crows(s.sh_g, T, F), y, pool);
  }

  // Routed experts (tokens grouped by expert, so each expert's weights stream once per batch)
  // plus the shared experts (§3.5). Input s.cur [T, D]; output s.tmp [T, D].
  void moe(const Layer &L, int64_t T, Scratch &s, ThreadPool *pool) const {
    const int64_t D = c_.n_embd, E = c_.n_expert, K = c_.n_expert_used;
    s.router.resize(static_cast<size_t>(T * E));
    be_.matmul(L.gate_inp, crows(s.cur, T, D), rows(s.router, T, E), pool);
    MoeRouteParams rp = route_;
    rp.bias = L.probs_bias.empty() ? nullptr : L.probs_bias.data();
    s.experts.resize(static_cast<size_t>(T * K));
    s.weights.resize(static_cast<size_t>(T * K));
    be_.moe_route(crows(s.router, T, E), rp, s.experts.data(), s.weights.data());

    // slots [T, K, D]: each chosen expert's weighted output, summed in slot order below.
    s.slots.resize(static_cast<size_t>(T * K * D));
    if (T == 1) routed_experts_one_token(L, s, pool);
    else routed_experts_grouped(L, T, s, pool);
    // Shared experts: one SwiGLU MLP added with weight 1.
    if (L.gate_shexp.valid()) dense_ffn(L.gate_shexp, L.up_shexp, L.down_shexp, crows(s.cur, T, D), rows(s.tmp, T, D), s, pool);
    else std::fill(s.tmp.begin(), s.tmp.end(), 0.0f);
    for (int64_t t = 0; t < T; ++t) {
      float *y = s.tmp.data() + t * D;
      for (int64_t d = 0; d < D; ++d) {
        float routed = 0.0f;
        for (int64_t k = 0; k < K; ++k) routed += s.slots[static_cast<size_t>((t * K + k) * D + d)];
        y[d] += routed;
      }
    }
  }

  // Decode: the K experts of the one token as stacked products, one parallel region per step.
  void routed_experts_one_token(const Layer &L, Scratch &s, ThreadPool *pool) const {
    const int64_t D = c_.n_embd, K = c_.n_expert_used, I = c_.n_ff_exp;
    s.moe_g.resize(static_cast<size_t>(K * I));
    s.moe_u.resize(static_cast<size_t>(K * I));
    const int32_t *ids = s.experts.data();
    be_.matmul_stacked(L.gate_exps, K, ids, crows(s.cur, 1, D), 0, rows(s.moe_g, 1, K * I), I, pool);
    be_.matmul_stacked(L.up_exps, K, ids, crows(s.cur, 1, D), 0, rows(s.moe_u, 1, K * I), I, pool);
    be_.swiglu(crows(s.moe_g, 1, K * I), crows(s.moe_u, 1, K * I), K * I, rows(s.moe_g, 1, K * I));
    be_.matmul_stacked(L.down_exps, K, ids, crows(s.moe_g, 1, K * I), I, rows(s.slots, 1, K * D), D, pool);
    for (int64_t k = 0; k < K; ++k) {
      const float w = s.weights[static_cast<size_t>(k)];
      for (int64_t d = 0; d < D; ++d) s.slots[static_cast<size_t>(k * D + d)] *= w;
    }
  }

  // Prefill: tokens grouped by expert, so each expert's weights stream once per batch.
  void routed_experts_grouped(const Layer &L, int64_t T, Scratch &s, ThreadPool *pool) const {
    const int64_t D = c_.n_embd, E = c_.n_expert, K = c_.n_expert_used, I = c_.n_ff_exp;
    // Counting sort of the T*K slots by expert: slots of expert e are order[first[e] .. first[e+1]).
    s.first.assign(static_cast<size_t>(E + 1), 0);
    for (int64_t i = 0; i < T * K; ++i) ++s.first[static_cast<size_t>(s.experts[static_cast<size_t>(i)] + 1)];
    for (int64_t e = 0; e < E; ++e) s.first[static_cast<size_t>(e + 1)] += s.first[static_cast<size_t>(e)];
    s.order.resize(static_cast<size_t>(T * K));
    s.fill = s.first;
    for (int64_t i = 0; i < T * K; ++i) s.order[static_cast<size_t>(s.fill[static_cast<size_t>(s.experts[static_cast<size_t>(i)])]++)] = i;
    for (int64_t e = 0; e < E; ++e) {
      const int64_t b0 = s.first[static_cast<size_t>(e)], n = s.first[static_cast<size_t>(e + 1)] - b0;
      if (n == 0) continue;
      const int64_t *slots = s.order.data() + b0;
      s.moe_x.resize(static_cast<size_t>(n * D));
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(s.moe_x.data() + i * D, s.cur.data() + (slots[i] / K) * D, static_cast<size_t>(D) * 4);
      s.moe_g.resize(static_cast<size_t>(n * I));
      s.moe_u.resize(static_cast<size_t>(n * I));
      s.moe_y.resize(static_cast<size_t>(n * D));
      be_.matmul(L.gate_exps.matrix(e), crows(s.moe_x, n, D), rows(s.moe_g, n, I), pool);
      be_.matmul(L.up_exps.matrix(e), crows(s.moe_x, n, D), rows(s.moe_u, n, I), pool);
      be_.swiglu(crows(s.moe_g, n, I), crows(s.moe_u, n, I), I, rows(s.moe_g, n, I));
      be_.matmul(L.down_exps.matrix(e), crows(s.moe_g, n, I), rows(s.moe_y, n, D), pool);
      for (int64_t i = 0; i < n; ++i) {
        const float w = s.weights[static_cast<size_t>(slots[i])];
        float *dst = s.slots.data() + slots[i] * D;
        const float *src = s.moe_y.data() + i * D;
        for (int64_t d = 0; d < D; ++d) dst[d] = w * src[d];
      }
    }
  }

  Deepseek2Config c_;
  const Backend &be_;
  WeightView tok_embd_, output_;
  std::vector<float> output_norm_;
  std::vector<Layer> layers_;
  std::vector<float> rope_freqs_;
  MoeRouteParams route_;
  float kq_scale_;  // m^2 / sqrt(d_qk), computed once
};

}  // namespace

uint64_t deepseek2_scratch_bytes(const Deepseek2Config &c, int64_t T, int64_t n_ctx) {
  const int64_t H = c.n_head, C = c.kv_lora_rank, dr = c.d_rope;
  const int64_t ffn = std::max({c.n_ff, c.n_ff_exp, c.n_ff_exp * c.n_expert_shared});
  const int64_t per_token = 3 * c.n_embd + c.q_lora_rank + H * c.d_qk() + (C + dr) + H * (C + dr) + H * C +
                            H * c.d_v + 2 * c.n_expert + c.n_expert_used * (c.n_embd + 2) + 6 * ffn + c.n_embd * 2 + 2;
  // The attention's transposed latent [C][n_ctx] and one block of scores [256 query rows][n_ctx]
  // (cpu_backend.cpp, mla_attention).
  const int64_t attention = (C + 256) * n_ctx;
  return (static_cast<uint64_t>(T) * per_token + static_cast<uint64_t>(attention)) * 4;
}

std::unique_ptr<ArchModel> load_deepseek2(const gguf::File &file, uint64_t memory_limit, PackedWeights *packer) {
  const Deepseek2Config c = Deepseek2Config::from_gguf(file);
  // Owned at load: f32 copies of the 1-D tensors (norms, biases) and the rope table.
  uint64_t owned = static_cast<uint64_t>(c.n_embd) * 4 * (1 + 2 * c.n_layer) +
                   static_cast<uint64_t>(c.n_layer) * 4 * (c.q_lora_rank + c.kv_lora_rank + c.n_expert);
  check_memory_plan("deepseek2 model tables", owned, memory_limit);
  return std::make_unique<Deepseek2Model>(file, c, packer);
}

}  // namespace dsv4
