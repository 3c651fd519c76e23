// The model maker (src/model/maker): deterministic bytes, the type mixes, the deepseek2 and
// deepseek4 layouts against ../shared/testdata's models, loading and evaluating what it writes,
// and --config round trips. Only tiny shapes, so the whole suite takes a few seconds.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/testdata.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "model/config.h"
#include "model/maker/maker.h"
#include "model/maker/maker_types.h"
#include "model/maker/tensor_data.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "tokenizer/tokenizer.h"

namespace dsv4::test {
namespace {

using maker::Arch;
using maker::TypeMix;

bool same_value(const gguf::Value &a, const gguf::Value &b) {
  if (a.type != b.type || a.i != b.i || a.s != b.s || a.elem != b.elem || a.ints != b.ints ||
      a.strings != b.strings || a.nested.size() != b.nested.size())
    return false;
  if (a.f != b.f && !(std::isnan(a.f) && std::isnan(b.f))) return false;
  if (a.floats != b.floats) return false;
  for (size_t i = 0; i < a.nested.size(); ++i)
    if (!same_value(a.nested[i], b.nested[i])) return false;
  return true;
}

bool is_vocab_dependent(const std::string &key) {
  return key.rfind("tokenizer.", 0) == 0 || key == "general.name" || key.find(".vocab_size") != std::string::npos;
}

// Tensors whose ne1 is the vocabulary size.
bool has_vocab_rows(const std::string &name) {
  return name == "token_embd.weight" || name == "output.weight" || name.find("ffn_gate_tid2eid") != std::string::npos;
}

class Maker : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("maker"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string make(Arch arch, const std::string &preset, TypeMix type, uint64_t seed, const std::string &file,
                   int threads = 2, const std::string &vocab = "") {
    maker::MakeOptions o;
    o.spec = maker::preset(arch, preset);
    o.type = type;
    o.seed = seed;
    o.vocab_path = vocab;
    o.out_path = dir_ + "/" + file;
    o.n_threads = threads;
    maker::make_model(o);
    return o.out_path;
  }

  // Same keys in the same order with the same values (vocabulary-dependent ones aside), same
  // tensor names, shapes (ne1 of the vocabulary tensors aside) and types.
  static void expect_same_layout(const std::string &made, const std::string &reference) {
    auto a = gguf::File::open(made), b = gguf::File::open(testdata_path("models/" + reference));
    std::vector<const gguf::KeyValue *> ka, kb;
    for (const auto &kv : a->metadata())
      if (!is_vocab_dependent(kv.key)) ka.push_back(&kv);
    for (const auto &kv : b->metadata())
      if (!is_vocab_dependent(kv.key)) kb.push_back(&kv);
    ASSERT_EQ(ka.size(), kb.size()) << reference;
    for (size_t i = 0; i < ka.size(); ++i) {
      EXPECT_EQ(ka[i]->key, kb[i]->key) << reference << " key #" << i;
      EXPECT_TRUE(same_value(ka[i]->value, kb[i]->value)) << reference << ": " << kb[i]->key;
    }
    EXPECT_TRUE(a->find("tokenizer.ggml.tokens") != nullptr);
    ASSERT_EQ(a->tensors().size(), b->tensors().size()) << reference;
    for (size_t i = 0; i < a->tensors().size(); ++i) {
      const gguf::TensorInfo &x = a->tensors()[i], &y = b->tensors()[i];
      EXPECT_EQ(x.name, y.name) << reference << " tensor #" << i;
      EXPECT_EQ(x.n_dims, y.n_dims) << x.name;
      EXPECT_EQ(x.type, y.type) << x.name << ": " << type_info(x.type)->name << " vs " << type_info(y.type)->name;
      for (int d = 0; d < 4; ++d)
        if (!(d == 1 && has_vocab_rows(x.name))) EXPECT_EQ(x.ne[d], y.ne[d]) << x.name << " ne[" << d << "]";
    }
  }

  std::string dir_;
};

// ---- Determinism ---------------------------------------------------------------------------

TEST_F(Maker, SameSeedGivesIdenticalBytesWhateverTheThreads) {
  const auto a = read_bytes(make(Arch::kDeepseek2, "tiny", TypeMix::kQ4_K_M, 7, "a.gguf", 1));
  const auto b = read_bytes(make(Arch::kDeepseek2, "tiny", TypeMix::kQ4_K_M, 7, "b.gguf", 3));
  const auto c = read_bytes(make(Arch::kDeepseek2, "tiny", TypeMix::kQ4_K_M, 8, "c.gguf", 2));
  ASSERT_GT(a.size(), 100000u);
  EXPECT_TRUE(a == b) << "same seed, 1 vs 3 threads";
  ASSERT_EQ(a.size(), c.size());  // the layout does not depend on the seed …
  EXPECT_FALSE(a == c);           // … the values do
  const auto d = read_bytes(make(Arch::kDeepseek4, "tiny", TypeMix::kMXFP4_MoE, 7, "d.gguf", 1));
  const auto e = read_bytes(make(Arch::kDeepseek4, "tiny", TypeMix::kMXFP4_MoE, 7, "e.gguf", 4));
  EXPECT_TRUE(d == e) << "deepseek4, 1 vs 4 threads";
}

// A digest of the seed-1 tiny model: changes here mean every generated model changed (RNG,
// normal sampler, quantizers or layout) — deliberate changes update the constant.
TEST_F(Maker, OutputIsStableAcrossBuilds) {
  const auto bytes = read_bytes(make(Arch::kDeepseek2, "tiny", TypeMix::kF32, 1, "s.gguf"));
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint8_t x : bytes) h = (h ^ x) * 0x100000001b3ULL;
  std::printf("[maker] deepseek2 tiny f32 seed 1: %zu bytes, fnv1a %016llx\n", bytes.size(),
              static_cast<unsigned long long>(h));
  EXPECT_EQ(bytes.size(), 6291840u);
  EXPECT_EQ(h, 0xafeca802b385febcULL);
}

TEST_F(Maker, ValuesHaveTheIntendedScale) {
  maker::TensorPlan t;
  t.name = "blk.0.ffn_up_exps.weight";
  t.ne = {512, 64, 2};
  t.init = maker::normal(0.0, 1.0 / std::sqrt(512.0));
  const std::vector<float> v = maker::tensor_values(t, 3, 0, 128);
  double sum = 0, sq = 0;
  for (float x : v) {
    sum += x;
    sq += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(v.size()), mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 4.0 / std::sqrt(n) / std::sqrt(512.0));
  EXPECT_NEAR(var * 512.0, 1.0, 0.02);
  // Rows do not depend on which range is asked for.
  const std::vector<float> tail = maker::tensor_values(t, 3, 100, 101);
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), v.begin() + 100 * 512));
}

