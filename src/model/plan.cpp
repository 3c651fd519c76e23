#include "model/plan.h"

#include <algorithm>
#include <functional>

#include "common/error.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "model/arch/deepseek2.h"
#include "model/arch/deepseek4_state.h"
#include "model/config.h"
#include "model/repack.h"

namespace dsv4 {
namespace {

// What a matrix is in DeepSeek's checkpoints, which decides its bytes under each weight type.
enum class Kind {
  kDense,   // FP8 linear (V3/V4), BF16 (V2)
  kExpert,  // routed expert: FP4 (V4), FP8 (V3), BF16 (V2)
  kBf16,    // BF16 in every checkpoint: embeddings, head, router, V4 compressors / indexer proj
  kSmall,   // F32 vectors and mHC tables, compressor ape, sinks, biases
  kIndex,   // integer tables (tid2eid)
};

struct Tensor {
  std::string name;
  Kind kind;
  int64_t ne0, ne1 = 1, ne2 = 1;
};

// The checkpoint format family of a preset / architecture for "native".
enum class Native { kV4, kV3, kBf16 };

uint64_t rows_bytes(uint32_t type, const Tensor &t) {
  const TypeInfo *ti = type_info(type);
  const uint64_t per_row = static_cast<uint64_t>((t.ne0 + ti->block_size - 1) / ti->block_size) * ti->type_size;
  return per_row * static_cast<uint64_t>(t.ne1 * t.ne2);
}

uint64_t fp8_bytes(const Tensor &t, uint64_t scale_bytes) {
  const uint64_t n = static_cast<uint64_t>(t.ne0 * t.ne1 * t.ne2);
  const uint64_t blocks = static_cast<uint64_t>((t.ne0 + 127) / 128 * ((t.ne1 + 127) / 128) * t.ne2);
  return n + blocks * scale_bytes;
}

uint64_t tensor_bytes(const Tensor &t, const std::string &wt, Native native, bool v4) {
  const uint64_t n = static_cast<uint64_t>(t.ne0 * t.ne1 * t.ne2);
  if (t.kind == Kind::kSmall) return 4 * n;
  if (wt == "native") {
    if (t.kind == Kind::kIndex) return 8 * n;  // I64 in the checkpoint
    if (native == Native::kBf16 || t.kind == Kind::kBf16) return 2 * n;
    if (native == Native::kV4 && t.kind == Kind::kExpert) return n / 2 + n / 32;  // e2m1 + E8M0 per 32
    return fp8_bytes(t, native == Native::kV4 ? 1 : 4);  // E8M0 (V4) or f32 (V3) block scales
  }
  if (t.kind == Kind::kIndex) return 4 * n;  // I32 in GGUF
  if (wt == "fp8") return fp8_bytes(t, 1);   // every matrix FP8 E4M3 with E8M0 128×128 block scales
  if (wt == "gguf") {
    if (t.kind == Kind::kBf16) return rows_bytes(GGML_BF16, t);
    if (t.kind == Kind::kExpert && v4) return rows_bytes(GGML_MXFP4, t);
    return rows_bytes(GGML_Q8_0, t);
  }
  const auto id = type_from_name(wt);
  if (!id || type_info(*id)->support != TypeSupport::kCompute || *id == GGML_I32)
    fail(DSV4_ERR_INVALID_ARGUMENT, "unknown weight type '" + wt + "' (native, gguf, fp8, or a ggml type such as q8_0)");
  return rows_bytes(*id, t);
}

// ---- tensor lists from configurations (GGUF names, ggml shapes) --------------------------------

std::vector<Tensor> deepseek4_tensors(const Deepseek4Config &c) {
  const int64_t D = c.n_embd, H = c.n_head, hd = c.head_dim, hc = c.n_hc, E = c.n_expert, I = c.n_ff_exp;
  const int64_t Is = c.n_ff_exp * c.n_expert_shared, mix = c.n_hc_mix();
  std::vector<Tensor> t = {{"token_embd.weight", Kind::kBf16, D, c.n_vocab},
                           {"output.weight", Kind::kBf16, D, c.n_vocab},
                           {"output_norm.weight", Kind::kSmall, D},
                           {"output_hc_fn.weight", Kind::kSmall, hc * D, hc},
                           {"output_hc_base.weight", Kind::kSmall, hc},
                           {"output_hc_scale.weight", Kind::kSmall, 1}};
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    const int32_t r = c.ratio(il);
    auto add = [&](const std::string &n, Kind k, int64_t a, int64_t b = 1, int64_t e = 1) { t.push_back({p + n, k, a, b, e}); };
    add("attn_norm.weight", Kind::kSmall, D);
    add("ffn_norm.weight", Kind::kSmall, D);
    for (const char *site : {"hc_attn", "hc_ffn"}) {
      add(std::string(site) + "_fn.weight", Kind::kSmall, hc * D, mix);
      add(std::string(site) + "_base.weight", Kind::kSmall, mix);
      add(std::string(site) + "_scale.weight", Kind::kSmall, 3);
    }
    add("attn_q_a.weight", Kind::kDense, D, c.q_lora_rank);
    add("attn_q_a_norm.weight", Kind::kSmall, c.q_lora_rank);
    add("attn_q_b.weight", Kind::kDense, c.q_lora_rank, H * hd);
    add("attn_kv.weight", Kind::kDense, D, hd);
    add("attn_kv_a_norm.weight", Kind::kSmall, hd);
    add("attn_sinks.weight", Kind::kSmall, H);
    add("attn_output_a.weight", Kind::kDense, H * hd / c.o_groups, c.o_groups * c.o_lora_rank);
    add("attn_output_b.weight", Kind::kDense, c.o_groups * c.o_lora_rank, D);
    if (r > 0) {
      const int64_t w = (r == 4 ? 2 : 1) * hd;
      add("attn_compressor_kv.weight", Kind::kBf16, D, w);
      add("attn_compressor_gate.weight", Kind::kBf16, D, w);
      add("attn_compressor_ape.weight", Kind::kSmall, w, r);
      add("attn_compressor_norm.weight", Kind::kSmall, hd);
    }
    if (r == 4) {
      const int64_t di = c.idx_head_dim;
      add("indexer.attn_q_b.weight", Kind::kDense, c.q_lora_rank, c.idx_n_head * di);
      add("indexer.proj.weight", Kind::kBf16, D, c.idx_n_head);
      add("indexer_compressor_kv.weight", Kind::kBf16, D, 2 * di);
      add("indexer_compressor_gate.weight", Kind::kBf16, D, 2 * di);
      add("indexer_compressor_ape.weight", Kind::kSmall, 2 * di, 4);
      add("indexer_compressor_norm.weight", Kind::kSmall, di);
    }
    add("ffn_gate_inp.weight", Kind::kBf16, D, E);
    if (c.is_hash_layer(il)) add("ffn_gate_tid2eid.weight", Kind::kIndex, c.n_expert_used, c.n_vocab);
    else add("exp_probs_b.bias", Kind::kSmall, E);
    add("ffn_gate_exps.weight", Kind::kExpert, D, I, E);
    add("ffn_up_exps.weight", Kind::kExpert, D, I, E);
    add("ffn_down_exps.weight", Kind::kExpert, I, D, E);
    if (Is > 0) {
      add("ffn_gate_shexp.weight", Kind::kDense, D, Is);
      add("ffn_up_shexp.weight", Kind::kDense, D, Is);
      add("ffn_down_shexp.weight", Kind::kDense, Is, D);
    }
  }
  return t;
}

std::vector<Tensor> deepseek2_tensors(const Deepseek2Config &c) {
  const int64_t D = c.n_embd, H = c.n_head, C = c.kv_lora_rank, E = c.n_expert, I = c.n_ff_exp;
  std::vector<Tensor> t = {{"token_embd.weight", Kind::kBf16, D, c.n_vocab}, {"output_norm.weight", Kind::kSmall, D}};
  if (!c.tied_output) t.push_back({"output.weight", Kind::kBf16, D, c.n_vocab});
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    auto add = [&](const std::string &n, Kind k, int64_t a, int64_t b = 1, int64_t e = 1) { t.push_back({p + n, k, a, b, e}); };
    add("attn_norm.weight", Kind::kSmall, D);
    add("ffn_norm.weight", Kind::kSmall, D);
    if (c.q_lora_rank > 0) {
      add("attn_q_a.weight", Kind::kDense, D, c.q_lora_rank);
      add("attn_q_a_norm.weight", Kind::kSmall, c.q_lora_rank);
      add("attn_q_b.weight", Kind::kDense, c.q_lora_rank, H * c.d_qk());
    } else {
      add("attn_q.weight", Kind::kDense, D, H * c.d_qk());
    }
    add("attn_kv_a_mqa.weight", Kind::kDense, D, C + c.d_rope);
    add("attn_kv_a_norm.weight", Kind::kSmall, C);
    add("attn_k_b.weight", Kind::kDense, c.d_nope, C, H);
    add("attn_v_b.weight", Kind::kDense, C, c.d_v, H);
    add("attn_output.weight", Kind::kDense, H * c.d_v, D);
    if (!c.is_moe_layer(il)) {
      add("ffn_gate.weight", Kind::kDense, D, c.n_ff);
      add("ffn_up.weight", Kind::kDense, D, c.n_ff);
      add("ffn_down.weight", Kind::kDense, c.n_ff, D);
      continue;
    }
    add("ffn_gate_inp.weight", Kind::kBf16, D, E);
    if (c.gating == 2) add("exp_probs_b.bias", Kind::kSmall, E);
    add("ffn_gate_exps.weight", Kind::kExpert, D, I, E);
    add("ffn_up_exps.weight", Kind::kExpert, D, I, E);
    add("ffn_down_exps.weight", Kind::kExpert, I, D, E);
    if (c.n_expert_shared > 0) {
      const int64_t S = I * c.n_expert_shared;
      add("ffn_gate_shexp.weight", Kind::kDense, D, S);
      add("ffn_up_shexp.weight", Kind::kDense, D, S);
      add("ffn_down_shexp.weight", Kind::kDense, S, D);
    }
  }
  return t;
}

