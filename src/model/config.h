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

}  // namespace dsv4