// attn_k_b / attn_v_b are the two halves of one kv_b_proj [H·(nope+v), c], split as llama.cpp's
// converter splits it (deepseek-v3.md §6.2).
TEST_F(Maker, KvbSplitMatchesOneKvbProj) {
  const int64_t nope = 3, v = 2, c = 5, H = 2;
  maker::TensorPlan kvb;
  kvb.name = "blk.4.attn_kv_b.weight";
  kvb.ne = {c, H * (nope + v)};
  kvb.init = maker::normal(0.0, 0.5);
  const std::vector<float> W = maker::tensor_values(kvb, 9, 0, H * (nope + v));
  maker::TensorPlan k = kvb, vb = kvb;
  k.name = "blk.4.attn_k_b.weight";
  k.ne = {nope, c, H};
  vb.name = "blk.4.attn_v_b.weight";
  vb.ne = {c, v, H};
  for (maker::TensorPlan *t : {&k, &vb}) {
    t->init.kind = t == &k ? maker::InitKind::kKvbK : maker::InitKind::kKvbV;
    t->init.source = kvb.name;
    t->init.d_nope = nope;
    t->init.d_v = v;
    t->init.kv_lora = c;
  }
  const std::vector<float> K = maker::tensor_values(k, 9, 0, c * H), V = maker::tensor_values(vb, 9, 0, v * H);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t kk = 0; kk < c; ++kk) {
      for (int64_t j = 0; j < nope; ++j)
        EXPECT_EQ(K[j + nope * (kk + c * h)], W[(h * (nope + v) + j) * c + kk]);
      for (int64_t j = 0; j < v; ++j)
        EXPECT_EQ(V[kk + c * (j + v * h)], W[(h * (nope + v) + nope + j) * c + kk]);
    }
}