Deepseek2Config deepseek2_preset(const std::string &name) {
  Deepseek2Config c;
  const bool v3 = name == "v3";
  c.n_layer = v3 ? 61 : 27;
  c.n_ctx_train = 163840;
  c.n_embd = v3 ? 7168 : 2048;
  c.n_vocab = v3 ? 129280 : 102400;
  c.n_ff = v3 ? 18432 : 10944;
  c.n_dense_lead = v3 ? 3 : 1;
  c.n_head = v3 ? 128 : 16;
  c.q_lora_rank = v3 ? 1536 : 0;
  c.kv_lora_rank = 512;
  c.d_nope = 128;
  c.d_rope = 64;
  c.d_v = 128;
  c.n_expert = v3 ? 256 : 64;
  c.n_expert_used = v3 ? 8 : 6;
  c.n_expert_shared = v3 ? 1 : 2;
  c.n_ff_exp = v3 ? 2048 : 1408;
  c.n_group = v3 ? 8 : 1;
  c.n_group_used = v3 ? 4 : 1;
  c.gating = v3 ? 2 : 1;
  return c;
}

// The ggml type a matrix gets under weight type wt; 0 when it is not a ggml block type there
// (native, fp8, small tables).
uint32_t ggml_type_of(const Tensor &t, const std::string &wt, bool v4) {
  if (t.kind == Kind::kSmall || t.kind == Kind::kIndex || wt == "native" || wt == "fp8") return 0;
  if (wt == "gguf") {
    if (t.kind == Kind::kBf16) return GGML_BF16;
    return t.kind == Kind::kExpert && v4 ? GGML_MXFP4 : GGML_Q8_0;
  }
  const auto id = type_from_name(wt);
  return id ? *id : 0;
}

