// deepseek4 (DeepSeek V4-Flash / V4-Pro) metadata and tensors for the model maker.
// Initialisation as ../shared/testdata's dsv4 models: attn_sinks ~ N(0, 1), compressor ape ~
// N(0, 0.25), hc_*_fn ~ N(0, 1/(hc·D)), hc_*_base ~ N(0, 1), hc_*_scale = 0.5 + 0.5·|N(0, 1)|,
// exp_probs_b ~ N(0, 0.0025), each tid2eid row `expert_used_count` distinct expert ids.
#include <cmath>
#include <string>

#include "format/gguf.h"
#include "model/maker/maker_arch.h"

namespace dsv4::maker {

namespace {

// The three hyper-connection tensors of a mixing site (prefix "blk.N.hc_attn", "output_hc").
void plan_hc(std::vector<TensorPlan> &t, const std::string &prefix, int64_t hc_dim, int64_t n_mix, int64_t n_scale) {
  t.push_back(plan_f32(prefix + "_fn.weight", {hc_dim, n_mix}, normal(0.0, 1.0 / std::sqrt(static_cast<double>(hc_dim)))));
  t.push_back(plan_f32(prefix + "_base.weight", {n_mix}, normal(0.0, 1.0)));
  Init scale = normal(0.5, 0.5);
  scale.kind = InitKind::kHalfNormal;
  t.push_back(plan_f32(prefix + "_scale.weight", {n_scale}, scale));
}

// Compressor of a ratio-r layer (main: prefix "attn_compressor", d = head_dim; indexer:
// "indexer_compressor", d = indexer head dim). Ratio 4 overlaps two blocks: width 2·d.
void plan_compressor(std::vector<TensorPlan> &t, int64_t il, const std::string &prefix, int64_t D, int64_t d,
                     int64_t ratio) {
  const int64_t width = (ratio == 4 ? 2 : 1) * d;
  const std::string p = "blk." + std::to_string(il) + "." + prefix;
  t.push_back(plan_matrix(p + "_kv.weight", {D, width}));
  t.push_back(plan_matrix(p + "_gate.weight", {D, width}));
  t.push_back(plan_f32(p + "_ape.weight", {width, ratio}, normal(0.0, 0.5)));  // variance 0.25
  t.push_back(plan_norm(p + "_norm.weight", d));
}

}  // namespace

void write_deepseek4_metadata(const Deepseek4Shape &c, gguf::Writer &w) {
  const std::string p = "deepseek4.";
  const auto u32 = [&](const char *key, int64_t v) { w.set_u32(p + key, static_cast<uint32_t>(v)); };
  const auto f32 = [&](const char *key, float v) { w.set_f32(p + key, v); };
  u32("block_count", c.n_layer);
  u32("context_length", c.n_ctx_train);
  u32("embedding_length", c.n_embd);
  u32("embedding_length_out", c.hc_mult * c.n_embd);
  u32("vocab_size", c.n_vocab);
  u32("attention.head_count", c.n_head);
  u32("attention.head_count_kv", 1);
  u32("attention.key_length", c.head_dim);
  u32("attention.value_length", c.head_dim);
  f32("attention.layer_norm_rms_epsilon", c.rms_eps);
  u32("attention.q_lora_rank", c.q_lora_rank);
  u32("attention.output_lora_rank", c.o_lora_rank);
  u32("attention.output_group_count", c.o_groups);
  u32("attention.sliding_window", c.window);
  // INT32 elements, the config's list as is (incl. MTP slots), as the converter writes it.
  w.set_i32_array(p + "attention.compress_ratios", c.compress_ratios);
  f32("attention.compress_rope_freq_base", c.compress_rope_theta);
  u32("attention.indexer.head_count", c.indexer_heads);
  u32("attention.indexer.key_length", c.indexer_head_dim);
  u32("attention.indexer.top_k", c.indexer_top_k);
  u32("rope.dimension_count", c.d_rope);
  f32("rope.freq_base", c.rope_theta);
  w.set_string(p + "rope.scaling.type", "yarn");
  f32("rope.scaling.factor", c.yarn_factor);
  u32("rope.scaling.original_context_length", c.yarn_orig_ctx);
  f32("rope.scaling.yarn_beta_fast", c.yarn_beta_fast);
  f32("rope.scaling.yarn_beta_slow", c.yarn_beta_slow);
  u32("expert_count", c.n_expert);
  u32("expert_used_count", c.n_expert_used);
  u32("expert_shared_count", c.n_expert_shared);
  u32("expert_feed_forward_length", c.n_ff_exp);
  f32("expert_weights_scale", c.weights_scale);
  w.set_bool(p + "expert_weights_norm", c.weights_norm);
  u32("expert_gating_func", 4);  // sqrt(softplus)
  const std::vector<float> clamp(static_cast<size_t>(c.n_layer), c.swiglu_limit);
  w.set_f32_array(p + "swiglu_clamp_exp", clamp);
  w.set_f32_array(p + "swiglu_clamp_shexp", clamp);  // the converter writes it = swiglu_limit
  u32("hash_layer_count", c.n_hash_layers);
  u32("hyper_connection.count", c.hc_mult);
  u32("hyper_connection.sinkhorn_iterations", c.hc_sinkhorn_iters);
  f32("hyper_connection.epsilon", c.hc_eps);
}

std::vector<TensorPlan> plan_deepseek4_tensors(const Deepseek4Shape &c) {
  const int64_t D = c.n_embd, H = c.n_head, hd = c.head_dim, hc = c.hc_mult;
  const int64_t n_mix = (2 + hc) * hc;  // pre (hc) + post (hc) + comb (hc·hc)
  std::vector<TensorPlan> t;
  t.push_back(plan_embedding(D, c.n_vocab));
  t.push_back(plan_norm("output_norm.weight", D));
  t.push_back(plan_output(D, c.n_vocab));
  plan_hc(t, "output_hc", hc * D, hc, 1);
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const int32_t ratio = c.compress_ratios[static_cast<size_t>(il)];
    t.push_back(plan_norm(blk(il, "attn_norm.weight"), D));
    t.push_back(plan_f32(blk(il, "attn_sinks.weight"), {H}, normal(0.0, 1.0)));
    t.push_back(plan_matrix(blk(il, "attn_q_a.weight"), {D, c.q_lora_rank}));
    t.push_back(plan_norm(blk(il, "attn_q_a_norm.weight"), c.q_lora_rank));
    t.push_back(plan_matrix(blk(il, "attn_q_b.weight"), {c.q_lora_rank, H * hd}));
    t.push_back(plan_matrix(blk(il, "attn_kv.weight"), {D, hd}));
    t.push_back(plan_norm(blk(il, "attn_kv_a_norm.weight"), hd));
    // Stored 2-D: rows g·R … g·R+R−1 belong to output group g.
    t.push_back(plan_matrix(blk(il, "attn_output_a.weight"), {H * hd / c.o_groups, c.o_groups * c.o_lora_rank}));
    t.push_back(plan_matrix(blk(il, "attn_output_b.weight"), {c.o_groups * c.o_lora_rank, D}));
    plan_hc(t, blk(il, "hc_attn"), hc * D, n_mix, 3);
    plan_hc(t, blk(il, "hc_ffn"), hc * D, n_mix, 3);
    if (ratio > 0) plan_compressor(t, il, "attn_compressor", D, hd, ratio);
    if (ratio == 4) {  // CSA: the lightning indexer
      t.push_back(plan_matrix(blk(il, "indexer.proj.weight"), {D, c.indexer_heads}));
      t.push_back(plan_matrix(blk(il, "indexer.attn_q_b.weight"), {c.q_lora_rank, c.indexer_heads * c.indexer_head_dim}));
      plan_compressor(t, il, "indexer_compressor", D, c.indexer_head_dim, 4);
    }
    const int64_t E = c.n_expert, I = c.n_ff_exp;
    t.push_back(plan_norm(blk(il, "ffn_norm.weight"), D));
    t.push_back(plan_matrix(blk(il, "ffn_gate_inp.weight"), {D, E}, Role::kRouter));
    if (il < c.n_hash_layers) {
      TensorPlan m;
      m.name = blk(il, "ffn_gate_tid2eid.weight");
      m.ne = {c.n_expert_used, c.n_vocab};
      m.role = Role::kTokenMap;
      m.init.kind = InitKind::kDistinctIds;
      m.init.id_range = E;
      t.push_back(std::move(m));
    } else {
      TensorPlan b = plan_f32(blk(il, "exp_probs_b.bias"), {E}, normal(0.0, 0.05));  // variance 0.0025
      b.role = Role::kBias;
      t.push_back(std::move(b));
    }
    append_expert_tensors(t, il, D, I, E, c.n_expert_shared);
  }
  return t;
}

}  // namespace dsv4::maker