// ---- Types ----------------------------------------------------------------------------------

TEST_F(Maker, RowLengthFallbacks) {
  EXPECT_EQ(maker::fit_row_length(GGML_Q4_K, 512), GGML_Q4_K);
  EXPECT_EQ(maker::fit_row_length(GGML_Q4_K, 96), GGML_Q4_0);
  EXPECT_EQ(maker::fit_row_length(GGML_Q6_K, 64), GGML_Q8_0);
  EXPECT_EQ(maker::fit_row_length(GGML_Q6_K, 1408), GGML_Q8_0);
  EXPECT_EQ(maker::fit_row_length(GGML_Q4_K, 48), GGML_F32);
  EXPECT_EQ(maker::fit_row_length(GGML_Q6_K, 40), GGML_F32);
  EXPECT_EQ(maker::fit_row_length(GGML_Q8_0, 48), GGML_F32);
  EXPECT_EQ(maker::fit_row_length(GGML_BF16, 7), GGML_BF16);
  EXPECT_EQ(maker::base_name("blk.12.ffn_down_shexp.weight"), "ffn_down_shexp");
  EXPECT_EQ(maker::base_name("blk.0.exp_probs_b.bias"), "exp_probs_b");
  EXPECT_EQ(maker::base_name("output.weight"), "output");
  EXPECT_EQ(maker::base_name("blk.3.indexer.proj.weight"), "indexer.proj");
}

struct TypeCase {
  const char *name;
  std::vector<int64_t> ne;
  maker::Role role;
  uint32_t q4_k_m, q8_0, mxfp4_moe;
};

TEST_F(Maker, TypePerTensorUnderEachMix) {
  using R = maker::Role;
  const TypeCase cases[] = {
      {"output.weight", {512, 1000}, R::kOutput, GGML_Q6_K, GGML_Q8_0, GGML_BF16},
      {"output.weight", {32, 1000}, R::kOutput, GGML_Q8_0, GGML_Q8_0, GGML_BF16},
      {"token_embd.weight", {512, 1000}, R::kEmbedding, GGML_Q4_K, GGML_Q8_0, GGML_BF16},
      {"blk.0.attn_v_b.weight", {512, 128, 16}, R::kMatrix, GGML_Q6_K, GGML_Q8_0, GGML_Q8_0},
      {"blk.0.attn_k_b.weight", {128, 512, 16}, R::kMatrix, GGML_Q4_0, GGML_Q8_0, GGML_Q8_0},
      {"blk.0.ffn_down.weight", {10944, 2048}, R::kMatrix, GGML_Q8_0, GGML_Q8_0, GGML_Q8_0},
      {"blk.1.ffn_down_shexp.weight", {2816, 2048}, R::kMatrix, GGML_Q6_K, GGML_Q8_0, GGML_Q8_0},
      {"blk.1.ffn_down_exps.weight", {1408, 2048, 64}, R::kRoutedExperts, GGML_Q4_0, GGML_Q8_0, GGML_MXFP4},
      {"blk.1.ffn_gate_exps.weight", {2048, 1408, 64}, R::kRoutedExperts, GGML_Q4_K, GGML_Q8_0, GGML_MXFP4},
      {"blk.1.ffn_gate_inp.weight", {2048, 64}, R::kRouter, GGML_F32, GGML_F32, GGML_BF16},
      {"blk.1.exp_probs_b.bias", {64}, R::kBias, GGML_F32, GGML_F32, GGML_F32},
      {"blk.1.attn_norm.weight", {2048}, R::kNorm, GGML_F32, GGML_F32, GGML_F32},
      {"blk.1.hc_attn_fn.weight", {16384, 24}, R::kF32Param, GGML_F32, GGML_F32, GGML_F32},
      {"blk.1.attn_compressor_kv.weight", {4096, 1024}, R::kMatrix, GGML_Q4_K, GGML_Q8_0, GGML_BF16},
      {"blk.1.indexer.proj.weight", {4096, 64}, R::kMatrix, GGML_Q4_K, GGML_Q8_0, GGML_BF16},
      {"blk.1.attn_output_a.weight", {4096, 8192}, R::kMatrix, GGML_Q4_K, GGML_Q8_0, GGML_Q8_0},
      {"blk.0.ffn_gate_tid2eid.weight", {6, 1000}, R::kTokenMap, GGML_I32, GGML_I32, GGML_I32},
  };
  for (const TypeCase &c : cases) {
    maker::TensorPlan t;
    t.name = c.name;
    t.ne = c.ne;
    t.role = c.role;
    EXPECT_EQ(maker::choose_type(TypeMix::kQ4_K_M, t), c.q4_k_m) << c.name << " ne0 " << c.ne[0];
    EXPECT_EQ(maker::choose_type(TypeMix::kQ8_0, t), c.q8_0) << c.name;
    EXPECT_EQ(maker::choose_type(TypeMix::kMXFP4_MoE, t), c.mxfp4_moe) << c.name;
  }
  EXPECT_EQ(maker::type_mix_from_name("q4_k_m"), TypeMix::kQ4_K_M);
  EXPECT_EQ(maker::file_type_of(TypeMix::kQ4_K_M), 15u);
  EXPECT_THROW(maker::type_mix_from_name("Q4_K_M"), Error);
}

