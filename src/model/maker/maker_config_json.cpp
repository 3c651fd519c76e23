// Hugging Face config.json -> ModelSpec (deepseek-v3.md §1.1, deepseek-v4.md §2.1).
#include <nlohmann/json.hpp>

#include <string>

#include "common/error.h"
#include "model/maker/maker.h"

namespace dsv4::maker {

namespace {

using json = nlohmann::json;

// Typed access with messages that name the file and the key.
class ConfigReader {
 public:
  ConfigReader(const json &j, std::string source) : j_(j), source_(std::move(source)) {}

  bool present(const char *key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  int64_t integer(const char *key) const {
    if (!present(key)) bad(key, "is missing");
    const json &v = j_.at(key);
    if (!v.is_number_integer()) bad(key, "is not an integer (" + v.dump() + ")");
    return v.get<int64_t>();
  }
  int64_t integer(const char *key, int64_t fallback) const { return present(key) ? integer(key) : fallback; }

  double number(const char *key, double fallback) const {
    if (!present(key)) return fallback;
    const json &v = j_.at(key);
    if (!v.is_number()) bad(key, "is not a number (" + v.dump() + ")");
    return v.get<double>();
  }
  bool boolean(const char *key, bool fallback) const {
    if (!present(key)) return fallback;
    const json &v = j_.at(key);
    if (!v.is_boolean()) bad(key, "is not true/false (" + v.dump() + ")");
    return v.get<bool>();
  }
  std::string string(const char *key, const std::string &fallback) const {
    if (!present(key)) return fallback;
    const json &v = j_.at(key);
    if (!v.is_string()) bad(key, "is not a string (" + v.dump() + ")");
    return v.get<std::string>();
  }
  // A nested object (rope_scaling); nullptr when absent or null.
  const json *object(const char *key) const {
    if (!present(key)) return nullptr;
    if (!j_.at(key).is_object()) bad(key, "is not an object");
    return &j_.at(key);
  }
  std::vector<int32_t> int_list(const char *key) const {
    if (!present(key)) bad(key, "is missing");
    const json &v = j_.at(key);
    if (!v.is_array()) bad(key, "is not a list");
    std::vector<int32_t> out;
    for (const json &x : v) {
      if (!x.is_number_integer()) bad(key, "has a non-integer entry " + x.dump());
      out.push_back(x.get<int32_t>());
    }
    return out;
  }
  ConfigReader nested(const json &obj, const char *key) const { return ConfigReader(obj, source_ + ": " + key); }

  [[noreturn]] void bad(const char *key, const std::string &what) const {
    fail(DSV4_ERR_INVALID_ARGUMENT, source_ + ": '" + key + "' " + what);
  }

 private:
  const json &j_;
  std::string source_;
};

ModelSpec deepseek2_from(const ConfigReader &r) {
  ModelSpec s;
  s.arch = Arch::kDeepseek2;
  s.name = "deepseek2-config";
  s.default_type = TypeMix::kF32;
  Deepseek2Shape &c = s.ds2;
  c.n_embd = r.integer("hidden_size");
  c.n_layer = r.integer("num_hidden_layers");
  c.n_dense_lead = r.integer("first_k_dense_replace", 0);
  c.n_ff = r.integer("intermediate_size");
  c.n_head = r.integer("num_attention_heads");
  c.q_lora_rank = r.integer("q_lora_rank", 0);  // null in V2-Lite: direct q_proj
  c.kv_lora_rank = r.integer("kv_lora_rank");
  c.d_nope = r.integer("qk_nope_head_dim");
  c.d_rope = r.integer("qk_rope_head_dim");
  c.d_v = r.integer("v_head_dim");
  c.n_vocab = r.integer("vocab_size");
  const bool has_moe = c.n_dense_lead < c.n_layer;
  c.n_expert = has_moe ? r.integer("n_routed_experts") : r.integer("n_routed_experts", 0);
  c.n_expert_shared = r.integer("n_shared_experts", 0);
  c.n_expert_used = has_moe ? r.integer("num_experts_per_tok") : r.integer("num_experts_per_tok", 0);
  c.n_ff_exp = has_moe ? r.integer("moe_intermediate_size") : r.integer("moe_intermediate_size", 0);
  c.n_group = r.integer("n_group", 1);
  c.n_group_used = r.integer("topk_group", 1);
  const std::string scoring = r.string("scoring_func", "softmax");
  if (scoring != "softmax" && scoring != "sigmoid") r.bad("scoring_func", "is '" + scoring + "'; deepseek2 has softmax or sigmoid");
  c.sigmoid_gating = scoring == "sigmoid";
  c.weights_norm = r.boolean("norm_topk_prob", false);
  c.weights_scale = static_cast<float>(r.number("routed_scaling_factor", 1.0));
  c.rms_eps = static_cast<float>(r.number("rms_norm_eps", 1e-6));
  c.rope_theta = static_cast<float>(r.number("rope_theta", 10000.0));
  c.n_ctx_train = r.integer("max_position_embeddings", 4096);
  if (const json *rs = r.object("rope_scaling")) {
    const ConfigReader y = r.nested(*rs, "rope_scaling");
    const std::string type = y.string("type", y.string("rope_type", ""));
    if (type == "yarn") {
      c.yarn = true;
      c.yarn_factor = static_cast<float>(y.number("factor", 1.0));
      c.yarn_orig_ctx = y.integer("original_max_position_embeddings", c.n_ctx_train);
      c.yarn_mscale_all_dim = static_cast<float>(y.number("mscale_all_dim", 0.0));
      if (y.present("beta_fast")) c.yarn_beta_fast = static_cast<float>(y.number("beta_fast", 32.0));
      if (y.present("beta_slow")) c.yarn_beta_slow = static_cast<float>(y.number("beta_slow", 1.0));
    } else if (!type.empty() && type != "none" && type != "default") {
      y.bad("type", "is '" + type + "'; the maker writes yarn or no scaling");
    }
  }
  return s;
}

ModelSpec deepseek4_from(const ConfigReader &r) {
  ModelSpec s;
  s.arch = Arch::kDeepseek4;
  s.name = "deepseek4-config";
  s.default_type = TypeMix::kF32;
  Deepseek4Shape &c = s.ds4;
  c.n_embd = r.integer("hidden_size");
  c.n_layer = r.integer("num_hidden_layers");
  c.n_head = r.integer("num_attention_heads");
  c.head_dim = r.integer("head_dim");
  c.d_rope = r.integer("qk_rope_head_dim");
  c.q_lora_rank = r.integer("q_lora_rank");
  c.o_groups = r.integer("o_groups");
  c.o_lora_rank = r.integer("o_lora_rank");
  c.n_vocab = r.integer("vocab_size");
  c.n_expert = r.integer("n_routed_experts");
  c.n_expert_shared = r.integer("n_shared_experts", 1);
  c.n_expert_used = r.integer("num_experts_per_tok");
  c.n_ff_exp = r.integer("moe_intermediate_size");
  c.n_hash_layers = r.integer("num_hash_layers", 0);
  const std::string scoring = r.string("scoring_func", "sqrtsoftplus");
  if (scoring != "sqrtsoftplus") r.bad("scoring_func", "is '" + scoring + "'; deepseek4 routes with sqrtsoftplus");
  c.weights_norm = r.boolean("norm_topk_prob", true);
  c.weights_scale = static_cast<float>(r.number("routed_scaling_factor", 1.5));
  c.swiglu_limit = static_cast<float>(r.number("swiglu_limit", 10.0));
  c.window = r.integer("sliding_window");
  c.compress_ratios = r.int_list("compress_ratios");
  c.rope_theta = static_cast<float>(r.number("rope_theta", 10000.0));
  c.compress_rope_theta = static_cast<float>(r.number("compress_rope_theta", 160000.0));
  c.n_ctx_train = r.integer("max_position_embeddings", 1048576);
  if (const json *rs = r.object("rope_scaling")) {
    const ConfigReader y = r.nested(*rs, "rope_scaling");
    c.yarn_factor = static_cast<float>(y.number("factor", c.yarn_factor));
    c.yarn_orig_ctx = y.integer("original_max_position_embeddings", c.yarn_orig_ctx);
    c.yarn_beta_fast = static_cast<float>(y.number("beta_fast", c.yarn_beta_fast));
    c.yarn_beta_slow = static_cast<float>(y.number("beta_slow", c.yarn_beta_slow));
  }
  c.indexer_heads = r.integer("index_n_heads");
  c.indexer_head_dim = r.integer("index_head_dim");
  c.indexer_top_k = r.integer("index_topk");
  c.hc_mult = r.integer("hc_mult", 4);
  c.hc_sinkhorn_iters = r.integer("hc_sinkhorn_iters", 20);
  c.hc_eps = static_cast<float>(r.number("hc_eps", 1e-6));
  c.rms_eps = static_cast<float>(r.number("rms_norm_eps", 1e-6));
  return s;
}

}  // namespace

ModelSpec spec_from_config_json(Arch arch, std::string_view json_text, const std::string &source) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception &e) {
    fail(DSV4_ERR_INVALID_ARGUMENT, source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) fail(DSV4_ERR_INVALID_ARGUMENT, source + ": a config.json must hold one JSON object");
  const ConfigReader r(j, source);
  ModelSpec s = arch == Arch::kDeepseek2 ? deepseek2_from(r) : deepseek4_from(r);
  validate(s);
  return s;
}

}  // namespace dsv4::maker
