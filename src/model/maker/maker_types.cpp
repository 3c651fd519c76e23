#include "model/maker/maker_types.h"

#include <string>

#include "common/error.h"
#include "format/ggml_type.h"

namespace dsv4::maker {

namespace {

struct MixInfo {
  TypeMix mix;
  const char *name;
  uint32_t file_type;  // llama.cpp's llama_ftype
};

constexpr MixInfo kMixes[] = {
    {TypeMix::kF32, "f32", 0},          {TypeMix::kF16, "f16", 1},
    {TypeMix::kBF16, "bf16", 32},       {TypeMix::kQ8_0, "q8_0", 7},
    {TypeMix::kQ4_0, "q4_0", 2},        {TypeMix::kQ4_K, "q4_k", 14},  // nearest ftype: Q4_K_S
    {TypeMix::kQ6_K, "q6_k", 18},       {TypeMix::kQ4_K_M, "q4_k_m", 15},
    {TypeMix::kMXFP4_MoE, "mxfp4_moe", 38},
};

const MixInfo &info_of(TypeMix mix) {
  for (const MixInfo &m : kMixes)
    if (m.mix == mix) return m;
  fail(DSV4_ERR_INTERNAL, "model maker: unknown type mix");
}

// The single type of the uniform mixes.
uint32_t uniform_type(TypeMix mix) {
  switch (mix) {
    case TypeMix::kF32: return GGML_F32;
    case TypeMix::kF16: return GGML_F16;
    case TypeMix::kBF16: return GGML_BF16;
    case TypeMix::kQ8_0: return GGML_Q8_0;
    case TypeMix::kQ4_0: return GGML_Q4_0;
    case TypeMix::kQ4_K: return GGML_Q4_K;
    case TypeMix::kQ6_K: return GGML_Q6_K;
    default: return GGML_F32;
  }
}

// llama.cpp's Q4_K_M gives these more bits (as in ../shared/testdata ds3-tiny-q4_k).
bool q4_k_m_wants_q6_k(std::string_view base) {
  return base == "output" || base == "attn_v_b" || base == "ffn_down" || base == "ffn_down_shexp";
}

// deepseek4 converter (deepseek-v4.md §7.2): the BF16 checkpoint matrices stay BF16, the FP8
// ones become Q8_0, the FP4 experts MXFP4.
uint32_t converter_type(const TensorPlan &t, std::string_view base) {
  switch (t.role) {
    case Role::kRoutedExperts: return GGML_MXFP4;
    case Role::kEmbedding: case Role::kOutput: case Role::kRouter: return GGML_BF16;
    default: break;
  }
  if (base == "attn_compressor_kv" || base == "attn_compressor_gate" || base == "indexer_compressor_kv" ||
      base == "indexer_compressor_gate" || base == "indexer.proj")
    return GGML_BF16;
  return GGML_Q8_0;
}

}  // namespace

const char *type_mix_name(TypeMix mix) { return info_of(mix).name; }
uint32_t file_type_of(TypeMix mix) { return info_of(mix).file_type; }

TypeMix type_mix_from_name(std::string_view name) {
  std::string choices;
  for (const MixInfo &m : kMixes) {
    if (name == m.name) return m.mix;
    choices += choices.empty() ? "" : ", ";
    choices += m.name;
  }
  fail(DSV4_ERR_INVALID_ARGUMENT, "unknown weight type '" + std::string(name) + "'; choose one of " + choices);
}

std::string_view base_name(std::string_view n) {
  if (n.rfind("blk.", 0) == 0) {
    const size_t dot = n.find('.', 4);
    if (dot != std::string_view::npos) n.remove_prefix(dot + 1);
  }
  for (std::string_view suffix : {std::string_view(".weight"), std::string_view(".bias")})
    if (n.size() > suffix.size() && n.substr(n.size() - suffix.size()) == suffix) {
      n.remove_suffix(suffix.size());
      break;
    }
  return n;
}

uint32_t fit_row_length(uint32_t wanted, int64_t ne0) {
  const TypeInfo *ti = type_info(wanted);
  if (!ti || ti->block_size == 0) return GGML_F32;
  if (ne0 % ti->block_size == 0) return wanted;
  if (ti->block_size == 256) return fit_row_length(wanted == GGML_Q4_K ? GGML_Q4_0 : GGML_Q8_0, ne0);
  return GGML_F32;
}

uint32_t choose_type(TypeMix mix, const TensorPlan &t) {
  switch (t.role) {
    case Role::kTokenMap: return GGML_I32;
    case Role::kNorm: case Role::kBias: case Role::kF32Param: return GGML_F32;
    default: break;
  }
  if (t.ne.size() < 2) return GGML_F32;
  const std::string_view base = base_name(t.name);
  uint32_t wanted;
  if (mix == TypeMix::kMXFP4_MoE) wanted = converter_type(t, base);
  else if (t.role == Role::kRouter) return GGML_F32;  // the router stays exact, as llama.cpp keeps it
  else if (mix == TypeMix::kQ4_K_M) wanted = q4_k_m_wants_q6_k(base) ? GGML_Q6_K : GGML_Q4_K;
  else wanted = uniform_type(mix);
  return fit_row_length(wanted, t.ne[0]);
}

}  // namespace dsv4::maker
