// The model maker: random-weight GGUF models of the deepseek2 and deepseek4 architectures that
// dsv4 and llama.cpp load, for tests, benchmarks and demos. Shapes come from a named preset or
// a Hugging Face config.json; metadata is written the way llama.cpp's converter writes it
// (../shared/spec/deepseek-v3.md §6, deepseek-v4.md §7, ../shared/testdata/README.md).
//
// Weights: token_embd ~ N(0, 1), output ~ N(0, 4/D), other matrices ~ N(0, 1/fan_in), norm
// weights ~ 1 + N(0, 0.01) (N(mean, variance)), so activations stay O(1). The same options give
// a byte-identical file on every platform and for every thread count: each row (or block of
// rows) draws from its own stream seeded by (seed, tensor name, row).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4::maker {

enum class Arch { kDeepseek2, kDeepseek4 };

const char *arch_name(Arch arch);               // "deepseek2" / "deepseek4"
Arch arch_from_name(std::string_view name);     // INVALID_ARGUMENT when unknown

// DeepSeek V2 / V2-Lite / V3 shape (deepseek-v3.md §1.1; HF config.json names in comments).
struct Deepseek2Shape {
  int64_t n_layer = 0;          // num_hidden_layers
  int64_t n_dense_lead = 0;     // first_k_dense_replace
  int64_t n_embd = 0;           // hidden_size
  int64_t n_ff = 0;             // intermediate_size (leading dense layers)
  int64_t n_head = 0;           // num_attention_heads
  int64_t q_lora_rank = 0;      // q_lora_rank (0 / null: direct attn_q)
  int64_t kv_lora_rank = 0;     // kv_lora_rank
  int64_t d_nope = 0;           // qk_nope_head_dim
  int64_t d_rope = 0;           // qk_rope_head_dim
  int64_t d_v = 0;              // v_head_dim
  int64_t n_vocab = 0;          // vocab_size (a vocabulary source may decide it instead)
  int64_t n_expert = 0;         // n_routed_experts
  int64_t n_expert_shared = 0;  // n_shared_experts
  int64_t n_expert_used = 0;    // num_experts_per_tok
  int64_t n_ff_exp = 0;         // moe_intermediate_size
  int64_t n_group = 0;          // n_group (written when > 1)
  int64_t n_group_used = 0;     // topk_group
  bool sigmoid_gating = false;  // scoring_func "sigmoid" (adds exp_probs_b) vs "softmax"
  bool weights_norm = false;    // norm_topk_prob
  float weights_scale = 1.0f;   // routed_scaling_factor
  float rms_eps = 1e-6f;        // rms_norm_eps
  float rope_theta = 10000.0f;  // rope_theta
  int64_t n_ctx_train = 4096;   // max_position_embeddings
  bool yarn = false;            // rope_scaling.type == "yarn"
  float yarn_factor = 1.0f;     // rope_scaling.factor
  int64_t yarn_orig_ctx = 0;    // rope_scaling.original_max_position_embeddings
  float yarn_mscale_all_dim = 0.0f;  // rope_scaling.mscale_all_dim
  std::optional<float> yarn_beta_fast, yarn_beta_slow;  // written only when the config has them
};