// ---- deepseek2 ------------------------------------------------------------------------------

// The tiny preset is ds3-tiny's config: same keys, tensors and (under q4_k_m) the same types as
// ds3-tiny-q4_k.gguf, whose mix is llama.cpp's Q4_K_M with the row-length fallbacks.
TEST_F(Maker, Deepseek2TinyHasTheTestModelLayout) {
  expect_same_layout(make(Arch::kDeepseek2, "tiny", TypeMix::kQ4_K_M, 1, "q.gguf"), "ds3-tiny-q4_k.gguf");
  auto f = gguf::File::open(dir_ + "/q.gguf");
  EXPECT_EQ(f->get_int("general.file_type"), 15);
  auto ref = gguf::File::open(testdata_path("models/ds3-tiny-f32.gguf"));
  for (const auto &kv : ref->metadata())
    if (kv.key.rfind("deepseek2.", 0) == 0 && !is_vocab_dependent(kv.key))
      EXPECT_TRUE(f->find(kv.key) && same_value(*f->find(kv.key), kv.value)) << kv.key;
}

std::vector<float> eval_logits(const Model &m, const std::vector<int32_t> &tokens) {
  SessionOptions so;
  so.n_ctx = 64;
  so.n_threads = 2;
  Session s(m, so);
  std::vector<uint8_t> all(tokens.size(), 1);
  s.eval(tokens.data(), static_cast<int64_t>(tokens.size()), all.data());
  return s.logits();
}

void expect_finite_and_varied(const std::vector<float> &logits, size_t n_expected) {
  ASSERT_EQ(logits.size(), n_expected);
  double sq = 0;
  for (float x : logits) {
    ASSERT_TRUE(std::isfinite(x));
    sq += static_cast<double>(x) * x;
  }
  const double rms = std::sqrt(sq / static_cast<double>(logits.size()));
  EXPECT_GT(rms, 0.1);  // O(1) activations: neither vanishing …
  EXPECT_LT(rms, 100);  // … nor exploding
}

TEST_F(Maker, Deepseek2TinyLoadsAndEvaluates) {
  const std::vector<int32_t> tokens = {0, 72, 105, 33, 300, 1};
  for (TypeMix t : {TypeMix::kF32, TypeMix::kQ4_K_M, TypeMix::kBF16}) {
    const std::string path = make(Arch::kDeepseek2, "tiny", t, 5, std::string(maker::type_mix_name(t)) + ".gguf");
    auto m = Model::load(path, ModelLoadOptions{});
    ASSERT_EQ(m->arch()->n_vocab(), 512);
    SCOPED_TRACE(maker::type_mix_name(t));
    expect_finite_and_varied(eval_logits(*m, tokens), tokens.size() * 512);
    // The synthetic byte-level vocabulary spells any text.
    ASSERT_NE(m->tokenizer(), nullptr);
    const std::string text = "héllo, wörld\n";
    EXPECT_EQ(m->tokenizer()->decode(m->tokenizer()->encode(text, false, false)), text);
  }
}

