// deepseek2 (DeepSeek V2 / V2-Lite / V3) metadata and tensors for the model maker.
#include <cmath>
#include <string>

#include "format/gguf.h"
#include "model/maker/maker_arch.h"

namespace dsv4::maker {

namespace {

// attn_k_b / attn_v_b: one random kv_b_proj [H·(nope+v), kv_lora] ~ N(0, 1/kv_lora), split the
// way llama.cpp's converter splits it (deepseek-v3.md §6.2).
TensorPlan plan_kv_b_half(const Deepseek2Shape &c, int64_t il, bool k_half) {
  TensorPlan t;
  t.name = blk(il, k_half ? "attn_k_b.weight" : "attn_v_b.weight");
  t.ne = k_half ? std::vector<int64_t>{c.d_nope, c.kv_lora_rank, c.n_head}
                : std::vector<int64_t>{c.kv_lora_rank, c.d_v, c.n_head};
  t.role = Role::kMatrix;
  t.init = normal(0.0, 1.0 / std::sqrt(static_cast<double>(c.kv_lora_rank)));
  t.init.kind = k_half ? InitKind::kKvbK : InitKind::kKvbV;
  t.init.source = blk(il, "attn_kv_b.weight");
  t.init.d_nope = c.d_nope;
  t.init.d_v = c.d_v;
  t.init.kv_lora = c.kv_lora_rank;
  return t;
}

}  // namespace

void write_deepseek2_metadata(const Deepseek2Shape &c, gguf::Writer &w) {
  const std::string p = "deepseek2.";
  const auto u32 = [&](const char *key, int64_t v) { w.set_u32(p + key, static_cast<uint32_t>(v)); };
  const auto f32 = [&](const char *key, float v) { w.set_f32(p + key, v); };
  u32("block_count", c.n_layer);
  u32("context_length", c.n_ctx_train);
  u32("embedding_length", c.n_embd);
  u32("feed_forward_length", c.n_ff);
  u32("attention.head_count", c.n_head);
  u32("attention.head_count_kv", 1);  // MLA runs as MQA over the latent
  f32("rope.freq_base", c.rope_theta);
  f32("attention.layer_norm_rms_epsilon", c.rms_eps);
  u32("expert_count", c.n_expert);
  u32("expert_used_count", c.n_expert_used);
  if (c.n_group > 1) {
    u32("expert_group_count", c.n_group);
    u32("expert_group_used_count", c.n_group_used);
  }
  u32("leading_dense_block_count", c.n_dense_lead);
  u32("vocab_size", c.n_vocab);
  // Written as 0 without q LoRA: llama.cpp requires the key for most layer counts.
  u32("attention.q_lora_rank", c.q_lora_rank);
  u32("attention.kv_lora_rank", c.kv_lora_rank);
  u32("attention.key_length", c.kv_lora_rank + c.d_rope);
  u32("attention.value_length", c.kv_lora_rank);
  u32("attention.key_length_mla", c.d_nope + c.d_rope);
  u32("attention.value_length_mla", c.d_v);
  u32("expert_feed_forward_length", c.n_ff_exp);
  u32("expert_shared_count", c.n_expert_shared);
  f32("expert_weights_scale", c.weights_scale);
  w.set_bool(p + "expert_weights_norm", c.weights_norm);
  u32("expert_gating_func", c.sigmoid_gating ? 2 : 1);
  u32("rope.dimension_count", c.d_rope);
  w.set_string(p + "rope.scaling.type", c.yarn ? "yarn" : "none");
  if (c.yarn) {
    f32("rope.scaling.factor", c.yarn_factor);
    u32("rope.scaling.original_context_length", c.yarn_orig_ctx);
    // deepseek2's legacy convention: 0.1 × mscale_all_dim (llama.cpp divides by 0.1 again).
    f32("rope.scaling.yarn_log_multiplier", static_cast<float>(0.1 * static_cast<double>(c.yarn_mscale_all_dim)));
    if (c.yarn_beta_fast) f32("rope.scaling.yarn_beta_fast", *c.yarn_beta_fast);
    if (c.yarn_beta_slow) f32("rope.scaling.yarn_beta_slow", *c.yarn_beta_slow);
  }
}

std::vector<TensorPlan> plan_deepseek2_tensors(const Deepseek2Shape &c) {
  const int64_t D = c.n_embd, H = c.n_head, d_qk = c.d_nope + c.d_rope;
  std::vector<TensorPlan> t;
  t.push_back(plan_embedding(D, c.n_vocab));
  t.push_back(plan_norm("output_norm.weight", D));
  t.push_back(plan_output(D, c.n_vocab));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    t.push_back(plan_norm(blk(il, "attn_norm.weight"), D));
    if (c.q_lora_rank > 0) {
      t.push_back(plan_matrix(blk(il, "attn_q_a.weight"), {D, c.q_lora_rank}));
      t.push_back(plan_norm(blk(il, "attn_q_a_norm.weight"), c.q_lora_rank));
      t.push_back(plan_matrix(blk(il, "attn_q_b.weight"), {c.q_lora_rank, H * d_qk}));
    } else {
      t.push_back(plan_matrix(blk(il, "attn_q.weight"), {D, H * d_qk}));
    }
    t.push_back(plan_matrix(blk(il, "attn_kv_a_mqa.weight"), {D, c.kv_lora_rank + c.d_rope}));
    t.push_back(plan_norm(blk(il, "attn_kv_a_norm.weight"), c.kv_lora_rank));
    t.push_back(plan_kv_b_half(c, il, true));
    t.push_back(plan_kv_b_half(c, il, false));
    t.push_back(plan_matrix(blk(il, "attn_output.weight"), {H * c.d_v, D}));
    t.push_back(plan_norm(blk(il, "ffn_norm.weight"), D));
    if (il < c.n_dense_lead) {
      t.push_back(plan_matrix(blk(il, "ffn_gate.weight"), {D, c.n_ff}));
      t.push_back(plan_matrix(blk(il, "ffn_up.weight"), {D, c.n_ff}));
      t.push_back(plan_matrix(blk(il, "ffn_down.weight"), {c.n_ff, D}));
      continue;
    }
    const int64_t E = c.n_expert, I = c.n_ff_exp;
    t.push_back(plan_matrix(blk(il, "ffn_gate_inp.weight"), {D, E}, Role::kRouter));
    if (c.sigmoid_gating) {
      TensorPlan b = plan_f32(blk(il, "exp_probs_b.bias"), {E}, normal(0.0, 0.05));  // variance 0.0025
      b.role = Role::kBias;
      t.push_back(std::move(b));
    }
    append_expert_tensors(t, il, D, I, E, c.n_expert_shared);
  }
  return t;
}

}  // namespace dsv4::maker