// DeepSeek V4 shape (deepseek-v4.md §2.1, §7).
struct Deepseek4Shape {
  int64_t n_layer = 0;          // num_hidden_layers
  int64_t n_embd = 0;           // hidden_size
  int64_t n_head = 0;           // num_attention_heads
  int64_t head_dim = 0;         // head_dim
  int64_t d_rope = 0;           // qk_rope_head_dim
  int64_t q_lora_rank = 0;      // q_lora_rank
  int64_t o_groups = 0;         // o_groups
  int64_t o_lora_rank = 0;      // o_lora_rank
  int64_t n_vocab = 0;          // vocab_size
  int64_t n_expert = 0;         // n_routed_experts
  int64_t n_expert_shared = 0;  // n_shared_experts
  int64_t n_expert_used = 0;    // num_experts_per_tok
  int64_t n_ff_exp = 0;         // moe_intermediate_size
  int64_t n_hash_layers = 0;    // num_hash_layers
  float weights_scale = 1.5f;   // routed_scaling_factor
  bool weights_norm = true;     // norm_topk_prob
  float swiglu_limit = 10.0f;   // swiglu_limit (swiglu_clamp_exp and _shexp, per layer)
  int64_t window = 0;           // sliding_window
  std::vector<int32_t> compress_ratios;  // ≥ n_layer entries (the config's list incl. MTP slots)
  float rope_theta = 10000.0f;           // rope_theta
  float compress_rope_theta = 160000.0f; // compress_rope_theta
  float yarn_factor = 16.0f;             // rope_scaling.factor
  int64_t yarn_orig_ctx = 65536;         // rope_scaling.original_max_position_embeddings
  float yarn_beta_fast = 32.0f, yarn_beta_slow = 1.0f;
  int64_t n_ctx_train = 1048576;         // max_position_embeddings
  int64_t indexer_heads = 0;             // index_n_heads
  int64_t indexer_head_dim = 0;          // index_head_dim
  int64_t indexer_top_k = 0;             // index_topk
  int64_t hc_mult = 4;                   // hc_mult
  int64_t hc_sinkhorn_iters = 20;        // hc_sinkhorn_iters
  float hc_eps = 1e-6f;                  // hc_eps
  float rms_eps = 1e-6f;                 // rms_norm_eps
};

// Weight type recipes (`--type`): one ggml type for every matrix, llama.cpp's Q4_K_M mix, or
// the mix llama.cpp's deepseek4 converter writes (MXFP4 routed experts, Q8_0 / BF16 / F32
// elsewhere, deepseek-v4.md §7.2).
enum class TypeMix { kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4_K, kQ6_K, kQ4_K_M, kMXFP4_MoE };

const char *type_mix_name(TypeMix mix);           // "f32" … "q4_k_m", "mxfp4_moe"
TypeMix type_mix_from_name(std::string_view name);  // INVALID_ARGUMENT listing the choices
uint32_t file_type_of(TypeMix mix);               // llama.cpp's general.file_type value

struct ModelSpec {
  Arch arch = Arch::kDeepseek2;
  std::string name;  // general.name
  Deepseek2Shape ds2;
  Deepseek4Shape ds4;
  TypeMix default_type = TypeMix::kF32;
  // Vocabulary used when none is given, relative to the test data folder (../shared/testdata);
  // empty: a small synthetic byte-level vocabulary.
  std::string default_vocab;
};

std::vector<std::string> preset_names(Arch arch);
// INVALID_ARGUMENT naming the known presets when `name` is not one.
ModelSpec preset(Arch arch, std::string_view name);
// A shape from a Hugging Face config.json text (deepseek-v3.md §1.1 keys for deepseek2,
// deepseek-v4.md §2.1 for deepseek4). Missing required keys are INVALID_ARGUMENT naming them.
ModelSpec spec_from_config_json(Arch arch, std::string_view json_text, const std::string &source);

// Checks a shape for what the writer and the loaders need (positive sizes, divisibility,
// ratios 0/4/128, …); INVALID_ARGUMENT naming the field.
void validate(const ModelSpec &spec);

struct Progress {
  uint64_t bytes_done = 0, bytes_total = 0;  // tensor data bytes
  int64_t tensors_done = 0, tensors_total = 0;
  std::string_view tensor;                   // the tensor being written
};

struct MakeOptions {
  ModelSpec spec;
  TypeMix type = TypeMix::kF32;
  uint64_t seed = 0;
  // A vocab GGUF (tokenizer.* keys copied verbatim) or a tokenizer.json (with
  // tokenizer_config.json beside it); empty: the synthetic byte-level vocabulary.
  std::string vocab_path;
  std::string out_path;
  int n_threads = 0;  // 0: hardware threads. The bytes written do not depend on it.
  // Called from the calling thread between pieces of work; returning false cancels (the
  // incomplete file is removed and DSV4_CANCELLED thrown).
  std::function<bool(const Progress &)> progress;
};

struct MakeResult {
  uint64_t file_bytes = 0;
  uint64_t n_params = 0;
  int64_t n_tensors = 0;
  int64_t n_vocab = 0;
};

// Writes the model. Throws dsv4::Error (IO, INVALID_ARGUMENT, FORMAT for a bad vocabulary file,
// CANCELLED); on failure the partial output file is removed.
MakeResult make_model(const MakeOptions &opts);

}  // namespace dsv4::maker