// A V2-Lite-like config.json (V2-Lite's keys and conventions — no q LoRA, softmax gating, one
// group, YaRN with mscale_all_dim 0.707 — at tiny sizes) survives the trip into GGUF metadata.
TEST_F(Maker, ConfigJsonRoundTrip) {
  const char *config = R"({
    "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2",
    "hidden_size": 64, "num_hidden_layers": 3, "first_k_dense_replace": 1, "intermediate_size": 96,
    "num_attention_heads": 4, "num_key_value_heads": 4, "q_lora_rank": null, "kv_lora_rank": 32,
    "qk_nope_head_dim": 32, "qk_rope_head_dim": 16, "v_head_dim": 32, "vocab_size": 300,
    "n_routed_experts": 8, "n_shared_experts": 2, "num_experts_per_tok": 3, "moe_intermediate_size": 64,
    "n_group": 1, "topk_group": 1, "topk_method": "greedy", "scoring_func": "softmax", "norm_topk_prob": false,
    "routed_scaling_factor": 1.0, "rms_norm_eps": 1e-06, "rope_theta": 10000, "max_position_embeddings": 163840,
    "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096, "beta_fast": 32,
                     "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707},
    "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";
  maker::MakeOptions o;
  o.spec = maker::spec_from_config_json(Arch::kDeepseek2, config, "config.json");
  o.type = TypeMix::kF32;
  o.seed = 3;
  o.out_path = dir_ + "/cfg.gguf";
  const maker::MakeResult r = maker::make_model(o);
  EXPECT_EQ(r.n_vocab, 300);

  auto f = gguf::File::open(o.out_path);
  const auto u = [&](const char *k) { return f->get_int(std::string("deepseek2.") + k).value_or(-1); };
  const auto fl = [&](const char *k) { return f->get_float(std::string("deepseek2.") + k).value_or(-1.0); };
  EXPECT_EQ(u("block_count"), 3);
  EXPECT_EQ(u("leading_dense_block_count"), 1);
  EXPECT_EQ(u("feed_forward_length"), 96);
  EXPECT_EQ(u("attention.q_lora_rank"), 0);
  EXPECT_EQ(u("attention.kv_lora_rank"), 32);
  EXPECT_EQ(u("attention.key_length"), 48);
  EXPECT_EQ(u("attention.value_length"), 32);
  EXPECT_EQ(u("attention.key_length_mla"), 48);
  EXPECT_EQ(u("attention.value_length_mla"), 32);
  EXPECT_EQ(u("attention.head_count_kv"), 1);
  EXPECT_EQ(u("expert_count"), 8);
  EXPECT_EQ(u("expert_shared_count"), 2);
  EXPECT_EQ(u("expert_used_count"), 3);
  EXPECT_EQ(u("expert_feed_forward_length"), 64);
  EXPECT_EQ(u("expert_gating_func"), 1);
  EXPECT_EQ(f->find("deepseek2.expert_group_count"), nullptr);
  EXPECT_EQ(f->get_bool("deepseek2.expert_weights_norm"), false);
  EXPECT_EQ(u("context_length"), 163840);
  EXPECT_EQ(u("vocab_size"), 300);
  EXPECT_EQ(f->get_string("deepseek2.rope.scaling.type"), "yarn");
  EXPECT_EQ(fl("rope.scaling.factor"), 40.0);
  EXPECT_EQ(u("rope.scaling.original_context_length"), 4096);
  EXPECT_FLOAT_EQ(static_cast<float>(fl("rope.scaling.yarn_log_multiplier")), 0.0707f);
  EXPECT_EQ(fl("rope.scaling.yarn_beta_fast"), 32.0);
  EXPECT_NE(f->find_tensor("blk.0.attn_q.weight"), nullptr);
  EXPECT_EQ(f->find_tensor("blk.0.attn_q_a.weight"), nullptr);
  EXPECT_EQ(f->find_tensor("blk.1.exp_probs_b.bias"), nullptr);  // softmax: no selection bias
  EXPECT_EQ(f->find_tensor("blk.2.ffn_up_shexp.weight")->ne[1], 128);  // 2 shared × 64

  // The runtime reads the same configuration back.
  auto m = Model::load(o.out_path, ModelLoadOptions{});
  const Deepseek2Config c = Deepseek2Config::from_gguf(m->file());
  EXPECT_EQ(c.n_layer, 3);
  EXPECT_EQ(c.q_lora_rank, 0);
  EXPECT_EQ(c.d_nope, 32);
  EXPECT_EQ(c.d_rope, 16);
  EXPECT_EQ(c.d_v, 32);
  EXPECT_EQ(c.n_expert_shared, 2);
  EXPECT_EQ(c.gating, 1);
  EXPECT_TRUE(c.yarn);
  EXPECT_NEAR(c.yarn_mscale_all_dim, 0.707f, 1e-6);
  EXPECT_EQ(c.yarn_orig_ctx, 4096);
  expect_finite_and_varied(eval_logits(*m, {0, 50, 100, 150}), 4 * 300);
}

