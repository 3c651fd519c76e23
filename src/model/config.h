// Model hyper-parameters: GGUF metadata -> one plain struct per architecture, validated once at
// load with messages that name the key, the value and what is allowed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4 {
namespace gguf {
class File;
}

// DeepSeek V2 / V2-Lite / V3 / R1 (GGUF "deepseek2"), ../shared/spec/deepseek-v3.md §1, §6.
struct Deepseek2Config {
  int64_t n_layer = 0;        // main-model blocks (block_count minus MTP layers)
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;         // D
  int64_t n_vocab = 0;        // ne1 of token_embd
  int64_t n_ff = 0;           // width of the leading dense FFN layers
  int64_t n_dense_lead = 0;   // leading_dense_block_count
  int64_t n_head = 0;         // H
  int64_t q_lora_rank = 0;    // 0: direct attn_q
  int64_t kv_lora_rank = 0;   // c
  int64_t d_nope = 0;
  int64_t d_rope = 0;
  int64_t d_v = 0;
  bool mla_split = true;      // attn_k_b/attn_v_b (true) or legacy attn_kv_b (false)
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_expert_shared = 0;
  int64_t n_ff_exp = 0;       // routed expert width; shared width = n_ff_exp * n_expert_shared
  int64_t n_group = 0;        // expert_group_count (group limit applies when > 1)
  int64_t n_group_used = 0;
  float expert_weights_scale = 0.0f;  // applied when neither 0 nor 1
  bool expert_weights_norm = false;
  int32_t gating = 1;         // 1 softmax, 2 sigmoid
  float rms_eps = 1e-6f;
  float rope_base = 10000.0f;
  bool yarn = false;
  float yarn_factor = 1.0f;
  int64_t yarn_orig_ctx = 0;
  float yarn_mscale_all_dim = 0.0f;   // yarn_log_multiplier / 0.1
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;
  bool tied_output = false;   // no output.weight: token_embd is the head

  int64_t d_qk() const { return d_nope + d_rope; }
  // Softmax scale m^2 / sqrt(d_qk) (spec §2, YaRN).
  float kq_scale() const;
  bool is_moe_layer(int64_t il) const { return il >= n_dense_lead; }

  static Deepseek2Config from_gguf(const gguf::File &file);
  // Human-readable "key = value" lines, for `dsv4 info`.
  std::vector<std::string> describe() const;
};

// DeepSeek V4-Flash / V4-Pro (GGUF "deepseek4"), ../shared/spec/deepseek-v4.md §2, §7.1. Read the
// way llama.cpp's deepseek4 loader reads it (the test logits follow llama.cpp).
struct Deepseek4Config {
  int64_t n_layer = 0;          // main-model blocks (block_count minus nextn_predict_layers)
  int64_t n_nextn = 0;          // MTP blocks in the file (not evaluated)
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;           // D
  int64_t n_vocab = 0;          // ne1 of token_embd
  int64_t n_head = 0;           // H query heads; one shared K=V head
  int64_t head_dim = 0;         // hd (512 in V4): key_length = value_length
  int64_t d_rope = 0;           // rd: the LAST rd dims of every head / kv row / index head rotate
  int64_t q_lora_rank = 0;
  int64_t o_groups = 0;         // G
  int64_t o_lora_rank = 0;      // R: wo_a maps each group's (H/G)·hd values to R
  int64_t window = 0;           // W, sliding window (window ring rows)
  std::vector<int32_t> compress_ratio;  // [n_layer]: 0 window only, 4 CSA, 128 HCA (§2.2)
  float rope_base = 10000.0f;           // ratio-0 layers, no YaRN
  float compress_rope_base = 10000.0f;  // ratio > 0 layers, with YaRN
  float yarn_factor = 1.0f;             // YaRN on compressed layers when > 1
  int64_t yarn_orig_ctx = 0;
  float yarn_beta_fast = 32.0f;         // llama.cpp's deepseek4 loader ignores the file's betas
  float yarn_beta_slow = 1.0f;
  int64_t idx_n_head = 0;       // lightning indexer (CSA layers)
  int64_t idx_head_dim = 0;     // a power of two (the Hadamard rotation, §3.8)
  int64_t idx_top_k = 0;
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_expert_shared = 0;  // shared width = n_ff_exp · n_expert_shared
  int64_t n_ff_exp = 0;
  float expert_weights_scale = 1.0f;
  bool expert_weights_norm = true;
  std::vector<float> clamp_exp;     // [n_layer] routed-expert SwiGLU limit
  std::vector<float> clamp_shexp;   // [n_layer] shared-expert limit; <= 1e-6: none (§4.6 ruling)
  bool clamp_shexp_in_file = false; // false: copied from clamp_exp, as llama.cpp does
  int64_t n_hash_layer = 0;         // layers il < n_hash_layer route by token id
  int64_t n_hc = 4;                 // residual streams
  int32_t sinkhorn_iters = 20;
  float hc_eps = 1e-6f;
  float rms_eps = 1e-6f;

  int64_t d_nope() const { return head_dim - d_rope; }
  int32_t ratio(int64_t il) const { return compress_ratio[static_cast<size_t>(il)]; }
  bool is_hash_layer(int64_t il) const { return il < n_hash_layer; }
  int64_t n_hc_mix() const { return (2 + n_hc) * n_hc; }
  float kq_scale() const;  // head_dim^-0.5: no YaRN magnitude factor in V4 (§3.4)

  static Deepseek4Config from_gguf(const gguf::File &file);
  // The published configurations (spec §2.1): "v4-flash", "v4-pro"; nullopt-like empty n_layer
  // for an unknown name.
  static Deepseek4Config preset(const std::string &name);
  std::vector<std::string> describe() const;
};

}  // namespace dsv4
