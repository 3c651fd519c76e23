#include <cmath>
#include <string>

#include "common/error.h"
#include "format/gguf.h"
#include "model/config.h"
#include "model/metadata.h"

namespace dsv4 {

float Deepseek2Config::kq_scale() const {
  float m = 1.0f;
  if (yarn && yarn_factor > 1.0f) m = 1.0f + 0.1f * yarn_mscale_all_dim * std::log(yarn_factor);
  return m * m / std::sqrt(static_cast<float>(d_qk()));
}

Deepseek2Config Deepseek2Config::from_gguf(const gguf::File &f) {
  MetaReader r(f, "deepseek2");
  Deepseek2Config c;
  const int64_t block_count = r.required_int("block_count", 1, 4096);
  const int64_t nextn = r.optional_int("nextn_predict_layers", 0, 0, block_count - 1);
  c.n_layer = block_count - nextn;
  c.n_ctx_train = r.required_int("context_length", 1, int64_t{1} << 40);
  c.n_embd = r.required_int("embedding_length", 1, 1 << 20);
  c.n_head = r.required_int("attention.head_count", 1, 4096);
  c.rms_eps = static_cast<float>(r.required_float("attention.layer_norm_rms_epsilon", 0.0, 1.0));
  c.kv_lora_rank = r.required_int("attention.kv_lora_rank", 1, 1 << 16);
  c.d_rope = r.required_int("rope.dimension_count", 2, 1 << 12);
  r.check(c.d_rope % 2 == 0, "rope.dimension_count", std::to_string(c.d_rope), "an even number");
  c.rope_base = static_cast<float>(r.optional_float("rope.freq_base", 10000.0, 1e-3, 1e12));

  // q LoRA: llama.cpp requires the key except for the "lite" layer counts (spec §6.1); we take
  // the tensor table as the tie-breaker so both conventions load.
  bool has_q_a = f.find_tensor("blk.0.attn_q_a.weight") != nullptr;
  c.q_lora_rank = r.optional_int("attention.q_lora_rank", has_q_a ? -1 : 0, 0, 1 << 16);
  if (c.q_lora_rank < 0) r.missing("attention.q_lora_rank", "the file has blk.0.attn_q_a.weight");

  const int64_t k_mla = r.optional_int("attention.key_length_mla", 0, 0, 1 << 16);
  const int64_t v_mla = r.optional_int("attention.value_length_mla", 0, 0, 1 << 16);
  c.mla_split = k_mla > 0 && v_mla > 0;
  if (c.mla_split) {
    c.d_nope = k_mla - c.d_rope;
    c.d_v = v_mla;
  } else {
    const int64_t k_len = r.required_int("attention.key_length", 1, 1 << 16);
    c.d_v = r.required_int("attention.value_length", 1, 1 << 16);
    c.d_nope = k_len - c.d_rope;
  }
  r.check(c.d_nope > 0, c.mla_split ? "attention.key_length_mla" : "attention.key_length",
          std::to_string(c.d_nope + c.d_rope), "greater than rope.dimension_count (" + std::to_string(c.d_rope) + ")");

  c.n_dense_lead = r.optional_int("leading_dense_block_count", 0, 0, c.n_layer);
  c.n_ff = r.optional_int("feed_forward_length", 0, 0, 1 << 20);
  if (c.n_dense_lead > 0)
    r.check(c.n_ff > 0, "feed_forward_length", std::to_string(c.n_ff), "> 0 when leading_dense_block_count > 0");
  if (c.n_dense_lead < c.n_layer) {
    c.n_expert = r.required_int("expert_count", 1, 1 << 16);
    c.n_expert_used = r.required_int("expert_used_count", 1, c.n_expert);
    c.n_expert_shared = r.required_int("expert_shared_count", 0, 1 << 10);
    c.n_ff_exp = r.required_int("expert_feed_forward_length", 1, 1 << 20);
    c.n_group = r.optional_int("expert_group_count", 0, 0, c.n_expert);
    c.n_group_used = r.optional_int("expert_group_used_count", 0, 0, c.n_group);
    if (c.n_group > 1) {
      r.check(c.n_expert % c.n_group == 0, "expert_group_count", std::to_string(c.n_group),
              "a divisor of expert_count (" + std::to_string(c.n_expert) + ")");
      r.check(c.n_group_used > 0 && c.n_group_used <= c.n_group, "expert_group_used_count",
              std::to_string(c.n_group_used), "1.." + std::to_string(c.n_group));
      r.check(c.n_expert_used <= c.n_group_used * (c.n_expert / c.n_group), "expert_used_count",
              std::to_string(c.n_expert_used), "at most the experts of the kept groups");
    }
    c.expert_weights_scale = static_cast<float>(r.optional_float("expert_weights_scale", 0.0, -1e6, 1e6));
    c.expert_weights_norm = r.optional_bool("expert_weights_norm", false);
    c.gating = static_cast<int32_t>(r.optional_int("expert_gating_func", 1, 0, 4));
    if (c.gating == 0) c.gating = 1;
    r.check(c.gating == 1 || c.gating == 2, "expert_gating_func", std::to_string(c.gating),
            "1 (softmax) or 2 (sigmoid) for deepseek2");
  }

  const std::string scaling = r.optional_string("rope.scaling.type", "none");
  if (scaling == "yarn") {
    c.yarn_factor = static_cast<float>(r.optional_float("rope.scaling.factor", 1.0, 0.0, 1e6));
    if (c.yarn_factor == 0.0f) c.yarn_factor = 1.0f;
    c.yarn = c.yarn_factor > 1.0f;
    c.yarn_orig_ctx = r.optional_int("rope.scaling.original_context_length", c.n_ctx_train, 1, int64_t{1} << 40);
    // Stored as 0.1 * mscale_all_dim (a deepseek2 convention, spec §6.1).
    const double log_mul = r.optional_float("rope.scaling.yarn_log_multiplier", -1.0, -1.0, 100.0);
    if (c.yarn && log_mul < 0.0)
      r.missing("rope.scaling.yarn_log_multiplier", "rope.scaling.type is yarn (files without it are not supported)");
    c.yarn_mscale_all_dim = static_cast<float>(log_mul / 0.1);
  } else if (scaling != "none" && scaling != "linear") {
    r.unsupported("rope.scaling.type", scaling, "none, linear (factor 1) or yarn");
  } else if (scaling == "linear") {
    double factor = r.optional_float("rope.scaling.factor", 1.0, 0.0, 1e6);
    if (factor != 0.0 && factor != 1.0)
      r.unsupported("rope.scaling.factor", std::to_string(factor), "1 with rope.scaling.type linear");
  }

  const gguf::TensorInfo *embd = f.find_tensor("token_embd.weight");
  if (!embd) fail(DSV4_ERR_FORMAT, f.path() + ": missing tensor 'token_embd.weight'");
  c.n_vocab = embd->ne[1];
  c.tied_output = f.find_tensor("output.weight") == nullptr;
  return c;
}

std::vector<std::string> Deepseek2Config::describe() const {
  auto kv = [](const char *k, const std::string &v) { return std::string(k) + " = " + v; };
  auto i = [](int64_t v) { return std::to_string(v); };
  auto fl = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  return {kv("n_layer", i(n_layer)), kv("n_ctx_train", i(n_ctx_train)), kv("n_embd", i(n_embd)),
          kv("n_vocab", i(n_vocab)), kv("n_head", i(n_head)), kv("q_lora_rank", i(q_lora_rank)),
          kv("kv_lora_rank", i(kv_lora_rank)), kv("d_nope/d_rope/d_v", i(d_nope) + "/" + i(d_rope) + "/" + i(d_v)),
          kv("mla_layout", mla_split ? "split attn_k_b/attn_v_b" : "legacy attn_kv_b"),
          kv("n_dense_lead", i(n_dense_lead)), kv("n_ff", i(n_ff)),
          kv("experts (total/used/shared)", i(n_expert) + "/" + i(n_expert_used) + "/" + i(n_expert_shared)),
          kv("n_ff_exp", i(n_ff_exp)), kv("groups (total/used)", i(n_group) + "/" + i(n_group_used)),
          kv("gating", gating == 2 ? "sigmoid" : "softmax"), kv("expert_weights_norm", expert_weights_norm ? "true" : "false"),
          kv("expert_weights_scale", fl(expert_weights_scale)), kv("rms_eps", fl(rms_eps)),
          kv("rope_base", fl(rope_base)),
          kv("yarn", yarn ? "factor " + fl(yarn_factor) + ", original ctx " + i(yarn_orig_ctx) + ", mscale_all_dim " + fl(yarn_mscale_all_dim) : "off"),
          kv("kq_scale", fl(kq_scale())), kv("output", tied_output ? "tied to token_embd" : "output.weight")};
}

}  // namespace dsv4