void add_weights(MemoryPlan &plan, const std::vector<Tensor> &tensors, const std::string &wt, Native native) {
  std::vector<std::string> order = {"attention", "shared_expert", "routed_experts", "dense_ffn", "embeddings_head", "other"};
  for (const std::string &n : order) plan.weights.push_back({n, 0});
  const bool v4 = plan.arch == "deepseek4";
  for (const Tensor &t : tensors) {
    const std::string part = plan_part_of(t.name);
    for (PlanPart &p : plan.weights)
      if (p.name == part) p.bytes += tensor_bytes(t, wt, native, v4);
    if (const uint32_t type = ggml_type_of(t, wt, v4); type && is_matmul_weight(t.name))
      plan.repacked += packed_weight_bytes(type, t.ne0, t.ne1, t.ne2);
  }
}

StateOptions state_options(const PlanRequest &req) {
  StateOptions o;
  o.n_ctx = req.context;
  o.cache_type = req.cache_type;
  o.snapshot_interval = req.snapshot_interval;
  return o;
}

void add_deepseek4_session(MemoryPlan &plan, const Deepseek4Config &c, const PlanRequest &req) {
  const StateOptions o = state_options(req);
  const Deepseek4StatePlan s = plan_deepseek4_state(c, o);
  const int64_t nb = std::min(req.n_batch, std::max<int64_t>(req.context, 1));
  plan.session = {{"window", s.window},
                  {"compressed_kv", s.compressed},
                  {"indexer", s.indexer},
                  {"compressor", s.compressor},
                  {"snapshots", s.snapshots},
                  {"scratch", deepseek4_scratch_bytes(c, o, nb)},
                  {"logits", session_logits_bytes(nb, c.n_vocab)}};
  plan.state_per_sequence = s.per_sequence();
}

