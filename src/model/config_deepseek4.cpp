// deepseek4 GGUF metadata -> Deepseek4Config (spec §7.1), validated once at load. Every failure
// names the file and the full key (FORMAT), or says which valid value is not handled (UNSUPPORTED).
#include <cmath>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "format/gguf.h"
#include "model/config.h"
#include "model/metadata.h"

namespace dsv4 {
namespace {

// A per-layer f32 array key (swiglu_clamp_*): an array of >= n entries, or one scalar for all.
std::vector<float> per_layer_floats(const gguf::File &f, const MetaReader &r, const std::string &key, int64_t n) {
  const gguf::Value *v = f.find(r.full_key(key));
  if (!v) r.missing(key, "");
  std::vector<float> out;
  if (v->type == gguf::ValueType::F32 || v->type == gguf::ValueType::F64) {
    out.assign(static_cast<size_t>(n), static_cast<float>(v->f));
  } else if (v->type == gguf::ValueType::ARRAY && !v->floats.empty()) {
    r.check(static_cast<int64_t>(v->floats.size()) >= n, key, std::to_string(v->floats.size()) + " entries",
            "at least one per layer (" + std::to_string(n) + ")");
    for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<float>(v->floats[static_cast<size_t>(i)]));
  } else {
    r.check(false, key, std::string("a value of type ") + gguf::value_type_name(v->type), "an f32 array");
  }
  for (int64_t i = 0; i < n; ++i)
    r.check(std::isfinite(out[static_cast<size_t>(i)]) && out[static_cast<size_t>(i)] >= 0.0f, key,
            std::to_string(out[static_cast<size_t>(i)]) + " (layer " + std::to_string(i) + ")", "a finite value >= 0");
  return out;
}

}  // namespace

float Deepseek4Config::kq_scale() const { return 1.0f / std::sqrt(static_cast<float>(head_dim)); }

