// The model maker's vocabulary sources and random numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/testdata.h"
#include "format/gguf.h"
#include "model/maker/maker.h"
#include "model/maker/random.h"
#include "model/maker/vocab_source.h"

namespace dsv4::test {
namespace {

const gguf::Value *find_key(const maker::VocabKeys &v, const std::string &key) {
  for (const gguf::KeyValue &kv : v.keys)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

// tokenizer.json -> exactly the tokenizer.* keys of ggml-vocab-deepseek-v3.gguf, which was
// written from the same file the way llama.cpp's converter writes it (padding to 129280 with
// [PADn] entries of type UNUSED, added tokens CONTROL or USER_DEFINED).
TEST(MakerVocab, TokenizerJsonMatchesTheConvertedVocab) {
  const maker::VocabKeys built =
      maker::vocab_from_tokenizer_json(testdata_path("tokenizer/deepseek-v3/tokenizer.json"), 129280);
  const maker::VocabKeys ref = maker::vocab_from_gguf(testdata_path("vocab/ggml-vocab-deepseek-v3.gguf"));
  EXPECT_EQ(built.n_tokens, 129280);
  ASSERT_EQ(built.keys.size(), ref.keys.size());
  for (size_t i = 0; i < ref.keys.size(); ++i) {
    const gguf::KeyValue &a = built.keys[i], &b = ref.keys[i];
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.value.type, b.value.type) << b.key;
    EXPECT_EQ(a.value.i, b.value.i) << b.key;
    EXPECT_EQ(a.value.s, b.value.s) << b.key;
    EXPECT_EQ(a.value.elem, b.value.elem) << b.key;
    EXPECT_TRUE(a.value.ints == b.value.ints) << b.key;
    if (a.value.strings != b.value.strings) {
      size_t j = 0;
      while (j < a.value.strings.size() && j < b.value.strings.size() && a.value.strings[j] == b.value.strings[j]) ++j;
      ADD_FAILURE() << b.key << " differs first at entry " << j;
    }
  }
}

TEST(MakerVocab, GgufKeysAreCopiedVerbatim) {
  const std::string path = testdata_path("vocab/ggml-vocab-deepseek-llm.gguf");
  const maker::VocabKeys v = maker::load_vocab(path, 0);
  EXPECT_EQ(v.n_tokens, 102400);
  auto f = gguf::File::open(path, gguf::OpenOptions{true, false, {}, 0});
  size_t n = 0;
  for (const gguf::KeyValue &kv : f->metadata())
    if (kv.key.rfind("tokenizer.", 0) == 0) {
      ASSERT_LT(n, v.keys.size());
      EXPECT_EQ(v.keys[n].key, kv.key);
      EXPECT_EQ(v.keys[n].value.type, kv.value.type);
      EXPECT_EQ(v.keys[n].value.i, kv.value.i);
      ++n;
    }
  EXPECT_EQ(n, v.keys.size());
  EXPECT_EQ(find_key(v, "tokenizer.ggml.pre")->s, "deepseek-llm");
}

// A model made with a vocab GGUF carries its tokenizer keys and takes its size as n_vocab.
TEST(MakerVocab, ModelTakesTheVocabularySize) {
  const std::string dir = make_temp_dir("maker-vocab");
  maker::MakeOptions o;
  o.spec = maker::preset(maker::Arch::kDeepseek2, "tiny");
  o.vocab_path = testdata_path("vocab/ggml-vocab-deepseek-coder.gguf");
  o.out_path = dir + "/coder.gguf";
  o.type = maker::TypeMix::kQ8_0;
  const maker::MakeResult r = maker::make_model(o);
  EXPECT_EQ(r.n_vocab, 32256);
  auto f = gguf::File::open(o.out_path);
  EXPECT_EQ(f->find_tensor("token_embd.weight")->ne[1], 32256);
  EXPECT_EQ(f->get_int("deepseek2.vocab_size"), 32256);
  EXPECT_EQ(f->get_string("tokenizer.ggml.pre"), "deepseek-coder");
  EXPECT_EQ(f->get_int("tokenizer.ggml.bos_token_id"), 32013);
  std::filesystem::remove_all(dir);
}

TEST(MakerVocab, SyntheticVocabulary) {
  const maker::VocabKeys v = maker::vocab_synthetic(300, false);
  EXPECT_EQ(v.n_tokens, 300);
  const gguf::Value *tokens = find_key(v, "tokenizer.ggml.tokens"), *types = find_key(v, "tokenizer.ggml.token_type");
  ASSERT_TRUE(tokens && types);
  ASSERT_EQ(tokens->strings.size(), 300u);
  EXPECT_EQ(tokens->strings[3], "!");       // GPT-2's byte order, as in the V3 vocabulary
  EXPECT_EQ(tokens->strings[3 + 93], "~");
  EXPECT_EQ(tokens->strings[259], "[PAD259]");
  EXPECT_EQ(types->ints[0], 3);
  EXPECT_EQ(types->ints[100], 1);
  EXPECT_EQ(types->ints[299], 5);
  EXPECT_EQ(find_key(v, "tokenizer.ggml.add_bos_token")->i, 0);
  EXPECT_EQ(maker::vocab_synthetic(10, true).n_tokens, 259);  // never fewer than all bytes
}

TEST(MakerVocab, MissingFileIsAnIoError) {
  try {
    maker::load_vocab("/nonexistent/tokenizer.json", 0);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_IO);
  }
}

// ---- Random numbers -------------------------------------------------------------------------

TEST(MakerRandom, PortableLogIsAccurate) {
  for (double x : {1e-300, 1e-20, 0.001, 0.1, 0.3, 0.5, 0.70710678, 0.7071068, 0.9, 0.999999, 1.0, 1.5, 2.0, 1e10,
                   4.9e-324}) {
    const double want = std::log(x);
    EXPECT_NEAR(maker::portable_log(x), want, std::max(1e-300, std::fabs(want) * 4e-16)) << x;
  }
  maker::Rng r(1);
  for (int i = 0; i < 100000; ++i) {
    const double x = r.next_unit() + 1e-17;
    ASSERT_NEAR(maker::portable_log(x), std::log(x), std::fabs(std::log(x)) * 4e-16 + 1e-16) << x;
  }
}

TEST(MakerRandom, NormalsAreStandardAndReproducible) {
  maker::Rng a(42), b(42);
  double sum = 0, sq = 0, quart = 0;
  const int n = 400000;
  int within1 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = a.next_normal();
    ASSERT_EQ(z, b.next_normal());
    sum += z;
    sq += z * z;
    quart += z * z * z * z;
    within1 += std::fabs(z) < 1.0;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.01);
  EXPECT_NEAR(quart / n, 3.0, 0.06);
  EXPECT_NEAR(static_cast<double>(within1) / n, 0.682689, 0.003);
  // Pinned values: a change here changes every generated model.
  maker::Rng c(0);
  EXPECT_EQ(c.next_u64(), 0xe220a8397b1dcdafULL);  // splitmix64's first output for seed 0
}

TEST(MakerRandom, StreamsDependOnSeedNameAndIndex) {
  const uint64_t h = maker::hash_name("blk.0.attn_q_a.weight");
  EXPECT_NE(maker::stream_seed(1, h, 0), maker::stream_seed(2, h, 0));
  EXPECT_NE(maker::stream_seed(1, h, 0), maker::stream_seed(1, h, 1));
  EXPECT_NE(maker::stream_seed(1, h, 0), maker::stream_seed(1, maker::hash_name("blk.1.attn_q_a.weight"), 0));
  EXPECT_EQ(maker::hash_name(""), 0xcbf29ce484222325ULL);
}

}  // namespace
}  // namespace dsv4::test