void add_deepseek2_session(MemoryPlan &plan, const Deepseek2Config &c, const PlanRequest &req) {
  if (req.cache_type == CacheType::kFP8)
    fail(DSV4_ERR_UNSUPPORTED, "cache type fp8 is not supported for deepseek2 (use f32 or bf16)");
  const uint64_t per = req.cache_type == CacheType::kF32 ? 4 : 2;
  const uint64_t cache = static_cast<uint64_t>(c.n_layer * req.context * (c.kv_lora_rank + c.d_rope)) * per;
  const int64_t T = std::min(req.n_batch, std::max<int64_t>(req.context, 1));
  plan.session = {{"kv_cache", cache},
                  {"scratch", deepseek2_scratch_bytes(c, T, req.context)},
                  {"logits", session_logits_bytes(T, c.n_vocab)}};
  plan.state_per_sequence = cache;
}

}  // namespace

uint64_t MemoryPlan::weights_total() const {
  uint64_t n = 0;
  for (const PlanPart &p : weights) n += p.bytes;
  return n;
}

uint64_t MemoryPlan::session_total() const {
  uint64_t n = 0;
  for (const PlanPart &p : session) n += p.bytes;
  return n;
}

std::string plan_part_of(const std::string &name) {
  auto has = [&](const char *s) { return name.find(s) != std::string::npos; };
  if (name == "token_embd.weight" || name == "output.weight") return "embeddings_head";
  if (has("_exps.")) return "routed_experts";
  if (has("_shexp.")) return "shared_expert";
  if (has(".ffn_gate.") || has(".ffn_up.") || has(".ffn_down.")) return "dense_ffn";
  if ((has(".attn_") && !has(".attn_norm.")) || has(".indexer")) return "attention";
  return "other";  // norms, router, mHC tables, MTP blocks
}

MemoryPlan plan_preset(const std::string &preset, const PlanRequest &req) {
  if (req.context < 1) fail(DSV4_ERR_INVALID_ARGUMENT, "context must be >= 1");
  MemoryPlan plan;
  plan.weights_type = req.weights_type.empty() ? "native" : req.weights_type;
  if (preset == "v4-flash" || preset == "v4-pro") {
    const Deepseek4Config c = Deepseek4Config::preset(preset);
    plan.arch = "deepseek4";
    add_weights(plan, deepseek4_tensors(c), plan.weights_type, Native::kV4);
    add_deepseek4_session(plan, c, req);
  } else if (preset == "v2-lite" || preset == "v3") {
    const Deepseek2Config c = deepseek2_preset(preset);
    plan.arch = "deepseek2";
    add_weights(plan, deepseek2_tensors(c), plan.weights_type, preset == "v3" ? Native::kV3 : Native::kBf16);
    add_deepseek2_session(plan, c, req);
  } else {
    fail(DSV4_ERR_INVALID_ARGUMENT, "unknown preset '" + preset + "' (v2-lite, v3, v4-flash, v4-pro)");
  }
  return plan;
}

MemoryPlan plan_file(const gguf::File &file, const PlanRequest &req) {
  if (req.context < 1) fail(DSV4_ERR_INVALID_ARGUMENT, "context must be >= 1");
  MemoryPlan plan;
  plan.arch = file.get_string("general.architecture").value_or("");
  plan.weights_type = req.weights_type.empty() ? "file" : req.weights_type;
  std::vector<Tensor> tensors;
  Native native = Native::kBf16;
  if (plan.arch == "deepseek4") {
    const Deepseek4Config c = Deepseek4Config::from_gguf(file);
    tensors = deepseek4_tensors(c);
    native = Native::kV4;
    add_deepseek4_session(plan, c, req);
  } else if (plan.arch == "deepseek2") {
    const Deepseek2Config c = Deepseek2Config::from_gguf(file);
    tensors = deepseek2_tensors(c);
    native = c.gating == 2 ? Native::kV3 : Native::kBf16;
    add_deepseek2_session(plan, c, req);
  } else {
    fail(DSV4_ERR_WRONG_ARCHITECTURE, file.path() + ": general.architecture is '" + plan.arch +
                                          "'; the planner knows deepseek2 and deepseek4");
  }
  if (!req.weights_type.empty()) {
    add_weights(plan, tensors, req.weights_type, native);
    return plan;
  }
  // The file's own tensors, exactly.
  add_weights(plan, {}, "native", native);
  plan.repacked = packed_file_bytes(file);
  for (const gguf::TensorInfo &t : file.tensors()) {
    const std::string part = plan_part_of(t.name);
    for (PlanPart &p : plan.weights)
      if (p.name == part) p.bytes += t.nbytes;
  }
  return plan;
}

}  // namespace dsv4