Deepseek4Config Deepseek4Config::from_gguf(const gguf::File &f) {
  MetaReader r(f, "deepseek4");
  Deepseek4Config c;
  const int64_t block_count = r.required_int("block_count", 1, 4096);
  c.n_nextn = r.optional_int("nextn_predict_layers", 0, 0, block_count - 1);
  c.n_layer = block_count - c.n_nextn;
  c.n_ctx_train = r.required_int("context_length", 1, int64_t{1} << 40);
  c.n_embd = r.required_int("embedding_length", 1, 1 << 20);
  c.n_head = r.required_int("attention.head_count", 1, 4096);
  const int64_t n_head_kv = r.optional_int("attention.head_count_kv", 1, 0, 4096);
  r.check(n_head_kv == 1, "attention.head_count_kv", std::to_string(n_head_kv), "1 (one shared K=V head)");
  c.head_dim = r.required_int("attention.key_length", 2, 1 << 16);
  const int64_t v_len = r.required_int("attention.value_length", 1, 1 << 16);
  r.check(v_len == c.head_dim, "attention.value_length", std::to_string(v_len),
          "attention.key_length (" + std::to_string(c.head_dim) + "): every cached row is both key and value");
  c.rms_eps = static_cast<float>(r.required_float("attention.layer_norm_rms_epsilon", 0.0, 1.0));
  c.q_lora_rank = r.required_int("attention.q_lora_rank", 1, 1 << 16);
  c.o_lora_rank = r.required_int("attention.output_lora_rank", 1, 1 << 16);
  c.o_groups = r.required_int("attention.output_group_count", 1, c.n_head);
  r.check(c.n_head % c.o_groups == 0, "attention.output_group_count", std::to_string(c.o_groups),
          "a divisor of attention.head_count (" + std::to_string(c.n_head) + ")");
  c.window = r.required_int("attention.sliding_window", 1, 1 << 20);
  c.d_rope = r.required_int("rope.dimension_count", 2, c.head_dim);
  r.check(c.d_rope % 2 == 0, "rope.dimension_count", std::to_string(c.d_rope), "an even number");

  // compress_ratios: one entry per block (the converter also writes the MTP entries).
  const std::vector<int64_t> ratios = r.required_int_array("attention.compress_ratios");
  r.check(static_cast<int64_t>(ratios.size()) >= block_count, "attention.compress_ratios",
          std::to_string(ratios.size()) + " entries", "at least block_count (" + std::to_string(block_count) + ")");
  bool any_compressed = false, any_csa = false;
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const int64_t v = ratios[static_cast<size_t>(il)];
    r.check(v == 0 || v == 4 || v == 128, "attention.compress_ratios",
            std::to_string(v) + " (layer " + std::to_string(il) + ")", "0, 4 or 128");
    c.compress_ratio.push_back(static_cast<int32_t>(v));
    any_compressed |= v > 0;
    any_csa |= v == 4;
  }

  c.rope_base = static_cast<float>(r.optional_float("rope.freq_base", 10000.0, 1e-3, 1e12));
  if (any_compressed) {
    if (!r.has("attention.compress_rope_freq_base"))
      r.missing("attention.compress_rope_freq_base", "layers with compress ratio 4 or 128");
    c.compress_rope_base = static_cast<float>(r.required_float("attention.compress_rope_freq_base", 1e-3, 1e12));
  }
  const std::string scaling = r.optional_string("rope.scaling.type", "none");
  if (scaling == "yarn") {
    c.yarn_factor = static_cast<float>(r.required_float("rope.scaling.factor", 0.0, 1e6));
    if (c.yarn_factor < 1.0f) c.yarn_factor = 1.0f;
    c.yarn_orig_ctx = r.required_int("rope.scaling.original_context_length", 1, int64_t{1} << 40);
    // rope.scaling.yarn_beta_fast / _slow are not read, as in llama.cpp (spec §7.1): 32 / 1.
  } else if (scaling != "none") {
    r.unsupported("rope.scaling.type", scaling, "none or yarn");
  }

  if (any_csa) {
    c.idx_n_head = r.required_int("attention.indexer.head_count", 1, 4096);
    c.idx_head_dim = r.required_int("attention.indexer.key_length", 32, 1 << 12);
    r.check((c.idx_head_dim & (c.idx_head_dim - 1)) == 0 && c.idx_head_dim >= c.d_rope,
            "attention.indexer.key_length", std::to_string(c.idx_head_dim),
            "a power of two >= rope.dimension_count (Hadamard rotation of the index keys)");
    c.idx_top_k = r.required_int("attention.indexer.top_k", 1, 1 << 24);
  }

  c.n_expert = r.required_int("expert_count", 1, 1 << 16);
  c.n_expert_used = r.required_int("expert_used_count", 1, c.n_expert);
  c.n_expert_shared = r.optional_int("expert_shared_count", 1, 0, 1 << 10);
  c.n_ff_exp = r.required_int("expert_feed_forward_length", 1, 1 << 20);
  c.expert_weights_scale = static_cast<float>(r.optional_float("expert_weights_scale", 1.0, -1e6, 1e6));
  c.expert_weights_norm = r.optional_bool("expert_weights_norm", true);
  const int64_t gating = r.optional_int("expert_gating_func", 4, 0, 16);
  if (gating != 4) r.unsupported("expert_gating_func", std::to_string(gating), "4 (sqrt-softplus) for deepseek4");
  c.n_hash_layer = r.optional_int("hash_layer_count", 0, 0, c.n_layer);
  c.clamp_exp = per_layer_floats(f, r, "swiglu_clamp_exp", c.n_layer);
  c.clamp_shexp_in_file = r.has("swiglu_clamp_shexp");
  c.clamp_shexp = c.clamp_shexp_in_file ? per_layer_floats(f, r, "swiglu_clamp_shexp", c.n_layer) : c.clamp_exp;

  c.n_hc = r.required_int("hyper_connection.count", 1, 64);
  c.sinkhorn_iters = static_cast<int32_t>(r.required_int("hyper_connection.sinkhorn_iterations", 1, 1000));
  c.hc_eps = static_cast<float>(r.required_float("hyper_connection.epsilon", 0.0, 1.0));

  const gguf::TensorInfo *embd = f.find_tensor("token_embd.weight");
  if (!embd) fail(DSV4_ERR_FORMAT, f.path() + ": missing tensor 'token_embd.weight'");
  c.n_vocab = embd->ne[1];
  const int64_t vocab_key = r.optional_int("vocab_size", c.n_vocab, 1, int64_t{1} << 31);
  r.check(vocab_key == c.n_vocab, "vocab_size", std::to_string(vocab_key),
          "the rows of token_embd.weight (" + std::to_string(c.n_vocab) + ")");
  return c;
}

