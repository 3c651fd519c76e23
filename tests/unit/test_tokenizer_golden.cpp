// Golden ids: DeepSeek-V3's cases through both loaders (tokenizer.json and the vocab GGUF),
// and llama.cpp's .inp/.out pairs of all three vocab GGUFs. Every case must also decode back
// to its text.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_tokenizer_util.h"

namespace dsv4::test {
namespace {

struct TokenCase {
  std::string text;
  std::vector<int32_t> ids;
};

std::string read_all(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<TokenCase> read_golden_jsonl(const std::string &path) {
  std::vector<TokenCase> cases;
  std::istringstream in(read_all(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    cases.push_back({j.at("text").get<std::string>(), j.at("ids").get<std::vector<int32_t>>()});
  }
  return cases;
}

// PATH.inp holds texts each followed by "\n__ggml_vocab_test__\n"; PATH.out one line of
// space-separated ids per text.
std::vector<TokenCase> read_inp_out(const std::string &gguf_path) {
  const std::string inp = read_all(gguf_path + ".inp"), out = read_all(gguf_path + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<TokenCase> cases;
  for (size_t pos = 0;;) {
    size_t end = inp.find(sep, pos);
    if (end == std::string::npos) break;
    cases.push_back({inp.substr(pos, end - pos), {}});
    pos = end + sep.size();
  }
  std::istringstream lines(out);
  std::string line;
  for (TokenCase &c : cases) {
    EXPECT_TRUE(static_cast<bool>(std::getline(lines, line))) << "fewer .out lines than .inp texts";
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
  }
  return cases;
}

void expect_cases(const Tokenizer &tok, const std::vector<TokenCase> &cases, const std::string &what) {
  size_t passed = 0;
  for (const TokenCase &c : cases) {
    std::vector<int32_t> got = tok.encode(c.text, /*add_bos=*/false, /*parse_special=*/true);
    EXPECT_EQ(got, c.ids) << what << ": text " << nlohmann::json(c.text).dump();
    EXPECT_EQ(tok.decode(got), c.text) << what << ": round trip of " << nlohmann::json(c.text).dump();
    passed += got == c.ids;
  }
  EXPECT_EQ(passed, cases.size()) << what;
}

TEST(TokenizerGolden, DeepSeekV3CasesThroughTokenizerJson) {
  auto cases = read_golden_jsonl(testdata_path("tokenizer/deepseek-v3/cases.golden.jsonl"));
  ASSERT_EQ(cases.size(), 79u);
  expect_cases(hf_v3_tokenizer(), cases, "tokenizer.json");
}

TEST(TokenizerGolden, DeepSeekV3CasesThroughVocabGguf) {
  auto cases = read_golden_jsonl(testdata_path("tokenizer/deepseek-v3/cases.golden.jsonl"));
  ASSERT_EQ(cases.size(), 79u);
  expect_cases(gguf_tokenizer("deepseek-v3"), cases, "ggml-vocab-deepseek-v3.gguf");
}

class TokenizerInpOut : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerInpOut, MatchesLlamaCppPairs) {
  const std::string name = GetParam();
  auto cases = read_inp_out(testdata_path("vocab/ggml-vocab-" + name + ".gguf"));
  ASSERT_GE(cases.size(), 40u);
  expect_cases(gguf_tokenizer(name), cases, name + " .inp/.out");
}

INSTANTIATE_TEST_SUITE_P(AllVocabs, TokenizerInpOut, ::testing::Values("deepseek-v3", "deepseek-llm", "deepseek-coder"),
                         [](const auto &info) {
                           std::string n = info.param;
                           for (char &c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(TokenizerGolden, SpecialIdsAndFlagsFromBothLoaders) {
  const Tokenizer &gg = gguf_tokenizer("deepseek-v3");
  const Tokenizer &hf = hf_v3_tokenizer();
  EXPECT_EQ(gg.n_vocab(), 129280);  // padded with [PAD…] UNUSED tokens
  EXPECT_EQ(hf.n_vocab(), 128815);  // ids 0 … 128814 (spec/deepseek-v3.md §7.1)
  EXPECT_EQ(gg.n_merges(), 127741u);
  EXPECT_EQ(hf.n_merges(), 127741u);
  for (const Tokenizer *t : {&gg, &hf}) {
    EXPECT_EQ(t->bos_id(), 0);
    EXPECT_EQ(t->eos_id(), 1);
    EXPECT_EQ(t->pad_id(), 1);  // tokenizer_config.json: pad = the EOS text
    EXPECT_TRUE(t->add_bos_default());
    EXPECT_EQ(t->n_added_tokens(), 818u);
    EXPECT_EQ(t->find_token("<｜User｜>"), 128803);
    EXPECT_EQ(t->token_type(128803), TokenType::UserDefined);
    EXPECT_EQ(t->token_type(0), TokenType::Control);
  }
  EXPECT_EQ(gg.pre_name(), "deepseek-v3");
  EXPECT_EQ(gguf_tokenizer("deepseek-llm").bos_id(), 100000);
  EXPECT_EQ(gguf_tokenizer("deepseek-coder").bos_id(), 32013);
}

TEST(TokenizerGolden, AddBosPrependsBos) {
  for (const Tokenizer *t : {&gguf_tokenizer("deepseek-v3"), &hf_v3_tokenizer()}) {
    EXPECT_EQ(t->encode("Hello world", true, true), (std::vector<int32_t>{0, 19923, 2058}));
    EXPECT_EQ(t->encode("", true, true), (std::vector<int32_t>{0}));
  }
}

// The tiny test models carry real tokenizers (deepseek-llm, deepseek-coder, and a 4096-token
// deepseek-v3 vocabulary in the V4 models); the model loader builds them at every load.
TEST(TokenizerGolden, EveryTestModelTokenizerLoads) {
  const std::string text = "Hello world, 深度求索 123 <｜end▁of▁sentence｜>";
  for (const char *name : {"ds2lite-tiny-f32", "ds3-tiny-f32", "ds3-tiny-q4_k", "ds3-tiny-yarn-f32",
                           "dsv4-tiny-f32", "dsv4-tiny-b-mxfp4"}) {
    gguf::OpenOptions opts;
    opts.load_data = false;
    auto file = gguf::File::open(testdata_path(std::string("models/") + name + ".gguf"), opts);
    std::unique_ptr<Tokenizer> tok;
    ASSERT_NO_THROW(tok = Tokenizer::from_gguf(*file)) << name;
    EXPECT_EQ(tok->decode(tok->encode(text, false, true)), text) << name;
    EXPECT_GE(tok->bos_id(), 0) << name;
  }
}

}  // namespace
}  // namespace dsv4::test
