// Named model shapes of the model maker.
#include <string>

#include "common/error.h"
#include "model/maker/maker.h"

namespace dsv4::maker {

namespace {

// ../shared/testdata ds3-tiny-f32: V3-like (q LoRA, sigmoid router + selection bias, groups).
// The vocabulary is the synthetic byte-level one (512 entries) unless one is given.
ModelSpec ds2_tiny() {
  ModelSpec s;
  s.arch = Arch::kDeepseek2;
  s.name = "deepseek2-tiny";
  Deepseek2Shape &c = s.ds2;
  c.n_layer = 4;
  c.n_dense_lead = 1;
  c.n_embd = 32;
  c.n_ff = 128;
  c.n_head = 4;
  c.q_lora_rank = 96;
  c.kv_lora_rank = 64;
  c.d_nope = 48;
  c.d_rope = 16;
  c.d_v = 64;
  c.n_vocab = 512;
  c.n_expert = 16;
  c.n_expert_shared = 1;
  c.n_expert_used = 4;
  c.n_ff_exp = 256;
  c.n_group = 4;
  c.n_group_used = 2;
  c.sigmoid_gating = true;
  c.weights_norm = true;
  c.weights_scale = 2.5f;
  c.n_ctx_train = 4096;
  s.default_type = TypeMix::kF32;
  return s;
}

// Big enough for the SIMD main loops and the thread split (hidden 1024, rows that are multiples
// of 256), small on disk: one dense and one MoE layer and a 4096-entry vocabulary.
ModelSpec ds2_mid() {
  ModelSpec s;
  s.arch = Arch::kDeepseek2;
  s.name = "deepseek2-mid";
  Deepseek2Shape &c = s.ds2;
  c.n_layer = 2;
  c.n_dense_lead = 1;
  c.n_embd = 1024;
  c.n_ff = 2816;
  c.n_head = 8;
  c.q_lora_rank = 512;
  c.kv_lora_rank = 256;
  c.d_nope = 64;
  c.d_rope = 32;
  c.d_v = 64;
  c.n_vocab = 4096;
  c.n_expert = 16;
  c.n_expert_shared = 1;
  c.n_expert_used = 4;
  c.n_ff_exp = 512;
  c.n_group = 4;
  c.n_group_used = 2;
  c.sigmoid_gating = true;
  c.weights_norm = true;
  c.weights_scale = 2.5f;
  c.n_ctx_train = 4096;
  s.default_type = TypeMix::kQ4_K_M;
  return s;
}

// DeepSeek-V2-Lite's layer shape (deepseek-v3.md §1.1) with 16 layers instead of 27.
ModelSpec ds2_bench_v2lite16() {
  ModelSpec s;
  s.arch = Arch::kDeepseek2;
  s.name = "deepseek2-bench-v2lite16";
  Deepseek2Shape &c = s.ds2;
  c.n_layer = 16;
  c.n_dense_lead = 1;
  c.n_embd = 2048;
  c.n_ff = 10944;
  c.n_head = 16;
  c.q_lora_rank = 0;
  c.kv_lora_rank = 512;
  c.d_nope = 128;
  c.d_rope = 64;
  c.d_v = 128;
  c.n_vocab = 102400;
  c.n_expert = 64;
  c.n_expert_shared = 2;
  c.n_expert_used = 6;
  c.n_ff_exp = 1408;
  c.n_group = 1;
  c.n_group_used = 1;
  c.sigmoid_gating = false;
  c.weights_norm = false;
  c.weights_scale = 1.0f;
  c.n_ctx_train = 163840;
  c.yarn = true;
  c.yarn_factor = 40.0f;
  c.yarn_orig_ctx = 4096;
  c.yarn_mscale_all_dim = 0.707f;
  c.yarn_beta_fast = 32.0f;
  c.yarn_beta_slow = 1.0f;
  s.default_type = TypeMix::kQ4_K_M;
  s.default_vocab = "vocab/ggml-vocab-deepseek-llm.gguf";
  return s;
}

// A V3-like model of about 250 M parameters with the real V3 vocabulary, for the demo.
ModelSpec ds2_demo() {
  ModelSpec s;
  s.arch = Arch::kDeepseek2;
  s.name = "deepseek2-demo";
  Deepseek2Shape &c = s.ds2;
  c.n_layer = 5;
  c.n_dense_lead = 1;
  c.n_embd = 512;
  c.n_ff = 1536;
  c.n_head = 8;
  c.q_lora_rank = 512;
  c.kv_lora_rank = 256;
  c.d_nope = 64;
  c.d_rope = 32;
  c.d_v = 64;
  c.n_vocab = 129280;
  c.n_expert = 32;
  c.n_expert_shared = 1;
  c.n_expert_used = 4;
  c.n_ff_exp = 512;
  c.n_group = 4;
  c.n_group_used = 2;
  c.sigmoid_gating = true;
  c.weights_norm = true;
  c.weights_scale = 2.5f;
  c.n_ctx_train = 163840;
  c.yarn = true;
  c.yarn_factor = 40.0f;
  c.yarn_orig_ctx = 4096;
  c.yarn_mscale_all_dim = 1.0f;
  c.yarn_beta_fast = 32.0f;
  c.yarn_beta_slow = 1.0f;
  s.default_type = TypeMix::kQ4_K_M;
  s.default_vocab = "tokenizer/deepseek-v3/tokenizer.json";
  return s;
}

// ../shared/testdata dsv4-tiny-f32: window, CSA, HCA, CSA layers; the first two hash-routed.
ModelSpec ds4_tiny() {
  ModelSpec s;
  s.arch = Arch::kDeepseek4;
  s.name = "deepseek4-tiny";
  Deepseek4Shape &c = s.ds4;
  c.n_layer = 4;
  c.n_embd = 64;
  c.n_head = 4;
  c.head_dim = 128;
  c.d_rope = 32;
  c.q_lora_rank = 64;
  c.o_groups = 2;
  c.o_lora_rank = 32;
  c.n_vocab = 512;
  c.n_expert = 16;
  c.n_expert_shared = 1;
  c.n_expert_used = 4;
  c.n_ff_exp = 64;
  c.n_hash_layers = 2;
  c.weights_scale = 1.5f;
  c.weights_norm = true;
  c.swiglu_limit = 1.5f;
  c.window = 16;
  c.compress_ratios = {0, 4, 128, 4, 0};  // + the MTP slot, as the converter writes it
  c.rope_theta = 10000.0f;
  c.compress_rope_theta = 160000.0f;
  c.yarn_factor = 16.0f;
  c.yarn_orig_ctx = 65536;
  c.n_ctx_train = 1048576;
  c.indexer_heads = 8;
  c.indexer_head_dim = 64;
  c.indexer_top_k = 8;
  s.default_type = TypeMix::kF32;
  return s;
}

// V4-Flash's layer shape (deepseek-v4.md §2.1) with 3 layers: window, CSA, HCA; the first two
// hash-routed. About 12.9 GB with the converter's types.
ModelSpec ds4_bench_v4flash3() {
  ModelSpec s;
  s.arch = Arch::kDeepseek4;
  s.name = "deepseek4-bench-v4flash3";
  Deepseek4Shape &c = s.ds4;
  c.n_layer = 3;
  c.n_embd = 4096;
  c.n_head = 64;
  c.head_dim = 512;
  c.d_rope = 64;
  c.q_lora_rank = 1024;
  c.o_groups = 8;
  c.o_lora_rank = 1024;
  c.n_vocab = 129280;
  c.n_expert = 256;
  c.n_expert_shared = 1;
  c.n_expert_used = 6;
  c.n_ff_exp = 2048;
  c.n_hash_layers = 2;
  c.weights_scale = 1.5f;
  c.weights_norm = true;
  c.swiglu_limit = 10.0f;
  c.window = 128;
  c.compress_ratios = {0, 4, 128, 0};
  c.rope_theta = 10000.0f;
  c.compress_rope_theta = 160000.0f;
  c.yarn_factor = 16.0f;
  c.yarn_orig_ctx = 65536;
  c.n_ctx_train = 1048576;
  c.indexer_heads = 64;
  c.indexer_head_dim = 128;
  c.indexer_top_k = 512;
  s.default_type = TypeMix::kMXFP4_MoE;
  s.default_vocab = "vocab/ggml-vocab-deepseek-v3.gguf";
  return s;
}

struct PresetEntry {
  Arch arch;
  const char *name;
  ModelSpec (*make)();
};

constexpr PresetEntry kPresets[] = {
    {Arch::kDeepseek2, "tiny", ds2_tiny},
    {Arch::kDeepseek2, "mid", ds2_mid},
    {Arch::kDeepseek2, "bench-v2lite16", ds2_bench_v2lite16},
    {Arch::kDeepseek2, "demo", ds2_demo},
    {Arch::kDeepseek4, "tiny", ds4_tiny},
    {Arch::kDeepseek4, "bench-v4flash3", ds4_bench_v4flash3},
};

}  // namespace

const char *arch_name(Arch arch) { return arch == Arch::kDeepseek2 ? "deepseek2" : "deepseek4"; }

Arch arch_from_name(std::string_view name) {
  if (name == "deepseek2") return Arch::kDeepseek2;
  if (name == "deepseek4") return Arch::kDeepseek4;
  fail(DSV4_ERR_INVALID_ARGUMENT, "unknown architecture '" + std::string(name) + "'; choose deepseek2 or deepseek4");
}

std::vector<std::string> preset_names(Arch arch) {
  std::vector<std::string> names;
  for (const PresetEntry &p : kPresets)
    if (p.arch == arch) names.emplace_back(p.name);
  return names;
}

ModelSpec preset(Arch arch, std::string_view name) {
  for (const PresetEntry &p : kPresets)
    if (p.arch == arch && name == p.name) return p.make();
  std::string known;
  for (const std::string &n : preset_names(arch)) known += (known.empty() ? "" : ", ") + n;
  fail(DSV4_ERR_INVALID_ARGUMENT, "unknown " + std::string(arch_name(arch)) + " preset '" + std::string(name) +
                                      "'; choose one of " + known);
}

}  // namespace dsv4::maker