TEST_F(Maker, ConfigJsonErrorsNameTheKey) {
  try {
    maker::spec_from_config_json(Arch::kDeepseek2, R"({"hidden_size": 64})", "x.json");
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_INVALID_ARGUMENT);
    EXPECT_NE(e.message().find("num_hidden_layers"), std::string::npos) << e.message();
  }
  EXPECT_THROW(maker::preset(Arch::kDeepseek2, "huge"), Error);
  EXPECT_THROW(maker::spec_from_config_json(Arch::kDeepseek4, "{not json", "x.json"), Error);
}

// ---- deepseek4 ------------------------------------------------------------------------------

// The tiny preset is dsv4-tiny-f32's config: same keys, tensor names, shapes (spec §7.2) and types.
TEST_F(Maker, Deepseek4TinyHasTheTestModelLayout) {
  const std::string path = make(Arch::kDeepseek4, "tiny", TypeMix::kF32, 1, "v4.gguf");
  expect_same_layout(path, "dsv4-tiny-f32.gguf");
  auto f = gguf::File::open(path);
  // Hash layers: each token's row holds expert_used_count distinct experts.
  for (const char *name : {"blk.0.ffn_gate_tid2eid.weight", "blk.1.ffn_gate_tid2eid.weight"}) {
    const gguf::TensorInfo *t = f->find_tensor(name);
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->type, GGML_I32);
    const int32_t *ids = reinterpret_cast<const int32_t *>(t->data);
    std::set<int32_t> all;
    for (int64_t row = 0; row < t->ne[1]; ++row) {
      std::set<int32_t> s(ids + row * t->ne[0], ids + (row + 1) * t->ne[0]);
      EXPECT_EQ(static_cast<int64_t>(s.size()), t->ne[0]) << name << " row " << row;
      EXPECT_GE(*s.begin(), 0);
      EXPECT_LT(*s.rbegin(), 16);
      all.insert(s.begin(), s.end());
    }
    EXPECT_EQ(all.size(), 16u);  // every expert is used by some token
  }
  // hc_*_scale = 0.5 + 0.5·|N|.
  const gguf::TensorInfo *scale = f->find_tensor("blk.0.hc_attn_scale.weight");
  for (int i = 0; i < 3; ++i) EXPECT_GE(reinterpret_cast<const float *>(scale->data)[i], 0.5f);
}

// The converter's mix (deepseek-v4.md §7.2), as the bench-v4flash3 preset writes it.
TEST_F(Maker, Deepseek4ConverterTypes) {
  auto f = gguf::File::open(make(Arch::kDeepseek4, "tiny", TypeMix::kMXFP4_MoE, 1, "mx.gguf"));
  EXPECT_EQ(f->get_int("general.file_type"), 38);
  for (const gguf::TensorInfo &t : f->tensors()) {
    const std::string base(maker::base_name(t.name));
    uint32_t want = GGML_Q8_0;
    if (t.n_dims == 1 || base.rfind("hc_", 0) == 0 || base.rfind("output_hc", 0) == 0 ||
        base.find("_ape") != std::string::npos || base == "attn_sinks" || base == "exp_probs_b")
      want = GGML_F32;
    else if (base == "ffn_gate_tid2eid") want = GGML_I32;
    else if (base.find("_exps") != std::string::npos) want = GGML_MXFP4;
    else if (base == "token_embd" || base == "output" || base == "ffn_gate_inp" || base == "indexer.proj" ||
             base.find("compressor_kv") != std::string::npos || base.find("compressor_gate") != std::string::npos)
      want = GGML_BF16;
    EXPECT_EQ(t.type, want) << t.name << " is " << type_info(t.type)->name;
  }
}

