// Shape checks before anything is written: what the tensor shapes and llama.cpp's loaders need.
#include <string>

#include "common/error.h"
#include "model/maker/maker.h"

namespace dsv4::maker {

namespace {

class Checker {
 public:
  explicit Checker(std::string what) : what_(std::move(what)) {}
  void positive(const char *field, int64_t v) const { require(v > 0, field, v, "must be > 0"); }
  void require(bool ok, const char *field, int64_t v, const std::string &rule) const {
    if (!ok) fail(DSV4_ERR_INVALID_ARGUMENT, what_ + ": " + field + " = " + std::to_string(v) + " " + rule);
  }

 private:
  std::string what_;
};

void validate_ds2(const Deepseek2Shape &c, const std::string &name) {
  const Checker k(name + " (deepseek2)");
  k.positive("num_hidden_layers", c.n_layer);
  k.require(c.n_dense_lead >= 0 && c.n_dense_lead <= c.n_layer, "first_k_dense_replace", c.n_dense_lead,
            "must be in [0, num_hidden_layers]");
  k.positive("hidden_size", c.n_embd);
  if (c.n_dense_lead > 0) k.positive("intermediate_size", c.n_ff);
  k.positive("num_attention_heads", c.n_head);
  k.require(c.q_lora_rank >= 0, "q_lora_rank", c.q_lora_rank, "must be >= 0 (0: no q LoRA)");
  k.positive("kv_lora_rank", c.kv_lora_rank);
  k.positive("qk_nope_head_dim", c.d_nope);
  k.require(c.d_rope > 0 && c.d_rope % 2 == 0, "qk_rope_head_dim", c.d_rope, "must be even and > 0");
  k.positive("v_head_dim", c.d_v);
  k.positive("vocab_size", c.n_vocab);
  k.positive("max_position_embeddings", c.n_ctx_train);
  if (c.n_dense_lead < c.n_layer) {
    k.positive("n_routed_experts", c.n_expert);
    k.require(c.n_expert_used > 0 && c.n_expert_used <= c.n_expert, "num_experts_per_tok", c.n_expert_used,
              "must be in [1, n_routed_experts]");
    k.positive("moe_intermediate_size", c.n_ff_exp);
    k.require(c.n_expert_shared >= 0, "n_shared_experts", c.n_expert_shared, "must be >= 0");
    k.require(c.n_group >= 1 && c.n_expert % c.n_group == 0, "n_group", c.n_group,
              "must be >= 1 and divide n_routed_experts");
    if (c.n_group > 1)
      k.require(c.n_group_used >= 1 && c.n_group_used <= c.n_group, "topk_group", c.n_group_used,
                "must be in [1, n_group]");
  }
  if (c.yarn) k.positive("rope_scaling.original_max_position_embeddings", c.yarn_orig_ctx);
}

void validate_ds4(const Deepseek4Shape &c, const std::string &name) {
  const Checker k(name + " (deepseek4)");
  k.positive("num_hidden_layers", c.n_layer);
  k.positive("hidden_size", c.n_embd);
  k.positive("num_attention_heads", c.n_head);
  k.positive("head_dim", c.head_dim);
  k.require(c.d_rope > 0 && c.d_rope % 2 == 0 && c.d_rope <= c.head_dim, "qk_rope_head_dim", c.d_rope,
            "must be even, > 0 and <= head_dim");
  k.positive("q_lora_rank", c.q_lora_rank);
  k.require(c.o_groups > 0 && (c.n_head * c.head_dim) % c.o_groups == 0, "o_groups", c.o_groups,
            "must be > 0 and divide num_attention_heads * head_dim");
  k.positive("o_lora_rank", c.o_lora_rank);
  k.positive("vocab_size", c.n_vocab);
  k.positive("n_routed_experts", c.n_expert);
  k.require(c.n_expert_used > 0 && c.n_expert_used <= c.n_expert, "num_experts_per_tok", c.n_expert_used,
            "must be in [1, n_routed_experts]");
  k.require(c.n_expert_shared >= 0, "n_shared_experts", c.n_expert_shared, "must be >= 0");
  k.positive("moe_intermediate_size", c.n_ff_exp);
  k.require(c.n_hash_layers >= 0 && c.n_hash_layers <= c.n_layer, "num_hash_layers", c.n_hash_layers,
            "must be in [0, num_hidden_layers]");
  k.positive("sliding_window", c.window);
  k.positive("max_position_embeddings", c.n_ctx_train);
  k.require(static_cast<int64_t>(c.compress_ratios.size()) >= c.n_layer, "compress_ratios entries",
            static_cast<int64_t>(c.compress_ratios.size()), "must be >= num_hidden_layers");
  bool has_csa = false;
  for (int32_t r : c.compress_ratios) {
    k.require(r == 0 || r == 4 || r == 128, "compress_ratios entry", r, "must be 0, 4 or 128 (llama.cpp's values)");
    has_csa = has_csa || r == 4;
  }
  if (has_csa) {
    k.positive("index_n_heads", c.indexer_heads);
    k.require(c.indexer_head_dim == 64 || c.indexer_head_dim == 128, "index_head_dim", c.indexer_head_dim,
              "must be 64 or 128 (llama.cpp's indexer Hadamard sizes)");
    k.positive("index_topk", c.indexer_top_k);
  }
  k.require(c.hc_mult == 4, "hc_mult", c.hc_mult, "must be 4 (llama.cpp asserts it)");
  k.positive("hc_sinkhorn_iters", c.hc_sinkhorn_iters);
}

}  // namespace

void validate(const ModelSpec &spec) {
  if (spec.arch == Arch::kDeepseek2) validate_ds2(spec.ds2, spec.name);
  else validate_ds4(spec.ds4, spec.name);
}

}  // namespace dsv4::maker