Deepseek4Config Deepseek4Config::preset(const std::string &name) {
  // Spec §2.1 / §2.2 (backbone only; the MTP block is not evaluated).
  Deepseek4Config c;
  const bool flash = name == "v4-flash", pro = name == "v4-pro";
  if (!flash && !pro) return c;
  c.n_layer = flash ? 43 : 61;
  c.n_ctx_train = 1048576;
  c.n_embd = flash ? 4096 : 7168;
  c.n_vocab = 129280;
  c.n_head = flash ? 64 : 128;
  c.head_dim = 512;
  c.d_rope = 64;
  c.q_lora_rank = flash ? 1024 : 1536;
  c.o_groups = flash ? 8 : 16;
  c.o_lora_rank = 1024;
  c.window = 128;
  for (int64_t il = 0; il < c.n_layer; ++il) {
    int32_t r = il % 2 == 0 ? 4 : 128;
    if (il < 2) r = flash ? 0 : 128;
    c.compress_ratio.push_back(r);
  }
  c.rope_base = 10000.0f;
  c.compress_rope_base = 160000.0f;
  c.yarn_factor = 16.0f;
  c.yarn_orig_ctx = 65536;
  c.idx_n_head = 64;
  c.idx_head_dim = 128;
  c.idx_top_k = flash ? 512 : 1024;
  c.n_expert = flash ? 256 : 384;
  c.n_expert_used = 6;
  c.n_expert_shared = 1;
  c.n_ff_exp = flash ? 2048 : 3072;
  c.expert_weights_scale = flash ? 1.5f : 2.5f;
  c.clamp_exp.assign(static_cast<size_t>(c.n_layer), 10.0f);
  c.clamp_shexp = c.clamp_exp;
  c.n_hash_layer = 3;
  return c;
}

std::vector<std::string> Deepseek4Config::describe() const {
  auto kv = [](const char *k, const std::string &v) { return std::string(k) + " = " + v; };
  auto i = [](int64_t v) { return std::to_string(v); };
  auto fl = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  std::string ratios;
  for (int32_t v : compress_ratio) {
    if (!ratios.empty()) ratios += ',';
    ratios += std::to_string(v);
  }
  std::string layers = i(n_layer);
  if (n_nextn) layers += std::string(" (+") + i(n_nextn) + " MTP, not evaluated)";
  return {kv("n_layer", layers),
          kv("n_ctx_train", i(n_ctx_train)), kv("n_embd", i(n_embd)), kv("n_vocab", i(n_vocab)),
          kv("n_head / head_dim / d_rope", i(n_head) + " / " + i(head_dim) + " / " + i(d_rope)),
          kv("q_lora_rank", i(q_lora_rank)), kv("output groups / rank", i(o_groups) + " / " + i(o_lora_rank)),
          kv("sliding_window", i(window)), kv("compress_ratios", ratios),
          kv("rope_base / compress_rope_base", fl(rope_base) + " / " + fl(compress_rope_base)),
          kv("yarn (compressed layers)", yarn_factor > 1.0f ? "factor " + fl(yarn_factor) + ", original ctx " + i(yarn_orig_ctx) : "off"),
          kv("indexer heads / dim / top_k", i(idx_n_head) + " / " + i(idx_head_dim) + " / " + i(idx_top_k)),
          kv("experts (total/used/shared)", i(n_expert) + "/" + i(n_expert_used) + "/" + i(n_expert_shared)),
          kv("n_ff_exp", i(n_ff_exp)), kv("expert_weights_scale", fl(expert_weights_scale)),
          kv("hash layers", i(n_hash_layer)),
          kv("shared-expert clamp", clamp_shexp_in_file ? "swiglu_clamp_shexp" : "swiglu_clamp_exp (key absent)"),
          kv("hyper-connections / sinkhorn iters", i(n_hc) + " / " + i(sinkhorn_iters)), kv("rms_eps", fl(rms_eps))};
}

}  // namespace dsv4