// V4 config.json keys (deepseek-v4.md §2.1) describing the tiny preset give the preset's file.
TEST_F(Maker, Deepseek4ConfigJsonMatchesPreset) {
  const char *config = R"({
    "architectures": ["DeepseekV4ForCausalLM"], "model_type": "deepseek_v4",
    "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 1,
    "head_dim": 128, "qk_rope_head_dim": 32, "q_lora_rank": 64, "o_groups": 2, "o_lora_rank": 32,
    "vocab_size": 512, "n_routed_experts": 16, "n_shared_experts": 1, "num_experts_per_tok": 4,
    "moe_intermediate_size": 64, "scoring_func": "sqrtsoftplus", "topk_method": "noaux_tc",
    "norm_topk_prob": true, "routed_scaling_factor": 1.5, "num_hash_layers": 2, "swiglu_limit": 1.5,
    "sliding_window": 16, "compress_ratios": [0, 4, 128, 4, 0], "rope_theta": 10000,
    "compress_rope_theta": 160000, "max_position_embeddings": 1048576,
    "rope_scaling": {"type": "yarn", "factor": 16, "original_max_position_embeddings": 65536,
                     "beta_fast": 32, "beta_slow": 1},
    "index_n_heads": 8, "index_head_dim": 64, "index_topk": 8, "hc_mult": 4, "hc_sinkhorn_iters": 20,
    "hc_eps": 1e-06, "rms_norm_eps": 1e-06, "num_nextn_predict_layers": 1, "torch_dtype": "bfloat16"})";
  maker::MakeOptions o;
  o.spec = maker::spec_from_config_json(Arch::kDeepseek4, config, "config.json");
  o.spec.name = "deepseek4-tiny";
  o.type = TypeMix::kQ8_0;
  o.seed = 4;
  o.out_path = dir_ + "/v4cfg.gguf";
  maker::make_model(o);
  EXPECT_TRUE(read_bytes(o.out_path) == read_bytes(make(Arch::kDeepseek4, "tiny", TypeMix::kQ8_0, 4, "v4p.gguf")));
  // Ratios other than 0 / 4 / 128 are refused, as llama.cpp refuses them.
  std::string bad = config;
  bad.replace(bad.find("[0, 4, 128, 4, 0]"), 17, "[0, 4, 64, 4, 0]");
  EXPECT_THROW(maker::spec_from_config_json(Arch::kDeepseek4, bad, "config.json"), Error);
}

TEST_F(Maker, Deepseek4TinyLoadsAndEvaluates) {
  const std::string path = make(Arch::kDeepseek4, "tiny", TypeMix::kF32, 2, "v4run.gguf");
  std::unique_ptr<Model> m;
  try {
    m = Model::load(path, ModelLoadOptions{});
  } catch (const Error &e) {
    if (e.status() == DSV4_ERR_WRONG_ARCHITECTURE) GTEST_SKIP() << "deepseek4 loading not available: " << e.what();
    throw;
  }
  const std::vector<int32_t> tokens = {0, 72, 105, 33, 300, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  expect_finite_and_varied(eval_logits(*m, tokens), tokens.size() * 512);
}

// ---- Cancellation ---------------------------------------------------------------------------

TEST_F(Maker, CancelRemovesThePartialFile) {
  maker::MakeOptions o;
  o.spec = maker::preset(Arch::kDeepseek2, "tiny");
  o.out_path = dir_ + "/cancel.gguf";
  int calls = 0;
  o.progress = [&](const maker::Progress &p) {
    EXPECT_LE(p.bytes_done, p.bytes_total);
    return ++calls < 5;
  };
  try {
    maker::make_model(o);
    FAIL() << "not cancelled";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_CANCELLED);
  }
  EXPECT_FALSE(std::filesystem::exists(o.out_path));
}

}  // namespace
}  // namespace dsv4::test
